//! Pausing, resuming and ending an experience: each publishes a new version, made from the
//! live one with only that experience's `state` changed (`"paused"`, `"ended"`, or none:
//! live), checked by the same compiler as every publish, and recorded in the audit log as
//! what it did. The draft gets the same state, so that publishing it later does not undo
//! the change unseen.

use axum::body::Body;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;

use super::api::json_body;
use super::audit::{Action, Actor};
use super::error::ConsoleError;
use super::session::{Member, Publisher};
use crate::error::IngestError;
use crate::extract::Path;
use crate::publishing::{self, Published};
use crate::state::AppState;

/// An experience's state, as the console sets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExperienceState {
    /// Shows as its targeting says (no `state` in the config).
    Live,
    /// Kept, but shows to no one until resumed.
    Paused,
    /// Over: shows to no one.
    Ended,
}

impl ExperienceState {
    fn as_str(self) -> &'static str {
        match self {
            ExperienceState::Live => "live",
            ExperienceState::Paused => "paused",
            ExperienceState::Ended => "ended",
        }
    }

    fn of(experience: &serde_json::Value) -> &str {
        experience
            .get("state")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("live")
    }

    /// Writes this state into `experience`.
    fn write(self, experience: &mut serde_json::Value) {
        if let Some(fields) = experience.as_object_mut() {
            match self {
                ExperienceState::Live => {
                    fields.remove("state");
                }
                other => {
                    fields.insert("state".into(), other.as_str().into());
                }
            }
        }
    }
}

/// The body of `POST /console/api/projects/{project}/experiences/{id}/state`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetState {
    /// What the experience becomes.
    pub state: ExperienceState,
}

fn experience_in<'c>(
    config: &'c mut serde_json::Value,
    id: &str,
) -> Option<&'c mut serde_json::Value> {
    config
        .get_mut("experiences")?
        .as_array_mut()?
        .iter_mut()
        .find(|e| e.get("id").and_then(serde_json::Value::as_str) == Some(id))
}

/// Handles `POST /console/api/projects/{project}/experiences/{id}/state` (publisher).
pub async fn set_state(
    State(state): State<AppState>,
    member: Member<Publisher>,
    path: Result<Path<(String, String)>, IngestError>,
    body: Body,
) -> Result<Json<Published>, ConsoleError> {
    let Member { user, project, .. } = member;
    let Path((_, id)) = path?;
    let bytes = crate::extract::body(body, 4_096).await?;
    let SetState { state: wanted } =
        json_body(&bytes, r#"{"state": "live" | "paused" | "ended"}"#)?;
    let from = project.clone();
    let active = publishing::blocking(&state.registry, move |r| r.active_config(&from))
        .await?
        .ok_or_else(|| ConsoleError::NotLive(id.clone()))?;
    let mut config: serde_json::Value =
        serde_json::from_str(&active.2).map_err(|e| IngestError::MalformedJson(e.to_string()))?;
    let experience =
        experience_in(&mut config, &id).ok_or_else(|| ConsoleError::NotLive(id.clone()))?;
    let before = ExperienceState::of(experience).to_owned();
    if before == wanted.as_str() {
        return Err(ConsoleError::StateUnchanged {
            experience: id,
            state: before,
        });
    }
    wanted.write(experience);
    let checked: waymark_core::Value =
        serde_json::from_value(config).map_err(|e| IngestError::MalformedJson(e.to_string()))?;
    let publishing::Checked {
        canonical,
        warnings,
    } = publishing::check(&checked).map_err(IngestError::InvalidConfig)?;
    let action = match wanted {
        ExperienceState::Live => Action::Resumed,
        ExperienceState::Paused => Action::Paused,
        ExperienceState::Ended => Action::Ended,
    };
    let (to, actor, which) = (project.clone(), Actor::User(user.name.clone()), id.clone());
    let version = publishing::blocking(&state.registry, move |r| {
        r.publish_state(&to, &canonical, &actor, action, &which)
    })
    .await?;
    tracing::info!(version = version.version, experience = %id, state = wanted.as_str(), "experience state published");

    // The draft follows, when it has the experience: else publishing it would undo this.
    let now = (state.clock)();
    let name = user.name;
    super::blocking(&state, move |accounts| {
        let Some(draft) = accounts.draft(&project)? else {
            return Ok(());
        };
        let Ok(mut config) = serde_json::from_str::<serde_json::Value>(&draft.body) else {
            return Ok(());
        };
        if let Some(experience) = experience_in(&mut config, &id) {
            if ExperienceState::of(experience) != wanted.as_str() {
                wanted.write(experience);
                // Made from the revision just read, under the accounts lock: a save made
                // meanwhile wins, and its author sees the state in the live version.
                accounts.save_draft(&project, draft.revision, &config.to_string(), &name, now)?;
            }
        }
        Ok(())
    })
    .await?;
    Ok(Json(Published { version, warnings }))
}
