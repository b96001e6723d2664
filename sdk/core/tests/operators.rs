//! The condition language, one operator family at a time, from `fixtures/operators.json`:
//! each case is `[condition, attributes, expected]`.
#![allow(clippy::print_stdout)] // Prints a count per family.

use waymark_core::rules::platform::Regress;
use waymark_core::rules::{Condition, SavedGroups};
use waymark_core::Value;

fn check(family: &str, cases: &[serde_json::Value]) -> Vec<String> {
    cases
        .iter()
        .filter_map(|case| {
            let value = |j: &serde_json::Value| serde_json::from_value::<Value>(j.clone()).unwrap();
            let (condition, _) =
                Condition::compile(&value(&case[0]), "", &Regress, &SavedGroups::new());
            let got = condition.matches(&value(&case[1]));
            (got != case[2].as_bool().unwrap())
                .then(|| format!("  {family}: {} on {} gave {got}", case[0], case[1]))
        })
        .collect()
}

#[test]
fn every_operator_family_behaves_as_specified() {
    let families: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(include_str!("fixtures/operators.json")).unwrap();
    let mut failures = Vec::new();
    for (family, cases) in &families {
        let cases = cases.as_array().unwrap();
        let failed = check(family, cases);
        println!(
            "operators {family}: {} of {} passed",
            cases.len() - failed.len(),
            cases.len()
        );
        failures.extend(failed);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
