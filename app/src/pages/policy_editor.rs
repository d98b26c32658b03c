//! `/firewall/policies/new` and `/firewall/policies/:id`: the policy editor (fields, shadow toggle, rule
//! rows in evaluation order (`policy_rules`) with an "Advanced (JSON)" textarea kept in step, which is
//! what the save posts; inline field-path errors) and the test sandbox (surface, tool, skill,
//! arguments, destination → verdict and per-rule trace). Members read; Developers edit and test.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::{get_policy, DeletePolicy, RunSandbox, SavePolicy};
use crate::components::layout::use_session;
use crate::components::rules_draft::{save_field_errors, successful_saves, RulesDraft};
use crate::components::ui::*;
use crate::error::AppError;
use crate::pages::policy_rules::PolicyRules;
use crate::types::{PolicyEditView, SessionView};

/// Shown for a new policy: a deny for destructive shell commands and an audit for everything else.
const NEW_RULES: &str = r#"[
  {"priority": 100, "label": "no recursive deletes", "stage": "response", "tool_name_glob": "shell.*",
   "verdict": "deny", "args_match": [{"path": "$.command", "op": "regex", "value": "rm\\s+-rf", "normalize": "shell"}]},
  {"priority": 200, "label": "read-only tools", "stage": "", "tool_name_glob": "fs.read*", "verdict": "allow"}
]"#;

#[component]
pub fn PolicyEditorPage() -> impl IntoView {
    // Resources and actions are created here, synchronously (see KeysPage).
    let session = use_session();
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|id| id.parse::<i64>().ok());
    let save = ServerAction::<SavePolicy>::new();
    let delete = ServerAction::<DeletePolicy>::new();
    let sandbox = ServerAction::<RunSandbox>::new();
    let saves = successful_saves(save.version(), save.value());
    let policy = Resource::new(move || (id(), saves.get()), |(id, _)| async move {
        match id {
            Some(id) => get_policy(id).await.map(Some),
            None => Ok(None),
        }
    });
    view! {
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading policy…"</p> }>
            {move || Suspend::new(async move {
                let session = session.await?;
                let policy = policy.await?;
                Ok::<_, AppError>(view! { <PolicyEditor session policy save delete sandbox /> })
            })}
        </Suspense>
    }
}

