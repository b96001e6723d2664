//! The Waymark experiences module: tours and surveys, rendered in the page.
//!
//! Every page loads the runtime (`waymark-runtime`), which decides *which* experience shows
//! and when (arbitration, triggers, caps, quiet periods, sampling). This module is fetched
//! only once a tour or survey is eligible for the user on the page, and renders it: the
//! runtime's JavaScript imports it, then calls [`show_survey`] or [`show_tour`] with the
//! experience's definition (as published, so already checked by the collector) and a
//! [`Host`] to report back through. The two wasm modules share no memory: what crosses
//! between them is JSON-compatible values through JavaScript.
//!
//! # The contract with the runtime
//! - In: a request `{ id, definition, locale, responseId, progress, url }`: `definition` is
//!   the experience object from the config (with its `survey` or `tour`), `locale` the
//!   user's (`navigator.language` unless the app said otherwise), `responseId` a fresh id
//!   for a survey showing, `progress` a tour's stored progress (or `null`), `url` the page.
//! - Out, through the [`Host`]: `event(name, properties)` for every `$survey_*`, `$tour_*`
//!   and `$step_*` event (the runtime records them like any other event), `outcome(id,
//!   outcome)` for the behaviour profile (`seen`, `answered`, `completed`, `dismissed`),
//!   `progress(id, json)` when a tour's progress changes (stored by the runtime, under the
//!   user's consent), and `ended(id, reason)` once the experience is off the screen and
//!   everything it added to the page is gone.
//! - A definition this module cannot show (no translation for the locale, a broken
//!   definition written around the collector) ends at once with `ended(id, reason)` and
//!   nothing on screen.
//!
//! # Layout
//! - [`Host`] (in `host`): the runtime's side of the contract, as JavaScript sees it.
//!
//! # Never break the host page
//! As in the runtime: no `unwrap`, `expect`, indexing or `panic!` (denied by lint), no
//! exception into the page, and every node, listener, observer and timer owned by a guard
//! that undoes it on drop.
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

/// The allocator: smaller in the module than Rust's default dlmalloc, and faster.
#[cfg(all(not(target_feature = "atomics"), target_family = "wasm"))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

mod host;

pub use host::Host;

use wasm_bindgen::prelude::*;

/// A tour or survey on screen. `close()` takes it down at once (the runtime calls it on
/// `shutdown()`, on consent denied and on `reset()`), leaving the page as it was.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Showing {
    id: String,
}

#[wasm_bindgen]
impl Showing {
    /// Takes the experience down without recording a dismissal.
    pub fn close(&self) {
        let _ = &self.id;
    }
}

/// Shows a survey. Returns `undefined` (after `host.ended(id, reason)`) when it cannot.
#[wasm_bindgen(js_name = showSurvey)]
pub fn show_survey(request: JsValue, host: Host) -> Option<Showing> {
    let id = waymark_browser::json::json(&request)
        .ok()
        .and_then(|r| match r {
            waymark_core::Value::Object(map) => map.get("id").and_then(|v| match v {
                waymark_core::Value::String(s) => Some(s.clone()),
                _ => None,
            }),
            _ => None,
        })
        .unwrap_or_default();
    host.ended(&id, "not_built");
    None
}

/// Shows or resumes a tour. Returns `undefined` (after `host.ended(id, reason)`) when it
/// cannot.
#[wasm_bindgen(js_name = showTour)]
pub fn show_tour(request: JsValue, host: Host) -> Option<Showing> {
    show_survey(request, host)
}
