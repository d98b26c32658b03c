//! The MCP server registry (SPEC §2.14, §5.12): register, edit, delete and probe upstream MCP servers, the
//! background prober, and the gateway-plane listing (`GET /api/v1/firewall/mcp_servers`).
//!
//! Writes are posture changes (the gateway's tool set changes with them): they take the posture
//! transaction, bump `posture_version` and write `mcp_server_create|update|delete` (§6.6) in it. Credentials
//! are sealed with `crate::crypto` before they reach the store, decrypted only to call an enabled server or
//! for a key holding `mcp_credentials`, and never logged or returned to the console.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use crate::auth::roles::Capability;
use crate::domain::ApiKey;
use crate::service::identity::Principal;
use crate::service::posture::{audit, PostureAudit};
use crate::service::{FieldError, ServiceError, ServiceResult, Services};
use crate::store::{self, mcp_servers::McpServerFields, mcp_servers::McpServerRecord, mcp_servers::ProbeRecord};
use crate::upstream::mcp_client::{McpAuth, McpError, McpTarget};

/// Longest endpoint URL (§9.4).
const MAX_ENDPOINT: usize = 512;
/// Longest credential value accepted.
const MAX_SECRET: usize = 4096;
/// Longest `last_error` stored (§2.14).
const MAX_ERROR: usize = 512;
/// Each probe step and each gateway `tools/list` fetch gives up after this long (§5.12).
pub const LIST_TIMEOUT: Duration = Duration::from_secs(5);
/// A probe slower than this is `degraded` (§5.12).
const OK_UNDER: Duration = Duration::from_secs(2);
/// How often the background prober runs (§5.12).
pub const PROBE_EVERY: Duration = Duration::from_secs(300);

/// `auth_mode` values (§2.14).
pub const AUTH_MODES: [&str; 4] = ["none", "bearer", "oauth", "basic"];

/// `POST /mcp-servers` body, as parsed by the adapter.
#[derive(Clone, Debug, Default)]
pub struct McpServerInput {
    pub name: String,
    pub endpoint: String,
    pub auth_mode: Option<String>,
    pub auth: Option<Value>,
    pub enabled: Option<bool>,
}

/// `PATCH /mcp-servers/:id`; `None` = unchanged. A new `auth_mode` other than `none` needs `auth` unless
/// the mode is unchanged and credentials are already set.
#[derive(Clone, Debug, Default)]
pub struct McpServerPatch {
    pub name: Option<String>,
    pub endpoint: Option<String>,
    pub auth_mode: Option<String>,
    pub auth: Option<Value>,
    pub enabled: Option<bool>,
}

/// One tool a probe listed.
#[derive(Clone, Debug, PartialEq)]
pub struct ProbedTool {
    pub name: String,
    pub namespaced_name: String,
    pub description: Option<String>,
    pub input_schema: Value,
}

/// `POST /mcp-servers/:id/probe` result (§5.12).
#[derive(Clone, Debug, PartialEq)]
pub struct ProbeOutcome {
    pub status: &'static str,
    pub latency_ms: u64,
    pub tools: Vec<ProbedTool>,
    pub error: Option<String>,
}

/// A server as the gateway plane lists it; `auth` only for `mcp_credentials` keys.
#[derive(Clone, Debug, PartialEq)]
pub struct GatewayServer {
    pub name: String,
    pub endpoint: String,
    pub auth_mode: String,
    pub status: String,
    pub auth: Option<Value>,
}

/// `[A-Za-z0-9_-]{1,64}`: no `.`, which separates `<server>.<tool>` (§2.14).
fn check_name(raw: &str) -> Result<String, FieldError> {
    let name = raw.trim();
    let valid = (1..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if valid {
        Ok(name.to_owned())
    } else {
        Err(FieldError::new("name", "must be 1–64 characters of A–Z, a–z, 0–9, `_` or `-`"))
    }
}

fn check_auth_mode(mode: &str) -> Result<(), FieldError> {
    if AUTH_MODES.contains(&mode) {
        Ok(())
    } else {
        Err(FieldError::new("auth_mode", "must be one of none, bearer, oauth, basic"))
    }
}

/// The credential fields each mode takes.
fn auth_fields(mode: &str) -> &'static [&'static str] {
    match mode {
        "bearer" => &["token"],
        "oauth" => &["access_token"],
        "basic" => &["username", "password"],
        _ => &[],
    }
}

