//! Funnels (`GET /v1/reports/funnels`): where people drop off between 2 and 20 steps.
//!
//! The store streams each person's events that match a step or an exclusion
//! ([`crate::reports::engine`]); [`Funnel`] turns one person's events into the units counted
//! (the person, or each attempt), and [`FunnelReport`] sums units into figures. Both are
//! pure, so the report is the same on every store.
//!
//! # Definitions
//!
//! - **Steps** are event names or page-view path patterns, each with an optional condition on
//!   the event's properties. One event fills at most one step of an attempt.
//! - **An attempt** starts at an event that fills step 1 (in `any` order: any step) whose
//!   time is within the date range: the range bounds entry only; later steps may come after
//!   it. Its **window** runs from that event's time to that time plus the window, inclusive.
//! - **Order**: `ordered`, each step after the previous one, other events between allowed;
//!   `strict`, each step the very next event of the person (any event at all counts as
//!   between); `any`, the steps in any order (step *n* then counts attempts that completed
//!   *n* of the steps, assigned so that as many as possible are completed).
//! - **Exclusions**: an exclusion event after an attempt filled step *a* and before it filled
//!   step *b* (or, if it has not filled *b* yet, anywhere later in its window) voids that
//!   way of progressing; the attempt may still progress another way (a later event filling
//!   step *a* again after the exclusion). An attempt whose furthest progress is only reached
//!   in ways an exclusion voided is **excluded**: counted at no step, and in `excluded`. An
//!   event that is itself the step-*b* event is not between *a* and *b*. Not with `any`.
//! - **Counting**: `people` (the default) counts each person once, by the attempt that
//!   reaches furthest (the earliest such attempt on a tie); `attempts` counts every attempt,
//!   where a new attempt starts only after the last step of the previous counted one (an
//!   excluded attempt uses only its entry).
//! - **Order of events**: time in integer milliseconds, ties broken by the order the
//!   collector stored them. Two events at the same millisecond are in that order, never
//!   both "at once".
//! - **Time to convert** into step *n*: from the event that filled step *n − 1* to the one
//!   that filled step *n*, in the way the counted attempt progressed furthest (each step the
//!   earliest that leads there).
//! - **Breakdown** (`by`): the value of a property of the counted attempt's step-1 event (a
//!   string as it is, other JSON as its text, missing or null as `null`).
//! - **Over time**: units by the UTC day, or ISO week (from Monday), of their step-1 event.

use std::collections::BTreeMap;
use std::collections::HashMap;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime};

use crate::auth::admin;
use crate::error::IngestError;
use crate::extract::Query;
use crate::reports::engine::{
    mean, median, property_value, Journey, JourneyEvent, JourneyQuery, Matcher, MatcherSet,
};
use crate::reports::events::{EventReportQuery, ReportRange, MAX_DAYS};
use crate::reports::experiments::IntervalBody;
use crate::reports::stats::{self, Tally, Z_95};
use crate::state::AppState;
use crate::store::{EventStore, StoreError};

/// Steps a funnel may have, at least and at most.
pub const STEPS: std::ops::RangeInclusive<usize> = 2..=20;
/// Exclusions a funnel may have, at most.
pub const MAX_EXCLUSIONS: usize = 10;
/// The longest conversion window.
pub const MAX_WINDOW_MS: i64 = 366 * 86_400_000;
/// Breakdown groups listed, at most (the largest by step-1 count).
pub const MAX_GROUPS: usize = 100;

/// How steps follow each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    /// Each step after the previous one; other events may come between.
    Ordered,
    /// Each step the very next event of the person.
    Strict,
    /// The steps in any order.
    Any,
}

/// What is counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Counting {
    /// Each person once, by their attempt that reaches furthest.
    People,
    /// Every attempt.
    Attempts,
}

/// Periods of the conversion over time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    /// UTC days.
    Day,
    /// ISO weeks, Monday to Sunday (UTC).
    Week,
}

/// One event as the funnel sees it: the steps and exclusions it matches (bit `i`: matcher
/// `i`, steps first), its time and its place among the person's events.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ev {
    /// Matchers met.
    pub mask: u64,
    /// Milliseconds.
    pub ts: i64,
    /// Place among the person's events (strict funnels compare neighbours).
    pub pos: u32,
}

/// An exclusion: its matcher's bit, and the steps (0-based) it must not come between.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exclusion {
    /// The bit of its matcher in [`Ev::mask`].
    pub bit: u64,
    /// After this step (0-based).
    pub after: usize,
    /// Before this one.
    pub before: usize,
}

