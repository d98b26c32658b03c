//! `/firewall/mcp`: the MCP server registry (SPEC §10, §2.14). Members see every server (name, endpoint,
//! auth mode, enabled, status, tool count, last probe; never a credential); Developers register, edit,
//! enable / disable, delete and probe, and a probe lists the tools under their gateway names
//! `<server>.<tool>`. The server refuses the same.

use leptos::prelude::*;

use crate::api::{list_mcp_servers, DeleteMcpServer, ProbeMcpServer, SaveMcpServer, SetMcpServerEnabled};
use crate::components::layout::use_session;
use crate::components::ui::*;
use crate::error::AppError;
use crate::types::{McpProbeView, McpServerView, SessionView};

#[component]
pub fn McpServersPage() -> impl IntoView {
    // Resources and actions are created here, synchronously (see KeysPage).
    let session = use_session();
    let actions = McpActions {
        create: ServerAction::<SaveMcpServer>::new(),
        update: ServerAction::<SaveMcpServer>::new(),
        toggle: ServerAction::<SetMcpServerEnabled>::new(),
        delete: ServerAction::<DeleteMcpServer>::new(),
        probe: ServerAction::<ProbeMcpServer>::new(),
    };
    let servers = Resource::new(
        move || {
            let McpActions { create, update, toggle, delete, probe } = actions;
            (create.version().get(), update.version().get(), toggle.version().get(), delete.version().get(), probe.version().get())
        },
        |_| list_mcp_servers(),
    );
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                session.await.map(|session| view! { <McpServersView session actions servers /> })
            })}
        </Suspense>
    }
}

/// The page's write actions; register and edit are separate so their errors stay apart.
#[derive(Clone, Copy)]
struct McpActions {
    create: ServerAction<SaveMcpServer>,
    update: ServerAction<SaveMcpServer>,
    toggle: ServerAction<SetMcpServerEnabled>,
    delete: ServerAction<DeleteMcpServer>,
    probe: ServerAction<ProbeMcpServer>,
}

