//! The MCP Servers page for the console (SPEC §10): converts the register / edit form into the same
//! service inputs as `/api/workspace/firewall/mcp-servers`; permissions, validation, the SSRF check and
//! the audit rows stay in `service::mcp_registry`. Credentials travel one way: form → service.

use app::types::*;
use app::AppError;
use chrono::Utc;
use serde_json::{json, Value};

use crate::console::convert::app_error;
use crate::service::identity::Principal;
use crate::service::mcp_registry::{McpServerInput, McpServerPatch, ProbeOutcome};
use crate::service::Services;
use crate::store::mcp_servers::McpServerRecord;

fn server_view(record: McpServerRecord) -> McpServerView {
    McpServerView {
        id: record.id,
        auth_set: record.auth_enc.is_some(),
        name: record.name,
        endpoint: record.endpoint,
        auth_mode: record.auth_mode,
        enabled: record.enabled,
        status: record.status,
        tool_count: record.tool_count,
        last_probe_at: record.last_probe_at.map(|at| at.to_rfc3339()),
        last_error: record.last_error,
    }
}

/// The `auth` object for the form's mode, or `None` when every credential field is empty (keep or none).
fn auth_of(form: &McpServerForm) -> Option<Value> {
    let filled = |text: &str| !text.trim().is_empty();
    match form.auth_mode.as_str() {
        "bearer" if filled(&form.token) => Some(json!({"token": form.token.trim()})),
        "oauth" if filled(&form.token) => Some(json!({"access_token": form.token.trim()})),
        "basic" if filled(&form.username) || filled(&form.password) => Some(json!({"username": form.username.trim(), "password": form.password})),
        _ => None,
    }
}

pub async fn list(services: &Services, principal: &Principal) -> Result<Vec<McpServerView>, AppError> {
    let servers = services.list_mcp_servers(principal).await.map_err(app_error)?;
    Ok(servers.into_iter().map(server_view).collect())
}

pub async fn save(services: &Services, principal: &Principal, id: Option<i64>, form: McpServerForm) -> Result<i64, AppError> {
    let auth = auth_of(&form);
    let saved = match id {
        Some(id) => {
            let patch = McpServerPatch { name: Some(form.name), endpoint: Some(form.endpoint), auth_mode: Some(form.auth_mode), auth, enabled: None };
            services.update_mcp_server(principal, id, patch, Utc::now()).await
        }
        None => {
            let input = McpServerInput { name: form.name, endpoint: form.endpoint, auth_mode: Some(form.auth_mode), auth, enabled: Some(true) };
            services.create_mcp_server(principal, input, Utc::now()).await
        }
    };
    saved.map(|record| record.id).map_err(app_error)
}

pub async fn set_enabled(services: &Services, principal: &Principal, id: i64, enabled: bool) -> Result<(), AppError> {
    let patch = McpServerPatch { enabled: Some(enabled), ..Default::default() };
    services.update_mcp_server(principal, id, patch, Utc::now()).await.map(|_| ()).map_err(app_error)
}

pub async fn delete(services: &Services, principal: &Principal, id: i64) -> Result<(), AppError> {
    services.delete_mcp_server(principal, id, Utc::now()).await.map_err(app_error)
}

pub async fn probe(services: &Services, principal: &Principal, id: i64) -> Result<McpProbeView, AppError> {
    let record = services.get_mcp_server(principal, id).await.map_err(app_error)?;
    let outcome: ProbeOutcome = services.probe_mcp_server(principal, id, Utc::now()).await.map_err(app_error)?;
    Ok(McpProbeView {
        server_name: record.name,
        status: outcome.status.to_owned(),
        latency_ms: outcome.latency_ms,
        error: outcome.error,
        tools: outcome.tools.into_iter().map(|tool| McpToolView { namespaced_name: tool.namespaced_name, description: tool.description }).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_builds_the_credentials_of_its_mode_and_blank_fields_keep_the_stored_ones() {
        let form = |mode: &str, token: &str| McpServerForm { auth_mode: mode.into(), token: token.into(), ..Default::default() };
        assert_eq!(auth_of(&form("bearer", " t ")), Some(json!({"token": "t"})));
        assert_eq!(auth_of(&form("oauth", "a")), Some(json!({"access_token": "a"})));
        assert_eq!(auth_of(&form("bearer", "")), None);
        assert_eq!(auth_of(&form("none", "ignored")), None);
        let basic = McpServerForm { auth_mode: "basic".into(), username: "u".into(), password: "p w".into(), ..Default::default() };
        assert_eq!(auth_of(&basic), Some(json!({"username": "u", "password": "p w"})));
    }
}
