//! API keys. Only the SHA-256 of a secret is stored; lookups go by that hash.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::domain::{ApiKey, KeyKind};
use crate::store::entity::api_key;

fn strings(value: serde_json::Value) -> Vec<String> {
    serde_json::from_value(value).unwrap_or_default()
}

impl TryFrom<api_key::Model> for ApiKey {
    type Error = DbErr;

    fn try_from(row: api_key::Model) -> Result<Self, DbErr> {
        let kind = KeyKind::parse(&row.kind)
            .ok_or_else(|| DbErr::Type(format!("unknown key kind `{}` in api_keys", row.kind)))?;
        Ok(ApiKey {
            id: row.id,
            workspace_id: row.workspace_id,
            kind,
            name: row.name,
            key_hint: row.key_hint,
            scopes: strings(row.scopes),
            active: row.status == "active",
            environment: row.environment,
            guardrail_id: row.guardrail_id,
            firewall_policy_id: row.firewall_policy_id,
            model_allowlist_enabled: row.model_allowlist_enabled,
            model_allowlist: strings(row.model_allowlist),
            ip_allowlist: strings(row.ip_allowlist),
            credit_limit_micros: row.credit_limit_micros,
            spent_micros: row.spent_micros,
            rate_limit_rpm: row.rate_limit_rpm,
            expires_at: row.expires_at,
            created_by: row.created_by,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            last_used_ip: row.last_used_ip,
        })
    }
}

/// The editable fields of a key, as validated by the service.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyFields {
    pub name: String,
    pub scopes: Vec<String>,
    pub active: bool,
    pub environment: Option<String>,
    pub guardrail_id: Option<i64>,
    pub firewall_policy_id: Option<i64>,
    pub model_allowlist_enabled: bool,
    pub model_allowlist: Vec<String>,
    pub ip_allowlist: Vec<String>,
    pub credit_limit_micros: i64,
    pub rate_limit_rpm: i64,
    pub expires_at: Option<DateTime<Utc>>,
}

fn apply(model: &mut api_key::ActiveModel, fields: &KeyFields) {
    model.name = Set(fields.name.clone());
    model.scopes = Set(serde_json::json!(fields.scopes));
    model.status = Set(if fields.active { "active" } else { "disabled" }.to_owned());
    model.environment = Set(fields.environment.clone());
    model.guardrail_id = Set(fields.guardrail_id);
    model.firewall_policy_id = Set(fields.firewall_policy_id);
    model.model_allowlist_enabled = Set(fields.model_allowlist_enabled);
    model.model_allowlist = Set(serde_json::json!(fields.model_allowlist));
    model.ip_allowlist = Set(serde_json::json!(fields.ip_allowlist));
    model.credit_limit_micros = Set(fields.credit_limit_micros);
    model.rate_limit_rpm = Set(fields.rate_limit_rpm);
    model.expires_at = Set(fields.expires_at);
}

/// Everything needed to insert a key besides its editable fields.
pub struct NewKey<'a> {
    pub workspace_id: i64,
    pub kind: KeyKind,
    pub key_hint: &'a str,
    pub secret_hash: &'a str,
    pub created_by: Option<i64>,
}

pub async fn insert(
    db: &impl ConnectionTrait,
    new: NewKey<'_>,
    fields: &KeyFields,
    now: DateTime<Utc>,
) -> Result<ApiKey, DbErr> {
    let mut model = api_key::ActiveModel {
        workspace_id: Set(new.workspace_id),
        kind: Set(new.kind.as_str().to_owned()),
        key_hint: Set(new.key_hint.to_owned()),
        secret_hash: Set(new.secret_hash.to_owned()),
        spent_micros: Set(0),
        created_by: Set(new.created_by),
        created_at: Set(now),
        last_used_at: Set(None),
        last_used_ip: Set(None),
        ..Default::default()
    };
    apply(&mut model, fields);
    model.insert(db).await?.try_into()
}

pub async fn update(db: &impl ConnectionTrait, id: i64, fields: &KeyFields) -> Result<ApiKey, DbErr> {
    let mut model = api_key::ActiveModel { id: Set(id), ..Default::default() };
    apply(&mut model, fields);
    model.update(db).await?.try_into()
}

pub async fn set_secret(db: &impl ConnectionTrait, id: i64, key_hint: &str, secret_hash: &str) -> Result<ApiKey, DbErr> {
    api_key::ActiveModel {
        id: Set(id),
        key_hint: Set(key_hint.to_owned()),
        secret_hash: Set(secret_hash.to_owned()),
        ..Default::default()
    }
    .update(db)
    .await?
    .try_into()
}

/// The key `id` if it belongs to `workspace_id`; another workspace's key is as absent as a missing one.
pub async fn find_in_workspace(db: &impl ConnectionTrait, workspace_id: i64, id: i64) -> Result<Option<ApiKey>, DbErr> {
    let row = api_key::Entity::find_by_id(id)
        .filter(api_key::Column::WorkspaceId.eq(workspace_id))
        .one(db)
        .await?;
    row.map(TryInto::try_into).transpose()
}

pub async fn find_by_secret_hash(db: &impl ConnectionTrait, secret_hash: &str) -> Result<Option<ApiKey>, DbErr> {
    let row = api_key::Entity::find().filter(api_key::Column::SecretHash.eq(secret_hash)).one(db).await?;
    row.map(TryInto::try_into).transpose()
}

/// Every key of the workspace, newest first.
pub async fn list(db: &impl ConnectionTrait, workspace_id: i64) -> Result<Vec<ApiKey>, DbErr> {
    let rows = api_key::Entity::find()
        .filter(api_key::Column::WorkspaceId.eq(workspace_id))
        .order_by_desc(api_key::Column::Id)
        .all(db)
        .await?;
    rows.into_iter().map(TryInto::try_into).collect()
}

pub async fn delete(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    api_key::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

pub async fn touch_used(db: &impl ConnectionTrait, id: i64, ip: &str, now: DateTime<Utc>) -> Result<(), DbErr> {
    api_key::ActiveModel {
        id: Set(id),
        last_used_at: Set(Some(now)),
        last_used_ip: Set(Some(ip.to_owned())),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}