#[component]
fn PolicyEditor(
    session: SessionView,
    policy: Option<PolicyEditView>,
    save: ServerAction<SavePolicy>,
    delete: ServerAction<DeletePolicy>,
    sandbox: ServerAction<RunSandbox>,
) -> impl IntoView {
    let can_edit = session.at_least("developer");
    let title = policy.as_ref().map_or_else(|| "New policy".to_owned(), |p| p.name.clone());
    let (name, description, enabled, verdict, shadow, rules) = match &policy {
        Some(p) => (p.name.clone(), p.description.clone(), p.enabled, p.default_verdict.clone(), p.shadow_mode, p.rules_json.clone()),
        None => (String::new(), String::new(), true, "audit".to_owned(), false, NEW_RULES.to_owned()),
    };
    let draft = RulesDraft::new(&rules);
    let errors = save_field_errors(save.value());
    let badges = policy.as_ref().map(|p| view! {
        <span class="flex gap-2">
            <Badge text=format!("v{}", p.version) />
            {p.is_default.then(|| view! { <Badge text="workspace default".to_string() tone="indigo" /> })}
            {p.shadow_mode.then(|| view! { <Badge text="shadow".to_string() tone="amber" /> })}
            <Badge text=format!("{} keys", p.attached_keys) />
        </span>
    });
    let id_field = policy.as_ref().map(|p| view! { <input type="hidden" name="id" value=p.id /> });
    let side = policy.as_ref().map(|p| {
        let csrf = session.csrf_token.clone();
        view! { <SandboxPanel id=p.id can_edit sandbox /> <DeletePanel id=p.id can_edit csrf delete /> }
    });
    let verdict_option = |value: &'static str| {
        let selected = verdict == value;
        view! { <option value=value selected=selected>{value}</option> }
    };
    let verdict_options = (verdict_option("allow"), verdict_option("audit"), verdict_option("deny"));
    view! {
        <div class="space-y-6">
            <div class="flex items-center gap-3">
                <a href="/firewall/policies" class="text-sm text-indigo-600 hover:underline">"← Policies"</a>
                <h1 class="text-2xl font-bold tracking-tight">{title}</h1>
                {badges}
            </div>
            <div class="grid gap-6 lg:grid-cols-3">
                <section class=format!("{CARD} lg:col-span-2")>
                    <ActionForm action=save attr:id="policy-form" attr:class="space-y-4">
                        <CsrfField token=session.csrf_token.clone() />
                        {id_field}
                        <div class="grid gap-4 md:grid-cols-3">
                            <div>
                                <label for="policy-name" class=LABEL>"Name"</label>
                                <input id="policy-name" name="name" required maxlength="64" value=name class=INPUT disabled=!can_edit />
                            </div>
                            <div>
                                <label for="policy-verdict" class=LABEL>"Default verdict"</label>
                                <select id="policy-verdict" name="default_verdict" class=INPUT disabled=!can_edit>
                                    {verdict_options}
                                </select>
                            </div>
                            <div>
                                <label for="policy-description" class=LABEL>"Description"</label>
                                <input id="policy-description" name="description" maxlength="512" value=description class=INPUT disabled=!can_edit />
                            </div>
                        </div>
                        <div class="flex gap-6 text-sm">
                            <label class="flex items-center gap-2"><input type="checkbox" name="enabled" checked=enabled disabled=!can_edit /> "Enabled"</label>
                            <label class="flex items-center gap-2"><input id="shadow-toggle" type="checkbox" name="shadow_mode" checked=shadow disabled=!can_edit /> "Shadow mode (enforcing verdicts become audit)"</label>
                        </div>
                        <div class="space-y-3">
                            <h2 class="text-sm font-semibold">"Rules (evaluated by priority, then id; move or drag to reorder)"</h2>
                            <PolicyRules draft errors can_edit />
                        </div>
                        <details id="advanced-json" class="rounded-md border border-slate-200 p-3 dark:border-slate-700">
                            <summary class="cursor-pointer text-sm font-medium">"Advanced (JSON)"</summary>
                            <label for="rules-json" class=format!("{LABEL} mt-2")>"Rules as JSON (what Save sends; editing it replaces the form)"</label>
                            <textarea id="rules-json" name="rules" rows="18" spellcheck="false" class=format!("{INPUT} font-mono text-xs") disabled=!can_edit
                                prop:value=move || draft.text()
                                on:input=move |ev| draft.replace_text(event_target_value(&ev))>
                                {rules}
                            </textarea>
                            {move || draft.json_error().map(|error| view! { <p id="rules-json-error" class="mt-1 text-xs text-amber-700">{error}</p> })}
                        </details>
                        {save_errors(save.value())}
                        {can_edit.then(|| view! {
                            <div class="flex items-center gap-3">
                                <button id="save-policy" type="submit" class=BTN_PRIMARY>"Save"</button>
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

#[component]
fn SandboxPanel(id: i64, can_edit: bool, sandbox: ServerAction<RunSandbox>) -> impl IntoView {
    if !can_edit {
        return view! { <section class=CARD><p class="text-sm text-slate-500">"The test sandbox is available to Developers."</p></section> }.into_any();
    }
    let result = move || sandbox.value().get().map(|outcome| match outcome {
        Ok(outcome) => view! {
            <div id="sandbox-result" class="space-y-2 text-sm">
                <div class="flex flex-wrap items-center gap-2">
                    <span id="sandbox-verdict"><Badge text=outcome.verdict.clone() tone=match outcome.verdict.as_str() { "deny" => "red", "allow" => "emerald", "audit" => "amber", _ => "indigo" } /></span>
                    {outcome.markers.into_iter().map(|marker| view! { <Badge text=marker /> }).collect_view()}
                </div>
                <p>{outcome.reason}</p>
                <ol class="list-decimal pl-5 text-xs">{outcome.trace.into_iter().map(|step| view! { <li>{step}</li> }).collect_view()}</ol>
                {outcome.sanitized_arguments.map(|args| view! { <pre class="whitespace-pre-wrap rounded-md bg-slate-100 p-2 text-xs dark:bg-slate-800">{args}</pre> })}
            </div>
        }.into_any(),
        Err(error) => view! { <ErrorBanner error /> }.into_any(),
    });
    view! {
        <section class=CARD>
            <h2 class="mb-3 font-semibold">"Test sandbox"</h2>
            <ActionForm action=sandbox attr:class="space-y-3">
                <input type="hidden" name="id" value=id />
                <select name="surface" class=INPUT>
                    <option value="response">"response (tool call emitted)"</option>
                    <option value="inbound">"inbound (tool advertised)"</option>
                    <option value="mcp">"mcp"</option>
                    <option value="egress">"egress (destination)"</option>
                </select>
                <input id="sandbox-tool" name="tool" placeholder="tool name, e.g. shell.exec" class=INPUT required />
                <input name="skill" placeholder="skill (optional)" class=INPUT />
                <textarea id="sandbox-arguments" name="arguments" rows="3" placeholder=r#"{"command": "rm -rf /tmp/x"}"# class=format!("{INPUT} font-mono text-xs")></textarea>
                <input name="host" placeholder="destination host (egress)" class=INPUT />
                <button id="run-sandbox" type="submit" class=BTN_SECONDARY>"Evaluate"</button>
            </ActionForm>
            <div class="mt-3">{result}</div>
        </section>
    }
    .into_any()
}

#[component]
fn DeletePanel(id: i64, can_edit: bool, csrf: String, delete: ServerAction<DeletePolicy>) -> impl IntoView {
    can_edit.then(|| view! {
        <section class=CARD>
            <ActionForm action=delete>
                <CsrfField token=csrf />
                <input type="hidden" name="id" value=id />
                <button type="submit" class=BTN_DANGER>"Delete policy"</button>
            </ActionForm>
            {action_error(delete.value())}
        </section>
    })
}
