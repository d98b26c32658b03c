//! `/posture/simulate?level=`: what applying a level would change (diff) and what it would have done to
//! the last 7 days of recorded tool calls (replay). Read-only for everyone; Developers can apply from here.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::{simulate_level, ApplyLevel};
use crate::components::layout::use_session;
use crate::components::ui::*;
use crate::types::{ObjectDiffView, ReplayRowView, SessionView, SimulateView};

#[component]
pub fn SimulatePage() -> impl IntoView {
    // Resources and actions are created here, synchronously, so the server and the hydrating client
    // create them in the same order (created inside a Suspend, they broke hydration).
    let session = use_session();
    let query = use_query_map();
    let level = move || query.read().get("level").unwrap_or_else(|| "balanced".into());
    let simulation = Resource::new(level, simulate_level);
    let apply = ServerAction::<ApplyLevel>::new();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move { session.await.map(|session| view! { <SimulateBody session simulation apply /> }) })}
        </Suspense>
    }
}

#[component]
fn SimulateBody(
    session: SessionView,
    simulation: Resource<Result<SimulateView, crate::error::AppError>>,
    apply: ServerAction<ApplyLevel>,
) -> impl IntoView {
    let query = use_query_map();
    let level = move || query.read().get("level").unwrap_or_else(|| "balanced".into());
    let can_apply = session.at_least("developer");
    let csrf = session.csrf_token.clone();
    let tabs = ["tight", "balanced", "permissive"]
        .into_iter()
        .map(|name| {
            view! {
                <a href=format!("/posture/simulate?level={name}")
                   class=move || if level() == name { "rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white" } else { "rounded-md px-3 py-1.5 text-sm font-medium text-slate-600 hover:bg-slate-200 dark:text-slate-300 dark:hover:bg-slate-800" }>
                    {name}
                </a>
            }
        })
        .collect_view();
    view! {
        <div class="space-y-6">
            <div class="flex flex-wrap items-end justify-between gap-4">
                <div>
                    <h1 class="text-2xl font-bold tracking-tight">"Simulate"</h1>
                    <p class="mt-1 text-sm text-slate-500">"A dry run: nothing is written until you apply."</p>
                </div>
                <nav class="flex gap-1">{tabs}</nav>
            </div>
            {action_error(apply.value())}
            {move || matches!(apply.value().get(), Some(Ok(_))).then(|| view! {
                <p id="applied" class="rounded-md bg-emerald-50 p-3 text-sm text-emerald-900">"Applied. " <a href="/posture" class="underline">"Back to Posture"</a></p>
            })}
            <Suspense fallback=|| view! { <p class="text-slate-500">"Simulating…"</p> }>
                {move || {
                    let csrf = csrf.clone();
                    Suspend::new(async move {
                        match simulation.await {
                            Ok(result) => view! { <SimulationResult result can_apply csrf apply /> }.into_any(),
                            Err(error) => view! { <ErrorBanner error /> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </div>
    }
}

#[component]
fn SimulationResult(result: SimulateView, can_apply: bool, csrf: String, apply: ServerAction<ApplyLevel>) -> impl IntoView {
    let objects = result.objects.into_iter().map(|object| view! { <ObjectDiff object /> }).collect_view();
    let changes = result
        .changes
        .into_iter()
        .map(|change| view! {
            <tr class="border-t border-slate-100 dark:border-slate-800">
                <td class=TD>{change.what}</td><td class=TD><code>{change.before}</code></td><td class=TD>"→"</td><td class=TD><code>{change.after}</code></td>
            </tr>
        })
        .collect_view();
    view! {
        <div id="simulation" class="space-y-6">
            <section class=CARD>
                <div class="flex items-center justify-between">
                    <h2 class="text-lg font-semibold">"Diff for " <span class="capitalize">{result.level.clone()}</span></h2>
                    {can_apply.then(|| view! {
                        <ActionForm action=apply>
                            <CsrfField token=csrf />
                            <input type="hidden" name="level" value=result.level.clone() />
                            <button id="apply-simulated" type="submit" class=BTN_PRIMARY>"Apply this level"</button>
                        </ActionForm>
                    })}
                </div>
                <div class="mt-4 grid gap-4 md:grid-cols-2">{objects}</div>
                <table class="mt-4 min-w-full"><tbody>{changes}</tbody></table>
            </section>
            <section class=CARD>
                <h2 class="text-lg font-semibold">"Replay of the last 7 days"</h2>
                <p class="mt-1 text-sm">
                    {result.events_considered} " events considered · " {result.unaffected} " unaffected (keys bound to their own policy) · "
                    {result.approximate} " approximate (arguments summary was cut)"
                </p>
                <p class="mt-2 text-sm font-medium">{result.firewall_totals}</p>
                <ReplayTable rows=result.by_tool />
                <h3 class="mt-6 font-semibold">"Guardrails"</h3>
                <p class="text-xs text-slate-500">"A lower bound: raw text is never stored, so recorded matches are mapped onto the level's rules."</p>
                <p class="mt-2 text-sm font-medium">{result.guardrail_totals}</p>
                <ReplayTable rows=result.guardrail_rows />
            </section>
        </div>
    }
}

#[component]
fn ObjectDiff(object: ObjectDiffView) -> impl IntoView {
    let list = |title: &'static str, items: Vec<String>, tone: &'static str| {
        (!items.is_empty()).then(|| view! {
            <div class="mt-2">
                <p class=format!("text-xs font-semibold {tone}")>{title}</p>
                <ul class="list-disc pl-5 text-xs">{items.into_iter().map(|item| view! { <li>{item}</li> }).collect_view()}</ul>
            </div>
        })
    };
    view! {
        <div class="rounded-md border border-slate-200 p-4 dark:border-slate-800">
            <div class="flex items-center justify-between">
                <span class="font-medium">{object.name}</span>
                <Badge text=object.action />
            </div>
            {list("Rules added", object.rules_added, "text-emerald-700")}
            {list("Rules removed", object.rules_removed, "text-red-700")}
            {list("Rules changed", object.rules_changed, "text-amber-700")}
        </div>
    }
}

#[component]
fn ReplayTable(rows: Vec<ReplayRowView>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="mt-2 text-xs text-slate-500">"No recorded activity in the window."</p> }.into_any();
    }
    let body = rows
        .into_iter()
        .map(|row| view! {
            <tr class="border-t border-slate-100 dark:border-slate-800">
                <td class=TD>{row.tool_name}</td><td class=TD>{row.surface}</td><td class=TD>{row.rule_label}</td><td class=TD>{row.counts}</td>
            </tr>
        })
        .collect_view();
    view! {
        <table class="mt-3 min-w-full">
            <thead><tr><th class=TH>"Tool / entity"</th><th class=TH>"Surface / stage"</th><th class=TH>"Rule"</th><th class=TH>"Would"</th></tr></thead>
            <tbody>{body}</tbody>
        </table>
    }
    .into_any()
}
