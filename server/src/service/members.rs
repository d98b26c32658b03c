//! Workspace membership: list, add (creating the account with a one-time password when needed), change
//! role and remove. Admins manage Members and Developers; only Owners touch Admins and Owners; the last
//! Owner can be neither demoted nor removed.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::json;

use crate::auth::{keys, password, roles};
use crate::domain::{Actor, KeyKind, Member, Role};
use crate::service::identity::{validate_email, Principal};
use crate::service::{FieldError, ServiceError, ServiceResult, Services};
use crate::store::{self, audit::NewAudit, users::NewUser};

/// The outcome of adding a member.
#[derive(Clone, Debug)]
pub struct AddedMember {
    pub member: Member,
    /// Set when the account was created: shown once, must be changed at first sign-in.
    pub one_time_password: Option<String>,
}

fn parse_role(value: &str) -> Result<Role, FieldError> {
    Role::parse(value).ok_or_else(|| FieldError::new("role", "must be one of member, developer, admin, owner"))
}

/// A random one-time password long enough for the password policy.
fn one_time_password() -> String {
    // Reuse the key generator's alphabet and entropy; strip its prefix.
    let generated = keys::generate(KeyKind::Relay);
    generated.secret.trim_start_matches(KeyKind::Relay.secret_prefix()).chars().take(20).collect()
}

async fn audit_member(
    db: &impl ConnectionTrait,
    workspace_id: i64,
    actor: &Actor,
    verb: &str,
    user_id: i64,
    metadata: serde_json::Value,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    store::audit::insert(
        db,
        NewAudit { workspace_id, actor, verb, target_type: "user", target_id: user_id.to_string(), metadata },
        now,
    )
    .await?;
    Ok(())
}

impl Services {
    /// Every member of the principal's workspace.
    pub async fn list_members(&self, principal: &Principal) -> ServiceResult<Vec<Member>> {
        principal.require(roles::Capability::ReadWorkspace)?;
        Ok(store::memberships::members(&self.db, principal.workspace_id).await?)
    }

    /// Adds `email` with `role` to the principal's workspace.
    pub async fn add_member(&self, principal: &Principal, email: &str, role: &str, now: DateTime<Utc>) -> ServiceResult<AddedMember> {
        let role = parse_role(role)?;
        principal.require(roles::capability_to_assign(role))?;
        self.add_member_as(&principal.actor(), principal.workspace_id, email, role, now).await
    }

    /// Adds a member on behalf of `actor` (a user, or `system` for the admin CLI); no role check.
    pub async fn add_member_as(
        &self,
        actor: &Actor,
        workspace_id: i64,
        email: &str,
        role: Role,
        now: DateTime<Utc>,
    ) -> ServiceResult<AddedMember> {
        let email = validate_email("email", email)?;
        let existing = store::users::find_by_email(&self.db, &email).await?;
        let (password_hash, one_time_password) = match existing {
            Some(_) => (None, None),
            None => {
                let plain = one_time_password();
                let to_hash = plain.clone();
                let hash = tokio::task::spawn_blocking(move || password::hash(&to_hash))
                    .await
                    .map_err(|err| ServiceError::Internal(err.into()))?
                    .map_err(|err| ServiceError::Internal(anyhow::anyhow!(err)))?;
                (Some(hash), Some(plain))
            }
        };
        let txn = self.db.begin().await?;
        let user = match (existing, password_hash) {
            (Some(user), _) => user,
            (None, Some(hash)) => {
                let display_name = email.split('@').next().unwrap_or("user").to_owned();
                store::users::insert(
                    &txn,
                    NewUser { email: &email, display_name: &display_name, password_hash: &hash, must_change_password: true },
                    now,
                )
                .await?
            }
            (None, None) => return Err(ServiceError::Internal(anyhow::anyhow!("new user without a password hash"))),
        };
        if store::memberships::role(&txn, workspace_id, user.id).await?.is_some() {
            return Err(ServiceError::NameTaken(format!("{email} is already a member")));
        }
        store::memberships::insert(&txn, workspace_id, user.id, role, actor.user_id, now).await?;
        let metadata = json!({ "id": user.id, "email": user.email, "role": role.as_str() });
        audit_member(&txn, workspace_id, actor, "member_add", user.id, metadata, now).await?;
        txn.commit().await?;
        Ok(AddedMember { member: Member { user, role, added_at: now }, one_time_password })
    }

    /// Changes the role of `user_id` in the principal's workspace.
    pub async fn change_member_role(&self, principal: &Principal, user_id: i64, role: &str, now: DateTime<Utc>) -> ServiceResult<Member> {
        let new_role = parse_role(role)?;
        let txn = self.db.begin().await?;
        let old_role =
            store::memberships::role(&txn, principal.workspace_id, user_id).await?.ok_or(ServiceError::NotFound("member"))?;
        principal.require(roles::capability_to_assign(old_role))?;
        principal.require(roles::capability_to_assign(new_role))?;
        if old_role == Role::Owner && new_role != Role::Owner && store::memberships::count_owners(&txn, principal.workspace_id).await? <= 1 {
            return Err(ServiceError::Conflict("a workspace keeps at least one owner".into()));
        }
        store::memberships::set_role(&txn, principal.workspace_id, user_id, new_role).await?;
        let metadata = json!({ "id": user_id, "from": old_role.as_str(), "to": new_role.as_str() });
        audit_member(&txn, principal.workspace_id, &principal.actor(), "member_role_change", user_id, metadata, now).await?;
        txn.commit().await?;
        let members = store::memberships::members(&self.db, principal.workspace_id).await?;
        members.into_iter().find(|member| member.user.id == user_id).ok_or(ServiceError::NotFound("member"))
    }

    /// Removes `user_id` from the principal's workspace (the account itself stays).
    pub async fn remove_member(&self, principal: &Principal, user_id: i64, now: DateTime<Utc>) -> ServiceResult<()> {
        let txn = self.db.begin().await?;
        let role =
            store::memberships::role(&txn, principal.workspace_id, user_id).await?.ok_or(ServiceError::NotFound("member"))?;
        principal.require(roles::capability_to_assign(role))?;
        if role == Role::Owner && store::memberships::count_owners(&txn, principal.workspace_id).await? <= 1 {
            return Err(ServiceError::Conflict("the last owner cannot be removed".into()));
        }
        store::memberships::delete(&txn, principal.workspace_id, user_id).await?;
        let metadata = json!({ "id": user_id, "role": role.as_str() });
        audit_member(&txn, principal.workspace_id, &principal.actor(), "member_remove", user_id, metadata, now).await?;
        txn.commit().await?;
        Ok(())
    }
}
