//! Experiment reports: `GET /v1/reports/experiments/{id}` (admin key), how each variant of an
//! on-page experiment converts, against the control.
//!
//! An experiment is an experience of the active config (on-page experiments are `content`
//! experiences; the kind is not checked) with an `experiment` object:
//! `{"variants": [{"key": "control", "weight": 0.5, "changes": […]}, …], "goals": ["signup_completed", …]}`.
//! The first variant is the control. The SDK records one [`EXPOSURE`] event per person and
//! experiment, with the properties `experiment` (the experience id), `variant` (its key) and
//! `variant_index`.
//!
//! As in [`crate::reports::events`], a store computes only counts ([`ExperimentCounts`]), in its own
//! query language, and every figure is computed here, once, by the functions of
//! [`crate::reports::stats`]; a test holds SQLite and ClickHouse to the same counts.
//!
//! # Definitions
//!
//! - **Person**: the person rule of [`crate::reports::events`]: the event's user id, else the user
//!   its anonymous id was linked to by `identify` (the smallest), else the anonymous id. An
//!   anonymous exposure and a signed-in goal of the same person meet once `identify` linked
//!   them.
//! - **Exposure**: an [`EXPOSURE`] event whose `experiment` property is the experience id and
//!   whose `variant` property is a non-empty string. Other exposure events are ignored.
//! - **Exposures of a variant**: the people whose *first* exposure (smallest skew-corrected
//!   timestamp; between exposures at the same millisecond, the smallest variant key) names
//!   it. A person exposed several times counts once; a person exposed to more than one
//!   variant counts in the first, and is counted in `mixed_exposures` too.
//! - **Conversion**: an exposed person with at least one goal event at or after the
//!   timestamp of their first exposure. A goal event before it does not count, whatever
//!   came later.
//! - **Goal**: `?goal=NAME`, which may name any event (a configured goal or not, so that
//!   secondary metrics can be read), except [`EXPOSURE`] itself; by default the first of the
//!   experiment's configured `goals`, and required (`goal_required`, 400) when there is none.
//! - **Range**: all time by default. With `from` and/or `to`, as in the event report (whole
//!   UTC days, `from` defaulting to 29 days before `to`, `to` to today, at most 366 days),
//!   and then both exposures and goal events must fall in it: the first exposure is the
//!   first within the range.
//! - **Config version**: `?version=N` counts only the exposures recorded under config
//!   version `N` (goal events of any version count), and reads the variants and weights from
//!   version `N`'s config; `versions` lists every version exposures were recorded under (see
//!   [`crate::reports::versions`]).
//! - **Variants and weights**: from the config, in its order (the `index` is the position),
//!   each with its `weight`, normalized to sum to 1; when any weight is missing, negative or
//!   not a number, or all are 0, the weights are equal. People whose first exposure names a
//!   key the config does not have are counted in `unmatched_exposures` and nowhere else.
//!   When the experiment is not in the active config (or its `variants` are not a list of
//!   objects with distinct non-empty string `key`s), the variants are those seen in
//!   exposures, ordered by the smallest `variant_index` they carry (then by key; keys
//!   without an index last), with equal weights, and `?goal=` is required
//!   (`goal_required`, 400). An experiment neither configured nor seen is `unknown_experiment`
//!   (404).
//!
//! # Figures, per variant (control first)
//!
//! Conversion rate `c/n` with its 95% Wilson score interval; against the control: relative
//! uplift `(p_v - p_c) / p_c`, the two-proportion z-test with pooled standard error (`z` and
//! the two-sided p-value), and the chance to beat control `P(p_v > p_c)` with
//! `Beta(1 + c, 1 + n - c)` posteriors, computed exactly. Each is `null` where undefined: a
//! rate without exposures, an uplift over a control at 0, a test without variance, and every
//! comparison for the control itself. For the experiment: the sample-ratio-mismatch check, a
//! chi-square goodness-of-fit of the variants' exposures against their weights (degrees of
//! freedom: variants with a positive weight, less one) and `srm_flag` when its p-value is
//! below [`SRM_ALPHA`].

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::Date;

