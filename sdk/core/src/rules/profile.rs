//! The behaviour profile: what one browser's user has done, kept on the device, bounded,
//! and exposed to targeting conditions under the reserved `behavior` attribute.
//!
//! # Attributes
//! [`Profile::attributes`] returns the object conditions see as `behavior`:
//!
//! | path | meaning |
//! | --- | --- |
//! | `behavior.event.<name>.count_today` / `count_7d` / `count_30d` | occurrences in the current day, the last 7 and the last 30 days (today included) |
//! | `behavior.event.<name>.total` | occurrences ever (since the profile began) |
//! | `behavior.event.<name>.first_seen` / `last_seen` | Unix milliseconds |
//! | `behavior.days_since.<name>` | whole days since the last occurrence (absent if never) |
//! | `behavior.sessions.count` | sessions started |
//! | `behavior.active_days.count_30d` / `total` | days with any activity |
//! | `behavior.page_views.total`, `behavior.page_views.path.<path>` | page views, in all and per path |
//! | `behavior.experience.<id>.seen` / `completed` / `dismissed` / `answered` | counts per tour or survey |
//! | `behavior.experience.<id>.days_since_seen` | whole days since last seen |
//! | `behavior.engagement`, `behavior.churn_risk` | the scores below, in [0, 1] |
//!
//! Attribute paths split on dots, so an event name with a dot in it is reachable only as a
//! whole object (`behavior.event`), not by path.
//!
//! # Scores
//! **Engagement** = 0.4·R + 0.35·F + 0.25·B, where R = e^(−d/7) with d the days since the last
//! activity (recency), F = min(1, active days in 30 / 12) (frequency), and B = min(1, distinct
//! custom events used in 30 days / 8) (breadth of features used).
//!
//! **Churn risk** = 0.35·D + 0.3·G + 0.2·X + 0.15·A, where D is the fall in activity (events in
//! the last 7 days against the weekly average of the 21 days before, 0 when it did not fall),
//! G = clamp((d − 3) / 11) the time away (nothing under 3 days, full at 14): d is the days since
//! the last activity, or, if longer, the days the user had been away when this session began
//! (so that a lapsed user who comes back is still seen as lapsed while they are back: the
//! page view that brings them has just counted as activity),
//! X = min(1, dismissals in 30 days / 3), and A = 1 − answered / seen for surveys when at least
//! two were seen (low survey answers), else 0.
//!
//! [`Profile::scores`] gives both with every term ([`Scores`]); the SDK sends them with each
//! session's first event ([`crate::protocol::BEHAVIOR_SCORES`]).
//!
//! # Limits
//! At most [`MAX_EVENTS`] event names, [`MAX_PAGES`] paths and [`MAX_EXPERIENCES`]
//! experiences are kept; past that, the least recently seen is evicted first. Daily counts
//! cover [`WINDOW_DAYS`] days. A full profile serializes to about 60 kB of JSON.
//!
//! # Format
//! [`Profile::to_json`] writes `{"v": 1, …}`; [`Profile::from_json`] reads every version it
//! knows and starts afresh, saying so, on one it does not (a newer SDK's data).

use crate::map::Map;

use super::json::Fields;
use crate::time::Millis;
use crate::value::{Properties, Value};

/// The serialized format's version.
pub const FORMAT_VERSION: u32 = 1;
/// Event names kept.
pub const MAX_EVENTS: usize = 200;
/// Page paths kept.
pub const MAX_PAGES: usize = 100;
/// Tours and surveys kept.
pub const MAX_EXPERIENCES: usize = 200;
/// Days of daily counts kept.
pub const WINDOW_DAYS: i64 = 30;
/// Dismissal times kept per experience.
const MAX_DISMISSALS: usize = 10;

const DAY_MS: f64 = 86_400_000.0;
/// e^(−1/7), the recency factor of one day in engagement.
const E_TO_MINUS_ONE_SEVENTH: f64 = 0.866_877_899_750_181_6;

/// A point in time, with the user's local day number (days since 1970-01-01 in their time
/// zone), so that "today" is the user's today.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Moment {
    /// Unix milliseconds.
    pub now: Millis,
    /// The local day number.
    pub day: i64,
}

impl Moment {
    /// A moment in a time zone `offset_minutes` ahead of UTC (JavaScript's
    /// `-new Date().getTimezoneOffset()`).
    #[must_use]
    pub fn local(now: Millis, offset_minutes: i32) -> Moment {
        let local = now.0 as i64 + i64::from(offset_minutes) * 60_000;
        Moment {
            now,
            day: local.div_euclid(86_400_000),
        }
    }
}

/// Daily counts over the last [`WINDOW_DAYS`] days, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Days(Vec<(i64, u32)>);

impl Days {
    fn add(&mut self, day: i64, n: u32) {
        // Kept in day order by inserting in place: no sort (and no sort code in the wasm).
        match self.0.iter().position(|(d, _)| *d >= day) {
            Some(i) if self.0[i].0 == day => self.0[i].1 = self.0[i].1.saturating_add(n),
            Some(i) => self.0.insert(i, (day, n)),
            None => self.0.push((day, n)),
        }
        self.trim(day);
    }

