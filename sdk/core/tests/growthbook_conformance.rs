//! GrowthBook's cross-SDK conformance suite, run against Waymark's engine.
//!
//! The suite (`cases.json`, spec 0.12.0, MIT licence) ships inside the crate growthbook-rust
//! 0.4.0; `scripts/growthbook-cases` fetches it with cargo and prints its path, and
//! `scripts/test` passes that path in `WAYMARK_GROWTHBOOK_CASES`. The file is never copied
//! into this repository. Each section prints its pass count.

#![allow(clippy::print_stdout)] // The suite prints its pass counts by design.

use std::sync::OnceLock;

use serde_json::Value as Json;
use waymark_core::rules::bucket;
use waymark_core::rules::platform::Regress;
use waymark_core::rules::{Condition, SavedGroup};
use waymark_core::Value;

fn suite() -> &'static Json {
    static SUITE: OnceLock<Json> = OnceLock::new();
    SUITE.get_or_init(|| {
        let path = std::env::var("WAYMARK_GROWTHBOOK_CASES").unwrap_or_else(|_| {
            panic!(
                "WAYMARK_GROWTHBOOK_CASES is not set: it must name GrowthBook's cases.json \
                 (growthbook-rust 0.4.0, tests/cases/cases.json); run \
                 `WAYMARK_GROWTHBOOK_CASES=$(scripts/growthbook-cases) cargo test`, or scripts/test"
            )
        });
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!("cannot read GrowthBook's conformance suite at {path}: {e}")
        });
        let suite: Json =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"));
        assert_eq!(suite["specVersion"], "0.12.0", "{path} is not spec 0.12.0");
        suite
    })
}

fn value(json: &Json) -> Value {
    serde_json::from_value(json.clone()).expect("JSON converts to Value")
}

fn cases(section: &str) -> &'static [Json] {
    let mut node = suite();
    for part in section.split('.') {
        node = &node[part];
    }
    node.as_array()
        .unwrap_or_else(|| panic!("the suite has no section {section}"))
        .as_slice()
}

