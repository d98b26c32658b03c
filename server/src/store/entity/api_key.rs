use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workspace_id: i64,
    pub kind: String,
    pub name: String,
    pub key_hint: String,
    /// SHA-256 (hex) of the full secret.
    pub secret_hash: String,
    pub scopes: Json,
    pub status: String,
    pub environment: Option<String>,
    pub guardrail_id: Option<i64>,
    pub firewall_policy_id: Option<i64>,
    pub model_allowlist_enabled: bool,
    pub model_allowlist: Json,
    pub ip_allowlist: Json,
    pub credit_limit_micros: i64,
    pub spent_micros: i64,
    pub rate_limit_rpm: i64,
    pub expires_at: Option<DateTimeUtc>,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
    pub last_used_ip: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
