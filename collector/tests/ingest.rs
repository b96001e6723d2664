//! `POST /v1/batch` and friends, driven through the router with `oneshot` (no socket), plus
//! one test over a real TCP connection.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::{json, Value};
use tower::ServiceExt;
use waymark_collector::config::Limits;
use waymark_collector::limits::{Rate, RateLimits};
use waymark_collector::registry::KeyKind;

mod common;

use common::*;

#[tokio::test]
async fn a_valid_batch_is_stored_and_each_event_answered() {
    let h = harness();
    let (status, body) = h.post(&fixture()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"stored": 2, "duplicates": 0, "rejected": 0, "results": [
            {"id": "019b7a3c-2a10-7000-8000-00000000a001", "status": "ok"},
            {"id": "019b7a3c-2a10-7000-8000-00000000a002", "status": "ok"},
        ]})
    );
    use rusqlite::types::Value::{Integer, Null, Text};
    let rows = h.rows(
        "SELECT project, name, path, user_id, properties, ts, sent_at, received_at, timestamp, locale
         FROM events ORDER BY id",
    );
    assert_eq!(
        rows,
        vec![
            vec![
                Text("demo".into()),
                Text("$pageview".into()),
                Text("/invoices".into()),
                Null,
                Text("{}".into()),
                Integer(1_767_225_600_000),
                Integer(1_767_225_602_000),
                Integer(1_767_225_605_000),
                Integer(1_767_225_603_000),
                Text("en-GB".into()),
            ],
            vec![
                Text("demo".into()),
                Text("invoice_created".into()),
                Text("/invoices".into()),
                Text("user_42".into()),
                Text(r#"{"amount":120,"currency":"EUR","draft":false}"#.into()),
                Integer(1_767_225_601_000),
                Integer(1_767_225_602_000),
                Integer(1_767_225_605_000),
                Integer(1_767_225_604_000),
                Null,
            ],
        ]
    );
}

#[tokio::test]
async fn a_retried_batch_stores_nothing_twice() {
    let h = harness();
    assert_eq!(h.post(&fixture()).await.0, StatusCode::OK);
    let mut retry = fixture();
    retry["sent_at"] = json!(1_767_225_609_000u64);
    let (status, body) = h.post(&retry).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (body["stored"].clone(), body["duplicates"].clone()),
        (json!(0), json!(2))
    );
    assert_eq!(body["results"][1]["status"], "duplicate");
    assert_eq!(h.event_count(), 2);
}

