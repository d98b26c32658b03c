//! `discovered_tools`: one row per (workspace, tool name) seen by a real evaluation (SPEC §2.12).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "discovered_tools")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workspace_id: i64,
    pub tool_name: String,
    pub mcp_server: Option<String>,
    pub surfaces: Json,
    pub first_seen_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
    pub call_count: i64,
    pub verdict_counts: Json,
    pub coverage: String,
    pub last_policy_name: Option<String>,
    pub last_rule_label: Option<String>,
    pub last_key_name: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
