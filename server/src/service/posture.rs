//! What every posture change shares: the per-workspace serialization, the transaction that bumps
//! `posture_version` first, the ● audit row; and the workspace settings use cases (`GET /api/workspace`,
//! `PATCH /api/workspace/settings`, SPEC §2.1).
//!
//! Must not decide what a change is (guardrails, firewall, autonomy own that). Every posture change goes
//! through `begin_posture` so that changes of one workspace apply one at a time, on one replica (tokio
//! mutex) and across replicas (the version bump row-locks the workspace on PostgreSQL and takes SQLite's
//! write lock up front, so no deferred transaction has to upgrade later).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};
use serde_json::json;
use tokio::sync::OwnedMutexGuard;

use crate::auth::roles::Capability;
use crate::domain::AuditEntry;
use crate::service::identity::Principal;
use crate::service::{FieldError, ServiceError, ServiceResult, Services};
use crate::service::live_cache::{Invalidation, LiveCache};
use crate::service::live_listen;
use crate::store::{self, audit::NewAudit, workspaces::PostureSettings, workspaces::WorkspaceSettings};

/// One async mutex per workspace, created on first use.
#[derive(Debug, Default)]
pub struct PostureLocks {
    locks: Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>,
}

impl PostureLocks {
    async fn lock(&self, workspace_id: i64) -> OwnedMutexGuard<()> {
        let lock = {
            // A poisoned map only means another task panicked while inserting; the map is still usable.
            let mut map = self.locks.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            map.entry(workspace_id).or_default().clone()
        };
        lock.lock_owned().await
    }
}

/// An open posture transaction: holds the workspace's lock until it is committed or dropped.
pub struct PostureTxn {
    pub txn: DatabaseTransaction,
    /// The `posture_version` this change will commit.
    pub posture_version: i64,
    workspace_id: i64,
    live: Arc<LiveCache>,
    _guard: OwnedMutexGuard<()>,
}

impl PostureTxn {
    /// Commits, then drops the workspace's settings and keys from this process's live cache (other replicas
    /// drop them when the `NOTIFY` queued by `begin_posture` is delivered, at this same commit).
    pub async fn commit(self) -> ServiceResult<()> {
        self.txn.commit().await?;
        self.live.invalidate(Invalidation::Workspace(self.workspace_id));
        Ok(())
    }
}

/// A ● audit row of a posture change.
pub struct PostureAudit<'a> {
    pub verb: &'a str,
    pub target_type: &'a str,
    pub target_id: String,
    pub metadata: serde_json::Value,
}

/// Writes the audit row of a posture change (the version was bumped by `begin_posture`).
pub async fn audit(db: &impl ConnectionTrait, principal: &Principal, row: PostureAudit<'_>, now: DateTime<Utc>) -> ServiceResult<AuditEntry> {
    Ok(store::audit::insert(
        db,
        NewAudit {
            workspace_id: principal.workspace_id,
            actor: &principal.actor(),
            verb: row.verb,
            target_type: row.target_type,
            target_id: row.target_id,
            metadata: row.metadata,
        },
        now,
    )
    .await?)
}

/// Fields of `PATCH /api/workspace/settings`; `None` = unchanged, `Some(None)` = set to null.
#[derive(Clone, Debug, Default)]
pub struct SettingsInput {
    pub observe_mode: Option<bool>,
    pub default_firewall_policy_id: Option<Option<i64>>,
    pub default_guardrail_id: Option<Option<i64>>,
    pub approval_webhook_url: Option<Option<String>>,
    pub approval_webhook_secret: Option<Option<String>>,
    pub approval_ttl_seconds: Option<i64>,
    pub log_retention_days: Option<i64>,
    pub judge_model: Option<Option<String>>,
    /// The workspace name (Admin+, like retention).
    pub name: Option<String>,
}

impl SettingsInput {
    fn touches_posture(&self) -> bool {
        self.observe_mode.is_some()
            || self.default_firewall_policy_id.is_some()
            || self.default_guardrail_id.is_some()
            || self.approval_webhook_url.is_some()
            || self.approval_webhook_secret.is_some()
            || self.approval_ttl_seconds.is_some()
    }

    fn touches_workspace(&self) -> bool {
        self.log_retention_days.is_some() || self.judge_model.is_some() || self.name.is_some()
    }
}