/// The rules of one funnel: everything but the matching, which is done before.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Funnel {
    /// How many steps (bits `0..steps` of a mask).
    pub steps: usize,
    /// How steps follow each other.
    pub order: Order,
    /// The conversion window in ms, inclusive.
    pub window_ms: i64,
    /// Entry times allowed: `[start, end)`.
    pub entry: (i64, i64),
    /// Exclusions (not with [`Order::Any`]).
    pub exclusions: Vec<Exclusion>,
    /// What is counted.
    pub counting: Counting,
}

/// The most steps a funnel has: the room for step times in a [`Unit`].
const MAX_STEPS: usize = *STEPS.end();

/// One counted unit: an attempt, with how far it got. Its step times are held in place (a
/// funnel has at most [`STEPS`] steps), so no attempt allocates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unit {
    /// The index of its step-1 event in the person's events.
    pub entry: usize,
    /// The index of the last event it used.
    pub last: usize,
    /// Steps filled.
    reach: usize,
    /// The time of each step filled, step 1 first; zero past `reach`.
    times: [i64; MAX_STEPS],
}

impl Unit {
    /// An attempt at `events[entry]` that has filled no step yet.
    fn starting(entry: usize) -> Unit {
        Unit {
            entry,
            last: entry,
            reach: 0,
            times: [0; MAX_STEPS],
        }
    }

    /// Fills the next step with event `index`, at `ts`.
    fn fill(&mut self, index: usize, ts: i64) {
        self.times[self.reach] = ts;
        self.reach += 1;
        self.last = index;
    }

    /// Steps reached.
    #[must_use]
    pub fn reach(&self) -> usize {
        self.reach
    }

    /// The time of each step it filled, step 1 first (at least one).
    #[must_use]
    pub fn times(&self) -> &[i64] {
        &self.times[..self.reach]
    }
}

/// One way of progressing: the steps filled, and the last event's place.
#[derive(Clone, Copy, Debug)]
struct Progress {
    unit: Unit,
    pos: u32,
}

/// The outcome of one attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// Counted, with its progress.
    Counted(Unit),
    /// Voided by an exclusion.
    Excluded,
}

/// Units and exclusions of one person.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersonUnits {
    /// The units counted.
    pub units: Vec<Unit>,
    /// Attempts (or, counting people, 1 for a person all of whose attempts were) excluded.
    pub excluded: u64,
}

impl Funnel {
    fn step_bits(&self) -> u64 {
        if self.steps >= 64 {
            u64::MAX
        } else {
            (1u64 << self.steps) - 1
        }
    }

    /// Steps an attempt can fill (a funnel has at most [`STEPS`]).
    fn steps(&self) -> usize {
        self.steps.min(MAX_STEPS)
    }

    /// Whether event `e` may start an attempt.
    fn enters(&self, e: &Ev) -> bool {
        let bits = match self.order {
            Order::Any => self.step_bits(),
            Order::Ordered | Order::Strict => 1,
        };
        e.mask & bits != 0 && e.ts >= self.entry.0 && e.ts < self.entry.1
    }

    /// The attempt that starts at `events[start]` (an event that may start one).
    #[must_use]
    pub fn attempt(&self, events: &[Ev], start: usize) -> Attempt {
        match self.order {
            Order::Any => Attempt::Counted(self.any_order(events, start)),
            Order::Ordered | Order::Strict => {
                if self.exclusions.is_empty() {
                    return Attempt::Counted(self.chain(events, start));
                }
                let with = self.progress(events, start);
                let free = self.chain(events, start);
                match with {
                    Some(unit) if unit.reach() >= free.reach() => Attempt::Counted(unit),
                    _ => Attempt::Excluded,
                }
            }
        }
    }

    /// Ordered and strict, as if there were no exclusions: each step the first event after
    /// the previous step's that can fill it (for strict, the very next event). This is what
    /// [`Funnel::progress`] computes when nothing voids a way, without its bookkeeping: with
    /// no exclusion every level is only ever extended from the one before, so the levels are
    /// one chain.
    fn chain(&self, events: &[Ev], start: usize) -> Unit {
        let k = self.steps();
        let first = &events[start];
        let deadline = first.ts.saturating_add(self.window_ms);
        let mut unit = Unit::starting(start);
        unit.fill(start, first.ts);
        let mut pos = first.pos;
        let strict = self.order == Order::Strict;
        for (j, e) in events.iter().enumerate().skip(start + 1) {
            if e.ts > deadline || unit.reach == k {
                break;
            }
            let strict_break = strict && e.pos != pos.wrapping_add(1);
            if e.mask & (1 << unit.reach) != 0 && !strict_break {
                unit.fill(j, e.ts);
                pos = e.pos;
            }
        }
        unit
    }

