//! The recorder: request rows, firewall events (with their Discovered Tools update), guardrail matches and key
//! spend go through one bounded channel to a batch writer task (ARCHITECTURE "Recording").
//!
//! The writer commits once per linger window (100 ms), not once per request. A full channel makes the
//! sender wait (backpressure), never drop. `flush` waits until everything sent before it is written;
//! `startup::serve` calls it after the listener stops, so shutdown drains the channel. A crash (not a
//! shutdown) loses at most the open window. Audit rows never come through here. Rows carry no prompt or
//! completion bodies.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{DatabaseConnection, TransactionTrait};
use tokio::sync::{mpsc, oneshot, Notify};

use crate::store;
use crate::store::discovered_tools::Sighting;
use crate::store::firewall_events::EventRecord;
use crate::store::guardrail_matches::MatchRecord;
use crate::store::requests::RequestRecord;

/// Capacity of the channel; the writer drains up to this many rows per transaction.
const CAPACITY: usize = 1024;

/// One thing to write.
#[derive(Debug)]
pub enum Record {
    Request(Box<RequestRecord>),
    /// A real evaluation: its event row and its Discovered Tools update.
    Event(Box<EventRecord>),
    Match(Box<MatchRecord>),
    /// Metered cost added to a key's `spent_micros`.
    KeySpend { key_id: i64, micros: i64 },
    /// Answered once every record sent before it is written.
    Flush(oneshot::Sender<()>),
}

/// The sending side, cheap to clone.
#[derive(Clone, Debug)]
pub struct Recorder {
    tx: mpsc::Sender<Record>,
    /// Cuts the writer's linger short: a flush, or a channel half full.
    hurry: Arc<Notify>,
}

impl Recorder {
    /// Starts the writer task on the current Tokio runtime.
    pub fn spawn(db: DatabaseConnection) -> Recorder {
        let (tx, rx) = mpsc::channel(CAPACITY);
        let hurry = Arc::new(Notify::new());
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(write_loop(db, rx, Arc::clone(&hurry)));
            }
            // Only offline CLI commands build services without a runtime; they never record.
            Err(_) => tracing::warn!("no Tokio runtime: the feed recorder is not running"),
        }
        Recorder { tx, hurry }
    }

    /// Queues one record, waiting while the channel is full.
    pub async fn send(&self, record: Record) {
        if self.tx.send(record).await.is_err() {
            tracing::error!("feed recorder stopped; a feed row was not written");
            return;
        }
        // Start writing well before senders would have to wait for room.
        if self.tx.capacity() <= CAPACITY / 2 {
            self.hurry.notify_one();
        }
    }

    /// Waits until every record sent before this call is written.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        self.send(Record::Flush(done)).await;
        self.hurry.notify_one();
        let _ = wait.await;
    }
}

/// How long the writer lets rows gather after the first one before it commits: one transaction (and
/// one fsync) per window instead of one per request, well inside the second in which a decision must
/// reach the feeds. The writer sleeps through the window rather than waking for every record; a flush
/// or a half-full channel (`hurry`) cuts it short.
const LINGER: Duration = Duration::from_millis(100);

async fn write_loop(db: DatabaseConnection, mut rx: mpsc::Receiver<Record>, hurry: Arc<Notify>) {
    let mut batch = Vec::with_capacity(CAPACITY);
    while rx.recv_many(&mut batch, CAPACITY).await > 0 {
        if !batch.iter().any(|record| matches!(record, Record::Flush(_))) {
            tokio::select! {
                () = tokio::time::sleep(LINGER) => {}
                () = hurry.notified() => {}
            }
            while batch.len() < CAPACITY {
                match rx.try_recv() {
                    Ok(record) => batch.push(record),
                    Err(_) => break,
                }
            }
        }
        let mut flushes = Vec::new();
        let rows: Vec<Record> = batch
            .drain(..)
            .filter_map(|record| match record {
                Record::Flush(done) => {
                    flushes.push(done);
                    None
                }
                other => Some(other),
            })
            .collect();
        write_batch(&db, &merge_spend(rows)).await;
        for done in flushes {
            let _ = done.send(());
        }
    }
}

