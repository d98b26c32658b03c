//! `/api/guardrails` (SPEC §4.12): list, get, history, keys, meta, presets, create, replace, delete,
//! revert, apply preset, test. Thin adapters over `service::guardrails` and `service::guardrail_test`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::posture_dto;
use crate::api::{ApiError, ApiJson, Caller};
use crate::engine::guardrail::builtin::Builtin;
use crate::engine::guardrail::config::{GuardrailConfig, ScanStage};
use crate::engine::guardrail::pii::Entity;
use crate::service::guardrail_test::GuardrailTestInput;
use crate::service::Services;

/// A guardrail body plus the optional optimistic-concurrency `version` of `PUT`.
#[derive(Deserialize)]
pub struct GuardrailRequest {
    #[serde(flatten)]
    pub config: GuardrailConfig,
    #[serde(default)]
    pub version: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevertRequest {
    pub version: i64,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ApplyPresetRequest {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub guardrail_id: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestRequest {
    #[serde(default)]
    pub guardrail_id: Option<i64>,
    #[serde(default)]
    pub draft: Option<GuardrailConfig>,
    pub stage: ScanStage,
    pub text: String,
    #[serde(default)]
    pub include_advanced: bool,
}

pub async fn list(State(services): State<Services>, Caller(principal): Caller) -> Result<Json<Value>, ApiError> {
    let views = services.list_guardrails(&principal).await?;
    Ok(Json(json!({ "data": views.iter().map(posture_dto::guardrail).collect::<Vec<_>>() })))
}

pub async fn get(State(services): State<Services>, Caller(principal): Caller, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    Ok(Json(posture_dto::guardrail(&services.get_guardrail(&principal, id).await?)))
}

pub async fn history(State(services): State<Services>, Caller(principal): Caller, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    let rows = services.guardrail_history(&principal, id).await?;
    Ok(Json(json!({ "data": rows.iter().map(posture_dto::guardrail_version).collect::<Vec<_>>() })))
}

pub async fn keys(State(services): State<Services>, Caller(principal): Caller, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    let keys = services.guardrail_keys(&principal, id).await?;
    Ok(Json(json!({ "data": keys.into_iter().map(|(id, name)| json!({ "id": id, "name": name })).collect::<Vec<_>>() })))
}

/// Static catalogue for the editor: types, stages, actions, combinations, entities, detectors.
pub async fn meta(State(services): State<Services>, Caller(principal): Caller) -> Result<Json<Value>, ApiError> {
    services.guardrail_presets(&principal)?;
    let entities: Vec<Value> =
        Entity::ALL.iter().map(|e| json!({ "name": e.name(), "family": format!("{:?}", e.family()).to_lowercase(), "tag": e.tag() })).collect();
    let builtins: Vec<Value> = ["url", "markdown_image", "shell_injection", "sql_injection"]
        .iter()
        .filter_map(|name| Builtin::parse(name))
        .map(|b| json!({ "name": b.name(), "tag": b.tag() }))
        .collect();
    Ok(Json(json!({
        "types": ["keyword", "regex", "pii", "max_chars", "llm_judge", "grounding", "external"],
        "stages": ["input", "output", "both"],
        "actions": ["block", "mask", "flag", "annotate", "spotlight"],
        "allowed_actions": {
            "keyword": ["block", "mask", "flag", "annotate", "spotlight"],
            "regex": ["block", "mask", "flag", "annotate", "spotlight"],
            "pii": ["block", "mask", "flag", "annotate", "spotlight"],
            "external": ["block", "mask", "flag", "annotate", "spotlight"],
            "llm_judge": ["block", "flag", "annotate", "spotlight"],
        },
        "notes": "spotlight only on stage input; grounding only on stage output; validation is authoritative",
        "entities": entities,
        "builtin_detectors": builtins,
        "default_mask_tag": "REDACTED",
    })))
}

pub async fn presets(State(services): State<Services>, Caller(principal): Caller) -> Result<Json<Value>, ApiError> {
    let presets = services.guardrail_presets(&principal)?;
    Ok(Json(json!({ "data": presets })))
}

pub async fn create(State(services): State<Services>, Caller(principal): Caller, ApiJson(req): ApiJson<GuardrailRequest>) -> Result<Response, ApiError> {
    let view = services.create_guardrail(&principal, req.config, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(posture_dto::guardrail(&view))).into_response())
}

pub async fn replace(
    State(services): State<Services>,
    Caller(principal): Caller,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<GuardrailRequest>,
) -> Result<Json<Value>, ApiError> {
    let view = services.update_guardrail(&principal, id, req.config, req.version, Utc::now()).await?;
    Ok(Json(posture_dto::guardrail(&view)))
}

pub async fn delete(State(services): State<Services>, Caller(principal): Caller, Path(id): Path<i64>) -> Result<Response, ApiError> {
    services.delete_guardrail(&principal, id, Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn revert(
    State(services): State<Services>,
    Caller(principal): Caller,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<RevertRequest>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(posture_dto::guardrail(&services.revert_guardrail(&principal, id, req.version, Utc::now()).await?)))
}

pub async fn apply_preset(
    State(services): State<Services>,
    Caller(principal): Caller,
    Path(slug): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    // The body is optional: an empty one means "a new guardrail named after the preset".
    let req: ApplyPresetRequest = if body.iter().all(u8::is_ascii_whitespace) {
        ApplyPresetRequest::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(req) => req,
            Err(err) => {
                let message = format!("invalid request body: {err}");
                return Ok(crate::api::error::api_error(StatusCode::BAD_REQUEST, "invalid_request_error", message));
            }
        }
    };
    let view = services.apply_guardrail_preset(&principal, &slug, req.name, req.guardrail_id, Utc::now()).await?;
    let status = if req.guardrail_id.is_some() { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(posture_dto::guardrail(&view))).into_response())
}

pub async fn test(State(services): State<Services>, Caller(principal): Caller, ApiJson(req): ApiJson<TestRequest>) -> Result<Json<Value>, ApiError> {
    let input = GuardrailTestInput {
        guardrail_id: req.guardrail_id,
        draft: req.draft,
        stage: req.stage,
        text: req.text,
        include_advanced: req.include_advanced,
    };
    let outcome = services.test_guardrail(&principal, input, Utc::now()).await?;
    let violations: Vec<Value> = outcome
        .violations
        .iter()
        .map(|v| {
            json!({
                "rule_id": v.rule_id,
                "rule_label": v.rule_label,
                "type": v.rule_type,
                "action": v.action,
                "entity": v.entity,
                "detail": v.detail,
                "span": v.span.map(|(start, end)| [start, end]),
                "suppressed": v.suppressed,
            })
        })
        .collect();
    Ok(Json(json!({
        "blocked": outcome.blocked,
        "mutated": outcome.mutated,
        "text": outcome.text,
        "annotations": outcome.annotations,
        "violations": violations,
        "advanced_skipped": outcome.advanced_skipped,
    })))
}