    /// Ordered and strict with exclusions: for each step, the earliest way of having filled
    /// it, voided by exclusions as they come. The deepest surviving way is the unit.
    fn progress(&self, events: &[Ev], start: usize) -> Option<Unit> {
        let k = self.steps();
        let first = &events[start];
        let deadline = first.ts.saturating_add(self.window_ms);
        let mut levels: [Option<Progress>; MAX_STEPS] = [None; MAX_STEPS];
        let mut entry = Unit::starting(start);
        entry.fill(start, first.ts);
        levels[0] = Some(Progress {
            unit: entry,
            pos: first.pos,
        });
        let mut candidates: [Option<Progress>; MAX_STEPS] = [None; MAX_STEPS];
        let exclusion_bits = self.exclusions.iter().fold(0, |bits, x| bits | x.bit);
        for (j, e) in events.iter().enumerate().skip(start + 1) {
            if e.ts > deadline {
                break;
            }
            let hits = e.mask & exclusion_bits;
            let excluding = || self.exclusions.iter().filter(move |x| hits & x.bit != 0);
            // Ways this event extends, from the ways there were before it.
            for i in 1..k {
                if e.mask & (1 << i) == 0 {
                    continue;
                }
                let Some(previous) = &levels[i - 1] else {
                    continue;
                };
                if self.order == Order::Strict && e.pos != previous.pos.wrapping_add(1) {
                    continue;
                }
                // Filling step i with an exclusion event of (a, b), a < i < b, leaves it
                // between a and b.
                if hits != 0 && excluding().any(|x| x.after < i && i < x.before) {
                    continue;
                }
                let mut unit = previous.unit;
                unit.fill(j, e.ts);
                candidates[i] = Some(Progress { unit, pos: e.pos });
            }
            // The exclusion voids every way that filled its first step and not its second.
            if hits != 0 {
                for x in excluding() {
                    for level in &mut levels[x.after..x.before.min(k)] {
                        *level = None;
                    }
                }
            }
            for (level, candidate) in levels[..k].iter_mut().zip(candidates.iter_mut()) {
                if let Some(candidate) = candidate.take() {
                    if level.is_none() {
                        *level = Some(candidate);
                    }
                }
            }
            // The last step is never voided (exclusions end before it): done.
            if levels[k - 1].is_some() {
                break;
            }
        }
        levels[..k].iter().rev().flatten().next().map(|p| p.unit)
    }

    /// Any order: events assigned to distinct steps so that as many as possible are filled
    /// (augmenting paths), the entry event always assigned.
    fn any_order(&self, events: &[Ev], start: usize) -> Unit {
        let k = self.steps();
        let bits = self.step_bits();
        let deadline = events[start].ts.saturating_add(self.window_ms);
        // step -> index of the event filling it (`usize::MAX`: none)
        let mut filled = [usize::MAX; MAX_STEPS];
        let mut unit = Unit::starting(start);
        for (j, e) in events.iter().enumerate().skip(start) {
            if e.ts > deadline || unit.reach == k {
                break;
            }
            if e.mask & bits == 0 {
                continue;
            }
            let mut visited = 0u64;
            if augment(events, bits, j, &mut filled, &mut visited) {
                unit.fill(j, e.ts);
            }
        }
        unit
    }

    /// The units of one person's events (in order).
    #[must_use]
    pub fn person(&self, events: &[Ev]) -> PersonUnits {
        let mut out = PersonUnits::default();
        self.person_into(events, &mut out);
        out
    }

    /// [`Funnel::person`] into `out` (cleared first), to reuse its memory person after
    /// person.
    pub fn person_into(&self, events: &[Ev], out: &mut PersonUnits) {
        out.units.clear();
        out.excluded = 0;
        match self.counting {
            Counting::People => {
                let mut best: Option<Unit> = None;
                let mut any_excluded = false;
                for (start, e) in events.iter().enumerate() {
                    if !self.enters(e) {
                        continue;
                    }
                    match self.attempt(events, start) {
                        Attempt::Counted(unit) => {
                            if best.as_ref().is_none_or(|b| unit.reach() > b.reach()) {
                                let done = unit.reach() == self.steps;
                                best = Some(unit);
                                if done {
                                    break;
                                }
                            }
                        }
                        Attempt::Excluded => any_excluded = true,
                    }
                }
                match best {
                    Some(unit) => out.units.push(unit),
                    None if any_excluded => out.excluded = 1,
                    None => {}
                }
            }
            Counting::Attempts => {
                let mut next = 0;
                for (start, e) in events.iter().enumerate() {
                    if start < next || !self.enters(e) {
                        continue;
                    }
                    match self.attempt(events, start) {
                        Attempt::Counted(unit) => {
                            next = unit.last + 1;
                            out.units.push(unit);
                        }
                        Attempt::Excluded => out.excluded += 1,
                    }
                }
            }
        }
    }
}

