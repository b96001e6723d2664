//! [`ClickHouseStore`]: events in ClickHouse, for when one machine is not enough.
//!
//! Any number of collector replicas write to one ClickHouse server over its HTTP interface.
//! Each replica batches: one writer task takes every batch queued while an insert is in
//! flight and sends them as one `INSERT … FORMAT JSONEachRow`, so ClickHouse sees few, large
//! inserts (which it wants) however many requests arrive.
//!
//! **Stored once.** Event ids are unique per project in two layers. Before inserting, the
//! writer asks which ids of the group are already stored (a lookup narrowed by project and
//! day, both in the primary key) and answers those `duplicate`, as SQLite's insert-or-ignore
//! does; that catches every retry that follows its original. Two replicas racing with the same
//! batch can both insert it: the table is a `ReplacingMergeTree` whose sorting key ends with
//! the event id, so the copies share a key and merge into one, and every read uses `FINAL`,
//! which merges at read time (journeys skip it for a month already merged into one part,
//! which holds no copies: see `journeys.rs`). Counts are therefore exact before and after
//! background merges.
//!
//! **Compatible with old and new servers.** Only features that both Debian's ClickHouse 18.16
//! and current releases support: `ReplacingMergeTree` with `PARTITION BY`/`ORDER BY`,
//! `JSONEachRow`, `FINAL`, `ANY LEFT JOIN … USING`, `uniqExact`. No `DateTime64`, no query
//! parameters (so literals are quoted here, by [`quote`]), no `Nullable` in the key.
//!
//! **Durability** is ClickHouse's: the insert is acknowledged once the server has written the
//! part. Old servers do not fsync parts; a deployment that needs every acknowledged event to
//! survive a power cut runs a replicated table with `insert_quorum`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use waymark_core::protocol::IDENTIFY;

use super::{
    answer, corrected_timestamp, json, EventStore, IncomingBatch, Outcome, ProjectStats,
    StoreError, StoreFuture, WriterJobs, WriterQueue,
};
use crate::reports::engine::{self, JourneyQuery, Journeys};
use crate::reports::events::{utc_day, Counts, EventCounts, ReportRange};
use crate::reports::experiments::{ExperimentCounts, ExperimentQuery, FirstExposures, EXPOSURE};
use crate::reports::surveys::{
    AnswerTally, GroupTally, SeenQuestion, SurveyCounts, SurveyDay, SurveyQuery, SurveyTotals,
    TextAnswer, ANSWERED, COMPLETED, DISMISSED, MAX_SCALE_SPAN, SHOWN,
};
use crate::reports::versions::{VersionCount, VersionQuery};

/// Where the ClickHouse server is and who to be there.
#[derive(Clone, Debug)]
pub struct ClickHouseSettings {
    /// The HTTP interface, such as `http://127.0.0.1:8123`.
    pub url: String,
    /// The database; created if missing.
    pub database: String,
    /// The user.
    pub user: String,
    /// The password (empty for none).
    pub password: String,
}

mod journeys;

/// Events in ClickHouse. Cloning shares the writer.
#[derive(Clone, Debug)]
pub struct ClickHouseStore {
    client: Client,
    writer: WriterQueue,
    /// The bytes a journey query may hold in memory (see [`journeys`]).
    journey_memory: usize,
}

/// What a journey query holds, at most, by default: about 6 million events' time, order and
/// a short id, or fewer with their paths and properties.
pub const JOURNEY_MEMORY: usize = 512 << 20;

/// Talks to the HTTP interface.
#[derive(Clone, Debug)]
struct Client {
    http: reqwest::Client,
    settings: Arc<ClickHouseSettings>,
}

/// Batches sent in one insert, at most.
const GROUP: usize = 1_024;

const EVENTS_TABLE: &str = "
CREATE TABLE IF NOT EXISTS events (
    project         String,
    id              String,
    name            String,
    ts              Int64,            -- the client's clock, ms
    sent_at         Int64,            -- the client's clock at sending, ms
    received_at     Int64,            -- the collector's clock, ms
    timestamp       Int64,            -- ts corrected for client clock skew, ms
    day             Date,             -- the UTC day of timestamp
    anonymous_id    String,
    user_id         String,           -- empty: none
    session_id      String,
    url             String,
    path            String,
    title           String,
    referrer        String,
    locale          Nullable(String),
    viewport_width  Nullable(UInt32),
    viewport_height Nullable(UInt32),
    sdk_name        String,
    sdk_version     String,
    properties      String,           -- JSON object
    traits          Nullable(String), -- JSON object, on $identify events
    ip              Nullable(String),
    seq             Int64 DEFAULT 0,  -- storage order (see SEQ_SHIFT); 0 before it was kept
    config_version  Nullable(Int64)   -- the config version the SDK decided with, if it said
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (project, day, name, user_id, id)";

const IDENTITIES_TABLE: &str = "
CREATE TABLE IF NOT EXISTS identities (
    project      String,
    anonymous_id String,
    user_id      String,
    first_seen   Int64
) ENGINE = ReplacingMergeTree()
ORDER BY (project, anonymous_id, user_id)";

impl ClickHouseStore {
    /// Connects, creating the database and tables if missing, and starts the writer.
    pub async fn connect(settings: ClickHouseSettings) -> Result<ClickHouseStore, StoreError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| StoreError::ClickHouse(e.to_string()))?;
        let client = Client {
            http,
            settings: Arc::new(settings),
        };
        client
            .execute_in(
                None,
                format!(
                    "CREATE DATABASE IF NOT EXISTS {}",
                    identifier(&client.settings.database)?
                ),
            )
            .await?;
        client.execute(EVENTS_TABLE.to_owned()).await?;
        // Tables made before the storage order was kept get it, as 0 for their rows (ties
        // among those fall back to the event id); before the config version was kept, it,
        // as NULL for their rows.
        add_events_column(&client, "seq", "Int64 DEFAULT 0").await?;
        add_events_column(&client, "config_version", "Nullable(Int64)").await?;
        client.execute(IDENTITIES_TABLE.to_owned()).await?;
        let (writer, jobs) = WriterQueue::new();
        tokio::spawn(run_writer(client.clone(), jobs));
        Ok(ClickHouseStore {
            client,
            writer,
            journey_memory: JOURNEY_MEMORY,
        })
    }

    /// The same store, holding at most `bytes` of a journey query's events in memory (the
    /// default is [`JOURNEY_MEMORY`]); past that, ClickHouse groups them per person.
    #[must_use]
    pub fn with_journey_memory(mut self, bytes: usize) -> ClickHouseStore {
        self.journey_memory = bytes;
        self
    }
}

