//! `/guardrails`: every guardrail of the workspace with its default badge, rule count and bound keys, and
//! the preset catalogue. Developers create guardrails and apply presets (SPEC §10).

use leptos::prelude::*;

use crate::api::{list_guardrails, list_presets, ApplyPreset};
use crate::components::layout::use_session;
use crate::components::ui::*;
use crate::error::AppError;
use crate::types::{GuardrailSummaryView, PresetView, SessionView};

#[component]
pub fn GuardrailsPage() -> impl IntoView {
    // Resources and actions are created here, synchronously (see KeysPage).
    let session = use_session();
    let apply = ServerAction::<ApplyPreset>::new();
    let guardrails = Resource::new(move || apply.version().get(), |_| list_guardrails());
    let presets = Resource::new(|| (), |_| list_presets());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let session = session.await?;
                let guardrails = guardrails.await?;
                let presets = presets.await?;
                Ok::<_, AppError>(view! { <GuardrailsView session guardrails presets apply /> })
            })}
        </Suspense>
    }
}

#[component]
fn GuardrailsView(
    session: SessionView,
    guardrails: Vec<GuardrailSummaryView>,
    presets: Vec<PresetView>,
    apply: ServerAction<ApplyPreset>,
) -> impl IntoView {
    let can_edit = session.at_least("developer");
    let rows = guardrails
        .into_iter()
        .map(|guardrail| view! {
            <tr class="border-t border-slate-100 dark:border-slate-800" data-guardrail=guardrail.name.clone()>
                <td class=TD><a href=format!("/guardrails/{}", guardrail.id) class="font-medium text-indigo-600 hover:underline">{guardrail.name.clone()}</a></td>
                <td class=TD>{if guardrail.enabled { view! { <Badge text="enabled".to_string() tone="emerald" /> } } else { view! { <Badge text="disabled".to_string() /> } }}</td>
                <td class=TD>{guardrail.is_default.then(|| view! { <Badge text="default".to_string() tone="indigo" /> })}</td>
                <td class=TD>{guardrail.rules}</td>
                <td class=TD>{guardrail.attached_keys}</td>
                <td class=TD>{format!("v{}", guardrail.version)}</td>
            </tr>
        })
        .collect_view();
    let catalogue = presets
        .into_iter()
        .map(|preset| {
            let csrf = session.csrf_token.clone();
            view! {
                <div class="rounded-md border border-slate-200 p-4 dark:border-slate-800" data-preset=preset.slug.clone()>
                    <div class="flex items-center justify-between gap-2">
                        <span class="font-medium">{preset.name.clone()}</span>
                        <Badge text=preset.category.clone() />
                    </div>
                    <ul class="mt-2 list-disc pl-5 text-xs text-slate-600 dark:text-slate-400">
                        {preset.rules.iter().map(|rule| view! { <li>{rule.clone()}</li> }).collect_view()}
                    </ul>
                    {can_edit.then(|| view! { <PresetButton apply csrf slug=preset.slug.clone() /> })}
                </div>
            }
        })
        .collect_view();
    view! {
        <div class="space-y-8">
            <div class="flex items-end justify-between">
                <div>
                    <h1 class="text-2xl font-bold tracking-tight">"Guardrails"</h1>
                    <p class="mt-1 text-sm text-slate-500">"What text may go to the model and come back: PII, secrets, injections, size."</p>
                </div>
                {can_edit.then(|| view! { <a id="new-guardrail" href="/guardrails/new" class=BTN_PRIMARY>"New guardrail"</a> })}
            </div>
            {action_error(apply.value())}
            <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm dark:border-slate-800 dark:bg-slate-900">
                <table id="guardrails-table" class="min-w-full">
                    <thead class="bg-slate-50 dark:bg-slate-950">
                        <tr><th class=TH>"Name"</th><th class=TH>"Status"</th><th class=TH></th><th class=TH>"Rules"</th><th class=TH>"Keys"</th><th class=TH>"Version"</th></tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <section>
                <h2 class="mb-3 text-lg font-semibold">"Presets"</h2>
                <div class="grid gap-4 md:grid-cols-3">{catalogue}</div>
            </section>
        </div>
    }
}

#[component]
fn PresetButton(apply: ServerAction<ApplyPreset>, csrf: String, slug: String) -> impl IntoView {
    view! {
        <ActionForm action=apply attr:class="mt-3">
            <CsrfField token=csrf />
            <input type="hidden" name="slug" value=slug />
            <button type="submit" class=BTN_SECONDARY>"Apply as new guardrail"</button>
        </ActionForm>
    }
}
