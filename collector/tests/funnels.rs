//! Funnels: the edge cases the peers get wrong, each a named case run against SQLite (a test
//! each) and ClickHouse (one server for the whole table); a property test of the engine
//! against a brute-force reference written here from the definitions; and parity, the same
//! JSON byte for byte from both stores on one seeded dataset.
//!
//! Events are stored through the stores' own `insert`, with the receipt time given, so that
//! both stores hold the same timestamps (`sent_at` equal to the receipt: no skew correction).
#![allow(clippy::print_stdout)] // Prints each ClickHouse case and the parity figures.

mod common;

use common::cases::EdgeCase;
use common::journeys::*;
use serde_json::{json, Value};
use time::macros::date;
use waymark_collector::reports::funnels::{run, FunnelQuery};
use waymark_collector::store::EventStore;

fn query(pairs: &[(&str, &str)]) -> FunnelQuery {
    let mut q = FunnelQuery {
        from: Some("2026-11-10".into()),
        to: Some("2026-11-10".into()),
        window: Some("1h".into()),
        ..FunnelQuery::default()
    };
    for (key, value) in pairs {
        let value = Some((*value).to_owned());
        match *key {
            "steps" => q.steps = value,
            "order" => q.order = value,
            "window" => q.window = value,
            "exclude" => q.exclude = value,
            "from" => q.from = value,
            "to" => q.to = value,
            "count" => q.count = value,
            "by" => q.by = value,
            "interval" => q.interval = value,
            other => panic!("no parameter {other}"),
        }
    }
    q
}

async fn funnel(store: &dyn EventStore, q: FunnelQuery) -> Value {
    let checked = q.check(date!(2026 - 11 - 30)).expect("a valid query");
    let report = run(store, "demo".into(), checked).await.expect("a report");
    serde_json::to_value(report).unwrap()
}

/// What a case must give: units per step, units excluded, and optionally each step's
/// median time from the previous one.
struct Expect {
    steps: &'static [u64],
    excluded: u64,
    medians: Option<&'static [Option<f64>]>,
}

struct Case {
    name: &'static str,
    batches: fn() -> Vec<Vec<(u128, E)>>,
    query: &'static [(&'static str, &'static str)],
    expect: Expect,
}

