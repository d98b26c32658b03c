//! Console DTOs: plain serde data shared by the server and the browser builds. They know nothing of
//! the database; `server::console` converts domain types into them.

use serde::{Deserialize, Serialize};

/// Role names, lowest first; the console compares ranks to decide what to show.
pub const ROLES: [&str; 4] = ["member", "developer", "admin", "owner"];

/// The rank of a role name (unknown names rank lowest).
pub fn role_rank(role: &str) -> usize {
    ROLES.iter().position(|candidate| *candidate == role).unwrap_or(0)
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MembershipView {
    pub workspace_id: i64,
    pub workspace_name: String,
    pub role: String,
}

/// The signed-in user, their active workspace and the CSRF token for forms.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionView {
    pub user_id: i64,
    pub email: String,
    pub display_name: String,
    pub must_change_password: bool,
    pub workspace_id: i64,
    pub workspace_name: String,
    pub role: String,
    pub memberships: Vec<MembershipView>,
    pub csrf_token: String,
}

impl SessionView {
    /// True when the user's role is `role` or higher.
    pub fn at_least(&self, role: &str) -> bool {
        role_rank(&self.role) >= role_rank(role)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiKeyView {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub key_hint: String,
    pub scopes: Vec<String>,
    pub active: bool,
    pub environment: Option<String>,
    pub model_allowlist: Option<Vec<String>>,
    pub ip_allowlist: Vec<String>,
    pub credit_limit_usd: f64,
    pub spent_usd: f64,
    pub rate_limit_rpm: i64,
    pub expires_at: Option<String>,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

/// The create-key form (every field a string, as a form posts it).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NewKeyForm {
    pub name: String,
    pub kind: String,
    pub environment: String,
    /// One of `never`, `1h`, `1d`, `7d`, `30d`, `90d`, `1y`.
    pub expires: String,
    pub rate_limit_rpm: String,
    pub credit_limit_usd: String,
    /// Comma- or newline-separated `provider/model` entries; empty = no allow-list.
    pub model_allowlist: String,
    /// Comma- or newline-separated IPs or CIDRs; empty = any.
    pub ip_allowlist: String,
}

/// A key with its secret, shown once after create or rotate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CreatedKeyView {
    pub key: ApiKeyView,
    pub secret: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemberView {
    pub user_id: i64,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub added_at: String,
}

/// A member just added; the one-time password is shown once when the account was created.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AddedMemberView {
    pub member: MemberView,
    pub one_time_password: Option<String>,
}

/// One line of a level card: what the level writes (SPEC §6.2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LevelCardView {
    pub level: String,
    pub summary: String,
    pub firewall: Vec<String>,
    pub guardrail: Vec<String>,
    pub observe_mode: bool,
}

/// The last autonomy change, for the Posture page's undo.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AutonomyChangeView {
    pub audit_id: i64,
    pub verb: String,
    pub level: Option<String>,
    pub created_at: String,
    pub actor_label: String,
    pub undo_available: bool,
}

/// Verdict counts of one day, for the Posture chart.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VerdictDayView {
    pub day: String,
    pub allow: i64,
    pub audit: i64,
    pub deny: i64,
    pub other: i64,
}

/// The Posture page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PostureView {
    pub current_level: String,
    pub observe_mode: bool,
    pub default_policy: Option<String>,
    pub default_guardrail: Option<String>,
    pub last_change: Option<AutonomyChangeView>,
    pub levels: Vec<LevelCardView>,
    pub verdicts_by_day: Vec<VerdictDayView>,
}

/// One object's part of a simulate diff.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ObjectDiffView {
    pub name: String,
    pub action: String,
    pub rules_added: Vec<String>,
    pub rules_removed: Vec<String>,
    pub rules_changed: Vec<String>,
}

/// A before → after pair, already formatted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChangeView {
    pub what: String,
    pub before: String,
    pub after: String,
}

/// One row of the replay table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplayRowView {
    pub tool_name: String,
    pub surface: String,
    pub rule_label: String,
    pub counts: String,
}

/// The Simulate page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimulateView {
    pub level: String,
    pub objects: Vec<ObjectDiffView>,
    pub changes: Vec<ChangeView>,
    pub events_considered: i64,
    pub unaffected: i64,
    pub approximate: i64,
    pub firewall_totals: String,
    pub by_tool: Vec<ReplayRowView>,
    pub guardrail_totals: String,
    pub guardrail_rows: Vec<ReplayRowView>,
}