/// Kuhn's augmenting path from event `j`: true if it could be assigned a step. `filled`
/// holds each step's event (`usize::MAX`: none), `visited` the steps tried (bit `i`).
fn augment(
    events: &[Ev],
    bits: u64,
    j: usize,
    filled: &mut [usize; MAX_STEPS],
    visited: &mut u64,
) -> bool {
    let mut mask = events[j].mask & bits & !*visited;
    while mask != 0 {
        let i = mask.trailing_zeros() as usize;
        mask &= mask - 1;
        if *visited & (1 << i) != 0 {
            continue;
        }
        *visited |= 1 << i;
        let free = match filled[i] {
            usize::MAX => true,
            other => augment(events, bits, other, filled, visited),
        };
        if free {
            filled[i] = j;
            return true;
        }
    }
    false
}

/// A conversion rate with its 95% Wilson interval.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Conversion {
    /// The rate; `null` with nobody to convert.
    pub rate: Option<f64>,
    /// Its 95% Wilson interval.
    pub interval: Option<IntervalBody>,
}

impl Conversion {
    /// `to` of `from`.
    #[must_use]
    pub fn of(from: u64, to: u64) -> Conversion {
        let tally = Tally {
            exposures: from,
            conversions: to,
        };
        Conversion {
            rate: tally.rate(),
            interval: stats::wilson_interval(tally, Z_95).map(|i| IntervalBody {
                low: i.low,
                high: i.high,
            }),
        }
    }
}

/// One step of a report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepReport {
    /// 1-based.
    pub step: usize,
    /// The step as asked.
    pub definition: serde_json::Value,
    /// Units (people or attempts) that reached it.
    pub count: u64,
    /// From the previous step (`null` for step 1).
    pub conversion_from_previous: Option<Conversion>,
    /// From step 1 (`null` for step 1).
    pub conversion_from_start: Option<Conversion>,
    /// Median ms from the previous step (`null` for step 1 and when nobody reached it).
    pub median_time_ms: Option<f64>,
    /// Mean ms from the previous step.
    pub mean_time_ms: Option<f64>,
}

/// Units summed, per step.
#[derive(Clone, Debug, Default)]
struct Sums {
    counts: Vec<u64>,
    /// Per step from the second, the ms from the previous step.
    deltas: Vec<Vec<i64>>,
}

impl Sums {
    fn new(steps: usize) -> Sums {
        Sums {
            counts: vec![0; steps],
            deltas: vec![Vec::new(); steps],
        }
    }

    fn add(&mut self, unit: &Unit) {
        let times = unit.times();
        let reach = times.len().min(self.counts.len());
        for count in &mut self.counts[..reach] {
            *count += 1;
        }
        for i in 1..reach {
            self.deltas[i].push(times[i] - times[i - 1]);
        }
    }

    fn report(mut self, definitions: &[serde_json::Value]) -> Vec<StepReport> {
        let first = self.counts.first().copied().unwrap_or(0);
        (0..self.counts.len())
            .map(|i| {
                let count = self.counts[i];
                let deltas = &mut self.deltas[i];
                StepReport {
                    step: i + 1,
                    definition: definitions.get(i).cloned().unwrap_or_default(),
                    count,
                    conversion_from_previous: (i > 0)
                        .then(|| Conversion::of(self.counts[i - 1], count)),
                    conversion_from_start: (i > 0).then(|| Conversion::of(first, count)),
                    median_time_ms: median(deltas),
                    mean_time_ms: mean(deltas),
                }
            })
            .collect()
    }
}

/// Units entered and converted per period, by the period's first UTC day (days since
/// 1970-01-01): one slot a day of the funnel's entry range (at most [`MAX_DAYS`] and a
/// week), so that a unit is counted without a search.
#[derive(Debug, Default)]
struct Periods {
    /// The day of `days[0]`.
    first: i64,
    /// Entered and converted, by day from `first` (only periods' first days are used).
    days: Vec<(u64, u64)>,
    /// Periods outside those days (none, for a funnel's own units).
    others: BTreeMap<i64, (u64, u64)>,
}