impl Client {
    /// Runs a statement in the configured database and returns the body of the answer.
    async fn execute(&self, sql: String) -> Result<String, StoreError> {
        let database = self.settings.database.clone();
        self.execute_in(Some(&database), sql).await
    }

    /// A POST to the HTTP interface as the configured user.
    fn post(&self) -> reqwest::RequestBuilder {
        self.http
            .post(&self.settings.url)
            .basic_auth(&self.settings.user, Some(&self.settings.password))
    }

    async fn execute_in(&self, database: Option<&str>, sql: String) -> Result<String, StoreError> {
        let mut request = self.post().body(sql);
        if let Some(database) = database {
            request = request.query(&[("database", database)]);
        }
        self.send(request).await
    }

    /// Inserts rows, one JSON object a line.
    async fn insert(&self, table: &str, rows: String) -> Result<(), StoreError> {
        let query = format!("INSERT INTO {table} FORMAT JSONEachRow");
        let request = self
            .post()
            .query(&[
                ("database", self.settings.database.as_str()),
                ("query", query.as_str()),
            ])
            .body(rows);
        self.send(request).await.map(|_| ())
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<String, StoreError> {
        let response = request
            .send()
            .await
            .map_err(|e| StoreError::ClickHouse(format!("cannot reach ClickHouse: {e}")))?;
        let status = response.status();
        let body = response
            .text()
            .await
            .map_err(|e| StoreError::ClickHouse(format!("reading ClickHouse's answer: {e}")))?;
        if status.is_success() {
            Ok(body)
        } else {
            Err(StoreError::ClickHouse(format!(
                "ClickHouse answered {status}: {}",
                body.trim()
            )))
        }
    }

    /// Starts a query answered in `format` (JSON with plain, unquoted 64-bit integers), and
    /// returns the answer once its status is in, for its body to be read as it comes.
    async fn stream(&self, sql: String, format: &str) -> Result<reqwest::Response, StoreError> {
        let response = self
            .post()
            .query(&[
                ("database", self.settings.database.as_str()),
                ("output_format_json_quote_64bit_integers", "0"),
            ])
            // A report may take longer than a statement; it streams as it goes.
            .timeout(Duration::from_secs(600))
            .body(format!("{sql} FORMAT {format}"))
            .send()
            .await
            .map_err(|e| StoreError::ClickHouse(format!("cannot reach ClickHouse: {e}")))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body = response.text().await.unwrap_or_default();
        Err(StoreError::ClickHouse(format!(
            "ClickHouse answered {status}: {}",
            body.trim()
        )))
    }

    /// Runs a query answered in `JSONEachRow` and reads each line as a `T`.
    async fn rows<T: for<'de> Deserialize<'de>>(&self, sql: String) -> Result<Vec<T>, StoreError> {
        let body = self.execute(format!("{sql} FORMAT JSONEachRow")).await?;
        body.lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                serde_json::from_str(line).map_err(|e| {
                    StoreError::ClickHouse(format!("unexpected row from ClickHouse: {e}: {line}"))
                })
            })
            .collect()
    }
}

/// A ClickHouse string literal. ClickHouse 18.16 has no query parameters, so every value in
/// SQL goes through here: backslashes and quotes are escaped.
#[must_use]
pub fn quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('\'');
    for c in text.chars() {
        match c {
            '\\' => quoted.push_str("\\\\"),
            '\'' => quoted.push_str("\\'"),
            _ => quoted.push(c),
        }
    }
    quoted.push('\'');
    quoted
}

/// A database name, which cannot be quoted as a literal: letters, digits and `_` only.
fn identifier(name: &str) -> Result<&str, StoreError> {
    let valid = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
        Ok(name)
    } else {
        Err(StoreError::ClickHouse(format!(
            "the database name {name:?} may hold only letters, digits and _"
        )))
    }
}

/// One row of the events table, as ClickHouse's `JSONEachRow` reads it.
#[derive(Serialize)]
struct EventRow<'a> {
    project: &'a str,
    id: String,
    name: &'a str,
    ts: i64,
    sent_at: i64,
    received_at: i64,
    timestamp: i64,
    day: String,
    anonymous_id: String,
    user_id: &'a str,
    session_id: String,
    url: &'a str,
    path: &'a str,
    title: &'a str,
    referrer: &'a str,
    locale: Option<&'a str>,
    viewport_width: Option<u32>,
    viewport_height: Option<u32>,
    sdk_name: &'a str,
    sdk_version: &'a str,
    properties: String,
    traits: Option<String>,
    ip: Option<&'a str>,
    seq: i64,
    config_version: Option<i64>,
}

#[derive(Serialize)]
struct IdentityRow<'a> {
    project: &'a str,
    anonymous_id: String,
    user_id: &'a str,
    first_seen: i64,
}

