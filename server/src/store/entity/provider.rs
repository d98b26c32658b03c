//! `providers`: OpenAI-compatible upstreams a workspace adds (SPEC §2.4); `api_key_enc` is sealed.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "providers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workspace_id: i64,
    pub name: String,
    pub base_url: String,
    /// AES-256-GCM ciphertext (base64) of the provider's API key; never returned.
    pub api_key_enc: Option<String>,
    pub enabled: bool,
    /// `[{id, input_usd_per_mtok, output_usd_per_mtok}]`.
    pub models: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
