//! Workspace providers (SPEC §2.4): OpenAI-compatible upstreams a workspace adds beside the config's
//! `[[providers]]`. The API key is stored sealed (`api_key_enc`, see `crate::crypto`) and leaves this
//! module only as that ciphertext.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};

use crate::store::entity::provider;

/// One declared model with its prices in USD per million tokens.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProviderModel {
    pub id: String,
    #[serde(default)]
    pub input_usd_per_mtok: f64,
    #[serde(default)]
    pub output_usd_per_mtok: f64,
}

/// A stored workspace provider.
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub name: String,
    pub base_url: String,
    /// Sealed API key; `None` when the provider needs none.
    pub api_key_enc: Option<String>,
    pub enabled: bool,
    pub models: Vec<ProviderModel>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<provider::Model> for ProviderRecord {
    type Error = DbErr;

    fn try_from(row: provider::Model) -> Result<Self, DbErr> {
        // A models column we cannot read is corrupt data, not "no models": fail loudly.
        let models = serde_json::from_value(row.models)
            .map_err(|err| DbErr::Type(format!("providers.models of provider {}: {err}", row.id)))?;
        Ok(ProviderRecord {
            id: row.id,
            workspace_id: row.workspace_id,
            name: row.name,
            base_url: row.base_url,
            api_key_enc: row.api_key_enc,
            enabled: row.enabled,
            models,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// The editable fields of a provider, as validated by the service.
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderFields {
    pub name: String,
    pub base_url: String,
    pub api_key_enc: Option<String>,
    pub enabled: bool,
    pub models: Vec<ProviderModel>,
}

fn apply(model: &mut provider::ActiveModel, fields: &ProviderFields, now: DateTime<Utc>) {
    model.name = Set(fields.name.clone());
    model.base_url = Set(fields.base_url.clone());
    model.api_key_enc = Set(fields.api_key_enc.clone());
    model.enabled = Set(fields.enabled);
    model.models = Set(serde_json::json!(fields.models));
    model.updated_at = Set(now);
}

pub async fn insert(db: &impl ConnectionTrait, workspace_id: i64, fields: &ProviderFields, now: DateTime<Utc>) -> Result<ProviderRecord, DbErr> {
    let mut model = provider::ActiveModel { workspace_id: Set(workspace_id), created_at: Set(now), ..Default::default() };
    apply(&mut model, fields, now);
    model.insert(db).await?.try_into()
}

pub async fn update(db: &impl ConnectionTrait, id: i64, fields: &ProviderFields, now: DateTime<Utc>) -> Result<ProviderRecord, DbErr> {
    let mut model = provider::ActiveModel { id: Set(id), ..Default::default() };
    apply(&mut model, fields, now);
    model.update(db).await?.try_into()
}

/// The provider `id` if it belongs to `workspace_id`; another workspace's provider is as absent as a
/// missing one.
pub async fn find_in_workspace(db: &impl ConnectionTrait, workspace_id: i64, id: i64) -> Result<Option<ProviderRecord>, DbErr> {
    let row = provider::Entity::find_by_id(id).filter(provider::Column::WorkspaceId.eq(workspace_id)).one(db).await?;
    row.map(TryInto::try_into).transpose()
}

/// Every provider of the workspace, by name.
pub async fn list(db: &impl ConnectionTrait, workspace_id: i64) -> Result<Vec<ProviderRecord>, DbErr> {
    let rows = provider::Entity::find()
        .filter(provider::Column::WorkspaceId.eq(workspace_id))
        .order_by_asc(provider::Column::Name)
        .all(db)
        .await?;
    rows.into_iter().map(TryInto::try_into).collect()
}

pub async fn delete(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    provider::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}
