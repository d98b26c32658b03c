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
