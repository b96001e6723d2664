//! The funnel engine against a brute-force reference: random event logs (several browsers,
//! a few event names, many ties at equal milliseconds, sign-ins that merge browsers into one
//! person) stored in SQLite and reported by the collector, and the same logs read here by a
//! reference that follows the definitions of `reports::funnels` literally, enumerating
//! every way through the steps. They must agree on every figure.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{json, Value};
use time::macros::date;
use waymark_collector::reports::funnels::{run, FunnelQuery};
use waymark_collector::store::{EventStore, IncomingBatch};
use waymark_collector::SqliteStore;
use waymark_core::Millis;

/// 2026-11-10T00:00:00Z.
const DAY0: i64 = 1_794_268_800_000;
const MIN: i64 = 60_000;

#[derive(Clone, Debug)]
struct Ev {
    browser: u8,
    /// `a`, `b`, `c`, `x` or `other`, or `$identify` with a user.
    name: &'static str,
    user: Option<&'static str>,
    at: i64,
    p: u8,
}

#[derive(Clone, Debug)]
struct Spec {
    steps: Vec<&'static str>,
    order: &'static str,
    count: &'static str,
    window: i64,
    /// (after, before), 1-based, for an exclusion of `x`.
    exclusion: Option<(usize, usize)>,
    by: bool,
}

fn event() -> impl Strategy<Value = Ev> {
    (
        0u8..5,
        prop::sample::select(vec!["a", "a", "b", "b", "c", "x", "other", "$identify"]),
        prop::option::of(prop::sample::select(vec!["u1", "u2"])),
        0i64..16,
        0u8..3,
    )
        .prop_map(|(browser, name, user, slot, p)| Ev {
            browser,
            name,
            // Sign-ins always name a user; other events sometimes carry one.
            user: if name == "$identify" {
                Some(user.unwrap_or("u1"))
            } else if browser == 4 {
                user
            } else {
                None
            },
            // Few distinct times: many events share a millisecond.
            at: slot * 5 * MIN,
            p,
        })
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        prop::collection::vec(prop::sample::select(vec!["a", "b", "c"]), 2..=4),
        prop::sample::select(vec!["ordered", "strict", "any"]),
        prop::sample::select(vec!["people", "attempts"]),
        prop::sample::select(vec![10 * MIN, 30 * MIN, 60 * MIN]),
        prop::option::of((1usize..4, 2usize..5)),
        any::<bool>(),
    )
        .prop_map(|(steps, order, count, window, exclusion, by)| {
            let k = steps.len();
            let exclusion = exclusion.filter(|(a, b)| order != "any" && a < b && *b <= k);
            Spec {
                steps,
                order,
                count,
                window,
                exclusion,
                by,
            }
        })
}

fn uuid(base: u128, n: u128) -> uuid::Uuid {
    uuid::Uuid::from_u128(base + n)
}

async fn engine(log: &[Ev], spec: &Spec) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("events.db")).unwrap();
    let events = log
        .iter()
        .enumerate()
        .map(|(i, ev)| {
            let mut event = json!({
                "id": uuid(0x019b_7a3c_0000_7000_8000_0000_0000_0000, i as u128 + 1),
                "name": ev.name,
                "ts": DAY0 + ev.at,
                "anonymous_id": uuid(0x019b_7a3c_2a00_7000_8000_0000_0000_0000, u128::from(ev.browser)),
                "session_id": uuid(0x019b_7a3c_2a00_7000_8000_0000_0001_0000, u128::from(ev.browser)),
                "properties": {"p": ev.p},
                "context": {"page": {"url": "https://app.test/", "path": "/"}, "sdk": {"name": "test", "version": "0"}}
            });
            if let Some(user) = ev.user {
                event["user_id"] = json!(user);
            }
            serde_json::from_value(event).unwrap()
        })
        .collect();
    let at = Millis((DAY0 + 86_400_000) as u64);
    store
        .insert(IncomingBatch {
            project: "demo".into(),
            received_at: at,
            sent_at: at,
            events,
            ip: None,
            config_versions: Vec::new(),
        })
        .await
        .unwrap();
    let steps: Vec<Value> = spec.steps.iter().map(|s| json!(s)).collect();
    let query = FunnelQuery {
        steps: Some(Value::from(steps).to_string()),
        order: Some(spec.order.into()),
        count: Some(spec.count.into()),
        window: Some(format!("{}m", spec.window / MIN)),
        exclude: spec
            .exclusion
            .map(|(a, b)| json!([{"event": "x", "between": [a, b]}]).to_string()),
        by: spec.by.then(|| "p".to_owned()),
        from: Some("2026-11-10".into()),
        to: Some("2026-11-10".into()),
        interval: None,
    };
    let checked = query.check(date!(2026 - 11 - 30)).unwrap();
    let report = run(&store, "demo".into(), checked).await.unwrap();
    serde_json::to_value(report).unwrap()
}

// ----------------------------------------------------------------------------------------
// The reference.

