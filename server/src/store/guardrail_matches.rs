//! Guardrail match rows (SPEC §2.9) and their `false_positive` flags (§4.11; the suppressions themselves
//! are in `suppressions`). `matched` is written only when the service says the guardrail logs raw content.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use crate::store::entity::guardrail_match;
use crate::store::keyset::{self, PageQuery};

/// One match row as written and read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MatchRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub created_at: DateTime<Utc>,
    pub request_id: String,
    pub key_id: Option<i64>,
    pub key_name: String,
    pub client_ip: String,
    pub model_name: Option<String>,
    pub guardrail_id: i64,
    pub guardrail_name: String,
    pub rule_id: i64,
    pub rule_label: String,
    pub rule_type: String,
    pub stage: String,
    pub action: String,
    pub entity: Option<String>,
    pub count: i64,
    pub detail: String,
    pub matched: Option<String>,
    pub fingerprint: String,
    pub false_positive: bool,
    pub error: bool,
    pub run_id: Option<String>,
    pub conversation_id: Option<String>,
    pub step_id: Option<String>,
    pub parent_step_id: Option<String>,
}

impl From<guardrail_match::Model> for MatchRecord {
    fn from(row: guardrail_match::Model) -> Self {
        MatchRecord {
            id: row.id,
            workspace_id: row.workspace_id,
            created_at: row.created_at,
            request_id: row.request_id,
            key_id: row.key_id,
            key_name: row.key_name,
            client_ip: row.client_ip,
            model_name: row.model_name,
            guardrail_id: row.guardrail_id,
            guardrail_name: row.guardrail_name,
            rule_id: row.rule_id,
            rule_label: row.rule_label,
            rule_type: row.rule_type,
            stage: row.stage,
            action: row.action,
            entity: row.entity,
            count: row.count,
            detail: row.detail,
            matched: row.matched,
            fingerprint: row.fingerprint,
            false_positive: row.false_positive,
            error: row.error,
            run_id: row.run_id,
            conversation_id: row.conversation_id,
            step_id: row.step_id,
            parent_step_id: row.parent_step_id,
        }
    }
}

/// Appends one match.
pub async fn insert(db: &impl ConnectionTrait, row: &MatchRecord) -> Result<(), DbErr> {
    let row = row.clone();
    guardrail_match::ActiveModel {
        workspace_id: Set(row.workspace_id),
        created_at: Set(row.created_at),
        request_id: Set(row.request_id),
        key_id: Set(row.key_id),
        key_name: Set(row.key_name),
        client_ip: Set(row.client_ip),
        model_name: Set(row.model_name),
        guardrail_id: Set(row.guardrail_id),
        guardrail_name: Set(row.guardrail_name),
        rule_id: Set(row.rule_id),
        rule_label: Set(row.rule_label),
        rule_type: Set(row.rule_type),
        stage: Set(row.stage),
        action: Set(row.action),
        entity: Set(row.entity),
        count: Set(row.count),
        detail: Set(row.detail),
        matched: Set(row.matched),
        fingerprint: Set(row.fingerprint),
        false_positive: Set(row.false_positive),
        error: Set(row.error),
        run_id: Set(row.run_id),
        conversation_id: Set(row.conversation_id),
        step_id: Set(row.step_id),
        parent_step_id: Set(row.parent_step_id),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Filters of the Matches feed (SPEC §7); `None` = any.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MatchFilter {
    pub guardrail_id: Option<i64>,
    pub rule_id: Option<i64>,
    pub rule_type: Option<String>,
    pub action: Option<String>,
    pub stage: Option<String>,
    pub key_id: Option<i64>,
    pub model_name: Option<String>,
    pub request_id: Option<String>,
    pub run_id: Option<String>,
    pub conversation_id: Option<String>,
    pub hide_fp: bool,
}

/// One page of matches, newest first, and the next cursor.
pub async fn list(
    db: &impl ConnectionTrait,
    workspace_id: i64,
    filter: &MatchFilter,
    page: &PageQuery,
) -> Result<(Vec<MatchRecord>, Option<String>), DbErr> {
    use guardrail_match::Column as C;
    let mut query = guardrail_match::Entity::find()
        .filter(C::WorkspaceId.eq(workspace_id))
        .filter(keyset::condition(page, C::CreatedAt, C::Id));
    for (column, value) in [(C::GuardrailId, filter.guardrail_id), (C::RuleId, filter.rule_id), (C::KeyId, filter.key_id)] {
        if let Some(value) = value {
            query = query.filter(column.eq(value));
        }
    }
    let text = [
        (C::RuleType, &filter.rule_type),
        (C::Action, &filter.action),
        (C::Stage, &filter.stage),
        (C::ModelName, &filter.model_name),
        (C::RequestId, &filter.request_id),
        (C::RunId, &filter.run_id),
        (C::ConversationId, &filter.conversation_id),
    ];
    for (column, value) in text {
        if let Some(value) = value {
            query = query.filter(column.eq(value.clone()));
        }
    }
    if filter.hide_fp {
        query = query.filter(C::FalsePositive.eq(false));
    }
    let rows = query.order_by_desc(C::CreatedAt).order_by_desc(C::Id).limit(page.limit + 1).all(db).await?;
    let rows: Vec<MatchRecord> = rows.into_iter().map(Into::into).collect();
    Ok(keyset::finish(rows, page.limit, |row| (row.created_at, row.id)))
}

/// Every match of the given requests (for run traces), oldest first.
pub async fn list_for_requests(db: &impl ConnectionTrait, workspace_id: i64, request_ids: &[String]) -> Result<Vec<MatchRecord>, DbErr> {
    let rows = guardrail_match::Entity::find()
        .filter(guardrail_match::Column::WorkspaceId.eq(workspace_id))
        .filter(guardrail_match::Column::RequestId.is_in(request_ids.to_vec()))
        .order_by_asc(guardrail_match::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Match `id` of `workspace_id` (None when absent or in another workspace).
pub async fn find(db: &impl ConnectionTrait, workspace_id: i64, id: i64) -> Result<Option<MatchRecord>, DbErr> {
    let row = guardrail_match::Entity::find_by_id(id).filter(guardrail_match::Column::WorkspaceId.eq(workspace_id)).one(db).await?;
    Ok(row.map(Into::into))
}

/// Sets `false_positive` on every match of `workspace_id` with `fingerprint`; returns the rows changed.
pub async fn set_false_positive(db: &impl ConnectionTrait, workspace_id: i64, fingerprint: &str, value: bool) -> Result<u64, DbErr> {
    let result = guardrail_match::Entity::update_many()
        .col_expr(guardrail_match::Column::FalsePositive, Expr::value(value))
        .filter(guardrail_match::Column::WorkspaceId.eq(workspace_id))
        .filter(guardrail_match::Column::Fingerprint.eq(fingerprint))
        .filter(guardrail_match::Column::FalsePositive.ne(value))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
