//! [`SqliteStore`], the default store: one SQLite file in WAL mode.
//!
//! It writes through one writer thread with group commit: every batch queued while a
//! transaction commits goes into the next transaction together, so concurrent requests share
//! commits (and fsyncs) and throughput holds under concurrency. Reads use their own
//! connection.
//! Journey reports read on a connection of their own each, in `journeys`.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{params, Connection};
use waymark_core::protocol::IDENTIFY;

use super::{
    answer, corrected_timestamp, json, EventStore, IncomingBatch, Outcome, ProjectStats,
    StoreError, StoreFuture, WriterJobs, WriterQueue,
};
use crate::reports::engine::{self, JourneyQuery, Journeys};
use crate::reports::events::{Counts, EventCounts, ReportRange};
use crate::reports::experiments::{ExperimentCounts, ExperimentQuery, FirstExposures, EXPOSURE};
use crate::reports::surveys::{
    AnswerTally, GroupTally, SeenQuestion, SurveyCounts, SurveyDay, SurveyQuery, SurveyTotals,
    TextAnswer, ANSWERED, COMPLETED, DISMISSED, MAX_SCALE_SPAN, SHOWN,
};
use crate::reports::versions::{VersionCount, VersionQuery};

mod journeys;

/// The embedded default: one SQLite file in WAL mode.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    /// Reads (stats, readiness) on their own connection; WAL lets them run beside writes.
    connection: Arc<Mutex<Connection>>,
    /// Batches go to the single writer thread.
    writer: WriterQueue,
    thread: Arc<Mutex<Option<std::thread::JoinHandle<()>>>>,
    /// The database file, for reports that stream on a connection of their own.
    path: Arc<std::path::PathBuf>,
}

/// The schema version this build writes; [`MIGRATIONS`] brings older databases up to it.
const SCHEMA_VERSION: i64 = 9;

const SCHEMA: &str = "
CREATE TABLE events (
    seq             INTEGER PRIMARY KEY,
    project         TEXT    NOT NULL,
    id              TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    ts              INTEGER NOT NULL, -- the client's clock
    sent_at         INTEGER NOT NULL, -- the client's clock, at sending
    received_at     INTEGER NOT NULL, -- the collector's clock
    timestamp       INTEGER NOT NULL, -- ts corrected for client clock skew
    anonymous_id    TEXT    NOT NULL,
    user_id         TEXT,
    session_id      TEXT    NOT NULL,
    url             TEXT    NOT NULL,
    path            TEXT    NOT NULL,
    title           TEXT    NOT NULL,
    referrer        TEXT    NOT NULL,
    locale          TEXT,
    viewport_width  INTEGER,
    viewport_height INTEGER,
    sdk_name        TEXT    NOT NULL,
    sdk_version     TEXT    NOT NULL,
    properties      TEXT    NOT NULL, -- JSON object
    traits          TEXT,             -- JSON object, on $identify events
    UNIQUE (project, id)
);
CREATE INDEX events_by_project_time ON events (project, timestamp);
CREATE TABLE identities (
    project      TEXT    NOT NULL,
    anonymous_id TEXT    NOT NULL,
    user_id      TEXT    NOT NULL,
    first_seen   INTEGER NOT NULL,
    PRIMARY KEY (project, anonymous_id, user_id)
);
";

/// Opens the collector's database at `path`, creating its folder and schema if needed and
/// migrating an older schema.
pub fn open_database(path: &Path) -> Result<Connection, StoreError> {
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder).map_err(|source| StoreError::Folder {
            path: folder.display().to_string(),
            source,
        })?;
    }
    let connection = Connection::open(path)?;
    connection.busy_timeout(std::time::Duration::from_secs(5))?;
    // WAL lets readers run beside the writer; FULL makes every commit survive power loss,
    // which is what an acknowledgement promises.
    connection.pragma_update(None, "journal_mode", "WAL")?;
    connection.pragma_update(None, "synchronous", "FULL")?;
    migrate(&connection)?;
    Ok(connection)
}

/// Brings the schema up to [`SCHEMA_VERSION`] in one transaction: a new database gets the
/// first schema and every migration; an older one, the migrations it lacks. A database
/// written by a newer collector is refused rather than misread.
fn migrate(connection: &Connection) -> Result<(), StoreError> {
    let version: i64 = connection.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema(version));
    }
    if version == SCHEMA_VERSION {
        return Ok(());
    }
    let tx = connection.unchecked_transaction()?;
    if version == 0 {
        tx.execute_batch(SCHEMA)?;
    }
    for migration in MIGRATIONS.iter().skip(version.max(1) as usize - 1) {
        tx.execute_batch(migration)?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(())
}

