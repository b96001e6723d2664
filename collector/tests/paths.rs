//! Paths: named edge cases on SQLite (a test each) and on a real ClickHouse (one server for
//! the table), and byte-identical JSON from both stores on the seeded dataset.
#![allow(clippy::print_stdout)] // Prints each ClickHouse case and the parity figures.

mod common;

use common::cases::EdgeCase;
use common::journeys::*;
use serde_json::Value;
use time::macros::date;
use waymark_collector::reports::paths::{run, PathQuery};
use waymark_collector::store::EventStore;

fn query(pairs: &[(&str, &str)]) -> PathQuery {
    let mut q = PathQuery {
        start: Some("a".into()),
        from: Some("2026-11-10".into()),
        to: Some("2026-11-10".into()),
        ..PathQuery::default()
    };
    for (key, value) in pairs {
        let value = Some((*value).to_owned());
        match *key {
            "start" => q.start = value,
            "end" => {
                q.start = None;
                q.end = value;
            }
            "steps" => q.steps = value,
            "from" => q.from = value,
            "to" => q.to = value,
            other => panic!("no parameter {other}"),
        }
    }
    q
}

async fn paths(store: &dyn EventStore, q: PathQuery) -> Value {
    let report = run(store, "demo".into(), q, date!(2026 - 11 - 30))
        .await
        .expect("a report");
    serde_json::to_value(report).unwrap()
}

struct Case {
    name: &'static str,
    events: fn() -> Vec<Vec<(u128, E)>>,
    query: &'static [(&'static str, &'static str)],
    sessions: u64,
    /// (depth, source, target, sessions, median ms), in the order listed.
    edges: &'static [(u64, &'static str, &'static str, u64, f64)],
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "a_session_ends_after_thirty_minutes_without_an_event",
            events: || {
                one_batch(vec![
                    e(1, "a", 0),
                    e(1, "b", 10 * MIN),
                    e(1, "c", 40 * MIN + 1),
                ])
            },
            query: &[],
            sessions: 1,
            edges: &[(1, "a", "b", 1, 600_000.0)],
        },
        Case {
            name: "repeats_collapse_into_one_step_at_its_first_event",
            events: || {
                one_batch(vec![
                    e(1, "a", 0),
                    page(1, "/x", MIN),
                    page(1, "/x", 2 * MIN),
                    e(1, "b", 3 * MIN),
                ])
            },
            query: &[],
            sessions: 1,
            edges: &[(1, "a", "/x", 1, 60_000.0), (2, "/x", "b", 1, 120_000.0)],
        },
        Case {
            name: "to_an_end_event_takes_the_steps_before_it",
            events: || {
                one_batch(vec![
                    e(1, "x", 0),
                    e(1, "a", 1000),
                    e(1, "b", 2000),
                    e(1, "c", 3000),
                    e(1, "d", 4000),
                ])
            },
            query: &[("end", "c"), ("steps", "3")],
            sessions: 1,
            edges: &[(1, "a", "b", 1, 1000.0), (2, "b", "c", 1, 1000.0)],
        },
        Case {
            name: "edges_are_listed_by_sessions_then_depth_source_and_target",
            events: || {
                one_batch(vec![
                    e(1, "a", 0),
                    e(1, "c", 1000),
                    e(2, "a", 0),
                    e(2, "b", 1000),
                    e(3, "a", 0),
                    e(3, "c", 3000),
                    e(3, "b", 4000),
                ])
            },
            query: &[],
            sessions: 3,
            edges: &[
                (1, "a", "c", 2, 2000.0),
                (1, "a", "b", 1, 1000.0),
                (2, "c", "b", 1, 1000.0),
            ],
        },
        Case {
            // Browser 2 is u1 too: one person, one session; $identify is the SDK's own.
            name: "an_identity_merge_is_one_session_and_the_sdks_own_events_are_left_out",
            events: || {
                one_batch(vec![
                    e(1, "a", 0),
                    as_user(e(1, "$identify", 1000), "u1"),
                    e(1, "$exposure", 1500),
                    as_user(e(2, "b", 2000), "u1"),
                ])
            },
            query: &[],
            sessions: 1,
            edges: &[(1, "a", "b", 1, 2000.0)],
        },
        Case {
            name: "steps_bound_the_path",
            events: || one_batch(vec![e(1, "a", 0), e(1, "b", 1000), e(1, "c", 2000)]),
            query: &[("steps", "2")],
            sessions: 1,
            edges: &[(1, "a", "b", 1, 1000.0)],
        },
        Case {
            name: "equal_timestamps_keep_the_order_they_were_stored_in",
            events: || one_batch(vec![e(1, "a", 0), e(1, "c", 0), e(1, "b", 0)]),
            query: &[],
            sessions: 1,
            edges: &[(1, "a", "c", 1, 0.0), (2, "c", "b", 1, 0.0)],
        },
    ]
}

