//! Posture, Simulate and Audit for the console: calls the autonomy and audit services and formats their
//! values into the page DTOs (rules as one readable line each). No decisions are made here.

use app::types::*;
use app::AppError;
use chrono::Utc;
use serde_json::Value;

use crate::console::convert::app_error;
use crate::domain::AuditEntry;
use crate::engine::autonomy::{level_contents, Level};
use crate::service::audit_feed::AuditQuery;
use crate::service::identity::Principal;
use crate::service::Services;

/// Verbs whose rows can be undone from the console.
const AUTONOMY_VERBS: [&str; 2] = ["firewall_autonomy_applied", "firewall_autonomy_undone"];

fn text(value: &Value, key: &str) -> String {
    match value.get(key) {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// One line for a firewall rule: `label: verdict tool (stage)`.
fn firewall_rule_line(rule: &Value) -> String {
    let stage = match text(rule, "stage").as_str() {
        "" => "every surface".to_owned(),
        stage => stage.to_owned(),
    };
    let glob = text(rule, "tool_name_glob");
    let clause = if rule.get("args_match").and_then(Value::as_array).is_some_and(|clauses| !clauses.is_empty()) {
        " when arguments match"
    } else {
        ""
    };
    let label = text(rule, "label");
    let head = if label.is_empty() { String::new() } else { format!("{label}: ") };
    format!("{head}{} `{}` on {stage}{clause}", text(rule, "verdict"), if glob.is_empty() { "*" } else { &glob })
}

/// One line for a guardrail rule: `type · stage · action (entities)`.
fn guardrail_rule_line(rule: &Value) -> String {
    let entities = rule
        .pointer("/config/entities")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", "))
        .filter(|list| !list.is_empty())
        .map(|list| format!(" ({list})"))
        .unwrap_or_default();
    let label = text(rule, "label");
    let head = if label.is_empty() { String::new() } else { format!("{label}: ") };
    format!("{head}{} · {} · {}{entities}", text(rule, "type"), text(rule, "stage"), text(rule, "action"))
}

fn rule_lines(rules: Option<&Value>, line: fn(&Value) -> String) -> Vec<String> {
    rules.and_then(Value::as_array).map(|rules| rules.iter().map(line).collect()).unwrap_or_default()
}

/// Firewall rules for a level card: "a rule over a glob set" (SPEC §6.1) is one rule per glob, so
/// consecutive rules that differ only in their glob are shown as one line listing the globs.
fn grouped_firewall_lines(rules: Option<&Value>) -> Vec<String> {
    let mut groups: Vec<(Value, Vec<String>)> = Vec::new();
    for rule in rules.and_then(Value::as_array).into_iter().flatten() {
        let mut key = rule.clone();
        if let Some(object) = key.as_object_mut() {
            for volatile in ["tool_name_glob", "id", "priority"] {
                object.remove(volatile);
            }
        }
        let glob = text(rule, "tool_name_glob");
        match groups.last_mut() {
            Some((last, globs)) if *last == key => globs.push(glob),
            _ => groups.push((key, vec![glob])),
        }
    }
    groups
        .into_iter()
        .map(|(key, globs)| {
            let mut shown = key.clone();
            shown["tool_name_glob"] = Value::String(globs.join("`, `"));
            firewall_rule_line(&shown)
        })
        .collect()
}

fn level_card(level: Level) -> LevelCardView {
    let contents = level_contents(level);
    let policy = contents.firewall_policy.as_ref().and_then(|policy| serde_json::to_value(policy).ok());
    let guardrail = contents.guardrail.as_ref().and_then(|guardrail| serde_json::to_value(guardrail).ok());
    let mut firewall = Vec::new();
    if let Some(policy) = &policy {
        firewall.push(format!("policy `{}`, default verdict {}", text(policy, "name"), text(policy, "default_verdict")));
        firewall.extend(grouped_firewall_lines(policy.get("rules")));
    }
    let mut guardrail_lines = Vec::new();
    if let Some(guardrail) = &guardrail {
        guardrail_lines.push(format!("guardrail `{}`", text(guardrail, "name")));
        guardrail_lines.extend(rule_lines(guardrail.get("rules"), guardrail_rule_line));
    }
    let summary = match level {
        Level::Tight => "Deny shell and fetch tools by name, deny anything unmatched; mask PII, block secrets on input.",
        Level::Balanced => "Deny destructive shell commands, audit the rest; flag PII.",
        Level::Permissive => "No policy and no guardrail; observe mode logs every call as a coverage gap.",
    };
    LevelCardView {
        level: level.as_str().to_owned(),
        summary: summary.to_owned(),
        firewall,
        guardrail: guardrail_lines,
        observe_mode: contents.observe_mode,
    }
}

