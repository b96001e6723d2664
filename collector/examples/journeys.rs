//! Journey benchmark (issue 19): the funnel and retention reports over one generated dataset
//! on SQLite, on ClickHouse and, for the funnel, as plain SQL in DuckDB, in one run.
//!
//! 1. Generates `--people` people (default 200,000) with 20 to 80 events each (50 on
//!    average: 10 million), over about 15 weeks, deterministically; a tenth of consecutive
//!    events share a millisecond. The rows are written straight into the stores' own tables
//!    (the ingest path is not what this measures; `examples/load.rs` measures that).
//! 2. Times a 5-step ordered funnel with a 7-day window (signup, project_created,
//!    invoice_created, invoice_sent, payment_received; entry over the first 8 weeks) and a
//!    weekly retention report (invoice_created, then invoice_sent, 8 weeks of cohorts, 8
//!    periods) through the collector's own report code on SQLite and on a real ClickHouse
//!    (Debian's 18.16, started for the run, its table merged first as a running one is),
//!    and checks that both give the same JSON.
//! 3. Runs the same funnel as plain SQL in DuckDB (`tests/bench/journeys_duckdb.py`, the
//!    Python given by `--python`) over the same rows loaded from a CSV, and checks it counts
//!    the same people at each step.
//! 4. Times the engine alone: the funnel's matching and per-person logic over an in-memory
//!    stream of people on one thread, in events per second.
//!
//! Rows per second is the table's rows over the report's time. A benchmark, not a test: it
//! prints figures and ratios and never fails on speed; it does fail if the stores or DuckDB
//! disagree.
//!
//! `cargo run --release -p waymark-collector --example journeys -- --python PATH [--people
//! N] [--dir DIR]` (scripts/bench does this with a venv it makes); `--engine-only` prints
//! the engine's figure alone, with its counts per step (to see that a change to the engine
//! counts the same), for profiling it; `--keep` reuses the SQLite database and CSV of an
//! earlier run with the same `--people` in `--dir` (a load takes minutes);
//! `--skip-clickhouse` leaves ClickHouse out; `--clickhouse URL` uses a ClickHouse server
//! already running there instead of starting one, and loads it only if its `bench.events`
//! does not hold the run's rows already (with `--keep`); `--rounds N` (default 3) times each
//! report N times, the stores' rounds alternated, and prints the median and the spread
//! (the ratios are of medians: on shared cores one round can be twice another).
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/clickhouse.rs"]
#[allow(dead_code)]
mod clickhouse;

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use serde_json::{json, Value};
use time::macros::date;
use waymark_collector::reports::engine::{Journey, JourneyEvent, Matcher, MatcherSet};
use waymark_collector::reports::funnels::{self, FunnelQuery, FunnelReport, FunnelTotals};
use waymark_collector::reports::retention::{self, RetentionQuery};
use waymark_collector::store::{ClickHouseSettings, ClickHouseStore, EventStore, SqliteStore};

const PROJECT: &str = "bench";
const DAY: i64 = 86_400_000;
/// 2026-06-01T00:00:00Z, a Monday: the first event's earliest time.
const START: i64 = 1_780_272_000_000;
const NAMES: [&str; 10] = [
    "$pageview",
    "app_opened",
    "signup",
    "project_created",
    "invoice_created",
    "invoice_sent",
    "payment_received",
    "export_completed",
    "settings_changed",
    "invite_sent",
];
/// How often each name is drawn, in percent.
const WEIGHTS: [u64; 10] = [30, 15, 4, 8, 12, 10, 8, 5, 4, 4];
const STEPS: [&str; 5] = [
    "signup",
    "project_created",
    "invoice_created",
    "invoice_sent",
    "payment_received",
];

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// One generated event.
struct Row {
    person: u32,
    name: usize,
    ts: i64,
    seq: u64,
}

/// Every row, person by person, in time order: the same rows on every call.
struct Rows {
    rng: Rng,
    people: u32,
    person: u32,
    /// The current person's events left, and the time of the next.
    left: u64,
    index: u64,
    ts: i64,
    seq: u64,
}

impl Rows {
    fn new(people: u32) -> Rows {
        Rows {
            rng: Rng(0x9e37_79b9_7f4a_7c15),
            people,
            person: 0,
            left: 0,
            index: 0,
            ts: 0,
            seq: 0,
        }
    }
}

