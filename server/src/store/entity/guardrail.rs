//! `guardrails`: one row per guardrail, rules as one JSON document (SPEC §2.5). Attributes only.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "guardrails")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workspace_id: i64,
    pub name: String,
    pub description: String,
    pub enabled: bool,
    pub log_raw_content: bool,
    pub version: i64,
    /// The ordered rules as one JSON document (rules are written with the guardrail as a whole).
    pub rules: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub updated_by: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
