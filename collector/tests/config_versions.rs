//! The config version on events: a batch (and an event of it) says which version of the
//! project's config the SDK decided with; each event is stored with it; the survey,
//! experiment and tour reports can be read for one version (`?version=N`) and list the
//! versions seen. On SQLite, and on a real ClickHouse server answering the same JSON.

mod common;

use std::sync::Arc;

use axum::http::{header, StatusCode};
use common::journeys::clickhouse_store;
use common::*;
use serde_json::{json, Value};
use waymark_collector::registry::KeyKind;

/// Midnight UTC starting 2026-01-01, "today" for the harness's clock; the events happen the
/// day before, and the batches are sent at the clock's time, so stored timestamps are the
/// events' own.
const MIDNIGHT: i64 = 1_767_225_600_000;

/// Version 1: an NPS question and a text question; a two-step tour; an experiment.
const V1_SURVEY: &str = r#"[
     {"id": "score", "type": "nps", "text": "How likely are you to recommend us?",
      "labels": {"low": "Not at all likely", "high": "Extremely likely"}},
     {"id": "why", "type": "text", "text": "Why?", "optional": true}]"#;

/// Version 2: the survey's `score` retyped to CSAT, `why` removed, a CES question added.
const V2_SURVEY: &str = r#"[
     {"id": "score", "type": "csat", "text": "How satisfied are you?"},
     {"id": "ease", "type": "ces", "scale": 5, "text": "It was easy.",
      "labels": {"low": "Strongly disagree", "high": "Strongly agree"}}]"#;

/// A config with the survey `pulse` of these questions, and the same tour and experiment.
fn config(questions: &str) -> String {
    format!(
        r##"{{"experiences": [
  {{"id": "pulse", "kind": "survey", "trigger": {{"page_view": true}},
   "survey": {{"questions": {questions}}}}},
  {{"id": "welcome", "kind": "tour", "trigger": {{"page_view": true}},
   "tour": {{"steps": [{{"id": "hello", "title": "Hello", "body": "Welcome."}},
                      {{"id": "bye", "title": "Bye", "body": "That is all."}}]}}}},
  {{"id": "cta", "kind": "content", "trigger": {{"page_view": true}},
   "experiment": {{"key": "cta", "coverage": 1, "goals": ["signup"], "variants": [
     {{"key": "control", "weight": 0.5, "changes": [{{"selector": "#cta", "text": "Sign up"}}]}},
     {{"key": "bold", "weight": 0.5, "changes": [{{"selector": "#cta", "text": "Start now"}}]}}]}}}}]}}"##
    )
}

/// Builds events: browser `b`, at `minutes` after 10:00 the day before [`MIDNIGHT`].
struct Events {
    seq: u32,
}

impl Events {
    fn event(&mut self, browser: u32, name: &str, minutes: i64, properties: Value) -> Value {
        self.seq += 1;
        json!({
            "id": format!("019b7a3c-0000-7000-8000-{:012x}", self.seq),
            "name": name,
            "ts": MIDNIGHT - 14 * 3_600_000 + minutes * 60_000,
            "anonymous_id": format!("019b7a3c-2a01-7000-8000-0000000000{browser:02x}"),
            "session_id": format!("019b7a3c-2a02-7000-8000-0000000000{browser:02x}"),
            "properties": properties,
            "context": {"page": {"url": "https://app.test/", "path": "/"},
                        "sdk": {"name": "test", "version": "0"}}
        })
    }

    fn shown(&mut self, browser: u32, minutes: i64) -> Value {
        let response = format!("r{browser}");
        self.event(
            browser,
            "$survey_shown",
            minutes,
            json!({"survey": "pulse", "response": response, "locale": "en"}),
        )
    }

    fn answer(
        &mut self,
        browser: u32,
        minutes: i64,
        question: &str,
        kind: &str,
        value: Value,
    ) -> Value {
        let scale = match kind {
            "nps" => json!({"min": 0, "max": 10, "direction": "ascending"}),
            _ => json!({"min": 1, "max": 5, "direction": "ascending"}),
        };
        let mut properties = json!({"survey": "pulse", "response": format!("r{browser}"),
            "locale": "en", "question": question, "question_type": kind, "value": value});
        if kind != "text" {
            properties["scale"] = scale;
        }
        self.event(browser, "$survey_answered", minutes, properties)
    }

