//! The real collector binary under load: killed with SIGKILL it loses nothing it
//! acknowledged; stopped with SIGTERM it also exits cleanly.

use std::collections::HashSet;
use std::path::Path;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

mod common;

const KEY: &str = "pk_durability_test";

fn start(db: &Path) -> (Child, String) {
    let spawned = common::spawn_collector(db, &format!("durable={KEY}"), &[]);
    (spawned.child, spawned.address)
}

fn batch(sender: usize, seq: u64) -> (String, Vec<String>) {
    let ids: Vec<String> = (0..5)
        .map(|i| format!("019b7a3c-{sender:04x}-7000-8000-{:012x}", seq * 5 + i))
        .collect();
    let events: Vec<String> = ids
        .iter()
        .map(|id| {
            format!(
                r#"{{"id":"{id}","name":"tick","ts":1767225600000,"anonymous_id":"019b7a3c-2a00-7000-8000-0000000000aa","session_id":"019b7a3c-2a00-7000-8000-0000000000bb","context":{{"page":{{"url":"https://a.test/","path":"/"}},"sdk":{{"name":"test","version":"0"}}}}}}"#
            )
        })
        .collect();
    (
        format!(
            r#"{{"key":"{KEY}","sent_at":1767225600000,"events":[{}]}}"#,
            events.join(",")
        ),
        ids,
    )
}

/// Posts on a keep-alive connection; the status, or `None` if the connection failed.
async fn post(stream: &mut TcpStream, body: &str) -> Option<u16> {
    let request =
        format!("POST /v1/batch HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}", body.len());
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut buffer = Vec::new();
    loop {
        let mut chunk = [0u8; 2048];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
        let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:")?.trim().parse().ok())
            .unwrap_or(0);
        if buffer.len() >= end + 4 + length {
            return head.get(9..12)?.parse().ok();
        }
    }
}

/// Senders that keep posting until the collector goes away, recording acknowledged ids.
fn load(
    address: &str,
    acknowledged: &Arc<Mutex<HashSet<String>>>,
    count: &Arc<AtomicUsize>,
    stop: &Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..8)
        .map(|sender| {
            let (address, acknowledged, count, stop) = (
                address.to_owned(),
                Arc::clone(acknowledged),
                Arc::clone(count),
                Arc::clone(stop),
            );
            tokio::spawn(async move {
                let Ok(mut stream) = TcpStream::connect(&address).await else {
                    return;
                };
                let mut seq = 0;
                while !stop.load(Ordering::Relaxed) {
                    let (body, ids) = batch(sender, seq);
                    seq += 1;
                    match post(&mut stream, &body).await {
                        Some(200) => {
                            count.fetch_add(ids.len(), Ordering::Relaxed);
                            acknowledged.lock().unwrap().extend(ids);
                        }
                        _ => return,
                    }
                }
            })
        })
        .collect()
}

async fn until(condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !condition() {
        assert!(Instant::now() < deadline, "the load never got going");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn stored_ids(db: &Path) -> HashSet<String> {
    let connection = rusqlite::Connection::open(db).unwrap();
    let mut query = connection.prepare("SELECT id FROM events").unwrap();
    query
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// A collector on a fresh database, with eight senders posting until it goes away, and at
/// least 2,000 events acknowledged already.
struct UnderLoad {
    _dir: tempfile::TempDir,
    db: std::path::PathBuf,
    child: Child,
    acknowledged: Arc<Mutex<HashSet<String>>>,
    stop: Arc<AtomicBool>,
    senders: Vec<tokio::task::JoinHandle<()>>,
}

async fn under_load() -> UnderLoad {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("events.db");
    let (child, address) = start(&db);
    let (acknowledged, count, stop) = (
        Arc::default(),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicBool::new(false)),
    );
    let senders = load(&address, &acknowledged, &count, &stop);
    until(|| count.load(Ordering::Relaxed) >= 2_000).await;
    UnderLoad {
        _dir: dir,
        db,
        child,
        acknowledged,
        stop,
        senders,
    }
}

impl UnderLoad {
    /// Stops the senders (they end once the collector is gone) and counts the acknowledged
    /// events that are not in the database.
    async fn missing(self) -> usize {
        self.stop.store(true, Ordering::Relaxed);
        for sender in self.senders {
            sender.await.unwrap();
        }
        let acknowledged = self.acknowledged.lock().unwrap();
        assert!(acknowledged.len() >= 2_000);
        acknowledged.difference(&stored_ids(&self.db)).count()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_kill_9_under_load_every_acknowledged_event_is_stored() {
    let mut run = under_load().await;
    run.child.kill().unwrap(); // SIGKILL: no chance to flush anything
    run.child.wait().unwrap();
    // A restart recovers the write-ahead log; then every acknowledged event must be there.
    let (mut restarted, _) = start(&run.db);
    restarted.kill().unwrap();
    restarted.wait().unwrap();
    assert_eq!(run.missing().await, 0, "acknowledged events are missing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_stores_every_acknowledged_event_and_exits_cleanly() {
    let mut run = under_load().await;
    let signalled = Command::new("kill")
        .args(["-TERM", &run.child.id().to_string()])
        .status()
        .unwrap();
    assert!(signalled.success());
    let status = run.child.wait().unwrap();
    assert!(status.success(), "the collector exited with {status}");
    assert_eq!(run.missing().await, 0, "acknowledged events are missing");
}
