//! Experiments: who is in, and which variation they see, exactly as GrowthBook assigns them.
//!
//! An [`Experiment`] is parsed once from JSON (conditions compiled, ranges checked) and run
//! many times by an [`Evaluator`](crate::rules::feature::Evaluator). The assignment order is
//! GrowthBook's: query-string and forced variations first (for QA), then inactive, missing
//! hash attribute, sticky bucket, filters or namespace, condition, prerequisites, and finally
//! the hash bucket; coverage, forced variations and QA mode are applied last.

use crate::map::Map;

use crate::rules::condition::Condition;
use crate::rules::json::{self, Fields};
use crate::rules::{Diagnostic, Severity, Targeting};
use crate::value::{Properties, Value};

/// Per-variation metadata.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VariationMeta {
    /// A stable key for the variation (defaults to its index).
    pub key: Option<String>,
    /// A display name.
    pub name: Option<String>,
    /// A passthrough variation counts the user as not in the experiment.
    pub passthrough: bool,
}

/// A filter: only users whose hash lands in one of the ranges are included.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// The attribute to hash (default `id`).
    pub attribute: Option<String>,
    /// The hash seed.
    pub seed: String,
    /// The hash version (default 2).
    pub hash_version: u32,
    /// The included ranges.
    pub ranges: Vec<(f64, f64)>,
}

/// A prerequisite: another feature's value must meet a condition.
#[derive(Debug)]
pub struct Prerequisite {
    /// The other feature.
    pub feature: String,
    /// The condition on `{"value": <its value>}`.
    pub condition: Condition,
    /// A failing gate blocks the whole feature rather than skipping one rule.
    pub gate: bool,
}

/// A mutual-exclusion namespace: `(id, start, end)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Namespace {
    /// The namespace id.
    pub id: String,
    /// Start of this experiment's slice.
    pub start: f64,
    /// End of this experiment's slice.
    pub end: f64,
}

/// An experiment, ready to run.
#[derive(Debug)]
pub struct Experiment {
    /// The experiment key (hash seed by default, and exposure dedupe key).
    pub key: String,
    /// The variations' values.
    pub variations: Vec<Value>,
    /// Traffic split; equal if absent or invalid.
    pub weights: Option<Vec<f64>>,
    /// Share of users included, 0 to 1 (default 1).
    pub coverage: Option<f64>,
    /// Inactive experiments include nobody (QA overrides aside).
    pub active: bool,
    /// Stopped experiments include nobody.
    pub stopped: bool,
    /// Everyone included sees this variation.
    pub force: Option<i64>,
    /// Targeting.
    pub condition: Option<Condition>,
    /// Prerequisites.
    pub prerequisites: Vec<Prerequisite>,
    /// The attribute to hash (default `id`).
    pub hash_attribute: Option<String>,
    /// Hashed when the hash attribute is empty and sticky bucketing is on.
    pub fallback_attribute: Option<String>,
    /// 1 or 2 (default 1).
    pub hash_version: u32,
    /// The hash seed (default the key).
    pub seed: Option<String>,
    /// Mutual exclusion with other experiments.
    pub namespace: Option<Namespace>,
    /// Filters (replace the namespace check when present).
    pub filters: Option<Vec<Filter>>,
    /// Explicit bucket ranges, replacing weights and coverage.
    pub ranges: Option<Vec<(f64, f64)>>,
    /// Per-variation metadata.
    pub meta: Option<Vec<VariationMeta>>,
    /// Sticky bucket version: bumping it re-buckets everyone.
    pub bucket_version: u32,
    /// Users with a sticky bucket below this version are excluded.
    pub min_bucket_version: u32,
    /// Turns sticky bucketing off for this experiment.
    pub disable_sticky_bucketing: bool,
}

