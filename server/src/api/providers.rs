//! `/api/providers` (SPEC §2.4, §8.2): list, create, edit, delete workspace providers. The API key is
//! write-only: requests may carry `api_key`, responses only `api_key_set`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::api::dto::ListResponse;
use crate::api::posture_dto::double_option;
use crate::api::{ApiError, ApiJson, Caller};
use crate::service::providers::ProviderInput;
use crate::service::Services;
use crate::store::providers::{ProviderModel, ProviderRecord};

/// Body of `POST` (name and base_url required) and `PATCH` (every field optional).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderRequest {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub base_url: Option<String>,
    /// Absent = keep; `null` or `""` = remove; a string = replace.
    #[serde(default, deserialize_with = "double_option")]
    pub api_key: Option<Option<String>>,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub models: Option<Vec<ModelRequest>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelRequest {
    pub id: String,
    #[serde(default)]
    pub input_usd_per_mtok: f64,
    #[serde(default)]
    pub output_usd_per_mtok: f64,
}

impl From<ProviderRequest> for ProviderInput {
    fn from(req: ProviderRequest) -> Self {
        ProviderInput {
            name: req.name,
            base_url: req.base_url,
            api_key: req.api_key,
            enabled: req.enabled,
            models: req.models.map(|models| {
                models
                    .into_iter()
                    .map(|m| ProviderModel { id: m.id, input_usd_per_mtok: m.input_usd_per_mtok, output_usd_per_mtok: m.output_usd_per_mtok })
                    .collect()
            }),
        }
    }
}

#[derive(Serialize)]
pub struct ProviderResponse {
    pub id: i64,
    pub name: String,
    pub base_url: String,
    pub api_key_set: bool,
    pub enabled: bool,
    pub models: Vec<ProviderModel>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ProviderRecord> for ProviderResponse {
    fn from(p: ProviderRecord) -> Self {
        ProviderResponse {
            id: p.id,
            name: p.name,
            base_url: p.base_url,
            api_key_set: p.api_key_enc.is_some(),
            enabled: p.enabled,
            models: p.models,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

pub async fn list(State(services): State<Services>, Caller(principal): Caller) -> Result<Json<ListResponse<ProviderResponse>>, ApiError> {
    let providers = services.list_providers(&principal).await?;
    Ok(Json(ListResponse { data: providers.into_iter().map(Into::into).collect() }))
}

pub async fn create(State(services): State<Services>, Caller(principal): Caller, ApiJson(req): ApiJson<ProviderRequest>) -> Result<Response, ApiError> {
    let created = services.create_provider(&principal, req.into(), Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(ProviderResponse::from(created))).into_response())
}

pub async fn update(
    State(services): State<Services>,
    Caller(principal): Caller,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<ProviderRequest>,
) -> Result<Json<ProviderResponse>, ApiError> {
    Ok(Json(services.update_provider(&principal, id, req.into(), Utc::now()).await?.into()))
}

pub async fn delete(State(services): State<Services>, Caller(principal): Caller, Path(id): Path<i64>) -> Result<Response, ApiError> {
    services.delete_provider(&principal, id, Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
