//! Memberships: which user holds which role in which workspace.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    Set,
};

use crate::domain::{Member, Membership, Role};
use crate::store::entity::{membership, user, workspace};

fn role_of(stored: &str) -> Result<Role, DbErr> {
    Role::parse(stored).ok_or_else(|| DbErr::Type(format!("unknown role `{stored}` in memberships")))
}

pub async fn insert(
    db: &impl ConnectionTrait,
    workspace_id: i64,
    user_id: i64,
    role: Role,
    added_by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    membership::ActiveModel {
        workspace_id: Set(workspace_id),
        user_id: Set(user_id),
        role: Set(role.as_str().to_owned()),
        created_at: Set(now),
        added_by: Set(added_by),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The user's role in the workspace, if they are a member.
pub async fn role(db: &impl ConnectionTrait, workspace_id: i64, user_id: i64) -> Result<Option<Role>, DbErr> {
    let row = membership::Entity::find_by_id((workspace_id, user_id)).one(db).await?;
    row.map(|row| role_of(&row.role)).transpose()
}

/// Every workspace the user belongs to, oldest membership first.
pub async fn for_user(db: &impl ConnectionTrait, user_id: i64) -> Result<Vec<Membership>, DbErr> {
    let rows = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .order_by_asc(membership::Column::CreatedAt)
        .all(db)
        .await?;
    let mut memberships = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(ws) = workspace::Entity::find_by_id(row.workspace_id).one(db).await? else { continue };
        memberships.push(Membership {
            workspace_id: row.workspace_id,
            workspace_name: ws.name,
            user_id: row.user_id,
            role: role_of(&row.role)?,
            created_at: row.created_at,
        });
    }
    Ok(memberships)
}

/// Every member of the workspace with their account, by join date.
pub async fn members(db: &impl ConnectionTrait, workspace_id: i64) -> Result<Vec<Member>, DbErr> {
    let rows = membership::Entity::find()
        .filter(membership::Column::WorkspaceId.eq(workspace_id))
        .order_by_asc(membership::Column::CreatedAt)
        .all(db)
        .await?;
    let mut members = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(account) = user::Entity::find_by_id(row.user_id).one(db).await? else { continue };
        members.push(Member { user: account.into(), role: role_of(&row.role)?, added_at: row.created_at });
    }
    Ok(members)
}

pub async fn set_role(db: &impl ConnectionTrait, workspace_id: i64, user_id: i64, role: Role) -> Result<(), DbErr> {
    membership::ActiveModel {
        workspace_id: Set(workspace_id),
        user_id: Set(user_id),
        role: Set(role.as_str().to_owned()),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

pub async fn delete(db: &impl ConnectionTrait, workspace_id: i64, user_id: i64) -> Result<(), DbErr> {
    membership::Entity::delete_by_id((workspace_id, user_id)).exec(db).await?;
    Ok(())
}

pub async fn count_owners(db: &impl ConnectionTrait, workspace_id: i64) -> Result<u64, DbErr> {
    membership::Entity::find()
        .filter(membership::Column::WorkspaceId.eq(workspace_id))
        .filter(membership::Column::Role.eq(Role::Owner.as_str()))
        .count(db)
        .await
}
