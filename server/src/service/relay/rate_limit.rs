//! Per-key token buckets (SPEC §3.6): capacity `rate_limit_rpm`, refilled at `rpm / 60` tokens per second,
//! one token per authenticated request. In memory, per replica (ARCHITECTURE "Scaling out").
//!
//! Must not read the clock itself: callers pass `now`, so tests are exact.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Every key's bucket in this process.
#[derive(Debug, Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<i64, Bucket>>,
}

impl RateLimiter {
    /// Takes one token for `key_id`; `Err(seconds)` until one is available (rounded up, at least 1).
    /// `rpm` 0 means unlimited.
    pub fn take(&self, key_id: i64, rpm: i64, now: Instant) -> Result<(), u64> {
        if rpm <= 0 {
            return Ok(());
        }
        let capacity = rpm as f64;
        let per_second = capacity / 60.0;
        // A poisoned lock only means another request panicked mid-update; the bucket data is still usable.
        let mut buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let bucket = buckets.entry(key_id).or_insert(Bucket { tokens: capacity, last: now });
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_second).min(capacity);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err((((1.0 - bucket.tokens) / per_second).ceil() as u64).max(1))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_bucket_allows_its_capacity_then_refills_at_rpm_per_minute() {
        let limiter = RateLimiter::default();
        let start = Instant::now();
        assert!(limiter.take(1, 2, start).is_ok());
        assert!(limiter.take(1, 2, start).is_ok());
        assert_eq!(limiter.take(1, 2, start), Err(30));
        assert!(limiter.take(2, 2, start).is_ok(), "buckets are per key");
        assert!(limiter.take(1, 2, start + Duration::from_secs(31)).is_ok());
        assert!(limiter.take(1, 0, start).is_ok(), "0 = unlimited");
    }
}
