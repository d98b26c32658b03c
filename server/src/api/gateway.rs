//! The gateway plane's adapters (`/api/v1/firewall/*`, SPEC §1.3, §5.12, §5.13): the evaluate hook, the MCP
//! gateway's JSON-RPC framing over Streamable HTTP, and the MCP server listing for gateway keys.
//!
//! `guard::authenticate` already ran stages 1–3 (a gateway key, not expired, IP allowed); [`GatewayKey`]
//! adds stage 4 (rate limit). Errors use the §9.2 envelope, except inside `/mcp`, where JSON-RPC errors
//! and tool error results are the answer.

use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{request::Parts, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use crate::api::error::api_error;
use crate::api::ApiError;
use crate::domain::{ApiKey, KeyKind};
use crate::engine::firewall::{Destination, Surface};
use crate::http_util::{client_ip, new_request_id, REQUEST_ID_HEADER};
use crate::service::evaluate::{EvaluateInput, EvaluateOutput, GatewayOutcome};
use crate::service::mcp_gateway::{McpOutcome, RpcError};
use crate::service::relay::{Lineage, RequestContext};
use crate::service::approvals::is_approval_id;
use crate::service::{FieldError, ServiceError, Services};
use crate::state::AppState;

/// The gateway routes, relative to `/api`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/firewall/evaluate", post(evaluate))
        .route("/v1/firewall/mcp", post(mcp))
        .route("/v1/firewall/mcp_servers", get(mcp_servers))
}

/// An authenticated gateway key that passed its rate limit (stage 4).
pub struct GatewayKey(pub ApiKey);

impl FromRequestParts<AppState> for GatewayKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let key = parts.extensions.get::<ApiKey>().cloned().ok_or(ApiError(ServiceError::InvalidApiKey))?;
        // The guard lets a relay key through for its own approvals only; these routes are gateway-only.
        if key.kind != KeyKind::Gateway {
            return Err(ApiError(ServiceError::Forbidden("a relay key cannot be used here".into())));
        }
        state.services.check_rate_limit(&key)?;
        Ok(GatewayKey(key))
    }
}

fn context(key: ApiKey, parts: &Parts, started: Instant) -> RequestContext {
    let mut ctx = RequestContext::new(new_request_id(), key, client_ip(parts).map_or_else(String::new, |ip| ip.to_string()));
    ctx.started = started;
    ctx
}

