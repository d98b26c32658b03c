//! Use cases over the store: validate, make ids and timestamps, run the transaction, write the audit row.
//!
//! Services know neither HTTP status codes nor wire formats: adapters (`api`, `relay`, `console`) map
//! [`ServiceError`] to their envelopes. Start with `identity` (who is calling), then `api_keys`.

pub mod api_keys;
pub mod approvals;
pub mod audit_feed;
pub mod autonomy;
pub mod autonomy_restore;
pub mod firewall;
pub mod guardrail_test;
pub mod guardrails;
pub mod error;
pub mod evaluate;
pub mod feeds;
pub mod identity;
pub mod live_cache;
pub mod live_listen;
pub mod mcp_gateway;
pub mod mcp_registry;
pub mod members;
pub mod models;
pub mod verdict_stats;
pub mod posture;
pub mod providers;
pub mod recorder;
pub mod relay;
pub mod suppressions;

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::config::Config;
use crate::crypto::SecretBox;
pub use error::{FieldError, ServiceError};

/// Result of a use case.
pub type ServiceResult<T> = Result<T, ServiceError>;

/// The service layer: shared by every adapter, cheap to clone.
#[derive(Clone, Debug)]
pub struct Services {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub secrets: SecretBox,
    /// Serializes posture changes per workspace (see `posture`).
    pub posture_locks: Arc<posture::PostureLocks>,
    /// Providers, rate limits, the posture cache and the feed recorder of the relay (see `relay`).
    pub relay: Arc<relay::RelayRuntime>,
    /// The §5.11 SSRF guard for every outbound call a workspace user can aim (webhooks, MCP, external checks).
    pub dial_guard: Arc<crate::upstream::dial_guard::DialGuard>,
    /// Keys and workspace settings every relay request reads, kept in memory (see `live_cache`).
    pub live: Arc<live_cache::LiveCache>,
    /// Upstream MCP sessions of the gateway and the registry's probes (over `dial_guard`).
    pub mcp: Arc<crate::upstream::mcp_client::McpClient>,
}

impl Services {
    pub fn new(db: DatabaseConnection, config: Arc<Config>, secrets: SecretBox) -> Self {
        let relay = Arc::new(relay::RelayRuntime::new(&config, db.clone()));
        let dial_guard = Arc::new(crate::upstream::dial_guard::DialGuard::new(&config.security.allow_private_destinations));
        let live = Arc::new(live_cache::LiveCache::default());
        live_listen::spawn_listener(&db, Arc::clone(&live));
        let mcp = Arc::new(crate::upstream::mcp_client::McpClient::new(Arc::clone(&dial_guard)));
        Self { db, config, secrets, posture_locks: Arc::default(), relay, dial_guard, live, mcp }
    }
}

/// Trims `value` and checks it is 1–`max` characters; `field` names it in the error.
pub fn required_name(field: &str, value: &str, max: usize) -> Result<String, FieldError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if trimmed.chars().count() > max {
        return Err(FieldError::new(field, format!("must be at most {max} characters")));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(FieldError::new(field, "must not contain control characters"));
    }
    Ok(trimmed.to_owned())
}
