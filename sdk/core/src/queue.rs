//! The sans-IO event queue: given events and `now`, decide when a batch is due and what it
//! contains.
//!
//! Events move through three states: *pending* (queued, not yet sent), *in flight* (in a
//! batch whose answer is awaited) and gone (acknowledged by the collector). A failed send
//! releases its batch back to the front of the pending events, in order, so nothing is lost
//! and nothing is reordered. The shell owns the timers and the transport; it asks
//! [`Queue::due`] and [`Queue::next_deadline`] what to do and reports back with
//! [`Queue::acknowledge`] or [`Queue::release`].
//!
//! The durable outbox (persisted pending events, shared between tabs) builds on this state
//! machine: every transition here is one it must persist.

use std::collections::VecDeque;

use crate::protocol::Event;
use crate::time::Millis;

/// When batches go out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchPolicy {
    /// A batch is due as soon as this many events are pending. Default 50.
    pub max_events: usize,
    /// A batch is due once pending events reach this estimated size, and no batch is built
    /// larger (unless one event alone is). Default 60 000 bytes: under the 64 KiB that
    /// browsers allow a `keepalive` request or a beacon.
    pub max_bytes: usize,
    /// A batch is due once its oldest event has waited this long. Default 2 s.
    pub max_delay: Millis,
}

impl Default for BatchPolicy {
    fn default() -> Self {
        BatchPolicy {
            max_events: 50,
            max_bytes: 60_000,
            max_delay: Millis(2_000),
        }
    }
}

/// Why a batch is due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlushReason {
    /// [`BatchPolicy::max_events`] events are pending.
    Count,
    /// The pending events reached [`BatchPolicy::max_bytes`].
    Size,
    /// The oldest pending event waited [`BatchPolicy::max_delay`].
    Delay,
}

/// Names one batch in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BatchId(u64);

#[derive(Debug)]
struct InFlight {
    id: BatchId,
    events: Vec<Event>,
}

/// The in-memory event queue.
#[derive(Debug)]
pub struct Queue {
    policy: BatchPolicy,
    pending: VecDeque<(Event, usize)>,
    pending_bytes: usize,
    /// When the oldest pending event started waiting; `None` when nothing is pending.
    waiting_since: Option<Millis>,
    in_flight: Vec<InFlight>,
    next_batch: u64,
}

impl Queue {
    /// An empty queue.
    #[must_use]
    pub fn new(policy: BatchPolicy) -> Self {
        Queue {
            policy,
            pending: VecDeque::new(),
            pending_bytes: 0,
            waiting_since: None,
            in_flight: Vec::new(),
            next_batch: 0,
        }
    }

    /// The policy this queue batches by.
    #[must_use]
    pub fn policy(&self) -> BatchPolicy {
        self.policy
    }

    /// Queues an event recorded at `now`, and says whether a batch is now due.
    pub fn push(&mut self, event: Event, now: Millis) -> Option<FlushReason> {
        let size = event.approx_json_len();
        self.pending.push_back((event, size));
        self.pending_bytes += size;
        self.waiting_since.get_or_insert(now);
        self.due(now)
    }

    /// Whether a batch is due at `now`, and why.
    #[must_use]
    pub fn due(&self, now: Millis) -> Option<FlushReason> {
        let since = self.waiting_since?;
        if self.pending.len() >= self.policy.max_events {
            Some(FlushReason::Count)
        } else if self.pending_bytes >= self.policy.max_bytes {
            Some(FlushReason::Size)
        } else if now >= since.plus(self.policy.max_delay) {
            Some(FlushReason::Delay)
        } else {
            None
        }
    }

    /// When the next batch falls due by delay, if anything is pending.
    #[must_use]
    pub fn next_deadline(&self) -> Option<Millis> {
        self.waiting_since
            .map(|since| since.plus(self.policy.max_delay))
    }

    /// Moves the oldest pending events into a new in-flight batch: at most
    /// [`BatchPolicy::max_events`] of them, and no more than `max_bytes` (estimated) unless
    /// the first event alone is larger. `None` when nothing is pending.
    ///
    /// Callers normally pass the policy's `max_bytes`; an unload flush passes the smaller
    /// limit of its transport.
    pub fn take_batch(&mut self, max_bytes: usize) -> Option<BatchId> {
        let mut events = Vec::new();
        let mut bytes = 0;
        while let Some((_, size)) = self.pending.front() {
            let full = events.len() >= self.policy.max_events
                || (!events.is_empty() && bytes + size > max_bytes);
            if full {
                break;
            }
            let Some((event, size)) = self.pending.pop_front() else {
                break;
            };
            bytes += size;
            events.push(event);
        }
        if events.is_empty() {
            return None;
        }
        self.pending_bytes -= bytes;
        if self.pending.is_empty() {
            self.waiting_since = None;
        }
        let id = BatchId(self.next_batch);
        self.next_batch += 1;
        self.in_flight.push(InFlight { id, events });
        Some(id)
    }

    /// The events of an in-flight batch, to serialize and send.
    #[must_use]
    pub fn in_flight(&self, id: BatchId) -> Option<&[Event]> {
        self.in_flight
            .iter()
            .find(|b| b.id == id)
            .map(|b| b.events.as_slice())
    }

    /// The collector stored the batch: forget its events. Returns how many there were (zero
    /// for an unknown or already settled batch).
    pub fn acknowledge(&mut self, id: BatchId) -> usize {
        self.remove_in_flight(id).map_or(0, |events| events.len())
    }

