//! Request rows (SPEC §2.7): written by the recorder, read by the Runs feed and the trace view.
//! Prompt and completion bodies are never stored here.

use chrono::{DateTime, Utc};
use std::sync::OnceLock;

use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder, Statement, Value};

use crate::store::entity::request;

/// One request row as written and read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RequestRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub request_id: String,
    pub created_at: DateTime<Utc>,
    pub key_id: Option<i64>,
    pub key_name: String,
    pub route: String,
    pub model: Option<String>,
    pub stream: bool,
    pub status: i64,
    pub error_code: Option<String>,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub cost_micros: i64,
    pub metered: bool,
    pub guardrail_id: Option<i64>,
    pub firewall_policy_id: Option<i64>,
    pub tool_calls: i64,
    pub client_ip: String,
    pub latency_ms: i64,
    pub upstream_latency_ms: Option<i64>,
    pub run_id: Option<String>,
    pub conversation_id: Option<String>,
    pub step_id: Option<String>,
    pub parent_step_id: Option<String>,
}

impl From<request::Model> for RequestRecord {
    fn from(row: request::Model) -> Self {
        RequestRecord {
            id: row.id,
            workspace_id: row.workspace_id,
            request_id: row.request_id,
            created_at: row.created_at,
            key_id: row.key_id,
            key_name: row.key_name,
            route: row.route,
            model: row.model,
            stream: row.stream,
            status: row.status,
            error_code: row.error_code,
            prompt_tokens: row.prompt_tokens,
            completion_tokens: row.completion_tokens,
            cost_micros: row.cost_micros,
            metered: row.metered,
            guardrail_id: row.guardrail_id,
            firewall_policy_id: row.firewall_policy_id,
            tool_calls: row.tool_calls,
            client_ip: row.client_ip,
            latency_ms: row.latency_ms,
            upstream_latency_ms: row.upstream_latency_ms,
            run_id: row.run_id,
            conversation_id: row.conversation_id,
            step_id: row.step_id,
            parent_step_id: row.parent_step_id,
        }
    }
}

/// Inserts one row (its `id` is ignored and assigned by the database).
pub async fn insert(db: &impl ConnectionTrait, row: &RequestRecord) -> Result<(), DbErr> {
    insert_many(db, &[row]).await
}

/// The largest INSERT, in rows (24 bound columns each).
const MAX_ROWS_PER_STATEMENT: usize = 64;

/// Inserts rows with multi-row INSERTs and no RETURNING: the recorder writes thousands a second and needs
/// none of them back. Chunks are powers of two so only seven distinct statements exist: every distinct row
/// count is a separately prepared (and cached, per connection) statement, and an arbitrary count let that
/// cache grow to tens of MiB under load.
///
/// The statement text is built once per (backend, chunk size) and only the values are made per row:
/// building the same INSERT through the query builder for every chunk (an active model, an expression
/// and a placeholder per cell) was a visible share of the relay's CPU per request.
pub async fn insert_many(db: &impl ConnectionTrait, rows: &[&RequestRecord]) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let mut rest = rows;
    while !rest.is_empty() {
        let (chunk, tail) = rest.split_at(statement_rows(rest.len()));
        let values: Vec<Value> = chunk.iter().flat_map(|row| row_values(row)).collect();
        db.execute_raw(Statement::from_sql_and_values(backend, insert_sql(backend, chunk.len()), values)).await?;
        rest = tail;
    }
    Ok(())
}

/// The rows of the next statement for `remaining` rows: the largest power of two ≤ both.
fn statement_rows(remaining: usize) -> usize {
    let capped = remaining.min(MAX_ROWS_PER_STATEMENT);
    1 << capped.ilog2()
}

/// The written columns, in the order of [`row_values`] (`id` is assigned by the database).
const COLUMNS: [&str; 24] = [
    "workspace_id", "request_id", "created_at", "key_id", "key_name", "route", "model", "stream", "status", "error_code",
    "prompt_tokens", "completion_tokens", "cost_micros", "metered", "guardrail_id", "firewall_policy_id", "tool_calls",
    "client_ip", "latency_ms", "upstream_latency_ms", "run_id", "conversation_id", "step_id", "parent_step_id",
];

fn row_values(row: &RequestRecord) -> [Value; 24] {
    [
        row.workspace_id.into(),
        row.request_id.clone().into(),
        row.created_at.into(),
        row.key_id.into(),
        row.key_name.clone().into(),
        row.route.clone().into(),
        row.model.clone().into(),
        row.stream.into(),
        row.status.into(),
        row.error_code.clone().into(),
        row.prompt_tokens.into(),
        row.completion_tokens.into(),
        row.cost_micros.into(),
        row.metered.into(),
        row.guardrail_id.into(),
        row.firewall_policy_id.into(),
        row.tool_calls.into(),
        row.client_ip.clone().into(),
        row.latency_ms.into(),
        row.upstream_latency_ms.into(),
        row.run_id.clone().into(),
        row.conversation_id.clone().into(),
        row.step_id.clone().into(),
        row.parent_step_id.clone().into(),
    ]
}

