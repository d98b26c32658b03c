use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "workspaces")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub created_at: DateTimeUtc,
    pub observe_mode: bool,
    pub default_firewall_policy_id: Option<i64>,
    pub default_guardrail_id: Option<i64>,
    pub approval_webhook_url: Option<String>,
    pub approval_webhook_secret_enc: Option<String>,
    pub approval_ttl_seconds: i64,
    pub log_retention_days: i64,
    pub judge_model: Option<String>,
    pub settings_updated_at: DateTimeUtc,
    pub posture_version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
