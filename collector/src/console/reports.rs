//! The reports, read through the console: `GET /console/api/projects/{project}/reports/…`,
//! for any console user with a role in the project (viewer and up).
//!
//! Each handler checks the session and the role first, then hands its query to the very
//! function the admin-key route under `/v1/reports/` calls ([`crate::reports`]), so the two
//! answer the same JSON by construction and no report is computed twice. The admin key never
//! reaches the browser: the server reads the project's events for the signed-in user.

use axum::extract::State;
use axum::Json;

use super::error::ConsoleError;
use super::session::{Member, Viewer};
use crate::error::IngestError;
use crate::extract::{Path, Query};
use crate::reports::{
    events, experiments, funnels, holdouts, paths, retention, survey_reach, surveys, tours,
};
use crate::state::AppState;

/// Handles `GET /console/api/projects/{project}/reports/events` (viewer): the report of
/// `GET /v1/reports/events`, with the same query.
pub async fn events(
    State(state): State<AppState>,
    member: Member<Viewer>,
    query: Result<Query<events::EventReportQuery>, IngestError>,
) -> Result<Json<events::EventReport>, ConsoleError> {
    let project = member.project;
    let Query(query) = query?;
    Ok(Json(events::event_report(&state, project, query).await?))
}

/// Handles `GET /console/api/projects/{project}/reports/surveys/{id}` (viewer): the survey
/// report of `GET /v1/reports/surveys/{id}`, with the same query.
pub async fn survey(
    State(state): State<AppState>,
    member: Member<Viewer>,
    path: Result<Path<(String, String)>, IngestError>,
    query: Result<Query<surveys::SurveyReportQuery>, IngestError>,
) -> Result<Json<surveys::SurveyReport>, ConsoleError> {
    let project = member.project;
    let Path((_, survey)) = path?;
    let Query(query) = query?;
    Ok(Json(
        surveys::survey_report(&state, project, survey, query).await?,
    ))
}

/// Handles `GET /console/api/projects/{project}/reports/surveys/{id}/reach` (viewer): the
/// reach by question of `GET /v1/reports/surveys/{id}/reach`, with the same query.
pub async fn survey_reach(
    State(state): State<AppState>,
    member: Member<Viewer>,
    path: Result<Path<(String, String)>, IngestError>,
    query: Result<Query<survey_reach::ReachQuery>, IngestError>,
) -> Result<Json<survey_reach::ReachReport>, ConsoleError> {
    let project = member.project;
    let Path((_, survey)) = path?;
    let Query(query) = query?;
    Ok(Json(
        survey_reach::project_report(&state, project, survey, query).await?,
    ))
}

/// Handles `GET /console/api/projects/{project}/reports/experiments/{id}` (viewer): the
/// experiment report of `GET /v1/reports/experiments/{id}`, with the same query.
pub async fn experiment(
    State(state): State<AppState>,
    member: Member<Viewer>,
    path: Result<Path<(String, String)>, IngestError>,
    query: Result<Query<experiments::ExperimentReportQuery>, IngestError>,
) -> Result<Json<experiments::ExperimentReport>, ConsoleError> {
    let project = member.project;
    let Path((_, experiment)) = path?;
    let Query(query) = query?;
    Ok(Json(
        experiments::experiment_report(&state, project, experiment, query).await?,
    ))
}

/// Handles `GET /console/api/projects/{project}/reports/funnels` (viewer): the funnel of
/// `GET /v1/reports/funnels`, with the same query.
pub async fn funnel(
    State(state): State<AppState>,
    member: Member<Viewer>,
    query: Result<Query<funnels::FunnelQuery>, IngestError>,
) -> Result<Json<funnels::FunnelReport>, ConsoleError> {
    let project = member.project;
    let Query(query) = query?;
    let checked = query.check(state.today())?;
    Ok(Json(
        funnels::run(state.store.as_ref(), project, checked).await?,
    ))
}

/// Handles `GET /console/api/projects/{project}/reports/retention` (viewer): the cohorts of
/// `GET /v1/reports/retention`, with the same query.
pub async fn retention(
    State(state): State<AppState>,
    member: Member<Viewer>,
    query: Result<Query<retention::RetentionQuery>, IngestError>,
) -> Result<Json<retention::RetentionReport>, ConsoleError> {
    let project = member.project;
    let Query(query) = query?;
    Ok(Json(
        retention::project_report(&state, project, query).await?,
    ))
}

/// Handles `GET /console/api/projects/{project}/reports/paths` (viewer): the paths of
/// `GET /v1/reports/paths`, with the same query.
pub async fn paths(
    State(state): State<AppState>,
    member: Member<Viewer>,
    query: Result<Query<paths::PathQuery>, IngestError>,
) -> Result<Json<paths::PathReport>, ConsoleError> {
    let project = member.project;
    let Query(query) = query?;
    Ok(Json(
        paths::run(state.store.as_ref(), project, query, state.today()).await?,
    ))
}

/// Handles `GET /console/api/projects/{project}/reports/tours/{id}` (viewer): the tour
/// funnel of `GET /v1/reports/tours/{id}`, with the same query.
pub async fn tour(
    State(state): State<AppState>,
    member: Member<Viewer>,
    path: Result<Path<(String, String)>, IngestError>,
    query: Result<Query<tours::TourQuery>, IngestError>,
) -> Result<Json<tours::TourReport>, ConsoleError> {
    let project = member.project;
    let Path((_, tour)) = path?;
    let Query(query) = query?;
    Ok(Json(
        tours::project_report(&state, project, tour, query).await?,
    ))
}

/// Handles `GET /console/api/projects/{project}/reports/holdouts/{id}` (viewer): the
/// holdout report of `GET /v1/reports/holdouts/{id}`, with the same query.
pub async fn holdout(
    State(state): State<AppState>,
    member: Member<Viewer>,
    path: Result<Path<(String, String)>, IngestError>,
    query: Result<Query<holdouts::HoldoutQuery>, IngestError>,
) -> Result<Json<holdouts::HoldoutReport>, ConsoleError> {
    let project = member.project;
    let Path((_, experience)) = path?;
    let Query(query) = query?;
    Ok(Json(
        holdouts::project_report(&state, project, experience, query).await?,
    ))
}