fn with_request_id(mut response: Response, ctx: &RequestContext) -> Response {
    if let Ok(value) = HeaderValue::from_str(&ctx.request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

async fn read(body: Body, limit: usize) -> Result<Bytes, Response> {
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| api_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", format!("request body exceeds the limit of {limit} bytes")))
}

/// `POST /api/v1/firewall/evaluate` (scope `evaluate`).
pub async fn evaluate(State(services): State<Services>, GatewayKey(key): GatewayKey, req: Request) -> Response {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let mut ctx = context(key, &parts, started);
    if let Err(err) = services.require_scope(&ctx.key, "evaluate") {
        return with_request_id(ApiError(err).into_response(), &ctx);
    }
    let bytes = match read(body, services.config.limits.api_body_bytes).await {
        Ok(bytes) => bytes,
        Err(response) => return with_request_id(response, &ctx),
    };
    let mut outcome = GatewayOutcome { route: "evaluate", status: 200, ..Default::default() };
    let result = match parse_evaluate(&bytes) {
        Ok((input, lineage)) => {
            ctx.lineage = lineage;
            ctx.approval_ids = input.approval_id.iter().cloned().collect();
            services.evaluate_hook(&ctx, input).await
        }
        Err(err) => Err(err),
    };
    let response = match result {
        Ok((output, policy_id)) => {
            outcome.firewall_policy_id = policy_id;
            outcome.tool_calls = 1;
            Json(evaluate_json(&output)).into_response()
        }
        Err(err) => {
            let (status, code) = crate::api::error::status_and_code(&err);
            outcome.status = status.as_u16();
            outcome.error_code = Some(code);
            ApiError(err).into_response()
        }
    };
    services.record_gateway_request(&ctx, outcome).await;
    with_request_id(response, &ctx)
}

fn evaluate_json(output: &EvaluateOutput) -> Value {
    let mut body = json!({
        "verdict": output.verdict,
        "reason": output.reason,
        "policy_id": output.policy_id,
        "policy_name": output.policy_name,
        "rule_id": output.rule_id,
        "rule_label": output.rule_label,
        "shadow": output.shadow,
        "gap": output.gap,
        "event_id": output.event_id,
    });
    if let Some(arguments) = &output.arguments {
        body["arguments"] = arguments.clone();
    }
    if output.verdict == "pending_approval" {
        body["approval_id"] = json!(output.approval_id);
    }
    body
}

const EVALUATE_FIELDS: [&str; 11] = [
    "surface", "tool_name", "arguments", "skill_name", "destination", "run_id", "conversation_id", "step_id", "parent_step_id",
    "approval_id", "cost_estimate_cents",
];

/// The §5.13 body: every malformed field is reported by its path (422 `validation_error`).
pub fn parse_evaluate(bytes: &[u8]) -> Result<(EvaluateInput, Lineage), ServiceError> {
    let map = match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => map,
        Ok(_) => return Err(FieldError::new("body", "must be a JSON object").into()),
        Err(_) => return Err(FieldError::new("body", "is not valid JSON").into()),
    };
    let mut errors = Vec::new();
    for key in map.keys().filter(|key| !EVALUATE_FIELDS.contains(&key.as_str())) {
        errors.push(FieldError::new(key.clone(), "is not a field of the evaluate request"));
    }
    let surface = match map.get("surface").and_then(Value::as_str) {
        Some("inbound") => Some(Surface::Inbound),
        Some("response") => Some(Surface::Response),
        Some("mcp") => Some(Surface::Mcp),
        Some("egress") => Some(Surface::Egress),
        _ => {
            errors.push(FieldError::new("surface", "is required: one of inbound, response, mcp, egress"));
            None
        }
    };
    let tool_name = match map.get("tool_name") {
        Some(Value::String(name)) if tool_name_ok(name) => Some(name.clone()),
        _ => {
            errors.push(FieldError::new("tool_name", "is required: 1–128 characters without whitespace or control characters"));
            None
        }
    };
    let skill_name = match map.get("skill_name") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) if tool_name_ok(name) => Some(name.clone()),
        Some(_) => {
            errors.push(FieldError::new("skill_name", "must be null or 1–128 characters without whitespace or control characters"));
            None
        }
    };
    let arguments = map.get("arguments").filter(|value| !value.is_null()).cloned();
    let destination = parse_destination(map.get("destination"), &mut errors);
    let lineage = Lineage {
        run_id: lineage_field(&map, "run_id", &mut errors),
        conversation_id: lineage_field(&map, "conversation_id", &mut errors),
        step_id: lineage_field(&map, "step_id", &mut errors),
        parent_step_id: lineage_field(&map, "parent_step_id", &mut errors),
    };
    let approval_id = match map.get("approval_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) if is_approval_id(id) => Some(id.clone()),
        Some(_) => {
            errors.push(FieldError::new("approval_id", "must be null or an approval id (24 lowercase hex characters)"));
            None
        }
    };
    let cost_estimate_cents = match map.get("cost_estimate_cents") {
        None | Some(Value::Null) => 0,
        Some(value) => match value.as_i64().filter(|cents| *cents >= 0) {
            Some(cents) => cents,
            None => {
                errors.push(FieldError::new("cost_estimate_cents", "must be a non-negative integer"));
                0
            }
        },
    };
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let (Some(surface), Some(tool_name)) = (surface, tool_name) else { return Err(ServiceError::Invalid(errors)) };
    Ok((EvaluateInput { surface, tool_name, arguments, skill_name, destination, approval_id, cost_estimate_cents }, lineage))
}

