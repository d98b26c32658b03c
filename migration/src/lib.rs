//! Schema history of Palisade. One file per change; a shipped migration is never edited.
//!
//! Migrations name tables and columns with local identifiers and never import the server's entities:
//! entities follow today's code, history must not. The same migrations run on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_identity;
mod m20261123_000002_posture;
mod m20261123_000003_feeds;
mod schema_util;

/// The ordered list of every migration; `palisade migrate` and server start-up run it.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_identity::Migration),
            Box::new(m20261123_000002_posture::Migration),
            Box::new(m20261123_000003_feeds::Migration),
        ]
    }
}