#[tokio::test]
async fn a_plain_text_body_is_accepted_so_browsers_need_no_preflight() {
    let h = harness();
    let (status, body) = h
        .post_raw(fixture().to_string(), Some("text/plain;charset=UTF-8"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(h.event_count(), 2);
}

#[tokio::test]
async fn identify_links_the_anonymous_id_to_the_user() {
    let h = harness();
    let mut batch = fixture();
    batch["events"][1]["name"] = json!("$identify");
    batch["events"][1]["traits"] = json!({"plan": "pro"});
    assert_eq!(h.post(&batch).await.0, StatusCode::OK);
    use rusqlite::types::Value::Text;
    assert_eq!(
        h.rows("SELECT anonymous_id, user_id FROM identities"),
        vec![vec![
            Text("019b7a3c-2a00-7000-8000-0000000000aa".into()),
            Text("user_42".into())
        ]]
    );
    assert_eq!(
        h.rows("SELECT traits FROM events WHERE name = '$identify'"),
        vec![vec![Text(r#"{"plan":"pro"}"#.into())]]
    );
}

/// Each bad request gets its status and error tag, a message naming the problem, and
/// stores nothing, not even the valid events beside the bad one.
async fn check_refused(
    h: &Harness,
    body: String,
    content_type: Option<&str>,
    status: StatusCode,
    tag: &str,
    says: &str,
) {
    let (got_status, answer) = h.post_raw(body, content_type).await;
    assert_eq!(
        (got_status, answer["error"].as_str()),
        (status, Some(tag)),
        "{answer}"
    );
    let message = answer["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(says),
        "message {message:?} should mention {says:?}"
    );
    assert_eq!(answer["retryable"], false);
    assert_eq!(h.event_count(), 0, "nothing from a refused batch is stored");
}

fn with(mut batch: Value, edit: impl FnOnce(&mut Value)) -> String {
    edit(&mut batch);
    batch.to_string()
}

#[tokio::test]
async fn bad_batches_are_refused_with_a_specific_error_and_nothing_is_stored() {
    let h = harness();
    let json = Some("application/json");
    let bad = StatusCode::BAD_REQUEST;
    check_refused(
        &h,
        "{\"key\": \"pk_test_demo\", \"events\": [".into(),
        json,
        bad,
        "malformed_json",
        "EOF",
    )
    .await;
    check_refused(
        &h,
        "not json".into(),
        json,
        bad,
        "malformed_json",
        "expected",
    )
    .await;
    check_refused(
        &h,
        format!("{} trailing", fixture()),
        json,
        bad,
        "malformed_json",
        "trailing",
    )
    .await;
    check_refused(
        &h,
        with(fixture(), |b| b["key"] = json!("pk_unknown")),
        json,
        StatusCode::UNAUTHORIZED,
        "unknown_key",
        "key",
    )
    .await;
    let no_id = with(fixture(), |b| {
        b["events"][1].as_object_mut().unwrap().remove("id");
    });
    check_refused(
        &h,
        no_id,
        json,
        bad,
        "invalid_batch",
        "events[1]: missing field `id`",
    )
    .await;
    let bad_id = with(fixture(), |b| b["events"][0]["id"] = json!("not-a-uuid"));
    check_refused(&h, bad_id, json, bad, "invalid_batch", "events[0].id").await;
    let no_key = with(fixture(), |b| {
        b.as_object_mut().unwrap().remove("key");
    });
    check_refused(
        &h,
        no_key,
        json,
        bad,
        "invalid_batch",
        "missing field `key`",
    )
    .await;
    check_refused(
        &h,
        with(fixture(), |b| b["events"] = json!([])),
        json,
        bad,
        "empty_batch",
        "no events",
    )
    .await;
    let form = Some("application/x-www-form-urlencoded");
    check_refused(
        &h,
        fixture().to_string(),
        form,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "text/plain",
    )
    .await;
}

#[tokio::test]
async fn oversized_batches_are_refused_with_413() {
    let h = harness_with(Limits {
        max_body_bytes: 2_000,
        max_events_per_batch: 1,
        ..Limits::default()
    });
    let big = with(fixture(), |b| {
        b["events"][0]["properties"] = json!({"blob": "x".repeat(3_000)})
    });
    check_refused(
        &h,
        big,
        None,
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        "2000 bytes",
    )
    .await;
    check_refused(
        &h,
        fixture().to_string(),
        None,
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_many_events",
        "at most 1",
    )
    .await;
}

#[tokio::test]
async fn a_body_without_content_length_is_still_held_to_the_limit() {
    let h = harness_with(Limits {
        max_body_bytes: 2_000,
        max_events_per_batch: 10,
        ..Limits::default()
    });
    let big = with(fixture(), |b| {
        b["events"][0]["properties"] = json!({"blob": "x".repeat(3_000)})
    });
    let chunks = big
        .into_bytes()
        .chunks(500)
        .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
        .collect::<Vec<_>>();
    let stream = Body::from_stream(futures_util::stream::iter(chunks));
    let (status, answer) = h.post_raw(stream, None).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("body_too_large"))
    );
    assert_eq!(h.event_count(), 0);
}

#[tokio::test]
async fn stats_count_a_projects_events_by_name_for_its_admin_only() {
    let h = harness();
    let admin = h.registry.rotate("demo", KeyKind::Admin).unwrap();
    h.post(&fixture()).await;
    let (status, body) = get_json(&h, "/v1/stats", Some(&admin)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"project": "demo", "events": 2, "by_name": [["$pageview", 1], ["invoice_created", 1]]})
    );
    // The public key is in every page's source: it reads nothing here, nor does a key in the
    // query string, where keys leak into logs.
    let (status, body) = get_json(&h, "/v1/stats", Some(KEY)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("admin_key_required"))
    );
    let (status, body) = get_json(&h, &format!("/v1/stats?key={admin}"), None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("missing_admin_key"))
    );
}

