//! In-memory copies of what every relay and gateway request reads: API keys by secret hash and workspace
//! settings (with `posture_version`, the key of the compiled-posture cache). Reading them from the database
//! on every request cost two round trips and most of the relay's CPU (issue 5 benchmark).
//!
//! Freshness, strongest first:
//! - this process drops an entry right after committing a change to it ([`LiveCache::forget_workspace`],
//!   [`LiveCache::forget_key`]);
//! - other replicas on PostgreSQL drop it when the change's `NOTIFY` arrives (`live_listen`), sent inside
//!   the change's transaction so it is delivered exactly when the change commits;
//! - anything else (a lost listener connection, the offline `palisade admin` CLI, a second process on one
//!   SQLite file) is bounded by [`MAX_AGE`].
//!
//! A load that raced with an invalidation is not cached: loads remember the invalidation generation they
//! started under and only store when it has not moved, so an old row can never outlive the change.
//! Negative answers (unknown keys) are never cached.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use crate::domain::ApiKey;
use crate::store::workspaces::WorkspaceSettings;

/// The longest an entry is trusted without a reload.
pub const MAX_AGE: Duration = Duration::from_secs(1);

/// The PostgreSQL channel carrying invalidations between replicas (payloads: [`Invalidation::payload`]).
pub const CHANNEL: &str = "palisade_changes";

/// What a committed change makes stale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invalidation {
    /// Settings, posture and every key of a workspace (posture changes can clear key bindings).
    Workspace(i64),
    /// One API key (edit, rotate, disable, delete).
    Key(i64),
}

impl Invalidation {
    pub fn payload(self) -> String {
        match self {
            Invalidation::Workspace(id) => format!("w:{id}"),
            Invalidation::Key(id) => format!("k:{id}"),
        }
    }

    pub fn parse(payload: &str) -> Option<Invalidation> {
        let (kind, id) = payload.split_once(':')?;
        let id = id.parse().ok()?;
        match kind {
            "w" => Some(Invalidation::Workspace(id)),
            "k" => Some(Invalidation::Key(id)),
            _ => None,
        }
    }
}

struct Entry<T> {
    value: T,
    loaded: Instant,
}

/// The caches; one per process, shared by every request.
#[derive(Default)]
pub struct LiveCache {
    keys: RwLock<HashMap<String, Entry<ApiKey>>>,
    settings: RwLock<HashMap<i64, Entry<Arc<WorkspaceSettings>>>>,
    /// Moves on every invalidation; see the module header.
    generation: AtomicU64,
}

impl std::fmt::Debug for LiveCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveCache").field("generation", &self.generation.load(Ordering::Relaxed)).finish_non_exhaustive()
    }
}

fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn fresh<T: Clone>(entry: Option<&Entry<T>>, now: Instant) -> Option<T> {
    entry.filter(|entry| now.duration_since(entry.loaded) < MAX_AGE).map(|entry| entry.value.clone())
}

impl LiveCache {
    /// The generation to pass back to `put_*` after a database load.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The key with this secret hash, if cached and fresh.
    pub fn key(&self, secret_hash: &str, now: Instant) -> Option<ApiKey> {
        fresh(read(&self.keys).get(secret_hash), now)
    }

    /// Caches a key loaded at `generation` (skipped if an invalidation happened since).
    pub fn put_key(&self, secret_hash: String, key: ApiKey, generation: u64, now: Instant) {
        let mut keys = write(&self.keys);
        if self.generation() == generation {
            keys.insert(secret_hash, Entry { value: key, loaded: now });
        }
    }

    /// Adds metered spend to a cached key so the next credit check sees it before the database row does.
    pub fn add_spend(&self, key_id: i64, micros: i64) {
        for entry in write(&self.keys).values_mut().filter(|entry| entry.value.id == key_id) {
            entry.value.spent_micros += micros;
        }
    }

    /// The settings of a workspace, if cached and fresh.
    pub fn settings(&self, workspace_id: i64, now: Instant) -> Option<Arc<WorkspaceSettings>> {
        fresh(read(&self.settings).get(&workspace_id), now)
    }

    /// Caches settings loaded at `generation` (skipped if an invalidation happened since).
    pub fn put_settings(&self, settings: Arc<WorkspaceSettings>, generation: u64, now: Instant) {
        let mut map = write(&self.settings);
        if self.generation() == generation {
            map.insert(settings.workspace_id, Entry { value: settings, loaded: now });
        }
    }

