//! Exposure deduplication: one exposure event per user, experiment and variation.
//!
//! An experiment's variation may be applied on every page view; analysis needs the first
//! exposure only. [`Exposures`] remembers which were sent (bounded, oldest forgotten first)
//! and is persisted by the shell alongside the profile.

use std::collections::VecDeque;

use crate::rules::experiment::Assignment;
use crate::rules::js;
use crate::value::Value;

/// How many exposures are remembered.
pub const MAX_EXPOSURES: usize = 1_000;

/// The exposures already sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Exposures {
    sent: VecDeque<String>,
}

fn key(experiment: &str, assignment: &Assignment) -> String {
    let mut key = String::new();
    for part in [
        experiment,
        &assignment.hash_attribute,
        &js::to_js_string(&assignment.hash_value),
        &assignment.key,
    ] {
        key.push_str(part);
        key.push('\u{1f}');
    }
    key
}

impl Exposures {
    /// True the first time this user is exposed to this variation of `experiment` (and
    /// remembers it); false afterwards, and for users not in the experiment.
    pub fn first(&mut self, experiment: &str, assignment: &Assignment) -> bool {
        if !assignment.in_experiment {
            return false;
        }
        self.first_key(key(experiment, assignment))
    }

    /// True the first time `key` is seen (and remembers it); false afterwards. For callers
    /// that name their exposures themselves, such as on-page experiments.
    pub fn first_key(&mut self, key: String) -> bool {
        if self.sent.contains(&key) {
            return false;
        }
        self.sent.push_back(key);
        if self.sent.len() > MAX_EXPOSURES {
            self.sent.pop_front();
        }
        true
    }

    /// The stored form: a JSON array of keys, oldest first.
    #[must_use]
    pub fn to_json(&self) -> Value {
        Value::Array(self.sent.iter().cloned().map(Value::String).collect())
    }

    /// Reads the stored form; anything unreadable is forgotten.
    #[must_use]
    pub fn from_json(json: &Value) -> Exposures {
        let Value::Array(items) = json else {
            return Exposures::default();
        };
        let mut sent: VecDeque<String> = items
            .iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s.clone()),
                _ => None,
            })
            .collect();
        while sent.len() > MAX_EXPOSURES {
            sent.pop_front();
        }
        Exposures { sent }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::feature::{Evaluator, Feature};
    use crate::rules::platform::Regress;
    use crate::rules::{SavedGroups, Targeting};

    fn features(json: &str) -> crate::rules::Features {
        let groups = SavedGroups::new();
        let targeting = Targeting {
            platform: &Regress,
            saved_groups: &groups,
        };
        let mut diagnostics = Vec::new();
        let features = Feature::all_from_json(
            &serde_json::from_str(json).unwrap(),
            "/features",
            &targeting,
            &mut diagnostics,
        );
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        features
    }

    fn user(id: &str) -> Value {
        serde_json::from_str(&format!(r#"{{"id": "{id}"}}"#)).unwrap()
    }

    const CHECKOUT: &str = r#"{
        "holdout": {"defaultValue": false, "rules": [{"key": "holdout-q4", "variations": [false, true], "coverage": 0.1, "weights": [0, 1], "hashVersion": 2}]},
        "checkout": {"defaultValue": "old", "rules": [
            {"key": "checkout-test", "variations": ["old", "new"], "hashVersion": 2,
             "parentConditions": [{"id": "holdout", "condition": {"value": false}}]}
        ]}
    }"#;

    #[test]
    fn an_exposure_is_sent_once_per_user_experiment_and_variation() {
        let features = features(CHECKOUT);
        let attributes = user("u-1");
        let mut exposures = Exposures::default();
        let mut sent = 0;
        for _ in 0..5 {
            let result = Evaluator::new(&attributes, &features).feature("checkout");
            if let Some(assignment) = &result.assignment {
                sent += usize::from(exposures.first("checkout-test", assignment));
            }
        }
        assert_eq!(sent, 1);
        assert_eq!(Exposures::from_json(&exposures.to_json()), exposures);
    }

    #[test]
    fn a_holdout_keeps_its_users_out_of_experiments() {
        let features = features(CHECKOUT);
        let (mut held, mut tested) = (0, 0);
        for i in 0..2_000 {
            let attributes = user(&format!("u-{i}"));
            let mut evaluator = Evaluator::new(&attributes, &features);
            let in_holdout = evaluator.feature("holdout").value == Value::Bool(true);
            let checkout = evaluator.feature("checkout");
            if in_holdout {
                held += 1;
                assert!(
                    checkout.assignment.is_none(),
                    "a held-out user was put in the experiment"
                );
            } else {
                tested += usize::from(checkout.assignment.is_some());
            }
        }
        assert!((150..250).contains(&held), "{held} of 2000 held out at 10%");
        assert_eq!(held + tested, 2_000);
    }

    #[test]
    fn qa_can_force_a_variation() {
        let features = features(CHECKOUT);
        // A user outside the holdout, whom the hash puts in the control variation.
        let attributes = (0..100)
            .map(|i| user(&format!("qa-{i}")))
            .find(|a| {
                let mut evaluator = Evaluator::new(a, &features);
                evaluator.feature("holdout").value == Value::Bool(false)
                    && evaluator.feature("checkout").value == Value::from("old")
            })
            .expect("some user is in control");
        let mut evaluator = Evaluator::new(&attributes, &features);
        evaluator
            .forced_variations
            .insert("checkout-test".into(), 1);
        let result = evaluator.feature("checkout");
        assert_eq!(
            (result.value, result.assignment.map(|a| a.hash_used)),
            (Value::from("new"), Some(false))
        );
    }
}
