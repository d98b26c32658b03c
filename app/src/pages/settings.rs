//! `/settings`: the workspace's settings (SPEC §10). Members read everything (secrets only as set / not
//! set); Developers edit the posture settings (observe mode, defaults, approval webhook, TTL); Admins the
//! workspace name, retention, judge model and the workspace providers. The server refuses the same.

use leptos::prelude::*;

use crate::api::{get_settings, DeleteProvider, SavePostureSettings, SaveProvider, SaveWorkspaceSettings, SetProviderEnabled};
use crate::components::layout::use_session;
use crate::components::ui::*;
use crate::error::AppError;
use crate::types::{ProviderView, RefView, SessionView, SettingsView};

#[component]
pub fn SettingsPage() -> impl IntoView {
    // Resources and actions are created here, synchronously (see KeysPage).
    let session = use_session();
    let actions = SettingsActions {
        posture: ServerAction::<SavePostureSettings>::new(),
        workspace: ServerAction::<SaveWorkspaceSettings>::new(),
        create: ServerAction::<SaveProvider>::new(),
        update: ServerAction::<SaveProvider>::new(),
        toggle: ServerAction::<SetProviderEnabled>::new(),
        delete: ServerAction::<DeleteProvider>::new(),
    };
    let settings = Resource::new(
        move || {
            let SettingsActions { posture, workspace, create, update, toggle, delete } = actions;
            (posture.version().get(), workspace.version().get(), create.version().get(), update.version().get(), toggle.version().get(), delete.version().get())
        },
        |_| get_settings(),
    );
    // Which provider's edit form was submitted last, so its errors show there and not in every row.
    let editing = RwSignal::new(None::<i64>);
    view! {
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading settings…"</p> }>
            {move || Suspend::new(async move {
                let session = session.await?;
                let settings = settings.await?;
                Ok::<_, AppError>(view! { <SettingsBody session settings actions editing /> })
            })}
        </Suspense>
    }
}

/// The page's write actions. Add and edit use separate actions so their errors stay apart.
#[derive(Clone, Copy)]
struct SettingsActions {
    posture: ServerAction<SavePostureSettings>,
    workspace: ServerAction<SaveWorkspaceSettings>,
    create: ServerAction<SaveProvider>,
    update: ServerAction<SaveProvider>,
    toggle: ServerAction<SetProviderEnabled>,
    delete: ServerAction<DeleteProvider>,
}

/// The messages validation gave for `field` or its children (`models` also matches `models[2].id`).
fn field_messages(error: Option<AppError>, field: &str) -> Option<String> {
    let Some(AppError::Invalid { fields, .. }) = error else { return None };
    let messages: Vec<String> = fields
        .into_iter()
        .filter(|f| f.field == field || f.field.strip_prefix(field).is_some_and(|rest| rest.starts_with(['[', '.'])))
        .map(|f| if f.field == field { f.message } else { format!("{}: {}", f.field, f.message) })
        .collect();
    (!messages.is_empty()).then(|| messages.join("; "))
}

/// The inline error under one input.
fn inline_error(error: impl Fn() -> Option<AppError> + Send + Sync + 'static, field: &'static str) -> impl IntoView {
    move || {
        field_messages(error(), field).map(|message| view! { <p class="field-error mt-1 text-xs text-red-600" data-field=field>{message}</p> })
    }
}

/// The banner for a failure that names no field (forbidden, name taken, …).
fn other_error(error: impl Fn() -> Option<AppError> + Send + Sync + 'static) -> impl IntoView {
    move || error().filter(|error| !matches!(error, AppError::Invalid { .. })).map(|error| view! { <ErrorBanner error /> })
}

fn error_of<T, V>(value: V) -> impl Fn() -> Option<AppError> + Clone + Send + Sync + 'static
where
    V: Get<Value = Option<Result<T, AppError>>> + Clone + Send + Sync + 'static,
    T: Send + Sync + 'static,
{
    move || value.get().and_then(Result::err)
}

#[component]
fn SettingsBody(session: SessionView, settings: SettingsView, actions: SettingsActions, editing: RwSignal<Option<i64>>) -> impl IntoView {
    let is_admin = session.at_least("admin");
    view! {
        <div class="space-y-8">
            <div>
                <h1 class="text-2xl font-bold tracking-tight">"Settings"</h1>
                <p class="mt-1 text-sm text-slate-500">
                    "Posture settings apply to every key of this workspace; providers add models routable as provider/model."
                </p>
            </div>
            <PostureForm session=session.clone() settings=settings.clone() action=actions.posture />
            <WorkspaceForm session=session.clone() settings=settings.clone() action=actions.workspace />
            <section class="space-y-4">
                <h2 class="text-lg font-semibold">"Providers"</h2>
                {action_error(actions.toggle.value())}
                {action_error(actions.delete.value())}
                <ProviderTable providers=settings.providers.clone() session=session.clone() actions editing />
                {is_admin.then(|| view! { <AddProviderForm csrf=session.csrf_token.clone() action=actions.create /> })}
            </section>
        </div>
    }
}

