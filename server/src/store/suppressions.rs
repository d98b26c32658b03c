//! False-positive suppressions (SPEC §2.10, §4.11): one row per (workspace, fingerprint). The relay reads
//! the fingerprint set through the posture cache; the service keeps the matches' `false_positive` flags
//! in step with these rows.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use crate::store::entity::suppression;

/// One suppression as read.
#[derive(Clone, Debug, PartialEq)]
pub struct SuppressionRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub fingerprint: String,
    pub guardrail_id: i64,
    pub rule_id: i64,
    pub entity_type: String,
    pub source_match_id: Option<i64>,
    pub note: String,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

impl From<suppression::Model> for SuppressionRecord {
    fn from(row: suppression::Model) -> Self {
        SuppressionRecord {
            id: row.id,
            workspace_id: row.workspace_id,
            fingerprint: row.fingerprint,
            guardrail_id: row.guardrail_id,
            rule_id: row.rule_id,
            entity_type: row.entity_type,
            source_match_id: row.source_match_id,
            note: row.note,
            created_by: row.created_by,
            created_at: row.created_at,
        }
    }
}

/// A suppression to add (the id comes from the database).
#[derive(Clone, Debug)]
pub struct NewSuppression {
    pub workspace_id: i64,
    pub fingerprint: String,
    pub guardrail_id: i64,
    pub rule_id: i64,
    pub entity_type: String,
    pub source_match_id: Option<i64>,
    pub note: String,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

pub async fn insert(db: &impl ConnectionTrait, new: NewSuppression) -> Result<SuppressionRecord, DbErr> {
    let row = suppression::ActiveModel {
        workspace_id: Set(new.workspace_id),
        fingerprint: Set(new.fingerprint),
        guardrail_id: Set(new.guardrail_id),
        rule_id: Set(new.rule_id),
        entity_type: Set(new.entity_type),
        source_match_id: Set(new.source_match_id),
        note: Set(new.note),
        created_by: Set(new.created_by),
        created_at: Set(new.created_at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(row.into())
}

/// The suppression `id` of `workspace_id` (None when absent or in another workspace).
pub async fn find(db: &impl ConnectionTrait, workspace_id: i64, id: i64) -> Result<Option<SuppressionRecord>, DbErr> {
    let row = suppression::Entity::find_by_id(id).filter(suppression::Column::WorkspaceId.eq(workspace_id)).one(db).await?;
    Ok(row.map(Into::into))
}

/// The suppression of `fingerprint` in `workspace_id`, if any.
pub async fn find_by_fingerprint(db: &impl ConnectionTrait, workspace_id: i64, fingerprint: &str) -> Result<Option<SuppressionRecord>, DbErr> {
    let row = suppression::Entity::find()
        .filter(suppression::Column::WorkspaceId.eq(workspace_id))
        .filter(suppression::Column::Fingerprint.eq(fingerprint))
        .one(db)
        .await?;
    Ok(row.map(Into::into))
}

/// Every suppression of `workspace_id`, newest first (a workspace has few; the list is not paged).
pub async fn list(db: &impl ConnectionTrait, workspace_id: i64) -> Result<Vec<SuppressionRecord>, DbErr> {
    let rows = suppression::Entity::find()
        .filter(suppression::Column::WorkspaceId.eq(workspace_id))
        .order_by_desc(suppression::Column::CreatedAt)
        .order_by_desc(suppression::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Deletes suppression `id` of `workspace_id`; false when there was none.
pub async fn delete(db: &impl ConnectionTrait, workspace_id: i64, id: i64) -> Result<bool, DbErr> {
    let result = suppression::Entity::delete_many()
        .filter(suppression::Column::Id.eq(id))
        .filter(suppression::Column::WorkspaceId.eq(workspace_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// The suppressed fingerprints of `workspace_id`, for the engine's fold (loaded once per posture version).
pub async fn fingerprints(db: &impl ConnectionTrait, workspace_id: i64) -> Result<HashSet<String>, DbErr> {
    let rows: Vec<String> = suppression::Entity::find()
        .select_only()
        .column(suppression::Column::Fingerprint)
        .filter(suppression::Column::WorkspaceId.eq(workspace_id))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}
