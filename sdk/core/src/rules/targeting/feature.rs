//! GrowthBook's feature model, and the [`Evaluator`] that runs features and experiments for
//! one user.
//!
//! A feature has a default value and ordered rules; the first rule that applies decides the
//! value. A rule may force a value (to everyone who meets its condition, or to a rollout
//! share of them), or run an experiment whose variation is the value. Rules can depend on
//! other features' values (prerequisites) and on hash filters.

use crate::map::Map;

use crate::rules::bucket;
use crate::rules::condition::Condition;
use crate::rules::experiment::{
    filters, prerequisites, sticky_experiment_key, Assignment, Experiment, Filter, Prerequisite,
    StickyBuckets, StickyDoc,
};
use crate::rules::js;
use crate::rules::json::{self, Fields};
use crate::rules::{pointer, Diagnostic, Targeting};
use crate::value::{Properties, Value};

/// Features by id.
pub type Features = Map<Feature>;

/// A feature: a default value and the rules that may override it.
#[derive(Debug)]
pub struct Feature {
    /// The value when no rule applies.
    pub default_value: Value,
    /// The rules, in order.
    pub rules: Vec<Rule>,
}

/// One rule of a feature.
#[derive(Debug)]
pub struct Rule {
    /// The rule's id, reported in results.
    pub id: String,
    prerequisites: Vec<Prerequisite>,
    filters: Option<Vec<Filter>>,
    action: Action,
}

#[derive(Debug)]
struct ForceRule {
    value: Value,
    condition: Option<Condition>,
    seed: Option<String>,
    hash_attribute: Option<String>,
    fallback_attribute: Option<String>,
    range: Option<(f64, f64)>,
    coverage: Option<f64>,
    hash_version: u32,
    disable_sticky_bucketing: bool,
}

#[derive(Debug)]
enum Action {
    Force(Box<ForceRule>),
    /// The experiment, and the experiment as GrowthBook reports it in feature results.
    Experiment(Box<Experiment>, Value),
    /// Neither a force nor variations: the rule never applies.
    Skip,
}

/// The rule fields GrowthBook copies into a rule's experiment, and whether an absent-like
/// value still counts as present (`coverage` and the bucket versions do).
const EXPERIMENT_FIELDS: [(&str, bool); 16] = [
    ("coverage", true),
    ("weights", false),
    ("hashAttribute", false),
    ("fallbackAttribute", false),
    ("disableStickyBucketing", false),
    ("bucketVersion", true),
    ("minBucketVersion", true),
    ("namespace", false),
    ("meta", false),
    ("ranges", false),
    ("name", false),
    ("phase", false),
    ("seed", false),
    ("hashVersion", false),
    ("filters", false),
    ("condition", false),
];

fn experiment_echo(rule: &Value, key: &str) -> Value {
    let mut out = Properties::new();
    out.insert("key".into(), Value::String(key.to_owned()));
    out.insert(
        "variations".into(),
        rule.field("variations")
            .cloned()
            .unwrap_or(Value::Array(Vec::new())),
    );
    for (field, kept_when_falsy) in EXPERIMENT_FIELDS {
        if let Some(value) = rule.field(field) {
            if kept_when_falsy || js::truthy(value) {
                out.insert(field.into(), value.clone());
            }
        }
    }
    Value::Object(out)
}

impl Feature {
    /// Parses a feature definition (`{"defaultValue": …, "rules": […]}`).
    pub fn from_json(
        json: &Value,
        id: &str,
        at: &str,
        targeting: &Targeting<'_>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Feature {
        let rules_at = pointer(at, "rules");
        let rules = json
            .array_field("rules")
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(i, rule)| {
                Rule::from_json(
                    rule,
                    id,
                    &pointer(&rules_at, &js::number_to_string(i as f64)),
                    targeting,
                    diagnostics,
                )
            })
            .collect();
        Feature {
            default_value: json.field("defaultValue").cloned().unwrap_or(Value::Null),
            rules,
        }
    }

    /// Parses every feature of a JSON object keyed by id.
    pub fn all_from_json(
        json: &Value,
        at: &str,
        targeting: &Targeting<'_>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Features {
        let Value::Object(map) = json else {
            return Features::new();
        };
        map.iter()
            .map(|(id, feature)| {
                (
                    id.clone(),
                    Feature::from_json(feature, id, &pointer(at, id), targeting, diagnostics),
                )
            })
            .collect()
    }
}

