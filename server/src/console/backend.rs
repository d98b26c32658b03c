//! `ConsoleBackend`: the `Backend` port over `Services`. Each method finds the caller from the session of
//! the current request (through `leptos_axum::extract`), checks the CSRF field on writes, calls one
//! service method and converts the result.

use std::net::SocketAddr;

use app::backend::Backend;
use app::types::*;
use app::AppError;
use axum::extract::ConnectInfo;
use axum::http::HeaderMap;
use chrono::{Duration, Utc};
use tower_sessions::Session;

use crate::auth::session::{self, csrf_matches, SessionIdentity};
use crate::console::convert::{app_error, key_view, member_view, membership_view};
use crate::console::{approvals, feeds, guardrails, mcp_servers, policies, posture, settings};
use crate::service::api_keys::KeyInput;
use crate::service::identity::Principal;
use crate::service::{ServiceError, Services};

/// The console's view of the service layer.
#[derive(Clone, Debug)]
pub struct ConsoleBackend {
    services: Services,
}

impl ConsoleBackend {
    pub fn new(services: Services) -> Self {
        Self { services }
    }
}

async fn current_session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|_| AppError::Internal)
}

impl ConsoleBackend {
    /// The signed-in principal of this request with its session.
    async fn caller(&self) -> Result<(Principal, SessionIdentity, Session), AppError> {
        let session = current_session().await?;
        let identity = session::identity(&session, Utc::now())
            .await
            .map_err(|err| app_error(err.into()))?
            .ok_or_else(|| AppError::Unauthenticated("sign in to continue".into()))?;
        let principal = self.services.resolve_session(&identity).await.map_err(app_error)?;
        Ok((principal, identity, session))
    }

    /// As [`Self::caller`], and the form's CSRF field must match the session's token.
    async fn writer(&self, csrf: &str) -> Result<(Principal, Session), AppError> {
        let (principal, identity, session) = self.caller().await?;
        if !csrf_matches(csrf, &identity.csrf_token) {
            return Err(app_error(ServiceError::CsrfFailed));
        }
        Ok((principal, session))
    }
}

fn split_list(text: &str) -> Vec<String> {
    text.split([',', '\n']).map(str::trim).filter(|item| !item.is_empty()).map(str::to_owned).collect()
}

fn parse_number<T: std::str::FromStr>(field: &str, text: &str, default: T) -> Result<T, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(default);
    }
    text.parse().map_err(|_| {
        app_error(ServiceError::Invalid(vec![crate::service::FieldError::new(field, "must be a number")]))
    })
}

/// Converts the create-key form into the service input (expiry presets of SPEC §2.3).
fn key_input(form: NewKeyForm) -> Result<KeyInput, AppError> {
    let expires_in = match form.expires.as_str() {
        "" | "never" => None,
        "1h" => Some(Duration::hours(1)),
        "1d" => Some(Duration::days(1)),
        "7d" => Some(Duration::days(7)),
        "30d" => Some(Duration::days(30)),
        "90d" => Some(Duration::days(90)),
        "1y" => Some(Duration::days(365)),
        _ => {
            return Err(app_error(ServiceError::Invalid(vec![crate::service::FieldError::new(
                "expires",
                "must be one of never, 1h, 1d, 7d, 30d, 90d, 1y",
            )])))
        }
    };
    let models = split_list(&form.model_allowlist);
    Ok(KeyInput {
        name: Some(form.name),
        kind: Some(if form.kind.is_empty() { "relay".into() } else { form.kind }),
        environment: Some(Some(form.environment)),
        expires_at: Some(expires_in.map(|duration| Utc::now() + duration)),
        rate_limit_rpm: Some(parse_number("rate_limit_rpm", &form.rate_limit_rpm, 0)?),
        credit_limit_usd: Some(parse_number("credit_limit_usd", &form.credit_limit_usd, 0.0)?),
        model_allowlist_enabled: Some(!models.is_empty()),
        model_allowlist: Some(models),
        ip_allowlist: Some(split_list(&form.ip_allowlist)),
        ..Default::default()
    })
}

#[async_trait::async_trait]
impl Backend for ConsoleBackend {
    async fn session(&self) -> Result<SessionView, AppError> {
        let (principal, identity, _) = self.caller().await?;
        let memberships = self.services.memberships(&principal).await.map_err(app_error)?;
        let workspace_name = memberships
            .iter()
            .find(|membership| membership.workspace_id == principal.workspace_id)
            .map(|membership| membership.workspace_name.clone())
            .unwrap_or_default();
        Ok(SessionView {
            user_id: principal.user.id,
            email: principal.user.email.clone(),
            display_name: principal.user.display_name.clone(),
            must_change_password: principal.user.must_change_password,
            workspace_id: principal.workspace_id,
            workspace_name,
            role: principal.role.as_str().to_owned(),
            memberships: memberships.into_iter().map(membership_view).collect(),
            csrf_token: identity.csrf_token,
        })
    }

