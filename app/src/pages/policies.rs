//! `/firewall/policies`: every firewall policy with its default verdict, shadow and default badges, rule
//! count and bound keys. Developers create policies (SPEC §10).

use leptos::prelude::*;

use crate::api::list_policies;
use crate::components::layout::use_session;
use crate::components::ui::*;
use crate::error::AppError;
use crate::types::{PolicySummaryView, SessionView};

#[component]
pub fn PoliciesPage() -> impl IntoView {
    // Resources are created here, synchronously (see KeysPage).
    let session = use_session();
    let policies = Resource::new(|| (), |_| list_policies());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let session = session.await?;
                let policies = policies.await?;
                Ok::<_, AppError>(view! { <PolicyList session policies /> })
            })}
        </Suspense>
    }
}

#[component]
fn PolicyList(session: SessionView, policies: Vec<PolicySummaryView>) -> impl IntoView {
    let rows = policies
        .into_iter()
        .map(|policy| view! {
            <tr class="border-t border-slate-100 dark:border-slate-800" data-policy=policy.name.clone()>
                <td class=TD><a href=format!("/firewall/policies/{}", policy.id) class="font-medium text-indigo-600 hover:underline">{policy.name.clone()}</a></td>
                <td class=TD>{if policy.enabled { view! { <Badge text="enabled".to_string() tone="emerald" /> } } else { view! { <Badge text="disabled".to_string() /> } }}</td>
                <td class=TD>
                    {policy.is_default.then(|| view! { <Badge text="default".to_string() tone="indigo" /> })}
                    {policy.shadow_mode.then(|| view! { <Badge text="shadow".to_string() tone="amber" /> })}
                </td>
                <td class=TD><code class="text-xs">{policy.default_verdict.clone()}</code></td>
                <td class=TD>{policy.rules}</td>
                <td class=TD>{policy.attached_keys}</td>
                <td class=TD>{format!("v{}", policy.version)}</td>
            </tr>
        })
        .collect_view();
    view! {
        <div class="space-y-6">
            <div class="flex items-end justify-between">
                <div>
                    <h1 class="text-2xl font-bold tracking-tight">"Firewall policies"</h1>
                    <p class="mt-1 text-sm text-slate-500">"Which tool calls may run, with which arguments, towards which destinations."</p>
                </div>
                {session.at_least("developer").then(|| view! { <a id="new-policy" href="/firewall/policies/new" class=BTN_PRIMARY>"New policy"</a> })}
            </div>
            <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm dark:border-slate-800 dark:bg-slate-900">
                <table id="policies-table" class="min-w-full">
                    <thead class="bg-slate-50 dark:bg-slate-950">
                        <tr><th class=TH>"Name"</th><th class=TH>"Status"</th><th class=TH></th><th class=TH>"Default verdict"</th><th class=TH>"Rules"</th><th class=TH>"Keys"</th><th class=TH>"Version"</th></tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </div>
    }
}
