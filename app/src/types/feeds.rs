//! Feed DTOs: Events, Approvals, Matches (and suppressions), Runs with the trace view, Discovered Tools,
//! and the feed filter forms.

use serde::{Deserialize, Serialize};

/// One firewall event (SPEC §2.8), JSON blobs already pretty-printed for the details drawer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeedEventView {
    pub id: i64,
    pub created_at: String,
    pub request_id: String,
    pub key_name: String,
    pub model_name: Option<String>,
    pub surface: String,
    pub tool_name: String,
    pub skill_name: Option<String>,
    pub mcp_server: Option<String>,
    pub destination: Option<String>,
    pub verdict: String,
    pub reason: String,
    pub policy_name: Option<String>,
    pub rule_label: Option<String>,
    pub shadow: bool,
    pub gap: bool,
    pub review: bool,
    pub args_summary: Option<String>,
    pub args_hash: Option<String>,
    pub approval_id: Option<String>,
    pub cost_check: Option<String>,
    pub run_id: Option<String>,
    pub conversation_id: Option<String>,
    pub step_id: Option<String>,
    pub parent_step_id: Option<String>,
}

/// A page of the Events feed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventPageView {
    pub events: Vec<FeedEventView>,
    pub next_cursor: Option<String>,
}

/// One approval of the queue (SPEC §2.11); timestamps are RFC 3339.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApprovalView {
    pub id: String,
    pub state: String,
    pub surface: String,
    pub tool_name: String,
    pub args_hash: String,
    pub args_summary: Option<String>,
    pub key_name: String,
    pub run_id: Option<String>,
    pub policy_id: i64,
    pub policy_name: String,
    pub rule_label: Option<String>,
    pub reason: String,
    pub created_at: String,
    pub expires_at: String,
    /// Whole seconds until `expires_at` when the page was read (0 once past).
    pub expires_in_secs: i64,
    pub decided_at: Option<String>,
    pub decided_via: Option<String>,
    pub decision_note: Option<String>,
    pub consumed_at: Option<String>,
}

/// A page of the Approvals queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApprovalPageView {
    pub state: String,
    pub approvals: Vec<ApprovalView>,
    pub next_cursor: Option<String>,
}

/// One guardrail match (SPEC §2.9); `matched` is `None` below Developer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeedMatchView {
    pub id: i64,
    pub created_at: String,
    pub request_id: String,
    pub key_name: String,
    pub model_name: Option<String>,
    pub guardrail_id: i64,
    pub guardrail_name: String,
    pub rule_label: String,
    pub rule_type: String,
    pub stage: String,
    pub action: String,
    pub entity: Option<String>,
    pub count: i64,
    pub detail: String,
    pub matched: Option<String>,
    pub false_positive: bool,
    pub error: bool,
    pub run_id: Option<String>,
}

/// A page of the Matches feed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MatchPageView {
    pub matches: Vec<FeedMatchView>,
    pub next_cursor: Option<String>,
}

/// One run of the Runs feed; `verdicts` are (verdict, count) pairs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSummaryView {
    pub run_id: String,
    pub key_names: Vec<String>,
    pub first_seen_at: String,
    pub last_seen_at: String,
    pub requests: i64,
    pub tool_calls: i64,
    pub verdicts: Vec<(String, i64)>,
    pub matches: i64,
    pub cost_usd: f64,
    pub blocked: bool,
}

/// A page of the Runs feed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunPageView {
    pub runs: Vec<RunSummaryView>,
    pub next_cursor: Option<String>,
}

/// One LLM call of a run's step tree, with its events, matches and child steps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceNodeView {
    pub request_id: String,
    pub created_at: String,
    pub key_name: String,
    pub route: String,
    pub model: Option<String>,
    pub status: i64,
    pub error_code: Option<String>,
    pub latency_ms: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub cost_usd: f64,
    pub tool_calls: i64,
    pub step_id: Option<String>,
    pub parent_step_id: Option<String>,
    pub events: Vec<FeedEventView>,
    pub matches: Vec<FeedMatchView>,
    pub children: Vec<TraceNodeView>,
}

/// The trace of one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunTraceView {
    pub run_id: String,
    pub nodes: Vec<TraceNodeView>,
}

/// One discovered tool (SPEC §2.12); `verdicts` are the non-zero (verdict, count) pairs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DiscoveredToolView {
    pub tool_name: String,
    pub mcp_server: Option<String>,
    pub surfaces: Vec<String>,
    pub first_seen_at: String,
    pub last_seen_at: String,
    pub call_count: i64,
    pub verdicts: Vec<(String, i64)>,
    pub coverage: String,
    pub last_policy_name: Option<String>,
    pub last_rule_label: Option<String>,
    pub last_key_name: String,
}

/// A page of discovered tools.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DiscoveredPageView {
    pub tools: Vec<DiscoveredToolView>,
    pub next_cursor: Option<String>,
}

/// The Events page's filters (empty strings mean "any").
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EventQueryForm {
    pub verdict: Option<String>,
    pub surface: Option<String>,
    pub tool_name: Option<String>,
    pub run_id: Option<String>,
    pub cursor: Option<String>,
}

/// The Matches page's filters.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MatchQueryForm {
    pub stage: Option<String>,
    pub action: Option<String>,
    pub rule_type: Option<String>,
    pub hide_fp: bool,
    pub cursor: Option<String>,
}

/// A false-positive suppression (SPEC §2.10); `fingerprint` is the 12-hex prefix the Matches rows show.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SuppressionView {
    pub id: i64,
    pub fingerprint: String,
    pub guardrail_id: i64,
    pub rule_id: i64,
    pub entity_type: String,
    pub source_match_id: Option<i64>,
    pub note: String,
    pub created_at: String,
}
