//! `mcp_servers`: the MCP server registry (SPEC §2.14); `auth_enc` holds the sealed credentials.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "mcp_servers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workspace_id: i64,
    pub name: String,
    pub endpoint: String,
    pub auth_mode: String,
    /// AES-256-GCM ciphertext (base64) of the JSON credentials; never returned.
    pub auth_enc: Option<String>,
    pub enabled: bool,
    pub status: String,
    pub last_probe_at: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub tool_count: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
