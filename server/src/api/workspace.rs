//! `GET /api/workspace` and `PATCH /api/workspace/settings` (SPEC §2.1, §8.2): the workspace with its
//! settings; the webhook secret is write-only and reads back as `approval_webhook_secret_set`.

use axum::extract::State;
use axum::Json;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::posture_dto::double_option;
use crate::api::{ApiError, ApiJson, Caller};
use crate::service::posture::SettingsInput;
use crate::service::Services;
use crate::store::workspaces::WorkspaceSettings;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsRequest {
    #[serde(default)]
    pub observe_mode: Option<bool>,
    #[serde(default, deserialize_with = "double_option")]
    pub default_firewall_policy_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    pub default_guardrail_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    pub approval_webhook_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub approval_webhook_secret: Option<Option<String>>,
    #[serde(default)]
    pub approval_ttl_seconds: Option<i64>,
    #[serde(default)]
    pub log_retention_days: Option<i64>,
    #[serde(default, deserialize_with = "double_option")]
    pub judge_model: Option<Option<String>>,
    #[serde(default)]
    pub name: Option<String>,
}

fn view(s: &WorkspaceSettings) -> Value {
    json!({
        "id": s.workspace_id,
        "name": s.name,
        "created_at": s.created_at,
        "posture_version": s.posture_version,
        "settings": {
            "observe_mode": s.observe_mode,
            "default_firewall_policy_id": s.default_firewall_policy_id,
            "default_guardrail_id": s.default_guardrail_id,
            "approval_webhook_url": s.approval_webhook_url,
            "approval_webhook_secret_set": s.approval_webhook_secret_enc.is_some(),
            "approval_ttl_seconds": s.approval_ttl_seconds,
            "log_retention_days": s.log_retention_days,
            "judge_model": s.judge_model,
            "updated_at": s.settings_updated_at,
        },
    })
}

pub async fn get(State(services): State<Services>, Caller(principal): Caller) -> Result<Json<Value>, ApiError> {
    Ok(Json(view(&services.workspace_settings(&principal).await?)))
}

pub async fn update_settings(State(services): State<Services>, Caller(principal): Caller, ApiJson(req): ApiJson<SettingsRequest>) -> Result<Json<Value>, ApiError> {
    let input = SettingsInput {
        observe_mode: req.observe_mode,
        default_firewall_policy_id: req.default_firewall_policy_id,
        default_guardrail_id: req.default_guardrail_id,
        approval_webhook_url: req.approval_webhook_url,
        approval_webhook_secret: req.approval_webhook_secret,
        approval_ttl_seconds: req.approval_ttl_seconds,
        log_retention_days: req.log_retention_days,
        judge_model: req.judge_model,
        name: req.name,
    };
    Ok(Json(view(&services.update_workspace_settings(&principal, input, Utc::now()).await?)))
}
