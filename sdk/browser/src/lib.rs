//! What the two browser crates share: the runtime every page loads (`waymark-runtime`) and
//! the experiences module fetched on demand (`waymark-experiences`). Each is its own wasm
//! module with its own memory; they talk only through JavaScript, in JSON-compatible values,
//! so both read and write those values the same way, here.
//!
//! # Layout
//! - [`json`]: JavaScript values to [`waymark_core::Value`] and back, by hand through
//!   `js_sys` (no serde in the browser: its error messages would bring `core::fmt`).
//! - [`console`]: one-line `[waymark]` warnings, the only way the SDK talks to a developer.
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

pub mod console;
pub mod json;