use crate::auth::admin;
use crate::error::IngestError;
use crate::extract::{Path, Query};
use crate::reports::events::{EventReportQuery, ReportRange};
use crate::reports::stats::{self, Tally, Z_95};
use crate::reports::versions::{self, VersionCount, VersionQuery};
use crate::state::AppState;

pub use waymark_core::protocol::EXPOSURE;

/// A sample ratio mismatch is flagged below this p-value.
pub const SRM_ALPHA: f64 = 0.001;

/// What a store is asked to count for an experiment report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExperimentQuery {
    /// The experience id, as exposures carry it in their `experiment` property.
    pub experiment: String,
    /// The goal event's name; without one, nobody converts.
    pub goal: Option<String>,
    /// Only exposures and goals on these days (the range's `name` is not used); all time
    /// if `None`.
    pub range: Option<ReportRange>,
    /// Only exposures recorded under this config version (goal events of any version
    /// count); every exposure if `None`.
    pub version: Option<i64>,
}

/// What a store counts for one variant key seen in exposures.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VariantCounts {
    /// The variant's key.
    pub key: String,
    /// The smallest `variant_index` its exposures carry, if any carries one.
    pub index: Option<i64>,
    /// People whose first exposure names this variant.
    pub exposures: u64,
    /// Of them, people with a goal event at or after their first exposure.
    pub conversions: u64,
}

/// What a store computes for an experiment report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExperimentCounts {
    /// Every variant key any exposure names, by key (bytewise); a key that was never anyone's
    /// first has 0 exposures.
    pub variants: Vec<VariantCounts>,
    /// People exposed to more than one variant.
    pub mixed_exposures: u64,
}

/// One row of a store's count of first exposures: a variant key, the people whose first
/// exposure names it, how many of them converted, and how many of them were exposed to
/// another variant too.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FirstExposures {
    /// The variant key.
    pub key: String,
    /// People whose first exposure names it.
    pub exposures: u64,
    /// Of them, people who converted.
    pub conversions: u64,
    /// Of them, people exposed to more than one variant.
    pub mixed: u64,
}

impl ExperimentCounts {
    /// Puts together a store's two answers: every variant key seen (with its smallest
    /// index), and the first exposures per key. Both backends call this, so they cannot
    /// assemble differently.
    #[must_use]
    pub fn assemble(seen: Vec<(String, Option<i64>)>, firsts: Vec<FirstExposures>) -> Self {
        let mut variants: Vec<VariantCounts> = seen
            .into_iter()
            .map(|(key, index)| VariantCounts {
                key,
                index,
                ..VariantCounts::default()
            })
            .collect();
        let mut mixed_exposures = 0;
        for first in firsts {
            mixed_exposures += first.mixed;
            let at = match variants.iter().position(|v| v.key == first.key) {
                Some(at) => at,
                None => {
                    variants.push(VariantCounts {
                        key: first.key.clone(),
                        ..VariantCounts::default()
                    });
                    variants.len() - 1
                }
            };
            if let Some(variant) = variants.get_mut(at) {
                variant.exposures += first.exposures;
                variant.conversions += first.conversions;
            }
        }
        variants.sort_by(|a, b| a.key.as_bytes().cmp(b.key.as_bytes()));
        ExperimentCounts {
            variants,
            mixed_exposures,
        }
    }
}

/// Where a report's variants and weights come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VariantsFrom {
    /// The experiment in the active config.
    Config,
    /// The exposures stored, since the active config does not have the experiment.
    Data,
}

/// One variant as designed.
#[derive(Clone, Debug, PartialEq)]
pub struct DesignedVariant {
    /// Its key.
    pub key: String,
    /// Its position in the config, or the `variant_index` its exposures carry.
    pub index: Option<i64>,
    /// Its share of exposures; a design's weights sum to 1.
    pub weight: f64,
}

