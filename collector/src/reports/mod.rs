//! Reports: what marketers and product teams read, computed from stored events
//! (`GET /v1/reports/…`, admin key).
//!
//! - [`events`]: events and people per day and per event name, and what every report shares
//!   (the range of UTC days, the person rule).
//! - [`experiments`]: an experiment's variants against its control.
//! - [`surveys`]: a survey's NPS, CES and CSAT with trend, breakdown and open text.
//! - [`stats`]: the statistics they use, pure functions of counts.
//!
//! A store computes only counts, in its own query language; every figure derived from them is
//! computed here, once, so the SQLite and ClickHouse stores cannot drift apart in the
//! arithmetic.

pub mod events;
pub mod experiments;
pub mod stats;
pub mod surveys;
