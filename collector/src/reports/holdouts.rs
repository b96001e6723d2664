//! Holdouts (`GET /v1/reports/holdouts/{id}`): did an experience lift retention? The
//! retention of the people it was shown to against the people its holdout kept from it.
//!
//! An experience of the config may declare `"holdout": share` (0 < share ≤ 0.5): the SDK
//! then holds that share of the people it would show it to back, deterministically, and
//! records `$experience_not_shown` with `experience` (the id) and `reason: "holdout"`
//! instead. As for the other journey reports, the store streams each person's events
//! ([`crate::reports::engine`]) and the retention is computed by the retention report's own
//! rules ([`crate::reports::retention::Retention`]), once, so the two cannot disagree.
//!
//! # Definitions
//!
//! - **Shown**: `$survey_shown` with `survey` the id, `$tour_started` with `tour` the id, or
//!   `$content_shown` with `experience` the id. **Held out**: `$experience_not_shown` with
//!   `experience` the id and `reason` `holdout` (the SDK may record it on every page; a
//!   person counts once).
//! - **Entry**: a person's first shown or held-out event, ever. They are in the group of that
//!   event, and in the report when it falls in the range (local days of the time zone); a
//!   person who entered before `from` is in no cohort of it, as in first-time retention.
//! - **In both**: people in the report who also have an event of the other group (at any
//!   time up to the last period). They stay in the group they entered first; how many there
//!   are is reported, as the contamination the comparison carries.
//! - **Returned in period *n*** (*n* ≥ 1): did a return event in the *n*-th day or ISO week
//!   after the one they entered in, in the time zone asked for (by default the project's).
//!   The return event is given by `return` (a name or a step, as in funnels); by default it
//!   is anything a person does: every event but the SDK's own `$…` events, page views
//!   (`$pageview`) included.
//! - **Per period**: each group's people whose period *n* has ended (cohorts still inside
//!   it are left out and the period is marked `incomplete`), how many of them returned, the
//!   rate with its 95% Wilson interval, and the difference shown minus held out with its
//!   95% interval by Newcombe's method from the two Wilson intervals.
//! - **Shares**: the declared share is the active config's `holdout` of the experience;
//!   the observed share is held-out people over everyone in the report.
//! - **People**: as in every report, the user id, else the user the anonymous id was linked
//!   to, else the anonymous id.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use waymark_core::protocol::{survey, tour};

use crate::auth::admin;
use crate::error::IngestError;
use crate::extract::{Path, Query};
use crate::publishing::blocking;
use crate::reports::engine::{product_event_names, Matcher, MatcherSet, WantedName};
use crate::reports::experiments::IntervalBody;
use crate::reports::funnels::{Conversion, Interval};
use crate::reports::retention::{
    parse_event, project_time_zone, Cohorts, Mode, Retention, RetentionTotals,
};
use crate::reports::stats::{self, Tally, Z_95};
use crate::state::AppState;
use crate::store::{EventStore, StoreError};

/// What the SDK records for a person an experience's holdout keeps from it (with
/// `experience` and `reason`).
pub const NOT_SHOWN: &str = "$experience_not_shown";
/// What the content layer records when it shows a content experience (with `experience`).
pub const CONTENT_SHOWN: &str = "$content_shown";
/// The `reason` of a held-out person's [`NOT_SHOWN`].
pub const HOLDOUT_REASON: &str = "holdout";
/// The largest holdout share an experience may declare.
pub const MAX_SHARE: f64 = 0.5;

/// The query string of `GET /v1/reports/holdouts/{id}`.
#[derive(Debug, Default, Deserialize)]
pub struct HoldoutQuery {
    /// The return event, written as a funnel step (a name, `{"event"}` or `{"page"}`, with an
    /// optional `where`); by default any event but the SDK's own, page views included.
    #[serde(rename = "return")]
    pub return_event: Option<String>,
    /// `day` or `week` (default).
    pub interval: Option<String>,
    /// Periods after the entry's (default 8, at most 60).
    pub periods: Option<String>,
    /// The first day of entry, local (default: 29 days before `to`).
    pub from: Option<String>,
    /// The last day of entry (default: today).
    pub to: Option<String>,
    /// The time zone: `+HH:MM`, `-HH:MM` or an IANA name (default: the project's, else UTC).
    pub tz: Option<String>,
}

/// A holdout query, checked.
#[derive(Debug)]
pub struct CheckedHoldout {
    cohorts: Cohorts,
    return_event: Option<serde_json::Value>,
}

