//! Retention (`GET /v1/reports/retention`): of the people who did a start event in a period,
//! how many did a return event in each period after it.
//!
//! As for funnels, the store streams each person's start and return events
//! ([`crate::reports::engine`]) and the figures are computed here, once.
//!
//! # Definitions
//!
//! - **Periods** are days, or ISO weeks from Monday, in the time zone asked for: a fixed
//!   offset from UTC (`tz=+02:00`) or a zone of the IANA database (`tz=Europe/Paris`), whose
//!   days are 23 or 25 hours long when its clocks change ([`crate::reports::zone`]); by
//!   default the project's time zone (`waymark-collector project time-zone`), else UTC. The
//!   range's days are days in that zone. Period *n* of a cohort is the *n*-th period after
//!   the cohort's own (period 0).
//! - **Cohorts**: `first_time` (the default) puts each person in the period of their first
//!   start event ever (before `from` too: a person whose first start event came before the
//!   range is in no cohort of it); `recurring` puts them in every period in which they did a
//!   start event. Cohorts are the periods from the one containing `from` to the one
//!   containing `to`.
//! - **Returned in period *n*** (*n* ≥ 1): did the return event at any time in that period.
//!   Period 0 is the cohort itself: everyone in it.
//! - **Incomplete**: a period that has not ended yet (by the collector's clock); its figures
//!   can still grow. The average over cohorts for period *n* counts only cohorts whose
//!   period *n* is complete.
//! - **People**: as in every report, the user id, else the user the anonymous id was linked to,
//!   else the anonymous id; events in order of time, then storage order.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime};

use crate::auth::admin;
use crate::error::IngestError;
use crate::extract::Query;
use crate::publishing::blocking;
use crate::reports::engine::{JourneyQuery, Matcher, MatcherSet};
use crate::reports::events::{EventReportQuery, ReportRange};
use crate::reports::funnels::{Conversion, Interval};
use crate::reports::zone::Zone;
use crate::state::AppState;
use crate::store::{EventStore, StoreError};

/// Periods after the cohort's, at most.
pub const MAX_PERIODS: u32 = 60;

/// How people join cohorts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// The period of the person's first start event.
    FirstTime,
    /// Every period with a start event.
    Recurring,
}

/// Periods in a time zone: which period a time falls in, and where periods start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Calendar {
    /// Days or weeks.
    pub interval: Interval,
    /// The zone.
    pub zone: Zone,
}

impl Calendar {
    /// The period of a time: days (or weeks) since the Monday 1969-12-29, local time.
    #[must_use]
    pub fn period(&self, ms: i64) -> i64 {
        let day = self.zone.day(ms);
        match self.interval {
            Interval::Day => day,
            // 1970-01-01 was a Thursday: day 0 is 3 days after a Monday.
            Interval::Week => (day + 3).div_euclid(7),
        }
    }

    /// The first millisecond (UTC) of a period.
    #[must_use]
    pub fn start_ms(&self, period: i64) -> i64 {
        let day = match self.interval {
            Interval::Day => period,
            Interval::Week => period * 7 - 3,
        };
        self.zone.day_start_ms(day)
    }

    /// The local date a period starts on.
    #[must_use]
    pub fn label(&self, period: i64) -> String {
        let day = match self.interval {
            Interval::Day => period,
            Interval::Week => period * 7 - 3,
        };
        (Date::from_calendar_date(1970, time::Month::January, 1).unwrap_or(Date::MIN)
            + Duration::days(day))
        .to_string()
    }

    /// The period a local date falls in.
    pub(crate) fn of_date(&self, date: Date) -> i64 {
        let days = (date
            - Date::from_calendar_date(1970, time::Month::January, 1).unwrap_or(Date::MIN))
        .whole_days();
        match self.interval {
            Interval::Day => days,
            Interval::Week => (days + 3).div_euclid(7),
        }
    }
}

/// The rules of one retention report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retention {
    /// How people join cohorts.
    pub mode: Mode,
    /// Periods.
    pub calendar: Calendar,
    /// The first and last cohort periods.
    pub cohorts: (i64, i64),
    /// Periods after the cohort's.
    pub periods: u32,
}

/// Per cohort: its size and, per period after it, who returned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RetentionTotals {
    /// cohort period → (size, returned per period 1..=periods)
    pub cohorts: BTreeMap<i64, (u64, Vec<u64>)>,
}

