//! Firewall policies and their rules (SPEC §2.6): one row per policy, one row per rule, read back as
//! the engine's `PolicyConfig` with rules sorted by (`priority`, `id`) and every rule id set.
//!
//! Writes what the service gives it (validated bodies, versions, timestamps); never validates. Deleting a
//! policy also clears the key bindings and the workspace default that pointed at it (SPEC §1.4).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde::de::DeserializeOwned;

use crate::engine::firewall::config::{DefaultVerdict, PolicyConfig, RuleConfig};
use crate::store::entity::{api_key, firewall_policy, firewall_rule, workspace};

/// A stored policy. `config` mirrors the columns and holds the rules in evaluation order.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub name: String,
    pub enabled: bool,
    pub version: i64,
    pub config: PolicyConfig,
    /// Timestamps of each rule, in the order of `config.rules`.
    pub rule_times: Vec<RuleTimes>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// When a rule was created and last changed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RuleTimes {
    pub rule_id: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn parse_text<T: DeserializeOwned>(what: &str, text: &str) -> Result<T, DbErr> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| DbErr::Type(format!("unknown {what} `{text}` in firewall tables")))
}

fn parse_json<T: DeserializeOwned>(what: &str, value: serde_json::Value) -> Result<T, DbErr> {
    serde_json::from_value(value).map_err(|e| DbErr::Type(format!("unreadable {what} in firewall_rules: {e}")))
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<serde_json::Value, DbErr> {
    serde_json::to_value(value).map_err(|e| DbErr::Type(format!("firewall rule does not serialize: {e}")))
}

fn rule_config(row: &firewall_rule::Model) -> Result<RuleConfig, DbErr> {
    Ok(RuleConfig {
        id: Some(row.id),
        priority: row.priority,
        label: row.label.clone(),
        stage: parse_text("stage", &row.stage)?,
        tool_name_glob: row.tool_name_glob.clone(),
        skill_name_glob: row.skill_name_glob.clone(),
        verdict: parse_text("verdict", &row.verdict)?,
        args_match: parse_json("args_match", row.args_match.clone())?,
        egress: row.egress.clone().map(|v| parse_json("egress", v)).transpose()?,
        sanitize: row.sanitize.clone().map(|v| parse_json("sanitize", v)).transpose()?,
        cap_cost_cents: row.cap_cost_cents,
        notes: row.notes.clone(),
    })
}

fn record(row: firewall_policy::Model, mut rules: Vec<firewall_rule::Model>) -> Result<PolicyRecord, DbErr> {
    rules.sort_by_key(|r| (r.priority, r.id));
    let default_verdict: DefaultVerdict = parse_text("default_verdict", &row.default_verdict)?;
    let config = PolicyConfig {
        name: row.name.clone(),
        description: row.description.clone(),
        enabled: row.enabled,
        default_verdict,
        shadow_mode: row.shadow_mode,
        rules: rules.iter().map(rule_config).collect::<Result<_, _>>()?,
    };
    Ok(PolicyRecord {
        id: row.id,
        workspace_id: row.workspace_id,
        name: row.name,
        enabled: row.enabled,
        version: row.version,
        config,
        rule_times: rules
            .iter()
            .map(|r| RuleTimes { rule_id: r.id, created_at: r.created_at, updated_at: r.updated_at })
            .collect(),
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

async fn rules_of(db: &impl ConnectionTrait, workspace_id: i64, policy_id: i64) -> Result<Vec<firewall_rule::Model>, DbErr> {
    firewall_rule::Entity::find()
        .filter(firewall_rule::Column::WorkspaceId.eq(workspace_id))
        .filter(firewall_rule::Column::PolicyId.eq(policy_id))
        .all(db)
        .await
}

/// The policy `id` of `workspace_id` with its rules, if any.
pub async fn find_policy(db: &impl ConnectionTrait, workspace_id: i64, id: i64) -> Result<Option<PolicyRecord>, DbErr> {
    let Some(row) = firewall_policy::Entity::find_by_id(id)
        .filter(firewall_policy::Column::WorkspaceId.eq(workspace_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let rules = rules_of(db, workspace_id, id).await?;
    record(row, rules).map(Some)
}

/// The policy named `name` (exact) in `workspace_id`, if any.
pub async fn find_policy_by_name(db: &impl ConnectionTrait, workspace_id: i64, name: &str) -> Result<Option<PolicyRecord>, DbErr> {
    let Some(row) = firewall_policy::Entity::find()
        .filter(firewall_policy::Column::WorkspaceId.eq(workspace_id))
        .filter(firewall_policy::Column::Name.eq(name))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let rules = rules_of(db, workspace_id, row.id).await?;
    record(row, rules).map(Some)
}

/// Every policy of a workspace with its rules, by id (two queries).
pub async fn list_policies(db: &impl ConnectionTrait, workspace_id: i64) -> Result<Vec<PolicyRecord>, DbErr> {
    let policies = firewall_policy::Entity::find()
        .filter(firewall_policy::Column::WorkspaceId.eq(workspace_id))
        .order_by_asc(firewall_policy::Column::Id)
        .all(db)
        .await?;
    let mut by_policy: HashMap<i64, Vec<firewall_rule::Model>> = HashMap::new();
    for rule in firewall_rule::Entity::find().filter(firewall_rule::Column::WorkspaceId.eq(workspace_id)).all(db).await? {
        by_policy.entry(rule.policy_id).or_default().push(rule);
    }
    policies.into_iter().map(|p| {
        let rules = by_policy.remove(&p.id).unwrap_or_default();
        record(p, rules)
    }).collect()
}

/// The policy-level fields a write sets.
pub struct PolicyWrite<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub enabled: bool,
    pub default_verdict: DefaultVerdict,
    pub shadow_mode: bool,
    pub version: i64,
    pub now: DateTime<Utc>,
}

impl<'a> PolicyWrite<'a> {
    /// The fields of `config` at `version`.
    pub fn of(config: &'a PolicyConfig, version: i64, now: DateTime<Utc>) -> PolicyWrite<'a> {
        PolicyWrite {
            name: &config.name,
            description: &config.description,
            enabled: config.enabled,
            default_verdict: config.default_verdict,
            shadow_mode: config.shadow_mode,
            version,
            now,
        }
    }
}

/// Inserts a policy row without rules; `id` re-creates a deleted policy under its old id (undo).
pub async fn insert_policy(db: &impl ConnectionTrait, workspace_id: i64, id: Option<i64>, write: PolicyWrite<'_>) -> Result<i64, DbErr> {
    let mut model = firewall_policy::ActiveModel {
        workspace_id: Set(workspace_id),
        name: Set(write.name.to_owned()),
        description: Set(write.description.to_owned()),
        enabled: Set(write.enabled),
        default_verdict: Set(write.default_verdict.as_str().to_owned()),
        shadow_mode: Set(write.shadow_mode),
        version: Set(write.version),
        created_at: Set(write.now),
        updated_at: Set(write.now),
        ..Default::default()
    };
    if let Some(id) = id {
        model.id = Set(id);
    }
    Ok(model.insert(db).await?.id)
}

/// Sets the policy-level fields of policy `id`.
pub async fn update_policy(db: &impl ConnectionTrait, id: i64, write: PolicyWrite<'_>) -> Result<(), DbErr> {
    firewall_policy::ActiveModel {
        id: Set(id),
        name: Set(write.name.to_owned()),
        description: Set(write.description.to_owned()),
        enabled: Set(write.enabled),
        default_verdict: Set(write.default_verdict.as_str().to_owned()),
        shadow_mode: Set(write.shadow_mode),
        version: Set(write.version),
        updated_at: Set(write.now),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Sets only the version (a rule changed) of policy `id`.
pub async fn set_policy_version(db: &impl ConnectionTrait, id: i64, version: i64, now: DateTime<Utc>) -> Result<(), DbErr> {
    firewall_policy::ActiveModel { id: Set(id), version: Set(version), updated_at: Set(now), ..Default::default() }
        .update(db)
        .await?;
    Ok(())
}

/// Deletes policy `id` (its rules cascade; deleted explicitly too, for SQLite without foreign keys) and
/// clears key bindings and the workspace default that pointed at it.
pub async fn delete_policy(db: &impl ConnectionTrait, workspace_id: i64, id: i64) -> Result<(), DbErr> {
    api_key::Entity::update_many()
        .col_expr(api_key::Column::FirewallPolicyId, Expr::value(Option::<i64>::None))
        .filter(api_key::Column::WorkspaceId.eq(workspace_id))
        .filter(api_key::Column::FirewallPolicyId.eq(id))
        .exec(db)
        .await?;
    workspace::Entity::update_many()
        .col_expr(workspace::Column::DefaultFirewallPolicyId, Expr::value(Option::<i64>::None))
        .filter(workspace::Column::Id.eq(workspace_id))
        .filter(workspace::Column::DefaultFirewallPolicyId.eq(id))
        .exec(db)
        .await?;
    firewall_rule::Entity::delete_many()
        .filter(firewall_rule::Column::WorkspaceId.eq(workspace_id))
        .filter(firewall_rule::Column::PolicyId.eq(id))
        .exec(db)
        .await?;
    firewall_policy::Entity::delete_many()
        .filter(firewall_policy::Column::WorkspaceId.eq(workspace_id))
        .filter(firewall_policy::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

fn rule_model(rule: &RuleConfig) -> Result<firewall_rule::ActiveModel, DbErr> {
    Ok(firewall_rule::ActiveModel {
        priority: Set(rule.priority),
        label: Set(rule.label.clone()),
        stage: Set(rule.stage.as_str().to_owned()),
        tool_name_glob: Set(rule.tool_name_glob.clone()),
        skill_name_glob: Set(rule.skill_name_glob.clone()),
        verdict: Set(rule.verdict.as_str().to_owned()),
        args_match: Set(to_json(&rule.args_match)?),
        egress: Set(rule.egress.as_ref().map(to_json).transpose()?),
        sanitize: Set(rule.sanitize.as_ref().map(to_json).transpose()?),
        cap_cost_cents: Set(rule.cap_cost_cents),
        notes: Set(rule.notes.clone()),
        ..Default::default()
    })
}

/// Inserts one rule into policy `policy_id`; `rule.id` (when set) keeps its id (undo). Returns the id.
pub async fn insert_rule(
    db: &impl ConnectionTrait,
    workspace_id: i64,
    policy_id: i64,
    rule: &RuleConfig,
    now: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let mut model = rule_model(rule)?;
    model.workspace_id = Set(workspace_id);
    model.policy_id = Set(policy_id);
    model.created_at = Set(now);
    model.updated_at = Set(now);
    if let Some(id) = rule.id {
        model.id = Set(id);
    }
    Ok(model.insert(db).await?.id)
}

/// Replaces the fields of rule `rule_id` (the caller checked it belongs to the workspace's policy).
pub async fn update_rule(db: &impl ConnectionTrait, rule_id: i64, rule: &RuleConfig, now: DateTime<Utc>) -> Result<(), DbErr> {
    let mut model = rule_model(rule)?;
    model.id = Set(rule_id);
    model.updated_at = Set(now);
    model.update(db).await?;
    Ok(())
}

/// Deletes rule `rule_id` of policy `policy_id`.
pub async fn delete_rule(db: &impl ConnectionTrait, workspace_id: i64, policy_id: i64, rule_id: i64) -> Result<(), DbErr> {
    firewall_rule::Entity::delete_many()
        .filter(firewall_rule::Column::WorkspaceId.eq(workspace_id))
        .filter(firewall_rule::Column::PolicyId.eq(policy_id))
        .filter(firewall_rule::Column::Id.eq(rule_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Makes the rules of `policy_id` exactly `rules`: ids present in both are updated (only when they
/// differ), missing ones deleted, the rest inserted. `restore_ids` keeps the given id of an inserted rule
/// (autonomy undo re-creating deleted rules; ids are never reused by either backend); otherwise inserted
/// rules get fresh ids.
pub async fn replace_rules(
    db: &impl ConnectionTrait,
    workspace_id: i64,
    policy_id: i64,
    rules: &[RuleConfig],
    restore_ids: bool,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let existing = rules_of(db, workspace_id, policy_id).await?;
    let mut current: HashMap<i64, RuleConfig> = HashMap::new();
    for row in &existing {
        current.insert(row.id, rule_config(row)?);
    }
    let keep: std::collections::HashSet<i64> = rules.iter().filter_map(|r| r.id).filter(|id| current.contains_key(id)).collect();
    for id in current.keys().filter(|id| !keep.contains(id)) {
        delete_rule(db, workspace_id, policy_id, *id).await?;
    }
    for rule in rules {
        match rule.id.and_then(|id| current.get(&id).map(|old| (id, old))) {
            Some((id, old)) => {
                if old != rule {
                    update_rule(db, id, rule, now).await?;
                }
            }
            None if restore_ids => {
                insert_rule(db, workspace_id, policy_id, rule, now).await?;
            }
            None => {
                insert_rule(db, workspace_id, policy_id, &RuleConfig { id: None, ..rule.clone() }, now).await?;
            }
        }
    }
    Ok(())
}

/// Number of keys bound to policy `id`.
pub async fn attached_keys(db: &impl ConnectionTrait, workspace_id: i64, id: i64) -> Result<u64, DbErr> {
    api_key::Entity::find()
        .filter(api_key::Column::WorkspaceId.eq(workspace_id))
        .filter(api_key::Column::FirewallPolicyId.eq(id))
        .count(db)
        .await
}
