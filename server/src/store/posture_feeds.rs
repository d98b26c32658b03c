//! Read-only views of the feeds that Simulate replays (SPEC §6.4): the firewall events and guardrail
//! matches of a time window, shaped as the engine's replay inputs, with each row's key binding resolved.
//!
//! Reads only; the feeds themselves (writing, listing, pruning) belong to `firewall_events` and
//! `guardrail_matches`.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use crate::engine::autonomy::{RecordedCall, RecordedMatch};
use crate::engine::firewall::Surface;
use crate::store::entity::{api_key, firewall_event, firewall_policy, guardrail_match};

/// `summary_cut` heuristics: summaries are cut at exactly this many characters.
const SUMMARY_CHARS: usize = 512;

/// Key ids bound to an enabled policy, and key ids bound to a guardrail.
async fn bindings(db: &impl ConnectionTrait, workspace_id: i64) -> Result<(HashSet<i64>, HashSet<i64>), DbErr> {
    let enabled: HashSet<i64> = firewall_policy::Entity::find()
        .filter(firewall_policy::Column::WorkspaceId.eq(workspace_id))
        .filter(firewall_policy::Column::Enabled.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    let keys = api_key::Entity::find().filter(api_key::Column::WorkspaceId.eq(workspace_id)).all(db).await?;
    let policy_bound = keys.iter().filter(|k| k.firewall_policy_id.is_some_and(|id| enabled.contains(&id))).map(|k| k.id).collect();
    let guardrail_bound = keys.iter().filter(|k| k.guardrail_id.is_some()).map(|k| k.id).collect();
    Ok((policy_bound, guardrail_bound))
}

fn surface(text: &str) -> Option<Surface> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).ok()
}

/// Firewall events of `[from, to)` as replay inputs, oldest first. A summary of exactly 512 characters
/// is treated as cut (the engine cuts there), so such events count as approximate.
pub async fn recorded_calls(
    db: &impl ConnectionTrait,
    workspace_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<RecordedCall>, DbErr> {
    let (policy_bound, _) = bindings(db, workspace_id).await?;
    let rows = firewall_event::Entity::find()
        .filter(firewall_event::Column::WorkspaceId.eq(workspace_id))
        .filter(firewall_event::Column::CreatedAt.gte(from))
        .filter(firewall_event::Column::CreatedAt.lt(to))
        .order_by_asc(firewall_event::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let surface = surface(&row.surface)?;
            let cut = row.args_summary.as_ref().is_some_and(|s| s.chars().count() >= SUMMARY_CHARS);
            Some(RecordedCall {
                surface,
                tool_name: row.tool_name,
                skill_name: row.skill_name,
                args_summary: row.args_summary,
                args_summary_cut: cut,
                destination: row.destination.and_then(|d| serde_json::from_value(d).ok()),
                key_bound_to_enabled_policy: row.key_id.is_some_and(|id| policy_bound.contains(&id)),
            })
        })
        .collect())
}

/// Guardrail match rows of `[from, to)` as estimate inputs.
pub async fn recorded_matches(
    db: &impl ConnectionTrait,
    workspace_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<RecordedMatch>, DbErr> {
    let (_, guardrail_bound) = bindings(db, workspace_id).await?;
    let rows = guardrail_match::Entity::find()
        .filter(guardrail_match::Column::WorkspaceId.eq(workspace_id))
        .filter(guardrail_match::Column::CreatedAt.gte(from))
        .filter(guardrail_match::Column::CreatedAt.lt(to))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| RecordedMatch {
            stage: row.stage,
            entity: row.entity,
            key_bound_to_guardrail: row.key_id.is_some_and(|id| guardrail_bound.contains(&id)),
        })
        .collect())
}
