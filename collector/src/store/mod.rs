//! Where events go: the [`EventStore`] trait, what it stores and answers, and the writer
//! queue both stores share; [`sqlite`] has [`SqliteStore`], the default, and
//! [`clickhouse`] the other.
//!
//! A store acknowledges a batch only once it is durable: [`EventStore::insert`] returns after
//! the transaction has committed (SQLite in WAL mode with `synchronous = FULL`). Event ids are
//! unique per project, so a retried batch stores nothing twice; the per-event outcome says
//! which events were new.
//!
//! Each store writes through one writer with group commit: every batch queued while a write
//! is under way goes into the next one together, so concurrent requests share commits (and
//! fsyncs) and throughput holds under concurrency. Reads use their own connection.

pub mod clickhouse;
pub mod sqlite;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde::Serialize;
use waymark_core::{Event, Millis};

use crate::reports::engine::{JourneyQuery, Journeys};
use crate::reports::events::{EventCounts, ReportRange};
use crate::reports::experiments::{ExperimentCounts, ExperimentQuery};
use crate::reports::surveys::{SurveyCounts, SurveyQuery};
use crate::reports::versions::{VersionCount, VersionQuery};

pub use clickhouse::{ClickHouseSettings, ClickHouseStore};
pub use sqlite::{open_database, SqliteStore};

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
    /// The client's address as configured to be kept (truncated by default), if at all.
    pub ip: Option<String>,
    /// Per event, in the order of `events`: the version of the project's config the SDK
    /// decided with when it recorded it (the event's `config_version`, else the batch's).
    /// Shorter than `events` (empty, say) when the rest said none.
    pub config_versions: Vec<Option<i64>>,
}

impl IncomingBatch {
    /// The config version the event at `index` was recorded under, if it said.
    #[must_use]
    pub fn config_version(&self, index: usize) -> Option<i64> {
        self.config_versions.get(index).copied().flatten()
    }
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
    /// The database was written by a newer collector.
    #[error("the database has schema version {0}, newer than this collector knows; upgrade the collector")]
    NewerSchema(i64),
    /// The writer could not write (the message says why).
    #[error("write failed: {0}")]
    Write(String),
    /// ClickHouse could not be reached or refused a statement (the message says why).
    #[error("clickhouse: {0}")]
    ClickHouse(String),
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

    /// Counts a project's events and people over a range of days, for
    /// [`crate::reports::events`]. Duplicates never count.
    fn event_counts(&self, project: String, range: ReportRange) -> StoreFuture<'_, EventCounts>;

    /// Counts an experiment's exposed and converted people per variant, for
    /// [`crate::reports::experiments`] (whose docs define both). Duplicates never count.
    fn experiment_counts(
        &self,
        project: String,
        query: ExperimentQuery,
    ) -> StoreFuture<'_, ExperimentCounts>;

    /// Counts a survey's responses, answers, dismissals and open text, for
    /// [`crate::reports::surveys`] (whose docs define them). Duplicates never count.
    fn survey_counts(&self, project: String, query: SurveyQuery) -> StoreFuture<'_, SurveyCounts>;

    /// Streams, person by person, the events a journey report wants, in order (see
    /// [`crate::reports::engine`], whose docs define the person and the order). Duplicates
    /// never count. The stream ends after the last person, or with an error.
    fn journeys(&self, project: String, query: JourneyQuery) -> StoreFuture<'_, Journeys>;

    /// Counts the events of one experience per config version they were recorded under, for
    /// [`crate::reports::versions`] (whose docs say which), in any order. Duplicates never
    /// count.
    fn version_counts(
        &self,
        project: String,
        query: VersionQuery,
    ) -> StoreFuture<'_, Vec<VersionCount>>;

    /// Succeeds when storage answers queries.
    fn ping(&self) -> StoreFuture<'_, ()>;
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("events", &self.batch.events.len())
            .finish()
    }
}

/// The event time corrected for the client's clock skew: the client's own measure of how long
/// ago the event happened (`sent_at - ts`), counted back from when the collector received it.
/// Never later than the receipt itself.
pub(crate) fn corrected_timestamp(event_ts: Millis, sent_at: Millis, received_at: Millis) -> i64 {
    let age = i128::from(sent_at.0) - i128::from(event_ts.0);
    let corrected = (i128::from(received_at.0) - age.max(0)).clamp(0, i128::from(received_at.0));
    corrected as i64
}

