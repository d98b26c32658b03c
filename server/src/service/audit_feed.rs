//! The audit feed (SPEC §7, §2.13): workspace-scoped, newest first, keyset-paginated on (`created_at`,
//! `id`) with an opaque cursor. Read-only; snapshots are never returned (the domain row has none).

use chrono::{DateTime, Duration, Utc};

use crate::auth::roles::Capability;
use crate::domain::AuditEntry;
use crate::service::identity::Principal;
use crate::service::{FieldError, ServiceError, ServiceResult, Services};
use crate::store::{self, audit::AuditFilter, keyset};

/// Feed query as the adapters parse it.
#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    pub verbs: Vec<String>,
    pub actor_user_id: Option<i64>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub days: Option<i64>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// One page of the feed.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditPage {
    pub data: Vec<AuditEntry>,
    pub next_cursor: Option<String>,
}

impl Services {
    /// `GET /api/audit`.
    pub async fn audit_feed(&self, principal: &Principal, query: AuditQuery, now: DateTime<Utc>) -> ServiceResult<AuditPage> {
        principal.require(Capability::ReadWorkspace)?;
        let mut errors = Vec::new();
        let limit = query.limit.unwrap_or(50);
        if !(1..=200).contains(&limit) {
            errors.push(FieldError::new("limit", "must be between 1 and 200"));
        }
        let after = match query.cursor.as_deref().filter(|c| !c.is_empty()) {
            Some(cursor) => match keyset::decode_cursor(cursor) {
                Some(position) => Some(position),
                None => {
                    errors.push(FieldError::new("cursor", "is not a cursor returned by this feed"));
                    None
                }
            },
            None => None,
        };
        let mut since = query.since;
        if let Some(days) = query.days {
            if !(1..=180).contains(&days) {
                errors.push(FieldError::new("days", "must be between 1 and 180"));
            }
            since = Some(now - Duration::days(days));
        }
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        let filter = AuditFilter {
            verbs: query.verbs,
            actor_user_id: query.actor_user_id,
            target_type: query.target_type,
            target_id: query.target_id,
            since,
            until: query.until,
        };
        let rows = store::audit::page(&self.db, principal.workspace_id, &filter, after, limit + 1).await?;
        let (data, next_cursor) = keyset::finish(rows, limit, |row| (row.created_at, row.id));
        Ok(AuditPage { data, next_cursor })
    }

    /// `GET /api/audit/:id`.
    pub async fn audit_entry(&self, principal: &Principal, id: i64) -> ServiceResult<AuditEntry> {
        principal.require(Capability::ReadWorkspace)?;
        store::audit::find(&self.db, principal.workspace_id, id).await?.ok_or(ServiceError::NotFound("audit row"))
    }
}
