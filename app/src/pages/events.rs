//! `/events` (Developer+): every tool call the firewall judged, newest first, refreshed live. Filters by
//! verdict, surface and tool travel in the query string (a GET form), "Older" follows the keyset cursor,
//! and each row opens a details drawer with lineage, destination, cost check and the arguments summary.

use std::collections::HashSet;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::list_events;
use crate::components::feed::*;
use crate::components::layout::use_session;
use crate::components::ui::*;
use crate::error::AppError;
use crate::types::{EventPageView, FeedEventView};

type EventResource = Resource<Result<EventPageView, AppError>>;

#[component]
pub fn EventsPage() -> impl IntoView {
    // Resources and signals are created here, synchronously, so the server and the hydrating client
    // create them in the same order (created inside a Suspend, they broke hydration).
    let session = use_session();
    let query = use_query_map();
    let param = move |name: &'static str| move || query.read().get(name).filter(|value| !value.is_empty());
    let (verdict, surface, tool, run, cursor) = (param("verdict"), param("surface"), param("tool_name"), param("run_id"), param("cursor"));
    let (live, tick) = live_ticker();
    let open = RwSignal::new(HashSet::<i64>::new());
    let page: EventResource = Resource::new(
        move || (verdict(), surface(), tool(), run(), cursor(), tick.get()),
        |(verdict, surface, tool, run, cursor, _)| list_events(verdict, surface, tool, run, cursor),
    );
    view! {
        <div class="space-y-6">
            <div class="flex flex-wrap items-end justify-between gap-4">
                <div>
                    <h1 class="text-2xl font-bold tracking-tight">"Events"</h1>
                    <p class="mt-1 text-sm text-slate-500">"Every tool call the firewall judged, newest first. Open a row for lineage, destination and arguments."</p>
                </div>
                <LiveToggle live />
            </div>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    session.await.map(|session| (!session.at_least("developer")).then(|| view! {
                        <p id="events-forbidden" class="rounded-md border border-amber-300 bg-amber-50 p-4 text-sm text-amber-900">
                            "Events carry tool-call arguments, so they are visible to Developers and above. Discovered tools and guardrail matches are open to you."
                        </p>
                    }))
                })}
            </Suspense>
            <EventFilters verdict=verdict() surface=surface() tool=tool() run=run() />
            <Transition fallback=|| view! { <p class="text-slate-500">"Loading events…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(page) => view! { <EventTable page open base=event_base(verdict(), surface(), tool(), run()) /> }.into_any(),
                        Err(AppError::Forbidden(_)) => ().into_any(),
                        Err(error) => view! { <ErrorBanner error /> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

fn event_base(verdict: Option<String>, surface: Option<String>, tool: Option<String>, run: Option<String>) -> String {
    query_string("/events", &[("verdict", verdict), ("surface", surface), ("tool_name", tool), ("run_id", run)])
}

/// The filter bar: a plain GET form, so filters are bookmarkable and work before hydration.
#[component]
fn EventFilters(verdict: Option<String>, surface: Option<String>, tool: Option<String>, run: Option<String>) -> impl IntoView {
    let is_verdict = |value: &str| verdict.as_deref() == Some(value);
    let is_surface = |value: &str| surface.as_deref() == Some(value);
    view! {
        <form id="event-filters" method="get" action="/events" class="flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900">
            <div>
                <label for="filter-verdict" class=LABEL>"Verdict"</label>
                <select id="filter-verdict" name="verdict" class=INPUT>
                    <option value="">"Any"</option>
                    <option value="deny" selected=is_verdict("deny")>"deny"</option>
                    <option value="pending_approval" selected=is_verdict("pending_approval")>"pending approval"</option>
                    <option value="sanitize" selected=is_verdict("sanitize")>"sanitize"</option>
                    <option value="audit" selected=is_verdict("audit")>"audit"</option>
                    <option value="observe" selected=is_verdict("observe")>"observe"</option>
                    <option value="allow" selected=is_verdict("allow")>"allow"</option>
                </select>
            </div>
            <div>
                <label for="filter-surface" class=LABEL>"Surface"</label>
                <select id="filter-surface" name="surface" class=INPUT>
                    <option value="">"Any"</option>
                    <option value="response" selected=is_surface("response")>"response (model tool calls)"</option>
                    <option value="inbound" selected=is_surface("inbound")>"inbound (advertised tools)"</option>
                    <option value="mcp" selected=is_surface("mcp")>"mcp"</option>
                    <option value="egress" selected=is_surface("egress")>"egress"</option>
                </select>
            </div>
            <div class="min-w-48 flex-1">
                <label for="filter-tool" class=LABEL>"Tool name"</label>
                <input id="filter-tool" name="tool_name" value=tool.unwrap_or_default() placeholder="bash" class=INPUT />
            </div>
            {run.map(|run| view! { <input type="hidden" name="run_id" value=run.clone() /><span class="self-center text-xs text-slate-500">"run " <code>{run}</code></span> })}
            <button id="apply-filters" type="submit" class=BTN_PRIMARY>"Filter"</button>
            <a href="/events" class=BTN_SECONDARY>"Clear"</a>
        </form>
    }
}

/// `2026-11-23T19:46:36…` as date and seconds-precision time.
pub fn date_and_clock(rfc3339: &str) -> (String, String) {
    (rfc3339.chars().take(10).collect(), rfc3339.chars().skip(11).take(8).collect())
}

#[component]
fn EventTable(page: EventPageView, open: RwSignal<HashSet<i64>>, base: String) -> impl IntoView {
    if page.events.is_empty() {
        return view! {
            <EmptyFeed id="no-events">
                "No events match. Tool calls appear here as soon as a relay key's traffic carries them."
            </EmptyFeed>
        }
        .into_any();
    }
    let rows = page.events.into_iter().map(|event| view! { <EventRow event open /> }).collect_view();
    view! {
        <div class=TABLE_FRAME>
            <table id="events-table" class="min-w-full">
                <thead class="bg-slate-50 dark:bg-slate-950">
                    <tr>
                        <th class=TH>"Time"</th><th class=TH>"Verdict"</th><th class=TH>"Surface"</th><th class=TH>"Tool"</th>
                        <th class=TH>"Reason"</th><th class=TH>"Policy · rule"</th><th class=TH>"Key"</th><th class=TH>"Run"</th><th class=TH></th>
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
fn EventRow(event: FeedEventView, open: RwSignal<HashSet<i64>>) -> impl IntoView {
    let id = event.id;
    let is_open = move || open.with(|set| set.contains(&id));
    let toggle = move |_| open.update(|set| if !set.remove(&id) { set.insert(id); });
    let (date, clock) = date_and_clock(&event.created_at);
    let rule = match (&event.policy_name, &event.rule_label) {
        (Some(policy), Some(rule)) => view! { <div>{policy.clone()}</div><div class=MUTED>{rule.clone()}</div> }.into_any(),
        (Some(policy), None) => view! { <div>{policy.clone()}</div><div class=MUTED>"default verdict"</div> }.into_any(),
        (None, _) => view! { <span class=MUTED>"no policy"</span> }.into_any(),
    };
    let run = event.run_id.clone().map(|run| view! { <a href=format!("/runs/{run}") class="whitespace-nowrap font-mono text-xs text-indigo-600 hover:underline dark:text-indigo-400">{run.clone()}</a> });
    let origin = event.mcp_server.clone().map(|server| format!("mcp: {server}")).or_else(|| event.skill_name.clone().map(|skill| format!("skill: {skill}")));
    view! {
        <tr class=ROW data-event-id=id data-tool=event.tool_name.clone()>
            <td class=TD><div class="font-mono text-xs">{clock}</div><div class="whitespace-nowrap text-xs text-slate-500">{date}</div></td>
            <td class=TD><VerdictChip verdict=event.verdict.clone() review=event.review shadow=event.shadow gap=event.gap /></td>
            <td class=TD><Badge text=event.surface.clone() /></td>
            <td class=TD><code class="font-mono text-sm font-semibold">{event.tool_name.clone()}</code>{origin.map(|origin| view! { <div class=MUTED>{origin}</div> })}</td>
            <td class=TD><p class="max-w-xs text-xs">{event.reason.clone()}</p></td>
            <td class=TD><div class="text-xs">{rule}</div></td>
            <td class=TD><div class="text-xs">{event.key_name.clone()}</div><div class=MUTED>{event.model_name.clone().unwrap_or_default()}</div></td>
            <td class=TD>{run}</td>
            <td class=TD>
                <button type="button" class="whitespace-nowrap rounded px-2 py-1 text-xs text-indigo-600 hover:bg-indigo-50 dark:text-indigo-400 dark:hover:bg-slate-800" data-details-toggle=id on:click=toggle>
                    {move || if is_open() { "Hide ▴" } else { "Details ▾" }}
                </button>
            </td>
        </tr>
        // Always rendered and hidden with a class: a drawer that appears as a dynamic child would need
        // hydration markers inside <tbody>, and the open set survives the live refetch this way.
        <tr class=move || if is_open() { "bg-slate-50 dark:bg-slate-950" } else { "hidden" } data-details=id>
            <td colspan="9" class="px-3 py-3"><EventDetails event /></td>
        </tr>
    }
}

/// The drawer: lineage, destination, cost check and arguments of one event.
#[component]
pub fn EventDetails(event: FeedEventView) -> impl IntoView {
    let field = |label: &'static str, value: Option<String>| {
        view! {
            <div>
                <dt class="text-[11px] font-semibold uppercase tracking-wide text-slate-500">{label}</dt>
                <dd class="font-mono text-xs break-all">{value.unwrap_or_else(|| "—".into())}</dd>
            </div>
        }
    };
    let block = |label: &'static str, value: Option<String>| {
        value.map(|value| view! {
            <div>
                <div class="text-[11px] font-semibold uppercase tracking-wide text-slate-500">{label}</div>
                <pre class="mt-1 max-h-48 overflow-auto whitespace-pre-wrap rounded-md bg-white p-2 font-mono text-xs shadow-inner dark:bg-slate-900">{value}</pre>
            </div>
        })
    };
    let nothing_more = event.args_summary.is_none() && event.destination.is_none() && event.cost_check.is_none();
    view! {
        <div class="grid gap-4 lg:grid-cols-2">
            <dl class="grid grid-cols-2 gap-x-4 gap-y-2">
                {field("request", Some(event.request_id.clone()))}
                {field("model", event.model_name.clone())}
                {field("run", event.run_id.clone())}
                {field("conversation", event.conversation_id.clone())}
                {field("step", event.step_id.clone())}
                {field("parent step", event.parent_step_id.clone())}
                {field("args hash", event.args_hash.clone().map(|hash| hash.chars().take(16).collect()))}
                {field("approval", event.approval_id.clone())}
            </dl>
            <div class="space-y-3">
                {block("arguments (summary)", event.args_summary.clone())}
                {block("destination", event.destination.clone())}
                {block("cost check", event.cost_check.clone())}
                {nothing_more.then(|| view! { <p class=MUTED>"No arguments, destination or cost check recorded for this call."</p> })}
            </div>
        </div>
    }
}
