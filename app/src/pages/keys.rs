//! `/keys`: every key of the workspace; Developers create and manage relay keys, Admins gateway keys too.
//! A new or rotated secret is shown once, with a copy button (SPEC §10).

use leptos::prelude::*;

use crate::api::{list_keys, CreateKey, DeleteKey, RotateKey, SetKeyActive};
use crate::components::layout::use_session;
use crate::components::ui::*;
use crate::error::AppError;
use crate::types::{ApiKeyView, CreatedKeyView, SessionView};

#[component]
pub fn KeysPage() -> impl IntoView {
    // Resources and actions are created here, synchronously, so the server and the hydrating client
    // create them in the same order (created inside a Suspend, they broke hydration).
    let session = use_session();
    let actions = KeyActions {
        create: ServerAction::<CreateKey>::new(),
        rotate: ServerAction::<RotateKey>::new(),
        toggle: ServerAction::<SetKeyActive>::new(),
        delete: ServerAction::<DeleteKey>::new(),
    };
    let keys = Resource::new(
        move || (actions.create.version().get(), actions.rotate.version().get(), actions.toggle.version().get(), actions.delete.version().get()),
        |_| list_keys(),
    );
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                session.await.map(|session| view! { <KeysView session actions keys /> })
            })}
        </Suspense>
    }
}

/// The page's write actions.
#[derive(Clone, Copy)]
struct KeyActions {
    create: ServerAction<CreateKey>,
    rotate: ServerAction<RotateKey>,
    toggle: ServerAction<SetKeyActive>,
    delete: ServerAction<DeleteKey>,
}

