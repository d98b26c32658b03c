//! The server-side port of the console (ssr only). `server::console` implements it over the service
//! layer and provides it as `Arc<dyn Backend>` through Leptos context; server functions call it and
//! nothing else. Identity and CSRF checks happen behind this port, on the server.

use std::sync::Arc;

use leptos::prelude::use_context;

use crate::error::AppError;
use crate::types::*;

/// What the console can ask of the server. Every `csrf` argument is the hidden `_csrf`-style form field
/// and is verified against the session before anything changes.
#[async_trait::async_trait]
pub trait Backend: Send + Sync {
    async fn session(&self) -> Result<SessionView, AppError>;
    async fn login(&self, email: String, password: String) -> Result<SessionView, AppError>;
    async fn logout(&self, csrf: String) -> Result<(), AppError>;
    async fn setup_token_valid(&self, token: String) -> Result<bool, AppError>;
    async fn complete_setup(&self, token: String, email: String, password: String) -> Result<(), AppError>;
    async fn change_password(&self, csrf: String, current: String, new: String) -> Result<(), AppError>;
    async fn switch_workspace(&self, csrf: String, workspace_id: i64) -> Result<(), AppError>;
    async fn list_keys(&self) -> Result<Vec<ApiKeyView>, AppError>;
    async fn create_key(&self, csrf: String, form: NewKeyForm) -> Result<CreatedKeyView, AppError>;
    async fn set_key_active(&self, csrf: String, id: i64, active: bool) -> Result<(), AppError>;
    async fn rotate_key(&self, csrf: String, id: i64) -> Result<CreatedKeyView, AppError>;
    async fn delete_key(&self, csrf: String, id: i64) -> Result<(), AppError>;
    async fn list_members(&self) -> Result<Vec<MemberView>, AppError>;
    async fn add_member(&self, csrf: String, email: String, role: String) -> Result<AddedMemberView, AppError>;
    async fn change_member_role(&self, csrf: String, user_id: i64, role: String) -> Result<(), AppError>;
    async fn remove_member(&self, csrf: String, user_id: i64) -> Result<(), AppError>;
    async fn posture(&self) -> Result<PostureView, AppError>;
    async fn simulate(&self, level: String) -> Result<SimulateView, AppError>;
    async fn apply_level(&self, csrf: String, level: String) -> Result<i64, AppError>;
    async fn undo_autonomy(&self, csrf: String, audit_id: i64, force: bool) -> Result<i64, AppError>;
    async fn audit(&self, verb: Option<String>, cursor: Option<String>) -> Result<AuditPageView, AppError>;
    async fn list_guardrails(&self) -> Result<Vec<GuardrailSummaryView>, AppError>;
    async fn guardrail(&self, id: i64) -> Result<GuardrailEditView, AppError>;
    async fn guardrail_presets(&self) -> Result<Vec<PresetView>, AppError>;
    async fn guardrail_meta(&self) -> Result<GuardrailMetaView, AppError>;
    async fn save_guardrail(&self, csrf: String, id: Option<i64>, version: Option<i64>, form: GuardrailForm) -> Result<i64, AppError>;
    async fn delete_guardrail(&self, csrf: String, id: i64) -> Result<(), AppError>;
    async fn revert_guardrail(&self, csrf: String, id: i64, version: i64) -> Result<(), AppError>;
    async fn apply_guardrail_preset(&self, csrf: String, slug: String) -> Result<i64, AppError>;
    async fn test_guardrail(&self, id: i64, stage: String, text: String) -> Result<GuardrailTestView, AppError>;
    async fn list_policies(&self) -> Result<Vec<PolicySummaryView>, AppError>;
    async fn policy(&self, id: i64) -> Result<PolicyEditView, AppError>;
    async fn save_policy(&self, csrf: String, id: Option<i64>, form: PolicyForm) -> Result<i64, AppError>;
    async fn delete_policy(&self, csrf: String, id: i64) -> Result<(), AppError>;
    async fn sandbox(&self, id: i64, call: SandboxCall) -> Result<SandboxView, AppError>;
    async fn feed_events(&self, query: EventQueryForm) -> Result<EventPageView, AppError>;
    async fn feed_matches(&self, query: MatchQueryForm) -> Result<MatchPageView, AppError>;
    /// Suppresses a match's fingerprint (Admin+); returns how many match rows were flagged.
    async fn mark_false_positive(&self, csrf: String, match_id: i64, note: String) -> Result<u64, AppError>;
    async fn list_suppressions(&self) -> Result<Vec<SuppressionView>, AppError>;
    async fn delete_suppression(&self, csrf: String, id: i64) -> Result<(), AppError>;
    /// The Approvals queue (Developer+) in `state` (default `pending`, oldest first).
    async fn list_approvals(&self, state: Option<String>, cursor: Option<String>) -> Result<ApprovalPageView, AppError>;
    /// Approves or rejects a pending approval (Developer+); first writer wins.
    async fn decide_approval(&self, csrf: String, approval_id: String, approve: bool, note: String) -> Result<ApprovalView, AppError>;
    async fn feed_runs(&self, cursor: Option<String>) -> Result<RunPageView, AppError>;
    async fn run_trace(&self, run_id: String) -> Result<RunTraceView, AppError>;
    async fn discovered_tools(&self, coverage: Option<String>, cursor: Option<String>) -> Result<DiscoveredPageView, AppError>;
    async fn settings(&self) -> Result<SettingsView, AppError>;
    async fn save_posture_settings(&self, csrf: String, form: PostureSettingsForm) -> Result<(), AppError>;
    async fn save_workspace_settings(&self, csrf: String, form: WorkspaceSettingsForm) -> Result<(), AppError>;
    /// Creates (no `id`) or edits a workspace provider; returns its id.
    async fn save_provider(&self, csrf: String, id: Option<i64>, form: ProviderForm) -> Result<i64, AppError>;
    async fn set_provider_enabled(&self, csrf: String, id: i64, enabled: bool) -> Result<(), AppError>;
    async fn delete_provider(&self, csrf: String, id: i64) -> Result<(), AppError>;
    async fn list_mcp_servers(&self) -> Result<Vec<McpServerView>, AppError>;
    /// Registers (no `id`) or edits an MCP server (Developer+); returns its id.
    async fn save_mcp_server(&self, csrf: String, id: Option<i64>, form: McpServerForm) -> Result<i64, AppError>;
    async fn set_mcp_server_enabled(&self, csrf: String, id: i64, enabled: bool) -> Result<(), AppError>;
    async fn delete_mcp_server(&self, csrf: String, id: i64) -> Result<(), AppError>;
    async fn probe_mcp_server(&self, csrf: String, id: i64) -> Result<McpProbeView, AppError>;
}

/// The backend provided by the server; a missing context is an internal error, never a panic.
pub fn backend() -> Result<Arc<dyn Backend>, AppError> {
    use_context::<Arc<dyn Backend>>().ok_or(AppError::Internal)
}
