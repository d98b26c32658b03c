//! False-positive suppression routes (SPEC §4.11, §4.12): `POST /guardrails/matches/:id/mark-fp`,
//! `GET /guardrails/suppressions`, `DELETE /guardrails/suppressions/:id`. Thin adapters over
//! `service::suppressions`; the role checks live there.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::error::api_error;
use crate::api::{ApiError, Caller};
use crate::engine::guardrail::suppress::short;
use crate::service::Services;
use crate::store::suppressions::SuppressionRecord;

/// Body of `mark-fp`; the whole body is optional.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct MarkRequest {
    #[serde(default)]
    pub note: Option<String>,
}

/// A suppression as §2.10 shows it (the fingerprint shortened to 12 hex characters, as in Matches).
fn suppression_json(row: &SuppressionRecord) -> Value {
    json!({
        "id": row.id, "fingerprint": short(&row.fingerprint), "guardrail_id": row.guardrail_id, "rule_id": row.rule_id,
        "entity_type": row.entity_type, "source_match_id": row.source_match_id, "note": row.note,
        "created_by": row.created_by, "created_at": row.created_at,
    })
}

/// An empty body means `{}`; anything else must be the JSON object of `MarkRequest` (else the message).
fn mark_request(body: &Bytes) -> Result<MarkRequest, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(MarkRequest::default());
    }
    serde_json::from_slice(body).map_err(|err| format!("invalid request body: {err}"))
}

/// 201 with the new suppression, or 200 with the existing one (idempotent); `flagged_matches` counts the
/// rows this call marked.
pub async fn mark_fp(State(services): State<Services>, Caller(principal): Caller, Path(id): Path<i64>, body: Bytes) -> Result<Response, ApiError> {
    let request = match mark_request(&body) {
        Ok(request) => request,
        Err(message) => return Ok(api_error(StatusCode::BAD_REQUEST, "invalid_request_error", message)),
    };
    let marked = services.mark_false_positive(&principal, id, request.note, Utc::now()).await?;
    let mut payload = suppression_json(&marked.suppression);
    payload["flagged_matches"] = json!(marked.flagged);
    let status = if marked.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(payload)).into_response())
}

pub async fn list(State(services): State<Services>, Caller(principal): Caller) -> Result<Json<Value>, ApiError> {
    let rows = services.list_suppressions(&principal).await?;
    Ok(Json(json!({ "data": rows.iter().map(suppression_json).collect::<Vec<_>>() })))
}

pub async fn delete(State(services): State<Services>, Caller(principal): Caller, Path(id): Path<i64>) -> Result<Response, ApiError> {
    services.delete_suppression(&principal, id, Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
