//! `/api/workspace/firewall/mcp-servers` (SPEC §2.14, §5.12, §5.16): the MCP server registry for the
//! console. Thin adapters over `service::mcp_registry`; credentials are write-only (`auth`) and read back
//! only as `auth_set`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::{ApiError, ApiJson, Caller};
use crate::service::mcp_registry::{McpServerInput, McpServerPatch, ProbeOutcome};
use crate::service::Services;
use crate::state::AppState;
use crate::store::mcp_servers::McpServerRecord;

/// The registry routes, relative to `/api`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/workspace/firewall/mcp-servers", get(list).post(create))
        .route("/workspace/firewall/mcp-servers/{id}", get(get_one).patch(update).delete(delete))
        .route("/workspace/firewall/mcp-servers/{id}/probe", post(probe))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    pub name: String,
    pub endpoint: String,
    #[serde(default)]
    pub auth_mode: Option<String>,
    #[serde(default)]
    pub auth: Option<Value>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchRequest {
    pub name: Option<String>,
    pub endpoint: Option<String>,
    pub auth_mode: Option<String>,
    pub auth: Option<Value>,
    pub enabled: Option<bool>,
}

/// A server as the console sees it: never the credentials, only whether they are set.
pub fn server_json(record: &McpServerRecord) -> Value {
    json!({
        "id": record.id,
        "name": record.name,
        "endpoint": record.endpoint,
        "auth_mode": record.auth_mode,
        "auth_set": record.auth_enc.is_some(),
        "enabled": record.enabled,
        "status": record.status,
        "last_probe_at": record.last_probe_at,
        "last_error": record.last_error,
        "tool_count": record.tool_count,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
    })
}

pub fn probe_json(outcome: &ProbeOutcome) -> Value {
    let tools: Vec<Value> = outcome
        .tools
        .iter()
        .map(|tool| json!({"name": tool.name, "namespaced_name": tool.namespaced_name, "description": tool.description, "input_schema": tool.input_schema}))
        .collect();
    let mut body = json!({"status": outcome.status, "latency_ms": outcome.latency_ms, "tools": tools});
    if let Some(error) = &outcome.error {
        body["error"] = json!(error);
    }
    body
}

pub async fn list(State(services): State<Services>, Caller(principal): Caller) -> Result<Json<Value>, ApiError> {
    let servers = services.list_mcp_servers(&principal).await?;
    Ok(Json(json!({ "data": servers.iter().map(server_json).collect::<Vec<_>>() })))
}

pub async fn get_one(State(services): State<Services>, Caller(principal): Caller, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    Ok(Json(server_json(&services.get_mcp_server(&principal, id).await?)))
}

pub async fn create(State(services): State<Services>, Caller(principal): Caller, ApiJson(body): ApiJson<CreateRequest>) -> Result<Response, ApiError> {
    let input = McpServerInput { name: body.name, endpoint: body.endpoint, auth_mode: body.auth_mode, auth: body.auth, enabled: body.enabled };
    let record = services.create_mcp_server(&principal, input, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(server_json(&record))).into_response())
}

pub async fn update(
    State(services): State<Services>,
    Caller(principal): Caller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<PatchRequest>,
) -> Result<Json<Value>, ApiError> {
    let patch = McpServerPatch { name: body.name, endpoint: body.endpoint, auth_mode: body.auth_mode, auth: body.auth, enabled: body.enabled };
    Ok(Json(server_json(&services.update_mcp_server(&principal, id, patch, Utc::now()).await?)))
}

pub async fn delete(State(services): State<Services>, Caller(principal): Caller, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    services.delete_mcp_server(&principal, id, Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn probe(State(services): State<Services>, Caller(principal): Caller, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    Ok(Json(probe_json(&services.probe_mcp_server(&principal, id, Utc::now()).await?)))
}
