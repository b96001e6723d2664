//! Two collector replicas on one real ClickHouse server: overlapping and retried batches sent
//! to both are stored once, and the event, experiment and survey reports match the SQLite
//! backend's on the same data.
//!
//! Needs Debian's `clickhouse-server` (`/usr/sbin/clickhouse-server`, or the path in
//! `WAYMARK_CLICKHOUSE_SERVER`); `scripts/test` installs it. The test starts its own server on
//! free loopback ports with a throw-away data folder and stops it by PID.
#![allow(clippy::print_stdout)] // Prints the row counts before and after merging.

use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use waymark_core::protocol::survey::ANSWERED;

mod common;

use common::clickhouse::start_clickhouse;

const KEY: &str = "pk_test_clickhouse";
const DAY: u64 = 86_400_000;

/// A collector process, stopped when dropped.
struct Collector {
    child: Child,
    url: String,
    admin_key: String,
}

impl Drop for Collector {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_collector(db: &Path, storage: &[&str]) -> Collector {
    let spawned = common::spawn_collector(db, &format!("demo={KEY}"), storage);
    Collector {
        child: spawned.child,
        url: format!("http://{}", spawned.address),
        admin_key: spawned
            .admin_key
            .expect("the new project's admin key is printed"),
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// The scripted population: six browsers over three days; three of them sign in, two of
/// them as the same person. `sent_at` is now, so each event lands on its own day.
fn events(now: u64) -> Vec<Value> {
    let today = now - now % DAY;
    let anonymous = |n: u64| format!("019b7a3c-0000-7000-8000-0000000000a{n}");
    let mut events = Vec::new();
    let mut seq = 0u64;
    let mut push = |name: &str, browser: u64, user: Option<&str>, day: u64| {
        seq += 1;
        let mut event = json!({
            "id": format!("019b7a3c-{:04x}-7000-8000-{seq:012x}", day),
            "name": name,
            "ts": today - day * DAY + DAY / 2 + seq * 1000,
            "anonymous_id": anonymous(browser),
            "session_id": format!("019b7a3c-0000-7000-8000-0000000000b{browser}"),
            "properties": {"seq": seq},
            "context": {"page": {"url": "https://app.test/", "path": "/"}, "sdk": {"name": "test", "version": "0"}}
        });
        if let Some(user) = user {
            event["user_id"] = json!(user);
        }
        if name == "$identify" {
            event["traits"] = json!({"plan": "pro"});
        }
        events.push(event);
    };
    for day in [3u64, 2, 1] {
        for browser in 1..=6 {
            for _ in 0..4 {
                push("$pageview", browser, None, day);
            }
            push("invoice_created", browser, None, day);
        }
    }
    push("$identify", 1, Some("u1"), 2);
    push("$identify", 2, Some("u1"), 2);
    push("$identify", 3, Some("u2"), 1);
    for day in [2u64, 1] {
        push("export_completed", 1, Some("u1"), day);
        push("export_completed", 3, Some("u2"), day);
    }
    events
}

fn batch(events: &[Value], now: u64) -> String {
    json!({"key": KEY, "sent_at": now, "events": events}).to_string()
}

async fn post(client: &reqwest::Client, collector: &str, body: String) -> Value {
    let response = client
        .post(format!("{collector}/v1/batch"))
        .header("content-type", "text/plain")
        .body(body)
        .send()
        .await
        .expect("the collector answers");
    let status = response.status();
    let answer: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(status, 200, "{answer}");
    answer
}

/// `GET /v1/reports/{path}` with the admin key; the body, which must come with a 200.
async fn report(client: &reqwest::Client, collector: &Collector, path: &str) -> Value {
    let response = client
        .get(format!("{}/v1/reports/{path}", collector.url))
        .bearer_auth(&collector.admin_key)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(status, 200, "{path}: {body}");
    body
}

/// A survey report without what depends on the moment each store received the batch: each
/// stored timestamp is corrected for clock skew by the receiving collector's own clock, so
/// SQLite's and ClickHouse's differ by the milliseconds between their receipts. The open
/// text answers lose their `timestamp`, and `next_cursor` (which encodes one) becomes
/// whether there is one.
fn comparable(mut report: Value) -> Value {
    if let Some(answers) = report["text"]["answers"].as_array_mut() {
        for answer in answers {
            answer.as_object_mut().unwrap().remove("timestamp");
        }
    }
    report["text"]["next_cursor"] = json!(!report["text"]["next_cursor"].is_null());
    report
}

/// The open text answers of every page from `path` on, following `next_cursor`.
async fn all_pages(client: &reqwest::Client, collector: &Collector, path: &str) -> Vec<Value> {
    let mut answers = Vec::new();
    let mut next = path.to_owned();
    for _ in 0..20 {
        let page = report(client, collector, &format!("surveys/{next}")).await;
        answers.push(comparable(page.clone())["text"]["answers"].clone());
        match page["text"]["next_cursor"].as_str() {
            Some(cursor) => next = format!("{path}&cursor={cursor}"),
            None => return answers,
        }
    }
    panic!("{path}: the pages do not end");
}

async fn publish(client: &reqwest::Client, collector: &Collector, config: &str) {
    let response = client
        .put(format!("{}/v1/admin/config", collector.url))
        .bearer_auth(&collector.admin_key)
        .header("content-type", "application/json")
        .body(config.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

/// Runs a statement on ClickHouse and returns its answer, failing the test (with
/// ClickHouse's message) if it is refused.
async fn clickhouse_exec(client: &reqwest::Client, url: &str, sql: &str) -> String {
    let response = client
        .post(url)
        .query(&[("database", "waymark")])
        .body(sql.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(status.is_success(), "{sql}: {status} {text}");
    text
}

async fn clickhouse_count(client: &reqwest::Client, url: &str, sql: &str) -> u64 {
    let text = clickhouse_exec(client, url, sql).await;
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("{sql}: {text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_store_each_event_once_and_report_as_sqlite_does() {
    let clickhouse = start_clickhouse().await;
    let dir = tempfile::tempdir().unwrap();
    let on_clickhouse = [
        "--storage",
        "clickhouse",
        "--clickhouse-url",
        &clickhouse.url,
    ];
    let a = start_collector(&dir.path().join("a.db"), &on_clickhouse);
    let b = start_collector(&dir.path().join("b.db"), &on_clickhouse);
    let sqlite = start_collector(&dir.path().join("sqlite.db"), &[]);
    let client = reqwest::Client::new();

    let now = now_ms();
    let all = events(now);
    let chunks: Vec<&[Value]> = all.chunks(10).collect();
    // Every batch goes to both replicas at once; every third is retried on A; and batches
    // made of the end of one and the start of the next go to B.
    let mut sends = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        let body = batch(chunk, now);
        sends.push((a.url.clone(), body.clone()));
        sends.push((b.url.clone(), body.clone()));
        if i % 3 == 0 {
            sends.push((a.url.clone(), body));
        }
        if let Some(next) = chunks.get(i + 1) {
            let overlap: Vec<Value> = chunk[5..].iter().chain(&next[..5]).cloned().collect();
            sends.push((b.url.clone(), batch(&overlap, now)));
        }
    }
    let answers = futures_util::future::join_all(sends.into_iter().map(|(url, body)| {
        let client = client.clone();
        async move { post(&client, &url, body).await }
    }))
    .await;
    let mut stored_ids = std::collections::HashSet::new();
    for answer in &answers {
        for result in answer["results"].as_array().unwrap() {
            let status = result["status"].as_str().unwrap();
            assert!(status == "ok" || status == "duplicate", "{answer}");
            if status == "ok" {
                stored_ids.insert(result["id"].as_str().unwrap().to_owned());
            }
        }
    }
    assert_eq!(
        stored_ids.len(),
        all.len(),
        "every event was stored somewhere"
    );
    for chunk in &chunks {
        post(&client, &sqlite.url, batch(chunk, now)).await;
    }

    // Whether the replicas raced or not, make sure copies exist: write a second copy of some
    // stored rows, as a replica that lost the race would have. Background merges are
    // stopped meanwhile: one could otherwise merge the copies away before they are counted.
    clickhouse_exec(&client, &clickhouse.url, "SYSTEM STOP MERGES events").await;
    clickhouse_exec(
        &client,
        &clickhouse.url,
        "INSERT INTO events SELECT * FROM events WHERE name = 'invoice_created'",
    )
    .await;

    // Stored once: after deduplication, each id once and all of them.
    let unique = clickhouse_count(
        &client,
        &clickhouse.url,
        "SELECT count() FROM events FINAL WHERE project = 'demo'",
    )
    .await;
    let twice = clickhouse_count(
        &client,
        &clickhouse.url,
        "SELECT count() FROM (SELECT id, count() AS c FROM events FINAL GROUP BY project, id HAVING c > 1)",
    )
    .await;
    let rows = clickhouse_count(&client, &clickhouse.url, "SELECT count() FROM events").await;
    println!(
        "clickhouse: {} events sent {} times in all; {rows} rows before merging, {unique} after",
        all.len(),
        answers.len()
    );
    assert!(
        rows >= all.len() as u64 + 18,
        "the copies are there before merging"
    );
    assert_eq!((unique, twice), (all.len() as u64, 0));
    clickhouse_exec(&client, &clickhouse.url, "SYSTEM START MERGES events").await;
    // Merged on disk too, not only at read time. OPTIMIZE quietly does nothing while a
    // background merge holds the parts (which happens after many small inserts), so it is
    // asked again until the rows are merged, within a deadline.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        client
            .post(&clickhouse.url)
            .query(&[("database", "waymark")])
            .body("OPTIMIZE TABLE events FINAL")
            .send()
            .await
            .unwrap();
        let merged = clickhouse_count(&client, &clickhouse.url, "SELECT count() FROM events").await;
        if merged == all.len() as u64 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "after OPTIMIZE, {merged} rows are left; expected {}",
            all.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // The same report from either replica and from SQLite, with the figures counted by hand:
    // 6 browsers are 5 people (two signed in as u1).
    let today = now - now % DAY;
    let day = |n: u64| {
        time::OffsetDateTime::from_unix_timestamp(((today - n * DAY) / 1000) as i64)
            .unwrap()
            .date()
            .to_string()
    };
    let query = format!("events?from={}&to={}", day(4), day(0));
    let from_sqlite = report(&client, &sqlite, &query).await;
    assert_eq!(
        from_sqlite["totals"],
        json!({"events": all.len(), "persons": 5})
    );
    let days: Vec<(&str, u64, u64)> = from_sqlite["by_day"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["day"].as_str().unwrap(),
                d["events"].as_u64().unwrap(),
                d["persons"].as_u64().unwrap(),
            )
        })
        .collect();
    let (d4, d3, d2, d1, d0) = (day(4), day(3), day(2), day(1), day(0));
    assert_eq!(
        days,
        vec![
            (d4.as_str(), 0, 0),
            (d3.as_str(), 30, 5),
            (d2.as_str(), 34, 5),
            (d1.as_str(), 33, 5),
            (d0.as_str(), 0, 0),
        ]
    );
    assert_eq!(
        from_sqlite["by_name"][0],
        json!({"name": "$pageview", "events": 72, "persons": 5})
    );
    for replica in [&a, &b] {
        assert_eq!(report(&client, replica, &query).await, from_sqlite);
        let exports = format!("{query}&name=export_completed");
        assert_eq!(
            report(&client, replica, &exports).await,
            report(&client, &sqlite, &exports).await
        );
    }

    // The experiment report: the shared experiment's events (anchored on yesterday's
    // midnight, so that one goal falls on today), sent to one replica and to SQLite, and a
    // second copy of every exposure row, as a replica that lost a race would have written;
    // both replicas answer. Not sent to both: each collector corrects the clock skew from
    // its own receipt, so two replicas' copies of one batch differ by a few milliseconds,
    // FINAL keeps either copy of each event, and b4's conversion at the very millisecond of
    // its exposure then depended on which (1 run in 6 counted it lost).
    let experiment = common::experiment_seed::experiment_events((today - DAY) as i64);
    for collector in [&a, &b, &sqlite] {
        publish(&client, collector, common::experiment_seed::PRICING_CONFIG).await;
    }
    let body = batch(&experiment, now);
    futures_util::future::join_all(
        [&a, &sqlite].map(|collector| post(&client, &collector.url, body.clone())),
    )
    .await;
    clickhouse_exec(
        &client,
        &clickhouse.url,
        "INSERT INTO events SELECT * FROM events WHERE name = '$exposure'",
    )
    .await;
    let paths = [
        "pricing-test".to_owned(),
        "pricing-test?goal=plan_selected".to_owned(),
        format!("pricing-test?from={}&to={}", day(2), day(2)),
        format!("pricing-test?from={}", day(1)),
        "hero-copy?goal=signup_completed".to_owned(),
    ];
    for path in &paths {
        let from_sqlite = report(&client, &sqlite, &format!("experiments/{path}")).await;
        for replica in [&a, &b] {
            assert_eq!(
                report(&client, replica, &format!("experiments/{path}")).await,
                from_sqlite,
                "{path}"
            );
        }
    }
    // The figures themselves are checked in tests/experiments.rs; here, that they are not
    // trivially equal: (exposures, conversions) per variant, counted by hand.
    let per_variant = |report: &Value| -> Vec<(u64, u64)> {
        report["variants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["exposures"].as_u64().unwrap(),
                    v["conversions"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let mut counted = Vec::new();
    for path in &paths {
        counted.push(per_variant(
            &report(&client, &a, &format!("experiments/{path}")).await,
        ));
    }
    assert_eq!(
        counted,
        [
            vec![(3, 1), (5, 3)],
            vec![(3, 0), (5, 1)],
            vec![(3, 1), (5, 2)],
            vec![(0, 0), (0, 0)],
            vec![(1, 1), (2, 1)],
        ]
    );
    assert_eq!(
        report(&client, &b, "experiments/pricing-test").await["mixed_exposures"],
        2
    );

    // The survey report: the shared survey's events (anchored on yesterday's midnight, so
    // its days A and B are 3 and 2 days ago), sent to both replicas and to SQLite, and a
    // second copy of every answer row, as a replica that lost a race would have written.
    let survey = common::survey_seed::survey_events((today - DAY) as i64);
    for collector in [&a, &b, &sqlite] {
        publish(&client, collector, common::survey_seed::SURVEY_CONFIG).await;
    }
    let body = batch(&survey, now);
    futures_util::future::join_all(
        [&a, &b, &sqlite].map(|collector| post(&client, &collector.url, body.clone())),
    )
    .await;
    clickhouse_exec(
        &client,
        &clickhouse.url,
        &format!("INSERT INTO events SELECT * FROM events WHERE name = '{ANSWERED}'"),
    )
    .await;
    let (configured, unconfigured) = (
        common::survey_seed::SURVEY,
        common::survey_seed::UNCONFIGURED,
    );
    let paths = [
        configured.to_owned(),
        format!("{configured}?by=plan"),
        format!("{configured}?by=seats"),
        format!("{configured}?from={}&to={}", day(2), day(2)),
        format!("{configured}?from={}&to={}", day(45), day(30)),
        unconfigured.to_owned(),
        format!("{unconfigured}?by=plan"),
    ];
    for path in &paths {
        let from_sqlite = comparable(report(&client, &sqlite, &format!("surveys/{path}")).await);
        for replica in [&a, &b] {
            assert_eq!(
                comparable(report(&client, replica, &format!("surveys/{path}")).await),
                from_sqlite,
                "{path}"
            );
        }
    }
    for path in [
        format!("{configured}?limit=2"),
        format!("{configured}?limit=2&question=why"),
    ] {
        let from_sqlite = all_pages(&client, &sqlite, &path).await;
        assert_eq!(from_sqlite.len(), 3, "{path}");
        for replica in [&a, &b] {
            assert_eq!(
                all_pages(&client, replica, &path).await,
                from_sqlite,
                "{path}"
            );
        }
    }
    // The figures themselves are checked in tests/surveys.rs; here, that they are not
    // trivially equal: counted by hand from the seed's table.
    let figures = report(&client, &a, &format!("surveys/{configured}")).await;
    let picked: Vec<&Value> = [
        "shown",
        "responses",
        "completed",
        "dismissed",
        "people",
        "counted_answers",
        "superseded_answers",
        "ignored_answers",
    ]
    .iter()
    .map(|k| &figures[k])
    .collect();
    assert_eq!(
        picked,
        [14, 10, 8, 5, 9, 42, 4, 7]
            .map(|n| json!(n))
            .iter()
            .collect::<Vec<_>>()
    );
    assert_eq!(figures["questions"][0]["score"], json!(30.0));
    assert_eq!(
        figures["questions"][4]["choices"][2],
        json!({"choice": "café \"beta\"", "count": 1, "pct": 25.0})
    );
    assert_eq!(
        figures["text"]["answers"][3]["value"],
        "Love the \"reports\" tab\nand the exports"
    );
    // In this project u2 was identified again (by the event population above, a day ago)
    // with plan pro, so r02 counts in pro rather than free.
    let groups: Vec<(Value, Value)> = report(&client, &b, &format!("surveys/{configured}?by=plan"))
        .await["breakdown"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["value"].clone(), g["responses"].clone()))
        .collect();
    assert_eq!(
        groups,
        [
            (Value::Null, json!(6)),
            (json!("pro"), json!(3)),
            (json!("2"), json!(1))
        ]
    );
    assert_eq!(
        report(&client, &a, &format!("surveys/{unconfigured}")).await["unmatched_answers"],
        1
    );

    // ClickHouse gone: batches are refused as retryable, and the replica is not ready.
    drop(clickhouse);
    let response = client
        .post(format!("{}/v1/batch", a.url))
        .body(batch(&all[..1], now))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    let answer: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(answer["error"], "storage_unavailable");
    let ready = client
        .get(format!("{}/readyz", a.url))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);
}

/// Every journey of a query on one store, by person.
async fn all_journeys(
    store: &waymark_collector::store::ClickHouseStore,
    query: &waymark_collector::reports::engine::JourneyQuery,
) -> Vec<waymark_collector::reports::engine::Journey> {
    use waymark_collector::store::EventStore;
    let mut journeys = store
        .journeys("p".into(), query.clone())
        .await
        .expect("the journeys");
    let mut all = Vec::new();
    while let Some(journey) = journeys.recv().await {
        all.push(journey.expect("a journey"));
    }
    all.sort_by(|a, b| a.person.cmp(&b.person));
    all
}

/// The journeys read held in the collector and grouped by ClickHouse (a store that may hold
/// nothing) are the same, and right: copies of an event count once, events at the same time
/// are in storage order and then by the id's `cityHash64` (rows stored before the order was
/// kept have 0), an anonymous id linked to a user is that user, and paths and properties
/// come with the names that want them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journeys_held_or_grouped_count_copies_once_and_break_ties_by_the_ids_hash() {
    use waymark_collector::reports::engine::{JourneyQuery, WantedName};
    use waymark_collector::store::{ClickHouseSettings, ClickHouseStore};
    let clickhouse = start_clickhouse().await;
    let held = ClickHouseStore::connect(ClickHouseSettings {
        url: clickhouse.url.clone(),
        database: "waymark".into(),
        user: "default".into(),
        password: String::new(),
    })
    .await
    .unwrap();
    let grouped = held.clone().with_journey_memory(0);
    let client = reqwest::Client::new();
    let t = 1_780_272_000_000u64; // 2026-06-01
    let row = |id: &str, name: &str, ts: u64, seq: u64, anonymous: &str, user: &str| {
        format!(
            "('p', '{id}', '{name}', {ts}, {ts}, {ts}, {ts}, toDate('2026-06-01') + {day}, '{anonymous}', '{user}', '/{name}/{id}', '{{\"id\":\"{id}\"}}', {seq})",
            day = (ts - t) / DAY
        )
    };
    let insert = |rows: Vec<String>| {
        format!(
            "INSERT INTO events (project, id, name, ts, sent_at, received_at, timestamp, day, anonymous_id, user_id, path, properties, seq) VALUES {}",
            rows.join(", ")
        )
    };
    let first = vec![
        // Stored before the order was kept: ties broken by the id's hash.
        row("e3", "x", t + 10, 0, "a1", ""),
        row("e1", "y", t + 10, 0, "a1", ""),
        row("e2", "x", t + 10, 0, "a1", ""),
        // Two replicas' orders the same: by the id's hash.
        row("f2", "y", t + DAY, 7, "a1", "u1"),
        row("f1", "x", t + DAY, 7, "a1", "u1"),
        row("g1", "z", t + DAY + 1, 8, "a1", "u1"),
        row("d1", "x", t + 2 * DAY, 9, "a2", ""),
        row("h1", "y", t + 3 * DAY, 10, "a3", ""),
    ];
    clickhouse_exec(&client, &clickhouse.url, &insert(first)).await;
    // A copy of d1 in a part of its own, and a3 linked to u1.
    clickhouse_exec(
        &client,
        &clickhouse.url,
        &insert(vec![row("d1", "x", t + 2 * DAY, 9, "a2", "")]),
    )
    .await;
    clickhouse_exec(
        &client,
        &clickhouse.url,
        "INSERT INTO identities (project, anonymous_id, user_id, first_seen) VALUES ('p', 'a3', 'u1', 0)",
    )
    .await;
    // The ids of each tie in their hash's order, as ClickHouse computes it.
    let by_hash = |ids: &'static str| {
        let client = client.clone();
        let url = clickhouse.url.clone();
        async move {
            let sql = format!(
                "SELECT arrayJoin([{ids}]) AS id ORDER BY cityHash64(id) FORMAT TabSeparated"
            );
            let text = clickhouse_exec(&client, &url, &sql).await;
            text.lines().map(str::to_owned).collect::<Vec<String>>()
        }
    };
    let e = by_hash("'e1', 'e2', 'e3'").await;
    let f = by_hash("'f1', 'f2'").await;
    for positions in [false, true] {
        let query = JourneyQuery {
            names: vec![
                WantedName::with_properties("x"),
                WantedName {
                    name: "y".into(),
                    path_prefixes: Some(vec!["/y".into()]),
                    path: true,
                    properties: false,
                },
            ],
            start_ms: t as i64,
            end_ms: (t + 4 * DAY) as i64,
            positions,
            config_version: None,
        };
        let from_held = all_journeys(&held, &query).await;
        let from_grouped = all_journeys(&grouped, &query).await;
        assert_eq!(from_held, from_grouped, "positions: {positions}");
        let people: Vec<&str> = from_held.iter().map(|j| j.person.as_str()).collect();
        assert_eq!(people, ["a1", "a2", "u1"]);
        let order = |j: &waymark_collector::reports::engine::Journey| {
            j.events()
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    (
                        e.name,
                        e.position,
                        j.path(i).to_owned(),
                        j.properties(i).to_owned(),
                    )
                })
                .collect::<Vec<_>>()
        };
        let x = |id: &str| (0, String::new(), format!("{{\"id\":\"{id}\"}}"));
        let y = |id: &str| (1, format!("/y/{id}"), String::new());
        // e1 is the y of the three, f2 the y of the two.
        let of = |id: &str| {
            if id == "e1" || id == "f2" {
                y(id)
            } else {
                x(id)
            }
        };
        let with = |(name, path, properties): (u32, String, String), position: u32| {
            (name, position, path, properties)
        };
        assert_eq!(
            order(&from_held[0]),
            [with(of(&e[0]), 1), with(of(&e[1]), 2), with(of(&e[2]), 3)]
        );
        assert_eq!(order(&from_held[1]), [with(x("d1"), 1)]);
        // u1: f1 and f2 at the same time and order, then g1 (only counted with positions),
        // then a3's h1.
        let last = if positions { 4 } else { 3 };
        assert_eq!(
            order(&from_held[2]),
            [with(of(&f[0]), 1), with(of(&f[1]), 2), with(y("h1"), last)]
        );
    }
}

/// A month whose partition is one merged part is read without `FINAL`, and every other
/// month with it: copies in two parts of a month, or twice in one insert (a part of level
/// 0), still count once, and the held and grouped reads agree.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journeys_read_merged_months_without_final_and_count_copies_once_elsewhere() {
    use waymark_collector::reports::engine::{JourneyQuery, WantedName};
    use waymark_collector::store::{ClickHouseSettings, ClickHouseStore};
    let clickhouse = start_clickhouse().await;
    let held = ClickHouseStore::connect(ClickHouseSettings {
        url: clickhouse.url.clone(),
        database: "waymark".into(),
        user: "default".into(),
        password: String::new(),
    })
    .await
    .unwrap();
    let grouped = held.clone().with_journey_memory(0);
    let client = reqwest::Client::new();
    let url = clickhouse.url.as_str();
    let may = 1_777_593_600_000u64; // 2026-05-01
    let june = may + 31 * DAY;
    let july = june + 30 * DAY;
    let row = |id: &str, name: &str, ts: u64, seq: u64, day: &str| {
        format!(
            "('p', '{id}', '{name}', {ts}, {ts}, {ts}, {ts}, toDate('{day}'), 'a1', '', '/', '{{}}', {seq})"
        )
    };
    let insert = |rows: &[String]| {
        format!(
            "INSERT INTO events (project, id, name, ts, sent_at, received_at, timestamp, day, anonymous_id, user_id, path, properties, seq) VALUES {}",
            rows.join(", ")
        )
    };
    let e1 = row("e1", "x", may + 10, 1, "2026-05-01");
    let e2 = row("e2", "y", may + 2 * DAY, 2, "2026-05-03");
    let f1 = row("f1", "x", june + 5, 3, "2026-06-01");
    let f2 = row("f2", "y", june + DAY, 4, "2026-06-02");
    let g1 = row("g1", "x", july + 7, 5, "2026-07-01");
    // May: a copy of e2 in a second part, then merged into one part.
    clickhouse_exec(&client, url, &insert(&[e1, e2.clone()])).await;
    clickhouse_exec(&client, url, &insert(&[e2])).await;
    clickhouse_exec(&client, url, "OPTIMIZE TABLE events PARTITION 202605 FINAL").await;
    // June: two parts of level 0, a copy of f1 in each and one more in the first.
    clickhouse_exec(&client, url, &insert(&[f1.clone(), f1.clone()])).await;
    clickhouse_exec(&client, url, &insert(&[f1, f2])).await;
    // July: one part of level 0 holding g1 twice.
    clickhouse_exec(&client, url, &insert(&[g1.clone(), g1])).await;
    let parts = clickhouse_exec(
        &client,
        url,
        "SELECT partition_id, count(), max(level) FROM system.parts
         WHERE database = 'waymark' AND table = 'events' AND active
         GROUP BY partition_id ORDER BY partition_id FORMAT TabSeparated",
    )
    .await;
    assert_eq!(parts, "202605\t1\t1\n202606\t2\t0\n202607\t1\t0\n");