/// One counted unit: its entry's index, the time of each step filled, its last event.
#[derive(Clone, Debug, PartialEq)]
struct Unit {
    entry: usize,
    times: Vec<i64>,
    last: usize,
}

/// A person's events, in order, as the reference sees them.
struct Person<'a> {
    events: Vec<&'a Ev>,
}

fn person_of(ev: &Ev, log: &[Ev]) -> String {
    if let Some(user) = ev.user {
        return user.to_owned();
    }
    // The smallest user any sign-in of this browser named, whenever it happened.
    let linked = log
        .iter()
        .filter(|e| e.name == "$identify" && e.browser == ev.browser)
        .filter_map(|e| e.user)
        .min();
    match linked {
        Some(user) => user.to_owned(),
        None => format!("browser-{}", ev.browser),
    }
}

fn people(log: &[Ev]) -> Vec<Person<'_>> {
    let mut by: BTreeMap<String, Vec<(usize, &Ev)>> = BTreeMap::new();
    for (i, ev) in log.iter().enumerate() {
        by.entry(person_of(ev, log)).or_default().push((i, ev));
    }
    by.into_values()
        .map(|mut list| {
            // Time, then the order they were stored in.
            list.sort_by_key(|(i, ev)| (ev.at, *i));
            Person {
                events: list.into_iter().map(|(_, ev)| ev).collect(),
            }
        })
        .collect()
}

/// Every way through the steps from `start`: each a list of event indices.
fn ways(p: &Person<'_>, spec: &Spec, start: usize) -> Vec<Vec<usize>> {
    let deadline = p.events[start].at + spec.window;
    let mut all = Vec::new();
    let mut stack = vec![vec![start]];
    while let Some(way) = stack.pop() {
        let last = *way.last().unwrap();
        let next_step = way.len();
        if next_step < spec.steps.len() {
            let candidates: Vec<usize> = if spec.order == "strict" {
                vec![last + 1]
            } else {
                (last + 1..p.events.len()).collect()
            };
            for j in candidates {
                if j < p.events.len()
                    && p.events[j].at <= deadline
                    && p.events[j].name == spec.steps[next_step]
                {
                    let mut longer = way.clone();
                    longer.push(j);
                    stack.push(longer);
                }
            }
        }
        all.push(way);
    }
    all
}

fn voided(p: &Person<'_>, spec: &Spec, way: &[usize]) -> bool {
    let Some((a, b)) = spec.exclusion else {
        return false;
    };
    let (a, b) = (a - 1, b - 1);
    if way.len() <= a {
        return false;
    }
    let deadline = p.events[way[0]].at + spec.window;
    let low = way[a];
    (low + 1..p.events.len()).any(|j| {
        let ev = p.events[j];
        let before_b = match way.get(b) {
            Some(&high) => j < high,
            None => ev.at <= deadline,
        };
        ev.name == "x" && before_b
    })
}

/// The attempt from `start`: `None` when excluded.
fn attempt(p: &Person<'_>, spec: &Spec, start: usize) -> Option<Unit> {
    if spec.order == "any" {
        return Some(any_order(p, spec, start));
    }
    let all = ways(p, spec, start);
    let furthest = all.iter().map(Vec::len).max().unwrap_or(0);
    let clean: Vec<&Vec<usize>> = all.iter().filter(|w| !voided(p, spec, w)).collect();
    let reach = clean.iter().map(|w| w.len()).max()?;
    if reach < furthest {
        return None;
    }
    // Of the clean ways that reach furthest, the one whose last step is earliest, then the
    // one before it, and so on.
    let way = clean
        .into_iter()
        .filter(|w| w.len() == reach)
        .min_by(|x, y| x.iter().rev().cmp(y.iter().rev()))?;
    Some(Unit {
        entry: start,
        times: way.iter().map(|&j| p.events[j].at).collect(),
        last: *way.last().unwrap(),
    })
}

/// The most steps distinct events among `events` can fill (each event one step it names).
fn most_filled(steps: &[&str], events: &[&Ev]) -> usize {
    // Every set of steps fillable so far.
    let mut sets = vec![0u32];
    for ev in events {
        let mut more = Vec::new();
        for &set in &sets {
            for (i, step) in steps.iter().enumerate() {
                if *step == ev.name && set & (1 << i) == 0 {
                    more.push(set | (1 << i));
                }
            }
        }
        sets.extend(more);
        sets.sort_unstable();
        sets.dedup();
    }
    sets.iter()
        .map(|s| s.count_ones() as usize)
        .max()
        .unwrap_or(0)
}

fn any_order(p: &Person<'_>, spec: &Spec, start: usize) -> Unit {
    let deadline = p.events[start].at + spec.window;
    let mut times = Vec::new();
    let mut last = start;
    let mut filled = 0;
    let mut end = start;
    while end < p.events.len() && p.events[end].at <= deadline {
        let now = most_filled(&spec.steps, &p.events[start..=end]);
        if now > filled {
            for _ in filled..now {
                times.push(p.events[end].at);
            }
            filled = now;
            last = end;
        }
        end += 1;
    }
    Unit {
        entry: start,
        times,
        last,
    }
}

