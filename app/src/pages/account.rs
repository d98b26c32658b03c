//! `/account`: profile, memberships with a workspace switcher, and password change (required after a
//! one-time password).

use leptos::prelude::*;

use crate::api::{ChangePassword, SwitchWorkspace};
use crate::components::layout::use_session;
use crate::components::ui::*;
use crate::types::SessionView;

#[component]
pub fn AccountPage() -> impl IntoView {
    let session = use_session();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move { session.await.map(|session| view! { <AccountView session /> }) })}
        </Suspense>
    }
}

#[component]
fn AccountView(session: SessionView) -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let switch = ServerAction::<SwitchWorkspace>::new();
    let csrf = session.csrf_token.clone();
    let current_workspace = session.workspace_id;
    let workspaces = session
        .memberships
        .clone()
        .into_iter()
        .map(|membership| {
            let current = membership.workspace_id == current_workspace;
            let csrf = csrf.clone();
            view! {
                <li class="flex items-center justify-between py-2">
                    <span>{membership.workspace_name} " " <Badge text=membership.role /></span>
                    {if current {
                        view! { <span class="text-xs text-slate-500">"current"</span> }.into_any()
                    } else {
                        view! {
                            <ActionForm action=switch>
                                <CsrfField token=csrf />
                                <input type="hidden" name="workspace_id" value=membership.workspace_id />
                                <button type="submit" class=BTN_SECONDARY>"Switch"</button>
                            </ActionForm>
                        }.into_any()
                    }}
                </li>
            }
        })
        .collect_view();
    view! {
        <div class="grid gap-8 md:grid-cols-2">
            <section class=CARD>
                <h1 class="text-xl font-bold">"Account"</h1>
                <p class="mt-2 text-sm">{session.display_name.clone()} " · " {session.email.clone()}</p>
                {session.must_change_password.then(|| view! {
                    <p id="must-change" class="mt-3 rounded-md bg-amber-50 p-3 text-sm text-amber-900">"Choose a new password before you continue."</p>
                })}
                <h2 class="mt-6 text-sm font-semibold uppercase tracking-wide text-slate-500">"Workspaces"</h2>
                <ul class="divide-y divide-slate-100 dark:divide-slate-800">{workspaces}</ul>
            </section>
            <section class=CARD>
                <h2 class="mb-4 text-lg font-semibold">"Change password"</h2>
                <ActionForm action=change attr:class="space-y-4">
                    <CsrfField token=csrf.clone() />
                    <div>
                        <label for="current-password" class=LABEL>"Current password"</label>
                        <input id="current-password" name="current_password" type="password" autocomplete="current-password" required class=INPUT />
                    </div>
                    <div>
                        <label for="new-password" class=LABEL>"New password (12–256 characters)"</label>
                        <input id="new-password" name="new_password" type="password" autocomplete="new-password" minlength="12" required class=INPUT />
                    </div>
                    {action_error(change.value())}
                    {move || matches!(change.value().get(), Some(Ok(()))).then(|| view! {
                        <p class="text-sm text-emerald-700">"Password changed. Other sessions were signed out."</p>
                    })}
                    <button type="submit" class=BTN_PRIMARY>"Change password"</button>
                </ActionForm>
            </section>
        </div>
    }
}
