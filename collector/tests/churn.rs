//! The churn-risk reports: named edge cases on SQLite (a test each) and on a real ClickHouse
//! (one server for the table), each answered byte for byte as on SQLite.
#![allow(clippy::print_stdout)] // Prints each ClickHouse case.

mod common;

use common::journeys::*;
use serde_json::{json, Value};
use time::macros::date;
use waymark_collector::reports::churn::{run, run_people, ChurnQuery};
use waymark_collector::store::EventStore;
use waymark_collector::SqliteStore;

const DAY: i64 = 86_400_000;

/// A `$behavior_scores` event with these two scores and one term.
fn scores(anon: u32, at: i64, churn_risk: f64, engagement: f64) -> E {
    let mut event = e(anon, "$behavior_scores", at);
    event.properties = json!({"churn_risk": churn_risk, "engagement": engagement, "days_away": 4});
    event
}

fn nps(anon: u32, at: i64, value: i64) -> E {
    let mut event = e(anon, "$survey_answered", at);
    event.properties =
        json!({"survey": "nps", "question": "q", "question_type": "nps", "value": value});
    event
}

fn query(pairs: &[(&str, &str)]) -> ChurnQuery {
    let mut q = ChurnQuery {
        from: Some("2026-11-10".into()),
        to: Some("2026-11-12".into()),
        ..ChurnQuery::default()
    };
    for (key, value) in pairs {
        let value = Some((*value).to_owned());
        match *key {
            "min_risk" => q.min_risk = value,
            "limit" => q.limit = value,
            "cursor" => q.cursor = value,
            "from" => q.from = value,
            other => panic!("no parameter {other}"),
        }
    }
    q
}

/// Both reports for a query, as JSON.
async fn reports(store: &dyn EventStore, pairs: &[(&str, &str)]) -> (Value, Value) {
    let today = date!(2026 - 11 - 30);
    let distribution = run(store, "demo".into(), query(pairs), today)
        .await
        .expect("a distribution");
    let people = run_people(store, "demo".into(), query(pairs), today)
        .await
        .expect("a list");
    (
        serde_json::to_value(distribution).unwrap(),
        serde_json::to_value(people).unwrap(),
    )
}

fn counts(report: &Value, score: &str) -> Vec<u64> {
    report[score]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["people"].as_u64().unwrap())
        .collect()
}

fn listed(report: &Value) -> Vec<(String, f64)> {
    report["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["person"].as_str().unwrap().to_owned(),
                p["churn_risk"].as_f64().unwrap(),
            )
        })
        .collect()
}

fn anon(n: u32) -> String {
    uuid::Uuid::from_u128(0x019b_7a3c_2a00_7000_8000_0000_0000_0000 + u128::from(n)).to_string()
}

struct Case {
    name: &'static str,
    events: fn() -> Vec<Vec<(u128, E)>>,
    query: &'static [(&'static str, &'static str)],
    check: fn(&Value, &Value),
}

const CASES: &[Case] = &[
    Case {
        name: "a_person_counts_once_with_their_last_scores_in_the_range",
        events: || {
            one_batch(vec![
                scores(1, 0, 0.8, 0.1),
                scores(1, DAY, 0.35, 0.72),
                scores(2, HOUR, 1.0, 0.0),
            ])
        },
        query: &[("min_risk", "0")],
        check: |distribution, people| {
            assert_eq!(distribution["people"], 2);
            assert_eq!(
                counts(distribution, "churn_risk"),
                [0, 0, 0, 1, 0, 0, 0, 0, 0, 1]
            );
            assert_eq!(
                counts(distribution, "engagement"),
                [1, 0, 0, 0, 0, 0, 0, 1, 0, 0]
            );
            assert_eq!(listed(people), [(anon(2), 1.0), (anon(1), 0.35)]);
            assert_eq!(people["people"][1]["last_seen"], DAY0 + DAY);
            assert_eq!(people["people"][1]["terms"]["days_away"], 4);
        },
    },
    Case {
        name: "scores_outside_the_range_make_no_one_active_but_an_earlier_nps_answer_is_kept",
        events: || {
            one_batch(vec![
                nps(1, -5 * DAY, 3),
                scores(1, -DAY, 0.9, 0.2),
                scores(1, 0, 0.6, 0.4),
                scores(2, -DAY, 0.9, 0.2),
                scores(3, 3 * DAY, 0.9, 0.2),
            ])
        },
        query: &[],
        check: |distribution, people| {
            assert_eq!(distribution["people"], 1, "only the first person, in range");
            assert_eq!(listed(people), [(anon(1), 0.6)]);
            assert_eq!(
                people["people"][0]["last_nps"],
                json!({"survey": "nps", "score": 3.0, "at": DAY0 - 5 * DAY})
            );
        },
    },
    Case {
        name: "an_identity_merge_makes_two_browsers_one_person_with_the_later_scores",
        events: || {
            one_batch(vec![
                scores(1, 0, 0.7, 0.3),
                as_user(e(1, "$identify", MIN), "ana"),
                as_user(scores(2, HOUR, 0.55, 0.5), "ana"),
                as_user(nps(2, 2 * HOUR, 9), "ana"),
            ])
        },
        query: &[],
        check: |distribution, people| {
            assert_eq!(distribution["people"], 1);
            assert_eq!(listed(people), [("ana".to_owned(), 0.55)]);
            assert_eq!(people["people"][0]["last_nps"]["score"], 9.0);
        },
    },
    Case {
        name: "equal_timestamps_take_the_scores_stored_last",
        events: || one_batch(vec![scores(1, HOUR, 0.9, 0.1), scores(1, HOUR, 0.6, 0.2)]),
        query: &[],
        check: |_, people| assert_eq!(listed(people), [(anon(1), 0.6)]),
    },
    Case {
        name: "unreadable_scores_are_counted_and_not_used",
        events: || {
            let mut broken = scores(2, 0, 0.0, 0.0);
            broken.properties = json!({"churn_risk": "high", "engagement": 0.2});
            let mut out_of_range = scores(3, 0, 0.0, 0.0);
            out_of_range.properties = json!({"churn_risk": 1.5, "engagement": 0.2});
            one_batch(vec![scores(1, 0, 0.9, 0.1), broken, out_of_range])
        },
        query: &[],
        check: |distribution, people| {
            assert_eq!(distribution["people"], 1);
            assert_eq!(distribution["unreadable"], 2);
            assert_eq!(listed(people), [(anon(1), 0.9)]);
        },
    },
    Case {
        name: "people_at_risk_are_listed_highest_first_ties_by_person_above_the_threshold",
        events: || {
            one_batch(vec![
                scores(1, 0, 0.5, 0.1),
                scores(2, 0, 0.75, 0.1),
                scores(3, 0, 0.49, 0.1),
                scores(4, 0, 0.75, 0.1),
            ])
        },
        query: &[],
        check: |distribution, people| {
            assert_eq!(distribution["people"], 4);
            let mut tied = [anon(2), anon(4)];
            tied.sort();
            assert_eq!(
                listed(people),
                [
                    (tied[0].clone(), 0.75),
                    (tied[1].clone(), 0.75),
                    (anon(1), 0.5)
                ],
                "0.49 is under the default 0.5"
            );
            assert_eq!(people["total"], 3);
            assert_eq!(people["next_cursor"], Value::Null);
        },
    },
];

