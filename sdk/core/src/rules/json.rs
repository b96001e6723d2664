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