impl HoldoutQuery {
    /// Checks the query against `now`.
    pub fn check(&self, now: i64) -> Result<CheckedHoldout, IngestError> {
        let cohorts = Cohorts::check(
            self.from.as_deref(),
            self.to.as_deref(),
            self.interval.as_deref(),
            self.periods.as_deref(),
            self.tz.as_deref(),
            now,
        )?;
        let return_event = self
            .return_event
            .as_deref()
            .map(|text| parse_event("return", text))
            .transpose()?;
        if let Some(event) = &return_event {
            Matcher::from_json(event, "return")?;
        }
        Ok(CheckedHoldout {
            cohorts,
            return_event,
        })
    }
}

/// One group's figures in one period.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupPeriod {
    /// People whose period has ended.
    pub people: u64,
    /// Of them, people who returned in it.
    pub retained: u64,
    /// `retained / people` with its 95% Wilson interval.
    #[serde(flatten)]
    pub retention: Conversion,
}

/// Shown minus held out.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DifferenceBody {
    /// The shown rate less the held-out rate.
    pub estimate: f64,
    /// Its 95% interval (Newcombe's, from the two Wilson intervals).
    pub interval: IntervalBody,
}

/// One period after entry.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PeriodComparison {
    /// 1 for the period after the entry's.
    pub period: u32,
    /// Some cohort of the range is still inside this period: its people are not counted yet.
    pub incomplete: bool,
    /// Cohorts (entry periods) whose period has ended, and so counted.
    pub cohorts: u64,
    /// The people shown the experience.
    pub shown: GroupPeriod,
    /// The people held out.
    pub held_out: GroupPeriod,
    /// `shown.rate - held_out.rate`; `null` when either group has nobody counted.
    pub difference: Option<DifferenceBody>,
}

/// How many people entered a group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GroupSize {
    /// People whose entry in this group falls in the range.
    pub people: u64,
}

/// People in the report with events of both groups.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InBoth {
    /// All of them.
    pub people: u64,
    /// Of them, entered (and counted) as shown.
    pub entered_shown: u64,
    /// Of them, entered (and counted) as held out.
    pub entered_held_out: u64,
}

/// `GET /v1/reports/holdouts/{id}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HoldoutReport {
    /// The project.
    pub project: String,
    /// The experience's id.
    pub experience: String,
    /// The first day of entry, local.
    pub from: String,
    /// The last day of entry, local.
    pub to: String,
    /// `day` or `week`.
    pub interval: Interval,
    /// The time zone: an offset from UTC (`+02:00`) or an IANA zone name.
    pub tz: String,
    /// The return event as asked; `null`: any event but the SDK's own.
    #[serde(rename = "return")]
    pub return_event: Option<serde_json::Value>,
    /// The active config's holdout share for the experience; `null` when it declares none
    /// (or the active config does not have it).
    pub declared_share: Option<f64>,
    /// Held-out people over everyone in the report; `null` with nobody.
    pub observed_share: Option<f64>,
    /// The people shown it.
    pub shown: GroupSize,
    /// The people held out.
    pub held_out: GroupSize,
    /// The contamination: people with events of both groups.
    pub in_both: InBoth,
    /// Per period after entry.
    pub retention: Vec<PeriodComparison>,
}

/// The groups, as indices.
const SHOWN: usize = 0;
const HELD_OUT: usize = 1;
/// The matchers' bits: the three shown events, the held-out one, then the return event
/// if the query gives one.
const SHOWN_BITS: u64 = 0b0111;
const HELD_OUT_BIT: u64 = 0b1000;
const RETURN_BIT: u64 = 0b1_0000;

/// The exposure matchers of experience `id` (bits 0 to 3), and the return event's (bit 4).
fn matchers(
    id: &str,
    return_event: Option<&serde_json::Value>,
    span: (i64, i64),
) -> Result<MatcherSet, IngestError> {
    let exposures = [
        serde_json::json!({"event": survey::SHOWN, "where": {"survey": id}}),
        serde_json::json!({"event": tour::STARTED, "where": {"tour": id}}),
        serde_json::json!({"event": CONTENT_SHOWN, "where": {"experience": id}}),
        serde_json::json!({"event": NOT_SHOWN, "where": {"experience": id, "reason": HOLDOUT_REASON}}),
    ];
    let mut all = Vec::new();
    for (i, json) in exposures.iter().chain(return_event).enumerate() {
        let field = if i < exposures.len() {
            "experience"
        } else {
            "return"
        };
        all.push(Matcher::from_json(json, field)?.0);
    }
    Ok(MatcherSet::new(all, span, false))
}

/// The UTC day of a millisecond.
fn utc_date(ms: i64) -> Date {
    OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)).map_or(Date::MIN, |t| t.date())
}

