//! Reports: what marketers and product teams read, computed from stored events.
//!
//! A store answers with counts ([`EventCounts`]) computed by its own query language; every
//! figure derived from counts (gaps filled, totals, later rates and intervals) is computed
//! here, once, so the SQLite and ClickHouse backends give the same answers by construction
//! wherever they agree on the counts, and a test holds them to agreeing on the counts.
//!
//! **People are counted once.** A person is the user id an event carries; failing that, the
//! user id its anonymous id was linked to by `identify` (the smallest one, should it have
//! been linked to several); failing that, the anonymous id.
//!
//! **Days are UTC**, of the event's skew-corrected timestamp.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime};

use crate::auth::admin;
use crate::error::IngestError;
use crate::extract::Query;
use crate::state::AppState;

/// The longest range one report may cover, in days.
pub const MAX_DAYS: i64 = 366;

/// What a report covers: whole UTC days, both ends included, optionally one event name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportRange {
    /// The first day.
    pub from: Date,
    /// The last day.
    pub to: Date,
    /// Only events of this name, if set.
    pub name: Option<String>,
}

impl ReportRange {
    /// The first millisecond of `from`, since the Unix epoch.
    #[must_use]
    pub fn start_ms(&self) -> i64 {
        day_start_ms(self.from)
    }

    /// The first millisecond after `to`.
    #[must_use]
    pub fn end_ms(&self) -> i64 {
        day_start_ms(self.to) + 86_400_000
    }
}

fn day_start_ms(day: Date) -> i64 {
    (day.midnight().assume_utc().unix_timestamp()) * 1000
}

/// The UTC day of a timestamp in milliseconds, as `YYYY-MM-DD`.
#[must_use]
pub fn utc_day(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .map_or_else(|_| "1970-01-01".to_owned(), |t| t.date().to_string())
}

/// Events and distinct people.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Events.
    pub events: u64,
    /// Distinct people (see the module docs for who counts as one).
    pub persons: u64,
}

/// What a store computes for an event report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventCounts {
    /// Over the whole range.
    pub totals: Counts,
    /// Per UTC day (`YYYY-MM-DD`) that has events, in order.
    pub by_day: Vec<(String, Counts)>,
    /// Per event name, most events first, then by name.
    pub by_name: Vec<(String, Counts)>,
}

/// `GET /v1/reports/events`.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct EventReport {
    /// The project.
    pub project: String,
    /// The first day covered.
    pub from: String,
    /// The last day covered.
    pub to: String,
    /// The event name the report is limited to, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Over the whole range.
    pub totals: Counts,
    /// Every day of the range, days without events included.
    pub by_day: Vec<DayCounts>,
    /// Per event name, most events first.
    pub by_name: Vec<NameCounts>,
}

/// One day of a report.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct DayCounts {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    /// Its counts.
    #[serde(flatten)]
    pub counts: Counts,
}

/// One event name of a report.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct NameCounts {
    /// The event name.
    pub name: String,
    /// Its counts.
    #[serde(flatten)]
    pub counts: Counts,
}

impl EventReport {
    /// Assembles a report from a store's counts: every day of the range is listed.
    #[must_use]
    pub fn new(project: String, range: &ReportRange, counts: EventCounts) -> EventReport {
        let mut found = counts.by_day.into_iter().peekable();
        let mut by_day = Vec::new();
        let mut day = range.from;
        while day <= range.to {
            let label = day.to_string();
            let mut counts = Counts::default();
            while let Some((d, c)) = found.next_if(|(d, _)| *d <= label) {
                if d == label {
                    counts = c;
                }
            }
            by_day.push(DayCounts { day: label, counts });
            match day.next_day() {
                Some(next) => day = next,
                None => break,
            }
        }
        EventReport {
            project,
            from: range.from.to_string(),
            to: range.to.to_string(),
            name: range.name.clone(),
            totals: counts.totals,
            by_day,
            by_name: counts
                .by_name
                .into_iter()
                .map(|(name, counts)| NameCounts { name, counts })
                .collect(),
        }
    }
}

/// The query string of `GET /v1/reports/events`.
#[derive(Debug, Default, Deserialize)]
pub struct EventReportQuery {
    /// The first day, `YYYY-MM-DD` (default: 29 days before `to`).
    pub from: Option<String>,
    /// The last day, `YYYY-MM-DD` (default: today, UTC).
    pub to: Option<String>,
    /// Only events of this name.
    pub name: Option<String>,
}

