//! The holdout report: named edge cases on SQLite (a test each) and on a real ClickHouse
//! (one server for the table), byte-identical JSON from both stores on a seeded dataset, and
//! the route's answers and refusals.
#![allow(clippy::print_stdout)] // Prints each ClickHouse case and the parity figures.

mod common;

use axum::http::StatusCode;
use common::cases::EdgeCase;
use common::journeys::*;
use serde_json::{json, Value};
use waymark_collector::reports::holdouts::{run, HoldoutQuery};
use waymark_collector::store::EventStore;

const DAY: i64 = 86_400_000;
/// Long after every case's periods have ended.
const LATER: i64 = DAY0 + 60 * DAY;

/// `$survey_shown` of the survey `nps` (the experience every case asks about).
fn shown(anon: u32, at: i64) -> E {
    with(e(anon, "$survey_shown", at), json!({"survey": "nps"}))
}

/// `$experience_not_shown` of `nps` for the holdout.
fn held(anon: u32, at: i64) -> E {
    with(
        e(anon, "$experience_not_shown", at),
        json!({"experience": "nps", "reason": "holdout"}),
    )
}

fn with(mut event: E, properties: Value) -> E {
    event.properties = properties;
    event
}

fn query(pairs: &[(&str, &str)]) -> HoldoutQuery {
    let mut q = HoldoutQuery {
        interval: Some("day".into()),
        periods: Some("3".into()),
        from: Some("2026-11-10".into()),
        to: Some("2026-11-11".into()),
        tz: Some("+00:00".into()),
        ..HoldoutQuery::default()
    };
    for (key, value) in pairs {
        let value = Some((*value).to_owned());
        match *key {
            "return" => q.return_event = value,
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

async fn holdout(store: &dyn EventStore, pairs: &[(&str, &str)], now: i64) -> Value {
    let checked = query(pairs).check(now).expect("a valid query");
    let report = run(
        store,
        "demo".into(),
        "nps".into(),
        Some(0.1),
        true,
        checked,
        now,
    )
    .await
    .expect("a report");
    serde_json::to_value(report).unwrap()
}

/// What a case expects: people per group, the contamination (in both, entered shown,
/// entered held out), and per period (shown people, retained; held-out people, retained).
struct Expect {
    shown: u64,
    held_out: u64,
    in_both: (u64, u64, u64),
    periods: &'static [(u64, u64, u64, u64)],
}

struct Case {
    name: &'static str,
    events: fn() -> Vec<Vec<(u128, E)>>,
    query: &'static [(&'static str, &'static str)],
    now: i64,
    expect: Expect,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            // Held out first, shown later: held out, and in both. Likewise the other way.
            name: "a_person_in_both_groups_counts_where_they_first_entered",
            events: || {
                one_batch(vec![
                    held(1, 0),
                    shown(1, 2 * HOUR),
                    e(1, "invoice_sent", DAY),
                    shown(2, HOUR),
                    held(2, DAY + HOUR),
                    shown(3, HOUR),
                ])
            },
            query: &[],
            now: LATER,
            expect: Expect {
                shown: 2,
                held_out: 1,
                in_both: (2, 1, 1),
                periods: &[(2, 0, 1, 1), (2, 0, 1, 0), (2, 0, 1, 0)],
            },
        },
        Case {
            // The SDK records the holdout on every page: one person, entered at the first.
            name: "a_person_held_out_on_every_page_counts_once",
            events: || {
                one_batch(vec![
                    held(1, 0),
                    held(1, HOUR),
                    held(1, DAY + HOUR),
                    e(1, "invoice_sent", DAY + 2 * HOUR),
                    e(1, "invoice_sent", 2 * DAY),
                ])
            },
            query: &[],
            now: LATER,
            expect: Expect {
                shown: 0,
                held_out: 1,
                in_both: (0, 0, 0),
                periods: &[(0, 0, 1, 1), (0, 0, 1, 1), (0, 0, 1, 0)],
            },
        },
        Case {
            // Browser 1 is held out anonymously, then signs in as u1; browser 2, signed in as
            // u1, is shown the survey and comes back: one person, held out, returned, in both.
            name: "an_identity_merge_joins_both_browsers_into_one_person",
            events: || {
                one_batch(vec![
                    held(1, 0),
                    as_user(e(1, "$identify", HOUR), "u1"),
                    as_user(shown(2, 2 * HOUR), "u1"),
                    as_user(e(2, "invoice_sent", DAY), "u1"),
                ])
            },
            query: &[],
            now: LATER,
            expect: Expect {
                shown: 0,
                held_out: 1,
                in_both: (1, 0, 1),
                periods: &[(0, 0, 1, 1), (0, 0, 1, 0), (0, 0, 1, 0)],
            },
        },
        Case {
            // Shown and held out at the same millisecond: the one stored first is the entry.
            name: "equal_timestamps_keep_the_order_they_were_stored_in",
            events: || {
                one_batch(vec![
                    shown(1, HOUR),
                    held(1, HOUR),
                    held(2, HOUR),
                    shown(2, HOUR),
                    e(2, "invoice_sent", DAY + HOUR),
                ])
            },
            query: &[],
            now: LATER,
            expect: Expect {
                shown: 1,
                held_out: 1,
                in_both: (2, 1, 1),
                periods: &[(1, 0, 1, 1), (1, 0, 1, 0), (1, 0, 1, 0)],
            },
        },
        Case {
            // Person 1 entered the day before the range (and again in it): in no group.
            // Person 2 entered the day after it; person 3 on its last day.
            name: "an_entry_outside_the_range_is_in_no_group",
            events: || {
                one_batch(vec![
                    shown(1, -HOUR),
                    held(1, HOUR),
                    e(1, "invoice_sent", DAY),
                    held(2, 2 * DAY),
                    shown(3, DAY + HOUR),
                    e(3, "invoice_sent", 2 * DAY + HOUR),
                ])
            },
            query: &[],
            now: LATER,
            expect: Expect {
                shown: 1,
                held_out: 0,
                in_both: (0, 0, 0),
                periods: &[(1, 1, 0, 0), (1, 0, 0, 0), (1, 0, 0, 0)],
            },
        },
        Case {
            // By default a return is anything but the SDK's own events; page views count,
            // and a return in the entry's own period is no return.
            name: "by_default_page_views_return_and_the_sdk_events_do_not",
            events: || {
                one_batch(vec![
                    shown(1, 0),
                    with(
                        e(1, "$survey_answered", DAY),
                        json!({"survey": "nps", "question": "q", "question_type": "nps", "value": 9}),
                    ),
                    e(1, "$behavior_scores", DAY),
                    shown(2, 0),
                    page(2, "/invoices", DAY),
                    shown(3, 0),
                    e(3, "invoice_sent", HOUR),
                ])
            },
            query: &[],
            now: LATER,
            expect: Expect {
                shown: 3,
                held_out: 0,
                in_both: (0, 0, 0),
                periods: &[(3, 1, 0, 0), (3, 0, 0, 0), (3, 0, 0, 0)],
            },
        },
        Case {
            // With return=invoice_sent, a page view is no return.
            name: "a_return_event_given_by_the_query_is_the_only_return",
            events: || {
                one_batch(vec![
                    held(1, 0),
                    page(1, "/", DAY),
                    held(2, 0),
                    e(2, "invoice_sent", DAY),
                    held(3, 0),
                    with(e(3, "invoice_sent", 2 * DAY), json!({"plan": "free"})),
                ])
            },
            query: &[(
                "return",
                r#"{"event": "invoice_sent", "where": {"plan": {"$ne": "free"}}}"#,
            )],
            now: LATER,
            expect: Expect {
                shown: 0,
                held_out: 3,
                in_both: (0, 0, 0),
                periods: &[(0, 0, 3, 1), (0, 0, 3, 0), (0, 0, 3, 0)],
            },
        },
        Case {
            // A tour started and content shown with the id are shown too; another
            // experience's events, and not being shown for another reason, are no entry.
            name: "every_kind_of_showing_enters_and_other_events_do_not",
            events: || {
                one_batch(vec![
                    with(e(1, "$tour_started", 0), json!({"tour": "nps"})),
                    with(e(2, "$content_shown", 0), json!({"experience": "nps"})),
                    with(e(3, "$survey_shown", 0), json!({"survey": "other"})),
                    with(
                        e(4, "$experience_not_shown", 0),
                        json!({"experience": "nps", "reason": "cooldown"}),
                    ),
                    with(
                        e(5, "$experience_not_shown", 0),
                        json!({"experience": "other", "reason": "holdout"}),
                    ),
                ])
            },
            query: &[],
            now: LATER,
            expect: Expect {
                shown: 2,
                held_out: 0,
                in_both: (0, 0, 0),
                periods: &[(2, 0, 0, 0), (2, 0, 0, 0), (2, 0, 0, 0)],
            },
        },
        Case {
            // On the third day the second cohort's first period is under way: period 1
            // counts the first cohort alone and is marked incomplete.
            name: "a_period_under_way_is_incomplete_and_its_people_wait",
            events: || {
                one_batch(vec![
                    shown(1, 0),
                    e(1, "invoice_sent", DAY),
                    shown(2, DAY),
                    e(2, "invoice_sent", 2 * DAY),
                ])
            },
            query: &[],
            now: DAY0 + 2 * DAY + HOUR,
            expect: Expect {
                shown: 2,
                held_out: 0,
                in_both: (0, 0, 0),
                periods: &[(1, 1, 0, 0), (0, 0, 0, 0), (0, 0, 0, 0)],
            },
        },
    ]
}

/// Shown people, held-out people, in both, and per period (as in [`Expect`]).
type Summary = (u64, u64, (u64, u64, u64), Vec<(u64, u64, u64, u64)>);

fn summary(report: &Value) -> Summary {
    let n = |v: &Value| v.as_u64().unwrap();
    (
        n(&report["shown"]["people"]),
        n(&report["held_out"]["people"]),
        (
            n(&report["in_both"]["people"]),
            n(&report["in_both"]["entered_shown"]),
            n(&report["in_both"]["entered_held_out"]),
        ),
        report["retention"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    n(&p["shown"]["people"]),
                    n(&p["shown"]["retained"]),
                    n(&p["held_out"]["people"]),
                    n(&p["held_out"]["retained"]),
                )
            })
            .collect(),
    )
}

