//! Discovered tools (SPEC §2.12): one row per (workspace, tool name), upserted by the recorder after every
//! real evaluation and read by the Discovered Tools feed.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::{json, Value};

use crate::store::entity::discovered_tool;

/// One discovered tool.
#[derive(Clone, Debug, PartialEq)]
pub struct DiscoveredTool {
    pub id: i64,
    pub tool_name: String,
    pub mcp_server: Option<String>,
    pub surfaces: Vec<String>,
    pub first_seen_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub call_count: i64,
    pub verdict_counts: Value,
    pub coverage: String,
    pub last_policy_name: Option<String>,
    pub last_rule_label: Option<String>,
    pub last_key_name: String,
}

impl From<discovered_tool::Model> for DiscoveredTool {
    fn from(row: discovered_tool::Model) -> Self {
        DiscoveredTool {
            id: row.id,
            tool_name: row.tool_name,
            mcp_server: row.mcp_server,
            surfaces: serde_json::from_value(row.surfaces).unwrap_or_default(),
            first_seen_at: row.first_seen_at,
            last_seen_at: row.last_seen_at,
            call_count: row.call_count,
            verdict_counts: row.verdict_counts,
            coverage: row.coverage,
            last_policy_name: row.last_policy_name,
            last_rule_label: row.last_rule_label,
            last_key_name: row.last_key_name,
        }
    }
}

/// One evaluation to fold into the tool's row.
#[derive(Clone, Debug, PartialEq)]
pub struct Sighting {
    pub workspace_id: i64,
    pub tool_name: String,
    /// The registered MCP server the tool belongs to, when known (MCP gateway, evaluate hook).
    pub mcp_server: Option<String>,
    pub surface: String,
    pub verdict: String,
    pub gap: bool,
    pub policy_name: Option<String>,
    pub rule_label: Option<String>,
    pub key_name: String,
    pub at: DateTime<Utc>,
}

fn empty_counts() -> Value {
    json!({"allow": 0, "audit": 0, "deny": 0, "sanitize": 0, "pending_approval": 0, "observe": 0})
}

/// Inserts or updates the row of `sighting.tool_name`. The recorder is the only writer in a process; a
/// concurrent insert by another replica surfaces as a unique violation, which the caller retries.
pub async fn upsert(db: &impl ConnectionTrait, sighting: &Sighting) -> Result<(), DbErr> {
    let existing = discovered_tool::Entity::find()
        .filter(discovered_tool::Column::WorkspaceId.eq(sighting.workspace_id))
        .filter(discovered_tool::Column::ToolName.eq(sighting.tool_name.clone()))
        .one(db)
        .await?;
    let coverage = if sighting.gap { "gap" } else { "covered" };
    match existing {
        Some(row) => {
            let mut surfaces: Vec<String> = serde_json::from_value(row.surfaces.clone()).unwrap_or_default();
            if !surfaces.contains(&sighting.surface) {
                surfaces.push(sighting.surface.clone());
            }
            let mut counts = row.verdict_counts.clone();
            let current = counts.get(&sighting.verdict).and_then(Value::as_i64).unwrap_or(0);
            counts[sighting.verdict.as_str()] = json!(current + 1);
            let mut active: discovered_tool::ActiveModel = row.clone().into();
            active.surfaces = Set(json!(surfaces));
            active.last_seen_at = Set(sighting.at.max(row.last_seen_at));
            active.call_count = Set(row.call_count + 1);
            active.verdict_counts = Set(counts);
            active.coverage = Set(coverage.into());
            active.last_policy_name = Set(sighting.policy_name.clone());
            active.last_rule_label = Set(sighting.rule_label.clone());
            active.last_key_name = Set(sighting.key_name.clone());
            if sighting.mcp_server.is_some() {
                active.mcp_server = Set(sighting.mcp_server.clone());
            }
            active.update(db).await?;
        }
        None => {
            let mut counts = empty_counts();
            counts[sighting.verdict.as_str()] = json!(1);
            discovered_tool::ActiveModel {
                workspace_id: Set(sighting.workspace_id),
                tool_name: Set(sighting.tool_name.clone()),
                mcp_server: Set(sighting.mcp_server.clone()),
                surfaces: Set(json!([sighting.surface])),
                first_seen_at: Set(sighting.at),
                last_seen_at: Set(sighting.at),
                call_count: Set(1),
                verdict_counts: Set(counts),
                coverage: Set(coverage.into()),
                last_policy_name: Set(sighting.policy_name.clone()),
                last_rule_label: Set(sighting.rule_label.clone()),
                last_key_name: Set(sighting.key_name.clone()),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

/// Every discovered tool of `workspace_id`, most recently seen first.
pub async fn list(db: &impl ConnectionTrait, workspace_id: i64) -> Result<Vec<DiscoveredTool>, DbErr> {
    let rows = discovered_tool::Entity::find()
        .filter(discovered_tool::Column::WorkspaceId.eq(workspace_id))
        .order_by_desc(discovered_tool::Column::LastSeenAt)
        .order_by_desc(discovered_tool::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}