/// Each migration takes the schema from version `index + 1` to `index + 2`.
const MIGRATIONS: [&str; 8] = [
    // 2: the client address, as configured to be kept.
    "ALTER TABLE events ADD COLUMN ip TEXT;",
    // 3: projects, their keys (as digests) and their published configs.
    "CREATE TABLE projects (
        name           TEXT    PRIMARY KEY,
        created_at     INTEGER NOT NULL,
        active_version INTEGER
    );
    CREATE TABLE keys (
        key_id     TEXT    PRIMARY KEY,
        project    TEXT    NOT NULL REFERENCES projects (name),
        kind       TEXT    NOT NULL, -- public or admin
        digest     TEXT    NOT NULL UNIQUE, -- SHA-256 of the key, hex
        prefix     TEXT    NOT NULL,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
    );
    CREATE TABLE configs (
        project      TEXT    NOT NULL REFERENCES projects (name),
        version      INTEGER NOT NULL,
        body         TEXT    NOT NULL, -- JSON
        published_at INTEGER NOT NULL,
        key_id       TEXT    NOT NULL, -- who published it
        rolled_back_from INTEGER,      -- set when this version republishes an older one
        PRIMARY KEY (project, version)
    );",
    // 4: the origins a project's pages may send from (JSON array; empty: any).
    "ALTER TABLE projects ADD COLUMN origins TEXT NOT NULL DEFAULT '[]';",
    // 5: the console's users, their roles per project, their sessions, and the audit log.
    "CREATE TABLE console_users (
        name       TEXT    PRIMARY KEY,
        password   TEXT    NOT NULL, -- an Argon2id PHC string, never the password
        created_at INTEGER NOT NULL
    );
    CREATE TABLE console_roles (
        user    TEXT NOT NULL REFERENCES console_users (name),
        project TEXT NOT NULL REFERENCES projects (name),
        role    TEXT NOT NULL, -- viewer, editor, publisher or admin
        PRIMARY KEY (user, project)
    );
    CREATE TABLE console_sessions (
        digest     TEXT    PRIMARY KEY, -- SHA-256 of the cookie's token, hex
        user       TEXT    NOT NULL REFERENCES console_users (name),
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
    );
    CREATE TABLE console_audit (
        seq     INTEGER PRIMARY KEY,
        project TEXT    NOT NULL,
        at      INTEGER NOT NULL,
        actor   TEXT    NOT NULL, -- a console user's name, key:ID or the command line
        action  TEXT    NOT NULL,
        version INTEGER,          -- the config version it made or named
        detail  TEXT    NOT NULL  -- JSON object
    );
    CREATE INDEX console_audit_by_project ON console_audit (project, seq);",
    // 6: each project's draft config, as the console saves it.
    "CREATE TABLE console_drafts (
        project  TEXT    PRIMARY KEY REFERENCES projects (name),
        revision INTEGER NOT NULL, -- from 1, one more each save
        body     TEXT    NOT NULL, -- JSON, as the author wrote it (it may have errors)
        saved_at INTEGER NOT NULL,
        saved_by TEXT    NOT NULL
    );",
    // 7: each project's time zone for reports (an IANA name or +HH:MM; NULL: UTC).
    "ALTER TABLE projects ADD COLUMN time_zone TEXT;",
    // 8: the config version the SDK decided with, from the batch (NULL: it did not say).
    "ALTER TABLE events ADD COLUMN config_version INTEGER;",
    // 9: each name's events by the person they were recorded under, then time: what journey
    // reports read (store/sqlite/journeys.rs), in person order, without a sort.
    "CREATE INDEX events_by_name_person
        ON events (project, name, COALESCE(user_id, anonymous_id), timestamp);",
];

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let writer_connection = open_database(path)?;
        let connection = open_database(path)?;
        let (writer, jobs) = WriterQueue::new();
        let thread = std::thread::Builder::new()
            .name("waymark-writer".into())
            .spawn(move || run_writer(writer_connection, jobs))
            .map_err(|e| StoreError::Task(e.to_string()))?;
        Ok(SqliteStore {
            connection: Arc::new(Mutex::new(connection)),
            writer,
            thread: Arc::new(Mutex::new(Some(thread))),
            path: Arc::new(path.to_owned()),
        })
    }

    /// Stops the writer after it has written every queued batch, and waits for it. Call it
    /// when nothing else holds the store (after the server has stopped): batches already
    /// acknowledged are committed, and queued ones are written before this returns.
    pub fn finish(self) {
        let SqliteStore { writer, thread, .. } = self;
        drop(writer);
        let handle = thread
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(handle) = handle {
            let _ = handle.join();
        }
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a half-written transaction (rusqlite
        // rolls back on drop), so a poisoned lock is still safe to use.
        self.connection
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs blocking database work off the async runtime.
    fn blocking<T, F>(&self, work: F) -> StoreFuture<'_, T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let store = self.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || work(&mut store.lock()))
                .await
                .map_err(|e| StoreError::Task(e.to_string()))?
        })
    }
}

