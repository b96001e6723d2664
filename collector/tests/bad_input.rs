//! Bad input, one row a case: each gets its status and error tag, and stores nothing.
#![allow(clippy::print_stdout)] // Prints the case count.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::*;
use serde_json::{json, Value};
use waymark_collector::config::Limits;
use waymark_collector::limits::RateLimits;
use waymark_collector::registry::KeyKind;

/// One bad request and what it must get.
struct Case {
    name: &'static str,
    body: Vec<u8>,
    content_type: Option<&'static str>,
    encoding: Option<&'static str>,
    status: StatusCode,
    tag: &'static str,
    /// What the message must name (the field at fault), if anything.
    naming: Option<&'static str>,
}

impl Case {
    /// The message must name `field`.
    fn naming(mut self, field: &'static str) -> Case {
        self.naming = Some(field);
        self
    }
}

fn json_case(
    name: &'static str,
    edit: impl FnOnce(&mut Value),
    status: StatusCode,
    tag: &'static str,
) -> Case {
    let mut batch = fixture();
    edit(&mut batch);
    Case {
        name,
        body: batch.to_string().into_bytes(),
        content_type: Some("application/json"),
        encoding: None,
        status,
        tag,
        naming: None,
    }
}

/// A well-formed event that breaks a rule: alone in its batch, it is answered `200` with a
/// `rejected` result carrying the tag, and nothing is stored.
fn rejected_case(name: &'static str, edit: impl FnOnce(&mut Value), tag: &'static str) -> Case {
    let mut batch = fixture();
    edit(&mut batch);
    batch["events"].as_array_mut().unwrap().truncate(1);
    Case {
        name,
        body: batch.to_string().into_bytes(),
        content_type: Some("application/json"),
        encoding: None,
        status: StatusCode::OK,
        tag,
        naming: None,
    }
}

