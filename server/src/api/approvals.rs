//! Approval routes (SPEC §5.10, §5.16, §7): the console queue and decisions under
//! `/workspace/firewall/approvals` (session), the agent's poll `GET /v1/firewall/approvals/{id}` (gateway key
//! with scope `approvals`, or the relay key whose call created it) and the signed decision callback
//! `POST /v1/firewall/approvals/{id}/decision` (no credential: public in the guard, HMAC-checked by the service).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::error::api_error;
use crate::api::{ApiError, Caller};
use crate::auth::signature;
use crate::domain::ApiKey;
use crate::service::feeds::FeedWindow;
use crate::service::{FieldError, ServiceError, Services};
use crate::state::AppState;
use crate::store::approvals::ApprovalRecord;

/// The approval routes, relative to `/api`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/workspace/firewall/approvals", get(list))
        .route("/workspace/firewall/approvals/{id}", get(get_one))
        .route("/workspace/firewall/approvals/{id}/approve", post(approve))
        .route("/workspace/firewall/approvals/{id}/reject", post(reject))
        .route("/v1/firewall/approvals/{id}", get(poll))
        .route("/v1/firewall/approvals/{id}/decision", post(decision))
}

/// The §2.11 row (`id` is the 24-hex approval id; the database id stays internal).
pub fn approval_json(row: &ApprovalRecord) -> Value {
    json!({
        "id": row.approval_id, "state": row.state, "surface": row.surface, "tool_name": row.tool_name,
        "args_hash": row.args_hash, "args_summary": row.args_summary, "key_id": row.key_id, "key_name": row.key_name,
        "request_id": row.request_id, "run_id": row.run_id, "conversation_id": row.conversation_id, "step_id": row.step_id,
        "policy_id": row.policy_id, "policy_name": row.policy_name, "rule_id": row.rule_id, "rule_label": row.rule_label,
        "reason": row.reason, "created_at": row.created_at, "expires_at": row.expires_at, "decided_at": row.decided_at,
        "decided_by_user_id": row.decided_by_user_id, "decided_via": row.decided_via, "decision_note": row.decision_note,
        "consumed_at": row.consumed_at, "consumed_request_id": row.consumed_request_id,
    })
}

fn time(field: &str, value: &str, errors: &mut Vec<FieldError>) -> Option<DateTime<Utc>> {
    let parsed = DateTime::parse_from_rfc3339(value).ok().map(|at| at.with_timezone(&Utc));
    if parsed.is_none() {
        errors.push(FieldError::new(field, "must be an RFC 3339 timestamp"));
    }
    parsed
}

fn int<T: std::str::FromStr>(field: &str, value: &str, errors: &mut Vec<FieldError>) -> Option<T> {
    let parsed = value.parse().ok();
    if parsed.is_none() {
        errors.push(FieldError::new(field, "must be an integer"));
    }
    parsed
}

/// `GET /workspace/firewall/approvals?state=&tool_name=&key_id=` plus the shared window; unknown names are 422.
async fn list(State(services): State<Services>, Caller(principal): Caller, Query(pairs): Query<Vec<(String, String)>>) -> Result<Json<Value>, ApiError> {
    let (mut window, mut errors) = (FeedWindow::default(), Vec::new());
    let (mut state, mut tool_name, mut key_id) = (None, None, None);
    for (key, value) in pairs {
        match key.as_str() {
            "state" => state = Some(value),
            "tool_name" => tool_name = Some(value),
            "key_id" => key_id = int("key_id", &value, &mut errors),
            "limit" => window.limit = int("limit", &value, &mut errors),
            "cursor" => window.cursor = Some(value),
            "since" => window.since = time("since", &value, &mut errors),
            "until" => window.until = time("until", &value, &mut errors),
            "days" => window.days = int("days", &value, &mut errors),
            other => errors.push(FieldError::new(other, "is not a filter of this feed")),
        }
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors).into());
    }
    let page = services.list_approvals(&principal, state, tool_name, key_id, window).await?;
    Ok(Json(json!({ "data": page.data.iter().map(approval_json).collect::<Vec<_>>(), "next_cursor": page.next_cursor })))
}

async fn get_one(State(services): State<Services>, Caller(principal): Caller, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(approval_json(&services.get_approval(&principal, &id).await?)))
}

/// The optional body of approve / reject.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoteBody {
    #[serde(default)]
    note: Option<String>,
}

/// An empty body means no note; anything else must be `{"note"?}`.
fn note_of(body: &Bytes) -> Result<Option<String>, Response> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice::<NoteBody>(body)
        .map(|parsed| parsed.note)
        .map_err(|err| api_error(StatusCode::BAD_REQUEST, "invalid_request_error", format!("invalid request body: {err}")))
}

async fn decide(services: &Services, principal: &crate::service::identity::Principal, id: &str, approve: bool, body: &Bytes) -> Response {
    let note = match note_of(body) {
        Ok(note) => note,
        Err(response) => return response,
    };
    match services.decide_approval(principal, id, approve, note).await {
        Ok(row) => Json(approval_json(&row)).into_response(),
        Err(err) => ApiError(err).into_response(),
    }
}

async fn approve(State(services): State<Services>, Caller(principal): Caller, Path(id): Path<String>, body: Bytes) -> Response {
    decide(&services, &principal, &id, true, &body).await
}

async fn reject(State(services): State<Services>, Caller(principal): Caller, Path(id): Path<String>, body: Bytes) -> Response {
    decide(&services, &principal, &id, false, &body).await
}

/// `GET /v1/firewall/approvals/{id}`: the agent's poll, in the §5.10 step 5 shape.
async fn poll(State(services): State<Services>, key: Option<Extension<ApiKey>>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let Some(Extension(key)) = key else { return Err(ServiceError::InvalidApiKey.into()) };
    services.check_rate_limit(&key)?;
    let row = services.poll_approval(&key, &id).await?;
    Ok(Json(json!({
        "id": row.approval_id, "state": row.state, "tool_name": row.tool_name, "args_hash": row.args_hash,
        "expires_at": row.expires_at, "decided_at": row.decided_at,
    })))
}

/// `POST /v1/firewall/approvals/{id}/decision`: the raw body is what the signature covers.
async fn decision(State(services): State<Services>, Path(id): Path<String>, headers: HeaderMap, body: Bytes) -> Result<Json<Value>, ApiError> {
    let header = headers.get(signature::HEADER).and_then(|value| value.to_str().ok());
    let row = services.decide_approval_by_callback(&id, header, &body).await?;
    Ok(Json(json!({ "id": row.approval_id, "state": row.state, "decided_at": row.decided_at, "decided_via": row.decided_via })))
}