/// One audit row (the posture snapshot is never sent).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEntryView {
    pub id: i64,
    pub created_at: String,
    pub actor_label: String,
    pub verb: String,
    pub target_type: String,
    pub target_id: String,
    pub metadata: String,
    pub undo_available: Option<bool>,
}

/// A page of the audit feed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditPageView {
    pub entries: Vec<AuditEntryView>,
    pub next_cursor: Option<String>,
}

/// A later posture change that makes an undo stale.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LaterChangeView {
    pub audit_id: i64,
    pub verb: String,
}

/// A guardrail in the list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GuardrailSummaryView {
    pub id: i64,
    pub name: String,
    pub enabled: bool,
    pub is_default: bool,
    pub rules: usize,
    pub attached_keys: u64,
    pub version: i64,
}

/// One saved version of a guardrail.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GuardrailVersionView {
    pub version: i64,
    pub op: String,
    pub created_at: String,
}

/// The guardrail editor: fields, the rules as editable JSON, and the version history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GuardrailEditView {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub enabled: bool,
    pub log_raw_content: bool,
    pub is_default: bool,
    pub version: i64,
    pub attached_keys: u64,
    pub rules_json: String,
    pub history: Vec<GuardrailVersionView>,
}

/// One built-in pii entity or `regex` detector for the guardrail editor's pickers (SPEC §4.5).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CatalogItemView {
    pub name: String,
    /// `personal` or `secret` for entities, `detector` for regex built-ins.
    pub family: String,
    pub tag: String,
}

/// The static catalogue behind the guardrail editor's forms (the console side of `GET /api/guardrails/meta`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GuardrailMetaView {
    pub entities: Vec<CatalogItemView>,
    pub detectors: Vec<CatalogItemView>,
}

/// A preset of the catalogue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PresetView {
    pub slug: String,
    pub name: String,
    pub category: String,
    pub rules: Vec<String>,
}

/// The Test tab's answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GuardrailTestView {
    pub blocked: bool,
    pub mutated: bool,
    pub text: String,
    pub violations: Vec<String>,
    pub advanced_skipped: usize,
}

/// The guardrail editor form (strings as a form posts them; `rules` is the JSON rules array).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GuardrailForm {
    pub name: String,
    pub description: String,
    pub enabled: bool,
    pub log_raw_content: bool,
    pub rules: String,
}

/// One firewall event (SPEC §2.8), JSON blobs already pretty-printed for the details drawer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeedEventView {
    pub id: i64,
    pub created_at: String,
    pub request_id: String,
    pub key_name: String,
    pub model_name: Option<String>,
    pub surface: String,
    pub tool_name: String,
    pub skill_name: Option<String>,
    pub mcp_server: Option<String>,
    pub destination: Option<String>,
    pub verdict: String,
    pub reason: String,
    pub policy_name: Option<String>,
    pub rule_label: Option<String>,
    pub shadow: bool,
    pub gap: bool,
    pub review: bool,
    pub args_summary: Option<String>,
    pub args_hash: Option<String>,
    pub approval_id: Option<String>,
    pub cost_check: Option<String>,
    pub run_id: Option<String>,
    pub conversation_id: Option<String>,
    pub step_id: Option<String>,
    pub parent_step_id: Option<String>,
}

/// A page of the Events feed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventPageView {
    pub events: Vec<FeedEventView>,
    pub next_cursor: Option<String>,
}

/// One approval of the queue (SPEC §2.11); timestamps are RFC 3339.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApprovalView {
    pub id: String,
    pub state: String,
    pub surface: String,
    pub tool_name: String,
    pub args_hash: String,
    pub args_summary: Option<String>,
    pub key_name: String,
    pub run_id: Option<String>,
    pub policy_id: i64,
    pub policy_name: String,
    pub rule_label: Option<String>,
    pub reason: String,
    pub created_at: String,
    pub expires_at: String,
    /// Whole seconds until `expires_at` when the page was read (0 once past).
    pub expires_in_secs: i64,
    pub decided_at: Option<String>,
    pub decided_via: Option<String>,
    pub decision_note: Option<String>,
    pub consumed_at: Option<String>,
}

/// A page of the Approvals queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApprovalPageView {
    pub state: String,
    pub approvals: Vec<ApprovalView>,
    pub next_cursor: Option<String>,
}

