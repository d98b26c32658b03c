//! A tower-sessions `SessionStore` over the `sessions` table, for SQLite and PostgreSQL alike.
//!
//! The published SQL stores target older tower-sessions/sqlx versions (BUILD.md), so this small one is ours.
//! The primary key is the SHA-256 of the cookie token: reading the table does not yield live cookies.
//! Identity fields are copied out of the record data into columns so a password change can end a user's
//! other sessions with one query.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use crate::auth::session::keys;
use crate::store::entity::session;

/// Session persistence over the application database.
#[derive(Clone, Debug)]
pub struct SeaOrmSessionStore {
    db: DatabaseConnection,
}

impl SeaOrmSessionStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// The stored key of a session id (hex SHA-256 of the cookie value).
pub fn storage_key(id: &Id) -> String {
    hex::encode(Sha256::digest(id.to_string().as_bytes()))
}

fn backend(err: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(err.to_string())
}

fn to_chrono(at: time::OffsetDateTime) -> DateTime<Utc> {
    DateTime::from_timestamp(at.unix_timestamp(), at.nanosecond()).unwrap_or_default()
}

fn row_of(record: &Record) -> Result<session::ActiveModel, session_store::Error> {
    let data = serde_json::to_string(&record.data).map_err(backend)?;
    let number = |key: &str| record.data.get(key).and_then(|value| value.as_i64());
    let text = |key: &str| record.data.get(key).and_then(|value| value.as_str()).map(str::to_owned);
    let now = Utc::now();
    let created_at = number(keys::CREATED_AT).and_then(|secs| DateTime::from_timestamp(secs, 0)).unwrap_or(now);
    let last_seen_at = number(keys::LAST_SEEN_AT).and_then(|secs| DateTime::from_timestamp(secs, 0)).unwrap_or(now);
    Ok(session::ActiveModel {
        id: Set(storage_key(&record.id)),
        user_id: Set(number(keys::USER_ID)),
        active_workspace_id: Set(number(keys::WORKSPACE_ID)),
        csrf_token: Set(text(keys::CSRF)),
        data: Set(data),
        created_at: Set(created_at),
        last_seen_at: Set(last_seen_at),
        expires_at: Set(to_chrono(record.expiry_date)),
        ip: Set(text(keys::IP)),
        user_agent: Set(text(keys::USER_AGENT)),
    })
}

#[async_trait::async_trait]
impl SessionStore for SeaOrmSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A 128-bit random id practically never collides; retry anyway rather than overwrite a session.
        loop {
            let existing = session::Entity::find_by_id(storage_key(&record.id)).one(&self.db).await.map_err(backend)?;
            if existing.is_none() {
                break;
            }
            record.id = Id::default();
        }
        self.save(record).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let row = row_of(record)?;
        session::Entity::insert(row)
            .on_conflict(
                OnConflict::column(session::Column::Id)
                    .update_columns([
                        session::Column::UserId,
                        session::Column::ActiveWorkspaceId,
                        session::Column::CsrfToken,
                        session::Column::Data,
                        session::Column::LastSeenAt,
                        session::Column::ExpiresAt,
                        session::Column::Ip,
                        session::Column::UserAgent,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let row = session::Entity::find_by_id(storage_key(id))
            .filter(session::Column::ExpiresAt.gt(Utc::now()))
            .one(&self.db)
            .await
            .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        let data = serde_json::from_str(&row.data).map_err(backend)?;
        let expiry_date = time::OffsetDateTime::from_unix_timestamp(row.expires_at.timestamp()).map_err(backend)?;
        Ok(Some(Record { id: *id, data, expiry_date }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        session::Entity::delete_by_id(storage_key(id)).exec(&self.db).await.map_err(backend)?;
        Ok(())
    }
}

/// Ends every session of `user_id` except the one stored under `keep` (after a password change).
pub async fn delete_other_sessions(db: &DatabaseConnection, user_id: i64, keep: Option<&Id>) -> Result<(), sea_orm::DbErr> {
    let mut query = session::Entity::delete_many().filter(session::Column::UserId.eq(user_id));
    if let Some(keep) = keep {
        query = query.filter(session::Column::Id.ne(storage_key(keep)));
    }
    query.exec(db).await?;
    Ok(())
}
