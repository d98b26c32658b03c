//! Firewall events (SPEC §2.8): appended by the recorder in batches, read by the Events feed and the trace.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde_json::Value;

use crate::store::entity::firewall_event;
use crate::store::keyset::{self, PageQuery};

/// One event row as written and read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EventRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub created_at: DateTime<Utc>,
    pub request_id: String,
    pub key_id: Option<i64>,
    pub key_name: String,
    pub model_name: Option<String>,
    pub surface: String,
    pub tool_name: String,
    pub skill_name: Option<String>,
    pub mcp_server: Option<String>,
    pub destination: Option<Value>,
    pub verdict: String,
    pub reason: String,
    pub policy_id: Option<i64>,
    pub policy_name: Option<String>,
    pub rule_id: Option<i64>,
    pub rule_label: Option<String>,
    pub shadow: bool,
    pub gap: bool,
    pub review: bool,
    pub args_summary: Option<String>,
    pub args_hash: Option<String>,
    pub approval_id: Option<String>,
    pub cost_check: Option<Value>,
    pub run_id: Option<String>,
    pub conversation_id: Option<String>,
    pub step_id: Option<String>,
    pub parent_step_id: Option<String>,
}

impl From<firewall_event::Model> for EventRecord {
    fn from(row: firewall_event::Model) -> Self {
        EventRecord {
            id: row.id,
            workspace_id: row.workspace_id,
            created_at: row.created_at,
            request_id: row.request_id,
            key_id: row.key_id,
            key_name: row.key_name,
            model_name: row.model_name,
            surface: row.surface,
            tool_name: row.tool_name,
            skill_name: row.skill_name,
            mcp_server: row.mcp_server,
            destination: row.destination,
            verdict: row.verdict,
            reason: row.reason,
            policy_id: row.policy_id,
            policy_name: row.policy_name,
            rule_id: row.rule_id,
            rule_label: row.rule_label,
            shadow: row.shadow,
            gap: row.gap,
            review: row.review,
            args_summary: row.args_summary,
            args_hash: row.args_hash,
            approval_id: row.approval_id,
            cost_check: row.cost_check,
            run_id: row.run_id,
            conversation_id: row.conversation_id,
            step_id: row.step_id,
            parent_step_id: row.parent_step_id,
        }
    }
}

/// Appends one event and returns its id.
pub async fn insert(db: &impl ConnectionTrait, row: &EventRecord) -> Result<i64, DbErr> {
    let row = row.clone();
    firewall_event::ActiveModel {
        workspace_id: Set(row.workspace_id),
        created_at: Set(row.created_at),
        request_id: Set(row.request_id),
        key_id: Set(row.key_id),
        key_name: Set(row.key_name),
        model_name: Set(row.model_name),
        surface: Set(row.surface),
        tool_name: Set(row.tool_name),
        skill_name: Set(row.skill_name),
        mcp_server: Set(row.mcp_server),
        destination: Set(row.destination),
        verdict: Set(row.verdict),
        reason: Set(row.reason),
        policy_id: Set(row.policy_id),
        policy_name: Set(row.policy_name),
        rule_id: Set(row.rule_id),
        rule_label: Set(row.rule_label),
        shadow: Set(row.shadow),
        gap: Set(row.gap),
        review: Set(row.review),
        args_summary: Set(row.args_summary),
        args_hash: Set(row.args_hash),
        approval_id: Set(row.approval_id),
        cost_check: Set(row.cost_check),
        run_id: Set(row.run_id),
        conversation_id: Set(row.conversation_id),
        step_id: Set(row.step_id),
        parent_step_id: Set(row.parent_step_id),
        ..Default::default()
    }
    .insert(db)
    .await
    .map(|inserted| inserted.id)
}

/// Filters of the Events feed (SPEC §7); `None` = any.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EventFilter {
    pub verdicts: Vec<String>,
    pub surface: Option<String>,
    pub tool_name: Option<String>,
    pub policy_id: Option<i64>,
    pub rule_id: Option<i64>,
    pub key_id: Option<i64>,
    pub run_id: Option<String>,
    pub conversation_id: Option<String>,
    pub request_id: Option<String>,
    pub review: Option<bool>,
    pub gap: Option<bool>,
    pub shadow: Option<bool>,
}

/// One page of events, newest first, and the next cursor.
pub async fn list(
    db: &impl ConnectionTrait,
    workspace_id: i64,
    filter: &EventFilter,
    page: &PageQuery,
) -> Result<(Vec<EventRecord>, Option<String>), DbErr> {
    use firewall_event::Column as C;
    let mut query = firewall_event::Entity::find()
        .filter(C::WorkspaceId.eq(workspace_id))
        .filter(keyset::condition(page, C::CreatedAt, C::Id));
    if !filter.verdicts.is_empty() {
        query = query.filter(C::Verdict.is_in(filter.verdicts.clone()));
    }
    let text = [
        (C::Surface, &filter.surface),
        (C::ToolName, &filter.tool_name),
        (C::RunId, &filter.run_id),
        (C::ConversationId, &filter.conversation_id),
        (C::RequestId, &filter.request_id),
    ];
    for (column, value) in text {
        if let Some(value) = value {
            query = query.filter(column.eq(value.clone()));
        }
    }
    for (column, value) in [(C::PolicyId, filter.policy_id), (C::RuleId, filter.rule_id), (C::KeyId, filter.key_id)] {
        if let Some(value) = value {
            query = query.filter(column.eq(value));
        }
    }
    for (column, value) in [(C::Review, filter.review), (C::Gap, filter.gap), (C::Shadow, filter.shadow)] {
        if let Some(value) = value {
            query = query.filter(column.eq(value));
        }
    }
    let rows = query.order_by_desc(C::CreatedAt).order_by_desc(C::Id).limit(page.limit + 1).all(db).await?;
    let rows: Vec<EventRecord> = rows.into_iter().map(Into::into).collect();
    Ok(keyset::finish(rows, page.limit, |row| (row.created_at, row.id)))
}

/// Every event of the given requests (for run traces), oldest first.
pub async fn list_for_requests(db: &impl ConnectionTrait, workspace_id: i64, request_ids: &[String]) -> Result<Vec<EventRecord>, DbErr> {
    let rows = firewall_event::Entity::find()
        .filter(firewall_event::Column::WorkspaceId.eq(workspace_id))
        .filter(firewall_event::Column::RequestId.is_in(request_ids.to_vec()))
        .order_by_asc(firewall_event::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}
