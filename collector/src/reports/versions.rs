//! Reports split by config version: what the survey, experiment and tour reports share.
//!
//! The SDK says, with each batch (and, when it differs, with an event), the version of the
//! project's config it decided with (`config_version` in `POST /v1/batch`); every event is
//! stored with it, or with none when the SDK did not say (events from before it was kept).
//!
//! - `?version=N` (1 or more) keeps only the events recorded under version `N`; anything
//!   else is `invalid_request` (400) naming `version`.
//! - Each report lists the versions its experience was seen under in its range
//!   ([`VersionCount`]): how many times it was shown (`$survey_shown`), started
//!   (`$tour_started`) or exposed (`$exposure`) under each, whatever `?version=` says, so a
//!   reader can pick one. Newest first; the events recorded without a version last, as
//!   `null`.

use serde::Serialize;

use crate::error::IngestError;
use crate::publishing::blocking;
use crate::reports::events::ReportRange;
use crate::state::AppState;
use crate::store::EventStore;

/// What a store counts per config version for [`seen`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionQuery {
    /// The event counted (`$survey_shown`, `$tour_started`, `$exposure`).
    pub name: &'static str,
    /// The property naming the experience (`survey`, `tour`, `experiment`): a constant of
    /// the collector's, never a caller's text.
    pub property: &'static str,
    /// The experience id that property must be.
    pub id: String,
    /// Only events in this range; all time if `None`.
    pub range: Option<ReportRange>,
}

/// How many of a report's events were recorded under one config version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VersionCount {
    /// The config version; `null`: recorded without one.
    pub version: Option<i64>,
    /// Events (see the module docs for which).
    pub events: u64,
}

/// Reads `?version=`: absent is every version; otherwise a published config's version.
pub fn parse(text: Option<&str>) -> Result<Option<i64>, IngestError> {
    text.map(|text| {
        text.parse::<i64>().ok().filter(|v| *v >= 1).ok_or_else(|| {
            IngestError::InvalidRequest(format!(
                "version: expected a config version, a whole number from 1, got {text:?}"
            ))
        })
    })
    .transpose()
}

/// Puts a store's counts in the order every report lists them: newest first, `null` last.
#[must_use]
pub fn ordered(mut counts: Vec<VersionCount>) -> Vec<VersionCount> {
    counts.sort_by(|a, b| match (a.version, b.version) {
        (Some(a), Some(b)) => b.cmp(&a),
        (a, b) => b.is_some().cmp(&a.is_some()),
    });
    counts
}

/// The config a report reads its design from (questions, variants): version `version` when
/// one is asked for, else the active one; with its version and JSON body. `None` when
/// nothing is published, so the report reads its design from the events. A version never
/// published is `no_such_version` (404): the SDK sends only versions it was served.
pub async fn design_config(
    state: &AppState,
    project: &str,
    version: Option<i64>,
) -> Result<Option<(i64, String)>, IngestError> {
    let project = project.to_owned();
    Ok(match version {
        Some(version) => {
            let body = blocking(&state.registry, move |r| r.config_body(&project, version))
                .await?
                .ok_or(IngestError::NoSuchVersion(version))?;
            Some((version, body))
        }
        None => blocking(&state.registry, move |r| r.active_config(&project))
            .await?
            .map(|(version, _, body)| (version, body)),
    })
}

/// The versions a report's experience was seen under, with their counts, in order.
pub async fn seen(
    store: &dyn EventStore,
    project: String,
    query: VersionQuery,
) -> Result<Vec<VersionCount>, IngestError> {
    store
        .version_counts(project, query)
        .await
        .map(ordered)
        .map_err(IngestError::StorageUnavailable)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(version: Option<i64>, events: u64) -> VersionCount {
        VersionCount { version, events }
    }

    #[test]
    fn versions_are_listed_newest_first_with_the_unversioned_last() {
        let listed = ordered(vec![
            count(None, 4),
            count(Some(2), 1),
            count(Some(10), 3),
            count(Some(1), 7),
        ]);
        let versions: Vec<Option<i64>> = listed.iter().map(|c| c.version).collect();
        assert_eq!(versions, [Some(10), Some(2), Some(1), None]);
    }

    #[test]
    fn a_version_must_be_a_whole_number_from_one() {
        assert_eq!(parse(None).unwrap(), None);
        assert_eq!(parse(Some("3")).unwrap(), Some(3));
        for bad in ["0", "-1", "1.5", "two", ""] {
            let error = parse(Some(bad)).unwrap_err().to_string();
            assert!(error.starts_with("version: "), "{bad}: {error}");
        }
    }
}
