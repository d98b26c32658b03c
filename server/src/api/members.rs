//! `/api/members`: list (Member+), add / change role / remove (Admin+; Owner for Admins and Owners).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;

use crate::api::dto::{AddMemberRequest, ChangeRoleRequest, ListResponse, MemberResponse};
use crate::api::{ApiError, ApiJson, Caller};
use crate::service::Services;

pub async fn list(State(services): State<Services>, Caller(principal): Caller) -> Result<Json<ListResponse<MemberResponse>>, ApiError> {
    let members = services.list_members(&principal).await?;
    Ok(Json(ListResponse { data: members.into_iter().map(|member| MemberResponse::new(member, None)).collect() }))
}

pub async fn add(
    State(services): State<Services>,
    Caller(principal): Caller,
    ApiJson(req): ApiJson<AddMemberRequest>,
) -> Result<Response, ApiError> {
    let added = services.add_member(&principal, &req.email, &req.role, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(MemberResponse::new(added.member, added.one_time_password))).into_response())
}

pub async fn change_role(
    State(services): State<Services>,
    Caller(principal): Caller,
    Path(user_id): Path<i64>,
    ApiJson(req): ApiJson<ChangeRoleRequest>,
) -> Result<Json<MemberResponse>, ApiError> {
    let member = services.change_member_role(&principal, user_id, &req.role, Utc::now()).await?;
    Ok(Json(MemberResponse::new(member, None)))
}

pub async fn remove(State(services): State<Services>, Caller(principal): Caller, Path(user_id): Path<i64>) -> Result<Response, ApiError> {
    services.remove_member(&principal, user_id, Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
