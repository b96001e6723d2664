//! The console's API, under `/console/api/`: signing in and out, and, for a project the user
//! has a role in, its versions, publishing, rollback and the audit log.
//!
//! Every route answers JSON, is never cached (`Cache-Control: no-store`), and, for any
//! method but `GET`, first passes the same-origin check of [`super::session`]. A project
//! route checks the session before it reads anything else, so a caller who is not signed in
//! learns nothing about the request's other parts.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::accounts::{Membership, Role};
use super::audit::{Actor, Entry};
use super::error::ConsoleError;
use super::session::{self, authorize, signed_in};
use crate::error::IngestError;
use crate::extract::{Path, Query};
use crate::publishing::{self, Published};
use crate::registry::ConfigVersion;
use crate::state::AppState;

/// The body of `POST /console/api/session`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    /// The user's name.
    pub name: String,
    /// The user's password.
    pub password: String,
}

/// Who is signed in, and what they may do.
#[derive(Debug, Serialize)]
pub struct Me {
    /// The user's name.
    pub name: String,
    /// Their role in each project.
    pub projects: Vec<Membership>,
    /// When the session ends (Unix ms).
    pub expires_at: i64,
}

fn json_body<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    expected: &str,
) -> Result<T, IngestError> {
    serde_json::from_slice(bytes).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => {
            IngestError::InvalidRequest(format!("expected {expected}: {e}"))
        }
        _ => IngestError::MalformedJson(e.to_string()),
    })
}

/// Handles `POST /console/api/session`: signs in, setting the session cookie.
pub async fn sign_in(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ConsoleError> {
    let (parts, body) = request.into_parts();
    let bytes = crate::extract::body(body, 4_096).await?;
    let SignIn { name, password } = json_body(&bytes, r#"{"name": "…", "password": "…"}"#)?;
    let address =
        crate::ingest::client_address(&parts.headers, &parts.extensions, state.trust_forwarded_for);
    state.console.sign_ins.check(&name, address)?;
    let now = (state.clock)();
    let lifetime = state.console.settings.session_lifetime;
    let lifetime_ms = lifetime.as_millis() as u64;
    let user = name.clone();
    let opened = super::blocking(&state, move |accounts| {
        if !accounts.verify(&user, &password)? {
            return Ok(None);
        }
        let token = accounts.open_session(&user, now, lifetime_ms)?;
        Ok(Some((token, accounts.memberships(&user)?)))
    })
    .await?;
    let Some((token, projects)) = opened else {
        tracing::info!(user = %name, "console sign-in refused");
        return Err(ConsoleError::WrongCredentials);
    };
    tracing::info!(user = %name, "console sign-in");
    let secure = session::same_origin(&parts.headers, state.trust_forwarded_for).unwrap_or(false);
    let cookie = session::session_cookie(&token, lifetime.as_secs(), secure);
    let me = Me {
        name,
        projects,
        expires_at: now.0 as i64 + lifetime_ms as i64,
    };
    let mut response = Json(me).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}

/// Handles `GET /console/api/session`: who is signed in.
pub async fn me(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Me>, ConsoleError> {
    let user = signed_in(&state, &headers).await?;
    let name = user.name.clone();
    let projects = super::blocking(&state, move |accounts| accounts.memberships(&name)).await?;
    Ok(Json(Me {
        name: user.name,
        projects,
        expires_at: user.expires_at,
    }))
}

/// Handles `DELETE /console/api/session`: signs out, ending the session on the server and
/// clearing the cookie. Signing out without a session is not an error.
pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ConsoleError> {
    if let Some(token) = session::token(&headers).map(str::to_owned) {
        super::blocking(&state, move |accounts| accounts.close_session(&token)).await?;
    }
    let secure = session::same_origin(&headers, state.trust_forwarded_for).unwrap_or(false);
    let mut response = Json(serde_json::json!({ "signed_in": false })).into_response();
    if let Ok(value) = HeaderValue::from_str(&session::cleared_cookie(secure)) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}

/// The query of `GET /console/api/projects/{project}/audit`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Entries per page, 1 to 500 (default 100).
    pub limit: Option<usize>,
    /// Only entries older than this `seq` (the last of the previous page).
    pub before: Option<i64>,
}

/// A page of the audit log.
#[derive(Debug, Serialize)]
pub struct AuditPage {
    /// Entries, newest first.
    pub entries: Vec<Entry>,
    /// The `before` of the next page, when there may be more.
    pub next_before: Option<i64>,
}

/// Handles `GET /console/api/projects/{project}/audit` (viewer).
pub async fn audit(
    State(state): State<AppState>,
    headers: HeaderMap,
    project: Result<Path<String>, IngestError>,
    query: Result<Query<AuditQuery>, IngestError>,
) -> Result<Json<AuditPage>, ConsoleError> {
    let Path(project) = project?;
    authorize(&state, &headers, &project, Role::Viewer).await?;
    let Query(query) = query?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(
            IngestError::InvalidRequest(format!("limit must be 1 to 500, not {limit}")).into(),
        );
    }
    let entries = super::blocking(&state, move |accounts| {
        accounts.audit_log(&project, limit, query.before)
    })
    .await?;
    let next_before = (entries.len() == limit)
        .then(|| entries.last().map(|e| e.seq))
        .flatten();
    Ok(Json(AuditPage {
        entries,
        next_before,
    }))
}

/// Handles `GET /console/api/projects/{project}/versions` (viewer): every published
/// version, newest first.
pub async fn versions(
    State(state): State<AppState>,
    headers: HeaderMap,
    project: Result<Path<String>, IngestError>,
) -> Result<Json<Vec<ConfigVersion>>, ConsoleError> {
    let Path(project) = project?;
    authorize(&state, &headers, &project, Role::Viewer).await?;
    let versions =
        publishing::blocking(&state.registry, move |r| r.config_versions(&project)).await?;
    Ok(Json(versions))
}

/// Handles `POST /console/api/projects/{project}/versions` (publisher): publishes the config
/// in the body, checked as `PUT /v1/admin/config` checks it.
pub async fn publish(
    State(state): State<AppState>,
    headers: HeaderMap,
    project: Result<Path<String>, IngestError>,
    body: Body,
) -> Result<Json<Published>, ConsoleError> {
    let Path(project) = project?;
    let user = authorize(&state, &headers, &project, Role::Publisher).await?;
    let bytes = crate::extract::body(body, state.limits.max_decompressed_bytes).await?;
    Ok(Json(
        publishing::publish_bytes(&state, project, &bytes, Actor::User(user.name)).await?,
    ))
}

/// Handles `POST /console/api/projects/{project}/rollback` (publisher): `{"version": n}`
/// publishes version `n` again, as a new version.
pub async fn rollback(
    State(state): State<AppState>,
    headers: HeaderMap,
    project: Result<Path<String>, IngestError>,
    body: Body,
) -> Result<Json<Published>, ConsoleError> {
    let Path(project) = project?;
    let user = authorize(&state, &headers, &project, Role::Publisher).await?;
    let bytes = crate::extract::body(body, 4_096).await?;
    Ok(Json(
        publishing::rollback_bytes(&state, project, &bytes, Actor::User(user.name)).await?,
    ))
}
