//! JSON output for the wire types, written straight into a `String`.
//!
//! The browser build writes every batch it sends, so this is on a hot path and in the wasm.
//! Going through serde and `serde-wasm-bindgen` would build a JavaScript object tree only to
//! stringify it, and carry the serializer's code; writing the few types we send directly is
//! smaller and faster. The output is the same JSON that the types' `Serialize` impls produce
//! (the tests compare the two), which is what the collector reads.

use uuid::Uuid;

use crate::protocol::{limits, BatchRef, Context, Event, EventProblem};
use crate::rules::js::number_to_string;
use crate::session::Session;
use crate::time::Millis;
use crate::value::Value;

/// Types that write themselves as JSON.
pub trait WriteJson {
    /// Appends this value's JSON to `out`.
    fn write_json(&self, out: &mut String);

    /// This value as a JSON string.
    fn to_json_string(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }
}

/// Writes a JSON string literal.
pub fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let n = c as usize;
                out.push_str("\\u00");
                out.push(char::from(HEX[n >> 4]));
                out.push(char::from(HEX[n & 15]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_array<T: WriteJson>(out: &mut String, items: &[T]) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        item.write_json(out);
    }
    out.push(']');
}

fn write_number(out: &mut String, n: f64) {
    if n.is_finite() {
        out.push_str(&number_to_string(n));
    } else {
        // As JSON.stringify does.
        out.push_str("null");
    }
}

/// Writes an object's fields: `{"a":…,"b":…}`, straight into the output (no intermediate
/// map).
#[derive(Debug)]
pub struct Object<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Object<'a> {
    /// Opens an object.
    pub fn new(out: &'a mut String) -> Self {
        out.push('{');
        Object { out, first: true }
    }

    fn key(&mut self, name: &str) -> &mut String {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        write_str(self.out, name);
        self.out.push(':');
        self.out
    }

    /// Writes one field.
    pub fn field(&mut self, name: &str, value: &dyn WriteJson) {
        value.write_json(self.key(name));
    }

    /// Writes a string field.
    pub fn text(&mut self, name: &str, value: &str) {
        write_str(self.key(name), value);
    }

    /// Closes the object.
    pub fn end(self) {
        self.out.push('}');
    }
}

impl WriteJson for Value {
    fn write_json(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => write_number(out, *n),
            Value::String(s) => write_str(out, s),
            Value::Array(items) => write_array(out, items),
            Value::Object(map) => {
                let mut object = Object::new(out);
                for (key, value) in map {
                    object.field(key, value);
                }
                object.end();
            }
        }
    }
}

impl WriteJson for String {
    fn write_json(&self, out: &mut String) {
        write_str(out, self);
    }
}

impl WriteJson for Millis {
    fn write_json(&self, out: &mut String) {
        write_number(out, self.0 as f64);
    }
}

impl WriteJson for u32 {
    fn write_json(&self, out: &mut String) {
        write_number(out, f64::from(*self));
    }
}

impl WriteJson for u64 {
    fn write_json(&self, out: &mut String) {
        write_number(out, *self as f64);
    }
}

impl WriteJson for Uuid {
    fn write_json(&self, out: &mut String) {
        // Hex needs no escaping.
        out.push('"');
        crate::id::write_hyphenated(self, out);
        out.push('"');
    }
}

impl WriteJson for Context {
    fn write_json(&self, out: &mut String) {
        let mut object = Object::new(out);
        {
            let page = object.key("page");
            let mut p = Object::new(page);
            p.field("url", &self.page.url);
            p.field("path", &self.page.path);
            p.field("title", &self.page.title);
            p.field("referrer", &self.page.referrer);
            p.end();
        }
        if let Some(locale) = &self.locale {
            object.field("locale", locale);
        }
        if let Some(viewport) = &self.viewport {
            let mut v = Object::new(object.key("viewport"));
            v.field("width", &viewport.width);
            v.field("height", &viewport.height);
            v.end();
        }
        {
            let mut sdk = Object::new(object.key("sdk"));
            sdk.field("name", &self.sdk.name);
            sdk.field("version", &self.sdk.version);
            sdk.end();
        }
        object.end();
    }
}

impl WriteJson for Event {
    fn write_json(&self, out: &mut String) {
        self.write_json_with_config(out, 0);
    }
}

impl Event {
    /// This event's JSON as the SDK sends it: with `config_version`, the version of the
    /// published config the SDK decided with when it recorded the event, beside its own
    /// fields (left out for 0, no config yet). It is not a field of [`Event`]: the collector
    /// reads it apart, and it wins over the batch envelope's. Over
    /// [`limits::MAX_EVENT_BYTES`], which the collector applies to each event's JSON as sent
    /// (the version included), it is [`EventProblem::TooLarge`].
    pub fn to_json_with_config(&self, config_version: u64) -> Result<String, EventProblem> {
        let mut out = String::new();
        self.write_json_with_config(&mut out, config_version);
        if out.len() > limits::MAX_EVENT_BYTES {
            return Err(EventProblem::TooLarge);
        }
        Ok(out)
    }

