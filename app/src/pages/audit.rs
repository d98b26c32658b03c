//! `/audit`: the append-only trail, newest first, with a verb filter, row details and — on autonomy rows,
//! for Developers — one-click Undo. A stale undo lists the later changes and offers "Undo anyway".

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::{list_audit, UndoAutonomy};
use crate::components::layout::use_session;
use crate::components::ui::*;
use crate::error::AppError;
use crate::types::{AuditEntryView, SessionView};

/// Verbs offered in the filter (the full catalogue is SPEC §6.6).
const VERB_FILTERS: &[&str] = &[
    "firewall_autonomy_applied", "firewall_autonomy_undone", "guardrail_create", "guardrail_update", "guardrail_delete",
    "firewall_policy_create", "firewall_policy_update", "firewall_rule_create", "api_key_create", "api_key_rotate",
    "api_key_delete", "member_add", "member_role_change", "member_remove", "user_login",
];

fn is_autonomy(verb: &str) -> bool {
    verb == "firewall_autonomy_applied" || verb == "firewall_autonomy_undone"
}

#[component]
pub fn AuditPage() -> impl IntoView {
    // Resources and actions are created here, synchronously, so the server and the hydrating client
    // create them in the same order (created inside a Suspend, they broke hydration).
    let session = use_session();
    let query = use_query_map();
    let verb = move || query.read().get("verb").filter(|verb| !verb.is_empty());
    let cursor = move || query.read().get("cursor").filter(|cursor| !cursor.is_empty());
    let undo = ServerAction::<UndoAutonomy>::new();
    let page = Resource::new(move || (verb(), cursor(), undo.version().get()), |(verb, cursor, _)| list_audit(verb, cursor));
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move { session.await.map(|session| view! { <AuditBody session undo page /> }) })}
        </Suspense>
    }
}

