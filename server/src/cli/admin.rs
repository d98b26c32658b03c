//! `palisade admin create-user` and `palisade admin create-key`: operator tools that act as `system`
//! (audited), for automation and for recovering a workspace without the console.

use chrono::Utc;

use crate::domain::{Actor, Role};
use crate::service::api_keys::KeyInput;
use crate::service::{ServiceError, Services};
use crate::store;

fn system() -> Actor {
    Actor { user_id: None, label: "system".into() }
}

/// Finds the workspace by id or name, defaulting to the oldest one.
async fn resolve_workspace(services: &Services, workspace: Option<&str>) -> anyhow::Result<i64> {
    use sea_orm::{EntityTrait, QueryOrder};
    let rows = store::entity::workspace::Entity::find()
        .order_by_asc(store::entity::workspace::Column::Id)
        .all(&services.db)
        .await?;
    let found = match workspace {
        None => rows.first(),
        Some(wanted) => rows.iter().find(|row| row.name == wanted || row.id.to_string() == wanted),
    };
    found.map(|row| row.id).ok_or_else(|| anyhow::anyhow!("workspace `{}` not found", workspace.unwrap_or("(any)")))
}

/// Creates (or adds) a user with `role`; prints the one-time password when the account is new.
pub async fn create_user(services: &Services, email: &str, role: &str, workspace: Option<&str>) -> anyhow::Result<()> {
    let role = Role::parse(role).ok_or_else(|| anyhow::anyhow!("role must be member, developer, admin or owner"))?;
    let workspace_id = match resolve_workspace(services, workspace).await {
        Ok(id) => id,
        Err(_) if workspace.is_none() => store::workspaces::insert(&services.db, "default", Utc::now()).await?.id,
        Err(err) => return Err(err),
    };
    let added = services.add_member_as(&system(), workspace_id, email, role, Utc::now()).await.map_err(describe)?;
    eprintln!("Added {} as {} of workspace {workspace_id}.", added.member.user.email, role.as_str());
    if let Some(password) = added.one_time_password {
        eprintln!("One-time password (must be changed at first sign-in):");
        println!("{password}");
    }
    Ok(())
}

/// Creates a key in the workspace and prints its secret once.
pub async fn create_key(services: &Services, workspace: &str, name: &str, kind: &str) -> anyhow::Result<()> {
    let workspace_id = resolve_workspace(services, Some(workspace)).await?;
    let input = KeyInput { name: Some(name.to_owned()), kind: Some(kind.to_owned()), ..Default::default() };
    let created = services.create_api_key_as(&system(), workspace_id, input, Utc::now()).await.map_err(describe)?;
    eprintln!("Created {} key `{}` ({}). The secret is shown once:", created.key.kind.as_str(), created.key.name, created.key.key_hint);
    println!("{}", created.secret);
    Ok(())
}

fn describe(err: ServiceError) -> anyhow::Error {
    match err {
        ServiceError::Invalid(fields) => {
            anyhow::anyhow!(fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; "))
        }
        ServiceError::NameTaken(what) => anyhow::anyhow!("{what} already exists in this workspace"),
        other => anyhow::anyhow!(other.to_string()),
    }
}
