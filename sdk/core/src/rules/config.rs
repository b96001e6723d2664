//! A project's rules, compiled in one go when a configuration loads.
//!
//! ```json
//! {"savedGroups": {…}, "features": {…GrowthBook features…},
//!  "experiences": [{"id": "nps", "kind": "survey", …}, …],
//!  "policy": {"survey_quiet_days": 14, "tour_quiet_days": 1}}
//! ```
//!
//! [`RuleSet::compile`] never fails: every problem becomes a [`Diagnostic`] naming the feature
//! or experience it is in and its JSON pointer; an experience with an error is disabled and
//! the rest keep working. The collector compiles a config with the same function before it
//! accepts it, so the diagnostics an author sees are what the SDK would find, and more: the
//! collector also parses every selector (the `publish` feature), which the browser leaves
//! to itself.

use super::arbitration::{self, Experience, Kind, Policy, Translations};
use super::feature::{Feature, Features};
use super::json::Fields;
use super::platform::Platform;
use super::{pointer, Diagnostic, SavedGroup, SavedGroups, Severity, Targeting};
use crate::time::Millis;
use crate::value::Value;

/// A project's compiled rules.
#[derive(Debug, Default)]
pub struct RuleSet {
    /// Saved groups by id.
    pub saved_groups: SavedGroups,
    /// GrowthBook-style features by id.
    pub features: Features,
    /// Tours, surveys and content changes, in configuration order.
    pub experiences: Vec<Experience>,
    /// Limits across experiences.
    pub policy: Policy,
}

fn name_subject(diagnostics: &mut [Diagnostic], subject: &str) {
    for diagnostic in diagnostics {
        if diagnostic.subject.is_empty() {
            diagnostic.subject = subject.to_owned();
        }
    }
}

impl RuleSet {
    /// Compiles a configuration's rules.
    pub fn compile(json: &Value, platform: &'static dyn Platform) -> (RuleSet, Vec<Diagnostic>) {
        let features =
            |json: &Value, targeting: &Targeting<'_>, diagnostics: &mut Vec<Diagnostic>| {
                let mut features = Features::new();
                for (id, definition) in json.object_field("features").into_iter().flatten() {
                    let first = diagnostics.len();
                    let feature = Feature::from_json(
                        definition,
                        id,
                        &pointer("/features", id),
                        targeting,
                        diagnostics,
                    );
                    name_subject(&mut diagnostics[first..], id);
                    features.insert(id.clone(), feature);
                }
                features
            };
        build(json, platform, features, &arbitration::read_body)
    }

    /// Compiles what the browser runtime acts on: saved groups, the targeting of every
    /// experience, content changes and the policy. It leaves out features (the SDK has no
    /// feature-flag API, and GrowthBook's feature model would be a quarter of its wasm) and
    /// the definitions of tours and surveys, which the experiences module reads when one
    /// shows: the collector has checked them before publishing ([`RuleSet::compile`]), so the
    /// runtime does not link their readers. The diagnostics are those [`RuleSet::compile`]
    /// gives for the parts read.
    pub fn compile_experiences(
        json: &Value,
        platform: &'static dyn Platform,
    ) -> (RuleSet, Vec<Diagnostic>) {
        build(
            json,
            platform,
            |_, _, _| Features::new(),
            &|_, _, _, _, _| None,
        )
    }

    /// The content experience with this id, if there is one.
    #[must_use]
    pub fn experience(&self, id: &str) -> Option<&Experience> {
        self.experiences.iter().find(|e| e.id == id)
    }
}

