//! `GET /api/openapi.json`: the OpenAPI 3.1 description of every `/api` route, and [`API_ROUTES`], the
//! list of (method, path) pairs the `/api` router registers.
//!
//! The document is hand-maintained JSON (`openapi.json` beside this file) so the pure engine needs no
//! schema derives. It must not drift: `tests/it/openapi.rs` checks that the route registrations in
//! `api.rs` and `api/*.rs`, [`API_ROUTES`], the live router and the document all list the same routes,
//! and `.ci/test.sh` validates the document with `openapi-spec-validator`. Served as-is: no secrets, no
//! per-workspace data, but still behind the normal `/api` session guard (it is not in `PUBLIC_ROUTES`).

use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::api::Caller;

/// The document, compiled into the binary.
pub const OPENAPI_JSON: &str = include_str!("openapi.json");

/// Every (method, path) the `/api` router answers, paths relative to `/api` in axum's `{param}` syntax
/// (which is also OpenAPI's). Adding a route means adding it here and to `openapi.json`; the
/// integration test `openapi` fails until both are done.
pub const API_ROUTES: &[(&str, &str)] = &[
    ("POST", "/auth/login"),
    ("POST", "/auth/setup"),
    ("POST", "/auth/logout"),
    ("GET", "/auth/me"),
    ("POST", "/auth/password"),
    ("POST", "/auth/workspace"),
    ("GET", "/keys"),
    ("POST", "/keys"),
    ("GET", "/keys/{id}"),
    ("PATCH", "/keys/{id}"),
    ("DELETE", "/keys/{id}"),
    ("POST", "/keys/{id}/rotate"),
    ("GET", "/members"),
    ("POST", "/members"),
    ("PATCH", "/members/{user_id}"),
    ("DELETE", "/members/{user_id}"),
    ("GET", "/providers"),
    ("POST", "/providers"),
    ("PATCH", "/providers/{id}"),
    ("DELETE", "/providers/{id}"),
    ("GET", "/guardrails"),
    ("POST", "/guardrails"),
    ("GET", "/guardrails/meta"),
    ("GET", "/guardrails/presets"),
    ("POST", "/guardrails/presets/{slug}/apply"),
    ("POST", "/guardrails/test"),
    ("GET", "/guardrails/matches"),
    ("GET", "/guardrails/matches.csv"),
    ("GET", "/guardrails/matches/{id}"),
    ("POST", "/guardrails/matches/{id}/mark-fp"),
    ("GET", "/guardrails/suppressions"),
    ("DELETE", "/guardrails/suppressions/{id}"),
    ("GET", "/guardrails/{id}"),
    ("PUT", "/guardrails/{id}"),
    ("DELETE", "/guardrails/{id}"),
    ("GET", "/guardrails/{id}/history"),
    ("GET", "/guardrails/{id}/keys"),
    ("POST", "/guardrails/{id}/revert"),
    ("GET", "/workspace"),
    ("PATCH", "/workspace/settings"),
    ("GET", "/workspace/firewall/policies"),
    ("POST", "/workspace/firewall/policies"),
    ("GET", "/workspace/firewall/policies/{id}"),
    ("PATCH", "/workspace/firewall/policies/{id}"),
    ("DELETE", "/workspace/firewall/policies/{id}"),
    ("POST", "/workspace/firewall/policies/{id}/rules"),
    ("PUT", "/workspace/firewall/policies/{id}/rules"),
    ("PATCH", "/workspace/firewall/policies/{id}/rules/{rule_id}"),
    ("DELETE", "/workspace/firewall/policies/{id}/rules/{rule_id}"),
    ("GET", "/workspace/firewall/templates"),
    ("POST", "/workspace/firewall/templates/apply"),
    ("POST", "/workspace/firewall/test"),
    ("GET", "/workspace/firewall/autonomy"),
    ("POST", "/workspace/firewall/autonomy"),
    ("GET", "/workspace/firewall/simulate"),
    ("POST", "/workspace/firewall/autonomy/undo/{audit_id}"),
    ("GET", "/workspace/firewall/events"),
    ("GET", "/workspace/firewall/runs"),
    ("GET", "/workspace/firewall/runs/{run_id}"),
    ("GET", "/workspace/firewall/discovered"),
    ("GET", "/workspace/firewall/mcp-servers"),
    ("POST", "/workspace/firewall/mcp-servers"),
    ("GET", "/workspace/firewall/mcp-servers/{id}"),
    ("PATCH", "/workspace/firewall/mcp-servers/{id}"),
    ("DELETE", "/workspace/firewall/mcp-servers/{id}"),
    ("POST", "/workspace/firewall/mcp-servers/{id}/probe"),
    ("POST", "/v1/firewall/evaluate"),
    ("POST", "/v1/firewall/mcp"),
    ("GET", "/v1/firewall/mcp_servers"),
    ("GET", "/workspace/firewall/approvals"),
    ("GET", "/workspace/firewall/approvals/{id}"),
    ("POST", "/workspace/firewall/approvals/{id}/approve"),
    ("POST", "/workspace/firewall/approvals/{id}/reject"),
    ("GET", "/v1/firewall/approvals/{id}"),
    ("POST", "/v1/firewall/approvals/{id}/decision"),
    ("GET", "/audit"),
    ("GET", "/audit/{id}"),
    ("GET", "/openapi.json"),
];

/// Serves the document. `Caller` is redundant with the router's guard; it keeps the handler safe if it
/// is ever mounted elsewhere.
pub async fn document(_caller: Caller) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_json_with_an_openapi_version() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI_JSON).expect("openapi.json parses");
        assert_eq!(doc["openapi"].as_str().map(|v| v.starts_with("3.1")), Some(true), "{}", doc["openapi"]);
    }
}
