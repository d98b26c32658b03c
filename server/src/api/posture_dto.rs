//! Wire shapes shared by the posture routes (`/api/guardrails`, `/api/workspace/firewall`, `/api/audit`):
//! guardrail, policy and audit rows as JSON. Built from service views; never carries a secret (external
//! detector secrets become `secret_set`, the webhook secret `approval_webhook_secret_set`, snapshots never
//! leave the store).

use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};

use crate::domain::AuditEntry;
use crate::service::firewall::PolicyView;
use crate::service::guardrails::GuardrailView;
use crate::store::guardrails::VersionRecord;

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
pub fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Guardrail rules as JSON with external secrets replaced by `secret_set`.
pub fn guardrail_rules(rules: &Value) -> Value {
    let mut rules = rules.clone();
    if let Some(list) = rules.as_array_mut() {
        for rule in list {
            if rule["type"] == "external" {
                if let Some(config) = rule.get_mut("config").and_then(Value::as_object_mut) {
                    let set = config.remove("secret").is_some_and(|s| !s.is_null());
                    config.insert("secret_set".into(), json!(set));
                }
            }
        }
    }
    rules
}

pub fn guardrail(view: &GuardrailView) -> Value {
    let r = &view.record;
    json!({
        "id": r.id,
        "name": r.name,
        "description": r.description,
        "enabled": r.enabled,
        "log_raw_content": r.log_raw_content,
        "is_default": view.is_default,
        "version": r.version,
        "rules": guardrail_rules(&serde_json::to_value(&r.config.rules).unwrap_or(Value::Null)),
        "attached_keys": view.attached_keys,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
        "updated_by": r.updated_by,
    })
}

pub fn guardrail_version(row: &VersionRecord) -> Value {
    let mut snapshot = row.snapshot.clone();
    if let Some(rules) = snapshot.get("rules").map(guardrail_rules) {
        snapshot["rules"] = rules;
    }
    json!({
        "guardrail_id": row.guardrail_id,
        "version": row.version,
        "op": row.op,
        "actor_user_id": row.actor_user_id,
        "created_at": row.created_at,
        "snapshot": snapshot,
    })
}

pub fn policy(view: &PolicyView) -> Value {
    let r = &view.record;
    let rules: Vec<Value> = r
        .config
        .rules
        .iter()
        .zip(&r.rule_times)
        .map(|(rule, times)| {
            let mut value = serde_json::to_value(rule).unwrap_or(Value::Null);
            if let Some(object) = value.as_object_mut() {
                object.insert("policy_id".into(), json!(r.id));
                object.entry("egress").or_insert(Value::Null);
                object.entry("sanitize").or_insert(Value::Null);
                object.entry("cap_cost_cents").or_insert(Value::Null);
                object.insert("created_at".into(), json!(times.created_at));
                object.insert("updated_at".into(), json!(times.updated_at));
            }
            value
        })
        .collect();
    json!({
        "id": r.id,
        "name": r.config.name,
        "description": r.config.description,
        "enabled": r.config.enabled,
        "default_verdict": r.config.default_verdict.as_str(),
        "shadow_mode": r.config.shadow_mode,
        "version": r.version,
        "is_default": view.is_default,
        "attached_keys": view.attached_keys,
        "rules": rules,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
    })
}

pub fn audit(row: &AuditEntry) -> Value {
    let mut value = json!({
        "id": row.id,
        "created_at": row.created_at,
        "actor_type": row.actor_type,
        "actor_user_id": row.actor_user_id,
        "actor_label": row.actor_label,
        "verb": row.verb,
        "target_type": row.target_type,
        "target_id": row.target_id,
        "metadata": row.metadata,
    });
    if let Some(available) = row.undo_available {
        value["undo_available"] = json!(available);
        value["snapshot_bytes"] = json!(row.snapshot_bytes);
    }
    value
}
