//! Load benchmark for the collector, with its ceiling measured in the same run.
//!
//! 1. Starts the release collector on 127.0.0.1 with a fresh database (rate limits off).
//! 2. Sends batches of 20 events of about 400 bytes each over 64 keep-alive connections
//!    for `--seconds` (default 30): events per second acknowledged (after commit), p50 and
//!    p99 latency, the collector's peak RSS.
//! 3. The ceiling: the same rows inserted by one process straight into SQLite with the same
//!    schema and durability (WAL, synchronous=FULL), 1,000 rows per transaction.
//! 4. Prints the collector's throughput as a share of the ceiling.
//!
//! `cargo run --release -p waymark-collector --example load -- [--seconds 30]` (scripts/bench).
//! A benchmark, not a test: it prints figures and never fails on speed.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use waymark_collector::store::{EventStore, IncomingBatch, SqliteStore};
use waymark_core::{Event, Millis};

const CONNECTIONS: usize = 64;
const EVENTS_PER_BATCH: usize = 20;
const KEY: &str = "pk_bench_project";

/// One event of about 400 bytes, unique by (worker, sequence).
fn event_json(worker: usize, seq: u64, now: u64) -> String {
    format!(
        r#"{{"id":"019b7a3c-{worker:04x}-7{:03x}-8{:03x}-{:012x}","name":"invoice_created","ts":{now},"anonymous_id":"019b7a3c-2a00-7000-8000-0000000000aa","session_id":"019b7a3c-2a00-7000-8000-0000000000bb","properties":{{"amount":640,"currency":"EUR"}},"context":{{"page":{{"url":"https://app.example/invoices?page=2","path":"/invoices","title":"Invoices"}},"sdk":{{"name":"waymark-web","version":"0.1.0"}}}}}}"#,
        (seq >> 48) & 0xfff,
        (seq >> 36) & 0xfff,
        seq & 0xffff_ffff_ffff
    )
}

fn batch_body(worker: usize, first: u64) -> String {
    let now = waymark_collector::state::system_clock().0;
    let events: Vec<String> = (0..EVENTS_PER_BATCH as u64)
        .map(|i| event_json(worker, first + i, now))
        .collect();
    format!(
        r#"{{"key":"{KEY}","sent_at":{now},"events":[{}]}}"#,
        events.join(",")
    )
}

/// Sends one request on a keep-alive connection and reads the response; the status code.
async fn post(stream: &mut TcpStream, buffer: &mut Vec<u8>, body: &str) -> u16 {
    let request = format!(
        "POST /v1/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    buffer.clear();
    loop {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the collector closed the connection");
        buffer.extend_from_slice(&chunk[..n]);
        let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| {
                l.strip_prefix("content-length:")
                    .map(|v| v.trim().parse().unwrap())
            })
            .unwrap_or(0);
        if buffer.len() >= end + 4 + length {
            return head[9..12].parse().unwrap();
        }
    }
}

fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize] as f64 / 1000.0
}

/// The ceiling: the same rows, straight into SQLite, 1,000 per transaction.
async fn sqlite_ceiling(seconds: u64) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("ceiling.db")).unwrap();
    let now = waymark_collector::state::system_clock().0;
    let mut written = 0u64;
    let start = Instant::now();
    let mut seq = 0u64;
    while start.elapsed() < Duration::from_secs(seconds) {
        let events: Vec<Event> = (0..1_000)
            .map(|_| {
                seq += 1;
                serde_json::from_str(&event_json(9_999, seq, now)).unwrap()
            })
            .collect();
        let batch = IncomingBatch {
            project: "bench".into(),
            received_at: Millis(now),
            sent_at: Millis(now),
            events,
            ip: None,
            config_versions: Vec::new(),
        };
        // One batch of 1,000 rows is one transaction (the writer has nothing else queued).
        written += store.insert(batch).await.unwrap().len() as u64;
    }
    let rate = written as f64 / start.elapsed().as_secs_f64();
    store.finish();
    rate
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seconds: u64 = args
        .iter()
        .position(|a| a == "--seconds")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let binary = std::env::var("WAYMARK_COLLECTOR")
        .unwrap_or_else(|_| "target/release/waymark-collector".into());
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(&binary)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--project",
            &format!("bench={KEY}"),
            "--rate-per-key",
            "0",
            "--rate-per-ip",
            "0",
        ])
        .arg("--db")
        .arg(dir.path().join("load.db"))
        .env("WAYMARK_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start {binary}: {e} (build it with cargo build --release)")
        });
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let address = loop {
        let line = lines
            .next()
            .expect("the collector printed its address")
            .unwrap();
        if let Some(url) = line.strip_prefix("waymark-collector listening on http://") {
            break url.to_owned();
        }
    };

    let acknowledged = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut workers = Vec::new();
    for worker in 0..CONNECTIONS {
        let address = address.clone();
        let acknowledged = Arc::clone(&acknowledged);
        workers.push(tokio::spawn(async move {
            let mut stream = TcpStream::connect(&address).await.unwrap();
            stream.set_nodelay(true).unwrap();
            let mut buffer = Vec::with_capacity(8192);
            let mut latencies = Vec::new();
            let mut seq = 0u64;
            while Instant::now() < deadline {
                let body = batch_body(worker, seq);
                seq += EVENTS_PER_BATCH as u64;
                let start = Instant::now();
                let status = post(&mut stream, &mut buffer, &body).await;
                latencies.push(start.elapsed().as_micros() as u32);
                assert_eq!(status, 200, "the collector refused a batch");
                acknowledged.fetch_add(EVENTS_PER_BATCH as u64, Ordering::Relaxed);
            }
            latencies
        }));
    }
    let started = Instant::now();
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    let rss = peak_rss_mb(child.id());
    let _ = child.kill();
    let _ = child.wait();
    latencies.sort_unstable();
    let events = acknowledged.load(Ordering::Relaxed);
    let throughput = events as f64 / elapsed;
    println!(
        "collector: {throughput:.0} events/s acknowledged after commit ({events} events, {} requests, {CONNECTIONS} connections, {EVENTS_PER_BATCH} events per batch, {elapsed:.1} s)",
        latencies.len()
    );
    println!(
        "collector latency: p50 {:.2} ms, p99 {:.2} ms; peak RSS {rss:.0} MB",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99)
    );

    let ceiling = sqlite_ceiling(seconds.min(10)).await;
    println!("ceiling: the same rows written straight to SQLite by one process (the store's own insert code, no HTTP), same schema and durability, 1,000 rows per transaction: {ceiling:.0} events/s");
    println!("collector / ceiling: {:.0}%  (targets: >= 100,000 events/s, p99 < 50 ms, >= 50% of the ceiling)", 100.0 * throughput / ceiling);
}
