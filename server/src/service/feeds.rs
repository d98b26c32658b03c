//! The relay's feeds (SPEC §7): firewall events, runs, a run's trace, guardrail matches and discovered
//! tools. Read-only, workspace-scoped, newest first with keyset pagination; Events, Runs and traces need
//! `ReadSensitiveFeeds` (they carry tool-call arguments), as does the raw `matched` text of matches.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};

use crate::auth::roles::{allows, Capability};
use crate::service::identity::Principal;
use crate::service::{FieldError, ServiceError, ServiceResult, Services};
use crate::store::discovered_tools::DiscoveredTool;
use crate::store::firewall_events::{EventFilter, EventRecord};
use crate::store::guardrail_matches::{MatchFilter, MatchRecord};
use crate::store::keyset::{self, PageQuery};
use crate::store::requests::RequestRecord;
use crate::store::{self};

/// Paging and time filters shared by every feed, as the adapters parse them.
#[derive(Clone, Debug, Default)]
pub struct FeedWindow {
    pub limit: Option<u64>,
    pub cursor: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub days: Option<i64>,
}

/// One page of a feed.
#[derive(Clone, Debug, PartialEq)]
pub struct FeedPage<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

/// Most rows one Matches CSV export carries; the export is bounded rather than paged.
pub const EXPORT_MAX_ROWS: u64 = 10_000;

/// A bounded Matches export: the rows, whether more matched than [`EXPORT_MAX_ROWS`], and whether the
/// caller may see the raw `matched` column.
#[derive(Clone, Debug, PartialEq)]
pub struct MatchExport {
    pub rows: Vec<MatchRecord>,
    pub truncated: bool,
    pub include_matched: bool,
}

/// One row of the Runs feed.
#[derive(Clone, Debug, PartialEq)]
pub struct RunSummary {
    pub run_id: String,
    pub key_names: Vec<String>,
    pub first_seen_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub requests: i64,
    pub tool_calls: i64,
    pub verdict_counts: BTreeMap<String, i64>,
    pub matches: i64,
    pub cost_micros: i64,
    pub blocked: bool,
}

/// One node of a run's step tree.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceNode {
    pub request: RequestRecord,
    pub events: Vec<EventRecord>,
    pub matches: Vec<MatchRecord>,
    pub children: Vec<TraceNode>,
}

impl FeedWindow {
    /// Validates the window into a page query (limit 1–200, default 50; days 1–180; a known cursor).
    pub fn page(&self, now: DateTime<Utc>) -> ServiceResult<PageQuery> {
        let mut errors = Vec::new();
        let limit = self.limit.unwrap_or(50);
        if !(1..=200).contains(&limit) {
            errors.push(FieldError::new("limit", "must be between 1 and 200"));
        }
        let after = match self.cursor.as_deref().filter(|cursor| !cursor.is_empty()) {
            Some(cursor) => {
                let position = keyset::decode_cursor(cursor);
                if position.is_none() {
                    errors.push(FieldError::new("cursor", "is not a cursor returned by this feed"));
                }
                position
            }
            None => None,
        };
        let mut since = self.since;
        if let Some(days) = self.days {
            if !(1..=180).contains(&days) {
                errors.push(FieldError::new("days", "must be between 1 and 180"));
            }
            since = Some(now - Duration::days(days));
        }
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        Ok(PageQuery { limit, after, since, until: self.until })
    }
}

fn is_blocked(request: &RequestRecord) -> bool {
    request.status >= 400 || request.error_code.is_some()
}

impl Services {
    /// `GET /api/workspace/firewall/events` (Developer+).
    pub async fn list_firewall_events(&self, principal: &Principal, filter: EventFilter, window: FeedWindow) -> ServiceResult<FeedPage<EventRecord>> {
        principal.require(Capability::ReadSensitiveFeeds)?;
        let page = window.page(Utc::now())?;
        let (data, next_cursor) = store::firewall_events::list(&self.db, principal.workspace_id, &filter, &page).await?;
        Ok(FeedPage { data, next_cursor })
    }

    /// `GET /api/guardrails/matches` (Member; `matched` only for Developer+).
    pub async fn list_guardrail_matches(&self, principal: &Principal, filter: MatchFilter, window: FeedWindow) -> ServiceResult<FeedPage<MatchRecord>> {
        principal.require(Capability::ReadWorkspace)?;
        let page = window.page(Utc::now())?;
        let (mut data, next_cursor) = store::guardrail_matches::list(&self.db, principal.workspace_id, &filter, &page).await?;
        if !allows(principal.role, Capability::ReadSensitiveFeeds) {
            data.iter_mut().for_each(|row| row.matched = None);
        }
        Ok(FeedPage { data, next_cursor })
    }

