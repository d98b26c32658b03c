//! Posture DTOs: autonomy levels and their undo, Simulate, the audit feed, guardrails and firewall
//! policies with their editors, Test tab and sandbox.

use serde::{Deserialize, Serialize};

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
