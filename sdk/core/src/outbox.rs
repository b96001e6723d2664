//! The outbox's decisions: how large the persisted outbox may grow, how it is cut into
//! batches, and how long to wait after a failed send.
//!
//! The browser shell that carries them out (IndexedDB, Web Locks, `fetch`, beacons,
//! timers) is the npm package's `outbox.js`, which calls these through the wasm exports
//! `outboxPlan` and `retryWait`: the same shell written in Rust cost 20 KiB of the SDK's
//! 64 KiB gzipped budget, in JavaScript under 3 KiB. Every event is encoded once, when
//! it is recorded, and from then on travels as that JSON text, so its timestamp never
//! changes across retries.

use std::ops::Range;

use crate::time::Millis;

/// When batches go out and how large the outbox may grow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchPolicy {
    /// A send is due as soon as this many events are pending, and no batch holds more.
    /// Default 50.
    pub max_events: usize,
    /// A send is due once pending events reach this size, and no batch is built larger
    /// (unless one event alone is). Default 60 000 bytes: under the 64 KiB that browsers
    /// allow a `keepalive` request or a beacon.
    pub max_bytes: usize,
    /// A send is due once the oldest pending event has waited this long. Default 2 s.
    pub max_delay: Millis,
    /// The most events the outbox keeps; beyond it the oldest are dropped. Default 1 000.
    pub outbox_events: usize,
    /// The most bytes of events the outbox keeps; beyond it the oldest are dropped.
    /// Default 1 000 000.
    pub outbox_bytes: usize,
}

impl Default for BatchPolicy {
    fn default() -> Self {
        BatchPolicy {
            max_events: 50,
            max_bytes: 60_000,
            max_delay: Millis(2_000),
            outbox_events: 1_000,
            outbox_bytes: 1_000_000,
        }
    }
}

/// How many of the oldest events, of these `sizes` (oldest first), must be dropped so that
/// the rest fit the outbox's bounds.
#[must_use]
pub fn over_bounds(sizes: &[usize], policy: &BatchPolicy) -> usize {
    let mut total: usize = sizes.iter().sum();
    let mut drop = 0;
    while drop < sizes.len()
        && (sizes.len() - drop > policy.outbox_events || total > policy.outbox_bytes)
    {
        total -= sizes[drop];
        drop += 1;
    }
    drop
}

/// Cuts events of these JSON `sizes` (in sending order) into consecutive batches of at most
/// `max_events` events and `max_bytes` bytes of batch body; an event too large to share a
/// batch goes alone.
#[must_use]
pub fn batches(sizes: &[usize], max_events: usize, max_bytes: usize) -> Vec<Range<usize>> {
    // The envelope around the events: key, sent_at, brackets; generous.
    const ENVELOPE: usize = 200;
    let mut ranges = Vec::new();
    let mut start = 0;
    let mut bytes = ENVELOPE;
    for (i, size) in sizes.iter().enumerate() {
        let full = i > start && (i - start >= max_events || bytes + size + 1 > max_bytes);
        if full {
            ranges.push(start..i);
            start = i;
            bytes = ENVELOPE;
        }
        bytes += size + 1;
    }
    if start < sizes.len() {
        ranges.push(start..sizes.len());
    }
    ranges
}

/// What a send cycle (or an unload) does with an outbox of events of these JSON `sizes`,
/// oldest first: drop the oldest `drop` to stay within the policy's bounds, then send the
/// rest in batches (index ranges into `sizes`) within the policy's batch limits.
#[must_use]
pub fn plan(sizes: &[usize], policy: &BatchPolicy) -> (usize, Vec<Range<usize>>) {
    let drop = over_bounds(sizes, policy);
    let rest = sizes.get(drop..).unwrap_or_default();
    let ranges = batches(rest, policy.max_events, policy.max_bytes)
        .into_iter()
        .map(|r| r.start + drop..r.end + drop)
        .collect();
    (drop, ranges)
}

