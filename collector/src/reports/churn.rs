//! The churn-risk loop's reports: how engagement and churn risk are spread among the people
//! active in a range (`GET /v1/reports/churn`), and who is most at risk
//! (`GET /v1/reports/churn/people`, paged).
//!
//! The SDK computes both scores on the device and sends them, with their terms, in a
//! [`BEHAVIOR_SCORES`] event with each session's first event (see
//! `waymark_core::rules::profile::Scores`). As for the journey reports, the store streams
//! each person's events ([`crate::reports::engine`]) and everything is computed here, once.
//!
//! # Definitions
//!
//! - **Active in the range**: at least one [`BEHAVIOR_SCORES`] event from `from` to `to`
//!   (UTC days), that is, a session begun then.
//! - **A person's score**: their last [`BEHAVIOR_SCORES`] event in the range (in the order
//!   every report uses: time, then storage order), with **last seen** its time. An event
//!   whose `churn_risk` or `engagement` is not a number from 0 to 1 is counted as
//!   `unreadable` and not used.
//! - **Buckets**: ten of width 0.1, `[0, 0.1)` to `[0.9, 1]` (1 falls in the last).
//! - **Last NPS answer**: the person's last `$survey_answered` with `question_type` `nps`
//!   up to the end of the range (before `from` too), with its survey and time.
//! - **People at risk**: active people whose score has `churn_risk` at least `min_risk`
//!   (default 0.5), highest first, ties by person; `cursor` (the `next_cursor` of the page
//!   before) continues after the last one listed.
//! - **People**: as in every report, the user id, else the user the anonymous id was linked
//!   to, else the anonymous id.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use waymark_core::protocol::survey::ANSWERED;
use waymark_core::protocol::BEHAVIOR_SCORES;

use crate::auth::admin;
use crate::error::IngestError;
use crate::extract::Query;
use crate::reports::engine::{JourneyQuery, WantedName};
use crate::reports::events::{EventReportQuery, ReportRange};
use crate::state::AppState;
use crate::store::{EventStore, StoreError};

/// Buckets of each score's distribution.
pub const BUCKETS: usize = 10;
/// People listed per page by default.
pub const DEFAULT_LIMIT: usize = 50;
/// People listed per page, at most.
pub const MAX_LIMIT: usize = 500;

/// The query string of both reports.
#[derive(Debug, Default, Deserialize)]
pub struct ChurnQuery {
    /// The first day (default: 29 days before `to`).
    pub from: Option<String>,
    /// The last day (default: today, UTC).
    pub to: Option<String>,
    /// People at risk only: the lowest churn risk listed (default 0.5).
    pub min_risk: Option<String>,
    /// People at risk only: people per page (default 50, at most 500).
    pub limit: Option<String>,
    /// People at risk only: the `next_cursor` of the page before.
    pub cursor: Option<String>,
}

/// A person's last NPS answer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NpsAnswer {
    /// The survey.
    pub survey: Option<String>,
    /// The rating given.
    pub score: f64,
    /// When, ms since the Unix epoch.
    pub at: i64,
}

/// One person's last scores in the range.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PersonScores {
    /// Who.
    pub person: String,
    /// Their last churn risk.
    pub churn_risk: f64,
    /// Their last engagement.
    pub engagement: f64,
    /// Every property of that scores event: the terms that explain both scores.
    pub terms: serde_json::Map<String, serde_json::Value>,
    /// When that session began, ms since the Unix epoch.
    pub last_seen: i64,
    /// Their last NPS answer, if any.
    pub last_nps: Option<NpsAnswer>,
}

/// One bucket of a distribution.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Bucket {
    /// The lowest score in it.
    pub from: f64,
    /// The score it ends before (the last bucket includes 1).
    pub to: f64,
    /// People whose score falls in it.
    pub people: u64,
}

/// `GET /v1/reports/churn`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChurnReport {
    /// The first day.
    pub from: String,
    /// The last day.
    pub to: String,
    /// People active in the range with a readable score.
    pub people: u64,
    /// Scores events in the range that could not be read (and were not used).
    pub unreadable: u64,
    /// Churn risk, by bucket.
    pub churn_risk: Vec<Bucket>,
    /// Engagement, by bucket.
    pub engagement: Vec<Bucket>,
}

/// `GET /v1/reports/churn/people`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AtRiskReport {
    /// The first day.
    pub from: String,
    /// The last day.
    pub to: String,
    /// The lowest churn risk listed.
    pub min_risk: f64,
    /// Active people at or above `min_risk`, on every page together.
    pub total: u64,
    /// This page, highest risk first.
    pub people: Vec<PersonScores>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

