//! `GET /api/guardrails/matches.csv` (SPEC §7 Matches): the Matches feed as a CSV download, with the same
//! filters and time window as `GET /guardrails/matches`, bounded to the newest
//! [`EXPORT_MAX_ROWS`](crate::service::feeds::EXPORT_MAX_ROWS) rows instead of paged.
//!
//! Quoting is the `csv` crate's (RFC 4180). Every text cell is also neutralised against spreadsheet
//! formula injection: key names, rule labels and raw matched text come from users and model output, and
//! a cell starting with `=`, `+`, `-`, `@`, tab or carriage return would be evaluated by Excel, LibreOffice
//! or Sheets, so it gets a leading apostrophe. The raw `matched` column exists only for Developer+.

use axum::extract::{Query, State};
use axum::http::{header, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::SecondsFormat;

use crate::api::feeds::match_query;
use crate::api::{ApiError, Caller};
use crate::engine::guardrail::suppress::short;
use crate::service::{ServiceError, Services};
use crate::store::guardrail_matches::MatchRecord;

/// Set to `true` when more rows matched than the export carries.
pub const TRUNCATED_HEADER: &str = "x-palisade-truncated";

const COLUMNS: [&str; 24] = [
    "id", "created_at", "request_id", "key_id", "key_name", "client_ip", "model_name", "guardrail_id", "guardrail_name",
    "rule_id", "rule_label", "rule_type", "stage", "action", "entity", "count", "detail", "fingerprint", "false_positive",
    "error", "run_id", "conversation_id", "step_id", "parent_step_id",
];

/// Where `matched` goes in the row (after `detail`, as in §2.9) when the caller may see it.
const MATCHED_AT: usize = 17;

/// Prefixes a cell a spreadsheet would read as a formula with `'`, so it stays text.
pub fn neutralise(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

fn text(value: Option<&str>) -> String {
    value.map(neutralise).unwrap_or_default()
}

fn cells(row: &MatchRecord, include_matched: bool) -> Vec<String> {
    let mut cells = vec![
        row.id.to_string(),
        row.created_at.to_rfc3339_opts(SecondsFormat::Micros, true),
        neutralise(&row.request_id),
        row.key_id.map(|id| id.to_string()).unwrap_or_default(),
        neutralise(&row.key_name),
        neutralise(&row.client_ip),
        text(row.model_name.as_deref()),
        row.guardrail_id.to_string(),
        neutralise(&row.guardrail_name),
        row.rule_id.to_string(),
        neutralise(&row.rule_label),
        neutralise(&row.rule_type),
        neutralise(&row.stage),
        neutralise(&row.action),
        text(row.entity.as_deref()),
        row.count.to_string(),
        neutralise(&row.detail),
        neutralise(short(&row.fingerprint)),
        row.false_positive.to_string(),
        row.error.to_string(),
        text(row.run_id.as_deref()),
        text(row.conversation_id.as_deref()),
        text(row.step_id.as_deref()),
        text(row.parent_step_id.as_deref()),
    ];
    if include_matched {
        cells.insert(MATCHED_AT, text(row.matched.as_deref()));
    }
    cells
}

/// The CSV document: a header row, then one row per match.
pub fn to_csv(rows: &[MatchRecord], include_matched: bool) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<&str> = COLUMNS.to_vec();
    if include_matched {
        header.insert(MATCHED_AT, "matched");
    }
    writer.write_record(&header)?;
    for row in rows {
        writer.write_record(cells(row, include_matched))?;
    }
    writer.into_inner().map_err(|err| csv::Error::from(err.into_error()))
}

pub async fn matches_csv(State(services): State<Services>, Caller(principal): Caller, Query(pairs): Query<Vec<(String, String)>>) -> Result<Response, ApiError> {
    let (filter, window) = match_query(pairs, false)?;
    let export = services.export_guardrail_matches(&principal, filter, window).await?;
    let body = to_csv(&export.rows, export.include_matched).map_err(|err| ServiceError::Internal(err.into()))?;
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
        (header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"guardrail-matches.csv\"")),
        (HeaderName::from_static(TRUNCATED_HEADER), HeaderValue::from_static(if export.truncated { "true" } else { "false" })),
    ];
    Ok((headers, body).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> MatchRecord {
        MatchRecord {
            id: 7,
            key_name: "=HYPERLINK(\"http://evil\")".into(),
            rule_label: "a, \"quoted\"\nlabel".into(),
            rule_type: "pii".into(),
            detail: "pii: email".into(),
            matched: Some("@SUM(A1)".into()),
            fingerprint: "0123456789abcdef".repeat(4),
            ..Default::default()
        }
    }

    #[test]
    fn formula_cells_get_an_apostrophe_and_others_stay() {
        for cell in ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralise(cell), format!("'{cell}"));
        }
        for cell in ["jane@acme.io", "pii: email", "", "1-2"] {
            assert_eq!(neutralise(cell), cell);
        }
    }

    #[test]
    fn rows_are_quoted_neutralised_and_matched_is_optional() {
        let csv = String::from_utf8(to_csv(&[row()], true).expect("csv")).expect("utf-8");
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let header = reader.headers().expect("header").clone();
        assert_eq!(header.len(), 25);
        assert_eq!(&header[MATCHED_AT], "matched");
        let record = reader.records().next().expect("one row").expect("parses");
        assert_eq!(&record[4], "'=HYPERLINK(\"http://evil\")");
        assert_eq!(&record[10], "a, \"quoted\"\nlabel", "commas, quotes and newlines survive the round trip");
        assert_eq!(&record[MATCHED_AT], "'@SUM(A1)");
        assert_eq!(&record[MATCHED_AT + 1], "0123456789ab");
        let without = String::from_utf8(to_csv(&[row()], false).expect("csv")).expect("utf-8");
        assert!(!without.contains("matched") && !without.contains("SUM"), "{without}");
    }
}
