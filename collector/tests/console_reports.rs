//! The reports through the console: a viewer's session reads every report of
//! `/v1/reports/` under `/console/api/projects/{project}/reports/`, and gets exactly what
//! the admin key gets (the same function answers both), refusals included; without a
//! session, or without a role in the project, nothing is read.

mod common;

use axum::http::StatusCode;
use common::console::*;
use common::experiment_seed::{experiment_events, PRICING_CONFIG};
use common::survey_seed::{survey_events, SURVEY_CONFIG};
use common::*;
use serde_json::{json, Value};
use waymark_collector::console::Role;

/// 2026-01-01, the day the harness's clock is in.
const MIDNIGHT: i64 = 1_767_225_600_000;

/// Three tour events of `onboarding` on browser 1 (after the seed's own events).
fn tour_events() -> Vec<Value> {
    [
        ("$tour_started", json!({"tour": "onboarding"})),
        (
            "$step_viewed",
            json!({"tour": "onboarding", "step": 0, "step_id": "s0", "strategy": "selector"}),
        ),
        (
            "$tour_dismissed",
            json!({"tour": "onboarding", "step": 0, "step_id": "s0", "reason": "close"}),
        ),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (name, properties))| {
        json!({
            "id": format!("019b7a3c-2a10-7000-8000-00000000f{i:03x}"),
            "name": name,
            "ts": MIDNIGHT - 50_000 + i as i64 * 1000,
            "anonymous_id": "019b7a3c-2a00-7000-8000-000000000001",
            "session_id": "019b7a3c-2a00-7000-8000-000000000101",
            "properties": properties,
            "context": {"page": {"url": "https://app.test/", "path": "/"},
                        "sdk": {"name": "waymark-web", "version": "0.1.0"}}
        })
    })
    .collect()
}

/// The admin key's answer and a viewer's console answer to the same report and query.
async fn both(h: &Harness, admin: &str, cookie: &str, report: &str) -> [(StatusCode, Value); 2] {
    let by_key = get_json(h, &format!("/v1/reports/{report}"), Some(admin)).await;
    let uri = format!("/console/api/projects/demo/reports/{report}");
    let (status, _, body) = call(h, request("GET", &uri, Some(cookie), "")).await;
    [by_key, (status, body)]
}

async fn check_same(h: &Harness, admin: &str, cookie: &str, reports: &[(&str, StatusCode)]) {
    for (report, expected) in reports {
        let [by_key, by_console] = both(h, admin, cookie, report).await;
        assert_eq!(by_key.0, *expected, "{report} with the key: {}", by_key.1);
        assert_eq!(
            by_console, by_key,
            "{report}: the console differs from the key"
        );
    }
}

#[tokio::test]
async fn a_viewer_reads_the_journey_and_experiment_reports_as_the_admin_key_does() {
    let mut events = experiment_events(MIDNIGHT);
    events.extend(tour_events());
    let (h, admin) = seeded(PRICING_CONFIG, &events).await;
    user(&h, "vic", Role::Viewer);
    let cookie = cookie_for(&h, "vic").await;
    let steps = "%5B%22%24pageview%22%2C%22signup_completed%22%5D";
    check_same(
        &h,
        &admin,
        &cookie,
        &[
            ("events", StatusCode::OK),
            (
                "events?from=2025-12-31&to=2026-01-01&name=signup_completed",
                StatusCode::OK,
            ),
            ("experiments/pricing-test", StatusCode::OK),
            ("experiments/hero-copy?goal=%24pageview", StatusCode::OK),
            (&format!("funnels?steps={steps}&window=1d"), StatusCode::OK),
            (
                "retention?start=%24exposure&return=signup_completed&from=2025-12-31&to=2026-01-01",
                StatusCode::OK,
            ),
            ("paths?start=%24pageview", StatusCode::OK),
            ("tours/onboarding", StatusCode::OK),
            ("holdouts/onboarding?interval=day", StatusCode::OK),
            // Refusals are the same too.
            ("events?from=2026-13-01", StatusCode::BAD_REQUEST),
            ("experiments/nope", StatusCode::NOT_FOUND),
            ("funnels?window=1d", StatusCode::BAD_REQUEST),
            ("tours/onboarding?window=soon", StatusCode::BAD_REQUEST),
            ("holdouts/nope", StatusCode::NOT_FOUND),
            (
                "holdouts/onboarding?interval=month",
                StatusCode::BAD_REQUEST,
            ),
        ],
    )
    .await;
    // Not empty answers that happen to agree: the tour was read.
    let [_, (_, tour)] = both(&h, &admin, &cookie, "tours/onboarding").await;
    assert_eq!(
        tour["dismissals"],
        json!([{"step": 0, "reason": "close", "people": 1}])
    );
    let [_, (_, holdout)] = both(&h, &admin, &cookie, "holdouts/onboarding").await;
    assert_eq!(holdout["shown"]["people"], json!(1), "{holdout}");
    let [_, (_, experiment)] = both(&h, &admin, &cookie, "experiments/pricing-test").await;
    assert!(
        experiment["exposures"].as_u64().unwrap() > 0,
        "{experiment}"
    );
}

#[tokio::test]
async fn a_viewer_reads_survey_reports_as_the_admin_key_does() {
    let (h, admin) = seeded(SURVEY_CONFIG, &survey_events(MIDNIGHT)).await;
    user(&h, "vic", Role::Viewer);
    let cookie = cookie_for(&h, "vic").await;
    check_same(
        &h,
        &admin,
        &cookie,
        &[
            ("surveys/q3-feedback", StatusCode::OK),
            ("surveys/q3-feedback?by=plan&limit=2", StatusCode::OK),
            ("surveys/onboarding", StatusCode::OK),
            ("surveys/q3-feedback/reach", StatusCode::OK),
            ("surveys/q3-feedback/reach?count=responses", StatusCode::OK),
            ("surveys/onboarding/reach", StatusCode::NOT_FOUND),
            (
                "surveys/q3-feedback/reach?count=visits",
                StatusCode::BAD_REQUEST,
            ),
            ("surveys/q3-feedback?limit=0", StatusCode::BAD_REQUEST),
            ("surveys/none-such", StatusCode::NOT_FOUND),
        ],
    )
    .await;
}

#[tokio::test]
async fn no_report_is_read_without_a_session_or_a_role_in_the_project() {
    let (h, _) = seeded(PRICING_CONFIG, &experiment_events(MIDNIGHT)).await;
    h.registry.create_project("other", None).unwrap();
    h.accounts
        .create_user("olga", PASSWORD, "other", Role::Admin, RECEIVED_AT)
        .unwrap();
    let cookie = cookie_for(&h, "olga").await;
    for report in [
        "events",
        "experiments/pricing-test",
        "surveys/nps",
        "surveys/nps/reach",
        "funnels?steps=%5B%22a%22%2C%22b%22%5D",
        "retention?start=a&return=b",
        "paths?start=a",
        "tours/onboarding",
        "holdouts/onboarding",
        // The session is checked before the query: a bad one tells an outsider nothing.
        "events?from=nonsense",
    ] {
        let uri = format!("/console/api/projects/demo/reports/{report}");
        let (status, _, body) = call(&h, request("GET", &uri, None, "")).await;
        assert_eq!(
            (status, body["error"].clone()),
            (StatusCode::UNAUTHORIZED, json!("not_signed_in")),
            "{report}"
        );
        let (status, _, body) = call(&h, request("GET", &uri, Some(&cookie), "")).await;
        assert_eq!(
            (status, body["error"].clone()),
            (StatusCode::FORBIDDEN, json!("no_access")),
            "{report}"
        );
    }
}
