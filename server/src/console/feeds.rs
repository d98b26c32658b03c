//! The relay feeds for the console (SPEC §7, §10): Events, Matches (with mark-fp and the suppression
//! list), Runs, a run's trace and discovered tools. Parses the pages' query strings into service filters,
//! calls the feed services and formats rows into the page DTOs. Permissions (Developer+ for events/runs,
//! `matched` redaction, Admin+ for mark-fp and deleting suppressions) stay in the service.

use app::types::*;
use app::AppError;
use chrono::Utc;
use serde_json::Value;

use crate::console::convert::app_error;
use crate::engine::guardrail::suppress::short;
use crate::service::feeds::{FeedWindow, RunSummary, TraceNode};
use crate::service::identity::Principal;
use crate::service::Services;
use crate::store::discovered_tools::DiscoveredTool;
use crate::store::firewall_events::{EventFilter, EventRecord};
use crate::store::guardrail_matches::{MatchFilter, MatchRecord};
use crate::store::suppressions::SuppressionRecord;

/// Rows per console page.
const PAGE: u64 = 50;

/// A query-string value, with "" meaning "no filter".
fn given(value: Option<String>) -> Option<String> {
    value.map(|text| text.trim().to_owned()).filter(|text| !text.is_empty())
}

fn window(cursor: Option<String>) -> FeedWindow {
    FeedWindow { limit: Some(PAGE), cursor: given(cursor), ..Default::default() }
}

fn usd(micros: i64) -> f64 {
    micros as f64 / 1_000_000.0
}

fn pretty(value: Option<Value>) -> Option<String> {
    value.filter(|value| !value.is_null()).map(|value| serde_json::to_string_pretty(&value).unwrap_or_default())
}

pub fn event_view(row: EventRecord) -> FeedEventView {
    FeedEventView {
        id: row.id,
        created_at: row.created_at.to_rfc3339(),
        request_id: row.request_id,
        key_name: row.key_name,
        model_name: row.model_name,
        surface: row.surface,
        tool_name: row.tool_name,
        skill_name: row.skill_name,
        mcp_server: row.mcp_server,
        destination: pretty(row.destination),
        verdict: row.verdict,
        reason: row.reason,
        policy_name: row.policy_name,
        rule_label: row.rule_label,
        shadow: row.shadow,
        gap: row.gap,
        review: row.review,
        args_summary: row.args_summary,
        args_hash: row.args_hash,
        approval_id: row.approval_id,
        cost_check: pretty(row.cost_check),
        run_id: row.run_id,
        conversation_id: row.conversation_id,
        step_id: row.step_id,
        parent_step_id: row.parent_step_id,
    }
}

pub fn match_view(row: MatchRecord) -> FeedMatchView {
    FeedMatchView {
        id: row.id,
        created_at: row.created_at.to_rfc3339(),
        request_id: row.request_id,
        key_name: row.key_name,
        model_name: row.model_name,
        guardrail_id: row.guardrail_id,
        guardrail_name: row.guardrail_name,
        rule_label: row.rule_label,
        rule_type: row.rule_type,
        stage: row.stage,
        action: row.action,
        entity: row.entity,
        count: row.count,
        detail: row.detail,
        matched: row.matched,
        false_positive: row.false_positive,
        error: row.error,
        run_id: row.run_id,
    }
}

fn run_view(run: RunSummary) -> RunSummaryView {
    RunSummaryView {
        run_id: run.run_id,
        key_names: run.key_names,
        first_seen_at: run.first_seen_at.to_rfc3339(),
        last_seen_at: run.last_seen_at.to_rfc3339(),
        requests: run.requests,
        tool_calls: run.tool_calls,
        verdicts: run.verdict_counts.into_iter().collect(),
        matches: run.matches,
        cost_usd: usd(run.cost_micros),
        blocked: run.blocked,
    }
}

fn node_view(node: TraceNode) -> TraceNodeView {
    let request = node.request;
    TraceNodeView {
        request_id: request.request_id,
        created_at: request.created_at.to_rfc3339(),
        key_name: request.key_name,
        route: request.route,
        model: request.model,
        status: request.status,
        error_code: request.error_code,
        latency_ms: request.latency_ms,
        prompt_tokens: request.prompt_tokens,
        completion_tokens: request.completion_tokens,
        cost_usd: usd(request.cost_micros),
        tool_calls: request.tool_calls,
        step_id: request.step_id,
        parent_step_id: request.parent_step_id,
        events: node.events.into_iter().map(event_view).collect(),
        matches: node.matches.into_iter().map(match_view).collect(),
        children: node.children.into_iter().map(node_view).collect(),
    }
}

/// Verdict counts in a fixed, readable order, zeros dropped.
fn verdict_pairs(counts: &Value) -> Vec<(String, i64)> {
    const ORDER: [&str; 6] = ["deny", "pending_approval", "sanitize", "audit", "observe", "allow"];
    let mut pairs: Vec<(String, i64)> = ORDER
        .iter()
        .filter_map(|verdict| counts.get(*verdict).and_then(Value::as_i64).filter(|n| *n > 0).map(|n| ((*verdict).to_owned(), n)))
        .collect();
    if let Some(object) = counts.as_object() {
        for (verdict, n) in object {
            if !ORDER.contains(&verdict.as_str()) && n.as_i64().is_some_and(|n| n > 0) {
                pairs.push((verdict.clone(), n.as_i64().unwrap_or(0)));
            }
        }
    }
    pairs
}

