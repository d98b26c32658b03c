//! The router state: the service layer and the Leptos options. Handlers extract the narrowest part.

use std::ops::Deref;
use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::service::Services;

/// Shared by every route. axum clones the state for every request, so it is one `Arc`: a clone is one
/// reference count, not a copy of the Leptos options' strings and every service handle.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

/// What [`AppState`] holds.
#[derive(Debug)]
pub struct Shared {
    pub services: Services,
    pub leptos: LeptosOptions,
}

impl AppState {
    pub fn new(services: Services, leptos: LeptosOptions) -> AppState {
        AppState(Arc::new(Shared { services, leptos }))
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
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