    fn write_json_with_config(&self, out: &mut String, config_version: u64) {
        let mut object = Object::new(out);
        object.field("id", &self.id);
        object.field("name", &self.name);
        object.field("ts", &self.ts);
        object.field("anonymous_id", &self.anonymous_id);
        if let Some(user_id) = &self.user_id {
            object.field("user_id", user_id);
        }
        object.field("session_id", &self.session_id);
        if !self.properties.is_empty() {
            Value::Object(self.properties.clone()).write_json(object.key("properties"));
        }
        if let Some(traits) = &self.traits {
            Value::Object(traits.clone()).write_json(object.key("traits"));
        }
        object.field("context", &self.context);
        if config_version > 0 {
            object.field("config_version", &config_version);
        }
        object.end();
    }
}

impl WriteJson for BatchRef<'_> {
    fn write_json(&self, out: &mut String) {
        let mut object = Object::new(out);
        write_str(object.key("key"), self.key);
        object.field("sent_at", &self.sent_at);
        write_array(object.key("events"), self.events);
        object.end();
    }
}

impl WriteJson for Session {
    fn write_json(&self, out: &mut String) {
        let mut object = Object::new(out);
        object.field("id", &self.id);
        object.field("started_at", &self.started_at);
        object.field("last_activity", &self.last_activity);
        object.end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::tests::event;
    use crate::protocol::IDENTIFY;
    use crate::value::Properties;

    fn same_as_serde<T: WriteJson + serde::Serialize>(value: &T) {
        let ours: serde_json::Value =
            serde_json::from_str(&value.to_json_string()).expect("valid JSON");
        assert_eq!(ours, serde_json::to_value(value).unwrap());
    }

    #[test]
    fn an_event_carries_the_config_version_it_was_recorded_under_beside_its_fields() {
        let event = event(1, "$pageview");
        assert_eq!(
            event.to_json_with_config(0),
            Ok(event.to_json_string()),
            "none yet"
        );
        let mut ours: serde_json::Value =
            serde_json::from_str(&event.to_json_with_config(12).unwrap()).expect("valid JSON");
        let serde_json::Value::Object(fields) = &mut ours else {
            panic!("an object")
        };
        assert_eq!(fields.remove("config_version"), Some(serde_json::json!(12)));
        assert_eq!(ours, serde_json::to_value(&event).unwrap());
    }

    #[test]
    fn the_size_limit_counts_the_config_version_as_the_collector_does() {
        let mut big = event(1, "upload");
        big.properties.insert("note".into(), Value::from(""));
        let fill = limits::MAX_EVENT_BYTES - big.to_json_string().len();
        big.properties
            .insert("note".into(), Value::from("x".repeat(fill)));
        assert_eq!(
            big.to_json_with_config(0).map(|j| j.len()),
            Ok(limits::MAX_EVENT_BYTES)
        );
        assert_eq!(big.to_json_with_config(7), Err(EventProblem::TooLarge));
    }

    #[test]
    fn batches_are_written_as_serde_writes_them() {
        let mut identify = event(2, IDENTIFY);
        identify.user_id = Some("user \"42\"".into());
        identify.traits = Some(Properties::from([("plan".to_owned(), Value::from("pro"))]));
        identify.context.locale = None;
        identify.context.viewport = None;
        let events = vec![event(1, "$pageview"), identify];
        same_as_serde(&BatchRef {
            key: "pk_test",
            sent_at: Millis(1_767_225_600_123),
            events: &events,
        });
        same_as_serde(&Session {
            id: Uuid::from_u128(5),
            started_at: Millis(1),
            last_activity: Millis(2),
        });
    }

    #[test]
    fn strings_are_escaped_for_json() {
        let text = "quote \" backslash \\ newline \n tab \t bell \u{7} unit \u{1f} é 😀";
        let written = Value::from(text).to_json_string();
        assert_eq!(serde_json::from_str::<String>(&written).unwrap(), text);
        assert!(written.contains("\\u0007") && written.contains("\\u001f"));
    }

    #[test]
    fn numbers_are_written_as_javascript_writes_them() {
        let values = Value::Array(vec![
            Value::Number(3.0),
            Value::Number(-0.5),
            Value::Number(1e21),
            Value::Number(f64::NAN),
        ]);
        assert_eq!(values.to_json_string(), "[3,-0.5,1e+21,null]");
    }
}