fn score(properties: &serde_json::Value, key: &str) -> Option<f64> {
    properties
        .get(key)
        .and_then(serde_json::Value::as_f64)
        .filter(|n| (0.0..=1.0).contains(n))
}

/// Every active person's last scores, by person, and the unreadable scores events.
async fn gather(
    store: &dyn EventStore,
    project: String,
    range: &ReportRange,
) -> Result<(BTreeMap<String, PersonScores>, u64), IngestError> {
    let names = [BEHAVIOR_SCORES, ANSWERED];
    let journey_query = JourneyQuery {
        names: names
            .iter()
            .map(|name| WantedName::with_properties(name))
            .collect(),
        start_ms: 0,
        end_ms: range.end_ms(),
        positions: false,
        config_version: None,
    };
    let mut stream = store
        .journeys(project, journey_query)
        .await
        .map_err(IngestError::StorageUnavailable)?;
    let start_ms = range.start_ms();
    tokio::task::spawn_blocking(move || {
        let mut people = BTreeMap::new();
        let mut unreadable = 0;
        while let Some(journey) = stream.blocking_recv() {
            let journey = journey?;
            let mut last: Option<PersonScores> = None;
            let mut nps: Option<NpsAnswer> = None;
            for (index, event) in journey.events().iter().enumerate() {
                let properties: serde_json::Value =
                    serde_json::from_str(journey.properties(index)).unwrap_or_default();
                if event.name == 1 {
                    if properties.get("question_type").and_then(|t| t.as_str()) == Some("nps") {
                        if let Some(value) = properties.get("value").and_then(|v| v.as_f64()) {
                            nps = Some(NpsAnswer {
                                survey: properties
                                    .get("survey")
                                    .and_then(|s| s.as_str())
                                    .map(str::to_owned),
                                score: value,
                                at: event.timestamp,
                            });
                        }
                    }
                    continue;
                }
                if event.timestamp < start_ms {
                    continue;
                }
                match (
                    score(&properties, "churn_risk"),
                    score(&properties, "engagement"),
                ) {
                    (Some(churn_risk), Some(engagement)) => {
                        last = Some(PersonScores {
                            person: journey.person.clone(),
                            churn_risk,
                            engagement,
                            terms: match properties {
                                serde_json::Value::Object(map) => map,
                                _ => serde_json::Map::new(),
                            },
                            last_seen: event.timestamp,
                            last_nps: None,
                        });
                    }
                    _ => unreadable += 1,
                }
            }
            if let Some(mut scores) = last {
                scores.last_nps = nps;
                people.insert(journey.person, scores);
            }
        }
        Ok::<_, StoreError>((people, unreadable))
    })
    .await
    .map_err(|e| IngestError::StorageUnavailable(StoreError::Task(e.to_string())))?
    .map_err(IngestError::StorageUnavailable)
}

/// The ten buckets of a score, counted.
#[must_use]
pub fn distribution(scores: impl Iterator<Item = f64>) -> Vec<Bucket> {
    let mut counts = [0u64; BUCKETS];
    for s in scores {
        // Scores are checked to be in [0, 1]; 1 belongs to the last bucket.
        let i = ((s * BUCKETS as f64).floor() as usize).min(BUCKETS - 1);
        counts[i] += 1;
    }
    counts
        .iter()
        .enumerate()
        .map(|(i, &people)| Bucket {
            from: i as f64 / BUCKETS as f64,
            to: (i + 1) as f64 / BUCKETS as f64,
            people,
        })
        .collect()
}

fn range(query: &ChurnQuery, today: Date) -> Result<ReportRange, IngestError> {
    EventReportQuery {
        from: query.from.clone(),
        to: query.to.clone(),
        name: None,
    }
    .range(today)
}

/// Runs the distribution report against a store.
pub async fn run(
    store: &dyn EventStore,
    project: String,
    query: ChurnQuery,
    today: Date,
) -> Result<ChurnReport, IngestError> {
    let range = range(&query, today)?;
    let (people, unreadable) = gather(store, project, &range).await?;
    Ok(ChurnReport {
        from: range.from.to_string(),
        to: range.to.to_string(),
        people: people.len() as u64,
        unreadable,
        churn_risk: distribution(people.values().map(|p| p.churn_risk)),
        engagement: distribution(people.values().map(|p| p.engagement)),
    })
}

/// Where a page of people at risk starts: after this risk and person.
#[derive(Clone, Debug, PartialEq)]
struct Cursor {
    churn_risk: f64,
    person: String,
}

impl Cursor {
    fn write(&self) -> String {
        format!("{}:{}", self.churn_risk, self.person)
    }