fn enters(spec: &Spec, ev: &Ev) -> bool {
    let first = if spec.order == "any" {
        spec.steps.contains(&ev.name)
    } else {
        spec.steps[0] == ev.name
    };
    first && ev.at < 86_400_000
}

/// The units of one person, and how many were excluded.
fn units(p: &Person<'_>, spec: &Spec) -> (Vec<Unit>, u64) {
    let entries: Vec<usize> = (0..p.events.len())
        .filter(|&i| enters(spec, p.events[i]))
        .collect();
    if spec.count == "people" {
        let outcomes: Vec<Option<Unit>> = entries.iter().map(|&s| attempt(p, spec, s)).collect();
        let best = outcomes
            .iter()
            .flatten()
            .fold(None::<&Unit>, |best, u| match best {
                Some(b) if b.times.len() >= u.times.len() => Some(b),
                _ => Some(u),
            });
        match best {
            Some(unit) => (vec![unit.clone()], 0),
            None if outcomes.iter().any(Option::is_none) => (Vec::new(), 1),
            None => (Vec::new(), 0),
        }
    } else {
        let mut list = Vec::new();
        let mut excluded = 0;
        let mut next = 0;
        for s in entries {
            if s < next {
                continue;
            }
            match attempt(p, spec, s) {
                Some(unit) => {
                    next = unit.last + 1;
                    list.push(unit);
                }
                None => excluded += 1,
            }
        }
        (list, excluded)
    }
}

fn median(mut values: Vec<i64>) -> Option<f64> {
    values.sort_unstable();
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2] as f64),
        _ => Some((values[n / 2 - 1] + values[n / 2]) as f64 / 2.0),
    }
}

/// Per step: units, median and mean ms from the previous step.
fn figures(units: &[(Unit, Option<String>)], k: usize) -> Vec<(u64, Option<f64>, Option<f64>)> {
    (0..k)
        .map(|i| {
            let reached: Vec<&Unit> = units
                .iter()
                .map(|(u, _)| u)
                .filter(|u| u.times.len() > i)
                .collect();
            let deltas: Vec<i64> = if i == 0 {
                Vec::new()
            } else {
                reached
                    .iter()
                    .map(|u| u.times[i] - u.times[i - 1])
                    .collect()
            };
            let mean = (!deltas.is_empty())
                .then(|| deltas.iter().sum::<i64>() as f64 / deltas.len() as f64);
            (reached.len() as u64, median(deltas), mean)
        })
        .collect()
}

fn reported(steps: &Value) -> Vec<(u64, Option<f64>, Option<f64>)> {
    steps
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["count"].as_u64().unwrap(),
                s["median_time_ms"].as_f64(),
                s["mean_time_ms"].as_f64(),
            )
        })
        .collect()
}

fn reference_check(log: &[Ev], spec: &Spec, report: &Value) -> Result<(), TestCaseError> {
    let k = spec.steps.len();
    let mut all = Vec::new();
    let mut excluded = 0;
    for p in people(log) {
        let (list, x) = units(&p, spec);
        excluded += x;
        for unit in list {
            let group = p.events[unit.entry].p.to_string();
            all.push((unit, Some(group)));
        }
    }
    prop_assert_eq!(reported(&report["steps"]), figures(&all, k), "steps");
    prop_assert_eq!(report["excluded"].as_u64(), Some(excluded), "excluded");
    let converted = all.iter().filter(|(u, _)| u.times.len() == k).count() as u64;
    let period = &report["over_time"]["periods"][0];
    prop_assert_eq!(period["entered"].as_u64(), Some(all.len() as u64));
    prop_assert_eq!(period["converted"].as_u64(), Some(converted));
    for (i, step) in report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .skip(1)
    {
        let (from, to) = (figures(&all, k)[i - 1].0, figures(&all, k)[i].0);
        let rate = (from > 0).then(|| to as f64 / from as f64);
        prop_assert_eq!(step["conversion_from_previous"]["rate"].as_f64(), rate);
    }
    if spec.by {
        let mut groups: BTreeMap<String, Vec<(Unit, Option<String>)>> = BTreeMap::new();
        for (unit, group) in &all {
            groups
                .entry(group.clone().unwrap())
                .or_default()
                .push((unit.clone(), None));
        }
        let listed = report["breakdown"]["groups"].as_array().unwrap();
        prop_assert_eq!(listed.len(), groups.len());
        for group in listed {
            let value = group["value"].as_str().unwrap();
            prop_assert_eq!(
                reported(&group["steps"]),
                figures(&groups[value], k),
                "group {}",
                value
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn the_engine_agrees_with_a_brute_force_reference(
        log in prop::collection::vec(event(), 1..40),
        spec in spec(),
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let report = runtime.block_on(engine(&log, &spec));
        reference_check(&log, &spec, &report)?;
    }
}