impl EdgeCase for Case {
    fn name(&self) -> &'static str {
        self.name
    }

    async fn run_on(&self, store: &dyn EventStore) -> Result<(), String> {
        store_all(store, &(self.events)()).await;
        let report = holdout(store, self.query, self.now).await;
        let got = summary(&report);
        let x = &self.expect;
        let expected = (x.shown, x.held_out, x.in_both, x.periods.to_vec());
        if got == expected {
            Ok(())
        } else {
            Err(format!(
                "{}: got {got:?}, expected {expected:?}\n{report:#}",
                self.name
            ))
        }
    }
}

crate::edge_cases!(
    a_person_in_both_groups_counts_where_they_first_entered,
    a_person_held_out_on_every_page_counts_once,
    an_identity_merge_joins_both_browsers_into_one_person,
    equal_timestamps_keep_the_order_they_were_stored_in,
    an_entry_outside_the_range_is_in_no_group,
    by_default_page_views_return_and_the_sdk_events_do_not,
    a_return_event_given_by_the_query_is_the_only_return,
    every_kind_of_showing_enters_and_other_events_do_not,
    a_period_under_way_is_incomplete_and_its_people_wait,
);

/// Checks one figure against a hand computation: the shown rate 2/2, the held-out 1/2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rates_intervals_shares_and_difference_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let store = waymark_collector::SqliteStore::open(&dir.path().join("events.db")).unwrap();
    store_all(
        &store,
        &one_batch(vec![
            shown(1, 0),
            e(1, "invoice_sent", DAY),
            shown(2, 0),
            e(2, "invoice_sent", DAY),
            held(3, 0),
            e(3, "invoice_sent", DAY),
            held(4, 0),
        ]),
    )
    .await;
    let report = holdout(&store, &[("periods", "1")], LATER).await;
    assert_eq!(report["declared_share"], json!(0.1));
    assert_eq!(report["observed_share"], json!(0.5));
    let p = &report["retention"][0];
    assert_eq!(p["incomplete"], json!(false));
    assert_eq!(p["cohorts"], json!(2));
    assert_eq!(p["shown"]["rate"], json!(1.0));
    assert_eq!(p["held_out"]["rate"], json!(0.5));
    // Wilson, 95%: 2 of 2 is [0.3424, 1]; 1 of 2 is [0.0945, 0.9055]. Newcombe:
    // 0.5 - √((1 - 0.3424)² + (0.9055 - 0.5)²) = -0.2726, 0.5 + √(0 + (0.5 - 0.0945)²) = 0.9055.
    let close = |v: &Value, x: f64| (v.as_f64().unwrap() - x).abs() < 1e-4;
    assert!(close(&p["shown"]["interval"]["low"], 0.3424), "{p}");
    assert!(close(&p["held_out"]["interval"]["high"], 0.9055), "{p}");
    assert!(close(&p["difference"]["estimate"], 0.5), "{p}");
    assert!(close(&p["difference"]["interval"]["low"], -0.2726), "{p}");
    assert!(close(&p["difference"]["interval"]["high"], 0.9055), "{p}");
}

