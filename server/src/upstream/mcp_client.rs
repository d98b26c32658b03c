//! A JSON-RPC 2.0 client for upstream MCP servers over Streamable HTTP (SPEC §5.12), on the dial-guarded
//! reqwest client (§5.11): every request re-vets the endpoint literal, and the guarded resolver only hands
//! out vetted addresses, so a refusal surfaces as [`McpError::Guard`].
//!
//! Owns the upstream sessions: `initialize` + `notifications/initialized` lazily per server, the cached
//! `Mcp-Session-Id`, and one re-initialization when the server says the session is gone. Must not know
//! policies or workspaces: callers pass an [`McpTarget`] (endpoint + credentials) and get JSON back.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{StatusCode, Url};
use serde_json::{json, Value};

use crate::upstream::dial_guard::{refusal_of, DialGuard, GuardRefusal};

/// The MCP protocol version Palisade speaks upstream.
pub const PROTOCOL_VERSION: &str = "2025-06-18";
const SESSION_HEADER: &str = "mcp-session-id";
const PROTOCOL_HEADER: &str = "mcp-protocol-version";
/// The longest any upstream call may take (a `tools/call` can be slow); lists and probes pass a shorter one.
const MAX_TIMEOUT: Duration = Duration::from_secs(60);

/// Credentials injected into every upstream request.
#[derive(Clone, PartialEq, Eq)]
pub enum McpAuth {
    None,
    /// `bearer` (`token`) and `oauth` (`access_token`) are both sent as a Bearer token.
    Bearer(String),
    Basic { username: String, password: String },
}

impl std::fmt::Debug for McpAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            McpAuth::None => "McpAuth::None",
            McpAuth::Bearer(_) => "McpAuth::Bearer(<redacted>)",
            McpAuth::Basic { .. } => "McpAuth::Basic(<redacted>)",
        })
    }
}

/// One upstream server as the client needs it.
#[derive(Clone, Debug)]
pub struct McpTarget {
    /// Key of the session cache (the server's id).
    pub id: i64,
    pub endpoint: String,
    pub auth: McpAuth,
}

/// Why an upstream call failed.
#[derive(Clone, Debug, thiserror::Error)]
pub enum McpError {
    /// The dial-time guard refused the destination.
    #[error("{0}")]
    Guard(GuardRefusal),
    /// No answer in time.
    #[error("timed out")]
    Timeout,
    /// Connection-level failure.
    #[error("unreachable: {0}")]
    Transport(String),
    /// The server answered with an HTTP error.
    #[error("HTTP {0}")]
    Status(u16),
    /// The server answered something that is not a JSON-RPC response.
    #[error("bad response: {0}")]
    Protocol(String),
    /// The server answered with a JSON-RPC error.
    #[error("{message} (code {code})")]
    Rpc { code: i64, message: String },
    /// The server no longer knows our session (HTTP 404 with a session id, §5.12 "session error").
    #[error("session expired")]
    SessionExpired,
}

#[derive(Clone, Debug)]
struct Session {
    /// The endpoint and credentials the session was opened with; an edit of the server opens a new one.
    fingerprint: (String, McpAuth),
    id: Option<String>,
    protocol_version: String,
}

/// The upstream MCP client with its session cache; one per process.
#[derive(Debug)]
pub struct McpClient {
    guard: Arc<DialGuard>,
    http: reqwest::Client,
    sessions: Mutex<HashMap<i64, Session>>,
    next_id: AtomicU64,
}

impl McpClient {
    pub fn new(guard: Arc<DialGuard>) -> McpClient {
        let http = guard.client(MAX_TIMEOUT);
        McpClient { guard, http, sessions: Mutex::default(), next_id: AtomicU64::new(1) }
    }

    /// Sends `method` within the server's session (opened lazily), re-initializing once when the server
    /// reports the session gone. Returns the JSON-RPC `result`.
    pub async fn call(&self, target: &McpTarget, method: &str, params: Value, timeout: Duration) -> Result<Value, McpError> {
        let session = match self.cached(target) {
            Some(session) => session,
            None => self.open(target, timeout).await?,
        };
        match self.request(target, &session, method, params.clone(), timeout).await {
            Err(McpError::SessionExpired) => {
                self.forget(target.id);
                let session = self.open(target, timeout).await?;
                self.request(target, &session, method, params, timeout).await
            }
            other => other,
        }
    }