/// A radio group choosing one object or none (radios, not a `<select>`: the options are dynamic).
#[component]
fn RefChoice(name: &'static str, legend: &'static str, options: Vec<RefView>, selected: Option<i64>, disabled: bool) -> impl IntoView {
    let choices = options
        .into_iter()
        .map(|option| {
            view! {
                <label class="flex items-center gap-2 text-sm">
                    <input type="radio" name=name value=option.id.to_string() checked=selected == Some(option.id) disabled=disabled />
                    {option.name}
                </label>
            }
        })
        .collect_view();
    view! {
        <fieldset id=format!("{name}-choice")>
            <legend class=LABEL>{legend}</legend>
            <div class="flex flex-wrap gap-x-5 gap-y-1">
                <label class="flex items-center gap-2 text-sm">
                    <input type="radio" name=name value="" checked=selected.is_none() disabled=disabled />
                    "None"
                </label>
                {choices}
            </div>
        </fieldset>
    }
}

#[component]
fn PostureForm(session: SessionView, settings: SettingsView, action: ServerAction<SavePostureSettings>) -> impl IntoView {
    let can_edit = session.at_least("developer");
    let error = error_of(action.value());
    let secret_state = if settings.approval_webhook_secret_set { "set" } else { "not set" };
    view! {
        <section class=CARD>
            <h2 class="mb-4 text-lg font-semibold">"Posture"</h2>
            <ActionForm action attr:id="posture-settings-form" attr:class="space-y-5">
                <CsrfField token=session.csrf_token.clone() />
                <label class="flex items-center gap-2 text-sm">
                    <input id="observe-mode" type="checkbox" name="observe_mode" checked=settings.observe_mode disabled=!can_edit />
                    "Observe mode: log tool calls that resolve to no policy as coverage gaps"
                </label>
                <RefChoice name="default_firewall_policy_id" legend="Default firewall policy" options=settings.policies.clone() selected=settings.default_firewall_policy_id disabled=!can_edit />
                {inline_error(error.clone(), "default_firewall_policy_id")}
                <RefChoice name="default_guardrail_id" legend="Default guardrail" options=settings.guardrails.clone() selected=settings.default_guardrail_id disabled=!can_edit />
                {inline_error(error.clone(), "default_guardrail_id")}
                <div class="grid gap-4 md:grid-cols-2">
                    <div>
                        <label for="webhook-url" class=LABEL>"Approval webhook URL (https; empty = none)"</label>
                        <input id="webhook-url" name="approval_webhook_url" maxlength="512" value=settings.approval_webhook_url.clone().unwrap_or_default() placeholder="https://hooks.example.com/palisade" class=INPUT disabled=!can_edit />
                        {inline_error(error.clone(), "approval_webhook_url")}
                    </div>
                    <div>
                        <label for="webhook-secret" class=LABEL>
                            "Webhook secret (" <span id="webhook-secret-state">{secret_state}</span> "; empty = keep)"
                        </label>
                        <input id="webhook-secret" name="approval_webhook_secret" type="password" maxlength="255" autocomplete="new-password" class=INPUT disabled=!can_edit />
                        <label class="mt-1 flex items-center gap-2 text-xs">
                            <input type="checkbox" name="clear_webhook_secret" disabled=!can_edit /> "Remove the stored secret"
                        </label>
                        {inline_error(error.clone(), "approval_webhook_secret")}
                    </div>
                    <div>
                        <label for="approval-ttl" class=LABEL>"Approval TTL (seconds, 300–604800)"</label>
                        <input id="approval-ttl" name="approval_ttl_seconds" type="number" min="300" max="604800" value=settings.approval_ttl_seconds class=INPUT disabled=!can_edit />
                        {inline_error(error.clone(), "approval_ttl_seconds")}
                    </div>
                </div>
                {can_edit.then(|| view! {
                    <div class="flex items-center gap-3">
                        <button id="save-posture-settings" type="submit" class=BTN_PRIMARY>"Save posture settings"</button>
                        {saved_notice(action.value())}
                        {other_error(error.clone())}
                    </div>
                })}
            </ActionForm>
        </section>
    }
}