impl Retention {
    /// Adds one person: for each of their events, whether it is a start event and whether a
    /// return event (both may hold), and its time; in order.
    pub fn add(&self, totals: &mut RetentionTotals, events: &[(bool, bool, i64)]) {
        let starts: BTreeSet<i64> = match self.mode {
            Mode::FirstTime => events
                .iter()
                .find(|(start, _, _)| *start)
                .map(|&(_, _, ts)| self.calendar.period(ts))
                .into_iter()
                .collect(),
            Mode::Recurring => events
                .iter()
                .filter(|(start, _, _)| *start)
                .map(|&(_, _, ts)| self.calendar.period(ts))
                .collect(),
        };
        let returns: BTreeSet<i64> = events
            .iter()
            .filter(|(_, back, _)| *back)
            .map(|&(_, _, ts)| self.calendar.period(ts))
            .collect();
        for cohort in starts {
            if cohort < self.cohorts.0 || cohort > self.cohorts.1 {
                continue;
            }
            let entry = totals
                .cohorts
                .entry(cohort)
                .or_insert_with(|| (0, vec![0; self.periods as usize]));
            entry.0 += 1;
            for n in 1..=i64::from(self.periods) {
                if returns.contains(&(cohort + n)) {
                    entry.1[n as usize - 1] += 1;
                }
            }
        }
    }

    /// Whether `period` has ended by `now`.
    #[must_use]
    pub fn complete(&self, period: i64, now: i64) -> bool {
        self.calendar.start_ms(period + 1) <= now
    }

    /// Per period after the cohort's (1 first): the cohorts of the range whose period has
    /// ended by `now`, pooled.
    #[must_use]
    pub fn average(&self, totals: &RetentionTotals, now: i64) -> Vec<AverageRetention> {
        (1..=self.periods)
            .map(|n| {
                let (mut cohorts, mut size, mut count) = (0, 0, 0);
                for cohort in self.cohorts.0..=self.cohorts.1 {
                    if !self.complete(cohort + i64::from(n), now) {
                        continue;
                    }
                    cohorts += 1;
                    if let Some((people, returned)) = totals.cohorts.get(&cohort) {
                        size += people;
                        count += returned[n as usize - 1];
                    }
                }
                AverageRetention {
                    period: n,
                    cohorts,
                    size,
                    count,
                    retention: Conversion::of(size, count),
                }
            })
            .collect()
    }
}

/// One period of a cohort.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PeriodRetention {
    /// 0 for the cohort's own period.
    pub period: u32,
    /// The period's first day, local.
    pub start: String,
    /// People who returned in it (period 0: the cohort).
    pub count: u64,
    /// `count / size`, with its interval.
    pub retention: Conversion,
    /// The period has not ended yet.
    pub incomplete: bool,
}

/// One cohort.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CohortReport {
    /// The cohort's period's first day, local.
    pub start: String,
    /// People in it.
    pub size: u64,
    /// Period 0 and each after it.
    pub periods: Vec<PeriodRetention>,
}

/// The average of one period over the cohorts whose period is complete.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AverageRetention {
    /// 1 for the period after the cohort's.
    pub period: u32,
    /// Cohorts counted (those whose period is complete).
    pub cohorts: u64,
    /// Their people.
    pub size: u64,
    /// Of them, returned.
    pub count: u64,
    /// `count / size`, with its interval.
    pub retention: Conversion,
}

/// `GET /v1/reports/retention`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RetentionReport {
    /// The project.
    pub project: String,
    /// The first day of the cohorts.
    pub from: String,
    /// The last day of the cohorts.
    pub to: String,
    /// The start event as asked.
    pub start: serde_json::Value,
    /// The return event as asked.
    #[serde(rename = "return")]
    pub return_event: serde_json::Value,
    /// `first_time` or `recurring`.
    pub mode: Mode,
    /// `day` or `week`.
    pub interval: Interval,
    /// The time zone: an offset from UTC (`+02:00`) or an IANA zone name.
    pub tz: String,
    /// Every cohort period of the range, in order, empty ones included.
    pub cohorts: Vec<CohortReport>,
    /// Per period after the cohort's, over complete cohorts.
    pub average: Vec<AverageRetention>,
}

