//! Workspace providers (SPEC §2.4, §8.2 `/api/providers`): list (Member, without secrets), create, edit,
//! delete (Admin+, `ManageWorkspace`), each write audited as `provider_create/update/delete`; and the
//! relay's view of them: a per-workspace set of built routes keyed by `posture_version`, so routing a
//! `provider/model` never reads the database on the request path.
//!
//! Resolution order of `provider/model` (§2.4): workspace, then config file, then `mock`. A workspace
//! provider may not take the name of a config provider or `mock`, so the order only matters if the
//! config file gains a name later.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::auth::roles::Capability;
use crate::service::identity::Principal;
use crate::service::models::ModelInfo;
use crate::service::posture::{audit, PostureAudit};
use crate::service::{FieldError, ServiceError, ServiceResult, Services};
use crate::store::providers::{ProviderFields, ProviderModel, ProviderRecord};
use crate::store::{self};
use crate::upstream::http::HttpProvider;
use crate::upstream::{Price, Provider, Route};

const MAX_NAME: usize = 32;
const MAX_BASE_URL: usize = 512;
const MAX_API_KEY: usize = 1024;
const MAX_MODELS: usize = 200;
const MAX_MODEL_ID: usize = 128;
/// Prices above this are typos, not real models (USD per million tokens).
const MAX_PRICE: f64 = 1_000_000.0;

/// Fields a caller may send to create or edit a provider; `None` = leave as is (or the default).
/// `api_key`: absent = keep, `Some(None)` or an empty string = remove, `Some(Some(k))` = replace.
#[derive(Clone, Debug, Default)]
pub struct ProviderInput {
    pub name: Option<String>,
    pub base_url: Option<String>,
    pub api_key: Option<Option<String>>,
    pub enabled: Option<bool>,
    pub models: Option<Vec<ProviderModel>>,
}

/// True for `[a-z0-9_-]{1,32}`.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