#[component]
fn KeysView(session: SessionView, actions: KeyActions, keys: Resource<Result<Vec<ApiKeyView>, AppError>>) -> impl IntoView {
    let KeyActions { create, rotate, toggle, delete } = actions;
    let can_manage = session.at_least("developer");
    let can_gateway = session.at_least("admin");
    let csrf = session.csrf_token.clone();
    // The last created or rotated secret; shown once, gone on reload.
    let revealed = RwSignal::new(None::<CreatedKeyView>);
    Effect::new(move |_| {
        if let Some(Ok(created)) = create.value().get() {
            revealed.set(Some(created));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(rotated)) = rotate.value().get() {
            revealed.set(Some(rotated));
        }
    });
    view! {
        <div class="space-y-8">
            <div class="flex items-end justify-between">
                <div>
                    <h1 class="text-2xl font-bold tracking-tight">"API Keys"</h1>
                    <p class="mt-1 text-sm text-slate-500">
                        "Relay keys (sk-pal-…) call /v1 like an OpenAI key; gateway keys (gk-pal-…) call the firewall gateway."
                    </p>
                </div>
            </div>
            {move || revealed.get().map(|created| view! { <SecretOnce created /> })}
            {can_manage.then(|| view! { <CreateKeyForm action=create csrf=csrf.clone() can_gateway /> })}
            {action_error(rotate.value())}
            {action_error(toggle.value())}
            {action_error(delete.value())}
            <Suspense fallback=|| view! { <p class="text-slate-500">"Loading keys…"</p> }>
                {move || {
                    let session = session.clone();
                    Suspend::new(async move {
                        match keys.await {
                            Ok(keys) => view! { <KeyTable keys session rotate toggle delete /> }.into_any(),
                            Err(error) => view! { <ErrorBanner error /> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </div>
    }
}

/// The one-time secret dialog.
#[component]
fn SecretOnce(created: CreatedKeyView) -> impl IntoView {
    view! {
        <div id="secret-once" role="dialog" class="rounded-lg border-2 border-emerald-400 bg-emerald-50 p-5 dark:border-emerald-700 dark:bg-emerald-950">
            <h2 class="font-semibold text-emerald-900 dark:text-emerald-100">
                "Secret for “" {created.key.name.clone()} "”: copy it now"
            </h2>
            <p class="mt-1 text-sm text-emerald-800 dark:text-emerald-200">
                "Palisade stores only a hash of this secret. It will not be shown again."
            </p>
            <div class="mt-3 flex flex-wrap items-center gap-2">
                <code id="new-secret" class="rounded-md bg-white px-3 py-2 font-mono text-sm text-slate-900 shadow-sm dark:bg-slate-900 dark:text-slate-100">
                    {created.secret.clone()}
                </code>
                <button
                    id="copy-secret"
                    type="button"
                    class=BTN_SECONDARY
                    onclick="navigator.clipboard.writeText(document.getElementById('new-secret').textContent.trim()).then(()=>{this.textContent='Copied'})"
                >
                    "Copy"
                </button>
            </div>
        </div>
    }
}

#[component]
fn CreateKeyForm(action: ServerAction<CreateKey>, csrf: String, can_gateway: bool) -> impl IntoView {
    let field_error = move |name: &'static str| {
        move || action.value().get().and_then(|result| result.err()).and_then(|error: AppError| error.field(name))
            .map(|message| view! { <p class="mt-1 text-xs text-red-600">{message}</p> })
    };
    view! {
        <section class=CARD>
            <h2 class="mb-4 text-lg font-semibold">"Create a key"</h2>
            <ActionForm action attr:id="create-key-form" attr:class="grid gap-4 md:grid-cols-3">
                <CsrfField token=csrf />
                <div>
                    <label for="key-name" class=LABEL>"Name"</label>
                    <input id="key-name" name="name" required maxlength="64" placeholder="support-agent-prod" class=INPUT />
                    {field_error("name")}
                </div>
                <div>
                    <label for="key-kind" class=LABEL>"Kind"</label>
                    <select id="key-kind" name="kind" class=INPUT>
                        // Options are static: dynamic children inside <select> leave hydration markers that
                        // Chromium's select parser drops, so role gating uses attributes instead.
                        <option value="relay">"Relay (sk-pal-…)"</option>
                        <option value="gateway" disabled=!can_gateway hidden=!can_gateway>"Gateway (gk-pal-…)"</option>
                    </select>
                </div>
                <div>
                    <label for="key-env" class=LABEL>"Environment (optional)"</label>
                    <input id="key-env" name="environment" maxlength="32" placeholder="production" class=INPUT />
                </div>
                <div>
                    <label for="key-expires" class=LABEL>"Expires"</label>
                    <select id="key-expires" name="expires" class=INPUT>
                        <option value="never">"Never"</option>
                        <option value="1h">"In 1 hour"</option>
                        <option value="1d">"In 1 day"</option>
                        <option value="7d">"In 7 days"</option>
                        <option value="30d">"In 30 days"</option>
                        <option value="90d">"In 90 days"</option>
                        <option value="1y">"In 1 year"</option>
                    </select>
                </div>
                <div>
                    <label for="key-rpm" class=LABEL>"Rate limit (requests/min, 0 = off)"</label>
                    <input id="key-rpm" name="rate_limit_rpm" type="number" min="0" value="0" class=INPUT />
                    {field_error("rate_limit_rpm")}
                </div>
                <div>
                    <label for="key-credit" class=LABEL>"Credit limit (USD, 0 = unlimited)"</label>
                    <input id="key-credit" name="credit_limit_usd" type="number" min="0" step="0.01" value="0" class=INPUT />
                    {field_error("credit_limit_usd")}
                </div>
                <div class="md:col-span-3 grid gap-4 md:grid-cols-2">
                    <div>
                        <label for="key-models" class=LABEL>"Model allow-list (optional; e.g. mock/*, openai/gpt-4o)"</label>
                        <textarea id="key-models" name="model_allowlist" rows="2" class=INPUT></textarea>
                        {field_error("model_allowlist")}
                    </div>
                    <div>
                        <label for="key-ips" class=LABEL>"IP allow-list (optional; IPs or CIDRs)"</label>
                        <textarea id="key-ips" name="ip_allowlist" rows="2" class=INPUT></textarea>
                        {field_error("ip_allowlist")}
                    </div>
                </div>
                <div class="md:col-span-3 flex items-center gap-4">
                    <button id="create-key" type="submit" class=BTN_PRIMARY>"Create key"</button>
                    {move || action.value().get().and_then(|result| result.err())
                        .filter(|error| !matches!(error, AppError::Invalid { .. }))
                        .map(|error| view! { <ErrorBanner error /> })}
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
fn KeyTable(
    keys: Vec<ApiKeyView>,
    session: SessionView,
    rotate: ServerAction<RotateKey>,
    toggle: ServerAction<SetKeyActive>,
    delete: ServerAction<DeleteKey>,
) -> impl IntoView {
    if keys.is_empty() {
        return view! { <p id="no-keys" class="text-sm text-slate-500">"No keys yet."</p> }.into_any();
    }
    let rows = keys
        .into_iter()
        .map(|key| {
            let may_manage = if key.kind == "gateway" { session.at_least("admin") } else { session.at_least("developer") };
            let (csrf_toggle, csrf_rotate, csrf_delete) =
                (session.csrf_token.clone(), session.csrf_token.clone(), session.csrf_token.clone());
            let limits = format!(
                "{} rpm · {}",
                if key.rate_limit_rpm == 0 { "∞".to_string() } else { key.rate_limit_rpm.to_string() },
                if key.credit_limit_usd == 0.0 { format!("${:.2} spent", key.spent_usd) } else { format!("${:.2} / ${:.2}", key.spent_usd, key.credit_limit_usd) }
            );
            view! {
                <tr class="border-t border-slate-100 dark:border-slate-800" data-key-name=key.name.clone()>
                    <td class=TD>
                        <div class="font-medium">{key.name.clone()}</div>
                        <div class="text-xs text-slate-500">{key.environment.clone().unwrap_or_default()}</div>
                    </td>
                    <td class=TD><Badge text=key.kind.clone() tone=if key.kind == "gateway" { "amber" } else { "indigo" } /></td>
                    <td class=TD><code class="font-mono text-xs">{key.key_hint.clone()}</code></td>
                    <td class=TD>
                        {if key.active { view! { <Badge text="active".to_string() tone="emerald" /> } } else { view! { <Badge text="disabled".to_string() tone="slate" /> } }}
                    </td>
                    <td class=TD><span class="text-xs">{limits}</span></td>
                    <td class=TD><span class="text-xs">{key.expires_at.as_deref().map(short_time).unwrap_or_else(|| "never".into())}</span></td>
                    <td class=TD><span class="text-xs">{key.last_used_at.as_deref().map(short_time).unwrap_or_else(|| "never".into())}</span></td>
                    <td class=TD>
                        {may_manage.then(|| view! {
                            <div class="flex flex-wrap gap-2">
                                <ActionForm action=toggle>
                                    <CsrfField token=csrf_toggle />
                                    <input type="hidden" name="id" value=key.id />
                                    <input type="hidden" name="active" value=(!key.active).to_string() />
                                    <button type="submit" class=BTN_SECONDARY>{if key.active { "Disable" } else { "Enable" }}</button>
                                </ActionForm>
                                <ActionForm action=rotate>
                                    <CsrfField token=csrf_rotate />
                                    <input type="hidden" name="id" value=key.id />
                                    <button type="submit" class=BTN_SECONDARY>"Rotate"</button>
                                </ActionForm>
                                <ActionForm action=delete>
                                    <CsrfField token=csrf_delete />
                                    <input type="hidden" name="id" value=key.id />
                                    <button type="submit" class=BTN_DANGER>"Delete"</button>
                                </ActionForm>
                            </div>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <DataTable id="keys-table" headers=&["Name", "Kind", "Secret", "Status", "Limits", "Expires", "Last used", ""]>{rows}</DataTable>
    }
    .into_any()
}