const AB: (&str, &str) = ("steps", r#"["a", "b"]"#);
const ABC: (&str, &str) = ("steps", r#"["a", "b", "c"]"#);

fn cases() -> Vec<Case> {
    vec![
        Case {
            // Same millisecond: the order they were stored in decides, so person 1 (a then
            // b) converts and person 2 (b then a) does not.
            name: "equal_timestamps_keep_the_order_they_were_stored_in",
            batches: || one_batch(vec![e(1, "a", 0), e(1, "b", 0), e(2, "b", 0), e(2, "a", 0)]),
            query: &[AB],
            expect: Expect {
                steps: &[2, 1],
                excluded: 0,
                medians: Some(&[None, Some(0.0)]),
            },
        },
        Case {
            // One page view matches both steps: it fills the first only.
            name: "one_event_fills_at_most_one_step",
            batches: || {
                one_batch(vec![
                    page(1, "/invoices/1", 0),
                    page(2, "/invoices/1", 0),
                    page(2, "/invoices/2", 1000),
                ])
            },
            query: &[("steps", r#"["$pageview", {"page": "/invoices/*"}]"#)],
            expect: Expect {
                steps: &[2, 1],
                excluded: 0,
                medians: Some(&[None, Some(1000.0)]),
            },
        },
        Case {
            // The first attempt's window closes before b; the second attempt converts.
            name: "re_entry_counts_the_attempt_that_reaches_furthest",
            batches: || {
                one_batch(vec![
                    e(1, "a", 0),
                    e(1, "a", 90 * MIN),
                    e(1, "b", 100 * MIN),
                ])
            },
            query: &[AB],
            expect: Expect {
                steps: &[1, 1],
                excluded: 0,
                medians: Some(&[None, Some(600_000.0)]),
            },
        },
        Case {
            name: "re_entry_counting_attempts_counts_each",
            batches: || {
                one_batch(vec![
                    e(1, "a", 0),
                    e(1, "a", 90 * MIN),
                    e(1, "b", 100 * MIN),
                ])
            },
            query: &[AB, ("count", "attempts")],
            expect: Expect {
                steps: &[2, 1],
                excluded: 0,
                medians: None,
            },
        },
        Case {
            // The window includes its last millisecond, and not one more.
            name: "the_window_boundary_is_inclusive",
            batches: || {
                one_batch(vec![
                    e(1, "a", 0),
                    e(1, "b", HOUR),
                    e(2, "a", 0),
                    e(2, "b", HOUR + 1),
                ])
            },
            query: &[AB],
            expect: Expect {
                steps: &[2, 1],
                excluded: 0,
                medians: Some(&[None, Some(3_600_000.0)]),
            },
        },
        Case {
            // x at the same millisecond as b: stored before b it is between a and b
            // (person 1, excluded); stored after b it is not (person 2, converts).
            name: "an_exclusion_at_the_same_millisecond_as_a_step_is_placed_by_storage_order",
            batches: || {
                one_batch(vec![
                    e(1, "a", 0),
                    e(1, "x", 5000),
                    e(1, "b", 5000),
                    e(2, "a", 0),
                    e(2, "b", 5000),
                    e(2, "x", 5000),
                ])
            },
            query: &[AB, ("exclude", r#"["x"]"#)],
            expect: Expect {
                steps: &[1, 1],
                excluded: 1,
                medians: None,
            },
        },
        Case {
            // After x voids the way through the first b, a second b leads on to c; a person
            // whose only progress past b is voided is excluded.
            name: "an_exclusion_voids_one_way_and_another_way_still_counts",
            batches: || {
                one_batch(vec![
                    e(1, "a", 0),
                    e(1, "b", 1000),
                    e(1, "x", 2000),
                    e(1, "b", 3000),
                    e(1, "c", 4000),
                    e(2, "a", 0),
                    e(2, "b", 1000),
                    e(2, "x", 2000),
                ])
            },
            query: &[ABC, ("exclude", r#"[{"event": "x", "between": [2, 3]}]"#)],
            expect: Expect {
                steps: &[1, 1, 1],
                excluded: 1,
                medians: Some(&[None, Some(3000.0), Some(1000.0)]),
            },
        },
        Case {
            // Browser 1 does a anonymously, signs in as u1; u1's other browser does b. One
            // person, converted; browser 3 never signs in.
            name: "an_identity_merge_between_steps_is_one_person",
            batches: || {
                one_batch(vec![
                    e(1, "a", 0),
                    as_user(e(1, "$identify", 1000), "u1"),
                    as_user(e(2, "b", 2000), "u1"),
                    e(3, "a", 0),
                ])
            },
            query: &[AB],
            expect: Expect {
                steps: &[2, 1],
                excluded: 0,
                medians: Some(&[None, Some(2000.0)]),
            },
        },
        Case {
            // b arrives first, a in a later batch, and b's batch again (the same ids).
            name: "events_arriving_out_of_order_and_as_duplicates_count_once",
            batches: || {
                let b = vec![(1, e(1, "b", 5000))];
                vec![b.clone(), vec![(2, e(1, "a", 0))], b]
            },
            query: &[AB, ("count", "attempts")],
            expect: Expect {
                steps: &[1, 1],
                excluded: 0,
                medians: Some(&[None, Some(5000.0)]),
            },
        },
        Case {
            // Any event between two steps breaks a strict funnel.
            name: "strict_order_allows_nothing_between",
            batches: || {
                one_batch(vec![
                    e(1, "a", 0),
                    e(1, "other", 1000),
                    e(1, "b", 2000),
                    e(2, "a", 0),
                    e(2, "b", 1000),
                ])
            },
            query: &[AB, ("order", "strict")],
            expect: Expect {
                steps: &[2, 1],
                excluded: 0,
                medians: None,
            },
        },
        Case {
            name: "any_order_fills_each_step_once",
            batches: || {
                one_batch(vec![
                    e(1, "b", 0),
                    e(1, "a", 1000),
                    e(2, "a", 0),
                    e(2, "a", 1000),
                ])
            },
            query: &[AB, ("order", "any")],
            expect: Expect {
                steps: &[2, 1],
                excluded: 0,
                medians: Some(&[None, Some(1000.0)]),
            },
        },
        Case {
            // The range bounds entry: b the next day still counts; an a the next day does
            // not enter.
            name: "the_date_range_bounds_entry_only",
            batches: || {
                one_batch(vec![
                    e(1, "a", 24 * HOUR - 1),
                    e(1, "b", 24 * HOUR + 30 * MIN),
                    e(2, "a", 24 * HOUR),
                    e(2, "b", 24 * HOUR + 1),
                ])
            },
            query: &[AB],
            expect: Expect {
                steps: &[1, 1],
                excluded: 0,
                medians: None,
            },
        },
        Case {
            name: "property_conditions_and_page_patterns_select_events",
            batches: || {
                let mut pro = e(1, "signup", 0);
                pro.properties = json!({"plan": "pro", "seats": 5});
                let mut free = e(2, "signup", 0);
                free.properties = json!({"plan": "free", "seats": 1});
                one_batch(vec![
                    pro,
                    page(1, "/invoices/new", 1000),
                    free,
                    page(2, "/settings", 1000),
                ])
            },
            query: &[(
                "steps",
                r#"[{"event": "signup", "where": {"seats": {"$gte": 2}}}, {"page": "/invoices/*"}]"#,
            )],
            expect: Expect {
                steps: &[1, 1],
                excluded: 0,
                medians: None,
            },
        },
    ]
}

#[track_caller]
fn check(case: &Case, report: &Value) -> Result<(), String> {
    let steps: Vec<u64> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["count"].as_u64().unwrap())
        .collect();
    let mut problems = Vec::new();
    if steps != case.expect.steps {
        problems.push(format!("steps {steps:?}, expected {:?}", case.expect.steps));
    }
    if report["excluded"] != json!(case.expect.excluded) {
        problems.push(format!(
            "excluded {}, expected {}",
            report["excluded"], case.expect.excluded
        ));
    }
    if let Some(medians) = case.expect.medians {
        let got: Vec<Option<f64>> = report["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["median_time_ms"].as_f64())
            .collect();
        if got != medians {
            problems.push(format!("medians {got:?}, expected {medians:?}"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}: {}\n{report:#}",
            case.name,
            problems.join("; ")
        ))
    }
}

impl EdgeCase for Case {
    fn name(&self) -> &'static str {
        self.name
    }

    async fn run_on(&self, store: &dyn EventStore) -> Result<(), String> {
        store_all(store, &(self.batches)()).await;
        let report = funnel(store, query(self.query)).await;
        check(self, &report)
    }
}

crate::edge_cases!(
    equal_timestamps_keep_the_order_they_were_stored_in,
    one_event_fills_at_most_one_step,
    re_entry_counts_the_attempt_that_reaches_furthest,
    re_entry_counting_attempts_counts_each,
    the_window_boundary_is_inclusive,
    an_exclusion_at_the_same_millisecond_as_a_step_is_placed_by_storage_order,
    an_exclusion_voids_one_way_and_another_way_still_counts,
    an_identity_merge_between_steps_is_one_person,
    events_arriving_out_of_order_and_as_duplicates_count_once,
    strict_order_allows_nothing_between,
    any_order_fills_each_step_once,
    the_date_range_bounds_entry_only,
    property_conditions_and_page_patterns_select_events,
);

// ---------------------------------------------------------------------------------------
// Parity: one seeded dataset, the same JSON from both stores.

/// The funnels compared: every order and counting, exclusions, patterns, conditions, a
/// breakdown and weekly periods.
fn parity_queries() -> Vec<FunnelQuery> {
    let range = [("from", "2026-11-10"), ("to", "2026-11-16")];
    let mut list = [
        vec![
            ("steps", r#"["signup", "invoice_created", "invoice_sent"]"#),
            ("window", "2d"),
        ],
        vec![
            ("steps", r#"["signup", "invoice_created", "invoice_sent"]"#),
            ("window", "2d"),
            ("count", "attempts"),
            ("by", "plan"),
        ],
        vec![
            (
                "steps",
                r#"["$pageview", {"page": "/invoices/*"}, "invoice_sent"]"#,
            ),
            ("window", "1d"),
            ("order", "strict"),
        ],
        vec![
            (
                "steps",
                r#"["invoice_created", "export_completed", {"page": "/plans"}]"#,
            ),
            ("window", "3d"),
            ("order", "any"),
            ("by", "plan"),
            ("interval", "week"),
        ],
        vec![
            (
                "steps",
                r#"[{"event": "signup", "where": {"plan": {"$in": ["pro", "team"]}}}, "invoice_created", "invoice_sent", "export_completed"]"#,
            ),
            ("window", "4d"),
            (
                "exclude",
                r#"[{"event": "downgraded", "between": [2, 4]}, {"page": "/plans", "between": [1, 2]}]"#,
            ),
        ],
        vec![
            ("steps", r#"["$pageview", "$pageview", "$pageview"]"#),
            ("window", "90m"),
            ("count", "attempts"),
            ("interval", "week"),
        ],
    ];
    list.iter_mut()
        .map(|pairs| {
            pairs.extend(range);
            query(pairs)
        })
        .collect()
}

async fn all_reports(store: &dyn EventStore) -> Vec<String> {
    let mut reports = Vec::new();
    for q in parity_queries() {
        reports.push(serde_json::to_string(&funnel(store, q).await).unwrap());
    }
    reports
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_clickhouse_give_byte_identical_funnels() {
    let stores = both_stores(&seeded()).await;
    let (sqlite, clickhouse) = (&stores.sqlite, &stores.clickhouse);
    let (a, b) = (all_reports(sqlite).await, all_reports(clickhouse).await);
    for (i, (s, c)) in a.iter().zip(&b).enumerate() {
        let report: Value = serde_json::from_str(s).unwrap();
        let counts: Vec<&Value> = report["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| &s["count"])
            .collect();
        println!(
            "funnel {i}: steps {counts:?}, excluded {}",
            report["excluded"]
        );
        assert_eq!(s, c, "funnel {i} differs between SQLite and ClickHouse");
    }
    // Not a dataset that proves nothing: every funnel has people, most convert somewhere.
    for s in &a {
        let report: Value = serde_json::from_str(s).unwrap();
        assert!(
            report["steps"][0]["count"].as_u64().unwrap() > 5,
            "{report}"
        );
        assert!(
            report["steps"][1]["count"].as_u64().unwrap() > 0,
            "{report}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Over HTTP: who may read it, and what a bad query gets.

async fn over_http(h: &common::Harness, query: &str, key: Option<&str>) -> (u16, Value) {
    use axum::body::Body;
    use axum::http::{header, Request};
    let mut request = Request::get(format!("/v1/reports/funnels{query}"));
    if let Some(key) = key {
        request = request.header(header::AUTHORIZATION, format!("Bearer {key}"));
    }
    let (status, _, body) = h.send(request.body(Body::empty()).unwrap()).await;
    (
        status.as_u16(),
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn only_the_admin_key_reads_funnels_and_a_bad_query_names_its_problem() {
    let h = common::harness();
    let steps = "steps=%5B%22a%22%2C%22b%22%5D"; // ["a","b"]
    let (status, body) = over_http(&h, &format!("?{steps}"), Some(common::KEY)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("admin_key_required"))
    );
    let admin = h
        .registry
        .rotate("demo", waymark_collector::registry::KeyKind::Admin)
        .unwrap();
    let (status, body) = over_http(
        &h,
        &format!("?{steps}&from=2025-12-01&to=2025-12-31"),
        Some(&admin),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["steps"][0]["count"], 0);
    assert_eq!(body["over_time"]["periods"].as_array().unwrap().len(), 31);
    for (query, message) in [
        ("", "steps: required, a JSON array of 2 to 20 steps"),
        ("?steps=a", "steps: expected a JSON array"),
        ("?steps=%5B%22a%22%5D", "steps: a funnel has 2 to 20 steps, got 1"),
        (&format!("?{steps}&window=7"), "window: expected a whole number and m, h or d (such as 14d), got \"7\""),
        (&format!("?{steps}&window=400d"), "window: 400d is longer than 366 days"),
        (&format!("?{steps}&order=loose"), "order: expected ordered, strict or any, got \"loose\""),
        (&format!("?{steps}&order=any&exclude=%5B%22x%22%5D"), "exclude: exclusions are between two steps, which an any-order funnel does not have"),
        (
            &format!("?{steps}&exclude=%5B%7B%22event%22%3A%22x%22%2C%22between%22%3A%5B2%2C1%5D%7D%5D"),
            "exclude[0]: between is two steps, the first before the second, from 1 to 2; got [2, 1]",
        ),
        ("?steps=%5B%22a%22%2C%7B%22page%22%3A%22invoices%22%7D%5D", "steps[1]: a page pattern is matched against the path and starts with / or *, got \"invoices\""),
        (&format!("?{steps}&by="), "by: the property name is empty"),
    ] {
        let (status, body) = over_http(&h, query, Some(&admin)).await;
        assert_eq!(
            (status, body["error"].as_str(), body["message"].as_str()),
            (400, Some("invalid_request"), Some(message)),
            "{query}"
        );
    }
}