/// An experiment as designed: its variants in order (the first is the control), and its
/// goals.
#[derive(Clone, Debug, PartialEq)]
pub struct Design {
    /// Where this comes from.
    pub from: VariantsFrom,
    /// The variants, control first.
    pub variants: Vec<DesignedVariant>,
    /// The configured goal events (none when from data).
    pub goals: Vec<String>,
}

impl Design {
    /// The experiment `id` in a config body, if the config has it with usable variants
    /// (see the module docs).
    #[must_use]
    pub fn from_config(body: &str, id: &str) -> Option<Design> {
        let config: Value = serde_json::from_str(body).ok()?;
        let experiment = config
            .get("experiences")?
            .as_array()?
            .iter()
            .find(|e| e.get("id").and_then(Value::as_str) == Some(id))?
            .get("experiment")?;
        let listed = experiment.get("variants")?.as_array()?;
        let mut keys: Vec<&str> = Vec::with_capacity(listed.len());
        for variant in listed {
            let key = variant.get("key")?.as_str().filter(|k| !k.is_empty())?;
            if keys.contains(&key) {
                return None;
            }
            keys.push(key);
        }
        if keys.is_empty() {
            return None;
        }
        let given: Option<Vec<f64>> = listed
            .iter()
            .map(|v| {
                v.get("weight")
                    .and_then(Value::as_f64)
                    .filter(|w| w.is_finite() && *w >= 0.0)
            })
            .collect();
        let weights = normalized(given, keys.len());
        let goals = experiment
            .get("goals")
            .and_then(Value::as_array)
            .map(|goals| {
                goals
                    .iter()
                    .filter_map(Value::as_str)
                    .filter(|g| !g.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        Some(Design {
            from: VariantsFrom::Config,
            variants: keys
                .into_iter()
                .zip(weights)
                .enumerate()
                .map(|(i, (key, weight))| DesignedVariant {
                    key: key.to_owned(),
                    index: Some(i as i64),
                    weight,
                })
                .collect(),
            goals,
        })
    }

    /// The variants seen in exposures, ordered by index then key, with equal weights; `None`
    /// when no exposure names the experiment.
    #[must_use]
    pub fn from_data(counts: &ExperimentCounts) -> Option<Design> {
        if counts.variants.is_empty() {
            return None;
        }
        let mut seen: Vec<&VariantCounts> = counts.variants.iter().collect();
        seen.sort_by(|a, b| {
            (a.index.is_none(), a.index, a.key.as_bytes()).cmp(&(
                b.index.is_none(),
                b.index,
                b.key.as_bytes(),
            ))
        });
        let weights = normalized(None, seen.len());
        Some(Design {
            from: VariantsFrom::Data,
            variants: seen
                .into_iter()
                .zip(weights)
                .map(|(v, weight)| DesignedVariant {
                    key: v.key.clone(),
                    index: v.index,
                    weight,
                })
                .collect(),
            goals: Vec::new(),
        })
    }
}

/// Weights that sum to 1: the given ones normalized, or equal ones when none are given or
/// they sum to 0.
fn normalized(given: Option<Vec<f64>>, count: usize) -> Vec<f64> {
    if let Some(weights) = given {
        let sum: f64 = weights.iter().sum();
        if sum > 0.0 && sum.is_finite() {
            return weights.into_iter().map(|w| w / sum).collect();
        }
    }
    vec![1.0 / count.max(1) as f64; count]
}

/// `GET /v1/reports/experiments/{id}`.
#[derive(Debug, Serialize, PartialEq)]
pub struct ExperimentReport {
    /// The project.
    pub project: String,
    /// The experience id.
    pub experiment: String,
    /// Where the variants and weights come from.
    pub variants_from: VariantsFrom,
    /// The version of the config the variants come from (`?version=`'s, else the active
    /// one's), when they come from a config.
    pub config_version: Option<i64>,
    /// Only exposures recorded under this config version (`?version=`); `null`: all.
    pub version: Option<i64>,
    /// Every config version the experiment's exposures were recorded under in the range,
    /// with how many (`$exposure` events), newest first, `null` (recorded without one) last.
    pub versions: Vec<VersionCount>,
    /// The first day covered, or `null`: from the start.
    pub from: Option<String>,
    /// The last day covered, or `null`: up to now.
    pub to: Option<String>,
    /// The goal event counted as a conversion.
    pub goal: String,
    /// The experiment's configured goals.
    pub goals: Vec<String>,
    /// People counted in the variants.
    pub exposures: u64,
    /// Of them, people who converted.
    pub conversions: u64,
    /// People exposed to more than one variant (each counted in their first).
    pub mixed_exposures: u64,
    /// People whose first exposure names a variant the design does not have; counted in no
    /// variant.
    pub unmatched_exposures: u64,
    /// The sample-ratio-mismatch check.
    pub srm: SampleRatio,
    /// True when the exposures are unlikely under the weights (p below [`SRM_ALPHA`]): the
    /// assignment or the exposure tracking is broken, and the comparisons cannot be trusted.
    pub srm_flag: bool,
    /// The variants, control first.
    pub variants: Vec<VariantReport>,
}

/// A chi-square goodness-of-fit test of exposures against weights.
#[derive(Debug, Serialize, PartialEq)]
pub struct SampleRatio {
    /// The statistic; `null` without exposures, or when a variant expected none has some.
    pub chi_square: Option<f64>,
    /// Variants with a positive weight, less one.
    pub degrees_of_freedom: u64,
    /// `P(χ² ≥ statistic)`; `null` without exposures or with fewer than two weighted variants.
    pub p_value: Option<f64>,
}

/// One variant of an experiment report.
#[derive(Debug, Serialize, PartialEq)]
pub struct VariantReport {
    /// Its key.
    pub key: String,
    /// Its position in the config (or the `variant_index` of its exposures).
    pub index: Option<i64>,
    /// Its expected share of exposures.
    pub weight: f64,
    /// People whose first exposure names it.
    pub exposures: u64,
    /// Of them, people with a goal event at or after their first exposure.
    pub conversions: u64,
    /// `conversions / exposures`; `null` without exposures.
    pub conversion_rate: Option<f64>,
    /// The 95% Wilson score interval of the rate.
    pub interval: Option<IntervalBody>,
    /// `(p_v - p_c) / p_c`; `null` for the control or when `p_c` is 0.
    pub uplift: Option<f64>,
    /// The z statistic against the control (pooled standard error).
    pub z: Option<f64>,
    /// The two-sided p-value of the z-test.
    pub p_value: Option<f64>,
    /// `P(p_v > p_c)` with `Beta(1 + conversions, 1 + non-conversions)` posteriors.
    pub chance_to_beat_control: Option<f64>,
}

/// An interval, as the API reports it.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct IntervalBody {
    /// The lower bound.
    pub low: f64,
    /// The upper bound.
    pub high: f64,
}

/// What an experiment report is about, besides the counts.
#[derive(Clone, Debug)]
pub struct ReportSubject {
    /// The project.
    pub project: String,
    /// The experience id.
    pub experiment: String,
    /// The version of the config the design comes from, when it does.
    pub config_version: Option<i64>,
    /// Only exposures recorded under this version, if any.
    pub version: Option<i64>,
    /// The versions seen, with their counts, in order.
    pub versions: Vec<VersionCount>,
    /// The range, if not all time.
    pub range: Option<ReportRange>,
    /// The goal event.
    pub goal: String,
}

impl ExperimentReport {
    /// Computes every figure from a design and a store's counts.
    #[must_use]
    pub fn new(subject: ReportSubject, design: &Design, counts: &ExperimentCounts) -> Self {
        let tally = |key: &str| {
            counts
                .variants
                .iter()
                .find(|v| v.key == key)
                .map(|v| Tally {
                    exposures: v.exposures,
                    conversions: v.conversions,
                })
                .unwrap_or_default()
        };
        let tallies: Vec<Tally> = design.variants.iter().map(|v| tally(&v.key)).collect();
        let control = tallies.first().copied().unwrap_or_default();
        let variants: Vec<VariantReport> = design
            .variants
            .iter()
            .zip(&tallies)
            .enumerate()
            .map(|(i, (designed, &t))| {
                let is_control = i == 0;
                let test = (!is_control)
                    .then(|| stats::two_proportion_z_test(control, t))
                    .flatten();
                VariantReport {
                    key: designed.key.clone(),
                    index: designed.index,
                    weight: designed.weight,
                    exposures: t.exposures,
                    conversions: t.conversions,
                    conversion_rate: t.rate(),
                    interval: stats::wilson_interval(t, Z_95).map(|i| IntervalBody {
                        low: i.low,
                        high: i.high,
                    }),
                    uplift: (!is_control)
                        .then(|| stats::relative_uplift(control.rate(), t.rate()))
                        .flatten(),
                    z: test.map(|t| t.z),
                    p_value: test.map(|t| t.p_value),
                    chance_to_beat_control: (!is_control)
                        .then(|| stats::chance_to_beat(control, t))
                        .flatten(),
                }
            })
            .collect();
        let observed: Vec<u64> = tallies.iter().map(|t| t.exposures).collect();
        let weights: Vec<f64> = design.variants.iter().map(|v| v.weight).collect();
        let weighted = weights.iter().filter(|w| **w > 0.0).count() as u64;
        let srm = match stats::chi_square_goodness_of_fit(&observed, &weights) {
            Some(test) => SampleRatio {
                chi_square: test.statistic.is_finite().then_some(test.statistic),
                degrees_of_freedom: test.degrees_of_freedom,
                p_value: Some(test.p_value),
            },
            None => SampleRatio {
                chi_square: None,
                degrees_of_freedom: weighted.saturating_sub(1),
                p_value: None,
            },
        };
        let srm_flag = srm.p_value.is_some_and(|p| p < SRM_ALPHA);
        let designed = |key: &str| design.variants.iter().any(|v| v.key == key);
        ExperimentReport {
            project: subject.project,
            experiment: subject.experiment,
            variants_from: design.from,
            config_version: subject.config_version,
            version: subject.version,
            versions: subject.versions,
            from: subject.range.as_ref().map(|r| r.from.to_string()),
            to: subject.range.as_ref().map(|r| r.to.to_string()),
            goal: subject.goal,
            goals: design.goals.clone(),
            exposures: observed.iter().sum(),
            conversions: tallies.iter().map(|t| t.conversions).sum(),
            mixed_exposures: counts.mixed_exposures,
            unmatched_exposures: counts
                .variants
                .iter()
                .filter(|v| !designed(&v.key))
                .map(|v| v.exposures)
                .sum(),
            srm,
            srm_flag,
            variants,
        }
    }
}

/// The query string of `GET /v1/reports/experiments/{id}`.
#[derive(Debug, Default, Deserialize)]
pub struct ExperimentReportQuery {
    /// The first day, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// The last day, `YYYY-MM-DD`.
    pub to: Option<String>,
    /// The goal event (default: the experiment's first configured goal).
    pub goal: Option<String>,
    /// Only exposures recorded under this config version.
    pub version: Option<String>,
}

impl ExperimentReportQuery {
    /// The range: all time without `from` and `to`; otherwise as the event report resolves
    /// them against `today`.
    pub fn range(&self, today: Date) -> Result<Option<ReportRange>, IngestError> {
        if self.from.is_none() && self.to.is_none() {
            return Ok(None);
        }
        EventReportQuery {
            from: self.from.clone(),
            to: self.to.clone(),
            name: None,
        }
        .range(today)
        .map(Some)
    }

    /// The goal asked for, checked.
    pub fn goal(&self) -> Result<Option<String>, IngestError> {
        let Some(goal) = self.goal.as_deref() else {
            return Ok(None);
        };
        let limit = waymark_core::protocol::limits::MAX_NAME_LEN;
        if goal.is_empty() {
            Err(IngestError::InvalidRequest(
                "goal: the event name is empty".into(),
            ))
        } else if goal.len() > limit {
            Err(IngestError::InvalidRequest(format!(
                "goal: an event name is at most {limit} bytes"
            )))
        } else if goal == EXPOSURE {
            Err(IngestError::InvalidRequest(format!(
                "goal: {EXPOSURE} is the exposure itself, not a goal"
            )))
        } else {
            Ok(Some(goal.to_owned()))
        }
    }
}

/// Handles `GET /v1/reports/experiments/{id}` (admin key).
pub async fn report(
    State(state): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<String>, IngestError>,
    query: Result<Query<ExperimentReportQuery>, IngestError>,
) -> Result<Json<ExperimentReport>, IngestError> {
    let key = admin(&state, &headers)?;
    // The key first: a caller without one learns nothing, not even what is wrong with the rest.
    let Path(experiment) = id?;
    let Query(query) = query?;
    experiment_report(&state, key.project, experiment, query)
        .await
        .map(Json)
}

/// The report of `experiment` in `project`, for the admin key's route and the console's.
pub(crate) async fn experiment_report(
    state: &AppState,
    project: String,
    experiment: String,
    query: ExperimentReportQuery,
) -> Result<ExperimentReport, IngestError> {
    let today = state.today();
    let range = query.range(today)?;
    let asked = query.goal()?;
    let version = versions::parse(query.version.as_deref())?;

    let config = versions::design_config(state, &project, version).await?;
    let configured = config.and_then(|(version, body)| {
        Design::from_config(&body, &experiment).map(|design| (version, design))
    });
    let goal = asked.or_else(|| {
        configured
            .as_ref()
            .and_then(|(_, design)| design.goals.first().cloned())
    });
    let counts = state
        .store
        .experiment_counts(
            project.clone(),
            ExperimentQuery {
                experiment: experiment.clone(),
                goal: goal.clone(),
                range: range.clone(),
                version,
            },
        )
        .await
        .map_err(IngestError::StorageUnavailable)?;
    let seen = versions::seen(
        state.store.as_ref(),
        project.clone(),
        VersionQuery {
            name: EXPOSURE,
            property: "experiment",
            id: experiment.clone(),
            range: range.clone(),
        },
    )
    .await?;
    let (config_version, design) = match configured {
        Some((version, design)) => (Some(version), design),
        None => (
            None,
            Design::from_data(&counts).ok_or(IngestError::UnknownExperiment(experiment.clone()))?,
        ),
    };
    let goal = goal.ok_or(IngestError::GoalRequired(experiment.clone()))?;
    let subject = ReportSubject {
        project,
        experiment,
        config_version,
        version,
        versions: seen,
        range,
        goal,
    };
    Ok(ExperimentReport::new(subject, &design, &counts))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variants(design: &Design) -> Vec<(&str, Option<i64>, f64)> {
        design
            .variants
            .iter()
            .map(|v| (v.key.as_str(), v.index, v.weight))
            .collect()
    }

    fn config(experiment: &str) -> String {
        format!(
            r#"{{"experiences": [{{"id": "nps", "kind": "survey"}},
                {{"id": "pricing-test", "kind": "content", "experiment": {experiment}}}]}}"#
        )
    }

    #[test]
    fn configured_weights_are_normalized_and_missing_ones_are_equal() {
        let design = Design::from_config(
            &config(r#"{"variants": [{"key": "a", "weight": 1}, {"key": "b", "weight": 3}], "goals": ["signup"]}"#),
            "pricing-test",
        )
        .unwrap();
        assert_eq!(
            variants(&design),
            [("a", Some(0), 0.25), ("b", Some(1), 0.75)]
        );
        assert_eq!(
            (design.from, design.goals.as_slice()),
            (VariantsFrom::Config, ["signup".to_owned()].as_slice())
        );
        for partial in [
            r#"{"variants": [{"key": "a"}, {"key": "b"}, {"key": "c"}]}"#,
            r#"{"variants": [{"key": "a", "weight": 0.9}, {"key": "b"}, {"key": "c"}]}"#,
            r#"{"variants": [{"key": "a", "weight": -1}, {"key": "b", "weight": 2}, {"key": "c"}]}"#,
            r#"{"variants": [{"key": "a", "weight": 0}, {"key": "b", "weight": 0}, {"key": "c", "weight": 0}]}"#,
        ] {
            let design = Design::from_config(&config(partial), "pricing-test").unwrap();
            let third = 1.0 / 3.0;
            assert_eq!(
                variants(&design),
                [
                    ("a", Some(0), third),
                    ("b", Some(1), third),
                    ("c", Some(2), third)
                ],
                "{partial}"
            );
            assert!(design.goals.is_empty());
        }
    }

    #[test]
    fn an_experiment_without_usable_variants_is_not_configured() {
        for unusable in [
            r#"{"goals": ["signup"]}"#,
            r#"{"variants": []}"#,
            r#"{"variants": [{"key": "a"}, {"weight": 1}]}"#,
            r#"{"variants": [{"key": "a"}, {"key": ""}]}"#,
            r#"{"variants": [{"key": "a"}, {"key": "a"}]}"#,
            r#"{"variants": "a,b"}"#,
        ] {
            assert_eq!(
                Design::from_config(&config(unusable), "pricing-test"),
                None,
                "{unusable}"
            );
        }
        let fine = config(r#"{"variants": [{"key": "a"}, {"key": "b"}]}"#);
        assert!(Design::from_config(&fine, "pricing-test").is_some());
        assert_eq!(Design::from_config(&fine, "nps"), None);
        assert_eq!(Design::from_config(&fine, "other"), None);
        assert_eq!(Design::from_config("not json", "pricing-test"), None);
    }

    #[test]
    fn variants_from_data_are_ordered_by_index_then_key_with_equal_weights() {
        let counts = ExperimentCounts::assemble(
            vec![
                ("bold".into(), Some(1)),
                ("loose".into(), None),
                ("original".into(), Some(0)),
                ("aardvark".into(), None),
            ],
            vec![],
        );
        let design = Design::from_data(&counts).unwrap();
        assert_eq!(
            variants(&design),
            [
                ("original", Some(0), 0.25),
                ("bold", Some(1), 0.25),
                ("aardvark", None, 0.25),
                ("loose", None, 0.25)
            ]
        );
        assert_eq!(Design::from_data(&ExperimentCounts::default()), None);
    }

    fn first(key: &str, exposures: u64, conversions: u64, mixed: u64) -> FirstExposures {
        FirstExposures {
            key: key.into(),
            exposures,
            conversions,
            mixed,
        }
    }

    fn subject() -> ReportSubject {
        ReportSubject {
            project: "demo".into(),
            experiment: "pricing-test".into(),
            config_version: Some(3),
            version: None,
            versions: Vec::new(),
            range: None,
            goal: "signup".into(),
        }
    }

    #[test]
    fn the_report_compares_each_variant_with_the_control_and_keeps_unknown_keys_apart() {
        let design = Design::from_config(
            &config(r#"{"variants": [{"key": "control"}, {"key": "annual-first"}], "goals": ["signup"]}"#),
            "pricing-test",
        )
        .unwrap();
        let counts = ExperimentCounts::assemble(
            vec![
                ("annual-first".into(), Some(1)),
                ("control".into(), Some(0)),
                ("retired".into(), Some(2)),
            ],
            vec![
                first("control", 1000, 100, 3),
                first("annual-first", 1000, 130, 1),
                first("retired", 7, 1, 0),
            ],
        );
        let report = ExperimentReport::new(subject(), &design, &counts);
        assert_eq!(
            (
                report.exposures,
                report.conversions,
                report.mixed_exposures,
                report.unmatched_exposures
            ),
            (2000, 230, 4, 7)
        );
        let [control, variant] = report.variants.as_slice() else {
            panic!("two variants: {report:?}")
        };
        assert_eq!(
            (
                control.key.as_str(),
                control.conversion_rate,
                control.uplift,
                control.z,
                control.p_value,
                control.chance_to_beat_control
            ),
            ("control", Some(0.1), None, None, None, None)
        );
        // The figures of stats.rs's fixture, 100 of 1000 against 130 of 1000.
        assert_eq!(variant.conversion_rate, Some(0.13));
        assert!((variant.uplift.unwrap() - 0.3).abs() < 1e-12);
        assert!((variant.p_value.unwrap() - 0.035_488_450_466_474_69).abs() < 1e-10);
        assert!((variant.chance_to_beat_control.unwrap() - 0.982_165_066_116_350_6).abs() < 1e-9);
        let interval = variant.interval.as_ref().unwrap();
        assert!((interval.low - 0.110_563_774_624_841_92).abs() < 1e-12);
        // 1000 / 1000 at 50/50: no mismatch.
        assert_eq!(
            report.srm,
            SampleRatio {
                chi_square: Some(0.0),
                degrees_of_freedom: 1,
                p_value: Some(1.0)
            }
        );
        assert!(!report.srm_flag);
    }

    #[test]
    fn a_lopsided_split_is_flagged_and_an_empty_experiment_has_no_figures() {
        let design = Design::from_config(
            &config(r#"{"variants": [{"key": "a"}, {"key": "b"}]}"#),
            "pricing-test",
        )
        .unwrap();
        // 10300 / 9700 at 50/50: χ² = 18, p = 2.2e-5 (stats.rs).
        let counts = ExperimentCounts::assemble(
            vec![],
            vec![first("a", 10_300, 0, 0), first("b", 9_700, 0, 0)],
        );
        let report = ExperimentReport::new(subject(), &design, &counts);
        assert!(report.srm_flag);
        assert!((report.srm.chi_square.unwrap() - 18.0).abs() < 1e-9);

        let empty = ExperimentReport::new(subject(), &design, &ExperimentCounts::default());
        assert_eq!(
            (&empty.srm, empty.srm_flag, empty.exposures),
            (
                &SampleRatio {
                    chi_square: None,
                    degrees_of_freedom: 1,
                    p_value: None
                },
                false,
                0
            )
        );
        let b = &empty.variants[1];
        assert_eq!(
            (b.conversion_rate, b.uplift, b.p_value, b.exposures),
            (None, None, None, 0)
        );
        // With nothing observed, the posteriors are both uniform: an even chance.
        assert!((b.chance_to_beat_control.unwrap() - 0.5).abs() < 1e-12);
    }

    #[test]
    fn the_goal_may_be_any_event_but_the_exposure_itself() {
        let goal = |g: &str| {
            ExperimentReportQuery {
                goal: Some(g.into()),
                ..ExperimentReportQuery::default()
            }
            .goal()
            .map_err(|e| e.to_string())
        };
        assert_eq!(goal("invoice_created"), Ok(Some("invoice_created".into())));
        assert_eq!(goal(""), Err("goal: the event name is empty".to_owned()));
        assert_eq!(
            goal("$exposure"),
            Err("goal: $exposure is the exposure itself, not a goal".to_owned())
        );
        assert!(goal(&"x".repeat(201)).is_err());
        assert_eq!(ExperimentReportQuery::default().goal().unwrap(), None);
    }

    #[test]
    fn without_from_or_to_the_report_covers_all_time() {
        let today = time::macros::date!(2026 - 11 - 22);
        assert_eq!(ExperimentReportQuery::default().range(today).unwrap(), None);
        let to_only = ExperimentReportQuery {
            to: Some("2026-11-10".into()),
            ..ExperimentReportQuery::default()
        }
        .range(today)
        .unwrap()
        .unwrap();
        assert_eq!(
            (to_only.from.to_string(), to_only.to.to_string()),
            ("2026-10-12".to_owned(), "2026-11-10".to_owned())
        );
    }
}
