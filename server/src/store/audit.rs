//! The append-only audit trail. Rows are inserted in the transaction of the change they describe and
//! never updated or pruned.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use crate::domain::{Actor, AuditEntry};
use crate::store::entity::audit_log;

impl From<audit_log::Model> for AuditEntry {
    fn from(row: audit_log::Model) -> Self {
        AuditEntry {
            id: row.id,
            workspace_id: row.workspace_id,
            created_at: row.created_at,
            actor_type: row.actor_type,
            actor_user_id: row.actor_user_id,
            actor_label: row.actor_label,
            verb: row.verb,
            target_type: row.target_type,
            target_id: row.target_id,
            metadata: row.metadata,
            undo_available: row.undo_available,
            snapshot_bytes: row.snapshot_bytes,
        }
    }
}

/// One audit row to append (metadata holds safe fields only: never secrets, bodies or arguments).
pub struct NewAudit<'a> {
    pub workspace_id: i64,
    pub actor: &'a Actor,
    pub verb: &'a str,
    pub target_type: &'a str,
    pub target_id: String,
    pub metadata: serde_json::Value,
}

pub async fn insert(db: &impl ConnectionTrait, new: NewAudit<'_>, now: DateTime<Utc>) -> Result<AuditEntry, DbErr> {
    let actor_type = if new.actor.user_id.is_some() {
        "user"
    } else if new.actor.label.starts_with("webhook:") {
        "webhook"
    } else {
        "system"
    };
    let row = audit_log::ActiveModel {
        workspace_id: Set(new.workspace_id),
        created_at: Set(now),
        actor_type: Set(actor_type.to_owned()),
        actor_user_id: Set(new.actor.user_id),
        actor_label: Set(new.actor.label.clone()),
        verb: Set(new.verb.to_owned()),
        target_type: Set(new.target_type.to_owned()),
        target_id: Set(new.target_id),
        metadata: Set(new.metadata),
        undo_available: Set(None),
        snapshot_bytes: Set(None),
        snapshot: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(row.into())
}

/// The newest rows of a workspace, newest first (the full feed with filters arrives with Posture).
pub async fn recent(db: &impl ConnectionTrait, workspace_id: i64, limit: u64) -> Result<Vec<AuditEntry>, DbErr> {
    let rows = audit_log::Entity::find()
        .filter(audit_log::Column::WorkspaceId.eq(workspace_id))
        .order_by_desc(audit_log::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}
