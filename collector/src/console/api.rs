//! The console's API, under `/console/api/`: signing in and out, and, for a project the user
//! has a role in, its versions, publishing, rollback and the audit log.
//!
//! Every route answers JSON, is never cached (`Cache-Control: no-store`), and, for any
//! method but `GET`, first passes the same-origin check of [`super::session`]. A project
//! route's handler takes a [`Member`] of the role it needs (`Member<Publisher>`) as its first
//! extractor, which checks the session before anything else is read (a caller who is not
//! signed in learns nothing about the request's other parts), then the role in the project
//! the path names; no handler checks either by hand.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::accounts::Membership;
use super::audit::{Actor, Entry};
use super::error::ConsoleError;
use super::session::{self, signed_in, Editor, Member, Publisher, Viewer};
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

pub(crate) fn json_body<T: serde::de::DeserializeOwned>(
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
    member: Member<Viewer>,
    query: Result<Query<AuditQuery>, IngestError>,
) -> Result<Json<AuditPage>, ConsoleError> {
    let project = member.project;
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
    member: Member<Viewer>,
) -> Result<Json<Vec<ConfigVersion>>, ConsoleError> {
    let project = member.project;
    let versions =
        publishing::blocking(&state.registry, move |r| r.config_versions(&project)).await?;
    Ok(Json(versions))
}

/// Handles `POST /console/api/projects/{project}/versions` (publisher): publishes the config
/// in the body, checked as `PUT /v1/admin/config` checks it.
pub async fn publish(
    State(state): State<AppState>,
    member: Member<Publisher>,
    body: Body,
) -> Result<Json<Published>, ConsoleError> {
    let Member { user, project, .. } = member;
    let bytes = crate::extract::body(body, state.limits.max_decompressed_bytes).await?;
    Ok(Json(
        publishing::publish_bytes(&state, project, &bytes, Actor::User(user.name)).await?,
    ))
}

/// Handles `POST /console/api/projects/{project}/rollback` (publisher): `{"version": n}`
/// publishes version `n` again, as a new version.
pub async fn rollback(
    State(state): State<AppState>,
    member: Member<Publisher>,
    body: Body,
) -> Result<Json<Published>, ConsoleError> {
    let Member { user, project, .. } = member;
    let bytes = crate::extract::body(body, 4_096).await?;
    Ok(Json(
        publishing::rollback_bytes(&state, project, &bytes, Actor::User(user.name)).await?,
    ))
}

/// A draft as the console shows it.
#[derive(Debug, Serialize)]
pub struct DraftView {
    /// Its revision (0: never saved; `config` is then the active config, or `{}`).
    pub revision: i64,
    /// When it was last saved (Unix ms; 0 when never).
    pub saved_at: i64,
    /// Who saved it last (empty when never).
    pub saved_by: String,
    /// The config.
    pub config: serde_json::Value,
    /// What the SDK's compiler finds in it, errors first, at JSON pointers.
    pub diagnostics: Vec<crate::error::DiagnosticBody>,
}

fn parse_stored(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|_| serde_json::json!({}))
}

fn diagnostics_of(config: &serde_json::Value) -> Vec<crate::error::DiagnosticBody> {
    match serde_json::from_value::<waymark_core::Value>(config.clone()) {
        Ok(value) => publishing::diagnose(&value),
        Err(_) => Vec::new(),
    }
}

async fn load_draft(state: &AppState, project: &str) -> Result<DraftView, ConsoleError> {
    let wanted = project.to_owned();
    let stored = super::blocking(state, move |accounts| accounts.draft(&wanted)).await?;
    let view = match stored {
        Some(draft) => DraftView {
            config: parse_stored(&draft.body),
            revision: draft.revision,
            saved_at: draft.saved_at,
            saved_by: draft.saved_by,
            diagnostics: Vec::new(),
        },
        None => {
            let wanted = project.to_owned();
            let active =
                publishing::blocking(&state.registry, move |r| r.active_config(&wanted)).await?;
            DraftView {
                config: active
                    .map_or_else(|| serde_json::json!({}), |(_, _, body)| parse_stored(&body)),
                revision: 0,
                saved_at: 0,
                saved_by: String::new(),
                diagnostics: Vec::new(),
            }
        }
    };
    Ok(DraftView {
        diagnostics: diagnostics_of(&view.config),
        ..view
    })
}

