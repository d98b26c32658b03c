//! Typed access to the console session: who is signed in, in which workspace, and their CSRF token.
//!
//! The cookie is `palisade_session` (HttpOnly, SameSite=Lax, Secure unless `server.secure_cookies = false`).
//! Sessions end 7 days after sign-in (absolute) or after 12 h without a request (idle), SPEC §8.3.
//! Sign-in cycles the session id so a token planted before login is worthless (session fixation).

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use tower_sessions::{Expiry, Session};

/// Name of the session cookie.
pub const COOKIE_NAME: &str = "palisade_session";
/// Absolute session lifetime.
pub const ABSOLUTE_TTL: Duration = Duration::days(7);
/// Idle timeout.
pub const IDLE_TTL: Duration = Duration::hours(12);
/// `last_seen` is rewritten at most this often, so reads do not turn into writes on every request.
const TOUCH_EVERY: Duration = Duration::seconds(60);

/// Keys of the session record; also read by the session store to fill its indexed columns.
pub mod keys {
    pub const USER_ID: &str = "uid";
    pub const WORKSPACE_ID: &str = "ws";
    pub const CSRF: &str = "csrf";
    pub const CREATED_AT: &str = "created";
    pub const LAST_SEEN_AT: &str = "seen";
    pub const IP: &str = "ip";
    pub const USER_AGENT: &str = "ua";
}

/// What a valid session says about its holder.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionIdentity {
    pub user_id: i64,
    pub workspace_id: i64,
    pub csrf_token: String,
}

/// Errors talking to the session store.
#[derive(Debug, thiserror::Error)]
#[error("session store: {0}")]
pub struct SessionError(String);

fn store_err(err: impl std::fmt::Display) -> SessionError {
    SessionError(err.to_string())
}

/// A fresh CSRF token: 32 random bytes, base64url without padding.
pub fn new_csrf_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn to_offset(at: DateTime<Utc>) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(at.timestamp()).unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// Signs `user_id` in: new session id, new CSRF token, absolute expiry. Returns the CSRF token.
pub async fn sign_in(
    session: &Session,
    user_id: i64,
    workspace_id: i64,
    ip: Option<String>,
    user_agent: Option<String>,
    now: DateTime<Utc>,
) -> Result<String, SessionError> {
    session.cycle_id().await.map_err(store_err)?;
    session.clear().await;
    let csrf = new_csrf_token();
    session.insert(keys::USER_ID, user_id).await.map_err(store_err)?;
    session.insert(keys::WORKSPACE_ID, workspace_id).await.map_err(store_err)?;
    session.insert(keys::CSRF, &csrf).await.map_err(store_err)?;
    session.insert(keys::CREATED_AT, now.timestamp()).await.map_err(store_err)?;
    session.insert(keys::LAST_SEEN_AT, now.timestamp()).await.map_err(store_err)?;
    let user_agent = user_agent.map(|agent| agent.chars().take(256).collect::<String>());
    session.insert(keys::IP, ip).await.map_err(store_err)?;
    session.insert(keys::USER_AGENT, user_agent).await.map_err(store_err)?;
    session.set_expiry(Some(Expiry::AtDateTime(to_offset(now + ABSOLUTE_TTL))));
    session.save().await.map_err(store_err)?;
    Ok(csrf)
}

/// The signed-in identity, or `None` when the session is anonymous or timed out (then it is deleted).
pub async fn identity(session: &Session, now: DateTime<Utc>) -> Result<Option<SessionIdentity>, SessionError> {
    let user_id: Option<i64> = session.get(keys::USER_ID).await.map_err(store_err)?;
    let Some(user_id) = user_id else { return Ok(None) };
    let workspace_id: Option<i64> = session.get(keys::WORKSPACE_ID).await.map_err(store_err)?;
    let csrf: Option<String> = session.get(keys::CSRF).await.map_err(store_err)?;
    let created: Option<i64> = session.get(keys::CREATED_AT).await.map_err(store_err)?;
    let seen: Option<i64> = session.get(keys::LAST_SEEN_AT).await.map_err(store_err)?;
    let (Some(workspace_id), Some(csrf_token), Some(created), Some(seen)) = (workspace_id, csrf, created, seen) else {
        session.flush().await.map_err(store_err)?;
        return Ok(None);
    };
    let created = DateTime::from_timestamp(created, 0).unwrap_or_default();
    let seen = DateTime::from_timestamp(seen, 0).unwrap_or_default();
    if now - created > ABSOLUTE_TTL || now - seen > IDLE_TTL {
        session.flush().await.map_err(store_err)?;
        return Ok(None);
    }
    if now - seen > TOUCH_EVERY {
        session.insert(keys::LAST_SEEN_AT, now.timestamp()).await.map_err(store_err)?;
    }
    Ok(Some(SessionIdentity { user_id, workspace_id, csrf_token }))
}

/// Makes `workspace_id` the session's active workspace (membership is checked by the caller).
pub async fn switch_workspace(session: &Session, workspace_id: i64) -> Result<(), SessionError> {
    session.insert(keys::WORKSPACE_ID, workspace_id).await.map_err(store_err)
}

/// Ends the session: the row is deleted and the cookie cleared.
pub async fn sign_out(session: &Session) -> Result<(), SessionError> {
    session.flush().await.map_err(store_err)
}

/// Constant-time comparison of a presented CSRF token with the session's.
pub fn csrf_matches(presented: &str, expected: &str) -> bool {
    let (presented, expected) = (presented.as_bytes(), expected.as_bytes());
    if presented.len() != expected.len() || expected.is_empty() {
        return false;
    }
    presented.iter().zip(expected).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_comparison_requires_exact_nonempty_match() {
        let token = new_csrf_token();
        assert_eq!(token.len(), 43);
        assert!(csrf_matches(&token, &token));
        assert!(!csrf_matches("", ""));
        assert!(!csrf_matches(&token[1..], &token));
        assert!(!csrf_matches(&new_csrf_token(), &token));
    }
}
