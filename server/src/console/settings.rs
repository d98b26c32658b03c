//! The Settings page for the console: workspace settings, the posture and workspace forms, and workspace
//! providers. Converts form strings into the same service inputs as `PATCH /api/workspace/settings` and
//! `/api/providers`; permissions and validation stay in the services.

use app::types::*;
use app::AppError;
use chrono::Utc;

use crate::console::convert::app_error;
use crate::console::{guardrails, policies};
use crate::service::posture::SettingsInput;
use crate::service::providers::ProviderInput;
use crate::service::identity::Principal;
use crate::service::{FieldError, ServiceError, Services};
use crate::store::providers::{ProviderModel, ProviderRecord};

fn invalid(errors: Vec<FieldError>) -> AppError {
    app_error(ServiceError::Invalid(errors))
}

/// An optional id from a radio group or input: empty = none.
fn optional_id(field: &str, text: &str) -> Result<Option<i64>, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| FieldError::new(field, "must be an id"))
}

fn number<T: std::str::FromStr>(field: &str, text: &str) -> Result<T, FieldError> {
    text.trim().parse().map_err(|_| FieldError::new(field, "must be a number"))
}

/// One line per model, `id [input_usd_per_mtok [output_usd_per_mtok]]`; errors name `models[i]…` like
/// the API so the page can show them next to the textarea.
pub fn parse_models(text: &str) -> Result<Vec<ProviderModel>, Vec<FieldError>> {
    let mut models = Vec::new();
    let mut errors = Vec::new();
    for (idx, line) in text.lines().map(str::trim).filter(|line| !line.is_empty()).enumerate() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        let price = |at: usize, name: &str, errors: &mut Vec<FieldError>| match parts.get(at) {
            None => 0.0,
            Some(text) => text.parse::<f64>().unwrap_or_else(|_| {
                errors.push(FieldError::new(format!("models[{idx}].{name}"), "must be a number"));
                0.0
            }),
        };
        let input_usd_per_mtok = price(1, "input_usd_per_mtok", &mut errors);
        let output_usd_per_mtok = price(2, "output_usd_per_mtok", &mut errors);
        if parts.len() > 3 {
            errors.push(FieldError::new(format!("models[{idx}]"), "must be `id [input price [output price]]`"));
        }
        models.push(ProviderModel { id: parts[0].to_owned(), input_usd_per_mtok, output_usd_per_mtok });
    }
    if errors.is_empty() {
        Ok(models)
    } else {
        Err(errors)
    }
}

fn models_text(models: &[ProviderModel]) -> String {
    models.iter().map(|m| format!("{} {} {}", m.id, m.input_usd_per_mtok, m.output_usd_per_mtok)).collect::<Vec<_>>().join("\n")
}

fn provider_view(provider: ProviderRecord) -> ProviderView {
    ProviderView {
        id: provider.id,
        models_text: models_text(&provider.models),
        model_ids: provider.models.iter().map(|model| format!("{}/{}", provider.name, model.id)).collect(),
        name: provider.name,
        base_url: provider.base_url,
        api_key_set: provider.api_key_enc.is_some(),
        enabled: provider.enabled,
    }
}

pub async fn view(services: &Services, principal: &Principal) -> Result<SettingsView, AppError> {
    let settings = services.workspace_settings(principal).await.map_err(app_error)?;
    let policies = policies::list(services, principal).await?.into_iter().map(|p| RefView { id: p.id, name: p.name }).collect();
    let guardrails = guardrails::list(services, principal).await?.into_iter().map(|g| RefView { id: g.id, name: g.name }).collect();
    let providers = services.list_providers(principal).await.map_err(app_error)?;
    Ok(SettingsView {
        workspace_name: settings.name.clone(),
        observe_mode: settings.observe_mode,
        default_firewall_policy_id: settings.default_firewall_policy_id,
        default_guardrail_id: settings.default_guardrail_id,
        approval_webhook_url: settings.approval_webhook_url.clone(),
        approval_webhook_secret_set: settings.approval_webhook_secret_enc.is_some(),
        approval_ttl_seconds: settings.approval_ttl_seconds,
        log_retention_days: settings.log_retention_days,
        judge_model: settings.judge_model.clone(),
        policies,
        guardrails,
        providers: providers.into_iter().map(provider_view).collect(),
    })
}

