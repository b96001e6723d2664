//! Native throughput of the condition engine over GrowthBook's `evalCondition` cases:
//! `WAYMARK_GROWTHBOOK_CASES=$(scripts/growthbook-cases) cargo run --release -p waymark-core --example condition_throughput`.
//! Part of `scripts/bench`, which prints it beside the wasm and JavaScript figures.
#![allow(clippy::print_stdout)]

use std::time::Instant;

use waymark_core::rules::platform::Regress;
use waymark_core::rules::{Condition, SavedGroup};
use waymark_core::Value;

fn main() {
    let path = std::env::var("WAYMARK_GROWTHBOOK_CASES")
        .expect("WAYMARK_GROWTHBOOK_CASES must name GrowthBook's cases.json");
    let suite: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read the suite"))
            .expect("JSON");
    let cases: Vec<(Condition, Value, bool)> = suite["evalCondition"]
        .as_array()
        .expect("evalCondition cases")
        .iter()
        .map(|case| {
            let value =
                |j: &serde_json::Value| serde_json::from_value::<Value>(j.clone()).expect("value");
            let groups = SavedGroup::all_from_json(&value(&case[4]));
            let (condition, _) = Condition::compile(&value(&case[1]), "", &Regress, &groups);
            (
                condition,
                value(&case[2]),
                case[3].as_bool().unwrap_or(false),
            )
        })
        .collect();
    let correct = cases
        .iter()
        .filter(|(c, a, expected)| c.matches(a) == *expected)
        .count();

    let rounds = 2_000;
    let mut best = f64::INFINITY;
    let mut matched = 0usize;
    for _ in 0..5 {
        let start = Instant::now();
        for _ in 0..rounds {
            for (condition, attributes, _) in &cases {
                matched += usize::from(condition.matches(std::hint::black_box(attributes)));
            }
        }
        best = best.min(start.elapsed().as_secs_f64());
    }
    let evaluations = (rounds * cases.len()) as f64;
    println!(
        "native: {:.0} evaluations/s ({} cases x {rounds} rounds, best of 5; {correct}/{} correct; checksum {matched})",
        evaluations / best,
        cases.len(),
        cases.len()
    );
}