/// `INSERT INTO "requests" (…) VALUES (…), …` for `rows` rows, with the backend's placeholders; one
/// string per power-of-two size, built on first use.
fn insert_sql(backend: DbBackend, rows: usize) -> String {
    static POSTGRES: OnceLock<Vec<String>> = OnceLock::new();
    static SQLITE: OnceLock<Vec<String>> = OnceLock::new();
    let build = |numbered: bool| -> Vec<String> {
        let sizes = (0..=MAX_ROWS_PER_STATEMENT.ilog2()).map(|exp| 1usize << exp);
        sizes.map(|size| statement(numbered, size)).collect()
    };
    let texts = match backend {
        DbBackend::Postgres => POSTGRES.get_or_init(|| build(true)),
        _ => SQLITE.get_or_init(|| build(false)),
    };
    texts.get(rows.ilog2() as usize).filter(|_| rows.is_power_of_two()).cloned().unwrap_or_else(|| statement(backend == DbBackend::Postgres, rows))
}

fn statement(numbered: bool, rows: usize) -> String {
    let columns: Vec<String> = COLUMNS.iter().map(|column| format!("\"{column}\"")).collect();
    let mut sql = format!("INSERT INTO \"requests\" ({}) VALUES ", columns.join(", "));
    let mut placeholder = 0;
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..COLUMNS.len() {
            if column > 0 {
                sql.push_str(", ");
            }
            placeholder += 1;
            if numbered {
                sql.push_str(&format!("${placeholder}"));
            } else {
                sql.push('?');
            }
        }
        sql.push(')');
    }
    sql
}

/// Every request of `run_id` in `workspace_id`, oldest first.
pub async fn list_for_run(db: &impl ConnectionTrait, workspace_id: i64, run_id: &str) -> Result<Vec<RequestRecord>, DbErr> {
    let rows = request::Entity::find()
        .filter(request::Column::WorkspaceId.eq(workspace_id))
        .filter(request::Column::RunId.eq(run_id))
        .order_by_asc(request::Column::CreatedAt)
        .order_by_asc(request::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Every request with a run id in `workspace_id` inside the time window, optionally of one key.
pub async fn list_with_run(
    db: &impl ConnectionTrait,
    workspace_id: i64,
    key_id: Option<i64>,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> Result<Vec<RequestRecord>, DbErr> {
    let mut query = request::Entity::find()
        .filter(request::Column::WorkspaceId.eq(workspace_id))
        .filter(request::Column::RunId.is_not_null());
    if let Some(key_id) = key_id {
        query = query.filter(request::Column::KeyId.eq(key_id));
    }
    if let Some(since) = since {
        query = query.filter(request::Column::CreatedAt.gte(since));
    }
    if let Some(until) = until {
        query = query.filter(request::Column::CreatedAt.lt(until));
    }
    Ok(query.all(db).await?.into_iter().map(Into::into).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_use_only_power_of_two_row_counts() {
        let mut sizes = std::collections::BTreeSet::new();
        for total in 1..=300 {
            let (mut left, mut inserted) = (total, 0);
            while left > 0 {
                let rows = statement_rows(left);
                assert!(rows.is_power_of_two() && rows <= MAX_ROWS_PER_STATEMENT && rows <= left);
                sizes.insert(rows);
                left -= rows;
                inserted += rows;
            }
            assert_eq!(inserted, total);
        }
        assert_eq!(sizes.into_iter().collect::<Vec<_>>(), [1, 2, 4, 8, 16, 32, 64]);
    }

    #[test]
    fn insert_statements_bind_every_column_of_every_row() {
        let sqlite = insert_sql(DbBackend::Sqlite, 2);
        assert!(sqlite.starts_with("INSERT INTO \"requests\" (\"workspace_id\", \"request_id\""), "{sqlite}");
        assert_eq!(sqlite.matches('?').count(), 48);
        let postgres = insert_sql(DbBackend::Postgres, 4);
        assert!(postgres.ends_with("$95, $96)") && !postgres.contains('?'), "{postgres}");
        assert_eq!(insert_sql(DbBackend::Sqlite, 3).matches('?').count(), 72, "other sizes are built on demand");
        assert_eq!(row_values(&RequestRecord::default()).len(), COLUMNS.len());
    }
}
