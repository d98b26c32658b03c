//! Firewall policy use cases (SPEC §2.6, §5.14–5.16): policies and rules CRUD, reorder (replace the rule
//! list), shadow toggle (a policy patch), templates and the test sandbox. Every write is validated by the
//! engine, bumps the policy `version`, writes its ● audit row and bumps `posture_version` in one posture
//! transaction.
//!
//! Must not evaluate real traffic or write events: the sandbox stores nothing.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::auth::roles::Capability;
use crate::engine::firewall::templates::{template_policy, TEMPLATE_NAMES};
use crate::engine::firewall::validate::validate_rule;
use crate::engine::firewall::{
    validate, CompiledPolicy, DefaultVerdict, Destination, EvalContext, Evaluation, PolicyConfig, RuleConfig, Surface, ToolCall,
};
use crate::service::identity::Principal;
use crate::service::posture::{audit, PostureAudit};
use crate::service::{FieldError, ServiceError, ServiceResult, Services};
use crate::store::{self, firewall::PolicyRecord, firewall::PolicyWrite};

/// A policy with its read-only fields.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyView {
    pub record: PolicyRecord,
    pub is_default: bool,
    pub attached_keys: u64,
}

/// `PATCH /policies/:id`: the policy-level fields; `None` = unchanged.
#[derive(Clone, Debug, Default)]
pub struct PolicyPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
    pub default_verdict: Option<DefaultVerdict>,
    pub shadow_mode: Option<bool>,
}

/// `POST /test` input (SPEC §5.14).
#[derive(Clone, Debug)]
pub struct FirewallTestInput {
    pub policy_id: Option<i64>,
    pub draft: Option<PolicyConfig>,
    pub surface: Surface,
    pub tool_name: String,
    pub skill_name: Option<String>,
    pub arguments: Option<serde_json::Value>,
    pub destination: Option<Destination>,
    pub run_spend_cents: i64,
    pub cost_estimate_cents: i64,
    pub shadow: Option<bool>,
}

/// `POST /test` result: the engine's evaluation of the call and the policy's name.
#[derive(Clone, Debug, PartialEq)]
pub struct FirewallTestOutcome {
    pub policy_name: String,
    pub evaluation: Evaluation,
}

fn invalid(errors: Vec<crate::engine::firewall::FieldError>) -> ServiceError {
    ServiceError::Invalid(errors.into_iter().map(|e| FieldError::new(e.field, e.message)).collect())
}

/// Trims the name and validates a whole policy body with the engine.
pub fn normalized(mut config: PolicyConfig) -> ServiceResult<PolicyConfig> {
    config.name = config.name.trim().to_owned();
    validate(&config).map_err(invalid)?;
    Ok(config)
}

/// Validates one rule with field paths relative to the rule body.
fn check_rule(rule: &RuleConfig) -> ServiceResult<()> {
    let mut errors = Vec::new();
    validate_rule("rule", rule, &mut errors);
    if errors.is_empty() {
        return Ok(());
    }
    Err(ServiceError::Invalid(
        errors.into_iter().map(|e| FieldError::new(e.field.trim_start_matches("rule.").to_owned(), e.message)).collect(),
    ))
}

fn policy_metadata(view: &PolicyView) -> serde_json::Value {
    let p = &view.record.config;
    json!({
        "id": view.record.id,
        "name": p.name,
        "is_default": view.is_default,
        "default_verdict": p.default_verdict.as_str(),
        "enabled": p.enabled,
        "shadow_mode": p.shadow_mode,
        "version": view.record.version,
    })
}

fn rule_metadata(policy_id: i64, rule: &RuleConfig) -> serde_json::Value {
    json!({
        "id": rule.id,
        "policy_id": policy_id,
        "verdict": rule.verdict.as_str(),
        "stage": rule.stage.as_str(),
        "tool_name_glob": rule.tool_name_glob,
        "priority": rule.priority,
    })
}

fn name_taken_or(err: sea_orm::DbErr, name: &str) -> ServiceError {
    if store::is_unique_violation(&err) {
        ServiceError::NameTaken(format!("policy name `{name}`"))
    } else {
        err.into()
    }
}

impl Services {
    async fn policy_view(&self, db: &impl ConnectionTrait, record: PolicyRecord) -> ServiceResult<PolicyView> {
        let settings = store::workspaces::settings(db, record.workspace_id).await?;
        let is_default = settings.is_some_and(|s| s.default_firewall_policy_id == Some(record.id));
        let attached_keys = store::firewall::attached_keys(db, record.workspace_id, record.id).await?;
        Ok(PolicyView { record, is_default, attached_keys })
    }

