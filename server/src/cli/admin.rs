//! `palisade admin create-user` and `palisade admin create-key`: operator tools that act as `system`
//! (audited), for automation and for recovering a workspace without the console.

use chrono::Utc;
use sea_orm::TransactionTrait;

use crate::auth::keys;
use crate::domain::{Actor, KeyKind, Role};
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
    let kind = KeyKind::parse(kind).ok_or_else(|| anyhow::anyhow!("kind must be relay or gateway"))?;
    let workspace_id = resolve_workspace(services, Some(workspace)).await?;
    let name = crate::service::required_name("name", name, 64).map_err(|err| anyhow::anyhow!("{}: {}", err.field, err.message))?;
    let generated = keys::generate(kind);
    let fields = store::api_keys::KeyFields {
        name: name.clone(),
        scopes: kind.default_scopes(),
        active: true,
        environment: None,
        guardrail_id: None,
        firewall_policy_id: None,
        model_allowlist_enabled: false,
        model_allowlist: Vec::new(),
        ip_allowlist: Vec::new(),
        credit_limit_micros: 0,
        rate_limit_rpm: 0,
        expires_at: None,
    };
    let now = Utc::now();
    let txn = services.db.begin().await?;
    let new = store::api_keys::NewKey {
        workspace_id,
        kind,
        key_hint: &generated.hint,
        secret_hash: &generated.hash,
        created_by: None,
    };
    let key = store::api_keys::insert(&txn, new, &fields, now).await.map_err(|err| {
        if store::is_unique_violation(&err) {
            anyhow::anyhow!("a key named `{name}` already exists in this workspace")
        } else {
            err.into()
        }
    })?;
    store::audit::insert(
        &txn,
        store::audit::NewAudit {
            workspace_id,
            actor: &system(),
            verb: "api_key_create",
            target_type: "api_key",
            target_id: key.id.to_string(),
            metadata: serde_json::json!({ "id": key.id, "name": key.name, "kind": kind.as_str(), "scopes": key.scopes }),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    eprintln!("Created {} key `{}` ({}). The secret is shown once:", kind.as_str(), key.name, key.key_hint);
    println!("{}", generated.secret);
    Ok(())
}

fn describe(err: ServiceError) -> anyhow::Error {
    match err {
        ServiceError::Invalid(fields) => {
            anyhow::anyhow!(fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; "))
        }
        other => anyhow::anyhow!(other.to_string()),
    }
}
