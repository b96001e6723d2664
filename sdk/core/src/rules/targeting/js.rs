//! The pieces of JavaScript's value semantics that GrowthBook's condition language keeps.
//!
//! Since spec 0.12 the language is strictly typed (`5` never equals `"5"`, and `$lt` only
//! orders two numbers or two strings), but three things still come from JavaScript: `===`,
//! strings ordered by UTF-16 code units, and numbers written as `Number.prototype.toString`
//! writes them (a numeric version `1.5` compares as `"1.5"`).

use std::cmp::Ordering;
#[cfg(not(feature = "ryu"))]
use std::sync::OnceLock;

use crate::value::Value;

/// `typeof`, refined as GrowthBook's `$type` does: `"null"` and `"array"` are their own types.
#[must_use]
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// `!!value`.
#[must_use]
pub fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => *n != 0.0 && !n.is_nan(),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// `String(value)`, as hashing sees an attribute: numbers as JavaScript writes them, arrays
/// joined with commas.
#[must_use]
pub fn to_js_string(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => if *b { "true" } else { "false" }.to_owned(),
        Value::Number(n) => number_to_string(*n),
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let mut out = String::new();
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if !matches!(item, Value::Null) {
                    out.push_str(&to_js_string(item));
                }
            }
            out
        }
        Value::Object(_) => "[object Object]".to_owned(),
    }
}

/// `a === b` for JSON values. Arrays and objects are never strictly equal: the two sides of a
/// condition are always different values.
#[must_use]
pub fn strict_equals(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        _ => false,
    }
}

/// Deep equality of JSON values (`JSON.stringify(a) === JSON.stringify(b)`): numbers by value,
/// never equal to booleans or strings; object keys compared as a set, since a JSON object's
/// key order carries no meaning.
#[must_use]
pub fn json_equals(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_equals(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equals(v, w)))
        }
        _ => strict_equals(a, b),
    }
}

/// How a build without the `ryu` feature writes numbers that are not whole: with the
/// platform's own `Number.prototype.toString`, which the browser modules register when they
/// start ([`use_number_formatter`]). The browser already has the shortest round-trip
/// algorithm; linking ryu as well cost the runtime 1.8 KiB gzipped.
#[cfg(not(feature = "ryu"))]
static FORMATTER: OnceLock<fn(f64) -> String> = OnceLock::new();

/// Registers the platform's `Number.prototype.toString` for numbers that are not whole (in
/// builds without the `ryu` feature; a no-op with it). The first registration stays.
pub fn use_number_formatter(formatter: fn(f64) -> String) {
    #[cfg(not(feature = "ryu"))]
    let _ = FORMATTER.set(formatter);
    #[cfg(feature = "ryu")]
    let _ = formatter;
}

/// Number::toString(10), exactly as JavaScript writes numbers: `1e+21`, `1.5e-7`, `0.000001`,
/// `123`, `-0` as `0`.
#[must_use]
pub fn number_to_string(n: f64) -> String {
    if n.is_nan() {
        return "NaN".to_owned();
    }
    if n.is_infinite() {
        return if n > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    if n == 0.0 {
        return "0".to_owned();
    }
    // Whole numbers below 2^53 (counts, times, indexes: most of what is written) digit by
    // digit.
    if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
        let mut out = String::with_capacity(17);
        if n < 0.0 {
            out.push('-');
        }
        push_decimal(&mut out, n.abs() as u64);
        return out;
    }
    shortest(n)
}

#[cfg(not(feature = "ryu"))]
fn shortest(n: f64) -> String {
    match FORMATTER.get() {
        Some(format) => format(n),
        // Unreachable in the browser modules, which register the formatter first; a build
        // that forgets gets the whole part and nine decimals rather than nothing.
        None => {
            let mut out = String::new();
            if n < 0.0 {
                out.push('-');
            }
            let n = n.abs();
            push_decimal(&mut out, n.trunc() as u64);
            out.push('.');
            let fraction = ((n.fract() * 1e9).round() as u64).min(999_999_999);
            let mut digits = String::new();
            push_decimal(&mut digits, fraction);
            out.extend(std::iter::repeat_n('0', 9 - digits.len()));
            out.push_str(digits.trim_end_matches('0'));
            out
        }
    }
}

#[cfg(feature = "ryu")]
fn shortest(n: f64) -> String {
    let mut buffer = ryu::Buffer::new();
    let shortest = buffer.format_finite(n.abs());
    // ryu writes the shortest round-trip digits as `1.5e-7` or `123.0`; take the digits and
    // where the decimal point falls, then lay them out by ECMAScript's Number::toString rules.
    let (mantissa, exponent) = match shortest.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (shortest, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits: String = int_part.chars().chain(frac_part.chars()).collect();
    let mut point = int_part.len() as i32 + exponent;
    let leading = digits.len() - digits.trim_start_matches('0').len();
    digits.drain(..leading);
    point -= leading as i32;
    digits.truncate(digits.trim_end_matches('0').len());

    let k = digits.len() as i32;
    let mut out = String::with_capacity(24);
    if n < 0.0 {
        out.push('-');
    }
    if k <= point && point <= 21 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (point - k) as usize));
    } else if 0 < point && point <= 21 {
        out.push_str(&digits[..point as usize]);
        out.push('.');
        out.push_str(&digits[point as usize..]);
    } else if -6 < point && point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-point) as usize));
        out.push_str(&digits);
    } else {
        let e = point - 1;
        out.push_str(&digits[..1]);
        if k > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if e < 0 { '-' } else { '+' });
        push_decimal(&mut out, u64::from(e.unsigned_abs()));
    }
    out
}

fn push_decimal(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in digits[..len].iter().rev() {
        out.push(char::from(d));
    }
}

/// Compares two strings as JavaScript does: by UTF-16 code units.
#[must_use]
pub fn compare_strings(a: &str, b: &str) -> Ordering {
    // UTF-8 byte order is code point order, which is UTF-16 order for ASCII.
    if a.is_ascii() && b.is_ascii() {
        return a.as_bytes().cmp(b.as_bytes());
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_as_javascript_prints_them() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (-1.5, "-1.5"),
            (0.1 + 0.2, "0.30000000000000004"),
            (123_456_789_012.0, "123456789012"),
            (1e21, "1e+21"),
            (1.5e21, "1.5e+21"),
            (1e20, "100000000000000000000"),
            (0.000_001, "0.000001"),
            (1e-7, "1e-7"),
            (1.5e-7, "1.5e-7"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (n, expected) in cases {
            assert_eq!(number_to_string(*n), *expected, "{n:e}");
        }
    }

    #[test]
    fn strings_order_by_utf16_code_units() {
        // U+FF61 is one code unit above the surrogates that start U+1F600, so JavaScript
        // orders it after, where code point order would put it before.
        assert_eq!(compare_strings("\u{ff61}", "\u{1f600}"), Ordering::Greater);
        assert_eq!(compare_strings("10", "9"), Ordering::Less);
    }

    #[test]
    fn equality_is_strict_and_deep_equality_ignores_key_order() {
        assert!(!strict_equals(&Value::Number(5.0), &Value::from("5")));
        let a: Value = Value::Object([("x", Value::Number(1.0)), ("y", Value::Bool(true))].into());
        let b: Value = Value::Object([("y", Value::Bool(true)), ("x", Value::Number(1.0))].into());
        assert!(json_equals(&a, &b) && !strict_equals(&a, &b));
    }
}
