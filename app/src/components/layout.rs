//! The signed-in frame: loads the session once (blocking, so an anonymous visitor gets a real redirect to
//! `/login` before any HTML), then renders the workspace header, the navigation the role may use, and
//! the page. Pages read the same session through [`use_session`].

use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};

use crate::api::{get_session, Logout};
use crate::components::ui::{Badge, CsrfField, ErrorBanner};
use crate::error::AppError;
use crate::types::SessionView;

/// The session resource shared by the layout and its pages.
pub type SessionResource = Resource<Result<SessionView, AppError>>;

/// The session loaded by the layout (pages render only inside it).
pub fn use_session() -> SessionResource {
    use_context::<SessionResource>().unwrap_or_else(|| Resource::new_blocking(|| (), |_| get_session()))
}

/// Navigation entries: path, label and the lowest role that may open the page.
const NAV: &[(&str, &str, &str)] = &[
    ("/posture", "Posture", "member"),
    ("/guardrails", "Guardrails", "member"),
    ("/firewall/policies", "Firewall", "member"),
    ("/events", "Events", "developer"),
    ("/runs", "Runs", "developer"),
    ("/firewall/approvals", "Approvals", "developer"),
    ("/matches", "Matches", "member"),
    ("/firewall/discovered", "Tools", "member"),
    ("/firewall/mcp", "MCP", "member"),
    ("/audit", "Audit", "member"),
    ("/keys", "Keys", "member"),
    ("/members", "Members", "member"),
    ("/settings", "Settings", "member"),
];

#[component]
pub fn SignedInLayout() -> impl IntoView {
    let session: SessionResource = Resource::new_blocking(|| (), |_| get_session());
    provide_context(session);
    view! {
        <Suspense fallback=|| view! { <p class="p-8 text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match session.await {
                    Ok(session) => view! { <Frame session /> }.into_any(),
                    Err(AppError::Unauthenticated(_)) => view! { <Redirect path="/login" /> }.into_any(),
                    Err(error) => view! { <div class="p-8"><ErrorBanner error /></div> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Frame(session: SessionView) -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    let nav = NAV
        .iter()
        .filter(|(_, _, min_role)| session.at_least(min_role))
        .map(|(href, label, _)| {
            view! {
                <A href=*href attr:class="rounded-md px-2.5 py-2 text-sm font-medium text-slate-300 hover:bg-slate-800 hover:text-white aria-[current=page]:bg-slate-800 aria-[current=page]:text-white">
                    {*label}
                </A>
            }
        })
        .collect_view();
    view! {
        <div class="min-h-full">
            <header class="bg-slate-900 text-white shadow">
                <div class="mx-auto flex max-w-7xl flex-wrap items-center justify-between gap-4 px-4 py-3">
                    <div class="flex items-center gap-4">
                        <a href="/posture" class="flex items-center gap-2 text-lg font-bold tracking-tight">
                            <span class="inline-block h-6 w-6 rounded-md bg-indigo-500"></span>
                            "Palisade"
                        </a>
                        <nav class="flex gap-1">{nav}</nav>
                    </div>
                    <div class="flex items-center gap-3 text-sm">
                        <span id="workspace-name" class="font-semibold">{session.workspace_name.clone()}</span>
                        <span id="role-badge"><Badge text=session.role.clone() tone="indigo" /></span>
                        <a id="account-link" href="/account" title=session.email.clone() class="text-slate-300 hover:text-white">"Account"</a>
                        <ActionForm action=logout>
                            <CsrfField token=session.csrf_token.clone() />
                            <button id="sign-out" type="submit" class="rounded-md border border-slate-600 px-3 py-1 text-slate-200 hover:bg-slate-800">
                                "Sign out"
                            </button>
                        </ActionForm>
                    </div>
                </div>
            </header>
            <main class="mx-auto max-w-6xl px-4 py-8">
                <Outlet />
            </main>
        </div>
    }
}
