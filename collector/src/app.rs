//! The router: every route the collector answers. The state the handlers share is
//! [`crate::state`]'s.

use axum::extract::State;
use axum::http::{header, HeaderMap, Method};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde_json::json;
use tower_http::cors::{Any, CorsLayer};
use tower_http::trace::TraceLayer;

use crate::console::{api as console, reports as console_reports, session};
use crate::files::{self, Folder};
use crate::ingest::ingest;
use crate::publishing;
use crate::reports::{
    churn, experiments, funnels, holdouts, paths, retention, survey_reach, surveys, tours,
};
use crate::state::AppState;

/// Builds the router.
///
/// - `POST /v1/batch`: ingest a batch ([`crate::ingest`]); any origin, no credentials.
/// - `GET /v1/stats` (admin key): all-time event counts for the key's project.
/// - `GET /v1/config?key=pk_…`: the active config, with ETag revalidation; `PUT
///   /v1/admin/config`, `GET /v1/admin/config/versions`, `POST /v1/admin/config/rollback`
///   (admin key): publishing ([`crate::publishing`]).
/// - `GET /v1/reports/events` (admin key): events and people per day and per event name
///   ([`crate::reports::events`]); `GET /v1/reports/experiments/{id}` (admin key): an
///   experiment's variants against its control ([`crate::reports::experiments`]);
///   `GET /v1/reports/surveys/{id}` (admin key): a survey's responses, scores, trend, breakdown and open text
///   ([`crate::reports::surveys`]); `GET /v1/reports/surveys/{id}/reach` (admin key): its reach
///   by question through its branching ([`crate::reports::survey_reach`]); `GET /v1/reports/funnels` (admin key): where people drop
///   off between steps ([`crate::reports::funnels`]); `GET /v1/reports/retention` (admin
///   key): who came back in each period after starting ([`crate::reports::retention`]);
///   `GET /v1/reports/paths` (admin key): the steps after a start or before an end
///   ([`crate::reports::paths`]); `GET /v1/reports/tours/{id}` (admin key): a tour's funnel
///   with dismissals and target strategies ([`crate::reports::tours`]);
///   `GET /v1/reports/churn` and `GET /v1/reports/churn/people` (admin key): churn risk and
///   engagement among active people, and who is most at risk ([`crate::reports::churn`]);
///   `GET /v1/reports/holdouts/{id}` (admin key): the retention of the people shown an
///   experience against those its holdout kept from it ([`crate::reports::holdouts`]).
/// - `/console/api/…`: the console's API ([`crate::console::api`]): `session` (sign in, who
///   is signed in, sign out) and, per project, `audit`, `versions` (list, publish, one),
///   `rollback`, `draft` (read, save, publish), `check`, `diff`, and every report of
///   `/v1/reports/` under `reports/` ([`crate::console::reports`]); cookie sessions, never
///   keys, and every method but `GET` from the console's own origin only.
/// - `/console/…`: the console's pages, built into `--console-dir`, with a strict
///   Content-Security-Policy (no inline script or style, nothing from elsewhere).
/// - `GET /healthz`: liveness; `GET /readyz`: storage answers; `GET /metrics`: Prometheus.
/// - `/sdk/…`: the SDK files, content-hashed ones cached for a year, the loader for five
///   minutes; readable from any origin, since customer pages load them cross-origin.
/// - anything else: the site folder, with `index.html` for unknown paths (SPA routes).
pub fn app(state: AppState) -> Router {
    // Install the metrics recorder before any request records anything.
    let _ = crate::telemetry::handle();
    // The write key is public and nothing is read from cookies, so any origin may send, and
    // credentials are never allowed.
    let any_origin = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST])
        .expose_headers([header::ETAG, header::RETRY_AFTER])
        .allow_headers([header::CONTENT_TYPE])
        .max_age(std::time::Duration::from_secs(86_400));

    let sdk = Router::new()
        .fallback_service(Folder::new(&state.sdk_dir))
        .layer(middleware::from_fn(files::sdk_cache_headers));

    let mut router: Router<AppState> = Router::new()
        .route("/v1/batch", post(ingest))
        .route("/v1/stats", get(stats))
        .route("/v1/config", get(publishing::serve))
        .route("/v1/admin/config", put(publishing::publish))
        .route("/v1/admin/config/versions", get(publishing::versions))
        .route("/v1/admin/config/rollback", post(publishing::rollback))
        .route("/v1/reports/events", get(crate::reports::events::events))
        .route("/v1/reports/experiments/{id}", get(experiments::report))
        .route("/v1/reports/surveys/{id}", get(surveys::report))
        .route("/v1/reports/surveys/{id}/reach", get(survey_reach::report))
        .route("/v1/reports/funnels", get(funnels::report))
        .route("/v1/reports/retention", get(retention::report))
        .route("/v1/reports/paths", get(paths::report))
        .route("/v1/reports/tours/{id}", get(tours::report))
        .route("/v1/reports/churn", get(churn::report))
        .route("/v1/reports/churn/people", get(churn::people))
        .route("/v1/reports/holdouts/{id}", get(holdouts::report))
        .route("/healthz", get(health))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics_text))
        // After every route: it applies to the routes added before it.
        .method_not_allowed_fallback(method_not_allowed)
        .route_layer(middleware::from_fn(crate::telemetry::count_requests))
        .nest("/sdk", sdk)
        .layer(any_origin);

    // The console's API gets no CORS headers: only its own pages may call it.
    let console_api = Router::new()
        .route(
            "/console/api/session",
            get(console::me)
                .post(console::sign_in)
                .delete(console::sign_out),
        )
        .route("/console/api/projects/{project}/audit", get(console::audit))
        .route(
            "/console/api/projects/{project}/versions",
            get(console::versions).post(console::publish),
        )
        .route(
            "/console/api/projects/{project}/versions/{version}",
            get(console::version),
        )
        .route(
            "/console/api/projects/{project}/rollback",
            post(console::rollback),
        )
        .route(
            "/console/api/projects/{project}/draft",
            get(console::draft).put(console::save_draft),
        )
        .route(
            "/console/api/projects/{project}/draft/publish",
            post(console::publish_draft),
        )
        .route(
            "/console/api/projects/{project}/experiences/{id}/state",
            post(crate::console::states::set_state),
        )
        .route(
            "/console/api/projects/{project}/users",
            get(crate::console::users::list).post(crate::console::users::add),
        )
        .route(
            "/console/api/projects/{project}/users/{name}",
            put(crate::console::users::set_role).delete(crate::console::users::remove),
        )
        .route(
            "/console/api/projects/{project}/settings",
            get(crate::console::settings::show),
        )
        .route(
            "/console/api/projects/{project}/origins",
            put(crate::console::settings::set_origins),
        )
        .route(
            "/console/api/projects/{project}/keys/rotate",
            post(crate::console::settings::rotate_key),
        )
        .route(
            "/console/api/projects/{project}/check",
            post(console::check),
        )
        .route("/console/api/projects/{project}/diff", get(console::diff))
        .route(
            "/console/api/projects/{project}/reports/events",
            get(console_reports::events),
        )
        .route(
            "/console/api/projects/{project}/reports/surveys/{id}",
            get(console_reports::survey),
        )
        .route(
            "/console/api/projects/{project}/reports/surveys/{id}/reach",
            get(console_reports::survey_reach),
        )
        .route(
            "/console/api/projects/{project}/reports/experiments/{id}",
            get(console_reports::experiment),
        )
        .route(
            "/console/api/projects/{project}/reports/funnels",
            get(console_reports::funnel),
        )
        .route(
            "/console/api/projects/{project}/reports/retention",
            get(console_reports::retention),
        )
        .route(
            "/console/api/projects/{project}/reports/paths",
            get(console_reports::paths),
        )
        .route(
            "/console/api/projects/{project}/reports/tours/{id}",
            get(console_reports::tour),
        )
        .route(
            "/console/api/projects/{project}/reports/holdouts/{id}",
            get(console_reports::holdout),
        )
        .method_not_allowed_fallback(method_not_allowed)
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            session::require_same_origin,
        ))
        .route_layer(middleware::from_fn(crate::telemetry::count_requests));
    router = router.merge(console_api);
    if let Some(pages) = &state.console.settings.pages {
        // The console's pages: every path under /console/ that is not the API gets the page
        // (its routes live in the URL's fragment), with a strict Content-Security-Policy.
        let pages: Router<AppState> = Router::new()
            .fallback_service(Folder::with_index(pages))
            .layer(middleware::from_fn(files::console_headers));
        // `nest` answers /console and what is below it; /console/ itself is routed here.
        router = router
            .route_service("/console/", pages.clone().with_state(state.clone()))
            .nest("/console", pages);
    }

    router = match &state.site_dir {
        Some(site) => router.fallback_service(Folder::with_index(site)),
        None => router.fallback(not_found),
    };
    router.layer(TraceLayer::new_for_http()).with_state(state)
}

