//! Guardrail use cases (SPEC §2.5, §4.8, §4.12): list, get, history, bound keys, create, replace
//! (optional `version` check), delete, revert, presets. Every write validates with the engine, appends a
//! version row, writes its ● audit row and bumps `posture_version`, all in one posture transaction.
//!
//! Must not run detectors (see `guardrail_test`) or know wire formats. External-rule secrets are sealed
//! with the workspace `SecretBox` before they are stored; a rule sent back without a secret keeps the
//! sealed secret of the same rule id.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::auth::roles::Capability;
use crate::engine::guardrail::config::{GuardrailConfig, RuleConfig, RuleKind};
use crate::engine::guardrail::presets::{self, Preset};
use crate::engine::guardrail::validate::validate;
use crate::service::identity::Principal;
use crate::service::posture::{audit, PostureAudit};
use crate::service::{FieldError, ServiceError, ServiceResult, Services};
use crate::store::{self, guardrails::GuardrailRecord, guardrails::GuardrailWrite, guardrails::VersionRecord};

/// A guardrail with its read-only fields.
#[derive(Clone, Debug, PartialEq)]
pub struct GuardrailView {
    pub record: GuardrailRecord,
    pub is_default: bool,
    pub attached_keys: u64,
}

/// Engine field errors → service field errors.
pub fn invalid(errors: Vec<crate::engine::guardrail::validate::FieldError>) -> ServiceError {
    ServiceError::Invalid(errors.into_iter().map(|e| FieldError::new(e.field, e.message)).collect())
}

/// Trims the name and validates the body with the engine (field paths → 422).
pub fn normalized(mut config: GuardrailConfig) -> ServiceResult<GuardrailConfig> {
    config.name = config.name.trim().to_owned();
    validate(&config).map_err(invalid)?;
    Ok(config)
}

/// The version snapshot of SPEC §2.5 (`rules` as stored, secrets sealed).
pub fn snapshot(config: &GuardrailConfig, is_default: bool) -> serde_json::Value {
    json!({
        "name": config.name,
        "description": config.description,
        "enabled": config.enabled,
        "log_raw_content": config.log_raw_content,
        "is_default": is_default,
        "rules": config.rules,
    })
}

/// The audit verb of a guardrail write; a preset also names its slug in the audit metadata.
#[derive(Clone, Copy, Debug)]
enum Verb<'a> {
    Named(&'static str),
    PresetApplied(&'a str),
}

impl Verb<'_> {
    fn name(self) -> &'static str {
        match self {
            Verb::Named(name) => name,
            Verb::PresetApplied(_) => "guardrail_preset_applied",
        }
    }

    fn annotate(self, mut metadata: serde_json::Value) -> serde_json::Value {
        if let Verb::PresetApplied(slug) = self {
            metadata["preset"] = serde_json::Value::from(slug);
        }
        metadata
    }
}

fn metadata(record: &GuardrailRecord, is_default: bool) -> serde_json::Value {
    json!({
        "id": record.id,
        "name": record.name,
        "version": record.version,
        "enabled": record.enabled,
        "log_raw_content": record.log_raw_content,
        "is_default": is_default,
        "rule_count": record.config.rules.len(),
    })
}

fn name_taken_or(err: sea_orm::DbErr, name: &str) -> ServiceError {
    if store::is_unique_violation(&err) {
        ServiceError::NameTaken(format!("guardrail name `{name}`"))
    } else {
        err.into()
    }
}

/// Removes external-rule secrets (for every read path; they are write-only).
pub fn strip_secrets(rules: &mut [RuleConfig]) {
    for rule in rules {
        if let RuleKind::External(external) = &mut rule.kind {
            external.secret = None;
        }
    }
}

