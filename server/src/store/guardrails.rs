//! Guardrails (SPEC §2.5): the guardrail rows with their rules as one JSON document, the append-only
//! version history, and the key bindings that point at a guardrail.
//!
//! Rules are stored as the engine's `GuardrailConfig` rules (the lead's decision, so the relay reads one
//! typed shape); the store still validates nothing and writes what the service gives it. Every rule read
//! back carries an id (`assign_rule_ids`). External-rule secrets are stored as the service sealed them.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};

use crate::engine::guardrail::config::{GuardrailConfig, RuleConfig};
use crate::store::entity::{api_key, guardrail, guardrail_version, workspace};

/// A stored guardrail. `config` mirrors the columns (name, description, flags) and holds the rules, each
/// with its id.
#[derive(Clone, Debug, PartialEq)]
pub struct GuardrailRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub name: String,
    pub description: String,
    pub enabled: bool,
    pub log_raw_content: bool,
    pub version: i64,
    pub config: GuardrailConfig,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<i64>,
}

/// One row of a guardrail's history (SPEC §2.5 GuardrailVersion).
#[derive(Clone, Debug, PartialEq)]
pub struct VersionRecord {
    pub guardrail_id: i64,
    pub version: i64,
    pub op: String,
    pub actor_user_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub snapshot: serde_json::Value,
}

/// Gives every rule without an id (or with a duplicate or non-positive one) a fresh id above every id in
/// `rules` and `previous`, so ids stay stable when clients send them back and are never reused.
pub fn assign_rule_ids(rules: &mut [RuleConfig], previous: &[RuleConfig]) {
    let highest = rules.iter().chain(previous).filter_map(|r| r.id).max().unwrap_or(0).max(0);
    let mut next = highest + 1;
    let mut seen = HashSet::new();
    for rule in rules.iter_mut() {
        let keep = matches!(rule.id, Some(id) if id > 0 && seen.insert(id));
        if !keep {
            rule.id = Some(next);
            seen.insert(next);
            next += 1;
        }
    }
}

fn record(row: guardrail::Model) -> Result<GuardrailRecord, DbErr> {
    let mut rules: Vec<RuleConfig> = serde_json::from_value(row.rules)
        .map_err(|e| DbErr::Type(format!("guardrail {} has unreadable rules: {e}", row.id)))?;
    assign_rule_ids(&mut rules, &[]);
    let config = GuardrailConfig {
        name: row.name.clone(),
        description: row.description.clone(),
        enabled: row.enabled,
        log_raw_content: row.log_raw_content,
        rules,
    };
    Ok(GuardrailRecord {
        id: row.id,
        workspace_id: row.workspace_id,
        name: row.name,
        description: row.description,
        enabled: row.enabled,
        log_raw_content: row.log_raw_content,
        version: row.version,
        config,
        created_at: row.created_at,
        updated_at: row.updated_at,
        updated_by: row.updated_by,
    })
}

fn rules_json(config: &GuardrailConfig) -> Result<serde_json::Value, DbErr> {
    serde_json::to_value(&config.rules).map_err(|e| DbErr::Type(format!("guardrail rules do not serialize: {e}")))
}

/// The guardrail `id` of `workspace_id`, if any.
pub async fn find(db: &impl ConnectionTrait, workspace_id: i64, id: i64) -> Result<Option<GuardrailRecord>, DbErr> {
    guardrail::Entity::find_by_id(id)
        .filter(guardrail::Column::WorkspaceId.eq(workspace_id))
        .one(db)
        .await?
        .map(record)
        .transpose()
}

/// The guardrail named `name` (exact) in `workspace_id`, if any.
pub async fn find_by_name(db: &impl ConnectionTrait, workspace_id: i64, name: &str) -> Result<Option<GuardrailRecord>, DbErr> {
    guardrail::Entity::find()
        .filter(guardrail::Column::WorkspaceId.eq(workspace_id))
        .filter(guardrail::Column::Name.eq(name))
        .one(db)
        .await?
        .map(record)
        .transpose()
}

/// Every guardrail of a workspace, by id.
pub async fn list(db: &impl ConnectionTrait, workspace_id: i64) -> Result<Vec<GuardrailRecord>, DbErr> {
    guardrail::Entity::find()
        .filter(guardrail::Column::WorkspaceId.eq(workspace_id))
        .order_by_asc(guardrail::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(record)
        .collect()
}

/// What to write for one guardrail (the service has validated `config` and assigned rule ids).
pub struct GuardrailWrite<'a> {
    pub config: &'a GuardrailConfig,
    pub version: i64,
    pub actor_user_id: Option<i64>,
    pub now: DateTime<Utc>,
}

/// Inserts a guardrail; `id` re-creates a deleted one under its old id (autonomy undo).
pub async fn insert(
    db: &impl ConnectionTrait,
    workspace_id: i64,
    id: Option<i64>,
    write: GuardrailWrite<'_>,
) -> Result<GuardrailRecord, DbErr> {
    let mut model = guardrail::ActiveModel {
        workspace_id: Set(workspace_id),
        name: Set(write.config.name.clone()),
        description: Set(write.config.description.clone()),
        enabled: Set(write.config.enabled),
        log_raw_content: Set(write.config.log_raw_content),
        version: Set(write.version),
        rules: Set(rules_json(write.config)?),
        created_at: Set(write.now),
        updated_at: Set(write.now),
        updated_by: Set(write.actor_user_id),
        ..Default::default()
    };
    if let Some(id) = id {
        model.id = Set(id);
    }
    record(model.insert(db).await?)
}

