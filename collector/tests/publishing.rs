//! Config publishing: validated by waymark-core, versioned, rolled back, and served to the
//! SDK with ETag revalidation.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::*;
use serde_json::{json, Value};
use waymark_collector::registry::KeyKind;

const VALID: &str = r#"{
    "features": {"new-checkout": {"defaultValue": false, "rules": [{"id": "pro", "condition": {"plan": "pro"}, "force": true}]}},
    "experiences": [{"id": "nps", "kind": "survey", "trigger": {"page_view": ["/invoices*"]}, "audience": {"behavior.sessions.count": {"$gte": 3}},
        "survey": {"questions": [{"id": "score", "type": "nps", "text": "How likely are you to recommend Ledgerly?",
                                  "labels": {"low": "Not likely", "high": "Very likely"}}]}}]
}"#;

async fn admin_call(
    h: &Harness,
    method: &str,
    uri: &str,
    key: Option<&str>,
    body: &str,
) -> (StatusCode, Value) {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(key) = key {
        request = request.header(header::AUTHORIZATION, format!("Bearer {key}"));
    }
    let (status, _, body) = h
        .send(request.body(Body::from(body.to_owned())).unwrap())
        .await;
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

async fn served(h: &Harness, if_none_match: Option<&str>) -> (StatusCode, Option<String>, Value) {
    let mut request = Request::get(format!("/v1/config?key={KEY}"));
    if let Some(tag) = if_none_match {
        request = request.header(header::IF_NONE_MATCH, tag);
    }
    let (status, headers, body) = h.send(request.body(Body::empty()).unwrap()).await;
    let etag = headers
        .get(header::ETAG)
        .map(|v| v.to_str().unwrap().to_owned());
    (
        status,
        etag,
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn a_valid_config_is_published_as_a_version_and_served_with_an_etag() {
    let h = harness();
    let admin = h.registry.rotate("demo", KeyKind::Admin).unwrap();
    let (status, body) = admin_call(&h, "PUT", "/v1/admin/config", Some(&admin), VALID).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["version"].clone(), body["warnings"].clone()),
        (json!(1), json!([]))
    );

    let (status, etag, envelope) = served(&h, None).await;
    assert_eq!((status, etag.as_deref()), (StatusCode::OK, Some("\"v1\"")));
    assert_eq!(
        (envelope["project"].clone(), envelope["version"].clone()),
        (json!("demo"), json!(1))
    );
    assert_eq!(envelope["config"]["experiences"][0]["id"], "nps");
    let (status, _, _) = served(&h, Some("\"v1\"")).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn before_anything_is_published_the_sdk_gets_an_empty_config() {
    let h = harness();
    let (status, etag, envelope) = served(&h, None).await;
    assert_eq!(
        (
            status,
            etag.as_deref(),
            envelope["version"].clone(),
            envelope["config"].clone()
        ),
        (StatusCode::OK, Some("\"v0\""), json!(0), json!({}))
    );
}

#[tokio::test]
async fn an_invalid_config_is_refused_with_every_diagnostic_and_the_previous_one_stays() {
    let h = harness();
    let admin = h.registry.rotate("demo", KeyKind::Admin).unwrap();
    admin_call(&h, "PUT", "/v1/admin/config", Some(&admin), VALID).await;
    let broken = r#"{"experiences": [
        {"id": "nps", "kind": "survey", "trigger": {"page_view": true}, "audience": {"plan": {"$bogus": 1}},
         "survey": {"questions": [{"id": "why", "type": "text", "text": "Why?"}]}},
        {"id": "tour", "kind": "tour", "trigger": {"nope": 1}, "tour": {"steps": [{"id": "hello", "title": "Hello"}]}}
    ]}"#;
    let (status, body) = admin_call(&h, "PUT", "/v1/admin/config", Some(&admin), broken).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_config"))
    );
    let found: Vec<(String, String)> = body["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["subject"].as_str().unwrap().to_owned(),
                d["pointer"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                "nps".to_owned(),
                "/experiences/0/audience/plan/$bogus".to_owned()
            ),
            ("tour".to_owned(), "/experiences/1/trigger".to_owned())
        ]
    );
    assert_eq!(
        served(&h, None).await.1.as_deref(),
        Some("\"v1\""),
        "version 1 is still served"
    );
}

