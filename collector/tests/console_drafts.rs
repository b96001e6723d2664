//! The console's drafts and versions: drafts saved as the author works, with the compiler's
//! diagnostics at JSON pointers and nothing published; saves that never overwrite another
//! author's unseen; publishing the reviewed draft; immutable versions, diffs and rollback.

mod common;

use axum::http::StatusCode;
use common::console::*;
use common::*;
use serde_json::{json, Value};
use waymark_collector::console::Role;

async fn get(h: &Harness, uri: &str, cookie: &str) -> (StatusCode, Value) {
    let (status, _, body) = call(h, request("GET", uri, Some(cookie), "")).await;
    (status, body)
}

async fn save(h: &Harness, cookie: &str, revision: i64, config: &Value) -> (StatusCode, Value) {
    let body = json!({ "revision": revision, "config": config }).to_string();
    let (status, _, body) = call(
        h,
        request(
            "PUT",
            "/console/api/projects/demo/draft",
            Some(cookie),
            &body,
        ),
    )
    .await;
    (status, body)
}

fn config() -> Value {
    serde_json::from_str(CONFIG).unwrap()
}

#[tokio::test]
async fn a_draft_is_saved_with_its_diagnostics_at_json_pointers_and_nothing_is_published() {
    let (h, cookie) = signed_in("eda", Role::Editor).await;
    let mut broken = config();
    broken["experiences"][0]["survey"]["questions"][0]
        .as_object_mut()
        .unwrap()
        .remove("labels");
    let (status, saved) = save(&h, &cookie, 0, &broken).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(
        (saved["revision"].clone(), saved["saved_by"].clone()),
        (json!(1), json!("eda"))
    );
    let pointers: Vec<&Value> = saved["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["pointer"])
        .collect();
    assert_eq!(
        pointers,
        [&json!("/experiences/0/survey/questions/0/labels")]
    );
    assert_eq!(saved["diagnostics"][0]["severity"], "error");

    let (status, draft) = get(&h, "/console/api/projects/demo/draft", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (draft["revision"].clone(), draft["config"].clone()),
        (json!(1), broken)
    );
    assert_eq!(draft["diagnostics"], saved["diagnostics"]);
    assert!(
        h.registry.config_versions("demo").unwrap().is_empty(),
        "saving publishes nothing"
    );
}

#[tokio::test]
async fn before_the_first_save_the_draft_is_the_active_config() {
    let (h, cookie) = signed_in("pia", Role::Publisher).await;
    let (_, empty) = get(&h, "/console/api/projects/demo/draft", &cookie).await;
    assert_eq!(
        (empty["revision"].clone(), empty["config"].clone()),
        (json!(0), json!({}))
    );
    let (status, _, _) = call(
        &h,
        request(
            "POST",
            "/console/api/projects/demo/versions",
            Some(&cookie),
            CONFIG,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, draft) = get(&h, "/console/api/projects/demo/draft", &cookie).await;
    assert_eq!(
        (draft["revision"].clone(), draft["config"].clone()),
        (json!(0), config())
    );
    assert_eq!(draft["diagnostics"], json!([]));
}

#[tokio::test]
async fn a_save_from_an_older_revision_is_refused_and_returns_the_other_authors_draft() {
    let h = harness();
    user(&h, "ana", Role::Editor);
    user(&h, "bo", Role::Editor);
    let (ana, bo) = (cookie_for(&h, "ana").await, cookie_for(&h, "bo").await);
    let (status, _) = save(&h, &ana, 0, &json!({"experiences": []})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, refused) = save(&h, &bo, 0, &json!({"features": {}})).await;
    assert_eq!(
        (status, refused["error"].clone()),
        (StatusCode::CONFLICT, json!("draft_conflict"))
    );
    assert!(
        refused["message"].as_str().unwrap().contains("ana"),
        "{refused}"
    );
    assert_eq!(
        (
            refused["draft"]["revision"].clone(),
            refused["draft"]["config"].clone()
        ),
        (json!(1), json!({"experiences": []}))
    );
    let (status, saved) = save(&h, &bo, 1, &json!({"features": {}})).await;
    assert_eq!(
        (status, saved["revision"].clone()),
        (StatusCode::OK, json!(2)),
        "saved again from the stored revision"
    );
}

#[tokio::test]
async fn a_viewer_cannot_save_the_draft_and_an_editor_cannot_publish_it() {
    let h = harness();
    user(&h, "vic", Role::Viewer);
    user(&h, "eda", Role::Editor);
    let vic = cookie_for(&h, "vic").await;
    let (status, body) = save(&h, &vic, 0, &config()).await;
    assert_eq!(
        (status, body["error"].clone()),
        (StatusCode::FORBIDDEN, json!("role_too_low"))
    );
    let eda = cookie_for(&h, "eda").await;
    save(&h, &eda, 0, &config()).await;
    let (status, _, body) = call(
        &h,
        request(
            "POST",
            "/console/api/projects/demo/draft/publish",
            Some(&eda),
            r#"{"revision": 1}"#,
        ),
    )
    .await;
    assert_eq!(
        (status, body["error"].clone()),
        (StatusCode::FORBIDDEN, json!("role_too_low"))
    );
}

#[tokio::test]
async fn checking_a_config_reports_its_diagnostics_without_saving_or_publishing() {
    let (h, cookie) = signed_in("vic", Role::Viewer).await;
    let broken = CONFIG.replace(r#""type": "nps""#, r#""type": "stars""#);
    let (status, _, report) = call(
        &h,
        request(
            "POST",
            "/console/api/projects/demo/check",
            Some(&cookie),
            &broken,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["publishable"], false);
    assert_eq!(
        report["diagnostics"][0]["pointer"],
        "/experiences/0/survey/questions/0/type"
    );
    let (_, _, fine) = call(
        &h,
        request(
            "POST",
            "/console/api/projects/demo/check",
            Some(&cookie),
            CONFIG,
        ),
    )
    .await;
    assert_eq!(
        (fine["publishable"].clone(), fine["diagnostics"].clone()),
        (json!(true), json!([]))
    );
    let (_, draft) = get(&h, "/console/api/projects/demo/draft", &cookie).await;
    assert_eq!(draft["revision"], 0, "nothing was saved");
    let (status, _, body) = call(
        &h,
        request(
            "POST",
            "/console/api/projects/demo/check",
            Some(&cookie),
            "{not json",
        ),
    )
    .await;
    assert_eq!(
        (status, body["error"].clone()),
        (StatusCode::BAD_REQUEST, json!("malformed_json"))
    );
}

#[tokio::test]
async fn the_publisher_publishes_the_draft_revision_they_reviewed_and_no_other() {
    let (h, cookie) = signed_in("pia", Role::Publisher).await;
    let publish = |revision: i64| {
        request(
            "POST",
            "/console/api/projects/demo/draft/publish",
            Some(&cookie),
            &format!(r#"{{"revision": {revision}}}"#),
        )
    };

    let mut broken = config();
    broken["experiences"][0]["survey"]["questions"][0]["type"] = json!("stars");
    save(&h, &cookie, 0, &broken).await;
    let (status, _, refused) = call(&h, publish(1)).await;
    assert_eq!(
        (status, refused["error"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("invalid_config"))
    );
    assert_eq!(
        refused["diagnostics"][0]["pointer"],
        "/experiences/0/survey/questions/0/type"
    );

    save(&h, &cookie, 1, &config()).await;
    let (status, _, stale) = call(&h, publish(1)).await;
    assert_eq!(
        (status, stale["error"].clone()),
        (StatusCode::CONFLICT, json!("draft_conflict")),
        "revision 2 was not reviewed"
    );
    let (status, _, published) = call(&h, publish(2)).await;
    assert_eq!(status, StatusCode::OK, "{published}");
    assert_eq!(
        (published["version"].clone(), published["key_id"].clone()),
        (json!(1), json!("console:pia"))
    );
    let active = h.registry.active_config("demo").unwrap().unwrap();
    assert_eq!(serde_json::from_str::<Value>(&active.2).unwrap(), config());
}

#[tokio::test]
async fn published_versions_do_not_change_diff_against_each_other_and_roll_back_in_one_action() {
    let (h, cookie) = signed_in("pia", Role::Publisher).await;
    let first = config();
    let mut second = config();
    second["experiences"][0]["priority"] = json!(5);
    second["experiences"][0]["survey"]["questions"][0]["text"] = json!("Would you recommend us?");
    for version in [&first, &second] {
        let (status, _, _) = call(
            &h,
            request(
                "POST",
                "/console/api/projects/demo/versions",
                Some(&cookie),
                &version.to_string(),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
    // Editing the draft after publishing changes no published version.
    save(&h, &cookie, 0, &json!({"experiences": []})).await;
    let (status, one) = get(&h, "/console/api/projects/demo/versions/1", &cookie).await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert_eq!(
        (one["config"].clone(), one["active"].clone()),
        (first.clone(), json!(false))
    );

    let (status, diff) = get(&h, "/console/api/projects/demo/diff?from=1&to=2", &cookie).await;
    assert_eq!(status, StatusCode::OK, "{diff}");
    assert_eq!(
        diff["changes"],
        json!([
            {"op": "added", "pointer": "/experiences/0/priority", "after": 5},
            {"op": "changed", "pointer": "/experiences/0/survey/questions/0/text",
             "before": "How likely are you to recommend us?", "after": "Would you recommend us?"},
        ])
    );
    let (_, to_draft) = get(
        &h,
        "/console/api/projects/demo/diff?from=2&to=draft",
        &cookie,
    )
    .await;
    assert_eq!(
        to_draft["changes"],
        json!([{"op": "removed", "pointer": "/experiences/0", "before": second["experiences"][0]}])
    );

    let (status, _, rolled) = call(
        &h,
        request(
            "POST",
            "/console/api/projects/demo/rollback",
            Some(&cookie),
            r#"{"version": 1}"#,
        ),
    )
    .await;
    assert_eq!(
        (
            status,
            rolled["version"].clone(),
            rolled["rolled_back_from"].clone()
        ),
        (StatusCode::OK, json!(3), json!(1))
    );
    let (_, three) = get(&h, "/console/api/projects/demo/versions/3", &cookie).await;
    assert_eq!(
        (three["config"].clone(), three["active"].clone()),
        (first, json!(true))
    );

    for (uri, error) in [
        ("/console/api/projects/demo/versions/9", "no_such_version"),
        (
            "/console/api/projects/demo/versions/first",
            "invalid_request",
        ),
        ("/console/api/projects/demo/diff?from=1", "invalid_request"),
        (
            "/console/api/projects/demo/diff?from=0&to=1",
            "invalid_request",
        ),
    ] {
        let (status, body) = get(&h, uri, &cookie).await;
        assert_eq!(body["error"], error, "{uri}: {status} {body}");
    }
    let (_, log) = get(&h, "/console/api/projects/demo/audit", &cookie).await;
    let actions: Vec<&Value> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["action"])
        .collect();
    assert_eq!(
        actions,
        ["rolled_back", "draft_saved", "published", "published"]
    );
}

#[tokio::test]
async fn a_viewer_reads_reports_through_the_console_without_the_admin_key() {
    let h = harness();
    user(&h, "vic", Role::Viewer);
    h.registry
        .publish(
            "demo",
            CONFIG,
            &waymark_collector::console::audit::Actor::Startup,
            None,
        )
        .unwrap();
    let cookie = cookie_for(&h, "vic").await;
    let (status, report) = get(
        &h,
        "/console/api/projects/demo/reports/surveys/nps",
        &cookie,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        (report["survey"].clone(), report["responses"].clone()),
        (json!("nps"), json!(0))
    );
    let (status, body) = get(
        &h,
        "/console/api/projects/demo/reports/experiments/nope",
        &cookie,
    )
    .await;
    assert_eq!(
        (status, body["error"].clone()),
        (StatusCode::NOT_FOUND, json!("unknown_experiment"))
    );
    let (status, _, body) = call(
        &h,
        request(
            "GET",
            "/console/api/projects/demo/reports/surveys/nps",
            None,
            "",
        ),
    )
    .await;
    assert_eq!(
        (status, body["error"].clone()),
        (StatusCode::UNAUTHORIZED, json!("not_signed_in"))
    );
}