    /// Drops what `change` made stale.
    pub fn invalidate(&self, change: Invalidation) {
        // Bumped under the write locks, so a load that started before cannot store afterwards.
        let mut keys = write(&self.keys);
        let mut settings = write(&self.settings);
        self.generation.fetch_add(1, Ordering::AcqRel);
        match change {
            Invalidation::Workspace(id) => {
                settings.remove(&id);
                keys.retain(|_, entry| entry.value.workspace_id != id);
            }
            Invalidation::Key(id) => keys.retain(|_, entry| entry.value.id != id),
        }
    }

    /// Drops everything (the change listener reconnected and may have missed notifications).
    pub fn clear(&self) {
        let mut keys = write(&self.keys);
        let mut settings = write(&self.settings);
        self.generation.fetch_add(1, Ordering::AcqRel);
        keys.clear();
        settings.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn key(id: i64, workspace_id: i64) -> ApiKey {
        ApiKey {
            id,
            workspace_id,
            kind: crate::domain::KeyKind::Relay,
            name: format!("k{id}"),
            key_hint: "sk-pal-****abcd".into(),
            scopes: vec!["chat".into()],
            active: true,
            environment: None,
            guardrail_id: None,
            firewall_policy_id: None,
            model_allowlist_enabled: false,
            model_allowlist: vec![],
            ip_allowlist: vec![],
            credit_limit_micros: 0,
            spent_micros: 0,
            rate_limit_rpm: 0,
            expires_at: None,
            created_by: None,
            created_at: Utc::now(),
            last_used_at: None,
            last_used_ip: None,
        }
    }

    #[test]
    fn entries_expire_after_max_age() {
        let cache = LiveCache::default();
        let t0 = Instant::now();
        cache.put_key("h1".into(), key(1, 1), cache.generation(), t0);
        assert_eq!(cache.key("h1", t0 + MAX_AGE / 2).map(|k| k.id), Some(1));
        assert!(cache.key("h1", t0 + MAX_AGE).is_none());
        assert!(cache.key("unknown", t0).is_none());
    }

    #[test]
    fn a_load_that_raced_an_invalidation_is_not_stored() {
        let cache = LiveCache::default();
        let now = Instant::now();
        let before = cache.generation();
        cache.invalidate(Invalidation::Key(1));
        cache.put_key("h1".into(), key(1, 1), before, now);
        assert!(cache.key("h1", now).is_none(), "the old row must not be cached");
        cache.put_key("h1".into(), key(1, 1), cache.generation(), now);
        assert!(cache.key("h1", now).is_some());
    }

    #[test]
    fn invalidations_drop_exactly_what_they_name() {
        let cache = LiveCache::default();
        let now = Instant::now();
        let generation = cache.generation();
        cache.put_key("a".into(), key(1, 10), generation, now);
        cache.put_key("b".into(), key(2, 10), generation, now);
        cache.put_key("c".into(), key(3, 20), generation, now);
        cache.invalidate(Invalidation::Key(1));
        assert!(cache.key("a", now).is_none());
        assert!(cache.key("b", now).is_some() && cache.key("c", now).is_some());
        cache.invalidate(Invalidation::Workspace(10));
        assert!(cache.key("b", now).is_none());
        assert!(cache.key("c", now).is_some(), "another workspace's key stays");
    }

    #[test]
    fn spend_is_added_to_the_cached_key() {
        let cache = LiveCache::default();
        let now = Instant::now();
        cache.put_key("a".into(), key(1, 10), cache.generation(), now);
        cache.add_spend(1, 250);
        cache.add_spend(2, 999);
        assert_eq!(cache.key("a", now).map(|k| k.spent_micros), Some(250));
    }

    #[test]
    fn payloads_round_trip_and_garbage_is_ignored() {
        for change in [Invalidation::Workspace(7), Invalidation::Key(42)] {
            assert_eq!(Invalidation::parse(&change.payload()), Some(change));
        }
        assert_eq!(Invalidation::parse("x:1"), None);
        assert_eq!(Invalidation::parse("w:abc"), None);
        assert_eq!(Invalidation::parse(""), None);
    }
}