/// What the stream gives: each group's retention, the contamination, and whether any event
/// named the experience at all.
struct Gathered {
    totals: [RetentionTotals; 2],
    in_both: [u64; 2],
    seen: bool,
}

/// Runs a checked holdout report for experience `id` against a store; `declared` is the
/// active config's holdout share and `configured` whether the active config has the
/// experience (one it lacks and no event names is `unknown_experience`).
pub async fn run(
    store: &dyn EventStore,
    project: String,
    id: String,
    declared: Option<f64>,
    configured: bool,
    checked: CheckedHoldout,
    now: i64,
) -> Result<HoldoutReport, IngestError> {
    let CheckedHoldout {
        cohorts,
        return_event,
    } = checked;
    let rules = cohorts.rules(Mode::FirstTime);
    // Entry is a person's first exposure ever, so exposures are read from the beginning.
    let span = (0, cohorts.horizon_ms());
    // Matchers hold conditions that stay on one thread: the worker builds its own.
    let mut query = matchers(&id, return_event.as_ref(), span)?.query().clone();
    // By default every product event is a return: its names follow the matchers' (each
    // SDK name is `$…` and none but `$pageview` is a product one, so none is repeated).
    let returns_from = query.names.len();
    if return_event.is_none() {
        let first = cohorts.calendar.start_ms(cohorts.cohorts.0);
        let from = utc_date(first).previous_day().unwrap_or(Date::MIN);
        let to = utc_date(span.1.saturating_sub(1));
        for name in product_event_names(store, project.clone(), from, to).await? {
            query.names.push(WantedName {
                name,
                path_prefixes: None,
                path: false,
                properties: false,
            });
        }
    }
    let mut stream = store
        .journeys(project.clone(), query)
        .await
        .map_err(IngestError::StorageUnavailable)?;
    let (first, last) = rules.cohorts;
    let worker_rules = rules.clone();
    let given = return_event.is_some();
    let (wanted, returning) = (id.clone(), return_event.clone());
    let gathered = tokio::task::spawn_blocking(move || {
        let rules = worker_rules;
        let set = matchers(&wanted, returning.as_ref(), span)?;
        let mut out = Gathered {
            totals: [RetentionTotals::default(), RetentionTotals::default()],
            in_both: [0, 0],
            seen: false,
        };
        let mut events: Vec<(bool, bool, i64)> = Vec::new();
        while let Some(journey) = stream.blocking_recv() {
            let journey = journey.map_err(IngestError::StorageUnavailable)?;
            let masks = set.masks(&journey);
            let Some(entry) = masks
                .iter()
                .position(|m| m & (SHOWN_BITS | HELD_OUT_BIT) != 0)
            else {
                continue;
            };
            out.seen = true;
            let group = if masks[entry] & HELD_OUT_BIT != 0 {
                HELD_OUT
            } else {
                SHOWN
            };
            let period = rules.calendar.period(journey.events()[entry].timestamp);
            if period < first || period > last {
                continue;
            }
            let other = if group == SHOWN {
                HELD_OUT_BIT
            } else {
                SHOWN_BITS
            };
            if masks.iter().any(|m| m & other != 0) {
                out.in_both[group] += 1;
            }
            events.clear();
            events.extend(masks.iter().zip(journey.events()).map(|(mask, e)| {
                let returned = if given {
                    mask & RETURN_BIT != 0
                } else {
                    e.name as usize >= returns_from
                };
                (
                    mask & (SHOWN_BITS | HELD_OUT_BIT) != 0,
                    returned,
                    e.timestamp,
                )
            }));
            rules.add(&mut out.totals[group], &events);
        }
        Ok::<_, IngestError>(out)
    })
    .await
    .map_err(|e| IngestError::StorageUnavailable(StoreError::Task(e.to_string())))??;
    if !configured && !gathered.seen {
        return Err(IngestError::UnknownExperience(id));
    }
    Ok(HoldoutReport::new(
        project,
        id,
        &cohorts,
        &rules,
        return_event,
        declared,
        &gathered,
        now,
    ))
}

