//! Config publishing: admins publish a project's config, the SDK reads it.
//!
//! - `PUT /v1/admin/config` (admin key): compiles the config with `waymark-core`, the same
//!   compiler the SDK runs, so the diagnostics are exactly what the SDK would find. A config
//!   with errors is refused (422) with every diagnostic, and the previous version stays
//!   active; otherwise it is stored as the next version, with who published it and when.
//! - `GET /v1/admin/config/versions` (admin key): the history.
//! - `POST /v1/admin/config/rollback` `{"version": n}` (admin key): republishes version `n`
//!   as a new version, so the history keeps every change.
//! - `GET /v1/config?key=pk_…`: the active config in a [`ConfigEnvelope`] shape, with a
//!   strong `ETag` per version; `If-None-Match` gets 304.
//! - `--publish-config PROJECT=FILE` at start-up ([`publish_file`]): the same checks, for
//!   configs kept in files (the demo's, or a deployment's under version control); a file
//!   whose JSON is the active version's publishes nothing.
//!
//! [`ConfigEnvelope`]: waymark_core::ConfigEnvelope

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use waymark_core::encode::{write_str, WriteJson};
use waymark_core::rules::platform::Regress;
use waymark_core::rules::{RuleSet, Severity};
use waymark_core::Value;

use crate::auth::{self, admin};
use crate::console::audit::Actor;
use crate::error::{DiagnosticBody, IngestError};
use crate::extract::Query;
use crate::registry::{ConfigVersion, Registry, RegistryError};
use crate::state::AppState;

/// Runs registry work off the async runtime.
pub(crate) async fn blocking<T: Send + 'static>(
    registry: &Registry,
    work: impl FnOnce(&Registry) -> Result<T, RegistryError> + Send + 'static,
) -> Result<T, IngestError> {
    let registry = registry.clone();
    tokio::task::spawn_blocking(move || work(&registry))
        .await
        .map_err(|error| {
            tracing::error!(%error, "a blocking task failed");
            IngestError::TaskFailed
        })?
        .map_err(IngestError::Registry)
}

/// The answer to a publish.
#[derive(Debug, Serialize)]
pub struct Published {
    /// The new version.
    #[serde(flatten)]
    pub version: ConfigVersion,
    /// Warnings: the config works, but probably not as meant in these places.
    pub warnings: Vec<DiagnosticBody>,
}

/// Handles `PUT /v1/admin/config`.
pub async fn publish(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Published>, IngestError> {
    let admin = admin(&state, &headers)?;
    let limit = state.limits.max_decompressed_bytes;
    let bytes = crate::extract::body(body, limit).await?;
    publish_bytes(&state, admin.project, &bytes, Actor::Key(admin.key_id))
        .await
        .map(Json)
}

/// Checks the config in `bytes` and publishes it for `project` as `actor`: the one path
/// every publish takes, from the admin key or the console.
pub(crate) async fn publish_bytes(
    state: &AppState,
    project: String,
    bytes: &[u8],
    actor: Actor,
) -> Result<Published, IngestError> {
    let config: Value =
        serde_json::from_slice(bytes).map_err(|e| IngestError::MalformedJson(e.to_string()))?;
    let Checked {
        canonical,
        warnings,
    } = check(&config).map_err(IngestError::InvalidConfig)?;
    let version = blocking(&state.registry, move |r| {
        r.publish(&project, &canonical, &actor, None)
    })
    .await?;
    tracing::info!(version = version.version, key_id = %version.key_id, "config published");
    Ok(Published { version, warnings })
}

/// A config that may be published: its canonical JSON text and its warnings.
#[derive(Debug)]
pub struct Checked {
    /// The config as stored and served.
    pub canonical: String,
    /// Places where it works, but probably not as meant.
    pub warnings: Vec<DiagnosticBody>,
}

/// Compiles `config` as the SDK will; a config with errors is refused with every diagnostic,
/// errors first.
pub fn check(config: &Value) -> Result<Checked, Vec<DiagnosticBody>> {
    let (_, diagnostics) = RuleSet::compile(config, &Regress);
    let (errors, warnings): (Vec<_>, Vec<_>) = diagnostics
        .into_iter()
        .partition(|d| d.severity == Severity::Error);
    let warnings: Vec<DiagnosticBody> = warnings.into_iter().map(Into::into).collect();
    if !errors.is_empty() {
        let mut all: Vec<DiagnosticBody> = errors.into_iter().map(Into::into).collect();
        all.extend(warnings);
        return Err(all);
    }
    Ok(Checked {
        canonical: config.to_json_string(),
        warnings,
    })
}

/// Every diagnostic the SDK's compiler finds in `config`, errors first: what the console
/// shows a draft's author, without publishing anything.
#[must_use]
pub fn diagnose(config: &Value) -> Vec<DiagnosticBody> {
    match check(config) {
        Ok(checked) => checked.warnings,
        Err(all) => all,
    }
}

/// The key id recorded for versions published by `--publish-config`.
pub const STARTUP_KEY_ID: &str = "startup";

/// What [`publish_file`] did.
#[derive(Debug)]
pub enum FilePublished {
    /// The file is the active version already.
    Unchanged(i64),
    /// It is published as this version, with these warnings.
    Published(ConfigVersion, Vec<DiagnosticBody>),
}

/// Why [`publish_file`] published nothing.
#[derive(Debug, thiserror::Error)]
pub enum PublishFileError {
    /// The file could not be read.
    #[error("cannot read the config file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not JSON.
    #[error("the config file {path} is not JSON: {message}")]
    Json {
        /// The file.
        path: String,
        /// The parser's message, with line and column.
        message: String,
    },
    /// The config has errors.
    #[error("the config file {path} has errors:{}", list(.diagnostics))]
    Invalid {
        /// The file.
        path: String,
        /// Every diagnostic, errors first.
        diagnostics: Vec<DiagnosticBody>,
    },
    /// No such project.
    #[error("there is no project {0}: register it with --project or `project create`")]
    UnknownProject(String),
    /// The database failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

fn list(diagnostics: &[DiagnosticBody]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        out.push_str("\n  ");
        out.push_str(d.severity);
        out.push_str(" at ");
        out.push_str(&d.pointer);
        out.push_str(" (");
        out.push_str(d.code);
        out.push_str("): ");
        out.push_str(&d.message);
    }
    out
}

/// Publishes the config in the file at `path` for `project`, checked as `PUT
/// /v1/admin/config` checks it, unless it is the active version already (compared as JSON
/// values, so neither formatting nor the order of object keys counts).
pub fn publish_file(
    registry: &Registry,
    project: &str,
    path: &std::path::Path,
) -> Result<FilePublished, PublishFileError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| PublishFileError::Read {
        path: shown.clone(),
        source,
    })?;
    let config: Value = serde_json::from_str(&text).map_err(|e| PublishFileError::Json {
        path: shown.clone(),
        message: e.to_string(),
    })?;
    let Checked {
        canonical,
        warnings,
    } = check(&config).map_err(|diagnostics| PublishFileError::Invalid {
        path: shown,
        diagnostics,
    })?;
    if !registry.list()?.iter().any(|p| p.name == project) {
        return Err(PublishFileError::UnknownProject(project.to_owned()));
    }
    if let Some((version, _, body)) = registry.active_config(project)? {
        if serde_json::from_str::<Value>(&body).is_ok_and(|active| active == config) {
            return Ok(FilePublished::Unchanged(version));
        }
    }
    let version = registry.publish(project, &canonical, &Actor::Startup, None)?;
    Ok(FilePublished::Published(version, warnings))
}