    /// `GET /api/guardrails/matches/:id` (Member; `matched` only for Developer+).
    pub async fn get_guardrail_match(&self, principal: &Principal, id: i64) -> ServiceResult<MatchRecord> {
        principal.require(Capability::ReadWorkspace)?;
        let mut row = store::guardrail_matches::find(&self.db, principal.workspace_id, id).await?.ok_or(ServiceError::NotFound("match"))?;
        if !allows(principal.role, Capability::ReadSensitiveFeeds) {
            row.matched = None;
        }
        Ok(row)
    }

    /// `GET /api/guardrails/matches.csv` (Member): the newest [`EXPORT_MAX_ROWS`] matches of the filters
    /// and time window (no paging); `matched` is dropped below Developer, and `include_matched` says so.
    pub async fn export_guardrail_matches(&self, principal: &Principal, filter: MatchFilter, window: FeedWindow) -> ServiceResult<MatchExport> {
        principal.require(Capability::ReadWorkspace)?;
        let mut page = FeedWindow { limit: None, cursor: None, ..window }.page(Utc::now())?;
        page.limit = EXPORT_MAX_ROWS;
        let (mut rows, next_cursor) = store::guardrail_matches::list(&self.db, principal.workspace_id, &filter, &page).await?;
        let include_matched = allows(principal.role, Capability::ReadSensitiveFeeds);
        if !include_matched {
            rows.iter_mut().for_each(|row| row.matched = None);
        }
        Ok(MatchExport { rows, truncated: next_cursor.is_some(), include_matched })
    }

    /// `GET /api/workspace/firewall/discovered` (Member), most recently seen first; `q` is a substring.
    pub async fn list_discovered_tools(
        &self,
        principal: &Principal,
        coverage: Option<String>,
        surface: Option<String>,
        q: Option<String>,
        window: FeedWindow,
    ) -> ServiceResult<FeedPage<DiscoveredTool>> {
        principal.require(Capability::ReadWorkspace)?;
        let page = window.page(Utc::now())?;
        let needle = q.map(|q| q.to_lowercase());
        let tools: Vec<DiscoveredTool> = store::discovered_tools::list(&self.db, principal.workspace_id)
            .await?
            .into_iter()
            .filter(|tool| coverage.as_ref().is_none_or(|c| &tool.coverage == c))
            .filter(|tool| surface.as_ref().is_none_or(|s| tool.surfaces.contains(s)))
            .filter(|tool| needle.as_ref().is_none_or(|n| tool.tool_name.to_lowercase().contains(n)))
            .filter(|tool| page.since.is_none_or(|since| tool.last_seen_at >= since) && page.until.is_none_or(|until| tool.last_seen_at < until))
            .filter(|tool| page.after.is_none_or(|(at, id)| (tool.last_seen_at, tool.id) < (at, id)))
            .take(page.limit as usize + 1)
            .collect();
        let (data, next_cursor) = keyset::finish(tools, page.limit, |tool| (tool.last_seen_at, tool.id));
        Ok(FeedPage { data, next_cursor })
    }