impl Services {
    /// Seals new external secrets; keeps the stored sealed secret of a rule sent back without one.
    fn seal_secrets(&self, rules: &mut [RuleConfig], previous: &[RuleConfig]) {
        let sealed: HashMap<i64, Option<String>> = previous
            .iter()
            .filter_map(|r| match (&r.kind, r.id) {
                (RuleKind::External(e), Some(id)) => Some((id, e.secret.clone())),
                _ => None,
            })
            .collect();
        for rule in rules {
            let id = rule.id;
            if let RuleKind::External(external) = &mut rule.kind {
                external.secret = match external.secret.take().filter(|s| !s.is_empty()) {
                    Some(plain) => Some(self.secrets.encrypt(&plain)),
                    None => id.and_then(|id| sealed.get(&id).cloned().flatten()),
                };
            }
        }
    }

    async fn guardrail_view(&self, db: &impl ConnectionTrait, record: GuardrailRecord) -> ServiceResult<GuardrailView> {
        let settings = store::workspaces::settings(db, record.workspace_id).await?;
        let is_default = settings.is_some_and(|s| s.default_guardrail_id == Some(record.id));
        let attached_keys = store::guardrails::attached_keys(db, record.workspace_id, record.id).await?;
        Ok(GuardrailView { record, is_default, attached_keys })
    }

    async fn find_guardrail(&self, db: &impl ConnectionTrait, workspace_id: i64, id: i64) -> ServiceResult<GuardrailRecord> {
        store::guardrails::find(db, workspace_id, id).await?.ok_or(ServiceError::NotFound("guardrail"))
    }

    /// Every guardrail of the workspace, by id.
    pub async fn list_guardrails(&self, principal: &Principal) -> ServiceResult<Vec<GuardrailView>> {
        principal.require(Capability::ReadWorkspace)?;
        let mut views = Vec::new();
        for record in store::guardrails::list(&self.db, principal.workspace_id).await? {
            views.push(self.guardrail_view(&self.db, record).await?);
        }
        Ok(views)
    }

    /// One guardrail.
    pub async fn get_guardrail(&self, principal: &Principal, id: i64) -> ServiceResult<GuardrailView> {
        principal.require(Capability::ReadWorkspace)?;
        let record = self.find_guardrail(&self.db, principal.workspace_id, id).await?;
        self.guardrail_view(&self.db, record).await
    }

    /// Version history, newest first (also after the guardrail was deleted).
    pub async fn guardrail_history(&self, principal: &Principal, id: i64) -> ServiceResult<Vec<VersionRecord>> {
        principal.require(Capability::ReadWorkspace)?;
        let history = store::guardrails::history(&self.db, principal.workspace_id, id).await?;
        if history.is_empty() {
            return Err(ServiceError::NotFound("guardrail"));
        }
        Ok(history)
    }

    /// Keys bound to the guardrail: `(id, name)`.
    pub async fn guardrail_keys(&self, principal: &Principal, id: i64) -> ServiceResult<Vec<(i64, String)>> {
        principal.require(Capability::ReadWorkspace)?;
        self.find_guardrail(&self.db, principal.workspace_id, id).await?;
        Ok(store::guardrails::bound_keys(&self.db, principal.workspace_id, id).await?)
    }

    /// The preset catalogue (SPEC §4.8).
    pub fn guardrail_presets(&self, principal: &Principal) -> ServiceResult<Vec<Preset>> {
        principal.require(Capability::ReadWorkspace)?;
        Ok(presets::all())
    }

    /// Creates a guardrail with its rules (version 1, op `create`).
    pub async fn create_guardrail(&self, principal: &Principal, config: GuardrailConfig, now: DateTime<Utc>) -> ServiceResult<GuardrailView> {
        principal.require(Capability::EditPosture)?;
        let config = normalized(config)?;
        let posture = self.begin_posture(principal.workspace_id).await?;
        let view = self.insert_guardrail(&posture.txn, principal, config, Verb::Named("guardrail_create"), now).await?;
        posture.commit().await?;
        Ok(view)
    }

