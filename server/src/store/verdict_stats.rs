//! Firewall verdicts per day for the Posture chart, aggregated in Rust so one query serves SQLite and
//! PostgreSQL alike (date truncation differs between them).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};

use crate::store::entity::firewall_event;

/// Counts per verdict for one UTC day.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DayCounts {
    pub allow: i64,
    pub audit: i64,
    pub deny: i64,
    pub other: i64,
}

/// Verdict counts per day since `since`, oldest day first; days without events are present with zeros.
pub async fn per_day(
    db: &impl ConnectionTrait,
    workspace_id: i64,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<(NaiveDate, DayCounts)>, DbErr> {
    let rows: Vec<(DateTime<Utc>, String)> = firewall_event::Entity::find()
        .select_only()
        .column(firewall_event::Column::CreatedAt)
        .column(firewall_event::Column::Verdict)
        .filter(firewall_event::Column::WorkspaceId.eq(workspace_id))
        .filter(firewall_event::Column::CreatedAt.gte(since))
        .into_tuple()
        .all(db)
        .await?;
    let mut days: BTreeMap<NaiveDate, DayCounts> = BTreeMap::new();
    let mut day = since.date_naive();
    while day <= until.date_naive() {
        days.insert(day, DayCounts::default());
        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    for (at, verdict) in rows {
        let counts = days.entry(at.date_naive()).or_default();
        match verdict.as_str() {
            "allow" => counts.allow += 1,
            "audit" => counts.audit += 1,
            "deny" => counts.deny += 1,
            _ => counts.other += 1,
        }
    }
    Ok(days.into_iter().collect())
}
