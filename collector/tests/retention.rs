//! Retention: named edge cases on SQLite (a test each) and on a real ClickHouse (one server
//! for the table), a property test against a reference written from the definitions, and
//! byte-identical JSON from both stores on the seeded dataset.
#![allow(clippy::print_stdout)] // Prints each ClickHouse case and the parity figures.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::cases::EdgeCase;
use common::journeys::*;
use proptest::prelude::*;
use serde_json::{json, Value};
use waymark_collector::reports::retention::{run, RetentionQuery};
use waymark_collector::store::EventStore;
use waymark_collector::SqliteStore;

const DAY: i64 = 86_400_000;
/// Long after every event: every period complete.
const LATER: i64 = DAY0 + 400 * DAY;
/// 2026-10-25T00:00:00Z and 2026-03-02T00:00:00Z, as times after `DAY0`.
const OCT_25: i64 = -16 * DAY;
const MAR_2: i64 = -253 * DAY;

fn query(pairs: &[(&str, &str)]) -> RetentionQuery {
    let mut q = RetentionQuery {
        start: Some("a".into()),
        return_event: Some("b".into()),
        interval: Some("day".into()),
        periods: Some("3".into()),
        from: Some("2026-11-10".into()),
        to: Some("2026-11-12".into()),
        ..RetentionQuery::default()
    };
    for (key, value) in pairs {
        let value = Some((*value).to_owned());
        match *key {
            "start" => q.start = value,
            "return" => q.return_event = value,
            "mode" => q.mode = value,
            "interval" => q.interval = value,
            "periods" => q.periods = value,
            "from" => q.from = value,
            "to" => q.to = value,
            "tz" => q.tz = value,
            other => panic!("no parameter {other}"),
        }
    }
    q
}

async fn retention(store: &dyn EventStore, q: RetentionQuery, now: i64) -> Value {
    let checked = q.check(now).expect("a valid query");
    let report = run(store, "demo".into(), checked, now)
        .await
        .expect("a report");
    serde_json::to_value(report).unwrap()
}

/// Per cohort (its first day): size, then the count of each period after it.
type Figures = Vec<(String, u64, Vec<u64>)>;

fn figures(report: &Value) -> Figures {
    report["cohorts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let counts = c["periods"].as_array().unwrap()[1..]
                .iter()
                .map(|p| p["count"].as_u64().unwrap())
                .collect();
            (
                c["start"].as_str().unwrap().to_owned(),
                c["size"].as_u64().unwrap(),
                counts,
            )
        })
        .collect()
}

struct Case {
    name: &'static str,
    events: fn() -> Vec<Vec<(u128, E)>>,
    query: &'static [(&'static str, &'static str)],
    now: i64,
    /// (cohort, size, returned per period)
    expect: &'static [(&'static str, u64, [u64; 3])],
    /// Optionally: which periods of the first cohort are incomplete (0 first).
    incomplete: Option<[bool; 4]>,
}

