//! `approvals`: one held tool call waiting for (or past) a human decision (SPEC §2.11).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "approvals")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workspace_id: i64,
    pub approval_id: String,
    pub state: String,
    pub surface: String,
    pub tool_name: String,
    pub args_hash: String,
    pub args_summary: Option<String>,
    pub key_id: Option<i64>,
    pub key_name: String,
    pub request_id: String,
    pub run_id: Option<String>,
    pub conversation_id: Option<String>,
    pub step_id: Option<String>,
    pub policy_id: i64,
    pub policy_name: String,
    pub rule_id: i64,
    pub rule_label: Option<String>,
    pub reason: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub decided_at: Option<DateTimeUtc>,
    pub decided_by_user_id: Option<i64>,
    pub decided_via: Option<String>,
    pub decision_note: Option<String>,
    pub consumed_at: Option<DateTimeUtc>,
    pub consumed_request_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