impl Periods {
    /// Slots for the periods of entry times `[entry.0, entry.1)`.
    fn new(entry: (i64, i64), interval: Interval) -> Periods {
        let first = period_day(entry.0, interval);
        let last = period_day(entry.1.saturating_sub(1), interval);
        let span = usize::try_from(last - first + 1).unwrap_or(0);
        Periods {
            first,
            days: vec![(0, 0); span.min(MAX_DAYS as usize + 7)],
            others: BTreeMap::new(),
        }
    }

    /// The counts of the period starting on `day`.
    fn at(&mut self, day: i64) -> &mut (u64, u64) {
        if let Some(slot) = usize::try_from(day - self.first)
            .ok()
            .and_then(|i| self.days.get_mut(i))
        {
            return slot;
        }
        self.others.entry(day).or_default()
    }

    /// The counts of the period starting on `day`, zero if none.
    fn get(&self, day: i64) -> (u64, u64) {
        usize::try_from(day - self.first)
            .ok()
            .and_then(|i| self.days.get(i))
            .or_else(|| self.others.get(&day))
            .copied()
            .unwrap_or((0, 0))
    }
}

/// Everything a funnel report sums, fed one person at a time.
#[derive(Debug)]
pub struct FunnelTotals {
    funnel: Funnel,
    by: Option<String>,
    interval: Interval,
    all: Sums,
    groups: HashMap<Option<String>, Sums>,
    /// Per period: entered, converted.
    periods: Periods,
    excluded: u64,
    /// The person being added, as the funnel reads them, and their units (kept to reuse
    /// their memory: adding a person allocates nothing).
    scratch: Vec<Ev>,
    units: PersonUnits,
}

impl FunnelTotals {
    /// Nothing summed yet.
    #[must_use]
    pub fn new(funnel: Funnel, by: Option<String>, interval: Interval) -> FunnelTotals {
        let steps = funnel.steps;
        let periods = Periods::new(funnel.entry, interval);
        FunnelTotals {
            funnel,
            by,
            interval,
            all: Sums::new(steps),
            groups: HashMap::new(),
            periods,
            excluded: 0,
            scratch: Vec::new(),
            units: PersonUnits::default(),
        }
    }

    /// Adds one person, their events matched by `set` (the funnel's matchers).
    pub fn add(&mut self, set: &MatcherSet, journey: &Journey) {
        self.scratch.clear();
        let events = journey.events();
        let ev = |e: &JourneyEvent, mask| Ev {
            mask,
            ts: e.timestamp,
            pos: e.position,
        };
        match set.fixed_masks() {
            Some(table) => self.scratch.extend(
                events
                    .iter()
                    .map(|e| ev(e, table.get(e.name as usize).copied().unwrap_or(0))),
            ),
            None => self
                .scratch
                .extend(set.masked(journey).map(|(e, mask)| ev(e, mask))),
        }
        self.funnel.person_into(&self.scratch, &mut self.units);
        self.excluded += self.units.excluded;
        let steps = self.funnel.steps;
        for unit in &self.units.units {
            self.all.add(unit);
            if let Some(by) = &self.by {
                let value = property_value(journey.properties(unit.entry), by);
                self.groups
                    .entry(value)
                    .or_insert_with(|| Sums::new(steps))
                    .add(unit);
            }
            let period = self.periods.at(period_day(unit.times()[0], self.interval));
            period.0 += 1;
            if unit.reach() == steps {
                period.1 += 1;
            }
        }
    }
}

/// The first UTC day of the period of `ms`, in days since 1970-01-01 (a Thursday): what
/// [`period_start`] gives, without a calendar (it runs once per counted unit).
fn period_day(ms: i64, interval: Interval) -> i64 {
    let day = ms.div_euclid(86_400_000);
    match interval {
        Interval::Day => day,
        Interval::Week => day - (day + 3).rem_euclid(7),
    }
}

/// Days since 1970-01-01.
fn day_number(date: Date) -> i64 {
    (date - Date::from_calendar_date(1970, time::Month::January, 1).unwrap_or(Date::MIN))
        .whole_days()
}

fn period_start(ms: i64, interval: Interval) -> Date {
    let day = OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .map_or(Date::MIN, OffsetDateTime::date);
    match interval {
        Interval::Day => day,
        Interval::Week => day - Duration::days(i64::from(day.weekday().number_days_from_monday())),
    }
}