    /// A fresh, uncached `initialize` (the probe): returns the server's `initialize` result and a
    /// one-off session for follow-up calls through [`McpClient::call_in`].
    pub async fn initialize_fresh(&self, target: &McpTarget, timeout: Duration) -> Result<ProbeSession, McpError> {
        let session = self.initialize(target, timeout).await?;
        Ok(ProbeSession(session))
    }

    /// Sends `method` in a probe's session.
    pub async fn call_in(&self, target: &McpTarget, session: &ProbeSession, method: &str, params: Value, timeout: Duration) -> Result<Value, McpError> {
        self.request(target, &session.0, method, params, timeout).await
    }

    /// Drops the cached session of server `id` (after an edit or a delete).
    pub fn forget(&self, id: i64) {
        self.sessions.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&id);
    }

    fn cached(&self, target: &McpTarget) -> Option<Session> {
        let sessions = self.sessions.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        sessions.get(&target.id).filter(|session| session.fingerprint == fingerprint(target)).cloned()
    }

    async fn open(&self, target: &McpTarget, timeout: Duration) -> Result<Session, McpError> {
        let session = self.initialize(target, timeout).await?;
        self.sessions.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(target.id, session.clone());
        Ok(session)
    }

    async fn initialize(&self, target: &McpTarget, timeout: Duration) -> Result<Session, McpError> {
        let params = json!({
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "palisade", "version": env!("CARGO_PKG_VERSION")},
        });
        let bare = Session { fingerprint: fingerprint(target), id: None, protocol_version: PROTOCOL_VERSION.into() };
        let (result, session_id) = self.exchange(target, &bare, "initialize", Some(params), timeout).await?;
        let result = result.ok_or_else(|| McpError::Protocol("initialize returned nothing".into()))?;
        let protocol_version = result.get("protocolVersion").and_then(Value::as_str).unwrap_or(PROTOCOL_VERSION).to_owned();
        let session = Session { fingerprint: fingerprint(target), id: session_id, protocol_version };
        // The spec requires the notification before other requests; its answer (202) carries nothing.
        self.exchange(target, &session, "notifications/initialized", None, timeout).await?;
        Ok(session)
    }

    async fn request(&self, target: &McpTarget, session: &Session, method: &str, params: Value, timeout: Duration) -> Result<Value, McpError> {
        let (result, _) = self.exchange(target, session, method, Some(params), timeout).await?;
        result.ok_or_else(|| McpError::Protocol(format!("{method} returned no result")))
    }

    /// One HTTP round trip. `params: None` sends a notification (no id, no result expected).
    async fn exchange(
        &self,
        target: &McpTarget,
        session: &Session,
        method: &str,
        params: Option<Value>,
        timeout: Duration,
    ) -> Result<(Option<Value>, Option<String>), McpError> {
        let url = Url::parse(&target.endpoint).map_err(|err| McpError::Guard(GuardRefusal::BadUrl(format!("not a URL: {err}"))))?;
        // reqwest skips the resolver for IP literals, so the literal is vetted here on every call.
        self.guard.vet_literal(&url).map_err(McpError::Guard)?;
        let notification = params.is_none();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = match params {
            Some(params) => json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}),
            None => json!({"jsonrpc": "2.0", "method": method}),
        };
        let response = self
            .http
            .post(url)
            .headers(headers(target, session))
            .timeout(timeout.min(MAX_TIMEOUT))
            .json(&body)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        let session_id = response.headers().get(SESSION_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
        if status == StatusCode::NOT_FOUND && session.id.is_some() {
            return Err(McpError::SessionExpired);
        }
        if !status.is_success() {
            return Err(McpError::Status(status.as_u16()));
        }
        if notification {
            return Ok((None, session_id));
        }
        let is_sse = response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/event-stream"));
        let text = response.text().await.map_err(transport_error)?;
        let message = if is_sse { sse_response(&text, id)? } else { serde_json::from_str(&text).map_err(|_| McpError::Protocol("not JSON".into()))? };
        Ok((Some(rpc_result(message)?), session_id))
    }
}

/// A session opened by [`McpClient::initialize_fresh`], not cached.
#[derive(Debug)]
pub struct ProbeSession(Session);

fn fingerprint(target: &McpTarget) -> (String, McpAuth) {
    (target.endpoint.clone(), target.auth.clone())
}