    async fn insert_guardrail(
        &self,
        db: &impl ConnectionTrait,
        principal: &Principal,
        mut config: GuardrailConfig,
        verb: Verb<'_>,
        now: DateTime<Utc>,
    ) -> ServiceResult<GuardrailView> {
        for rule in &mut config.rules {
            rule.id = None;
        }
        store::guardrails::assign_rule_ids(&mut config.rules, &[]);
        self.seal_secrets(&mut config.rules, &[]);
        let write = GuardrailWrite { config: &config, version: 1, actor_user_id: Some(principal.user.id), now };
        let record = store::guardrails::insert(db, principal.workspace_id, None, write)
            .await
            .map_err(|e| name_taken_or(e, &config.name))?;
        let version = VersionRecord {
            guardrail_id: record.id,
            version: 1,
            op: "create".into(),
            actor_user_id: Some(principal.user.id),
            created_at: now,
            snapshot: snapshot(&record.config, false),
        };
        store::guardrails::insert_version(db, principal.workspace_id, &version).await?;
        let metadata = verb.annotate(metadata(&record, false));
        audit(db, principal, PostureAudit { verb: verb.name(), target_type: "guardrail", target_id: record.id.to_string(), metadata }, now).await?;
        self.guardrail_view(db, record).await
    }