/// How long saving settings waits for the webhook host's DNS answer.
const WEBHOOK_VET_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Checks a webhook URL's shape: ≤ 512 chars, `https` (or `http` when allowed) and a host. Where it may
/// point is the dial guard's call (`Services::vet_webhook_url`), which knows the configured exceptions.
fn check_webhook_url(url: &str, allow_http: bool) -> Result<(), FieldError> {
    let field = "approval_webhook_url";
    if url.chars().count() > 512 {
        return Err(FieldError::new(field, "must be at most 512 characters"));
    }
    let rest = match url.split_once("://") {
        Some(("https", rest)) => rest,
        Some(("http", rest)) if allow_http => rest,
        _ => return Err(FieldError::new(field, "must be an https URL")),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(FieldError::new(field, "must name a host"));
    }
    Ok(())
}

impl Services {
    /// The SSRF check on save (§2.1, §5.11) of a new webhook URL: its shape, then every address its host
    /// resolves to must pass the dial guard (`security.allow_private_destinations` exempts ranges).
    async fn vet_webhook_url(&self, url: Option<&Option<String>>) -> Option<FieldError> {
        let url = url?.as_deref().map(str::trim).filter(|url| !url.is_empty())?;
        if let Err(err) = check_webhook_url(url, self.config.security.allow_http_webhooks) {
            return Some(err);
        }
        // A resolver that never answers must not hang the settings request: no answer is a refusal.
        let vetted = tokio::time::timeout(WEBHOOK_VET_TIMEOUT, self.dial_guard.vet_url(url)).await;
        match vetted {
            Ok(Ok(_)) => None,
            Ok(Err(refusal)) => Some(FieldError::new("approval_webhook_url", refusal.to_string())),
            Err(_) => Some(FieldError::new("approval_webhook_url", "its host did not resolve in time")),
        }
    }

    /// Opens a posture transaction for `workspace_id`: waits for the workspace's lock, begins, bumps
    /// `posture_version` (one bump per change, committed with its audit row).
    pub async fn begin_posture(&self, workspace_id: i64) -> ServiceResult<PostureTxn> {
        let guard = self.posture_locks.lock(workspace_id).await;
        let txn = self.db.begin().await?;
        let posture_version = store::workspaces::bump_posture_version(&txn, workspace_id).await?;
        live_listen::notify(&txn, Invalidation::Workspace(workspace_id)).await?;
        Ok(PostureTxn { txn, posture_version, workspace_id, live: Arc::clone(&self.live), _guard: guard })
    }

    /// `GET /api/workspace`: the workspace and its settings (the webhook secret stays sealed; adapters
    /// show only whether it is set).
    pub async fn workspace_settings(&self, principal: &Principal) -> ServiceResult<WorkspaceSettings> {
        principal.require(Capability::ReadWorkspace)?;
        store::workspaces::settings(&self.db, principal.workspace_id).await?.ok_or(ServiceError::NotFound("workspace"))
    }

