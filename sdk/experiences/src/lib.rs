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
//! - A definition this module cannot show (`no_translation` for the locale, `invalid` for a
//!   broken definition written around the collector, `elsewhere` for a tour whose current
//!   step belongs to another page) ends at once with `ended(id, reason)`, nothing on screen.
//! - Back, on the returned [`Showing`]: the runtime calls `event(name)` for every event
//!   recorded while it is on screen (a step may advance on one), `navigated(url)` after each
//!   single-page navigation (a step may advance on a route change, or belong to another
//!   page), and `close()` to take it down at once (on `shutdown()`, `reset()` and consent
//!   denied), which records nothing and calls `ended(id, "closed")`.
//!
//! # Layout
//! - [`Host`] (in `host`): the runtime's side of the contract, as JavaScript sees it.
//! - `survey`: surveys on screen.
//! - `tour`: tours on screen.
//! - [`ui`]: the frame both draw in (shadow root, top layer, focus, live region), and
//!   what it leaves behind: nothing.
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
mod survey;
#[cfg(test)]
mod testing;
mod tour;
pub mod ui;

pub use host::Host;

use wasm_bindgen::prelude::*;

/// A tour or survey on screen, as the runtime holds it.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Showing {
    inner: Inner,
}

#[derive(Debug)]
enum Inner {
    Survey(survey::Showing),
    Tour(tour::Showing),
}

#[wasm_bindgen]
impl Showing {
    /// An event was recorded while this is on screen.
    pub fn event(&self, name: &str) {
        match &self.inner {
            Inner::Survey(_) => {}
            Inner::Tour(tour) => tour.event(name),
        }
    }

    /// The page navigated (History API) to `url`.
    pub fn navigated(&self, url: &str) {
        match &self.inner {
            Inner::Survey(survey) => survey.navigated(url),
            Inner::Tour(tour) => tour.navigated(url),
        }
    }

    /// Takes it down at once, recording nothing; the page is left as it was.
    pub fn close(&self) {
        match &self.inner {
            Inner::Survey(survey) => survey.close(),
            Inner::Tour(tour) => tour.close(),
        }
    }
}

/// Shows a survey. Returns `undefined` (after `host.ended(id, reason)`) when it cannot.
#[wasm_bindgen(js_name = showSurvey)]
pub fn show_survey(request: JsValue, host: Host) -> Option<Showing> {
    waymark_browser::json::use_browser_numbers();
    survey::show(&request, host).map(|s| Showing {
        inner: Inner::Survey(s),
    })
}

/// Shows or resumes a tour. Returns `undefined` (after `host.ended(id, reason)`) when it
/// cannot.
#[wasm_bindgen(js_name = showTour)]
pub fn show_tour(request: JsValue, host: Host) -> Option<Showing> {
    waymark_browser::json::use_browser_numbers();
    tour::show(&request, host).map(|t| Showing {
        inner: Inner::Tour(t),
    })
}

/// The experience id of a request, or `""`.
fn request_id(request: &JsValue) -> String {
    js_sys::Reflect::get(request, &JsValue::from_str("id"))
        .ok()
        .and_then(|id| id.as_string())
        .unwrap_or_default()
}
