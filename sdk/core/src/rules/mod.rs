//! The decision engine: targeting conditions (GrowthBook's condition language), the
//! hashing and bucketing behind experiments and sampling.
//!
//! Everything here is pure: attributes and time come in as values, and decisions come out.
//!
//! - [`config`]: [`RuleSet`], a project's rules compiled in one go when a config loads.
//! - [`condition`]: compiling and evaluating conditions.
//! - [`js`]: JavaScript's value semantics, which the condition language is defined by.
//! - [`version`]: comparable version strings for `$vgt` and friends.
//! - [`platform`]: what conditions need from the platform (regular expressions for `$regex`,
//!   lower-casing), so that each build brings its own engine.
//! - [`content`]: what content experiences change on the page, and on-page experiments.
//! - [`survey`]: what a survey asks, and the run a renderer drives through it.
//! - [`tour`]: a tour's steps, and a user's progress through them across pages.
//! - [`markdown`]: the safe markdown subset of tour step bodies.
//! - [`placement`]: where a tour step goes beside its target.
//! - [`locale`]: translated text, and which translation a user gets.
//! - [`theme`]: a tour's or survey's theme as checked CSS custom properties.
//! - [`arbitration`]: which tour, survey or content change shows now, and why the others do not.
//! - [`bucket`]: GrowthBook-compatible hashing, bucket ranges, namespaces.
//! - [`experiment`]: experiments and their assignment, sticky buckets.
//! - [`exposure`]: one exposure event per user, experiment and variation.
//! - [`feature`]: GrowthBook's feature model (force rules, rollouts, experiment rules,
//!   prerequisites) and the [`Evaluator`] that runs features and experiments for one user.
//! - [`json`]: lenient reading of configuration JSON.
//! - [`profile`]: the on-device behaviour profile and its scores, exposed as `behavior.*`.

pub mod arbitration;
pub mod bucket;
pub mod condition;
pub mod config;
pub mod content;
pub mod experiment;
pub mod exposure;
pub mod feature;
pub mod js;
pub mod json;
pub mod locale;
pub mod markdown;
pub mod placement;
pub mod platform;
pub mod profile;
pub mod survey;
pub mod theme;
pub mod tour;
pub mod version;

pub use condition::{Condition, SavedGroup, SavedGroups};
pub use config::RuleSet;
pub use experiment::{Assignment, Experiment, StickyBuckets, StickyDoc};
pub use feature::{Evaluator, Feature, FeatureResult, Features};

use platform::Platform;

/// What conditions are compiled against: the regex engine of this build and the project's
/// saved groups.
#[derive(Clone, Copy)]
pub struct Targeting<'a> {
    /// Regular expressions and lower-casing.
    pub platform: &'static dyn Platform,
    /// Saved groups that conditions may refer to.
    pub saved_groups: &'a SavedGroups,
}

impl std::fmt::Debug for Targeting<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Targeting")
            .field("saved_groups", &self.saved_groups.len())
            .finish_non_exhaustive()
    }
}

impl Targeting<'_> {
    /// Compiles a condition, adding its diagnostics to `diagnostics`.
    pub fn condition(
        &self,
        json: &crate::Value,
        at: &str,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Condition {
        let (condition, found) = Condition::compile(json, at, self.platform, self.saved_groups);
        diagnostics.extend(found);
        condition
    }
}

/// Appends one reference token to a JSON pointer (RFC 6901).
#[must_use]
pub fn pointer(base: &str, token: &str) -> String {
    let mut out = String::with_capacity(base.len() + token.len() + 1);
    out.push_str(base);
    out.push('/');
    for c in token.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
    out
}

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The part does not work as written: a rule with an error is disabled.
    Error,
    /// The part works, but probably not as meant.
    Warning,
}

/// A problem found while compiling configuration, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A stable, machine-readable code (`unknown_operator`).
    pub code: &'static str,
    /// The feature or experience the problem is in (empty where there is none).
    pub subject: String,
    /// The JSON pointer of the offending part (`/rules/2/condition/country/$in`).
    pub pointer: String,
    /// What is wrong, for a person.
    pub message: String,
}
