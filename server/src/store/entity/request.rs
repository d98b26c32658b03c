//! `requests`: one row per relay or gateway request (SPEC §2.7). Bodies are never stored.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workspace_id: i64,
    pub request_id: String,
    pub created_at: DateTimeUtc,
    pub key_id: Option<i64>,
    pub key_name: String,
    pub route: String,
    pub model: Option<String>,
    pub stream: bool,
    pub status: i64,
    pub error_code: Option<String>,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub cost_micros: i64,
    pub metered: bool,
    pub guardrail_id: Option<i64>,
    pub firewall_policy_id: Option<i64>,
    pub tool_calls: i64,
    pub client_ip: String,
    pub latency_ms: i64,
    pub upstream_latency_ms: Option<i64>,
    pub run_id: Option<String>,
    pub conversation_id: Option<String>,
    pub step_id: Option<String>,
    pub parent_step_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
