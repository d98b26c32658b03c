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
        ServiceError::Invalid(_) | ServiceError::NameTaken(_) | ServiceError::Conflict(_) => {
            (StatusCode::BAD_REQUEST, "invalid_request_error", "invalid_request_error")
        }
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