impl Iterator for Rows {
    type Item = Row;

    fn next(&mut self) -> Option<Row> {
        let rng = &mut self.rng;
        if self.left == 0 {
            if self.person == self.people {
                return None;
            }
            if self.seq > 0 {
                self.person += 1;
                if self.person == self.people {
                    return None;
                }
            }
            self.left = 20 + rng.below(61);
            self.index = 0;
            self.ts = START + rng.below((49 * DAY) as u64) as i64;
        }
        let name = if self.index == 0 && rng.below(5) != 0 {
            2 // Most people's first event is their signup.
        } else {
            let mut draw = rng.below(100);
            let mut name = 0;
            while draw >= WEIGHTS[name] {
                draw -= WEIGHTS[name];
                name += 1;
            }
            name
        };
        self.seq += 1;
        let row = Row {
            person: self.person,
            name,
            ts: self.ts,
            seq: self.seq,
        };
        if rng.below(10) != 0 {
            self.ts += rng.below((2 * 56 * DAY / 50) as u64) as i64;
        }
        self.left -= 1;
        self.index += 1;
        Some(row)
    }
}

/// Calls `each` with every row (see [`Rows`]); returns how many there were.
fn generate(people: u32, mut each: impl FnMut(&Row)) -> u64 {
    let mut rows = 0;
    for row in Rows::new(people) {
        each(&row);
        rows += 1;
    }
    rows
}

/// A figure of `/proc/self/status` in MiB (Linux), NaN where there is none.
fn status_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

/// How far the process's resident memory rose above what it was at [`reset_peak`], in MiB:
/// what a report added (the loaders' freed memory that the allocator keeps is not its own).
fn peak_rss_mib(baseline: f64) -> f64 {
    status_mib("VmHWM:") - baseline
}

/// Starts measuring the peak resident memory afresh (Linux: `clear_refs` 5); returns the
/// resident memory now, the baseline.
fn reset_peak() -> f64 {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    status_mib("VmRSS:")
}

fn utc_day(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .unwrap()
        .date()
        .to_string()
}

fn load_sqlite(path: &std::path::Path, people: u32) -> u64 {
    drop(SqliteStore::open(path).expect("the schema"));
    let mut connection = rusqlite::Connection::open(path).unwrap();
    // A bulk load: the time and journey indexes built once at the end, ids in storage order
    // (so the unique index is appended to), and a cache the indexes fit in.
    connection
        .execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; PRAGMA cache_size = -500000;
             DROP INDEX events_by_project_time; DROP INDEX events_by_name_person;",
        )
        .unwrap();
    let tx = connection.transaction().unwrap();
    let rows = {
        let mut insert = tx
            .prepare(
                "INSERT INTO events (seq, project, id, name, ts, sent_at, received_at, timestamp,
                 anonymous_id, session_id, url, path, title, referrer, sdk_name, sdk_version, properties)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?5, ?5, ?6, ?6, '', '/', '', '', 'bench', '0', '{}')",
            )
            .unwrap();
        generate(people, |row| {
            insert
                .execute(rusqlite::params![
                    row.seq as i64,
                    PROJECT,
                    format!("e{:012}", row.seq),
                    NAMES[row.name],
                    row.ts,
                    format!("p{}", row.person),
                ])
                .unwrap();
        })
    };
    tx.execute_batch(
        "CREATE INDEX events_by_project_time ON events (project, timestamp);
         CREATE INDEX events_by_name_person
             ON events (project, name, COALESCE(user_id, anonymous_id), timestamp);",
    )
    .unwrap();
    tx.commit().unwrap();
    connection
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
    rows
}

async fn connect_clickhouse(url: &str) -> ClickHouseStore {
    ClickHouseStore::connect(ClickHouseSettings {
        url: url.to_owned(),
        database: PROJECT.to_owned(),
        user: "default".into(),
        password: String::new(),
    })
    .await
    .expect("connect to ClickHouse")
}

/// The rows in the server's `bench.events`, if it has that table.
async fn clickhouse_rows(url: &str) -> Option<u64> {
    let answer = reqwest::Client::new()
        .post(url)
        .body("SELECT count() FROM bench.events")
        .send()
        .await
        .ok()?;
    answer.text().await.ok()?.trim().parse().ok()
}

