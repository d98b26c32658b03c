//! Undo of an autonomy row (SPEC §6.5): stale check, then the snapshot is restored under the same ids
//! (deleted objects re-created, objects created since deleted, settings restored), versions move forward
//! only, and the undo writes `firewall_autonomy_undone` with its own pre-undo snapshot (so it can be
//! redone).
//!
//! Must not touch key bindings except through deletion (bindings to deleted objects become null).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::auth::roles::Capability;
use crate::engine::autonomy::{current_level, Posture, PostureGuardrail, PosturePolicy};
use crate::service::autonomy::{load_posture, Restored, UndoOutcome, AUTONOMY_VERBS, POSTURE_VERBS};
use crate::service::identity::Principal;
use crate::service::{ServiceError, ServiceResult, Services};
use crate::store::{self, firewall::PolicyWrite, guardrails::GuardrailWrite, guardrails::VersionRecord, workspaces::PostureSettings};

/// A name no user object can have (names are trimmed and ≤ 64 characters), used while names swap.
fn parking_name(kind: &str, id: i64) -> String {
    format!("  restoring {kind} {id} {}", "·".repeat(60))
}

impl Services {
    /// `POST /api/workspace/firewall/autonomy/undo/:audit_id[?force=true]`.
    pub async fn undo_autonomy(&self, principal: &Principal, audit_id: i64, force: bool, now: DateTime<Utc>) -> ServiceResult<UndoOutcome> {
        principal.require(Capability::EditPosture)?;
        let ws = principal.workspace_id;
        let posture = self.begin_posture(ws).await?;
        let txn = &posture.txn;
        let target = store::audit::find(txn, ws, audit_id)
            .await?
            .filter(|row| AUTONOMY_VERBS.contains(&row.verb.as_str()))
            .ok_or(ServiceError::NotFound("autonomy change"))?;
        let Some(text) = store::audit::snapshot(txn, ws, target.id).await?.filter(|_| target.undo_available == Some(true)) else {
            return Err(ServiceError::UndoUnavailable);
        };
        let changes = store::audit::verbs_after(txn, ws, target.id, &POSTURE_VERBS).await?;
        if !changes.is_empty() && !force {
            return Err(ServiceError::StaleUndo { changes });
        }
        let wanted: Posture = serde_json::from_str(&text)
            .map_err(|e| ServiceError::Internal(anyhow::anyhow!("unreadable autonomy snapshot {}: {e}", target.id)))?;
        let before = load_posture(txn, ws).await?;
        let snapshot = self.take_snapshot(&before)?;
        let restored = self.restore_posture(txn, principal, &before, &wanted, now).await?;
        let after = load_posture(txn, ws).await?;
        let metadata = json!({
            "undone_audit_id": target.id,
            "level": current_level(&after).map_or("custom", |l| l.as_str()),
            "forced": force && !changes.is_empty(),
            "restored": restored,
            "snapshot_bytes": snapshot.snapshot_bytes,
            "undo_available": snapshot.undo_available,
        });
        let entry = self.audit_autonomy(txn, principal, "firewall_autonomy_undone", metadata, snapshot, now).await?;
        posture.commit().await?;
        Ok(UndoOutcome { audit_id: entry.id, undone_audit_id: target.id, restored })
    }