    async fn login(&self, email: String, password: String) -> Result<SessionView, AppError> {
        let now = Utc::now();
        let outcome = self.services.login(&email, &password, now).await.map_err(app_error)?;
        let session = current_session().await?;
        let headers: HeaderMap = leptos_axum::extract().await.unwrap_or_default();
        let user_agent = headers.get("user-agent").and_then(|value| value.to_str().ok()).map(str::to_owned);
        let ip = leptos_axum::extract::<ConnectInfo<SocketAddr>>().await.ok().map(|info| info.0.ip().to_string());
        session::sign_in(&session, outcome.user.id, outcome.workspace_id, ip, user_agent, now)
            .await
            .map_err(|err| app_error(err.into()))?;
        self.session().await
    }

    async fn logout(&self, csrf: String) -> Result<(), AppError> {
        let (_, session) = self.writer(&csrf).await?;
        session::sign_out(&session).await.map_err(|err| app_error(err.into()))
    }

    async fn setup_token_valid(&self, token: String) -> Result<bool, AppError> {
        self.services.setup_token_valid(&token, Utc::now()).await.map_err(app_error)
    }

    async fn complete_setup(&self, token: String, email: String, password: String) -> Result<(), AppError> {
        self.services.complete_setup(&token, &email, &password, Utc::now()).await.map_err(app_error)
    }

    async fn change_password(&self, csrf: String, current: String, new: String) -> Result<(), AppError> {
        let (principal, session) = self.writer(&csrf).await?;
        self.services.change_password(&principal, &current, &new, session.id().as_ref(), Utc::now()).await.map_err(app_error)
    }

    async fn switch_workspace(&self, csrf: String, workspace_id: i64) -> Result<(), AppError> {
        let (principal, session) = self.writer(&csrf).await?;
        self.services.check_switch(&principal, workspace_id).await.map_err(app_error)?;
        session::switch_workspace(&session, workspace_id).await.map_err(|err| app_error(err.into()))
    }

    async fn list_keys(&self) -> Result<Vec<ApiKeyView>, AppError> {
        let (principal, _, _) = self.caller().await?;
        let keys = self.services.list_api_keys(&principal).await.map_err(app_error)?;
        Ok(keys.into_iter().map(key_view).collect())
    }

    async fn create_key(&self, csrf: String, form: NewKeyForm) -> Result<CreatedKeyView, AppError> {
        let (principal, _) = self.writer(&csrf).await?;
        let created = self.services.create_api_key(&principal, key_input(form)?, Utc::now()).await.map_err(app_error)?;
        Ok(CreatedKeyView { key: key_view(created.key), secret: created.secret })
    }

    async fn set_key_active(&self, csrf: String, id: i64, active: bool) -> Result<(), AppError> {
        let (principal, _) = self.writer(&csrf).await?;
        let status = if active { "active" } else { "disabled" };
        let input = KeyInput { status: Some(status.into()), ..Default::default() };
        self.services.update_api_key(&principal, id, input, Utc::now()).await.map_err(app_error)?;
        Ok(())
    }

    async fn rotate_key(&self, csrf: String, id: i64) -> Result<CreatedKeyView, AppError> {
        let (principal, _) = self.writer(&csrf).await?;
        let rotated = self.services.rotate_api_key(&principal, id, Utc::now()).await.map_err(app_error)?;
        Ok(CreatedKeyView { key: key_view(rotated.key), secret: rotated.secret })
    }

    async fn delete_key(&self, csrf: String, id: i64) -> Result<(), AppError> {
        let (principal, _) = self.writer(&csrf).await?;
        self.services.delete_api_key(&principal, id, Utc::now()).await.map_err(app_error)
    }

    async fn list_members(&self) -> Result<Vec<MemberView>, AppError> {
        let (principal, _, _) = self.caller().await?;
        let members = self.services.list_members(&principal).await.map_err(app_error)?;
        Ok(members.into_iter().map(member_view).collect())
    }

    async fn add_member(&self, csrf: String, email: String, role: String) -> Result<AddedMemberView, AppError> {
        let (principal, _) = self.writer(&csrf).await?;
        let added = self.services.add_member(&principal, &email, &role, Utc::now()).await.map_err(app_error)?;
        Ok(AddedMemberView { member: member_view(added.member), one_time_password: added.one_time_password })
    }

    async fn change_member_role(&self, csrf: String, user_id: i64, role: String) -> Result<(), AppError> {
        let (principal, _) = self.writer(&csrf).await?;
        self.services.change_member_role(&principal, user_id, &role, Utc::now()).await.map_err(app_error)?;
        Ok(())
    }

