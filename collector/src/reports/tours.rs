//! Tour funnels (`GET /v1/reports/tours/{id}`): for one tour, started → each step viewed →
//! completed, with dismissals by step and reason and the locator strategy that found each
//! step's target.
//!
//! The funnel is [`crate::reports::funnels`]' own, ordered, counting people, over the tour's
//! events (`$tour_started`, `$step_viewed` with `step` = *n*, `$tour_completed`, each with
//! `tour` = the id), so its figures mean what a funnel's do. Its steps are read from the
//! events themselves (the largest `step` viewed in the range), so a tour changed or gone
//! from the config still reads as it ran.
//!
//! - **Dismissals**: people who dismissed the tour (`$tour_dismissed`) at each step, by
//!   `reason` (`close`, `escape`, `skip`, `target_missing`).
//! - **Strategies**: per step, how many views found their target by each locator strategy
//!   (`strategy` of `$step_viewed`: `selector`, `text`, …, or `none` for a step without a
//!   target), and how many times the target did not appear (`$step_target_missing`).
//! - **Config version**: `?version=N` reads only the tour's events recorded under config
//!   version `N`; `versions` lists every version the tour was started under (see
//!   [`crate::reports::versions`]).

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::Date;
use waymark_core::protocol::tour::{
    COMPLETED, DISMISSED, STARTED, STEP_TARGET_MISSING, STEP_VIEWED,
};

use crate::auth::admin;
use crate::error::IngestError;
use crate::extract::{Path, Query};
use crate::reports::engine::{JourneyQuery, WantedName};
use crate::reports::events::EventReportQuery;
use crate::reports::funnels::{self, FunnelQuery, FunnelReport};
use crate::reports::versions::{self, VersionCount, VersionQuery};
use crate::state::AppState;
use crate::store::{EventStore, StoreError};

/// Steps of a tour the funnel lists, at most (with started and completed, 20 funnel steps).
pub const MAX_TOUR_STEPS: usize = 18;

/// People who dismissed the tour at one step for one reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Dismissal {
    /// The step (from 0).
    pub step: i64,
    /// Why.
    pub reason: String,
    /// People.
    pub people: u64,
}

/// How one step's targets were found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StepTargets {
    /// The step (from 0).
    pub step: i64,
    /// Its id, as the first view in the range gave it.
    pub step_id: Option<String>,
    /// Views by the locator strategy that found the target.
    pub strategies: BTreeMap<String, u64>,
    /// Times the target did not appear in time.
    pub missing: u64,
}

/// `GET /v1/reports/tours/{id}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TourReport {
    /// The tour's id.
    pub tour: String,
    /// Only events recorded under this config version (`?version=`); `null`: all.
    pub version: Option<i64>,
    /// Every config version the tour was started under in the range, with how many times
    /// (`$tour_started` events), newest first, `null` (recorded without one) last.
    pub versions: Vec<VersionCount>,
    /// Started, each step viewed, completed: a funnel (ordered, people, the window asked).
    pub funnel: FunnelReport,
    /// Steps viewed beyond [`MAX_TOUR_STEPS`], left out of the funnel.
    pub steps_left_off: usize,
    /// By step, then reason.
    pub dismissals: Vec<Dismissal>,
    /// By step.
    pub targets: Vec<StepTargets>,
}

/// The query string of `GET /v1/reports/tours/{id}`.
#[derive(Debug, Default, Deserialize)]
pub struct TourQuery {
    /// The first day of starts (default: 29 days before `to`).
    pub from: Option<String>,
    /// The last day (default: today, UTC).
    pub to: Option<String>,
    /// From start to completion, at most (default `1d`), as a funnel's window.
    pub window: Option<String>,
    /// Only events recorded under this config version.
    pub version: Option<String>,
}

fn number(properties: &serde_json::Value, key: &str) -> Option<i64> {
    properties.get(key).and_then(serde_json::Value::as_i64)
}

fn text(properties: &serde_json::Value, key: &str) -> Option<String> {
    properties
        .get(key)
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
}

