//! Run spend for `cap_cost` (SPEC §5.7): metered micro-dollars per (workspace, run id), bumped with one
//! atomic upsert so replicas on one PostgreSQL agree.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

use crate::store::entity::run_spend;

/// Adds `micros` to the spend of `run_id` (creating the row on first use).
pub async fn add(db: &impl ConnectionTrait, workspace_id: i64, run_id: &str, micros: i64, now: DateTime<Utc>) -> Result<(), DbErr> {
    let row = run_spend::ActiveModel {
        workspace_id: Set(workspace_id),
        run_id: Set(run_id.to_owned()),
        spent_micros: Set(micros),
        updated_at: Set(now),
        ..Default::default()
    };
    run_spend::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([run_spend::Column::WorkspaceId, run_spend::Column::RunId])
                .value(run_spend::Column::SpentMicros, Expr::col((run_spend::Entity, run_spend::Column::SpentMicros)).add(micros))
                .value(run_spend::Column::UpdatedAt, now)
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The spend of `run_id` so far (0 when unseen).
pub async fn get(db: &impl ConnectionTrait, workspace_id: i64, run_id: &str) -> Result<i64, DbErr> {
    let row = run_spend::Entity::find()
        .filter(run_spend::Column::WorkspaceId.eq(workspace_id))
        .filter(run_spend::Column::RunId.eq(run_id))
        .one(db)
        .await?;
    Ok(row.map_or(0, |row| row.spent_micros))
}

/// Adds `micros` to the key's `spent_micros` in one atomic UPDATE (metering, §3.6). Lives here rather than
/// in `api_keys` because only the relay's meter writes it.
pub async fn add_key_spend(db: &impl ConnectionTrait, key_id: i64, micros: i64) -> Result<(), DbErr> {
    use crate::store::entity::api_key;
    api_key::Entity::update_many()
        .col_expr(api_key::Column::SpentMicros, Expr::col(api_key::Column::SpentMicros).add(micros))
        .filter(api_key::Column::Id.eq(key_id))
        .exec(db)
        .await?;
    Ok(())
}