/// One guardrail match (SPEC §2.9); `matched` is `None` below Developer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeedMatchView {
    pub id: i64,
    pub created_at: String,
    pub request_id: String,
    pub key_name: String,
    pub model_name: Option<String>,
    pub guardrail_id: i64,
    pub guardrail_name: String,
    pub rule_label: String,
    pub rule_type: String,
    pub stage: String,
    pub action: String,
    pub entity: Option<String>,
    pub count: i64,
    pub detail: String,
    pub matched: Option<String>,
    pub false_positive: bool,
    pub error: bool,
    pub run_id: Option<String>,
}

/// A page of the Matches feed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MatchPageView {
    pub matches: Vec<FeedMatchView>,
    pub next_cursor: Option<String>,
}

/// One run of the Runs feed; `verdicts` are (verdict, count) pairs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSummaryView {
    pub run_id: String,
    pub key_names: Vec<String>,
    pub first_seen_at: String,
    pub last_seen_at: String,
    pub requests: i64,
    pub tool_calls: i64,
    pub verdicts: Vec<(String, i64)>,
    pub matches: i64,
    pub cost_usd: f64,
    pub blocked: bool,
}

/// A page of the Runs feed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunPageView {
    pub runs: Vec<RunSummaryView>,
    pub next_cursor: Option<String>,
}

/// One LLM call of a run's step tree, with its events, matches and child steps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceNodeView {
    pub request_id: String,
    pub created_at: String,
    pub key_name: String,
    pub route: String,
    pub model: Option<String>,
    pub status: i64,
    pub error_code: Option<String>,
    pub latency_ms: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub cost_usd: f64,
    pub tool_calls: i64,
    pub step_id: Option<String>,
    pub parent_step_id: Option<String>,
    pub events: Vec<FeedEventView>,
    pub matches: Vec<FeedMatchView>,
    pub children: Vec<TraceNodeView>,
}

/// The trace of one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunTraceView {
    pub run_id: String,
    pub nodes: Vec<TraceNodeView>,
}

/// One discovered tool (SPEC §2.12); `verdicts` are the non-zero (verdict, count) pairs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DiscoveredToolView {
    pub tool_name: String,
    pub mcp_server: Option<String>,
    pub surfaces: Vec<String>,
    pub first_seen_at: String,
    pub last_seen_at: String,
    pub call_count: i64,
    pub verdicts: Vec<(String, i64)>,
    pub coverage: String,
    pub last_policy_name: Option<String>,
    pub last_rule_label: Option<String>,
    pub last_key_name: String,
}

/// A page of discovered tools.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DiscoveredPageView {
    pub tools: Vec<DiscoveredToolView>,
    pub next_cursor: Option<String>,
}

/// The Events page's filters (empty strings mean "any").
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EventQueryForm {
    pub verdict: Option<String>,
    pub surface: Option<String>,
    pub tool_name: Option<String>,
    pub run_id: Option<String>,
    pub cursor: Option<String>,
}

/// The Matches page's filters.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MatchQueryForm {
    pub stage: Option<String>,
    pub action: Option<String>,
    pub rule_type: Option<String>,
    pub hide_fp: bool,
    pub cursor: Option<String>,
}

/// A false-positive suppression (SPEC §2.10); `fingerprint` is the 12-hex prefix the Matches rows show.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SuppressionView {
    pub id: i64,
    pub fingerprint: String,
    pub guardrail_id: i64,
    pub rule_id: i64,
    pub entity_type: String,
    pub source_match_id: Option<i64>,
    pub note: String,
    pub created_at: String,
}

/// A firewall policy in the list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicySummaryView {
    pub id: i64,
    pub name: String,
    pub enabled: bool,
    pub is_default: bool,
    pub shadow_mode: bool,
    pub default_verdict: String,
    pub rules: usize,
    pub attached_keys: u64,
    pub version: i64,
}

/// The policy editor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyEditView {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub enabled: bool,
    pub default_verdict: String,
    pub shadow_mode: bool,
    pub is_default: bool,
    pub version: i64,
    pub attached_keys: u64,
    pub rules_json: String,
}

/// The policy editor form (`rules` is the JSON rules array).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PolicyForm {
    pub name: String,
    pub description: String,
    pub enabled: bool,
    pub default_verdict: String,
    pub shadow_mode: bool,
    pub rules: String,
}

/// One tool call for the test sandbox.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SandboxCall {
    pub surface: String,
    pub tool: String,
    pub skill: String,
    pub arguments: String,
    pub host: String,
}

/// The sandbox's answer: the verdict and the per-rule trace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SandboxView {
    pub verdict: String,
    pub rule_label: Option<String>,
    pub reason: String,
    pub markers: Vec<String>,
    pub trace: Vec<String>,
    pub sanitized_arguments: Option<String>,
}

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
