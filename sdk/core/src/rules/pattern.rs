//! Regular expressions for `$regex`, with JavaScript's semantics, behind a trait so that the
//! core stays free of any engine: the browser SDK passes the browser's own `RegExp`, and
//! native code (the collector, tests) uses the `regress` crate, an ECMAScript engine.

/// A compiled regular expression.
pub trait Pattern {
    /// `RegExp.prototype.test`: whether the pattern matches anywhere in `haystack`.
    fn test(&self, haystack: &str) -> bool;
}

/// Compiles regular expressions.
pub trait PatternCompiler {
    /// Compiles `source` (JavaScript `RegExp` syntax), case-insensitively if asked. The error
    /// is the engine's explanation, for a diagnostic.
    fn compile(&self, source: &str, ignore_case: bool) -> Result<Box<dyn Pattern>, String>;
}

/// A compiler for builds without a regex engine: every pattern is reported as unavailable,
/// and its condition does not match.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoPatterns;

impl PatternCompiler for NoPatterns {
    fn compile(&self, _source: &str, _ignore_case: bool) -> Result<Box<dyn Pattern>, String> {
        Err("this build has no regular expression engine".to_owned())
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
impl PatternCompiler for Regress {
    fn compile(&self, source: &str, ignore_case: bool) -> Result<Box<dyn Pattern>, String> {
        let flags = if ignore_case { "i" } else { "" };
        regress::Regex::with_flags(source, flags)
            .map(|regex| Box::new(regex) as Box<dyn Pattern>)
            .map_err(|error| error.to_string())
    }
}