/// A start half an hour into 2026-10-25 in Paris, a return at 22:30 UTC that day and one at
/// 23:15 UTC the next.
fn summer_time_ends() -> Vec<Vec<(u128, E)>> {
    one_batch(vec![
        e(1, "a", OCT_25 - 2 * HOUR + 30 * MIN),
        e(1, "b", OCT_25 + 22 * HOUR + 30 * MIN),
        e(1, "b", OCT_25 + DAY + 23 * HOUR + 15 * MIN),
    ])
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            // Browser 1 first started the day before the range: in no cohort of it.
            name: "a_first_time_cohort_is_the_period_of_the_first_start_ever",
            events: || {
                one_batch(vec![
                    e(1, "a", -DAY),
                    e(1, "a", 0),
                    e(1, "b", DAY),
                    e(2, "a", 0),
                    e(2, "b", DAY),
                ])
            },
            query: &[],
            now: LATER,
            expect: &[
                ("2026-11-10", 1, [1, 0, 0]),
                ("2026-11-11", 0, [0, 0, 0]),
                ("2026-11-12", 0, [0, 0, 0]),
            ],
            incomplete: Some([false; 4]),
        },
        Case {
            name: "recurring_cohorts_take_every_period_with_a_start",
            events: || {
                one_batch(vec![
                    e(1, "a", -DAY),
                    e(1, "a", 0),
                    e(1, "a", DAY),
                    e(1, "b", 2 * DAY),
                ])
            },
            query: &[("mode", "recurring")],
            now: LATER,
            expect: &[
                ("2026-11-10", 1, [0, 1, 0]),
                ("2026-11-11", 1, [1, 0, 0]),
                ("2026-11-12", 0, [0, 0, 0]),
            ],
            incomplete: None,
        },
        Case {
            // A return later the same day is period 0, not period 1.
            name: "a_return_in_the_cohorts_own_period_is_not_a_return_after_it",
            events: || one_batch(vec![e(1, "a", 10 * HOUR), e(1, "b", 11 * HOUR)]),
            query: &[],
            now: LATER,
            expect: &[
                ("2026-11-10", 1, [0, 0, 0]),
                ("2026-11-11", 0, [0, 0, 0]),
                ("2026-11-12", 0, [0, 0, 0]),
            ],
            incomplete: None,
        },
        Case {
            // 23:30 UTC and 00:30 UTC the next day are one day at +02:00.
            name: "the_time_zone_moves_the_period_boundaries",
            events: || {
                one_batch(vec![
                    e(1, "a", 23 * HOUR + 30 * MIN),
                    e(1, "b", 24 * HOUR + 30 * MIN),
                    e(1, "b", 2 * DAY + 23 * HOUR),
                ])
            },
            query: &[("tz", "+02:00")],
            now: LATER,
            expect: &[
                ("2026-11-10", 0, [0, 0, 0]),
                ("2026-11-11", 1, [0, 1, 0]),
                ("2026-11-12", 0, [0, 0, 0]),
            ],
            incomplete: None,
        },
        Case {
            name: "the_same_events_in_utc",
            events: || {
                one_batch(vec![
                    e(1, "a", 23 * HOUR + 30 * MIN),
                    e(1, "b", 24 * HOUR + 30 * MIN),
                    e(1, "b", 2 * DAY + 23 * HOUR),
                ])
            },
            query: &[],
            now: LATER,
            expect: &[
                ("2026-11-10", 1, [1, 1, 0]),
                ("2026-11-11", 0, [0, 0, 0]),
                ("2026-11-12", 0, [0, 0, 0]),
            ],
            incomplete: None,
        },
        Case {
            // Browser 1 starts, signs in as u1; u1's other browser returns: one person.
            name: "an_identity_merge_between_start_and_return_is_one_person",
            events: || {
                one_batch(vec![
                    e(1, "a", 0),
                    as_user(e(1, "$identify", 1000), "u1"),
                    as_user(e(2, "b", DAY), "u1"),
                ])
            },
            query: &[],
            now: LATER,
            expect: &[
                ("2026-11-10", 1, [1, 0, 0]),
                ("2026-11-11", 0, [0, 0, 0]),
                ("2026-11-12", 0, [0, 0, 0]),
            ],
            incomplete: None,
        },
        Case {
            name: "events_out_of_order_and_twice_count_once",
            events: || {
                let back = vec![(1, e(1, "b", 2 * DAY)), (2, e(2, "a", 0))];
                vec![back.clone(), vec![(3, e(1, "a", 0))], back]
            },
            query: &[],
            now: LATER,
            expect: &[
                ("2026-11-10", 2, [0, 1, 0]),
                ("2026-11-11", 0, [0, 0, 0]),
                ("2026-11-12", 0, [0, 0, 0]),
            ],
            incomplete: None,
        },
        Case {
            // Noon on the 11th: the cohort's own day has ended, the next has not.
            name: "periods_that_have_not_ended_are_incomplete",
            events: || one_batch(vec![e(1, "a", 0), e(1, "b", DAY + HOUR)]),
            query: &[],
            now: DAY0 + DAY + 12 * HOUR,
            expect: &[
                ("2026-11-10", 1, [1, 0, 0]),
                ("2026-11-11", 0, [0, 0, 0]),
                ("2026-11-12", 0, [0, 0, 0]),
            ],
            incomplete: Some([false, true, true, true]),
        },
        Case {
            name: "weeks_run_from_monday",
            // 2026-11-09 was a Monday; the 15th is its Sunday, the 16th the next Monday.
            events: || {
                one_batch(vec![
                    e(1, "a", 0),
                    e(1, "b", 5 * DAY),
                    e(2, "a", 0),
                    e(2, "b", 6 * DAY),
                ])
            },
            query: &[
                ("interval", "week"),
                ("from", "2026-11-10"),
                ("to", "2026-11-10"),
            ],
            now: LATER,
            expect: &[("2026-11-09", 2, [1, 0, 0])],
            incomplete: None,
        },
        Case {
            // Paris leaves summer time at 01:00 UTC on 2026-10-25: that day runs from 22:00
            // UTC the day before (+02:00) to 23:00 UTC (+01:00), 25 hours. A return at
            // 22:30 UTC is still the 25th there, and 23:15 UTC on the 26th is the 27th.
            name: "a_named_zone_keeps_its_days_across_the_end_of_summer_time",
            events: summer_time_ends,
            query: &[
                ("tz", "Europe/Paris"),
                ("from", "2026-10-25"),
                ("to", "2026-10-25"),
            ],
            now: LATER,
            expect: &[("2026-10-25", 1, [0, 1, 0])],
            incomplete: Some([false; 4]),
        },
        Case {
            // At a fixed +02:00 the same return at 22:30 UTC is already the 26th.
            name: "the_same_events_at_the_summer_offset_all_year",
            events: summer_time_ends,
            query: &[
                ("tz", "+02:00"),
                ("from", "2026-10-25"),
                ("to", "2026-10-25"),
            ],
            now: LATER,
            expect: &[("2026-10-25", 1, [1, 1, 0])],
            incomplete: None,
        },
        Case {
            // New York springs forward on Sunday 2026-03-08 (07:00 UTC): the week of Monday
            // 2026-03-09 begins at 04:00 UTC (-04:00), an hour before it would at -05:00.
            // Browser 1 returns at 00:30 that Monday; browser 2 at 23:30 on the Sunday.
            name: "weeks_in_a_named_zone_begin_at_local_midnight_after_the_clocks_go_forward",
            events: || {
                one_batch(vec![
                    e(1, "a", MAR_2 + 5 * HOUR + 30 * MIN),
                    e(1, "b", MAR_2 + 7 * DAY + 4 * HOUR + 30 * MIN),
                    e(2, "a", MAR_2 + 12 * HOUR),
                    e(2, "b", MAR_2 + 7 * DAY + 3 * HOUR + 30 * MIN),
                ])
            },
            query: &[
                ("tz", "America/New_York"),
                ("interval", "week"),
                ("from", "2026-03-02"),
                ("to", "2026-03-08"),
            ],
            now: LATER,
            expect: &[("2026-03-02", 2, [1, 0, 0])],
            incomplete: None,
        },
    ]
}

