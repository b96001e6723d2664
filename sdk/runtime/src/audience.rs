//! Targeting conditions from JavaScript: `Audience.compile(condition)` and
//! `audience.matches(new Attributes({...}))`, for previews and tooling, with the same
//! compiler and evaluator the SDK uses for its own rules.

use wasm_bindgen::prelude::*;
use waymark_core::rules::{Condition, SavedGroups};
use waymark_core::Value;

use crate::patterns::Browser;

/// A user's attributes, converted once and reused across evaluations.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Attributes {
    value: Value,
}

#[wasm_bindgen]
impl Attributes {
    /// Converts a plain object of attributes. Throws an `Error` naming the problem if it is
    /// not JSON-compatible.
    #[wasm_bindgen(constructor)]
    pub fn new(attributes: JsValue) -> Result<Attributes, JsError> {
        waymark_browser::json::json(&attributes)
            .map(|value| Attributes { value })
            .map_err(JsError::new)
    }
}

/// A compiled targeting condition (GrowthBook's condition language).
#[wasm_bindgen]
#[derive(Debug)]
pub struct Audience {
    condition: Condition,
    diagnostics: Vec<String>,
}

#[wasm_bindgen]
impl Audience {
    /// Compiles a condition; saved groups may be given as an object keyed by id.
    pub fn compile(condition: JsValue, saved_groups: JsValue) -> Result<Audience, JsError> {
        let json = waymark_browser::json::json(&condition).map_err(JsError::new)?;
        let groups = if saved_groups.is_undefined() || saved_groups.is_null() {
            SavedGroups::new()
        } else {
            waymark_core::rules::SavedGroup::all_from_json(
                &waymark_browser::json::json(&saved_groups).map_err(JsError::new)?,
            )
        };
        let (condition, found) = Condition::compile(&json, "", &Browser, &groups);
        let diagnostics = found
            .into_iter()
            .map(|d| {
                let mut line = d.pointer;
                line.push_str(": ");
                line.push_str(&d.message);
                line
            })
            .collect();
        Ok(Audience {
            condition,
            diagnostics,
        })
    }

    /// Whether the attributes meet the condition.
    pub fn matches(&self, attributes: &Attributes) -> bool {
        self.condition.matches(&attributes.value)
    }

    /// What the compiler found wrong, as `"<JSON pointer>: <message>"` lines.
    #[wasm_bindgen(getter)]
    pub fn diagnostics(&self) -> Vec<String> {
        self.diagnostics.clone()
    }
}
