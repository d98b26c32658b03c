//! The OpenAI-compatible relay (`/v1/*`): wire types, the key extractor, the error envelope and the
//! routes. Every response carries `X-Palisade-Request-Id`; unknown paths are 404 `not_found` in the
//! OpenAI envelope. Chat completions and embeddings (`chat`) run the pipeline of `service::relay`.

mod chat;
pub mod error;
mod key;
mod models;
pub mod wire;

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;

use crate::http_util::{new_request_id, REQUEST_ID_HEADER};
use crate::state::AppState;
pub use chat::approval_ids;
pub use error::OpenAiError;
pub use key::RelayCaller;

/// Builds the `/v1` router (mounted by `startup`).
pub fn build_relay_router() -> Router<AppState> {
    Router::new()
        .route("/models", get(models::list_models))
        .route("/models/{provider}/{model}", get(models::get_model))
        .route("/chat/completions", post(chat::chat_completions))
        .route("/embeddings", post(chat::embeddings))
        .fallback(not_found)
        // The body limit is `limits.relay_body_bytes`, applied by the handlers after stages 1–4 (§1.5).
        .layer(DefaultBodyLimit::disable())
        .layer(middleware::from_fn(stamp_request_id))
}

async fn not_found() -> Response {
    error::openai_error(StatusCode::NOT_FOUND, "invalid_request_error", "not_found", "unknown /v1 route", None)
}

/// The request id of a relay request, made before the handler runs so every row it writes carries it.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// Header a client may send to name its agent run; echoed on the response (§1.5).
const RUN_ID_HEADER: &str = "x-palisade-run-id";

/// Gives every relay response its `X-Palisade-Request-Id` and echoes `X-Palisade-Run-Id`.
async fn stamp_request_id(mut req: Request, next: Next) -> Response {
    let request_id = new_request_id();
    let run_id = req.headers().get(RUN_ID_HEADER).cloned();
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let mut response = next.run(req).await;
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    if let Some(run_id) = run_id {
        response.headers_mut().insert(RUN_ID_HEADER, run_id);
    }
    response
}