#[tokio::test]
async fn a_rollback_republishes_an_old_version_and_keeps_the_history() {
    let h = harness();
    let admin = h.registry.rotate("demo", KeyKind::Admin).unwrap();
    admin_call(&h, "PUT", "/v1/admin/config", Some(&admin), VALID).await;
    admin_call(
        &h,
        "PUT",
        "/v1/admin/config",
        Some(&admin),
        r#"{"features": {}}"#,
    )
    .await;
    let (status, body) = admin_call(
        &h,
        "POST",
        "/v1/admin/config/rollback",
        Some(&admin),
        r#"{"version": 1}"#,
    )
    .await;
    assert_eq!(
        (
            status,
            body["version"].clone(),
            body["rolled_back_from"].clone()
        ),
        (StatusCode::OK, json!(3), json!(1))
    );
    let (_, etag, envelope) = served(&h, None).await;
    assert_eq!(etag.as_deref(), Some("\"v3\""));
    assert_eq!(envelope["config"]["experiences"][0]["id"], "nps");
    let (_, versions) = admin_call(&h, "GET", "/v1/admin/config/versions", Some(&admin), "").await;
    let summary: Vec<(i64, bool)> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["version"].as_i64().unwrap(),
                v["active"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(summary, [(3, true), (2, false), (1, false)]);
    assert!(
        versions[0]["key_id"].as_str().unwrap().starts_with("key_"),
        "who published it is recorded"
    );
    let (status, body) = admin_call(
        &h,
        "POST",
        "/v1/admin/config/rollback",
        Some(&admin),
        r#"{"version": 9}"#,
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("no_such_version"))
    );
}

#[tokio::test]
async fn publishing_needs_the_admin_key() {
    let h = harness();
    let (status, body) = admin_call(&h, "PUT", "/v1/admin/config", None, VALID).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("missing_admin_key"))
    );
    let (status, body) = admin_call(&h, "PUT", "/v1/admin/config", Some(KEY), VALID).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("admin_key_required"))
    );
    let (status, body) =
        admin_call(&h, "PUT", "/v1/admin/config", Some("sk_not_a_key"), VALID).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unknown_key"))
    );
    let admin = h.registry.rotate("demo", KeyKind::Admin).unwrap();
    let (status, body) = admin_call(&h, "PUT", "/v1/admin/config", Some(&admin), "{not json").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("malformed_json"))
    );
}

#[tokio::test]
async fn a_config_file_is_published_at_start_up_once_and_served() {
    use waymark_collector::publishing::{publish_file, FilePublished, STARTUP_KEY_ID};
    let h = harness();
    let file = h.db.with_file_name("waymark.json");
    std::fs::write(&file, VALID).unwrap();
    let FilePublished::Published(version, warnings) =
        publish_file(&h.registry, "demo", &file).unwrap()
    else {
        panic!("the first start publishes the file")
    };
    assert_eq!(
        (version.version, version.key_id.as_str(), warnings.len()),
        (1, STARTUP_KEY_ID, 0)
    );
    // The same config, formatted otherwise: nothing new is published.
    let reformatted =
        serde_json::to_string_pretty(&serde_json::from_str::<Value>(VALID).unwrap()).unwrap();
    std::fs::write(&file, reformatted).unwrap();
    assert!(matches!(
        publish_file(&h.registry, "demo", &file).unwrap(),
        FilePublished::Unchanged(1)
    ));
    let (status, etag, body) = served(&h, None).await;
    assert_eq!((status, etag.as_deref()), (StatusCode::OK, Some("\"v1\"")));
    assert_eq!(
        body["config"],
        serde_json::from_str::<Value>(VALID).unwrap()
    );
}

#[tokio::test]
async fn a_config_file_that_cannot_be_published_says_why_and_publishes_nothing() {
    use waymark_collector::publishing::{publish_file, PublishFileError};
    let h = harness();
    let file = h.db.with_file_name("waymark.json");
    let missing = publish_file(&h.registry, "demo", &file).unwrap_err();
    assert!(
        matches!(missing, PublishFileError::Read { .. }),
        "{missing}"
    );
    assert!(missing.to_string().contains("waymark.json"), "{missing}");

    std::fs::write(&file, "{\"experiences\": [").unwrap();
    let not_json = publish_file(&h.registry, "demo", &file).unwrap_err();
    assert!(
        matches!(not_json, PublishFileError::Json { .. }),
        "{not_json}"
    );

    std::fs::write(&file, r#"{"experiences": [{"id": "nps", "kind": "survey", "trigger": {"page_view": true}, "survey": {"questions": []}}]}"#).unwrap();
    let invalid = publish_file(&h.registry, "demo", &file).unwrap_err();
    let PublishFileError::Invalid { diagnostics, .. } = &invalid else {
        panic!("{invalid}")
    };
    assert_eq!(diagnostics[0].pointer, "/experiences/0/survey/questions");
    assert!(
        invalid
            .to_string()
            .contains("/experiences/0/survey/questions"),
        "{invalid}"
    );

    std::fs::write(&file, VALID).unwrap();
    let unknown = publish_file(&h.registry, "nobody", &file).unwrap_err();
    assert!(
        matches!(unknown, PublishFileError::UnknownProject(_)),
        "{unknown}"
    );
    assert_eq!(
        served(&h, None).await.0,
        StatusCode::OK,
        "the config endpoint answers"
    );
    assert_eq!(
        served(&h, None).await.2["version"],
        json!(0),
        "nothing was published"
    );
}
