//! One-time first-run setup tokens (stored hashed, valid 24 h).

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

use crate::store::entity::setup_token;

pub async fn insert(db: &impl ConnectionTrait, token_hash: &str, now: DateTime<Utc>, expires_at: DateTime<Utc>) -> Result<(), DbErr> {
    setup_token::ActiveModel {
        token_hash: Set(token_hash.to_owned()),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Marks the token used if it is known, unused and unexpired; true when it was consumed by this call.
pub async fn consume(db: &impl ConnectionTrait, token_hash: &str, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let result = setup_token::Entity::update_many()
        .col_expr(setup_token::Column::UsedAt, sea_orm::sea_query::Expr::value(now))
        .filter(setup_token::Column::TokenHash.eq(token_hash))
        .filter(setup_token::Column::UsedAt.is_null())
        .filter(setup_token::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// True when the token is known, unused and unexpired (read-only check for the setup page).
pub async fn is_valid(db: &impl ConnectionTrait, token_hash: &str, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let row = setup_token::Entity::find()
        .filter(setup_token::Column::TokenHash.eq(token_hash))
        .filter(setup_token::Column::UsedAt.is_null())
        .filter(setup_token::Column::ExpiresAt.gt(now))
        .one(db)
        .await?;
    Ok(row.is_some())
}