impl RetentionReport {
    /// The figures, with `now` to tell complete periods from incomplete ones.
    #[must_use]
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        project: String,
        range: &ReportRange,
        start: serde_json::Value,
        return_event: serde_json::Value,
        tz: String,
        rules: &Retention,
        totals: &RetentionTotals,
        now: i64,
    ) -> RetentionReport {
        let calendar = &rules.calendar;
        let done = |period: i64| rules.complete(period, now);
        let mut cohorts = Vec::new();
        for cohort in rules.cohorts.0..=rules.cohorts.1 {
            let (size, returned) = totals
                .cohorts
                .get(&cohort)
                .cloned()
                .unwrap_or_else(|| (0, vec![0; rules.periods as usize]));
            let mut periods = vec![PeriodRetention {
                period: 0,
                start: calendar.label(cohort),
                count: size,
                retention: Conversion::of(size, size),
                incomplete: !done(cohort),
            }];
            for n in 1..=rules.periods {
                let p = cohort + i64::from(n);
                let count = returned[n as usize - 1];
                periods.push(PeriodRetention {
                    period: n,
                    start: calendar.label(p),
                    count,
                    retention: Conversion::of(size, count),
                    incomplete: !done(p),
                });
            }
            cohorts.push(CohortReport {
                start: calendar.label(cohort),
                size,
                periods,
            });
        }
        RetentionReport {
            project,
            from: range.from.to_string(),
            to: range.to.to_string(),
            start,
            return_event,
            mode: rules.mode,
            interval: calendar.interval,
            tz,
            cohorts,
            average: rules.average(totals, now),
        }
    }
}

/// The query string of `GET /v1/reports/retention`.
#[derive(Debug, Default, Deserialize)]
pub struct RetentionQuery {
    /// The start event, written as a funnel step (JSON: a name, `{"event"}` or `{"page"}`).
    pub start: Option<String>,
    /// The return event, likewise (default: the start event).
    #[serde(rename = "return")]
    pub return_event: Option<String>,
    /// `first_time` (default) or `recurring`.
    pub mode: Option<String>,
    /// `day` or `week` (default).
    pub interval: Option<String>,
    /// Periods after the cohort's (default 8, at most 60).
    pub periods: Option<String>,
    /// The first day of the cohorts, local (default: 29 days before `to`).
    pub from: Option<String>,
    /// The last day of the cohorts (default: today).
    pub to: Option<String>,
    /// The time zone: an offset from UTC, `+HH:MM` or `-HH:MM`, or an IANA zone name
    /// (default: the project's, else `+00:00`).
    pub tz: Option<String>,
}

/// A retention query, checked.
#[derive(Debug)]
pub struct CheckedRetention {
    range: ReportRange,
    rules: Retention,
    start: serde_json::Value,
    return_event: serde_json::Value,
    tz: String,
    query: JourneyQuery,
}

fn invalid(message: impl Into<String>) -> IngestError {
    IngestError::InvalidRequest(message.into())
}

pub(crate) fn parse_event(field: &str, text: &str) -> Result<serde_json::Value, IngestError> {
    // A bare name is accepted as itself; anything else is JSON.
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(value) => Ok(value),
        Err(_) => Ok(serde_json::Value::String(text.to_owned())),
    }
    .and_then(|value| {
        if value.is_string() || value.is_object() {
            Ok(value)
        } else {
            Err(invalid(format!(
                "{field}: expected an event name or a step object"
            )))
        }
    })
}

/// The matchers: bit 0 the start event, bit 1 the return event.
fn matchers(
    start: &serde_json::Value,
    back: &serde_json::Value,
    range: (i64, i64),
) -> Result<MatcherSet, IngestError> {
    let (first, _) = Matcher::from_json(start, "start")?;
    let (second, _) = Matcher::from_json(back, "return")?;
    Ok(MatcherSet::new(vec![first, second], range, false))
}

/// The cohorts and periods a report asks for, checked: what retention and the holdout
/// report ([`crate::reports::holdouts`]) read alike from `from`, `to`, `interval`, `periods`
/// and `tz`.
#[derive(Clone, Debug)]
pub(crate) struct Cohorts {
    /// The range of local days.
    pub(crate) range: ReportRange,
    /// Days or weeks in the zone.
    pub(crate) calendar: Calendar,
    /// The first and last cohort periods.
    pub(crate) cohorts: (i64, i64),
    /// Periods after the cohort's.
    pub(crate) periods: u32,
    /// The zone's name as the report echoes it.
    pub(crate) tz: String,
}