    fn trim(&mut self, today: i64) {
        self.0
            .retain(|(d, _)| today - *d < WINDOW_DAYS && *d <= today + 1);
    }

    /// Occurrences in the `days` days ending with `today`.
    #[must_use]
    pub fn count(&self, today: i64, days: i64) -> u32 {
        self.0
            .iter()
            .filter(|(d, _)| *d <= today && today - *d < days)
            .map(|(_, n)| n)
            .sum()
    }

    fn count_between(&self, today: i64, from_days_ago: i64, to_days_ago: i64) -> u32 {
        self.0
            .iter()
            .filter(|(d, _)| (from_days_ago..to_days_ago).contains(&(today - *d)))
            .map(|(_, n)| n)
            .sum()
    }

    fn merge(&mut self, other: &Days, today: i64) {
        for &(day, n) in &other.0 {
            self.add(day, n);
        }
        self.trim(today);
    }
}

/// What is known of one event name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventStats {
    /// Occurrences ever.
    pub total: u64,
    /// First occurrence.
    pub first_seen: Millis,
    /// Last occurrence.
    pub last_seen: Millis,
    /// Daily counts.
    pub days: Days,
}

/// A tour's or survey's history with this user.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExperienceHistory {
    /// Times shown.
    pub seen: u32,
    /// Times completed (a tour finished, a survey fully answered).
    pub completed: u32,
    /// Times dismissed.
    pub dismissed: u32,
    /// Answers given (survey questions).
    pub answered: u32,
    /// Last shown.
    pub last_seen: Option<Millis>,
    /// Last completed.
    pub last_completed: Option<Millis>,
    /// Recent dismissals, oldest first.
    pub dismissals: Vec<Millis>,
    /// Last answer.
    pub last_answered: Option<Millis>,
    /// Whether this is a survey (for the survey-answer rate in churn risk).
    pub survey: bool,
}

impl ExperienceHistory {
    /// The last time anything happened.
    fn last_touched(&self) -> Millis {
        [
            self.last_seen,
            self.last_completed,
            self.dismissals.last().copied(),
            self.last_answered,
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or_default()
    }
}

/// What happened with a tour or survey.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It was shown.
    Seen,
    /// It was completed.
    Completed,
    /// It was dismissed.
    Dismissed,
    /// A question was answered.
    Answered,
}

/// The two scores and the terms they are made of (the module docs give the formulas), as
/// [`Profile::scores`] computes them: what the SDK sends with each session's first event as
/// [`crate::protocol::BEHAVIOR_SCORES`], named as in [`Scores::NAMES`]. Every figure but
/// `days_away` is in [0, 1]; a profile with no activity yet scores 0 throughout. Kept as an
/// array in the order of the names, so that writing them as properties is one loop (named
/// fields cost the runtime 103 B gzip -9 more, measured).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Scores(pub [f64; 10]);

impl Scores {
    /// What each figure is, in order: engagement = 0.4·recency + 0.35·frequency +
    /// 0.25·breadth, with recency R = e^(−d/7) (d the whole days since the last activity),
    /// frequency F = min(1, active days in 30 / 12) and breadth B = min(1, distinct custom
    /// events in 30 days / 8); churn risk = 0.35·activity fall + 0.3·time away +
    /// 0.2·dismissals + 0.15·unanswered surveys, with the activity fall D (the last 7 days'
    /// events against the weekly average of the 21 before), the time away G = clamp((days
    /// away − 3) / 11), dismissals X = min(1, dismissals in 30 days / 3), unanswered surveys
    /// A = 1 − answered / seen when at least two were seen; and the days away G is computed
    /// from (since the last activity, or the days away when this session began, whichever
    /// is longer).
    pub const NAMES: [&'static str; 10] = [
        "engagement",
        "recency",
        "frequency",
        "breadth",
        "churn_risk",
        "activity_fall",
        "time_away",
        "dismissals",
        "unanswered_surveys",
        "days_away",
    ];

    /// The figure of this name (one of [`Scores::NAMES`]).
    #[must_use]
    pub fn get(&self, name: &str) -> Option<f64> {
        Scores::NAMES
            .iter()
            .position(|n| *n == name)
            .map(|i| self.0[i])
    }

    /// The scores as the properties of [`crate::protocol::BEHAVIOR_SCORES`].
    #[must_use]
    pub fn properties(&self) -> Properties {
        let mut properties = Properties::new();
        for (name, value) in Scores::NAMES.iter().zip(self.0) {
            properties.insert((*name).to_owned(), Value::Number(value));
        }
        properties
    }
}