#[component]
fn WorkspaceForm(session: SessionView, settings: SettingsView, action: ServerAction<SaveWorkspaceSettings>) -> impl IntoView {
    let can_edit = session.at_least("admin");
    let error = error_of(action.value());
    view! {
        <section class=CARD>
            <h2 class="mb-4 text-lg font-semibold">"Workspace"</h2>
            <ActionForm action attr:id="workspace-settings-form" attr:class="space-y-4">
                <CsrfField token=session.csrf_token.clone() />
                <div class="grid gap-4 md:grid-cols-3">
                    <div>
                        <label for="workspace-name-input" class=LABEL>"Name"</label>
                        <input id="workspace-name-input" name="name" required maxlength="64" value=settings.workspace_name.clone() class=INPUT disabled=!can_edit />
                        {inline_error(error.clone(), "name")}
                    </div>
                    <div>
                        <label for="retention-days" class=LABEL>"Log retention (days, 1–180)"</label>
                        <input id="retention-days" name="log_retention_days" type="number" min="1" max="180" value=settings.log_retention_days class=INPUT disabled=!can_edit />
                        {inline_error(error.clone(), "log_retention_days")}
                    </div>
                    <div>
                        <label for="judge-model" class=LABEL>"Judge model (provider/model; empty = none)"</label>
                        <input id="judge-model" name="judge_model" maxlength="128" value=settings.judge_model.clone().unwrap_or_default() placeholder="mock/echo" class=INPUT disabled=!can_edit />
                        {inline_error(error.clone(), "judge_model")}
                    </div>
                </div>
                {can_edit.then(|| view! {
                    <div class="flex items-center gap-3">
                        <button id="save-workspace-settings" type="submit" class=BTN_PRIMARY>"Save workspace settings"</button>
                        {saved_notice(action.value())}
                        {other_error(error.clone())}
                    </div>
                })}
            </ActionForm>
        </section>
    }
}

