//! What the engine asks of the platform it runs on: regular expressions for `$regex` with
//! JavaScript's semantics, and Unicode lower-casing for the case-insensitive operators.
//!
//! Behind a trait, the core stays free of both: the browser SDK passes the browser's own
//! `RegExp` and `toLowerCase` (so neither a regex engine nor Rust's Unicode case tables
//! ship in the wasm), and native code (the collector, tests) uses the `regress` crate, an
//! ECMAScript engine, and Rust's `str::to_lowercase`.

/// A compiled regular expression.
pub trait Pattern {
    /// `RegExp.prototype.test`: whether the pattern matches anywhere in `haystack`.
    fn test(&self, haystack: &str) -> bool;
}

/// Regular expressions and lower-casing, as the platform provides them.
pub trait Platform {
    /// Compiles `source` (JavaScript `RegExp` syntax), case-insensitively if asked. The error
    /// is the engine's explanation, for a diagnostic.
    fn compile(&self, source: &str, ignore_case: bool) -> Result<Box<dyn Pattern>, String>;

    /// `String.prototype.toLowerCase`.
    fn lowercase(&self, text: &str) -> String;
}

/// A platform without a regex engine: every pattern is reported as unavailable, and its
/// condition does not match. It lower-cases ASCII only: it serves conditions that compare
/// nothing (`Condition::always`), and a full Unicode lower-casing here would link Rust's
/// case tables (14 KB) into the browser build, which takes its lower-casing from the browser.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoPatterns;

impl Platform for NoPatterns {
    fn compile(&self, _source: &str, _ignore_case: bool) -> Result<Box<dyn Pattern>, String> {
        Err("this build has no regular expression engine".to_owned())
    }

    fn lowercase(&self, text: &str) -> String {
        text.to_ascii_lowercase()
    }
}

/// The `regress` ECMAScript engine.
#[cfg(feature = "regress")]
#[derive(Debug, Clone, Copy, Default)]
pub struct Regress;

#[cfg(feature = "regress")]
impl Pattern for regress::Regex {
    fn test(&self, haystack: &str) -> bool {
        self.find(haystack).is_some()
    }
}

#[cfg(feature = "regress")]
impl Platform for Regress {
    fn compile(&self, source: &str, ignore_case: bool) -> Result<Box<dyn Pattern>, String> {
        let flags = if ignore_case { "i" } else { "" };
        regress::Regex::with_flags(source, flags)
            .map(|regex| Box::new(regex) as Box<dyn Pattern>)
            .map_err(|error| error.to_string())
    }

    fn lowercase(&self, text: &str) -> String {
        text.to_lowercase()
    }
}
