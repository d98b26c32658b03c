//! The management REST API (`/api/*`): session-authenticated JSON in the §9.2 envelope.
//!
//! Authentication is applied to the whole router by `guard::authenticate`; only [`crate::auth::PUBLIC_ROUTES`]
//! pass without a session. Handlers are adapters: extract, convert, call one service method, convert back.

mod approvals;
pub mod dto;
pub mod error;
pub mod guard;
mod identity;
mod keys;
mod members;
mod openapi;
mod audit;
mod feeds;
mod autonomy;
mod firewall;
mod gateway;
mod guardrails;
mod mcp_servers;
mod posture_dto;
mod posture_routes;
mod providers;
mod matches_export;
mod suppressions;
mod workspace;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use crate::state::AppState;
pub use error::{ApiError, ApiJson};
pub use guard::Caller;
pub use openapi::{API_ROUTES, OPENAPI_JSON};

/// Builds the `/api` router (mounted by `startup`). A new route also goes into [`API_ROUTES`] and
/// `api/openapi.json`; `tests/it/openapi.rs` fails until it does.
pub fn build_api_router(state: &AppState) -> Router<AppState> {
    let body_limit = state.services.config.limits.api_body_bytes;
    Router::new()
        .route("/auth/login", post(identity::login))
        .route("/auth/setup", post(identity::setup))
        .route("/auth/logout", post(identity::logout))
        .route("/auth/me", get(identity::me))
        .route("/auth/password", post(identity::change_password))
        .route("/auth/workspace", post(identity::switch_workspace))
        .route("/keys", get(keys::list).post(keys::create))
        .route("/keys/{id}", get(keys::get).patch(keys::update).delete(keys::delete))
        .route("/keys/{id}/rotate", post(keys::rotate))
        .route("/members", get(members::list).post(members::add))
        .route("/members/{user_id}", axum::routing::patch(members::change_role).delete(members::remove))
        .route("/providers", get(providers::list).post(providers::create))
        .route("/providers/{id}", axum::routing::patch(providers::update).delete(providers::delete))
        .merge(posture_routes::routes())
        .merge(mcp_servers::routes())
        .merge(gateway::routes())
        .merge(approvals::routes())
        .route("/workspace/firewall/events", get(feeds::events))
        .route("/workspace/firewall/runs", get(feeds::runs))
        .route("/workspace/firewall/runs/{run_id}", get(feeds::trace))
        .route("/workspace/firewall/discovered", get(feeds::discovered))
        .route("/guardrails/matches", get(feeds::matches))
        .route("/guardrails/matches.csv", get(matches_export::matches_csv))
        .route("/guardrails/matches/{id}", get(feeds::match_get))
        .route("/guardrails/matches/{id}/mark-fp", post(suppressions::mark_fp))
        .route("/guardrails/suppressions", get(suppressions::list))
        .route("/guardrails/suppressions/{id}", axum::routing::delete(suppressions::delete))
        .route("/openapi.json", get(openapi::document))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), guard::authenticate))
        .layer(DefaultBodyLimit::max(body_limit))
}

async fn not_found() -> Response {
    error::api_error(StatusCode::NOT_FOUND, "not_found", "unknown /api route")
}