    async fn find_policy(&self, db: &impl ConnectionTrait, workspace_id: i64, id: i64) -> ServiceResult<PolicyRecord> {
        store::firewall::find_policy(db, workspace_id, id).await?.ok_or(ServiceError::NotFound("firewall policy"))
    }

    async fn reload_policy(&self, db: &impl ConnectionTrait, workspace_id: i64, id: i64) -> ServiceResult<PolicyView> {
        let record = self.find_policy(db, workspace_id, id).await?;
        self.policy_view(db, record).await
    }

    /// Every policy of the workspace with its rules, by id.
    pub async fn list_policies(&self, principal: &Principal) -> ServiceResult<Vec<PolicyView>> {
        principal.require(Capability::ReadWorkspace)?;
        let mut views = Vec::new();
        for record in store::firewall::list_policies(&self.db, principal.workspace_id).await? {
            views.push(self.policy_view(&self.db, record).await?);
        }
        Ok(views)
    }

    /// One policy with its rules in evaluation order.
    pub async fn get_policy(&self, principal: &Principal, id: i64) -> ServiceResult<PolicyView> {
        principal.require(Capability::ReadWorkspace)?;
        self.reload_policy(&self.db, principal.workspace_id, id).await
    }

    /// Creates a policy with its rules (`firewall_policy_create`, or `verb` for templates).
    pub async fn create_policy(&self, principal: &Principal, config: PolicyConfig, now: DateTime<Utc>) -> ServiceResult<PolicyView> {
        principal.require(Capability::EditPosture)?;
        let config = normalized(config)?;
        let posture = self.begin_posture(principal.workspace_id).await?;
        let view = self.insert_policy(&posture.txn, principal, &config, now).await?;
        let row = PostureAudit { verb: "firewall_policy_create", target_type: "firewall_policy", target_id: view.record.id.to_string(), metadata: policy_metadata(&view) };
        audit(&posture.txn, principal, row, now).await?;
        posture.commit().await?;
        Ok(view)
    }

    async fn insert_policy(&self, db: &impl ConnectionTrait, principal: &Principal, config: &PolicyConfig, now: DateTime<Utc>) -> ServiceResult<PolicyView> {
        let ws = principal.workspace_id;
        let id = store::firewall::insert_policy(db, ws, None, PolicyWrite::of(config, 1, now)).await.map_err(|e| name_taken_or(e, &config.name))?;
        for rule in &config.rules {
            store::firewall::insert_rule(db, ws, id, &RuleConfig { id: None, ..rule.clone() }, now).await?;
        }
        self.reload_policy(db, ws, id).await
    }

    /// Patches policy-level fields (including the shadow toggle).
    pub async fn update_policy(&self, principal: &Principal, id: i64, patch: PolicyPatch, now: DateTime<Utc>) -> ServiceResult<PolicyView> {
        principal.require(Capability::EditPosture)?;
        let posture = self.begin_posture(principal.workspace_id).await?;
        let current = self.find_policy(&posture.txn, principal.workspace_id, id).await?;
        let mut config = current.config.clone();
        if let Some(name) = patch.name {
            config.name = name;
        }
        if let Some(description) = patch.description {
            config.description = description;
        }
        if let Some(enabled) = patch.enabled {
            config.enabled = enabled;
        }
        if let Some(verdict) = patch.default_verdict {
            config.default_verdict = verdict;
        }
        if let Some(shadow) = patch.shadow_mode {
            config.shadow_mode = shadow;
        }
        let config = normalized(config)?;
        store::firewall::update_policy(&posture.txn, id, PolicyWrite::of(&config, current.version + 1, now))
            .await
            .map_err(|e| name_taken_or(e, &config.name))?;
        let view = self.reload_policy(&posture.txn, principal.workspace_id, id).await?;
        let row = PostureAudit { verb: "firewall_policy_update", target_type: "firewall_policy", target_id: id.to_string(), metadata: policy_metadata(&view) };
        audit(&posture.txn, principal, row, now).await?;
        posture.commit().await?;
        Ok(view)
    }

