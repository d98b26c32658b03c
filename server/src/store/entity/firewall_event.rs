//! `firewall_events`: one row per firewall evaluation (SPEC §2.8).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "firewall_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workspace_id: i64,
    pub created_at: DateTimeUtc,
    pub request_id: String,
    pub key_id: Option<i64>,
    pub key_name: String,
    pub model_name: Option<String>,
    pub surface: String,
    pub tool_name: String,
    pub skill_name: Option<String>,
    pub mcp_server: Option<String>,
    pub destination: Option<Json>,
    pub verdict: String,
    pub reason: String,
    pub policy_id: Option<i64>,
    pub policy_name: Option<String>,
    pub rule_id: Option<i64>,
    pub rule_label: Option<String>,
    pub shadow: bool,
    pub gap: bool,
    pub review: bool,
    pub args_summary: Option<String>,
    pub args_hash: Option<String>,
    pub approval_id: Option<String>,
    pub cost_check: Option<Json>,
    pub run_id: Option<String>,
    pub conversation_id: Option<String>,
    pub step_id: Option<String>,
    pub parent_step_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
