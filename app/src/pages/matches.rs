//! `/matches` (Member): guardrail matches, newest first, refreshed live. Filters (stage, action, rule
//! type, hide false positives) travel in the query string, and "Download CSV" carries them to
//! `/api/guardrails/matches.csv`; the raw `matched` text is a Developer+ column (the server sends it only
//! to them). Admins mark rows as false positives and delete suppressions (SPEC §4.11); the server refuses
//! everyone else whatever this page shows.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::{list_matches, list_suppressions, DeleteSuppression, MarkFalsePositive};
use crate::components::feed::*;
use crate::components::layout::use_session;
use crate::components::ui::*;
use crate::error::AppError;
use crate::pages::events::date_and_clock;
use crate::types::{FeedMatchView, MatchPageView, SuppressionView};

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
    let mark = ServerAction::<MarkFalsePositive>::new();
    let remove = ServerAction::<DeleteSuppression>::new();
    let page: Resource<Result<MatchPageView, AppError>> = Resource::new(
        move || (stage(), action(), rule_type(), flag(hide_fp()), cursor(), tick.get(), mark.version().get(), remove.version().get()),
        |(stage, action, rule_type, hide_fp, cursor, ..)| list_matches(stage, action, rule_type, hide_fp, cursor),
    );
    let suppressions: Resource<Result<Vec<SuppressionView>, AppError>> =
        Resource::new(move || (mark.version().get(), remove.version().get()), |_| list_suppressions());
    let filters = move || [("stage", stage()), ("action", action()), ("rule_type", rule_type()), ("hide_fp", flag(hide_fp()).then(|| "true".to_owned()))];
    view! {
        <div class="space-y-6">
            <div class="flex flex-wrap items-end justify-between gap-4">
                <div>
                    <h1 class="text-2xl font-bold tracking-tight">"Guardrail matches"</h1>
                    <p class="mt-1 text-sm text-slate-500">"What the guardrails caught in prompts and answers, newest first."</p>
                </div>
                <div class="flex items-center gap-3">
                    <a
                        id="download-csv"
                        href=move || query_string("/api/guardrails/matches.csv", &filters())
                        download="guardrail-matches.csv"
                        title="The newest 10 000 matches of the current filters"
                        class=BTN_SECONDARY
                    >
                        "Download CSV"
                    </a>
                    <LiveToggle live />
                </div>
            </div>
            <MatchFilters stage=stage() action=action() rule_type=rule_type() hide_fp=flag(hide_fp()) />
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    session.await.ok().filter(|session| session.at_least("admin")).map(|session| view! { <MarkForm action=mark csrf=session.csrf_token /> })
                })}
            </Suspense>
            <Transition fallback=|| view! { <p class="text-slate-500">"Loading matches…"</p> }>
                {move || Suspend::new(async move {
                    let role = session.await.map(|session| (session.at_least("developer"), session.at_least("admin")));
                    let (show_matched, can_mark) = role.unwrap_or((false, false));
                    let base = query_string("/matches", &filters());
                    match page.await {
                        Ok(page) => view! { <MatchTable page show_matched can_mark base /> }.into_any(),
                        Err(error) => view! { <ErrorBanner error /> }.into_any(),
                    }
                })}
            </Transition>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let session = session.await.ok();
                    let csrf = session.as_ref().filter(|session| session.at_least("admin")).map(|session| session.csrf_token.clone());
                    match suppressions.await {
                        Ok(rows) => view! { <Suppressions rows csrf remove /> }.into_any(),
                        Err(error) => view! { <ErrorBanner error /> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

/// The page's one false-positive form (Admin+). Each row's "Mark false positive" button submits it with
/// its `match_id` (HTML `form=` association), so the note typed here survives the live refresh of rows.
#[component]
fn MarkForm(action: ServerAction<MarkFalsePositive>, csrf: String) -> impl IntoView {
    view! {
        <ActionForm action attr:id="mark-fp-form" attr:class="flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900">
            <CsrfField token=csrf />
            // Enter in the note field must not submit through the first row's button (the form's default
            // button would be that row); a disabled first submit button makes implicit submission a no-op.
            <button type="submit" disabled=true hidden=true aria-hidden="true"></button>
            <div class="min-w-64 flex-1">
                <label for="fp-note" class=LABEL>"False-positive note (optional)"</label>
                <input id="fp-note" name="note" maxlength="256" placeholder="e.g. our public support address" class=INPUT />
            </div>
            <p class="max-w-md text-xs text-slate-500">
                "“Mark false positive” on a row suppresses that exact value for its rule: later requests pass it unmasked and unblocked, and it is no longer recorded. The note is saved with the suppression."
            </p>
            {move || match action.value().get() {
                Some(Ok(flagged)) => Some(view! { <span id="fp-marked" class="text-sm text-emerald-700">{format!("Suppressed; {flagged} match(es) marked.")}</span> }.into_any()),
                Some(Err(error)) => Some(view! { <ErrorBanner error /> }.into_any()),
                None => None,
            }}
        </ActionForm>
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
fn MatchTable(page: MatchPageView, show_matched: bool, can_mark: bool, base: String) -> impl IntoView {
    if page.matches.is_empty() {
        return view! { <EmptyFeed id="no-matches">"No guardrail matches. When a guardrail flags, masks or blocks text, it shows up here."</EmptyFeed> }.into_any();
    }
    let rows = page.matches.into_iter().map(|row| view! { <MatchRow row show_matched can_mark /> }).collect_view();
    view! {
        <div class=TABLE_FRAME>
            <table id="matches-table" class="min-w-full">
                <thead class="bg-slate-50 dark:bg-slate-950">
                    <tr>
                        <th class=TH>"Time"</th><th class=TH>"Guardrail · rule"</th><th class=TH>"Stage"</th><th class=TH>"Action"</th>
                        <th class=TH>"Entity"</th><th class=TH>"Detail"</th><th class=TH>"Count"</th>
                        {show_matched.then(|| view! { <th class=TH>"Matched"</th> })}
                        <th class=TH>"Key · model"</th><th class=TH>"Run"</th>
                        {can_mark.then(|| view! { <th class=TH></th> })}
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
fn MatchRow(row: FeedMatchView, show_matched: bool, can_mark: bool) -> impl IntoView {
    let (date, clock) = date_and_clock(&row.created_at);
    let dim = if row.false_positive { " opacity-60" } else { "" };
    let matched = show_matched.then(|| {
        let cell = match row.matched.clone() {
            Some(text) => view! { <code class="rounded bg-red-50 px-1.5 py-0.5 font-mono text-xs text-red-800 dark:bg-red-950 dark:text-red-200">{text}</code> }.into_any(),
            None => view! { <span class=MUTED title="The guardrail keeps the matched text only when “log raw content” is on.">"not logged"</span> }.into_any(),
        };
        view! { <td class=TD>{cell}</td> }
    });
    // `max_chars` findings have no value to suppress (the server answers 422); marked rows need nothing.
    let mark = can_mark.then(|| {
        let markable = !row.false_positive && row.rule_type != "max_chars";
        view! {
            <td class=TD>
                {markable.then(|| view! {
                    <button type="submit" form="mark-fp-form" name="match_id" value=row.id class=format!("{BTN_SECONDARY} mark-fp whitespace-nowrap")>
                        "Mark false positive"
                    </button>
                })}
            </td>
        }
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
            {mark}
        </tr>
    }
}

/// The workspace's suppressions; `csrf` is set for Admin+, who may delete them.
#[component]
fn Suppressions(rows: Vec<SuppressionView>, csrf: Option<String>, remove: ServerAction<DeleteSuppression>) -> impl IntoView {
    let can_delete = csrf.is_some();
    let body = if rows.is_empty() {
        view! { <p id="no-suppressions" class="text-sm text-slate-500">"No suppressions. Values marked as false positives appear here."</p> }.into_any()
    } else {
        let rows = rows.into_iter().map(|row| view! { <SuppressionRow row csrf=csrf.clone() remove /> }).collect_view();
        view! {
            <div class=TABLE_FRAME>
                <table id="suppressions-table" class="min-w-full">
                    <thead class="bg-slate-50 dark:bg-slate-950">
                        <tr>
                            <th class=TH>"Fingerprint"</th><th class=TH>"Guardrail · rule"</th><th class=TH>"Entity"</th>
                            <th class=TH>"Note"</th><th class=TH>"Added"</th>
                            {can_delete.then(|| view! { <th class=TH></th> })}
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <section id="suppressions" class="space-y-3">
            <div>
                <h2 class="text-lg font-semibold">"Suppressions"</h2>
                <p class="mt-1 text-sm text-slate-500">"Values marked as false positives: their findings are dropped before the guardrail decides. Deleting one enforces the value again."</p>
            </div>
            {action_error(remove.value())}
            {body}
        </section>
    }
}

#[component]
fn SuppressionRow(row: SuppressionView, csrf: Option<String>, remove: ServerAction<DeleteSuppression>) -> impl IntoView {
    let (date, clock) = date_and_clock(&row.created_at);
    view! {
        <tr class=ROW data-suppression-id=row.id>
            <td class=TD><code class="font-mono text-xs">{row.fingerprint.clone()}</code></td>
            <td class=TD>
                <a href=format!("/guardrails/{}", row.guardrail_id) class="text-sm font-medium text-indigo-600 hover:underline dark:text-indigo-400">{format!("guardrail {}", row.guardrail_id)}</a>
                <div class=MUTED>{format!("rule {}", row.rule_id)}</div>
            </td>
            <td class=TD><Badge text=row.entity_type.clone() tone="indigo" /></td>
            <td class=TD><p class="max-w-xs text-xs">{row.note.clone()}</p></td>
            <td class=TD><div class="font-mono text-xs">{clock}</div><div class=MUTED>{date}</div></td>
            {csrf.map(|csrf| view! {
                <td class=TD>
                    <ActionForm action=remove>
                        <CsrfField token=csrf />
                        <input type="hidden" name="id" value=row.id />
                        <button type="submit" class=format!("{BTN_DANGER} delete-suppression")>"Delete"</button>
                    </ActionForm>
                </td>
            })}
        </tr>
    }
}
