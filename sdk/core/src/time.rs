//! Time as the core sees it: milliseconds since the Unix epoch, always passed in.

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch (or, for durations, a number of milliseconds).
///
/// The core never reads a clock: callers pass `now` in, so tests control time exactly.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Millis(pub u64);

impl Millis {
    /// One second.
    pub const SECOND: Millis = Millis(1_000);
    /// One minute.
    pub const MINUTE: Millis = Millis(60_000);

    /// `self + other`, saturating instead of overflowing.
    #[must_use]
    pub const fn plus(self, other: Millis) -> Millis {
        Millis(self.0.saturating_add(other.0))
    }

    /// The time from `earlier` to `self`, or zero if `earlier` is later (clocks do go back).
    #[must_use]
    pub const fn since(self, earlier: Millis) -> Millis {
        Millis(self.0.saturating_sub(earlier.0))
    }

    /// Converts a JavaScript time value (`Date.now()`), clamping NaN and negatives to zero.
    #[must_use]
    pub fn from_js(ms: f64) -> Millis {
        if ms.is_finite() && ms > 0.0 {
            // `as` saturates for floats, so a huge value cannot wrap.
            Millis(ms as u64)
        } else {
            Millis(0)
        }
    }
}