#[tokio::test]
async fn sdk_files_are_served_with_their_types_and_cache_lifetimes() {
    let h = harness();
    let (status, headers, _) = h.get("/sdk/waymark-0123abcd.wasm").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/wasm");
    assert_eq!(
        headers[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    let (status, headers, _) = h.get("/sdk/waymark.js").await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .contains("javascript"));
    assert_eq!(
        headers[header::CACHE_CONTROL],
        "public, max-age=300, stale-while-revalidate=86400"
    );
    assert_eq!(h.get("/sdk/missing.js").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn sdk_files_go_out_as_the_compressed_copy_the_client_accepts() {
    let h = harness();
    let fetch = |accept: Option<&'static str>| {
        let mut request = Request::get("/sdk/waymark-0123abcd.wasm");
        if let Some(accept) = accept {
            request = request.header(header::ACCEPT_ENCODING, accept);
        }
        h.send(request.body(Body::empty()).unwrap())
    };
    for (accept, encoding, body) in [
        (
            Some("gzip, deflate, br, zstd"),
            Some("br"),
            &b"brotli bytes"[..],
        ),
        (Some("gzip, deflate"), Some("gzip"), &b"gzip bytes"[..]),
        (Some("identity"), None, &b"\0asm\x01\0\0\0"[..]),
        (None, None, &b"\0asm\x01\0\0\0"[..]),
    ] {
        let (status, headers, got) = fetch(accept).await;
        assert_eq!(status, StatusCode::OK, "{accept:?}");
        assert_eq!(
            headers
                .get(header::CONTENT_ENCODING)
                .map(|v| v.to_str().unwrap()),
            encoding,
            "{accept:?}"
        );
        assert_eq!(got, body, "{accept:?}");
        assert_eq!(
            headers[header::CONTENT_TYPE],
            "application/wasm",
            "{accept:?}"
        );
        assert_eq!(
            headers[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        if encoding.is_some() {
            let vary: Vec<_> = headers.get_all(header::VARY).iter().collect();
            assert!(
                vary.iter()
                    .any(|v| v.to_str().unwrap().contains("accept-encoding")),
                "{accept:?}: Vary {vary:?}"
            );
        }
    }
}

#[tokio::test]
async fn sdk_files_are_readable_cross_origin() {
    let h = harness();
    let request = Request::get("/sdk/waymark.js")
        .header(header::ORIGIN, "https://customer.example")
        .body(Body::empty())
        .unwrap();
    let (_, headers, _) = h.send(request).await;
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    assert!(headers
        .get(header::ACCESS_CONTROL_ALLOW_CREDENTIALS)
        .is_none());
}

#[tokio::test]
async fn single_page_routes_fall_back_to_the_site_index() {
    let h = harness();
    let (status, _, body) = h.get("/invoices/42").await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&body).contains("<title>Demo</title>"));
    let (status, _, body) = h.get("/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["status"],
        "ok"
    );
}

#[tokio::test]
async fn a_batch_over_a_real_socket_is_stored_before_the_answer() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let h = harness();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let router = h.router.clone();
    let server = tokio::spawn(waymark_collector::server::serve(
        listener,
        router,
        waymark_collector::config::Connections::default(),
        std::future::pending(),
    ));

    let body = fixture().to_string();
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!(
        "POST /v1/batch HTTP/1.1\r\nHost: {address}\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // The answer came after the commit, so a fresh connection sees the rows at once.
    assert_eq!(h.event_count(), 2);
    server.abort();
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

async fn post_encoded(h: &Harness, body: Vec<u8>, encoding: Option<&str>) -> (StatusCode, Value) {
    let mut request =
        Request::post("/v1/batch").header(header::CONTENT_TYPE, "text/plain;charset=UTF-8");
    if let Some(encoding) = encoding {
        request = request.header(header::CONTENT_ENCODING, encoding);
    }
    let (status, _, body) = h.send(request.body(Body::from(body)).unwrap()).await;
    (
        status,
        serde_json::from_slice(&body).expect("every answer is JSON"),
    )
}

#[tokio::test]
async fn a_gzip_body_is_stored_whether_declared_or_recognised_by_its_magic_bytes() {
    let h = harness();
    let (status, body) =
        post_encoded(&h, gzip(fixture().to_string().as_bytes()), Some("gzip")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Browsers send text/plain without a Content-Encoding, to avoid a CORS preflight.
    let mut retry = fixture();
    retry["sent_at"] = json!(1_767_225_609_000u64);
    let (status, body) = post_encoded(&h, gzip(retry.to_string().as_bytes()), None).await;
    assert_eq!(
        (status, body["duplicates"].clone()),
        (StatusCode::OK, json!(2))
    );
    assert_eq!(h.event_count(), 2);
}

#[tokio::test]
async fn a_gzip_bomb_is_refused_before_it_is_inflated() {
    let h = harness();
    // 10 MB of padding inflates a thousandfold: past the ratio limit before the size limit.
    let mut bomb = fixture().to_string().into_bytes();
    bomb.extend(std::iter::repeat_n(b' ', 10 * 1024 * 1024));
    let (status, body) = post_encoded(&h, gzip(&bomb), Some("gzip")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            Some("compression_ratio_exceeded")
        )
    );
    assert_eq!(h.event_count(), 0);
}

#[tokio::test]
async fn a_large_but_honest_gzip_body_is_held_to_the_decompressed_limit() {
    let h = harness_with(Limits {
        max_decompressed_bytes: 500,
        ..Limits::default()
    });
    let (status, body) =
        post_encoded(&h, gzip(fixture().to_string().as_bytes()), Some("gzip")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            Some("decompressed_too_large")
        )
    );
}

#[tokio::test]
async fn corrupt_gzip_and_unknown_encodings_are_refused() {
    let h = harness();
    let mut corrupt = gzip(fixture().to_string().as_bytes());
    corrupt.truncate(corrupt.len() / 2);
    let (status, body) = post_encoded(&h, corrupt, Some("gzip")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("malformed_gzip"))
    );
    let (status, body) = post_encoded(&h, fixture().to_string().into_bytes(), Some("br")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Some("unsupported_encoding")
        )
    );
    assert_eq!(h.event_count(), 0);
}

