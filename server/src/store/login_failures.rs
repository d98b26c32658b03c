//! Failed login attempts per email, for the login throttle. Kept in the database so every replica
//! sees the same count.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};

use crate::store::entity::login_failure;

pub async fn insert(db: &impl ConnectionTrait, email: &str, now: DateTime<Utc>) -> Result<(), DbErr> {
    login_failure::ActiveModel { email: Set(email.to_owned()), created_at: Set(now), ..Default::default() }
        .insert(db)
        .await?;
    Ok(())
}

/// Failures for `email` since `since`, and the oldest of them (to compute `Retry-After`).
pub async fn since(db: &impl ConnectionTrait, email: &str, since: DateTime<Utc>) -> Result<(u64, Option<DateTime<Utc>>), DbErr> {
    let query = login_failure::Entity::find()
        .filter(login_failure::Column::Email.eq(email))
        .filter(login_failure::Column::CreatedAt.gt(since));
    let count = query.clone().count(db).await?;
    let oldest = query.order_by_asc(login_failure::Column::CreatedAt).one(db).await?.map(|row| row.created_at);
    Ok((count, oldest))
}

/// Forgets the failures of `email` after a successful login.
pub async fn clear(db: &impl ConnectionTrait, email: &str) -> Result<(), DbErr> {
    login_failure::Entity::delete_many().filter(login_failure::Column::Email.eq(email)).exec(db).await?;
    Ok(())
}