/// A known route called with a method it does not answer (axum adds the `Allow` header).
async fn method_not_allowed(method: Method) -> crate::IngestError {
    crate::IngestError::MethodNotAllowed(method.to_string())
}

/// Any path outside the routes, when no site is served.
async fn not_found(uri: axum::http::Uri) -> crate::IngestError {
    crate::IngestError::NotFound(uri.path().to_owned())
}

async fn health() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

/// Metrics in Prometheus text format.
async fn metrics_text() -> Response {
    let text = crate::telemetry::handle().render();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

/// Ready when storage answers.
async fn ready(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => Json(json!({ "status": "ready" })).into_response(),
        Err(error) => crate::IngestError::StorageUnavailable(error).into_response(),
    }
}

/// Event counts for the admin key's project, all time. An admin read, like the reports: the
/// public key is in every page's source, so it must not open a project's traffic to anyone.
async fn stats(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let project = match crate::auth::admin(&state, &headers) {
        Ok(key) => key.project,
        Err(error) => return error.into_response(),
    };
    match state.store.stats(project.clone()).await {
        Ok(stats) => {
            Json(json!({ "project": project, "events": stats.events, "by_name": stats.by_name }))
                .into_response()
        }
        Err(error) => crate::IngestError::StorageUnavailable(error).into_response(),
    }
}
