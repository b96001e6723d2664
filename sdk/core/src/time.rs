//! Time as the core sees it: milliseconds since the Unix epoch, always passed in.

use serde::de::{Error as _, Unexpected};
use serde::{Deserialize, Deserializer, Serialize};

/// Milliseconds since the Unix epoch (or, for durations, a number of milliseconds).
///
/// The core never reads a clock: callers pass `now` in, so tests control time exactly.
///
/// On the wire it is a JSON integer from 0 to [`Millis::MAX`]: reading a larger one fails
/// (as a type error naming the field), because every store keeps times as signed 64-bit
/// integers and a larger value could only be stored wrapped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Millis(pub u64);

impl<'de> Deserialize<'de> for Millis {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let ms = u64::deserialize(deserializer)?;
        if ms > Millis::MAX.0 {
            return Err(D::Error::invalid_value(
                Unexpected::Unsigned(ms),
                &"milliseconds from 0 to 2^63 - 1",
            ));
        }
        Ok(Millis(ms))
    }
}

impl Millis {
    /// One second.
    pub const SECOND: Millis = Millis(1_000);
    /// One minute.
    pub const MINUTE: Millis = Millis(60_000);
    /// The largest time read from the wire: 2^63 - 1, what a signed 64-bit integer (SQLite's
    /// `INTEGER`, ClickHouse's `Int64`) holds exactly.
    pub const MAX: Millis = Millis(i64::MAX as u64);

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

#[cfg(test)]
mod tests {
    use super::Millis;

    fn read(json: &str) -> Result<Millis, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn every_time_a_signed_64_bit_store_keeps_is_read_and_no_larger_one() {
        assert_eq!(read("0"), Ok(Millis(0)));
        assert_eq!(read("9223372036854775807"), Ok(Millis::MAX));
        for too_large in ["9223372036854775808", "18446744073709551615"] {
            let error = read(too_large).unwrap_err();
            assert!(error.contains("2^63 - 1"), "{too_large}: {error}");
        }
        // Larger than u64, negative or fractional: not an integer of the wire's type at all.
        for wrong in ["18446744073709551616", "-1", "1.5"] {
            assert!(read(wrong).is_err(), "{wrong}");
        }
    }
}