/// Writes one batch's events inside an open transaction.
fn write_events(
    tx: &rusqlite::Transaction<'_>,
    batch: &IncomingBatch,
) -> Result<Vec<Outcome>, StoreError> {
    let mut outcomes = Vec::with_capacity(batch.events.len());
    {
        let mut insert_event = tx.prepare_cached(
            "INSERT OR IGNORE INTO events (project, id, name, ts, sent_at, received_at, timestamp,
                anonymous_id, user_id, session_id, url, path, title, referrer, locale,
                viewport_width, viewport_height, sdk_name, sdk_version, properties, traits, ip,
                config_version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                ?18, ?19, ?20, ?21, ?22, ?23)",
        )?;
        let mut link_identity = tx.prepare_cached(
            "INSERT OR IGNORE INTO identities (project, anonymous_id, user_id, first_seen)
             VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (index, event) in batch.events.iter().enumerate() {
            let timestamp = corrected_timestamp(event.ts, batch.sent_at, batch.received_at);
            let context = &event.context;
            let changed = insert_event.execute(params![
                batch.project,
                event.id.to_string(),
                event.name,
                event.ts.0 as i64,
                batch.sent_at.0 as i64,
                batch.received_at.0 as i64,
                timestamp,
                event.anonymous_id.to_string(),
                event.user_id,
                event.session_id.to_string(),
                context.page.url,
                context.page.path,
                context.page.title,
                context.page.referrer,
                context.locale,
                context.viewport.map(|v| v.width),
                context.viewport.map(|v| v.height),
                context.sdk.name,
                context.sdk.version,
                json(&event.properties),
                event.traits.as_ref().map(json),
                batch.ip,
                batch.config_version(index),
            ])?;
            outcomes.push(if changed == 1 {
                Outcome::Ok
            } else {
                Outcome::Duplicate
            });
            if let (Outcome::Ok, true, Some(user_id)) = (
                outcomes.last().copied().unwrap_or(Outcome::Duplicate),
                event.name == IDENTIFY,
                &event.user_id,
            ) {
                link_identity.execute(params![
                    batch.project,
                    event.anonymous_id.to_string(),
                    user_id,
                    timestamp
                ])?;
            }
        }
    }
    Ok(outcomes)
}

/// Writes several batches in one transaction: one commit, one fsync, for all of them.
fn write_group(
    connection: &mut Connection,
    batches: &[&IncomingBatch],
) -> Result<Vec<Vec<Outcome>>, StoreError> {
    let tx = connection.transaction()?;
    let outcomes = batches
        .iter()
        .map(|batch| write_events(&tx, batch))
        .collect::<Result<Vec<_>, _>>()?;
    tx.commit()?;
    Ok(outcomes)
}

/// Batches written in one transaction, at most.
const GROUP: usize = 512;

/// The writer thread: takes the first waiting batch and every batch queued behind it (up to
/// [`GROUP`]), writes them in one transaction, and answers each after the commit. Under load
/// many requests share a commit; idle, a batch is written alone at once.
fn run_writer(mut connection: Connection, mut jobs: WriterJobs) {
    while let Some(group) = jobs.blocking_next_group(GROUP) {
        let batches: Vec<&IncomingBatch> = group.iter().map(|job| &job.batch).collect();
        let written = write_group(&mut connection, &batches);
        answer(group, written, StoreError::Write);
    }
}

fn project_stats(connection: &mut Connection, project: &str) -> Result<ProjectStats, StoreError> {
    let mut query = connection.prepare_cached(
        "SELECT name, COUNT(*) FROM events WHERE project = ?1 GROUP BY name ORDER BY 2 DESC, 1",
    )?;
    let by_name = query
        .query_map([project], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)? as u64))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ProjectStats {
        events: by_name.iter().map(|(_, n)| n).sum(),
        by_name,
    })
}

/// The person an event belongs to: its user id, else the user its anonymous id was linked
/// to (the smallest, if several), else the anonymous id.
const PERSON_SQL: &str = "COALESCE(e.user_id, l.user_id, e.anonymous_id)";

fn event_counts(
    connection: &mut Connection,
    project: &str,
    range: &ReportRange,
) -> Result<EventCounts, StoreError> {
    let select = |group: &str, order: &str| {
        format!(
            "WITH linked AS (
                SELECT anonymous_id, MIN(user_id) AS user_id FROM identities
                WHERE project = ?1 GROUP BY anonymous_id)
             SELECT {group} AS label, COUNT(*), COUNT(DISTINCT {PERSON_SQL})
             FROM events e LEFT JOIN linked l ON l.anonymous_id = e.anonymous_id
             WHERE e.project = ?1 AND e.timestamp >= ?2 AND e.timestamp < ?3
               AND (?4 IS NULL OR e.name = ?4)
             GROUP BY label ORDER BY {order}"
        )
    };
    let run =
        |connection: &mut Connection, sql: &str| -> Result<Vec<(String, Counts)>, StoreError> {
            let mut query = connection.prepare_cached(sql)?;
            let rows = query
                .query_map(
                    params![project, range.start_ms(), range.end_ms(), range.name],
                    |row| {
                        Ok((
                            row.get::<_, String>(0)?,
                            Counts {
                                events: row.get::<_, i64>(1)? as u64,
                                persons: row.get::<_, i64>(2)? as u64,
                            },
                        ))
                    },
                )?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        };
    let totals = run(connection, &select("''", "1"))?
        .pop()
        .map(|(_, counts)| counts)
        .unwrap_or_default();
    let by_day = run(
        connection,
        &select("date(e.timestamp / 1000, 'unixepoch')", "label"),
    )?;
    let by_name = run(connection, &select("e.name", "2 DESC, label"))?;
    Ok(EventCounts {
        totals,
        by_day,
        by_name,
    })
}