    fn tour(&mut self, browser: u32, name: &str, minutes: i64, extra: Value) -> Value {
        let mut properties = json!({"tour": "welcome"});
        for (key, value) in extra.as_object().unwrap() {
            properties[key] = value.clone();
        }
        self.event(browser, name, minutes, properties)
    }

    fn exposure(&mut self, browser: u32, minutes: i64, variant: &str, index: u32) -> Value {
        self.event(
            browser,
            "$exposure",
            minutes,
            json!({"experiment": "cta", "variant": variant, "variant_index": index}),
        )
    }
}

/// The batches: who did what under which version.
///
/// - Browser 1, under version 1: answers NPS 9 and a text, completes the tour, sees the
///   control and signs up.
/// - Browser 2, under version 2: answers the retyped `score` (CSAT 4) and `ease` (CES 5),
///   dismisses the tour at its first step, sees `bold`.
/// - Browser 3, in a batch that says version 2 but with events of its own recorded under
///   version 1 (queued before the change): NPS 3.
/// - Browser 4, in a batch that says no version: shown the survey.
fn batches() -> Vec<Value> {
    let mut e = Events { seq: 0 };
    let one = vec![
        e.shown(1, 0),
        e.answer(1, 1, "score", "nps", json!(9)),
        e.answer(1, 2, "why", "text", json!("It is quick")),
        e.event(
            1,
            "$survey_completed",
            2,
            json!({"survey": "pulse", "response": "r1", "locale": "en"}),
        ),
        e.tour(1, "$tour_started", 3, json!({})),
        e.tour(
            1,
            "$step_viewed",
            3,
            json!({"step": 0, "step_id": "hello", "strategy": "none"}),
        ),
        e.tour(
            1,
            "$step_viewed",
            4,
            json!({"step": 1, "step_id": "bye", "strategy": "none"}),
        ),
        e.tour(1, "$tour_completed", 5, json!({})),
        e.exposure(1, 6, "control", 0),
        e.event(1, "signup", 7, json!({})),
    ];
    let mut two = vec![
        e.shown(2, 10),
        e.answer(2, 11, "score", "csat", json!(4)),
        e.answer(2, 12, "ease", "ces", json!(5)),
        e.event(
            2,
            "$survey_completed",
            12,
            json!({"survey": "pulse", "response": "r2", "locale": "en"}),
        ),
        e.tour(2, "$tour_started", 13, json!({})),
        e.tour(
            2,
            "$step_viewed",
            13,
            json!({"step": 0, "step_id": "hello", "strategy": "none"}),
        ),
        e.tour(
            2,
            "$tour_dismissed",
            14,
            json!({"step": 0, "step_id": "hello", "reason": "close"}),
        ),
        e.exposure(2, 15, "bold", 1),
    ];
    for mut queued in [e.shown(3, 20), e.answer(3, 21, "score", "nps", json!(3))] {
        queued["config_version"] = json!(1);
        two.push(queued);
    }
    let none = vec![e.shown(4, 30)];
    vec![
        json!({"key": KEY, "sent_at": RECEIVED_AT.0, "config_version": 1, "events": one}),
        json!({"key": KEY, "sent_at": RECEIVED_AT.0, "config_version": 2, "events": two}),
        json!({"key": KEY, "sent_at": RECEIVED_AT.0, "events": none}),
    ]
}

/// Both versions published (2 active), every batch stored; the admin key.
async fn seed(h: &Harness) -> String {
    let admin = h.registry.rotate("demo", KeyKind::Admin).unwrap();
    publish_config(h, &admin, &config(V1_SURVEY)).await;
    publish_config(h, &admin, &config(V2_SURVEY)).await;
    for batch in batches() {
        let (status, answer) = h.post(&batch).await;
        assert_eq!(
            (status, &answer["stored"]),
            (
                StatusCode::OK,
                &json!(batch["events"].as_array().unwrap().len())
            ),
            "{answer}"
        );
    }
    admin
}

async fn ok(h: &Harness, admin: &str, path: &str) -> Value {
    let (status, body) = get_json(h, &format!("/v1/reports/{path}"), Some(admin)).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

fn ids(report: &Value) -> Vec<(&str, &str, &str)> {
    report["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            (
                q["question"].as_str().unwrap(),
                q["type"].as_str().unwrap(),
                q["from"].as_str().unwrap(),
            )
        })
        .collect()
}