#[component]
fn McpServersView(session: SessionView, actions: McpActions, servers: Resource<Result<Vec<McpServerView>, AppError>>) -> impl IntoView {
    let can_edit = session.at_least("developer");
    let csrf = session.csrf_token.clone();
    view! {
        <div class="space-y-8">
            <div>
                <h1 class="text-2xl font-bold tracking-tight">"MCP Servers"</h1>
                <p class="mt-1 text-sm text-slate-500">
                    "Upstream MCP servers behind the gateway (POST /api/v1/firewall/mcp). Their tools appear as <server>.<tool>; every call passes the firewall and the SSRF guard."
                </p>
            </div>
            {can_edit.then(|| view! { <RegisterForm action=actions.create csrf=csrf.clone() /> })}
            {action_error(actions.update.value())}
            {action_error(actions.toggle.value())}
            {action_error(actions.delete.value())}
            {action_error(actions.probe.value())}
            {move || actions.probe.value().get().and_then(Result::ok).map(|probe| view! { <ProbeResult probe /> })}
            <Suspense fallback=|| view! { <p class="text-slate-500">"Loading servers…"</p> }>
                {move || {
                    let session = session.clone();
                    Suspend::new(async move {
                        match servers.await {
                            Ok(servers) => view! { <ServerTable servers session actions /> }.into_any(),
                            Err(error) => view! { <ErrorBanner error /> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </div>
    }
}

/// The inputs shared by the register and edit forms; credentials are never prefilled.
#[component]
fn ServerFields(server: Option<McpServerView>, prefix: String) -> impl IntoView {
    let id = move |field: &str| format!("{prefix}-{field}");
    let mode = server.as_ref().map_or_else(|| "none".to_owned(), |s| s.auth_mode.clone());
    let keep = server.as_ref().is_some_and(|s| s.auth_set).then_some("leave empty to keep the stored credential");
    view! {
        <div>
            <label for=id("name") class=LABEL>"Name"</label>
            <input id=id("name") name="name" required maxlength="64" pattern="[A-Za-z0-9_-]{1,64}" placeholder="github"
                value=server.as_ref().map(|s| s.name.clone()) class=INPUT />
        </div>
        <div class="md:col-span-2">
            <label for=id("endpoint") class=LABEL>"Endpoint (Streamable HTTP URL)"</label>
            <input id=id("endpoint") name="endpoint" required maxlength="512" placeholder="https://mcp.example.com/mcp"
                value=server.as_ref().map(|s| s.endpoint.clone()) class=INPUT />
        </div>
        <div>
            <label for=id("auth-mode") class=LABEL>"Auth mode"</label>
            <select id=id("auth-mode") name="auth_mode" class=INPUT>
                <option value="none" selected=mode == "none">"None"</option>
                <option value="bearer" selected=mode == "bearer">"Bearer token"</option>
                <option value="oauth" selected=mode == "oauth">"OAuth access token"</option>
                <option value="basic" selected=mode == "basic">"Basic (username + password)"</option>
            </select>
        </div>
        <div>
            <label for=id("token") class=LABEL>"Token (bearer / OAuth)"</label>
            <input id=id("token") name="token" type="password" autocomplete="off" placeholder=keep class=INPUT />
        </div>
        <div>
            <label for=id("username") class=LABEL>"Username (basic)"</label>
            <input id=id("username") name="username" autocomplete="off" class=INPUT />
            <label for=id("password") class="mt-2 block text-sm font-medium text-slate-700 dark:text-slate-300 mb-1">"Password (basic)"</label>
            <input id=id("password") name="password" type="password" autocomplete="off" placeholder=keep class=INPUT />
        </div>
    }
}

#[component]
fn RegisterForm(action: ServerAction<SaveMcpServer>, csrf: String) -> impl IntoView {
    let field_error = move |name: &'static str| {
        move || action.value().get().and_then(|result| result.err()).and_then(|error: AppError| error.field(name))
            .map(|message| view! { <p class="field-error mt-1 text-xs text-red-600" data-field=name>{message}</p> })
    };
    view! {
        <section class=CARD>
            <h2 class="mb-4 text-lg font-semibold">"Register a server"</h2>
            <ActionForm action attr:id="register-mcp-form" attr:class="grid gap-4 md:grid-cols-3">
                <CsrfField token=csrf />
                <ServerFields server=None prefix="mcp-new".to_owned() />
                <div class="md:col-span-3">
                    {field_error("name")}
                    {field_error("endpoint")}
                    {field_error("auth_mode")}
                    {field_error("auth")}
                    {field_error("auth.token")}
                    {field_error("auth.access_token")}
                    {field_error("auth.username")}
                    {field_error("auth.password")}
                </div>
                <div class="md:col-span-3 flex items-center gap-4">
                    <button id="register-mcp" type="submit" class=BTN_PRIMARY>"Register server"</button>
                    {move || action.value().get().and_then(|result| result.err())
                        .filter(|error| !matches!(error, AppError::Invalid { .. }))
                        .map(|error| view! { <ErrorBanner error /> })}
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
fn ProbeResult(probe: McpProbeView) -> impl IntoView {
    let tone = status_tone(&probe.status);
    let tools = probe
        .tools
        .into_iter()
        .map(|tool| view! {
            <li class="py-1">
                <code class="font-mono text-xs">{tool.namespaced_name}</code>
                <span class="ml-2 text-xs text-slate-500">{tool.description.unwrap_or_default()}</span>
            </li>
        })
        .collect_view();
    view! {
        <section id="probe-result" class=CARD>
            <h2 class="text-lg font-semibold">
                "Probe of “" {probe.server_name} "”: " <Badge text=probe.status tone /> " in " {probe.latency_ms} " ms"
            </h2>
            {probe.error.map(|error| view! { <p class="mt-2 text-sm text-red-700">{error}</p> })}
            <ul id="probe-tools" class="mt-3 divide-y divide-slate-100 dark:divide-slate-800">{tools}</ul>
        </section>
    }
}

fn status_tone(status: &str) -> &'static str {
    match status {
        "ok" => "emerald",
        "degraded" => "amber",
        _ => "slate",
    }
}

#[component]
fn ServerTable(servers: Vec<McpServerView>, session: SessionView, actions: McpActions) -> impl IntoView {
    if servers.is_empty() {
        return view! { <p id="no-mcp-servers" class="text-sm text-slate-500">"No MCP servers registered."</p> }.into_any();
    }
    let can_edit = session.at_least("developer");
    let rows = servers
        .into_iter()
        .map(|server| {
            let csrf = session.csrf_token.clone();
            let auth = if server.auth_mode == "none" {
                "none".to_owned()
            } else {
                format!("{} ({})", server.auth_mode, if server.auth_set { "credential set" } else { "no credential" })
            };
            view! {
                <tr class="border-t border-slate-100 dark:border-slate-800" data-mcp-name=server.name.clone()>
                    <td class=TD><div class="font-medium">{server.name.clone()}</div></td>
                    <td class=TD><code class="font-mono text-xs break-all">{server.endpoint.clone()}</code></td>
                    <td class=TD><span class="text-xs">{auth}</span></td>
                    <td class=TD>
                        {if server.enabled { view! { <Badge text="enabled".to_string() tone="emerald" /> } } else { view! { <Badge text="disabled".to_string() tone="slate" /> } }}
                    </td>
                    <td class=TD>
                        <Badge text=server.status.clone() tone=status_tone(&server.status) />
                        {server.last_error.clone().map(|error| view! { <div class="mt-1 max-w-xs text-xs text-red-700">{error}</div> })}
                    </td>
                    <td class=TD><span class="text-xs">{server.tool_count}</span></td>
                    <td class=TD><span class="text-xs">{server.last_probe_at.as_deref().map(short_time).unwrap_or_else(|| "never".into())}</span></td>
                    <td class=TD>{can_edit.then(|| view! { <ServerActions server=server.clone() csrf actions /> })}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <DataTable id="mcp-servers-table" headers=&["Name", "Endpoint", "Auth", "Enabled", "Status", "Tools", "Last probe", ""]>{rows}</DataTable>
    }
    .into_any()
}

/// Probe, enable / disable, delete and the edit form of one server (Developer+).
#[component]
fn ServerActions(server: McpServerView, csrf: String, actions: McpActions) -> impl IntoView {
    let McpActions { update, toggle, delete, probe, .. } = actions;
    let id = server.id;
    let prefix = format!("mcp-{id}");
    let (csrf_probe, csrf_toggle, csrf_delete) = (csrf.clone(), csrf.clone(), csrf.clone());
    view! {
        <div class="flex flex-wrap items-start gap-2">
            <ActionForm action=probe>
                <CsrfField token=csrf_probe />
                <input type="hidden" name="id" value=id />
                <button type="submit" class=BTN_SECONDARY>"Probe"</button>
            </ActionForm>
            <ActionForm action=toggle>
                <CsrfField token=csrf_toggle />
                <input type="hidden" name="id" value=id />
                <input type="hidden" name="enabled" value=(!server.enabled).to_string() />
                <button type="submit" class=BTN_SECONDARY>{if server.enabled { "Disable" } else { "Enable" }}</button>
            </ActionForm>
            <ActionForm action=delete>
                <CsrfField token=csrf_delete />
                <input type="hidden" name="id" value=id />
                <button type="submit" class=BTN_DANGER>"Delete"</button>
            </ActionForm>
            <details class="w-full">
                <summary class="cursor-pointer text-sm text-indigo-600">"Edit"</summary>
                <ActionForm action=update attr:class="mt-2 grid gap-3 md:grid-cols-3">
                    <CsrfField token=csrf />
                    <input type="hidden" name="id" value=id />
                    <ServerFields server=Some(server) prefix />
                    <div class="md:col-span-3">
                        <button type="submit" class=BTN_PRIMARY>"Save server"</button>
                    </div>
                </ActionForm>
            </details>
        </div>
    }
}
