//! Firewall policies for the console: list, editor (rules as JSON), delete and the test sandbox.
//! Converts between the firewall services and the page DTOs; validation stays in the service/engine.

use app::error::FieldMessage;
use app::types::*;
use app::AppError;
use chrono::Utc;
use serde_json::Value;

use crate::console::convert::app_error;
use crate::engine::firewall::{parse_arguments, DefaultVerdict, Destination, PolicyConfig, RuleConfig, Surface};
use crate::service::firewall::{FirewallTestInput, PolicyPatch};
use crate::service::identity::Principal;
use crate::service::Services;

fn invalid(field: &str, message: String) -> AppError {
    AppError::Invalid { message: format!("{field}: {message}"), fields: vec![FieldMessage { field: field.into(), message }] }
}

fn verdict_name(verdict: DefaultVerdict) -> String {
    serde_json::to_value(verdict).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

pub async fn list(services: &Services, principal: &Principal) -> Result<Vec<PolicySummaryView>, AppError> {
    let policies = services.list_policies(principal).await.map_err(app_error)?;
    Ok(policies
        .into_iter()
        .map(|view| PolicySummaryView {
            id: view.record.id,
            name: view.record.name,
            enabled: view.record.enabled,
            is_default: view.is_default,
            shadow_mode: view.record.config.shadow_mode,
            default_verdict: verdict_name(view.record.config.default_verdict),
            rules: view.record.config.rules.len(),
            attached_keys: view.attached_keys,
            version: view.record.version,
        })
        .collect())
}

pub async fn get(services: &Services, principal: &Principal, id: i64) -> Result<PolicyEditView, AppError> {
    let view = services.get_policy(principal, id).await.map_err(app_error)?;
    Ok(PolicyEditView {
        id: view.record.id,
        name: view.record.name,
        description: view.record.config.description.clone(),
        enabled: view.record.enabled,
        default_verdict: verdict_name(view.record.config.default_verdict),
        shadow_mode: view.record.config.shadow_mode,
        is_default: view.is_default,
        version: view.record.version,
        attached_keys: view.attached_keys,
        rules_json: serde_json::to_string_pretty(&view.record.config.rules).unwrap_or_else(|_| "[]".into()),
    })
}

/// Creates a policy, or updates its fields and then replaces its rules.
pub async fn save(services: &Services, principal: &Principal, id: Option<i64>, form: PolicyForm) -> Result<i64, AppError> {
    let rules: Vec<RuleConfig> =
        serde_json::from_str(&form.rules).map_err(|err| invalid("rules", format!("is not a valid rules array: {err}")))?;
    let default_verdict: DefaultVerdict = serde_json::from_value(Value::String(form.default_verdict.clone()))
        .map_err(|_| invalid("default_verdict", "must be allow, audit or deny".into()))?;
    let now = Utc::now();
    match id {
        None => {
            let config = PolicyConfig {
                name: form.name,
                description: form.description,
                enabled: form.enabled,
                default_verdict,
                shadow_mode: form.shadow_mode,
                rules,
            };
            Ok(services.create_policy(principal, config, now).await.map_err(app_error)?.record.id)
        }
        Some(id) => {
            let patch = PolicyPatch {
                name: Some(form.name),
                description: Some(form.description),
                enabled: Some(form.enabled),
                default_verdict: Some(default_verdict),
                shadow_mode: Some(form.shadow_mode),
            };
            services.update_policy(principal, id, patch, now).await.map_err(app_error)?;
            Ok(services.replace_rules(principal, id, rules, now).await.map_err(app_error)?.record.id)
        }
    }
}

pub async fn delete(services: &Services, principal: &Principal, id: i64) -> Result<(), AppError> {
    services.delete_policy(principal, id, Utc::now()).await.map_err(app_error)
}

/// One sandbox evaluation with its per-rule trace.
pub async fn sandbox(services: &Services, principal: &Principal, id: i64, call: SandboxCall) -> Result<SandboxView, AppError> {
    let surface: Surface = serde_json::from_value(Value::String(call.surface.clone()))
        .map_err(|_| invalid("surface", "must be inbound, response, mcp or egress".into()))?;
    let arguments = (!call.arguments.trim().is_empty()).then(|| parse_arguments(&call.arguments));
    let destination = (!call.host.trim().is_empty()).then(|| Destination { host: Some(call.host.trim().to_owned()), ips: Vec::new(), port: None });
    let input = FirewallTestInput {
        policy_id: Some(id),
        draft: None,
        surface,
        tool_name: call.tool,
        skill_name: Some(call.skill).filter(|skill| !skill.trim().is_empty()),
        arguments,
        destination,
        run_spend_cents: 0,
        cost_estimate_cents: 0,
        shadow: None,
    };
    let outcome = services.test_firewall(principal, input).await.map_err(app_error)?;
    let evaluation = serde_json::to_value(&outcome.evaluation).unwrap_or(Value::Null);
    let text = |key: &str| evaluation.get(key).and_then(Value::as_str).map(str::to_owned);
    let flag = |key: &str| evaluation.get(key).and_then(Value::as_bool).unwrap_or(false);
    let markers = ["shadow", "gap", "review"].into_iter().filter(|key| flag(key)).map(str::to_owned).collect();
    let trace = evaluation
        .get("trace")
        .and_then(Value::as_array)
        .map(|steps| {
            steps
                .iter()
                .map(|step| {
                    let rule = step.get("rule_id").and_then(Value::as_i64).map_or_else(
                        || format!("rules[{}]", step.get("rule_index").and_then(Value::as_i64).unwrap_or(0)),
                        |id| format!("rule {id}"),
                    );
                    let matched = step.get("matched").and_then(Value::as_bool).unwrap_or(false);
                    let why = step.get("why").and_then(Value::as_str).map(|why| format!(" ({why})")).unwrap_or_default();
                    format!("{rule}: {}{why}", if matched { "matched" } else { "skipped" })
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(SandboxView {
        verdict: text("verdict").unwrap_or_default(),
        rule_label: text("rule_label"),
        reason: text("reason").unwrap_or_default(),
        markers,
        trace,
        sanitized_arguments: evaluation.get("sanitized_arguments").filter(|v| !v.is_null()).map(|v| v.to_string()),
    })
}