/// 300 browsers over two weeks: each shown or held out (some both, some more than once,
/// some signing in as a user another browser shares), at times with ties, coming back with
/// page views and invoicing events, stored out of order and twice.
fn seeded_exposures() -> Vec<Vec<(u128, E)>> {
    const USERS: [&str; 8] = ["u0", "u1", "u2", "u3", "u4", "u5", "u6", "u7"];
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut id = 0u128;
    let mut batches = Vec::new();
    for browser in 0..300u32 {
        let mut at = (rng.below(14 * 24) as i64 - 24) * HOUR;
        let user = (rng.below(4) == 0).then(|| USERS[rng.below(8) as usize]);
        let mut events = Vec::new();
        for n in 0..rng.below(12) + 1 {
            let mut event = match rng.below(6) {
                0 => shown(browser, at),
                1 if n < 3 => held(browser, at),
                2 => page(browser, "/invoices", at),
                3 => with(e(browser, "$tour_started", at), json!({"tour": "nps"})),
                _ => e(browser, "invoice_sent", at),
            };
            if n > 0 {
                event.user = user;
            }
            id += 1;
            events.push((id, event));
            if rng.below(4) != 0 {
                at += rng.below(3 * DAY as u64) as i64;
            }
        }
        send_out_of_order(&mut rng, &events, &mut batches);
    }
    batches
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_clickhouse_give_byte_identical_holdout_reports() {
    let stores = both_stores(&seeded_exposures()).await;
    let (sqlite, clickhouse) = (&stores.sqlite, &stores.clickhouse);
    let range = [("from", "2026-11-09"), ("to", "2026-11-22")];
    for (i, pairs) in [
        vec![],
        vec![("interval", "week"), ("periods", "4")],
        vec![("return", "invoice_sent")],
        vec![("tz", "Europe/Paris"), ("periods", "10")],
    ]
    .into_iter()
    .enumerate()
    {
        let pairs: Vec<(&str, &str)> = range.into_iter().chain(pairs).collect();
        let now = DAY0 + 12 * DAY;
        let a = serde_json::to_string(&holdout(sqlite, &pairs, now).await).unwrap();
        let b = serde_json::to_string(&holdout(clickhouse, &pairs, now).await).unwrap();
        let report: Value = serde_json::from_str(&a).unwrap();
        println!(
            "holdouts {i}: {} shown, {} held out, {} in both",
            report["shown"]["people"], report["held_out"]["people"], report["in_both"]["people"]
        );
        assert!(report["shown"]["people"].as_u64().unwrap() > 20, "{report}");
        assert!(
            report["held_out"]["people"].as_u64().unwrap() > 20,
            "{report}"
        );
        assert!(
            report["in_both"]["people"].as_u64().unwrap() > 0,
            "{report}"
        );
        assert_eq!(a, b, "query {i} differs");
    }
}

const CONFIG: &str = r#"{"experiences": [{"id": "nps", "kind": "survey", "holdout": 0.2,
    "trigger": {"page_view": ["/"]},
    "survey": {"questions": [{"id": "score", "type": "nps", "text": "How likely are you to recommend us?",
        "labels": {"low": "Not likely", "high": "Very likely"}}]}}]}"#;

