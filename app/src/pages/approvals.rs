//! `/firewall/approvals` (Developer+): tool calls the firewall held for a human (SPEC §5.10, §10). The
//! queue shows one state at a time (pending oldest first, from the query string), with tool, arguments
//! hash and summary, rule, reason, key, run and time to expiry. Approve / Reject submit the page's one note
//! form with the row's id, so a note typed once survives the live refresh of rows; the server decides who
//! may do it and who was first.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::{list_approvals, DecideApproval};
use crate::components::feed::*;
use crate::components::layout::use_session;
use crate::components::ui::*;
use crate::error::AppError;
use crate::pages::events::date_and_clock;
use crate::types::{ApprovalPageView, ApprovalView};

#[component]
pub fn ApprovalsPage() -> impl IntoView {
    // Created synchronously in the page component (hydration order; see KeysPage).
    let session = use_session();
    let query = use_query_map();
    let param = move |name: &'static str| move || query.read().get(name).filter(|value| !value.is_empty());
    let (state, cursor) = (param("state"), param("cursor"));
    let (live, tick) = live_ticker();
    let decide = ServerAction::<DecideApproval>::new();
    let page: Resource<Result<ApprovalPageView, AppError>> = Resource::new(
        move || (state(), cursor(), tick.get(), decide.version().get()),
        |(state, cursor, ..)| list_approvals(state, cursor),
    );
    view! {
        <div class="space-y-6">
            <div class="flex flex-wrap items-end justify-between gap-4">
                <div>
                    <h1 class="text-2xl font-bold tracking-tight">"Approvals"</h1>
                    <p class="mt-1 text-sm text-slate-500">
                        "Tool calls a " <code>"pending_approval"</code> " rule held. Approving lets the agent's retry with "
                        <code>"X-Palisade-Approval"</code> " through once, for the same tool and arguments."
                    </p>
                </div>
                <LiveToggle live />
            </div>
            <StateFilter state=state() />
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    session.await.ok().map(|session| if session.at_least("developer") {
                        view! { <DecisionForm action=decide csrf=session.csrf_token /> }.into_any()
                    } else {
                        view! {
                            <p id="approvals-forbidden" class="rounded-md border border-amber-300 bg-amber-50 p-4 text-sm text-amber-900">
                                "Approvals carry tool-call arguments, so the queue is visible to Developers and above."
                            </p>
                        }
                        .into_any()
                    })
                })}
            </Suspense>
            <Transition fallback=|| view! { <p class="text-slate-500">"Loading approvals…"</p> }>
                {move || Suspend::new(async move {
                    let base = query_string("/firewall/approvals", &[("state", state())]);
                    match page.await {
                        Ok(page) => view! { <ApprovalTable page base /> }.into_any(),
                        Err(AppError::Forbidden(_)) => ().into_any(),
                        Err(error) => view! { <ErrorBanner error /> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

/// One chip per state; the current one is highlighted.
#[component]
fn StateFilter(state: Option<String>) -> impl IntoView {
    let current = state.unwrap_or_else(|| "pending".into());
    let chips = ["pending", "approved", "rejected", "expired", "consumed"]
        .into_iter()
        .map(|name| view! { <FilterChip href=format!("/firewall/approvals?state={name}") label=name.to_owned() active=current == name /> })
        .collect_view();
    view! { <div id="approval-states" class="flex flex-wrap gap-2">{chips}</div> }
}

/// The page's one decision form. Each pending row's Approve / Reject button submits it (HTML `form=`
/// association) as `approve=<id>` or `reject=<id>`, carrying the note typed here.
#[component]
fn DecisionForm(action: ServerAction<DecideApproval>, csrf: String) -> impl IntoView {
    view! {
        <ActionForm action attr:id="decide-form" attr:class="flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900">
            <CsrfField token=csrf />
            // Enter in the note field must not submit through the first row's button.
            <button type="submit" disabled=true class="hidden" aria-hidden="true"></button>
            <div class="min-w-64 flex-1">
                <label for="decision-note" class=LABEL>"Decision note (optional)"</label>
                <input id="decision-note" name="note" maxlength="512" placeholder="e.g. approved for tonight's migration" class=INPUT />
            </div>
            <p class="max-w-md text-xs text-slate-500">
                "The note is saved with the decision. The first decision wins; a call that was already decided or has expired cannot be decided again."
            </p>
            {move || match action.value().get() {
                Some(Ok(decided)) => Some(view! {
                    <span id="decided" class="text-sm text-emerald-700">{format!("Approval {} is now {}.", decided.id, decided.state)}</span>
                }.into_any()),
                Some(Err(error)) => Some(view! { <ErrorBanner error /> }.into_any()),
                None => None,
            }}
        </ActionForm>
    }
}

#[component]
fn ApprovalTable(page: ApprovalPageView, base: String) -> impl IntoView {
    if page.approvals.is_empty() {
        let message = format!("No {} approvals. Calls held by a pending_approval rule appear here.", page.state);
        return view! { <EmptyFeed id="no-approvals">{message}</EmptyFeed> }.into_any();
    }
    let pending = page.state == "pending";
    let rows = page.approvals.into_iter().map(|row| view! { <ApprovalRow row pending /> }).collect_view();
    view! {
        <div class=TABLE_FRAME>
            <table id="approvals-table" class="min-w-full">
                <thead class="bg-slate-50 dark:bg-slate-950">
                    <tr>
                        <th class=TH>"Held"</th><th class=TH>"Tool"</th><th class=TH>"Arguments"</th><th class=TH>"Policy · rule"</th>
                        <th class=TH>"Reason"</th><th class=TH>"Key"</th><th class=TH>"Run"</th>
                        <th class=TH>{if pending { "Expires in" } else { "Decision" }}</th>
                        {pending.then(|| view! { <th class=TH></th> })}
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <OlderLink base next=page.next_cursor />
    }
    .into_any()
}

/// `3h 12m`, `4m 05s`, or `expired`.
fn time_left(secs: i64) -> String {
    match secs {
        s if s <= 0 => "expired".into(),
        s if s >= 86_400 => format!("{}d {}h", s / 86_400, (s % 86_400) / 3600),
        s if s >= 3600 => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
        s => format!("{}m {:02}s", s / 60, s % 60),
    }
}

#[component]
fn ApprovalRow(row: ApprovalView, pending: bool) -> impl IntoView {
    let (date, clock) = date_and_clock(&row.created_at);
    let hash: String = row.args_hash.chars().take(12).collect();
    let rule = row.rule_label.clone().unwrap_or_else(|| "unlabelled rule".into());
    let run = row.run_id.clone().map(|run| view! { <a href=format!("/runs/{run}") class="whitespace-nowrap font-mono text-xs text-indigo-600 hover:underline dark:text-indigo-400">{run.clone()}</a> });
    let status = if pending {
        view! { <span class="whitespace-nowrap text-xs tabular-nums" title=row.expires_at.clone()>{time_left(row.expires_in_secs)}</span> }.into_any()
    } else {
        let via = row.decided_via.clone().map(|via| format!("via {via}"));
        let when = row.decided_at.as_deref().or(row.consumed_at.as_deref()).map(short_time);
        view! {
            <div class="text-xs">{[via, when].into_iter().flatten().collect::<Vec<_>>().join(" · ")}</div>
            {row.decision_note.clone().map(|note| view! { <p class="max-w-xs text-xs italic text-slate-500">{note}</p> })}
        }
        .into_any()
    };
    let actions = pending.then(|| {
        view! {
            <td class=TD>
                <div class="flex gap-2">
                    <button type="submit" form="decide-form" name="approve" value=row.id.clone() class=format!("{BTN_SECONDARY} approve whitespace-nowrap")>"Approve"</button>
                    <button type="submit" form="decide-form" name="reject" value=row.id.clone() class=format!("{BTN_DANGER} reject whitespace-nowrap")>"Reject"</button>
                </div>
            </td>
        }
    });
    view! {
        <tr class=ROW data-approval-id=row.id.clone() data-tool=row.tool_name.clone()>
            <td class=TD><div class="font-mono text-xs">{clock}</div><div class=MUTED>{date}</div></td>
            <td class=TD><code class="font-mono text-sm font-semibold">{row.tool_name.clone()}</code><div class=MUTED>{row.surface.clone()}</div></td>
            <td class=TD>
                <code class="font-mono text-xs" title=row.args_hash.clone()>{hash}</code>
                {row.args_summary.clone().map(|summary| view! { <pre class="mt-1 max-h-24 max-w-xs overflow-auto whitespace-pre-wrap font-mono text-xs">{summary}</pre> })}
            </td>
            <td class=TD>
                <a href=format!("/firewall/policies/{}", row.policy_id) class="text-xs text-indigo-600 hover:underline dark:text-indigo-400">{row.policy_name.clone()}</a>
                <div class=MUTED>{rule}</div>
            </td>
            <td class=TD><p class="max-w-xs text-xs">{row.reason.clone()}</p></td>
            <td class=TD><div class="text-xs">{row.key_name.clone()}</div></td>
            <td class=TD>{run}</td>
            <td class=TD>{status}</td>
            {actions}
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_reads_at_a_glance() {
        assert_eq!(time_left(-5), "expired");
        assert_eq!(time_left(65), "1m 05s");
        assert_eq!(time_left(3 * 3600 + 12 * 60), "3h 12m");
        assert_eq!(time_left(86_400 + 7200), "1d 2h");
    }
}
