//! Read-only feeds of relay traffic (SPEC §7): `/workspace/firewall/events`, `/workspace/firewall/runs`,
//! `/workspace/firewall/runs/:run_id`, `/guardrails/matches`, `/guardrails/matches/:id`,
//! `/workspace/firewall/discovered`. Each handler parses its query, calls one service method and shapes
//! rows as §2.8, §2.9, §2.12 and the Runs/Trace rows.

use axum::extract::{Path, Query, State};
use axum::Json;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::api::{ApiError, Caller};
use crate::service::feeds::{FeedWindow, RunSummary, TraceNode};
use crate::service::{FieldError, ServiceError, Services};
use crate::store::discovered_tools::DiscoveredTool;
use crate::store::firewall_events::{EventFilter, EventRecord};
use crate::store::guardrail_matches::{MatchFilter, MatchRecord};

fn usd(micros: i64) -> f64 {
    micros as f64 / 1_000_000.0
}

/// Query parameters split into the shared window and the feed's own filters; unknown names are errors.
struct Params {
    window: FeedWindow,
    errors: Vec<FieldError>,
}

impl Params {
    fn new() -> Self {
        Params { window: FeedWindow::default(), errors: Vec::new() }
    }

    fn int<T: std::str::FromStr>(&mut self, field: &str, value: &str) -> Option<T> {
        let parsed = value.parse().ok();
        if parsed.is_none() {
            self.errors.push(FieldError::new(field, "must be an integer"));
        }
        parsed
    }

    fn flag(&mut self, field: &str, value: &str) -> Option<bool> {
        let parsed = value.parse().ok();
        if parsed.is_none() {
            self.errors.push(FieldError::new(field, "must be true or false"));
        }
        parsed
    }

    fn time(&mut self, field: &str, value: &str) -> Option<DateTime<Utc>> {
        let parsed = DateTime::parse_from_rfc3339(value).ok().map(|t| t.with_timezone(&Utc));
        if parsed.is_none() {
            self.errors.push(FieldError::new(field, "must be an RFC 3339 timestamp"));
        }
        parsed
    }

    /// Takes a window parameter; false when `key` is not one.
    fn window(&mut self, key: &str, value: &str) -> bool {
        match key {
            "limit" => self.window.limit = self.int("limit", value),
            "cursor" => self.window.cursor = Some(value.to_owned()),
            "since" => self.window.since = self.time("since", value),
            "until" => self.window.until = self.time("until", value),
            "days" => self.window.days = self.int("days", value),
            _ => return false,
        }
        true
    }

    fn unknown(&mut self, key: &str) {
        self.errors.push(FieldError::new(key, "is not a filter of this feed"));
    }

    fn finish(self) -> Result<FeedWindow, ServiceError> {
        if self.errors.is_empty() {
            Ok(self.window)
        } else {
            Err(ServiceError::Invalid(self.errors))
        }
    }
}

fn page_json<T>(data: &[T], next_cursor: Option<String>, row: impl Fn(&T) -> Value) -> Json<Value> {
    Json(json!({ "data": data.iter().map(row).collect::<Vec<_>>(), "next_cursor": next_cursor }))
}

fn event_json(row: &EventRecord) -> Value {
    json!({
        "id": row.id, "created_at": row.created_at, "request_id": row.request_id, "key_id": row.key_id,
        "key_name": row.key_name, "model_name": row.model_name, "surface": row.surface, "tool_name": row.tool_name,
        "skill_name": row.skill_name, "mcp_server": row.mcp_server, "destination": row.destination, "verdict": row.verdict,
        "reason": row.reason, "policy_id": row.policy_id, "policy_name": row.policy_name, "rule_id": row.rule_id,
        "rule_label": row.rule_label, "shadow": row.shadow, "gap": row.gap, "review": row.review,
        "args_summary": row.args_summary, "args_hash": row.args_hash, "approval_id": row.approval_id,
        "cost_check": row.cost_check, "run_id": row.run_id, "conversation_id": row.conversation_id,
        "step_id": row.step_id, "parent_step_id": row.parent_step_id,
    })
}