/// Runs every case of a section, prints the count, and fails listing each case that failed.
fn run_section(section: &str, check: impl Fn(&Json) -> Result<(), String>) {
    let cases = cases(section);
    let failures: Vec<String> = cases.iter().filter_map(|case| check(case).err()).collect();
    println!(
        "conformance {section}: {} of {} passed",
        cases.len() - failures.len(),
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} {section} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

fn eval_condition(case: &Json) -> Result<(), String> {
    let name = case[0].as_str().unwrap_or("?");
    let groups = SavedGroup::all_from_json(&value(&case[4]));
    let (condition, _diagnostics) = Condition::compile(&value(&case[1]), "", &Regress, &groups);
    let got = condition.matches(&value(&case[2]));
    let expected = case[3].as_bool().unwrap_or(false);
    if got == expected {
        Ok(())
    } else {
        Err(format!("  {name:?}: got {got}, expected {expected}"))
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

fn ranges(json: &Json) -> Vec<(f64, f64)> {
    json.as_array()
        .unwrap()
        .iter()
        .map(|r| (r[0].as_f64().unwrap(), r[1].as_f64().unwrap()))
        .collect()
}

#[test]
fn eval_condition_passes_every_case() {
    run_section("evalCondition", eval_condition);
}

#[test]
fn saved_group_references_v2_eval_condition_passes_every_case() {
    run_section("savedGroupReferencesV2.evalCondition", eval_condition);
}

#[test]
fn hash_passes_every_case() {
    run_section("hash", |case| {
        let (seed, input) = (case[0].as_str().unwrap(), case[1].as_str().unwrap());
        let version = case[2].as_u64().unwrap() as u32;
        let got = bucket::hash(seed, input, version);
        let ok = match (got, case[3].as_f64()) {
            (Some(g), Some(e)) => close(g, e),
            (None, None) => true,
            _ => false,
        };
        if ok {
            Ok(())
        } else {
            Err(format!(
                "  hash({seed:?}, {input:?}, {version}): got {got:?}, expected {}",
                case[3]
            ))
        }
    });
}

#[test]
fn get_bucket_range_passes_every_case() {
    run_section("getBucketRange", |case| {
        let args = &case[1];
        let weights: Option<Vec<f64>> = args[2]
            .as_array()
            .map(|w| w.iter().filter_map(Json::as_f64).collect());
        let got = bucket::bucket_ranges(
            args[0].as_u64().unwrap() as usize,
            args[1].as_f64(),
            weights.as_deref(),
        );
        let expected = ranges(&case[2]);
        let ok = got.len() == expected.len()
            && got
                .iter()
                .zip(&expected)
                .all(|(g, e)| close(g.0, e.0) && close(g.1, e.1));
        if ok {
            Ok(())
        } else {
            Err(format!("  {}: got {got:?}, expected {expected:?}", case[0]))
        }
    });
}

#[test]
fn choose_variation_passes_every_case() {
    run_section("chooseVariation", |case| {
        let got = bucket::choose_variation(case[1].as_f64().unwrap(), &ranges(&case[2]))
            .map_or(-1, |i| i as i64);
        if got == case[3].as_i64().unwrap() {
            Ok(())
        } else {
            Err(format!("  {}: got {got}, expected {}", case[0], case[3]))
        }
    });
}

#[test]
fn in_namespace_passes_every_case() {
    run_section("inNamespace", |case| {
        let ns = &case[2];
        let namespace = (
            ns[0].as_str().unwrap(),
            ns[1].as_f64().unwrap(),
            ns[2].as_f64().unwrap(),
        );
        let got = bucket::in_namespace(case[1].as_str().unwrap(), namespace);
        if Json::Bool(got) == case[3] {
            Ok(())
        } else {
            Err(format!("  {}: got {got}, expected {}", case[0], case[3]))
        }
    });
}

#[test]
fn get_equal_weights_passes_every_case() {
    run_section("getEqualWeights", |case| {
        let got = bucket::equal_weights(case[0].as_i64().unwrap());
        let expected: Vec<f64> = case[1]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Json::as_f64)
            .collect();
        let ok =
            got.len() == expected.len() && got.iter().zip(&expected).all(|(g, e)| close(*g, *e));
        if ok {
            Ok(())
        } else {
            Err(format!(
                "  getEqualWeights({}): got {got:?}, expected {expected:?}",
                case[0]
            ))
        }
    });
}

#[test]
fn get_query_string_override_passes_every_case() {
    run_section("getQueryStringOverride", |case| {
        let variations = case[3].as_u64().unwrap() as usize;
        let got = bucket::query_string_override(
            case[1].as_str().unwrap(),
            case[2].as_str().unwrap(),
            variations,
        );
        let expected = case[4].as_u64().map(|n| n as usize);
        if got == expected {
            Ok(())
        } else {
            Err(format!("  {}: got {got:?}, expected {expected:?}", case[0]))
        }
    });
}

/// A GrowthBook evaluation context from a case: attributes, features, saved groups, URL,
/// forced variations, QA mode and the enabled switch.
struct Case {
    attributes: Value,
    features: waymark_core::rules::Features,
    forced_variations: waymark_core::Map<i64>,
    url: String,
    enabled: bool,
    qa_mode: bool,
}

fn context(json: &Json) -> Case {
    let groups = SavedGroup::all_from_json(&value(&json["savedGroups"]));
    let targeting = waymark_core::rules::Targeting {
        platform: &Regress,
        saved_groups: &groups,
    };
    let mut diagnostics = Vec::new();
    let features = waymark_core::rules::Feature::all_from_json(
        &value(&json["features"]),
        "/features",
        &targeting,
        &mut diagnostics,
    );
    Case {
        attributes: if json["attributes"].is_object() {
            value(&json["attributes"])
        } else {
            Value::Object(Default::default())
        },
        features,
        forced_variations: json["forcedVariations"]
            .as_object()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_i64()?)))
                    .collect()
            })
            .unwrap_or_default(),
        url: json["url"].as_str().unwrap_or("").to_owned(),
        enabled: json["enabled"].as_bool().unwrap_or(true),
        qa_mode: json["qaMode"].as_bool().unwrap_or(false),
    }
}

impl Case {
    fn evaluator(&self) -> waymark_core::rules::Evaluator<'_> {
        let mut evaluator = waymark_core::rules::Evaluator::new(&self.attributes, &self.features);
        evaluator.forced_variations = self.forced_variations.clone();
        evaluator.url = self.url.clone();
        evaluator.enabled = self.enabled;
        evaluator.qa_mode = self.qa_mode;
        evaluator
    }
}

/// Contextual bandits are a GrowthBook product Waymark does not offer; their cases are
/// reported separately and not run.
fn is_contextual_bandit(case: &Json) -> bool {
    case.to_string().contains("contextualBandit")
        || case[0].as_str().is_some_and(|n| n.starts_with("CB "))
}