/// Compiles a configuration, its features by `features` (a closure, so that a build that
/// leaves them out links none of their code).
fn build(
    json: &Value,
    platform: &'static dyn Platform,
    features: impl FnOnce(&Value, &Targeting<'_>, &mut Vec<Diagnostic>) -> Features,
    read_body: &impl Fn(&Value, Kind, &str, &str, &mut Vec<Diagnostic>) -> Option<Translations>,
) -> (RuleSet, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    if !matches!(json, Value::Object(_)) {
        diagnostics.push(Diagnostic {
            subject: String::new(),
            severity: Severity::Error,
            code: "config_not_object",
            pointer: String::new(),
            message: crate::rules::message("a configuration must be a JSON object"),
        });
        return (RuleSet::default(), diagnostics);
    }
    let saved_groups = saved_groups(json);
    let targeting = Targeting {
        platform,
        saved_groups: &saved_groups,
    };
    let features = features(json, &targeting, &mut diagnostics);
    let (experiences, policy) = experiences(json, &targeting, read_body, &mut diagnostics);
    (
        RuleSet {
            saved_groups,
            features,
            experiences,
            policy,
        },
        diagnostics,
    )
}

fn saved_groups(json: &Value) -> SavedGroups {
    json.field("savedGroups")
        .map(SavedGroup::all_from_json)
        .unwrap_or_default()
}

fn experiences(
    json: &Value,
    targeting: &Targeting<'_>,
    read_body: &impl Fn(&Value, Kind, &str, &str, &mut Vec<Diagnostic>) -> Option<Translations>,
    diagnostics: &mut Vec<Diagnostic>,
) -> (Vec<Experience>, Policy) {
    let mut experiences: Vec<Experience> = Vec::new();
    for (i, definition) in json
        .array_field("experiences")
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let at = pointer("/experiences", &super::js::number_to_string(i as f64));
        let first = diagnostics.len();
        let mut experience =
            Experience::from_json(definition, &at, targeting, read_body, diagnostics);
        if !experience.id.is_empty() && experiences.iter().any(|e| e.id == experience.id) {
            diagnostics.push(Diagnostic {
                subject: String::new(),
                severity: Severity::Error,
                code: "duplicate_id",
                pointer: pointer(&at, "id"),
                message: crate::rules::message(
                    "another experience has this id; this one is disabled",
                ),
            });
            experience.disabled = Some("duplicate id".into());
        }
        let subject = experience.id.clone();
        name_subject(&mut diagnostics[first..], &subject);
        experiences.push(experience);
    }
    let mut policy = Policy::default();
    let days = |name: &str| {
        json.field("policy")
            .and_then(|p| p.num_field(name))
            .filter(|d| *d >= 0.0)
            .map(|d| Millis(d as u64 * 86_400_000))
    };
    if let Some(quiet) = days("survey_quiet_days") {
        policy.survey_quiet = quiet;
    }
    if let Some(quiet) = days("tour_quiet_days") {
        policy.tour_quiet = quiet;
    }
    (experiences, policy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::platform::Regress;

    #[test]
    fn diagnostics_name_the_rule_and_the_pointer_and_the_rest_keeps_working() {
        let json: Value = serde_json::from_str(
            r#"{
                "features": {"checkout": {"defaultValue": 1, "rules": [{"id": "r1", "condition": {"plan": {"$nope": 1}}, "force": 2}]}},
                "experiences": [
                    {"id": "nps", "kind": "survey", "trigger": {"page_view": true}, "audience": {"country": {"$in": "US"}}, "survey": {"questions": [{"id": "why", "type": "text", "text": "Why?"}]}},
                    {"id": "nps", "kind": "survey", "trigger": {"page_view": true}, "survey": {"questions": [{"id": "why", "type": "text", "text": "Why?"}]}},
                    {"id": "tour", "kind": "tour", "trigger": {"event": "signup"}, "tour": {"steps": [{"id": "hello", "title": "Hello"}]}}
                ],
                "policy": {"survey_quiet_days": 7}
            }"#,
        )
        .unwrap();
        let (rules, diagnostics) = RuleSet::compile(&json, &Regress);
        let found: Vec<(&str, &str, &str)> = diagnostics
            .iter()
            .map(|d| (d.subject.as_str(), d.code, d.pointer.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "checkout",
                    "unknown_operator",
                    "/features/checkout/rules/0/condition/plan/$nope"
                ),
                (
                    "nps",
                    "invalid_operator_argument",
                    "/experiences/0/audience/country/$in"
                ),
                ("nps", "duplicate_id", "/experiences/1/id"),
            ]
        );
        assert!(rules.experiences[0].disabled.is_some() && rules.experiences[1].disabled.is_some());
        assert!(
            rules.experiences[2].disabled.is_none(),
            "the rest keep working"
        );
        assert_eq!(rules.policy.survey_quiet, Millis(7 * 86_400_000));
    }

    #[test]
    fn anything_that_is_not_an_object_is_one_clear_error() {
        let (rules, diagnostics) = RuleSet::compile(&Value::from("nope"), &Regress);
        assert_eq!(diagnostics[0].code, "config_not_object");
        assert!(rules.experiences.is_empty());
    }
}
