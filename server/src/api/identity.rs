//! `/api/auth/*`: login, first-run setup, logout, me, password change and workspace switch.

use axum::extract::State;
use axum::http::{request::Parts, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::Utc;
use tower_sessions::Session;

use crate::api::dto::{LoginRequest, PasswordRequest, SessionResponse, SetupRequest, SwitchWorkspaceRequest};
use crate::api::{ApiError, ApiJson, Caller};
use crate::auth::session::{self, SessionIdentity};
use crate::http_util::client_ip;
use crate::service::identity::Principal;
use crate::service::{ServiceError, Services};

fn user_agent(parts: &Parts) -> Option<String> {
    parts.headers.get("user-agent").and_then(|value| value.to_str().ok()).map(str::to_owned)
}

async fn session_response(services: &Services, principal: &Principal, csrf_token: String) -> Result<SessionResponse, ApiError> {
    let memberships = services.memberships(principal).await?;
    Ok(SessionResponse {
        user: principal.user.clone().into(),
        memberships: memberships.into_iter().map(Into::into).collect(),
        active_workspace_id: principal.workspace_id,
        role: principal.role.as_str(),
        csrf_token,
    })
}

pub async fn login(
    State(services): State<Services>,
    session: Session,
    parts: Parts,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<SessionResponse>, ApiError> {
    let now = Utc::now();
    let outcome = services.login(&req.email, &req.password, now).await?;
    let ip = client_ip(&parts).map(|ip| ip.to_string());
    let csrf = session::sign_in(&session, outcome.user.id, outcome.workspace_id, ip, user_agent(&parts), now)
        .await
        .map_err(ServiceError::from)?;
    let principal = Principal { user: outcome.user, workspace_id: outcome.workspace_id, role: outcome.role };
    Ok(Json(session_response(&services, &principal, csrf).await?))
}

pub async fn setup(State(services): State<Services>, ApiJson(req): ApiJson<SetupRequest>) -> Result<Response, ApiError> {
    services.complete_setup(&req.token, &req.email, &req.password, Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn logout(session: Session) -> Result<Response, ApiError> {
    session::sign_out(&session).await.map_err(ServiceError::from)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn me(
    State(services): State<Services>,
    Caller(principal): Caller,
    Extension(identity): Extension<SessionIdentity>,
) -> Result<Json<SessionResponse>, ApiError> {
    Ok(Json(session_response(&services, &principal, identity.csrf_token).await?))
}

/// Changes the password and ends every other session of the user (SPEC §8.3).
pub async fn change_password(
    State(services): State<Services>,
    Caller(principal): Caller,
    session: Session,
    ApiJson(req): ApiJson<PasswordRequest>,
) -> Result<Response, ApiError> {
    services.change_password(&principal, &req.current_password, &req.new_password, session.id().as_ref(), Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn switch_workspace(
    State(services): State<Services>,
    Caller(principal): Caller,
    session: Session,
    Extension(identity): Extension<SessionIdentity>,
    ApiJson(req): ApiJson<SwitchWorkspaceRequest>,
) -> Result<Json<SessionResponse>, ApiError> {
    let role = services.check_switch(&principal, req.workspace_id).await?;
    session::switch_workspace(&session, req.workspace_id).await.map_err(ServiceError::from)?;
    let principal = Principal { workspace_id: req.workspace_id, role, ..principal };
    Ok(Json(session_response(&services, &principal, identity.csrf_token).await?))
}
