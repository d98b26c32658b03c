//! `/api/keys`: list, create (secret once), get, edit, rotate (secret once), delete.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;

use crate::api::dto::{KeyRequest, KeyResponse, ListResponse};
use crate::api::{ApiError, ApiJson, Caller};
use crate::service::Services;

pub async fn list(State(services): State<Services>, Caller(principal): Caller) -> Result<Json<ListResponse<KeyResponse>>, ApiError> {
    let keys = services.list_api_keys(&principal).await?;
    Ok(Json(ListResponse { data: keys.into_iter().map(|key| KeyResponse::new(key, None)).collect() }))
}

pub async fn create(
    State(services): State<Services>,
    Caller(principal): Caller,
    ApiJson(req): ApiJson<KeyRequest>,
) -> Result<Response, ApiError> {
    let created = services.create_api_key(&principal, req.into(), Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(KeyResponse::new(created.key, Some(created.secret)))).into_response())
}

pub async fn get(State(services): State<Services>, Caller(principal): Caller, Path(id): Path<i64>) -> Result<Json<KeyResponse>, ApiError> {
    Ok(Json(KeyResponse::new(services.get_api_key(&principal, id).await?, None)))
}

pub async fn update(
    State(services): State<Services>,
    Caller(principal): Caller,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<KeyRequest>,
) -> Result<Json<KeyResponse>, ApiError> {
    Ok(Json(KeyResponse::new(services.update_api_key(&principal, id, req.into(), Utc::now()).await?, None)))
}

pub async fn rotate(State(services): State<Services>, Caller(principal): Caller, Path(id): Path<i64>) -> Result<Json<KeyResponse>, ApiError> {
    let rotated = services.rotate_api_key(&principal, id, Utc::now()).await?;
    Ok(Json(KeyResponse::new(rotated.key, Some(rotated.secret))))
}

pub async fn delete(State(services): State<Services>, Caller(principal): Caller, Path(id): Path<i64>) -> Result<Response, ApiError> {
    services.delete_api_key(&principal, id, Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