/// Runs a tour report against a store.
pub async fn run(
    store: &dyn EventStore,
    project: String,
    tour: String,
    query: TourQuery,
    today: Date,
) -> Result<TourReport, IngestError> {
    let range = EventReportQuery {
        from: query.from.clone(),
        to: query.to.clone(),
        name: None,
    }
    .range(today)?;
    let version = versions::parse(query.version.as_deref())?;
    let window = query.window.clone().unwrap_or_else(|| "1d".to_owned());
    // Checked first: a bad window is refused before anything is read.
    let probe = FunnelQuery {
        steps: Some(json!([STARTED, COMPLETED]).to_string()),
        window: Some(window.clone()),
        from: query.from.clone(),
        to: query.to.clone(),
        ..FunnelQuery::default()
    }
    .check(today)?;
    let names = [STEP_VIEWED, STEP_TARGET_MISSING, DISMISSED];
    let journey_query = JourneyQuery {
        names: names
            .iter()
            .map(|name| WantedName::with_properties(name))
            .collect(),
        start_ms: range.start_ms(),
        end_ms: probe.query.end_ms,
        positions: false,
        config_version: version,
    };
    let mut stream = store
        .journeys(project.clone(), journey_query)
        .await
        .map_err(IngestError::StorageUnavailable)?;
    let wanted = tour.clone();
    let (max_step, dismissals, targets) = tokio::task::spawn_blocking(move || {
        let mut max_step: Option<i64> = None;
        let mut dismissed: BTreeMap<(i64, String), BTreeSet<String>> = BTreeMap::new();
        let mut targets: BTreeMap<i64, StepTargets> = BTreeMap::new();
        while let Some(journey) = stream.blocking_recv() {
            let journey = journey?;
            for (index, event) in journey.events().iter().enumerate() {
                let properties: serde_json::Value =
                    serde_json::from_str(journey.properties(index)).unwrap_or_default();
                if text(&properties, "tour").as_deref() != Some(wanted.as_str()) {
                    continue;
                }
                let Some(step) = number(&properties, "step").filter(|s| *s >= 0) else {
                    continue;
                };
                let entry = || StepTargets {
                    step,
                    step_id: None,
                    strategies: BTreeMap::new(),
                    missing: 0,
                };
                match names[event.name as usize] {
                    STEP_VIEWED => {
                        max_step = max_step.max(Some(step));
                        let target = targets.entry(step).or_insert_with(entry);
                        if target.step_id.is_none() {
                            target.step_id = text(&properties, "step_id");
                        }
                        let strategy =
                            text(&properties, "strategy").unwrap_or_else(|| "unknown".into());
                        *target.strategies.entry(strategy).or_default() += 1;
                    }
                    STEP_TARGET_MISSING => targets.entry(step).or_insert_with(entry).missing += 1,
                    _ => {
                        let reason =
                            text(&properties, "reason").unwrap_or_else(|| "unknown".into());
                        dismissed
                            .entry((step, reason))
                            .or_default()
                            .insert(journey.person.clone());
                    }
                }
            }
        }
        Ok::<_, StoreError>((max_step, dismissed, targets))
    })
    .await
    .map_err(|e| IngestError::StorageUnavailable(StoreError::Task(e.to_string())))?
    .map_err(IngestError::StorageUnavailable)?;

    let viewed = max_step.map_or(0, |m| m as usize + 1);
    let listed = viewed.min(MAX_TOUR_STEPS);
    let mut steps = vec![json!({"event": STARTED, "where": {"tour": tour}})];
    for step in 0..listed {
        steps.push(json!({"event": STEP_VIEWED, "where": {"tour": tour, "step": step}}));
    }
    steps.push(json!({"event": COMPLETED, "where": {"tour": tour}}));
    let mut checked = FunnelQuery {
        steps: Some(serde_json::Value::from(steps).to_string()),
        window: Some(window),
        from: query.from,
        to: query.to,
        ..FunnelQuery::default()
    }
    .check(today)?;
    checked.query.config_version = version;
    let funnel = funnels::run(store, project.clone(), checked).await?;
    let seen = versions::seen(
        store,
        project,
        VersionQuery {
            name: STARTED,
            property: "tour",
            id: tour.clone(),
            range: Some(range),
        },
    )
    .await?;
    Ok(TourReport {
        tour,
        version,
        versions: seen,
        funnel,
        steps_left_off: viewed - listed,
        dismissals: dismissals
            .into_iter()
            .map(|((step, reason), people)| Dismissal {
                step,
                reason,
                people: people.len() as u64,
            })
            .collect(),
        targets: targets.into_values().collect(),
    })
}

/// The tour report of `tour` in `project`, for the admin key's route and the console's: a
/// `?version=` never published is `no_such_version` (404), as in the survey and experiment
/// reports.
pub(crate) async fn project_report(
    state: &AppState,
    project: String,
    tour: String,
    query: TourQuery,
) -> Result<TourReport, IngestError> {
    if let Some(version) = versions::parse(query.version.as_deref())? {
        versions::design_config(state, &project, Some(version)).await?;
    }
    run(state.store.as_ref(), project, tour, query, state.today()).await
}

/// Handles `GET /v1/reports/tours/{id}` (admin key).
pub async fn report(
    State(state): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<String>, IngestError>,
    query: Result<Query<TourQuery>, IngestError>,
) -> Result<Json<TourReport>, IngestError> {
    let key = admin(&state, &headers)?;
    let Path(tour) = id?;
    let Query(query) = query?;
    project_report(&state, key.project, tour, query)
        .await
        .map(Json)
}
