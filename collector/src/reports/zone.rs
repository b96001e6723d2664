//! Time zones for reports: a fixed offset from UTC (`+02:00`) or a named zone of the IANA
//! time zone database (`Europe/Paris`), whose offset follows its daylight saving time.
//!
//! The database is the one `jiff` bundles (`tzdb-bundle-always`), not the machine's, so a
//! report reads the same rules on every machine and the stores can never disagree about a
//! boundary. A day in a named zone is the span between two local midnights: 23 or 25 hours
//! long on the days the clocks change, and it starts at the first instant of its date where
//! midnight itself is skipped.

use jiff::tz::TimeZone;
use jiff::Timestamp;

const DAY_MS: i64 = 86_400_000;

/// A report's time zone.
#[derive(Clone, Debug)]
pub enum Zone {
    /// A fixed offset from UTC, in ms (at most 14 hours either way).
    Fixed(i64),
    /// A named zone.
    Named {
        /// Its name as the database spells it.
        name: String,
        /// Its rules.
        zone: TimeZone,
    },
}

impl PartialEq for Zone {
    fn eq(&self, other: &Zone) -> bool {
        self.name() == other.name()
    }
}

impl Eq for Zone {}

impl Default for Zone {
    fn default() -> Zone {
        Zone::Fixed(0)
    }
}

/// Reads `+02:00`, `-05:30`; at most 14 hours either way.
fn parse_offset(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() != 6 || bytes[3] != b':' {
        return None;
    }
    let sign = match bytes[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits = |s: &str| -> Option<i64> {
        s.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| s.parse().ok())
            .flatten()
    };
    let (hours, minutes) = (digits(&text[1..3])?, digits(&text[4..6])?);
    if minutes >= 60 || hours * 60 + minutes > 14 * 60 {
        return None;
    }
    Some(sign * (hours * 60 + minutes) * 60_000)
}

impl Zone {
    /// Reads a zone: `+HH:MM` or `-HH:MM`, or a name of the time zone database. A leading
    /// space is a `+` that a query string decoded as one (`tz=+02:00` unencoded). `Err` is
    /// the message saying what was expected.
    pub fn parse(text: &str) -> Result<Zone, String> {
        let text = match text.strip_prefix(' ') {
            Some(rest) => format!("+{rest}"),
            None => text.to_owned(),
        };
        let bad = || {
            format!(
                "expected an offset from UTC as +HH:MM or -HH:MM, or a time zone of the IANA database such as Europe/Paris, got {text:?}"
            )
        };
        if text.starts_with(['+', '-']) {
            return parse_offset(&text).map(Zone::Fixed).ok_or_else(bad);
        }
        // Names are letters, digits and `/ _ - +`; anything else (a path) is refused before
        // the database is asked.
        if text.is_empty()
            || !text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'+'))
        {
            return Err(bad());
        }
        let zone = TimeZone::get(&text).map_err(|_| bad())?;
        let name = zone.iana_name().unwrap_or(&text).to_owned();
        Ok(Zone::Named { name, zone })
    }

    /// How the report names it: `+02:00`, or the zone's name.
    #[must_use]
    pub fn name(&self) -> String {
        match self {
            Zone::Fixed(offset_ms) => format!(
                "{}{:02}:{:02}",
                if *offset_ms < 0 { '-' } else { '+' },
                offset_ms.abs() / 3_600_000,
                offset_ms.abs() / 60_000 % 60
            ),
            Zone::Named { name, .. } => name.clone(),
        }
    }

    /// The offset from UTC at an instant, in ms.
    #[must_use]
    pub fn offset_ms(&self, utc_ms: i64) -> i64 {
        match self {
            Zone::Fixed(offset_ms) => *offset_ms,
            Zone::Named { zone, .. } => Timestamp::from_millisecond(utc_ms)
                .map_or(0, |t| i64::from(zone.to_offset(t).seconds()) * 1000),
        }
    }

    /// The local day of an instant: days since 1970-01-01 on the zone's calendar.
    #[must_use]
    pub fn day(&self, utc_ms: i64) -> i64 {
        (utc_ms + self.offset_ms(utc_ms)).div_euclid(DAY_MS)
    }

    /// The first instant (UTC ms) of a local day.
    #[must_use]
    pub fn day_start_ms(&self, day: i64) -> i64 {
        match self {
            Zone::Fixed(offset_ms) => day * DAY_MS - offset_ms,
            Zone::Named { zone, .. } => {
                // Midnight, local: where it is skipped, the first instant after the gap;
                // where it happens twice, the first.
                let local = day * DAY_MS;
                let Ok(date) =
                    Timestamp::from_millisecond(local).map(|t| t.to_zoned(TimeZone::UTC).date())
                else {
                    return local;
                };
                date.to_zoned(zone.clone())
                    .map_or(local, |start| start.timestamp().as_millisecond())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;
    /// 2026-10-25T00:00:00Z: Paris leaves summer time at 01:00 UTC that day.
    const OCT_25: i64 = 1_792_886_400_000;

    #[test]
    fn offsets_and_names_are_read_and_bad_ones_refused() {
        assert_eq!(Zone::parse("+02:00"), Ok(Zone::Fixed(7_200_000)));
        assert_eq!(Zone::parse(" 02:00"), Ok(Zone::Fixed(7_200_000)));
        assert_eq!(Zone::parse("-05:30"), Ok(Zone::Fixed(-19_800_000)));
        assert_eq!(Zone::parse("Europe/Paris").unwrap().name(), "Europe/Paris");
        assert_eq!(Zone::parse("UTC").unwrap().name(), "UTC");
        for bad in [
            "2",
            "+2:00",
            "+02:60",
            "+15:00",
            "+0a:00",
            "Europe/Pariss",
            "../etc/passwd",
            "",
        ] {
            let message = Zone::parse(bad).unwrap_err();
            assert!(message.contains("Europe/Paris"), "{bad}: {message}");
        }
    }

    #[test]
    fn a_named_zone_follows_daylight_saving_time() {
        let paris = Zone::parse("Europe/Paris").unwrap();
        assert_eq!(paris.offset_ms(OCT_25 + HOUR - 1), 2 * HOUR);
        assert_eq!(paris.offset_ms(OCT_25 + HOUR), HOUR);
        // 2026-10-25 (local) began at 22:00 UTC the day before and lasts 25 hours.
        let day = paris.day(OCT_25);
        assert_eq!(paris.day_start_ms(day), OCT_25 - 2 * HOUR);
        assert_eq!(paris.day_start_ms(day + 1), OCT_25 + 23 * HOUR);
        assert_eq!(paris.day(OCT_25 + 23 * HOUR - 1), day);
        assert_eq!(paris.day(OCT_25 + 23 * HOUR), day + 1);
        // A fixed offset keeps 24-hour days.
        let fixed = Zone::Fixed(2 * HOUR);
        assert_eq!(fixed.day(OCT_25 + 22 * HOUR), day + 1);
    }

    #[test]
    fn a_day_whose_midnight_is_skipped_starts_after_the_gap() {
        // Santiago's clocks went from 00:00 to 01:00 on 2026-09-06 (UTC-4 to UTC-3).
        let santiago = Zone::parse("America/Santiago").unwrap();
        let sept_6 = 1_788_652_800_000; // 2026-09-06T00:00:00Z
        let day = santiago.day(sept_6 + 12 * HOUR);
        let start = santiago.day_start_ms(day);
        assert_eq!(santiago.day(start), day);
        assert_eq!(santiago.day(start - 1), day - 1);
        assert_eq!(start, sept_6 + 4 * HOUR, "01:00 local, UTC-3");
    }
}
