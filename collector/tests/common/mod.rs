//! The collector under test: a router over a temporary database, and helpers to call it.
#![allow(dead_code)] // Each test file uses its own part of the harness.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::http::{header, Request, StatusCode};
use axum::Router;
use serde_json::Value;
use tower::ServiceExt;
use waymark_collector::config::{IpStorage, Limits};
use waymark_collector::console::{Accounts, Console, ConsoleSettings};
use waymark_collector::limits::RateLimits;
use waymark_collector::registry::{KeyKind, Registry};
use waymark_collector::store::EventStore;
use waymark_collector::{app, AppState, SqliteStore};
use waymark_core::Millis;

pub mod cases;
pub mod clickhouse;
pub mod console;
pub mod experiment_seed;
pub mod journeys;
pub mod survey_seed;

pub const KEY: &str = "pk_test_demo";
/// The fixture's `sent_at`; the collector's clock reads 3 s later.
pub const RECEIVED_AT: Millis = Millis(1_767_225_605_000);

pub struct Harness {
    pub router: Router,
    pub registry: Registry,
    pub accounts: Accounts,
    pub db: PathBuf,
    _dir: tempfile::TempDir,
}

pub fn harness() -> Harness {
    harness_with(Limits::default())
}

pub fn harness_with(limits: Limits) -> Harness {
    harness_full(limits, RateLimits::unlimited(), false)
}

pub fn harness_full(limits: Limits, rate_limits: RateLimits, trust_forwarded_for: bool) -> Harness {
    harness_over(limits, rate_limits, trust_forwarded_for, |db| {
        Arc::new(SqliteStore::open(db).expect("open store"))
    })
}

/// The harness with its events in `store` instead of SQLite (the registry and accounts stay
/// in the temporary database).
pub fn harness_on(store: Arc<dyn EventStore>) -> Harness {
    harness_over(Limits::default(), RateLimits::unlimited(), false, |_| store)
}

fn harness_over(
    limits: Limits,
    rate_limits: RateLimits,
    trust_forwarded_for: bool,
    store: impl FnOnce(&Path) -> Arc<dyn EventStore>,
) -> Harness {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("data/events.db");
    let files = dir.path().join("files");
    std::fs::create_dir_all(files.join("sdk")).unwrap();
    std::fs::create_dir_all(files.join("site")).unwrap();
    std::fs::write(files.join("sdk/waymark.js"), "/* loader */").unwrap();
    std::fs::write(files.join("sdk/waymark-0123abcd.wasm"), b"\0asm\x01\0\0\0").unwrap();
    // The compressed copies the build writes beside each SDK file (their bytes stand in: the
    // collector sends them as they are).
    std::fs::write(files.join("sdk/waymark-0123abcd.wasm.br"), b"brotli bytes").unwrap();
    std::fs::write(files.join("sdk/waymark-0123abcd.wasm.gz"), b"gzip bytes").unwrap();
    std::fs::write(
        files.join("site/index.html"),
        "<!doctype html><title>Demo</title>",
    )
    .unwrap();
    let state = AppState {
        registry: {
            let registry = Registry::open(&db).expect("open registry");
            registry.ensure("demo", KEY).expect("register the test key");
            registry
        },
        store: store(&db),
        limits,
        rate_limits: Arc::new(rate_limits),
        ip_storage: IpStorage::default(),
        trust_forwarded_for,
        clock: || RECEIVED_AT,
        sdk_dir: files.join("sdk"),
        site_dir: Some(files.join("site")),
        console: Console::new(
            Accounts::open(&db).expect("open accounts"),
            ConsoleSettings::default(),
        ),
    };
    let registry = state.registry.clone();
    let accounts = state.console.accounts.clone();
    Harness {
        router: app(state),
        registry,
        accounts,
        db,
        _dir: dir,
    }
}

pub fn fixture() -> Value {
    serde_json::from_str(include_str!("../fixtures/batch.json")).expect("fixture is JSON")
}

impl Harness {
    pub async fn send(
        &self,
        request: Request<Body>,
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let body = to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        (status, headers, body.to_vec())
    }

    pub async fn post_raw(
        &self,
        body: impl Into<Body>,
        content_type: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut request = Request::post("/v1/batch");
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        let (status, _, body) = self.send(request.body(body.into()).unwrap()).await;
        (
            status,
            serde_json::from_slice(&body).expect("every answer is JSON"),
        )
    }

    pub async fn post(&self, batch: &Value) -> (StatusCode, Value) {
        self.post_raw(batch.to_string(), Some("application/json"))
            .await
    }

