//! Version strings made comparable as plain strings, as GrowthBook's `$veq`…`$vlte` do:
//! `v1.2.3-rc.1+build` becomes `    1-    2-    3-rc-    1`, and a release without a
//! pre-release tag gets a final `~`, which sorts after any tag, so `1.0.0` > `1.0.0-beta`.

use crate::rules::js;
use crate::value::Value;

/// Writes the padded form of a version, piece by piece, to `emit`.
fn pad(text: &str, mut emit: impl FnMut(&str)) {
    let text = if text.is_empty() { "0" } else { text };
    let text = text.strip_prefix('v').unwrap_or(text);
    let text = text.split_once('+').map_or(text, |(before, _)| before);
    let mut parts = 0;
    for (i, part) in text.split(['-', '.']).enumerate() {
        if i > 0 {
            emit("-");
        }
        if !part.is_empty() && part.len() < 5 && part.bytes().all(|b| b.is_ascii_digit()) {
            emit(&"    "[..5 - part.len()]);
        }
        emit(part);
        parts += 1;
    }
    if parts == 3 {
        emit("-~");
    }
}

fn text_of(input: &Value) -> std::borrow::Cow<'_, str> {
    match input {
        Value::Number(n) => std::borrow::Cow::Owned(js::number_to_string(*n)),
        Value::String(s) => std::borrow::Cow::Borrowed(s.as_str()),
        _ => std::borrow::Cow::Borrowed("0"),
    }
}

/// The padded, comparable form of a version.
#[must_use]
pub fn padded_version(input: &Value) -> String {
    let mut out = String::new();
    pad(&text_of(input), |piece| out.push_str(piece));
    out
}

/// Compares a version with an already padded one, as JavaScript compares the padded strings.
#[must_use]
pub fn compare_with_padded(input: &Value, padded: &str) -> std::cmp::Ordering {
    // The padded form of the attribute is built anew each time: on the stack it needed a
    // UTF-8 check that cost the wasm 660 B raw, and version conditions are rare.
    js::compare_strings(&padded_version(input), padded)
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
        check("1.2.3.4", "    1-    2-    3-    4");
        check("123456.1.2", "123456-    1-    2-~");
        assert!(padded_version(&Value::from("1.0.0")) > padded_version(&Value::from("1.0.0-beta")));
        assert!(padded_version(&Value::from("1.10.0")) > padded_version(&Value::from("1.9.0")));
        let padded = padded_version(&Value::from("2.1.0"));
        assert!(compare_with_padded(&Value::from("2.10.0"), &padded).is_gt());
        assert!(compare_with_padded(&Value::from("v2.1.0+build"), &padded).is_eq());
    }
}