/// The storage order of an event: the collector's receipt time in ms shifted by this many
/// bits, plus a counter, so that it grows with every event a writer stores (SQLite's `seq`
/// does the same by itself). Replicas' orders interleave by receipt time. Good until 2109.
const SEQ_SHIFT: u32 = 21;

/// The writer: takes the first waiting batch and every batch queued behind it, stores them
/// with one lookup and one insert per table, and answers each.
async fn run_writer(client: Client, mut jobs: WriterJobs) {
    let mut last_seq = 0i64;
    while let Some(group) = jobs.next_group(GROUP).await {
        let batches: Vec<&IncomingBatch> = group.iter().map(|job| &job.batch).collect();
        let written = write_group(&client, &batches, &mut last_seq).await;
        answer(group, written, StoreError::ClickHouse);
    }
}

/// Stores a group of batches: finds which events are already stored, inserts the rest.
async fn write_group(
    client: &Client,
    batches: &[&IncomingBatch],
    last_seq: &mut i64,
) -> Result<Vec<Vec<Outcome>>, StoreError> {
    // Which ids, on which days, each project's events of this group have.
    let mut wanted: HashMap<&str, (HashSet<String>, HashSet<String>)> = HashMap::new();
    for batch in batches {
        let (ids, days) = wanted.entry(batch.project.as_str()).or_default();
        for event in &batch.events {
            let timestamp = corrected_timestamp(event.ts, batch.sent_at, batch.received_at);
            ids.insert(event.id.to_string());
            // A retry's corrected time can differ by its transit time; look a day either side.
            for shift in [-86_400_000, 0, 86_400_000] {
                days.insert(utc_day(timestamp + shift));
            }
        }
    }
    let mut stored: HashSet<(String, String)> = HashSet::new();
    for (project, (ids, days)) in &wanted {
        #[derive(Deserialize)]
        struct Found {
            id: String,
        }
        let sql = format!(
            "SELECT id FROM events WHERE project = {} AND day IN ({}) AND id IN ({})",
            quote(project),
            list(days),
            list(ids)
        );
        for found in client.rows::<Found>(sql).await? {
            stored.insert(((*project).to_owned(), found.id));
        }
    }

    let mut events = String::new();
    let mut identities = String::new();
    let mut outcomes = Vec::with_capacity(batches.len());
    for batch in batches {
        let mut batch_outcomes = Vec::with_capacity(batch.events.len());
        for (index, event) in batch.events.iter().enumerate() {
            let id = event.id.to_string();
            if !stored.insert((batch.project.clone(), id.clone())) {
                batch_outcomes.push(Outcome::Duplicate);
                continue;
            }
            batch_outcomes.push(Outcome::Ok);
            let timestamp = corrected_timestamp(event.ts, batch.sent_at, batch.received_at);
            let context = &event.context;
            let row = EventRow {
                project: &batch.project,
                id,
                name: &event.name,
                ts: event.ts.0 as i64,
                sent_at: batch.sent_at.0 as i64,
                received_at: batch.received_at.0 as i64,
                timestamp,
                day: utc_day(timestamp),
                anonymous_id: event.anonymous_id.to_string(),
                user_id: event.user_id.as_deref().unwrap_or(""),
                session_id: event.session_id.to_string(),
                url: &context.page.url,
                path: &context.page.path,
                title: &context.page.title,
                referrer: &context.page.referrer,
                locale: context.locale.as_deref(),
                viewport_width: context.viewport.map(|v| v.width),
                viewport_height: context.viewport.map(|v| v.height),
                sdk_name: &context.sdk.name,
                sdk_version: &context.sdk.version,
                properties: json(&event.properties),
                traits: event.traits.as_ref().map(json),
                ip: batch.ip.as_deref(),
                seq: {
                    let received = (batch.received_at.0 as i64).saturating_mul(1 << SEQ_SHIFT);
                    *last_seq = received.max(last_seq.saturating_add(1));
                    *last_seq
                },
                config_version: batch.config_version(index),
            };
            events.push_str(&json(&row));
            events.push('\n');
            if let (true, Some(user_id)) = (event.name == IDENTIFY, &event.user_id) {
                identities.push_str(&json(&IdentityRow {
                    project: &batch.project,
                    anonymous_id: event.anonymous_id.to_string(),
                    user_id,
                    first_seen: timestamp,
                }));
                identities.push('\n');
            }
        }
        outcomes.push(batch_outcomes);
    }
    // Identities first: an event is never visible before the link that counts its person.
    if !identities.is_empty() {
        client.insert("identities", identities).await?;
    }
    if !events.is_empty() {
        client.insert("events", events).await?;
    }
    Ok(outcomes)
}

/// A comma-separated list of quoted literals, in a stable order.
fn list(values: &HashSet<String>) -> String {
    let mut quoted: Vec<String> = values.iter().map(|value| quote(value)).collect();
    quoted.sort();
    quoted.join(", ")
}

/// A count, which ClickHouse's JSON output quotes (64-bit integers are strings there).
#[derive(Deserialize)]
#[serde(untagged)]
enum Number {
    Text(String),
    Int(u64),
}

impl Number {
    fn value(&self) -> Result<u64, StoreError> {
        match self {
            Number::Int(n) => Ok(*n),
            Number::Text(text) => text
                .parse()
                .map_err(|_| StoreError::ClickHouse(format!("expected a count, got {text:?}"))),
        }
    }

    fn signed(&self) -> Result<i64, StoreError> {
        match self {
            Number::Int(n) => i64::try_from(*n)
                .map_err(|_| StoreError::ClickHouse(format!("expected an Int64, got {n}"))),
            Number::Text(text) => text
                .parse()
                .map_err(|_| StoreError::ClickHouse(format!("expected an Int64, got {text:?}"))),
        }
    }
}

