//! User accounts. Emails are stored lowercased; the password hash is only read for verification.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, Set,
};

use crate::domain::User;
use crate::store::entity::user;

impl From<user::Model> for User {
    fn from(row: user::Model) -> Self {
        User {
            id: row.id,
            email: row.email,
            display_name: row.display_name,
            must_change_password: row.must_change_password,
            disabled: row.disabled,
            created_at: row.created_at,
            last_login_at: row.last_login_at,
        }
    }
}

/// What a new account is created with.
pub struct NewUser<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub must_change_password: bool,
}

pub async fn insert(db: &impl ConnectionTrait, new: NewUser<'_>, now: DateTime<Utc>) -> Result<User, DbErr> {
    let row = user::ActiveModel {
        email: Set(new.email.to_owned()),
        display_name: Set(new.display_name.to_owned()),
        password_hash: Set(new.password_hash.to_owned()),
        must_change_password: Set(new.must_change_password),
        disabled: Set(false),
        created_at: Set(now),
        last_login_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(row.into())
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> Result<Option<User>, DbErr> {
    Ok(user::Entity::find_by_id(id).one(db).await?.map(Into::into))
}

/// The user with this (already lowercased) email and its password hash.
pub async fn find_with_hash_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<(User, String)>, DbErr> {
    let row = user::Entity::find().filter(user::Column::Email.eq(email)).one(db).await?;
    Ok(row.map(|row| {
        let hash = row.password_hash.clone();
        (row.into(), hash)
    }))
}

pub async fn find_hash(db: &impl ConnectionTrait, id: i64) -> Result<Option<String>, DbErr> {
    Ok(user::Entity::find_by_id(id).one(db).await?.map(|row| row.password_hash))
}

pub async fn find_by_email(db: &impl ConnectionTrait, email: &str) -> Result<Option<User>, DbErr> {
    Ok(find_with_hash_by_email(db, email).await?.map(|(user, _)| user))
}

pub async fn set_password(
    db: &impl ConnectionTrait,
    id: i64,
    password_hash: &str,
    must_change_password: bool,
) -> Result<(), DbErr> {
    user::ActiveModel {
        id: Set(id),
        password_hash: Set(password_hash.to_owned()),
        must_change_password: Set(must_change_password),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

pub async fn touch_login(db: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<(), DbErr> {
    user::ActiveModel { id: Set(id), last_login_at: Set(Some(now)), ..Default::default() }.update(db).await?;
    Ok(())
}

pub async fn count(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    user::Entity::find().count(db).await
}