/// An event of the route tests as the SDK sends it, `n` its id and browser.
fn sent(n: u32, name: &str, ts: u64, properties: Value) -> Value {
    json!({
        "id": format!("019b7a3c-2a10-7000-8000-00000000c00{n}"),
        "name": name,
        "ts": ts,
        "anonymous_id": format!("019b7a3c-2a00-7000-8000-0000000000a{n}"),
        "session_id": format!("019b7a3c-2a00-7000-8000-0000000000b{n}"),
        "properties": properties,
        "context": {"page": {"url": "http://127.0.0.1:8080/", "path": "/"},
                    "sdk": {"name": "waymark-web", "version": "0.1.0"}}
    })
}

#[tokio::test]
async fn the_route_reads_the_declared_share_and_refuses_what_it_cannot_answer() {
    // Two days before the collector's clock (2026-01-01T00:00:05Z).
    let at = common::RECEIVED_AT.0 - 2 * DAY as u64;
    let events = [
        sent(
            1,
            "$experience_not_shown",
            at,
            json!({"experience": "nps", "reason": "holdout"}),
        ),
        sent(2, "$survey_shown", at, json!({"survey": "nps"})),
        sent(3, "$content_shown", at, json!({"experience": "gone"})),
    ];
    let (h, admin) = common::seeded(CONFIG, &events).await;
    let (status, report) =
        common::get_json(&h, "/v1/reports/holdouts/nps?interval=day", Some(&admin)).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["declared_share"], json!(0.2));
    assert_eq!(report["observed_share"], json!(0.5));
    assert_eq!(report["return"], Value::Null);
    assert_eq!(report["shown"]["people"], json!(1));
    // An experience no longer configured is answered from its events, with no share.
    let (status, report) = common::get_json(&h, "/v1/reports/holdouts/gone", Some(&admin)).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["declared_share"], Value::Null);
    assert_eq!(report["shown"]["people"], json!(1));
    for (uri, code, tag, says) in [
        (
            "/v1/reports/holdouts/nobody",
            404,
            "unknown_experience",
            "there is no experience \"nobody\": the active config does not have it and no shown or held-out event names it",
        ),
        (
            "/v1/reports/holdouts/nps?interval=month",
            400,
            "invalid_request",
            "interval: expected day or week, got \"month\"",
        ),
        (
            "/v1/reports/holdouts/nps?periods=0",
            400,
            "invalid_request",
            "periods: expected a whole number from 1 to 60, got \"0\"",
        ),
        (
            "/v1/reports/holdouts/nps?return=%7B%22page%22%3A%22invoices%22%7D",
            400,
            "invalid_request",
            "return: a page pattern is matched against the path and starts with / or *, got \"invoices\"",
        ),
        (
            "/v1/reports/holdouts/nps?from=2026-02-01&to=2026-01-01",
            400,
            "invalid_request",
            "from (2026-02-01) is after to (2026-01-01)",
        ),
    ] {
        let (got, body) = common::get_json(&h, uri, Some(&admin)).await;
        assert_eq!(
            (got.as_u16(), body["error"].as_str(), body["message"].as_str()),
            (code, Some(tag), Some(says)),
            "{uri}"
        );
    }
    let (status, answer) = common::get_json(&h, "/v1/reports/holdouts/nps", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
}
