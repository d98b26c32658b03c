//! The Approvals page for the console (SPEC §5.10, §10): reads the queue and records console decisions
//! through the approvals service, which checks the role (Developer+) and who decided first.

use app::types::{ApprovalPageView, ApprovalView};
use app::AppError;
use chrono::Utc;

use crate::console::convert::app_error;
use crate::service::feeds::FeedWindow;
use crate::service::identity::Principal;
use crate::service::Services;
use crate::store::approvals::ApprovalRecord;

/// Rows per console page.
const PAGE: u64 = 50;

fn given(value: Option<String>) -> Option<String> {
    value.map(|text| text.trim().to_owned()).filter(|text| !text.is_empty())
}

/// One page of the queue in `state` (default `pending`).
pub async fn list(services: &Services, principal: &Principal, state: Option<String>, cursor: Option<String>) -> Result<ApprovalPageView, AppError> {
    let state = given(state).unwrap_or_else(|| "pending".into());
    let window = FeedWindow { limit: Some(PAGE), cursor: given(cursor), ..Default::default() };
    let page = services.list_approvals(principal, Some(state.clone()), None, None, window).await.map_err(app_error)?;
    Ok(ApprovalPageView { state, approvals: page.data.into_iter().map(view).collect(), next_cursor: page.next_cursor })
}

/// Approves or rejects `approval_id` with an optional note.
pub async fn decide(services: &Services, principal: &Principal, approval_id: String, approve: bool, note: String) -> Result<ApprovalView, AppError> {
    let row = services.decide_approval(principal, &approval_id, approve, given(Some(note))).await.map_err(app_error)?;
    Ok(view(row))
}

fn view(row: ApprovalRecord) -> ApprovalView {
    ApprovalView {
        expires_in_secs: (row.expires_at - Utc::now()).num_seconds().max(0),
        id: row.approval_id,
        state: row.state,
        surface: row.surface,
        tool_name: row.tool_name,
        args_hash: row.args_hash,
        args_summary: row.args_summary,
        key_name: row.key_name,
        run_id: row.run_id,
        policy_id: row.policy_id,
        policy_name: row.policy_name,
        rule_label: row.rule_label,
        reason: row.reason,
        created_at: row.created_at.to_rfc3339(),
        expires_at: row.expires_at.to_rfc3339(),
        decided_at: row.decided_at.map(|at| at.to_rfc3339()),
        decided_via: row.decided_via,
        decision_note: row.decision_note,
        consumed_at: row.consumed_at.map(|at| at.to_rfc3339()),
    }
}