pub(crate) fn match_json(row: &MatchRecord) -> Value {
    json!({
        "id": row.id, "created_at": row.created_at, "request_id": row.request_id, "key_id": row.key_id,
        "key_name": row.key_name, "client_ip": row.client_ip, "model_name": row.model_name,
        "guardrail_id": row.guardrail_id, "guardrail_name": row.guardrail_name, "rule_id": row.rule_id,
        "rule_label": row.rule_label, "rule_type": row.rule_type, "stage": row.stage, "action": row.action,
        "entity": row.entity, "count": row.count, "detail": row.detail, "matched": row.matched,
        "fingerprint": row.fingerprint.get(..12).unwrap_or(&row.fingerprint), "false_positive": row.false_positive,
        "error": row.error, "run_id": row.run_id, "conversation_id": row.conversation_id, "step_id": row.step_id,
        "parent_step_id": row.parent_step_id,
    })
}

fn discovered_json(row: &DiscoveredTool) -> Value {
    json!({
        "id": row.id, "tool_name": row.tool_name, "mcp_server": row.mcp_server, "surfaces": row.surfaces,
        "first_seen_at": row.first_seen_at, "last_seen_at": row.last_seen_at, "call_count": row.call_count,
        "verdict_counts": row.verdict_counts, "coverage": row.coverage, "last_policy_name": row.last_policy_name,
        "last_rule_label": row.last_rule_label, "last_key_name": row.last_key_name,
    })
}

fn run_json(row: &RunSummary) -> Value {
    json!({
        "run_id": row.run_id, "key_names": row.key_names, "first_seen_at": row.first_seen_at,
        "last_seen_at": row.last_seen_at, "requests": row.requests, "tool_calls": row.tool_calls,
        "verdict_counts": row.verdict_counts, "matches": row.matches, "cost_usd": usd(row.cost_micros), "blocked": row.blocked,
    })
}

fn trace_json(node: &TraceNode) -> Value {
    let kind = if matches!(node.request.route.as_str(), "mcp" | "evaluate") { "tool" } else { "llm" };
    json!({
        "step_id": node.request.step_id, "parent_step_id": node.request.parent_step_id, "request_id": node.request.request_id,
        "kind": kind, "model": node.request.model, "status": node.request.status, "cost_usd": usd(node.request.cost_micros),
        "created_at": node.request.created_at, "events": node.events.iter().map(event_json).collect::<Vec<_>>(),
        "matches": node.matches.iter().map(match_json).collect::<Vec<_>>(),
        "children": node.children.iter().map(trace_json).collect::<Vec<_>>(),
    })
}

pub async fn events(State(services): State<Services>, Caller(principal): Caller, Query(pairs): Query<Vec<(String, String)>>) -> Result<Json<Value>, ApiError> {
    let mut params = Params::new();
    let mut filter = EventFilter::default();
    for (key, value) in pairs {
        match key.as_str() {
            "verdict" => filter.verdicts.extend(value.split(',').map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)),
            "surface" => filter.surface = Some(value),
            "tool_name" => filter.tool_name = Some(value),
            "policy_id" => filter.policy_id = params.int("policy_id", &value),
            "rule_id" => filter.rule_id = params.int("rule_id", &value),
            "key_id" => filter.key_id = params.int("key_id", &value),
            "run_id" => filter.run_id = Some(value),
            "conversation_id" => filter.conversation_id = Some(value),
            "request_id" => filter.request_id = Some(value),
            "review" => filter.review = params.flag("review", &value),
            "gap" => filter.gap = params.flag("gap", &value),
            "shadow" => filter.shadow = params.flag("shadow", &value),
            other => {
                if !params.window(other, &value) {
                    params.unknown(other);
                }
            }
        }
    }
    let page = services.list_firewall_events(&principal, filter, params.finish()?).await?;
    Ok(page_json(&page.data, page.next_cursor, event_json))
}

