//! A project's settings in the console, for its admins: the origins its pages may send from
//! and its keys, rotated with the new key shown once; each change in the audit log.

mod common;

use axum::http::StatusCode;
use common::console::*;
use common::KEY;
use serde_json::{json, Value};
use waymark_collector::console::Role;

async fn send(
    h: &common::Harness,
    method: &str,
    uri: &str,
    cookie: &str,
    body: &str,
) -> (StatusCode, Value) {
    let (status, _, body) = call(h, request(method, uri, Some(cookie), body)).await;
    (status, body)
}

/// The settings page's data, as the admin of `cookie` reads it.
async fn settings_of(h: &common::Harness, cookie: &str) -> Value {
    let uri = "/console/api/projects/demo/settings";
    let (status, settings) = send(h, "GET", uri, cookie, "").await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    settings
}

#[tokio::test]
async fn an_admin_sets_the_origins_and_a_bad_one_is_refused_by_name_with_nothing_changed() {
    let (h, cookie) = signed_in("ada", Role::Admin).await;
    let uri = "/console/api/projects/demo/origins";
    let (status, body) = send(
        &h,
        "PUT",
        uri,
        &cookie,
        r#"{"origins": ["https://app.example", "app.example/path"]}"#,
    )
    .await;
    assert_eq!(
        (status, body["error"].clone()),
        (StatusCode::BAD_REQUEST, json!("invalid_request"))
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("\"app.example/path\" is not an origin"),
        "{body}"
    );
    assert!(h.registry.origins("demo").is_empty(), "nothing changed");
    let (status, settings) = send(
        &h,
        "PUT",
        uri,
        &cookie,
        r#"{"origins": [" https://app.example ", "http://localhost:3000"]}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    assert_eq!(
        settings["origins"],
        json!(["https://app.example", "http://localhost:3000"])
    );
    assert!(h.registry.origin_allowed("demo", "https://app.example"));
    assert!(!h.registry.origin_allowed("demo", "https://evil.example"));
    let shown = settings_of(&h, &cookie).await;
    assert_eq!(shown["origins"], settings["origins"]);
    let entries = audit_entries(&h, &cookie).await;
    assert_eq!(
        (
            entries[0]["action"].clone(),
            entries[0]["actor"].clone(),
            entries[0]["setting"].clone()
        ),
        (
            json!("origins_changed"),
            json!("ada"),
            json!("https://app.example, http://localhost:3000")
        )
    );
}

#[tokio::test]
async fn rotating_the_public_key_answers_the_new_key_once_and_revokes_the_old_one() {
    let (h, cookie) = signed_in("ada", Role::Admin).await;
    assert!(h.registry.lookup(KEY).is_some());
    let (status, rotated) = send(
        &h,
        "POST",
        "/console/api/projects/demo/keys/rotate",
        &cookie,
        r#"{"kind": "public"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let key = rotated["key"].as_str().unwrap();
    assert!(key.starts_with("pk_"), "{key}");
    assert!(h.registry.lookup(KEY).is_none(), "the old key is revoked");
    assert!(h.registry.lookup(key).is_some(), "the new one works");
    let keys = rotated["settings"]["keys"].as_array().unwrap();
    let public: Vec<&Value> = keys.iter().filter(|k| k["kind"] == "public").collect();
    assert!(public
        .iter()
        .any(|k| k["revoked_at"].is_null() && key.starts_with(k["prefix"].as_str().unwrap())));
    assert!(public.iter().any(|k| k["revoked_at"].is_i64()));
    let shown = settings_of(&h, &cookie).await;
    assert!(
        !shown.to_string().contains(key),
        "the settings never show a key"
    );
    let (status, body) = send(
        &h,
        "POST",
        "/console/api/projects/demo/keys/rotate",
        &cookie,
        r#"{"kind": "secret"}"#,
    )
    .await;
    assert_eq!(
        (status, body["message"].clone()),
        (
            StatusCode::BAD_REQUEST,
            json!("kind must be \"public\" or \"admin\", not \"secret\"")
        )
    );
    let entries = audit_entries(&h, &cookie).await;
    assert_eq!(
        (entries[0]["action"].clone(), entries[0]["setting"].clone()),
        (json!("key_rotated"), json!("public"))
    );
}