/// Folds the batch's `KeySpend` records into one per key (metered traffic sends one per request), so a
/// batch costs one `UPDATE` per key rather than one per request.
fn merge_spend(rows: Vec<Record>) -> Vec<Record> {
    let mut spend: Vec<(i64, i64)> = Vec::new();
    let mut merged: Vec<Record> = rows
        .into_iter()
        .filter_map(|record| match record {
            Record::KeySpend { key_id, micros } => {
                match spend.iter_mut().find(|(id, _)| *id == key_id) {
                    Some((_, total)) => *total += micros,
                    None => spend.push((key_id, micros)),
                }
                None
            }
            other => Some(other),
        })
        .collect();
    merged.extend(spend.into_iter().map(|(key_id, micros)| Record::KeySpend { key_id, micros }));
    merged
}

/// Writes a batch in one transaction; if that fails, row by row, so one bad row loses only itself.
async fn write_batch(db: &DatabaseConnection, rows: &[Record]) {
    if rows.is_empty() {
        return;
    }
    let batched = async {
        let txn = db.begin().await?;
        // Request rows (one per relay request, the bulk of the traffic) go in multi-row INSERTs.
        let requests: Vec<&RequestRecord> = rows
            .iter()
            .filter_map(|row| match row {
                Record::Request(request) => Some(request.as_ref()),
                _ => None,
            })
            .collect();
        store::requests::insert_many(&txn, &requests).await?;
        for row in rows.iter().filter(|row| !matches!(row, Record::Request(_))) {
            write_one(&txn, row).await?;
        }
        txn.commit().await
    };
    if let Err(err) = batched.await {
        tracing::warn!(error = %err, rows = rows.len(), "feed batch failed; retrying row by row");
        for row in rows {
            if let Err(err) = write_one(db, row).await {
                tracing::error!(error = %err, "feed row could not be written");
            }
        }
    }
}

async fn write_one(db: &impl sea_orm::ConnectionTrait, record: &Record) -> Result<(), sea_orm::DbErr> {
    match record {
        Record::Request(row) => store::requests::insert(db, row).await,
        Record::Match(row) => store::guardrail_matches::insert(db, row).await,
        Record::KeySpend { key_id, micros } => store::run_spend::add_key_spend(db, *key_id, *micros).await,
        Record::Event(row) => write_event(db, row).await.map(|_| ()),
        Record::Flush(_) => Ok(()),
    }
}

/// Writes one event row and its Discovered Tools update; returns the event id. The evaluate hook calls
/// this directly (inside a transaction) because its response carries `event_id` (SPEC §5.13).
pub async fn write_event(db: &impl sea_orm::ConnectionTrait, row: &EventRecord) -> Result<i64, sea_orm::DbErr> {
    let id = store::firewall_events::insert(db, row).await?;
    let sighting = Sighting {
        workspace_id: row.workspace_id,
        tool_name: row.tool_name.clone(),
        mcp_server: row.mcp_server.clone(),
        surface: row.surface.clone(),
        verdict: row.verdict.clone(),
        gap: row.gap,
        policy_name: row.policy_name.clone(),
        rule_label: row.rule_label.clone(),
        key_name: row.key_name.clone(),
        at: row.created_at,
    };
    store::discovered_tools::upsert(db, &sighting).await?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spend_of_one_key_is_summed_and_other_rows_keep_their_order() {
        let request = |id: &str| Record::Request(Box::new(RequestRecord { request_id: id.to_owned(), ..Default::default() }));
        let rows = vec![
            Record::KeySpend { key_id: 7, micros: 100 },
            request("a"),
            Record::KeySpend { key_id: 9, micros: 5 },
            Record::KeySpend { key_id: 7, micros: 250 },
            request("b"),
        ];
        let merged = merge_spend(rows);
        let shape: Vec<String> = merged
            .iter()
            .map(|record| match record {
                Record::Request(row) => format!("request {}", row.request_id),
                Record::KeySpend { key_id, micros } => format!("spend {key_id} {micros}"),
                _ => "other".to_owned(),
            })
            .collect();
        assert_eq!(shape, ["request a", "request b", "spend 7 350", "spend 9 5"]);
    }
}
