//! Policy resolution (SPEC §1.4) over a per-workspace cache of compiled guardrails and policies, keyed by
//! `posture_version`: every posture change bumps the version in its transaction, so the next request
//! after a commit sees a new version and recompiles what it needs (ARCHITECTURE "Posture").
//!
//! Must not decide anything about traffic: it returns what resolves, the pipeline applies it. A stored
//! config that no longer compiles is an internal error, never "no screening" (fail-closed).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use crate::domain::ApiKey;
use crate::engine::firewall::CompiledPolicy;
use crate::engine::guardrail::compile::CompiledGuardrail;
use crate::service::{ServiceError, ServiceResult, Services};
use crate::store;
use crate::store::workspaces::WorkspaceSettings;

/// A resolved, compiled guardrail.
#[derive(Debug)]
pub struct ActiveGuardrail {
    pub id: i64,
    pub name: String,
    pub log_raw_content: bool,
    pub compiled: CompiledGuardrail,
}

/// A resolved, compiled firewall policy.
#[derive(Debug)]
pub struct ActivePolicy {
    pub id: i64,
    pub name: String,
    pub compiled: CompiledPolicy,
}

/// What one request runs under (resolved once per request, §1.5 stage 9).
#[derive(Clone, Debug, Default)]
pub struct Posture {
    pub guardrail: Option<Arc<ActiveGuardrail>>,
    pub policy: Option<Arc<ActivePolicy>>,
    pub observe_mode: bool,
    pub judge_model: Option<String>,
    /// The workspace's suppressed fingerprints (§4.11), dropped by the engine before the fold; loaded
    /// only when a guardrail resolves.
    pub suppressed: Arc<HashSet<String>>,
}

/// A workspace's suppressed fingerprints (§4.11).
type Fingerprints = HashSet<String>;

/// A cached object: the version it was compiled under and the compiled value (`None` = absent or disabled).
type Slot<T> = (i64, Option<Arc<T>>);

/// Compiled guardrails and policies by (workspace, id).
#[derive(Debug, Default)]
pub struct PostureCache {
    guardrails: RwLock<HashMap<(i64, i64), Slot<ActiveGuardrail>>>,
    policies: RwLock<HashMap<(i64, i64), Slot<ActivePolicy>>>,
    /// Suppressed fingerprints by (workspace, 0): a mark-fp or delete bumps the version like any posture change.
    suppressed: RwLock<HashMap<(i64, i64), Slot<Fingerprints>>>,
}

fn cached<T>(map: &RwLock<HashMap<(i64, i64), Slot<T>>>, key: (i64, i64), version: i64) -> Option<Option<Arc<T>>> {
    let map = map.read().unwrap_or_else(std::sync::PoisonError::into_inner);
    map.get(&key).filter(|(at, _)| *at == version).map(|(_, value)| value.clone())
}

fn store_slot<T>(map: &RwLock<HashMap<(i64, i64), Slot<T>>>, key: (i64, i64), version: i64, value: Option<Arc<T>>) {
    let mut map = map.write().unwrap_or_else(std::sync::PoisonError::into_inner);
    map.insert(key, (version, value));
}

impl Services {
    /// Stage 9: the guardrail and policy that apply to `key` now (§1.4).
    pub async fn resolve_posture(&self, key: &ApiKey) -> ServiceResult<Posture> {
        let workspace_id = key.workspace_id;
        let settings = self.live_settings(workspace_id).await?;
        let version = settings.posture_version;
        // Guardrail: an explicit binding to a disabled guardrail is an off switch (§1.4 step 2).
        let guardrail = match key.guardrail_id {
            Some(id) => match self.guardrail_slot(workspace_id, id, version).await? {
                Found::Enabled(g) => Some(g),
                Found::Disabled => None,
                Found::Missing => self.default_guardrail(workspace_id, settings.default_guardrail_id, version).await?,
            },
            None => self.default_guardrail(workspace_id, settings.default_guardrail_id, version).await?,
        };
        // Policy: a disabled binding falls back to the workspace default (§1.4 policy step 2).
        let mut policy = None;
        if let Some(id) = key.firewall_policy_id {
            policy = self.policy_slot(workspace_id, id, version).await?;
        }
        if policy.is_none() {
            if let Some(id) = settings.default_firewall_policy_id {
                policy = self.policy_slot(workspace_id, id, version).await?;
            }
        }
        let suppressed = match guardrail {
            Some(_) => self.suppressed_slot(workspace_id, version).await?,
            None => Arc::default(),
        };
        Ok(Posture { guardrail, policy, observe_mode: settings.observe_mode, judge_model: settings.judge_model.clone(), suppressed })
    }

