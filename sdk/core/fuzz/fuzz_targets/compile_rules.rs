//! Config parsing and condition compilation on arbitrary input: compile a rule set, then
//! evaluate every feature and audience against arbitrary attributes. Nothing may panic,
//! hang, or overflow the stack, whatever the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use waymark_core::rules::arbitration::{decide, Signal, Situation};
use waymark_core::rules::platform::Regress;
use waymark_core::rules::profile::Profile;
use waymark_core::rules::{Condition, Evaluator, RuleSet};
use waymark_core::{Millis, Value};

fuzz_target!(|data: &[u8]| {
    // The input is a configuration, optionally followed by a NUL and the attributes.
    let text = String::from_utf8_lossy(data);
    let (config, attributes) = text.split_once('\0').unwrap_or((&text, "{}"));
    let Ok(config) = serde_json::from_str::<Value>(config) else { return };
    let attributes = serde_json::from_str::<Value>(attributes).unwrap_or_default();

    let (rules, _diagnostics) = RuleSet::compile(&config, &Regress);
    let mut evaluator = Evaluator::new(&attributes, &rules.features);
    for id in rules.features.keys() {
        let _ = evaluator.feature(id);
    }
    let profile = Profile::new(Millis(0));
    for signal in [Signal::PageView, Signal::Event("signup"), Signal::ExitIntent] {
        let situation = Situation {
            now: Millis(1_767_225_600_000),
            user_key: "fuzz",
            url: "https://app.example/invoices",
            signal,
            attributes: &attributes,
            profile: &profile,
            session_started: Millis(0),
            on_screen: None,
        };
        let _ = decide(&rules.experiences, &situation, &rules.policy);
    }
    // The whole input as one condition, too.
    let (condition, _) = Condition::compile(&config, "", &Regress, &rules.saved_groups);
    let _ = condition.matches(&attributes);
});
