//! The Palisade console: Leptos pages, components, server functions and console DTOs.
//!
//! Features: `ssr` (the server build; enables the `backend` port that `server::console` implements) and
//! `hydrate` (the browser build, which must stay free of server crates). Modules in reading order:
//! - `types`: console DTOs (`…View`) shared by both builds;
//! - `error`: `AppError`, the one error type of server functions;
//! - `backend` (ssr only): the port the server implements;
//! - `api`: thin server functions over the port;
//! - `components`: the signed-in layout and small widgets;
//! - `pages`: one module per page.

pub mod api;
pub mod components;
pub mod error;
pub mod pages;
pub mod types;

/// Server-side port implemented by `server::console`; compiled only into the SSR build.
#[cfg(feature = "ssr")]
pub mod backend;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::path;

pub use error::AppError;

/// The HTML document around the app, rendered by the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en" class="h-full">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body class="h-full bg-slate-50 text-slate-900 dark:bg-slate-950 dark:text-slate-100">
                <App />
            </body>
        </html>
    }
}

/// The console's routes. Signed-in pages nest under the layout, which sends visitors to `/login`.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="palisade" href="/pkg/console.css" />
        <Title text="Palisade" />
        <Router>
            <Routes fallback=pages::not_found::NotFoundPage>
                <Route path=path!("/login") view=pages::login::LoginPage />
                <Route path=path!("/setup") view=pages::setup::SetupPage />
                <ParentRoute path=path!("") view=components::layout::SignedInLayout>
                    <Route path=path!("") view=|| view! { <Redirect path="/posture" /> } />
                    <Route path=path!("posture") view=pages::posture::PosturePage />
                    <Route path=path!("posture/simulate") view=pages::simulate::SimulatePage />
                    <Route path=path!("audit") view=pages::audit::AuditPage />
                    <Route path=path!("events") view=pages::events::EventsPage />
                    <Route path=path!("runs") view=pages::runs::RunsPage />
                    <Route path=path!("runs/:run_id") view=pages::runs::RunTracePage />
                    <Route path=path!("matches") view=pages::matches::MatchesPage />
                    <Route path=path!("firewall/approvals") view=pages::approvals::ApprovalsPage />
                    <Route path=path!("firewall/discovered") view=pages::discovered::DiscoveredPage />
                    <Route path=path!("firewall/mcp") view=pages::mcp_servers::McpServersPage />
                    <Route path=path!("guardrails") view=pages::guardrails::GuardrailsPage />
                    <Route path=path!("guardrails/new") view=pages::guardrail_editor::GuardrailEditorPage />
                    <Route path=path!("guardrails/:id") view=pages::guardrail_editor::GuardrailEditorPage />
                    <Route path=path!("firewall/policies") view=pages::policies::PoliciesPage />
                    <Route path=path!("firewall/policies/new") view=pages::policy_editor::PolicyEditorPage />
                    <Route path=path!("firewall/policies/:id") view=pages::policy_editor::PolicyEditorPage />
                    <Route path=path!("keys") view=pages::keys::KeysPage />
                    <Route path=path!("members") view=pages::members::MembersPage />
                    <Route path=path!("settings") view=pages::settings::SettingsPage />
                    <Route path=path!("account") view=pages::account::AccountPage />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
