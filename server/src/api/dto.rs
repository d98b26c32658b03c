//! `/api` request and response bodies. Requests refuse unknown fields so a typo is an error, not a
//! silently ignored setting; responses never carry secrets except the one-time `secret` fields.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use crate::domain::{ApiKey, Member, Membership, User};
use crate::service::api_keys::KeyInput;

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

fn usd(micros: i64) -> f64 {
    micros as f64 / 1_000_000.0
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetupRequest {
    pub token: String,
    pub email: String,
    pub password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwitchWorkspaceRequest {
    pub workspace_id: i64,
}

#[derive(Serialize)]
pub struct UserResponse {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub must_change_password: bool,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

impl From<User> for UserResponse {
    fn from(user: User) -> Self {
        UserResponse {
            id: user.id,
            email: user.email,
            display_name: user.display_name,
            must_change_password: user.must_change_password,
            created_at: user.created_at,
            last_login_at: user.last_login_at,
        }
    }
}

#[derive(Serialize)]
pub struct MembershipResponse {
    pub workspace_id: i64,
    pub workspace_name: String,
    pub role: &'static str,
}

impl From<Membership> for MembershipResponse {
    fn from(membership: Membership) -> Self {
        MembershipResponse {
            workspace_id: membership.workspace_id,
            workspace_name: membership.workspace_name,
            role: membership.role.as_str(),
        }
    }
}

/// Body of login and `me` (SPEC §8.3).
#[derive(Serialize)]
pub struct SessionResponse {
    pub user: UserResponse,
    pub memberships: Vec<MembershipResponse>,
    pub active_workspace_id: i64,
    pub role: &'static str,
    pub csrf_token: String,
}

/// Create or edit a key; every field optional on PATCH.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct KeyRequest {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub status: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    pub environment: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub guardrail_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    pub firewall_policy_id: Option<Option<i64>>,
    pub model_allowlist_enabled: Option<bool>,
    pub model_allowlist: Option<Vec<String>>,
    pub ip_allowlist: Option<Vec<String>>,
    pub credit_limit_usd: Option<f64>,
    pub rate_limit_rpm: Option<i64>,
    #[serde(default, deserialize_with = "double_option")]
    pub expires_at: Option<Option<DateTime<Utc>>>,
}

impl From<KeyRequest> for KeyInput {
    fn from(req: KeyRequest) -> Self {
        KeyInput {
            name: req.name,
            kind: req.kind,
            scopes: req.scopes,
            status: req.status,
            environment: req.environment,
            guardrail_id: req.guardrail_id,
            firewall_policy_id: req.firewall_policy_id,
            model_allowlist_enabled: req.model_allowlist_enabled,
            model_allowlist: req.model_allowlist,
            ip_allowlist: req.ip_allowlist,
            credit_limit_usd: req.credit_limit_usd,
            rate_limit_rpm: req.rate_limit_rpm,
            expires_at: req.expires_at,
        }
    }
}

/// A key as listed; `secret` only in create and rotate responses.
#[derive(Serialize)]
pub struct KeyResponse {
    pub id: i64,
    pub kind: &'static str,
    pub name: String,
    pub key_hint: String,
    pub scopes: Vec<String>,
    pub status: &'static str,
    pub environment: Option<String>,
    pub guardrail_id: Option<i64>,
    pub firewall_policy_id: Option<i64>,
    pub model_allowlist_enabled: bool,
    pub model_allowlist: Vec<String>,
    pub ip_allowlist: Vec<String>,
    pub credit_limit_usd: f64,
    pub spent_usd: f64,
    pub rate_limit_rpm: i64,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub last_used_ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl KeyResponse {
    pub fn new(key: ApiKey, secret: Option<String>) -> Self {
        KeyResponse {
            id: key.id,
            kind: key.kind.as_str(),
            name: key.name,
            key_hint: key.key_hint,
            scopes: key.scopes,
            status: if key.active { "active" } else { "disabled" },
            environment: key.environment,
            guardrail_id: key.guardrail_id,
            firewall_policy_id: key.firewall_policy_id,
            model_allowlist_enabled: key.model_allowlist_enabled,
            model_allowlist: key.model_allowlist,
            ip_allowlist: key.ip_allowlist,
            credit_limit_usd: usd(key.credit_limit_micros),
            spent_usd: usd(key.spent_micros),
            rate_limit_rpm: key.rate_limit_rpm,
            expires_at: key.expires_at,
            created_by: key.created_by,
            created_at: key.created_at,
            last_used_at: key.last_used_at,
            last_used_ip: key.last_used_ip,
            secret,
        }
    }
}

#[derive(Serialize)]
pub struct ListResponse<T> {
    pub data: Vec<T>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddMemberRequest {
    pub email: String,
    pub role: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeRoleRequest {
    pub role: String,
}

#[derive(Serialize)]
pub struct MemberResponse {
    pub user_id: i64,
    pub email: String,
    pub display_name: String,
    pub role: &'static str,
    pub added_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub one_time_password: Option<String>,
}

impl MemberResponse {
    pub fn new(member: Member, one_time_password: Option<String>) -> Self {
        MemberResponse {
            user_id: member.user.id,
            email: member.user.email,
            display_name: member.user.display_name,
            role: member.role.as_str(),
            added_at: member.added_at,
            one_time_password,
        }
    }
}