    let query = JourneyQuery {
        names: ["x", "y"]
            .map(|name| WantedName {
                name: name.into(),
                path_prefixes: None,
                path: false,
                properties: false,
            })
            .into(),
        start_ms: may as i64,
        end_ms: (july + 31 * DAY) as i64,
        positions: false,
        config_version: None,
    };
    let from_held = all_journeys(&held, &query).await;
    let from_grouped = all_journeys(&grouped, &query).await;
    assert_eq!(from_held, from_grouped);
    assert_eq!(from_held.len(), 1);
    let events: Vec<(u32, i64)> = from_held[0]
        .events()
        .iter()
        .map(|e| (e.name, e.timestamp))
        .collect();
    let at = |ts: u64| ts as i64;
    assert_eq!(
        events,
        [
            (0, at(may + 10)),
            (1, at(may + 2 * DAY)),
            (0, at(june + 5)),
            (1, at(june + DAY)),
            (0, at(july + 7)),
        ]
    );

    // The held query as ClickHouse logged it: May's days in the one select without FINAL.
    clickhouse_exec(&client, url, "SYSTEM FLUSH LOGS").await;
    let logged = clickhouse_exec(
        &client,
        url,
        "SELECT query FROM system.query_log
         WHERE type = 2 AND query LIKE '%cityHash64(id) AS tie%' AND query NOT LIKE '%groupArray%'
           AND query NOT LIKE '%system.query_log%'
         FORMAT JSONEachRow",
    )
    .await;
    let logged: Vec<String> = logged
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line).unwrap()["query"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    // Once by each store: the one that may hold nothing asks it too, before it asks to group.
    assert_eq!(logged.len(), 2, "the held query, twice: {logged:?}");
    assert_eq!(logged[0], logged[1]);
    let selects: Vec<(bool, bool)> = logged[0]
        .split("UNION ALL")
        .map(|select| {
            (
                select.contains("FROM events FINAL"),
                select.contains("'2026-05-"),
            )
        })
        .collect();
    assert_eq!(selects[0], (false, true), "{}", logged[0]);
    assert!(
        selects[1..]
            .iter()
            .all(|&(deduplicated, may)| deduplicated && !may),
        "{}",
        logged[0]
    );
    assert!(selects.len() > 2, "June and July in slices: {}", logged[0]);

    // From the epoch (as retention reads): the same events, and the slices share out the
    // days the parts hold (May to July 1), not 56 years of none.
    let from_epoch = JourneyQuery {
        start_ms: 0,
        ..query.clone()
    };
    assert_eq!(all_journeys(&held, &from_epoch).await, from_held);
    assert_eq!(all_journeys(&grouped, &from_epoch).await, from_held);
    clickhouse_exec(&client, url, "SYSTEM FLUSH LOGS").await;
    let logged = clickhouse_exec(
        &client,
        url,
        "SELECT query FROM system.query_log
         WHERE type = 2 AND query LIKE '%cityHash64(id) AS tie%' AND query LIKE '%timestamp >= 0 %'
           AND query NOT LIKE '%system.query_log%'
         FORMAT JSONEachRow",
    )
    .await;
    // The held query by each store, then the grouped one.
    assert_eq!(logged.lines().count(), 3, "{logged}");
    for line in logged.lines() {
        let query = serde_json::from_str::<Value>(line).unwrap()["query"]
            .as_str()
            .unwrap()
            .to_owned();
        let days: Vec<&str> = query
            .match_indices("day >= '")
            .chain(query.match_indices("day <= '"))
            .map(|(at, _)| &query[at + 8..at + 18])
            .collect();
        assert!(!days.is_empty(), "{query}");
        assert!(
            days.iter()
                .all(|day| ("2026-05-01"..="2026-07-01").contains(day)),
            "{days:?} in {query}"
        );
    }
}