    /// Replaces every field and rule; `expected_version` (when sent) must be current (409 `version_mismatch`).
    pub async fn update_guardrail(
        &self,
        principal: &Principal,
        id: i64,
        config: GuardrailConfig,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> ServiceResult<GuardrailView> {
        principal.require(Capability::EditPosture)?;
        let config = normalized(config)?;
        let posture = self.begin_posture(principal.workspace_id).await?;
        let current = self.find_guardrail(&posture.txn, principal.workspace_id, id).await?;
        if expected_version.is_some_and(|v| v != current.version) {
            return Err(ServiceError::VersionMismatch("guardrail", expected_version.unwrap_or_default()));
        }
        let view = self.write_guardrail(&posture.txn, principal, &current, config, "update", Verb::Named("guardrail_update"), now).await?;
        posture.commit().await?;
        Ok(view)
    }

    /// Writes `config` over `current` at `current.version + 1` with a version row `op` and audit `verb`.
    #[allow(clippy::too_many_arguments, reason = "one private step of a transaction; a struct would only rename the arguments")]
    async fn write_guardrail(
        &self,
        db: &impl ConnectionTrait,
        principal: &Principal,
        current: &GuardrailRecord,
        mut config: GuardrailConfig,
        op: &str,
        verb: Verb<'_>,
        now: DateTime<Utc>,
    ) -> ServiceResult<GuardrailView> {
        store::guardrails::assign_rule_ids(&mut config.rules, &current.config.rules);
        if op == "update" {
            self.seal_secrets(&mut config.rules, &current.config.rules);
        }
        let version = current.version + 1;
        let write = GuardrailWrite { config: &config, version, actor_user_id: Some(principal.user.id), now };
        let record = store::guardrails::update(db, current.id, write).await.map_err(|e| name_taken_or(e, &config.name))?;
        let view = self.guardrail_view(db, record).await?;
        let row = VersionRecord {
            guardrail_id: current.id,
            version,
            op: op.into(),
            actor_user_id: Some(principal.user.id),
            created_at: now,
            snapshot: snapshot(&view.record.config, view.is_default),
        };
        store::guardrails::insert_version(db, principal.workspace_id, &row).await?;
        let metadata = verb.annotate(metadata(&view.record, view.is_default));
        audit(db, principal, PostureAudit { verb: verb.name(), target_type: "guardrail", target_id: current.id.to_string(), metadata }, now).await?;
        Ok(view)
    }

    /// Deletes a guardrail; key bindings and the workspace default that pointed at it become null.
    pub async fn delete_guardrail(&self, principal: &Principal, id: i64, now: DateTime<Utc>) -> ServiceResult<()> {
        principal.require(Capability::EditPosture)?;
        let posture = self.begin_posture(principal.workspace_id).await?;
        let current = self.find_guardrail(&posture.txn, principal.workspace_id, id).await?;
        let view = self.guardrail_view(&posture.txn, current).await?;
        store::guardrails::delete(&posture.txn, principal.workspace_id, id).await?;
        let row = VersionRecord {
            guardrail_id: id,
            version: view.record.version + 1,
            op: "delete".into(),
            actor_user_id: Some(principal.user.id),
            created_at: now,
            snapshot: snapshot(&view.record.config, view.is_default),
        };
        store::guardrails::insert_version(&posture.txn, principal.workspace_id, &row).await?;
        let mut metadata = metadata(&view.record, view.is_default);
        metadata["attached_keys"] = json!(view.attached_keys);
        let audit_row = PostureAudit { verb: "guardrail_delete", target_type: "guardrail", target_id: id.to_string(), metadata };
        audit(&posture.txn, principal, audit_row, now).await?;
        posture.commit().await
    }

    /// Appends a version equal to the snapshot of `version` (op `revert`).
    pub async fn revert_guardrail(&self, principal: &Principal, id: i64, version: i64, now: DateTime<Utc>) -> ServiceResult<GuardrailView> {
        principal.require(Capability::EditPosture)?;
        let posture = self.begin_posture(principal.workspace_id).await?;
        let current = self.find_guardrail(&posture.txn, principal.workspace_id, id).await?;
        let old = store::guardrails::find_version(&posture.txn, principal.workspace_id, id, version)
            .await?
            .ok_or_else(|| FieldError::new("version", format!("guardrail {id} has no version {version}")))?;
        let config: GuardrailConfig = serde_json::from_value(old.snapshot)
            .map_err(|e| ServiceError::Internal(anyhow::anyhow!("unreadable guardrail snapshot: {e}")))?;
        let view = self.write_guardrail(&posture.txn, principal, &current, config, "revert", Verb::Named("guardrail_revert"), now).await?;
        posture.commit().await?;
        Ok(view)
    }

    /// Applies a preset: a new guardrail named after it (` (2)`, ` (3)`… on a clash, or `name`), or its
    /// rules appended to `guardrail_id`.
    pub async fn apply_guardrail_preset(
        &self,
        principal: &Principal,
        slug: &str,
        name: Option<String>,
        guardrail_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> ServiceResult<GuardrailView> {
        principal.require(Capability::EditPosture)?;
        let preset = presets::get(slug).ok_or(ServiceError::NotFound("preset"))?;
        let posture = self.begin_posture(principal.workspace_id).await?;
        let txn = &posture.txn;
        let view = match guardrail_id {
            Some(id) => {
                let current = self.find_guardrail(txn, principal.workspace_id, id).await?;
                let mut config = current.config.clone();
                config.rules.extend(preset.rules.iter().cloned().map(|r| RuleConfig { id: None, ..r }));
                let config = normalized(config)?;
                self.write_guardrail(txn, principal, &current, config, "update", Verb::PresetApplied(slug), now).await?
            }
            None => {
                let base = name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()).unwrap_or_else(|| preset.name.to_owned());
                let mut candidate = base.clone();
                let mut n = 2;
                while store::guardrails::find_by_name(txn, principal.workspace_id, &candidate).await?.is_some() {
                    candidate = format!("{base} ({n})");
                    n += 1;
                }
                let config = GuardrailConfig {
                    name: candidate,
                    description: String::new(),
                    enabled: true,
                    log_raw_content: false,
                    rules: preset.rules.clone(),
                };
                let config = normalized(config)?;
                self.insert_guardrail(txn, principal, config, Verb::PresetApplied(slug), now).await?
            }
        };
        posture.commit().await?;
        Ok(view)
    }
}
