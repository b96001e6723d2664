//! The runtime's side of the contract: the object its JavaScript passes with every request.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// What the runtime gives the module to report through (see the crate docs).
    #[derive(Debug, Clone)]
    pub type Host;

    /// Records an event: `event(name, propertiesJson)`, a `$survey_*`, `$tour_*` or
    /// `$step_*` name and its properties as JSON text.
    #[wasm_bindgen(method)]
    pub fn event(this: &Host, name: &str, properties: &str);

    /// Records what happened for the behaviour profile: `seen`, `answered`, `completed` or
    /// `dismissed`.
    #[wasm_bindgen(method)]
    pub fn outcome(this: &Host, id: &str, outcome: &str);

    /// Stores a tour's progress (JSON text), or forgets it (`null`) when the tour is over.
    #[wasm_bindgen(method)]
    pub fn progress(this: &Host, id: &str, progress: Option<String>);

    /// The experience is off the screen and everything it added is gone; `reason` is
    /// `completed`, `dismissed`, `closed`, `removed` (the page took it away: a framework
    /// re-rendered `body`), or why it could not show.
    #[wasm_bindgen(method)]
    pub fn ended(this: &Host, id: &str, reason: &str);
}