/// Handles `GET /console/api/projects/{project}/draft` (viewer).
pub async fn draft(
    State(state): State<AppState>,
    member: Member<Viewer>,
) -> Result<Json<DraftView>, ConsoleError> {
    let project = member.project;
    Ok(Json(load_draft(&state, &project).await?))
}

/// The body of `PUT /console/api/projects/{project}/draft`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaveDraft {
    /// The revision the author's copy was made from (0 for the first save).
    pub revision: i64,
    /// The whole config, as the author has it (errors and all).
    pub config: serde_json::Value,
}

/// Handles `PUT /console/api/projects/{project}/draft` (editor): stores the draft if it was
/// made from the stored revision, with its diagnostics; else `draft_conflict` (409) with
/// the stored draft, and nothing stored.
pub async fn save_draft(
    State(state): State<AppState>,
    member: Member<Editor>,
    body: Body,
) -> Result<Json<DraftView>, ConsoleError> {
    let Member { user, project, .. } = member;
    let bytes = crate::extract::body(body, state.limits.max_decompressed_bytes).await?;
    let SaveDraft { revision, config } = json_body(&bytes, r#"{"revision": n, "config": {…}}"#)?;
    let text = config.to_string();
    let now = (state.clock)();
    let (name, wanted) = (user.name.clone(), project.clone());
    let saved = super::blocking(&state, move |accounts| {
        accounts.save_draft(&wanted, revision, &text, &name, now)
    })
    .await?;
    match saved {
        super::drafts::Saved::Stored(draft) => Ok(Json(DraftView {
            diagnostics: diagnostics_of(&config),
            config,
            revision: draft.revision,
            saved_at: draft.saved_at,
            saved_by: draft.saved_by,
        })),
        super::drafts::Saved::Conflict(_) => {
            let stored = load_draft(&state, &project).await?;
            let shown = serde_json::to_value(&stored).unwrap_or_default();
            Err(ConsoleError::DraftConflict(Box::new(shown)))
        }
    }
}

/// The answer of `POST /console/api/projects/{project}/check`.
#[derive(Debug, Serialize)]
pub struct CheckReport {
    /// Whether it could be published (it has no errors).
    pub publishable: bool,
    /// Every diagnostic, errors first, at JSON pointers.
    pub diagnostics: Vec<crate::error::DiagnosticBody>,
}

/// Handles `POST /console/api/projects/{project}/check` (viewer): the diagnostics of the
/// config in the body, from the compiler publishing uses, without saving or publishing.
pub async fn check(
    State(state): State<AppState>,
    _: Member<Viewer>,
    body: Body,
) -> Result<Json<CheckReport>, ConsoleError> {
    let bytes = crate::extract::body(body, state.limits.max_decompressed_bytes).await?;
    let config: waymark_core::Value =
        serde_json::from_slice(&bytes).map_err(|e| IngestError::MalformedJson(e.to_string()))?;
    let diagnostics = publishing::diagnose(&config);
    Ok(Json(CheckReport {
        publishable: diagnostics.iter().all(|d| d.severity != "error"),
        diagnostics,
    }))
}

/// The body of `POST /console/api/projects/{project}/draft/publish`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishDraft {
    /// The draft revision the publisher reviewed.
    pub revision: i64,
}

