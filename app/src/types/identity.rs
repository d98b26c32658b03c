//! Who is signed in and what they hold: the session, roles, API keys and members.

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