    async fn remove_member(&self, csrf: String, user_id: i64) -> Result<(), AppError> {
        let (principal, _) = self.writer(&csrf).await?;
        self.services.remove_member(&principal, user_id, Utc::now()).await.map_err(app_error)
    }

    async fn posture(&self) -> Result<PostureView, AppError> {
        let (principal, _, _) = self.caller().await?;
        posture::posture(&self.services, &principal).await
    }

    async fn simulate(&self, level: String) -> Result<SimulateView, AppError> {
        let (principal, _, _) = self.caller().await?;
        posture::simulate(&self.services, &principal, &level).await
    }

    async fn apply_level(&self, csrf: String, level: String) -> Result<i64, AppError> {
        let (principal, _) = self.writer(&csrf).await?;
        posture::apply(&self.services, &principal, &level).await
    }

    async fn undo_autonomy(&self, csrf: String, audit_id: i64, force: bool) -> Result<i64, AppError> {
        let (principal, _) = self.writer(&csrf).await?;
        posture::undo(&self.services, &principal, audit_id, force).await
    }

    async fn audit(&self, verb: Option<String>, cursor: Option<String>) -> Result<AuditPageView, AppError> {
        let (principal, _, _) = self.caller().await?;
        posture::audit(&self.services, &principal, verb, cursor).await
    }

    async fn list_guardrails(&self) -> Result<Vec<GuardrailSummaryView>, AppError> {
        let (principal, _, _) = self.caller().await?;
        guardrails::list(&self.services, &principal).await
    }

    async fn guardrail(&self, id: i64) -> Result<GuardrailEditView, AppError> {
        let (principal, _, _) = self.caller().await?;
        guardrails::get(&self.services, &principal, id).await
    }

    async fn guardrail_presets(&self) -> Result<Vec<PresetView>, AppError> {
        let (principal, _, _) = self.caller().await?;
        guardrails::presets(&self.services, &principal)
    }

    async fn guardrail_meta(&self) -> Result<GuardrailMetaView, AppError> {
        let (principal, _, _) = self.caller().await?;
        guardrails::meta(&self.services, &principal)
    }

    async fn save_guardrail(&self, csrf: String, id: Option<i64>, version: Option<i64>, form: GuardrailForm) -> Result<i64, AppError> {
        let (principal, _) = self.writer(&csrf).await?;
        guardrails::save(&self.services, &principal, id, version, form).await
    }

    async fn delete_guardrail(&self, csrf: String, id: i64) -> Result<(), AppError> {
        let (principal, _) = self.writer(&csrf).await?;
        guardrails::delete(&self.services, &principal, id).await
    }

    async fn revert_guardrail(&self, csrf: String, id: i64, version: i64) -> Result<(), AppError> {
        let (principal, _) = self.writer(&csrf).await?;
        guardrails::revert(&self.services, &principal, id, version).await
    }

    async fn apply_guardrail_preset(&self, csrf: String, slug: String) -> Result<i64, AppError> {
        let (principal, _) = self.writer(&csrf).await?;
        guardrails::apply_preset(&self.services, &principal, &slug).await
    }

    async fn test_guardrail(&self, id: i64, stage: String, text: String) -> Result<GuardrailTestView, AppError> {
        let (principal, _, _) = self.caller().await?;
        guardrails::test(&self.services, &principal, id, &stage, text).await
    }

    async fn list_policies(&self) -> Result<Vec<PolicySummaryView>, AppError> {
        let (principal, _, _) = self.caller().await?;
        policies::list(&self.services, &principal).await
    }

    async fn policy(&self, id: i64) -> Result<PolicyEditView, AppError> {
        let (principal, _, _) = self.caller().await?;
        policies::get(&self.services, &principal, id).await
    }

    async fn save_policy(&self, csrf: String, id: Option<i64>, form: PolicyForm) -> Result<i64, AppError> {
        let (principal, _) = self.writer(&csrf).await?;
        policies::save(&self.services, &principal, id, form).await
    }

    async fn delete_policy(&self, csrf: String, id: i64) -> Result<(), AppError> {
        let (principal, _) = self.writer(&csrf).await?;
        policies::delete(&self.services, &principal, id).await
    }

    async fn sandbox(&self, id: i64, call: SandboxCall) -> Result<SandboxView, AppError> {
        let (principal, _, _) = self.caller().await?;
        policies::sandbox(&self.services, &principal, id, call).await
    }

    async fn feed_events(&self, query: EventQueryForm) -> Result<EventPageView, AppError> {
        let (principal, _, _) = self.caller().await?;
        feeds::events(&self.services, &principal, query).await
    }

