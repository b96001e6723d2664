//! Tours on screen.

use wasm_bindgen::JsValue;

use crate::Host;

/// A tour on screen.
#[derive(Debug)]
pub struct Showing;

impl Showing {
    /// An event was recorded: a step may advance on it.
    pub fn event(&self, _name: &str) {}

    /// The page navigated.
    pub fn navigated(&self, _url: &str) {}

    /// Takes it down at once.
    pub fn close(&self) {}
}

/// Shows a tour, or ends at once with the reason it cannot.
pub fn show(request: &JsValue, host: Host) -> Option<Showing> {
    host.ended(&crate::request_id(request), "not_built");
    None
}