fn raw_case(
    name: &'static str,
    body: impl Into<Vec<u8>>,
    status: StatusCode,
    tag: &'static str,
) -> Case {
    Case {
        name,
        body: body.into(),
        content_type: Some("application/json"),
        encoding: None,
        status,
        tag,
        naming: None,
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn remove<'a>(path: &'a [&'a str]) -> impl FnOnce(&mut Value) + 'a {
    move |batch| {
        let (last, parents) = path.split_last().unwrap();
        let mut target = batch;
        for part in parents {
            target = match part.parse::<usize>() {
                Ok(i) => &mut target[i],
                Err(_) => &mut target[*part],
            };
        }
        target.as_object_mut().unwrap().remove(*last);
    }
}

fn cases(admin_key: &str) -> Vec<Case> {
    const BAD: StatusCode = StatusCode::BAD_REQUEST;
    const LARGE: StatusCode = StatusCode::PAYLOAD_TOO_LARGE;
    const UNAUTHORIZED: StatusCode = StatusCode::UNAUTHORIZED;
    const MEDIA: StatusCode = StatusCode::UNSUPPORTED_MEDIA_TYPE;
    let fixture_text = fixture().to_string();
    let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    let admin_key = admin_key.to_owned();
    vec![
        raw_case("empty body", "", BAD, "malformed_json"),
        raw_case(
            "truncated JSON",
            &fixture_text[..fixture_text.len() / 2],
            BAD,
            "malformed_json",
        ),
        raw_case(
            "trailing garbage",
            format!("{fixture_text} x"),
            BAD,
            "malformed_json",
        ),
        raw_case("not JSON at all", "hello", BAD, "malformed_json"),
        raw_case(
            "invalid UTF-8",
            fixture_text
                .replace("Ledgerly", "Ledg\u{fffd}")
                .into_bytes()
                .into_iter()
                .map(|b| if b == 0xef { 0xff } else { b })
                .collect::<Vec<_>>(),
            BAD,
            "malformed_json",
        ),
        raw_case("null", "null", BAD, "invalid_batch"),
        raw_case("an array", "[]", BAD, "invalid_batch"),
        raw_case("a string", "\"batch\"", BAD, "invalid_batch"),
        raw_case("a number", "42", BAD, "invalid_batch"),
        raw_case(
            "deep nesting",
            format!(r#"{{"key":"{KEY}","sent_at":1,"events":[{{"properties":{{"x":{deep}}}}}]}}"#),
            BAD,
            "malformed_json",
        ),
        json_case("missing key", remove(&["key"]), BAD, "invalid_batch"),
        json_case(
            "key of the wrong type",
            |b| b["key"] = json!(7),
            BAD,
            "invalid_batch",
        ),
        json_case(
            "unknown key",
            |b| b["key"] = json!("pk_unknown_key"),
            UNAUTHORIZED,
            "unknown_key",
        ),
        json_case(
            "admin key from a page",
            move |b| b["key"] = json!(admin_key),
            UNAUTHORIZED,
            "admin_key_not_allowed",
        ),
        json_case(
            "missing sent_at",
            remove(&["sent_at"]),
            BAD,
            "invalid_batch",
        ),
        json_case(
            "negative sent_at",
            |b| b["sent_at"] = json!(-5),
            BAD,
            "invalid_batch",
        ),
        json_case(
            "sent_at as a string",
            |b| b["sent_at"] = json!("yesterday"),
            BAD,
            "invalid_batch",
        ),
        json_case("missing events", remove(&["events"]), BAD, "invalid_batch"),
        json_case(
            "events not an array",
            |b| b["events"] = json!({}),
            BAD,
            "invalid_batch",
        ),
        json_case("no events", |b| b["events"] = json!([]), BAD, "empty_batch"),
        json_case(
            "an event that is not an object",
            |b| b["events"][1] = json!("click"),
            BAD,
            "invalid_batch",
        ),
        json_case(
            "event without id",
            remove(&["events", "1", "id"]),
            BAD,
            "invalid_batch",
        ),
        json_case(
            "event id not a UUID",
            |b| b["events"][0]["id"] = json!("42"),
            BAD,
            "invalid_batch",
        ),
        rejected_case(
            "nil event id",
            |b| b["events"][0]["id"] = json!("00000000-0000-0000-0000-000000000000"),
            "nil_event_id",
        ),
        json_case(
            "event without name",
            remove(&["events", "0", "name"]),
            BAD,
            "invalid_batch",
        ),
        rejected_case(
            "empty event name",
            |b| b["events"][0]["name"] = json!(""),
            "empty_event_name",
        ),
        rejected_case(
            "event name too long",
            |b| b["events"][0]["name"] = json!("n".repeat(201)),
            "event_name_too_long",
        ),
        json_case(
            "event name not a string",
            |b| b["events"][0]["name"] = json!(["click"]),
            BAD,
            "invalid_batch",
        ),
        json_case(
            "missing timestamp",
            remove(&["events", "0", "ts"]),
            BAD,
            "invalid_batch",
        ),
        // Times beyond what a signed 64-bit column keeps exactly: refused by type, never
        // stored wrapped, whichever field carries them.
        json_case(
            "timestamp one past 2^63 - 1",
            |b| b["events"][0]["ts"] = json!(1u64 << 63),
            BAD,
            "invalid_batch",
        )
        .naming("events[0].ts"),
        json_case(
            "sent_at at 2^64 - 1",
            |b| b["sent_at"] = json!(u64::MAX),
            BAD,
            "invalid_batch",
        )
        .naming("sent_at"),
        raw_case(
            "timestamp beyond 64 bits",
            fixture_text.replacen(
                &format!("\"ts\":{}", fixture()["events"][1]["ts"]),
                "\"ts\":18446744073709551616",
                1,
            ),
            BAD,
            "invalid_batch",
        )
        .naming("events[1].ts"),
        json_case(
            "timestamp in exponent notation",
            |b| b["events"][0]["ts"] = json!(1.7e12),
            BAD,
            "invalid_batch",
        )
        .naming("events[0].ts"),
        json_case(
            "negative timestamp",
            |b| b["events"][1]["ts"] = json!(-1),
            BAD,
            "invalid_batch",
        )
        .naming("events[1].ts"),
        json_case(
            "fractional timestamp",
            |b| b["events"][0]["ts"] = json!(1.5),
            BAD,
            "invalid_batch",
        ),
        json_case(
            "anonymous id not a UUID",
            |b| b["events"][0]["anonymous_id"] = json!("me"),
            BAD,
            "invalid_batch",
        ),
        json_case(
            "missing session id",
            remove(&["events", "0", "session_id"]),
            BAD,
            "invalid_batch",
        ),
        rejected_case(
            "empty user id",
            |b| b["events"][0]["user_id"] = json!(""),
            "bad_user_id",
        ),
        rejected_case(
            "user id too long",
            |b| b["events"][0]["user_id"] = json!("u".repeat(201)),
            "bad_user_id",
        ),
        json_case(
            "user id not a string",
            |b| b["events"][1]["user_id"] = json!(42),
            BAD,
            "invalid_batch",
        ),
        json_case(
            "properties not an object",
            |b| b["events"][1]["properties"] = json!([1, 2]),
            BAD,
            "invalid_batch",
        ),
        json_case(
            "traits not an object",
            |b| b["events"][1]["traits"] = json!("pro"),
            BAD,
            "invalid_batch",
        ),
        json_case(
            "missing context",
            remove(&["events", "0", "context"]),
            BAD,
            "invalid_batch",
        ),
        json_case(
            "page without url",
            remove(&["events", "0", "context", "page", "url"]),
            BAD,
            "invalid_batch",
        ),
        json_case(
            "negative viewport",
            |b| b["events"][0]["context"]["viewport"]["width"] = json!(-1),
            BAD,
            "invalid_batch",
        ),
        rejected_case(
            "an event over the size limit",
            |b| b["events"][0]["properties"] = json!({"note": "x".repeat(40_000)}),
            "event_too_large",
        ),
        json_case(
            "a huge string",
            |b| b["events"][0]["properties"] = json!({"blob": "x".repeat(2 * 1024 * 1024)}),
            LARGE,
            "body_too_large",
        ),
        json_case(
            "too many events",
            |b| b["events"] = Value::Array(vec![b["events"][0].clone(); 1_001]),
            LARGE,
            "too_many_events",
        ),
        Case {
            name: "form content type",
            body: fixture_text.clone().into_bytes(),
            content_type: Some("application/x-www-form-urlencoded"),
            encoding: None,
            status: MEDIA,
            tag: "unsupported_media_type",
            naming: None,
        },
        Case {
            name: "brotli encoding",
            body: fixture_text.clone().into_bytes(),
            content_type: Some("application/json"),
            encoding: Some("br"),
            status: MEDIA,
            tag: "unsupported_encoding",
            naming: None,
        },
        Case {
            name: "corrupt gzip",
            body: gzip(fixture_text.as_bytes())[..20].to_vec(),
            content_type: Some("text/plain"),
            encoding: Some("gzip"),
            status: BAD,
            tag: "malformed_gzip",
            naming: None,
        },
        Case {
            name: "gzip bomb",
            body: gzip(&vec![b' '; 20 * 1024 * 1024]),
            content_type: Some("text/plain"),
            encoding: Some("gzip"),
            status: LARGE,
            tag: "compression_ratio_exceeded",
            naming: None,
        },
        Case {
            name: "gzip of something not JSON",
            body: gzip(b"not json"),
            content_type: Some("text/plain"),
            encoding: None,
            status: BAD,
            tag: "malformed_json",
            naming: None,
        },
    ]
}

#[tokio::test]
async fn every_bad_input_gets_its_status_and_tag_and_stores_nothing() {
    let h = harness_full(Limits::default(), RateLimits::unlimited(), false);
    let admin_key = h.registry.rotate("demo", KeyKind::Admin).unwrap();
    let cases = cases(&admin_key);
    let mut failures = Vec::new();
    for case in &cases {
        let mut request = Request::post("/v1/batch");
        if let Some(content_type) = case.content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        if let Some(encoding) = case.encoding {
            request = request.header(header::CONTENT_ENCODING, encoding);
        }
        let (status, _, body) = h
            .send(request.body(Body::from(case.body.clone())).unwrap())
            .await;
        let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        // A refused batch names its error at the top; an accepted one with a rejected event
        // names it in that event's result.
        let answer = if status == StatusCode::OK {
            &answer["results"][0]
        } else {
            &answer
        };
        let tag = answer["error"]
            .as_str()
            .or_else(|| {
                (answer["status"] == "rejected")
                    .then(|| answer["reason"].as_str())
                    .flatten()
            })
            .unwrap_or("(no error tag)");
        let message = answer["message"].as_str().unwrap_or("");
        let message_ok = !message.is_empty() && case.naming.is_none_or(|f| message.contains(f));
        if status != case.status || tag != case.tag || !message_ok {
            failures.push(format!(
                "  {}: got {status} {tag} ({message:?}), expected {} {}{}",
                case.name,
                case.status,
                case.tag,
                case.naming
                    .map_or(String::new(), |f| format!(" naming {f}"))
            ));
        }
        if h.event_count() != 0 {
            failures.push(format!("  {}: stored something", case.name));
        }
    }
    println!(
        "bad input: {} cases, {} failed",
        cases.len(),
        failures.len()
    );
    assert!(cases.len() >= 40);
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[tokio::test]
async fn a_rejected_event_does_not_hold_back_the_rest_of_its_batch() {
    let h = harness();
    let mut batch = fixture();
    let count = batch["events"].as_array().unwrap().len();
    assert!(count >= 2, "the fixture needs two events");
    batch["events"][1]["name"] = json!("");
    let bad_id = batch["events"][1]["id"].clone();
    let (status, body) = h.post(&batch).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["stored"].clone(), body["rejected"].clone()),
        (json!(count - 1), json!(1))
    );
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), count, "one result per event, in order");
    assert_eq!(results[0]["status"], "ok");
    assert_eq!(
        (
            &results[1]["id"],
            &results[1]["status"],
            &results[1]["reason"]
        ),
        (&bad_id, &json!("rejected"), &json!("empty_event_name"))
    );
    assert!(results[1]["message"]
        .as_str()
        .unwrap()
        .starts_with("events[1]: "));
    assert_eq!(h.event_count(), count as i64 - 1);

    // Sent again, the good ones are duplicates and the bad one is rejected again.
    let (_, again) = h.post(&batch).await;
    assert_eq!(
        (again["duplicates"].clone(), again["rejected"].clone()),
        (json!(count - 1), json!(1))
    );
}

#[tokio::test]
async fn duplicate_ids_within_a_batch_store_one_event() {
    let h = harness();
    let mut batch = fixture();
    batch["events"][1]["id"] = batch["events"][0]["id"].clone();
    let (status, body) = h.post(&batch).await;
    assert_eq!(
        (status, body["stored"].clone(), body["duplicates"].clone()),
        (StatusCode::OK, json!(1), json!(1))
    );
    assert_eq!(h.event_count(), 1);
}

#[tokio::test]
async fn a_timestamp_days_in_the_future_is_stored_at_receipt() {
    let h = harness();
    let mut batch = fixture();
    batch["events"][0]["ts"] = json!(RECEIVED_AT.0 + 5 * 86_400_000);
    assert_eq!(h.post(&batch).await.0, StatusCode::OK);
    let rows = h.rows("SELECT timestamp FROM events WHERE name = '$pageview'");
    assert_eq!(
        rows,
        vec![vec![rusqlite::types::Value::Integer(RECEIVED_AT.0 as i64)]]
    );
}

#[tokio::test]
async fn the_largest_storable_timestamp_is_accepted_and_stored_at_receipt() {
    let h = harness();
    let mut batch = fixture();
    batch["events"][0]["ts"] = json!(i64::MAX);
    batch["sent_at"] = json!(i64::MAX);
    let (status, body) = h.post(&batch).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let rows = h.rows("SELECT ts, sent_at, timestamp FROM events WHERE name = '$pageview'");
    use rusqlite::types::Value::Integer;
    assert_eq!(
        rows,
        vec![vec![
            Integer(i64::MAX),
            Integer(i64::MAX),
            Integer(RECEIVED_AT.0 as i64)
        ]]
    );
}

/// Counts the events logged at error level while it is the thread's subscriber.
struct ErrorLines(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for ErrorLines {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if *event.metadata().level() == tracing::Level::ERROR {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

/// Paths that name no file, in each way a client can make the file system refuse one: the SDK
/// folder answers a JSON 404, the site its index, and neither logs an error.
#[tokio::test]
async fn static_paths_the_file_system_refuses_are_the_clients_fault() {
    use tracing_subscriber::layer::SubscriberExt as _;
    let errors = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let _logging = tracing::subscriber::set_default(
        tracing_subscriber::registry().with(ErrorLines(errors.clone())),
    );
    let h = harness();
    let long_name = "a".repeat(300);
    let long_path = "abcdefgh/".repeat(600);
    let names = [
        (
            "a name longer than a file name may be",
            format!("{long_name}.js"),
        ),
        (
            "a path longer than a path may be",
            format!("{long_path}x.js"),
        ),
        ("a path through a file", "waymark.js/inside".to_owned()),
        ("a NUL byte", "a%00.js".to_owned()),
        ("percent-encoded invalid UTF-8", "%FF%FE.js".to_owned()),
        (
            "a way out of the folder",
            "%2e%2e/%2e%2e/etc/passwd".to_owned(),
        ),
        ("backslashes", "..%5c..%5cCargo.toml".to_owned()),
        ("a folder without an index", "nested/".to_owned()),
        ("nothing at all", "missing.js".to_owned()),
    ];
    let mut failures = Vec::new();
    for (case, name) in &names {
        let (status, _, body) = h.get(&format!("/sdk/{name}")).await;
        let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        if status != StatusCode::NOT_FOUND || answer["error"] != "not_found" {
            failures.push(format!("  /sdk/ with {case}: got {status} {answer}"));
        }
        let (status, _, body) = h.get(&format!("/{name}")).await;
        if status != StatusCode::OK || !String::from_utf8_lossy(&body).contains("<title>Demo") {
            failures.push(format!(
                "  the site with {case}: got {status}, not the index"
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    assert_eq!(
        errors.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "a client's path logged an error"
    );
}

/// A bad request other than a batch, and what it must get.
struct Refusal {
    name: &'static str,
    method: Method,
    uri: String,
    /// Sent as `Authorization: Bearer …`.
    bearer: Option<String>,
    status: StatusCode,
    tag: &'static str,
    /// What the message must say, if anything.
    saying: Option<&'static str>,
}

fn refusal(
    name: &'static str,
    uri: impl Into<String>,
    bearer: Option<&str>,
    status: StatusCode,
    tag: &'static str,
) -> Refusal {
    Refusal {
        name,
        method: Method::GET,
        uri: uri.into(),
        bearer: bearer.map(str::to_owned),
        status,
        tag,
        saying: None,
    }
}

impl Refusal {
    fn saying(mut self, text: &'static str) -> Refusal {
        self.saying = Some(text);
        self
    }

    fn method(mut self, method: Method) -> Refusal {
        self.method = method;
        self
    }
}

fn refusals(admin: &str) -> Vec<Refusal> {
    const BAD: StatusCode = StatusCode::BAD_REQUEST;
    const UNAUTHORIZED: StatusCode = StatusCode::UNAUTHORIZED;
    const METHOD: StatusCode = StatusCode::METHOD_NOT_ALLOWED;
    let invalid = |name, uri: &str| refusal(name, uri, Some(admin), BAD, "invalid_request");
    vec![
        // Query strings and paths that cannot be read, on every route that reads one.
        refusal(
            "a repeated key in the config read",
            format!("/v1/config?key={KEY}&key={KEY}"),
            None,
            BAD,
            "invalid_request",
        )
        .saying("duplicate field `key`"),
        invalid(
            "a repeated day in the event report",
            "/v1/reports/events?from=2026-01-01&from=2026-01-02",
        )
        .saying("duplicate field `from`"),
        invalid(
            "a repeated name in the event report",
            "/v1/reports/events?name=a&name=b",
        ),
        invalid(
            "a repeated goal in the experiment report",
            "/v1/reports/experiments/checkout?goal=a&goal=b",
        ),
        invalid(
            "a repeated limit in the survey report",
            "/v1/reports/surveys/nps?limit=1&limit=2",
        ),
        invalid(
            "an experiment id that is not UTF-8",
            "/v1/reports/experiments/%FF%FE",
        )
        .saying("the path"),
        invalid(
            "a survey id that is not UTF-8",
            "/v1/reports/surveys/%C3%28",
        )
        .saying("the path"),
        // Methods a route does not answer: the JSON error too, with Allow.
        refusal(
            "DELETE on the batch route",
            "/v1/batch",
            None,
            METHOD,
            "method_not_allowed",
        )
        .method(Method::DELETE),
        refusal(
            "POST on a report",
            "/v1/reports/events",
            Some(admin),
            METHOD,
            "method_not_allowed",
        )
        .method(Method::POST),
        refusal(
            "POST on an SDK file",
            "/sdk/waymark.js",
            None,
            METHOD,
            "method_not_allowed",
        )
        .method(Method::POST),
        // Keys where pages send them: the public key only; the admin key is refused, and its
        // owner told to rotate it, on every read a page makes.
        refusal(
            "the admin key in the config read",
            format!("/v1/config?key={admin}"),
            None,
            UNAUTHORIZED,
            "admin_key_not_allowed",
        )
        .saying("rotate the admin key"),
        refusal(
            "an unknown key in the config read",
            "/v1/config?key=pk_nope",
            None,
            UNAUTHORIZED,
            "unknown_key",
        ),
        refusal(
            "no key in the config read",
            "/v1/config",
            None,
            UNAUTHORIZED,
            "unknown_key",
        ),
        // Admin reads: the admin key in Authorization only. The public key anyone can read
        // from a page opens none of them, and no key is taken from a query string.
        refusal(
            "the public key on an admin read",
            "/v1/stats",
            Some(KEY),
            StatusCode::FORBIDDEN,
            "admin_key_required",
        ),
        refusal(
            "the admin key in the query string of an admin read",
            format!("/v1/stats?key={admin}"),
            None,
            UNAUTHORIZED,
            "missing_admin_key",
        ),
        refusal(
            "the public key in the query string of an admin read",
            format!("/v1/reports/events?key={KEY}"),
            None,
            UNAUTHORIZED,
            "missing_admin_key",
        ),
        refusal(
            "an unknown key on an admin read",
            "/v1/stats",
            Some("sk_nope"),
            UNAUTHORIZED,
            "unknown_key",
        ),
    ]
}

/// Every refusal is the JSON `Error` of `openapi.json`, with its status and tag, and stores
/// nothing.
#[tokio::test]
async fn every_bad_request_gets_its_status_and_tag_as_json() {
    let h = harness();
    let admin = h.registry.rotate("demo", KeyKind::Admin).unwrap();
    let cases = refusals(&admin);
    let mut failures = Vec::new();
    for case in &cases {
        let mut request = Request::builder()
            .method(case.method.clone())
            .uri(case.uri.as_str());
        if let Some(bearer) = &case.bearer {
            request = request.header(header::AUTHORIZATION, format!("Bearer {bearer}"));
        }
        let (status, headers, body) = h.send(request.body(Body::empty()).unwrap()).await;
        let json = headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v == "application/json");
        let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let message = answer["message"].as_str().unwrap_or("");
        let shaped = answer["error"].is_string() && answer["retryable"].is_boolean();
        let allow = status != StatusCode::METHOD_NOT_ALLOWED || headers.contains_key(header::ALLOW);
        if status != case.status
            || !allow
            || answer["error"] != case.tag
            || !json
            || !shaped
            || message.is_empty()
            || case.saying.is_some_and(|text| !message.contains(text))
        {
            failures.push(format!(
                "  {}: got {status} {}, expected {} {}",
                case.name,
                String::from_utf8_lossy(&body),
                case.status,
                case.tag
            ));
        }
    }
    assert_eq!(h.event_count(), 0);
    println!(
        "bad requests: {} cases, {} failed",
        cases.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// One mechanism reads query strings and paths, so every route refuses them the same way:
/// the collector's extractors, never axum's own (whose refusals are `text/plain`).
#[test]
fn no_handler_reads_a_query_or_a_path_with_axums_extractors() {
    let mut folders = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    let mut files = Vec::new();
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    assert!(files.len() > 20, "the walk found the sources: {files:?}");
    let mut offenders = Vec::new();
    for path in files {
        if path.file_name().is_some_and(|n| n == "extract.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let imports_axums = text.lines().any(|line| {
            let line = line.trim();
            line.starts_with("use axum::extract")
                && line
                    .split(|c: char| !c.is_alphanumeric() && c != '_')
                    .any(|word| ["Query", "Path", "rejection"].contains(&word))
        });
        if imports_axums
            || text.contains("axum::extract::Query")
            || text.contains("axum::extract::Path")
        {
            offenders.push(path.display().to_string());
        }
    }
    assert!(
        offenders.is_empty(),
        "use crate::extract instead in {offenders:?}"
    );
}
