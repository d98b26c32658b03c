//! The OpenAI-compatible relay (`/v1/*`): wire types, the key extractor, the error envelope and the
//! routes. Every response carries `X-Palisade-Request-Id`; unknown paths are 404 `not_found` in the
//! OpenAI envelope. Chat completions and embeddings arrive with the relay pipeline (issue 5).

pub mod error;
mod key;
mod models;

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use crate::http_util::{new_request_id, REQUEST_ID_HEADER};
use crate::state::AppState;
pub use error::OpenAiError;
pub use key::RelayCaller;

/// Builds the `/v1` router (mounted by `startup`).
pub fn build_relay_router() -> Router<AppState> {
    Router::new()
        .route("/models", get(models::list_models))
        .route("/models/{provider}/{model}", get(models::get_model))
        .fallback(not_found)
        .layer(middleware::from_fn(stamp_request_id))
}

async fn not_found() -> Response {
    error::openai_error(StatusCode::NOT_FOUND, "invalid_request_error", "not_found", "unknown /v1 route", None)
}

/// Gives every relay response its `X-Palisade-Request-Id`.
async fn stamp_request_id(req: Request, next: Next) -> Response {
    let request_id = new_request_id();
    let mut response = next.run(req).await;
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}
