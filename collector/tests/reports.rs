//! `GET /v1/reports/events` on the SQLite backend: who may read it, what a bad query gets,
//! and the figures for the fixture, counted by hand. (`tests/clickhouse.rs` holds the
//! ClickHouse backend to the same answers.)

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::*;
use serde_json::{json, Value};
use waymark_collector::registry::KeyKind;

async fn report(h: &Harness, query: &str, key: Option<&str>) -> (StatusCode, Value) {
    let mut request = Request::get(format!("/v1/reports/events{query}"));
    if let Some(key) = key {
        request = request.header(header::AUTHORIZATION, format!("Bearer {key}"));
    }
    let (status, _, body) = h.send(request.body(Body::empty()).unwrap()).await;
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn only_the_admin_key_reads_reports() {
    let h = harness();
    let cases = [
        (None, StatusCode::UNAUTHORIZED, "missing_admin_key"),
        (Some(KEY), StatusCode::FORBIDDEN, "admin_key_required"),
        (Some("sk_nobody"), StatusCode::UNAUTHORIZED, "unknown_key"),
    ];
    for (key, status, tag) in cases {
        let (got, body) = report(&h, "", key).await;
        assert_eq!(
            (got, body["error"].as_str()),
            (status, Some(tag)),
            "{key:?}"
        );
    }
}

#[tokio::test]
async fn a_bad_query_names_its_problem() {
    let h = harness();
    let admin = h.registry.rotate("demo", KeyKind::Admin).unwrap();
    for (query, message) in [
        (
            "?from=yesterday",
            "from: expected a date as YYYY-MM-DD, got \"yesterday\"",
        ),
        (
            "?from=2026-01-05&to=2026-01-01",
            "from (2026-01-05) is after to (2026-01-01)",
        ),
        ("?name=", "name: the event name is empty"),
    ] {
        let (status, body) = report(&h, query, Some(&admin)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(
            (body["error"].as_str(), body["message"].as_str()),
            (Some("invalid_request"), Some(message))
        );
    }
}

#[tokio::test]
async fn the_report_counts_events_and_people_per_day_and_name() {
    let h = harness();
    let admin = h.registry.rotate("demo", KeyKind::Admin).unwrap();
    h.post(&fixture()).await;
    // Sent again: duplicates never count.
    h.post(&fixture()).await;
    let (status, body) = report(&h, "?from=2025-12-31&to=2026-01-02", Some(&admin)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The fixture: a page view by an anonymous browser, then an invoice by user_42 from the
    // same browser without an identify call linking them: two people.
    assert_eq!(
        body,
        json!({
            "project": "demo",
            "from": "2025-12-31",
            "to": "2026-01-02",
            "totals": {"events": 2, "persons": 2},
            "by_day": [
                {"day": "2025-12-31", "events": 0, "persons": 0},
                {"day": "2026-01-01", "events": 2, "persons": 2},
                {"day": "2026-01-02", "events": 0, "persons": 0}
            ],
            "by_name": [
                {"name": "$pageview", "events": 1, "persons": 1},
                {"name": "invoice_created", "events": 1, "persons": 1}
            ]
        })
    );

    // Once the browser is identified as user_42, it is one person.
    let mut identify = fixture();
    identify["events"] = json!([{
        "id": "019b7a3c-2a10-7000-8000-00000000a003",
        "name": "$identify",
        "ts": 1767225601500u64,
        "anonymous_id": "019b7a3c-2a00-7000-8000-0000000000aa",
        "user_id": "user_42",
        "session_id": "019b7a3c-2a00-7000-8000-0000000000bb",
        "traits": {"plan": "pro"},
        "context": {"page": {"url": "http://127.0.0.1:8080/", "path": "/"}, "sdk": {"name": "waymark-web", "version": "0.1.0"}}
    }]);
    assert_eq!(h.post(&identify).await.0, StatusCode::OK);
    let (_, body) = report(&h, "?name=$pageview", Some(&admin)).await;
    assert_eq!(
        (&body["name"], &body["from"], &body["to"], &body["totals"]),
        (
            &json!("$pageview"),
            &json!("2025-12-03"),
            &json!("2026-01-01"),
            &json!({"events": 1, "persons": 1})
        )
    );
    let (_, body) = report(&h, "", Some(&admin)).await;
    assert_eq!(body["totals"], json!({"events": 3, "persons": 1}));
    assert_eq!(body["by_day"].as_array().unwrap().len(), 30);
}