/// Handles `POST /console/api/projects/{project}/draft/publish` (publisher): publishes the
/// stored draft, if it is still the revision the publisher reviewed (else
/// `draft_conflict`); a draft with errors is refused with every diagnostic.
pub async fn publish_draft(
    State(state): State<AppState>,
    member: Member<Publisher>,
    body: Body,
) -> Result<Json<Published>, ConsoleError> {
    let Member { user, project, .. } = member;
    let bytes = crate::extract::body(body, 4_096).await?;
    let PublishDraft { revision } = json_body(&bytes, r#"{"revision": n}"#)?;
    let wanted = project.clone();
    let stored = super::blocking(&state, move |accounts| accounts.draft(&wanted)).await?;
    let Some(draft) = stored.filter(|d| d.revision == revision) else {
        let shown = serde_json::to_value(load_draft(&state, &project).await?).unwrap_or_default();
        return Err(ConsoleError::DraftConflict(Box::new(shown)));
    };
    Ok(Json(
        publishing::publish_bytes(
            &state,
            project,
            draft.body.as_bytes(),
            Actor::User(user.name),
        )
        .await?,
    ))
}

/// A published version with its config.
#[derive(Debug, Serialize)]
pub struct VersionView {
    /// The version's record.
    #[serde(flatten)]
    pub version: ConfigVersion,
    /// Its config, as published (never changed after).
    pub config: serde_json::Value,
}

async fn version_config(
    state: &AppState,
    project: &str,
    version: i64,
) -> Result<serde_json::Value, ConsoleError> {
    let wanted = project.to_owned();
    let body = publishing::blocking(&state.registry, move |r| r.config_body(&wanted, version))
        .await?
        .ok_or(IngestError::NoSuchVersion(version))?;
    Ok(parse_stored(&body))
}

fn version_number(text: &str) -> Result<i64, IngestError> {
    text.parse::<i64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
        IngestError::InvalidRequest(format!("{text:?} is not a version number (1, 2, …)"))
    })
}

/// Handles `GET /console/api/projects/{project}/versions/{version}` (viewer).
pub async fn version(
    State(state): State<AppState>,
    member: Member<Viewer>,
    path: Result<Path<(String, String)>, IngestError>,
) -> Result<Json<VersionView>, ConsoleError> {
    let project = member.project;
    let Path((_, version)) = path?;
    let number = version_number(&version)?;
    let wanted = project.clone();
    let record = publishing::blocking(&state.registry, move |r| r.config_versions(&wanted))
        .await?
        .into_iter()
        .find(|v| v.version == number)
        .ok_or(IngestError::NoSuchVersion(number))?;
    let config = version_config(&state, &project, number).await?;
    Ok(Json(VersionView {
        version: record,
        config,
    }))
}

/// The query of `GET /console/api/projects/{project}/diff`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiffQuery {
    /// The older side: a version number, or `draft`.
    pub from: String,
    /// The newer side: a version number, or `draft`.
    pub to: String,
}

/// The answer of `GET /console/api/projects/{project}/diff`.
#[derive(Debug, Serialize)]
pub struct DiffView {
    /// The older side, as asked.
    pub from: String,
    /// The newer side, as asked.
    pub to: String,
    /// What changed, in document order.
    pub changes: Vec<super::diff::Change>,
}

/// Handles `GET /console/api/projects/{project}/diff?from=…&to=…` (viewer): the changes
/// between two versions, or a version and the draft.
pub async fn diff(
    State(state): State<AppState>,
    member: Member<Viewer>,
    query: Result<Query<DiffQuery>, IngestError>,
) -> Result<Json<DiffView>, ConsoleError> {
    let project = member.project;
    let Query(DiffQuery { from, to }) = query?;
    let mut sides = Vec::with_capacity(2);
    for side in [&from, &to] {
        sides.push(if side == "draft" {
            load_draft(&state, &project).await?.config
        } else {
            version_config(&state, &project, version_number(side)?).await?
        });
    }
    Ok(Json(DiffView {
        changes: super::diff::diff(&sides[0], &sides[1]),
        from,
        to,
    }))
}
