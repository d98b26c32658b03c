//! The router state: the service layer and the Leptos options. Handlers extract the narrowest part.

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::service::Services;

/// Shared by every route.
#[derive(Clone, Debug)]
pub struct AppState {
    pub services: Services,
    pub leptos: LeptosOptions,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

impl FromRef<AppState> for Services {
    fn from_ref(state: &AppState) -> Self {
        state.services.clone()
    }
}