    /// Sending the batch failed and may succeed later: its events go back to the front of
    /// the pending events, in their original order, to wait a full delay before the next
    /// attempt. Returns how many events were released.
    pub fn release(&mut self, id: BatchId, now: Millis) -> usize {
        let Some(events) = self.remove_in_flight(id) else {
            return 0;
        };
        let count = events.len();
        for event in events.into_iter().rev() {
            let size = event.approx_json_len();
            self.pending_bytes += size;
            self.pending.push_front((event, size));
        }
        self.waiting_since = Some(now);
        count
    }

    fn remove_in_flight(&mut self, id: BatchId) -> Option<Vec<Event>> {
        let index = self.in_flight.iter().position(|b| b.id == id)?;
        Some(self.in_flight.remove(index).events)
    }

    /// Events not yet sent.
    #[must_use]
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// Events sent and awaiting an answer.
    #[must_use]
    pub fn in_flight_len(&self) -> usize {
        self.in_flight.iter().map(|b| b.events.len()).sum()
    }

    /// True when no event is pending or in flight.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty() && self.in_flight.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::tests::event;

    fn queue(max_events: usize, max_bytes: usize, max_delay: u64) -> Queue {
        Queue::new(BatchPolicy {
            max_events,
            max_bytes,
            max_delay: Millis(max_delay),
        })
    }

    fn names(q: &Queue, id: BatchId) -> Vec<String> {
        q.in_flight(id)
            .unwrap()
            .iter()
            .map(|e| e.name.clone())
            .collect()
    }

    #[test]
    fn nothing_is_due_until_the_oldest_event_has_waited_the_delay() {
        let mut q = queue(50, 60_000, 2_000);
        assert_eq!(q.next_deadline(), None);
        assert_eq!(q.push(event(1, "a"), Millis(1_000)), None);
        assert_eq!(q.push(event(2, "b"), Millis(2_500)), None);
        assert_eq!(
            q.next_deadline(),
            Some(Millis(3_000)),
            "the oldest event sets the deadline"
        );
        assert_eq!(q.due(Millis(2_999)), None);
        assert_eq!(q.due(Millis(3_000)), Some(FlushReason::Delay));
    }

    #[test]
    fn a_full_count_is_due_at_once() {
        let mut q = queue(3, 60_000, 2_000);
        assert_eq!(q.push(event(1, "a"), Millis(0)), None);
        assert_eq!(q.push(event(2, "b"), Millis(0)), None);
        assert_eq!(q.push(event(3, "c"), Millis(0)), Some(FlushReason::Count));
    }

    #[test]
    fn a_full_size_is_due_at_once_and_batches_stay_under_it() {
        let one = event(1, "a").approx_json_len();
        let mut q = queue(50, one * 2, 2_000);
        assert_eq!(q.push(event(1, "a"), Millis(0)), None);
        assert_eq!(q.push(event(2, "b"), Millis(0)), Some(FlushReason::Size));
        q.push(event(3, "c"), Millis(0));
        let first = q.take_batch(one * 2).unwrap();
        assert_eq!(names(&q, first), ["a", "b"]);
        let second = q.take_batch(one * 2).unwrap();
        assert_eq!(names(&q, second), ["c"]);
        assert_eq!(q.take_batch(one * 2), None);
    }

    #[test]
    fn an_event_larger_than_the_limit_still_goes_alone() {
        let mut q = queue(50, 10, 2_000);
        q.push(event(1, "a"), Millis(0));
        q.push(event(2, "b"), Millis(0));
        let id = q.take_batch(10).unwrap();
        assert_eq!(names(&q, id), ["a"]);
    }

    #[test]
    fn batches_take_at_most_max_events_oldest_first() {
        let mut q = queue(2, 60_000, 2_000);
        for (i, name) in ["a", "b", "c"].into_iter().enumerate() {
            q.push(event(i as u128, name), Millis(0));
        }
        let id = q.take_batch(60_000).unwrap();
        assert_eq!(names(&q, id), ["a", "b"]);
        assert_eq!((q.pending_len(), q.in_flight_len()), (1, 2));
        assert_eq!(
            q.due(Millis(2_000)),
            Some(FlushReason::Delay),
            "the rest stays due"
        );
    }

    #[test]
    fn an_acknowledged_batch_is_forgotten_once() {
        let mut q = queue(50, 60_000, 2_000);
        q.push(event(1, "a"), Millis(0));
        let id = q.take_batch(60_000).unwrap();
        assert_eq!(q.acknowledge(id), 1);
        assert_eq!(q.acknowledge(id), 0);
        assert!(q.is_empty());
        assert_eq!(q.next_deadline(), None);
    }

    #[test]
    fn a_released_batch_goes_back_in_front_in_order_and_waits_a_full_delay() {
        let mut q = queue(50, 60_000, 2_000);
        q.push(event(1, "a"), Millis(0));
        q.push(event(2, "b"), Millis(0));
        let id = q.take_batch(60_000).unwrap();
        q.push(event(3, "c"), Millis(100));
        assert_eq!(q.release(id, Millis(500)), 2);
        assert_eq!(q.due(Millis(2_499)), None);
        assert_eq!(q.due(Millis(2_500)), Some(FlushReason::Delay));
        let again = q.take_batch(60_000).unwrap();
        assert_eq!(names(&q, again), ["a", "b", "c"]);
        let original_ids: Vec<_> = q.in_flight(again).unwrap().iter().map(|e| e.ts).collect();
        assert_eq!(
            original_ids,
            [event(1, "a").ts, event(2, "b").ts, event(3, "c").ts]
        );
    }

    #[test]
    fn settling_an_unknown_batch_changes_nothing() {
        let mut q = queue(50, 60_000, 2_000);
        q.push(event(1, "a"), Millis(0));
        let id = q.take_batch(60_000).unwrap();
        q.acknowledge(id);
        assert_eq!(q.release(id, Millis(1)), 0);
        assert!(q.is_empty());
    }
}