/// Replaces every field and the rules of guardrail `id` (scoped to the workspace by the caller's find).
pub async fn update(db: &impl ConnectionTrait, id: i64, write: GuardrailWrite<'_>) -> Result<GuardrailRecord, DbErr> {
    let model = guardrail::ActiveModel {
        id: Set(id),
        name: Set(write.config.name.clone()),
        description: Set(write.config.description.clone()),
        enabled: Set(write.config.enabled),
        log_raw_content: Set(write.config.log_raw_content),
        version: Set(write.version),
        rules: Set(rules_json(write.config)?),
        updated_at: Set(write.now),
        updated_by: Set(write.actor_user_id),
        ..Default::default()
    };
    record(model.update(db).await?)
}

/// Deletes guardrail `id` of `workspace_id` and clears every key binding and the workspace default that
/// pointed at it (SPEC §1.4). History rows stay (append-only).
pub async fn delete(db: &impl ConnectionTrait, workspace_id: i64, id: i64) -> Result<(), DbErr> {
    api_key::Entity::update_many()
        .col_expr(api_key::Column::GuardrailId, Expr::value(Option::<i64>::None))
        .filter(api_key::Column::WorkspaceId.eq(workspace_id))
        .filter(api_key::Column::GuardrailId.eq(id))
        .exec(db)
        .await?;
    workspace::Entity::update_many()
        .col_expr(workspace::Column::DefaultGuardrailId, Expr::value(Option::<i64>::None))
        .filter(workspace::Column::Id.eq(workspace_id))
        .filter(workspace::Column::DefaultGuardrailId.eq(id))
        .exec(db)
        .await?;
    guardrail::Entity::delete_many()
        .filter(guardrail::Column::WorkspaceId.eq(workspace_id))
        .filter(guardrail::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Number of keys bound to guardrail `id`.
pub async fn attached_keys(db: &impl ConnectionTrait, workspace_id: i64, id: i64) -> Result<u64, DbErr> {
    api_key::Entity::find()
        .filter(api_key::Column::WorkspaceId.eq(workspace_id))
        .filter(api_key::Column::GuardrailId.eq(id))
        .count(db)
        .await
}

/// Ids and names of the keys bound to guardrail `id`, by id.
pub async fn bound_keys(db: &impl ConnectionTrait, workspace_id: i64, id: i64) -> Result<Vec<(i64, String)>, DbErr> {
    Ok(api_key::Entity::find()
        .filter(api_key::Column::WorkspaceId.eq(workspace_id))
        .filter(api_key::Column::GuardrailId.eq(id))
        .order_by_asc(api_key::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|k| (k.id, k.name))
        .collect())
}

/// Appends one history row.
pub async fn insert_version(
    db: &impl ConnectionTrait,
    workspace_id: i64,
    row: &VersionRecord,
) -> Result<(), DbErr> {
    guardrail_version::ActiveModel {
        workspace_id: Set(workspace_id),
        guardrail_id: Set(row.guardrail_id),
        version: Set(row.version),
        op: Set(row.op.clone()),
        actor_user_id: Set(row.actor_user_id),
        created_at: Set(row.created_at),
        snapshot: Set(row.snapshot.clone()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

fn version_record(row: guardrail_version::Model) -> VersionRecord {
    VersionRecord {
        guardrail_id: row.guardrail_id,
        version: row.version,
        op: row.op,
        actor_user_id: row.actor_user_id,
        created_at: row.created_at,
        snapshot: row.snapshot,
    }
}

/// History of guardrail `id`, newest first.
pub async fn history(db: &impl ConnectionTrait, workspace_id: i64, id: i64) -> Result<Vec<VersionRecord>, DbErr> {
    Ok(guardrail_version::Entity::find()
        .filter(guardrail_version::Column::WorkspaceId.eq(workspace_id))
        .filter(guardrail_version::Column::GuardrailId.eq(id))
        .order_by_desc(guardrail_version::Column::Version)
        .all(db)
        .await?
        .into_iter()
        .map(version_record)
        .collect())
}

/// One history row of guardrail `id`.
pub async fn find_version(
    db: &impl ConnectionTrait,
    workspace_id: i64,
    id: i64,
    version: i64,
) -> Result<Option<VersionRecord>, DbErr> {
    Ok(guardrail_version::Entity::find()
        .filter(guardrail_version::Column::WorkspaceId.eq(workspace_id))
        .filter(guardrail_version::Column::GuardrailId.eq(id))
        .filter(guardrail_version::Column::Version.eq(version))
        .one(db)
        .await?
        .map(version_record))
}

/// The highest version ever written for guardrail `id` (history survives deletion, so a re-created
/// guardrail continues above it and `(guardrail_id, version)` stays unique).
pub async fn max_version(db: &impl ConnectionTrait, workspace_id: i64, id: i64) -> Result<i64, DbErr> {
    Ok(guardrail_version::Entity::find()
        .filter(guardrail_version::Column::WorkspaceId.eq(workspace_id))
        .filter(guardrail_version::Column::GuardrailId.eq(id))
        .order_by_desc(guardrail_version::Column::Version)
        .one(db)
        .await?
        .map_or(0, |row| row.version))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: Option<i64>) -> RuleConfig {
        let mut rule: RuleConfig =
            serde_json::from_str(r#"{"type":"max_chars","stage":"input","action":"block","config":{"limit":5}}"#)
                .expect("rule");
        rule.id = id;
        rule
    }

    #[test]
    fn new_and_duplicate_rule_ids_get_fresh_ids_above_every_previous_one() {
        let mut rules = vec![rule(Some(4)), rule(None), rule(Some(4)), rule(Some(0))];
        assign_rule_ids(&mut rules, &[rule(Some(9))]);
        let ids: Vec<Option<i64>> = rules.iter().map(|r| r.id).collect();
        assert_eq!(ids, [Some(4), Some(10), Some(11), Some(12)]);
    }
}
