//! `/runs` and `/runs/:run_id` (Developer+): agent runs rolled up from the relay's requests, and one run's
//! trace as a step tree of LLM calls with the firewall events and guardrail matches of each call. Both
//! refresh live while the run is still going.

use std::collections::HashSet;

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::{get_run_trace, list_runs};
use crate::components::feed::*;
use crate::components::ui::*;
use crate::error::AppError;
use crate::pages::events::{date_and_clock, EventDetails};
use crate::types::{FeedEventView, FeedMatchView, RunPageView, RunSummaryView, RunTraceView, TraceNodeView};

const DEVELOPERS_ONLY: &str = "Runs and traces carry tool-call arguments, so they are visible to Developers and above.";

#[component]
pub fn RunsPage() -> impl IntoView {
    // Created synchronously in the page component (hydration order; see KeysPage).
    let query = use_query_map();
    let cursor = move || query.read().get("cursor").filter(|cursor| !cursor.is_empty());
    let (live, tick) = live_ticker();
    let page: Resource<Result<RunPageView, AppError>> = Resource::new(move || (cursor(), tick.get()), |(cursor, _)| list_runs(cursor));
    view! {
        <div class="space-y-6">
            <div class="flex flex-wrap items-end justify-between gap-4">
                <div>
                    <h1 class="text-2xl font-bold tracking-tight">"Runs"</h1>
                    <p class="mt-1 text-sm text-slate-500">"Agent runs grouped by the X-Palisade-Run-Id header, most recently active first. Open one for its step tree."</p>
                </div>
                <LiveToggle live />
            </div>
            <Transition fallback=|| view! { <p class="text-slate-500">"Loading runs…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(page) => view! { <RunTable page /> }.into_any(),
                        Err(AppError::Forbidden(_)) => view! { <p id="runs-forbidden" class="rounded-md border border-amber-300 bg-amber-50 p-4 text-sm text-amber-900">{DEVELOPERS_ONLY}</p> }.into_any(),
                        Err(error) => view! { <ErrorBanner error /> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn RunTable(page: RunPageView) -> impl IntoView {
    if page.runs.is_empty() {
        return view! {
            <EmptyFeed id="no-runs">"No runs yet. Send X-Palisade-Run-Id (and optionally step ids) with relay requests to group them here."</EmptyFeed>
        }
        .into_any();
    }
    let rows = page.runs.into_iter().map(|run| view! { <RunRow run /> }).collect_view();
    view! {
        <div class=TABLE_FRAME>
            <table id="runs-table" class="min-w-full">
                <thead class="bg-slate-50 dark:bg-slate-950">
                    <tr>
                        <th class=TH>"Run"</th><th class=TH>"Status"</th><th class=TH>"Keys"</th><th class=TH>"Started"</th><th class=TH>"Last activity"</th>
                        <th class=TH>"Calls"</th><th class=TH>"Tool calls"</th><th class=TH>"Verdicts"</th><th class=TH>"Matches"</th><th class=TH>"Cost"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <OlderLink base="/runs".to_owned() next=page.next_cursor />
    }
    .into_any()
}

#[component]
fn RunRow(run: RunSummaryView) -> impl IntoView {
    let (first_date, first_clock) = date_and_clock(&run.first_seen_at);
    let (_, last_clock) = date_and_clock(&run.last_seen_at);
    view! {
        <tr class=ROW data-run-id=run.run_id.clone()>
            <td class=TD><a href=format!("/runs/{}", run.run_id) class="font-mono text-sm font-semibold text-indigo-600 hover:underline dark:text-indigo-400">{run.run_id.clone()}</a></td>
            <td class=TD>{if run.blocked { view! { <Badge text="blocked".to_string() tone="red" /> } } else { view! { <Badge text="ok".to_string() tone="emerald" /> } }}</td>
            <td class=TD><span class="text-xs">{run.key_names.join(", ")}</span></td>
            <td class=TD><div class="font-mono text-xs">{first_clock}</div><div class=MUTED>{first_date}</div></td>
            <td class=TD><div class="font-mono text-xs">{last_clock}</div></td>
            <td class=TD><span class="text-sm tabular-nums">{run.requests}</span></td>
            <td class=TD><span class="text-sm tabular-nums">{run.tool_calls}</span></td>
            <td class=TD><VerdictCounts counts=run.verdicts.clone() /></td>
            <td class=TD><span class="text-sm tabular-nums">{run.matches}</span></td>
            <td class=TD><span class="text-xs tabular-nums">{format!("${:.4}", run.cost_usd)}</span></td>
        </tr>
    }
}

#[component]
pub fn RunTracePage() -> impl IntoView {
    // Created synchronously in the page component (hydration order; see KeysPage).
    let params = use_params_map();
    let run_id = move || params.read().get("run_id").unwrap_or_default();
    let (live, tick) = live_ticker();
    // Open drawers live here so they survive the live refetch.
    let open = RwSignal::new(HashSet::<i64>::new());
    let trace: Resource<Result<RunTraceView, AppError>> = Resource::new(move || (run_id(), tick.get()), |(run_id, _)| get_run_trace(run_id));
    view! {
        <div class="space-y-6">
            <div class="flex flex-wrap items-end justify-between gap-4">
                <div>
                    <a href="/runs" class="text-sm text-indigo-600 hover:underline dark:text-indigo-400">"← Runs"</a>
                    <h1 class="mt-1 text-2xl font-bold tracking-tight">"Run " <code class="font-mono">{run_id}</code></h1>
                    <p class="mt-1 text-sm text-slate-500">"Each LLM call of the run, nested by parent step, with the tool calls the firewall judged and the guardrail matches."</p>
                </div>
                <LiveToggle live />
            </div>
            <Transition fallback=|| view! { <p class="text-slate-500">"Loading trace…"</p> }>
                {move || Suspend::new(async move {
                    match trace.await {
                        Ok(trace) => view! { <Trace trace open /> }.into_any(),
                        Err(AppError::Forbidden(_)) => view! { <p class="rounded-md border border-amber-300 bg-amber-50 p-4 text-sm text-amber-900">{DEVELOPERS_ONLY}</p> }.into_any(),
                        Err(error) => view! { <ErrorBanner error /> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

/// Flattens the step tree depth-first into (depth, node) pairs (children emptied), so the page renders
/// a flat list with indentation instead of a recursive component.
fn flatten(nodes: Vec<TraceNodeView>, depth: usize, out: &mut Vec<(usize, TraceNodeView)>) {
    for mut node in nodes {
        let children = std::mem::take(&mut node.children);
        out.push((depth, node));
        flatten(children, depth + 1, out);
    }
}

#[component]
fn Trace(trace: RunTraceView, open: RwSignal<HashSet<i64>>) -> impl IntoView {
    let mut steps = Vec::new();
    flatten(trace.nodes, 0, &mut steps);
    let calls = steps.len();
    let events: usize = steps.iter().map(|(_, node)| node.events.len()).sum();
    let denied = steps.iter().flat_map(|(_, node)| &node.events).filter(|event| event.verdict == "deny").count();
    let matches: usize = steps.iter().map(|(_, node)| node.matches.len()).sum();
    let cost: f64 = steps.iter().map(|(_, node)| node.cost_usd).sum();
    let stat = |label: &'static str, value: String| view! {
        <div><div class="text-[11px] font-semibold uppercase tracking-wide text-slate-500">{label}</div><div class="text-lg font-semibold tabular-nums">{value}</div></div>
    };
    let cards = steps.into_iter().map(|(depth, node)| view! { <StepCard depth node open /> }).collect_view();
    view! {
        <section class="flex flex-wrap gap-8 rounded-lg border border-slate-200 bg-white px-6 py-4 shadow-sm dark:border-slate-800 dark:bg-slate-900">
            {stat("LLM calls", calls.to_string())}
            {stat("Tool calls judged", events.to_string())}
            {stat("Denied", denied.to_string())}
            {stat("Guardrail matches", matches.to_string())}
            {stat("Cost", format!("${cost:.4}"))}
        </section>
        <ol id="trace" class="space-y-3">{cards}</ol>
    }
}

#[component]
fn StepCard(depth: usize, node: TraceNodeView, open: RwSignal<HashSet<i64>>) -> impl IntoView {
    let (date, clock) = date_and_clock(&node.created_at);
    let failed = node.status >= 400 || node.error_code.is_some();
    let status = if failed {
        view! { <Badge text=format!("{} {}", node.status, node.error_code.clone().unwrap_or_default()) tone="red" /> }
    } else {
        view! { <Badge text=node.status.to_string() tone="emerald" /> }
    };
    let indent = format!("margin-left: {}rem", depth.min(8) * 2);
    let events = (!node.events.is_empty()).then(|| {
        let rows = node.events.into_iter().map(|event| view! { <TraceEvent event open /> }).collect_view();
        view! {
            <table class="mt-3 min-w-full">
                <thead><tr><th class=TH>"Verdict"</th><th class=TH>"Surface"</th><th class=TH>"Tool"</th><th class=TH>"Reason"</th><th class=TH>"Rule"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
    });
    let matches = (!node.matches.is_empty()).then(|| {
        let items = node.matches.into_iter().map(|row| view! { <TraceMatch row /> }).collect_view();
        view! { <ul class="mt-3 space-y-1">{items}</ul> }
    });
    view! {
        <li class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900" style=indent data-request-id=node.request_id.clone()>
            <div class="flex flex-wrap items-center gap-x-4 gap-y-1 text-sm">
                {(depth > 0).then(|| view! { <span class="text-slate-400">"↳"</span> })}
                <span class="font-mono text-xs">{clock}<span class="ml-1 text-slate-500">{date}</span></span>
                <code class="text-xs">{node.route.clone()}</code>
                <span class="font-medium">{node.model.clone().unwrap_or_else(|| "—".into())}</span>
                {status}
                <span class="text-xs text-slate-500 tabular-nums">{format!("{} ms · {}+{} tokens · ${:.4}", node.latency_ms, node.prompt_tokens, node.completion_tokens, node.cost_usd)}</span>
                <span class="text-xs text-slate-500">{node.key_name.clone()}</span>
                {node.step_id.clone().map(|step| view! { <span class="text-xs text-slate-500">"step " <code>{step}</code></span> })}
            </div>
            {events}
            {matches}
            {(node.tool_calls == 0 && !failed).then(|| view! { <p class="mt-2 text-xs text-slate-500">"No tool calls in this answer."</p> })}
        </li>
    }
}

#[component]
fn TraceEvent(event: FeedEventView, open: RwSignal<HashSet<i64>>) -> impl IntoView {
    let id = event.id;
    let is_open = move || open.with(|set| set.contains(&id));
    view! {
        <tr class="border-t border-slate-100 dark:border-slate-800" data-event-id=event.id>
            <td class=TD><VerdictChip verdict=event.verdict.clone() review=event.review shadow=event.shadow gap=event.gap /></td>
            <td class=TD><Badge text=event.surface.clone() /></td>
            <td class=TD>
                <button type="button" class="font-mono text-sm font-semibold text-indigo-600 hover:underline dark:text-indigo-400" on:click=move |_| open.update(|set| if !set.remove(&id) { set.insert(id); })>{event.tool_name.clone()}</button>
            </td>
            <td class=TD><p class="max-w-md text-xs">{event.reason.clone()}</p></td>
            <td class=TD><span class="text-xs">{event.rule_label.clone().or(event.policy_name.clone()).unwrap_or_else(|| "—".into())}</span></td>
        </tr>
        <tr class=move || if is_open() { "bg-slate-50 dark:bg-slate-950" } else { "hidden" }>
            <td colspan="5" class="px-3 py-3"><EventDetails event /></td>
        </tr>
    }
}

#[component]
fn TraceMatch(row: FeedMatchView) -> impl IntoView {
    view! {
        <li class="flex flex-wrap items-center gap-2 text-xs">
            <Badge text=row.action.clone() tone=action_tone(&row.action) />
            <span class="font-medium">{row.guardrail_name.clone()}</span>
            <span class="text-slate-500">{format!("{} · {} · {}", row.rule_label, row.rule_type, row.stage)}</span>
            {row.entity.clone().map(|entity| view! { <Badge text=entity tone="indigo" /> })}
            <span>{row.detail.clone()}</span>
            {row.matched.clone().map(|matched| view! { <code class="rounded bg-slate-100 px-1 dark:bg-slate-800">{matched}</code> })}
            {row.false_positive.then(|| view! { <Badge text="false positive".to_string() /> })}
        </li>
    }
}
