//! Version strings made comparable as plain strings, as GrowthBook's `$veq`…`$vlte` do:
//! `v1.2.3-rc.1+build` becomes `    1-    2-    3-rc-    1`, and a release without a
//! pre-release tag gets a final `~`, which sorts after any tag, so `1.0.0` > `1.0.0-beta`.

use super::js;
use crate::value::Value;

/// The padded, comparable form of a version.
#[must_use]
pub fn padded_version(input: &Value) -> String {
    let text = match input {
        Value::Number(n) => js::number_to_string(*n),
        Value::String(s) if !s.is_empty() => s.clone(),
        _ => "0".to_owned(),
    };
    let text = text.strip_prefix('v').unwrap_or(&text);
    let text = text.split_once('+').map_or(text, |(before, _)| before);
    let mut parts: Vec<&str> = text.split(['-', '.']).collect();
    if parts.len() == 3 {
        parts.push("~");
    }
    let mut out = String::with_capacity(parts.len() * 6);
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push('-');
        }
        if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
            out.extend(std::iter::repeat_n(' ', 5usize.saturating_sub(part.len())));
        }
        out.push_str(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: &str) {
        assert_eq!(padded_version(&Value::from(input)), expected, "{input}");
    }

    #[test]
    fn releases_sort_after_their_pre_releases() {
        check("1.2.3", "    1-    2-    3-~");
        check("v1.2.3-rc.1+build.5", "    1-    2-    3-rc-    1");
        check("", "    0");
        assert!(padded_version(&Value::from("1.0.0")) > padded_version(&Value::from("1.0.0-beta")));
        assert!(padded_version(&Value::from("1.10.0")) > padded_version(&Value::from("1.9.0")));
    }
}