/// One browser's behaviour profile.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Profile {
    /// Per event name.
    pub events: Map<EventStats>,
    /// Sessions started.
    pub sessions: u32,
    /// Days with any activity, total.
    pub active_days_total: u32,
    /// All activity per day.
    pub activity: Days,
    /// Page views per path, and when each path was last viewed.
    pub pages: Map<(u32, Millis)>,
    /// Tours and surveys.
    pub experiences: Map<ExperienceHistory>,
    /// When the profile began.
    pub started: Millis,
    /// How long the user had been away when the current session began: from the last
    /// activity before it to its start (zero for a first session).
    pub away: Millis,
}

/// Evicts the entry with the smallest `age` key until `map` fits in `limit`.
fn evict<V>(map: &mut Map<V>, limit: usize, age: impl Fn(&V) -> Millis) {
    while map.len() > limit {
        let Some(oldest) = map
            .iter()
            .min_by_key(|(_, v)| age(v))
            .map(|(k, _)| k.clone())
        else {
            return;
        };
        map.remove(&oldest);
    }
}

fn days_between(earlier: Millis, later: Millis) -> f64 {
    (later.since(earlier).0 as f64 / DAY_MS).floor()
}

impl Profile {
    /// An empty profile beginning at `now`.
    #[must_use]
    pub fn new(now: Millis) -> Profile {
        Profile {
            started: now,
            ..Profile::default()
        }
    }

    fn touch_day(&mut self, at: Moment) {
        if self.activity.count(at.day, 1) == 0 {
            self.active_days_total = self.active_days_total.saturating_add(1);
        }
        self.activity.add(at.day, 1);
    }

    /// Records an event (page views and custom events alike).
    pub fn record_event(&mut self, name: &str, at: Moment) {
        self.touch_day(at);
        let stats = self.events.get_or_insert_with(name, || EventStats {
            first_seen: at.now,
            ..EventStats::default()
        });
        stats.total = stats.total.saturating_add(1);
        stats.last_seen = stats.last_seen.max(at.now);
        stats.first_seen = stats.first_seen.min(at.now);
        stats.days.add(at.day, 1);
        evict(&mut self.events, MAX_EVENTS, |s| s.last_seen);
    }

    /// Records a page view of `path` (and the `$pageview` event).
    pub fn record_page_view(&mut self, path: &str, at: Moment) {
        self.record_event(crate::protocol::PAGEVIEW, at);
        let page = self.pages.get_or_insert_with(path, Default::default);
        page.0 = page.0.saturating_add(1);
        page.1 = page.1.max(at.now);
        evict(&mut self.pages, MAX_PAGES, |p| p.1);
    }

    /// Records the start of a session, before its first event, and how long the user had
    /// been away.
    pub fn record_session(&mut self, at: Moment) {
        self.sessions = self.sessions.saturating_add(1);
        self.away = Millis(
            self.last_activity()
                .map_or(0, |last| at.now.0.saturating_sub(last.0)),
        );
    }

    /// Records what happened with a tour or survey.
    pub fn record_experience(&mut self, id: &str, survey: bool, outcome: Outcome, at: Moment) {
        let history = self.experiences.get_or_insert_with(id, Default::default);
        history.survey |= survey;
        match outcome {
            Outcome::Seen => {
                history.seen = history.seen.saturating_add(1);
                history.last_seen = Some(at.now);
            }
            Outcome::Completed => {
                history.completed = history.completed.saturating_add(1);
                history.last_completed = Some(at.now);
            }
            Outcome::Dismissed => {
                history.dismissed = history.dismissed.saturating_add(1);
                history.dismissals.push(at.now);
                if history.dismissals.len() > MAX_DISMISSALS {
                    history.dismissals.remove(0);
                }
            }
            Outcome::Answered => {
                history.answered = history.answered.saturating_add(1);
                history.last_answered = Some(at.now);
            }
        }
        evict(
            &mut self.experiences,
            MAX_EXPERIENCES,
            ExperienceHistory::last_touched,
        );
    }

    /// The last activity of any kind.
    #[must_use]
    pub fn last_activity(&self) -> Option<Millis> {
        self.events.values().map(|s| s.last_seen).max()
    }

    /// Engagement in [0, 1] (formula in the module docs).
    #[must_use]
    pub fn engagement(&self, at: Moment) -> f64 {
        self.scores(at).0[0]
    }

    /// Churn risk in [0, 1] (formula in the module docs).
    #[must_use]
    pub fn churn_risk(&self, at: Moment) -> f64 {
        self.scores(at).0[4]
    }

