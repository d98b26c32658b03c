//! Who is calling: sign-in with the login throttle, the signed-in principal and its role, password
//! changes, workspace switching, and first-run bootstrap of the Owner.

use chrono::{DateTime, Duration, Utc};
use sea_orm::TransactionTrait;
use serde_json::json;

use crate::auth::password;
use crate::auth::roles::{self, Capability};
use crate::auth::session::SessionIdentity;
use crate::domain::{Actor, Membership, Role, User};
use crate::service::{FieldError, ServiceError, ServiceResult, Services};
use crate::store::{self, audit::NewAudit, users::NewUser};

/// Failed logins per email allowed inside [`THROTTLE_WINDOW`] (SPEC §8.4).
pub const THROTTLE_LIMIT: u64 = 5;
/// The login throttle window.
pub const THROTTLE_WINDOW: Duration = Duration::minutes(15);
/// The one message for every failed login, so it does not reveal which emails exist.
pub const BAD_LOGIN: &str = "invalid email or password";

/// A signed-in user acting in their active workspace.
#[derive(Clone, Debug, PartialEq)]
pub struct Principal {
    pub user: User,
    pub workspace_id: i64,
    pub role: Role,
}

impl Principal {
    /// Refuses unless the principal's role holds `capability` (SPEC §8.1).
    pub fn require(&self, capability: Capability) -> ServiceResult<()> {
        if roles::allows(self.role, capability) {
            Ok(())
        } else {
            Err(ServiceError::Forbidden(format!(
                "your role ({}) does not allow this; it needs {} or higher",
                self.role.as_str(),
                capability.min_role().as_str()
            )))
        }
    }

    /// The audit actor for changes made by this principal.
    pub fn actor(&self) -> Actor {
        Actor { user_id: Some(self.user.id), label: self.user.email.clone() }
    }
}

/// A successful login: the user and the workspace the session opens in.
#[derive(Clone, Debug)]
pub struct LoginOutcome {
    pub user: User,
    pub workspace_id: i64,
    pub role: Role,
    pub memberships: Vec<Membership>,
}

/// The result of first-run bootstrap.
#[derive(Clone, Debug, PartialEq)]
pub enum Bootstrap {
    /// Users exist already; nothing was done.
    AlreadySetUp,
    /// The Owner from `PALISADE_BOOTSTRAP_EMAIL`/`_PASSWORD` was created.
    OwnerCreated { email: String },
    /// A one-time setup token (valid 24 h) was issued; the plaintext is shown once.
    SetupToken { token: String },
}

fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Checks the shape of an email address just enough to catch typos; delivery is not our concern.
pub fn validate_email(field: &str, email: &str) -> Result<String, FieldError> {
    let email = normalize_email(email);
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(email)
    } else {
        Err(FieldError::new(field, "must be a valid email address"))
    }
}

async fn hash_blocking(password: String) -> ServiceResult<String> {
    tokio::task::spawn_blocking(move || password::hash(&password))
        .await
        .map_err(|err| ServiceError::Internal(err.into()))?
        .map_err(|err| ServiceError::Internal(anyhow::anyhow!(err)))
}

async fn verify_blocking(password: String, phc: String) -> ServiceResult<bool> {
    tokio::task::spawn_blocking(move || password::verify(&password, &phc))
        .await
        .map_err(|err| ServiceError::Internal(err.into()))
}

impl Services {
    /// Resolves a session identity into a principal; a disabled user or a lost membership ends it.
    pub async fn resolve_session(&self, identity: &SessionIdentity) -> ServiceResult<Principal> {
        let unauthenticated = ServiceError::Unauthenticated("sign in to continue");
        let Some(user) = store::users::find(&self.db, identity.user_id).await? else { return Err(unauthenticated) };
        if user.disabled {
            return Err(unauthenticated);
        }
        let Some(role) = store::memberships::role(&self.db, identity.workspace_id, user.id).await? else {
            return Err(unauthenticated);
        };
        Ok(Principal { user, workspace_id: identity.workspace_id, role })
    }