    /// Deletes a policy and its rules; key bindings and the workspace default become null.
    pub async fn delete_policy(&self, principal: &Principal, id: i64, now: DateTime<Utc>) -> ServiceResult<()> {
        principal.require(Capability::EditPosture)?;
        let posture = self.begin_posture(principal.workspace_id).await?;
        let view = self.reload_policy(&posture.txn, principal.workspace_id, id).await?;
        store::firewall::delete_policy(&posture.txn, principal.workspace_id, id).await?;
        let mut metadata = policy_metadata(&view);
        metadata["attached_keys"] = json!(view.attached_keys);
        let row = PostureAudit { verb: "firewall_policy_delete", target_type: "firewall_policy", target_id: id.to_string(), metadata };
        audit(&posture.txn, principal, row, now).await?;
        posture.commit().await
    }

    /// Adds one rule; returns the policy and the new rule's id.
    pub async fn create_rule(&self, principal: &Principal, policy_id: i64, rule: RuleConfig, now: DateTime<Utc>) -> ServiceResult<(PolicyView, i64)> {
        principal.require(Capability::EditPosture)?;
        check_rule(&rule)?;
        let posture = self.begin_posture(principal.workspace_id).await?;
        let current = self.find_policy(&posture.txn, principal.workspace_id, policy_id).await?;
        if current.config.rules.len() >= crate::engine::firewall::validate::MAX_RULES {
            return Err(FieldError::new("rules", "a policy has at most 500 rules").into());
        }
        let rule = RuleConfig { id: None, ..rule };
        let rule_id = store::firewall::insert_rule(&posture.txn, principal.workspace_id, policy_id, &rule, now).await?;
        store::firewall::set_policy_version(&posture.txn, policy_id, current.version + 1, now).await?;
        let metadata = rule_metadata(policy_id, &RuleConfig { id: Some(rule_id), ..rule });
        let row = PostureAudit { verb: "firewall_rule_create", target_type: "firewall_rule", target_id: rule_id.to_string(), metadata };
        audit(&posture.txn, principal, row, now).await?;
        let view = self.reload_policy(&posture.txn, principal.workspace_id, policy_id).await?;
        posture.commit().await?;
        Ok((view, rule_id))
    }

    /// Patches one rule: `patch` is a JSON object whose keys replace the rule's fields.
    pub async fn update_rule(
        &self,
        principal: &Principal,
        policy_id: i64,
        rule_id: i64,
        patch: serde_json::Map<String, serde_json::Value>,
        now: DateTime<Utc>,
    ) -> ServiceResult<PolicyView> {
        principal.require(Capability::EditPosture)?;
        let posture = self.begin_posture(principal.workspace_id).await?;
        let current = self.find_policy(&posture.txn, principal.workspace_id, policy_id).await?;
        let old = current.config.rules.iter().find(|r| r.id == Some(rule_id)).ok_or(ServiceError::NotFound("firewall rule"))?;
        let mut merged = serde_json::to_value(old).map_err(|e| ServiceError::Internal(e.into()))?;
        if let Some(object) = merged.as_object_mut() {
            for (key, value) in patch {
                object.insert(key, value);
            }
            object.insert("id".into(), json!(rule_id));
        }
        let rule: RuleConfig = serde_json::from_value(merged).map_err(|e| FieldError::new("rule", format!("invalid rule: {e}")))?;
        check_rule(&rule)?;
        store::firewall::update_rule(&posture.txn, rule_id, &rule, now).await?;
        store::firewall::set_policy_version(&posture.txn, policy_id, current.version + 1, now).await?;
        let row = PostureAudit { verb: "firewall_rule_update", target_type: "firewall_rule", target_id: rule_id.to_string(), metadata: rule_metadata(policy_id, &rule) };
        audit(&posture.txn, principal, row, now).await?;
        let view = self.reload_policy(&posture.txn, principal.workspace_id, policy_id).await?;
        posture.commit().await?;
        Ok(view)
    }

    /// Deletes one rule.
    pub async fn delete_rule(&self, principal: &Principal, policy_id: i64, rule_id: i64, now: DateTime<Utc>) -> ServiceResult<()> {
        principal.require(Capability::EditPosture)?;
        let posture = self.begin_posture(principal.workspace_id).await?;
        let current = self.find_policy(&posture.txn, principal.workspace_id, policy_id).await?;
        let old = current.config.rules.iter().find(|r| r.id == Some(rule_id)).ok_or(ServiceError::NotFound("firewall rule"))?;
        store::firewall::delete_rule(&posture.txn, principal.workspace_id, policy_id, rule_id).await?;
        store::firewall::set_policy_version(&posture.txn, policy_id, current.version + 1, now).await?;
        let row = PostureAudit { verb: "firewall_rule_delete", target_type: "firewall_rule", target_id: rule_id.to_string(), metadata: rule_metadata(policy_id, old) };
        audit(&posture.txn, principal, row, now).await?;
        posture.commit().await
    }