pub(crate) fn json(value: &impl Serialize) -> String {
    // Serializing our own value types to a string cannot fail: keys are strings and
    // non-finite numbers serialize as null.
    serde_json::to_string(value).unwrap_or_else(|_| "{}".to_owned())
}

/// A batch waiting for a store's writer, and where its outcome goes.
pub(crate) struct Job {
    pub(crate) batch: IncomingBatch,
    reply: tokio::sync::oneshot::Sender<Result<Vec<Outcome>, StoreError>>,
}

/// The way into a store's single writer: requests queue their batches; the writer takes them
/// in groups and answers each. Shared by [`SqliteStore`] and the ClickHouse store.
#[derive(Clone, Debug)]
pub(crate) struct WriterQueue {
    sender: tokio::sync::mpsc::Sender<Job>,
    /// Batches queued and not yet taken.
    depth: Arc<AtomicUsize>,
}

impl WriterQueue {
    /// Batches queued for the writer, at most; past that, requests wait for room.
    const CAPACITY: usize = 4_096;

    /// The queue for requests, and the end the writer takes jobs from. The writer must hold
    /// only [`WriterJobs`]: once every [`WriterQueue`] is dropped, it sees the end of the jobs
    /// and stops.
    pub(crate) fn new() -> (WriterQueue, WriterJobs) {
        let (sender, jobs) = tokio::sync::mpsc::channel(Self::CAPACITY);
        let depth = Arc::new(AtomicUsize::new(0));
        let queue = WriterQueue {
            sender,
            depth: Arc::clone(&depth),
        };
        (queue, WriterJobs { jobs, depth })
    }

    /// Queues a batch and waits for the writer's answer.
    pub(crate) async fn submit(&self, batch: IncomingBatch) -> Result<Vec<Outcome>, StoreError> {
        let (reply, outcome) = tokio::sync::oneshot::channel();
        self.depth.fetch_add(1, Ordering::Relaxed);
        if self.sender.send(Job { batch, reply }).await.is_err() {
            self.depth.fetch_sub(1, Ordering::Relaxed);
            return Err(StoreError::Write("the writer has stopped".into()));
        }
        outcome
            .await
            .map_err(|_| StoreError::Write("the writer stopped before answering".into()))?
    }
}

/// The writer's end of a [`WriterQueue`].
#[derive(Debug)]
pub(crate) struct WriterJobs {
    jobs: tokio::sync::mpsc::Receiver<Job>,
    depth: Arc<AtomicUsize>,
}

impl WriterJobs {
    /// Waits (blocking the thread) for the next group; `None` once every queue is dropped
    /// and every job taken.
    pub(crate) fn blocking_next_group(&mut self, most: usize) -> Option<Vec<Job>> {
        let first = self.jobs.blocking_recv()?;
        Some(self.group(first, most))
    }

    /// Waits for the next group; `None` once every queue is dropped and every job taken.
    pub(crate) async fn next_group(&mut self, most: usize) -> Option<Vec<Job>> {
        let first = self.jobs.recv().await?;
        Some(self.group(first, most))
    }

    /// The first waiting job and every job queued behind it, up to `most`.
    fn group(&mut self, first: Job, most: usize) -> Vec<Job> {
        let mut group = vec![first];
        while group.len() < most {
            match self.jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        self.depth.fetch_sub(group.len(), Ordering::Relaxed);
        metrics::gauge!("waymark_writer_queue_depth")
            .set(self.depth.load(Ordering::Relaxed) as f64);
        metrics::histogram!("waymark_writer_group_batches").record(group.len() as f64);
        group
    }
}

/// Answers every job of a group: each its outcomes, or all the same error.
pub(crate) fn answer(
    group: Vec<Job>,
    written: Result<Vec<Vec<Outcome>>, StoreError>,
    failed: fn(String) -> StoreError,
) {
    match written {
        Ok(outcomes) => {
            for (job, outcome) in group.into_iter().zip(outcomes) {
                let _ = job.reply.send(Ok(outcome));
            }
        }
        Err(error) => {
            tracing::error!(%error, batches = group.len(), "a write failed; its batches are answered as not stored");
            let message = match error {
                StoreError::Write(message) | StoreError::ClickHouse(message) => message,
                other => other.to_string(),
            };
            for job in group {
                let _ = job.reply.send(Err(failed(message.clone())));
            }
        }
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

    #[test]
    fn an_event_dated_days_in_the_future_is_clamped_to_receipt() {
        let day = 86_400_000;
        check(10 * day, 8 * day, 8 * day + 500, (8 * day + 500) as i64);
    }
}
