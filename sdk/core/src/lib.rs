//! Waymark's pure core, shared by the browser SDK (`waymark-web`) and the collector.
//!
//! Everything here takes its inputs as values, the current time included, and returns
//! decisions. Nothing reads a clock, touches storage, the network or the DOM; that is what
//! lets the same code run in the wasm SDK and the server, and be tested natively.
//!
//! # Layout
//! - [`time`]: [`Millis`], the one unit of time on the wire and in every decision.
//! - [`map`]: [`Map`], the small insertion-ordered string-keyed map used throughout.
//! - [`value`]: [`Value`] and [`Properties`], the JSON data model of event properties and
//!   traits (the browser build has no `serde_json`).
//! - [`encode`]: JSON output for the wire types, written without serde (the browser's
//!   send path).
//! - [`id`]: UUID v7 generation from a timestamp and caller-supplied randomness.
//! - [`protocol`]: the wire types: [`Event`], [`Batch`], [`ConfigEnvelope`], and limits.
//! - [`session`]: when a session continues and when a new one starts.
//! - [`navigation`]: which URL changes count as a new page view.
//! - [`outbox`]: the outbox's decisions: bounds, batches, backoff.
//! - [`privacy`]: consent, and masking e-mail addresses and card numbers.
//! - [`rules`]: the decision engine: targeting conditions, hashing and bucketing.
#![deny(missing_docs)]

pub mod encode;
pub mod id;
pub mod map;
pub mod navigation;
pub mod outbox;
pub mod privacy;
pub mod protocol;
pub mod rules;
pub mod session;
pub mod time;
pub mod value;

pub use id::IdGenerator;
pub use map::Map;
pub use outbox::BatchPolicy;
pub use protocol::{Batch, BatchRef, ConfigEnvelope, Context, Event, Page, SdkInfo, Viewport};
pub use session::Session;
pub use time::Millis;
pub use uuid::Uuid;
pub use value::{Properties, Value};
