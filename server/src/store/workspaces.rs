//! Workspaces and their settings row.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, Set};

use crate::domain::Workspace;
use crate::store::entity::workspace;

impl From<workspace::Model> for Workspace {
    fn from(row: workspace::Model) -> Self {
        Workspace { id: row.id, name: row.name, created_at: row.created_at }
    }
}

/// Inserts a workspace with default settings.
pub async fn insert(db: &impl ConnectionTrait, name: &str, now: DateTime<Utc>) -> Result<Workspace, DbErr> {
    let row = workspace::ActiveModel {
        name: Set(name.to_owned()),
        created_at: Set(now),
        observe_mode: Set(false),
        default_firewall_policy_id: Set(None),
        default_guardrail_id: Set(None),
        approval_webhook_url: Set(None),
        approval_webhook_secret_enc: Set(None),
        approval_ttl_seconds: Set(86_400),
        log_retention_days: Set(30),
        judge_model: Set(None),
        settings_updated_at: Set(now),
        posture_version: Set(1),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(row.into())
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> Result<Option<Workspace>, DbErr> {
    Ok(workspace::Entity::find_by_id(id).one(db).await?.map(Into::into))
}

pub async fn count(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    workspace::Entity::find().count(db).await
}

/// The settings of a workspace (SPEC §2.1); the webhook secret stays sealed.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkspaceSettings {
    pub workspace_id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub observe_mode: bool,
    pub default_firewall_policy_id: Option<i64>,
    pub default_guardrail_id: Option<i64>,
    pub approval_webhook_url: Option<String>,
    pub approval_webhook_secret_enc: Option<String>,
    pub approval_ttl_seconds: i64,
    pub log_retention_days: i64,
    pub judge_model: Option<String>,
    pub settings_updated_at: DateTime<Utc>,
    pub posture_version: i64,
}

impl From<workspace::Model> for WorkspaceSettings {
    fn from(row: workspace::Model) -> Self {
        WorkspaceSettings {
            workspace_id: row.id,
            name: row.name,
            created_at: row.created_at,
            observe_mode: row.observe_mode,
            default_firewall_policy_id: row.default_firewall_policy_id,
            default_guardrail_id: row.default_guardrail_id,
            approval_webhook_url: row.approval_webhook_url,
            approval_webhook_secret_enc: row.approval_webhook_secret_enc,
            approval_ttl_seconds: row.approval_ttl_seconds,
            log_retention_days: row.log_retention_days,
            judge_model: row.judge_model,
            settings_updated_at: row.settings_updated_at,
            posture_version: row.posture_version,
        }
    }
}

/// The settings of workspace `id`.
pub async fn settings(db: &impl ConnectionTrait, id: i64) -> Result<Option<WorkspaceSettings>, DbErr> {
    Ok(workspace::Entity::find_by_id(id).one(db).await?.map(Into::into))
}

/// The posture fields of the settings (SPEC §6.6 `firewall_settings_update`), written as a whole.
#[derive(Clone, Debug, PartialEq)]
pub struct PostureSettings {
    pub observe_mode: bool,
    pub default_firewall_policy_id: Option<i64>,
    pub default_guardrail_id: Option<i64>,
    pub approval_webhook_url: Option<String>,
    pub approval_webhook_secret_enc: Option<String>,
    pub approval_ttl_seconds: i64,
}

impl From<&WorkspaceSettings> for PostureSettings {
    fn from(s: &WorkspaceSettings) -> Self {
        PostureSettings {
            observe_mode: s.observe_mode,
            default_firewall_policy_id: s.default_firewall_policy_id,
            default_guardrail_id: s.default_guardrail_id,
            approval_webhook_url: s.approval_webhook_url.clone(),
            approval_webhook_secret_enc: s.approval_webhook_secret_enc.clone(),
            approval_ttl_seconds: s.approval_ttl_seconds,
        }
    }
}

/// Writes the posture fields of workspace `id`. Does not bump `posture_version` (see
/// `bump_posture_version`, called once per change in the same transaction).
pub async fn update_posture_settings(
    db: &impl ConnectionTrait,
    id: i64,
    posture: &PostureSettings,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    workspace::ActiveModel {
        id: Set(id),
        observe_mode: Set(posture.observe_mode),
        default_firewall_policy_id: Set(posture.default_firewall_policy_id),
        default_guardrail_id: Set(posture.default_guardrail_id),
        approval_webhook_url: Set(posture.approval_webhook_url.clone()),
        approval_webhook_secret_enc: Set(posture.approval_webhook_secret_enc.clone()),
        approval_ttl_seconds: Set(posture.approval_ttl_seconds),
        settings_updated_at: Set(now),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Adds one to `posture_version` of workspace `id` (one atomic UPDATE, safe under concurrent writers) and
/// returns the new value. Called in the transaction of every posture change, so relay caches keyed by the
/// version see the change exactly when it commits.
pub async fn bump_posture_version(db: &impl ConnectionTrait, id: i64) -> Result<i64, DbErr> {
    use sea_orm::sea_query::{Expr, ExprTrait};
    use sea_orm::{ColumnTrait, QueryFilter};
    workspace::Entity::update_many()
        .col_expr(workspace::Column::PostureVersion, Expr::col(workspace::Column::PostureVersion).add(1))
        .filter(workspace::Column::Id.eq(id))
        .exec(db)
        .await?;
    workspace::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|row| row.posture_version)
        .ok_or_else(|| DbErr::RecordNotFound(format!("workspace {id}")))
}

/// The current `posture_version` of workspace `id` (0 when it does not exist).
pub async fn posture_version(db: &impl ConnectionTrait, id: i64) -> Result<i64, DbErr> {
    Ok(workspace::Entity::find_by_id(id).one(db).await?.map_or(0, |row| row.posture_version))
}

/// Writes the non-posture settings (retention, judge model) of workspace `id`.
pub async fn update_general_settings(
    db: &impl ConnectionTrait,
    id: i64,
    log_retention_days: i64,
    judge_model: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    workspace::ActiveModel {
        id: Set(id),
        log_retention_days: Set(log_retention_days),
        judge_model: Set(judge_model.map(str::to_owned)),
        settings_updated_at: Set(now),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Renames workspace `id` (names are not unique across workspaces).
pub async fn rename(db: &impl ConnectionTrait, id: i64, name: &str) -> Result<(), DbErr> {
    workspace::ActiveModel { id: Set(id), name: Set(name.to_owned()), ..Default::default() }.update(db).await?;
    Ok(())
}
