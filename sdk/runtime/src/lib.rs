//! The Waymark browser SDK: the thin wasm shell around `waymark-core`.
//!
//! The core decides (ids, sessions, masking, outbox bounds, batches, backoff); this crate
//! only translates between the core and the browser: the clock, `crypto`, `localStorage`,
//! the History API, page lifecycle events, and the outbox's JavaScript shell.
//!
//! # Layout
//! - [`Waymark`] (in `api`): the class the loader instantiates; every method is safe to call
//!   with any JavaScript value and never throws.
//! - `sdk`: the running SDK: identity, session, consent, the outbox and the send cycle.
//! - `convert`: the only module that turns `JsValue`s into Rust types and back.
//! - `browser`: clock, randomness, page context, console diagnostics.
//! - `storage`: `localStorage` under a per-project prefix, with an in-memory fallback, and
//!   held in memory while consent is pending.
//! - `outbox`: the binding to the npm package's `outbox.js`, which persists events
//!   (IndexedDB, else `localStorage`, else memory) and sends them, deciding through the
//!   `outboxPolicy`, `outboxPlan` and `retryWait` exports.
//! - `Audience` and `Attributes` (in `audience`, feature `audience`): targeting conditions
//!   for JavaScript, for tooling and the condition benchmark; not in the shipped runtime.
//! - `patterns`: the engine's platform: the browser's own `RegExp` and `toLowerCase`.
//! - `experiences`: the config, arbitration on every signal (page views, events, time on
//!   page, exit intent), content decided for the page, and the tour or survey handed to
//!   the experiences module.
//! - `stage`: the binding to `index.js`'s `Stage`, which fetches the config, applies
//!   content to the DOM (`content.js`) and imports the experiences module on demand.
//!
//! # Never break the host page
//! Nothing here panics on bad input: the lints below forbid `unwrap`, `expect`, indexing
//! and `panic!`, and `RefCell`s are only ever borrowed with `try_borrow*`. Bad input gets a
//! one-line console warning naming the problem.
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

mod api;
#[cfg(feature = "audience")]
mod audience;
mod browser;
mod convert;
mod experiences;
mod outbox;
mod patterns;
mod sdk;
mod stage;
mod storage;

pub use api::Waymark;
#[cfg(feature = "audience")]
pub use audience::{Attributes, Audience};

#[cfg(test)]
mod browser_tests;
