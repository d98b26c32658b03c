//! Keyset pagination of the feeds (SPEC §7): newest first on (`created_at`, `id`), an opaque cursor, and the
//! shared time filters. Must not know any particular table beyond the two column names it is given.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, IntoColumnRef};

/// Page size and position of one feed read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PageQuery {
    /// Rows per page (the service clamps it to 1–200).
    pub limit: u64,
    /// Decoded cursor: the (`created_at`, `id`) of the last row of the previous page.
    pub after: Option<(DateTime<Utc>, i64)>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// Encodes the position after `(created_at, id)`.
pub fn encode_cursor(created_at: DateTime<Utc>, id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{id}", created_at.timestamp_micros()))
}

/// Decodes a cursor made by [`encode_cursor`]; `None` for anything else.
pub fn decode_cursor(cursor: &str) -> Option<(DateTime<Utc>, i64)> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (micros, id) = text.split_once(':')?;
    Some((DateTime::from_timestamp_micros(micros.parse().ok()?)?, id.parse().ok()?))
}

/// The `WHERE` part for time filters and the cursor, newest first.
pub fn condition<C: IntoColumnRef + Copy>(page: &PageQuery, created_at: C, id: C) -> Condition {
    let mut condition = Condition::all();
    if let Some(since) = page.since {
        condition = condition.add(Expr::col(created_at).gte(since));
    }
    if let Some(until) = page.until {
        condition = condition.add(Expr::col(created_at).lt(until));
    }
    if let Some((at, last_id)) = page.after {
        condition = condition.add(
            Condition::any()
                .add(Expr::col(created_at).lt(at))
                .add(Condition::all().add(Expr::col(created_at).eq(at)).add(Expr::col(id).lt(last_id))),
        );
    }
    condition
}

/// Splits one extra fetched row off `rows` into the next cursor.
pub fn finish<T>(mut rows: Vec<T>, limit: u64, key: impl Fn(&T) -> (DateTime<Utc>, i64)) -> (Vec<T>, Option<String>) {
    if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        let next = rows.last().map(|row| {
            let (at, id) = key(row);
            encode_cursor(at, id)
        });
        (rows, next)
    } else {
        (rows, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let at = DateTime::from_timestamp_micros(1_700_000_000_123_456).expect("time");
        assert_eq!(decode_cursor(&encode_cursor(at, 42)), Some((at, 42)));
        assert_eq!(decode_cursor("not a cursor"), None);
    }
}