/// Validates `auth` for `mode` and returns the JSON to seal.
fn check_auth(mode: &str, auth: &Value) -> Result<String, FieldError> {
    let Some(object) = auth.as_object() else { return Err(FieldError::new("auth", "must be an object")) };
    let fields = auth_fields(mode);
    if let Some(unknown) = object.keys().find(|key| !fields.contains(&key.as_str())) {
        return Err(FieldError::new(format!("auth.{unknown}"), format!("is not a credential of auth mode `{mode}`")));
    }
    let mut sealed = Map::new();
    for field in fields {
        match object.get(*field).and_then(Value::as_str) {
            Some(value) if !value.is_empty() && value.len() <= MAX_SECRET && !value.chars().any(char::is_control) => {
                sealed.insert((*field).to_owned(), Value::String(value.to_owned()));
            }
            _ => return Err(FieldError::new(format!("auth.{field}"), "is required: a non-empty string without control characters")),
        }
    }
    Ok(Value::Object(sealed).to_string())
}

fn error_text(text: impl std::fmt::Display) -> String {
    text.to_string().chars().take(MAX_ERROR).collect()
}

fn metadata(record: &McpServerRecord) -> Value {
    json!({
        "id": record.id,
        "name": record.name,
        "endpoint": record.endpoint,
        "auth_mode": record.auth_mode,
        "auth_set": record.auth_enc.is_some(),
        "enabled": record.enabled,
    })
}

fn name_taken_or(err: sea_orm::DbErr, name: &str) -> ServiceError {
    if store::is_unique_violation(&err) {
        ServiceError::NameTaken(format!("MCP server name `{name}`"))
    } else {
        err.into()
    }
}