impl HoldoutReport {
    /// The figures, with `now` to tell ended periods from those still under way.
    #[allow(clippy::too_many_arguments)]
    fn new(
        project: String,
        experience: String,
        cohorts: &Cohorts,
        rules: &Retention,
        return_event: Option<serde_json::Value>,
        declared_share: Option<f64>,
        gathered: &Gathered,
        now: i64,
    ) -> HoldoutReport {
        let size = |group: usize| -> u64 {
            gathered.totals[group]
                .cohorts
                .values()
                .map(|(people, _)| people)
                .sum()
        };
        let (shown, held_out) = (size(SHOWN), size(HELD_OUT));
        let [shown_periods, held_out_periods] =
            [SHOWN, HELD_OUT].map(|group| rules.average(&gathered.totals[group], now));
        let retention = shown_periods
            .iter()
            .zip(&held_out_periods)
            .map(|(a, b)| {
                let tally = |p: &crate::reports::retention::AverageRetention| Tally {
                    exposures: p.size,
                    conversions: p.count,
                };
                let group = |p: &crate::reports::retention::AverageRetention| GroupPeriod {
                    people: p.size,
                    retained: p.count,
                    retention: p.retention.clone(),
                };
                PeriodComparison {
                    period: a.period,
                    incomplete: !rules.complete(rules.cohorts.1 + i64::from(a.period), now),
                    cohorts: a.cohorts,
                    shown: group(a),
                    held_out: group(b),
                    difference: stats::newcombe_difference(tally(a), tally(b), Z_95).map(|d| {
                        DifferenceBody {
                            estimate: d.estimate,
                            interval: IntervalBody {
                                low: d.interval.low,
                                high: d.interval.high,
                            },
                        }
                    }),
                }
            })
            .collect();
        let everyone = shown + held_out;
        HoldoutReport {
            project,
            experience,
            from: cohorts.range.from.to_string(),
            to: cohorts.range.to.to_string(),
            interval: cohorts.calendar.interval,
            tz: cohorts.tz.clone(),
            return_event,
            declared_share,
            observed_share: (everyone > 0).then(|| held_out as f64 / everyone as f64),
            shown: GroupSize { people: shown },
            held_out: GroupSize { people: held_out },
            in_both: InBoth {
                people: gathered.in_both[SHOWN] + gathered.in_both[HELD_OUT],
                entered_shown: gathered.in_both[SHOWN],
                entered_held_out: gathered.in_both[HELD_OUT],
            },
            retention,
        }
    }
}

/// Whether the config `body` has an experience `id`, and if so the holdout share it
/// declares (`None`: none, or not a number in (0, 0.5]).
#[must_use]
pub fn experience_in_config(body: &str, id: &str) -> Option<Option<f64>> {
    let config: serde_json::Value = serde_json::from_str(body).ok()?;
    let experience = config
        .get("experiences")?
        .as_array()?
        .iter()
        .find(|e| e.get("id").and_then(serde_json::Value::as_str) == Some(id))?;
    Some(
        experience
            .get("holdout")
            .and_then(serde_json::Value::as_f64)
            .filter(|share| *share > 0.0 && *share <= MAX_SHARE),
    )
}

/// The report of experience `id` in `project`, for the admin key's route and the console's:
/// the declared share from the active config, and a query naming no time zone takes the
/// project's.
pub(crate) async fn project_report(
    state: &AppState,
    project: String,
    id: String,
    mut query: HoldoutQuery,
) -> Result<HoldoutReport, IngestError> {
    if query.tz.is_none() {
        query.tz = project_time_zone(state, &project).await?;
    }
    let now = (state.clock)().0 as i64;
    let checked = query.check(now)?;
    let wanted = project.clone();
    let active = blocking(&state.registry, move |r| r.active_config(&wanted)).await?;
    let configured = active.and_then(|(_, _, body)| experience_in_config(&body, &id));
    let store = state.store.as_ref();
    run(
        store,
        project,
        id,
        configured.flatten(),
        configured.is_some(),
        checked,
        now,
    )
    .await
}

/// Handles `GET /v1/reports/holdouts/{id}` (admin key).
pub async fn report(
    State(state): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<String>, IngestError>,
    query: Result<Query<HoldoutQuery>, IngestError>,
) -> Result<Json<HoldoutReport>, IngestError> {
    let key = admin(&state, &headers)?;
    let Path(id) = id?;
    let Query(query) = query?;
    project_report(&state, key.project, id, query)
        .await
        .map(Json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_declared_share_is_read_from_the_experience_and_checked() {
        let config = r#"{"experiences": [
            {"id": "tour", "kind": "tour", "holdout": 0.1},
            {"id": "nps", "kind": "survey"},
            {"id": "big", "kind": "survey", "holdout": 0.9},
            {"id": "text", "kind": "survey", "holdout": "0.1"}
        ]}"#;
        assert_eq!(experience_in_config(config, "tour"), Some(Some(0.1)));
        assert_eq!(experience_in_config(config, "nps"), Some(None));
        assert_eq!(experience_in_config(config, "big"), Some(None));
        assert_eq!(experience_in_config(config, "text"), Some(None));
        assert_eq!(experience_in_config(config, "other"), None);
        assert_eq!(experience_in_config("not json", "tour"), None);
    }
}
