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

/// An autonomy row's snapshot: the serialized posture (None when it exceeded the cap), its size and
/// whether undo is available.
pub struct AuditSnapshot {
    pub snapshot: Option<String>,
    pub snapshot_bytes: i64,
    pub undo_available: bool,
}

/// Appends an autonomy row carrying its snapshot (SPEC §2.13, §6.5).
pub async fn insert_with_snapshot(
    db: &impl ConnectionTrait,
    new: NewAudit<'_>,
    snapshot: AuditSnapshot,
    now: DateTime<Utc>,
) -> Result<AuditEntry, DbErr> {
    let entry = insert(db, new, now).await?;
    let row = audit_log::ActiveModel {
        id: Set(entry.id),
        undo_available: Set(Some(snapshot.undo_available)),
        snapshot_bytes: Set(Some(snapshot.snapshot_bytes)),
        snapshot: Set(snapshot.snapshot),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(row.into())
}

/// Row `id` of `workspace_id` (without its snapshot).
pub async fn find(db: &impl ConnectionTrait, workspace_id: i64, id: i64) -> Result<Option<AuditEntry>, DbErr> {
    Ok(audit_log::Entity::find_by_id(id)
        .filter(audit_log::Column::WorkspaceId.eq(workspace_id))
        .one(db)
        .await?
        .map(Into::into))
}

/// The stored snapshot of row `id` of `workspace_id`, if any. Never returned by any API.
pub async fn snapshot(db: &impl ConnectionTrait, workspace_id: i64, id: i64) -> Result<Option<String>, DbErr> {
    Ok(audit_log::Entity::find_by_id(id)
        .filter(audit_log::Column::WorkspaceId.eq(workspace_id))
        .one(db)
        .await?
        .and_then(|row| row.snapshot))
}

/// Rows of `workspace_id` after `after_id` whose verb is in `verbs`: `(id, verb)`, oldest first.
pub async fn verbs_after(db: &impl ConnectionTrait, workspace_id: i64, after_id: i64, verbs: &[&str]) -> Result<Vec<(i64, String)>, DbErr> {
    Ok(audit_log::Entity::find()
        .filter(audit_log::Column::WorkspaceId.eq(workspace_id))
        .filter(audit_log::Column::Id.gt(after_id))
        .filter(audit_log::Column::Verb.is_in(verbs.iter().copied()))
        .order_by_asc(audit_log::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.id, row.verb))
        .collect())
}

/// The newest row of `workspace_id` whose verb is in `verbs`.
pub async fn latest_with_verbs(db: &impl ConnectionTrait, workspace_id: i64, verbs: &[&str]) -> Result<Option<AuditEntry>, DbErr> {
    Ok(audit_log::Entity::find()
        .filter(audit_log::Column::WorkspaceId.eq(workspace_id))
        .filter(audit_log::Column::Verb.is_in(verbs.iter().copied()))
        .order_by_desc(audit_log::Column::Id)
        .one(db)
        .await?
        .map(Into::into))
}

/// Filters of the audit feed (SPEC §7); empty `verbs` = any verb.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub verbs: Vec<String>,
    pub actor_user_id: Option<i64>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// One page of the feed, newest first by (`created_at`, `id`), strictly after the keyset `cursor`.
pub async fn page(
    db: &impl ConnectionTrait,
    workspace_id: i64,
    filter: &AuditFilter,
    cursor: Option<(DateTime<Utc>, i64)>,
    limit: u64,
) -> Result<Vec<AuditEntry>, DbErr> {
    use sea_orm::Condition;
    let mut query = audit_log::Entity::find().filter(audit_log::Column::WorkspaceId.eq(workspace_id));
    if !filter.verbs.is_empty() {
        query = query.filter(audit_log::Column::Verb.is_in(filter.verbs.iter().cloned()));
    }
    if let Some(user) = filter.actor_user_id {
        query = query.filter(audit_log::Column::ActorUserId.eq(user));
    }
    if let Some(target_type) = &filter.target_type {
        query = query.filter(audit_log::Column::TargetType.eq(target_type.clone()));
    }
    if let Some(target_id) = &filter.target_id {
        query = query.filter(audit_log::Column::TargetId.eq(target_id.clone()));
    }
    if let Some(since) = filter.since {
        query = query.filter(audit_log::Column::CreatedAt.gte(since));
    }
    if let Some(until) = filter.until {
        query = query.filter(audit_log::Column::CreatedAt.lt(until));
    }
    if let Some((at, id)) = cursor {
        query = query.filter(
            Condition::any()
                .add(audit_log::Column::CreatedAt.lt(at))
                .add(Condition::all().add(audit_log::Column::CreatedAt.eq(at)).add(audit_log::Column::Id.lt(id))),
        );
    }
    let rows = query
        .order_by_desc(audit_log::Column::CreatedAt)
        .order_by_desc(audit_log::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}