impl Services {
    /// Checks an endpoint: ≤ 512 characters, http(s), and every address it resolves to passes the dial
    /// guard now (the guard runs again on every call).
    async fn check_endpoint(&self, raw: &str) -> Result<String, FieldError> {
        let endpoint = raw.trim();
        if endpoint.is_empty() || endpoint.chars().count() > MAX_ENDPOINT {
            return Err(FieldError::new("endpoint", "must be 1–512 characters"));
        }
        if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
            return Err(FieldError::new("endpoint", "must be an http(s) URL"));
        }
        self.dial_guard.vet_url(endpoint).await.map_err(|refusal| FieldError::new("endpoint", refusal.to_string()))?;
        Ok(endpoint.to_owned())
    }

    /// Every MCP server of the workspace (Member).
    pub async fn list_mcp_servers(&self, principal: &Principal) -> ServiceResult<Vec<McpServerRecord>> {
        principal.require(Capability::ReadWorkspace)?;
        Ok(store::mcp_servers::list(&self.db, principal.workspace_id).await?)
    }

    /// One MCP server (Member).
    pub async fn get_mcp_server(&self, principal: &Principal, id: i64) -> ServiceResult<McpServerRecord> {
        principal.require(Capability::ReadWorkspace)?;
        store::mcp_servers::find(&self.db, principal.workspace_id, id).await?.ok_or(ServiceError::NotFound("MCP server"))
    }

    /// Registers a server (Developer+), audited `mcp_server_create`.
    pub async fn create_mcp_server(&self, principal: &Principal, input: McpServerInput, now: DateTime<Utc>) -> ServiceResult<McpServerRecord> {
        principal.require(Capability::EditPosture)?;
        let mut errors = Vec::new();
        let name = check_name(&input.name).map_err(|e| errors.push(e)).ok();
        let mode = input.auth_mode.unwrap_or_else(|| "none".into());
        let mode_ok = check_auth_mode(&mode).map_err(|e| errors.push(e)).is_ok();
        let auth_enc = match (&input.auth, mode_ok && mode != "none") {
            (Some(auth), true) => check_auth(&mode, auth).map_err(|e| errors.push(e)).ok().map(|plain| self.secrets.encrypt(&plain)),
            (None, true) => {
                errors.push(FieldError::new("auth", format!("is required with auth mode `{mode}`")));
                None
            }
            (Some(auth), false) if !auth.is_null() && mode_ok => {
                errors.push(FieldError::new("auth", "must be omitted with auth mode `none`"));
                None
            }
            _ => None,
        };
        let endpoint = self.check_endpoint(&input.endpoint).await.map_err(|e| errors.push(e)).ok();
        let (Some(name), Some(endpoint), true) = (name, endpoint, errors.is_empty()) else { return Err(ServiceError::Invalid(errors)) };
        let fields = McpServerFields { name, endpoint, auth_mode: mode, auth_enc, enabled: input.enabled.unwrap_or(true) };
        let posture = self.begin_posture(principal.workspace_id).await?;
        let record = store::mcp_servers::insert(&posture.txn, principal.workspace_id, &fields, now).await.map_err(|e| name_taken_or(e, &fields.name))?;
        let row = PostureAudit { verb: "mcp_server_create", target_type: "mcp_server", target_id: record.id.to_string(), metadata: metadata(&record) };
        audit(&posture.txn, principal, row, now).await?;
        posture.commit().await?;
        Ok(record)
    }

    /// Edits a server (Developer+), audited `mcp_server_update`; its upstream session is dropped.
    pub async fn update_mcp_server(&self, principal: &Principal, id: i64, patch: McpServerPatch, now: DateTime<Utc>) -> ServiceResult<McpServerRecord> {
        principal.require(Capability::EditPosture)?;
        let current = self.get_mcp_server(principal, id).await?;
        let mut errors = Vec::new();
        let name = match &patch.name {
            Some(name) => check_name(name).map_err(|e| errors.push(e)).ok(),
            None => Some(current.name.clone()),
        };
        let endpoint = match &patch.endpoint {
            Some(endpoint) if endpoint.trim() != current.endpoint => self.check_endpoint(endpoint).await.map_err(|e| errors.push(e)).ok(),
            _ => Some(current.endpoint.clone()),
        };
        let mode = patch.auth_mode.clone().unwrap_or_else(|| current.auth_mode.clone());
        let mode_ok = check_auth_mode(&mode).map_err(|e| errors.push(e)).is_ok();
        let auth_enc = match (&patch.auth, mode.as_str()) {
            (_, "none") => None,
            (Some(auth), _) if mode_ok => check_auth(&mode, auth).map_err(|e| errors.push(e)).ok().map(|plain| self.secrets.encrypt(&plain)),
            (None, _) if mode == current.auth_mode && current.auth_enc.is_some() => current.auth_enc.clone(),
            (None, _) if mode_ok => {
                errors.push(FieldError::new("auth", format!("is required when switching to auth mode `{mode}`")));
                None
            }
            _ => None,
        };
        let (Some(name), Some(endpoint), true) = (name, endpoint, errors.is_empty()) else { return Err(ServiceError::Invalid(errors)) };
        let fields = McpServerFields { name, endpoint, auth_mode: mode, auth_enc, enabled: patch.enabled.unwrap_or(current.enabled) };
        let posture = self.begin_posture(principal.workspace_id).await?;
        let record = store::mcp_servers::update(&posture.txn, id, &fields, now).await.map_err(|e| name_taken_or(e, &fields.name))?;
        let row = PostureAudit { verb: "mcp_server_update", target_type: "mcp_server", target_id: id.to_string(), metadata: metadata(&record) };
        audit(&posture.txn, principal, row, now).await?;
        posture.commit().await?;
        self.mcp.forget(id);
        Ok(record)
    }

    /// Deletes a server (Developer+), audited `mcp_server_delete`.
    pub async fn delete_mcp_server(&self, principal: &Principal, id: i64, now: DateTime<Utc>) -> ServiceResult<()> {
        principal.require(Capability::EditPosture)?;
        let posture = self.begin_posture(principal.workspace_id).await?;
        let record = store::mcp_servers::find(&posture.txn, principal.workspace_id, id).await?.ok_or(ServiceError::NotFound("MCP server"))?;
        store::mcp_servers::delete(&posture.txn, id).await?;
        let row = PostureAudit { verb: "mcp_server_delete", target_type: "mcp_server", target_id: id.to_string(), metadata: metadata(&record) };
        audit(&posture.txn, principal, row, now).await?;
        posture.commit().await?;
        self.mcp.forget(id);
        Ok(())
    }

    /// Probes a server now (Developer+) and stores the result on its row.
    pub async fn probe_mcp_server(&self, principal: &Principal, id: i64, now: DateTime<Utc>) -> ServiceResult<ProbeOutcome> {
        principal.require(Capability::EditPosture)?;
        let record = self.get_mcp_server(principal, id).await?;
        self.probe_record(&record, now).await
    }

    /// `initialize` + `tools/list` on a fresh session through the dial guard, classified ok / degraded /
    /// down (§5.12), and stored on the row.
    pub async fn probe_record(&self, record: &McpServerRecord, now: DateTime<Utc>) -> ServiceResult<ProbeOutcome> {
        let target = self.mcp_target(record)?;
        let started = Instant::now();
        let outcome = match self.mcp.initialize_fresh(&target, LIST_TIMEOUT).await {
            Err(err) => ProbeOutcome { status: "down", latency_ms: 0, tools: Vec::new(), error: Some(error_text(err)) },
            Ok(session) => match self.mcp.call_in(&target, &session, "tools/list", json!({}), LIST_TIMEOUT).await {
                Ok(result) => {
                    let slow = started.elapsed() >= OK_UNDER;
                    let tools = probed_tools(&record.name, &result);
                    ProbeOutcome { status: if slow { "degraded" } else { "ok" }, latency_ms: 0, tools, error: None }
                }
                Err(err) => ProbeOutcome { status: "degraded", latency_ms: 0, tools: Vec::new(), error: Some(error_text(format!("tools/list: {err}"))) },
            },
        };
        let outcome = ProbeOutcome { latency_ms: started.elapsed().as_millis() as u64, ..outcome };
        let tool_count = (outcome.error.is_none()).then_some(outcome.tools.len() as i64);
        let probe = ProbeRecord { status: outcome.status.into(), at: now, error: outcome.error.clone(), tool_count };
        store::mcp_servers::record_probe(&self.db, record.id, &probe).await?;
        Ok(outcome)
    }

    /// Marks a server `down` after a failed live fetch (gateway `tools/list`).
    pub async fn mark_mcp_down(&self, record: &McpServerRecord, error: &McpError, now: DateTime<Utc>) {
        let probe = ProbeRecord { status: "down".into(), at: now, error: Some(error_text(error)), tool_count: None };
        if let Err(err) = store::mcp_servers::record_probe(&self.db, record.id, &probe).await {
            tracing::warn!(error = %err, server = record.id, "could not mark an MCP server down");
        }
    }

    /// One pass of the background prober over every enabled server of every workspace.
    pub async fn probe_all_mcp_servers(&self) {
        let servers = match store::mcp_servers::list_enabled(&self.db).await {
            Ok(servers) => servers,
            Err(err) => return tracing::warn!(error = %err, "MCP prober could not list servers"),
        };
        for record in servers {
            if let Err(err) = self.probe_record(&record, Utc::now()).await {
                tracing::warn!(error = %err, server = record.id, "MCP probe could not be stored");
            }
        }
    }

    /// The client-side view of a server: endpoint and decrypted credentials. Only for enabled servers'
    /// calls and probes; a credential that does not decrypt is an internal error, never "no auth".
    pub fn mcp_target(&self, record: &McpServerRecord) -> ServiceResult<McpTarget> {
        let auth = match self.mcp_credentials(record)? {
            None => McpAuth::None,
            Some(value) => {
                let field = |name: &str| value.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
                match record.auth_mode.as_str() {
                    "bearer" => McpAuth::Bearer(field("token")),
                    "oauth" => McpAuth::Bearer(field("access_token")),
                    "basic" => McpAuth::Basic { username: field("username"), password: field("password") },
                    _ => McpAuth::None,
                }
            }
        };
        Ok(McpTarget { id: record.id, endpoint: record.endpoint.clone(), auth })
    }

    fn mcp_credentials(&self, record: &McpServerRecord) -> ServiceResult<Option<Value>> {
        let Some(sealed) = record.auth_enc.as_deref().filter(|_| record.auth_mode != "none") else { return Ok(None) };
        let plain = self.secrets.decrypt(sealed).map_err(|err| ServiceError::Internal(anyhow::anyhow!("MCP server {}: {err}", record.id)))?;
        serde_json::from_str(&plain).map(Some).map_err(|err| ServiceError::Internal(anyhow::anyhow!("MCP server {} credentials: {err}", record.id)))
    }

    /// `GET /api/v1/firewall/mcp_servers` (scope `mcp_servers`): the decrypted `auth` only for keys holding
    /// `mcp_credentials`, and never for a disabled server (§2.14).
    pub async fn gateway_mcp_servers(&self, key: &ApiKey) -> ServiceResult<Vec<GatewayServer>> {
        self.require_scope(key, "mcp_servers")?;
        let with_credentials = key.scopes.iter().any(|scope| scope == "mcp_credentials");
        let mut out = Vec::new();
        for record in store::mcp_servers::list(&self.db, key.workspace_id).await? {
            let auth = if with_credentials && record.enabled { self.mcp_credentials(&record)? } else { None };
            out.push(GatewayServer { name: record.name, endpoint: record.endpoint, auth_mode: record.auth_mode, status: record.status, auth });
        }
        Ok(out)
    }
}