    /// Both scores with every term that makes them up (formulas in the module docs).
    #[must_use]
    pub fn scores(&self, at: Moment) -> Scores {
        let Some(last) = self.last_activity() else {
            return Scores::default();
        };
        // e^(−d/7) for whole days d, as (e^(−1/7))^d: the same figure without linking `exp`
        // into the browser builds (0.5 KB of wasm).
        let since_last = days_between(last, at.now);
        let recency = E_TO_MINUS_ONE_SEVENTH.powi(since_last.min(1e6) as i32);
        let active_days = self
            .activity
            .0
            .iter()
            .filter(|(d, n)| *n > 0 && at.day - *d < WINDOW_DAYS && *d <= at.day)
            .count();
        let frequency = (active_days as f64 / 12.0).min(1.0);
        let features = self
            .events
            .iter()
            .filter(|(name, stats)| {
                !name.starts_with('$') && stats.days.count(at.day, WINDOW_DAYS) > 0
            })
            .count();
        let breadth = (features as f64 / 8.0).min(1.0);
        let recent = f64::from(self.activity.count_between(at.day, 0, 7));
        let before = f64::from(self.activity.count_between(at.day, 7, 28)) / 3.0;
        let activity_fall = if before > 0.0 {
            ((before - recent) / before).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let days_away = since_last.max((self.away.0 as f64 / DAY_MS).floor());
        let time_away = ((days_away - 3.0) / 11.0).clamp(0.0, 1.0);
        let month_ago = Millis(at.now.0.saturating_sub(30 * 86_400_000));
        let dismissals: usize = self
            .experiences
            .values()
            .map(|h| h.dismissals.iter().filter(|t| **t >= month_ago).count())
            .sum();
        let (seen, answered) = self
            .experiences
            .values()
            .filter(|h| h.survey)
            .fold((0u32, 0u32), |(s, a), h| {
                (s + h.seen, a + h.answered.min(h.seen.max(1)))
            });
        let unanswered_surveys = if seen >= 2 {
            1.0 - (f64::from(answered) / f64::from(seen)).min(1.0)
        } else {
            0.0
        };
        let dismissals = (dismissals as f64 / 3.0).min(1.0);
        Scores([
            (0.4 * recency + 0.35 * frequency + 0.25 * breadth).clamp(0.0, 1.0),
            recency,
            frequency,
            breadth,
            (0.35 * activity_fall + 0.3 * time_away + 0.2 * dismissals + 0.15 * unanswered_surveys)
                .clamp(0.0, 1.0),
            activity_fall,
            time_away,
            dismissals,
            unanswered_surveys,
            days_away,
        ])
    }

    /// The `behavior` attribute object that conditions see (paths in the module docs).
    #[must_use]
    pub fn attributes(&self, at: Moment) -> Value {
        let num = |n: f64| Value::Number(n);
        let scores = self.scores(at);
        let mut events = Properties::new();
        let mut days_since = Properties::new();
        for (name, stats) in &self.events {
            events.insert(
                name.clone(),
                object(vec![
                    ("count_today", num(f64::from(stats.days.count(at.day, 1)))),
                    ("count_7d", num(f64::from(stats.days.count(at.day, 7)))),
                    (
                        "count_30d",
                        num(f64::from(stats.days.count(at.day, WINDOW_DAYS))),
                    ),
                    ("total", num(stats.total as f64)),
                    ("first_seen", num(stats.first_seen.0 as f64)),
                    ("last_seen", num(stats.last_seen.0 as f64)),
                ]),
            );
            days_since.insert(name.clone(), num(days_between(stats.last_seen, at.now)));
        }
        let mut paths = Properties::new();
        let mut total_views = 0u64;
        for (path, (views, _)) in &self.pages {
            paths.insert(path.clone(), num(f64::from(*views)));
            total_views += u64::from(*views);
        }
        let mut experiences = Properties::new();
        for (id, h) in &self.experiences {
            let mut fields = vec![
                ("seen", num(f64::from(h.seen))),
                ("completed", num(f64::from(h.completed))),
                ("dismissed", num(f64::from(h.dismissed))),
                ("answered", num(f64::from(h.answered))),
            ];
            if let Some(last) = h.last_seen {
                fields.push(("days_since_seen", num(days_between(last, at.now))));
            }
            experiences.insert(id.clone(), object(fields));
        }
        let active_30d = self
            .activity
            .0
            .iter()
            .filter(|(d, n)| *n > 0 && at.day - *d < WINDOW_DAYS && *d <= at.day)
            .count();
        object(vec![
            ("event", Value::Object(events)),
            ("days_since", Value::Object(days_since)),
            (
                "sessions",
                object(vec![("count", num(f64::from(self.sessions)))]),
            ),
            (
                "active_days",
                object(vec![
                    ("count_30d", num(active_30d as f64)),
                    ("total", num(f64::from(self.active_days_total))),
                ]),
            ),
            (
                "page_views",
                object(vec![
                    ("total", num(total_views as f64)),
                    ("path", Value::Object(paths)),
                ]),
            ),
            ("experience", Value::Object(experiences)),
            ("engagement", num(scores.0[0])),
            ("churn_risk", num(scores.0[4])),
        ])
    }

    /// Folds another profile of the same person into this one (the anonymous browser's
    /// profile into the identified user's): counts add, first/last times widen.
    pub fn merge(&mut self, other: &Profile, at: Moment) {
        for (name, theirs) in &other.events {
            let ours = self.events.get_or_insert_with(name, || EventStats {
                first_seen: theirs.first_seen,
                ..EventStats::default()
            });
            ours.total = ours.total.saturating_add(theirs.total);
            ours.first_seen = ours.first_seen.min(theirs.first_seen);
            ours.last_seen = ours.last_seen.max(theirs.last_seen);
            ours.days.merge(&theirs.days, at.day);
        }
        evict(&mut self.events, MAX_EVENTS, |s| s.last_seen);
        for (path, (views, last)) in &other.pages {
            let page = self.pages.get_or_insert_with(path, Default::default);
            page.0 = page.0.saturating_add(*views);
            page.1 = page.1.max(*last);
        }
        evict(&mut self.pages, MAX_PAGES, |p| p.1);
        for (id, theirs) in &other.experiences {
            let ours = self.experiences.get_or_insert_with(id, Default::default);
            ours.seen = ours.seen.saturating_add(theirs.seen);
            ours.completed = ours.completed.saturating_add(theirs.completed);
            ours.dismissed = ours.dismissed.saturating_add(theirs.dismissed);
            ours.answered = ours.answered.saturating_add(theirs.answered);
            ours.last_seen = ours.last_seen.max(theirs.last_seen);
            ours.last_completed = ours.last_completed.max(theirs.last_completed);
            ours.last_answered = ours.last_answered.max(theirs.last_answered);
            for &time in &theirs.dismissals {
                let at = ours
                    .dismissals
                    .iter()
                    .position(|t| *t > time)
                    .unwrap_or(ours.dismissals.len());
                ours.dismissals.insert(at, time);
            }
            let excess = ours.dismissals.len().saturating_sub(MAX_DISMISSALS);
            ours.dismissals.drain(..excess);
            ours.survey |= theirs.survey;
        }
        evict(
            &mut self.experiences,
            MAX_EXPERIENCES,
            ExperienceHistory::last_touched,
        );
        self.sessions = self.sessions.saturating_add(other.sessions);
        // Days both were active count once.
        let overlap = other
            .activity
            .0
            .iter()
            .filter(|(d, _)| self.activity.count(*d, 1) > 0)
            .count() as u32;
        self.active_days_total = self
            .active_days_total
            .saturating_add(other.active_days_total.saturating_sub(overlap));
        self.activity.merge(&other.activity, at.day);
        self.started = self.started.min(other.started);
        self.away = self.away.max(other.away);
    }
}

/// Builds a JSON object from its fields (one code path for every object the profile writes).
fn object(fields: Vec<(&str, Value)>) -> Value {
    let mut map = Properties::with_capacity(fields.len());
    for (key, value) in fields {
        map.insert(key.to_owned(), value);
    }
    Value::Object(map)
}

fn millis_value(m: Millis) -> Value {
    Value::Number(m.0 as f64)
}

fn days_value(days: &Days) -> Value {
    Value::Array(
        days.0
            .iter()
            .map(|(d, n)| {
                Value::Array(vec![Value::Number(*d as f64), Value::Number(f64::from(*n))])
            })
            .collect(),
    )
}

fn read_days(value: Option<&Value>) -> Days {
    let mut days = Days::default();
    let Some(Value::Array(items)) = value else {
        return days;
    };
    let mut latest = i64::MIN;
    for item in items {
        if let Value::Array(pair) = item {
            if let [Value::Number(d), Value::Number(n)] = pair.as_slice() {
                if d.is_finite() && *n >= 0.0 {
                    latest = latest.max(*d as i64);
                    days.add(*d as i64, *n as u32);
                }
            }
        }
    }
    days.trim(latest);
    days
}

fn read_millis(value: Option<&Value>) -> Option<Millis> {
    match value {
        Some(Value::Number(n)) if n.is_finite() && *n >= 0.0 => Some(Millis(*n as u64)),
        _ => None,
    }
}

fn read_u32(value: Option<&Value>) -> u32 {
    match value {
        Some(Value::Number(n)) if n.is_finite() && *n >= 0.0 => n.min(f64::from(u32::MAX)) as u32,
        _ => 0,
    }
}

/// Why a stored profile was not read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatProblem {
    /// Not a profile object.
    NotAProfile,
    /// Written by a newer SDK, in a format this one does not know.
    UnknownVersion(u32),
}