fn check_base_url(url: &str) -> Result<String, FieldError> {
    let field = "base_url";
    let url = url.trim().trim_end_matches('/');
    if url.chars().count() > MAX_BASE_URL {
        return Err(FieldError::new(field, format!("must be at most {MAX_BASE_URL} characters")));
    }
    // Admins aim providers wherever they run models, loopback included: §5.11 exempts provider URLs
    // from the SSRF guard, so only the shape is checked here.
    let parsed = reqwest::Url::parse(url).map_err(|_| FieldError::new(field, "must be an absolute http(s) URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none_or(str::is_empty) {
        return Err(FieldError::new(field, "must be an absolute http(s) URL"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(FieldError::new(field, "must not carry credentials; use api_key"));
    }
    Ok(url.to_owned())
}

fn check_price(field: String, price: f64, errors: &mut Vec<FieldError>) {
    if !price.is_finite() || !(0.0..=MAX_PRICE).contains(&price) {
        errors.push(FieldError::new(field, format!("must be a number of USD between 0 and {MAX_PRICE}")));
    }
}

fn check_models(models: &[ProviderModel], errors: &mut Vec<FieldError>) {
    if models.len() > MAX_MODELS {
        errors.push(FieldError::new("models", format!("must have at most {MAX_MODELS} entries")));
    }
    for (idx, model) in models.iter().enumerate() {
        let id = model.id.as_str();
        if id.is_empty() || id.chars().count() > MAX_MODEL_ID || id.chars().any(|c| c.is_whitespace() || c.is_control()) {
            errors.push(FieldError::new(format!("models[{idx}].id"), format!("must be 1–{MAX_MODEL_ID} characters without spaces")));
        } else if models[..idx].iter().any(|earlier| earlier.id == id) {
            errors.push(FieldError::new(format!("models[{idx}].id"), format!("`{id}` is declared twice")));
        }
        check_price(format!("models[{idx}].input_usd_per_mtok"), model.input_usd_per_mtok, errors);
        check_price(format!("models[{idx}].output_usd_per_mtok"), model.output_usd_per_mtok, errors);
    }
}

impl Services {
    /// Merges `input` over `base` (the current provider, or defaults) and validates every field.
    fn merge_provider(&self, base: ProviderFields, input: ProviderInput) -> Result<ProviderFields, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut fields = base;
        if let Some(name) = input.name {
            let name = name.trim().to_owned();
            if !valid_name(&name) {
                errors.push(FieldError::new("name", "must match [a-z0-9_-]{1,32}"));
            } else if name == "mock" {
                errors.push(FieldError::new("name", "`mock` is the built-in provider"));
            } else if self.config.providers.iter().any(|provider| provider.name == name) {
                errors.push(FieldError::new("name", format!("`{name}` is a provider of the config file")));
            }
            fields.name = name;
        } else if fields.name.is_empty() {
            errors.push(FieldError::new("name", "is required"));
        }
        match input.base_url {
            Some(url) => match check_base_url(&url) {
                Ok(url) => fields.base_url = url,
                Err(err) => errors.push(err),
            },
            None if fields.base_url.is_empty() => errors.push(FieldError::new("base_url", "is required")),
            None => {}
        }
        if let Some(key) = input.api_key {
            match key.map(|key| key.trim().to_owned()).filter(|key| !key.is_empty()) {
                Some(key) if key.chars().count() > MAX_API_KEY || key.chars().any(char::is_control) => {
                    errors.push(FieldError::new("api_key", format!("must be at most {MAX_API_KEY} printable characters")));
                }
                Some(key) => fields.api_key_enc = Some(self.secrets.encrypt(&key)),
                None => fields.api_key_enc = None,
            }
        }
        if let Some(enabled) = input.enabled {
            fields.enabled = enabled;
        }
        if let Some(models) = input.models {
            check_models(&models, &mut errors);
            fields.models = models;
        }
        if errors.is_empty() {
            Ok(fields)
        } else {
            Err(errors)
        }
    }

    /// Every provider of the principal's workspace (the sealed key stays inside; adapters show only
    /// whether one is set).
    pub async fn list_providers(&self, principal: &Principal) -> ServiceResult<Vec<ProviderRecord>> {
        principal.require(Capability::ReadWorkspace)?;
        Ok(store::providers::list(&self.db, principal.workspace_id).await?)
    }

    async fn get_provider(&self, principal: &Principal, id: i64) -> ServiceResult<ProviderRecord> {
        store::providers::find_in_workspace(&self.db, principal.workspace_id, id).await?.ok_or(ServiceError::NotFound("provider"))
    }

    /// `POST /api/providers`.
    pub async fn create_provider(&self, principal: &Principal, input: ProviderInput, now: DateTime<Utc>) -> ServiceResult<ProviderRecord> {
        principal.require(Capability::ManageWorkspace)?;
        let defaults = ProviderFields { name: String::new(), base_url: String::new(), api_key_enc: None, enabled: true, models: Vec::new() };
        let fields = self.merge_provider(defaults, input).map_err(ServiceError::Invalid)?;
        // The relay's built providers are keyed by `posture_version`: the bump inside `begin_posture`
        // commits with the row, so the first request after the commit rebuilds this workspace's set.
        let posture = self.begin_posture(principal.workspace_id).await?;
        let provider = store::providers::insert(&posture.txn, principal.workspace_id, &fields, now)
            .await
            .map_err(|err| name_taken_or(err, &fields.name))?;
        audit(&posture.txn, principal, provider_audit("provider_create", &provider), now).await?;
        posture.commit().await?;
        Ok(provider)
    }

    /// `PATCH /api/providers/{id}`.
    pub async fn update_provider(&self, principal: &Principal, id: i64, input: ProviderInput, now: DateTime<Utc>) -> ServiceResult<ProviderRecord> {
        principal.require(Capability::ManageWorkspace)?;
        let current = self.get_provider(principal, id).await?;
        let fields = self.merge_provider(fields_of(&current), input).map_err(ServiceError::Invalid)?;
        // Bumped for the same reason as on create: routes are rebuilt when the version moves.
        let posture = self.begin_posture(principal.workspace_id).await?;
        let provider = store::providers::update(&posture.txn, id, &fields, now).await.map_err(|err| name_taken_or(err, &fields.name))?;
        audit(&posture.txn, principal, provider_audit("provider_update", &provider), now).await?;
        posture.commit().await?;
        Ok(provider)
    }

    /// `DELETE /api/providers/{id}`.
    pub async fn delete_provider(&self, principal: &Principal, id: i64, now: DateTime<Utc>) -> ServiceResult<()> {
        principal.require(Capability::ManageWorkspace)?;
        let current = self.get_provider(principal, id).await?;
        // Bumped so the relay stops routing to the deleted provider at once.
        let posture = self.begin_posture(principal.workspace_id).await?;
        store::providers::delete(&posture.txn, id).await?;
        audit(&posture.txn, principal, provider_audit("provider_delete", &current), now).await?;
        posture.commit().await?;
        Ok(())
    }

    /// The built routes of `workspace_id` at `version` (its `posture_version`): from the cache when built
    /// at that version, otherwise rebuilt from the database once and cached.
    pub async fn workspace_providers(&self, workspace_id: i64, version: i64) -> ServiceResult<Arc<WorkspaceRoutes>> {
        let cache = &self.relay.providers;
        if let Some(hit) = cache.get(workspace_id, version) {
            return Ok(hit);
        }
        let records = store::providers::list(&self.db, workspace_id).await?;
        let built = Arc::new(self.build_routes(&records));
        cache.put(workspace_id, version, built.clone());
        Ok(built)
    }

    /// The routes of `key`'s workspace at its current `posture_version`.
    pub async fn key_workspace_providers(&self, key: &crate::domain::ApiKey) -> ServiceResult<Arc<WorkspaceRoutes>> {
        let version = self.routing_posture_version(key.workspace_id).await?;
        self.workspace_providers(key.workspace_id, version).await
    }

    /// The version source of [`Self::workspace_providers`] on the relay path: the live settings cache
    /// that posture resolution also reads (no database read while it holds the workspace), dropped at
    /// the commit of every posture change, provider writes included.
    async fn routing_posture_version(&self, workspace_id: i64) -> ServiceResult<i64> {
        Ok(self.live_settings(workspace_id).await?.posture_version)
    }

    /// Builds an HTTP provider per enabled record on the relay's pooled client; `[prices]` overrides the
    /// declared prices as it does for config providers (§2.4).
    fn build_routes(&self, records: &[ProviderRecord]) -> WorkspaceRoutes {
        let mut routes = WorkspaceRoutes::default();
        for record in records.iter().filter(|record| record.enabled) {
            let api_key = match record.api_key_enc.as_deref().map(|sealed| self.secrets.decrypt(sealed)).transpose() {
                Ok(key) => key,
                Err(err) => {
                    // A key sealed under another master key: calling without it would leak nothing but
                    // fail upstream with a confusing 401, so the provider is left out and logged.
                    tracing::error!(provider = %record.name, workspace_id = record.workspace_id, error = %err, "cannot unseal a provider key; provider skipped");
                    continue;
                }
            };
            let client = self.relay.upstreams.client().clone();
            let provider: Arc<dyn Provider> = Arc::new(HttpProvider::new(client, &record.base_url, api_key));
            for model in &record.models {
                let id = format!("{}/{}", record.name, model.id);
                let price = match self.config.prices.get(&id) {
                    Some(price) => Price { input_usd_per_mtok: price.input_usd_per_mtok, output_usd_per_mtok: price.output_usd_per_mtok },
                    None => Price { input_usd_per_mtok: model.input_usd_per_mtok, output_usd_per_mtok: model.output_usd_per_mtok },
                };
                routes.models.push(ModelInfo { id: id.clone(), owned_by: record.name.clone() });
                routes.routes.insert(id, Route { provider: provider.clone(), model: model.id.clone(), price });
            }
        }
        routes
    }
}

fn fields_of(provider: &ProviderRecord) -> ProviderFields {
    ProviderFields {
        name: provider.name.clone(),
        base_url: provider.base_url.clone(),
        api_key_enc: provider.api_key_enc.clone(),
        enabled: provider.enabled,
        models: provider.models.clone(),
    }
}

/// The audit row of a provider write: what changed, never the key itself.
fn provider_audit<'a>(verb: &'a str, provider: &ProviderRecord) -> PostureAudit<'a> {
    let models: Vec<&str> = provider.models.iter().map(|model| model.id.as_str()).collect();
    let metadata = json!({
        "id": provider.id,
        "name": provider.name,
        "base_url": provider.base_url,
        "enabled": provider.enabled,
        "api_key_set": provider.api_key_enc.is_some(),
        "models": models,
    });
    PostureAudit { verb, target_type: "provider", target_id: provider.id.to_string(), metadata }
}