    async fn feed_matches(&self, query: MatchQueryForm) -> Result<MatchPageView, AppError> {
        let (principal, _, _) = self.caller().await?;
        feeds::matches(&self.services, &principal, query).await
    }

    async fn mark_false_positive(&self, csrf: String, match_id: i64, note: String) -> Result<u64, AppError> {
        let (principal, _) = self.writer(&csrf).await?;
        feeds::mark_false_positive(&self.services, &principal, match_id, note).await
    }

    async fn list_suppressions(&self) -> Result<Vec<SuppressionView>, AppError> {
        let (principal, _, _) = self.caller().await?;
        feeds::suppressions(&self.services, &principal).await
    }

    async fn delete_suppression(&self, csrf: String, id: i64) -> Result<(), AppError> {
        let (principal, _) = self.writer(&csrf).await?;
        feeds::delete_suppression(&self.services, &principal, id).await
    }

    async fn list_approvals(&self, state: Option<String>, cursor: Option<String>) -> Result<ApprovalPageView, AppError> {
        let (principal, _, _) = self.caller().await?;
        approvals::list(&self.services, &principal, state, cursor).await
    }

    async fn decide_approval(&self, csrf: String, approval_id: String, approve: bool, note: String) -> Result<ApprovalView, AppError> {
        let (principal, _) = self.writer(&csrf).await?;
        approvals::decide(&self.services, &principal, approval_id, approve, note).await
    }

    async fn feed_runs(&self, cursor: Option<String>) -> Result<RunPageView, AppError> {
        let (principal, _, _) = self.caller().await?;
        feeds::runs(&self.services, &principal, cursor).await
    }

    async fn run_trace(&self, run_id: String) -> Result<RunTraceView, AppError> {
        let (principal, _, _) = self.caller().await?;
        feeds::trace(&self.services, &principal, run_id).await
    }

    async fn discovered_tools(&self, coverage: Option<String>, cursor: Option<String>) -> Result<DiscoveredPageView, AppError> {
        let (principal, _, _) = self.caller().await?;
        feeds::discovered(&self.services, &principal, coverage, cursor).await
    }

    async fn settings(&self) -> Result<SettingsView, AppError> {
        let (principal, _, _) = self.caller().await?;
        settings::view(&self.services, &principal).await
    }

    async fn save_posture_settings(&self, csrf: String, form: PostureSettingsForm) -> Result<(), AppError> {
        let (principal, _) = self.writer(&csrf).await?;
        settings::save_posture(&self.services, &principal, form).await
    }

    async fn save_workspace_settings(&self, csrf: String, form: WorkspaceSettingsForm) -> Result<(), AppError> {
        let (principal, _) = self.writer(&csrf).await?;
        settings::save_workspace(&self.services, &principal, form).await
    }

    async fn save_provider(&self, csrf: String, id: Option<i64>, form: ProviderForm) -> Result<i64, AppError> {
        let (principal, _) = self.writer(&csrf).await?;
        settings::save_provider(&self.services, &principal, id, form).await
    }

    async fn set_provider_enabled(&self, csrf: String, id: i64, enabled: bool) -> Result<(), AppError> {
        let (principal, _) = self.writer(&csrf).await?;
        settings::set_provider_enabled(&self.services, &principal, id, enabled).await
    }

    async fn delete_provider(&self, csrf: String, id: i64) -> Result<(), AppError> {
        let (principal, _) = self.writer(&csrf).await?;
        settings::delete_provider(&self.services, &principal, id).await
    }

    async fn list_mcp_servers(&self) -> Result<Vec<McpServerView>, AppError> {
        let (principal, _, _) = self.caller().await?;
        mcp_servers::list(&self.services, &principal).await
    }

    async fn save_mcp_server(&self, csrf: String, id: Option<i64>, form: McpServerForm) -> Result<i64, AppError> {
        let (principal, _) = self.writer(&csrf).await?;
        mcp_servers::save(&self.services, &principal, id, form).await
    }

    async fn set_mcp_server_enabled(&self, csrf: String, id: i64, enabled: bool) -> Result<(), AppError> {
        let (principal, _) = self.writer(&csrf).await?;
        mcp_servers::set_enabled(&self.services, &principal, id, enabled).await
    }

    async fn delete_mcp_server(&self, csrf: String, id: i64) -> Result<(), AppError> {
        let (principal, _) = self.writer(&csrf).await?;
        mcp_servers::delete(&self.services, &principal, id).await
    }

    async fn probe_mcp_server(&self, csrf: String, id: i64) -> Result<McpProbeView, AppError> {
        let (principal, _) = self.writer(&csrf).await?;
        mcp_servers::probe(&self.services, &principal, id).await
    }
}