    /// `PATCH /api/workspace/settings`: posture fields need EditPosture and write
    /// `firewall_settings_update`; retention and judge model need ManageWorkspace and write
    /// `workspace_settings_update`.
    pub async fn update_workspace_settings(&self, principal: &Principal, input: SettingsInput, now: DateTime<Utc>) -> ServiceResult<WorkspaceSettings> {
        principal.require(Capability::ReadWorkspace)?;
        let (touches_posture, touches_workspace) = (input.touches_posture(), input.touches_workspace());
        if touches_posture {
            principal.require(Capability::EditPosture)?;
        }
        if touches_workspace {
            principal.require(Capability::ManageWorkspace)?;
        }
        let ws = principal.workspace_id;
        // Resolved before the transaction: a slow DNS answer must not hold the workspace's write lock.
        let webhook_refusal = self.vet_webhook_url(input.approval_webhook_url.as_ref()).await;
        let posture = self.begin_posture(ws).await?;
        let txn = &posture.txn;
        let current = store::workspaces::settings(txn, ws).await?.ok_or(ServiceError::NotFound("workspace"))?;
        let mut next = PostureSettings::from(&current);
        let mut errors = Vec::new();
        if let Some(observe) = input.observe_mode {
            next.observe_mode = observe;
        }
        if let Some(id) = input.default_firewall_policy_id {
            if let Some(id) = id {
                if !store::exists_in_workspace(txn, "firewall_policies", ws, id).await? {
                    errors.push(FieldError::new("default_firewall_policy_id", format!("policy {id} does not exist in this workspace")));
                }
            }
            next.default_firewall_policy_id = id;
        }
        if let Some(id) = input.default_guardrail_id {
            if let Some(id) = id {
                if !store::exists_in_workspace(txn, "guardrails", ws, id).await? {
                    errors.push(FieldError::new("default_guardrail_id", format!("guardrail {id} does not exist in this workspace")));
                }
            }
            next.default_guardrail_id = id;
        }
        if let Some(url) = input.approval_webhook_url {
            let url = url.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty());
            errors.extend(webhook_refusal);
            next.approval_webhook_url = url;
        }
        if let Some(secret) = input.approval_webhook_secret {
            match secret.filter(|s| !s.is_empty()) {
                Some(secret) if secret.chars().count() > 255 => {
                    errors.push(FieldError::new("approval_webhook_secret", "must be at most 255 characters"));
                }
                Some(secret) => next.approval_webhook_secret_enc = Some(self.secrets.encrypt(&secret)),
                None => next.approval_webhook_secret_enc = None,
            }
        }
        if let Some(ttl) = input.approval_ttl_seconds {
            if !(300..=604_800).contains(&ttl) {
                errors.push(FieldError::new("approval_ttl_seconds", "must be between 300 and 604800"));
            }
            next.approval_ttl_seconds = ttl;
        }
        let mut retention = current.log_retention_days;
        if let Some(days) = input.log_retention_days {
            if !(1..=180).contains(&days) {
                errors.push(FieldError::new("log_retention_days", "must be between 1 and 180"));
            }
            retention = days;
        }
        let mut name = current.name.clone();
        if let Some(new_name) = &input.name {
            match crate::service::required_name("name", new_name, 64) {
                Ok(valid) => name = valid,
                Err(err) => errors.push(err),
            }
        }
        let mut judge_model = current.judge_model.clone();
        if let Some(model) = input.judge_model {
            let model = model.map(|m| m.trim().to_owned()).filter(|m| !m.is_empty());
            if model.as_deref().is_some_and(|m| !m.contains('/') || m.chars().count() > 128) {
                errors.push(FieldError::new("judge_model", "must be a `provider/model` name"));
            }
            judge_model = model;
        }
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        if touches_posture {
            store::workspaces::update_posture_settings(txn, ws, &next, now).await?;
            let metadata = json!({
                "observe_mode": next.observe_mode,
                "default_firewall_policy_id": next.default_firewall_policy_id,
                "default_guardrail_id": next.default_guardrail_id,
                "approval_webhook_url": next.approval_webhook_url,
                "approval_webhook_secret_set": next.approval_webhook_secret_enc.is_some(),
                "approval_ttl_seconds": next.approval_ttl_seconds,
            });
            let row = PostureAudit { verb: "firewall_settings_update", target_type: "workspace", target_id: ws.to_string(), metadata };
            audit(txn, principal, row, now).await?;
        }
        if touches_workspace {
            store::workspaces::update_general_settings(txn, ws, retention, judge_model.as_deref(), now).await?;
            store::workspaces::rename(txn, ws, &name).await?;
            let metadata = json!({ "name": name, "log_retention_days": retention, "judge_model": judge_model });
            let row = PostureAudit { verb: "workspace_settings_update", target_type: "workspace", target_id: ws.to_string(), metadata };
            audit(txn, principal, row, now).await?;
        }
        let updated = store::workspaces::settings(txn, ws).await?.ok_or(ServiceError::NotFound("workspace"))?;
        posture.commit().await?;
        Ok(updated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_urls_must_be_https_with_a_host() {
        // Private and loopback destinations are refused by the dial guard (tests/it/settings.rs).
        assert!(check_webhook_url("https://hooks.example.com/palisade", false).is_ok());
        assert!(check_webhook_url("http://hooks.example.com/", false).is_err());
        assert!(check_webhook_url("http://hooks.example.com/", true).is_ok());
        assert!(check_webhook_url("https:///x", false).is_err());
        assert!(check_webhook_url("https://user@:443/x", false).is_err());
        assert!(check_webhook_url("ftp://x", false).is_err());
    }
}