/// The tools of a `tools/list` result, namespaced `<server>.<tool>`.
pub fn probed_tools(server: &str, result: &Value) -> Vec<ProbedTool> {
    result
        .get("tools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|tool| {
            let name = tool.get("name")?.as_str()?.to_owned();
            Some(ProbedTool {
                namespaced_name: format!("{server}.{name}"),
                description: tool.get("description").and_then(Value::as_str).map(str::to_owned),
                input_schema: tool.get("inputSchema").cloned().unwrap_or_else(|| json!({"type": "object"})),
                name,
            })
        })
        .collect()
}

/// Starts the background prober (every [`PROBE_EVERY`]); the first pass runs one period after startup.
pub fn spawn_prober(services: Services) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + PROBE_EVERY, PROBE_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            services.probe_all_mcp_servers().await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_allow_only_the_decided_alphabet() {
        assert_eq!(check_name(" git-hub_2 ").expect("valid"), "git-hub_2");
        for bad in ["", "a.b", "has space", "é", &"x".repeat(65)] {
            assert_eq!(check_name(bad).expect_err(bad).field, "name");
        }
    }

    #[test]
    fn credentials_are_checked_per_mode_and_name_the_field() {
        assert_eq!(check_auth("bearer", &json!({"token": "t"})).expect("ok"), r#"{"token":"t"}"#);
        assert_eq!(check_auth("basic", &json!({"username": "u"})).expect_err("password").field, "auth.password");
        assert_eq!(check_auth("oauth", &json!({"token": "t"})).expect_err("wrong key").field, "auth.token");
        assert_eq!(check_auth("bearer", &json!("t")).expect_err("object").field, "auth");
    }

    #[test]
    fn listed_tools_are_namespaced_with_schema_and_description_unchanged() {
        let result = json!({"tools": [{"name": "create_issue", "description": "d", "inputSchema": {"type": "object", "required": ["title"]}}, {"bad": 1}]});
        let tools = probed_tools("github", &result);
        assert_eq!(tools.len(), 1);
        assert_eq!(tools[0].namespaced_name, "github.create_issue");
        assert_eq!(tools[0].input_schema["required"][0], "title");
    }
}