    /// Replaces the rule list (reorder, bulk edit): rules with a known id keep it, the rest are new,
    /// missing ones are deleted. One `firewall_policy_update` audit row.
    pub async fn replace_rules(&self, principal: &Principal, policy_id: i64, rules: Vec<RuleConfig>, now: DateTime<Utc>) -> ServiceResult<PolicyView> {
        principal.require(Capability::EditPosture)?;
        let posture = self.begin_posture(principal.workspace_id).await?;
        let current = self.find_policy(&posture.txn, principal.workspace_id, policy_id).await?;
        let config = normalized(PolicyConfig { rules, ..current.config.clone() })?;
        store::firewall::replace_rules(&posture.txn, principal.workspace_id, policy_id, &config.rules, false, now).await?;
        store::firewall::set_policy_version(&posture.txn, policy_id, current.version + 1, now).await?;
        let view = self.reload_policy(&posture.txn, principal.workspace_id, policy_id).await?;
        let mut metadata = policy_metadata(&view);
        metadata["rule_count"] = json!(view.record.config.rules.len());
        let row = PostureAudit { verb: "firewall_policy_update", target_type: "firewall_policy", target_id: policy_id.to_string(), metadata };
        audit(&posture.txn, principal, row, now).await?;
        posture.commit().await?;
        Ok(view)
    }

    /// The template catalogue: `(slug, policy body)`.
    pub fn firewall_templates(&self, principal: &Principal) -> ServiceResult<Vec<(&'static str, PolicyConfig)>> {
        principal.require(Capability::ReadWorkspace)?;
        Ok(TEMPLATE_NAMES.iter().filter_map(|slug| template_policy(slug, None).map(|p| (*slug, p))).collect())
    }

    /// Creates one new policy from a template (not default, not bound).
    pub async fn apply_firewall_template(&self, principal: &Principal, template: &str, name: Option<String>, now: DateTime<Utc>) -> ServiceResult<PolicyView> {
        principal.require(Capability::EditPosture)?;
        let name = name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
        let config = template_policy(template, name.as_deref())
            .ok_or_else(|| FieldError::new("template", format!("must be one of {}", TEMPLATE_NAMES.join(", "))))?;
        let config = normalized(config)?;
        let posture = self.begin_posture(principal.workspace_id).await?;
        let view = self.insert_policy(&posture.txn, principal, &config, now).await?;
        let mut metadata = policy_metadata(&view);
        metadata["template"] = json!(template);
        let row = PostureAudit { verb: "firewall_template_applied", target_type: "firewall_policy", target_id: view.record.id.to_string(), metadata };
        audit(&posture.txn, principal, row, now).await?;
        posture.commit().await?;
        Ok(view)
    }

    /// The test sandbox: runs the real engine on a saved or draft policy; writes nothing.
    pub async fn test_firewall(&self, principal: &Principal, input: FirewallTestInput) -> ServiceResult<FirewallTestOutcome> {
        principal.require(Capability::EditPosture)?;
        let (config, prefix) = match (input.policy_id, input.draft) {
            (Some(id), None) => (self.find_policy(&self.db, principal.workspace_id, id).await?.config, ""),
            (None, Some(draft)) => (draft, "draft."),
            _ => return Err(FieldError::new("policy_id", "send exactly one of `policy_id` and `draft`").into()),
        };
        let compiled = CompiledPolicy::compile(&config).map_err(|e| {
            ServiceError::Invalid(e.fields.into_iter().map(|f| FieldError::new(format!("{prefix}{}", f.field), f.message)).collect())
        })?;
        let tool_name = input.tool_name.trim().to_owned();
        if tool_name.is_empty() {
            return Err(FieldError::new("tool_name", "must not be empty").into());
        }
        let call = ToolCall { surface: input.surface, tool: tool_name, skill: input.skill_name, arguments: input.arguments, destination: input.destination };
        let ctx = EvalContext {
            run_spend_cents: input.run_spend_cents,
            estimate_cents: input.cost_estimate_cents,
            shadow: input.shadow,
            ..EvalContext::default()
        };
        Ok(FirewallTestOutcome { policy_name: config.name.clone(), evaluation: compiled.evaluate(&call, &ctx) })
    }
}