#[derive(Deserialize)]
struct CountRow {
    label: String,
    events: Number,
    persons: Number,
}

/// The person an event belongs to, as in [`crate::reports::events`]: its user id, else the user its
/// anonymous id was linked to (the smallest), else the anonymous id.
const PERSON_SQL: &str = "if(user_id != '', user_id, if(linked != '', linked, anonymous_id))";

async fn event_counts(
    client: &Client,
    project: &str,
    range: &ReportRange,
) -> Result<EventCounts, StoreError> {
    let name = range
        .name
        .as_deref()
        .map(|name| format!(" AND name = {}", quote(name)))
        .unwrap_or_default();
    let select = |label: &str, group: &str| {
        format!(
            "SELECT {label} AS label, count() AS events, uniqExact({PERSON_SQL}) AS persons
             FROM (
                 SELECT name, day, user_id, anonymous_id FROM events FINAL
                 WHERE project = {project} AND day >= {from} AND day <= {to}{name}
             )
             ANY LEFT JOIN (
                 SELECT anonymous_id, min(user_id) AS linked FROM identities FINAL
                 WHERE project = {project} GROUP BY anonymous_id
             ) USING anonymous_id
             {group}",
            project = quote(project),
            from = quote(&range.from.to_string()),
            to = quote(&range.to.to_string()),
        )
    };
    let read = |rows: Vec<CountRow>| -> Result<Vec<(String, Counts)>, StoreError> {
        rows.into_iter()
            .map(|row| {
                Ok((
                    row.label,
                    Counts {
                        events: row.events.value()?,
                        persons: row.persons.value()?,
                    },
                ))
            })
            .collect()
    };
    let totals = read(client.rows(select("''", "")).await?)?
        .pop()
        .map(|(_, counts)| counts)
        .unwrap_or_default();
    let by_day = read(
        client
            .rows(select("toString(day)", "GROUP BY label ORDER BY label"))
            .await?,
    )?;
    let by_name = read(
        client
            .rows(select("name", "GROUP BY label ORDER BY events DESC, label"))
            .await?,
    )?;
    Ok(EventCounts {
        totals,
        by_day,
        by_name,
    })
}

/// Adds a column to an events table made before it existed (ClickHouse 18.16 has no
/// `ADD COLUMN IF NOT EXISTS`). `name` and `definition` are the collector's constants.
async fn add_events_column(
    client: &Client,
    name: &str,
    definition: &str,
) -> Result<(), StoreError> {
    let present = client
        .execute(format!(
            "SELECT count() FROM system.columns WHERE database = {} AND table = 'events' \
             AND name = {}",
            quote(&client.settings.database),
            quote(name)
        ))
        .await?;
    if present.trim() == "0" {
        client
            .execute(format!("ALTER TABLE events ADD COLUMN {name} {definition}"))
            .await?;
    }
    Ok(())
}

/// The events of one experience per config version (see [`crate::reports::versions`]).
async fn version_counts(
    client: &Client,
    project: &str,
    query: &VersionQuery,
) -> Result<Vec<VersionCount>, StoreError> {
    let range = query
        .range
        .as_ref()
        .map(|range| {
            format!(
                " AND day >= {} AND day <= {} AND timestamp >= {} AND timestamp < {}",
                quote(&range.from.to_string()),
                quote(&range.to.to_string()),
                range.start_ms(),
                range.end_ms()
            )
        })
        .unwrap_or_default();
    #[derive(Deserialize)]
    struct Row {
        version: Option<Number>,
        events: Number,
    }
    let rows: Vec<Row> = client
        .rows(format!(
            "SELECT config_version AS version, count() AS events FROM events FINAL
             WHERE project = {project} AND name = {name}{range}
               AND visitParamExtractString(properties, {key}) = {id}
             GROUP BY config_version",
            project = quote(project),
            name = quote(query.name),
            key = quote(query.property),
            id = quote(&query.id),
        ))
        .await?;
    rows.into_iter()
        .map(|row| {
            Ok(VersionCount {
                version: row.version.as_ref().map(Number::signed).transpose()?,
                events: row.events.value()?,
            })
        })
        .collect()
}

