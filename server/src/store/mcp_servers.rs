//! MCP servers (SPEC §2.14): the workspace's registry of upstream Streamable HTTP MCP servers. The
//! credentials are stored sealed (`auth_enc`, see `crate::crypto`) and leave this module only as that
//! ciphertext; probe results (`status`, `last_probe_at`, `last_error`, `tool_count`) are written by
//! [`record_probe`] without touching the editable fields.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::store::entity::mcp_server;

/// A stored MCP server.
#[derive(Clone, Debug, PartialEq)]
pub struct McpServerRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub name: String,
    pub endpoint: String,
    pub auth_mode: String,
    /// Sealed credentials JSON; `None` with `auth_mode` `none`.
    pub auth_enc: Option<String>,
    pub enabled: bool,
    pub status: String,
    pub last_probe_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub tool_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<mcp_server::Model> for McpServerRecord {
    fn from(row: mcp_server::Model) -> Self {
        McpServerRecord {
            id: row.id,
            workspace_id: row.workspace_id,
            name: row.name,
            endpoint: row.endpoint,
            auth_mode: row.auth_mode,
            auth_enc: row.auth_enc,
            enabled: row.enabled,
            status: row.status,
            last_probe_at: row.last_probe_at,
            last_error: row.last_error,
            tool_count: row.tool_count,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// The editable fields of a server, as validated by the service.
#[derive(Clone, Debug, PartialEq)]
pub struct McpServerFields {
    pub name: String,
    pub endpoint: String,
    pub auth_mode: String,
    pub auth_enc: Option<String>,
    pub enabled: bool,
}

/// What one probe found.
#[derive(Clone, Debug, PartialEq)]
pub struct ProbeRecord {
    pub status: String,
    pub at: DateTime<Utc>,
    pub error: Option<String>,
    /// `None` keeps the previous count (a probe whose `tools/list` failed knows no count).
    pub tool_count: Option<i64>,
}

fn apply(model: &mut mcp_server::ActiveModel, fields: &McpServerFields, now: DateTime<Utc>) {
    model.name = Set(fields.name.clone());
    model.endpoint = Set(fields.endpoint.clone());
    model.auth_mode = Set(fields.auth_mode.clone());
    model.auth_enc = Set(fields.auth_enc.clone());
    model.enabled = Set(fields.enabled);
    model.updated_at = Set(now);
}

/// Inserts a server; it is `down` until its first probe.
pub async fn insert(db: &impl ConnectionTrait, workspace_id: i64, fields: &McpServerFields, now: DateTime<Utc>) -> Result<McpServerRecord, DbErr> {
    let mut model = mcp_server::ActiveModel {
        workspace_id: Set(workspace_id),
        status: Set("down".into()),
        last_probe_at: Set(None),
        last_error: Set(None),
        tool_count: Set(0),
        created_at: Set(now),
        ..Default::default()
    };
    apply(&mut model, fields, now);
    Ok(model.insert(db).await?.into())
}

pub async fn update(db: &impl ConnectionTrait, id: i64, fields: &McpServerFields, now: DateTime<Utc>) -> Result<McpServerRecord, DbErr> {
    let mut model = mcp_server::ActiveModel { id: Set(id), ..Default::default() };
    apply(&mut model, fields, now);
    Ok(model.update(db).await?.into())
}

/// Stores a probe's outcome on the row (not a posture change: no audit, no version bump).
pub async fn record_probe(db: &impl ConnectionTrait, id: i64, probe: &ProbeRecord) -> Result<(), DbErr> {
    let mut model = mcp_server::ActiveModel { id: Set(id), ..Default::default() };
    model.status = Set(probe.status.clone());
    model.last_probe_at = Set(Some(probe.at));
    model.last_error = Set(probe.error.clone());
    if let Some(count) = probe.tool_count {
        model.tool_count = Set(count);
    }
    model.update(db).await?;
    Ok(())
}

/// The server `id` if it belongs to `workspace_id`; another workspace's server is as absent as a missing one.
pub async fn find(db: &impl ConnectionTrait, workspace_id: i64, id: i64) -> Result<Option<McpServerRecord>, DbErr> {
    let row = mcp_server::Entity::find_by_id(id).filter(mcp_server::Column::WorkspaceId.eq(workspace_id)).one(db).await?;
    Ok(row.map(Into::into))
}

/// The server named `name` in the workspace.
pub async fn find_by_name(db: &impl ConnectionTrait, workspace_id: i64, name: &str) -> Result<Option<McpServerRecord>, DbErr> {
    let row = mcp_server::Entity::find()
        .filter(mcp_server::Column::WorkspaceId.eq(workspace_id))
        .filter(mcp_server::Column::Name.eq(name))
        .one(db)
        .await?;
    Ok(row.map(Into::into))
}

/// Every server of the workspace, by name.
pub async fn list(db: &impl ConnectionTrait, workspace_id: i64) -> Result<Vec<McpServerRecord>, DbErr> {
    let rows = mcp_server::Entity::find()
        .filter(mcp_server::Column::WorkspaceId.eq(workspace_id))
        .order_by_asc(mcp_server::Column::Name)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Every enabled server of every workspace (the background prober).
pub async fn list_enabled(db: &impl ConnectionTrait) -> Result<Vec<McpServerRecord>, DbErr> {
    let rows = mcp_server::Entity::find()
        .filter(mcp_server::Column::Enabled.eq(true))
        .order_by_asc(mcp_server::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub async fn delete(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    mcp_server::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}