fn name_taken_or(err: sea_orm::DbErr, name: &str) -> ServiceError {
    if store::is_unique_violation(&err) {
        ServiceError::NameTaken(format!("provider name `{name}`"))
    } else {
        err.into()
    }
}

/// The routable models of one workspace's enabled providers.
#[derive(Debug, Default)]
pub struct WorkspaceRoutes {
    routes: HashMap<String, Route>,
    /// In catalogue order: providers by name, models as declared.
    models: Vec<ModelInfo>,
}

impl WorkspaceRoutes {
    /// The route of `provider/model`, if one of this workspace's enabled providers declares it.
    pub fn route(&self, model: &str) -> Option<&Route> {
        self.routes.get(model)
    }

    pub fn models(&self) -> &[ModelInfo] {
        &self.models
    }
}

/// Built routes per workspace with the `posture_version` they were built at.
#[derive(Debug, Default)]
pub struct ProviderCache {
    slots: RwLock<HashMap<i64, (i64, Arc<WorkspaceRoutes>)>>,
}

impl ProviderCache {
    fn get(&self, workspace_id: i64, version: i64) -> Option<Arc<WorkspaceRoutes>> {
        let slots = self.slots.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        slots.get(&workspace_id).filter(|(at, _)| *at == version).map(|(_, routes)| routes.clone())
    }

