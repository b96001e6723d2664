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
use waymark_core::rules::pattern::Regress;
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
