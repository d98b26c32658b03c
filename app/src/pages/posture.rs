//! `/posture`: the autonomy switch. Shows the current level, the three level cards with exactly what each
//! writes, the last change with its undo, and verdicts per day. Members look and simulate; Developers
//! apply (with a confirmation step) and undo (SPEC §10).

use leptos::prelude::*;

use crate::api::{get_posture, ApplyLevel, UndoAutonomy};
use crate::components::layout::use_session;
use crate::components::ui::*;
use crate::types::{LevelCardView, PostureView, SessionView, VerdictDayView};

#[component]
pub fn PosturePage() -> impl IntoView {
    // Resources and actions are created here, synchronously, so the server and the hydrating client
    // create them in the same order (created inside a Suspend, they broke hydration).
    let session = use_session();
    let apply = ServerAction::<ApplyLevel>::new();
    let undo = ServerAction::<UndoAutonomy>::new();
    let posture = Resource::new(move || (apply.version().get(), undo.version().get()), |_| get_posture());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move { session.await.map(|session| view! { <PostureScreen session apply undo posture /> }) })}
        </Suspense>
    }
}

/// Badge tone of a level name.
pub fn level_tone(level: &str) -> &'static str {
    match level {
        "tight" => "red",
        "balanced" => "indigo",
        "permissive" => "amber",
        _ => "slate",
    }
}