impl EventReportQuery {
    /// Checks the query and resolves its defaults against `today`.
    pub fn range(&self, today: Date) -> Result<ReportRange, IngestError> {
        let to = match &self.to {
            Some(text) => parse_day("to", text)?,
            None => today,
        };
        let from = match &self.from {
            Some(text) => parse_day("from", text)?,
            None => to.saturating_sub(Duration::days(29)),
        };
        if from > to {
            return Err(IngestError::InvalidRequest(format!(
                "from ({from}) is after to ({to})"
            )));
        }
        if (to - from).whole_days() >= MAX_DAYS {
            return Err(IngestError::InvalidRequest(format!(
                "the range from {from} to {to} is longer than {MAX_DAYS} days"
            )));
        }
        let name = match self.name.as_deref() {
            Some("") => {
                return Err(IngestError::InvalidRequest(
                    "name: the event name is empty".into(),
                ))
            }
            other => other.map(str::to_owned),
        };
        Ok(ReportRange { from, to, name })
    }
}

fn parse_day(field: &str, text: &str) -> Result<Date, IngestError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text, format).map_err(|_| {
        IngestError::InvalidRequest(format!(
            "{field}: expected a date as YYYY-MM-DD, got {text:?}"
        ))
    })
}

/// Handles `GET /v1/reports/events` (admin key): events and people per day and per event
/// name over a range of UTC days.
pub async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<EventReportQuery>, IngestError>,
) -> Result<Json<EventReport>, IngestError> {
    let key = admin(&state, &headers)?;
    let Query(query) = query?;
    event_report(&state, key.project, query).await.map(Json)
}

/// The events report of `project`, for the admin key's route and the console's.
pub(crate) async fn event_report(
    state: &AppState,
    project: String,
    query: EventReportQuery,
) -> Result<EventReport, IngestError> {
    let today = state.today();
    let range = query.range(today)?;
    let counts = state
        .store
        .event_counts(project.clone(), range.clone())
        .await
        .map_err(IngestError::StorageUnavailable)?;
    Ok(EventReport::new(project, &range, counts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn query(from: Option<&str>, to: Option<&str>) -> EventReportQuery {
        EventReportQuery {
            from: from.map(str::to_owned),
            to: to.map(str::to_owned),
            name: None,
        }
    }

    #[test]
    fn the_default_range_is_the_last_thirty_days() {
        let range = query(None, None).range(date!(2026 - 11 - 22)).unwrap();
        assert_eq!(
            (range.from, range.to),
            (date!(2026 - 10 - 24), date!(2026 - 11 - 22))
        );
        assert_eq!(range.end_ms() - range.start_ms(), 30 * 86_400_000);
    }

    #[test]
    fn bad_ranges_say_what_is_wrong() {
        let today = date!(2026 - 11 - 22);
        let message = |q: EventReportQuery| q.range(today).unwrap_err().to_string();
        assert_eq!(
            message(query(Some("2026-13-01"), None)),
            "from: expected a date as YYYY-MM-DD, got \"2026-13-01\""
        );
        assert_eq!(
            message(query(Some("2026-11-05"), Some("2026-11-01"))),
            "from (2026-11-05) is after to (2026-11-01)"
        );
        assert_eq!(
            message(query(Some("2024-01-01"), Some("2026-01-01"))),
            "the range from 2024-01-01 to 2026-01-01 is longer than 366 days"
        );
    }

    #[test]
    fn every_day_of_the_range_is_listed_and_days_outside_are_ignored() {
        let range = query(Some("2026-11-01"), Some("2026-11-03"))
            .range(date!(2026 - 11 - 22))
            .unwrap();
        let c = |events, persons| Counts { events, persons };
        let report = EventReport::new(
            "demo".into(),
            &range,
            EventCounts {
                totals: c(5, 2),
                by_day: vec![
                    ("2026-10-31".into(), c(9, 9)),
                    ("2026-11-02".into(), c(5, 2)),
                ],
                by_name: vec![("$pageview".into(), c(5, 2))],
            },
        );
        let days: Vec<(&str, Counts)> = report
            .by_day
            .iter()
            .map(|d| (d.day.as_str(), d.counts))
            .collect();
        assert_eq!(
            days,
            vec![
                ("2026-11-01", c(0, 0)),
                ("2026-11-02", c(5, 2)),
                ("2026-11-03", c(0, 0))
            ]
        );
    }

    #[test]
    fn days_are_utc() {
        assert_eq!(utc_day(0), "1970-01-01");
        assert_eq!(utc_day(1_795_305_599_999), "2026-11-21");
        assert_eq!(utc_day(1_795_305_600_000), "2026-11-22");
    }
}