    /// `GET /api/workspace/firewall/runs` (Developer+), ordered by `last_seen_at`. Runs are aggregated from
    /// the request rows of the window; the cursor is (`last_seen_at`, first request id) of the last run.
    pub async fn list_runs(&self, principal: &Principal, key_id: Option<i64>, blocked: Option<bool>, window: FeedWindow) -> ServiceResult<FeedPage<RunSummary>> {
        principal.require(Capability::ReadSensitiveFeeds)?;
        let page = window.page(Utc::now())?;
        let requests = store::requests::list_with_run(&self.db, principal.workspace_id, key_id, page.since, page.until).await?;
        let mut runs: HashMap<String, (RunSummary, i64)> = HashMap::new();
        for request in requests {
            let Some(run_id) = request.run_id.clone() else { continue };
            let (run, anchor) = runs.entry(run_id.clone()).or_insert_with(|| {
                let summary = RunSummary {
                    run_id,
                    key_names: Vec::new(),
                    first_seen_at: request.created_at,
                    last_seen_at: request.created_at,
                    requests: 0,
                    tool_calls: 0,
                    verdict_counts: BTreeMap::new(),
                    matches: 0,
                    cost_micros: 0,
                    blocked: false,
                };
                (summary, request.id)
            });
            *anchor = (*anchor).min(request.id);
            run.first_seen_at = run.first_seen_at.min(request.created_at);
            run.last_seen_at = run.last_seen_at.max(request.created_at);
            run.requests += 1;
            run.tool_calls += request.tool_calls;
            run.cost_micros += request.cost_micros;
            run.blocked |= is_blocked(&request);
            if !run.key_names.contains(&request.key_name) {
                run.key_names.push(request.key_name.clone());
            }
        }
        let mut runs: Vec<(RunSummary, i64)> = runs.into_values().filter(|(run, _)| blocked.is_none_or(|b| run.blocked == b)).collect();
        runs.sort_by_key(|(run, anchor)| std::cmp::Reverse((run.last_seen_at, *anchor)));
        let runs: Vec<(RunSummary, i64)> =
            runs.into_iter().filter(|(run, anchor)| page.after.is_none_or(|after| (run.last_seen_at, *anchor) < after)).take(page.limit as usize + 1).collect();
        let (runs, next_cursor) = keyset::finish(runs, page.limit, |(run, anchor)| (run.last_seen_at, *anchor));
        let mut data = Vec::with_capacity(runs.len());
        for (mut run, _) in runs {
            let filter = EventFilter { run_id: Some(run.run_id.clone()), ..Default::default() };
            let all = PageQuery { limit: 10_000, ..Default::default() };
            for event in store::firewall_events::list(&self.db, principal.workspace_id, &filter, &all).await?.0 {
                *run.verdict_counts.entry(event.verdict).or_default() += 1;
            }
            let filter = MatchFilter { run_id: Some(run.run_id.clone()), ..Default::default() };
            run.matches = store::guardrail_matches::list(&self.db, principal.workspace_id, &filter, &all).await?.0.len() as i64;
            data.push(run);
        }
        Ok(FeedPage { data, next_cursor })
    }

    /// `GET /api/workspace/firewall/runs/:run_id` (Developer+): the run's requests as a step tree; nodes
    /// without a (known) parent step hang off the root, by time. `NotFound` for an unknown run.
    pub async fn run_trace(&self, principal: &Principal, run_id: &str) -> ServiceResult<Vec<TraceNode>> {
        principal.require(Capability::ReadSensitiveFeeds)?;
        let requests = store::requests::list_for_run(&self.db, principal.workspace_id, run_id).await?;
        if requests.is_empty() {
            return Err(ServiceError::NotFound("run"));
        }
        let ids: Vec<String> = requests.iter().map(|request| request.request_id.clone()).collect();
        let mut events = store::firewall_events::list_for_requests(&self.db, principal.workspace_id, &ids).await?;
        let mut matches = store::guardrail_matches::list_for_requests(&self.db, principal.workspace_id, &ids).await?;
        if !allows(principal.role, Capability::ReadSensitiveFeeds) {
            matches.iter_mut().for_each(|row| row.matched = None);
        }
        let mut nodes: Vec<TraceNode> = requests
            .into_iter()
            .map(|request| {
                let own_events = events.extract_if(.., |event| event.request_id == request.request_id).collect();
                let own_matches = matches.extract_if(.., |row| row.request_id == request.request_id).collect();
                TraceNode { request, events: own_events, matches: own_matches, children: Vec::new() }
            })
            .collect();
        Ok(build_tree(&mut nodes))
    }
}

/// Nests nodes under the node whose `step_id` is their `parent_step_id` (last first, so order is kept).
fn build_tree(nodes: &mut Vec<TraceNode>) -> Vec<TraceNode> {
    let steps: HashMap<String, usize> =
        nodes.iter().enumerate().filter_map(|(i, node)| node.request.step_id.clone().map(|step| (step, i))).collect();
    let parent_of: Vec<Option<usize>> = nodes
        .iter()
        .enumerate()
        .map(|(i, node)| node.request.parent_step_id.as_ref().and_then(|parent| steps.get(parent).copied()).filter(|p| *p != i))
        .collect();
    let mut slots: Vec<Option<TraceNode>> = nodes.drain(..).map(Some).collect();
    // Children are attached deepest-last-first; a cycle leaves its members at the root.
    for i in (0..slots.len()).rev() {
        if let Some(parent) = parent_of[i] {
            if parent < i {
                if let Some(child) = slots[i].take() {
                    if let Some(parent_node) = slots[parent].as_mut() {
                        parent_node.children.insert(0, child);
                    }
                }
            }
        }
    }
    slots.into_iter().flatten().collect()
}
