//! Tour funnels: one scripted tour's events, read on SQLite and on a real ClickHouse, the
//! figures counted by hand and the JSON byte-identical from both stores.

mod common;

use common::journeys::*;
use serde_json::{json, Value};
use time::macros::date;
use waymark_collector::reports::tours::{run, TourQuery};
use waymark_collector::store::EventStore;
use waymark_collector::SqliteStore;

fn tour(anon: u32, name: &'static str, at: i64, extra: Value) -> E {
    let mut event = e(anon, name, at);
    let mut properties = json!({"tour": "onboarding"});
    for (k, v) in extra.as_object().unwrap() {
        properties[k] = v.clone();
    }
    event.properties = properties;
    event
}

/// Three people start the tour: the first sees both steps (the second's target found by its
/// text after the selector failed) and completes it; the second closes it on step 0; the
/// third's step-1 target never appears, and the tour ends with target_missing. Another
/// tour's events and a start outside the range are ignored.
fn events() -> Vec<Vec<(u128, E)>> {
    let view = |step: i64, strategy: &str| json!({"step": step, "step_id": format!("s{step}"), "strategy": strategy});
    one_batch(vec![
        tour(1, "$tour_started", 0, json!({})),
        tour(1, "$step_viewed", 1000, view(0, "selector")),
        tour(
            1,
            "$step_completed",
            2000,
            json!({"step": 0, "via": "button"}),
        ),
        tour(1, "$step_viewed", 3000, view(1, "text")),
        tour(1, "$tour_completed", 4000, json!({})),
        tour(2, "$tour_started", 0, json!({})),
        tour(2, "$step_viewed", 1000, view(0, "selector")),
        tour(
            2,
            "$tour_dismissed",
            5000,
            json!({"step": 0, "step_id": "s0", "reason": "close"}),
        ),
        tour(3, "$tour_started", 0, json!({})),
        tour(3, "$step_viewed", 2000, view(0, "selector")),
        tour(
            3,
            "$step_target_missing",
            9000,
            json!({"step": 1, "step_id": "s1", "waited_ms": 5000, "fallback": "skip"}),
        ),
        tour(
            3,
            "$tour_dismissed",
            9000,
            json!({"step": 1, "step_id": "s1", "reason": "target_missing"}),
        ),
        {
            let mut other = tour(4, "$tour_started", 0, json!({}));
            other.properties = json!({"tour": "another"});
            other
        },
        tour(5, "$tour_started", -86_400_000, json!({})),
    ])
}

async fn report(store: &dyn EventStore) -> Value {
    let query = TourQuery {
        from: Some("2026-11-10".into()),
        to: Some("2026-11-10".into()),
        window: None,
        version: None,
    };
    let report = run(
        store,
        "demo".into(),
        "onboarding".into(),
        query,
        date!(2026 - 11 - 30),
    )
    .await
    .expect("a report");
    serde_json::to_value(report).unwrap()
}

fn check(report: &Value) {
    let counts: Vec<u64> = report["funnel"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["count"].as_u64().unwrap())
        .collect();
    assert_eq!(
        counts,
        [3, 3, 1, 1],
        "started, step 0, step 1, completed\n{report:#}"
    );
    assert_eq!(
        report["dismissals"],
        json!([{"step": 0, "reason": "close", "people": 1}, {"step": 1, "reason": "target_missing", "people": 1}])
    );
    assert_eq!(
        report["targets"],
        json!([
            {"step": 0, "step_id": "s0", "strategies": {"selector": 3}, "missing": 0},
            {"step": 1, "step_id": "s1", "strategies": {"text": 1}, "missing": 1}
        ])
    );
    assert_eq!(report["steps_left_off"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tour_funnel_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("events.db")).unwrap();
    store_all(&store, &events()).await;
    check(&report(&store).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_tour_funnel_on_clickhouse_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(&dir.path().join("events.db")).unwrap();
    store_all(&sqlite, &events()).await;
    let server = common::clickhouse::start_clickhouse().await;
    let clickhouse = clickhouse_store(&server.url, "tours").await;
    store_all(&clickhouse, &events()).await;
    let from_clickhouse = report(&clickhouse).await;
    check(&from_clickhouse);
    assert_eq!(
        serde_json::to_string(&report(&sqlite).await).unwrap(),
        serde_json::to_string(&from_clickhouse).unwrap()
    );
}