/// A breakdown group.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupReport {
    /// The property's value (`null`: missing or null).
    pub value: Option<String>,
    /// Its steps.
    pub steps: Vec<StepReport>,
}

/// The breakdown.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Breakdown {
    /// The property of the step-1 event.
    pub property: String,
    /// Groups, most step-1 units first, then by value (`null` last).
    pub groups: Vec<GroupReport>,
    /// Groups beyond [`MAX_GROUPS`], left off.
    pub groups_left_off: usize,
}

/// One period of the conversion over time.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PeriodReport {
    /// Its first day, `YYYY-MM-DD`.
    pub start: String,
    /// Units that entered in it.
    pub entered: u64,
    /// Of them, units that reached the last step.
    pub converted: u64,
    /// `converted / entered`, with its interval.
    pub conversion: Conversion,
}

/// The conversion over time.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OverTime {
    /// `day` or `week`.
    pub interval: Interval,
    /// Every period of the range, in order.
    pub periods: Vec<PeriodReport>,
}

/// `GET /v1/reports/funnels`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FunnelReport {
    /// The project.
    pub project: String,
    /// The first day of entry.
    pub from: String,
    /// The last day of entry.
    pub to: String,
    /// `ordered`, `strict` or `any`.
    pub order: Order,
    /// The conversion window, ms.
    pub window_ms: i64,
    /// `people` or `attempts`.
    pub count: Counting,
    /// Per step.
    pub steps: Vec<StepReport>,
    /// People (or attempts) excluded by an exclusion.
    pub excluded: u64,
    /// The exclusions as asked.
    pub exclusions: Vec<serde_json::Value>,
    /// With `by`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<Breakdown>,
    /// By period of entry.
    pub over_time: OverTime,
}

impl FunnelReport {
    /// The figures from the totals.
    #[must_use]
    pub fn new(
        project: String,
        range: &ReportRange,
        definitions: &[serde_json::Value],
        exclusions: Vec<serde_json::Value>,
        totals: FunnelTotals,
    ) -> FunnelReport {
        let FunnelTotals {
            funnel,
            by,
            interval,
            all,
            groups,
            periods,
            excluded,
            ..
        } = totals;
        let breakdown = by.map(|property| {
            let mut groups: Vec<(Option<String>, Sums)> = groups.into_iter().collect();
            groups.sort_by(|(a, x), (b, y)| {
                let (nx, ny) = (x.counts[0], y.counts[0]);
                ny.cmp(&nx)
                    .then_with(|| a.is_none().cmp(&b.is_none()))
                    .then_with(|| a.cmp(b))
            });
            let left_off = groups.len().saturating_sub(MAX_GROUPS);
            groups.truncate(MAX_GROUPS);
            Breakdown {
                property,
                groups: groups
                    .into_iter()
                    .map(|(value, sums)| GroupReport {
                        value,
                        steps: sums.report(definitions),
                    })
                    .collect(),
                groups_left_off: left_off,
            }
        });
        let mut list = Vec::new();
        let mut day = period_start(range.start_ms(), interval);
        while day <= range.to {
            let (entered, converted) = periods.get(day_number(day));
            list.push(PeriodReport {
                start: day.to_string(),
                entered,
                converted,
                conversion: Conversion::of(entered, converted),
            });
            let step = match interval {
                Interval::Day => Duration::days(1),
                Interval::Week => Duration::days(7),
            };
            match day.checked_add(step) {
                Some(next) => day = next,
                None => break,
            }
        }
        FunnelReport {
            project,
            from: range.from.to_string(),
            to: range.to.to_string(),
            order: funnel.order,
            window_ms: funnel.window_ms,
            count: funnel.counting,
            steps: all.report(definitions),
            excluded,
            exclusions,
            breakdown,
            over_time: OverTime {
                interval,
                periods: list,
            },
        }
    }
}

/// The query string of `GET /v1/reports/funnels`.
#[derive(Debug, Default, Deserialize)]
pub struct FunnelQuery {
    /// A JSON array of 2 to 20 steps.
    pub steps: Option<String>,
    /// `ordered` (default), `strict` or `any`.
    pub order: Option<String>,
    /// The conversion window: a whole number and `m`, `h` or `d` (default `14d`).
    pub window: Option<String>,
    /// A JSON array of exclusions: steps with `"between": [a, b]` (1-based, default the
    /// first and the last step).
    pub exclude: Option<String>,
    /// The first day of entry, `YYYY-MM-DD` (default: 29 days before `to`).
    pub from: Option<String>,
    /// The last day of entry (default: today, UTC).
    pub to: Option<String>,
    /// `people` (default) or `attempts`.
    pub count: Option<String>,
    /// A property of the step-1 event to break the funnel down by.
    pub by: Option<String>,
    /// `day` (default) or `week`.
    pub interval: Option<String>,
}