/// The outcome of running an experiment for one user.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    /// The variation's key.
    pub key: String,
    /// The feature whose rule ran the experiment, if any.
    pub feature_id: Option<String>,
    /// Whether the user is in the experiment (else they see the first variation).
    pub in_experiment: bool,
    /// Whether the hash decided the variation (not a forced or QA override).
    pub hash_used: bool,
    /// The variation's index.
    pub variation_id: usize,
    /// The variation's value.
    pub value: Value,
    /// The attribute that was hashed.
    pub hash_attribute: String,
    /// Its value.
    pub hash_value: Value,
    /// Whether a sticky bucket decided the variation.
    pub sticky_bucket_used: bool,
    /// The variation's name.
    pub name: Option<String>,
    /// The user's hash bucket.
    pub bucket: Option<f64>,
    /// A passthrough variation: the user counts as not in the experiment.
    pub passthrough: bool,
}

impl Assignment {
    /// The assignment as GrowthBook's JSON result object.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let mut out = Properties::new();
        out.insert("key".into(), Value::String(self.key.clone()));
        out.insert(
            "featureId".into(),
            self.feature_id.clone().map_or(Value::Null, Value::String),
        );
        out.insert("inExperiment".into(), Value::Bool(self.in_experiment));
        out.insert("hashUsed".into(), Value::Bool(self.hash_used));
        out.insert(
            "variationId".into(),
            Value::Number(self.variation_id as f64),
        );
        out.insert("value".into(), self.value.clone());
        out.insert(
            "hashAttribute".into(),
            Value::String(self.hash_attribute.clone()),
        );
        out.insert("hashValue".into(), self.hash_value.clone());
        out.insert(
            "stickyBucketUsed".into(),
            Value::Bool(self.sticky_bucket_used),
        );
        if let Some(name) = &self.name {
            out.insert("name".into(), Value::String(name.clone()));
        }
        if let Some(bucket) = self.bucket {
            out.insert("bucket".into(), Value::Number(bucket));
        }
        if self.passthrough {
            out.insert("passthrough".into(), Value::Bool(true));
        }
        Value::Object(out)
    }
}

/// One sticky-bucket document: the variations one attribute value was assigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StickyDoc {
    /// The hashed attribute's name.
    pub attribute_name: String,
    /// Its value, as a string.
    pub attribute_value: String,
    /// `"<experiment key>__<bucket version>"` → variation key.
    pub assignments: Map<String>,
}

impl StickyDoc {
    /// The document's key: `"<attribute>||<value>"`.
    #[must_use]
    pub fn key(attribute_name: &str, attribute_value: &str) -> String {
        let mut key = String::with_capacity(attribute_name.len() + attribute_value.len() + 2);
        key.push_str(attribute_name);
        key.push_str("||");
        key.push_str(attribute_value);
        key
    }

    /// Reads a document from GrowthBook's JSON form.
    #[must_use]
    pub fn from_json(json: &Value) -> Option<StickyDoc> {
        let assignments = json
            .object_field("assignments")?
            .iter()
            .filter_map(|(k, v)| match v {
                Value::String(s) => Some((k.clone(), s.clone())),
                _ => None,
            })
            .collect();
        Some(StickyDoc {
            attribute_name: json.str_field("attributeName")?.to_owned(),
            attribute_value: json.str_field("attributeValue")?.to_owned(),
            assignments,
        })
    }

    /// The document in GrowthBook's JSON form.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let assignments = self
            .assignments
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        Value::Object(Properties::from([
            (
                "attributeName".to_owned(),
                Value::String(self.attribute_name.clone()),
            ),
            (
                "attributeValue".to_owned(),
                Value::String(self.attribute_value.clone()),
            ),
            ("assignments".to_owned(), Value::Object(assignments)),
        ]))
    }
}

/// Sticky-bucket documents by key.
pub type StickyBuckets = Map<StickyDoc>;

/// The key of an experiment's assignment in a sticky-bucket document.
#[must_use]
pub fn sticky_experiment_key(experiment: &str, bucket_version: u32) -> String {
    let mut key = String::with_capacity(experiment.len() + 4);
    key.push_str(experiment);
    key.push_str("__");
    key.push_str(&crate::rules::js::number_to_string(f64::from(
        bucket_version,
    )));
    key
}