    /// Verifies credentials under the login throttle; writes `user_login` in the workspace it opens.
    pub async fn login(&self, email: &str, password: &str, now: DateTime<Utc>) -> ServiceResult<LoginOutcome> {
        let email = normalize_email(email);
        let (failures, oldest) = store::login_failures::since(&self.db, &email, now - THROTTLE_WINDOW).await?;
        if failures >= THROTTLE_LIMIT {
            let retry_at = oldest.unwrap_or(now) + THROTTLE_WINDOW;
            let retry_after_secs = (retry_at - now).num_seconds().max(1) as u64;
            return Err(ServiceError::RateLimited { retry_after_secs });
        }
        let found = store::users::find_with_hash_by_email(&self.db, &email).await?;
        // INVARIANT: an unknown email still costs one argon2 verification (timing does not leak accounts).
        let phc = found.as_ref().map_or_else(|| password::dummy_hash().to_owned(), |(_, hash)| hash.clone());
        let verified = verify_blocking(password.to_owned(), phc).await?;
        let user = match found {
            Some((user, _)) if verified && !user.disabled => user,
            _ => {
                store::login_failures::insert(&self.db, &email, now).await?;
                return Err(ServiceError::Unauthenticated(BAD_LOGIN));
            }
        };
        let memberships = store::memberships::for_user(&self.db, user.id).await?;
        let Some(opening) = memberships.first().cloned() else {
            // A user without any workspace has nothing to open; treat as a failed login.
            return Err(ServiceError::Unauthenticated(BAD_LOGIN));
        };
        let txn = self.db.begin().await?;
        store::login_failures::clear(&txn, &email).await?;
        store::users::touch_login(&txn, user.id, now).await?;
        let actor = Actor { user_id: Some(user.id), label: user.email.clone() };
        store::audit::insert(
            &txn,
            NewAudit {
                workspace_id: opening.workspace_id,
                actor: &actor,
                verb: "user_login",
                target_type: "user",
                target_id: user.id.to_string(),
                metadata: json!({ "id": user.id, "email": user.email }),
            },
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(LoginOutcome { user, workspace_id: opening.workspace_id, role: opening.role, memberships })
    }

    /// The principal's memberships, for `me` and the workspace switcher.
    pub async fn memberships(&self, principal: &Principal) -> ServiceResult<Vec<Membership>> {
        Ok(store::memberships::for_user(&self.db, principal.user.id).await?)
    }

    /// Checks the principal may switch to `workspace_id` (membership required) and returns its role.
    pub async fn check_switch(&self, principal: &Principal, workspace_id: i64) -> ServiceResult<Role> {
        store::memberships::role(&self.db, workspace_id, principal.user.id)
            .await?
            .ok_or(ServiceError::NotFound("workspace"))
    }

    /// Changes the principal's password after checking the current one, then ends every other session of
    /// the user (SPEC §8.3); `keep` is the session the change was made from.
    pub async fn change_password(
        &self,
        principal: &Principal,
        current: &str,
        new: &str,
        keep: Option<&tower_sessions::session::Id>,
        now: DateTime<Utc>,
    ) -> ServiceResult<()> {
        password::check_policy(new).map_err(|message| FieldError::new("new_password", message))?;
        let phc = store::users::find_hash(&self.db, principal.user.id).await?.ok_or(ServiceError::NotFound("user"))?;
        if !verify_blocking(current.to_owned(), phc).await? {
            return Err(FieldError::new("current_password", "is not your current password").into());
        }
        let hash = hash_blocking(new.to_owned()).await?;
        let txn = self.db.begin().await?;
        store::users::set_password(&txn, principal.user.id, &hash, false).await?;
        store::audit::insert(
            &txn,
            NewAudit {
                workspace_id: principal.workspace_id,
                actor: &principal.actor(),
                verb: "user_password_change",
                target_type: "user",
                target_id: principal.user.id.to_string(),
                metadata: json!({ "id": principal.user.id }),
            },
            now,
        )
        .await?;
        txn.commit().await?;
        crate::auth::session_store::delete_other_sessions(&self.db, principal.user.id, keep).await?;
        Ok(())
    }

    /// First run: with no users, creates workspace `default` and its Owner from the bootstrap
    /// credentials, or issues a one-time setup token when none are given.
    pub async fn bootstrap(&self, credentials: Option<(&str, &str)>, now: DateTime<Utc>) -> ServiceResult<Bootstrap> {
        if store::users::count(&self.db).await? > 0 {
            return Ok(Bootstrap::AlreadySetUp);
        }
        match credentials {
            Some((email, password)) => {
                let email = self.create_first_owner(email, password, now).await?;
                Ok(Bootstrap::OwnerCreated { email })
            }
            None => {
                let token = crate::auth::session::new_csrf_token();
                let hash = crate::auth::keys::hash_secret(&token);
                store::setup_tokens::insert(&self.db, &hash, now, now + Duration::hours(24)).await?;
                Ok(Bootstrap::SetupToken { token })
            }
        }
    }

    /// True when `token` is a live setup token and no user exists yet.
    pub async fn setup_token_valid(&self, token: &str, now: DateTime<Utc>) -> ServiceResult<bool> {
        let hash = crate::auth::keys::hash_secret(token);
        Ok(store::users::count(&self.db).await? == 0 && store::setup_tokens::is_valid(&self.db, &hash, now).await?)
    }

    /// Completes first-run setup with the one-time token: creates the Owner.
    pub async fn complete_setup(&self, token: &str, email: &str, password: &str, now: DateTime<Utc>) -> ServiceResult<()> {
        let hash = crate::auth::keys::hash_secret(token);
        if store::users::count(&self.db).await? > 0 || !store::setup_tokens::consume(&self.db, &hash, now).await? {
            return Err(ServiceError::Forbidden("this setup link is invalid, expired or already used".into()));
        }
        self.create_first_owner(email, password, now).await?;
        Ok(())
    }

    async fn create_first_owner(&self, email: &str, password: &str, now: DateTime<Utc>) -> ServiceResult<String> {
        let email = validate_email("email", email)?;
        password::check_policy(password).map_err(|message| FieldError::new("password", message))?;
        let hash = hash_blocking(password.to_owned()).await?;
        let txn = self.db.begin().await?;
        let workspace = store::workspaces::insert(&txn, "default", now).await?;
        let display_name = email.split('@').next().unwrap_or("owner").to_owned();
        let user = store::users::insert(
            &txn,
            NewUser { email: &email, display_name: &display_name, password_hash: &hash, must_change_password: false },
            now,
        )
        .await?;
        store::memberships::insert(&txn, workspace.id, user.id, Role::Owner, None, now).await?;
        let system = Actor { user_id: None, label: "system".into() };
        store::audit::insert(
            &txn,
            NewAudit {
                workspace_id: workspace.id,
                actor: &system,
                verb: "workspace_create",
                target_type: "workspace",
                target_id: workspace.id.to_string(),
                metadata: json!({ "id": workspace.id, "name": workspace.name, "owner": email }),
            },
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(email)
    }
}
