//! `/members`: who is in the workspace. Admins add, re-role and remove Members and Developers; Owners
//! also manage Admins and Owners. A new account's one-time password is shown once.

use leptos::prelude::*;

use crate::api::{list_members, AddMember, ChangeMemberRole, RemoveMember};
use crate::components::layout::use_session;
use crate::components::ui::*;
use crate::types::{MemberView, SessionView, ROLES};

#[component]
pub fn MembersPage() -> impl IntoView {
    // Resources and actions are created here, synchronously, so the server and the hydrating client
    // create them in the same order (creating them inside a Suspend broke hydration).
    let session = use_session();
    let add = ServerAction::<AddMember>::new();
    let change = ServerAction::<ChangeMemberRole>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let members = Resource::new(move || (add.version().get(), change.version().get(), remove.version().get()), |_| list_members());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                session.await.map(|session| view! { <MembersView session add change remove members /> })
            })}
        </Suspense>
    }
}

/// The four role options with static structure (dynamic children inside <select> leave hydration
/// markers that Chromium's select parser drops); roles the user may not grant are disabled and hidden.
fn role_options(assignable: &[&'static str], selected: Option<&str>) -> impl IntoView {
    let option = |role: &'static str| {
        let allowed = assignable.contains(&role);
        let is_selected = selected == Some(role);
        view! { <option value=role selected=is_selected disabled=!allowed hidden=!allowed>{role}</option> }
    };
    (option("member"), option("developer"), option("admin"), option("owner"))
}

/// Roles the signed-in user may grant: Admins up to Developer, Owners any.
fn assignable_roles(session: &SessionView) -> Vec<&'static str> {
    let limit = if session.at_least("owner") { "owner" } else { "developer" };
    ROLES.iter().copied().filter(|role| crate::types::role_rank(role) <= crate::types::role_rank(limit)).collect()
}

#[component]
fn MembersView(
    session: SessionView,
    add: ServerAction<AddMember>,
    change: ServerAction<ChangeMemberRole>,
    remove: ServerAction<RemoveMember>,
    members: Resource<Result<Vec<MemberView>, crate::error::AppError>>,
) -> impl IntoView {
    let can_manage = session.at_least("admin");
    let roles = assignable_roles(&session);
    let csrf = session.csrf_token.clone();
    view! {
        <div class="space-y-8">
            <div>
                <h1 class="text-2xl font-bold tracking-tight">"Members"</h1>
                <p class="mt-1 text-sm text-slate-500">"Member < Developer < Admin < Owner. Roles apply at once."</p>
            </div>
            {can_manage.then(|| {
                let options = role_options(&roles, None);
                view! {
                    <section class=CARD>
                        <h2 class="mb-4 text-lg font-semibold">"Add a member"</h2>
                        <ActionForm action=add attr:class="flex flex-wrap items-end gap-4">
                            <CsrfField token=csrf.clone() />
                            <div class="min-w-64 flex-1">
                                <label for="member-email" class=LABEL>"Email"</label>
                                <input id="member-email" name="email" type="email" required class=INPUT />
                            </div>
                            <div>
                                <label for="member-role" class=LABEL>"Role"</label>
                                <select id="member-role" name="role" class=INPUT>{options}</select>
                            </div>
                            <button id="add-member" type="submit" class=BTN_PRIMARY>"Add"</button>
                        </ActionForm>
                        {move || add.value().get().and_then(Result::ok).and_then(|added| added.one_time_password.map(|password| view! {
                            <p id="one-time-password" class="mt-4 rounded-md bg-emerald-50 p-3 text-sm text-emerald-900 dark:bg-emerald-950 dark:text-emerald-100">
                                "Account created for " {added.member.email.clone()} ". One-time password (shown once; they must change it at first sign-in): "
                                <code class="font-mono">{password}</code>
                            </p>
                        }))}
                    </section>
                }
            })}
            {action_error(add.value())}
            {action_error(change.value())}
            {action_error(remove.value())}
            <Suspense fallback=|| view! { <p class="text-slate-500">"Loading members…"</p> }>
                {move || {
                    let session = session.clone();
                    Suspend::new(async move {
                        match members.await {
                            Ok(members) => view! { <MemberTable members session change remove /> }.into_any(),
                            Err(error) => view! { <ErrorBanner error /> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </div>
    }
}

#[component]
fn MemberTable(
    members: Vec<MemberView>,
    session: SessionView,
    change: ServerAction<ChangeMemberRole>,
    remove: ServerAction<RemoveMember>,
) -> impl IntoView {
    let roles = assignable_roles(&session);
    let rows = members
        .into_iter()
        .map(|member| {
            // Admins manage Members and Developers; Owners manage everyone; nobody edits themselves here.
            let manageable = session.at_least("admin")
                && member.user_id != session.user_id
                && (session.at_least("owner") || crate::types::role_rank(&member.role) < crate::types::role_rank("admin"));
            let (csrf_change, csrf_remove) = (session.csrf_token.clone(), session.csrf_token.clone());
            let options = role_options(&roles, Some(&member.role));
            view! {
                <tr class="border-t border-slate-100 dark:border-slate-800">
                    <td class=TD><div class="font-medium">{member.display_name.clone()}</div><div class="text-xs text-slate-500">{member.email.clone()}</div></td>
                    <td class=TD><Badge text=member.role.clone() tone="indigo" /></td>
                    <td class=TD><span class="text-xs">{short_time(&member.added_at)}</span></td>
                    <td class=TD>
                        {manageable.then(|| view! {
                            <div class="flex flex-wrap gap-2">
                                <ActionForm action=change attr:class="flex gap-2">
                                    <CsrfField token=csrf_change />
                                    <input type="hidden" name="user_id" value=member.user_id />
                                    <select name="role" class="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-700 dark:bg-slate-900">{options}</select>
                                    <button type="submit" class=BTN_SECONDARY>"Change role"</button>
                                </ActionForm>
                                <ActionForm action=remove>
                                    <CsrfField token=csrf_remove />
                                    <input type="hidden" name="user_id" value=member.user_id />
                                    <button type="submit" class=BTN_DANGER>"Remove"</button>
                                </ActionForm>
                            </div>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm dark:border-slate-800 dark:bg-slate-900">
            <table id="members-table" class="min-w-full">
                <thead class="bg-slate-50 dark:bg-slate-950">
                    <tr><th class=TH>"User"</th><th class=TH>"Role"</th><th class=TH>"Added"</th><th class=TH></th></tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