impl Rule {
    fn from_json(
        json: &Value,
        feature: &str,
        at: &str,
        targeting: &Targeting<'_>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Rule {
        let action = if let Some(value) = json.field("force") {
            Action::Force(Box::new(ForceRule {
                value: value.clone(),
                condition: json
                    .field("condition")
                    .map(|c| targeting.condition(c, &pointer(at, "condition"), diagnostics)),
                seed: json.text_field("seed"),
                hash_attribute: json.text_field("hashAttribute"),
                fallback_attribute: json.text_field("fallbackAttribute"),
                range: json.field("range").and_then(json::range),
                coverage: json.num_field("coverage"),
                hash_version: json.version_field("hashVersion", 1),
                disable_sticky_bucketing: json
                    .bool_field("disableStickyBucketing")
                    .unwrap_or(false),
            }))
        } else if json.field("variations").is_some() {
            let key = json
                .str_field("key")
                .filter(|k| !k.is_empty())
                .unwrap_or(feature);
            match Experiment::from_json(json, key, at, targeting, diagnostics) {
                Some(mut experiment) => {
                    // A rule checks its prerequisites itself; its experiment does not repeat them.
                    experiment.prerequisites.clear();
                    Action::Experiment(Box::new(experiment), experiment_echo(json, key))
                }
                None => Action::Skip,
            }
        } else {
            Action::Skip
        };
        Rule {
            id: json.str_field("id").unwrap_or("").to_owned(),
            prerequisites: prerequisites(json, at, targeting, diagnostics),
            filters: filters(json),
            action,
        }
    }
}

/// Where a feature's value came from.
pub mod source {
    /// No such feature.
    pub const UNKNOWN_FEATURE: &str = "unknownFeature";
    /// No rule applied.
    pub const DEFAULT_VALUE: &str = "defaultValue";
    /// A force rule (or rollout) applied.
    pub const FORCE: &str = "force";
    /// An experiment rule assigned a variation.
    pub const EXPERIMENT: &str = "experiment";
    /// Prerequisites refer to each other in a cycle.
    pub const CYCLIC_PREREQUISITE: &str = "cyclicPrerequisite";
    /// A gating prerequisite failed.
    pub const PREREQUISITE: &str = "prerequisite";
}

/// A feature's value for one user, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureResult {
    /// The value.
    pub value: Value,
    /// Where it came from (see [`source`]).
    pub source: &'static str,
    /// The id of the rule that decided it, or empty.
    pub rule_id: String,
    /// The experiment that decided it, as GrowthBook reports it.
    pub experiment: Option<Value>,
    /// The user's assignment in that experiment.
    pub assignment: Option<Assignment>,
}

impl FeatureResult {
    fn plain(value: Value, source: &'static str) -> FeatureResult {
        FeatureResult {
            value,
            source,
            rule_id: String::new(),
            experiment: None,
            assignment: None,
        }
    }

    /// Whether the value is truthy.
    #[must_use]
    pub fn on(&self) -> bool {
        js::truthy(&self.value)
    }

    /// The result as GrowthBook's JSON result object.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let mut out = Properties::new();
        out.insert("value".into(), self.value.clone());
        out.insert("on".into(), Value::Bool(self.on()));
        out.insert("off".into(), Value::Bool(!self.on()));
        out.insert("source".into(), Value::String(self.source.to_owned()));
        out.insert("ruleId".into(), Value::String(self.rule_id.clone()));
        if let Some(experiment) = &self.experiment {
            out.insert("experiment".into(), experiment.clone());
        }
        if let Some(assignment) = &self.assignment {
            out.insert("experimentResult".into(), assignment.to_json());
        }
        Value::Object(out)
    }
}

static EMPTY: Value = Value::String(String::new());

/// Only a non-empty string or a non-zero number identifies a user for hashing: `true`, an
/// array or an object would put every such user in the same bucket.
fn hashable(value: &Value) -> bool {
    match value {
        Value::String(s) => !s.is_empty(),
        Value::Number(n) => *n != 0.0 && n.is_finite(),
        _ => false,
    }
}

/// Evaluates features and experiments for one user.
#[derive(Debug)]
pub struct Evaluator<'a> {
    /// The user's attributes (a JSON object).
    pub attributes: &'a Value,
    /// The project's features.
    pub features: &'a Features,
    /// Variations forced for QA, by experiment key.
    pub forced_variations: Map<i64>,
    /// The page URL, for `?<experiment>=<variation>` overrides.
    pub url: String,
    /// When false, nobody is in any experiment.
    pub enabled: bool,
    /// In QA mode, nobody is in any experiment unless forced.
    pub qa_mode: bool,
    /// Sticky-bucket documents; sticky bucketing is on when present.
    pub sticky: Option<StickyBuckets>,
    /// The features being evaluated, to catch prerequisite cycles.
    stack: Vec<String>,
}

