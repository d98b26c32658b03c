use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workspace_id: i64,
    pub created_at: DateTimeUtc,
    pub actor_type: String,
    pub actor_user_id: Option<i64>,
    pub actor_label: String,
    pub verb: String,
    pub target_type: String,
    pub target_id: String,
    pub metadata: Json,
    pub undo_available: Option<bool>,
    pub snapshot_bytes: Option<i64>,
    pub snapshot: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
