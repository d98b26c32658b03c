//! Guardrails for the console: list, editor (rules as JSON), presets, test, history, revert, delete.
//! Converts between the guardrail services and the page DTOs; validation stays in the service/engine.

use app::error::FieldMessage;
use app::types::*;
use app::AppError;
use chrono::Utc;

use crate::console::convert::app_error;
use crate::engine::guardrail::builtin::Builtin;
use crate::engine::guardrail::config::{GuardrailConfig, RuleConfig, ScanStage};
use crate::engine::guardrail::pii::Entity;
use crate::service::guardrail_test::GuardrailTestInput;
use crate::service::identity::Principal;
use crate::service::Services;

/// One readable line per preset rule (type · stage · action).
fn rule_line(rule: &RuleConfig) -> String {
    let value = serde_json::to_value(rule).unwrap_or_default();
    let field = |key: &str| value.get(key).and_then(|v| v.as_str()).unwrap_or("").to_owned();
    format!("{} · {} · {}", field("type"), field("stage"), field("action"))
}

pub async fn list(services: &Services, principal: &Principal) -> Result<Vec<GuardrailSummaryView>, AppError> {
    let guardrails = services.list_guardrails(principal).await.map_err(app_error)?;
    Ok(guardrails
        .into_iter()
        .map(|view| GuardrailSummaryView {
            id: view.record.id,
            name: view.record.name,
            enabled: view.record.enabled,
            is_default: view.is_default,
            rules: view.record.config.rules.len(),
            attached_keys: view.attached_keys,
            version: view.record.version,
        })
        .collect())
}

pub async fn get(services: &Services, principal: &Principal, id: i64) -> Result<GuardrailEditView, AppError> {
    let view = services.get_guardrail(principal, id).await.map_err(app_error)?;
    let history = services.guardrail_history(principal, id).await.map_err(app_error)?;
    Ok(GuardrailEditView {
        id: view.record.id,
        name: view.record.name,
        description: view.record.description,
        enabled: view.record.enabled,
        log_raw_content: view.record.log_raw_content,
        is_default: view.is_default,
        version: view.record.version,
        attached_keys: view.attached_keys,
        rules_json: serde_json::to_string_pretty(&view.record.config.rules).unwrap_or_else(|_| "[]".into()),
        history: history
            .into_iter()
            .rev()
            .map(|version| GuardrailVersionView { version: version.version, op: version.op, created_at: version.created_at.to_rfc3339() })
            .collect(),
    })
}

pub fn presets(services: &Services, principal: &Principal) -> Result<Vec<PresetView>, AppError> {
    let presets = services.guardrail_presets(principal).map_err(app_error)?;
    Ok(presets
        .into_iter()
        .map(|preset| PresetView {
            slug: preset.slug.to_owned(),
            name: preset.name.to_owned(),
            category: preset.category.to_owned(),
            rules: preset.rules.iter().map(rule_line).collect(),
        })
        .collect())
}

/// The built-in entity and detector catalogue behind the editor's pickers; the same data as
/// `GET /api/guardrails/meta`, so the forms never offer a name the engine would reject.
pub fn meta(services: &Services, principal: &Principal) -> Result<GuardrailMetaView, AppError> {
    // Same read gate as the REST `meta` route: any workspace member.
    services.guardrail_presets(principal).map_err(app_error)?;
    Ok(catalogue())
}

fn catalogue() -> GuardrailMetaView {
    let entities = Entity::ALL
        .iter()
        .map(|e| CatalogItemView { name: e.name().to_owned(), family: format!("{:?}", e.family()).to_lowercase(), tag: e.tag() })
        .collect();
    let detectors = Builtin::ALL
        .iter()
        .map(|b| CatalogItemView { name: b.name().to_owned(), family: "detector".to_owned(), tag: b.tag() })
        .collect();
    GuardrailMetaView { entities, detectors }
}

/// Parses the form's rules JSON; a syntax error is reported on the `rules` field like any validation error.
fn config_of(form: GuardrailForm) -> Result<GuardrailConfig, AppError> {
    let rules: Vec<RuleConfig> = serde_json::from_str(&form.rules).map_err(|err| AppError::Invalid {
        message: format!("rules: {err}"),
        fields: vec![FieldMessage { field: "rules".into(), message: format!("is not a valid rules array: {err}") }],
    })?;
    Ok(GuardrailConfig {
        name: form.name,
        description: form.description,
        enabled: form.enabled,
        log_raw_content: form.log_raw_content,
        rules,
    })
}

pub async fn save(services: &Services, principal: &Principal, id: Option<i64>, version: Option<i64>, form: GuardrailForm) -> Result<i64, AppError> {
    let config = config_of(form)?;
    let now = Utc::now();
    let saved = match id {
        Some(id) => services.update_guardrail(principal, id, config, version, now).await,
        None => services.create_guardrail(principal, config, now).await,
    };
    Ok(saved.map_err(app_error)?.record.id)
}

pub async fn delete(services: &Services, principal: &Principal, id: i64) -> Result<(), AppError> {
    services.delete_guardrail(principal, id, Utc::now()).await.map_err(app_error)
}

pub async fn revert(services: &Services, principal: &Principal, id: i64, version: i64) -> Result<(), AppError> {
    services.revert_guardrail(principal, id, version, Utc::now()).await.map_err(app_error)?;
    Ok(())
}

pub async fn apply_preset(services: &Services, principal: &Principal, slug: &str) -> Result<i64, AppError> {
    let view = services.apply_guardrail_preset(principal, slug, None, None, Utc::now()).await.map_err(app_error)?;
    Ok(view.record.id)
}

pub async fn test(services: &Services, principal: &Principal, id: i64, stage: &str, text: String) -> Result<GuardrailTestView, AppError> {
    let stage = if stage == "output" { ScanStage::Output } else { ScanStage::Input };
    let input = GuardrailTestInput { guardrail_id: Some(id), draft: None, stage, text, include_advanced: false };
    let outcome = services.test_guardrail(principal, input, Utc::now()).await.map_err(app_error)?;
    Ok(GuardrailTestView {
        blocked: outcome.blocked,
        mutated: outcome.mutated,
        text: outcome.text,
        violations: outcome
            .violations
            .into_iter()
            .map(|v| format!("{} ({}): {} → {}{}", v.rule_label, v.rule_type, v.detail, v.action, if v.suppressed { " (suppressed)" } else { "" }))
            .collect(),
        advanced_skipped: outcome.advanced_skipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_offers_every_builtin_entity_by_family_and_every_detector() {
        let meta = catalogue();
        let family = |name: &str| meta.entities.iter().filter(|e| e.family == name).count();
        assert_eq!((family("personal"), family("secret"), meta.entities.len()), (11, 12, 23));
        let email = meta.entities.iter().find(|e| e.name == "email").expect("email is offered");
        assert_eq!(email.tag, "EMAIL");
        let detectors: Vec<&str> = meta.detectors.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(detectors, ["url", "markdown_image", "shell_injection", "sql_injection"]);
    }
}