#[component]
fn PostureScreen(
    session: SessionView,
    apply: ServerAction<ApplyLevel>,
    undo: ServerAction<UndoAutonomy>,
    posture: Resource<Result<PostureView, crate::error::AppError>>,
) -> impl IntoView {
    let can_apply = session.at_least("developer");
    let csrf = session.csrf_token.clone();
    view! {
        <div class="space-y-8">
            <div>
                <h1 class="text-2xl font-bold tracking-tight">"Posture"</h1>
                <p class="mt-1 text-sm text-slate-500">
                    "One switch writes a firewall policy and a guardrail together. Simulate first; every change can be undone from here or from Audit."
                </p>
            </div>
            {action_error(apply.value())}
            {action_error(undo.value())}
            <Suspense fallback=|| view! { <p class="text-slate-500">"Loading posture…"</p> }>
                {move || {
                    let csrf = csrf.clone();
                    Suspend::new(async move {
                        match posture.await {
                            Ok(posture) => view! { <PostureBody posture can_apply csrf apply undo /> }.into_any(),
                            Err(error) => view! { <ErrorBanner error /> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </div>
    }
}

#[component]
fn PostureBody(
    posture: PostureView,
    can_apply: bool,
    csrf: String,
    apply: ServerAction<ApplyLevel>,
    undo: ServerAction<UndoAutonomy>,
) -> impl IntoView {
    let current = posture.current_level.clone();
    let undo_csrf = csrf.clone();
    let last_change = posture.last_change.clone().map(|change| {
        let undo_form = (can_apply && change.undo_available).then(|| {
            view! {
                <ActionForm action=undo>
                    <CsrfField token=undo_csrf.clone() />
                    <input type="hidden" name="audit_id" value=change.audit_id />
                    <input type="hidden" name="force" value="false" />
                    <button id="undo-last" type="submit" class=BTN_SECONDARY>"Undo this change"</button>
                </ActionForm>
            }
        });
        view! {
            <div class="flex flex-wrap items-center justify-between gap-3 text-sm">
                <span>
                    "Last change: " <strong>{change.verb.replace('_', " ")}</strong>
                    {change.level.map(|level| format!(" ({level})"))} " by " {change.actor_label} " at " {short_time(&change.created_at)}
                    {(!change.undo_available).then(|| view! { <span class="ml-2 text-amber-700">"(undo unavailable: snapshot over the size cap)"</span> })}
                </span>
                {undo_form}
            </div>
        }
        .into_any()
    });
    let cards = posture
        .levels
        .into_iter()
        .map(|card| view! { <LevelCard card current=current.clone() can_apply csrf=csrf.clone() apply /> })
        .collect_view();
    view! {
        <section class=CARD>
            <div class="flex flex-wrap items-center gap-4">
                <span class="text-sm text-slate-500">"Current level"</span>
                <span id="current-level" class="text-lg"><Badge text=posture.current_level.clone() tone=level_tone(&posture.current_level) /></span>
                <span class="text-sm text-slate-500">"Observe mode"</span>
                <span class="text-sm font-medium">{if posture.observe_mode { "on" } else { "off" }}</span>
                <span class="text-sm text-slate-500">"Default policy"</span>
                <span class="text-sm font-medium">{posture.default_policy.unwrap_or_else(|| "none".into())}</span>
                <span class="text-sm text-slate-500">"Default guardrail"</span>
                <span class="text-sm font-medium">{posture.default_guardrail.unwrap_or_else(|| "none".into())}</span>
            </div>
            <div class="mt-4 border-t border-slate-100 pt-4 dark:border-slate-800">
                {last_change.unwrap_or_else(|| view! { <div class="text-sm text-slate-500">"No autonomy change yet."</div> }.into_any())}
            </div>
        </section>
        <div class="grid gap-6 md:grid-cols-3">{cards}</div>
        <VerdictChart days=posture.verdicts_by_day />
    }
}

#[component]
fn LevelCard(card: LevelCardView, current: String, can_apply: bool, csrf: String, apply: ServerAction<ApplyLevel>) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let is_current = card.level == current;
    let level = card.level.clone();
    let list = |items: Vec<String>| {
        if items.is_empty() {
            view! { <p class="text-xs text-slate-500">"none"</p> }.into_any()
        } else {
            view! { <ul class="list-disc space-y-1 pl-5 text-xs">{items.into_iter().map(|item| view! { <li>{item}</li> }).collect_view()}</ul> }.into_any()
        }
    };
    let border = if is_current { "border-indigo-500 ring-2 ring-indigo-500" } else { "border-slate-200 dark:border-slate-800" };
    view! {
        <section class=format!("flex flex-col rounded-lg border bg-white p-5 shadow-sm dark:bg-slate-900 {border}") data-level=card.level.clone()>
            <div class="flex items-center justify-between">
                <h2 class="text-lg font-semibold capitalize">{card.level.clone()}</h2>
                {is_current.then(|| view! { <Badge text="current".to_string() tone="emerald" /> })}
            </div>
            <p class="mt-1 text-sm text-slate-500">{card.summary.clone()}</p>
            <h3 class="mt-4 text-xs font-semibold uppercase tracking-wide text-slate-500">"Firewall policy"</h3>
            {list(card.firewall.clone())}
            <h3 class="mt-3 text-xs font-semibold uppercase tracking-wide text-slate-500">"Guardrail"</h3>
            {list(card.guardrail.clone())}
            <p class="mt-3 text-xs">"Observe mode: " {if card.observe_mode { "on" } else { "off" }}</p>
            <div class="mt-auto flex flex-wrap gap-2 pt-4">
                <a href=format!("/posture/simulate?level={}", card.level) class=BTN_SECONDARY>"Simulate"</a>
                {can_apply.then(|| view! {
                    <button type="button" class=BTN_PRIMARY data-apply=level.clone() on:click=move |_| confirming.set(true)>"Apply"</button>
                })}
            </div>
            {move || confirming.get().then(|| {
                let (level, csrf) = (level.clone(), csrf.clone());
                view! {
                <div class="mt-3 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900 dark:bg-amber-950 dark:text-amber-100">
                    <p>"Apply " <strong>{level.clone()}</strong> "? It replaces the rules of its autonomy objects and sets the workspace defaults. You can undo it."</p>
                    <div class="mt-2 flex gap-2">
                        <ApplyButton apply csrf level />
                        <button type="button" class=BTN_SECONDARY on:click=move |_| confirming.set(false)>"Cancel"</button>
                    </div>
                </div>
                }
            })}
        </section>
    }
}

/// The confirmed apply form of one level.
#[component]
fn ApplyButton(apply: ServerAction<ApplyLevel>, csrf: String, level: String) -> impl IntoView {
    // The panel stays until the posture reloads: hiding the form on click would cancel its submission.
    view! {
        <ActionForm action=apply>
            <CsrfField token=csrf />
            <input type="hidden" name="level" value=level.clone() />
            <button type="submit" class=BTN_PRIMARY data-confirm-apply=level>"Confirm apply"</button>
        </ActionForm>
    }
}

/// Verdicts per day as stacked bars, rendered on the server (no chart library, no JS needed).
#[component]
fn VerdictChart(days: Vec<VerdictDayView>) -> impl IntoView {
    let max = days.iter().map(|day| day.allow + day.audit + day.deny + day.other).max().unwrap_or(0).max(1);
    let bars = days
        .into_iter()
        .map(|day| {
            let pct = |n: i64| format!("width: {}%", n * 100 / max);
            let total = day.allow + day.audit + day.deny + day.other;
            view! {
                <div class="flex items-center gap-3 text-xs">
                    <span class="w-20 text-slate-500">{day.day.clone()}</span>
                    <div class="flex h-3 flex-1 overflow-hidden rounded-sm bg-slate-100 dark:bg-slate-800">
                        <div class="bg-emerald-500" style=pct(day.allow)></div>
                        <div class="bg-amber-400" style=pct(day.audit)></div>
                        <div class="bg-red-500" style=pct(day.deny)></div>
                        <div class="bg-slate-400" style=pct(day.other)></div>
                    </div>
                    <span class="w-12 text-right">{total}</span>
                </div>
            }
        })
        .collect_view();
    view! {
        <section class=CARD>
            <h2 class="text-lg font-semibold">"Firewall verdicts per day"</h2>
            <p class="mb-3 text-xs text-slate-500">"allow (green) · audit (amber) · deny (red) · other (grey), last 14 days"</p>
            <div class="space-y-1">{bars}</div>
        </section>
    }
}
