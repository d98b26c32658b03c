//! `guardrail_versions`: append-only guardrail history (SPEC §2.5). Attributes only.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "guardrail_versions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workspace_id: i64,
    pub guardrail_id: i64,
    pub version: i64,
    /// `create` | `update` | `delete` | `revert` | `restore`.
    pub op: String,
    pub actor_user_id: Option<i64>,
    pub created_at: DateTimeUtc,
    /// name, description, enabled, log_raw_content, is_default, rules.
    pub snapshot: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