    /// Makes the stored posture equal to `wanted` (ids kept), starting from `current`.
    async fn restore_posture(
        &self,
        db: &impl ConnectionTrait,
        principal: &Principal,
        current: &Posture,
        wanted: &Posture,
        now: DateTime<Utc>,
    ) -> ServiceResult<Restored> {
        let ws = principal.workspace_id;
        let wanted_policies: HashSet<i64> = wanted.firewall_policies.iter().filter_map(|p| p.id).collect();
        let wanted_guardrails: HashSet<i64> = wanted.guardrails.iter().filter_map(|g| g.id).collect();
        // Objects created since the snapshot go first, so their names are free again.
        for policy in current.firewall_policies.iter().filter(|p| p.id.is_some_and(|id| !wanted_policies.contains(&id))) {
            store::firewall::delete_policy(db, ws, policy.id.unwrap_or_default()).await?;
        }
        for guardrail in current.guardrails.iter().filter(|g| g.id.is_some_and(|id| !wanted_guardrails.contains(&id))) {
            self.delete_for_restore(db, principal, guardrail, now).await?;
        }
        // Surviving objects whose name changes are parked under unique names first, so swapped names
        // never collide on the unique index.
        let current_policies: HashMap<i64, &PosturePolicy> = current.firewall_policies.iter().filter_map(|p| Some((p.id?, p))).collect();
        let current_guardrails: HashMap<i64, &PostureGuardrail> = current.guardrails.iter().filter_map(|g| Some((g.id?, g))).collect();
        for policy in &wanted.firewall_policies {
            let Some(id) = policy.id else { continue };
            if let Some(have) = current_policies.get(&id).filter(|have| have.policy.name != policy.policy.name) {
                let parked = parking_name("policy", id);
                let write = PolicyWrite { name: &parked, ..PolicyWrite::of(&have.policy, have.version.unwrap_or(1), now) };
                store::firewall::update_policy(db, id, write).await?;
            }
        }
        for guardrail in &wanted.guardrails {
            let Some(id) = guardrail.id else { continue };
            if let Some(have) = current_guardrails.get(&id).filter(|have| have.guardrail.name != guardrail.guardrail.name) {
                let mut parked = have.guardrail.clone();
                parked.name = parking_name("guardrail", id);
                let write = GuardrailWrite { config: &parked, version: have.version.unwrap_or(1), actor_user_id: Some(principal.user.id), now };
                store::guardrails::update(db, id, write).await?;
            }
        }
        let mut restored = Restored::default();
        for policy in &wanted.firewall_policies {
            let Some(id) = policy.id else { continue };
            let config = &policy.policy;
            match current_policies.get(&id) {
                Some(have) => {
                    let version = have.version.unwrap_or(0).max(policy.version.unwrap_or(0)) + 1;
                    store::firewall::update_policy(db, id, PolicyWrite::of(config, version, now)).await?;
                    store::firewall::replace_rules(db, ws, id, &config.rules, true, now).await?;
                }
                None => {
                    let version = policy.version.unwrap_or(0) + 1;
                    store::firewall::insert_policy(db, ws, Some(id), PolicyWrite::of(config, version, now)).await?;
                    for rule in &config.rules {
                        store::firewall::insert_rule(db, ws, id, rule, now).await?;
                    }
                }
            }
            restored.firewall_policies += 1;
        }
        for guardrail in &wanted.guardrails {
            let Some(id) = guardrail.id else { continue };
            let is_default = wanted.default_guardrail.as_ref().and_then(|r| r.id) == Some(id);
            self.restore_guardrail(db, principal, id, guardrail, current_guardrails.get(&id).copied(), is_default, now).await?;
            restored.guardrails += 1;
        }
        let settings = store::workspaces::settings(db, ws).await?.ok_or(ServiceError::NotFound("workspace"))?;
        let next = PostureSettings {
            observe_mode: wanted.observe_mode,
            default_firewall_policy_id: wanted.default_firewall_policy.as_ref().and_then(|r| r.id),
            default_guardrail_id: wanted.default_guardrail.as_ref().and_then(|r| r.id),
            ..PostureSettings::from(&settings)
        };
        store::workspaces::update_posture_settings(db, ws, &next, now).await?;
        restored.settings = true;
        Ok(restored)
    }

    /// Deletes a guardrail created since the snapshot, with its `delete` history row.
    async fn delete_for_restore(&self, db: &impl ConnectionTrait, principal: &Principal, guardrail: &PostureGuardrail, now: DateTime<Utc>) -> ServiceResult<()> {
        let ws = principal.workspace_id;
        let id = guardrail.id.unwrap_or_default();
        store::guardrails::delete(db, ws, id).await?;
        let version = store::guardrails::max_version(db, ws, id).await?.max(guardrail.version.unwrap_or(0)) + 1;
        let row = VersionRecord {
            guardrail_id: id,
            version,
            op: "delete".into(),
            actor_user_id: Some(principal.user.id),
            created_at: now,
            snapshot: crate::service::guardrails::snapshot(&guardrail.guardrail, false),
        };
        store::guardrails::insert_version(db, ws, &row).await?;
        Ok(())
    }

    /// Writes one snapshot guardrail back under its id with a `restore` history row.
    #[allow(clippy::too_many_arguments, reason = "one private step of a transaction; a struct would only rename the arguments")]
    async fn restore_guardrail(
        &self,
        db: &impl ConnectionTrait,
        principal: &Principal,
        id: i64,
        wanted: &PostureGuardrail,
        have: Option<&PostureGuardrail>,
        is_default: bool,
        now: DateTime<Utc>,
    ) -> ServiceResult<()> {
        let ws = principal.workspace_id;
        let history = store::guardrails::max_version(db, ws, id).await?;
        let version = history.max(have.and_then(|h| h.version).unwrap_or(0)).max(wanted.version.unwrap_or(0)) + 1;
        let write = GuardrailWrite { config: &wanted.guardrail, version, actor_user_id: Some(principal.user.id), now };
        match have {
            Some(_) => store::guardrails::update(db, id, write).await?,
            None => store::guardrails::insert(db, ws, Some(id), write).await?,
        };
        let row = VersionRecord {
            guardrail_id: id,
            version,
            op: "restore".into(),
            actor_user_id: Some(principal.user.id),
            created_at: now,
            snapshot: crate::service::guardrails::snapshot(&wanted.guardrail, is_default),
        };
        store::guardrails::insert_version(db, ws, &row).await?;
        Ok(())
    }
}
