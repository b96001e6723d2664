//! Pausing, resuming and ending an experience from the console: each is a publication of
//! its own (made from the live version, only the experience's state changed), audited as
//! what it did, followed by the draft, and refused to anyone below the publisher role.

mod common;

use axum::http::StatusCode;
use common::console::*;
use serde_json::{json, Value};
use waymark_collector::console::Role;

async fn set_state(
    h: &common::Harness,
    cookie: &str,
    id: &str,
    state: &str,
) -> (StatusCode, Value) {
    let body = json!({ "state": state }).to_string();
    let uri = format!("/console/api/projects/demo/experiences/{id}/state");
    let (status, _, body) = call(h, request("POST", &uri, Some(cookie), &body)).await;
    (status, body)
}

fn live(h: &common::Harness) -> Value {
    let (_, _, body) = h.registry.active_config("demo").unwrap().unwrap();
    serde_json::from_str(&body).unwrap()
}

#[tokio::test]
async fn pausing_resuming_and_ending_publish_a_version_each_and_the_draft_follows() {
    let (h, cookie) = signed_in("pia", Role::Publisher).await;
    publish(&h, &cookie, CONFIG).await;
    // The draft has an edit that is not live: pausing keeps it, and pauses it there too.
    let mut edited: Value = serde_json::from_str(CONFIG).unwrap();
    edited["experiences"][0]["survey"]["thank_you"] = json!("Thanks!");
    let save = json!({ "revision": 0, "config": edited }).to_string();
    let (status, _, _) = call(
        &h,
        request(
            "PUT",
            "/console/api/projects/demo/draft",
            Some(&cookie),
            &save,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let (status, paused) = set_state(&h, &cookie, "nps", "paused").await;
    assert_eq!(
        (status, paused["version"].clone()),
        (StatusCode::OK, json!(2)),
        "{paused}"
    );
    assert_eq!(live(&h)["experiences"][0]["state"], "paused");
    assert_eq!(
        live(&h)["experiences"][0]["survey"].get("thank_you"),
        None,
        "made from the live version, not the draft"
    );
    let (_, _, draft) = call(
        &h,
        request("GET", "/console/api/projects/demo/draft", Some(&cookie), ""),
    )
    .await;
    assert_eq!(
        (
            draft["revision"].clone(),
            draft["config"]["experiences"][0]["state"].clone(),
            draft["config"]["experiences"][0]["survey"]["thank_you"].clone()
        ),
        (json!(2), json!("paused"), json!("Thanks!"))
    );

    let (status, again) = set_state(&h, &cookie, "nps", "paused").await;
    assert_eq!(
        (status, again["error"].clone()),
        (StatusCode::CONFLICT, json!("state_unchanged"))
    );
    let (status, resumed) = set_state(&h, &cookie, "nps", "live").await;
    assert_eq!(
        (status, resumed["version"].clone()),
        (StatusCode::OK, json!(3))
    );
    assert_eq!(
        live(&h)["experiences"][0].get("state"),
        None,
        "live is no state at all"
    );
    let (status, _) = set_state(&h, &cookie, "nps", "ended").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(live(&h)["experiences"][0]["state"], "ended");

    let log = audit_entries(&h, &cookie).await;
    let seen: Vec<(&str, &str, i64)> = log
        .iter()
        .filter(|e| e.get("experience").is_some())
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["experience"].as_str().unwrap(),
                e["version"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("ended", "nps", 4),
            ("resumed", "nps", 3),
            ("paused", "nps", 2)
        ]
    );
}

#[tokio::test]
async fn a_state_change_is_refused_with_the_reason_and_publishes_nothing() {
    let (h, cookie) = signed_in("pia", Role::Publisher).await;
    let (status, nothing) = set_state(&h, &cookie, "nps", "paused").await;
    assert_eq!(
        (status, nothing["error"].clone()),
        (StatusCode::NOT_FOUND, json!("not_live")),
        "nothing is published yet"
    );
    publish(&h, &cookie, CONFIG).await;
    let (status, unknown) = set_state(&h, &cookie, "tour", "paused").await;
    assert_eq!(
        (status, unknown["error"].clone()),
        (StatusCode::NOT_FOUND, json!("not_live"))
    );
    let (status, bad) = set_state(&h, &cookie, "nps", "stopped").await;
    assert_eq!(
        (status, bad["error"].clone()),
        (StatusCode::BAD_REQUEST, json!("invalid_request"))
    );
    assert!(
        bad["message"]
            .as_str()
            .unwrap()
            .contains(r#"{"state": "live" | "paused" | "ended"}"#),
        "{bad}"
    );
    for role in [Role::Viewer, Role::Editor] {
        let name = format!("{}-user", role.as_str());
        user(&h, &name, role);
        let other = cookie_for(&h, &name).await;
        let (status, refused) = set_state(&h, &other, "nps", "paused").await;
        assert_eq!(
            (status, refused["error"].clone()),
            (StatusCode::FORBIDDEN, json!("role_too_low"))
        );
    }
    assert_eq!(
        h.registry.config_versions("demo").unwrap().len(),
        1,
        "only the first publish"
    );
}
