//! The JSON data model of event properties and user traits.
//!
//! The browser build carries no `serde_json` (the browser has `JSON` already), so the core
//! has its own small value type. Numbers are `f64`, exactly as in JavaScript: what a page
//! can express is what the SDK can carry.

use std::fmt;

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Event properties or user traits: a JSON object, keys in the order given.
pub type Properties = crate::map::Map<Value>;

/// Any JSON value.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Value {
    /// `null` (and JavaScript's `undefined`).
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number. Non-finite numbers serialize as `null`, as `JSON.stringify` does.
    Number(f64),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object.
    Object(Properties),
}

/// The largest integer a `f64` holds exactly (2^53).
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_992.0;

impl Value {
    /// An upper-bound estimate of this value's length as JSON, in bytes.
    ///
    /// Batching needs sizes on every event, and serializing each event just to measure it
    /// would double the work. The estimate never undercounts ASCII text by more than the
    /// escapes it assumes, and overcounts numbers, so batches stay under transport limits.
    #[must_use]
    pub fn approx_json_len(&self) -> usize {
        match self {
            Value::Null => 4,
            Value::Bool(_) => 5,
            Value::Number(_) => 24,
            Value::String(s) => approx_string_len(s),
            Value::Array(items) => 2 + items.iter().map(|v| v.approx_json_len() + 1).sum::<usize>(),
            Value::Object(map) => approx_object_len(map),
        }
    }
}

/// The estimated JSON length of a string, quotes and escapes included.
#[must_use]
pub fn approx_string_len(s: &str) -> usize {
    // Control characters become `\u00XX` (6 bytes); quotes and backslashes two.
    let escapes: usize = s
        .bytes()
        .map(|b| match b {
            b'"' | b'\\' => 1,
            0..=0x1f => 5,
            _ => 0,
        })
        .sum();
    2 + s.len() + escapes
}

/// The estimated JSON length of an object.
#[must_use]
pub fn approx_object_len(map: &Properties) -> usize {
    2 + map
        .iter()
        .map(|(k, v)| approx_string_len(k) + 1 + v.approx_json_len() + 1)
        .sum::<usize>()
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Value::Number(n)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            // Whole numbers go out as integers so that `3` stays `3` through the collector's
            // JSON rather than becoming `3.0`.
            Value::Number(n) if n.fract() == 0.0 && n.abs() <= MAX_SAFE_INTEGER => {
                serializer.serialize_i64(*n as i64)
            }
            Value::Number(n) if n.is_finite() => serializer.serialize_f64(*n),
            Value::Number(_) => serializer.serialize_unit(),
            Value::String(s) => serializer.serialize_str(s),
            Value::Array(items) => serializer.collect_seq(items),
            Value::Object(map) => serializer.collect_map(map),
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        Deserialize::deserialize(deserializer)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(n as f64))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(n as f64))
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Value, E> {
        Ok(Value::Number(n))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Properties::with_capacity(map.size_hint().unwrap_or(0).min(256));
        while let Some((key, value)) = map.next_entry::<String, Value>()? {
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(json: &str, expected_out: &str) {
        let value: Value = serde_json::from_str(json).expect("valid JSON");
        assert_eq!(
            serde_json::to_string(&value).expect("serializes"),
            expected_out
        );
        assert!(
            value.approx_json_len() >= expected_out.len(),
            "estimate undercounts {json}"
        );
    }

    #[test]
    fn json_round_trips_in_key_order_with_integers_kept_integral() {
        check(
            r#"{"b":[1,2.5,-3],"a":"x","n":null,"t":true}"#,
            r#"{"b":[1,2.5,-3],"a":"x","n":null,"t":true}"#,
        );
        check("9007199254740993", "9007199254740992");
        check(r#""quote \" and \\ and \n""#, r#""quote \" and \\ and \n""#);
    }

    #[test]
    fn non_finite_numbers_serialize_as_null_like_json_stringify() {
        assert_eq!(
            serde_json::to_string(&Value::Number(f64::NAN)).unwrap(),
            "null"
        );
        assert_eq!(
            serde_json::to_string(&Value::Number(f64::INFINITY)).unwrap(),
            "null"
        );
    }
}
