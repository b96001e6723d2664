//! The Waymark collector: receives event batches from the browser SDK, stores them, and
//! serves the SDK files and the demo site.
//!
//! # Layout
//! - [`config`]: [`Config`], every setting with its documented default (flags and
//!   environment variables through clap).
//! - [`registry`]: projects and their keys, stored as digests; [`projects`] reads the
//!   `--project NAME=KEY` settings that register known keys.
//! - [`auth`]: which project a request speaks for: the public key pages send, the admin key
//!   only in `Authorization`.
//! - [`ingest`]: `POST /v1/batch`: read, parse, check, store, answer.
//! - [`limits`]: rate limits per key and per client address.
//! - [`error`]: [`IngestError`], the one place that decides status codes, error tags and
//!   whether a client should retry; [`extract`]: the query and path extractors, whose
//!   refusals are `IngestError`s too.
//! - [`publishing`]: publishing configs (validated by `waymark-core`), versions, rollback, and
//!   serving the active config to the SDK.
//! - [`reports`]: reports computed from stored events (`GET /v1/reports/…`): [`reports::events`]
//!   (events and people per day and name), [`reports::experiments`] (variants against the
//!   control), [`reports::surveys`] (NPS, CES and CSAT with trend, breakdown and open text),
//!   and [`reports::stats`], the statistics they use, pure functions of counts.
//! - [`store`]: the [`EventStore`] trait and what the stores share; [`store::sqlite`], the
//!   default, and [`store::clickhouse`], for ClickHouse, shared by any number of replicas.
//! - [`console`]: the marketer console's server side: users with a role per project,
//!   sessions, the same-origin check, the audit log, and its API under `/console/api/`.
//! - [`telemetry`]: Prometheus metrics.
//! - [`server`]: the listener, with read timeouts and a bound on connections
//!   ([`config::Connections`]).
//! - [`files`]: the SDK and site folders, where a path that names no file is the client's
//!   fault (a 404 or the site's index), never a 5xx.
//! - [`state`]: [`AppState`], what every handler shares, and the clock.
//! - [`mod@app`]: the router, which ties these to URLs.
//!
//! Start reading at [`app::app`]: it lists every route.
#![deny(missing_docs)]

pub mod app;
pub mod auth;
pub mod config;
pub mod console;
pub mod error;
pub mod extract;
pub mod files;
pub mod ingest;
pub mod limits;
pub mod projects;
pub mod publishing;
pub mod registry;
pub mod reports;
pub mod server;
pub mod state;
pub mod store;
pub mod telemetry;

pub use app::app;
pub use config::Config;
pub use error::IngestError;
pub use projects::Projects;
pub use state::AppState;
pub use store::{ClickHouseSettings, ClickHouseStore};
pub use store::{EventStore, SqliteStore};
