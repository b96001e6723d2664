//! Sessions: a run of activity that ends after 30 minutes without any.
//!
//! The browser shell stores the [`Session`] (so that reloads and other tabs continue it) and
//! asks [`Session::resume`] on every event whether it still holds.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::time::Millis;

/// How long a session survives without activity.
pub const INACTIVITY_TIMEOUT: Millis = Millis(30 * 60 * 1_000);

/// One session of one browser.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The session id carried on every event.
    pub id: Uuid,
    /// When the session started.
    pub started_at: Millis,
    /// The last event in this session.
    pub last_activity: Millis,
}

impl Session {
    /// A session starting at `now`.
    #[must_use]
    pub fn start(id: Uuid, now: Millis) -> Session {
        Session {
            id,
            started_at: now,
            last_activity: now,
        }
    }

    /// Continues `stored` at `now` if it has not timed out, else starts a new session with
    /// the id `fresh_id` makes (called only then). Returns the session to store and whether it is new.
    ///
    /// A stored session whose last activity lies in the future (the clock stepped back)
    /// continues: its id is still the best guess of what the user is doing.
    #[must_use]
    pub fn resume(
        stored: Option<Session>,
        now: Millis,
        fresh_id: impl FnOnce() -> Uuid,
    ) -> (Session, bool) {
        match stored {
            Some(session) if now.since(session.last_activity) < INACTIVITY_TIMEOUT => {
                let last_activity = session.last_activity.max(now);
                (
                    Session {
                        last_activity,
                        ..session
                    },
                    false,
                )
            }
            _ => (Session::start(fresh_id(), now), true),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: Uuid = Uuid::from_u128(1);
    const NEW: Uuid = Uuid::from_u128(2);

    fn check(stored_last_activity: Option<u64>, now: u64, expected_id: Uuid, expected_new: bool) {
        let stored = stored_last_activity.map(|t| Session::start(OLD, Millis(t)));
        let (session, is_new) = Session::resume(stored, Millis(now), || NEW);
        assert_eq!((session.id, is_new), (expected_id, expected_new));
    }

    #[test]
    fn no_stored_session_starts_one() {
        check(None, 10, NEW, true);
    }

    #[test]
    fn activity_within_thirty_minutes_continues_the_session() {
        check(Some(1_000), 1_000 + INACTIVITY_TIMEOUT.0 - 1, OLD, false);
    }

    #[test]
    fn thirty_minutes_of_inactivity_ends_the_session() {
        check(Some(1_000), 1_000 + INACTIVITY_TIMEOUT.0, NEW, true);
    }

    #[test]
    fn a_clock_that_stepped_back_continues_the_session() {
        check(Some(50_000), 40_000, OLD, false);
    }

    #[test]
    fn continuing_moves_last_activity_forward_only() {
        let stored = Session::start(OLD, Millis(100));
        let (later, _) = Session::resume(Some(stored), Millis(200), || NEW);
        assert_eq!(
            (later.started_at, later.last_activity),
            (Millis(100), Millis(200))
        );
    }
}