impl<'a> Evaluator<'a> {
    /// An evaluator for a user with these attributes, everything else at its default.
    #[must_use]
    pub fn new(attributes: &'a Value, features: &'a Features) -> Evaluator<'a> {
        Evaluator {
            attributes,
            features,
            forced_variations: Map::new(),
            url: String::new(),
            enabled: true,
            qa_mode: false,
            sticky: None,
            stack: Vec::new(),
        }
    }

    /// An attribute by literal key, else by dotted path; `""` when absent.
    fn resolve(&self, key: &str) -> &'a Value {
        if let Value::Object(map) = self.attributes {
            if let Some(value) = map.get(key) {
                return value;
            }
        }
        let mut current = self.attributes;
        for part in key.split('.') {
            match current.field(part) {
                Some(next) => current = next,
                None => return &EMPTY,
            }
        }
        if matches!(current, Value::Null) {
            &EMPTY
        } else {
            current
        }
    }

    /// The attribute to hash and its value: the hash attribute (default `id`), or the
    /// fallback when the first is empty.
    fn hash_attribute(
        &self,
        attribute: Option<&str>,
        fallback: Option<&str>,
    ) -> (String, &'a Value) {
        let attribute = attribute.unwrap_or("id");
        let value = self.resolve(attribute);
        if !hashable(value) {
            if let Some(fallback) = fallback {
                let other = self.resolve(fallback);
                if hashable(other) {
                    return (fallback.to_owned(), other);
                }
            }
        }
        (attribute.to_owned(), value)
    }

    fn sticky_on(&self, disabled: bool) -> bool {
        self.sticky.is_some() && !disabled
    }

    fn filtered_out(&self, filters: &[Filter]) -> bool {
        filters.iter().any(|filter| {
            let (_, value) = self.hash_attribute(filter.attribute.as_deref(), None);
            if !hashable(value) {
                return true;
            }
            match bucket::hash(&filter.seed, &js::to_js_string(value), filter.hash_version) {
                Some(n) => !filter.ranges.iter().any(|&r| bucket::in_range(n, r)),
                None => true,
            }
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn in_rollout(
        &self,
        seed: &str,
        hash_attribute: Option<&str>,
        fallback: Option<&str>,
        range: Option<(f64, f64)>,
        coverage: Option<f64>,
        hash_version: u32,
    ) -> bool {
        if range.is_none() && coverage.is_none() {
            return true;
        }
        if range.is_none() && coverage == Some(0.0) {
            return false;
        }
        let (_, value) = self.hash_attribute(hash_attribute, fallback);
        if !hashable(value) {
            return false;
        }
        let Some(n) = bucket::hash(seed, &js::to_js_string(value), hash_version) else {
            return false;
        };
        match (range, coverage) {
            (Some(range), _) => bucket::in_range(n, range),
            // Strictly below: a user whose hash equals the coverage is outside it.
            (None, Some(coverage)) => n < coverage,
            (None, None) => true,
        }
    }

    /// Evaluates a feature.
    pub fn feature(&mut self, id: &str) -> FeatureResult {
        if self.stack.iter().any(|f| f == id) {
            return FeatureResult::plain(Value::Null, source::CYCLIC_PREREQUISITE);
        }
        self.stack.push(id.to_owned());
        let result = self.feature_rules(id);
        self.stack.pop();
        result
    }

    /// Evaluates prerequisites: `Ok(true)` when all hold, `Ok(false)` when one fails,
    /// `Err(())` on a cycle. Also reports whether the failing one was a gate.
    fn prerequisites_hold(&mut self, prerequisites: &[Prerequisite]) -> Result<Option<bool>, ()> {
        for prerequisite in prerequisites {
            let parent = self.feature(&prerequisite.feature);
            if parent.source == source::CYCLIC_PREREQUISITE {
                return Err(());
            }
            let subject = Value::Object(Properties::from([("value".to_owned(), parent.value)]));
            if !prerequisite.condition.matches(&subject) {
                return Ok(Some(prerequisite.gate));
            }
        }
        Ok(None)
    }

    fn feature_rules(&mut self, id: &str) -> FeatureResult {
        let features = self.features;
        let Some(feature) = features.get(id) else {
            return FeatureResult::plain(Value::Null, source::UNKNOWN_FEATURE);
        };
        for rule in &feature.rules {
            match self.prerequisites_hold(&rule.prerequisites) {
                Err(()) => return FeatureResult::plain(Value::Null, source::CYCLIC_PREREQUISITE),
                Ok(Some(true)) => return FeatureResult::plain(Value::Null, source::PREREQUISITE),
                Ok(Some(false)) => continue,
                Ok(None) => {}
            }
            if rule
                .filters
                .as_deref()
                .is_some_and(|f| self.filtered_out(f))
            {
                continue;
            }
            match &rule.action {
                Action::Force(force) => {
                    let ForceRule {
                        value,
                        condition,
                        seed,
                        hash_attribute,
                        fallback_attribute,
                        range,
                        coverage,
                        hash_version,
                        disable_sticky_bucketing,
                    } = force.as_ref();
                    if condition
                        .as_ref()
                        .is_some_and(|c| !c.matches(self.attributes))
                    {
                        continue;
                    }
                    let fallback = fallback_attribute
                        .as_deref()
                        .filter(|_| self.sticky_on(*disable_sticky_bucketing));
                    let seed = seed.as_deref().unwrap_or(id);
                    if !self.in_rollout(
                        seed,
                        hash_attribute.as_deref(),
                        fallback,
                        *range,
                        *coverage,
                        *hash_version,
                    ) {
                        continue;
                    }
                    return FeatureResult {
                        rule_id: rule.id.clone(),
                        ..FeatureResult::plain(value.clone(), source::FORCE)
                    };
                }
                Action::Experiment(experiment, echo) => {
                    let assignment = self.run(experiment, Some(id));
                    if assignment.in_experiment && !assignment.passthrough {
                        return FeatureResult {
                            value: assignment.value.clone(),
                            source: source::EXPERIMENT,
                            rule_id: rule.id.clone(),
                            experiment: Some(echo.clone()),
                            assignment: Some(assignment),
                        };
                    }
                }
                Action::Skip => {}
            }
        }
        FeatureResult::plain(feature.default_value.clone(), source::DEFAULT_VALUE)
    }

    fn assignment(
        &self,
        experiment: &Experiment,
        variation: i64,
        hash_used: bool,
        feature_id: Option<&str>,
        bucket: Option<f64>,
        sticky_bucket_used: bool,
    ) -> Assignment {
        let (index, in_experiment) = match usize::try_from(variation) {
            Ok(i) if i < experiment.variations.len() => (i, true),
            _ => (0, false),
        };
        let fallback = experiment
            .fallback_attribute
            .as_deref()
            .filter(|_| self.sticky_on(experiment.disable_sticky_bucketing));
        let (hash_attribute, hash_value) =
            self.hash_attribute(experiment.hash_attribute.as_deref(), fallback);
        let meta = experiment.meta.as_ref().and_then(|m| m.get(index));
        Assignment {
            key: meta
                .and_then(|m| m.key.clone())
                .filter(|k| !k.is_empty())
                .unwrap_or_else(|| js::number_to_string(index as f64)),
            feature_id: feature_id.map(str::to_owned),
            in_experiment,
            hash_used,
            variation_id: index,
            value: experiment
                .variations
                .get(index)
                .cloned()
                .unwrap_or(Value::Null),
            hash_attribute,
            hash_value: hash_value.clone(),
            sticky_bucket_used,
            name: meta.and_then(|m| m.name.clone()).filter(|n| !n.is_empty()),
            bucket,
            passthrough: meta.is_some_and(|m| m.passthrough),
        }
    }

    /// Assignments from the sticky documents of the hash attribute and of the fallback.
    fn sticky_assignments(&self, experiment: &Experiment) -> Map<String> {
        let mut assignments = Map::new();
        let Some(docs) = &self.sticky else {
            return assignments;
        };
        let (attribute, value) = self.hash_attribute(experiment.hash_attribute.as_deref(), None);
        let hash_key = StickyDoc::key(&attribute, &js::to_js_string(value));
        let (fallback, fallback_value) =
            self.hash_attribute(experiment.fallback_attribute.as_deref(), None);
        if hashable(fallback_value) {
            if let Some(doc) = docs.get(&StickyDoc::key(
                &fallback,
                &js::to_js_string(fallback_value),
            )) {
                assignments.extend(doc.assignments.clone());
            }
        }
        if let Some(doc) = docs.get(&hash_key) {
            assignments.extend(doc.assignments.clone());
        }
        assignments
    }

    /// The sticky variation, if any, and whether an older bucket version blocks the user.
    fn sticky_variation(&self, experiment: &Experiment) -> (Option<usize>, bool) {
        let assignments = self.sticky_assignments(experiment);
        for version in 0..experiment.min_bucket_version {
            if assignments.contains_key(&sticky_experiment_key(&experiment.key, version)) {
                return (None, true);
            }
        }
        let found = assignments
            .get(&sticky_experiment_key(
                &experiment.key,
                experiment.bucket_version,
            ))
            .and_then(|variation| {
                experiment
                    .meta
                    .as_ref()?
                    .iter()
                    .position(|m| m.key.as_deref() == Some(variation.as_str()))
            });
        (found, false)
    }

    /// Runs an experiment for this user.
    pub fn run(&mut self, experiment: &Experiment, feature_id: Option<&str>) -> Assignment {
        let excluded =
            |this: &Self| this.assignment(experiment, -1, false, feature_id, None, false);
        let variations = experiment.variations.len();
        if variations < 2 || !self.enabled {
            return excluded(self);
        }
        if let Some(forced) = bucket::query_string_override(&experiment.key, &self.url, variations)
        {
            return self.assignment(experiment, forced as i64, false, feature_id, None, false);
        }
        if let Some(&forced) = self.forced_variations.get(&experiment.key) {
            return self.assignment(experiment, forced, false, feature_id, None, false);
        }
        if !experiment.active {
            return excluded(self);
        }
        let sticky = self.sticky_on(experiment.disable_sticky_bucketing);
        let fallback = experiment.fallback_attribute.as_deref().filter(|_| sticky);
        let (hash_attribute, hash_value) =
            self.hash_attribute(experiment.hash_attribute.as_deref(), fallback);
        if !hashable(hash_value) {
            return excluded(self);
        }
        let (sticky_variation, blocked) = if sticky {
            self.sticky_variation(experiment)
        } else {
            (None, false)
        };

        if sticky_variation.is_none() {
            if let Some(filters) = &experiment.filters {
                if self.filtered_out(filters) {
                    return excluded(self);
                }
            } else if let Some(ns) = &experiment.namespace {
                if !bucket::in_namespace(&js::to_js_string(hash_value), (&ns.id, ns.start, ns.end))
                {
                    return excluded(self);
                }
            }
            if experiment
                .condition
                .as_ref()
                .is_some_and(|c| !c.matches(self.attributes))
            {
                return excluded(self);
            }
            if !matches!(self.prerequisites_hold(&experiment.prerequisites), Ok(None)) {
                return excluded(self);
            }
        }

        let seed = experiment.seed.as_deref().unwrap_or(&experiment.key);
        let Some(n) = bucket::hash(seed, &js::to_js_string(hash_value), experiment.hash_version)
        else {
            return excluded(self);
        };
        let assigned = match sticky_variation {
            Some(index) => Some(index),
            None => {
                let ranges = experiment.ranges.clone().unwrap_or_else(|| {
                    bucket::bucket_ranges(
                        variations,
                        Some(experiment.coverage.unwrap_or(1.0)),
                        experiment.weights.as_deref(),
                    )
                });
                bucket::choose_variation(n, &ranges)
            }
        };
        if blocked {
            return self.assignment(experiment, -1, false, feature_id, None, true);
        }
        let Some(assigned) = assigned else {
            return excluded(self);
        };
        if let Some(force) = experiment.force {
            return self.assignment(experiment, force, false, feature_id, None, false);
        }
        if self.qa_mode || experiment.stopped {
            return excluded(self);
        }
        let result = self.assignment(
            experiment,
            assigned as i64,
            true,
            feature_id,
            Some(n),
            sticky_variation.is_some(),
        );

        if sticky {
            let value = js::to_js_string(hash_value);
            let key = StickyDoc::key(&hash_attribute, &value);
            let entry = (
                sticky_experiment_key(&experiment.key, experiment.bucket_version),
                result.key.clone(),
            );
            if let Some(docs) = &mut self.sticky {
                let doc = docs.get_or_insert_with(&key, || StickyDoc {
                    attribute_name: hash_attribute,
                    attribute_value: value,
                    assignments: Map::new(),
                });
                doc.assignments.insert(entry.0, entry.1);
            }
        }
        result
    }
}