async fn load_clickhouse(url: &str, people: u32) -> ClickHouseStore {
    let store = connect_clickhouse(url).await;
    let client = reqwest::Client::new();
    // A fresh table: a run that loads into a kept server must not add to its rows.
    succeed(client.post(url).body("TRUNCATE TABLE bench.events")).await;
    let insert = "INSERT INTO bench.events (project, id, name, ts, sent_at, received_at, timestamp, day, anonymous_id, user_id, session_id, url, path, title, referrer, locale, viewport_width, viewport_height, sdk_name, sdk_version, properties, traits, ip, seq) FORMAT TabSeparated";
    // 500,000 rows a request, generated as they are sent.
    let mut rows = Rows::new(people).peekable();
    while rows.peek().is_some() {
        let mut chunk = Vec::new();
        for row in rows.by_ref().take(500_000) {
            writeln!(
                chunk,
                "{PROJECT}\te{seq:012}\t{name}\t{ts}\t{ts}\t{ts}\t{ts}\t{day}\tp{person}\t\tp{person}\t\t/\t\t\t\\N\t\\N\t\\N\tbench\t0\t{{}}\t\\N\t\\N\t{seq}",
                seq = row.seq,
                name = NAMES[row.name],
                ts = row.ts,
                day = utc_day(row.ts),
                person = row.person
            )
            .unwrap();
        }
        succeed(client.post(url).query(&[("query", insert)]).body(chunk)).await;
    }
    // A running table has merged its parts; FINAL on unmerged parts would measure the load.
    succeed(client.post(url).body("OPTIMIZE TABLE bench.events FINAL")).await;
    store
}

/// Sends a statement to ClickHouse; stops the benchmark with ClickHouse's words if it fails.
async fn succeed(request: reqwest::RequestBuilder) {
    let answer = request.send().await.unwrap();
    assert!(
        answer.status().is_success(),
        "{}",
        answer.text().await.unwrap()
    );
}

fn funnel_query() -> FunnelQuery {
    FunnelQuery {
        steps: Some(json!(STEPS).to_string()),
        window: Some("7d".into()),
        from: Some(utc_day(START)),
        to: Some(utc_day(START + 55 * DAY)),
        ..FunnelQuery::default()
    }
}

fn retention_query() -> RetentionQuery {
    RetentionQuery {
        start: Some("invoice_created".into()),
        return_event: Some("invoice_sent".into()),
        interval: Some("week".into()),
        periods: Some("8".into()),
        from: Some(utc_day(START)),
        to: Some(utc_day(START + 55 * DAY)),
        ..RetentionQuery::default()
    }
}

/// Long after every event.
const NOW: i64 = START + 400 * DAY;

/// A report's time, its answer and the process's peak memory while it ran.
struct Timed<T> {
    /// Each round's seconds.
    rounds: Vec<f64>,
    report: T,
    peak_mib: f64,
}

impl<T: PartialEq + std::fmt::Debug> Timed<T> {
    /// Another round of the same report, which must give the same answer.
    fn add(&mut self, round: Timed<T>) {
        assert_eq!(self.report, round.report, "a report changed between rounds");
        self.rounds.extend(round.rounds);
        self.peak_mib = self.peak_mib.max(round.peak_mib);
    }
}

impl<T> Timed<T> {
    /// The median round's seconds.
    fn seconds(&self) -> f64 {
        median(&self.rounds)
    }
}

fn sorted(seconds: &[f64]) -> Vec<f64> {
    let mut sorted = seconds.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted
}

/// The median of some seconds (of an even count, the lower middle one).
fn median(seconds: &[f64]) -> f64 {
    let sorted = sorted(seconds);
    sorted[(sorted.len() - 1) / 2]
}

/// Rounds' seconds as the figures print them: `fastest-slowest`.
fn spread(seconds: &[f64]) -> String {
    let sorted = sorted(seconds);
    format!("{:.2}-{:.2}", sorted[0], sorted[sorted.len() - 1])
}

