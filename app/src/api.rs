//! Console server functions: one line each over the `Backend` port, all under `/console/fn` so they stay
//! off the REST API's namespace and envelope. Writes take the session's CSRF token as `csrf`.

use leptos::prelude::*;

use crate::error::AppError;
use crate::types::*;

/// The signed-in session, or `Unauthenticated`.
#[server(prefix = "/console/fn")]
pub async fn get_session() -> Result<SessionView, AppError> {
    crate::backend::backend()?.session().await
}

/// Signs in and goes to the console (or to Account when the password must change).
#[server(prefix = "/console/fn")]
pub async fn login(email: String, password: String) -> Result<SessionView, AppError> {
    let session = crate::backend::backend()?.login(email, password).await?;
    leptos_axum::redirect(if session.must_change_password { "/account" } else { "/posture" });
    Ok(session)
}

/// Signs out and returns to the login page.
#[server(prefix = "/console/fn")]
pub async fn logout(csrf: String) -> Result<(), AppError> {
    crate::backend::backend()?.logout(csrf).await?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// True when a first-run setup token is still usable.
#[server(prefix = "/console/fn")]
pub async fn setup_token_valid(token: String) -> Result<bool, AppError> {
    crate::backend::backend()?.setup_token_valid(token).await
}

/// Creates the first Owner with the one-time setup token, then sends them to sign in.
#[server(prefix = "/console/fn")]
pub async fn complete_setup(token: String, email: String, password: String) -> Result<(), AppError> {
    crate::backend::backend()?.complete_setup(token, email, password).await?;
    leptos_axum::redirect("/login");
    Ok(())
}

#[server(prefix = "/console/fn")]
pub async fn change_password(csrf: String, current_password: String, new_password: String) -> Result<(), AppError> {
    crate::backend::backend()?.change_password(csrf, current_password, new_password).await
}

#[server(prefix = "/console/fn")]
pub async fn switch_workspace(csrf: String, workspace_id: i64) -> Result<(), AppError> {
    crate::backend::backend()?.switch_workspace(csrf, workspace_id).await?;
    leptos_axum::redirect("/posture");
    Ok(())
}

#[server(prefix = "/console/fn")]
pub async fn list_keys() -> Result<Vec<ApiKeyView>, AppError> {
    crate::backend::backend()?.list_keys().await
}

/// Creates a key; the response carries the secret, shown once.
#[server(prefix = "/console/fn")]
#[expect(clippy::too_many_arguments, reason = "one argument per form field keeps the form encoding flat")]
pub async fn create_key(
    csrf: String,
    name: String,
    kind: String,
    environment: String,
    expires: String,
    rate_limit_rpm: String,
    credit_limit_usd: String,
    model_allowlist: String,
    ip_allowlist: String,
) -> Result<CreatedKeyView, AppError> {
    let form = NewKeyForm { name, kind, environment, expires, rate_limit_rpm, credit_limit_usd, model_allowlist, ip_allowlist };
    crate::backend::backend()?.create_key(csrf, form).await
}

#[server(prefix = "/console/fn")]
pub async fn set_key_active(csrf: String, id: i64, active: bool) -> Result<(), AppError> {
    crate::backend::backend()?.set_key_active(csrf, id, active).await
}

#[server(prefix = "/console/fn")]
pub async fn rotate_key(csrf: String, id: i64) -> Result<CreatedKeyView, AppError> {
    crate::backend::backend()?.rotate_key(csrf, id).await
}

#[server(prefix = "/console/fn")]
pub async fn delete_key(csrf: String, id: i64) -> Result<(), AppError> {
    crate::backend::backend()?.delete_key(csrf, id).await
}

#[server(prefix = "/console/fn")]
pub async fn list_members() -> Result<Vec<MemberView>, AppError> {
    crate::backend::backend()?.list_members().await
}

#[server(prefix = "/console/fn")]
pub async fn add_member(csrf: String, email: String, role: String) -> Result<AddedMemberView, AppError> {
    crate::backend::backend()?.add_member(csrf, email, role).await
}

#[server(prefix = "/console/fn")]
pub async fn change_member_role(csrf: String, user_id: i64, role: String) -> Result<(), AppError> {
    crate::backend::backend()?.change_member_role(csrf, user_id, role).await
}

#[server(prefix = "/console/fn")]
pub async fn remove_member(csrf: String, user_id: i64) -> Result<(), AppError> {
    crate::backend::backend()?.remove_member(csrf, user_id).await
}

#[server(prefix = "/console/fn")]
pub async fn get_posture() -> Result<PostureView, AppError> {
    crate::backend::backend()?.posture().await
}

/// The diff and replay of a level against the current posture; writes nothing.
#[server(prefix = "/console/fn")]
pub async fn simulate_level(level: String) -> Result<SimulateView, AppError> {
    crate::backend::backend()?.simulate(level).await
}

/// Applies an autonomy level in one transaction; returns the audit id of the change.
#[server(prefix = "/console/fn")]
pub async fn apply_level(csrf: String, level: String) -> Result<i64, AppError> {
    crate::backend::backend()?.apply_level(csrf, level).await
}

/// Undoes an autonomy change (or a previous undo); `force` overrides the stale check.
#[server(prefix = "/console/fn")]
pub async fn undo_autonomy(csrf: String, audit_id: i64, force: bool) -> Result<i64, AppError> {
    crate::backend::backend()?.undo_autonomy(csrf, audit_id, force).await
}

#[server(prefix = "/console/fn")]
pub async fn list_audit(verb: Option<String>, cursor: Option<String>) -> Result<AuditPageView, AppError> {
    crate::backend::backend()?.audit(verb, cursor).await
}

#[server(prefix = "/console/fn")]
pub async fn list_guardrails() -> Result<Vec<GuardrailSummaryView>, AppError> {
    crate::backend::backend()?.list_guardrails().await
}

#[server(prefix = "/console/fn")]
pub async fn get_guardrail(id: i64) -> Result<GuardrailEditView, AppError> {
    crate::backend::backend()?.guardrail(id).await
}

#[server(prefix = "/console/fn")]
pub async fn list_presets() -> Result<Vec<PresetView>, AppError> {
    crate::backend::backend()?.guardrail_presets().await
}

/// The entity and detector catalogue for the guardrail editor's rule forms (Member).
#[server(prefix = "/console/fn")]
pub async fn get_guardrail_meta() -> Result<GuardrailMetaView, AppError> {
    crate::backend::backend()?.guardrail_meta().await
}

/// Creates (no `id`) or updates a guardrail; a new one opens in the editor. Checkboxes post only when on.
#[server(prefix = "/console/fn")]
#[expect(clippy::too_many_arguments, reason = "one argument per form field keeps the form encoding flat")]
pub async fn save_guardrail(
    csrf: String,
    id: Option<i64>,
    version: Option<i64>,
    name: String,
    description: String,
    enabled: Option<String>,
    log_raw_content: Option<String>,
    rules: String,
) -> Result<i64, AppError> {
    let form = GuardrailForm { name, description, enabled: enabled.is_some(), log_raw_content: log_raw_content.is_some(), rules };
    let saved = crate::backend::backend()?.save_guardrail(csrf, id, version, form).await?;
    if id.is_none() {
        leptos_axum::redirect(&format!("/guardrails/{saved}"));
    }
    Ok(saved)
}

#[server(prefix = "/console/fn")]
pub async fn delete_guardrail(csrf: String, id: i64) -> Result<(), AppError> {
    crate::backend::backend()?.delete_guardrail(csrf, id).await?;
    leptos_axum::redirect("/guardrails");
    Ok(())
}

#[server(prefix = "/console/fn")]
pub async fn revert_guardrail(csrf: String, id: i64, version: i64) -> Result<(), AppError> {
    crate::backend::backend()?.revert_guardrail(csrf, id, version).await
}

/// Applies a preset as a new guardrail and opens it.
#[server(prefix = "/console/fn")]
pub async fn apply_preset(csrf: String, slug: String) -> Result<i64, AppError> {
    let id = crate::backend::backend()?.apply_guardrail_preset(csrf, slug).await?;
    leptos_axum::redirect(&format!("/guardrails/{id}"));
    Ok(id)
}

/// Runs the saved guardrail's deterministic rules on `text` (the Test tab); writes nothing.
#[server(prefix = "/console/fn")]
pub async fn test_guardrail(id: i64, stage: String, text: String) -> Result<GuardrailTestView, AppError> {
    crate::backend::backend()?.test_guardrail(id, stage, text).await
}

/// A page of firewall events (Developer+), filtered as the Events page's query string says.
#[server(prefix = "/console/fn")]
pub async fn list_events(
    verdict: Option<String>,
    surface: Option<String>,
    tool_name: Option<String>,
    run_id: Option<String>,
    cursor: Option<String>,
) -> Result<EventPageView, AppError> {
    crate::backend::backend()?.feed_events(EventQueryForm { verdict, surface, tool_name, run_id, cursor }).await
}

/// A page of guardrail matches (Member; the raw `matched` text only for Developer+).
#[server(prefix = "/console/fn")]
pub async fn list_matches(
    stage: Option<String>,
    action: Option<String>,
    rule_type: Option<String>,
    hide_fp: bool,
    cursor: Option<String>,
) -> Result<MatchPageView, AppError> {
    crate::backend::backend()?.feed_matches(MatchQueryForm { stage, action, rule_type, hide_fp, cursor }).await
}

/// Marks a match as a false positive (Admin+). The row buttons submit the page's one note form, so
/// `match_id` is absent when the form is submitted without a row's button.
#[server(prefix = "/console/fn")]
pub async fn mark_false_positive(csrf: String, match_id: Option<i64>, note: String) -> Result<u64, AppError> {
    let Some(match_id) = match_id else {
        let message = "choose the match with its “Mark false positive” button".to_owned();
        return Err(AppError::Invalid { fields: vec![crate::error::FieldMessage { field: "match_id".into(), message: message.clone() }], message });
    };
    crate::backend::backend()?.mark_false_positive(csrf, match_id, note).await
}

#[server(prefix = "/console/fn")]
pub async fn list_suppressions() -> Result<Vec<SuppressionView>, AppError> {
    crate::backend::backend()?.list_suppressions().await
}

#[server(prefix = "/console/fn")]
pub async fn delete_suppression(csrf: String, id: i64) -> Result<(), AppError> {
    crate::backend::backend()?.delete_suppression(csrf, id).await
}

/// A page of the Approvals queue (Developer+).
#[server(prefix = "/console/fn")]
pub async fn list_approvals(state: Option<String>, cursor: Option<String>) -> Result<ApprovalPageView, AppError> {
    crate::backend::backend()?.list_approvals(state, cursor).await
}

/// Approves or rejects an approval (Developer+). The row buttons submit the page's one note form: the
/// Approve button as `approve=<id>`, the Reject button as `reject=<id>`.
#[server(prefix = "/console/fn")]
pub async fn decide_approval(csrf: String, note: String, approve: Option<String>, reject: Option<String>) -> Result<ApprovalView, AppError> {
    let (approval_id, approving) = match (approve, reject) {
        (Some(id), None) => (id, true),
        (None, Some(id)) => (id, false),
        _ => {
            let message = "choose the approval with its Approve or Reject button".to_owned();
            return Err(AppError::Invalid { fields: vec![crate::error::FieldMessage { field: "approval_id".into(), message: message.clone() }], message });
        }
    };
    crate::backend::backend()?.decide_approval(csrf, approval_id, approving, note).await
}

#[server(prefix = "/console/fn")]
pub async fn list_runs(cursor: Option<String>) -> Result<RunPageView, AppError> {
    crate::backend::backend()?.feed_runs(cursor).await
}

#[server(prefix = "/console/fn")]
pub async fn get_run_trace(run_id: String) -> Result<RunTraceView, AppError> {
    crate::backend::backend()?.run_trace(run_id).await
}

#[server(prefix = "/console/fn")]
pub async fn list_discovered(coverage: Option<String>, cursor: Option<String>) -> Result<DiscoveredPageView, AppError> {
    crate::backend::backend()?.discovered_tools(coverage, cursor).await
}

#[server(prefix = "/console/fn")]
pub async fn list_policies() -> Result<Vec<PolicySummaryView>, AppError> {
    crate::backend::backend()?.list_policies().await
}

#[server(prefix = "/console/fn")]
pub async fn get_policy(id: i64) -> Result<PolicyEditView, AppError> {
    crate::backend::backend()?.policy(id).await
}

/// Creates (no `id`) or updates a policy and its rules; a new one opens in the editor.
#[server(prefix = "/console/fn")]
#[expect(clippy::too_many_arguments, reason = "one argument per form field keeps the form encoding flat")]
pub async fn save_policy(
    csrf: String,
    id: Option<i64>,
    name: String,
    description: String,
    enabled: Option<String>,
    default_verdict: String,
    shadow_mode: Option<String>,
    rules: String,
) -> Result<i64, AppError> {
    let form = PolicyForm { name, description, enabled: enabled.is_some(), default_verdict, shadow_mode: shadow_mode.is_some(), rules };
    let saved = crate::backend::backend()?.save_policy(csrf, id, form).await?;
    if id.is_none() {
        leptos_axum::redirect(&format!("/firewall/policies/{saved}"));
    }
    Ok(saved)
}

#[server(prefix = "/console/fn")]
pub async fn delete_policy(csrf: String, id: i64) -> Result<(), AppError> {
    crate::backend::backend()?.delete_policy(csrf, id).await?;
    leptos_axum::redirect("/firewall/policies");
    Ok(())
}

/// Evaluates one tool call against the saved policy with the per-rule trace; records nothing.
#[server(prefix = "/console/fn")]
pub async fn run_sandbox(id: i64, surface: String, tool: String, skill: String, arguments: String, host: String) -> Result<SandboxView, AppError> {
    crate::backend::backend()?.sandbox(id, SandboxCall { surface, tool, skill, arguments, host }).await
}

#[server(prefix = "/console/fn")]
pub async fn get_settings() -> Result<SettingsView, AppError> {
    crate::backend::backend()?.settings().await
}

/// Saves the posture settings (Developer+). Checkboxes post only when on.
#[server(prefix = "/console/fn")]
#[expect(clippy::too_many_arguments, reason = "one argument per form field keeps the form encoding flat")]
pub async fn save_posture_settings(
    csrf: String,
    observe_mode: Option<String>,
    default_firewall_policy_id: String,
    default_guardrail_id: String,
    approval_webhook_url: String,
    approval_webhook_secret: String,
    clear_webhook_secret: Option<String>,
    approval_ttl_seconds: String,
) -> Result<(), AppError> {
    let form = PostureSettingsForm {
        observe_mode: observe_mode.is_some(),
        default_firewall_policy_id,
        default_guardrail_id,
        approval_webhook_url,
        approval_webhook_secret,
        clear_webhook_secret: clear_webhook_secret.is_some(),
        approval_ttl_seconds,
    };
    crate::backend::backend()?.save_posture_settings(csrf, form).await
}

/// Saves the workspace name, retention and judge model (Admin+).
#[server(prefix = "/console/fn")]
pub async fn save_workspace_settings(csrf: String, name: String, log_retention_days: String, judge_model: String) -> Result<(), AppError> {
    let form = WorkspaceSettingsForm { name, log_retention_days, judge_model };
    crate::backend::backend()?.save_workspace_settings(csrf, form).await
}

/// Adds (no `id`) or edits a workspace provider (Admin+). Checkboxes post only when on.
#[server(prefix = "/console/fn")]
#[expect(clippy::too_many_arguments, reason = "one argument per form field keeps the form encoding flat")]
pub async fn save_provider(
    csrf: String,
    id: Option<i64>,
    name: String,
    base_url: String,
    api_key: String,
    clear_api_key: Option<String>,
    enabled: Option<String>,
    models: String,
) -> Result<i64, AppError> {
    let form = ProviderForm { name, base_url, api_key, clear_api_key: clear_api_key.is_some(), enabled: enabled.is_some(), models };
    crate::backend::backend()?.save_provider(csrf, id, form).await
}

#[server(prefix = "/console/fn")]
pub async fn set_provider_enabled(csrf: String, id: i64, enabled: bool) -> Result<(), AppError> {
    crate::backend::backend()?.set_provider_enabled(csrf, id, enabled).await
}

#[server(prefix = "/console/fn")]
pub async fn delete_provider(csrf: String, id: i64) -> Result<(), AppError> {
    crate::backend::backend()?.delete_provider(csrf, id).await
}

/// Every registered MCP server (Member).
#[server(prefix = "/console/fn")]
pub async fn list_mcp_servers() -> Result<Vec<McpServerView>, AppError> {
    crate::backend::backend()?.list_mcp_servers().await
}

/// Registers (no `id`) or edits an MCP server (Developer+).
#[server(prefix = "/console/fn")]
#[expect(clippy::too_many_arguments, reason = "one argument per form field keeps the form encoding flat")]
pub async fn save_mcp_server(
    csrf: String,
    id: Option<i64>,
    name: String,
    endpoint: String,
    auth_mode: String,
    token: String,
    username: String,
    password: String,
) -> Result<i64, AppError> {
    let form = McpServerForm { name, endpoint, auth_mode, token, username, password };
    crate::backend::backend()?.save_mcp_server(csrf, id, form).await
}

#[server(prefix = "/console/fn")]
pub async fn set_mcp_server_enabled(csrf: String, id: i64, enabled: bool) -> Result<(), AppError> {
    crate::backend::backend()?.set_mcp_server_enabled(csrf, id, enabled).await
}

#[server(prefix = "/console/fn")]
pub async fn delete_mcp_server(csrf: String, id: i64) -> Result<(), AppError> {
    crate::backend::backend()?.delete_mcp_server(csrf, id).await
}

/// Probes an MCP server now (Developer+): `initialize` + `tools/list` through the dial guard.
#[server(prefix = "/console/fn")]
pub async fn probe_mcp_server(csrf: String, id: i64) -> Result<McpProbeView, AppError> {
    crate::backend::backend()?.probe_mcp_server(csrf, id).await
}
