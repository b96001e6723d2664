//! Where events go: the [`EventStore`] trait, and [`SqliteStore`], the default.
//!
//! A store acknowledges a batch only once it is durable: [`EventStore::insert`] returns after
//! the transaction has committed (SQLite in WAL mode with `synchronous = FULL`). Event ids are
//! unique per project, so a retried batch stores nothing twice; the per-event outcome says
//! which events were new.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{params, Connection};
use serde::Serialize;
use waymark_core::protocol::IDENTIFY;
use waymark_core::{Event, Millis};

/// A boxed future, so that the trait can be used as `dyn EventStore`.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// A checked batch, ready to store.
#[derive(Clone, Debug)]
pub struct IncomingBatch {
    /// The project the key belongs to.
    pub project: String,
    /// When the collector received the batch, by its own clock.
    pub received_at: Millis,
    /// When the client sent it, by the client's clock.
    pub sent_at: Millis,
    /// The events.
    pub events: Vec<Event>,
}

/// What happened to one event of a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Stored now.
    Ok,
    /// An event with this id was stored before; nothing was written.
    Duplicate,
}

/// Event counts for one project.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ProjectStats {
    /// All events stored.
    pub events: u64,
    /// Events by name, most frequent first.
    pub by_name: Vec<(String, u64)>,
}

/// Why a store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite reported an error.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database folder could not be created.
    #[error("cannot create the database folder {path}: {source}")]
    Folder {
        /// The folder.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The blocking task running the query failed.
    #[error("the storage task failed: {0}")]
    Task(String),
}

/// Storage for events. Implementations must make [`insert`](EventStore::insert) durable
/// before returning and idempotent per (project, event id).
pub trait EventStore: Send + Sync + 'static {
    /// Stores a batch in one transaction and says, per event and in order, what happened.
    fn insert(&self, batch: IncomingBatch) -> StoreFuture<'_, Vec<Outcome>>;

    /// Counts a project's events.
    fn stats(&self, project: String) -> StoreFuture<'_, ProjectStats>;
}

/// The embedded default: one SQLite file in WAL mode.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    connection: Arc<Mutex<Connection>>,
}

const SCHEMA_VERSION: i64 = 1;

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

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
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
        let version: i64 = connection.pragma_query_value(None, "user_version", |row| row.get(0))?;
        if version < SCHEMA_VERSION {
            let tx = connection.unchecked_transaction()?;
            tx.execute_batch(SCHEMA)?;
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            tx.commit()?;
        }
        Ok(SqliteStore {
            connection: Arc::new(Mutex::new(connection)),
        })
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

/// The event time corrected for the client's clock skew: the client's own measure of how long
/// ago the event happened (`sent_at - ts`), counted back from when the collector received it.
/// Never later than the receipt itself.
fn corrected_timestamp(event_ts: Millis, sent_at: Millis, received_at: Millis) -> i64 {
    let age = i128::from(sent_at.0) - i128::from(event_ts.0);
    let corrected = (i128::from(received_at.0) - age.max(0)).clamp(0, i128::from(received_at.0));
    corrected as i64
}

fn json(value: &impl Serialize) -> String {
    // Serializing our own value types to a string cannot fail: keys are strings and
    // non-finite numbers serialize as null.
    serde_json::to_string(value).unwrap_or_else(|_| "{}".to_owned())
}

fn insert_batch(
    connection: &mut Connection,
    batch: &IncomingBatch,
) -> Result<Vec<Outcome>, StoreError> {
    let tx = connection.transaction()?;
    let mut outcomes = Vec::with_capacity(batch.events.len());
    {
        let mut insert_event = tx.prepare_cached(
            "INSERT OR IGNORE INTO events (project, id, name, ts, sent_at, received_at, timestamp,
                anonymous_id, user_id, session_id, url, path, title, referrer, locale,
                viewport_width, viewport_height, sdk_name, sdk_version, properties, traits)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                ?18, ?19, ?20, ?21)",
        )?;
        let mut link_identity = tx.prepare_cached(
            "INSERT OR IGNORE INTO identities (project, anonymous_id, user_id, first_seen)
             VALUES (?1, ?2, ?3, ?4)",
        )?;
        for event in &batch.events {
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
    tx.commit()?;
    Ok(outcomes)
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

impl EventStore for SqliteStore {
    fn insert(&self, batch: IncomingBatch) -> StoreFuture<'_, Vec<Outcome>> {
        self.blocking(move |connection| insert_batch(connection, &batch))
    }

    fn stats(&self, project: String) -> StoreFuture<'_, ProjectStats> {
        self.blocking(move |connection| project_stats(connection, &project))
    }
}

#[cfg(test)]
mod tests {
    use super::corrected_timestamp;
    use waymark_core::Millis;

    fn check(ts: u64, sent_at: u64, received_at: u64, expected: i64) {
        assert_eq!(
            corrected_timestamp(Millis(ts), Millis(sent_at), Millis(received_at)),
            expected
        );
    }

    #[test]
    fn a_client_clock_running_an_hour_fast_is_corrected() {
        // Happened 2 s before sending; the client clock is 3,600 s ahead of the server's.
        check(3_600_000 + 8_000, 3_600_000 + 10_000, 10_050, 8_050);
    }

    #[test]
    fn an_event_sent_as_it_happened_is_placed_at_receipt() {
        check(1_000, 1_000, 1_200, 1_200);
    }

    #[test]
    fn an_event_dated_after_its_sending_is_placed_at_receipt() {
        check(5_000, 4_000, 9_000, 9_000);
    }
}