/// Only the posture fields, so a Developer's save never needs Admin rights.
pub async fn save_posture(services: &Services, principal: &Principal, form: PostureSettingsForm) -> Result<(), AppError> {
    let mut errors = Vec::new();
    let policy = optional_id("default_firewall_policy_id", &form.default_firewall_policy_id).map_err(|e| errors.push(e)).ok();
    let guardrail = optional_id("default_guardrail_id", &form.default_guardrail_id).map_err(|e| errors.push(e)).ok();
    let ttl = number("approval_ttl_seconds", &form.approval_ttl_seconds).map_err(|e| errors.push(e)).ok();
    if !errors.is_empty() {
        return Err(invalid(errors));
    }
    let url = form.approval_webhook_url.trim();
    let secret = if form.clear_webhook_secret {
        Some(None)
    } else {
        Some(form.approval_webhook_secret).filter(|secret| !secret.is_empty()).map(Some)
    };
    let input = SettingsInput {
        observe_mode: Some(form.observe_mode),
        default_firewall_policy_id: policy,
        default_guardrail_id: guardrail,
        approval_webhook_url: Some((!url.is_empty()).then(|| url.to_owned())),
        approval_webhook_secret: secret,
        approval_ttl_seconds: ttl,
        ..Default::default()
    };
    services.update_workspace_settings(principal, input, Utc::now()).await.map_err(app_error)?;
    Ok(())
}

/// Only the Admin fields: name, retention, judge model.
pub async fn save_workspace(services: &Services, principal: &Principal, form: WorkspaceSettingsForm) -> Result<(), AppError> {
    let days = number("log_retention_days", &form.log_retention_days).map_err(|e| invalid(vec![e]))?;
    let judge = form.judge_model.trim();
    let input = SettingsInput {
        name: Some(form.name),
        log_retention_days: Some(days),
        judge_model: Some((!judge.is_empty()).then(|| judge.to_owned())),
        ..Default::default()
    };
    services.update_workspace_settings(principal, input, Utc::now()).await.map_err(app_error)?;
    Ok(())
}

pub async fn save_provider(services: &Services, principal: &Principal, id: Option<i64>, form: ProviderForm) -> Result<i64, AppError> {
    let models = parse_models(&form.models).map_err(invalid)?;
    let api_key = if form.clear_api_key {
        Some(None)
    } else {
        Some(form.api_key).filter(|key| !key.trim().is_empty()).map(Some)
    };
    let input = ProviderInput {
        name: Some(form.name),
        base_url: Some(form.base_url),
        api_key,
        enabled: Some(form.enabled),
        models: Some(models),
    };
    let saved = match id {
        Some(id) => services.update_provider(principal, id, input, Utc::now()).await,
        None => services.create_provider(principal, input, Utc::now()).await,
    };
    Ok(saved.map_err(app_error)?.id)
}

pub async fn set_provider_enabled(services: &Services, principal: &Principal, id: i64, enabled: bool) -> Result<(), AppError> {
    let input = ProviderInput { enabled: Some(enabled), ..Default::default() };
    services.update_provider(principal, id, input, Utc::now()).await.map_err(app_error)?;
    Ok(())
}

pub async fn delete_provider(services: &Services, principal: &Principal, id: i64) -> Result<(), AppError> {
    services.delete_provider(principal, id, Utc::now()).await.map_err(app_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_lines_parse_with_optional_prices_and_name_bad_lines() {
        let models = parse_models("gpt-4o 2.5 10\n\n  small  \n").expect("valid");
        assert_eq!(models.len(), 2);
        assert_eq!((models[0].id.as_str(), models[0].input_usd_per_mtok, models[0].output_usd_per_mtok), ("gpt-4o", 2.5, 10.0));
        assert_eq!((models[1].id.as_str(), models[1].input_usd_per_mtok), ("small", 0.0));
        let errors = parse_models("a x\nb 1 2 3").expect_err("invalid");
        let fields: Vec<&str> = errors.iter().map(|err| err.field.as_str()).collect();
        assert_eq!(fields, ["models[0].input_usd_per_mtok", "models[1]"]);
    }
}
