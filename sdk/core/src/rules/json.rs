//! Lenient reading of configuration JSON: a field of the wrong type reads as absent, and the
//! caller decides whether that deserves a diagnostic.

use crate::value::{Properties, Value};

/// Field access on a JSON object.
pub trait Fields {
    /// The field, if this is an object that has it.
    fn field(&self, name: &str) -> Option<&Value>;
    /// A string field.
    fn str_field(&self, name: &str) -> Option<&str> {
        match self.field(name) {
            Some(Value::String(s)) => Some(s),
            _ => None,
        }
    }
    /// A non-empty string field, owned.
    fn text_field(&self, name: &str) -> Option<String> {
        self.str_field(name)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    }

    /// A version-like number field where absent or 0 means `default` (GrowthBook's
    /// `hashVersion || 1`). Any other value that is not a positive whole number is kept as an
    /// unknown version (`u32::MAX`), which hashes to nothing, as it does in GrowthBook.
    fn version_field(&self, name: &str, default: u32) -> u32 {
        match self.num_field(name) {
            None | Some(0.0) => default,
            Some(v) if v.is_finite() && v > 0.0 && v.fract() == 0.0 && v <= f64::from(u32::MAX) => {
                v as u32
            }
            Some(_) => u32::MAX,
        }
    }

    /// A number field.
    fn num_field(&self, name: &str) -> Option<f64> {
        match self.field(name) {
            Some(Value::Number(n)) => Some(*n),
            _ => None,
        }
    }
    /// A boolean field.
    fn bool_field(&self, name: &str) -> Option<bool> {
        match self.field(name) {
            Some(Value::Bool(b)) => Some(*b),
            _ => None,
        }
    }
    /// An array field.
    fn array_field(&self, name: &str) -> Option<&[Value]> {
        match self.field(name) {
            Some(Value::Array(items)) => Some(items),
            _ => None,
        }
    }
    /// An object field.
    fn object_field(&self, name: &str) -> Option<&Properties> {
        match self.field(name) {
            Some(Value::Object(map)) => Some(map),
            _ => None,
        }
    }
}

impl Fields for Value {
    fn field(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Object(map) => map.get(name),
            _ => None,
        }
    }
}

impl Fields for Properties {
    fn field(&self, name: &str) -> Option<&Value> {
        self.get(name)
    }
}

/// A `[start, end)` pair of numbers.
#[must_use]
pub fn range(value: &Value) -> Option<(f64, f64)> {
    match value {
        Value::Array(pair) => match pair.as_slice() {
            [Value::Number(a), Value::Number(b)] => Some((*a, *b)),
            _ => None,
        },
        _ => None,
    }
}

/// An array of `[start, end)` pairs; `None` if any element is not one.
#[must_use]
pub fn ranges(value: &Value) -> Option<Vec<(f64, f64)>> {
    match value {
        Value::Array(items) => items.iter().map(range).collect(),
        _ => None,
    }
}

/// An array of numbers; `None` if any element is not one.
#[must_use]
pub fn numbers(value: &Value) -> Option<Vec<f64>> {
    match value {
        Value::Array(items) => items
            .iter()
            .map(|v| match v {
                Value::Number(n) => Some(*n),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::Fields;
    use crate::value::Value;

    #[test]
    fn a_version_field_defaults_when_absent_or_zero_and_keeps_anything_else_unknown() {
        let version = |json: &str| {
            serde_json::from_str::<Value>(json)
                .unwrap()
                .version_field("v", 1)
        };
        assert_eq!(
            (
                version("{}"),
                version(r#"{"v": 0}"#),
                version(r#"{"v": 2}"#)
            ),
            (1, 1, 2)
        );
        assert_eq!(
            (version(r#"{"v": -1}"#), version(r#"{"v": 1.5}"#)),
            (u32::MAX, u32::MAX)
        );
        assert_eq!(version(r#"{"v": "2"}"#), 1, "a non-number reads as absent");
    }
}