impl EdgeCase for Case {
    fn name(&self) -> &'static str {
        self.name
    }

    async fn run_on(&self, store: &dyn EventStore) -> Result<(), String> {
        store_all(store, &(self.events)()).await;
        let report = retention(store, query(self.query), self.now).await;
        let got = figures(&report);
        let expected: Figures = self
            .expect
            .iter()
            .map(|(d, s, c)| ((*d).to_owned(), *s, c.to_vec()))
            .collect();
        let mut problems = Vec::new();
        if got != expected {
            problems.push(format!("cohorts {got:?}, expected {expected:?}"));
        }
        if let Some(flags) = self.incomplete {
            let seen: Vec<bool> = report["cohorts"][0]["periods"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["incomplete"].as_bool().unwrap())
                .collect();
            if seen != flags {
                problems.push(format!("incomplete {seen:?}, expected {flags:?}"));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{}: {}\n{report:#}",
                self.name,
                problems.join("; ")
            ))
        }
    }
}

crate::edge_cases!(
    a_first_time_cohort_is_the_period_of_the_first_start_ever,
    recurring_cohorts_take_every_period_with_a_start,
    a_return_in_the_cohorts_own_period_is_not_a_return_after_it,
    the_time_zone_moves_the_period_boundaries,
    the_same_events_in_utc,
    an_identity_merge_between_start_and_return_is_one_person,
    events_out_of_order_and_twice_count_once,
    periods_that_have_not_ended_are_incomplete,
    weeks_run_from_monday,
    a_named_zone_keeps_its_days_across_the_end_of_summer_time,
    the_same_events_at_the_summer_offset_all_year,
    weeks_in_a_named_zone_begin_at_local_midnight_after_the_clocks_go_forward,
);