async fn time_funnel(store: &dyn EventStore) -> Timed<FunnelReport> {
    let checked = funnel_query().check(date!(2027 - 06 - 01)).unwrap();
    let baseline = reset_peak();
    let began = Instant::now();
    let report = funnels::run(store, PROJECT.into(), checked).await.unwrap();
    Timed {
        rounds: vec![began.elapsed().as_secs_f64()],
        report,
        peak_mib: peak_rss_mib(baseline),
    }
}

async fn time_retention(store: &dyn EventStore) -> Timed<String> {
    let checked = retention_query().check(NOW).unwrap();
    let baseline = reset_peak();
    let began = Instant::now();
    let report = retention::run(store, PROJECT.into(), checked, NOW)
        .await
        .unwrap();
    Timed {
        rounds: vec![began.elapsed().as_secs_f64()],
        report: serde_json::to_string(&report).unwrap(),
        peak_mib: peak_rss_mib(baseline),
    }
}

fn counts(report: &FunnelReport) -> Vec<u64> {
    let value = serde_json::to_value(report).unwrap();
    value["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["count"].as_u64().unwrap())
        .collect()
}

/// The engine alone: the funnel's matching and per-person logic over people held in memory
/// (the wanted events of the first `people` people), on this thread, repeated `rounds` times.
fn engine(people: u32, rounds: u32) -> (u64, f64, Vec<u64>) {
    let checked = funnel_query().check(date!(2027 - 06 - 01)).unwrap();
    let matchers: Vec<Matcher> = STEPS
        .iter()
        .enumerate()
        .map(|(i, s)| {
            Matcher::from_json(&json!(s), &format!("steps[{i}]"))
                .unwrap()
                .0
        })
        .collect();
    let set = MatcherSet::new(
        matchers,
        (checked.query.start_ms, checked.query.end_ms),
        false,
    );
    let wanted: Vec<Option<u32>> = NAMES
        .iter()
        .map(|n| {
            set.query()
                .names
                .iter()
                .position(|w| w.name == *n)
                .map(|i| i as u32)
        })
        .collect();
    let mut journeys: Vec<Journey> = Vec::new();
    generate(people, |row| {
        let Some(name) = wanted[row.name] else { return };
        if row.ts < checked.query.start_ms || row.ts >= checked.query.end_ms {
            return;
        }
        if journeys
            .last()
            .is_none_or(|j| j.person != row.person.to_string())
        {
            journeys.push(Journey::with_capacity(row.person.to_string(), 0));
        }
        let journey = journeys.last_mut().unwrap();
        let position = journey.events().len() as u32 + 1;
        let event = JourneyEvent {
            name,
            timestamp: row.ts,
            position,
        };
        journey.push(event, String::new(), String::new());
    });
    let events: u64 = journeys.iter().map(|j| j.events().len() as u64).sum();
    let mut last = Vec::new();
    let began = Instant::now();
    for _ in 0..rounds {
        let mut totals = FunnelTotals::new(checked.funnel.clone(), None, checked.interval);
        for journey in &journeys {
            totals.add(&set, journey);
        }
        let report = FunnelReport::new(
            PROJECT.into(),
            &checked.range,
            &checked.definitions,
            Vec::new(),
            totals,
        );
        last = counts(&report);
    }
    (
        events * u64::from(rounds),
        began.elapsed().as_secs_f64(),
        last,
    )
}

fn ratio(a: f64, b: f64) -> String {
    format!("{:.2}x", a / b)
}

#[tokio::main]
async fn main() {
    let mut people: u32 = 200_000;
    let mut dir = PathBuf::from("target/bench-journeys");
    let mut python: Option<PathBuf> = None;
    // Only the engine's figure (for profiling it).
    let mut engine_only = false;
    let mut keep = false;
    let mut skip_clickhouse = false;
    let mut clickhouse_url: Option<String> = None;
    let mut rounds: usize = 3;
    let mut args = std::env::args().skip(1);
    let usage = |problem: String| -> ! {
        eprintln!(
            "journeys: {problem}\nusage: journeys --python PATH [--people N] [--dir DIR] [--keep] \
             [--skip-clickhouse] [--clickhouse URL] [--rounds N] | --engine-only [--people N]"
        );
        std::process::exit(2)
    };
    while let Some(arg) = args.next() {
        let mut value = |what: &str| {
            args.next()
                .unwrap_or_else(|| usage(format!("{arg} needs {what}")))
        };
        match arg.as_str() {
            "--people" => {
                let n = value("a number of people");
                people = n
                    .parse()
                    .unwrap_or_else(|_| usage(format!("--people {n}: not a number")));
            }
            "--dir" => dir = value("a directory").into(),
            "--python" => python = Some(value("the Python with duckdb").into()),
            "--engine-only" => engine_only = true,
            "--keep" => keep = true,
            "--skip-clickhouse" => skip_clickhouse = true,
            "--clickhouse" => clickhouse_url = Some(value("ClickHouse's HTTP URL")),
            "--rounds" => {
                let n = value("a number of rounds");
                rounds = n
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .unwrap_or_else(|| usage(format!("--rounds {n}: not a number above 0")));
            }
            other => usage(format!("unknown argument {other}")),
        }
    }
    if engine_only {
        for (n, rounds) in [(20_000, 40), (1_000, 800)] {
            let (events, seconds, counts) = engine(people.min(n), rounds);
            println!(
                "the engine alone over {n} people: {:.1} million events/s/core (counts per step: {counts:?})",
                events as f64 / seconds / 1e6
            );
        }
        return;
    }
    let python = python.unwrap_or_else(|| {
        usage("--python: the Python with duckdb is needed (scripts/bench makes it)".into())
    });
    // What a kept directory holds: the people its rows were generated for, then its rows.
    let marker = dir.join("people");
    let kept = std::fs::read_to_string(&marker)
        .ok()
        .filter(|_| keep)
        .and_then(|text| {
            let (n, rows) = text.trim().split_once(' ')?;
            (n.parse::<u32>().ok()? == people).then(|| rows.parse::<u64>().ok())?
        });
    if kept.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    std::fs::create_dir_all(&dir).unwrap();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("journeys: {people} people, {cores} cores");

    let db = dir.join("events.db");
    let csv = dir.join("events.csv");
    let rows = match kept {
        Some(rows) => {
            println!(
                "kept the SQLite database and CSV of {rows} rows in {}",
                dir.display()
            );
            rows
        }
        None => {
            let began = Instant::now();
            let rows = load_sqlite(&db, people);
            println!(
                "generated and loaded {rows} rows into SQLite in {:.1} s",
                began.elapsed().as_secs_f64()
            );
            let mut out = std::io::BufWriter::new(std::fs::File::create(&csv).unwrap());
            writeln!(out, "person,name,ts,seq").unwrap();
            generate(people, |row| {
                writeln!(
                    out,
                    "p{},{},{},{}",
                    row.person, NAMES[row.name], row.ts, row.seq
                )
                .unwrap();
            });
            drop(out);
            std::fs::write(&marker, format!("{people} {rows}")).unwrap();
            rows
        }
    };
    let server = if skip_clickhouse || clickhouse_url.is_some() {
        None
    } else {
        Some(clickhouse::start_clickhouse().await)
    };
    let url = clickhouse_url.or_else(|| server.as_ref().map(|s| s.url.clone()));
    let clickhouse = match &url {
        Some(url) if keep && clickhouse_rows(url).await == Some(rows) => {
            println!("kept the {rows} rows in ClickHouse at {url}");
            Some(connect_clickhouse(url).await)
        }
        Some(url) => {
            let began = Instant::now();
            let store = load_clickhouse(url, people).await;
            println!(
                "loaded the same rows into ClickHouse (and merged) in {:.1} s",
                began.elapsed().as_secs_f64()
            );
            Some(store)
        }
        None => None,
    };
    let sqlite = SqliteStore::open(&db).unwrap();
    let rows_f = rows as f64;

    // The rounds alternate between the stores, so that a slow spell of these shared cores
    // falls on both.
    let mut sqlite_funnel = time_funnel(&sqlite).await;
    let mut clickhouse_funnel = match &clickhouse {
        Some(store) => Some(time_funnel(store).await),
        None => None,
    };
    for _ in 1..rounds {
        sqlite_funnel.add(time_funnel(&sqlite).await);
        if let (Some(store), Some(timed)) = (&clickhouse, &mut clickhouse_funnel) {
            timed.add(time_funnel(store).await);
        }
    }
    if let Some(theirs) = &clickhouse_funnel {
        assert_eq!(
            serde_json::to_string(&sqlite_funnel.report).unwrap(),
            serde_json::to_string(&theirs.report).unwrap(),
            "the funnel differs between SQLite and ClickHouse"
        );
    }
    let ours = counts(&sqlite_funnel.report);
    let mut sqlite_retention = time_retention(&sqlite).await;
    let mut clickhouse_retention = match &clickhouse {
        Some(store) => Some(time_retention(store).await),
        None => None,
    };
    for _ in 1..rounds {
        sqlite_retention.add(time_retention(&sqlite).await);
        if let (Some(store), Some(timed)) = (&clickhouse, &mut clickhouse_retention) {
            timed.add(time_retention(store).await);
        }
    }
    if let Some(theirs) = &clickhouse_retention {
        assert_eq!(
            sqlite_retention.report, theirs.report,
            "retention differs between SQLite and ClickHouse"
        );
    }

    let checked = funnel_query().check(date!(2027 - 06 - 01)).unwrap();
    let output = Command::new(&python)
        .arg("tests/bench/journeys_duckdb.py")
        .arg(&csv)
        .arg(rounds.to_string())
        .arg(checked.funnel.entry.0.to_string())
        .arg(checked.funnel.entry.1.to_string())
        .arg(checked.funnel.window_ms.to_string())
        .args(STEPS)
        .output()
        .expect("run the DuckDB funnel");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let duck: Value = serde_json::from_slice(&output.stdout).unwrap();
    let duck_counts: Vec<u64> = serde_json::from_value(duck["counts"].clone()).unwrap();
    assert_eq!(duck_counts, ours, "DuckDB's funnel counts other people");
    let duck_rounds: Vec<f64> = serde_json::from_value(duck["seconds"].clone()).unwrap();
    let duck_funnel = median(&duck_rounds);

    let (engine_events, engine_seconds, engine_counts) = engine(people.min(20_000), 40);
    let engine_rate = engine_events as f64 / engine_seconds;
    // A report reads each person just after the store's answer is parsed, so their events
    // are in the cache; 20,000 people held in memory are not (64 bytes an event).
    let (cached_events, cached_seconds, _) = engine(people.min(1_000), 800);

    println!();
    println!("people per step (all agree): {ours:?}");
    println!(
        "5-step ordered funnel, 7-day window, over {rows} rows (each time the median of {rounds} rounds):"
    );
    fn line<T>(store: &str, timed: &Timed<T>, rows: f64) {
        let t = timed.seconds();
        println!(
            "  {store:<11} {t:7.2} s  {:>12.0} rows/s  (rounds {} s)  peak RSS +{:.0} MiB while it ran",
            rows / t,
            spread(&timed.rounds),
            timed.peak_mib
        );
    }
    line("SQLite", &sqlite_funnel, rows_f);
    if let Some(theirs) = &clickhouse_funnel {
        line("ClickHouse", theirs, rows_f);
    }
    println!(
        "  DuckDB SQL  {duck_funnel:7.2} s  {:>12.0} rows/s  (rounds {} s; {} threads; loading the CSV took {:.1} s, not counted)",
        rows_f / duck_funnel,
        spread(&duck_rounds),
        duck["threads"],
        duck["load_seconds"].as_f64().unwrap()
    );
    if let Some(theirs) = &clickhouse_funnel {
        println!(
            "  ClickHouse / DuckDB time: {} (target <= 1.00x)",
            ratio(theirs.seconds(), duck_funnel)
        );
    }
    println!(
        "  SQLite / DuckDB time: {} (target <= 5.00x)",
        ratio(sqlite_funnel.seconds(), duck_funnel)
    );
    println!("weekly retention (8 cohorts, 8 periods), over {rows} rows (median of {rounds}):");
    line("SQLite", &sqlite_retention, rows_f);
    if let Some(theirs) = &clickhouse_retention {
        line("ClickHouse", theirs, rows_f);
    }
    println!(
        "the engine alone (funnel matching and per-person logic, in memory, one thread): {engine_events} events in {engine_seconds:.2} s = {:.1} million events/s/core (target > 50); its counts for {} people: {engine_counts:?}",
        engine_rate / 1e6,
        people.min(20_000)
    );
    println!(
        "  over 1,000 people, in the cache as a streamed person is: {:.1} million events/s/core",
        cached_events as f64 / cached_seconds / 1e6
    );
    drop(server);
}
