//! Approvals (SPEC §2.11, §5.10): held tool calls and their decisions.
//!
//! Every state change is a conditional `UPDATE … WHERE state = <expected>` so that two deciders, two retries
//! or a decider and the sweeper can never both win: the caller learns from `rows_affected` whether it did.
//! Rows are written directly (never through the batch recorder) because the agent polls them at once.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use crate::store::entity::{approval, audit_log};
use crate::store::keyset::{self, PageQuery};

/// The states of §2.11.
pub const STATES: [&str; 5] = ["pending", "approved", "rejected", "expired", "consumed"];

/// One approval as written and read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ApprovalRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub approval_id: String,
    pub state: String,
    pub surface: String,
    pub tool_name: String,
    pub args_hash: String,
    pub args_summary: Option<String>,
    pub key_id: Option<i64>,
    pub key_name: String,
    pub request_id: String,
    pub run_id: Option<String>,
    pub conversation_id: Option<String>,
    pub step_id: Option<String>,
    pub policy_id: i64,
    pub policy_name: String,
    pub rule_id: i64,
    pub rule_label: Option<String>,
    pub reason: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by_user_id: Option<i64>,
    pub decided_via: Option<String>,
    pub decision_note: Option<String>,
    pub consumed_at: Option<DateTime<Utc>>,
    pub consumed_request_id: Option<String>,
}

impl From<approval::Model> for ApprovalRecord {
    fn from(row: approval::Model) -> Self {
        ApprovalRecord {
            id: row.id,
            workspace_id: row.workspace_id,
            approval_id: row.approval_id,
            state: row.state,
            surface: row.surface,
            tool_name: row.tool_name,
            args_hash: row.args_hash,
            args_summary: row.args_summary,
            key_id: row.key_id,
            key_name: row.key_name,
            request_id: row.request_id,
            run_id: row.run_id,
            conversation_id: row.conversation_id,
            step_id: row.step_id,
            policy_id: row.policy_id,
            policy_name: row.policy_name,
            rule_id: row.rule_id,
            rule_label: row.rule_label,
            reason: row.reason,
            created_at: row.created_at,
            expires_at: row.expires_at,
            decided_at: row.decided_at,
            decided_by_user_id: row.decided_by_user_id,
            decided_via: row.decided_via,
            decision_note: row.decision_note,
            consumed_at: row.consumed_at,
            consumed_request_id: row.consumed_request_id,
        }
    }
}

