//! Paths (`GET /v1/reports/paths`): what people do after a start event, or before an end
//! event, step by step.
//!
//! As for funnels, the store streams each person's events ([`crate::reports::engine`]) and
//! everything is computed here, once.
//!
//! # Definitions
//!
//! - **Nodes**: a page view is its path; any other event is its name. Events whose name
//!   starts with `$` other than page views (the SDK's own: `$identify`, `$exposure`, survey
//!   and tour events) are left out.
//! - **Sessions**: a person's events in order (time, then storage order), cut wherever two
//!   follow each other more than 30 minutes apart.
//! - **Repeats collapsed**: the same node several times in a row is one step, at its first
//!   event.
//! - **From a start** (`start`): in each session, from the first step matching the start, it
//!   and the steps after it, up to `steps` in all; **to an end** (`end`): the steps before
//!   the first step matching the end, and it, up to `steps` in all.
//! - **Edges**: each pair of consecutive steps at its depth (1: from the first step to the
//!   second), counted once per session, with the median time between their events. The 50
//!   largest are listed: most sessions first, then by depth, source and target.
//! - **The date range** bounds the sessions' first events (UTC days); sessions are read
//!   from a day before it to a day after.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde::{Deserialize, Serialize};
use time::Date;

use crate::auth::admin;
use crate::error::IngestError;
use crate::extract::Query;
use crate::reports::engine::{
    median, product_event_names, Journey, JourneyQuery, Matcher, WantedName,
};
use crate::reports::events::{EventReportQuery, ReportRange};
use crate::state::AppState;
use crate::store::{EventStore, StoreError};

/// Two events further apart than this are in different sessions.
pub const SESSION_GAP_MS: i64 = 30 * 60_000;
/// Steps in a path, at most.
pub const MAX_STEPS: usize = 5;
/// Edges listed.
pub const MAX_EDGES: usize = 50;

/// From a start, or to an end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The steps from the start event on.
    From,
    /// The steps up to the end event.
    To,
}

/// One step of a session: its node and the time of its first event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// The node.
    pub node: String,
    /// Ms.
    pub ts: i64,
    /// Whether one of its events matches the start (or end).
    pub anchor: bool,
}

/// Cuts one person's steps (in order, with whether each event is an anchor) into sessions
/// and collapses repeats.
#[must_use]
pub fn sessions(events: &[(String, i64, bool)]) -> Vec<Vec<Step>> {
    let mut out: Vec<Vec<Step>> = Vec::new();
    let mut last_ts: Option<i64> = None;
    for (node, ts, anchor) in events {
        if last_ts.is_none_or(|last| ts - last > SESSION_GAP_MS) {
            out.push(Vec::new());
        }
        last_ts = Some(*ts);
        let session = out.last_mut().expect("pushed above");
        match session.last_mut() {
            Some(step) if step.node == *node => step.anchor |= anchor,
            _ => session.push(Step {
                node: node.clone(),
                ts: *ts,
                anchor: *anchor,
            }),
        }
    }
    out
}

/// The path of one session, or `None` without an anchor.
#[must_use]
pub fn path(session: &[Step], direction: Direction, steps: usize) -> Option<&[Step]> {
    let at = session.iter().position(|s| s.anchor)?;
    Some(match direction {
        Direction::From => &session[at..(at + steps).min(session.len())],
        Direction::To => &session[(at + 1).saturating_sub(steps)..=at],
    })
}

/// Edges summed over sessions.
#[derive(Debug, Default)]
pub struct PathTotals {
    /// (depth, source, target) → times between them
    edges: HashMap<(usize, String, String), Vec<i64>>,
    /// Sessions with the anchor.
    sessions: u64,
}

impl PathTotals {
    /// Adds one session's path.
    pub fn add(&mut self, path: &[Step]) {
        self.sessions += 1;
        for (depth, pair) in path.windows(2).enumerate() {
            self.edges
                .entry((depth + 1, pair[0].node.clone(), pair[1].node.clone()))
                .or_default()
                .push(pair[1].ts - pair[0].ts);
        }
    }
}