/// A funnel query, checked.
#[derive(Debug)]
pub struct CheckedFunnel {
    /// The days of entry.
    pub range: ReportRange,
    /// The rules.
    pub funnel: Funnel,
    /// The store query.
    pub query: JourneyQuery,
    /// The steps as asked.
    pub definitions: Vec<serde_json::Value>,
    /// The exclusions as asked.
    pub exclusions: Vec<serde_json::Value>,
    /// The breakdown property.
    pub by: Option<String>,
    /// Over time by.
    pub interval: Interval,
}

fn invalid(message: impl Into<String>) -> IngestError {
    IngestError::InvalidRequest(message.into())
}

/// Reads `5m`, `12h`, `14d`.
fn parse_window(text: &str) -> Result<i64, IngestError> {
    let bad = || {
        invalid(format!(
            "window: expected a whole number and m, h or d (such as 14d), got {text:?}"
        ))
    };
    let unit = match text.chars().last() {
        Some('m') => 60_000,
        Some('h') => 3_600_000,
        Some('d') => 86_400_000,
        _ => return Err(bad()),
    };
    let number: i64 = text[..text.len() - 1].parse().map_err(|_| bad())?;
    if number <= 0 || !text[..text.len() - 1].bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let window = number.checked_mul(unit).ok_or_else(bad)?;
    if window > MAX_WINDOW_MS {
        return Err(invalid(format!("window: {text} is longer than 366 days")));
    }
    Ok(window)
}

fn parse_json_list(field: &str, text: &str) -> Result<Vec<serde_json::Value>, IngestError> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Array(items)) => Ok(items),
        _ => Err(invalid(format!("{field}: expected a JSON array"))),
    }
}

/// The matchers of a funnel's steps (bits `0..k`) and exclusions (bits from `k`), and the
/// exclusions' rules. Compiled where they are used: a compiled condition stays on its thread.
fn matchers(
    steps: &[serde_json::Value],
    exclusions: &[serde_json::Value],
    funnel: &Funnel,
    breakdown: bool,
) -> Result<(MatcherSet, Vec<Exclusion>), IngestError> {
    let k = steps.len();
    let mut matchers = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let (matcher, between) = Matcher::from_json(step, &format!("steps[{i}]"))?;
        if between.is_some() {
            return Err(invalid(format!(
                "steps[{i}]: \"between\" belongs to exclusions"
            )));
        }
        matchers.push(matcher);
    }
    let mut rules = Vec::new();
    for (i, item) in exclusions.iter().enumerate() {
        let at = format!("exclude[{i}]");
        let (matcher, between) = Matcher::from_json(item, &at)?;
        let (a, b) = between.unwrap_or((1, k));
        if !(1 <= a && a < b && b <= k) {
            return Err(invalid(format!(
                "{at}: between is two steps, the first before the second, from 1 to {k}; got [{a}, {b}]"
            )));
        }
        rules.push(Exclusion {
            bit: 1 << (k + i),
            after: a - 1,
            before: b - 1,
        });
        matchers.push(matcher);
    }
    let fetch_end = funnel
        .entry
        .1
        .saturating_add(funnel.window_ms)
        .saturating_add(1);
    let mut set = MatcherSet::new(
        matchers,
        (funnel.entry.0, fetch_end),
        funnel.order == Order::Strict,
    );
    if breakdown {
        let entering = match funnel.order {
            Order::Any => k,
            Order::Ordered | Order::Strict => 1,
        };
        for i in 0..entering {
            set.want_properties(i);
        }
    }
    Ok((set, rules))
}

