//! `/matches` (Member): guardrail matches, newest first, refreshed live. Filters (stage, action, rule
//! type, hide false positives) travel in the query string; the raw `matched` text is a Developer+ column
//! (the server sends it only to them).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::list_matches;
use crate::components::feed::*;
use crate::components::layout::use_session;
use crate::components::ui::*;
use crate::error::AppError;
use crate::pages::events::date_and_clock;
use crate::types::{FeedMatchView, MatchPageView};

/// A checkbox posts `on`; links use `true`.
fn flag(value: Option<String>) -> bool {
    value.is_some_and(|value| value != "false" && value != "0")
}

#[component]
pub fn MatchesPage() -> impl IntoView {
    // Created synchronously in the page component (hydration order; see KeysPage).
    let session = use_session();
    let query = use_query_map();
    let param = move |name: &'static str| move || query.read().get(name).filter(|value| !value.is_empty());
    let (stage, action, rule_type, hide_fp, cursor) = (param("stage"), param("action"), param("rule_type"), param("hide_fp"), param("cursor"));
    let (live, tick) = live_ticker();
    let page: Resource<Result<MatchPageView, AppError>> = Resource::new(
        move || (stage(), action(), rule_type(), flag(hide_fp()), cursor(), tick.get()),
        |(stage, action, rule_type, hide_fp, cursor, _)| list_matches(stage, action, rule_type, hide_fp, cursor),
    );
    view! {
        <div class="space-y-6">
            <div class="flex flex-wrap items-end justify-between gap-4">
                <div>
                    <h1 class="text-2xl font-bold tracking-tight">"Guardrail matches"</h1>
                    <p class="mt-1 text-sm text-slate-500">"What the guardrails caught in prompts and answers, newest first."</p>
                </div>
                <LiveToggle live />
            </div>
            <MatchFilters stage=stage() action=action() rule_type=rule_type() hide_fp=flag(hide_fp()) />
            <Transition fallback=|| view! { <p class="text-slate-500">"Loading matches…"</p> }>
                {move || Suspend::new(async move {
                    let show_matched = session.await.map(|session| session.at_least("developer")).unwrap_or(false);
                    let base = query_string("/matches", &[("stage", stage()), ("action", action()), ("rule_type", rule_type()), ("hide_fp", flag(hide_fp()).then(|| "true".to_owned()))]);
                    match page.await {
                        Ok(page) => view! { <MatchTable page show_matched base /> }.into_any(),
                        Err(error) => view! { <ErrorBanner error /> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn MatchFilters(stage: Option<String>, action: Option<String>, rule_type: Option<String>, hide_fp: bool) -> impl IntoView {
    let is_stage = |value: &str| stage.as_deref() == Some(value);
    let is_action = |value: &str| action.as_deref() == Some(value);
    let is_type = |value: &str| rule_type.as_deref() == Some(value);
    view! {
        <form id="match-filters" method="get" action="/matches" class="flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900">
            <div>
                <label for="filter-stage" class=LABEL>"Stage"</label>
                <select id="filter-stage" name="stage" class=INPUT>
                    <option value="">"Any"</option>
                    <option value="input" selected=is_stage("input")>"input (prompt)"</option>
                    <option value="output" selected=is_stage("output")>"output (answer)"</option>
                </select>
            </div>
            <div>
                <label for="filter-action" class=LABEL>"Action"</label>
                <select id="filter-action" name="action" class=INPUT>
                    <option value="">"Any"</option>
                    <option value="block" selected=is_action("block")>"block"</option>
                    <option value="mask" selected=is_action("mask")>"mask"</option>
                    <option value="flag" selected=is_action("flag")>"flag"</option>
                    <option value="annotate" selected=is_action("annotate")>"annotate"</option>
                    <option value="spotlight" selected=is_action("spotlight")>"spotlight"</option>
                </select>
            </div>
            <div>
                <label for="filter-type" class=LABEL>"Rule type"</label>
                <select id="filter-type" name="rule_type" class=INPUT>
                    <option value="">"Any"</option>
                    <option value="pii" selected=is_type("pii")>"pii"</option>
                    <option value="keyword" selected=is_type("keyword")>"keyword"</option>
                    <option value="regex" selected=is_type("regex")>"regex"</option>
                    <option value="max_chars" selected=is_type("max_chars")>"max chars"</option>
                    <option value="llm_judge" selected=is_type("llm_judge")>"llm judge"</option>
                    <option value="grounding" selected=is_type("grounding")>"grounding"</option>
                    <option value="external" selected=is_type("external")>"external"</option>
                </select>
            </div>
            <label class="flex items-center gap-2 self-center text-sm">
                <input id="filter-hide-fp" type="checkbox" name="hide_fp" value="true" checked=hide_fp class="h-4 w-4 rounded border-slate-300" />
                "Hide false positives"
            </label>
            <button id="apply-filters" type="submit" class=BTN_PRIMARY>"Filter"</button>
            <a href="/matches" class=BTN_SECONDARY>"Clear"</a>
        </form>
    }
}

#[component]
fn MatchTable(page: MatchPageView, show_matched: bool, base: String) -> impl IntoView {
    if page.matches.is_empty() {
        return view! { <EmptyFeed id="no-matches">"No guardrail matches. When a guardrail flags, masks or blocks text, it shows up here."</EmptyFeed> }.into_any();
    }
    let rows = page.matches.into_iter().map(|row| view! { <MatchRow row show_matched /> }).collect_view();
    view! {
        <div class=TABLE_FRAME>
            <table id="matches-table" class="min-w-full">
                <thead class="bg-slate-50 dark:bg-slate-950">
                    <tr>
                        <th class=TH>"Time"</th><th class=TH>"Guardrail · rule"</th><th class=TH>"Stage"</th><th class=TH>"Action"</th>
                        <th class=TH>"Entity"</th><th class=TH>"Detail"</th><th class=TH>"Count"</th>
                        {show_matched.then(|| view! { <th class=TH>"Matched"</th> })}
                        <th class=TH>"Key · model"</th><th class=TH>"Run"</th>
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
fn MatchRow(row: FeedMatchView, show_matched: bool) -> impl IntoView {
    let (date, clock) = date_and_clock(&row.created_at);
    let dim = if row.false_positive { " opacity-60" } else { "" };
    let matched = show_matched.then(|| {
        let cell = match row.matched.clone() {
            Some(text) => view! { <code class="rounded bg-red-50 px-1.5 py-0.5 font-mono text-xs text-red-800 dark:bg-red-950 dark:text-red-200">{text}</code> }.into_any(),
            None => view! { <span class=MUTED title="The guardrail keeps the matched text only when “log raw content” is on.">"not logged"</span> }.into_any(),
        };
        view! { <td class=TD>{cell}</td> }
    });
    view! {
        <tr class=format!("{ROW}{dim}") data-match-id=row.id data-rule-type=row.rule_type.clone()>
            <td class=TD><div class="font-mono text-xs">{clock}</div><div class=MUTED>{date}</div></td>
            <td class=TD>
                <a href=format!("/guardrails/{}", row.guardrail_id) class="text-sm font-medium text-indigo-600 hover:underline dark:text-indigo-400">{row.guardrail_name.clone()}</a>
                <div class=MUTED>{format!("{} · {}", if row.rule_label.is_empty() { "unlabelled" } else { &row.rule_label }, row.rule_type)}</div>
            </td>
            <td class=TD><Badge text=row.stage.clone() /></td>
            <td class=TD>
                <span class="inline-flex flex-wrap gap-1">
                    <Badge text=row.action.clone() tone=action_tone(&row.action) />
                    {row.false_positive.then(|| view! { <span title="marked as a false positive" class="rounded border border-slate-400 px-1 text-[10px] font-semibold uppercase text-slate-500">"FP"</span> })}
                    {row.error.then(|| view! { <span title="the check itself failed" class="rounded border border-red-400 px-1 text-[10px] font-semibold uppercase text-red-600">"error"</span> })}
                </span>
            </td>
            <td class=TD>{row.entity.clone().map(|entity| view! { <Badge text=entity tone="indigo" /> })}</td>
            <td class=TD><p class="max-w-xs text-xs">{row.detail.clone()}</p></td>
            <td class=TD><span class="text-sm tabular-nums">{row.count}</span></td>
            {matched}
            <td class=TD><div class="text-xs">{row.key_name.clone()}</div><div class=MUTED>{row.model_name.clone().unwrap_or_default()}</div></td>
            // Runs are Developer+; Members see the id as text.
            <td class=TD>{row.run_id.clone().map(|run| if show_matched {
                view! { <a href=format!("/runs/{run}") class="whitespace-nowrap font-mono text-xs text-indigo-600 hover:underline dark:text-indigo-400">{run.clone()}</a> }.into_any()
            } else {
                view! { <span class="whitespace-nowrap font-mono text-xs">{run}</span> }.into_any()
            })}</td>
        </tr>
    }
}