impl Profile {
    /// The profile in its stored form (format version [`FORMAT_VERSION`]).
    #[must_use]
    pub fn to_json(&self) -> Value {
        let number = |n: f64| Value::Number(n);
        let mut events = Properties::with_capacity(self.events.len());
        for (name, stats) in &self.events {
            let stats = object(vec![
                ("t", number(stats.total as f64)),
                ("f", millis_value(stats.first_seen)),
                ("l", millis_value(stats.last_seen)),
                ("d", days_value(&stats.days)),
            ]);
            events.insert(name.clone(), stats);
        }
        let mut pages = Properties::with_capacity(self.pages.len());
        for (path, (views, last)) in &self.pages {
            pages.insert(
                path.clone(),
                Value::Array(vec![number(f64::from(*views)), millis_value(*last)]),
            );
        }
        let mut experiences = Properties::with_capacity(self.experiences.len());
        for (id, h) in &self.experiences {
            let mut fields = vec![
                ("s", number(f64::from(h.seen))),
                ("c", number(f64::from(h.completed))),
                ("x", number(f64::from(h.dismissed))),
                ("a", number(f64::from(h.answered))),
                (
                    "xs",
                    Value::Array(h.dismissals.iter().map(|m| millis_value(*m)).collect()),
                ),
                ("q", Value::Bool(h.survey)),
            ];
            for (key, time) in [
                ("ls", h.last_seen),
                ("lc", h.last_completed),
                ("la", h.last_answered),
            ] {
                if let Some(time) = time {
                    fields.push((key, millis_value(time)));
                }
            }
            experiences.insert(id.clone(), object(fields));
        }
        object(vec![
            ("v", number(f64::from(FORMAT_VERSION))),
            ("events", Value::Object(events)),
            ("sessions", number(f64::from(self.sessions))),
            ("active_days", number(f64::from(self.active_days_total))),
            ("activity", days_value(&self.activity)),
            ("pages", Value::Object(pages)),
            ("experiences", Value::Object(experiences)),
            ("started", millis_value(self.started)),
            ("away", millis_value(self.away)),
        ])
    }

