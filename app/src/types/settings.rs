//! Settings DTOs: workspace and posture settings, workspace providers and registered MCP servers.

use serde::{Deserialize, Serialize};

/// An object a setting can point at (default policy, default guardrail).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RefView {
    pub id: i64,
    pub name: String,
}

/// One workspace provider; its API key is never sent, only whether one is set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProviderView {
    pub id: i64,
    pub name: String,
    pub base_url: String,
    pub api_key_set: bool,
    pub enabled: bool,
    /// One line per model: `id input_usd_per_mtok output_usd_per_mtok` (the form's own syntax).
    pub models_text: String,
    pub model_ids: Vec<String>,
}

/// The Settings page (SPEC §10): workspace settings, what the defaults may point at, and providers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SettingsView {
    pub workspace_name: String,
    pub observe_mode: bool,
    pub default_firewall_policy_id: Option<i64>,
    pub default_guardrail_id: Option<i64>,
    pub approval_webhook_url: Option<String>,
    pub approval_webhook_secret_set: bool,
    pub approval_ttl_seconds: i64,
    pub log_retention_days: i64,
    pub judge_model: Option<String>,
    pub policies: Vec<RefView>,
    pub guardrails: Vec<RefView>,
    pub providers: Vec<ProviderView>,
}

/// The posture settings form (Developer+); strings as the form posts them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PostureSettingsForm {
    pub observe_mode: bool,
    /// A policy id, or empty for none.
    pub default_firewall_policy_id: String,
    /// A guardrail id, or empty for none.
    pub default_guardrail_id: String,
    /// Empty clears the webhook.
    pub approval_webhook_url: String,
    /// Empty keeps the stored secret (unless `clear_webhook_secret`).
    pub approval_webhook_secret: String,
    pub clear_webhook_secret: bool,
    pub approval_ttl_seconds: String,
}

/// The workspace settings form (Admin+).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkspaceSettingsForm {
    pub name: String,
    pub log_retention_days: String,
    /// `provider/model`, or empty for none.
    pub judge_model: String,
}

/// The add / edit provider form (Admin+).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProviderForm {
    pub name: String,
    pub base_url: String,
    /// Empty keeps the stored key (unless `clear_api_key`).
    pub api_key: String,
    pub clear_api_key: bool,
    pub enabled: bool,
    /// One model per line: `id [input_usd_per_mtok [output_usd_per_mtok]]`.
    pub models: String,
}

/// A registered MCP server (SPEC §2.14); its credential is never sent, only whether one is set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct McpServerView {
    pub id: i64,
    pub name: String,
    pub endpoint: String,
    pub auth_mode: String,
    pub auth_set: bool,
    pub enabled: bool,
    pub status: String,
    pub tool_count: i64,
    pub last_probe_at: Option<String>,
    pub last_error: Option<String>,
}

/// The register / edit MCP server form (Developer+). Credential fields left empty keep the stored ones
/// when the auth mode is unchanged; `token` is the bearer token or the OAuth access token.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct McpServerForm {
    pub name: String,
    pub endpoint: String,
    pub auth_mode: String,
    pub token: String,
    pub username: String,
    pub password: String,
}

/// One tool a probe listed, under its gateway name `<server>.<tool>`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct McpToolView {
    pub namespaced_name: String,
    pub description: Option<String>,
}

/// A probe's outcome (SPEC §5.12).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct McpProbeView {
    pub server_name: String,
    pub status: String,
    pub latency_ms: u64,
    pub error: Option<String>,
    pub tools: Vec<McpToolView>,
}