// ---------------------------------------------------------------------------------------
// Parity.

fn parity_queries() -> Vec<RetentionQuery> {
    let range = [("from", "2026-11-09"), ("to", "2026-11-16")];
    let mut list = [
        vec![
            ("start", "signup"),
            ("return", "invoice_sent"),
            ("interval", "week"),
            ("periods", "2"),
        ],
        vec![
            ("start", "signup"),
            ("return", r#"{"page": "/invoices/*"}"#),
            ("mode", "recurring"),
            ("tz", "+05:30"),
        ],
        vec![
            (
                "start",
                r#"{"event": "invoice_created", "where": {"plan": "pro"}}"#,
            ),
            ("return", "$pageview"),
            ("tz", "-08:00"),
            ("periods", "5"),
        ],
        vec![
            ("start", "signup"),
            ("return", "invoice_created"),
            ("interval", "week"),
            ("tz", "Asia/Kolkata"),
        ],
    ];
    list.iter_mut()
        .map(|pairs| {
            pairs.extend(range);
            query(pairs)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_clickhouse_give_byte_identical_retention() {
    let stores = both_stores(&seeded()).await;
    let (sqlite, clickhouse) = (&stores.sqlite, &stores.clickhouse);
    // Mid-range: some periods complete, some not.
    let now = DAY0 + 4 * DAY;
    for (i, q) in parity_queries().into_iter().enumerate() {
        let q2 = clone_query(&q);
        let a = serde_json::to_string(&retention(sqlite, q, now).await).unwrap();
        let b = serde_json::to_string(&retention(clickhouse, q2, now).await).unwrap();
        let report: Value = serde_json::from_str(&a).unwrap();
        let sizes: Vec<&Value> = report["cohorts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| &c["size"])
            .collect();
        println!("retention {i}: cohort sizes {sizes:?}");
        assert!(sizes.iter().any(|s| s.as_u64().unwrap() > 0), "{report}");
        assert_eq!(a, b, "retention {i} differs between SQLite and ClickHouse");
    }
}

fn clone_query(q: &RetentionQuery) -> RetentionQuery {
    RetentionQuery {
        start: q.start.clone(),
        return_event: q.return_event.clone(),
        mode: q.mode.clone(),
        interval: q.interval.clone(),
        periods: q.periods.clone(),
        from: q.from.clone(),
        to: q.to.clone(),
        tz: q.tz.clone(),
    }
}

// ---------------------------------------------------------------------------------------
// The reference: random logs, cohorts counted from the definitions.

#[derive(Clone, Debug)]
struct Ev {
    browser: u8,
    name: &'static str,
    user: Option<&'static str>,
    at: i64,
}

fn event() -> impl Strategy<Value = Ev> {
    (
        0u8..5,
        prop::sample::select(vec!["a", "a", "b", "b", "other", "$identify"]),
        prop::sample::select(vec!["u1", "u2"]),
        -2i64..7,
        0i64..24,
    )
        .prop_map(|(browser, name, user, day, hour)| Ev {
            browser,
            name,
            user: (name == "$identify" || browser == 4).then_some(user),
            at: day * DAY + hour * HOUR + 17 * MIN,
        })
}

fn person_of(ev: &Ev, log: &[Ev]) -> String {
    if let Some(user) = ev.user {
        return user.to_owned();
    }
    log.iter()
        .filter(|e| e.name == "$identify" && e.browser == ev.browser)
        .filter_map(|e| e.user)
        .min()
        .map_or_else(|| format!("browser-{}", ev.browser), str::to_owned)
}

fn reference(log: &[Ev], recurring: bool, offset: i64, returns: &str) -> Figures {
    let period = |at: i64| (DAY0 + at + offset).div_euclid(DAY);
    let first = DAY0.div_euclid(DAY); // the date 2026-11-10, as a local day
    let mut by: BTreeMap<String, Vec<&Ev>> = BTreeMap::new();
    for ev in log {
        by.entry(person_of(ev, log)).or_default().push(ev);
    }
    let mut cohorts: BTreeMap<i64, (u64, Vec<u64>)> =
        (first..first + 3).map(|c| (c, (0, vec![0; 3]))).collect();
    for events in by.values() {
        let starts: Vec<i64> = events
            .iter()
            .filter(|e| e.name == "a")
            .map(|e| period(e.at))
            .collect();
        let joined: BTreeSet<i64> = if recurring {
            starts.iter().copied().collect()
        } else {
            starts.iter().copied().min().into_iter().collect()
        };
        let back: BTreeSet<i64> = events
            .iter()
            .filter(|e| e.name == returns)
            .map(|e| period(e.at))
            .collect();
        for c in joined {
            if let Some((size, counts)) = cohorts.get_mut(&c) {
                *size += 1;
                for n in 1..=3 {
                    if back.contains(&(c + n)) {
                        counts[n as usize - 1] += 1;
                    }
                }
            }
        }
    }
    cohorts
        .into_iter()
        .map(|(c, (size, counts))| {
            let label = time::Date::from_calendar_date(1970, time::Month::January, 1).unwrap()
                + time::Duration::days(c);
            (label.to_string(), size, counts)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100, ..ProptestConfig::default() })]

    #[test]
    fn retention_agrees_with_a_reference(
        log in prop::collection::vec(event(), 1..40),
        recurring in any::<bool>(),
        tz in prop::sample::select(vec![("+00:00", 0i64), ("+05:30", 19_800_000), ("-03:00", -10_800_000)]),
        same in any::<bool>(),
    ) {
        let returns = if same { "a" } else { "b" };
        let events: Vec<E> = log
            .iter()
            .map(|ev| {
                let mut x = e(u32::from(ev.browser), ev.name, ev.at);
                x.user = ev.user;
                x
            })
            .collect();
        let mode = if recurring { "recurring" } else { "first_time" };
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let report = runtime.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let store = SqliteStore::open(&dir.path().join("events.db")).unwrap();
            store_all(&store, &one_batch(events)).await;
            retention(&store, query(&[("mode", mode), ("tz", tz.0), ("return", returns)]), LATER).await
        });
        prop_assert_eq!(figures(&report), reference(&log, recurring, tz.1, returns));
    }
}

// ---------------------------------------------------------------------------------------
// Over HTTP.

#[tokio::test]
async fn a_bad_retention_query_names_its_problem() {
    use axum::body::Body;
    use axum::http::{header, Request};
    let h = common::harness();
    let admin = h
        .registry
        .rotate("demo", waymark_collector::registry::KeyKind::Admin)
        .unwrap();
    let get = |query: &str| {
        Request::get(format!("/v1/reports/retention{query}"))
            .header(header::AUTHORIZATION, format!("Bearer {admin}"))
            .body(Body::empty())
            .unwrap()
    };
    let (status, _, body) = h
        .send(get(
            "?start=a&from=2025-12-01&to=2025-12-03&interval=day&periods=2",
        ))
        .await;
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["cohorts"].as_array().unwrap().len(), 3);
    assert_eq!(body["return"], json!("a"));
    for (query, message) in [
        ("", "start: required, the event that starts a cohort"),
        (
            "?start=a&mode=sometimes",
            "mode: expected first_time or recurring, got \"sometimes\"",
        ),
        (
            "?start=a&periods=0",
            "periods: expected a whole number from 1 to 60, got \"0\"",
        ),
        (
            "?start=a&tz=Europe/Pariss",
            "tz: expected an offset from UTC as +HH:MM or -HH:MM, or a time zone of the IANA database such as Europe/Paris, got \"Europe/Pariss\"",
        ),
        (
            "?start=a&interval=month",
            "interval: expected day or week, got \"month\"",
        ),
        ("?start=3", "start: expected an event name or a step object"),
    ] {
        let (status, _, body) = h.send(get(query)).await;
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            (status.as_u16(), body["message"].as_str()),
            (400, Some(message)),
            "{query}"
        );
    }
}

