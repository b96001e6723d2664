//! Console diagnostics: `[waymark] <message>`, never an exception.

use wasm_bindgen::JsValue;

/// The prefix of every message the SDK writes to the console.
pub const PREFIX: &str = "[waymark]";

/// A console warning: `[waymark] <message>`.
pub fn warn(message: &str) {
    web_sys::console::warn_2(&JsValue::from_str(PREFIX), &JsValue::from_str(message));
}

/// A console warning with a detail value (a status code, an error tag).
pub fn warn_with(message: &str, detail: &JsValue) {
    web_sys::console::warn_3(
        &JsValue::from_str(PREFIX),
        &JsValue::from_str(message),
        detail,
    );
}