    /// Stores a build unless a newer version is already cached (a slow rebuild must not roll back).
    fn put(&self, workspace_id: i64, version: i64, routes: Arc<WorkspaceRoutes>) {
        let mut slots = self.slots.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if slots.get(&workspace_id).is_none_or(|(at, _)| *at <= version) {
            slots.insert(workspace_id, (version, routes));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_provider_grammar() {
        assert!(valid_name("openai") && valid_name("local_2-x") && valid_name(&"a".repeat(32)));
        assert!(!valid_name("") && !valid_name("OpenAI") && !valid_name("a/b") && !valid_name(&"a".repeat(33)));
    }

    #[test]
    fn base_urls_must_be_http_urls_without_credentials() {
        assert_eq!(check_base_url(" https://api.example.com/v1/ ").as_deref(), Ok("https://api.example.com/v1"));
        assert!(check_base_url("http://127.0.0.1:8080/v1").is_ok(), "providers are exempt from the SSRF guard");
        for bad in ["ftp://x/v1", "api.example.com/v1", "https://user:pw@x/v1", &format!("https://x/{}", "a".repeat(512))] {
            assert_eq!(check_base_url(bad).map_err(|err| err.field), Err("base_url".to_owned()), "{bad}");
        }
    }

    #[test]
    fn models_are_checked_by_index() {
        let model = |id: &str, price: f64| ProviderModel { id: id.into(), input_usd_per_mtok: price, output_usd_per_mtok: 0.0 };
        let mut errors = Vec::new();
        check_models(&[model("gpt", 1.0), model("gpt", 0.0), model("has space", -1.0)], &mut errors);
        let fields: Vec<&str> = errors.iter().map(|err| err.field.as_str()).collect();
        assert_eq!(fields, ["models[1].id", "models[2].id", "models[2].input_usd_per_mtok"]);
    }

    #[test]
    fn the_cache_never_rolls_back_to_an_older_version() {
        let cache = ProviderCache::default();
        cache.put(1, 5, Arc::default());
        cache.put(1, 4, Arc::default());
        assert!(cache.get(1, 5).is_some());
        assert!(cache.get(1, 4).is_none());
        assert!(cache.get(2, 5).is_none());
    }
}