fn change_view(entry: AuditEntry) -> AutonomyChangeView {
    AutonomyChangeView {
        audit_id: entry.id,
        level: entry.metadata.get("level").and_then(Value::as_str).map(str::to_owned),
        verb: entry.verb,
        created_at: entry.created_at.to_rfc3339(),
        actor_label: entry.actor_label,
        undo_available: entry.undo_available.unwrap_or(false),
    }
}

/// The Posture page.
pub async fn posture(services: &Services, principal: &Principal) -> Result<PostureView, AppError> {
    let state = services.autonomy_state(principal).await.map_err(app_error)?;
    let settings = services.workspace_settings(principal).await.map_err(app_error)?;
    let default_policy = match settings.default_firewall_policy_id {
        Some(id) => Some(services.get_policy(principal, id).await.map_err(app_error)?.record.name),
        None => None,
    };
    let default_guardrail = match settings.default_guardrail_id {
        Some(id) => Some(services.get_guardrail(principal, id).await.map_err(app_error)?.record.name),
        None => None,
    };
    let days = services.verdicts_by_day(principal, 14, Utc::now()).await.map_err(app_error)?;
    Ok(PostureView {
        current_level: state.current_level.map_or_else(|| "custom".to_owned(), |level| level.as_str().to_owned()),
        observe_mode: settings.observe_mode,
        default_policy,
        default_guardrail,
        last_change: state.last_change.map(change_view),
        levels: [Level::Tight, Level::Balanced, Level::Permissive].into_iter().map(level_card).collect(),
        verdicts_by_day: days
            .into_iter()
            .map(|(day, counts)| VerdictDayView {
                day: day.format("%m-%d").to_string(),
                allow: counts.allow,
                audit: counts.audit,
                deny: counts.deny,
                other: counts.other,
            })
            .collect(),
    })
}

fn object_diff(object: &Value, line: fn(&Value) -> String, lines: fn(Option<&Value>) -> Vec<String>) -> Option<ObjectDiffView> {
    let action = text(object, "action");
    if action == "none" {
        return None;
    }
    let changed = object
        .get("rules_changed")
        .and_then(Value::as_array)
        .map(|changes| {
            changes
                .iter()
                .map(|change| format!("{} → {}", line(change.get("before").unwrap_or(&Value::Null)), line(change.get("after").unwrap_or(&Value::Null))))
                .collect()
        })
        .unwrap_or_default();
    Some(ObjectDiffView {
        name: text(object, "name"),
        action,
        rules_added: lines(object.get("rules_added")),
        rules_removed: lines(object.get("rules_removed")),
        rules_changed: changed,
    })
}

