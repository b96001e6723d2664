//! The decision engine: targeting conditions (GrowthBook's condition language), the
//! hashing and bucketing behind experiments and sampling.
//!
//! Everything here is pure: attributes and time come in as values, and decisions come out.
//!
//! - [`condition`]: compiling and evaluating conditions.
//! - [`js`]: JavaScript's value semantics, which the condition language is defined by.
//! - [`version`]: comparable version strings for `$vgt` and friends.
//! - [`pattern`]: the regex trait (`$regex`), so that each build brings its own engine.
//! - [`bucket`]: GrowthBook-compatible hashing, bucket ranges, namespaces.

pub mod bucket;
pub mod condition;
pub mod js;
pub mod pattern;
pub mod version;

pub use condition::{Condition, SavedGroup, SavedGroups};

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
    /// The JSON pointer of the offending part (`/rules/2/condition/country/$in`).
    pub pointer: String,
    /// What is wrong, for a person.
    pub message: String,
}
