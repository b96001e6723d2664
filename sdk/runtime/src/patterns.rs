//! The engine's platform in the browser: the browser's own `RegExp` and `toLowerCase`, so
//! patterns and case-insensitive comparisons mean exactly what they mean in JavaScript, and
//! neither a regex engine nor Unicode case tables ship in the wasm.

use wasm_bindgen::{JsCast, JsValue};
use waymark_core::rules::platform::{Pattern, Platform};

/// Patterns by `new RegExp(source, flags)`, lower-casing by `String.prototype.toLowerCase`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Browser;

struct Compiled(js_sys::RegExp);

impl Pattern for Compiled {
    fn test(&self, haystack: &str) -> bool {
        self.0.test(haystack)
    }
}

impl Platform for Browser {
    fn compile(&self, source: &str, ignore_case: bool) -> Result<Box<dyn Pattern>, String> {
        // Reflect.construct reports a SyntaxError as an Err instead of throwing through wasm.
        let constructor: js_sys::Function =
            js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("RegExp"))
                .ok()
                .and_then(|c| c.dyn_into().ok())
                .ok_or_else(|| "this environment has no RegExp".to_owned())?;
        let arguments = js_sys::Array::of2(
            &JsValue::from_str(source),
            &JsValue::from_str(if ignore_case { "i" } else { "" }),
        );
        match js_sys::Reflect::construct(&constructor, &arguments) {
            Ok(regexp) => regexp
                .dyn_into::<js_sys::RegExp>()
                .map(|r| Box::new(Compiled(r)) as Box<dyn Pattern>)
                .map_err(|_| "RegExp returned something else".to_owned()),
            Err(error) => Err(js_sys::Error::from(error).message().into()),
        }
    }

    fn lowercase(&self, text: &str) -> String {
        js_sys::JsString::from(text).to_lower_case().into()
    }
}
