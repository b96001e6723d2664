//! The only module that converts between `JsValue`s and Rust types. Everything else in the
//! crate speaks Rust types.
//!
//! Reading goes by hand through `js_sys` rather than serde: serde's deserialization errors
//! would bring float formatting and `core::fmt` into the wasm for messages nobody reads.
//! Writing JSON is `waymark_core::encode`'s job: straight to a string, no serde.
//!
//! Values from the page go through `JSON.parse(JSON.stringify(value))` first, so that the
//! SDK records exactly what JSON can carry: dates become ISO strings, functions and
//! `undefined` disappear, and cycles or `BigInt`s give a clear error instead of a crash.

use wasm_bindgen::{JsCast, JsValue};
use waymark_core::privacy::{Allow, Consent};
use waymark_core::{Millis, Properties, Session, Value};

use crate::outbox::Outbox;
use crate::stage::Stage;

use waymark_browser::json::json_value;
pub use waymark_browser::json::{to_js, value_from_json};

/// The options the loader passes to `Waymark.start`.
#[derive(Debug, Clone)]
pub struct StartOptions {
    /// The project id (`data-project`).
    pub project: String,
    /// Consent until the page says otherwise (`data-consent`, default granted).
    pub consent: Consent,
    /// Treat Do-Not-Track and Global Privacy Control as consent denied
    /// (`data-honor-privacy-signals`).
    pub honor_privacy_signals: bool,
    /// Personal data let through unmasked (`data-allow-emails`, `data-allow-card-numbers`).
    pub allow: Allow,
    /// The outbox the events go to (`outbox.js`, passed by `load()`).
    pub outbox: Outbox,
    /// The page side of experiences (`index.js`, passed by `load()`).
    pub stage: Stage,
}

fn field(object: &JsValue, name: &str) -> JsValue {
    js_sys::Reflect::get(object, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

fn string_field(object: &JsValue, name: &str) -> Option<String> {
    field(object, name).as_string().filter(|s| !s.is_empty())
}

/// Reads and checks the start options. The error is the sentence to show the developer.
pub fn start_options(value: &JsValue) -> Result<StartOptions, &'static str> {
    if !value.is_object() {
        return Err("start options must be an object with project, key and host strings");
    }
    let project = string_field(value, "project").ok_or("the project is missing (data-project)")?;
    let key = string_field(value, "key").ok_or("the write key is missing (data-key)")?;
    if key.starts_with("sk_") {
        return Err("data-key holds a secret admin key: put only the public write key (pk_...) in a page, and rotate the secret key now");
    }
    string_field(value, "host").ok_or("the collector host is missing (data-host)")?;
    let consent = match field(value, "consent").as_string() {
        None => Consent::Granted,
        Some(word) => Consent::parse(&word)
            .ok_or("consent (data-consent) must be \"granted\", \"pending\" or \"denied\"")?,
    };
    let flag = |name: &str| field(value, name).as_bool() == Some(true);
    let outbox = field(value, "outbox");
    if !outbox.is_object() {
        return Err("the outbox is missing: start the SDK through load() of @waymark/sdk");
    }
    let stage = field(value, "stage");
    if !stage.is_object() {
        return Err("the stage is missing: start the SDK through load() of @waymark/sdk");
    }
    Ok(StartOptions {
        project,
        consent,
        honor_privacy_signals: flag("honorPrivacySignals"),
        allow: Allow {
            emails: flag("allowEmails"),
            card_numbers: flag("allowCardNumbers"),
        },
        outbox: outbox.unchecked_into(),
        stage: stage.unchecked_into(),
    })
}

/// A string argument, or `None` if the value is not a string.
pub fn string(value: &JsValue) -> Option<String> {
    value.as_string()
}

/// A user id: a string, or a finite number (apps often key users by number).
pub fn user_id(value: &JsValue) -> Option<String> {
    if let Some(id) = value.as_string() {
        return Some(id);
    }
    let n = value.as_f64().filter(|n| n.is_finite())?;
    js_sys::Number::from(n)
        .to_string_with_radix(10)
        .ok()
        .map(String::from)
}

/// An optional time argument (milliseconds since the epoch), as the stub records it.
pub fn timestamp(value: &JsValue) -> Option<Millis> {
    value
        .as_f64()
        .filter(|ms| ms.is_finite() && *ms > 0.0)
        .map(Millis::from_js)
}

/// Properties or traits: `undefined` and `null` mean none; otherwise a plain object.
pub fn properties(value: &JsValue) -> Result<Properties, &'static str> {
    if value.is_undefined() || value.is_null() {
        return Ok(Properties::new());
    }
    if !value.is_object() || js_sys::Array::is_array(value) {
        return Err("properties must be a plain object");
    }
    let json = js_sys::JSON::stringify(value)
        .map_err(|_| "properties could not be converted to JSON (a cycle or a BigInt?)")?;
    let plain = js_sys::JSON::parse(&String::from(json))
        .map_err(|_| "properties could not be converted to JSON")?;
    match json_value(&plain, 0) {
        Some(Value::Object(properties)) => Ok(properties),
        Some(_) => Err("properties must be a plain object"),
        None => Err("properties nest deeper than 32 levels"),
    }
}

/// Reads a session stored as JSON (`Session::to_json_string`). `None` if it is missing or not one of ours.
pub fn session_from_json(json: &str) -> Option<Session> {
    let js = js_sys::JSON::parse(json).ok()?;
    let id = waymark_core::id::parse_hyphenated(&field(&js, "id").as_string()?)?;
    let millis = |name| field(&js, name).as_f64().map(Millis::from_js);
    Some(Session {
        id,
        started_at: millis("started_at")?,
        last_activity: millis("last_activity")?,
    })
}
