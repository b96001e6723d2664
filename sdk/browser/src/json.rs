//! JavaScript values to [`Value`] and back.
//!
//! Values from a page go through `JSON.parse(JSON.stringify(value))` first, so that what
//! is read is exactly what JSON can carry: dates become ISO strings, functions and
//! `undefined` disappear, and cycles or `BigInt`s give a clear error instead of a crash.

use wasm_bindgen::{JsCast, JsValue};
use waymark_core::{Properties, Value};

/// How deeply values may nest. Deeper values are refused rather than risking the wasm
/// stack on a pathological object.
pub const MAX_DEPTH: usize = 32;

/// Converts a value fresh from `JSON.parse` (so: null, booleans, finite numbers, strings,
/// arrays and plain objects only). `None` if it nests deeper than [`MAX_DEPTH`].
pub fn json_value(value: &JsValue, depth: usize) -> Option<Value> {
    if depth > MAX_DEPTH {
        return None;
    }
    if let Some(b) = value.as_bool() {
        return Some(Value::Bool(b));
    }
    if let Some(n) = value.as_f64() {
        return Some(Value::Number(n));
    }
    if let Some(s) = value.as_string() {
        return Some(Value::String(s));
    }
    if let Some(array) = value.dyn_ref::<js_sys::Array>() {
        let mut items = Vec::with_capacity(array.length() as usize);
        for item in array.iter() {
            items.push(json_value(&item, depth + 1)?);
        }
        return Some(Value::Array(items));
    }
    if let Some(object) = value.dyn_ref::<js_sys::Object>() {
        let mut map = Properties::new();
        for entry in js_sys::Object::entries(object).iter() {
            let key = js_sys::Reflect::get_u32(&entry, 0)
                .ok()
                .and_then(|k| k.as_string());
            let item = js_sys::Reflect::get_u32(&entry, 1).unwrap_or(JsValue::NULL);
            if let Some(key) = key {
                map.insert(key, json_value(&item, depth + 1)?);
            }
        }
        return Some(Value::Object(map));
    }
    Some(Value::Null)
}

/// Any JSON-compatible value (a condition, attributes): `undefined` reads as `null`.
pub fn json(value: &JsValue) -> Result<Value, &'static str> {
    if value.is_undefined() {
        return Ok(Value::Null);
    }
    let text = js_sys::JSON::stringify(value)
        .map_err(|_| "the value could not be converted to JSON (a cycle or a BigInt?)")?;
    let plain = js_sys::JSON::parse(&String::from(text))
        .map_err(|_| "the value could not be converted to JSON")?;
    json_value(&plain, 0).ok_or("the value nests deeper than 32 levels")
}

/// Parses a JSON string with `JSON.parse` into a [`Value`].
pub fn value_from_json(json: &str) -> Option<Value> {
    let js = js_sys::JSON::parse(json).ok()?;
    json_value(&js, 0)
}

/// A value written by `waymark_core::encode`, as a plain JavaScript value.
pub fn to_js(json: &str) -> JsValue {
    js_sys::JSON::parse(json).unwrap_or(JsValue::NULL)
}

/// Has `waymark-core` write numbers that are not whole with the browser's own
/// `Number.prototype.toString` (the core leaves its native algorithm out of the wasm). Both
/// browser modules call this before they write any JSON.
pub fn use_browser_numbers() {
    waymark_core::rules::js::use_number_formatter(|n| {
        js_sys::Number::from(n)
            .to_string_with_radix(10)
            .ok()
            .map(String::from)
            .unwrap_or_default()
    });
}