    /// The suppressed fingerprints of `workspace_id` at `version`, read once per version.
    async fn suppressed_slot(&self, workspace_id: i64, version: i64) -> ServiceResult<Arc<HashSet<String>>> {
        let cache = &self.relay.posture;
        if let Some(Some(hit)) = cached(&cache.suppressed, (workspace_id, 0), version) {
            return Ok(hit);
        }
        let set = Arc::new(store::suppressions::fingerprints(&self.db, workspace_id).await?);
        store_slot(&cache.suppressed, (workspace_id, 0), version, Some(set.clone()));
        Ok(set)
    }

    /// The workspace's settings from the live cache, or else the database (then cached). A key whose
    /// workspace is gone is an invalid key.
    pub async fn live_settings(&self, workspace_id: i64) -> ServiceResult<Arc<WorkspaceSettings>> {
        let now = std::time::Instant::now();
        if let Some(settings) = self.live.settings(workspace_id, now) {
            return Ok(settings);
        }
        let generation = self.live.generation();
        let settings = store::workspaces::settings(&self.db, workspace_id).await?.ok_or(ServiceError::InvalidApiKey)?;
        let settings = Arc::new(settings);
        self.live.put_settings(Arc::clone(&settings), generation, now);
        Ok(settings)
    }

    async fn default_guardrail(&self, workspace_id: i64, id: Option<i64>, version: i64) -> ServiceResult<Option<Arc<ActiveGuardrail>>> {
        let Some(id) = id else { return Ok(None) };
        Ok(match self.guardrail_slot(workspace_id, id, version).await? {
            Found::Enabled(g) => Some(g),
            Found::Disabled | Found::Missing => None,
        })
    }

    async fn guardrail_slot(&self, workspace_id: i64, id: i64, version: i64) -> ServiceResult<Found<ActiveGuardrail>> {
        let cache = &self.relay.posture;
        if let Some(hit) = cached(&cache.guardrails, (workspace_id, id), version) {
            return Ok(hit.map_or(Found::Disabled, Found::Enabled));
        }
        let Some(record) = store::guardrails::find(&self.db, workspace_id, id).await? else { return Ok(Found::Missing) };
        let value = if record.enabled {
            let compiled = CompiledGuardrail::compile(&record.config)
                .map_err(|err| ServiceError::Internal(anyhow::anyhow!("stored guardrail {id} does not compile: {err}")))?;
            Some(Arc::new(ActiveGuardrail { id, name: record.name, log_raw_content: record.log_raw_content, compiled }))
        } else {
            None
        };
        store_slot(&cache.guardrails, (workspace_id, id), version, value.clone());
        Ok(value.map_or(Found::Disabled, Found::Enabled))
    }

    async fn policy_slot(&self, workspace_id: i64, id: i64, version: i64) -> ServiceResult<Option<Arc<ActivePolicy>>> {
        let cache = &self.relay.posture;
        if let Some(hit) = cached(&cache.policies, (workspace_id, id), version) {
            return Ok(hit);
        }
        let Some(record) = store::firewall::find_policy(&self.db, workspace_id, id).await? else { return Ok(None) };
        let value = if record.enabled {
            let compiled = CompiledPolicy::compile(&record.config)
                .map_err(|err| ServiceError::Internal(anyhow::anyhow!("stored policy {id} does not compile: {err}")))?;
            Some(Arc::new(ActivePolicy { id, name: record.name, compiled }))
        } else {
            None
        };
        store_slot(&cache.policies, (workspace_id, id), version, value.clone());
        Ok(value)
    }
}

enum Found<T> {
    Enabled(Arc<T>),
    Disabled,
    Missing,
}
