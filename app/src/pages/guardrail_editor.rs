//! `/guardrails/new` and `/guardrails/:id`: the guardrail editor. Fields plus the ordered rules as
//! per-type forms (`guardrail_rules`) with an "Advanced (JSON)" textarea kept in step, which is what
//! the save posts (validation errors shown inline by field path), the Test tab
//! (text + stage → blocked / rendered text / violations), version history with revert, and delete.
//! Members read; Developers edit.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::{get_guardrail, get_guardrail_meta, DeleteGuardrail, RevertGuardrail, SaveGuardrail, TestGuardrail};
use crate::components::layout::use_session;
use crate::components::rules_draft::{save_field_errors, successful_saves, RulesDraft};
use crate::components::ui::*;
use crate::error::AppError;
use crate::pages::guardrail_rules::GuardrailRules;
use crate::types::{GuardrailEditView, GuardrailMetaView, SessionView};

/// Shown for a new guardrail: one rule of each common shape, ready to edit.
const NEW_RULES: &str = r#"[
  {"label": "PII", "type": "pii", "stage": "both", "action": "mask",
   "config": {"entities": ["email", "phone", "credit_card"]}},
  {"label": "Secrets", "type": "pii", "stage": "input", "action": "block",
   "config": {"entities": ["api_key_openai", "aws_access_key", "github_token", "private_key"]}}
]"#;

#[component]
pub fn GuardrailEditorPage() -> impl IntoView {
    // Resources and actions are created here, synchronously (see KeysPage).
    let session = use_session();
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|id| id.parse::<i64>().ok());
    let save = ServerAction::<SaveGuardrail>::new();
    let revert = ServerAction::<RevertGuardrail>::new();
    let delete = ServerAction::<DeleteGuardrail>::new();
    let test = ServerAction::<TestGuardrail>::new();
    let saves = successful_saves(save.version(), save.value());
    let guardrail = Resource::new(move || (id(), saves.get(), revert.version().get()), |(id, _, _)| async move {
        match id {
            Some(id) => get_guardrail(id).await.map(Some),
            None => Ok(None),
        }
    });
    // The entity and detector catalogue never changes while the page is open.
    let meta = Resource::new(|| (), |_| get_guardrail_meta());
    let actions = EditorActions { save, revert, delete, test };
    view! {
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading guardrail…"</p> }>
            {move || Suspend::new(async move {
                let session = session.await?;
                let guardrail = guardrail.await?;
                let meta = meta.await?;
                Ok::<_, AppError>(view! { <Editor session guardrail meta actions /> })
            })}
        </Suspense>
    }
}

#[derive(Clone, Copy)]
struct EditorActions {
    save: ServerAction<SaveGuardrail>,
    revert: ServerAction<RevertGuardrail>,
    delete: ServerAction<DeleteGuardrail>,
    test: ServerAction<TestGuardrail>,
}

#[component]
fn Editor(session: SessionView, guardrail: Option<GuardrailEditView>, meta: GuardrailMetaView, actions: EditorActions) -> impl IntoView {
    let EditorActions { save, revert, delete, test } = actions;
    let can_edit = session.at_least("developer");
    let csrf = session.csrf_token.clone();
    let title = guardrail.as_ref().map_or_else(|| "New guardrail".to_owned(), |g| g.name.clone());
    let (name, description, enabled, log_raw, rules) = match &guardrail {
        Some(g) => (g.name.clone(), g.description.clone(), g.enabled, g.log_raw_content, g.rules_json.clone()),
        None => (String::new(), String::new(), true, false, NEW_RULES.to_owned()),
    };
    let is_new = guardrail.is_none();
    let draft = RulesDraft::new(&rules);
    let errors = save_field_errors(save.value());
    let header_badges = guardrail.as_ref().map(|g| view! {
        <span class="flex gap-2">
            <Badge text=format!("v{}", g.version) />
            {g.is_default.then(|| view! { <Badge text="workspace default".to_string() tone="indigo" /> })}
            <Badge text=format!("{} keys", g.attached_keys) />
        </span>
    });
    let id_field = guardrail.as_ref().map(|g| view! {
        <input type="hidden" name="id" value=g.id />
        <input type="hidden" name="version" value=g.version />
    });
    let side = guardrail.clone().map(|g| view! { <SidePanels guardrail=g can_edit csrf=csrf.clone() revert delete test /> });
    view! {
        <div class="space-y-6">
            <div class="flex flex-wrap items-center justify-between gap-3">
                <div class="flex items-center gap-3">
                    <a href="/guardrails" class="text-sm text-indigo-600 hover:underline">"← Guardrails"</a>
                    <h1 class="text-2xl font-bold tracking-tight">{title}</h1>
                    {header_badges}
                </div>
            </div>
            <div class="grid gap-6 lg:grid-cols-3">
                <section class=format!("{CARD} lg:col-span-2")>
                    <ActionForm action=save attr:id="guardrail-form" attr:class="space-y-4">
                        <CsrfField token=session.csrf_token.clone() />
                        {id_field}
                        <div class="grid gap-4 md:grid-cols-2">
                            <div>
                                <label for="guardrail-name" class=LABEL>"Name"</label>
                                <input id="guardrail-name" name="name" required maxlength="64" value=name class=INPUT disabled=!can_edit />
                            </div>
                            <div>
                                <label for="guardrail-description" class=LABEL>"Description"</label>
                                <input id="guardrail-description" name="description" maxlength="512" value=description class=INPUT disabled=!can_edit />
                            </div>
                        </div>
                        <div class="flex gap-6 text-sm">
                            <label class="flex items-center gap-2"><input type="checkbox" name="enabled" checked=enabled disabled=!can_edit /> "Enabled"</label>
                            <label class="flex items-center gap-2"><input type="checkbox" name="log_raw_content" checked=log_raw disabled=!can_edit /> "Log raw matched text (not retroactive)"</label>
                        </div>
                        <div class="space-y-3">
                            <h2 class="text-sm font-semibold">"Rules (evaluated in order)"</h2>
                            <GuardrailRules draft meta errors can_edit />
                        </div>
                        // A new guardrail opens with the JSON showing: it is the quickest way to paste rules.
                        <details id="advanced-json" class="rounded-md border border-slate-200 p-3 dark:border-slate-700" open=is_new>
                            <summary class="cursor-pointer text-sm font-medium">"Advanced (JSON)"</summary>
                            <label for="rules-json" class=format!("{LABEL} mt-2")>"Rules as JSON (what Save sends; editing it replaces the form)"</label>
                            <textarea id="rules-json" name="rules" rows="16" spellcheck="false" class=format!("{INPUT} font-mono text-xs") disabled=!can_edit
                                prop:value=move || draft.text()
                                on:input=move |ev| draft.replace_text(event_target_value(&ev))>
                                {rules}
                            </textarea>
                            {move || draft.json_error().map(|error| view! { <p id="rules-json-error" class="mt-1 text-xs text-amber-700">{error}</p> })}
                        </details>
                        {save_errors(save.value())}
                        {can_edit.then(|| view! {
                            <div class="flex items-center gap-3">
                                <button id="save-guardrail" type="submit" class=BTN_PRIMARY>"Save"</button>
                                {saved_notice(save.value())}
                            </div>
                        })}
                    </ActionForm>
                </section>
                <div class="space-y-6">{side}</div>
            </div>
        </div>
    }
}