fn seen() -> Value {
    json!([{"version": 2, "events": 1}, {"version": 1, "events": 2}, {"version": null, "events": 1}])
}

#[tokio::test]
async fn each_event_is_stored_under_its_own_version_else_its_batch_s() {
    let h = harness();
    seed(&h).await;
    let rows = h.rows(
        "SELECT properties ->> '$.response', config_version FROM events
         WHERE name = '$survey_shown' ORDER BY seq",
    );
    use rusqlite::types::Value::{Integer, Null, Text};
    assert_eq!(
        rows,
        [
            vec![Text("r1".into()), Integer(1)],
            vec![Text("r2".into()), Integer(2)],
            vec![Text("r3".into()), Integer(1)],
            vec![Text("r4".into()), Null],
        ]
    );
}

#[tokio::test]
async fn a_version_that_is_not_a_whole_number_from_one_refuses_the_batch_naming_it() {
    let h = harness();
    let event = fixture()["events"][0].clone();
    for bad in [
        json!(0),
        json!(-3),
        json!(1.5),
        json!("2"),
        json!(true),
        json!([1]),
    ] {
        let batch = json!({"key": KEY, "sent_at": RECEIVED_AT.0, "config_version": bad, "events": [event.clone()]});
        let (status, answer) = h.post(&batch).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_batch")),
            "{bad}: {answer}"
        );
        let message = answer["message"].as_str().unwrap();
        assert!(
            message.contains(" config_version: ") && message.contains(&bad.to_string()),
            "{bad}: {message}"
        );

        let mut second = fixture()["events"][1].clone();
        second["config_version"] = bad.clone();
        let batch = json!({"key": KEY, "sent_at": RECEIVED_AT.0, "config_version": 2, "events": [event.clone(), second]});
        let (status, answer) = h.post(&batch).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {answer}");
        let message = answer["message"].as_str().unwrap();
        assert!(
            message.contains(" events[1].config_version: "),
            "{bad}: {message}"
        );
    }
    assert_eq!(h.event_count(), 0, "a refused batch stores nothing");
    // `null` is no version, and a version in a property is only a property.
    let mut event = fixture()["events"][0].clone();
    event["config_version"] = Value::Null;
    event["properties"] = json!({"config_version": -1});
    let batch =
        json!({"key": KEY, "sent_at": RECEIVED_AT.0, "config_version": null, "events": [event]});
    let (status, answer) = h.post(&batch).await;
    assert_eq!(
        (status, &answer["stored"]),
        (StatusCode::OK, &json!(1)),
        "{answer}"
    );
    assert_eq!(
        h.rows("SELECT config_version FROM events"),
        [vec![rusqlite::types::Value::Null]]
    );
}

#[tokio::test]
async fn the_config_endpoint_tells_the_sdk_its_version() {
    let h = harness();
    let admin = h.registry.rotate("demo", KeyKind::Admin).unwrap();
    publish_config(&h, &admin, &config(V1_SURVEY)).await;
    publish_config(&h, &admin, &config(V2_SURVEY)).await;
    let (status, headers, body) = h.get(&format!("/v1/config?key={KEY}")).await;
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!((status, &body["version"]), (StatusCode::OK, &json!(2)));
    assert_eq!(headers[header::ETAG], "\"v2\"");
}

#[tokio::test]
async fn a_survey_report_reads_one_version_with_that_version_s_questions() {
    let h = harness();
    let admin = seed(&h).await;

    let all = ok(&h, &admin, "surveys/pulse").await;
    assert_eq!(
        (&all["version"], &all["config_version"], &all["versions"]),
        (&Value::Null, &json!(2), &seen())
    );
    assert_eq!((&all["shown"], &all["responses"]), (&json!(4), &json!(3)));
    // The active version's questions; the NPS answers to `score` (now CSAT) are unmatched,
    // and the removed `why` is read from its answers.
    assert_eq!(
        ids(&all),
        [
            ("score", "csat", "config"),
            ("ease", "ces", "config"),
            ("why", "text", "data")
        ]
    );
    assert_eq!(all["unmatched_answers"], 2);

    let one = ok(&h, &admin, "surveys/pulse?version=1").await;
    assert_eq!(
        (&one["version"], &one["config_version"], &one["versions"]),
        (&json!(1), &json!(1), &seen())
    );
    assert_eq!(
        (&one["shown"], &one["completed"], &one["unmatched_answers"]),
        (&json!(2), &json!(1), &json!(0))
    );
    assert_eq!(
        ids(&one),
        [("score", "nps", "config"), ("why", "text", "config")]
    );
    let score = survey_question(&one, "score");
    // Browser 1's 9 and browser 3's 3: one promoter, one detractor.
    assert_eq!(
        (&score["n"], &score["score"]),
        (&json!(2), &json!(0.0)),
        "{score:#}"
    );

    let two = ok(&h, &admin, "surveys/pulse?version=2").await;
    assert_eq!(
        (&two["shown"], &two["unmatched_answers"]),
        (&json!(1), &json!(0))
    );
    assert_eq!(
        ids(&two),
        [("score", "csat", "config"), ("ease", "ces", "config")]
    );
    assert_eq!(survey_question(&two, "score")["csat_pct"], 100.0);
}