async fn run_case_on(store: &dyn EventStore, case: &Case) -> (Value, Value) {
    store_all(store, &(case.events)()).await;
    let (distribution, people) = reports(store, case.query).await;
    (case.check)(&distribution, &people);
    (distribution, people)
}

async fn sqlite_case(name: &str) {
    let case = CASES.iter().find(|c| c.name == name).expect("a case");
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("events.db")).unwrap();
    run_case_on(&store, case).await;
}

macro_rules! sqlite_cases {
    ($($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                sqlite_case(stringify!($name)).await;
            }
        )*
        #[test]
        fn every_case_has_its_sqlite_test() {
            let named = [$(stringify!($name)),*];
            for case in CASES {
                assert!(named.contains(&case.name), "{} has no test", case.name);
            }
        }
    };
}

sqlite_cases!(
    a_person_counts_once_with_their_last_scores_in_the_range,
    scores_outside_the_range_make_no_one_active_but_an_earlier_nps_answer_is_kept,
    an_identity_merge_makes_two_browsers_one_person_with_the_later_scores,
    equal_timestamps_take_the_scores_stored_last,
    unreadable_scores_are_counted_and_not_used,
    people_at_risk_are_listed_highest_first_ties_by_person_above_the_threshold,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_follow_the_cursor_without_repeating_or_skipping_anyone() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("events.db")).unwrap();
    let risks = [0.9, 0.8, 0.8, 0.8, 0.7, 0.6, 0.55];
    let events = risks
        .iter()
        .enumerate()
        .map(|(i, r)| scores(i as u32 + 1, HOUR, *r, 0.2))
        .collect();
    store_all(&store, &one_batch(events)).await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut pairs = vec![("limit", "3")];
        if let Some(c) = &cursor {
            pairs.push(("cursor", c.as_str()));
        }
        let (_, page) = reports(&store, &pairs).await;
        assert_eq!(page["total"], 7);
        seen.extend(listed(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let mut whole = seen.clone();
    whole.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    whole.dedup();
    assert_eq!(seen.len(), 7, "{seen:?}");
    assert_eq!(seen, whole, "in order, each once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_parameters_are_refused_with_what_was_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("events.db")).unwrap();
    let today = date!(2026 - 11 - 30);
    for (pairs, words) in [
        (&[("min_risk", "1.5")][..], "min_risk"),
        (&[("limit", "0")][..], "limit"),
        (&[("limit", "501")][..], "limit"),
        (&[("cursor", "nonsense")][..], "cursor"),
        (&[("from", "2026-11-20")][..], "after"),
    ] {
        let error = run_people(&store, "demo".into(), query(pairs), today)
            .await
            .expect_err("refused");
        assert!(error.to_string().contains(words), "{pairs:?}: {error}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_case_on_clickhouse_byte_for_byte_as_on_sqlite() {
    let server = common::clickhouse::start_clickhouse().await;
    for (i, case) in CASES.iter().enumerate() {
        println!("clickhouse: {}", case.name);
        let dir = tempfile::tempdir().unwrap();
        let sqlite = SqliteStore::open(&dir.path().join("events.db")).unwrap();
        let from_sqlite = run_case_on(&sqlite, case).await;
        let clickhouse = clickhouse_store(&server.url, &format!("churn_{i}")).await;
        let from_clickhouse = run_case_on(&clickhouse, case).await;
        assert_eq!(
            serde_json::to_string(&from_sqlite).unwrap(),
            serde_json::to_string(&from_clickhouse).unwrap(),
            "{}",
            case.name
        );
    }
}