fn feature_case(case: &Json) -> Result<(), String> {
    let ctx = context(&case[1]);
    let got = ctx.evaluator().feature(case[2].as_str().unwrap()).to_json();
    let expected = value(&case[3]);
    if waymark_core::rules::js::json_equals(&got, &expected) {
        Ok(())
    } else {
        Err(format!(
            "  {}:\n    got      {}\n    expected {}",
            case[0],
            serde_json::to_string(&got).unwrap(),
            case[3]
        ))
    }
}

fn run_case(case: &Json) -> Result<(), String> {
    let ctx = context(&case[1]);
    let groups = SavedGroup::all_from_json(&value(&case[1]["savedGroups"]));
    let targeting = waymark_core::rules::Targeting {
        platform: &Regress,
        saved_groups: &groups,
    };
    let mut diagnostics = Vec::new();
    let experiment = waymark_core::rules::Experiment::from_json(
        &value(&case[2]),
        "",
        "",
        &targeting,
        &mut diagnostics,
    )
    .ok_or_else(|| format!("  {}: the experiment did not parse", case[0]))?;
    let result = ctx.evaluator().run(&experiment, None);
    let got = (result.value.clone(), result.in_experiment, result.hash_used);
    let expected = (
        value(&case[3]),
        case[4].as_bool().unwrap(),
        case[5].as_bool().unwrap(),
    );
    if waymark_core::rules::js::json_equals(&got.0, &expected.0)
        && got.1 == expected.1
        && got.2 == expected.2
    {
        Ok(())
    } else {
        Err(format!("  {}: got {got:?}, expected {expected:?}", case[0]))
    }
}

fn sticky_case(case: &Json) -> Result<(), String> {
    let ctx = context(&case[1]);
    let mut evaluator = ctx.evaluator();
    // A sticky-bucket store hands the evaluator the documents of this user's attribute values.
    let belongs = |d: &waymark_core::rules::StickyDoc| {
        let attribute = &case[1]["attributes"][&d.attribute_name];
        attribute.as_str().map(str::to_owned).or_else(|| {
            attribute
                .as_f64()
                .map(waymark_core::rules::js::number_to_string)
        }) == Some(d.attribute_value.clone())
    };
    let docs = case[2]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| waymark_core::rules::StickyDoc::from_json(&value(d)))
        .filter(belongs);
    evaluator.sticky = Some(
        docs.map(|d| {
            (
                waymark_core::rules::StickyDoc::key(&d.attribute_name, &d.attribute_value),
                d,
            )
        })
        .collect(),
    );
    let result = evaluator.feature(case[3].as_str().unwrap());
    let got_result = result.assignment.map_or(Value::Null, |a| a.to_json());
    let got_docs = Value::Object(
        evaluator
            .sticky
            .unwrap_or_default()
            .into_iter()
            .map(|(k, d)| (k, d.to_json()))
            .collect(),
    );
    let (expected_result, expected_docs) = (value(&case[4]), value(&case[5]));
    if waymark_core::rules::js::json_equals(&got_result, &expected_result)
        && waymark_core::rules::js::json_equals(&got_docs, &expected_docs)
    {
        Ok(())
    } else {
        Err(format!(
            "  {}:\n    got      {} {}\n    expected {} {}",
            case[0],
            serde_json::to_string(&got_result).unwrap(),
            serde_json::to_string(&got_docs).unwrap(),
            case[4],
            case[5]
        ))
    }
}

/// Like [`run_section`], leaving out the contextual-bandit cases and saying how many.
fn run_section_without_bandits(section: &str, check: impl Fn(&Json) -> Result<(), String>) {
    let all = cases(section);
    let run: Vec<&Json> = all.iter().filter(|c| !is_contextual_bandit(c)).collect();
    let skipped = all.len() - run.len();
    let failures: Vec<String> = run.iter().filter_map(|case| check(case).err()).collect();
    println!(
        "conformance {section}: {} of {} passed ({skipped} contextual-bandit cases not run: Waymark has no bandits)",
        run.len() - failures.len(),
        run.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} {section} cases failed:\n{}",
        failures.len(),
        run.len(),
        failures.join("\n")
    );
}

#[test]
fn feature_passes_every_case() {
    run_section_without_bandits("feature", feature_case);
}

#[test]
fn run_passes_every_case() {
    run_section_without_bandits("run", run_case);
}

#[test]
fn sticky_bucket_passes_every_case() {
    run_section_without_bandits("stickyBucket", sticky_case);
}

#[test]
fn saved_group_references_v2_feature_and_run_pass_every_case() {
    run_section("savedGroupReferencesV2.feature", feature_case);
    run_section("savedGroupReferencesV2.run", run_case);
}