/// The experiment's counts, in the SQL of ClickHouse 18.16: no common table expressions, so
/// the exposures subquery is written out where it is used, and joins are `USING` with the
/// conditions in `WHERE`. Properties are read with `visitParamExtract*`, which finds a key
/// anywhere in the object; the SDK's exposure properties are flat.
async fn experiment_counts(
    client: &Client,
    project: &str,
    query: &ExperimentQuery,
) -> Result<ExperimentCounts, StoreError> {
    let project = quote(project);
    let days = query
        .range
        .as_ref()
        .map(|range| {
            format!(
                " AND day >= {} AND day <= {}",
                quote(&range.from.to_string()),
                quote(&range.to.to_string())
            )
        })
        .unwrap_or_default();
    let linked = format!(
        "SELECT anonymous_id, min(user_id) AS linked FROM identities FINAL
         WHERE project = {project} GROUP BY anonymous_id"
    );
    let exposure_where = format!(
        "project = {project} AND name = {exposure}{days}
         AND visitParamExtractString(properties, 'experiment') = {experiment}{version}",
        exposure = quote(EXPOSURE),
        experiment = quote(&query.experiment),
        version = query
            .version
            .map_or(String::new(), |v| format!(" AND config_version = {v}")),
    );
    // Every exposure: its person, time and variant.
    let exposures = format!(
        "SELECT {PERSON_SQL} AS person, timestamp, variant
         FROM (
             SELECT user_id, anonymous_id, timestamp,
                    visitParamExtractString(properties, 'variant') AS variant
             FROM events FINAL WHERE {exposure_where}
         ) ANY LEFT JOIN ({linked}) USING anonymous_id
         WHERE variant != ''"
    );
    // Per person: the first exposure's time and how many variants they saw.
    let people = format!(
        "SELECT person, min(timestamp) AS first_seen, uniqExact(variant) AS variant_count
         FROM ({exposures}) GROUP BY person"
    );
    // Per person: the first exposure's variant (the smallest key at that millisecond).
    let firsts = format!(
        "SELECT person, min(variant) AS first_variant, any(first_seen) AS first_ts,
                any(variant_count) AS variants
         FROM ({exposures}) ALL INNER JOIN ({people}) USING person
         WHERE timestamp = first_seen
         GROUP BY person"
    );
    let goal = match &query.goal {
        Some(goal) => format!("name = {}", quote(goal)),
        None => "0".to_owned(),
    };
    // Per person: the last goal event.
    let goals = format!(
        "SELECT person, max(timestamp) AS last_goal, 1 AS has_goal
         FROM (
             SELECT {PERSON_SQL} AS person, timestamp
             FROM (
                 SELECT user_id, anonymous_id, timestamp FROM events FINAL
                 WHERE project = {project} AND {goal}{days}
             ) ANY LEFT JOIN ({linked}) USING anonymous_id
         )
         GROUP BY person"
    );
    #[derive(Deserialize)]
    struct FirstRow {
        label: String,
        exposures: Number,
        conversions: Number,
        mixed: Number,
    }
    let rows: Vec<FirstRow> = client
        .rows(format!(
            "SELECT first_variant AS label, count() AS exposures,
                    sum(has_goal = 1 AND last_goal >= first_ts) AS conversions,
                    sum(variants > 1) AS mixed
             FROM ({firsts}) ANY LEFT JOIN ({goals}) USING person
             GROUP BY label ORDER BY label"
        ))
        .await?;
    let firsts = rows
        .into_iter()
        .map(|row| {
            Ok(FirstExposures {
                key: row.label,
                exposures: row.exposures.value()?,
                conversions: row.conversions.value()?,
                mixed: row.mixed.value()?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;

    #[derive(Deserialize)]
    struct SeenRow {
        label: String,
        min_index: Number,
        indexed: Number,
    }
    let rows: Vec<SeenRow> = client
        .rows(format!(
            "SELECT variant AS label, minIf(variant_index, has_index) AS min_index,
                    max(has_index) AS indexed
             FROM (
                 SELECT visitParamExtractString(properties, 'variant') AS variant,
                        visitParamExtractInt(properties, 'variant_index') AS variant_index,
                        visitParamHas(properties, 'variant_index') AS has_index
                 FROM events FINAL WHERE {exposure_where}
             )
             WHERE variant != ''
             GROUP BY label ORDER BY label"
        ))
        .await?;
    let seen = rows
        .into_iter()
        .map(|row| {
            let index = if row.indexed.value()? > 0 {
                Some(row.min_index.signed()?)
            } else {
                None
            };
            Ok((row.label, index))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(ExperimentCounts::assemble(seen, firsts))
}

/// A whole JSON number of at most 18 digits, which fits an Int64 (a ClickHouse regex).
const WHOLE_RE: &str = r"'^-?[0-9]{1,18}$'";

/// The JSON strings in an array's text, still escaped (a ClickHouse regex: a quote, then
/// characters other than quotes and backslashes or escaped pairs, then a quote).
const STRINGS_RE: &str = r#"'"((?:[^"\\\\]|\\\\.)*)"'"#;

/// The subqueries every survey query is built from, in ClickHouse 18.16's SQL (see
/// [`experiment_counts`]): the rules are [`crate::reports::surveys`]'s, and the SQLite store's
/// common table expressions of the same names are the reference.
struct SurveySql {
    /// The survey's events in the range, with their person, and the response and question
    /// ids they carry (`''` when missing or not a string).
    survey: String,
    /// Every answer, its value read for its type, and whether it is valid; ratings with their
    /// scale size and position on the ascending scale.
    checked: String,
    /// Of each response's valid answers to a question, the last.
    counted: String,
    /// The smallest user each anonymous id was linked to, for the person rule.
    linked: String,
}

impl SurveySql {
    fn new(project: &str, query: &SurveyQuery) -> SurveySql {
        let project = quote(project);
        let linked = format!(
            "SELECT anonymous_id, min(user_id) AS linked FROM identities FINAL
             WHERE project = {project} GROUP BY anonymous_id"
        );
        let survey = format!(
            "SELECT id, name, timestamp, day, {PERSON_SQL} AS person, properties,
                    visitParamExtractString(properties, 'response') AS response,
                    visitParamExtractString(properties, 'question') AS question
             FROM (
                 SELECT id, name, timestamp, day, user_id, anonymous_id, properties
                 FROM events FINAL
                 WHERE project = {project} AND name IN ({shown}, {answered}, {completed}, {dismissed})
                   AND day >= {from} AND day <= {to}
                   AND visitParamExtractString(properties, 'survey') = {survey}{version}
             ) ANY LEFT JOIN ({linked}) USING anonymous_id",
            shown = quote(SHOWN),
            answered = quote(ANSWERED),
            completed = quote(COMPLETED),
            dismissed = quote(DISMISSED),
            from = quote(&query.range.from.to_string()),
            to = quote(&query.range.to.to_string()),
            survey = quote(&query.survey),
            version = query
                .version
                .map_or(String::new(), |v| format!(" AND config_version = {v}")),
        );
        // `visitParamExtractRaw` gives a value's JSON text: a string starts with a quote, a
        // list with a bracket. A list of choices is valid when it is exactly its strings,
        // joined (the stored JSON is compact), and none is empty; each is unescaped by
        // reading it back as a one-key object.
        let checked = format!(
            "SELECT id, timestamp, day, person, response, question, question_type, text,
                    has_locale, locale, choices, valid, points, position
             FROM (
                 SELECT id, timestamp, day, person, response, question,
                        visitParamExtractString(properties, 'question_type') AS question_type,
                        visitParamExtractRaw(properties, 'value') AS raw,
                        visitParamExtractString(properties, 'value') AS text,
                        startsWith(visitParamExtractRaw(properties, 'locale'), '\"') AS has_locale,
                        visitParamExtractString(properties, 'locale') AS locale,
                        visitParamExtractRaw(properties, 'scale') AS scale,
                        visitParamExtractRaw(scale, 'min') AS raw_low,
                        visitParamExtractRaw(scale, 'max') AS raw_high,
                        visitParamExtractString(scale, 'direction') AS direction,
                        match(raw, {WHOLE_RE}) AND match(raw_low, {WHOLE_RE})
                            AND match(raw_high, {WHOLE_RE}) AS whole,
                        toInt64OrZero(raw) AS number,
                        toInt64OrZero(raw_low) AS low,
                        toInt64OrZero(raw_high) AS high,
                        extractAll(raw, {STRINGS_RE}) AS escaped,
                        arrayMap(x -> visitParamExtractString(concat('{{\"c\":\"', x, '\"}}'), 'c'),
                                 escaped) AS choices,
                        startsWith(raw, '[')
                            AND concat('[', arrayStringConcat(arrayMap(x -> concat('\"', x, '\"'),
                                                                       escaped), ','), ']') = raw
                            AND arrayAll(x -> x != '', escaped) AS choice_list,
                        question_type IN ('nps', 'ces', 'csat') AS rating,
                        response != '' AND question != '' AND multiIf(
                            rating,
                                whole AND low < high AND high - low <= {MAX_SCALE_SPAN}
                                AND number >= low AND number <= high
                                AND direction IN ('ascending', 'descending')
                                AND (question_type != 'nps' OR (low = 0 AND high = 10))
                                AND (question_type != 'csat' OR high - low = 4),
                            question_type = 'single', startsWith(raw, '\"') AND text != '',
                            question_type = 'multiple', choice_list,
                            question_type = 'text', startsWith(raw, '\"'),
                            0) AS valid,
                        if(rating, high - low + 1, 0) AS points,
                        if(rating, if(direction = 'descending', high - number + 1,
                                      number - low + 1), 0) AS position
                 FROM ({survey}) WHERE name = {answered}
             )",
            answered = quote(ANSWERED),
        );
        let counted = format!(
            "SELECT * FROM ({checked}) WHERE valid
             ORDER BY timestamp DESC, id DESC LIMIT 1 BY response, question"
        );
        SurveySql {
            survey,
            checked,
            counted,
            linked,
        }
    }
}

/// A survey's counts, in the SQL of ClickHouse 18.16, from the subqueries of [`SurveySql`].
async fn survey_counts(
    client: &Client,
    project: &str,
    query: &SurveyQuery,
) -> Result<SurveyCounts, StoreError> {
    let SurveySql {
        survey,
        checked,
        counted,
        linked,
    } = SurveySql::new(project, query);
    let (shown, completed, dismissed) = (quote(SHOWN), quote(COMPLETED), quote(DISMISSED));
    // Dismissals of responses that were not completed.
    let dismissals = format!(
        "SELECT response, question, timestamp, id FROM ({survey})
         WHERE name = {dismissed} AND response != ''
           AND response NOT IN (SELECT response FROM ({survey}) WHERE name = {completed})"
    );

    #[derive(Deserialize)]
    struct TotalsRow {
        events: Number,
        shown: Number,
        completed: Number,
        dismissed: Number,
        responses: Number,
        people: Number,
        valid_answers: Number,
        ignored_answers: Number,
    }
    let rows: Vec<TotalsRow> = client
        .rows(format!(
            "SELECT (SELECT count() FROM ({survey})) AS events,
                    (SELECT uniqExact(response) FROM ({survey})
                     WHERE name = {shown} AND response != '') AS shown,
                    (SELECT uniqExact(response) FROM ({survey})
                     WHERE name = {completed} AND response != '') AS completed,
                    (SELECT uniqExact(response) FROM ({dismissals})) AS dismissed,
                    (SELECT uniqExact(response) FROM ({checked}) WHERE valid) AS responses,
                    (SELECT uniqExact(person) FROM ({checked}) WHERE valid) AS people,
                    (SELECT count() FROM ({checked}) WHERE valid) AS valid_answers,
                    (SELECT count() FROM ({checked}) WHERE NOT valid) AS ignored_answers"
        ))
        .await?;
    let totals = match rows.first() {
        Some(row) => SurveyTotals {
            events: row.events.value()?,
            shown: row.shown.value()?,
            completed: row.completed.value()?,
            dismissed: row.dismissed.value()?,
            responses: row.responses.value()?,
            people: row.people.value()?,
            valid_answers: row.valid_answers.value()?,
            ignored_answers: row.ignored_answers.value()?,
        },
        None => SurveyTotals::default(),
    };

    // Per day: responses by the day of their first shown event, and of their first valid
    // answer.
    #[derive(Deserialize)]
    struct DayRow {
        label: String,
        shown: Number,
        responses: Number,
    }
    let rows: Vec<DayRow> = client
        .rows(format!(
            "SELECT label, sum(kind = 1) AS shown, sum(kind = 2) AS responses
             FROM (
                 SELECT toString(min(day)) AS label, 1 AS kind FROM ({survey})
                 WHERE name = {shown} AND response != '' GROUP BY response
                 UNION ALL
                 SELECT toString(min(day)) AS label, 2 AS kind FROM ({checked})
                 WHERE valid GROUP BY response
             )
             GROUP BY label ORDER BY label"
        ))
        .await?;
    let days = rows
        .into_iter()
        .map(|row| {
            Ok(SurveyDay {
                day: row.label,
                shown: row.shown.value()?,
                responses: row.responses.value()?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;

    // Each dismissed response on the question of its last dismissal.
    #[derive(Deserialize)]
    struct DismissedRow {
        question: String,
        dismissed: Number,
    }
    let rows: Vec<DismissedRow> = client
        .rows(format!(
            "SELECT question, count() AS dismissed FROM (
                 SELECT response, question FROM ({dismissals})
                 ORDER BY timestamp DESC, id DESC LIMIT 1 BY response
             )
             GROUP BY question ORDER BY question"
        ))
        .await?;
    let dismissed_at = rows
        .into_iter()
        .map(|row| {
            let question = (!row.question.is_empty()).then_some(row.question);
            Ok((question, row.dismissed.value()?))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;

    // Each question id and type with valid answers, and its first valid answer.
    #[derive(Deserialize)]
    struct SeenRow {
        question: String,
        question_type: String,
        timestamp: Number,
        id: String,
    }
    let rows: Vec<SeenRow> = client
        .rows(format!(
            "SELECT question, question_type, timestamp, id FROM ({checked}) WHERE valid
             ORDER BY timestamp, id LIMIT 1 BY question, question_type"
        ))
        .await?;
    let seen = rows
        .into_iter()
        .map(|row| {
            Ok(SeenQuestion {
                question: row.question,
                question_type: row.question_type,
                first_timestamp: row.timestamp.signed()?,
                first_id: row.id,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;

    // Counted answers: one question row each, and a choice row per choice chosen.
    #[derive(Deserialize)]
    struct TallyRow {
        label: String,
        question: String,
        question_type: String,
        points: Number,
        position: Number,
        answers: Number,
        non_empty: Number,
    }
    let rows: Vec<TallyRow> = client
        .rows(format!(
            "SELECT toString(day) AS label, question, question_type, points, position,
                    count() AS answers, sum(question_type = 'text' AND text != '') AS non_empty
             FROM ({counted})
             GROUP BY label, question, question_type, points, position"
        ))
        .await?;
    let mut tallies = rows
        .into_iter()
        .map(|row| {
            Ok(AnswerTally {
                day: row.label,
                question: row.question,
                question_type: row.question_type,
                points: row.points.value()?,
                position: row.position.value()?,
                choice: None,
                answers: row.answers.value()?,
                non_empty: row.non_empty.value()?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    #[derive(Deserialize)]
    struct ChoiceRow {
        label: String,
        question: String,
        question_type: String,
        choice: String,
        answers: Number,
    }
    let mut rows: Vec<ChoiceRow> = client
        .rows(format!(
            "SELECT toString(day) AS label, question, question_type, text AS choice,
                    count() AS answers
             FROM ({counted}) WHERE question_type = 'single'
             GROUP BY label, question, question_type, choice"
        ))
        .await?;
    // A choice listed twice in one answer is chosen once.
    rows.extend(
        client
            .rows::<ChoiceRow>(format!(
                "SELECT toString(day) AS label, question, question_type, choice,
                        uniqExact(response) AS answers
                 FROM ({counted}) ARRAY JOIN choices AS choice
                 WHERE question_type = 'multiple'
                 GROUP BY label, question, question_type, choice"
            ))
            .await?,
    );
    for row in rows {
        tallies.push(AnswerTally {
            day: row.label,
            question: row.question,
            question_type: row.question_type,
            points: 0,
            position: 0,
            choice: Some(row.choice),
            answers: row.answers.value()?,
            non_empty: 0,
        });
    }

    // The breakdown: each counted answer's person, their most recent identify carrying
    // traits (any time), and the trait's value: a string unescaped, other JSON as its text,
    // missing or null as no value. `visitParamExtract*` finds the key anywhere in the
    // traits, so a trait nested in an object of the same name would be read too; the SDK's
    // traits are flat.
    let (groups, group_tallies) = match &query.by {
        None => (Vec::new(), Vec::new()),
        Some(by) => {
            let traits = format!(
                "SELECT person, has_group, trait FROM (
                     SELECT {PERSON_SQL} AS person, timestamp, id,
                            visitParamExtractRaw(t, {by}) AS raw_trait,
                            raw_trait != '' AND raw_trait != 'null' AS has_group,
                            if(startsWith(raw_trait, '\"'), visitParamExtractString(t, {by}),
                               raw_trait) AS trait
                     FROM (
                         SELECT user_id, anonymous_id, timestamp, id, assumeNotNull(traits) AS t
                         FROM events FINAL
                         WHERE project = {project} AND name = {identify} AND isNotNull(traits)
                     ) ANY LEFT JOIN ({linked}) USING anonymous_id
                     ORDER BY timestamp DESC, id DESC LIMIT 1 BY person
                 )",
                by = quote(by),
                project = quote(project),
                identify = quote(IDENTIFY),
            );
            let grouped = format!(
                "SELECT response, question, question_type, points, position,
                        has_group, if(has_group, trait, '') AS label
                 FROM ({counted}) ANY LEFT JOIN ({traits}) USING person"
            );
            #[derive(Deserialize)]
            struct GroupRow {
                has_group: Number,
                label: String,
                responses: Number,
            }
            let rows: Vec<GroupRow> = client
                .rows(format!(
                    "SELECT has_group, label, uniqExact(response) AS responses
                     FROM ({grouped}) GROUP BY has_group, label"
                ))
                .await?;
            let groups = rows
                .into_iter()
                .map(|row| {
                    let group = (row.has_group.value()? > 0).then_some(row.label);
                    Ok((group, row.responses.value()?))
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            #[derive(Deserialize)]
            struct GroupTallyRow {
                has_group: Number,
                label: String,
                question: String,
                question_type: String,
                points: Number,
                position: Number,
                answers: Number,
            }
            let rows: Vec<GroupTallyRow> = client
                .rows(format!(
                    "SELECT has_group, label, question, question_type, points, position,
                            count() AS answers
                     FROM ({grouped})
                     GROUP BY has_group, label, question, question_type, points, position"
                ))
                .await?;
            let group_tallies = rows
                .into_iter()
                .map(|row| {
                    Ok(GroupTally {
                        group: (row.has_group.value()? > 0).then_some(row.label),
                        question: row.question,
                        question_type: row.question_type,
                        points: row.points.value()?,
                        position: row.position.value()?,
                        answers: row.answers.value()?,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            (groups, group_tallies)
        }
    };

    // The page of open text: counted text answers that are not empty, newest first, after
    // the cursor.
    let question = query
        .text
        .question
        .as_deref()
        .map(|q| format!(" AND question = {}", quote(q)))
        .unwrap_or_default();
    let after = query
        .text
        .after
        .as_ref()
        .map(|c| {
            format!(
                " AND (timestamp < {ts} OR (timestamp = {ts} AND id < {id}))",
                ts = c.timestamp,
                id = quote(&c.id)
            )
        })
        .unwrap_or_default();
    #[derive(Deserialize)]
    struct TextRow {
        response: String,
        question: String,
        text: String,
        has_locale: Number,
        locale: String,
        timestamp: Number,
        id: String,
        person: String,
    }
    let rows: Vec<TextRow> = client
        .rows(format!(
            "SELECT response, question, text, has_locale, locale, timestamp, id, person
             FROM ({counted})
             WHERE question_type = 'text' AND text != ''{question}{after}
             ORDER BY timestamp DESC, id DESC LIMIT {limit}",
            limit = u64::from(query.text.limit) + 1
        ))
        .await?;
    let texts = rows
        .into_iter()
        .map(|row| {
            Ok(TextAnswer {
                response: row.response,
                question: row.question,
                value: row.text,
                locale: (row.has_locale.value()? > 0).then_some(row.locale),
                timestamp: row.timestamp.signed()?,
                id: row.id,
                person: row.person,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;

    Ok(SurveyCounts {
        totals,
        days,
        dismissed_at,
        seen,
        tallies,
        groups,
        group_tallies,
        texts,
    }
    .sorted())
}

impl EventStore for ClickHouseStore {
    fn insert(&self, batch: IncomingBatch) -> StoreFuture<'_, Vec<Outcome>> {
        Box::pin(self.writer.submit(batch))
    }

    fn stats(&self, project: String) -> StoreFuture<'_, ProjectStats> {
        Box::pin(async move {
            #[derive(Deserialize)]
            struct NameRow {
                name: String,
                events: Number,
            }
            let rows: Vec<NameRow> = self
                .client
                .rows(format!(
                    "SELECT name, count() AS events FROM events FINAL WHERE project = {}
                     GROUP BY name ORDER BY events DESC, name",
                    quote(&project)
                ))
                .await?;
            let by_name = rows
                .into_iter()
                .map(|row| Ok((row.name, row.events.value()?)))
                .collect::<Result<Vec<_>, StoreError>>()?;
            Ok(ProjectStats {
                events: by_name.iter().map(|(_, n)| n).sum(),
                by_name,
            })
        })
    }

    fn event_counts(&self, project: String, range: ReportRange) -> StoreFuture<'_, EventCounts> {
        Box::pin(async move { event_counts(&self.client, &project, &range).await })
    }

    fn experiment_counts(
        &self,
        project: String,
        query: ExperimentQuery,
    ) -> StoreFuture<'_, ExperimentCounts> {
        Box::pin(async move { experiment_counts(&self.client, &project, &query).await })
    }

    fn survey_counts(&self, project: String, query: SurveyQuery) -> StoreFuture<'_, SurveyCounts> {
        Box::pin(async move { survey_counts(&self.client, &project, &query).await })
    }

    fn journeys(&self, project: String, query: JourneyQuery) -> StoreFuture<'_, Journeys> {
        Box::pin(async move {
            let (mut sender, receiver) = engine::journeys();
            let (client, memory) = (self.client.clone(), self.journey_memory);
            tokio::spawn(async move {
                let read = journeys::journeys(&client, &project, &query, memory, &mut sender);
                let outcome = read.await;
                sender.finish(outcome).await;
            });
            Ok(receiver)
        })
    }

    fn version_counts(
        &self,
        project: String,
        query: VersionQuery,
    ) -> StoreFuture<'_, Vec<VersionCount>> {
        Box::pin(async move { version_counts(&self.client, &project, &query).await })
    }

    fn ping(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            self.client.execute("SELECT 1".to_owned()).await?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_cannot_break_out_of_their_quotes() {
        assert_eq!(quote("plain"), "'plain'");
        assert_eq!(quote("it's"), r"'it\'s'");
        assert_eq!(quote(r"a\' OR 1=1 --"), r"'a\\\' OR 1=1 --'");
    }

    #[test]
    fn database_names_are_plain_identifiers() {
        assert!(identifier("waymark_2").is_ok());
        for bad in ["", "2fast", "a-b", "a;DROP TABLE events", "a b"] {
            assert!(identifier(bad).is_err(), "{bad:?}");
        }
    }
}