/// Inserts a new approval (its `state`, `created_at` and `expires_at` come from the service).
pub async fn insert(db: &impl ConnectionTrait, row: &ApprovalRecord) -> Result<ApprovalRecord, DbErr> {
    let row = row.clone();
    let model = approval::ActiveModel {
        workspace_id: Set(row.workspace_id),
        approval_id: Set(row.approval_id),
        state: Set(row.state),
        surface: Set(row.surface),
        tool_name: Set(row.tool_name),
        args_hash: Set(row.args_hash),
        args_summary: Set(row.args_summary),
        key_id: Set(row.key_id),
        key_name: Set(row.key_name),
        request_id: Set(row.request_id),
        run_id: Set(row.run_id),
        conversation_id: Set(row.conversation_id),
        step_id: Set(row.step_id),
        policy_id: Set(row.policy_id),
        policy_name: Set(row.policy_name),
        rule_id: Set(row.rule_id),
        rule_label: Set(row.rule_label),
        reason: Set(row.reason),
        created_at: Set(row.created_at),
        expires_at: Set(row.expires_at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(model.into())
}

/// The approval `approval_id` in `workspace_id`.
pub async fn find(db: &impl ConnectionTrait, workspace_id: i64, approval_id: &str) -> Result<Option<ApprovalRecord>, DbErr> {
    let row = approval::Entity::find()
        .filter(approval::Column::WorkspaceId.eq(workspace_id))
        .filter(approval::Column::ApprovalId.eq(approval_id))
        .one(db)
        .await?;
    Ok(row.map(Into::into))
}

/// The approval `approval_id` in any workspace (the signed callback learns its workspace from the row).
pub async fn find_any(db: &impl ConnectionTrait, approval_id: &str) -> Result<Option<ApprovalRecord>, DbErr> {
    let row = approval::Entity::find().filter(approval::Column::ApprovalId.eq(approval_id)).one(db).await?;
    Ok(row.map(Into::into))
}

/// The approvals among `ids` in `workspace_id` held for `tool_name` with `args_hash` (the retry's match).
pub async fn find_matching(
    db: &impl ConnectionTrait,
    workspace_id: i64,
    ids: &[String],
    tool_name: &str,
    args_hash: &str,
) -> Result<Vec<ApprovalRecord>, DbErr> {
    let rows = approval::Entity::find()
        .filter(approval::Column::WorkspaceId.eq(workspace_id))
        .filter(approval::Column::ApprovalId.is_in(ids.to_vec()))
        .filter(approval::Column::ToolName.eq(tool_name))
        .filter(approval::Column::ArgsHash.eq(args_hash))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// An unexpired `pending` approval of the same key, tool and arguments, oldest first (reused, not duplicated).
pub async fn find_pending_duplicate(
    db: &impl ConnectionTrait,
    workspace_id: i64,
    key_id: Option<i64>,
    tool_name: &str,
    args_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<ApprovalRecord>, DbErr> {
    let key = match key_id {
        Some(key_id) => approval::Column::KeyId.eq(key_id),
        None => approval::Column::KeyId.is_null(),
    };
    let row = approval::Entity::find()
        .filter(approval::Column::WorkspaceId.eq(workspace_id))
        .filter(key)
        .filter(approval::Column::ToolName.eq(tool_name))
        .filter(approval::Column::ArgsHash.eq(args_hash))
        .filter(approval::Column::State.eq("pending"))
        .filter(approval::Column::ExpiresAt.gt(now))
        .order_by_asc(approval::Column::Id)
        .one(db)
        .await?;
    Ok(row.map(Into::into))
}

/// A decision to record on a `pending` approval.
#[derive(Clone, Debug)]
pub struct Decision<'a> {
    /// `approved` or `rejected`.
    pub state: &'a str,
    pub decided_at: DateTime<Utc>,
    pub decided_by_user_id: Option<i64>,
    /// `console` or `webhook`.
    pub decided_via: &'a str,
    pub note: Option<String>,
    /// The new `expires_at` (approval resets it to decision time + TTL; rejection keeps it).
    pub expires_at: Option<DateTime<Utc>>,
}

/// Records `decision` if the approval is still `pending` and unexpired; true when this call decided it.
pub async fn decide(db: &impl ConnectionTrait, workspace_id: i64, approval_id: &str, decision: &Decision<'_>) -> Result<bool, DbErr> {
    let mut update = approval::Entity::update_many()
        .col_expr(approval::Column::State, Expr::value(decision.state))
        .col_expr(approval::Column::DecidedAt, Expr::value(decision.decided_at))
        .col_expr(approval::Column::DecidedByUserId, Expr::value(decision.decided_by_user_id))
        .col_expr(approval::Column::DecidedVia, Expr::value(decision.decided_via))
        .col_expr(approval::Column::DecisionNote, Expr::value(decision.note.clone()));
    if let Some(expires_at) = decision.expires_at {
        update = update.col_expr(approval::Column::ExpiresAt, Expr::value(expires_at));
    }
    let result = update
        .filter(approval::Column::WorkspaceId.eq(workspace_id))
        .filter(approval::Column::ApprovalId.eq(approval_id))
        .filter(approval::Column::State.eq("pending"))
        .filter(approval::Column::ExpiresAt.gt(decision.decided_at))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Marks an `approved`, unexpired approval for `tool_name` + `args_hash` as `consumed` by `request_id`;
/// true when this call consumed it (a concurrent retry with the same id gets false).
pub async fn consume(
    db: &impl ConnectionTrait,
    workspace_id: i64,
    approval_id: &str,
    tool_name: &str,
    args_hash: &str,
    request_id: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = approval::Entity::update_many()
        .col_expr(approval::Column::State, Expr::value("consumed"))
        .col_expr(approval::Column::ConsumedAt, Expr::value(now))
        .col_expr(approval::Column::ConsumedRequestId, Expr::value(request_id))
        .filter(approval::Column::WorkspaceId.eq(workspace_id))
        .filter(approval::Column::ApprovalId.eq(approval_id))
        .filter(approval::Column::ToolName.eq(tool_name))
        .filter(approval::Column::ArgsHash.eq(args_hash))
        .filter(approval::Column::State.eq("approved"))
        .filter(approval::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Moves `pending` and unused `approved` approvals whose `expires_at` has passed to `expired`, in one
/// workspace or (`None`, the sweeper) in all. Returns how many moved.
pub async fn expire_due(db: &impl ConnectionTrait, workspace_id: Option<i64>, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let mut update = approval::Entity::update_many()
        .col_expr(approval::Column::State, Expr::value("expired"))
        .filter(approval::Column::State.is_in(["pending", "approved"]))
        .filter(approval::Column::ExpiresAt.lte(now));
    if let Some(workspace_id) = workspace_id {
        update = update.filter(approval::Column::WorkspaceId.eq(workspace_id));
    }
    Ok(update.exec(db).await?.rows_affected)
}

/// Who approved `approval_id`, as its audit row names them (`email` or `webhook:<actor>`).
pub async fn approver_label(db: &impl ConnectionTrait, workspace_id: i64, approval_id: &str) -> Result<Option<String>, DbErr> {
    let row = audit_log::Entity::find()
        .filter(audit_log::Column::WorkspaceId.eq(workspace_id))
        .filter(audit_log::Column::Verb.eq("firewall_approval_approved"))
        .filter(audit_log::Column::TargetType.eq("approval"))
        .filter(audit_log::Column::TargetId.eq(approval_id))
        .order_by_desc(audit_log::Column::Id)
        .one(db)
        .await?;
    Ok(row.map(|row| row.actor_label))
}

/// Filters of the Approvals feed (SPEC §7).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ApprovalFilter {
    /// One of [`STATES`].
    pub state: String,
    pub tool_name: Option<String>,
    pub key_id: Option<i64>,
}

/// One page of approvals: `pending` oldest first (a queue), every other state newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    workspace_id: i64,
    filter: &ApprovalFilter,
    page: &PageQuery,
) -> Result<(Vec<ApprovalRecord>, Option<String>), DbErr> {
    use approval::Column as C;
    let oldest_first = filter.state == "pending";
    let position = if oldest_first { after_condition(page) } else { keyset::condition(page, C::CreatedAt, C::Id) };
    let mut query = approval::Entity::find()
        .filter(C::WorkspaceId.eq(workspace_id))
        .filter(C::State.eq(filter.state.clone()))
        .filter(position);
    if let Some(tool_name) = &filter.tool_name {
        query = query.filter(C::ToolName.eq(tool_name.clone()));
    }
    if let Some(key_id) = filter.key_id {
        query = query.filter(C::KeyId.eq(key_id));
    }
    query = if oldest_first {
        query.order_by_asc(C::CreatedAt).order_by_asc(C::Id)
    } else {
        query.order_by_desc(C::CreatedAt).order_by_desc(C::Id)
    };
    let rows = query.limit(page.limit + 1).all(db).await?;
    let rows: Vec<ApprovalRecord> = rows.into_iter().map(Into::into).collect();
    Ok(keyset::finish(rows, page.limit, |row| (row.created_at, row.id)))
}

/// The oldest-first twin of [`keyset::condition`]: time filters, then rows after the cursor position.
fn after_condition(page: &PageQuery) -> Condition {
    use approval::Column as C;
    let mut condition = Condition::all();
    if let Some(since) = page.since {
        condition = condition.add(Expr::col(C::CreatedAt).gte(since));
    }
    if let Some(until) = page.until {
        condition = condition.add(Expr::col(C::CreatedAt).lt(until));
    }
    if let Some((at, last_id)) = page.after {
        condition = condition.add(
            Condition::any()
                .add(Expr::col(C::CreatedAt).gt(at))
                .add(Condition::all().add(Expr::col(C::CreatedAt).eq(at)).add(Expr::col(C::Id).gt(last_id))),
        );
    }
    condition
}