impl Cohorts {
    /// Reads the five parameters against `now` (the range's default `to` is today in the
    /// zone).
    pub(crate) fn check(
        from: Option<&str>,
        to: Option<&str>,
        interval: Option<&str>,
        periods: Option<&str>,
        tz: Option<&str>,
        now: i64,
    ) -> Result<Cohorts, IngestError> {
        let zone = match tz {
            None => Zone::default(),
            Some(text) => Zone::parse(text).map_err(|message| invalid(format!("tz: {message}")))?,
        };
        let tz = zone.name();
        let today = OffsetDateTime::from_unix_timestamp(zone.day(now) * 86_400)
            .map_or(Date::MIN, OffsetDateTime::date);
        let range = EventReportQuery {
            from: from.map(str::to_owned),
            to: to.map(str::to_owned),
            name: None,
        }
        .range(today)?;
        let interval = match interval {
            None | Some("week") => Interval::Week,
            Some("day") => Interval::Day,
            Some(other) => {
                return Err(invalid(format!(
                    "interval: expected day or week, got {other:?}"
                )))
            }
        };
        let periods = match periods {
            None => 8,
            Some(text) => match text.parse::<u32>() {
                Ok(n) if (1..=MAX_PERIODS).contains(&n) => n,
                _ => {
                    return Err(invalid(format!(
                        "periods: expected a whole number from 1 to {MAX_PERIODS}, got {text:?}"
                    )))
                }
            },
        };
        let calendar = Calendar { interval, zone };
        let cohorts = (calendar.of_date(range.from), calendar.of_date(range.to));
        Ok(Cohorts {
            range,
            calendar,
            cohorts,
            periods,
            tz,
        })
    }

    /// The first millisecond after the last period of the last cohort.
    pub(crate) fn horizon_ms(&self) -> i64 {
        self.calendar
            .start_ms(self.cohorts.1 + i64::from(self.periods) + 1)
    }

    /// First-time rules over these cohorts.
    pub(crate) fn rules(&self, mode: Mode) -> Retention {
        Retention {
            mode,
            calendar: self.calendar.clone(),
            cohorts: self.cohorts,
            periods: self.periods,
        }
    }
}

impl RetentionQuery {
    /// Checks the query against `now`.
    pub fn check(&self, now: i64) -> Result<CheckedRetention, IngestError> {
        let checked = Cohorts::check(
            self.from.as_deref(),
            self.to.as_deref(),
            self.interval.as_deref(),
            self.periods.as_deref(),
            self.tz.as_deref(),
            now,
        )?;
        let start = parse_event(
            "start",
            self.start
                .as_deref()
                .ok_or_else(|| invalid("start: required, the event that starts a cohort"))?,
        )?;
        let return_event = match &self.return_event {
            Some(text) => parse_event("return", text)?,
            None => start.clone(),
        };
        let mode = match self.mode.as_deref() {
            None | Some("first_time") => Mode::FirstTime,
            Some("recurring") => Mode::Recurring,
            Some(other) => {
                return Err(invalid(format!(
                    "mode: expected first_time or recurring, got {other:?}"
                )))
            }
        };
        let horizon = checked.horizon_ms();
        // First-time cohorts need every start event before the range too.
        let begin = match mode {
            Mode::FirstTime => 0,
            Mode::Recurring => checked.calendar.start_ms(checked.cohorts.0),
        };
        let set = matchers(&start, &return_event, (begin, horizon))?;
        Ok(CheckedRetention {
            rules: checked.rules(mode),
            range: checked.range,
            start,
            return_event,
            tz: checked.tz,
            query: set.query().clone(),
        })
    }
}