/// One edge.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Edge {
    /// 1: from the first step to the second.
    pub depth: usize,
    /// The earlier step's node.
    pub source: String,
    /// The later one's.
    pub target: String,
    /// Sessions that went this way.
    pub sessions: u64,
    /// Median ms between the two.
    pub median_time_ms: Option<f64>,
}

/// `GET /v1/reports/paths`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PathReport {
    /// The project.
    pub project: String,
    /// The first day.
    pub from: String,
    /// The last day.
    pub to: String,
    /// `from` a start event or `to` an end event.
    pub direction: Direction,
    /// The start (or end) as asked.
    pub anchor: serde_json::Value,
    /// Steps in a path, at most.
    pub steps: usize,
    /// Sessions with the anchor.
    pub sessions: u64,
    /// The largest edges.
    pub edges: Vec<Edge>,
    /// Edges beyond those, left off.
    pub edges_left_off: usize,
}

/// The query string of `GET /v1/reports/paths`.
#[derive(Debug, Default, Deserialize)]
pub struct PathQuery {
    /// The start event (a name, or a step as in funnels); or give `end`.
    pub start: Option<String>,
    /// The end event.
    pub end: Option<String>,
    /// Steps in a path, 2 to 5 (default 5).
    pub steps: Option<String>,
    /// The first day (default: 29 days before `to`).
    pub from: Option<String>,
    /// The last day (default: today, UTC).
    pub to: Option<String>,
}

fn invalid(message: impl Into<String>) -> IngestError {
    IngestError::InvalidRequest(message.into())
}

/// The node of an event.
fn node(name: &str, path: &str) -> String {
    if name == waymark_core::protocol::PAGEVIEW {
        path.to_owned()
    } else {
        name.to_owned()
    }
}

/// Runs a paths report against a store.
pub async fn run(
    store: &dyn EventStore,
    project: String,
    query: PathQuery,
    today: Date,
) -> Result<PathReport, IngestError> {
    let range: ReportRange = EventReportQuery {
        from: query.from.clone(),
        to: query.to.clone(),
        name: None,
    }
    .range(today)?;
    let (direction, text) = match (&query.start, &query.end) {
        (Some(start), None) => (Direction::From, start),
        (None, Some(end)) => (Direction::To, end),
        _ => return Err(invalid("give either start or end")),
    };
    let field = match direction {
        Direction::From => "start",
        Direction::To => "end",
    };
    let anchor: serde_json::Value =
        serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.clone()));
    let steps = match query.steps.as_deref() {
        None => MAX_STEPS,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (2..=MAX_STEPS).contains(&n) => n,
            _ => {
                return Err(invalid(format!(
                    "steps: expected a whole number from 2 to {MAX_STEPS}, got {text:?}"
                )))
            }
        },
    };
    let (matcher, _) = Matcher::from_json(&anchor, field)?;
    drop(matcher);
    // Every event name in the range (a session may run past its last day) but the SDK's own.
    // From a day before (a session under way at the start is not cut short) to a day after.
    let (start_ms, end_ms) = (
        range.start_ms().saturating_sub(86_400_000),
        range.end_ms().saturating_add(86_400_000),
    );
    let mut names = product_event_names(
        store,
        project.clone(),
        range.from.previous_day().unwrap_or(range.from),
        range.to.next_day().unwrap_or(range.to),
    )
    .await?;
    let anchor_name = match &anchor {
        serde_json::Value::String(name) => name.clone(),
        other => other
            .get("event")
            .and_then(serde_json::Value::as_str)
            .map_or_else(
                || waymark_core::protocol::PAGEVIEW.to_owned(),
                str::to_owned,
            ),
    };
    if !names.contains(&anchor_name) {
        names.push(anchor_name.clone());
        names.sort();
    }
    let wants_properties = anchor.get("where").is_some();
    let journey_query = JourneyQuery {
        names: names
            .iter()
            .map(|name| WantedName {
                name: name.clone(),
                path_prefixes: None,
                path: name == waymark_core::protocol::PAGEVIEW,
                properties: wants_properties && *name == anchor_name,
            })
            .collect(),
        start_ms,
        end_ms,
        positions: false,
        config_version: None,
    };
    let mut stream = store
        .journeys(project.clone(), journey_query)
        .await
        .map_err(IngestError::StorageUnavailable)?;
    let entry = (range.start_ms(), range.end_ms());
    let definition = anchor.clone();
    let totals = tokio::task::spawn_blocking(move || {
        let (matcher, _) = Matcher::from_json(&definition, field)?;
        let mut totals = PathTotals::default();
        while let Some(journey) = stream.blocking_recv() {
            let journey: Journey = journey.map_err(IngestError::StorageUnavailable)?;
            let events: Vec<(String, i64, bool)> = journey
                .events()
                .iter()
                .enumerate()
                .map(|(index, e)| {
                    let name = &names[e.name as usize];
                    let path = journey.path(index);
                    (
                        node(name, path),
                        e.timestamp,
                        matcher.matches_event(name, path, journey.properties(index)),
                    )
                })
                .collect();
            for session in sessions(&events) {
                let first = session.first().map_or(i64::MIN, |s| s.ts);
                if first < entry.0 || first >= entry.1 {
                    continue;
                }
                if let Some(path) = path(&session, direction, steps) {
                    totals.add(path);
                }
            }
        }
        Ok::<_, IngestError>(totals)
    })
    .await
    .map_err(|e| IngestError::StorageUnavailable(StoreError::Task(e.to_string())))??;
    let mut edges: Vec<Edge> = totals
        .edges
        .into_iter()
        .map(|((depth, source, target), mut times)| Edge {
            depth,
            source,
            target,
            sessions: times.len() as u64,
            median_time_ms: median(&mut times),
        })
        .collect();
    edges.sort_by(|a, b| {
        b.sessions
            .cmp(&a.sessions)
            .then(a.depth.cmp(&b.depth))
            .then_with(|| a.source.cmp(&b.source))
            .then_with(|| a.target.cmp(&b.target))
    });
    let left_off = edges.len().saturating_sub(MAX_EDGES);
    edges.truncate(MAX_EDGES);
    Ok(PathReport {
        project,
        from: range.from.to_string(),
        to: range.to.to_string(),
        direction,
        anchor,
        steps,
        sessions: totals.sessions,
        edges,
        edges_left_off: left_off,
    })
}

