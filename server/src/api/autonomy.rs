//! `/api/workspace/firewall/autonomy`, `/simulate`, `/autonomy/undo/:audit_id` (SPEC §6.3–6.5). Thin
//! adapters over `service::autonomy`.

use axum::extract::{Path, Query, State};
use axum::Json;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::{ApiError, ApiJson, Caller};
use crate::service::Services;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplyRequest {
    pub level: String,
}

#[derive(Deserialize)]
pub struct SimulateQuery {
    #[serde(default)]
    pub level: String,
}

#[derive(Deserialize)]
pub struct UndoQuery {
    #[serde(default)]
    pub force: bool,
}

pub async fn apply(State(services): State<Services>, Caller(principal): Caller, ApiJson(req): ApiJson<ApplyRequest>) -> Result<Json<Value>, ApiError> {
    let applied = services.apply_autonomy(&principal, &req.level, Utc::now()).await?;
    Ok(Json(json!(applied)))
}

pub async fn state(State(services): State<Services>, Caller(principal): Caller) -> Result<Json<Value>, ApiError> {
    let state = services.autonomy_state(&principal).await?;
    let last_change = state.last_change.map(|row| {
        json!({
            "audit_id": row.id,
            "verb": row.verb,
            "level": row.metadata.get("level").cloned().unwrap_or(Value::Null),
            "created_at": row.created_at,
            "actor_label": row.actor_label,
            "undo_available": row.undo_available.unwrap_or(false),
        })
    });
    Ok(Json(json!({
        "current_level": state.current_level.map_or("custom", |level| level.as_str()),
        "last_change": last_change,
    })))
}

pub async fn simulate(State(services): State<Services>, Caller(principal): Caller, Query(query): Query<SimulateQuery>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(services.simulate_autonomy(&principal, &query.level, Utc::now()).await?)))
}

pub async fn undo(
    State(services): State<Services>,
    Caller(principal): Caller,
    Path(audit_id): Path<i64>,
    Query(query): Query<UndoQuery>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(services.undo_autonomy(&principal, audit_id, query.force, Utc::now()).await?)))
}
