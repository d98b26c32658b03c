//! Autonomy levels (SPEC §6.3–6.5): apply, current level, simulate, undo. The pure pieces (level
//! contents, `apply_level`, `current_level`, `diff`, `replay`) are the engine's; this module loads the
//! posture from the store, writes the result back and keeps the snapshots that make undo possible.
//!
//! Every apply and undo runs in one posture transaction (serialized per workspace): snapshot, object
//! upserts, settings, audit row with the snapshot. Restoring a snapshot lives in `autonomy_restore`.

use chrono::{DateTime, Duration, Utc};
use sea_orm::ConnectionTrait;
use serde::Serialize;
use serde_json::json;

use crate::auth::roles::Capability;
use crate::domain::AuditEntry;
use crate::engine::autonomy::{
    apply_level, current_level, diff, replay, replay_guardrails, GuardrailEstimate, Level, ObjectRef, Posture, PostureDiff,
    PostureGuardrail, PosturePolicy, ReplaySummary,
};
use crate::service::identity::Principal;
use crate::service::{FieldError, ServiceError, ServiceResult, Services};
use crate::store::{self, audit::AuditSnapshot, audit::NewAudit, firewall::PolicyWrite, workspaces::PostureSettings};

/// Audit verbs that change posture (● in SPEC §6.6): any of them after an autonomy row makes its undo stale.
pub const POSTURE_VERBS: [&str; 15] = [
    "firewall_policy_create",
    "firewall_policy_update",
    "firewall_policy_delete",
    "firewall_rule_create",
    "firewall_rule_update",
    "firewall_rule_delete",
    "firewall_settings_update",
    "firewall_template_applied",
    "firewall_autonomy_applied",
    "firewall_autonomy_undone",
    "guardrail_create",
    "guardrail_update",
    "guardrail_delete",
    "guardrail_revert",
    "guardrail_preset_applied",
];

/// The two autonomy verbs (undo targets).
pub const AUTONOMY_VERBS: [&str; 2] = ["firewall_autonomy_applied", "firewall_autonomy_undone"];

/// Result of `POST /autonomy`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AppliedLevel {
    pub audit_id: i64,
    pub level: Level,
    pub firewall_policy_id: Option<i64>,
    pub guardrail_id: Option<i64>,
}

/// `GET /autonomy`: the current level (`None` = `custom`) and the newest autonomy row.
#[derive(Clone, Debug, PartialEq)]
pub struct AutonomyState {
    pub current_level: Option<Level>,
    pub last_change: Option<AuditEntry>,
}

/// `GET /simulate`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Simulation {
    pub level: Level,
    pub diff: PostureDiff,
    pub replay: SimulatedReplay,
}

/// The replay half of a simulation (firewall counts flattened, guardrail estimate beside).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SimulatedReplay {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    #[serde(flatten)]
    pub summary: ReplaySummary,
    pub guardrails: GuardrailEstimate,
}

/// Result of an undo.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UndoOutcome {
    pub audit_id: i64,
    pub undone_audit_id: i64,
    pub restored: Restored,
}

/// What an undo restored.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Restored {
    pub firewall_policies: u64,
    pub guardrails: u64,
    pub settings: bool,
}

/// Parses a level or names the field (422 on the API).
pub fn parse_level(text: &str) -> ServiceResult<Level> {
    Level::parse(text).ok_or_else(|| FieldError::new("level", "must be `tight`, `balanced` or `permissive`").into())
}

