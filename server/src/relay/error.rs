//! The OpenAI-shaped `/v1` error envelope (SPEC §9.1): the only place a `ServiceError` becomes a relay
//! response, so OpenAI SDKs raise their usual exception types and branch on our `code`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::service::ServiceError;

/// A service error rendered in the OpenAI envelope.
#[derive(Debug)]
pub struct OpenAiError(pub ServiceError);

impl From<ServiceError> for OpenAiError {
    fn from(err: ServiceError) -> Self {
        OpenAiError(err)
    }
}

/// Builds an OpenAI-shaped error response.
pub fn openai_error(status: StatusCode, kind: &str, code: &str, message: impl Into<String>, param: Option<&str>) -> Response {
    let body = json!({ "error": { "message": message.into(), "type": kind, "param": param, "code": code } });
    (status, axum::Json(body)).into_response()
}

fn shape(err: &ServiceError) -> (StatusCode, &'static str, &'static str) {
    match err {
        ServiceError::InvalidApiKey | ServiceError::Unauthenticated(_) => {
            (StatusCode::UNAUTHORIZED, "authentication_error", "invalid_api_key")
        }
        ServiceError::KeyExpired => (StatusCode::UNAUTHORIZED, "authentication_error", "key_expired"),
        ServiceError::AccessDenied => (StatusCode::FORBIDDEN, "permission_error", "access_denied"),
        ServiceError::Forbidden(_) | ServiceError::CsrfFailed => (StatusCode::FORBIDDEN, "permission_error", "forbidden"),
        ServiceError::NotFound(_) => (StatusCode::NOT_FOUND, "invalid_request_error", "not_found"),
        ServiceError::ModelNotFound(_) => (StatusCode::NOT_FOUND, "invalid_request_error", "model_not_found"),
        ServiceError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limit_error", "rate_limited"),
        ServiceError::Invalid(_)
        | ServiceError::NameTaken(_)
        | ServiceError::Conflict(_)
        | ServiceError::VersionMismatch(..)
        | ServiceError::StaleUndo { .. }
        | ServiceError::UndoUnavailable
        | ServiceError::ApprovalNotPending { .. } => {
            (StatusCode::BAD_REQUEST, "invalid_request_error", "invalid_request_error")
        }
        ServiceError::InvalidSignature(_) => (StatusCode::UNAUTHORIZED, "authentication_error", "invalid_signature"),
        ServiceError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "api_error", "internal_error"),
    }
}

impl IntoResponse for OpenAiError {
    fn into_response(self) -> Response {
        let (status, kind, code) = shape(&self.0);
        if let ServiceError::Internal(cause) = &self.0 {
            tracing::error!(error = ?cause, "internal error on /v1");
        }
        let param = match &self.0 {
            ServiceError::Invalid(fields) => fields.first().map(|field| field.field.clone()),
            _ => None,
        };
        let mut response = openai_error(status, kind, code, self.0.to_string(), param.as_deref());
        if let ServiceError::RateLimited { retry_after_secs } = self.0 {
            if let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

/// A relay pipeline failure rendered in the OpenAI envelope, with Palisade's `details` (§9.1).
#[derive(Debug)]
pub struct RelayFailure(pub crate::service::relay::RelayError);

/// The OpenAI `type` of a §9.3 code.
fn kind_of(code: &str) -> &'static str {
    match code {
        "invalid_api_key" | "key_expired" => "authentication_error",
        "insufficient_quota" => "insufficient_quota",
        "access_denied" | "model_not_allowed" | "forbidden" => "permission_error",
        "rate_limited" => "rate_limit_error",
        "internal_error" => "api_error",
        "upstream_error" | "upstream_timeout" => "upstream_error",
        _ => "invalid_request_error",
    }
}

/// The `{"error": {…}}` body of a relay failure (also the `data:` of an SSE `event: error`).
pub fn relay_error_body(err: &crate::service::relay::RelayError) -> serde_json::Value {
    use crate::service::relay::RelayError;
    let code = err.code();
    let param = match err {
        RelayError::Service(ServiceError::Invalid(fields)) => fields.first().map(|field| field.field.clone()),
        _ => None,
    };
    let mut body = json!({ "error": { "message": err.to_string(), "type": kind_of(code), "param": param, "code": code } });
    let details = match err {
        RelayError::GuardrailBlocked { guardrail_id, guardrail_name, rule_label, stage } => {
            Some(json!({"guardrail_id": guardrail_id, "guardrail_name": guardrail_name, "rule_label": rule_label, "stage": stage}))
        }
        RelayError::FirewallBlocked { tools, .. } => Some(json!({"tools": tools})),
        RelayError::ApprovalPending { tools, approval_ids, .. } => Some(json!({"tools": tools, "approval_ids": approval_ids})),
        _ => None,
    };
    if let Some(details) = details {
        body["error"]["details"] = details;
    }
    body
}

impl IntoResponse for RelayFailure {
    fn into_response(self) -> Response {
        use crate::service::relay::RelayError;
        match self.0 {
            // Plain service errors keep their one rendering (Retry-After, param, 5xx logging).
            RelayError::Service(err) => OpenAiError(err).into_response(),
            err => {
                if let RelayError::Upstream(cause) = &err {
                    tracing::warn!(error = %cause, "upstream failure on /v1");
                }
                let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_GATEWAY);
                (status, axum::Json(relay_error_body(&err))).into_response()
            }
        }
    }
}