fn from(ip: &str, body: &Value) -> Request<Body> {
    let mut request = Request::post("/v1/batch")
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from(body.to_string()))
        .unwrap();
    let peer: std::net::SocketAddr = format!("{ip}:40000").parse().unwrap();
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(peer));
    request
}

fn with_id(n: u32) -> Value {
    let mut batch = fixture();
    batch["events"][0]["id"] = json!(format!("019b7a3c-2a10-7000-8000-{n:012x}"));
    batch["events"].as_array_mut().unwrap().truncate(1);
    batch
}

#[tokio::test]
async fn a_client_address_over_its_rate_gets_429_with_retry_after() {
    let off = Rate {
        per_second: 0,
        burst: 0,
    };
    let h = harness_full(
        Limits::default(),
        RateLimits::new(
            off,
            Rate {
                per_second: 1,
                burst: 2,
            },
        ),
        false,
    );
    for n in 0..2 {
        assert_eq!(
            h.send(from("198.51.100.7", &with_id(n))).await.0,
            StatusCode::OK
        );
    }
    let (status, headers, body) = h.send(from("198.51.100.7", &with_id(2))).await;
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (status, body["error"].as_str(), body["retryable"].as_bool()),
        (
            StatusCode::TOO_MANY_REQUESTS,
            Some("rate_limited"),
            Some(true)
        )
    );
    assert_eq!(headers[header::RETRY_AFTER], "1");
    assert_eq!(
        h.send(from("198.51.100.8", &with_id(3))).await.0,
        StatusCode::OK,
        "another address has its own bucket"
    );
    assert_eq!(h.event_count(), 3);
}

