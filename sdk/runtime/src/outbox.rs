//! The outbox, as the SDK sees it: the npm package's `outbox.js`, handed to
//! `Waymark.start` by `load()`.
//!
//! The SDK records and encodes each event and hands it over with [`Outbox::add`]; from
//! there `outbox.js` persists it (IndexedDB, else `localStorage`, else memory), sends it
//! with `fetch` or a beacon, retries, and shares the work between tabs under a Web Lock,
//! calling back into `waymark-core` for every decision (through the `outboxPolicy`,
//! `outboxPlan` and `retryWait` exports). That shell is JavaScript because in wasm the
//! same code cost 20 KiB of the 64 KiB gzipped budget.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// The `Outbox` object of `outbox.js`.
    #[derive(Debug, Clone)]
    pub type Outbox;

    /// Takes an encoded event: `add(id, json)`.
    #[wasm_bindgen(method)]
    pub fn add(this: &Outbox, id: &str, json: &str);

    /// Applies consent: `"granted"`, `"pending"` or `"denied"`.
    #[wasm_bindgen(method)]
    pub fn consent(this: &Outbox, state: &str);

    /// Sends what it holds by beacon, then forgets it all (`reset()` on logout).
    #[wasm_bindgen(method)]
    pub fn reset(this: &Outbox);

    /// Sends everything now, without waiting out a backoff.
    #[wasm_bindgen(method)]
    pub fn flush(this: &Outbox);

    /// Stops its listeners and timers, after sending what it holds.
    #[wasm_bindgen(method)]
    pub fn close(this: &Outbox);
}
