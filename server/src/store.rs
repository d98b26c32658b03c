//! Persistence: SeaORM entities and repository functions, one module per table.
//!
//! Every function takes `db: &impl ConnectionTrait` first so the same call runs on the pool or inside the
//! service's transaction. The store writes what it is given (ids, timestamps come from the service) and
//! knows nothing of HTTP, Leptos or the engine.

pub mod api_keys;
pub mod approvals;
pub mod audit;
pub mod discovered_tools;
pub mod entity;
pub mod firewall;
pub mod firewall_events;
pub mod guardrail_matches;
pub mod guardrails;
pub mod keyset;
pub mod login_failures;
pub mod mcp_servers;
pub mod memberships;
pub mod posture_feeds;
pub mod providers;
pub mod requests;
pub mod run_spend;
pub mod setup_tokens;
pub mod suppressions;
pub mod users;
pub mod verdict_stats;
pub mod workspaces;

use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

pub use migration::{Migrator, MigratorTrait};

/// Opens the database at `url` (SQLite or PostgreSQL, picked from the scheme) and runs every migration.
pub async fn connect_and_migrate(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options.sqlx_logging(false);
    if url.starts_with("sqlite:") {
        // SQLite allows one writer; a small pool avoids "database is locked" storms under load.
        options.max_connections(4);
    } else {
        options.max_connections(16);
    }
    let db = Database::connect(options).await?;
    if url.starts_with("sqlite:") {
        use sea_orm::ConnectionTrait;
        // WAL lets readers proceed during a write; foreign keys are off by default in SQLite.
        db.execute_unprepared("PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;").await?;
    }
    Migrator::up(&db, None).await?;
    Ok(db)
}

/// True when `err` is a unique-constraint violation (a duplicate name, email or hash).
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}

/// True when `table` has a row `id` in `workspace_id`. `table` is one of our own constant names, never
/// user input.
pub async fn exists_in_workspace(
    db: &impl sea_orm::ConnectionTrait,
    table: &'static str,
    workspace_id: i64,
    id: i64,
) -> Result<bool, DbErr> {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
    let query = Query::select()
        .expr(Expr::col(Alias::new("id")))
        .from(Alias::new(table))
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .and_where(Expr::col(Alias::new("workspace_id")).eq(workspace_id))
        .to_owned();
    let statement = db.get_database_backend().build(&query);
    Ok(db.query_one_raw(statement).await?.is_some())
}
