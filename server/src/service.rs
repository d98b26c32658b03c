//! Use cases over the store: validate, make ids and timestamps, run the transaction, write the audit row.
//!
//! Services know neither HTTP status codes nor wire formats: adapters (`api`, `relay`, `console`) map
//! [`ServiceError`] to their envelopes. Start with `identity` (who is calling), then `api_keys`.

pub mod api_keys;
pub mod audit_feed;
pub mod autonomy;
pub mod autonomy_restore;
pub mod firewall;
pub mod guardrail_test;
pub mod guardrails;
pub mod error;
pub mod feeds;
pub mod identity;
pub mod members;
pub mod models;
pub mod verdict_stats;
pub mod posture;
pub mod recorder;
pub mod relay;

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
}

impl Services {
    pub fn new(db: DatabaseConnection, config: Arc<Config>, secrets: SecretBox) -> Self {
        let relay = Arc::new(relay::RelayRuntime::new(&config, db.clone()));
        Self { db, config, secrets, posture_locks: Arc::default(), relay }
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
