//! `guardrail_matches`: one row per distinct finding per request and stage (SPEC §2.9).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "guardrail_matches")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workspace_id: i64,
    pub created_at: DateTimeUtc,
    pub request_id: String,
    pub key_id: Option<i64>,
    pub key_name: String,
    pub client_ip: String,
    pub model_name: Option<String>,
    pub guardrail_id: i64,
    pub guardrail_name: String,
    pub rule_id: i64,
    pub rule_label: String,
    pub rule_type: String,
    pub stage: String,
    pub action: String,
    pub entity: Option<String>,
    pub count: i64,
    pub detail: String,
    pub matched: Option<String>,
    pub fingerprint: String,
    pub false_positive: bool,
    pub error: bool,
    pub run_id: Option<String>,
    pub conversation_id: Option<String>,
    pub step_id: Option<String>,
    pub parent_step_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
