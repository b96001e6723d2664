//! The page side of experiences, as the runtime sees it: the `Stage` object of the npm
//! package's `index.js`, handed to `Waymark.start` by `load()`.
//!
//! The runtime decides what shows; the stage does the page work that is cheaper in
//! JavaScript or must be asynchronous: watching the page (single-page navigations, the page
//! hidden or left, timers, exit intent: `page.js`), fetching the config, applying content
//! changes to the DOM (`content.js`), and importing the experiences module (tours and
//! surveys) only when one is eligible, then handing it the experience to show. Listeners and
//! timers through wasm-bindgen closures cost the wasm 3.9 KiB gzipped; in JavaScript, a few
//! hundred bytes. Everything it learns comes back through the `Waymark` methods
//! `notify` (the page) and `report` (the config, the content layer, and the experiences
//! host's `event`, `outcome`, `progress` and `ended`).

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// The `Stage` object of `index.js`.
    #[derive(Debug, Clone)]
    pub type Stage;

    /// Fetches the published config (revalidating the browser's copy by its ETag) and
    /// passes a new one to `Waymark.report('config', text)`.
    #[wasm_bindgen(method, js_name = fetchConfig)]
    pub fn fetch_config(this: &Stage);

    /// Applies exactly these content changes (an array of plain objects, see
    /// `experiences::content_entry`), reverting every earlier one not among them.
    #[wasm_bindgen(method)]
    pub fn content(this: &Stage, changes: &JsValue);

    /// Fetches the experiences module at idle, so that it is ready when a trigger fires.
    #[wasm_bindgen(method)]
    pub fn prefetch(this: &Stage);

    /// Shows a tour or survey: `show(kind, request)` (the request of the experiences
    /// module's contract).
    #[wasm_bindgen(method)]
    pub fn show(this: &Stage, kind: &str, request: &JsValue);

    /// Tells the experience on screen about an event.
    #[wasm_bindgen(method)]
    pub fn event(this: &Stage, name: &str);

    /// Tells the experience on screen about a navigation.
    #[wasm_bindgen(method)]
    pub fn navigated(this: &Stage, url: &str);

    /// Takes the experience on screen down at once, recording nothing.
    #[wasm_bindgen(method)]
    pub fn close(this: &Stage);

    /// Calls `Waymark.notify('tick', 0)` once, `ms` milliseconds from now (one at a time).
    #[wasm_bindgen(method)]
    pub fn later(this: &Stage, ms: u32);

    /// This page's time-on-page timers: `Waymark.notify('time', ms)` for each of `delays` when
    /// the page has lasted that long (it has lasted `waited` already),
    /// `Waymark.notify('exit')` on exit intent when `exit`, and `Waymark.notify('element', i)`
    /// once an element matching the `i`th of `selectors` (separated by NUL) is on the page;
    /// each call replaces the last.
    #[wasm_bindgen(method)]
    pub fn page(this: &Stage, delays: Vec<u32>, waited: u32, exit: bool, selectors: &str);

    /// Stops watching the page (History API, lifecycle, timers), putting back what it
    /// changed, and reverts every content change.
    #[wasm_bindgen(method)]
    pub fn stop(this: &Stage);
}