impl FunnelQuery {
    /// Checks the query against `today` (for the default range).
    pub fn check(&self, today: Date) -> Result<CheckedFunnel, IngestError> {
        let range = EventReportQuery {
            from: self.from.clone(),
            to: self.to.clone(),
            name: None,
        }
        .range(today)?;
        let steps_text = self
            .steps
            .as_deref()
            .ok_or_else(|| invalid("steps: required, a JSON array of 2 to 20 steps"))?;
        let definitions = parse_json_list("steps", steps_text)?;
        if !STEPS.contains(&definitions.len()) {
            return Err(invalid(format!(
                "steps: a funnel has 2 to 20 steps, got {}",
                definitions.len()
            )));
        }
        let order = match self.order.as_deref() {
            None | Some("ordered") => Order::Ordered,
            Some("strict") => Order::Strict,
            Some("any") => Order::Any,
            Some(other) => {
                return Err(invalid(format!(
                    "order: expected ordered, strict or any, got {other:?}"
                )))
            }
        };
        let counting = match self.count.as_deref() {
            None | Some("people") => Counting::People,
            Some("attempts") => Counting::Attempts,
            Some(other) => {
                return Err(invalid(format!(
                    "count: expected people or attempts, got {other:?}"
                )))
            }
        };
        let interval = match self.interval.as_deref() {
            None | Some("day") => Interval::Day,
            Some("week") => Interval::Week,
            Some(other) => {
                return Err(invalid(format!(
                    "interval: expected day or week, got {other:?}"
                )))
            }
        };
        let window_ms = parse_window(self.window.as_deref().unwrap_or("14d"))?;
        let k = definitions.len();
        let exclusion_list = match &self.exclude {
            None => Vec::new(),
            Some(text) => parse_json_list("exclude", text)?,
        };
        if exclusion_list.len() > MAX_EXCLUSIONS {
            return Err(invalid(format!(
                "exclude: at most {MAX_EXCLUSIONS} exclusions, got {}",
                exclusion_list.len()
            )));
        }
        if order == Order::Any && !exclusion_list.is_empty() {
            return Err(invalid(
                "exclude: exclusions are between two steps, which an any-order funnel does not have",
            ));
        }
        let by = match self.by.as_deref() {
            Some("") => return Err(invalid("by: the property name is empty")),
            other => other.map(str::to_owned),
        };
        let entry = (range.start_ms(), range.end_ms());
        let mut funnel = Funnel {
            steps: k,
            order,
            window_ms,
            entry,
            exclusions: Vec::new(),
            counting,
        };
        let (set, exclusions) = matchers(&definitions, &exclusion_list, &funnel, by.is_some())?;
        funnel.exclusions = exclusions;
        Ok(CheckedFunnel {
            range,
            funnel,
            query: set.query().clone(),
            definitions,
            exclusions: exclusion_list,
            by,
            interval,
        })
    }
}

/// Runs a checked funnel against a store, person by person.
pub async fn run(
    store: &dyn EventStore,
    project: String,
    checked: CheckedFunnel,
) -> Result<FunnelReport, IngestError> {
    let CheckedFunnel {
        range,
        funnel,
        query,
        definitions,
        exclusions,
        by,
        interval,
    } = checked;
    let mut stream = store
        .journeys(project.clone(), query)
        .await
        .map_err(IngestError::StorageUnavailable)?;
    let (steps, excluded) = (definitions.clone(), exclusions.clone());
    let totals = tokio::task::spawn_blocking(move || {
        let (set, _) = matchers(&steps, &excluded, &funnel, by.is_some())?;
        let mut totals = FunnelTotals::new(funnel, by, interval);
        while let Some(journey) = stream.blocking_recv() {
            let journey = journey.map_err(IngestError::StorageUnavailable)?;
            totals.add(&set, &journey);
        }
        Ok::<_, IngestError>(totals)
    })
    .await
    .map_err(|e| IngestError::StorageUnavailable(StoreError::Task(e.to_string())))??;
    Ok(FunnelReport::new(
        project,
        &range,
        &definitions,
        exclusions,
        totals,
    ))
}

/// Handles `GET /v1/reports/funnels` (admin key).
pub async fn report(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<FunnelQuery>, IngestError>,
) -> Result<Json<FunnelReport>, IngestError> {
    let key = admin(&state, &headers)?;
    let Query(query) = query?;
    let today = state.today();
    let checked = query.check(today)?;
    run(state.store.as_ref(), key.project, checked)
        .await
        .map(Json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn period_days_are_the_calendars_days_and_monday_weeks() {
        // Every 7 hours for three years around the epoch and around now, both intervals.
        for start in [-400 * 86_400_000, 1_767_225_600_000 - 400 * 86_400_000] {
            for i in 0..3_000 {
                let ms = start + i * 7 * 3_600_000 + 12_345;
                for interval in [Interval::Day, Interval::Week] {
                    assert_eq!(
                        period_day(ms, interval),
                        day_number(period_start(ms, interval)),
                        "{ms} by {interval:?}"
                    );
                }
            }
        }
    }
}
