//! Shared by the journey reports' tests (`tests/funnels.rs`, `tests/retention.rs`): events
//! written compactly and stored through a store's own `insert` with the receipt time given,
//! so that SQLite and ClickHouse hold the same timestamps; a seeded dataset for parity.

use serde_json::{json, Value};
use waymark_collector::store::{ClickHouseSettings, ClickHouseStore, EventStore, IncomingBatch};
use waymark_collector::SqliteStore;
use waymark_core::Millis;

/// 2026-11-10T00:00:00Z: the day every case's funnel is entered on.
pub const DAY0: i64 = 1_794_268_800_000;
pub const MIN: i64 = 60_000;
pub const HOUR: i64 = 3_600_000;

/// One event of a case: who, what, when (ms after `DAY0`), and optionally a path, a user id
/// and properties.
#[derive(Clone, Debug)]
pub struct E {
    pub anon: u32,
    pub user: Option<&'static str>,
    pub name: &'static str,
    pub at: i64,
    pub path: &'static str,
    pub properties: Value,
}

pub fn e(anon: u32, name: &'static str, at: i64) -> E {
    E {
        anon,
        user: None,
        name,
        at,
        path: "/",
        properties: json!({}),
    }
}

pub fn page(anon: u32, path: &'static str, at: i64) -> E {
    E {
        path,
        ..e(anon, "$pageview", at)
    }
}

pub fn as_user(mut event: E, user: &'static str) -> E {
    event.user = Some(user);
    event
}

/// The events of a batch; ids are taken from `ids` (the same id twice is a duplicate).
pub fn batch(events: &[(u128, E)]) -> IncomingBatch {
    let latest = events
        .iter()
        .map(|(_, e)| DAY0 + e.at)
        .max()
        .unwrap_or(DAY0);
    let events = events
        .iter()
        .map(|(id, ev)| {
            let mut event = json!({
                "id": uuid::Uuid::from_u128(0x019b_7a3c_0000_7000_8000_0000_0000_0000 + id),
                "name": ev.name,
                "ts": DAY0 + ev.at,
                "anonymous_id": uuid::Uuid::from_u128(0x019b_7a3c_2a00_7000_8000_0000_0000_0000 + u128::from(ev.anon)),
                "session_id": uuid::Uuid::from_u128(0x019b_7a3c_2a00_7000_8000_0000_0001_0000 + u128::from(ev.anon)),
                "properties": ev.properties,
                "context": {"page": {"url": format!("https://app.test{}", ev.path), "path": ev.path}, "sdk": {"name": "test", "version": "0"}}
            });
            if let Some(user) = ev.user {
                event["user_id"] = json!(user);
            }
            serde_json::from_value(event).expect("a valid event")
        })
        .collect();
    // Received as sent, well after every event: timestamps are the events' own.
    let at = Millis((latest + HOUR * 24 * 40) as u64);
    IncomingBatch {
        project: "demo".into(),
        received_at: at,
        sent_at: at,
        events,
        ip: None,
        config_versions: Vec::new(),
    }
}

/// Stores batches one after the other, each event with a fresh id unless repeated.
pub async fn store_all(store: &dyn EventStore, batches: &[Vec<(u128, E)>]) {
    for events in batches {
        store.insert(batch(events)).await.expect("stored");
    }
}

/// Numbers events 1, 2, 3… as ids, in one batch.
pub fn one_batch(events: Vec<E>) -> Vec<Vec<(u128, E)>> {
    vec![events
        .into_iter()
        .enumerate()
        .map(|(i, e)| (i as u128 + 1, e))
        .collect()]
}

pub async fn clickhouse_store(url: &str, database: &str) -> ClickHouseStore {
    ClickHouseStore::connect(ClickHouseSettings {
        url: url.to_owned(),
        database: database.to_owned(),
        user: "default".into(),
        password: String::new(),
    })
    .await
    .expect("connect to ClickHouse")
}

/// A small deterministic generator (xorshift), so the dataset is the same on every run.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// 150 browsers over 9 days: page views on a few paths, the invoicing events with a plan
/// property, a third signing in (some two browsers as one user), ties at equal
/// milliseconds, and batches stored out of order and twice.
pub fn seeded() -> Vec<Vec<(u128, E)>> {
    const NAMES: [&str; 5] = [
        "signup",
        "invoice_created",
        "invoice_sent",
        "downgraded",
        "export_completed",
    ];
    const PATHS: [&str; 4] = ["/", "/invoices/1", "/invoices/2/edit", "/plans"];
    const PLANS: [&str; 3] = ["free", "pro", "team"];
    const USERS: [&str; 30] = [
        "u0", "u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9", "u10", "u11", "u12", "u13",
        "u14", "u15", "u16", "u17", "u18", "u19", "u20", "u21", "u22", "u23", "u24", "u25", "u26",
        "u27", "u28", "u29",
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut id = 0u128;
    let mut batches = Vec::new();
    for browser in 0..150u32 {
        let mut at = (rng.below(7 * 24) as i64) * HOUR + rng.below(HOUR as u64) as i64;
        let signs_in = rng.below(3) == 0;
        let user = USERS[(browser as usize * 7) % USERS.len()];
        let mut events = Vec::new();
        for n in 0..rng.below(25) + 3 {
            let mut event = if rng.below(2) == 0 {
                page(browser, PATHS[rng.below(4) as usize], at)
            } else {
                let mut ev = e(browser, NAMES[rng.below(5) as usize], at);
                ev.properties = json!({"plan": PLANS[rng.below(3) as usize], "n": n});
                ev
            };
            if signs_in && n > 3 {
                event.user = Some(user);
            }
            id += 1;
            events.push((id, event));
            if signs_in && n == 3 {
                id += 1;
                events.push((id, as_user(e(browser, "$identify", at), user)));
            }
            // A third of the steps at the same millisecond as the one before.
            if rng.below(3) != 0 {
                at += rng.below(4 * HOUR as u64) as i64;
            }
        }
        send_out_of_order(&mut rng, &events, &mut batches);
    }
    batches
}

/// Sends one browser's events as two batches, the second half first for half the browsers,
/// and the first batch twice for a fifth of them. An empty half is not sent (the collector
/// refuses an empty batch).
pub fn send_out_of_order(rng: &mut Rng, events: &[(u128, E)], batches: &mut Vec<Vec<(u128, E)>>) {
    let (early, late) = events.split_at(events.len() / 2);
    let halves = if rng.below(2) == 0 {
        [late, early]
    } else {
        [early, late]
    };
    batches.extend(halves.iter().filter(|h| !h.is_empty()).map(|h| h.to_vec()));
    if rng.below(5) == 0 && !early.is_empty() {
        batches.push(early.to_vec());
    }
}

/// The same batches in a SQLite store and in a real ClickHouse server's database of their
/// own, for parity tests; dropped together.
pub struct BothStores {
    pub sqlite: SqliteStore,
    pub clickhouse: ClickHouseStore,
    _dir: tempfile::TempDir,
    _server: super::clickhouse::ClickHouse,
}

pub async fn both_stores(batches: &[Vec<(u128, E)>]) -> BothStores {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(&dir.path().join("events.db")).unwrap();
    store_all(&sqlite, batches).await;
    let server = super::clickhouse::start_clickhouse().await;
    let clickhouse = clickhouse_store(&server.url, "parity").await;
    store_all(&clickhouse, batches).await;
    BothStores {
        sqlite,
        clickhouse,
        _dir: dir,
        _server: server,
    }
}