/// Handles `GET /v1/reports/paths` (admin key).
pub async fn report(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<PathQuery>, IngestError>,
) -> Result<Json<PathReport>, IngestError> {
    let key = admin(&state, &headers)?;
    let Query(query) = query?;
    let today = state.today();
    run(state.store.as_ref(), key.project, query, today)
        .await
        .map(Json)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(nodes: &[(&str, i64)], anchor: &str) -> Vec<(String, i64, bool)> {
        nodes
            .iter()
            .map(|(n, t)| ((*n).to_owned(), *t, *n == anchor))
            .collect()
    }

    #[test]
    fn sessions_are_cut_after_thirty_minutes_and_repeats_collapse() {
        let all = sessions(&steps(
            &[
                ("/", 0),
                ("/", 1000),
                ("a", 2000),
                ("/", 2000 + SESSION_GAP_MS),
                ("b", 2001 + 2 * SESSION_GAP_MS),
            ],
            "a",
        ));
        let nodes: Vec<Vec<&str>> = all
            .iter()
            .map(|s| s.iter().map(|x| x.node.as_str()).collect())
            .collect();
        assert_eq!(nodes, vec![vec!["/", "a", "/"], vec!["b"]]);
        assert_eq!(all[0][0].ts, 0);
    }

    #[test]
    fn paths_from_a_start_and_to_an_end() {
        let session = &sessions(&steps(
            &[
                ("x", 0),
                ("a", 1),
                ("b", 2),
                ("c", 3),
                ("d", 4),
                ("e", 5),
                ("f", 6),
                ("a", 7),
            ],
            "a",
        ))[0];
        let names = |p: &[Step]| p.iter().map(|s| s.node.clone()).collect::<Vec<_>>();
        assert_eq!(
            names(path(session, Direction::From, 3).unwrap()),
            ["a", "b", "c"]
        );
        assert_eq!(names(path(session, Direction::To, 3).unwrap()), ["x", "a"]);
        let mut totals = PathTotals::default();
        totals.add(path(session, Direction::From, 3).unwrap());
        assert_eq!(totals.edges[&(2, "b".into(), "c".into())], vec![1]);
    }
}
