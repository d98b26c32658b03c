//! `/api/workspace/firewall` policy routes (SPEC §5.14–5.16): policies and rules CRUD, reorder, shadow
//! toggle (policy patch), templates, test sandbox. Thin adapters over `service::firewall`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::posture_dto;
use crate::api::{ApiError, ApiJson, Caller};
use crate::engine::firewall::{DefaultVerdict, Destination, PolicyConfig, RuleConfig, Surface};
use crate::service::firewall::{FirewallTestInput, PolicyPatch};
use crate::service::Services;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyPatchRequest {
    pub name: Option<String>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
    pub default_verdict: Option<DefaultVerdict>,
    pub shadow_mode: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplaceRulesRequest {
    pub rules: Vec<RuleConfig>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplyTemplateRequest {
    pub template: String,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestRequest {
    #[serde(default)]
    pub policy_id: Option<i64>,
    #[serde(default)]
    pub draft: Option<PolicyConfig>,
    pub surface: Surface,
    pub tool_name: String,
    #[serde(default)]
    pub skill_name: Option<String>,
    #[serde(default)]
    pub arguments: Option<Value>,
    #[serde(default)]
    pub destination: Option<Destination>,
    #[serde(default)]
    pub run_spend_cents: i64,
    #[serde(default)]
    pub cost_estimate_cents: i64,
    #[serde(default)]
    pub shadow: Option<bool>,
}

pub async fn list(State(services): State<Services>, Caller(principal): Caller) -> Result<Json<Value>, ApiError> {
    let views = services.list_policies(&principal).await?;
    Ok(Json(json!({ "data": views.iter().map(posture_dto::policy).collect::<Vec<_>>() })))
}

pub async fn get(State(services): State<Services>, Caller(principal): Caller, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    Ok(Json(posture_dto::policy(&services.get_policy(&principal, id).await?)))
}

pub async fn create(State(services): State<Services>, Caller(principal): Caller, ApiJson(req): ApiJson<PolicyConfig>) -> Result<Response, ApiError> {
    let view = services.create_policy(&principal, req, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(posture_dto::policy(&view))).into_response())
}

pub async fn update(
    State(services): State<Services>,
    Caller(principal): Caller,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<PolicyPatchRequest>,
) -> Result<Json<Value>, ApiError> {
    let patch = PolicyPatch {
        name: req.name,
        description: req.description,
        enabled: req.enabled,
        default_verdict: req.default_verdict,
        shadow_mode: req.shadow_mode,
    };
    Ok(Json(posture_dto::policy(&services.update_policy(&principal, id, patch, Utc::now()).await?)))
}

pub async fn delete(State(services): State<Services>, Caller(principal): Caller, Path(id): Path<i64>) -> Result<Response, ApiError> {
    services.delete_policy(&principal, id, Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn create_rule(
    State(services): State<Services>,
    Caller(principal): Caller,
    Path(id): Path<i64>,
    ApiJson(rule): ApiJson<RuleConfig>,
) -> Result<Response, ApiError> {
    let (view, rule_id) = services.create_rule(&principal, id, rule, Utc::now()).await?;
    let policy = posture_dto::policy(&view);
    let rule = policy["rules"].as_array().and_then(|rules| rules.iter().find(|r| r["id"] == rule_id).cloned()).unwrap_or(Value::Null);
    Ok((StatusCode::CREATED, Json(json!({ "rule": rule, "policy": policy }))).into_response())
}

pub async fn update_rule(
    State(services): State<Services>,
    Caller(principal): Caller,
    Path((id, rule_id)): Path<(i64, i64)>,
    ApiJson(patch): ApiJson<serde_json::Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    let view = services.update_rule(&principal, id, rule_id, patch, Utc::now()).await?;
    let policy = posture_dto::policy(&view);
    let rule = policy["rules"].as_array().and_then(|rules| rules.iter().find(|r| r["id"] == rule_id).cloned()).unwrap_or(Value::Null);
    Ok(Json(json!({ "rule": rule, "policy": policy })))
}

pub async fn delete_rule(State(services): State<Services>, Caller(principal): Caller, Path((id, rule_id)): Path<(i64, i64)>) -> Result<Response, ApiError> {
    services.delete_rule(&principal, id, rule_id, Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn replace_rules(
    State(services): State<Services>,
    Caller(principal): Caller,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<ReplaceRulesRequest>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(posture_dto::policy(&services.replace_rules(&principal, id, req.rules, Utc::now()).await?)))
}

pub async fn templates(State(services): State<Services>, Caller(principal): Caller) -> Result<Json<Value>, ApiError> {
    let templates = services.firewall_templates(&principal)?;
    let data: Vec<Value> = templates.into_iter().map(|(slug, policy)| json!({ "template": slug, "policy": policy })).collect();
    Ok(Json(json!({ "data": data })))
}

pub async fn apply_template(State(services): State<Services>, Caller(principal): Caller, ApiJson(req): ApiJson<ApplyTemplateRequest>) -> Result<Response, ApiError> {
    let view = services.apply_firewall_template(&principal, &req.template, req.name, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(posture_dto::policy(&view))).into_response())
}

pub async fn test(State(services): State<Services>, Caller(principal): Caller, ApiJson(req): ApiJson<TestRequest>) -> Result<Json<Value>, ApiError> {
    let input = FirewallTestInput {
        policy_id: req.policy_id,
        draft: req.draft,
        surface: req.surface,
        tool_name: req.tool_name,
        skill_name: req.skill_name,
        arguments: req.arguments,
        destination: req.destination,
        run_spend_cents: req.run_spend_cents,
        cost_estimate_cents: req.cost_estimate_cents,
        shadow: req.shadow,
    };
    let outcome = services.test_firewall(&principal, input).await?;
    let e = &outcome.evaluation;
    let trace: Vec<Value> = e.trace.iter().map(|step| json!({ "rule_id": step.rule_id, "matched": step.matched, "why": step.why })).collect();
    Ok(Json(json!({
        "verdict": e.verdict.as_str(),
        "reason": e.reason,
        "policy_name": outcome.policy_name,
        "rule_id": e.rule_id,
        "rule_label": e.rule_label,
        "shadow": e.shadow,
        "gap": e.gap,
        "review": e.review,
        "cost_check": e.cost_check,
        "sanitized_arguments": e.sanitized_arguments,
        "trace": trace,
    })))
}