/// The posture of a workspace as stored: every policy and guardrail with ids and versions, the defaults
/// with names, observe mode. Serialized, this is the autonomy snapshot.
pub async fn load_posture(db: &impl ConnectionTrait, workspace_id: i64) -> ServiceResult<Posture> {
    let settings = store::workspaces::settings(db, workspace_id).await?.ok_or(ServiceError::NotFound("workspace"))?;
    let firewall_policies: Vec<PosturePolicy> = store::firewall::list_policies(db, workspace_id)
        .await?
        .into_iter()
        .map(|p| PosturePolicy { id: Some(p.id), version: Some(p.version), policy: p.config })
        .collect();
    let guardrails: Vec<PostureGuardrail> = store::guardrails::list(db, workspace_id)
        .await?
        .into_iter()
        .map(|g| PostureGuardrail { id: Some(g.id), version: Some(g.version), guardrail: g.config })
        .collect();
    let default_firewall_policy = settings.default_firewall_policy_id.and_then(|id| {
        firewall_policies.iter().find(|p| p.id == Some(id)).map(|p| ObjectRef { id: Some(id), name: p.policy.name.clone() })
    });
    let default_guardrail = settings.default_guardrail_id.and_then(|id| {
        guardrails.iter().find(|g| g.id == Some(id)).map(|g| ObjectRef { id: Some(id), name: g.guardrail.name.clone() })
    });
    Ok(Posture { firewall_policies, guardrails, default_firewall_policy, default_guardrail, observe_mode: settings.observe_mode })
}

impl Services {
    /// Serializes `posture` for an audit row, honouring `autonomy.snapshot_cap_bytes`.
    pub(crate) fn take_snapshot(&self, posture: &Posture) -> ServiceResult<AuditSnapshot> {
        let text = serde_json::to_string(posture).map_err(|e| ServiceError::Internal(e.into()))?;
        let bytes = text.len() as u64;
        let undo_available = bytes <= self.config.autonomy.snapshot_cap_bytes;
        Ok(AuditSnapshot { snapshot: undo_available.then_some(text), snapshot_bytes: bytes as i64, undo_available })
    }

    /// `POST /api/workspace/firewall/autonomy`.
    pub async fn apply_autonomy(&self, principal: &Principal, level: &str, now: DateTime<Utc>) -> ServiceResult<AppliedLevel> {
        principal.require(Capability::EditPosture)?;
        let level = parse_level(level)?;
        let ws = principal.workspace_id;
        let posture = self.begin_posture(ws).await?;
        let txn = &posture.txn;
        let before = load_posture(txn, ws).await?;
        let snapshot = self.take_snapshot(&before)?;
        let after = apply_level(&before, level);
        let mut policy_id = None;
        if let Some(target) = after.default_policy() {
            policy_id = Some(self.upsert_level_policy(txn, ws, target, now).await?);
        }
        let mut guardrail_id = None;
        if let Some(target) = after.default_guardrail.as_ref().and_then(|r| after.guardrail(r)) {
            guardrail_id = Some(self.upsert_level_guardrail(txn, principal, target, after.default_guardrail.is_some(), now).await?);
        }
        let current = store::workspaces::settings(txn, ws).await?.ok_or(ServiceError::NotFound("workspace"))?;
        let settings = PostureSettings {
            observe_mode: after.observe_mode,
            default_firewall_policy_id: policy_id,
            default_guardrail_id: guardrail_id,
            ..PostureSettings::from(&current)
        };
        store::workspaces::update_posture_settings(txn, ws, &settings, now).await?;
        let metadata = json!({
            "level": level,
            "firewall_policy_id": policy_id,
            "guardrail_id": guardrail_id,
            "snapshot_bytes": snapshot.snapshot_bytes,
            "undo_available": snapshot.undo_available,
        });
        let entry = self.audit_autonomy(txn, principal, "firewall_autonomy_applied", metadata, snapshot, now).await?;
        posture.commit().await?;
        Ok(AppliedLevel { audit_id: entry.id, level, firewall_policy_id: policy_id, guardrail_id })
    }

    pub(crate) async fn audit_autonomy(
        &self,
        db: &impl ConnectionTrait,
        principal: &Principal,
        verb: &str,
        metadata: serde_json::Value,
        snapshot: AuditSnapshot,
        now: DateTime<Utc>,
    ) -> ServiceResult<AuditEntry> {
        let new = NewAudit {
            workspace_id: principal.workspace_id,
            actor: &principal.actor(),
            verb,
            target_type: "workspace",
            target_id: principal.workspace_id.to_string(),
            metadata,
        };
        Ok(store::audit::insert_with_snapshot(db, new, snapshot, now).await?)
    }