#[tokio::test]
async fn the_reach_by_question_follows_one_version_s_survey() {
    let h = harness();
    let admin = seed(&h).await;
    let reach = |report: &Value| -> Vec<(String, u64)> {
        report["questions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| {
                (
                    q["question"].as_str().unwrap().to_owned(),
                    q["reached"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let one = ok(&h, &admin, "surveys/pulse/reach?version=1").await;
    assert_eq!(
        (&one["version"], &one["config_version"], &one["shown"]),
        (&json!(1), &json!(1), &json!(2))
    );
    assert_eq!(reach(&one), [("score".into(), 2), ("why".into(), 2)]);
    let two = ok(&h, &admin, "surveys/pulse/reach?version=2").await;
    assert_eq!(
        (&two["version"], &two["config_version"], &two["shown"]),
        (&json!(2), &json!(2), &json!(1))
    );
    assert_eq!(reach(&two), [("score".into(), 1), ("ease".into(), 1)]);
    let all = ok(&h, &admin, "surveys/pulse/reach").await;
    assert_eq!(
        (&all["version"], &all["config_version"], &all["shown"]),
        (&Value::Null, &json!(2), &json!(4))
    );
}

#[tokio::test]
async fn an_experiment_report_counts_the_exposures_of_one_version() {
    let h = harness();
    let admin = seed(&h).await;
    let variants = |report: &Value| -> Vec<(String, u64, u64)> {
        report["variants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["key"].as_str().unwrap().to_owned(),
                    v["exposures"].as_u64().unwrap(),
                    v["conversions"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let all = ok(&h, &admin, "experiments/cta").await;
    let versions = json!([{"version": 2, "events": 1}, {"version": 1, "events": 1}]);
    assert_eq!(
        (&all["version"], &all["versions"]),
        (&Value::Null, &versions)
    );
    assert_eq!(
        variants(&all),
        [("control".into(), 1, 1), ("bold".into(), 1, 0)]
    );
    let two = ok(&h, &admin, "experiments/cta?version=2").await;
    assert_eq!(
        (&two["version"], &two["config_version"], &two["versions"]),
        (&json!(2), &json!(2), &versions)
    );
    assert_eq!(
        variants(&two),
        [("control".into(), 0, 0), ("bold".into(), 1, 0)]
    );
}

#[tokio::test]
async fn a_tour_report_follows_the_steps_of_one_version() {
    let h = harness();
    let admin = seed(&h).await;
    let funnel = |report: &Value| -> Vec<u64> {
        report["funnel"]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["count"].as_u64().unwrap())
            .collect()
    };
    let all = ok(&h, &admin, "tours/welcome").await;
    let versions = json!([{"version": 2, "events": 1}, {"version": 1, "events": 1}]);
    assert_eq!(
        (&all["version"], &all["versions"]),
        (&Value::Null, &versions)
    );
    // Started, step 0, step 1, completed.
    assert_eq!(funnel(&all), [2, 2, 1, 1]);
    let one = ok(&h, &admin, "tours/welcome?version=1").await;
    assert_eq!(
        (funnel(&one), &one["dismissals"]),
        (vec![1, 1, 1, 1], &json!([]))
    );
    let two = ok(&h, &admin, "tours/welcome?version=2").await;
    assert_eq!(funnel(&two), [1, 1, 0]);
    assert_eq!(
        two["dismissals"],
        json!([{"step": 0, "reason": "close", "people": 1}])
    );
}

#[tokio::test]
async fn a_version_never_published_is_not_found_by_every_report() {
    let h = harness();
    let admin = seed(&h).await;
    for report in [
        "surveys/pulse",
        "surveys/pulse/reach",
        "experiments/cta",
        "tours/welcome",
    ] {
        let (status, body) =
            get_json(&h, &format!("/v1/reports/{report}?version=7"), Some(&admin)).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::NOT_FOUND, Some("no_such_version")),
            "{report}: {body}"
        );
    }
}

#[tokio::test]
async fn a_version_that_is_not_a_whole_number_from_one_is_refused_by_every_report() {
    let h = harness();
    let admin = seed(&h).await;
    for report in [
        "surveys/pulse",
        "surveys/pulse/reach",
        "experiments/cta",
        "tours/welcome",
    ] {
        for bad in ["0", "-1", "1.5", "two", ""] {
            let (status, body) = get_json(
                &h,
                &format!("/v1/reports/{report}?version={bad}"),
                Some(&admin),
            )
            .await;
            assert_eq!(
                (status, body["error"].as_str()),
                (StatusCode::BAD_REQUEST, Some("invalid_request")),
                "{report} {bad}: {body}"
            );
            assert!(
                body["message"].as_str().unwrap().starts_with("version: "),
                "{report} {bad}: {body}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clickhouse_stores_the_versions_and_answers_the_same_reports_as_sqlite() {
    let server = clickhouse::start_clickhouse().await;
    let sqlite = harness();
    let clickhouse = harness_on(Arc::new(clickhouse_store(&server.url, "versions").await));
    let (a, b) = (seed(&sqlite).await, seed(&clickhouse).await);
    for path in [
        "surveys/pulse",
        "surveys/pulse?version=1",
        "surveys/pulse?version=2",
        "surveys/pulse/reach?version=1",
        "experiments/cta",
        "experiments/cta?version=1",
        "tours/welcome",
        "tours/welcome?version=2",
    ] {
        let from_sqlite = ok(&sqlite, &a, path).await;
        let from_clickhouse = ok(&clickhouse, &b, path).await;
        assert_eq!(
            from_sqlite.to_string(),
            from_clickhouse.to_string(),
            "{path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clickhouse_table_from_before_versions_were_kept_gains_the_column() {
    let server = clickhouse::start_clickhouse().await;
    let client = reqwest::Client::new();
    let run = |sql: String| {
        let request = client.post(&server.url).body(sql);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            let text = response.text().await.unwrap();
            assert!(status.is_success(), "{text}");
            text
        }
    };
    // The events table as the collector made it before it kept the version.
    run("CREATE DATABASE old".into()).await;
    run("CREATE TABLE old.events (
            project String, id String, name String, ts Int64, sent_at Int64, received_at Int64,
            timestamp Int64, day Date, anonymous_id String, user_id String, session_id String,
            url String, path String, title String, referrer String, locale Nullable(String),
            viewport_width Nullable(UInt32), viewport_height Nullable(UInt32), sdk_name String,
            sdk_version String, properties String, traits Nullable(String), ip Nullable(String),
            seq Int64 DEFAULT 0
        ) ENGINE = ReplacingMergeTree() PARTITION BY toYYYYMM(day)
        ORDER BY (project, day, name, user_id, id)"
        .into())
    .await;
    run(
        "INSERT INTO old.events (project, id, name, ts, sent_at, received_at, timestamp, day,
            anonymous_id, user_id, session_id, url, path, title, referrer, sdk_name, sdk_version,
            properties)
         VALUES ('demo', 'e1', '$pageview', 1, 1, 1, 1, '1970-01-01', 'a', '', 's', 'u', '/', '',
            '', 'w', '0', '{}')"
            .into(),
    )
    .await;
    let store = clickhouse_store(&server.url, "old").await;
    let h = harness_on(Arc::new(store));
    let mut event = fixture()["events"][0].clone();
    event["config_version"] = json!(4);
    let (status, answer) = h
        .post(&json!({"key": KEY, "sent_at": RECEIVED_AT.0, "events": [event]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let rows =
        run("SELECT id, config_version FROM old.events FINAL ORDER BY ts FORMAT TSV".into()).await;
    let id = fixture()["events"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(rows, format!("e1\t\\N\n{id}\t4\n"));
}
