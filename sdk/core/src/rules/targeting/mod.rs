//! Targeting: who an experience or a feature is for, and which variant they get.
//!
//! - [`condition`]: compiling and evaluating GrowthBook's condition language.
//! - [`js`]: JavaScript's value semantics, which the condition language is defined by.
//! - [`version`]: comparable version strings for `$vgt` and friends.
//! - [`platform`]: what conditions need from the platform (regular expressions for `$regex`,
//!   lower-casing), so that each build brings its own engine.
//! - [`bucket`]: GrowthBook-compatible hashing, bucket ranges, namespaces.
//! - [`experiment`]: experiments and their assignment, sticky buckets.
//! - [`exposure`]: one exposure event per user, experiment and variation.
//! - [`feature`]: GrowthBook's feature model (force rules, rollouts, experiment rules,
//!   prerequisites) and the [`Evaluator`](feature::Evaluator) that runs features and
//!   experiments for one user.

pub mod bucket;
pub mod condition;
pub mod experiment;
pub mod exposure;
pub mod feature;
pub mod js;
pub mod platform;
pub mod version;