#[component]
fn ProviderTable(providers: Vec<ProviderView>, session: SessionView, actions: SettingsActions, editing: RwSignal<Option<i64>>) -> impl IntoView {
    if providers.is_empty() {
        return view! { <p id="no-providers" class="text-sm text-slate-500">"No workspace providers. mock/* and the config file's providers are always available."</p> }.into_any();
    }
    let is_admin = session.at_least("admin");
    let rows = providers
        .into_iter()
        .map(|provider| {
            let csrf = session.csrf_token.clone();
            view! {
                <tr class="border-t border-slate-100 dark:border-slate-800" data-provider-name=provider.name.clone()>
                    <td class=TD><div class="font-medium">{provider.name.clone()}</div></td>
                    <td class=TD><code class="font-mono text-xs">{provider.base_url.clone()}</code></td>
                    <td class=TD>
                        {if provider.api_key_set { view! { <Badge text="key set".to_string() tone="emerald" /> } } else { view! { <Badge text="no key".to_string() tone="slate" /> } }}
                    </td>
                    <td class=TD>
                        {if provider.enabled { view! { <Badge text="enabled".to_string() tone="emerald" /> } } else { view! { <Badge text="disabled".to_string() tone="slate" /> } }}
                    </td>
                    <td class=TD><span class="text-xs">{provider.model_ids.join(", ")}</span></td>
                    <td class=TD>
                        {is_admin.then(|| view! { <ProviderActions provider=provider.clone() csrf actions editing /> })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <DataTable id="providers-table" headers=&["Name", "Base URL", "API key", "Status", "Models", ""]>{rows}</DataTable>
    }
    .into_any()
}

/// Enable / disable, delete, and the edit form (in a `<details>`, so it works without JavaScript).
#[component]
fn ProviderActions(provider: ProviderView, csrf: String, actions: SettingsActions, editing: RwSignal<Option<i64>>) -> impl IntoView {
    let id = provider.id;
    let update = actions.update;
    let error = move || if editing.get() == Some(id) { update.value().get().and_then(Result::err) } else { None };
    let (csrf_toggle, csrf_delete) = (csrf.clone(), csrf.clone());
    view! {
        <div class="flex flex-wrap items-start gap-2">
            <ActionForm action=actions.toggle>
                <CsrfField token=csrf_toggle />
                <input type="hidden" name="id" value=id />
                <input type="hidden" name="enabled" value=(!provider.enabled).to_string() />
                <button type="submit" class=BTN_SECONDARY>{if provider.enabled { "Disable" } else { "Enable" }}</button>
            </ActionForm>
            <ActionForm action=actions.delete>
                <CsrfField token=csrf_delete />
                <input type="hidden" name="id" value=id />
                <button type="submit" class=BTN_DANGER>"Delete"</button>
            </ActionForm>
            <details class="w-full">
                <summary class="cursor-pointer text-sm text-indigo-600">"Edit"</summary>
                <ActionForm action=update attr:class="mt-3 space-y-3">
                    <CsrfField token=csrf />
                    <input type="hidden" name="id" value=id />
                    <ProviderFields provider=Some(provider.clone()) error />
                    <div class="flex items-center gap-3">
                        <button type="submit" class=BTN_PRIMARY on:click=move |_| editing.set(Some(id))>"Save provider"</button>
                        {other_error(error)}
                    </div>
                </ActionForm>
            </details>
        </div>
    }
}

#[component]
fn AddProviderForm(csrf: String, action: ServerAction<SaveProvider>) -> impl IntoView {
    let error = error_of(action.value());
    view! {
        <section class=CARD>
            <h3 class="mb-4 font-semibold">"Add a provider"</h3>
            <ActionForm action attr:id="add-provider-form" attr:class="space-y-3">
                <CsrfField token=csrf />
                <ProviderFields provider=None error=error.clone() />
                <div class="flex items-center gap-3">
                    <button id="add-provider" type="submit" class=BTN_PRIMARY>"Add provider"</button>
                    {saved_notice(action.value())}
                    {other_error(error)}
                </div>
            </ActionForm>
        </section>
    }
}

/// The inputs shared by the add and edit forms (prefilled when editing; the key is never shown).
#[component]
fn ProviderFields(provider: Option<ProviderView>, error: impl Fn() -> Option<AppError> + Clone + Send + Sync + 'static) -> impl IntoView {
    let (name, base_url, enabled, models, key_set) = match &provider {
        Some(p) => (p.name.clone(), p.base_url.clone(), p.enabled, p.models_text.clone(), Some(p.api_key_set)),
        None => (String::new(), String::new(), true, String::new(), None),
    };
    let key_label = match key_set {
        Some(true) => "API key (set; empty = keep)",
        Some(false) => "API key (not set)",
        None => "API key (optional)",
    };
    view! {
        <div class="grid gap-3 md:grid-cols-2">
            <div>
                <label class=LABEL>"Name ([a-z0-9_-], the prefix in provider/model)"</label>
                <input name="name" required maxlength="32" pattern="[a-z0-9_-]{1,32}" value=name placeholder="openai" class=INPUT />
                {inline_error(error.clone(), "name")}
            </div>
            <div>
                <label class=LABEL>"Base URL (OpenAI-compatible)"</label>
                <input name="base_url" required maxlength="512" value=base_url placeholder="https://api.openai.com/v1" class=INPUT />
                {inline_error(error.clone(), "base_url")}
            </div>
            <div>
                <label class=LABEL>{key_label}</label>
                <input name="api_key" type="password" autocomplete="new-password" class=INPUT />
                {key_set.is_some_and(|set| set).then(|| view! {
                    <label class="mt-1 flex items-center gap-2 text-xs"><input type="checkbox" name="clear_api_key" /> "Remove the stored key"</label>
                })}
                {inline_error(error.clone(), "api_key")}
            </div>
            <div class="flex items-end">
                <label class="flex items-center gap-2 text-sm"><input type="checkbox" name="enabled" checked=enabled /> "Enabled"</label>
            </div>
            <div class="md:col-span-2">
                <label class=LABEL>"Models, one per line: id [input USD/Mtok [output USD/Mtok]]"</label>
                <textarea name="models" rows="3" spellcheck="false" placeholder="gpt-4o 2.5 10" class=format!("{INPUT} font-mono text-xs")>{models}</textarea>
                {inline_error(error, "models")}
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FieldMessage;

    #[test]
    fn field_messages_match_a_field_and_its_children_only() {
        let error = AppError::Invalid {
            message: "x".into(),
            fields: vec![
                FieldMessage { field: "models[1].id".into(), message: "twice".into() },
                FieldMessage { field: "models".into(), message: "too many".into() },
                FieldMessage { field: "models_extra".into(), message: "no".into() },
            ],
        };
        assert_eq!(field_messages(Some(error.clone()), "models").as_deref(), Some("models[1].id: twice; too many"));
        assert_eq!(field_messages(Some(error), "name"), None);
        assert_eq!(field_messages(Some(AppError::Internal), "models"), None);
    }
}