    pub async fn get(&self, uri: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    pub fn rows(&self, sql: &str) -> Vec<Vec<rusqlite::types::Value>> {
        query(&self.db, sql)
    }

    pub fn event_count(&self) -> i64 {
        match self
            .rows("SELECT COUNT(*) FROM events")
            .first()
            .and_then(|r| r.first())
        {
            Some(rusqlite::types::Value::Integer(n)) => *n,
            other => panic!("unexpected count {other:?}"),
        }
    }
}

pub fn query(db: &Path, sql: &str) -> Vec<Vec<rusqlite::types::Value>> {
    let connection = rusqlite::Connection::open(db).unwrap();
    let mut statement = connection.prepare(sql).unwrap();
    let columns = statement.column_count();
    statement
        .query_map([], |row| (0..columns).map(|i| row.get(i)).collect())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// A collector binary, started on a free loopback port.
pub struct Spawned {
    /// The process; the caller stops it.
    pub child: std::process::Child,
    /// `127.0.0.1:PORT`, as it printed.
    pub address: String,
    /// The admin key it printed on creating the project, if it created one.
    pub admin_key: Option<String>,
}

/// Starts the collector binary on `db` with `project` (`NAME=KEY`) registered, rate limits
/// off, and `extra` arguments; returns once it listens.
#[allow(clippy::zombie_processes)] // The caller kills and waits for the child it gets.
pub fn spawn_collector(db: &Path, project: &str, extra: &[&str]) -> Spawned {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_waymark-collector"))
        .args(["--listen", "127.0.0.1:0", "--project", project])
        .args(["--rate-per-key", "0", "--rate-per-ip", "0"])
        .args(extra)
        .arg("--db")
        .arg(db)
        .env("WAYMARK_LOG", "error")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the collector");
    let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    let mut admin_key = None;
    loop {
        let Some(Ok(line)) = lines.next() else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the collector stopped before listening");
        };
        if let Some((_, key)) = line.split_once("its admin key, shown once: ") {
            admin_key = Some(key.trim().to_owned());
        }
        if let Some(address) = line.strip_prefix("waymark-collector listening on http://") {
            return Spawned {
                child,
                address: address.trim().to_owned(),
                admin_key,
            };
        }
    }
}

/// Asserts that `got` is `expected`, numbers within 1e-9, everything else exactly; the
/// panic names the first difference by its path.
#[track_caller]
pub fn assert_json_close(got: &Value, expected: &Value) {
    fn walk(got: &Value, expected: &Value, at: &str) -> Result<(), String> {
        match (got, expected) {
            (Value::Number(g), Value::Number(e)) => {
                let (g, e) = (g.as_f64().unwrap(), e.as_f64().unwrap());
                if (g - e).abs() <= 1e-9 {
                    Ok(())
                } else {
                    Err(format!("{at}: got {g}, expected {e}"))
                }
            }
            (Value::Object(g), Value::Object(e)) => {
                let (mut gk, mut ek): (Vec<_>, Vec<_>) = (g.keys().collect(), e.keys().collect());
                gk.sort();
                ek.sort();
                if gk != ek {
                    return Err(format!("{at}: keys {gk:?}, expected {ek:?}"));
                }
                for (key, value) in e {
                    walk(&g[key], value, &format!("{at}/{key}"))?;
                }
                Ok(())
            }
            (Value::Array(g), Value::Array(e)) if g.len() == e.len() => {
                for (i, (g, e)) in g.iter().zip(e).enumerate() {
                    walk(g, e, &format!("{at}/{i}"))?;
                }
                Ok(())
            }
            (g, e) if g == e => Ok(()),
            (g, e) => Err(format!("{at}: got {g}, expected {e}")),
        }
    }
    if let Err(problem) = walk(got, expected, "") {
        panic!("{problem}\nin {got:#}");
    }
}

/// A harness with `config` published (admin key) and `events` stored, sent twice so that a
/// report shows duplicates never count. Returns it with the admin key.
pub async fn seeded(config: &str, events: &[Value]) -> (Harness, String) {
    let h = harness();
    let admin = h.registry.rotate("demo", KeyKind::Admin).unwrap();
    publish_config(&h, &admin, config).await;
    let batch = serde_json::json!({"key": KEY, "sent_at": RECEIVED_AT.0, "events": events});
    let (status, answer) = h.post(&batch).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(
        answer["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "ok"),
        "{answer}"
    );
    assert_eq!(h.post(&batch).await.0, StatusCode::OK);
    (h, admin)
}

/// Publishes `config` with the admin key, which must succeed.
pub async fn publish_config(h: &Harness, admin: &str, config: &str) {
    let request = Request::put("/v1/admin/config")
        .header(header::AUTHORIZATION, format!("Bearer {admin}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(config.to_owned()))
        .unwrap();
    let (status, _, body) = h.send(request).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
}

/// A survey report's question `id`.
pub fn survey_question<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["question"] == id)
        .unwrap_or_else(|| panic!("no question {id} in {report:#}"))
}

/// `GET uri` with `key` as the bearer token, if any: the status and the JSON body (`null`
/// when it is not JSON).
pub async fn get_json(h: &Harness, uri: &str, key: Option<&str>) -> (StatusCode, Value) {
    let mut request = Request::get(uri);
    if let Some(key) = key {
        request = request.header(header::AUTHORIZATION, format!("Bearer {key}"));
    }
    let (status, _, body) = h.send(request.body(Body::empty()).unwrap()).await;
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}