/// Runs a checked retention report against a store, person by person.
pub async fn run(
    store: &dyn EventStore,
    project: String,
    checked: CheckedRetention,
    now: i64,
) -> Result<RetentionReport, IngestError> {
    let CheckedRetention {
        range,
        rules,
        start,
        return_event,
        tz,
        query,
    } = checked;
    let span = (query.start_ms, query.end_ms);
    let mut stream = store
        .journeys(project.clone(), query)
        .await
        .map_err(IngestError::StorageUnavailable)?;
    let (a, b) = (start.clone(), return_event.clone());
    let (totals, rules) = tokio::task::spawn_blocking(move || {
        let set = matchers(&a, &b, span)?;
        let mut totals = RetentionTotals::default();
        while let Some(journey) = stream.blocking_recv() {
            let journey = journey.map_err(IngestError::StorageUnavailable)?;
            let events: Vec<(bool, bool, i64)> = set
                .masks(&journey)
                .iter()
                .zip(journey.events())
                .map(|(mask, e)| (mask & 1 != 0, mask & 2 != 0, e.timestamp))
                .collect();
            rules.add(&mut totals, &events);
        }
        Ok::<_, IngestError>((totals, rules))
    })
    .await
    .map_err(|e| IngestError::StorageUnavailable(StoreError::Task(e.to_string())))??;
    Ok(RetentionReport::new(
        project,
        &range,
        start,
        return_event,
        tz,
        &rules,
        &totals,
        now,
    ))
}

/// Handles `GET /v1/reports/retention` (admin key).
pub async fn report(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<RetentionQuery>, IngestError>,
) -> Result<Json<RetentionReport>, IngestError> {
    let key = admin(&state, &headers)?;
    let Query(query) = query?;
    project_report(&state, key.project, query).await.map(Json)
}

/// The report of `project`, for the admin key's route and the console's: a query naming no
/// time zone takes the project's (`waymark-collector project time-zone`), else UTC.
pub(crate) async fn project_report(
    state: &AppState,
    project: String,
    mut query: RetentionQuery,
) -> Result<RetentionReport, IngestError> {
    if query.tz.is_none() {
        query.tz = project_time_zone(state, &project).await?;
    }
    let now = (state.clock)().0 as i64;
    let checked = query.check(now)?;
    run(state.store.as_ref(), project, checked, now).await
}

/// The project's time zone (`waymark-collector project time-zone`), if it has one.
pub(crate) async fn project_time_zone(
    state: &AppState,
    project: &str,
) -> Result<Option<String>, IngestError> {
    let name = project.to_owned();
    blocking(&state.registry, move |r| r.time_zone(&name)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY_MS: i64 = 86_400_000;

    #[test]
    fn weeks_start_on_monday_in_the_zone_asked_for() {
        let utc = Calendar {
            interval: Interval::Week,
            zone: Zone::Fixed(0),
        };
        // 2026-11-09 is a Monday.
        let monday = 1_794_182_400_000;
        assert_eq!(utc.label(utc.period(monday)), "2026-11-09");
        assert_eq!(utc.label(utc.period(monday - 1)), "2026-11-02");
        assert_eq!(utc.start_ms(utc.period(monday + 3 * DAY_MS)), monday);
        // At 23:30 UTC on Sunday it is already Monday in Berlin (+01:00).
        let berlin = Calendar {
            interval: Interval::Week,
            zone: Zone::Fixed(3_600_000),
        };
        assert_eq!(
            berlin.label(berlin.period(monday - 1_800_000)),
            "2026-11-09"
        );
        assert_eq!(berlin.start_ms(berlin.period(monday)), monday - 3_600_000);
        let days = Calendar {
            interval: Interval::Day,
            zone: Zone::Fixed(-5 * 3_600_000),
        };
        assert_eq!(days.label(days.period(monday)), "2026-11-08");
    }

    #[test]
    fn first_time_and_recurring_cohorts() {
        let rules = |mode| Retention {
            mode,
            calendar: Calendar {
                interval: Interval::Day,
                zone: Zone::Fixed(0),
            },
            cohorts: (10, 12),
            periods: 2,
        };
        let at = |day: i64| day * DAY_MS + 1;
        // Started on days 9 and 11, returned on 12 and 13.
        let events = [
            (true, false, at(9)),
            (true, true, at(11)),
            (false, true, at(12)),
            (false, true, at(13)),
        ];
        let mut first = RetentionTotals::default();
        rules(Mode::FirstTime).add(&mut first, &events);
        assert!(first.cohorts.is_empty(), "first start before the range");
        let mut recurring = RetentionTotals::default();
        rules(Mode::Recurring).add(&mut recurring, &events);
        assert_eq!(recurring.cohorts[&11], (1, vec![1, 1]));
    }
}