impl EdgeCase for Case {
    fn name(&self) -> &'static str {
        self.name
    }

    async fn run_on(&self, store: &dyn EventStore) -> Result<(), String> {
        store_all(store, &(self.events)()).await;
        let report = paths(store, query(self.query)).await;
        let got: Vec<(u64, String, String, u64, f64)> = report["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["depth"].as_u64().unwrap(),
                    x["source"].as_str().unwrap().to_owned(),
                    x["target"].as_str().unwrap().to_owned(),
                    x["sessions"].as_u64().unwrap(),
                    x["median_time_ms"].as_f64().unwrap(),
                )
            })
            .collect();
        let expected: Vec<(u64, String, String, u64, f64)> = self
            .edges
            .iter()
            .map(|(d, s, t, n, m)| (*d, (*s).to_owned(), (*t).to_owned(), *n, *m))
            .collect();
        if got == expected && report["sessions"].as_u64() == Some(self.sessions) {
            Ok(())
        } else {
            Err(format!(
                "{}: edges {got:?}, expected {expected:?}\n{report:#}",
                self.name
            ))
        }
    }
}

crate::edge_cases!(
    a_session_ends_after_thirty_minutes_without_an_event,
    repeats_collapse_into_one_step_at_its_first_event,
    to_an_end_event_takes_the_steps_before_it,
    edges_are_listed_by_sessions_then_depth_source_and_target,
    an_identity_merge_is_one_session_and_the_sdks_own_events_are_left_out,
    steps_bound_the_path,
    equal_timestamps_keep_the_order_they_were_stored_in,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_clickhouse_give_byte_identical_paths() {
    let stores = both_stores(&seeded()).await;
    let (sqlite, clickhouse) = (&stores.sqlite, &stores.clickhouse);
    let range = [("from", "2026-11-10"), ("to", "2026-11-16")];
    for (i, pairs) in [
        vec![("start", "signup")],
        vec![("start", r#"{"page": "/invoices/*"}"#), ("steps", "3")],
        vec![("end", "invoice_sent")],
        vec![
            (
                "end",
                r#"{"event": "export_completed", "where": {"plan": "team"}}"#,
            ),
            ("steps", "4"),
        ],
    ]
    .into_iter()
    .enumerate()
    {
        let pairs: Vec<(&str, &str)> = pairs.into_iter().chain(range).collect();
        let a = serde_json::to_string(&paths(sqlite, query(&pairs)).await).unwrap();
        let b = serde_json::to_string(&paths(clickhouse, query(&pairs)).await).unwrap();
        let report: Value = serde_json::from_str(&a).unwrap();
        println!(
            "paths {i}: {} sessions, {} edges",
            report["sessions"],
            report["edges"].as_array().unwrap().len()
        );
        assert!(report["sessions"].as_u64().unwrap() > 5, "{report}");
        assert_eq!(a, b, "paths {i} differ between SQLite and ClickHouse");
    }
}

#[tokio::test]
async fn a_bad_paths_query_names_its_problem() {
    use axum::body::Body;
    use axum::http::{header, Request};
    let h = common::harness();
    let admin = h
        .registry
        .rotate("demo", waymark_collector::registry::KeyKind::Admin)
        .unwrap();
    let get = |query: &str| {
        Request::get(format!("/v1/reports/paths{query}"))
            .header(header::AUTHORIZATION, format!("Bearer {admin}"))
            .body(Body::empty())
            .unwrap()
    };
    let (status, _, body) = h.send(get("?start=a&from=2025-12-01&to=2025-12-03")).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    for (query, message) in [
        ("", "give either start or end"),
        ("?start=a&end=b", "give either start or end"),
        ("?start=a&steps=9", "steps: expected a whole number from 2 to 5, got \"9\""),
        ("?end=3", "end: expected an event name, {\"event\": name} or {\"page\": pattern}, each with an optional \"where\" condition"),
    ] {
        let (status, _, body) = h.send(get(query)).await;
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!((status.as_u16(), body["message"].as_str()), (400, Some(message)), "{query}");
    }
}
