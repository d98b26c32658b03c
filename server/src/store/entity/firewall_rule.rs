//! `firewall_rules`: one row per firewall rule of a policy (SPEC §2.6). Attributes only.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "firewall_rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workspace_id: i64,
    pub policy_id: i64,
    pub priority: i64,
    pub label: Option<String>,
    /// `inbound` | `response` | `mcp` | `egress` | `""` (every surface).
    pub stage: String,
    pub tool_name_glob: String,
    pub skill_name_glob: String,
    pub verdict: String,
    pub args_match: Json,
    pub egress: Option<Json>,
    pub sanitize: Option<Json>,
    pub cap_cost_cents: Option<i64>,
    pub notes: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