#[tokio::test]
async fn the_projects_time_zone_is_the_default_and_tz_overrides_it() {
    let h = common::harness();
    let admin = h
        .registry
        .rotate("demo", waymark_collector::registry::KeyKind::Admin)
        .unwrap();
    let tz_of = |query: &'static str| {
        let h = &h;
        let admin = admin.clone();
        async move {
            let (status, body) = common::get_json(
                h,
                &format!("/v1/reports/retention?start=a&from=2025-12-01&to=2025-12-03{query}"),
                Some(&admin),
            )
            .await;
            assert_eq!(status, 200, "{body}");
            body["tz"].as_str().unwrap().to_owned()
        }
    };
    assert_eq!(tz_of("").await, "+00:00");
    assert_eq!(
        h.registry.set_time_zone("demo", "Europe/Paris").unwrap(),
        "Europe/Paris"
    );
    assert_eq!(tz_of("").await, "Europe/Paris");
    assert_eq!(tz_of("&tz=-03:00").await, "-03:00");
    let refused = h
        .registry
        .set_time_zone("demo", "Mars/Olympus")
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .starts_with("time zone: expected an offset"),
        "{refused}"
    );
    assert_eq!(
        h.registry.time_zone("demo").unwrap().as_deref(),
        Some("Europe/Paris")
    );
}

#[test]
fn the_command_line_sets_a_projects_time_zone_and_refuses_a_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("waymark.db");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_waymark-collector"))
            .args(args)
            .arg("--db")
            .arg(&db)
            .output()
            .expect("the collector runs")
    };
    let made = run(&[
        "project",
        "create",
        "shop",
        "--time-zone",
        "America/New_York",
    ]);
    assert!(made.status.success(), "{made:?}");
    let listed: Value = serde_json::from_slice(&run(&["project", "list"]).stdout).unwrap();
    assert_eq!(listed[0]["time_zone"], "America/New_York");
    let set = run(&["project", "time-zone", "shop", "+05:30"]);
    assert_eq!(
        serde_json::from_slice::<Value>(&set.stdout).unwrap(),
        json!({"project": "shop", "time_zone": "+05:30"})
    );
    let bad = run(&["project", "create", "other", "--time-zone", "Nowhere"]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("--time-zone: expected an offset"),
        "{bad:?}"
    );
    let listed: Value = serde_json::from_slice(&run(&["project", "list"]).stdout).unwrap();
    assert_eq!(
        listed.as_array().unwrap().len(),
        1,
        "nothing made: {listed}"
    );
}
