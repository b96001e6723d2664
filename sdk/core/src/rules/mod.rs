//! The decision engine, by concern:
//!
//! - [`targeting`]: who an experience or feature is for: GrowthBook's condition language
//!   ([`condition`], with JavaScript's value semantics in [`js`], comparable versions in
//!   [`version`] and the platform's regular expressions in [`platform`]), hashing and
//!   bucketing ([`bucket`]), experiments and sticky buckets ([`experiment`]), exposures
//!   ([`exposure`]) and GrowthBook's feature model ([`feature`]).
//! - [`profile`]: the on-device behaviour profile and its scores, exposed as `behavior.*`.
//! - [`experiences`]: what shows: [`arbitration`] between every tour, survey and content
//!   change, and the models of each: [`content`] changes and on-page experiments, [`survey`]
//!   and [`tour`] definitions and runs, with [`placement`], the safe [`markdown`] subset,
//!   translations ([`locale`]), themes ([`theme`]) and the [`selector`]s they all target.
//! - [`config`]: [`RuleSet`], a project's rules compiled in one go when a config loads.
//! - [`json`]: lenient reading of configuration JSON.
//!
//! Everything here is pure: attributes and time come in as values, and decisions come out.

pub mod config;
pub mod experiences;
pub mod json;
pub mod profile;
pub mod targeting;

// The concerns' modules by their own names too (`rules::condition`, `rules::survey`), so
// that a reader who knows the module need not know its folder.
pub use experiences::{
    arbitration, content, locale, markdown, placement, selector, survey, theme, tour,
};
pub use targeting::{bucket, condition, experiment, exposure, feature, js, platform, version};

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

/// A diagnostic's message, for a person: `format!` when the `messages` feature is on (the
/// collector, which shows them to authors), and an empty string otherwise (the browser
/// modules, which read configs the collector has already checked: neither the text nor its
/// formatting is linked into the wasm).
macro_rules! msg {
    ($($arg:tt)*) => {
        if cfg!(feature = "messages") {
            format!($($arg)*)
        } else {
            String::new()
        }
    };
}
pub(crate) use msg;

/// A diagnostic's message from literal text: the text when the `messages` feature is on,
/// empty otherwise (see [`msg!`]).
#[inline(always)]
pub(crate) fn message(text: &str) -> String {
    if cfg!(feature = "messages") {
        text.to_owned()
    } else {
        String::new()
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