/// Handles `GET /v1/admin/config/versions`.
pub async fn versions(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<ConfigVersion>>, IngestError> {
    let admin = admin(&state, &headers)?;
    Ok(Json(
        blocking(&state.registry, move |r| r.config_versions(&admin.project)).await?,
    ))
}

/// The body of `POST /v1/admin/config/rollback`.
#[derive(Debug, Deserialize)]
pub struct Rollback {
    /// The version to serve again.
    pub version: i64,
}

/// Handles `POST /v1/admin/config/rollback`.
pub async fn rollback(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Published>, IngestError> {
    let admin = admin(&state, &headers)?;
    let bytes = crate::extract::body(body, 4_096).await?;
    rollback_bytes(&state, admin.project, &bytes, Actor::Key(admin.key_id))
        .await
        .map(Json)
}

/// Reads a [`Rollback`] from `bytes` and publishes that version of `project` again as
/// `actor`.
pub(crate) async fn rollback_bytes(
    state: &AppState,
    project: String,
    bytes: &[u8],
    actor: Actor,
) -> Result<Published, IngestError> {
    let request: Rollback = serde_json::from_slice(bytes).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => {
            IngestError::InvalidRequest(format!("expected {{\"version\": n}}: {e}"))
        }
        _ => IngestError::MalformedJson(e.to_string()),
    })?;
    let from = project.clone();
    let body = blocking(&state.registry, move |r| {
        r.config_body(&from, request.version)
    })
    .await?
    .ok_or(IngestError::NoSuchVersion(request.version))?;
    let version = blocking(&state.registry, move |r| {
        r.publish(&project, &body, &actor, Some(request.version))
    })
    .await?;
    tracing::info!(
        version = version.version,
        from = request.version,
        "config rolled back"
    );
    Ok(Published {
        version,
        warnings: Vec::new(),
    })
}

/// The query of `GET /v1/config`.
#[derive(Debug, Deserialize)]
pub struct ConfigQuery {
    key: Option<String>,
}

/// Handles `GET /v1/config?key=pk_…`.
pub async fn serve(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<ConfigQuery>,
) -> Response {
    let info = match auth::page(&state, query.key.as_deref()) {
        Ok(info) => info,
        Err(error) => return error.into_response(),
    };
    let project = info.project.clone();
    let active = match blocking(&state.registry, move |r| r.active_config(&project)).await {
        Ok(active) => active,
        Err(error) => return error.into_response(),
    };
    // Version 0 is "nothing published yet": an empty config, so the SDK need not special-case it.
    let (version, published_at, body) = active.unwrap_or((0, 0, "{}".to_owned()));
    let etag = format!("\"v{version}\"");
    let revalidate = HeaderValue::from_static("no-cache");
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim().trim_start_matches("W/") == etag)
        });
    let etag_value = HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"v0\""));
    if matches {
        return (
            StatusCode::NOT_MODIFIED,
            [
                (header::ETAG, etag_value),
                (header::CACHE_CONTROL, revalidate),
            ],
        )
            .into_response();
    }
    // The stored body is already canonical JSON: it goes out as written, unparsed.
    let mut envelope = String::with_capacity(body.len() + 96);
    envelope.push_str("{\"project\":");
    write_str(&mut envelope, &info.project);
    envelope.push_str(&format!(
        ",\"version\":{version},\"published_at\":{published_at},\"config\":"
    ));
    envelope.push_str(&body);
    envelope.push('}');
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::ETAG, etag_value),
            (header::CACHE_CONTROL, revalidate),
        ],
        envelope,
    )
        .into_response()
}
