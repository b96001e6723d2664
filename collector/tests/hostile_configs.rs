//! Hostile content changes and tour targets, from the table in `tests/fixtures/hostile.json`
//! (which `tests/e2e/hostile.test.mjs` replays in Chromium around the collector): each is
//! published alone, through `PUT /v1/admin/config`, and refused with its code at its JSON
//! pointer, except the few the table marks `browser`: what those do depends on the element
//! the selector finds, which only the browser knows, and they publish.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::*;
use serde_json::{json, Value};
use waymark_collector::registry::KeyKind;

fn table() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/hostile.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"))
}

/// Publishes `config`; the errors it is refused with, as (code, pointer), or none.
async fn refusals(h: &Harness, admin: &str, config: &Value) -> Vec<(String, String)> {
    let request = Request::put("/v1/admin/config")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {admin}"))
        .body(Body::from(config.to_string()))
        .unwrap();
    let (status, _, body) = h.send(request).await;
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if status == StatusCode::OK {
        return Vec::new();
    }
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    body["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_owned(),
                d["pointer"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Runs every row of one section of the table: `experience(row)` makes the experience, and
/// `at` is where the row's pointer starts in it.
async fn check(section: &str, at: &str, experience: impl Fn(&Value) -> Value) -> usize {
    let h = harness();
    let admin = h.registry.rotate("demo", KeyKind::Admin).unwrap();
    let table = table();
    let rows = table[section].as_array().unwrap();
    let mut wrong = Vec::new();
    for row in rows {
        let config = json!({ "experiences": [experience(row)] });
        let found = refusals(&h, &admin, &config).await;
        let expected = match row["code"].as_str().unwrap() {
            "" => Vec::new(),
            code => vec![(
                code.to_owned(),
                format!("{at}{}", row["pointer"].as_str().unwrap()),
            )],
        };
        if found != expected {
            wrong.push(format!(
                "{}: expected {expected:?}, got {found:?}",
                row["why"]
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    rows.len()
}

#[tokio::test]
async fn every_hostile_content_change_is_refused_with_its_code_at_its_pointer() {
    let rows = check("changes", "/experiences/0/changes/0", |row| {
        // A harmless second change, so that a refused first one leaves the experience
        // with changes (and only its own diagnostic).
        json!({"id": "hostile", "kind": "content", "trigger": {"page_view": true},
               "changes": [row["change"], {"selector": "#greeting", "text": "Hi"}]})
    })
    .await;
    assert!(rows > 50, "the table has {rows} changes");
}

#[tokio::test]
async fn every_hostile_tour_target_is_refused_with_its_code_at_its_pointer() {
    check("targets", "/experiences/0/tour/steps/0/target", |row| {
        json!({"id": "hostile", "kind": "tour", "trigger": {"page_view": true},
               "tour": {"steps": [{"id": "s", "title": "S", "target": row["target"]}]}})
    })
    .await;
}

#[tokio::test]
async fn a_hostile_element_trigger_is_refused_with_its_code_at_its_pointer() {
    check("triggers", "/experiences/0/trigger", |row| {
        json!({"id": "hostile", "kind": "content", "trigger": row["trigger"],
               "changes": [{"selector": "#greeting", "text": "Hi"}]})
    })
    .await;
}

#[tokio::test]
async fn a_refusal_names_the_attribute_and_says_what_is_allowed() {
    let h = harness();
    let admin = h.registry.rotate("demo", KeyKind::Admin).unwrap();
    let config = json!({"experiences": [{"id": "x", "kind": "content", "trigger": {"page_view": true},
        "changes": [{"selector": "#submit", "attribute": " onclick", "value": "x()"},
                    {"selector": "link", "attribute": "href", "value": "/x.css"}]}]});
    let request = Request::put("/v1/admin/config")
        .header(header::AUTHORIZATION, format!("Bearer {admin}"))
        .body(Body::from(config.to_string()))
        .unwrap();
    let (_, _, body) = h.send(request).await;
    let body: Value = serde_json::from_slice(&body).unwrap();
    let messages: Vec<&str> = body["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        [
            "\" onclick\" cannot be set: a content change may set alt, title, placeholder and aria-* attributes on any element, href on a and area elements and src on img elements (use text, add_class or a banner for the rest)",
            "href is set only on a and area elements, and this selector finds link elements",
        ]
    );
}

#[test]
fn a_config_file_that_cannot_be_published_stops_the_start_with_its_diagnostics_and_no_backtrace() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("waymark.json");
    std::fs::write(
        &file,
        r#"{"experiences": [{"id": "x", "kind": "content", "trigger": {"page_view": true},
            "changes": [{"selector": "a[", "attribute": "onclick", "value": "x()"}]}]}"#,
    )
    .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_waymark-collector"))
        .args(["--listen", "127.0.0.1:0", "--project", "demo=pk_test_demo"])
        .arg("--db")
        .arg(dir.path().join("w.db"))
        .arg("--publish-config")
        .arg(format!("demo={}", file.display()))
        .env("RUST_BACKTRACE", "1")
        .env("WAYMARK_LOG", "error")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error at /experiences/0/changes/0/selector (invalid_selector)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("error at /experiences/0/changes/0/attribute (forbidden_attribute)"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("backtrace") && !stderr.contains("Stack backtrace"),
        "{stderr}"
    );
    assert!(
        !String::from_utf8_lossy(&output.stdout).contains("listening"),
        "it never listened"
    );
}
