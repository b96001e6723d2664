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
//!
//! [`ConfigEnvelope`]: waymark_core::ConfigEnvelope

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use waymark_core::encode::{write_str, WriteJson};
use waymark_core::rules::platform::Regress;
use waymark_core::rules::{RuleSet, Severity};
use waymark_core::Value;

use crate::app::AppState;
use crate::error::{DiagnosticBody, IngestError};
use crate::registry::{ConfigVersion, KeyInfo, KeyKind, Registry, RegistryError};

/// The admin key's identity, from `Authorization: Bearer sk_…`.
pub(crate) fn admin(state: &AppState, headers: &HeaderMap) -> Result<KeyInfo, IngestError> {
    let key = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or(IngestError::MissingAdminKey)?;
    match state.registry.lookup(key) {
        Some(info) if info.kind == KeyKind::Admin => Ok(info),
        Some(_) => Err(IngestError::AdminKeyRequired),
        None => Err(IngestError::UnknownKey),
    }
}

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
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| IngestError::BodyTooLarge { limit })?;
    let config: Value =
        serde_json::from_slice(&bytes).map_err(|e| IngestError::MalformedJson(e.to_string()))?;
    let (_, diagnostics) = RuleSet::compile(&config, &Regress);
    let (errors, warnings): (Vec<_>, Vec<_>) = diagnostics
        .into_iter()
        .partition(|d| d.severity == Severity::Error);
    if !errors.is_empty() {
        let mut all: Vec<DiagnosticBody> = errors.into_iter().map(Into::into).collect();
        all.extend(warnings.into_iter().map(Into::into));
        return Err(IngestError::InvalidConfig(all));
    }
    let canonical = config.to_json_string();
    let version = blocking(&state.registry, move |r| {
        r.publish(&admin.project, &canonical, &admin.key_id, None)
    })
    .await?;
    tracing::info!(version = version.version, key_id = %version.key_id, "config published");
    Ok(Json(Published {
        version,
        warnings: warnings.into_iter().map(Into::into).collect(),
    }))
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
    let bytes = axum::body::to_bytes(body, 4_096)
        .await
        .map_err(|_| IngestError::BodyTooLarge { limit: 4_096 })?;
    let request: Rollback = serde_json::from_slice(&bytes).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => {
            IngestError::InvalidRequest(format!("expected {{\"version\": n}}: {e}"))
        }
        _ => IngestError::MalformedJson(e.to_string()),
    })?;
    let project = admin.project.clone();
    let body = blocking(&state.registry, move |r| {
        r.config_body(&project, request.version)
    })
    .await?
    .ok_or(IngestError::NoSuchVersion(request.version))?;
    let version = blocking(&state.registry, move |r| {
        r.publish(&admin.project, &body, &admin.key_id, Some(request.version))
    })
    .await?;
    tracing::info!(
        version = version.version,
        from = request.version,
        "config rolled back"
    );
    Ok(Json(Published {
        version,
        warnings: Vec::new(),
    }))
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
    let Some(info) = query
        .key
        .as_deref()
        .and_then(|key| state.registry.lookup(key))
    else {
        return IngestError::UnknownKey.into_response();
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
