//! The `/api` error envelope (SPEC §9.2) and the JSON extractor that reports malformed bodies in it.
//!
//! The only place a `ServiceError` becomes an `/api` response. 5xx causes are logged here, once, and never
//! sent to the client.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::service::ServiceError;

/// A service error rendered in the `/api` envelope.
#[derive(Debug)]
pub struct ApiError(pub ServiceError);

impl From<ServiceError> for ApiError {
    fn from(err: ServiceError) -> Self {
        ApiError(err)
    }
}

/// An error that has no `ServiceError` counterpart (malformed request, unknown route).
pub fn api_error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (status, axum::Json(json!({ "error": { "code": code, "message": message.into() } }))).into_response()
}

/// Status and code of each service error on the `/api` plane.
pub fn status_and_code(err: &ServiceError) -> (StatusCode, &'static str) {
    match err {
        ServiceError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
        ServiceError::ModelNotFound(_) => (StatusCode::NOT_FOUND, "model_not_found"),
        ServiceError::NameTaken(_) => (StatusCode::CONFLICT, "name_taken"),
        ServiceError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "validation_error"),
        ServiceError::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "unauthenticated"),
        ServiceError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
        ServiceError::CsrfFailed => (StatusCode::FORBIDDEN, "csrf_failed"),
        ServiceError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
        ServiceError::InvalidApiKey => (StatusCode::UNAUTHORIZED, "invalid_api_key"),
        ServiceError::KeyExpired => (StatusCode::UNAUTHORIZED, "key_expired"),
        ServiceError::AccessDenied => (StatusCode::FORBIDDEN, "access_denied"),
        ServiceError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
        ServiceError::VersionMismatch(..) => (StatusCode::CONFLICT, "version_mismatch"),
        ServiceError::StaleUndo { .. } => (StatusCode::CONFLICT, "stale_undo"),
        ServiceError::UndoUnavailable => (StatusCode::CONFLICT, "undo_unavailable"),
        ServiceError::ApprovalNotPending { .. } => (StatusCode::CONFLICT, "approval_not_pending"),
        ServiceError::InvalidSignature(_) => (StatusCode::UNAUTHORIZED, "invalid_signature"),
        ServiceError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal_error"),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = status_and_code(&self.0);
        if let ServiceError::Internal(cause) = &self.0 {
            tracing::error!(error = ?cause, "internal error on /api");
        }
        let mut body = json!({ "error": { "code": code, "message": self.0.to_string() } });
        if let ServiceError::Invalid(fields) = &self.0 {
            body["error"]["fields"] =
                fields.iter().map(|field| json!({ "field": field.field, "message": field.message })).collect();
        }
        if let ServiceError::StaleUndo { changes } = &self.0 {
            body["error"]["details"] = json!({
                "changes_since": changes.iter().map(|(id, verb)| json!({ "audit_id": id, "verb": verb })).collect::<Vec<_>>()
            });
        }
        if let ServiceError::ApprovalNotPending { state } = &self.0 {
            body["error"]["details"] = json!({ "state": state });
        }
        let mut response = (status, axum::Json(body)).into_response();
        if let ServiceError::RateLimited { retry_after_secs } = self.0 {
            if let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

/// `axum::Json` whose rejections use the `/api` envelope: 400 `invalid_request_error` for malformed JSON
/// or a wrong content type, 413 `payload_too_large` for oversized bodies.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(&rejection)),
        }
    }
}

/// Describes a JSON rejection without echoing the body.
pub fn json_rejection(rejection: &JsonRejection) -> Response {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return api_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "request body is too large");
    }
    let message = match rejection {
        JsonRejection::MissingJsonContentType(_) => "expected `Content-Type: application/json`".to_owned(),
        JsonRejection::JsonSyntaxError(_) => "request body is not valid JSON".to_owned(),
        JsonRejection::JsonDataError(err) => format!("invalid request body: {}", err.body_text()),
        _ => "could not read the request body".to_owned(),
    };
    api_error(StatusCode::BAD_REQUEST, "invalid_request_error", message)
}