    fn read(text: &str) -> Result<Cursor, IngestError> {
        let bad = || {
            IngestError::InvalidRequest(
                "cursor: pass the next_cursor of the page before, unchanged".into(),
            )
        };
        let (risk, person) = text.split_once(':').ok_or_else(bad)?;
        let churn_risk: f64 = risk.parse().map_err(|_| bad())?;
        if !(0.0..=1.0).contains(&churn_risk) {
            return Err(bad());
        }
        Ok(Cursor {
            churn_risk,
            person: person.to_owned(),
        })
    }

    /// Whether `p` comes after the cursor in the list's order (risk down, then person up).
    fn before(&self, p: &PersonScores) -> bool {
        p.churn_risk < self.churn_risk
            || (p.churn_risk == self.churn_risk && p.person > self.person)
    }
}

/// Runs the people-at-risk report against a store.
pub async fn run_people(
    store: &dyn EventStore,
    project: String,
    query: ChurnQuery,
    today: Date,
) -> Result<AtRiskReport, IngestError> {
    let range = range(&query, today)?;
    let min_risk = match query.min_risk.as_deref() {
        None => 0.5,
        Some(text) => text
            .parse::<f64>()
            .ok()
            .filter(|n| (0.0..=1.0).contains(n))
            .ok_or_else(|| {
                IngestError::InvalidRequest(format!(
                    "min_risk: expected a number from 0 to 1, got {text:?}"
                ))
            })?,
    };
    let limit = match query.limit.as_deref() {
        None => DEFAULT_LIMIT,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                IngestError::InvalidRequest(format!(
                    "limit: expected a whole number from 1 to {MAX_LIMIT}, got {text:?}"
                ))
            })?,
    };
    let cursor = query.cursor.as_deref().map(Cursor::read).transpose()?;
    let (people, _) = gather(store, project, &range).await?;
    let mut at_risk: Vec<PersonScores> = people
        .into_values()
        .filter(|p| p.churn_risk >= min_risk)
        .collect();
    at_risk.sort_by(|a, b| {
        b.churn_risk
            .total_cmp(&a.churn_risk)
            .then_with(|| a.person.cmp(&b.person))
    });
    let total = at_risk.len() as u64;
    let mut page: Vec<PersonScores> = at_risk
        .into_iter()
        .filter(|p| cursor.as_ref().is_none_or(|c| c.before(p)))
        .take(limit + 1)
        .collect();
    let more = page.len() > limit;
    page.truncate(limit);
    let next_cursor = more.then(|| page.last()).flatten().map(|p| {
        Cursor {
            churn_risk: p.churn_risk,
            person: p.person.clone(),
        }
        .write()
    });
    Ok(AtRiskReport {
        from: range.from.to_string(),
        to: range.to.to_string(),
        min_risk,
        total,
        people: page,
        next_cursor,
    })
}

fn today(state: &AppState) -> Date {
    let now = (state.clock)();
    OffsetDateTime::from_unix_timestamp((now.0 / 1000) as i64)
        .map_or(Date::MIN, OffsetDateTime::date)
}

/// Handles `GET /v1/reports/churn` (admin key).
pub async fn report(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<ChurnQuery>, IngestError>,
) -> Result<Json<ChurnReport>, IngestError> {
    let key = admin(&state, &headers)?;
    let Query(query) = query?;
    run(state.store.as_ref(), key.project, query, today(&state))
        .await
        .map(Json)
}

/// Handles `GET /v1/reports/churn/people` (admin key).
pub async fn people(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<ChurnQuery>, IngestError>,
) -> Result<Json<AtRiskReport>, IngestError> {
    let key = admin(&state, &headers)?;
    let Query(query) = query?;
    run_people(state.store.as_ref(), key.project, query, today(&state))
        .await
        .map(Json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_fall_in_tenths_and_one_in_the_last() {
        let buckets = distribution([0.0, 0.05, 0.1, 0.5, 0.99, 1.0].into_iter());
        let counts: Vec<u64> = buckets.iter().map(|b| b.people).collect();
        assert_eq!(counts, [2, 1, 0, 0, 0, 1, 0, 0, 0, 2]);
        assert_eq!((buckets[9].from, buckets[9].to), (0.9, 1.0));
    }

    #[test]
    fn a_cursor_reads_back_what_it_wrote_and_refuses_anything_else() {
        let cursor = Cursor {
            churn_risk: 0.123_456_789_012_345_67,
            person: "user:with:colons".into(),
        };
        assert_eq!(Cursor::read(&cursor.write()).ok(), Some(cursor));
        for bad in ["", "0.5", "x:someone", "2:someone", "NaN:someone"] {
            assert!(Cursor::read(bad).is_err(), "{bad}");
        }
    }
}
