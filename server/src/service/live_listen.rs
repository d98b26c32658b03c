//! Cross-replica invalidation of the [`LiveCache`] on PostgreSQL: every change `NOTIFY`s [`CHANNEL`] inside
//! its own transaction (so the message is delivered exactly when the change commits, and never for a change
//! that rolled back), and each process `LISTEN`s and drops what the message names.
//!
//! SQLite is one process by design, so both halves do nothing there; `MAX_AGE` bounds anything missed.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, Statement};

use crate::service::live_cache::{Invalidation, LiveCache, CHANNEL};

/// Queues the notification of `change` in the transaction (or connection) `db`; a no-op on SQLite.
pub async fn notify(db: &impl ConnectionTrait, change: Invalidation) -> Result<(), DbErr> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    let statement = Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [CHANNEL.into(), change.payload().into()],
    );
    db.execute_raw(statement).await?;
    Ok(())
}

/// Starts the listener task when `db` is PostgreSQL and a Tokio runtime is running.
pub fn spawn_listener(db: &DatabaseConnection, cache: Arc<LiveCache>) {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return;
    }
    let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
    let pool = db.get_postgres_connection_pool().clone();
    runtime.spawn(listen(pool, cache));
}

async fn listen(pool: sea_orm::sqlx::PgPool, cache: Arc<LiveCache>) {
    use sea_orm::sqlx::postgres::PgListener;
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(listener) => listener,
            Err(err) => {
                tracing::warn!(error = %err, "change listener cannot connect; retrying in 1 s");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(err) = listener.listen(CHANNEL).await {
            tracing::warn!(error = %err, "LISTEN failed; retrying in 1 s");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        // Whatever changed while we were not listening is unknown: start from nothing.
        cache.clear();
        loop {
            match listener.try_recv().await {
                Ok(Some(message)) => match Invalidation::parse(message.payload()) {
                    Some(change) => cache.invalidate(change),
                    None => tracing::warn!("ignoring an unknown change notification"),
                },
                // The connection dropped; the next `try_recv` reconnects and notifications may be lost.
                Ok(None) => cache.clear(),
                Err(err) => {
                    tracing::warn!(error = %err, "change listener failed; reconnecting");
                    break;
                }
            }
        }
        // Stop when the pool is closed (shutdown), otherwise reconnect.
        if pool.is_closed() {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