pub async fn matches(State(services): State<Services>, Caller(principal): Caller, Query(pairs): Query<Vec<(String, String)>>) -> Result<Json<Value>, ApiError> {
    let (filter, window) = match_query(pairs, true)?;
    let page = services.list_guardrail_matches(&principal, filter, window).await?;
    Ok(page_json(&page.data, page.next_cursor, match_json))
}

pub async fn match_get(State(services): State<Services>, Caller(principal): Caller, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    Ok(Json(match_json(&services.get_guardrail_match(&principal, id).await?)))
}

/// The Matches filters of §7 and the time window; `paged` = `limit` and `cursor` are accepted too (the
/// CSV export is bounded instead of paged, so it refuses them).
pub(crate) fn match_query(pairs: Vec<(String, String)>, paged: bool) -> Result<(MatchFilter, FeedWindow), ServiceError> {
    let mut params = Params::new();
    let mut filter = MatchFilter::default();
    for (key, value) in pairs {
        match key.as_str() {
            "guardrail_id" => filter.guardrail_id = params.int("guardrail_id", &value),
            "rule_id" => filter.rule_id = params.int("rule_id", &value),
            "key_id" => filter.key_id = params.int("key_id", &value),
            "rule_type" => filter.rule_type = Some(value),
            "action" => filter.action = Some(value),
            "stage" => filter.stage = Some(value),
            "model_name" => filter.model_name = Some(value),
            "request_id" => filter.request_id = Some(value),
            "run_id" => filter.run_id = Some(value),
            "conversation_id" => filter.conversation_id = Some(value),
            "hide_fp" => filter.hide_fp = params.flag("hide_fp", &value).unwrap_or(false),
            "limit" | "cursor" if !paged => params.unknown(&key),
            other => {
                if !params.window(other, &value) {
                    params.unknown(other);
                }
            }
        }
    }
    Ok((filter, params.finish()?))
}

pub async fn discovered(State(services): State<Services>, Caller(principal): Caller, Query(pairs): Query<Vec<(String, String)>>) -> Result<Json<Value>, ApiError> {
    let mut params = Params::new();
    let (mut coverage, mut surface, mut q) = (None, None, None);
    for (key, value) in pairs {
        match key.as_str() {
            "coverage" => coverage = Some(value),
            "surface" => surface = Some(value),
            "q" => q = Some(value),
            other => {
                if !params.window(other, &value) {
                    params.unknown(other);
                }
            }
        }
    }
    let page = services.list_discovered_tools(&principal, coverage, surface, q, params.finish()?).await?;
    Ok(page_json(&page.data, page.next_cursor, discovered_json))
}

pub async fn runs(State(services): State<Services>, Caller(principal): Caller, Query(pairs): Query<Vec<(String, String)>>) -> Result<Json<Value>, ApiError> {
    let mut params = Params::new();
    let (mut key_id, mut blocked) = (None, None);
    for (key, value) in pairs {
        match key.as_str() {
            "key_id" => key_id = params.int("key_id", &value),
            "blocked" => blocked = params.flag("blocked", &value),
            other => {
                if !params.window(other, &value) {
                    params.unknown(other);
                }
            }
        }
    }
    let page = services.list_runs(&principal, key_id, blocked, params.finish()?).await?;
    Ok(page_json(&page.data, page.next_cursor, run_json))
}

pub async fn trace(State(services): State<Services>, Caller(principal): Caller, Path(run_id): Path<String>) -> Result<Json<Value>, ApiError> {
    let nodes = services.run_trace(&principal, &run_id).await?;
    Ok(Json(json!({ "run_id": run_id, "steps": nodes.iter().map(trace_json).collect::<Vec<_>>() })))
}