    /// Reads a stored profile. Damaged parts are dropped, not fatal; a format from a newer
    /// SDK is refused, so the caller starts a fresh profile rather than misreading it.
    pub fn from_json(json: &Value) -> Result<Profile, FormatProblem> {
        let Some(version) = json.num_field("v") else {
            return Err(FormatProblem::NotAProfile);
        };
        if version != f64::from(FORMAT_VERSION) {
            return Err(FormatProblem::UnknownVersion(version.max(0.0) as u32));
        }
        let mut profile = Profile {
            sessions: read_u32(json.field("sessions")),
            active_days_total: read_u32(json.field("active_days")),
            activity: read_days(json.field("activity")),
            started: read_millis(json.field("started")).unwrap_or_default(),
            away: read_millis(json.field("away")).unwrap_or_default(),
            ..Profile::default()
        };
        for (name, s) in json.object_field("events").into_iter().flatten() {
            let (Some(first_seen), Some(last_seen)) =
                (read_millis(s.field("f")), read_millis(s.field("l")))
            else {
                continue;
            };
            let total = s
                .num_field("t")
                .filter(|t| t.is_finite() && *t >= 0.0)
                .map_or(0, |t| t as u64);
            profile.events.insert(
                name.clone(),
                EventStats {
                    total,
                    first_seen,
                    last_seen,
                    days: read_days(s.field("d")),
                },
            );
        }
        for (path, page) in json.object_field("pages").into_iter().flatten() {
            if let Value::Array(pair) = page {
                if let (Some(views), Some(last)) = (pair.first(), read_millis(pair.get(1))) {
                    profile
                        .pages
                        .insert(path.clone(), (read_u32(Some(views)), last));
                }
            }
        }
        for (id, h) in json.object_field("experiences").into_iter().flatten() {
            let dismissals = h
                .array_field("xs")
                .unwrap_or_default()
                .iter()
                .filter_map(|m| read_millis(Some(m)))
                .collect();
            profile.experiences.insert(
                id.clone(),
                ExperienceHistory {
                    seen: read_u32(h.field("s")),
                    completed: read_u32(h.field("c")),
                    dismissed: read_u32(h.field("x")),
                    answered: read_u32(h.field("a")),
                    last_seen: read_millis(h.field("ls")),
                    last_completed: read_millis(h.field("lc")),
                    last_answered: read_millis(h.field("la")),
                    dismissals,
                    survey: h.bool_field("q").unwrap_or(false),
                },
            );
        }
        // A hand-edited or damaged store could exceed the limits; enforce them on the way in.
        evict(&mut profile.events, MAX_EVENTS, |s| s.last_seen);
        evict(&mut profile.pages, MAX_PAGES, |p| p.1);
        evict(
            &mut profile.experiences,
            MAX_EXPERIENCES,
            ExperienceHistory::last_touched,
        );
        Ok(profile)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::platform::Regress;
    use crate::rules::{Condition, SavedGroups};

    const DAY: u64 = 86_400_000;

    fn at(day: u64) -> Moment {
        Moment::local(Millis(20_000 * DAY + day * DAY + 3_600_000), 0)
    }

    fn matches(profile: &Profile, now: Moment, condition: &str) -> bool {
        let json: Value = serde_json::from_str(condition).unwrap();
        let (compiled, diagnostics) = Condition::compile(&json, "", &Regress, &SavedGroups::new());
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let attributes = object(vec![("behavior", profile.attributes(now))]);
        compiled.matches(&attributes)
    }

    #[test]
    fn rolling_windows_count_the_right_days() {
        let mut p = Profile::new(at(0).now);
        for day in [0, 10, 25, 28, 29, 29] {
            p.record_event("export_clicked", at(day));
        }
        let a = p.attributes(at(29));
        let e = &a.field("event").unwrap().field("export_clicked").unwrap();
        assert_eq!(e.num_field("count_today"), Some(2.0));
        assert_eq!(e.num_field("count_7d"), Some(4.0));
        assert_eq!(e.num_field("count_30d"), Some(6.0));
        assert_eq!(e.num_field("total"), Some(6.0));
        assert_eq!(
            p.attributes(at(40))
                .field("event")
                .unwrap()
                .field("export_clicked")
                .unwrap()
                .num_field("count_30d"),
            Some(4.0)
        );
    }

    #[test]
    fn behaviour_works_inside_conditions() {
        let mut p = Profile::new(at(0).now);
        p.record_event("signup_completed", at(0));
        for _ in 0..3 {
            p.record_event("export_clicked", at(20));
        }
        p.record_session(at(0));
        assert!(matches(
            &p,
            at(21),
            r#"{"behavior.event.export_clicked.count_7d": {"$gte": 3}}"#
        ));
        assert!(matches(
            &p,
            at(21),
            r#"{"behavior.sessions.count": {"$lt": 3}}"#
        ));
        assert!(matches(
            &p,
            at(21),
            r#"{"behavior.days_since.signup_completed": {"$gt": 14}}"#
        ));
        assert!(!matches(
            &p,
            at(21),
            r#"{"behavior.days_since.never_happened": {"$gt": 14}}"#
        ));
    }

    #[test]
    fn the_oldest_entries_are_evicted_past_the_limits() {
        let mut p = Profile::new(at(0).now);
        for i in 0..(MAX_EVENTS + 5) {
            p.record_event(
                &format!("event_{i:03}"),
                Moment {
                    now: Millis(i as u64),
                    day: 0,
                },
            );
        }
        assert_eq!(p.events.len(), MAX_EVENTS);
        assert!(!p.events.contains_key("event_000") && p.events.contains_key("event_204"));
    }

    #[test]
    fn the_stored_form_round_trips_and_refuses_newer_versions() {
        let mut p = Profile::new(at(0).now);
        p.record_page_view("/invoices", at(1));
        p.record_event("export_clicked", at(2));
        p.record_session(at(0));
        p.record_experience("nps", true, Outcome::Seen, at(2));
        p.record_experience("nps", true, Outcome::Dismissed, at(2));
        assert_eq!(Profile::from_json(&p.to_json()), Ok(p.clone()));
        let mut newer = p.to_json();
        if let Value::Object(map) = &mut newer {
            map.insert("v".into(), Value::Number(2.0));
        }
        assert_eq!(
            Profile::from_json(&newer),
            Err(FormatProblem::UnknownVersion(2))
        );
        assert_eq!(
            Profile::from_json(&Value::from("junk")),
            Err(FormatProblem::NotAProfile)
        );
    }

    #[test]
    fn merging_adds_counts_and_widens_times() {
        let mut user = Profile::new(at(0).now);
        user.record_event("export_clicked", at(1));
        user.record_session(at(0));
        let mut anonymous = Profile::new(at(5).now);
        anonymous.record_event("export_clicked", at(1));
        anonymous.record_event("export_clicked", at(6));
        anonymous.record_session(at(0));
        user.merge(&anonymous, at(6));
        let stats = user.events.get("export_clicked").expect("merged");
        assert_eq!((stats.total, stats.days.count(at(6).day, 30)), (3, 3));
        assert_eq!(
            (user.sessions, user.active_days_total),
            (2, 2),
            "a day both were active counts once"
        );
    }

    #[test]
    fn engagement_rewards_recent_frequent_broad_use() {
        let mut busy = Profile::new(at(0).now);
        for day in 0..30 {
            for feature in ["a", "b", "c", "d", "e", "f", "g", "h"] {
                busy.record_event(feature, at(day));
            }
        }
        let mut idle = Profile::new(at(0).now);
        idle.record_event("a", at(0));
        assert!(
            busy.engagement(at(29)) > 0.95,
            "{}",
            busy.engagement(at(29))
        );
        assert!(idle.engagement(at(29)) < 0.1, "{}", idle.engagement(at(29)));
        assert_eq!(Profile::new(at(0).now).engagement(at(0)), 0.0);
    }

    #[test]
    fn churn_risk_rises_with_falling_activity_gaps_dismissals_and_unanswered_surveys() {
        let mut steady = Profile::new(at(0).now);
        for day in 0..28 {
            steady.record_event("a", at(day));
        }
        let mut fading = steady.clone();
        for day in 0..21 {
            for _ in 0..3 {
                fading.record_event("a", at(day));
            }
        }
        for (id, outcome) in [
            ("s1", Outcome::Seen),
            ("s1", Outcome::Dismissed),
            ("s2", Outcome::Seen),
            ("s2", Outcome::Dismissed),
            ("s3", Outcome::Seen),
            ("s3", Outcome::Dismissed),
        ] {
            fading.record_experience(id, true, outcome, at(20));
        }
        let (steady_risk, fading_risk) = (steady.churn_risk(at(27)), fading.churn_risk(at(34)));
        assert!(steady_risk < 0.05, "{steady_risk}");
        assert!(fading_risk > 0.6, "{fading_risk}");
        assert!((0.0..=1.0).contains(&fading_risk));
    }

    #[test]
    fn recency_is_e_to_the_minus_days_over_seven() {
        for d in [0.0_f64, 1.0, 6.0, 7.0, 30.0, 400.0] {
            let powi = E_TO_MINUS_ONE_SEVENTH.powi(d as i32);
            assert!((powi - (-d / 7.0).exp()).abs() < 1e-12, "{d}: {powi}");
        }
    }

    #[test]
    fn a_lapsed_user_who_comes_back_keeps_the_time_away_in_churn_risk_for_that_session() {
        let mut lapsed = Profile::new(at(0).now);
        for day in 0..21 {
            lapsed.record_session(at(day));
            lapsed.record_page_view("/", at(day));
        }
        // Away 14 days, then back: the page view that brings them counts as activity.
        lapsed.record_session(at(35));
        lapsed.record_page_view("/", at(35));
        assert_eq!(lapsed.away, Millis(15 * 86_400_000));
        let back = lapsed.churn_risk(at(35));
        let mut forgetful = lapsed.clone();
        forgetful.away = Millis(0);
        // The whole gap term (0.3): 14 days or more away.
        assert!(
            (back - forgetful.churn_risk(at(35)) - 0.3).abs() < 1e-9,
            "{back}"
        );
        // A day later, a new session after one day away: the gap term is gone.
        lapsed.record_session(at(36));
        lapsed.record_page_view("/", at(36));
        assert_eq!(lapsed.away, Millis(86_400_000));
        let mut forgetful = lapsed.clone();
        forgetful.away = Millis(0);
        assert_eq!(lapsed.churn_risk(at(36)), forgetful.churn_risk(at(36)));
        // Kept across a reload.
        let stored = Profile::from_json(&lapsed.to_json()).unwrap();
        assert_eq!(stored.away, Millis(86_400_000));
    }
    #[test]
    fn scores_at_a_session_start_are_the_terms_computed_by_hand() {
        let mut p = Profile::new(at(0).now);
        for day in 0..=20 {
            p.record_event("a", at(day));
        }
        p.record_event("b", at(20));
        p.record_experience("s1", true, Outcome::Seen, at(20));
        p.record_experience("s1", true, Outcome::Dismissed, at(20));
        p.record_experience("s2", true, Outcome::Seen, at(20));
        p.record_experience("s2", true, Outcome::Answered, at(20));
        // Ten days away, then a session begins (its first event not counted yet).
        p.record_session(at(30));
        let scores = p.scores(at(30));
        let close = |name: &str, want: f64, what: &str| {
            let got = scores.get(name).expect(name);
            assert!((got - want).abs() < 1e-12, "{what}: {got} against {want}");
        };
        close("days_away", 10.0, "days away");
        close("recency", (-10.0_f64 / 7.0).exp(), "recency");
        // Days 1 to 20 are within the 30 days ending with day 30: more than 12.
        close("frequency", 1.0, "frequency");
        close("breadth", 2.0 / 8.0, "breadth: a and b");
        close(
            "engagement",
            0.4 * (-10.0_f64 / 7.0).exp() + 0.35 + 0.25 * 0.25,
            "engagement",
        );
        // Nothing in the last 7 days against 19 events in the 21 days before.
        close("activity_fall", 1.0, "activity fall");
        close("time_away", 7.0 / 11.0, "time away");
        close("dismissals", 1.0 / 3.0, "one dismissal");
        close("unanswered_surveys", 0.5, "one survey of two answered");
        close(
            "churn_risk",
            0.35 + 0.3 * 7.0 / 11.0 + 0.2 / 3.0 + 0.15 * 0.5,
            "churn risk",
        );
        let behavior = p.attributes(at(30));
        assert_eq!(behavior.num_field("churn_risk"), scores.get("churn_risk"));
        assert_eq!(behavior.num_field("engagement"), scores.get("engagement"));
        let properties = scores.properties();
        assert_eq!(properties.len(), 10);
        assert_eq!(
            properties.get("activity_fall"),
            Some(&Value::Number(1.0)),
            "{properties:?}"
        );
        assert_eq!(properties.get("days_away"), Some(&Value::Number(10.0)));
    }

    #[test]
    fn a_profile_without_activity_scores_zero_throughout() {
        let mut p = Profile::new(at(0).now);
        p.record_session(at(0));
        assert_eq!(p.scores(at(0)), Scores::default());
        assert!(Scores::default()
            .properties()
            .values()
            .all(|v| *v == Value::Number(0.0)));
    }
}