fn discovered_view(tool: DiscoveredTool) -> DiscoveredToolView {
    DiscoveredToolView {
        verdicts: verdict_pairs(&tool.verdict_counts),
        tool_name: tool.tool_name,
        mcp_server: tool.mcp_server,
        surfaces: tool.surfaces,
        first_seen_at: tool.first_seen_at.to_rfc3339(),
        last_seen_at: tool.last_seen_at.to_rfc3339(),
        call_count: tool.call_count,
        coverage: tool.coverage,
        last_policy_name: tool.last_policy_name,
        last_rule_label: tool.last_rule_label,
        last_key_name: tool.last_key_name,
    }
}

/// A page of firewall events (Developer+).
pub async fn events(services: &Services, principal: &Principal, query: EventQueryForm) -> Result<EventPageView, AppError> {
    let filter = EventFilter {
        verdicts: given(query.verdict).into_iter().collect(),
        surface: given(query.surface),
        tool_name: given(query.tool_name),
        run_id: given(query.run_id),
        ..Default::default()
    };
    let page = services.list_firewall_events(principal, filter, window(query.cursor)).await.map_err(app_error)?;
    Ok(EventPageView { events: page.data.into_iter().map(event_view).collect(), next_cursor: page.next_cursor })
}

/// A page of guardrail matches (Member; `matched` is redacted by the service below Developer).
pub async fn matches(services: &Services, principal: &Principal, query: MatchQueryForm) -> Result<MatchPageView, AppError> {
    let filter = MatchFilter {
        stage: given(query.stage),
        action: given(query.action),
        rule_type: given(query.rule_type),
        hide_fp: query.hide_fp,
        ..Default::default()
    };
    let page = services.list_guardrail_matches(principal, filter, window(query.cursor)).await.map_err(app_error)?;
    Ok(MatchPageView { matches: page.data.into_iter().map(match_view).collect(), next_cursor: page.next_cursor })
}

/// Marks match `match_id` as a false positive (Admin+, checked by the service); a blank note is none.
pub async fn mark_false_positive(services: &Services, principal: &Principal, match_id: i64, note: String) -> Result<u64, AppError> {
    let marked = services.mark_false_positive(principal, match_id, given(Some(note)), Utc::now()).await.map_err(app_error)?;
    Ok(marked.flagged)
}

/// The workspace's suppressions (Member).
pub async fn suppressions(services: &Services, principal: &Principal) -> Result<Vec<SuppressionView>, AppError> {
    let rows = services.list_suppressions(principal).await.map_err(app_error)?;
    Ok(rows.into_iter().map(suppression_view).collect())
}

/// Deletes a suppression (Admin+, checked by the service).
pub async fn delete_suppression(services: &Services, principal: &Principal, id: i64) -> Result<(), AppError> {
    services.delete_suppression(principal, id, Utc::now()).await.map_err(app_error)
}

fn suppression_view(row: SuppressionRecord) -> SuppressionView {
    SuppressionView {
        id: row.id,
        fingerprint: short(&row.fingerprint).to_owned(),
        guardrail_id: row.guardrail_id,
        rule_id: row.rule_id,
        entity_type: row.entity_type,
        source_match_id: row.source_match_id,
        note: row.note,
        created_at: row.created_at.to_rfc3339(),
    }
}

/// A page of runs (Developer+).
pub async fn runs(services: &Services, principal: &Principal, cursor: Option<String>) -> Result<RunPageView, AppError> {
    let page = services.list_runs(principal, None, None, window(cursor)).await.map_err(app_error)?;
    Ok(RunPageView { runs: page.data.into_iter().map(run_view).collect(), next_cursor: page.next_cursor })
}

/// One run's step tree (Developer+).
pub async fn trace(services: &Services, principal: &Principal, run_id: String) -> Result<RunTraceView, AppError> {
    let nodes = services.run_trace(principal, &run_id).await.map_err(app_error)?;
    Ok(RunTraceView { run_id, nodes: nodes.into_iter().map(node_view).collect() })
}

/// A page of discovered tools (Member); `coverage` is `gap` or `covered`.
pub async fn discovered(services: &Services, principal: &Principal, coverage: Option<String>, cursor: Option<String>) -> Result<DiscoveredPageView, AppError> {
    let page = services.list_discovered_tools(principal, given(coverage), None, None, window(cursor)).await.map_err(app_error)?;
    Ok(DiscoveredPageView { tools: page.data.into_iter().map(discovered_view).collect(), next_cursor: page.next_cursor })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_pairs_are_ordered_and_skip_zeros() {
        let counts = serde_json::json!({"allow": 3, "audit": 0, "deny": 1, "observe": 2, "custom": 4});
        let pairs = verdict_pairs(&counts);
        assert_eq!(pairs, vec![("deny".into(), 1), ("observe".into(), 2), ("allow".into(), 3), ("custom".into(), 4)]);
    }

    #[test]
    fn blank_filters_mean_any() {
        assert_eq!(given(Some("  ".into())), None);
        assert_eq!(given(Some(" deny ".into())), Some("deny".into()));
        assert_eq!(given(None), None);
    }
}
