//! Reports: what marketers and product teams read, computed from stored events
//! (`GET /v1/reports/…`, admin key).
//!
//! - [`events`]: events and people per day and per event name, and what every report shares
//!   (the range of UTC days, the person rule).
//! - [`experiments`]: an experiment's variants against its control.
//! - [`surveys`]: a survey's NPS, CES and CSAT with trend, breakdown and open text.
//! - [`survey_reach`]: a survey's reach by question, replayed through its branching.
//! - [`funnels`]: where people drop off between steps.
//! - [`paths`]: what people do after a start event, or before an end event.
//! - [`tours`]: a tour's funnel, started to completed, with dismissals and target strategies.
//! - [`retention`]: of the people who started in a period, who came back in each after.
//! - [`holdouts`]: the retention of the people an experience was shown to against those its
//!   holdout kept from it.
//! - [`churn`]: the churn-risk loop: how engagement and churn risk are spread among active
//!   people, and who is most at risk.
//! - [`versions`]: what the survey, experiment and tour reports share to be split by the
//!   config version their events were recorded under.
//! - [`engine`]: what the journey reports (funnels, retention, paths, holdouts and the rest)
//!   share: the person-by-person stream a store answers with, and matching its events to steps.
//! - [`zone`]: report time zones, fixed offsets or IANA zones with their daylight saving time.
//! - [`stats`]: the statistics they use, pure functions of counts.
//!
//! A store computes only counts, or for the journey reports only filters, sorts and streams
//! events, in its own query language; every figure derived from them is computed here, once,
//! so the SQLite and ClickHouse stores cannot drift apart.

pub mod churn;
pub mod engine;
pub mod events;
pub mod experiments;
pub mod funnels;
pub mod holdouts;
pub mod paths;
pub mod retention;
pub mod stats;
pub mod survey_reach;
pub mod surveys;
pub mod tours;
pub mod versions;
pub mod zone;