/// Test tab, history and delete for a saved guardrail.
#[component]
fn SidePanels(
    guardrail: GuardrailEditView,
    can_edit: bool,
    csrf: String,
    revert: ServerAction<RevertGuardrail>,
    delete: ServerAction<DeleteGuardrail>,
    test: ServerAction<TestGuardrail>,
) -> impl IntoView {
    let result = move || test.value().get().map(|outcome| match outcome {
        Ok(outcome) => view! {
            <div id="test-result" class="space-y-2 text-sm">
                <div>
                    {if outcome.blocked { view! { <Badge text="blocked".to_string() tone="red" /> } } else if outcome.mutated { view! { <Badge text="rewritten".to_string() tone="amber" /> } } else { view! { <Badge text="passed".to_string() tone="emerald" /> } }}
                </div>
                <pre id="test-output" class="whitespace-pre-wrap rounded-md bg-slate-100 p-2 font-mono text-xs dark:bg-slate-800">{outcome.text}</pre>
                <ul class="list-disc pl-5 text-xs">{outcome.violations.into_iter().map(|v| view! { <li>{v}</li> }).collect_view()}</ul>
                {(outcome.advanced_skipped > 0).then(|| view! { <p class="text-xs text-slate-500">{format!("{} advanced rule(s) not run here", outcome.advanced_skipped)}</p> })}
            </div>
        }.into_any(),
        Err(error) => view! { <ErrorBanner error /> }.into_any(),
    });
    let history = guardrail
        .history
        .iter()
        .map(|version| {
            let current = version.version == guardrail.version;
            view! {
                <li class="flex items-center justify-between py-1 text-xs">
                    <span>{format!("v{} · {} · {}", version.version, version.op, short_time(&version.created_at))}</span>
                    {(can_edit && !current).then(|| view! { <RevertButton revert csrf=csrf.clone() id=guardrail.id version=version.version /> })}
                </li>
            }
        })
        .collect_view();
    view! {
        <section class=CARD>
            <h2 class="mb-3 font-semibold">"Test"</h2>
            <ActionForm action=test attr:class="space-y-3">
                <input type="hidden" name="id" value=guardrail.id />
                <select name="stage" class=INPUT>
                    <option value="input">"input (prompt)"</option>
                    <option value="output">"output (completion)"</option>
                </select>
                <textarea id="test-text" name="text" rows="4" class=INPUT placeholder="Paste a prompt or a completion"></textarea>
                <button id="run-test" type="submit" class=BTN_SECONDARY>"Run test"</button>
            </ActionForm>
            <div class="mt-3">{result}</div>
        </section>
        <section class=CARD>
            <h2 class="mb-2 font-semibold">"History"</h2>
            <ul class="divide-y divide-slate-100 dark:divide-slate-800">{history}</ul>
            {action_error(revert.value())}
        </section>
        {can_edit.then(|| view! {
            <section class=CARD>
                <ActionForm action=delete>
                    <CsrfField token=csrf.clone() />
                    <input type="hidden" name="id" value=guardrail.id />
                    <button type="submit" class=BTN_DANGER>"Delete guardrail"</button>
                </ActionForm>
                {action_error(delete.value())}
            </section>
        })}
    }
}

#[component]
fn RevertButton(revert: ServerAction<RevertGuardrail>, csrf: String, id: i64, version: i64) -> impl IntoView {
    view! {
        <ActionForm action=revert>
            <CsrfField token=csrf />
            <input type="hidden" name="id" value=id />
            <input type="hidden" name="version" value=version />
            <button type="submit" class="text-indigo-600 hover:underline">"Revert"</button>
        </ActionForm>
    }
}
