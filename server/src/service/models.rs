//! The model catalogue a key may see: the built-in `mock/*` models (unless `[mock] enabled = false`),
//! the declared models of enabled `[[providers]]` and of the key's enabled workspace providers, filtered
//! by the key's model allow-list (SPEC §3.1).

use crate::domain::ApiKey;
use crate::service::{ServiceResult, Services};

/// Models served by the built-in offline provider.
pub const MOCK_MODELS: &[&str] = &["mock/echo", "mock/embed"];

/// One routable model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelInfo {
    /// `provider/model`.
    pub id: String,
    /// The provider name.
    pub owned_by: String,
}

/// True when `model` (`provider/model`) matches an allow-list entry (`provider/model` or `provider/*`).
pub fn model_allowed(key: &ApiKey, model: &str) -> bool {
    if !key.model_allowlist_enabled {
        return true;
    }
    key.model_allowlist.iter().any(|entry| match entry.strip_suffix("/*") {
        Some(provider) => model.split_once('/').is_some_and(|(prefix, _)| prefix == provider),
        None => entry == model,
    })
}

impl Services {
    /// Every model `key` may use, in catalogue order: `mock`, the config's providers, then the key's
    /// workspace providers (§2.4).
    pub async fn list_models(&self, key: &ApiKey) -> ServiceResult<Vec<ModelInfo>> {
        let workspace = self.key_workspace_providers(key).await?;
        let mut models = Vec::new();
        if self.config.mock.enabled {
            models.extend(MOCK_MODELS.iter().map(|id| ModelInfo { id: (*id).to_owned(), owned_by: "mock".into() }));
        }
        for provider in self.config.providers.iter().filter(|provider| provider.enabled) {
            models.extend(provider.models.iter().map(|model| ModelInfo {
                id: format!("{}/{}", provider.name, model.id),
                owned_by: provider.name.clone(),
            }));
        }
        // A config provider that later took a workspace provider's name is shadowed by it (§2.4 order).
        models.retain(|model| workspace.route(&model.id).is_none());
        models.extend(workspace.models().iter().cloned());
        models.retain(|model| model_allowed(key, &model.id));
        Ok(models)
    }
}
