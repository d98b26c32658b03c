//! Domain types shared by the service layer and its adapters: plain data, no serde for the database,
//! no wire formats. The store converts its rows into these; adapters convert these into DTOs.

use chrono::{DateTime, Utc};

/// A workspace role, ordered by privilege: Member < Developer < Admin < Owner (SPEC §8.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Member,
    Developer,
    Admin,
    Owner,
}

impl Role {
    /// Every role, lowest first.
    pub const ALL: [Role; 4] = [Role::Member, Role::Developer, Role::Admin, Role::Owner];

    /// The stored and wire name (`member`, `developer`, `admin`, `owner`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Developer => "developer",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }

    /// Parses a stored or wire name; `None` for anything else.
    pub fn parse(value: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == value)
    }
}

/// A user account (the password hash never leaves the store/auth pair).
#[derive(Clone, Debug, PartialEq)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub must_change_password: bool,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

/// A workspace and the settings the foundation reads.
#[derive(Clone, Debug, PartialEq)]
pub struct Workspace {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// One user's role in one workspace.
#[derive(Clone, Debug, PartialEq)]
pub struct Membership {
    pub workspace_id: i64,
    pub workspace_name: String,
    pub user_id: i64,
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

/// A workspace member as listed on the Members page.
#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    pub user: User,
    pub role: Role,
    pub added_at: DateTime<Utc>,
}

/// The two kinds of API key (SPEC §2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    Relay,
    Gateway,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Relay => "relay",
            KeyKind::Gateway => "gateway",
        }
    }

    pub fn parse(value: &str) -> Option<KeyKind> {
        match value {
            "relay" => Some(KeyKind::Relay),
            "gateway" => Some(KeyKind::Gateway),
            _ => None,
        }
    }

    /// The public prefix of secrets of this kind.
    pub fn secret_prefix(self) -> &'static str {
        match self {
            KeyKind::Relay => "sk-pal-",
            KeyKind::Gateway => "gk-pal-",
        }
    }

    /// Scopes a key of this kind may hold.
    pub fn allowed_scopes(self) -> &'static [&'static str] {
        match self {
            KeyKind::Relay => &["chat", "embeddings", "models"],
            KeyKind::Gateway => &["evaluate", "mcp", "mcp_servers", "mcp_credentials", "approvals"],
        }
    }

    /// Scopes granted when the creator names none (gateway: all but `mcp_credentials`, SPEC §2.3).
    pub fn default_scopes(self) -> Vec<String> {
        self.allowed_scopes()
            .iter()
            .filter(|scope| **scope != "mcp_credentials")
            .map(|scope| scope.to_string())
            .collect()
    }
}

/// An API key as stored, minus its secret hash.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiKey {
    pub id: i64,
    pub workspace_id: i64,
    pub kind: KeyKind,
    pub name: String,
    pub key_hint: String,
    pub scopes: Vec<String>,
    pub active: bool,
    pub environment: Option<String>,
    pub guardrail_id: Option<i64>,
    pub firewall_policy_id: Option<i64>,
    pub model_allowlist_enabled: bool,
    pub model_allowlist: Vec<String>,
    pub ip_allowlist: Vec<String>,
    pub credit_limit_micros: i64,
    pub spent_micros: i64,
    pub rate_limit_rpm: i64,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub last_used_ip: Option<String>,
}

/// Who performed an audited change.
#[derive(Clone, Debug, PartialEq)]
pub struct Actor {
    pub user_id: Option<i64>,
    /// `email`, `webhook:<actor>` or `system`.
    pub label: String,
}

/// One row of the append-only audit trail (SPEC §2.13), without its snapshot.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditEntry {
    pub id: i64,
    pub workspace_id: i64,
    pub created_at: DateTime<Utc>,
    pub actor_type: String,
    pub actor_user_id: Option<i64>,
    pub actor_label: String,
    pub verb: String,
    pub target_type: String,
    pub target_id: String,
    pub metadata: serde_json::Value,
    pub undo_available: Option<bool>,
    pub snapshot_bytes: Option<i64>,
}