    /// Writes the level's policy (taking over a same-named one): fields and rules replaced, version + 1.
    async fn upsert_level_policy(&self, db: &impl ConnectionTrait, ws: i64, target: &PosturePolicy, now: DateTime<Utc>) -> ServiceResult<i64> {
        let config = &target.policy;
        match target.id {
            Some(id) => {
                let version = target.version.unwrap_or(0) + 1;
                store::firewall::update_policy(db, id, PolicyWrite::of(config, version, now)).await?;
                store::firewall::replace_rules(db, ws, id, &config.rules, false, now).await?;
                Ok(id)
            }
            None => {
                let id = store::firewall::insert_policy(db, ws, None, PolicyWrite::of(config, 1, now)).await?;
                for rule in &config.rules {
                    store::firewall::insert_rule(db, ws, id, rule, now).await?;
                }
                Ok(id)
            }
        }
    }

    /// Writes the level's guardrail (taking over a same-named one) with a version row.
    async fn upsert_level_guardrail(
        &self,
        db: &impl ConnectionTrait,
        principal: &Principal,
        target: &PostureGuardrail,
        is_default: bool,
        now: DateTime<Utc>,
    ) -> ServiceResult<i64> {
        let ws = principal.workspace_id;
        let mut config = target.guardrail.clone();
        let (id, version, op) = match target.id {
            Some(id) => {
                let previous = store::guardrails::find(db, ws, id).await?.map(|g| g.config.rules).unwrap_or_default();
                store::guardrails::assign_rule_ids(&mut config.rules, &previous);
                let version = target.version.unwrap_or(0).max(store::guardrails::max_version(db, ws, id).await?) + 1;
                let write = store::guardrails::GuardrailWrite { config: &config, version, actor_user_id: Some(principal.user.id), now };
                store::guardrails::update(db, id, write).await?;
                (id, version, "update")
            }
            None => {
                store::guardrails::assign_rule_ids(&mut config.rules, &[]);
                let write = store::guardrails::GuardrailWrite { config: &config, version: 1, actor_user_id: Some(principal.user.id), now };
                (store::guardrails::insert(db, ws, None, write).await?.id, 1, "create")
            }
        };
        let row = store::guardrails::VersionRecord {
            guardrail_id: id,
            version,
            op: op.into(),
            actor_user_id: Some(principal.user.id),
            created_at: now,
            snapshot: crate::service::guardrails::snapshot(&config, is_default),
        };
        store::guardrails::insert_version(db, ws, &row).await?;
        Ok(id)
    }

    /// `GET /api/workspace/firewall/autonomy`.
    pub async fn autonomy_state(&self, principal: &Principal) -> ServiceResult<AutonomyState> {
        principal.require(Capability::ReadWorkspace)?;
        let posture = load_posture(&self.db, principal.workspace_id).await?;
        let last_change = store::audit::latest_with_verbs(&self.db, principal.workspace_id, &AUTONOMY_VERBS).await?;
        Ok(AutonomyState { current_level: current_level(&posture), last_change })
    }

    /// `GET /api/workspace/firewall/simulate?level=`: diff and 7-day replay; writes nothing.
    pub async fn simulate_autonomy(&self, principal: &Principal, level: &str, now: DateTime<Utc>) -> ServiceResult<Simulation> {
        principal.require(Capability::ReadWorkspace)?;
        let level = parse_level(level)?;
        let before = load_posture(&self.db, principal.workspace_id).await?;
        let after = apply_level(&before, level);
        let from = now - Duration::days(7);
        let events = store::posture_feeds::recorded_calls(&self.db, principal.workspace_id, from, now).await?;
        let summary = replay(&events, level).map_err(|e| ServiceError::Internal(anyhow::anyhow!("{e}")))?;
        let matches = store::posture_feeds::recorded_matches(&self.db, principal.workspace_id, from, now).await?;
        let guardrails = replay_guardrails(&matches, level);
        Ok(Simulation { level, diff: diff(&before, &after), replay: SimulatedReplay { from, to: now, summary, guardrails } })
    }
}
