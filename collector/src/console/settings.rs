//! A project's settings, for its admins: the origins its pages may send events from, and its
//! keys (listed by id and prefix only; a rotated key's new value is shown once, in the
//! answer that makes it, and is never stored in the browser).

use axum::body::Body;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};

use super::api::json_body;
use super::audit::{Action, Actor, Detail};
use super::error::ConsoleError;
use super::session::{Admin, Member};
use crate::error::IngestError;
use crate::publishing;
use crate::registry::{KeyKind, KeySummary, RegistryError};
use crate::state::AppState;

/// A project's settings.
#[derive(Debug, Serialize)]
pub struct Settings {
    /// The origins its pages may send events from (`https://app.example`); empty: any.
    pub origins: Vec<String>,
    /// Its keys, newest first: ids, prefixes and dates, never the keys.
    pub keys: Vec<KeySummary>,
}

/// The body of `PUT /console/api/projects/{project}/origins`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetOrigins {
    /// The origins, each `http(s)://host[:port]`; empty: any origin.
    pub origins: Vec<String>,
}

/// The body of `POST /console/api/projects/{project}/keys/rotate`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rotate {
    /// `public` or `admin`.
    pub kind: String,
}

/// The answer of a rotation: the new key, shown this once, and the settings after.
#[derive(Debug, Serialize)]
pub struct Rotated {
    /// The new key.
    pub key: String,
    /// The settings, with the old key revoked.
    pub settings: Settings,
}

async fn settings_of(state: &AppState, project: String) -> Result<Settings, ConsoleError> {
    Ok(publishing::blocking(&state.registry, move |r| {
        let keys = r
            .list()?
            .into_iter()
            .find(|p| p.name == project)
            .map(|p| p.keys)
            .unwrap_or_default();
        Ok(Settings {
            origins: r.origins(&project),
            keys,
        })
    })
    .await?)
}

async fn audit(
    state: &AppState,
    project: &str,
    admin: String,
    action: Action,
    setting: String,
) -> Result<(), ConsoleError> {
    let (now, project) = ((state.clock)(), project.to_owned());
    super::blocking(state, move |accounts| {
        let detail = Detail {
            setting: Some(setting),
            ..Detail::default()
        };
        accounts.record(&project, &Actor::User(admin), action, None, &detail, now)
    })
    .await
}

/// Handles `GET /console/api/projects/{project}/settings` (admin).
pub async fn show(
    State(state): State<AppState>,
    member: Member<Admin>,
) -> Result<Json<Settings>, ConsoleError> {
    Ok(Json(settings_of(&state, member.project).await?))
}

/// Handles `PUT /console/api/projects/{project}/origins` (admin): the origins the project's
/// pages may send from, all at once (an empty list lets any origin send).
pub async fn set_origins(
    State(state): State<AppState>,
    member: Member<Admin>,
    body: Body,
) -> Result<Json<Settings>, ConsoleError> {
    let bytes = crate::extract::body(body, 16_384).await?;
    let SetOrigins { origins } = json_body(&bytes, r#"{"origins": ["https://…", …]}"#)?;
    let origins: Vec<String> = origins.iter().map(|o| o.trim().to_owned()).collect();
    let (project, wanted) = (member.project.clone(), origins.clone());
    publishing::blocking(&state.registry, move |r| r.set_origins(&project, &wanted))
        .await
        .map_err(|error| match error {
            IngestError::Registry(RegistryError::BadOrigin(origin)) => {
                IngestError::InvalidRequest(format!(
                    "{origin:?} is not an origin: write the scheme and the host, and a port if any (https://app.example or http://localhost:3000), nothing after"
                ))
            }
            other => other,
        })?;
    let user = member.user.name;
    audit(
        &state,
        &member.project,
        user,
        Action::OriginsChanged,
        origins.join(", "),
    )
    .await?;
    Ok(Json(settings_of(&state, member.project).await?))
}

/// Handles `POST /console/api/projects/{project}/keys/rotate` (admin): revokes the project's
/// keys of one kind and makes a new one, answered this once.
pub async fn rotate_key(
    State(state): State<AppState>,
    member: Member<Admin>,
    body: Body,
) -> Result<Json<Rotated>, ConsoleError> {
    let bytes = crate::extract::body(body, 1_024).await?;
    let Rotate { kind } = json_body(&bytes, r#"{"kind": "public" | "admin"}"#)?;
    let kind = KeyKind::parse(&kind).ok_or_else(|| {
        IngestError::InvalidRequest(format!(
            "kind must be \"public\" or \"admin\", not {kind:?}"
        ))
    })?;
    let project = member.project.clone();
    let key = publishing::blocking(&state.registry, move |r| r.rotate(&project, kind)).await?;
    tracing::info!(project = %member.project, kind = kind.as_str(), "key rotated from the console");
    let user = member.user.name;
    audit(
        &state,
        &member.project,
        user,
        Action::KeyRotated,
        kind.as_str().to_owned(),
    )
    .await?;
    Ok(Json(Rotated {
        key,
        settings: settings_of(&state, member.project).await?,
    }))
}
