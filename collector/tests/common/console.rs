//! Console requests: users, sign-in, and requests from the console's own origin.

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use serde_json::{json, Value};
use waymark_collector::console::Role;

use super::{harness, Harness, RECEIVED_AT};

pub const HOST: &str = "console.example";
pub const ORIGIN: &str = "http://console.example";
pub const PASSWORD: &str = "a long passphrase";

pub const CONFIG: &str = r#"{"experiences": [{"id": "nps", "kind": "survey", "trigger": {"page_view": ["/"]},
    "survey": {"questions": [{"id": "score", "type": "nps", "text": "How likely are you to recommend us?",
        "labels": {"low": "Not likely", "high": "Very likely"}}]}}]}"#;

pub fn user(h: &Harness, name: &str, role: Role) {
    h.accounts
        .create_user(name, PASSWORD, "demo", role, RECEIVED_AT)
        .unwrap();
}

/// A console request from the console's own origin, with `cookie` if given.
pub fn request(method: &str, uri: &str, cookie: Option<&str>, body: &str) -> Request<Body> {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::HOST, HOST)
        .header(header::ORIGIN, ORIGIN)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.body(Body::from(body.to_owned())).unwrap()
}

pub async fn call(h: &Harness, request: Request<Body>) -> (StatusCode, HeaderMap, Value) {
    let (status, headers, body) = h.send(request).await;
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    (status, headers, body)
}

pub async fn sign_in_as(h: &Harness, name: &str, password: &str) -> (StatusCode, HeaderMap, Value) {
    let body = json!({ "name": name, "password": password }).to_string();
    call(h, request("POST", "/console/api/session", None, &body)).await
}

/// Signs in and returns the `Cookie` header value the browser would send back.
pub async fn cookie_for(h: &Harness, name: &str) -> String {
    let (status, headers, body) = sign_in_as(h, name, PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let set = headers[header::SET_COOKIE].to_str().unwrap();
    set.split(';').next().unwrap().to_owned()
}

/// A fresh collector with one console user, `name`, of `role` in the demo project, signed
/// in: the harness and the `Cookie` header value their browser would send.
pub async fn signed_in(name: &str, role: Role) -> (Harness, String) {
    let h = harness();
    user(&h, name, role);
    let cookie = cookie_for(&h, name).await;
    (h, cookie)
}

/// Publishes `config` from the console as the user of `cookie`; the answer must be a 200.
pub async fn publish(h: &Harness, cookie: &str, config: &str) -> Value {
    let uri = "/console/api/projects/demo/versions";
    let (status, _, published) = call(h, request("POST", uri, Some(cookie), config)).await;
    assert_eq!(status, StatusCode::OK, "{published}");
    published
}

/// The demo project's audit log, newest first, as the user of `cookie` reads it.
pub async fn audit_entries(h: &Harness, cookie: &str) -> Vec<Value> {
    let uri = "/console/api/projects/demo/audit";
    let (status, _, log) = call(h, request("GET", uri, Some(cookie), "")).await;
    assert_eq!(status, StatusCode::OK, "{log}");
    log["entries"].as_array().cloned().unwrap_or_default()
}