/// The first retry waits about this long; each further failure doubles it.
pub const RETRY_BASE: Millis = Millis(1_000);
/// No wait computed by [`retry_wait`] exceeds this, `Retry-After` aside.
pub const RETRY_MAX: Millis = Millis(60_000);
/// A `Retry-After` longer than this is taken as this: a misconfigured proxy must not
/// silence a page for days.
pub const MAX_RETRY_AFTER: Millis = Millis(3_600_000);

/// How long to wait after the `failures`-th failed send in a row: exponential from
/// [`RETRY_BASE`] up to [`RETRY_MAX`], with "equal jitter" (half the wait fixed, half from
/// `random`, so tabs and pages that failed together do not retry together), and never less
/// than the collector's `Retry-After` (capped at [`MAX_RETRY_AFTER`]).
#[must_use]
pub fn retry_wait(failures: u32, retry_after: Option<Millis>, random: u32) -> Millis {
    let exponent = failures.saturating_sub(1).min(16);
    let full = RETRY_BASE.0.saturating_mul(1 << exponent).min(RETRY_MAX.0);
    let half = full / 2;
    let wait = half + u64::from(random) % (half + 1);
    Millis(match retry_after {
        Some(after) => wait.max(after.0.min(MAX_RETRY_AFTER.0)),
        None => wait,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(max_events: usize, outbox_events: usize, outbox_bytes: usize) -> BatchPolicy {
        BatchPolicy {
            max_events,
            max_bytes: 1_000,
            max_delay: Millis(2_000),
            outbox_events,
            outbox_bytes,
        }
    }

    #[test]
    fn over_bounds_counts_from_the_oldest() {
        let p = policy(50, 2, 100);
        assert_eq!(over_bounds(&[], &p), 0);
        assert_eq!(over_bounds(&[1, 1], &p), 0);
        assert_eq!(over_bounds(&[1, 1, 1, 1], &p), 2);
        assert_eq!(over_bounds(&[90, 5, 5], &p), 1);
        assert_eq!(over_bounds(&[5, 200], &p), 2);
    }

    #[test]
    fn batches_respect_count_and_size_and_keep_order() {
        assert_eq!(batches(&[], 50, 1_000), Vec::<Range<usize>>::new());
        assert_eq!(batches(&[10; 5], 2, 10_000), [0..2, 2..4, 4..5]);
        // 200 of envelope + 3 × 301 > 1 000: the third starts a new batch.
        assert_eq!(batches(&[300, 300, 300], 50, 1_000), [0..2, 2..3]);
        // An event larger than a batch goes alone.
        assert_eq!(batches(&[10, 5_000, 10], 50, 1_000), [0..1, 1..2, 2..3]);
    }

    #[test]
    fn a_plan_drops_the_oldest_then_batches_the_rest() {
        let p = policy(2, 3, 10_000);
        assert_eq!(plan(&[], &p), (0, vec![]));
        assert_eq!(plan(&[1, 1, 1, 1, 1], &p), (2, vec![2..4, 4..5]));
        let (drop, ranges) = plan(&[10, 10], &p);
        assert_eq!((drop, ranges.len(), ranges.first()), (0, 1, Some(&(0..2))));
    }

    #[test]
    fn retry_waits_double_with_jitter_up_to_a_cap_and_honour_retry_after() {
        // Jitter keeps each wait within [half, full].
        assert_eq!(retry_wait(1, None, 0), Millis(500));
        assert_eq!(
            retry_wait(2, None, u32::MAX),
            Millis(1_000 + (u64::from(u32::MAX) % 1_001))
        );
        for failures in 1..=32 {
            let wait = retry_wait(failures, None, 7);
            assert!(wait <= RETRY_MAX, "{wait:?}");
        }
        assert!(retry_wait(32, None, 0) >= Millis(30_000));
        // Retry-After wins when it is longer, and is capped.
        assert_eq!(retry_wait(1, Some(Millis(5_000)), 0), Millis(5_000));
        assert_eq!(
            retry_wait(2, Some(Millis(u64::MAX / 2)), 0),
            MAX_RETRY_AFTER
        );
    }
}