#[component]
fn AuditBody(
    session: SessionView,
    undo: ServerAction<UndoAutonomy>,
    page: Resource<Result<crate::types::AuditPageView, AppError>>,
) -> impl IntoView {
    let query = use_query_map();
    let verb = move || query.read().get("verb").filter(|verb| !verb.is_empty());
    let chips = std::iter::once(("all", None))
        .chain(VERB_FILTERS.iter().map(|name| (*name, Some(*name))))
        .map(|(label, filter)| {
            let href = filter.map_or_else(|| "/audit".to_owned(), |name| format!("/audit?verb={name}"));
            let active = move || verb().as_deref() == filter;
            view! {
                <a href=href class=move || if active() { "rounded-full bg-indigo-600 px-2.5 py-1 text-xs font-medium text-white" } else { "rounded-full bg-slate-100 px-2.5 py-1 text-xs text-slate-700 hover:bg-slate-200 dark:bg-slate-800 dark:text-slate-300" }>
                    {label.replace('_', " ")}
                </a>
            }
        })
        .collect_view();
    view! {
        <div class="space-y-6">
            <div class="flex flex-wrap items-end justify-between gap-4">
                <div>
                    <h1 class="text-2xl font-bold tracking-tight">"Audit"</h1>
                    <p class="mt-1 text-sm text-slate-500">"Every change, who made it and when. Rows are never edited or pruned."</p>
                </div>
            </div>
            <nav id="verb-filter" class="flex flex-wrap gap-2">{chips}</nav>
            <UndoOutcome undo csrf=session.csrf_token.clone() />
            <Suspense fallback=|| view! { <p class="text-slate-500">"Loading audit…"</p> }>
                {move || {
                    let session = session.clone();
                    Suspend::new(async move {
                        match page.await {
                            Ok(page) => view! { <AuditTable entries=page.entries next=page.next_cursor session undo verb=verb() /> }.into_any(),
                            Err(error) => view! { <ErrorBanner error /> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </div>
    }
}

/// The result of the last undo: done, or stale with the later changes and a forced retry.
#[component]
fn UndoOutcome(undo: ServerAction<UndoAutonomy>, csrf: String) -> impl IntoView {
    move || {
    let csrf = csrf.clone();
    match undo.value().get() {
        Some(Ok(audit_id)) => Some(view! {
            <p id="undo-done" class="rounded-md bg-emerald-50 p-3 text-sm text-emerald-900">"Undone (audit row " {audit_id} "). The previous posture is back."</p>
        }.into_any()),
        Some(Err(AppError::StaleUndo { message, changes_since })) => {
            // The failed call's input says which row to force.
            let target = undo.input().get().map(|input| input.audit_id);
            let later = changes_since.into_iter().map(|change| view! { <li>{format!("#{} {}", change.audit_id, change.verb)}</li> }).collect_view();
            Some(view! {
                <div id="stale-undo" class="rounded-md border border-amber-300 bg-amber-50 p-4 text-sm text-amber-900">
                    <p class="font-medium">{message}</p>
                    <ul class="mt-2 list-disc pl-5">{later}</ul>
                    {target.map(|audit_id| view! { <UndoButton undo csrf audit_id force=true /> })}
                </div>
            }.into_any())
        }
        Some(Err(error)) => Some(view! { <ErrorBanner error /> }.into_any()),
        None => None,
    }
    }
}

/// An undo form for one audit row; `force` skips the stale check ("Undo anyway").
#[component]
pub fn UndoButton(undo: ServerAction<UndoAutonomy>, csrf: String, audit_id: i64, force: bool) -> impl IntoView {
    let (id, label, class) = if force { ("undo-anyway", "Undo anyway", BTN_DANGER) } else { ("", "Undo", BTN_SECONDARY) };
    view! {
        <ActionForm action=undo attr:class="inline">
            <CsrfField token=csrf />
            <input type="hidden" name="audit_id" value=audit_id />
            <input type="hidden" name="force" value=force.to_string() />
            <button type="submit" id=id class=class data-undo=audit_id>{label}</button>
        </ActionForm>
    }
}

#[component]
fn AuditTable(
    entries: Vec<AuditEntryView>,
    next: Option<String>,
    session: SessionView,
    undo: ServerAction<UndoAutonomy>,
    verb: Option<String>,
) -> impl IntoView {
    let can_undo = session.at_least("developer");
    let rows = entries
        .into_iter()
        .map(|entry| {
            let undo_cell = (can_undo && is_autonomy(&entry.verb)).then(|| match entry.undo_available {
                Some(false) => view! { <span class="text-xs text-amber-700">"undo unavailable (snapshot over cap)"</span> }.into_any(),
                _ => view! { <UndoButton undo csrf=session.csrf_token.clone() audit_id=entry.id force=false /> }.into_any(),
            });
            view! {
                <tr class="border-t border-slate-100 dark:border-slate-800" data-audit-id=entry.id data-verb=entry.verb.clone()>
                    <td class=TD><span class="text-xs">{short_time(&entry.created_at)}</span></td>
                    <td class=TD>{entry.actor_label.clone()}</td>
                    <td class=TD><code class="text-xs">{entry.verb.clone()}</code></td>
                    <td class=TD><span class="text-xs">{format!("{} {}", entry.target_type, entry.target_id)}</span></td>
                    <td class=TD>
                        <details><summary class="cursor-pointer text-xs text-indigo-600">"details"</summary>
                            <pre class="mt-1 max-w-md overflow-x-auto whitespace-pre-wrap text-xs">{entry.metadata.clone()}</pre>
                        </details>
                    </td>
                    <td class=TD>{undo_cell}</td>
                </tr>
            }
        })
        .collect_view();
    let more = next.map(|cursor| {
        let href = match verb {
            Some(verb) => format!("/audit?verb={verb}&cursor={cursor}"),
            None => format!("/audit?cursor={cursor}"),
        };
        view! { <a href=href class=BTN_SECONDARY>"Older entries"</a> }
    });
    view! {
        <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm dark:border-slate-800 dark:bg-slate-900">
            <table id="audit-table" class="min-w-full">
                <thead class="bg-slate-50 dark:bg-slate-950">
                    <tr><th class=TH>"Time"</th><th class=TH>"Actor"</th><th class=TH>"Verb"</th><th class=TH>"Target"</th><th class=TH>"Metadata"</th><th class=TH></th></tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <div class="mt-4">{more}</div>
    }
}