fn headers(target: &McpTarget, session: &Session) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json, text/event-stream"));
    if let Some(value) = session.id.as_deref().and_then(|id| HeaderValue::from_str(id).ok()) {
        headers.insert(SESSION_HEADER, value);
    }
    if let Ok(value) = HeaderValue::from_str(&session.protocol_version) {
        headers.insert(PROTOCOL_HEADER, value);
    }
    let authorization = match &target.auth {
        McpAuth::None => None,
        McpAuth::Bearer(token) => Some(format!("Bearer {token}")),
        McpAuth::Basic { username, password } => {
            use base64::Engine;
            Some(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"))))
        }
    };
    if let Some(mut value) = authorization.and_then(|text| HeaderValue::from_str(&text).ok()) {
        value.set_sensitive(true);
        headers.insert(AUTHORIZATION, value);
    }
    headers
}

fn transport_error(err: reqwest::Error) -> McpError {
    if let Some(refusal) = refusal_of(&err) {
        return McpError::Guard(refusal);
    }
    if err.is_timeout() {
        return McpError::Timeout;
    }
    // The URL may carry credentials in its userinfo; reqwest's text would repeat it, so keep the kind only.
    let kind = if err.is_connect() { "connection failed" } else if err.is_redirect() { "too many redirects" } else { "request failed" };
    McpError::Transport(kind.into())
}

/// The JSON-RPC response with `id` among the `data:` events of an SSE body.
fn sse_response(text: &str, id: u64) -> Result<Value, McpError> {
    let mut data = String::new();
    let mut messages = Vec::new();
    for line in text.lines().chain(std::iter::once("")) {
        if let Some(rest) = line.strip_prefix("data:") {
            if !data.is_empty() {
                data.push('\n');
            }
            data.push_str(rest.strip_prefix(' ').unwrap_or(rest));
        } else if line.is_empty() && !data.is_empty() {
            messages.push(std::mem::take(&mut data));
        }
    }
    messages
        .iter()
        .filter_map(|message| serde_json::from_str::<Value>(message).ok())
        .find(|message| message.get("id").and_then(Value::as_u64) == Some(id))
        .ok_or_else(|| McpError::Protocol("no response in the event stream".into()))
}

fn rpc_result(mut message: Value) -> Result<Value, McpError> {
    if let Some(error) = message.get("error") {
        let code = error.get("code").and_then(Value::as_i64).unwrap_or(0);
        let text = error.get("message").and_then(Value::as_str).unwrap_or("error").chars().take(256).collect();
        return Err(McpError::Rpc { code, message: text });
    }
    message.get_mut("result").map(Value::take).ok_or_else(|| McpError::Protocol("neither result nor error".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_bodies_yield_the_response_with_our_id() {
        let text = "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"}\n\ndata: {\"jsonrpc\":\"2.0\",\"id\":7,\n data: \"result\":{}}\n\n";
        // Multi-line data joins with a newline, which JSON tolerates as whitespace.
        let text = text.replace("\n data: ", "\ndata: ");
        assert_eq!(sse_response(&text, 7).expect("found")["id"], 7);
        assert!(matches!(sse_response(&text, 8), Err(McpError::Protocol(_))));
    }

    #[test]
    fn rpc_errors_and_results_are_told_apart() {
        assert_eq!(rpc_result(json!({"jsonrpc":"2.0","id":1,"result":{"ok":true}})).expect("result"), json!({"ok": true}));
        let err = rpc_result(json!({"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"nope"}})).expect_err("error");
        assert!(matches!(err, McpError::Rpc { code: -32601, .. }), "{err:?}");
        assert!(matches!(rpc_result(json!({"jsonrpc":"2.0","id":1})), Err(McpError::Protocol(_))));
    }

    #[test]
    fn credentials_are_injected_and_never_debug_printed() {
        let target = McpTarget { id: 1, endpoint: "https://mcp.example.com/mcp".into(), auth: McpAuth::Basic { username: "u".into(), password: "p".into() } };
        let session = Session { fingerprint: fingerprint(&target), id: Some("s1".into()), protocol_version: PROTOCOL_VERSION.into() };
        let headers = headers(&target, &session);
        assert_eq!(headers[AUTHORIZATION], "Basic dTpw");
        assert_eq!(headers[SESSION_HEADER], "s1");
        assert_eq!(format!("{:?}", target.auth), "McpAuth::Basic(<redacted>)");
        assert_eq!(format!("{:?}", McpAuth::Bearer("secret".into())), "McpAuth::Bearer(<redacted>)");
    }
}