fn count(value: Option<f64>) -> u32 {
    value
        .filter(|n| n.is_finite() && *n >= 0.0)
        .map_or(0, |n| n as u32)
}

impl Experiment {
    /// Parses an experiment from GrowthBook's JSON shape. `key` is used when the JSON has
    /// none (a feature rule's experiment is keyed by its feature). `None`, with a
    /// diagnostic, when it has no variations array.
    pub fn from_json(
        json: &Value,
        key: &str,
        at: &str,
        targeting: &Targeting<'_>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<Experiment> {
        let Some(variations) = json.array_field("variations") else {
            diagnostics.push(Diagnostic {
                subject: String::new(),
                severity: Severity::Error,
                code: "experiment_without_variations",
                pointer: crate::rules::pointer(at, "variations"),
                message: crate::rules::message("an experiment needs an array of variations"),
            });
            return None;
        };
        let condition = json
            .field("condition")
            .map(|c| targeting.condition(c, &crate::rules::pointer(at, "condition"), diagnostics));
        let namespace = json.array_field("namespace").and_then(|ns| match ns {
            [Value::String(id), Value::Number(start), Value::Number(end)] => Some(Namespace {
                id: id.clone(),
                start: *start,
                end: *end,
            }),
            _ => None,
        });
        let meta = json.array_field("meta").map(|items| {
            items
                .iter()
                .map(|m| VariationMeta {
                    key: m.str_field("key").map(str::to_owned),
                    name: m.str_field("name").map(str::to_owned),
                    passthrough: m.bool_field("passthrough").unwrap_or(false),
                })
                .collect()
        });
        Some(Experiment {
            key: json
                .str_field("key")
                .filter(|k| !k.is_empty())
                .unwrap_or(key)
                .to_owned(),
            variations: variations.to_vec(),
            weights: json.field("weights").and_then(json::numbers),
            coverage: json.num_field("coverage"),
            active: json.bool_field("active").unwrap_or(true),
            stopped: json.str_field("status") == Some("stopped"),
            force: json.num_field("force").map(|n| n as i64),
            condition,
            prerequisites: prerequisites(json, at, targeting, diagnostics),
            hash_attribute: json.text_field("hashAttribute"),
            fallback_attribute: json.text_field("fallbackAttribute"),
            hash_version: json.version_field("hashVersion", 1),
            seed: json.text_field("seed"),
            namespace,
            filters: filters(json),
            ranges: json.field("ranges").and_then(json::ranges),
            meta,
            bucket_version: count(json.num_field("bucketVersion")),
            min_bucket_version: count(json.num_field("minBucketVersion")),
            disable_sticky_bucketing: json.bool_field("disableStickyBucketing").unwrap_or(false),
        })
    }
}

/// Reads `parentConditions`.
pub(super) fn prerequisites(
    json: &Value,
    at: &str,
    targeting: &Targeting<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Prerequisite> {
    let Some(items) = json.array_field("parentConditions") else {
        return Vec::new();
    };
    let base = crate::rules::pointer(at, "parentConditions");
    items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| {
            let here = crate::rules::pointer(&base, &crate::rules::js::number_to_string(i as f64));
            let feature = item.str_field("id")?.to_owned();
            let condition = match item.field("condition") {
                Some(c) => {
                    targeting.condition(c, &crate::rules::pointer(&here, "condition"), diagnostics)
                }
                None => Condition::always(),
            };
            Some(Prerequisite {
                feature,
                condition,
                gate: item.bool_field("gate").unwrap_or(false),
            })
        })
        .collect()
}

/// Reads `filters`.
pub(super) fn filters(json: &Value) -> Option<Vec<Filter>> {
    json.array_field("filters").map(|items| {
        items
            .iter()
            .map(|f| Filter {
                attribute: f.text_field("attribute"),
                seed: f.str_field("seed").unwrap_or("").to_owned(),
                hash_version: f.version_field("hashVersion", 2),
                ranges: f.field("ranges").and_then(json::ranges).unwrap_or_default(),
            })
            .collect()
    })
}