/// An experiment's exposures: events named [`EXPOSURE`] in the range whose `experiment`
/// property is `?2` and whose `variant` property is a non-empty string. Parameters: `?1` the
/// project, `?2` the experiment, `?3`..`?4` the range in ms, `?5` the exposure event name.
const EXPOSURES_WHERE_SQL: &str = "e.project = ?1 AND e.name = ?5
    AND e.timestamp >= ?3 AND e.timestamp < ?4
    AND json_type(e.properties, '$.experiment') = 'text'
    AND json_extract(e.properties, '$.experiment') = ?2
    AND json_type(e.properties, '$.variant') = 'text'
    AND json_extract(e.properties, '$.variant') <> ''";

fn experiment_counts(
    connection: &mut Connection,
    project: &str,
    query: &ExperimentQuery,
) -> Result<ExperimentCounts, StoreError> {
    let (start, end) = query
        .range
        .as_ref()
        .map_or((i64::MIN, i64::MAX), |r| (r.start_ms(), r.end_ms()));
    // Only exposures are limited to a version: a number the report checked, written into the
    // SQL as one, so every statement's numbered parameters stay as they are.
    let version = query
        .version
        .map_or(String::new(), |v| format!(" AND e.config_version = {v}"));
    // Per person: the first exposure's time and variant (the smallest key among exposures at
    // that millisecond) and how many variants they saw; per person, the last goal event. A
    // person converted if that last goal is at or after the first exposure.
    let firsts_sql = format!(
        "WITH linked AS (
            SELECT anonymous_id, MIN(user_id) AS user_id FROM identities
            WHERE project = ?1 GROUP BY anonymous_id),
         exposures AS (
            SELECT {PERSON_SQL} AS person, e.timestamp AS ts,
                   json_extract(e.properties, '$.variant') AS variant
            FROM events e LEFT JOIN linked l ON l.anonymous_id = e.anonymous_id
            WHERE {EXPOSURES_WHERE_SQL}{version}),
         people AS (
            SELECT person, MIN(ts) AS first_ts, COUNT(DISTINCT variant) AS variants
            FROM exposures GROUP BY person),
         firsts AS (
            SELECT p.person, p.first_ts, p.variants, MIN(x.variant) AS variant
            FROM people p JOIN exposures x ON x.person = p.person AND x.ts = p.first_ts
            GROUP BY p.person),
         goals AS (
            SELECT {PERSON_SQL} AS person, MAX(e.timestamp) AS last_goal
            FROM events e LEFT JOIN linked l ON l.anonymous_id = e.anonymous_id
            WHERE e.project = ?1 AND e.name = ?6 AND e.timestamp >= ?3 AND e.timestamp < ?4
            GROUP BY person)
         SELECT f.variant, COUNT(*),
                SUM(g.last_goal IS NOT NULL AND g.last_goal >= f.first_ts),
                SUM(f.variants > 1)
         FROM firsts f LEFT JOIN goals g ON g.person = f.person
         GROUP BY f.variant ORDER BY f.variant"
    );
    let parameters = params![project, query.experiment, start, end, EXPOSURE, query.goal];
    let firsts = connection
        .prepare_cached(&firsts_sql)?
        .query_map(parameters, |row| {
            Ok(FirstExposures {
                key: row.get(0)?,
                exposures: row.get::<_, i64>(1)? as u64,
                conversions: row.get::<_, i64>(2)? as u64,
                mixed: row.get::<_, i64>(3)? as u64,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let seen_sql = format!(
        "SELECT json_extract(e.properties, '$.variant') AS variant,
                MIN(CASE WHEN json_type(e.properties, '$.variant_index') = 'integer'
                         THEN json_extract(e.properties, '$.variant_index') END)
         FROM events e WHERE {EXPOSURES_WHERE_SQL}{version}
         GROUP BY variant ORDER BY variant"
    );
    let seen = connection
        .prepare_cached(&seen_sql)?
        .query_map(
            params![project, query.experiment, start, end, EXPOSURE],
            |row| Ok((row.get::<_, String>(0)?, row.get::<_, Option<i64>>(1)?)),
        )?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ExperimentCounts::assemble(seen, firsts))
}

/// The events of one experience per config version (see [`crate::reports::versions`]).
fn version_counts(
    connection: &mut Connection,
    project: &str,
    query: &VersionQuery,
) -> Result<Vec<VersionCount>, StoreError> {
    let (start, end) = query
        .range
        .as_ref()
        .map_or((i64::MIN, i64::MAX), |r| (r.start_ms(), r.end_ms()));
    // The property name is one of the collector's constants, so it is written into the SQL.
    let sql = format!(
        "SELECT config_version, COUNT(*) FROM events
         WHERE project = ?1 AND name = ?2 AND timestamp >= ?3 AND timestamp < ?4
           AND json_type(properties, '$.{key}') = 'text' AND properties ->> '$.{key}' = ?5
         GROUP BY config_version",
        key = query.property
    );
    let counts = connection
        .prepare_cached(&sql)?
        .query_map(params![project, query.name, start, end, query.id], |row| {
            Ok(VersionCount {
                version: row.get(0)?,
                events: row.get::<_, i64>(1)? as u64,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(counts)
}

/// The common table expressions of every survey query. Parameters: `?1` the project, `?2`
/// the survey id, `?3`..`?4` the range in ms, `?5`..`?8` the names of the shown, answered,
/// completed and dismissed events.
///
/// - `survey`: the survey's events in the range, with their person, day, and the response
///   and question ids they carry (`''` when missing or not a string).
/// - `checked`: every answer, its value read for its type, and whether it is valid (the
///   rules of [`crate::reports::surveys`]); ratings get their scale size (`points`) and their
///   position on the scale made ascending (1 = worst).
/// - `counted`: of each response's valid answers to a question, the last (timestamp, then
///   event id).
fn survey_sql(version: Option<i64>) -> String {
    // A version is a number the report checked, written into the SQL as one: every
    // statement's numbered parameters stay as they are.
    let version = version.map_or(String::new(), |v| format!(" AND e.config_version = {v}"));
    format!(
        "WITH linked AS (
            SELECT anonymous_id, MIN(user_id) AS user_id FROM identities
            WHERE project = ?1 GROUP BY anonymous_id),
         survey AS (
            SELECT e.id, e.name, e.timestamp, date(e.timestamp / 1000, 'unixepoch') AS day,
                   {PERSON_SQL} AS person, e.properties AS p,
                   iif(json_type(e.properties, '$.response') = 'text',
                       e.properties ->> '$.response', '') AS response,
                   iif(json_type(e.properties, '$.question') = 'text',
                       e.properties ->> '$.question', '') AS question
            FROM events e LEFT JOIN linked l ON l.anonymous_id = e.anonymous_id
            WHERE e.project = ?1 AND e.name IN (?5, ?6, ?7, ?8)
              AND e.timestamp >= ?3 AND e.timestamp < ?4
              AND json_type(e.properties, '$.survey') = 'text'
              AND e.properties ->> '$.survey' = ?2{version}),
         answers AS (
            SELECT id, timestamp, day, person, response, question,
                   iif(json_type(p, '$.question_type') = 'text',
                       p ->> '$.question_type', '') AS question_type,
                   json_type(p, '$.value') AS value_type,
                   p ->> '$.value' AS value,
                   p -> '$.value' AS value_json,
                   iif(json_type(p, '$.locale') = 'text', p ->> '$.locale', NULL) AS locale,
                   -- A rating's value and scale bounds must all be whole numbers.
                   json_type(p, '$.value') = 'integer'
                       AND json_type(p, '$.scale.min') = 'integer'
                       AND json_type(p, '$.scale.max') = 'integer' AS whole,
                   p ->> '$.scale.min' AS low,
                   p ->> '$.scale.max' AS high,
                   iif(json_type(p, '$.scale.direction') = 'text',
                       p ->> '$.scale.direction', '') AS direction
            FROM survey WHERE name = ?6),
         checked AS (
            SELECT *,
                   response <> '' AND question <> '' AND COALESCE(CASE
                       WHEN question_type IN ('nps', 'ces', 'csat') THEN
                           whole AND low < high AND high - low <= {MAX_SCALE_SPAN}
                           AND value BETWEEN low AND high
                           AND direction IN ('ascending', 'descending')
                           AND (question_type <> 'nps' OR (low = 0 AND high = 10))
                           AND (question_type <> 'csat' OR high - low = 4)
                       WHEN question_type = 'single' THEN value_type = 'text' AND value <> ''
                       WHEN question_type = 'multiple' THEN value_type = 'array'
                           AND NOT EXISTS (SELECT 1 FROM json_each(value_json) c
                                           WHERE c.type <> 'text' OR c.value = '')
                       WHEN question_type = 'text' THEN value_type = 'text'
                       ELSE 0 END, 0) AS valid,
                   iif(question_type IN ('nps', 'ces', 'csat'), high - low + 1, 0) AS points,
                   iif(question_type IN ('nps', 'ces', 'csat'),
                       iif(direction = 'descending', high - value + 1, value - low + 1),
                       0) AS position
            FROM answers),
         counted AS (
            SELECT * FROM (
                SELECT *, ROW_NUMBER() OVER (PARTITION BY response, question
                                             ORDER BY timestamp DESC, id DESC) AS rank
                FROM checked WHERE valid)
            WHERE rank = 1)
        "
    )
}

fn survey_counts(
    connection: &mut Connection,
    project: &str,
    query: &SurveyQuery,
) -> Result<SurveyCounts, StoreError> {
    let cte = survey_sql(query.version);
    let (start, end) = (query.range.start_ms(), query.range.end_ms());
    let base = params![
        project,
        query.survey,
        start,
        end,
        SHOWN,
        ANSWERED,
        COMPLETED,
        DISMISSED
    ];
    let count = |row: &rusqlite::Row<'_>, i: usize| -> rusqlite::Result<u64> {
        Ok(row.get::<_, Option<i64>>(i)?.unwrap_or(0).max(0) as u64)
    };

    // The totals, one row. A dismissed response is one without a completion.
    let totals = connection
        .prepare_cached(&format!(
            "{cte}
             SELECT (SELECT COUNT(*) FROM survey),
                    (SELECT COUNT(DISTINCT response) FROM survey
                     WHERE name = ?5 AND response <> ''),
                    (SELECT COUNT(DISTINCT response) FROM survey
                     WHERE name = ?7 AND response <> ''),
                    (SELECT COUNT(DISTINCT response) FROM survey
                     WHERE name = ?8 AND response <> ''
                       AND response NOT IN (SELECT response FROM survey WHERE name = ?7)),
                    (SELECT COUNT(DISTINCT response) FROM checked WHERE valid),
                    (SELECT COUNT(DISTINCT person) FROM checked WHERE valid),
                    (SELECT COUNT(*) FROM checked WHERE valid),
                    (SELECT COUNT(*) FROM checked WHERE NOT valid)"
        ))?
        .query_row(base, |row| {
            Ok(SurveyTotals {
                events: count(row, 0)?,
                shown: count(row, 1)?,
                completed: count(row, 2)?,
                dismissed: count(row, 3)?,
                responses: count(row, 4)?,
                people: count(row, 5)?,
                valid_answers: count(row, 6)?,
                ignored_answers: count(row, 7)?,
            })
        })?;

    // Per day: responses by the day of their first shown event, and of their first valid
    // answer.
    let days = connection
        .prepare_cached(&format!(
            "{cte}
             SELECT day, SUM(kind = 'shown'), SUM(kind = 'answered') FROM (
                 SELECT MIN(day) AS day, 'shown' AS kind FROM survey
                 WHERE name = ?5 AND response <> '' GROUP BY response
                 UNION ALL
                 SELECT MIN(day), 'answered' FROM checked WHERE valid GROUP BY response)
             GROUP BY day ORDER BY day"
        ))?
        .query_map(base, |row| {
            Ok(SurveyDay {
                day: row.get(0)?,
                shown: count(row, 1)?,
                responses: count(row, 2)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;

    // Dismissed responses (not completed), each on the question of its last dismissal.
    let dismissed_at = connection
        .prepare_cached(&format!(
            "{cte}
             SELECT NULLIF(question, ''), COUNT(*) FROM (
                 SELECT question, ROW_NUMBER() OVER (PARTITION BY response
                                                     ORDER BY timestamp DESC, id DESC) AS rank
                 FROM survey
                 WHERE name = ?8 AND response <> ''
                   AND response NOT IN (SELECT response FROM survey WHERE name = ?7))
             WHERE rank = 1 GROUP BY 1"
        ))?
        .query_map(base, |row| Ok((row.get(0)?, count(row, 1)?)))?
        .collect::<Result<Vec<_>, _>>()?;

    // Each question id and type with valid answers, and its first valid answer.
    let seen = connection
        .prepare_cached(&format!(
            "{cte}
             SELECT question, question_type, timestamp, id FROM (
                 SELECT question, question_type, timestamp, id,
                        ROW_NUMBER() OVER (PARTITION BY question, question_type
                                           ORDER BY timestamp, id) AS rank
                 FROM checked WHERE valid)
             WHERE rank = 1"
        ))?
        .query_map(base, |row| {
            Ok(SeenQuestion {
                question: row.get(0)?,
                question_type: row.get(1)?,
                first_timestamp: row.get(2)?,
                first_id: row.get(3)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;

    // Counted answers: one question row each, and a choice row per choice chosen.
    let mut tallies = connection
        .prepare_cached(&format!(
            "{cte}
             SELECT day, question, question_type, points, position, COUNT(*),
                    SUM(question_type = 'text' AND value <> '')
             FROM counted GROUP BY 1, 2, 3, 4, 5"
        ))?
        .query_map(base, |row| {
            Ok(AnswerTally {
                day: row.get(0)?,
                question: row.get(1)?,
                question_type: row.get(2)?,
                points: count(row, 3)?,
                position: count(row, 4)?,
                choice: None,
                answers: count(row, 5)?,
                non_empty: count(row, 6)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let choices = connection
        .prepare_cached(&format!(
            "{cte}
             SELECT day, question, question_type, value, COUNT(*) FROM counted
             WHERE question_type = 'single' GROUP BY 1, 2, 3, 4
             UNION ALL
             -- A choice listed twice in one answer is chosen once.
             SELECT day, question, question_type, c.value, COUNT(DISTINCT response)
             FROM counted, json_each(counted.value_json) c
             WHERE question_type = 'multiple' GROUP BY 1, 2, 3, 4"
        ))?
        .query_map(base, |row| {
            Ok(AnswerTally {
                day: row.get(0)?,
                question: row.get(1)?,
                question_type: row.get(2)?,
                points: 0,
                position: 0,
                choice: Some(row.get(3)?),
                answers: count(row, 4)?,
                non_empty: 0,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    tallies.extend(choices);

    // The breakdown: each counted answer's person, their most recent identify carrying
    // traits (any time), and the trait's value: a string as it is, other JSON as its text,
    // missing or null as NULL. `?9` the identify event's name, `?10` the trait's JSON path.
    let (groups, group_tallies) = match &query.by {
        None => (Vec::new(), Vec::new()),
        Some(by) => {
            let grouped = format!(
                "{cte},
                 traits AS (
                    SELECT person, t FROM (
                        SELECT {PERSON_SQL} AS person, e.traits AS t,
                               ROW_NUMBER() OVER (PARTITION BY {PERSON_SQL}
                                                  ORDER BY e.timestamp DESC, e.id DESC) AS rank
                        FROM events e LEFT JOIN linked l ON l.anonymous_id = e.anonymous_id
                        WHERE e.project = ?1 AND e.name = ?9 AND e.traits IS NOT NULL)
                    WHERE rank = 1),
                 grouped AS (
                    SELECT c.*, CASE json_type(t.t, ?10)
                                    WHEN 'text' THEN t.t ->> ?10
                                    WHEN 'null' THEN NULL
                                    ELSE t.t -> ?10 END AS grp
                    FROM counted c LEFT JOIN traits t ON t.person = c.person)"
            );
            let path = format!("$.\"{by}\"");
            let with_by = params![
                project,
                query.survey,
                start,
                end,
                SHOWN,
                ANSWERED,
                COMPLETED,
                DISMISSED,
                IDENTIFY,
                path
            ];
            let groups = connection
                .prepare_cached(&format!(
                    "{grouped} SELECT grp, COUNT(DISTINCT response) FROM grouped GROUP BY grp"
                ))?
                .query_map(with_by, |row| Ok((row.get(0)?, count(row, 1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            let group_tallies = connection
                .prepare_cached(&format!(
                    "{grouped}
                     SELECT grp, question, question_type, points, position, COUNT(*)
                     FROM grouped GROUP BY 1, 2, 3, 4, 5"
                ))?
                .query_map(with_by, |row| {
                    Ok(GroupTally {
                        group: row.get(0)?,
                        question: row.get(1)?,
                        question_type: row.get(2)?,
                        points: count(row, 3)?,
                        position: count(row, 4)?,
                        answers: count(row, 5)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            (groups, group_tallies)
        }
    };

    // The page of open text: counted text answers that are not empty, newest first, after
    // the cursor. `?9` the question (or NULL), `?10`..`?11` the cursor (or NULL), `?12` the
    // page size plus one.
    let (after_ts, after_id) = match &query.text.after {
        Some(cursor) => (Some(cursor.timestamp), Some(cursor.id.clone())),
        None => (None, None),
    };
    let texts = connection
        .prepare_cached(&format!(
            "{cte}
             SELECT response, question, value, locale, timestamp, id, person FROM counted
             WHERE question_type = 'text' AND value <> ''
               AND (?9 IS NULL OR question = ?9)
               AND (?10 IS NULL OR timestamp < ?10 OR (timestamp = ?10 AND id < ?11))
             ORDER BY timestamp DESC, id DESC LIMIT ?12"
        ))?
        .query_map(
            params![
                project,
                query.survey,
                start,
                end,
                SHOWN,
                ANSWERED,
                COMPLETED,
                DISMISSED,
                query.text.question,
                after_ts,
                after_id,
                i64::from(query.text.limit) + 1
            ],
            |row| {
                Ok(TextAnswer {
                    response: row.get(0)?,
                    question: row.get(1)?,
                    value: row.get(2)?,
                    locale: row.get(3)?,
                    timestamp: row.get(4)?,
                    id: row.get(5)?,
                    person: row.get(6)?,
                })
            },
        )?
        .collect::<Result<Vec<_>, _>>()?;

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

impl EventStore for SqliteStore {
    fn insert(&self, batch: IncomingBatch) -> StoreFuture<'_, Vec<Outcome>> {
        Box::pin(self.writer.submit(batch))
    }

    fn stats(&self, project: String) -> StoreFuture<'_, ProjectStats> {
        self.blocking(move |connection| project_stats(connection, &project))
    }

    fn event_counts(&self, project: String, range: ReportRange) -> StoreFuture<'_, EventCounts> {
        self.blocking(move |connection| event_counts(connection, &project, &range))
    }

    fn experiment_counts(
        &self,
        project: String,
        query: ExperimentQuery,
    ) -> StoreFuture<'_, ExperimentCounts> {
        self.blocking(move |connection| experiment_counts(connection, &project, &query))
    }

    fn survey_counts(&self, project: String, query: SurveyQuery) -> StoreFuture<'_, SurveyCounts> {
        self.blocking(move |connection| survey_counts(connection, &project, &query))
    }

    fn journeys(&self, project: String, query: JourneyQuery) -> StoreFuture<'_, Journeys> {
        let path = Arc::clone(&self.path);
        Box::pin(async move {
            // A connection of its own: a long report never holds up the others, nor readiness.
            let connection = tokio::task::spawn_blocking(move || open_database(&path))
                .await
                .map_err(|e| StoreError::Task(e.to_string()))??;
            let (mut sender, receiver) = engine::journeys();
            tokio::task::spawn_blocking(move || {
                let outcome = journeys::stream_journeys(&connection, &project, &query, &mut sender);
                sender.blocking_finish(outcome);
            });
            Ok(receiver)
        })
    }

    fn version_counts(
        &self,
        project: String,
        query: VersionQuery,
    ) -> StoreFuture<'_, Vec<VersionCount>> {
        self.blocking(move |connection| version_counts(connection, &project, &query))
    }

    fn ping(&self) -> StoreFuture<'_, ()> {
        self.blocking(|connection| {
            connection.query_row("SELECT 1", [], |_| Ok(()))?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod migration_tests {
    use super::*;

    #[test]
    fn a_version_1_database_is_migrated_and_keeps_its_events() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            let old = Connection::open(&path).unwrap();
            old.execute_batch(SCHEMA).unwrap();
            old.execute(
                "INSERT INTO events (project, id, name, ts, sent_at, received_at, timestamp, anonymous_id,
                    session_id, url, path, title, referrer, sdk_name, sdk_version, properties)
                 VALUES ('demo', 'e1', '$pageview', 1, 1, 1, 1, 'a', 's', 'u', '/', '', '', 'w', '0', '{}')",
                [],
            )
            .unwrap();
            old.pragma_update(None, "user_version", 1).unwrap();
        }
        SqliteStore::open(&path).unwrap();
        let migrated = Connection::open(&path).unwrap();
        let version: i64 = migrated
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        let row: (String, Option<String>) = migrated
            .query_row("SELECT name, ip FROM events", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(
            (version, row),
            (SCHEMA_VERSION, ("$pageview".to_owned(), None))
        );
    }

    /// A database as a collector of schema `version` (2 or later) left it: the schema and
    /// the migrations up to that version.
    fn database_at(path: &Path, version: usize) -> Connection {
        let old = Connection::open(path).unwrap();
        old.execute_batch(SCHEMA).unwrap();
        for migration in &MIGRATIONS[..version - 1] {
            old.execute_batch(migration).unwrap();
        }
        old.pragma_update(None, "user_version", version as i64)
            .unwrap();
        old
    }

    #[test]
    fn a_version_7_database_gets_the_config_version_column_with_its_events_unversioned() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v7.db");
        {
            let old = database_at(&path, 7);
            old.execute(
                "INSERT INTO events (project, id, name, ts, sent_at, received_at, timestamp, anonymous_id,
                    session_id, url, path, title, referrer, sdk_name, sdk_version, properties)
                 VALUES ('demo', 'e1', '$pageview', 1, 1, 1, 1, 'a', 's', 'u', '/', '', '', 'w', '0', '{}')",
                [],
            )
            .unwrap();
        }
        SqliteStore::open(&path).unwrap();
        let migrated = Connection::open(&path).unwrap();
        let version: i64 = migrated
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        let row: (String, Option<i64>) = migrated
            .query_row("SELECT id, config_version FROM events", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((version, row), (SCHEMA_VERSION, ("e1".to_owned(), None)));
    }

    #[test]
    fn a_version_8_database_gets_the_journey_index() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v8.db");
        database_at(&path, 8);
        SqliteStore::open(&path).unwrap();
        let migrated = Connection::open(&path).unwrap();
        let index: String = migrated
            .query_row(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'
                 AND name = 'events_by_name_person'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(index, "events_by_name_person");
    }

    #[test]
    fn a_database_from_a_newer_collector_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.db");
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        assert!(matches!(
            SqliteStore::open(&path),
            Err(StoreError::NewerSchema(99))
        ));
    }
}

#[cfg(test)]
mod writer_tests {
    use super::*;
    use waymark_core::Millis;

    fn batch(ids: &[u128]) -> IncomingBatch {
        let events = ids
            .iter()
            .map(|id| {
                serde_json::from_value(serde_json::json!({
                    "id": uuid::Uuid::from_u128(0x019b_7a3c_0000_7000_8000_0000_0000_0000 + id),
                    "name": "tick",
                    "ts": 1_767_225_600_000u64,
                    "anonymous_id": "019b7a3c-2a00-7000-8000-0000000000aa",
                    "session_id": "019b7a3c-2a00-7000-8000-0000000000bb",
                    "context": {"page": {"url": "https://a.test/", "path": "/"}, "sdk": {"name": "test", "version": "0"}}
                }))
                .unwrap()
            })
            .collect();
        IncomingBatch {
            project: "demo".into(),
            received_at: Millis(1_767_225_600_000),
            sent_at: Millis(1_767_225_600_000),
            events,
            ip: None,
            config_versions: Vec::new(),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn finish_stops_the_writer_once_everything_queued_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.db");
        let store = SqliteStore::open(&path).unwrap();
        let concurrent: Vec<_> = (0..20u128)
            .map(|n| {
                let store = store.clone();
                tokio::spawn(async move { store.insert(batch(&[2 * n, 2 * n + 1, 0])).await })
            })
            .collect();
        let mut outcomes = Vec::new();
        for task in concurrent {
            outcomes.extend(task.await.unwrap().unwrap());
        }
        // 20 batches of 3; id 0 is in each, so it is stored once.
        let stored = outcomes.iter().filter(|o| **o == Outcome::Ok).count();
        assert_eq!((outcomes.len(), stored), (60, 40));
        // A hang here (a writer that never sees the end of its jobs) fails the test.
        let finished = tokio::time::timeout(
            std::time::Duration::from_secs(20),
            tokio::task::spawn_blocking(move || store.finish()),
        )
        .await;
        assert!(
            finished.is_ok(),
            "finish() did not return: the writer never stopped"
        );
        let count: i64 = Connection::open(&path)
            .unwrap()
            .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 40);
    }
}