fn shown(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "none".to_owned(),
        Some(Value::Object(object)) => object.get("name").and_then(Value::as_str).unwrap_or("?").to_owned(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

fn counts_line(row: &Value, keys: &[&str]) -> String {
    keys.iter()
        .filter_map(|key| row.get(format!("would_{key}")).and_then(Value::as_i64).filter(|n| *n > 0).map(|n| format!("{key} {n}")))
        .collect::<Vec<_>>()
        .join(" · ")
}

const FIREWALL_KEYS: [&str; 5] = ["deny", "audit", "allow", "sanitize", "pending_approval"];
const GUARDRAIL_KEYS: [&str; 3] = ["block", "mask", "flag"];

/// The Simulate page.
pub async fn simulate(services: &Services, principal: &Principal, level: &str) -> Result<SimulateView, AppError> {
    let simulation = services.simulate_autonomy(principal, level, Utc::now()).await.map_err(app_error)?;
    let json = serde_json::to_value(&simulation).unwrap_or(Value::Null);
    let diff = json.get("diff").cloned().unwrap_or(Value::Null);
    let replay = json.get("replay").cloned().unwrap_or(Value::Null);
    let objects = [
        diff.get("firewall_policy").and_then(|object| object_diff(object, firewall_rule_line, grouped_firewall_lines)),
        diff.get("guardrail").and_then(|object| object_diff(object, guardrail_rule_line, |rules| rule_lines(rules, guardrail_rule_line))),
    ]
    .into_iter()
    .flatten()
    .collect();
    let changes = [("Default policy", "default_firewall_policy"), ("Default guardrail", "default_guardrail"), ("Default verdict", "default_verdict"), ("Observe mode", "observe_mode")]
        .into_iter()
        .filter_map(|(what, key)| {
            let change = diff.get(key)?;
            Some(ChangeView { what: what.to_owned(), before: shown(change.get("before")), after: shown(change.get("after")) })
        })
        .collect();
    let firewall = replay.get("firewall").cloned().unwrap_or(Value::Null);
    let guardrails = replay.get("guardrails").cloned().unwrap_or(Value::Null);
    let rows = |list: Option<&Value>, name: &str, place: &str, keys: &[&str]| -> Vec<ReplayRowView> {
        list.and_then(Value::as_array)
            .map(|rows| {
                rows.iter()
                    .map(|row| ReplayRowView {
                        tool_name: text(row, name),
                        surface: text(row, place),
                        rule_label: Some(text(row, "rule_label")).filter(|label| !label.is_empty()).unwrap_or_else(|| "default verdict".into()),
                        counts: counts_line(row, keys),
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(SimulateView {
        level: text(&json, "level"),
        objects,
        changes,
        events_considered: replay.get("events_considered").and_then(Value::as_i64).unwrap_or(0),
        unaffected: replay.get("unaffected").and_then(Value::as_i64).unwrap_or(0),
        approximate: replay.get("approximate").and_then(Value::as_i64).unwrap_or(0),
        firewall_totals: Some(counts_line(&firewall, &FIREWALL_KEYS)).filter(|line| !line.is_empty()).unwrap_or_else(|| "no change".into()),
        by_tool: rows(firewall.get("by_tool"), "tool_name", "surface", &FIREWALL_KEYS),
        guardrail_totals: Some(counts_line(&guardrails, &GUARDRAIL_KEYS)).filter(|line| !line.is_empty()).unwrap_or_else(|| "no recorded matches".into()),
        guardrail_rows: rows(guardrails.get("by_rule"), "entity", "stage", &GUARDRAIL_KEYS),
    })
}

/// Applies a level; returns the audit id.
pub async fn apply(services: &Services, principal: &Principal, level: &str) -> Result<i64, AppError> {
    Ok(services.apply_autonomy(principal, level, Utc::now()).await.map_err(app_error)?.audit_id)
}

/// Undoes an autonomy row; returns the audit id of the undo.
pub async fn undo(services: &Services, principal: &Principal, audit_id: i64, force: bool) -> Result<i64, AppError> {
    Ok(services.undo_autonomy(principal, audit_id, force, Utc::now()).await.map_err(app_error)?.audit_id)
}

/// A page of the audit feed, newest first.
pub async fn audit(services: &Services, principal: &Principal, verb: Option<String>, cursor: Option<String>) -> Result<AuditPageView, AppError> {
    let query = AuditQuery { verbs: verb.into_iter().collect(), cursor, limit: Some(50), ..Default::default() };
    let page = services.audit_feed(principal, query, Utc::now()).await.map_err(app_error)?;
    Ok(AuditPageView {
        entries: page
            .data
            .into_iter()
            .map(|entry| AuditEntryView {
                id: entry.id,
                created_at: entry.created_at.to_rfc3339(),
                actor_label: entry.actor_label,
                undo_available: AUTONOMY_VERBS.contains(&entry.verb.as_str()).then_some(entry.undo_available.unwrap_or(false)),
                verb: entry.verb,
                target_type: entry.target_type,
                target_id: entry.target_id,
                metadata: serde_json::to_string_pretty(&entry.metadata).unwrap_or_default(),
            })
            .collect(),
        next_cursor: page.next_cursor,
    })
}
