//! `/firewall/discovered` (Member): every tool name the relay has seen, with where it appeared, how often,
//! the verdicts it got and whether any rule covers it. "Gaps" narrows to tools no rule matched.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::list_discovered;
use crate::components::feed::*;
use crate::components::layout::use_session;
use crate::components::ui::*;
use crate::error::AppError;
use crate::pages::events::date_and_clock;
use crate::types::{DiscoveredPageView, DiscoveredToolView};

#[component]
pub fn DiscoveredPage() -> impl IntoView {
    // Created synchronously in the page component (hydration order; see KeysPage).
    let session = use_session();
    let query = use_query_map();
    let coverage = move || query.read().get("coverage").filter(|value| !value.is_empty());
    let cursor = move || query.read().get("cursor").filter(|value| !value.is_empty());
    let (live, tick) = live_ticker();
    let page: Resource<Result<DiscoveredPageView, AppError>> =
        Resource::new(move || (coverage(), cursor(), tick.get()), |(coverage, cursor, _)| list_discovered(coverage, cursor));
    let chips = [("All", None), ("Gaps only", Some("gap")), ("Covered", Some("covered"))]
        .into_iter()
        .map(|(label, value)| {
            let href = value.map_or_else(|| "/firewall/discovered".to_owned(), |value| format!("/firewall/discovered?coverage={value}"));
            view! { <FilterChip href label=label.to_owned() active=coverage().as_deref() == value /> }
        })
        .collect_view();
    view! {
        <div class="space-y-6">
            <div class="flex flex-wrap items-end justify-between gap-4">
                <div>
                    <h1 class="text-2xl font-bold tracking-tight">"Discovered tools"</h1>
                    <p class="mt-1 text-sm text-slate-500">"Every tool your agents advertised or called through Palisade. A gap is a tool no firewall rule covers yet."</p>
                </div>
                <LiveToggle live />
            </div>
            <div id="coverage-filters" class="flex flex-wrap gap-2">{chips}</div>
            <Transition fallback=|| view! { <p class="text-slate-500">"Loading tools…"</p> }>
                {move || Suspend::new(async move {
                    let link_events = session.await.map(|session| session.at_least("developer")).unwrap_or(false);
                    let base = query_string("/firewall/discovered", &[("coverage", coverage())]);
                    match page.await {
                        Ok(page) => view! { <ToolTable page link_events base /> }.into_any(),
                        Err(error) => view! { <ErrorBanner error /> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn ToolTable(page: DiscoveredPageView, link_events: bool, base: String) -> impl IntoView {
    if page.tools.is_empty() {
        return view! { <EmptyFeed id="no-tools">"No tools seen yet. They appear as soon as a relay request advertises or calls one."</EmptyFeed> }.into_any();
    }
    let rows = page.tools.into_iter().map(|tool| view! { <ToolRow tool link_events /> }).collect_view();
    view! {
        <div class=TABLE_FRAME>
            <table id="discovered-table" class="min-w-full">
                <thead class="bg-slate-50 dark:bg-slate-950">
                    <tr>
                        <th class=TH>"Tool"</th><th class=TH>"Coverage"</th><th class=TH>"Surfaces"</th><th class=TH>"First seen"</th><th class=TH>"Last seen"</th>
                        <th class=TH>"Calls"</th><th class=TH>"Verdicts"</th><th class=TH>"Last rule"</th><th class=TH>"Last key"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <OlderLink base next=page.next_cursor />
    }
    .into_any()
}

#[component]
fn ToolRow(tool: DiscoveredToolView, link_events: bool) -> impl IntoView {
    let (first_date, first_clock) = date_and_clock(&tool.first_seen_at);
    let (last_date, last_clock) = date_and_clock(&tool.last_seen_at);
    let name = if link_events {
        view! { <a href=format!("/events?tool_name={}", encode(&tool.tool_name)) title="Events of this tool" class="font-mono text-sm font-semibold text-indigo-600 hover:underline dark:text-indigo-400">{tool.tool_name.clone()}</a> }.into_any()
    } else {
        view! { <code class="font-mono text-sm font-semibold">{tool.tool_name.clone()}</code> }.into_any()
    };
    let coverage = if tool.coverage == "gap" {
        view! { <Badge text="gap".to_string() tone="red" /> }
    } else {
        view! { <Badge text=tool.coverage.clone() tone="emerald" /> }
    };
    let surfaces = tool.surfaces.iter().map(|surface| view! { <Badge text=surface.clone() /> }).collect_view();
    let rule = match (&tool.last_policy_name, &tool.last_rule_label) {
        (Some(policy), Some(rule)) => format!("{policy} · {rule}"),
        (Some(policy), None) => format!("{policy} · default verdict"),
        (None, _) => "no policy".to_owned(),
    };
    view! {
        <tr class=ROW data-tool=tool.tool_name.clone() data-coverage=tool.coverage.clone()>
            <td class=TD>{name}{tool.mcp_server.clone().map(|server| view! { <div class=MUTED>"MCP: " {server}</div> })}</td>
            <td class=TD>{coverage}</td>
            <td class=TD><span class="inline-flex flex-wrap gap-1">{surfaces}</span></td>
            <td class=TD><div class="font-mono text-xs">{first_clock}</div><div class=MUTED>{first_date}</div></td>
            <td class=TD><div class="font-mono text-xs">{last_clock}</div><div class=MUTED>{last_date}</div></td>
            <td class=TD><span class="text-sm tabular-nums">{tool.call_count}</span></td>
            <td class=TD><VerdictCounts counts=tool.verdicts.clone() /></td>
            <td class=TD><span class="text-xs">{rule}</span></td>
            <td class=TD><span class="text-xs">{tool.last_key_name.clone()}</span></td>
        </tr>
    }
}