#[tokio::test]
async fn a_key_over_its_rate_gets_429_whatever_the_address() {
    let off = Rate {
        per_second: 0,
        burst: 0,
    };
    let h = harness_full(
        Limits::default(),
        RateLimits::new(
            Rate {
                per_second: 1,
                burst: 1,
            },
            off,
        ),
        false,
    );
    assert_eq!(
        h.send(from("198.51.100.1", &with_id(0))).await.0,
        StatusCode::OK
    );
    assert_eq!(
        h.send(from("198.51.100.2", &with_id(1))).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn client_addresses_are_stored_truncated() {
    let h = harness();
    assert_eq!(
        h.send(from("203.0.113.77", &fixture())).await.0,
        StatusCode::OK
    );
    use rusqlite::types::Value::Text;
    assert_eq!(
        h.rows("SELECT DISTINCT ip FROM events"),
        vec![vec![Text("203.0.113.0".into())]]
    );
}

#[tokio::test]
async fn forwarded_for_names_the_client_only_behind_a_trusted_proxy() {
    let forwarded = |h: &Harness| {
        let mut request = from("10.0.0.1", &fixture());
        request
            .headers_mut()
            .insert("x-forwarded-for", "203.0.113.9, 10.0.0.1".parse().unwrap());
        let router = h.router.clone();
        async move { router.oneshot(request).await.unwrap().status() }
    };
    let trusting = harness_full(Limits::default(), RateLimits::unlimited(), true);
    assert_eq!(forwarded(&trusting).await, StatusCode::OK);
    use rusqlite::types::Value::Text;
    assert_eq!(
        trusting.rows("SELECT DISTINCT ip FROM events"),
        vec![vec![Text("203.0.113.0".into())]]
    );
    let direct = harness();
    assert_eq!(forwarded(&direct).await, StatusCode::OK);
    assert_eq!(
        direct.rows("SELECT DISTINCT ip FROM events"),
        vec![vec![Text("10.0.0.0".into())]]
    );
}

#[tokio::test]
async fn readiness_reports_that_storage_answers() {
    let h = harness();
    let (status, _, body) = h.get("/readyz").await;
    assert_eq!(
        (
            status,
            serde_json::from_slice::<Value>(&body).unwrap()["status"].clone()
        ),
        (StatusCode::OK, json!("ready"))
    );
}

#[tokio::test]
async fn a_page_sending_the_admin_key_is_refused_and_told_to_rotate_it() {
    let h = harness();
    let admin = h.registry.rotate("demo", KeyKind::Admin).unwrap();
    let (status, body) = h
        .post_raw(with(fixture(), |b| b["key"] = json!(admin)), None)
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("admin_key_not_allowed"))
    );
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("rotate the admin key"));
    assert_eq!(h.event_count(), 0);
}

#[tokio::test]
async fn a_revoked_public_key_is_refused() {
    let h = harness();
    let new_key = h.registry.rotate("demo", KeyKind::Public).unwrap();
    let (status, body) = h.post(&fixture()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unknown_key"))
    );
    let (status, _) = h
        .post_raw(with(fixture(), |b| b["key"] = json!(new_key)), None)
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_page_from_an_origin_the_project_does_not_allow_is_refused() {
    let h = harness();
    h.registry
        .set_origins("demo", &["https://app.example".into()])
        .unwrap();
    let from_origin = |origin: Option<&str>, n: u32| {
        let mut request = Request::post("/v1/batch").header(header::CONTENT_TYPE, "text/plain");
        if let Some(origin) = origin {
            request = request.header(header::ORIGIN, origin);
        }
        request.body(Body::from(with_id(n).to_string())).unwrap()
    };
    let (status, _, body) = h.send(from_origin(Some("https://evil.example"), 0)).await;
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("origin_not_allowed"))
    );
    assert_eq!(h.event_count(), 0);
    assert_eq!(
        h.send(from_origin(Some("https://app.example"), 1)).await.0,
        StatusCode::OK
    );
    assert_eq!(
        h.send(from_origin(None, 2)).await.0,
        StatusCode::OK,
        "a server-side sender has no origin"
    );
    assert_eq!(h.event_count(), 2);
}

#[tokio::test]
async fn metrics_count_requests_events_and_refusals_in_prometheus_format() {
    let h = harness();
    h.post(&fixture()).await;
    h.post(&fixture()).await;
    h.post_raw("not json".to_owned(), None).await;
    let (status, headers, body) = h.get("/metrics").await;
    let text = String::from_utf8(body).unwrap();
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    // Metrics are process-wide and tests run in parallel, so check presence and shape.
    for expected in [
        "waymark_events_total{result=\"ok\"}",
        "waymark_events_total{result=\"duplicate\"}",
        "waymark_refused_total{reason=\"malformed_json\"}",
        "waymark_http_requests_total{route=\"/v1/batch\",status=\"200\"}",
        "waymark_batch_events_bucket{le=\"2\"}",
        "waymark_storage_seconds_count",
    ] {
        assert!(text.contains(expected), "missing {expected} in:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_batches_share_commits_and_each_is_stored_and_answered() {
    let h = harness();
    let mut sends = Vec::new();
    for n in 0..300u32 {
        let router = h.router.clone();
        let batch = with_id(n);
        sends.push(tokio::spawn(async move {
            let request = Request::post("/v1/batch")
                .header(header::CONTENT_TYPE, "text/plain")
                .body(Body::from(batch.to_string()))
                .unwrap();
            router.oneshot(request).await.unwrap().status()
        }));
    }
    for send in sends {
        assert_eq!(send.await.unwrap(), StatusCode::OK);
    }
    assert_eq!(h.event_count(), 300);
}
