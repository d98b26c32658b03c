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