fn tool_name_ok(name: &str) -> bool {
    !name.is_empty() && name.chars().count() <= 128 && !name.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Lineage ids and approval ids: null, or 1–128 characters of `[A-Za-z0-9._:-]` (as the §3.2 headers).
fn lineage_field(map: &Map<String, Value>, field: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    match map.get(field) {
        None | Some(Value::Null) => None,
        Some(Value::String(text))
            if !text.is_empty() && text.len() <= 128 && text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-')) =>
        {
            Some(text.clone())
        }
        Some(_) => {
            errors.push(FieldError::new(field, "must be null or 1–128 characters from [A-Za-z0-9._:-]"));
            None
        }
    }
}

fn parse_destination(value: Option<&Value>, errors: &mut Vec<FieldError>) -> Option<Destination> {
    let object = match value {
        None | Some(Value::Null) => return None,
        Some(Value::Object(object)) => object,
        Some(_) => {
            errors.push(FieldError::new("destination", "must be null or an object {host?, ips?, port?}"));
            return None;
        }
    };
    let mut destination = Destination::default();
    for key in object.keys().filter(|key| !["host", "ips", "port"].contains(&key.as_str())) {
        errors.push(FieldError::new(format!("destination.{key}"), "is not a destination field"));
    }
    match object.get("host") {
        None | Some(Value::Null) => {}
        Some(Value::String(host)) if !host.is_empty() && host.len() <= 253 && !host.chars().any(|c| c.is_whitespace() || c.is_control()) => {
            destination.host = Some(host.clone());
        }
        Some(_) => errors.push(FieldError::new("destination.host", "must be null or a hostname or IP of at most 253 characters")),
    }
    match object.get("ips") {
        None | Some(Value::Null) => {}
        Some(Value::Array(ips)) => {
            for (index, ip) in ips.iter().enumerate() {
                match ip.as_str().and_then(|text| text.parse().ok()) {
                    Some(ip) => destination.ips.push(ip),
                    None => errors.push(FieldError::new(format!("destination.ips[{index}]"), "must be an IPv4 or IPv6 address")),
                }
            }
        }
        Some(_) => errors.push(FieldError::new("destination.ips", "must be an array of IP addresses")),
    }
    match object.get("port") {
        None | Some(Value::Null) => {}
        Some(value) => match value.as_u64().and_then(|port| u16::try_from(port).ok()) {
            Some(port) => destination.port = Some(port),
            None => errors.push(FieldError::new("destination.port", "must be an integer 0–65535")),
        },
    }
    Some(destination)
}

/// `GET /api/v1/firewall/mcp_servers` (scope `mcp_servers`).
pub async fn mcp_servers(State(services): State<Services>, GatewayKey(key): GatewayKey) -> Result<Json<Value>, ApiError> {
    let servers = services.gateway_mcp_servers(&key).await?;
    let data: Vec<Value> = servers
        .into_iter()
        .map(|server| {
            let mut row = json!({"name": server.name, "endpoint": server.endpoint, "auth_mode": server.auth_mode, "status": server.status});
            if let Some(auth) = server.auth {
                row["auth"] = auth;
            }
            row
        })
        .collect();
    Ok(Json(json!({ "data": data })))
}

/// `POST /api/v1/firewall/mcp` (scope `mcp`): one JSON-RPC message per POST, answered as
/// `application/json`; notifications get 202 (§5.12). `GET` is 405 (no SSE stream is offered).
pub async fn mcp(State(services): State<Services>, GatewayKey(key): GatewayKey, req: Request) -> Response {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let mut ctx = context(key, &parts, started);
    if let Err(err) = services.require_scope(&ctx.key, "mcp") {
        return with_request_id(ApiError(err).into_response(), &ctx);
    }
    match crate::relay::wire::parse_headers(&parts.headers) {
        Ok((lineage, skill)) => {
            ctx.lineage = lineage;
            ctx.skill = skill;
        }
        Err(err) => return with_request_id(api_error(StatusCode::BAD_REQUEST, "invalid_request_error", err.to_string()), &ctx),
    }
    match crate::relay::approval_ids(&parts.headers) {
        Ok(ids) => ctx.approval_ids = ids,
        Err(err) => return with_request_id(api_error(StatusCode::BAD_REQUEST, "invalid_request_error", err.to_string()), &ctx),
    }
    let bytes = match read(body, services.config.limits.mcp_body_bytes).await {
        Ok(bytes) => bytes,
        Err(response) => return with_request_id(response, &ctx),
    };
    let mut outcome = McpOutcome::default();
    let (status, reply) = match serde_json::from_slice::<Value>(&bytes) {
        Err(_) => (StatusCode::OK, Some(rpc_error(Value::Null, RpcError::new(RpcError::PARSE_ERROR, "parse error: the body is not JSON")))),
        Ok(Value::Array(_)) => {
            (StatusCode::OK, Some(rpc_error(Value::Null, RpcError::new(RpcError::INVALID_REQUEST, "batches are not supported; send one message per request"))))
        }
        Ok(message) => dispatch(&services, &ctx, message, &mut outcome).await,
    };
    let gateway = GatewayOutcome {
        route: "mcp",
        status: status.as_u16(),
        error_code: None,
        firewall_policy_id: outcome.firewall_policy_id,
        tool_calls: outcome.tool_calls,
    };
    services.record_gateway_request(&ctx, gateway).await;
    let response = match reply {
        Some(reply) => (status, Json(reply)).into_response(),
        None => status.into_response(),
    };
    with_request_id(response, &ctx)
}

/// One JSON-RPC message: a request gets its response, a notification or a client response gets 202.
async fn dispatch(services: &Services, ctx: &RequestContext, message: Value, outcome: &mut McpOutcome) -> (StatusCode, Option<Value>) {
    let id = message.get("id").cloned();
    let valid_id = id.as_ref().is_none_or(|id| id.is_string() || id.is_number() || id.is_null());
    let method = message.get("method").and_then(Value::as_str);
    if message.get("jsonrpc").and_then(Value::as_str) != Some("2.0") || !valid_id {
        return (StatusCode::OK, Some(rpc_error(id.unwrap_or(Value::Null), RpcError::new(RpcError::INVALID_REQUEST, "not a JSON-RPC 2.0 message"))));
    }
    let (Some(method), Some(id)) = (method, id) else {
        // Notifications (`notifications/initialized`, …) and responses to server requests need no answer.
        if method.is_none() && message.get("result").is_none() && message.get("error").is_none() {
            return (StatusCode::OK, Some(rpc_error(Value::Null, RpcError::new(RpcError::INVALID_REQUEST, "a request needs a method"))));
        }
        return (StatusCode::ACCEPTED, None);
    };
    let params = message.get("params").cloned().unwrap_or_else(|| json!({}));
    match services.mcp_method(ctx, method, &params, outcome).await {
        Ok(result) => (StatusCode::OK, Some(json!({"jsonrpc": "2.0", "id": id, "result": result}))),
        Err(err) => (StatusCode::OK, Some(rpc_error(id, err))),
    }
}

fn rpc_error(id: Value, err: RpcError) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": err.code, "message": err.message}})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(body: &str) -> Vec<String> {
        match parse_evaluate(body.as_bytes()) {
            Err(ServiceError::Invalid(fields)) => fields.into_iter().map(|f| f.field).collect(),
            other => panic!("expected field errors, got {other:?}"),
        }
    }

    #[test]
    fn malformed_evaluate_bodies_name_every_bad_field() {
        assert_eq!(fields("[]"), ["body"]);
        assert_eq!(fields("{}"), ["surface", "tool_name"]);
        let bad = r#"{"surface":"mcp","tool_name":"a b","destination":{"ips":["nope"],"port":70000},"run_id":"has space","cost_estimate_cents":-1,"extra":1}"#;
        assert_eq!(fields(bad), ["extra", "tool_name", "destination.ips[0]", "destination.port", "run_id", "cost_estimate_cents"]);
    }

    #[test]
    fn the_documented_example_parses() {
        let body = r#"{"surface":"mcp","tool_name":"github.create_issue","arguments":{"title":"x"},"skill_name":null,
            "destination":{"host":"api.github.com","ips":[],"port":443},"run_id":"r1","conversation_id":null,
            "step_id":null,"parent_step_id":null,"approval_id":null,"cost_estimate_cents":0}"#;
        let (input, lineage) = parse_evaluate(body.as_bytes()).expect("valid");
        assert_eq!(input.surface, Surface::Mcp);
        assert_eq!(input.destination.expect("destination").port, Some(443));
        assert_eq!(lineage.run_id.as_deref(), Some("r1"));
    }
}
