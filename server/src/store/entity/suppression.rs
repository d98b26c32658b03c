//! `suppressions`: the workspace's false-positive fingerprints (SPEC §2.10). Attributes only.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "suppressions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workspace_id: i64,
    /// Full SHA-256 hex (§4.11); unique per workspace.
    pub fingerprint: String,
    pub guardrail_id: i64,
    pub rule_id: i64,
    /// The pii/custom entity, the built-in detector, or the rule type.
    pub entity_type: String,
    pub source_match_id: Option<i64>,
    pub note: String,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
