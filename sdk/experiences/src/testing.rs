//! What the browser tests of every renderer share (`wasm-pack test --headless --chrome
//! --mode no-install sdk/experiences`): evaluating JavaScript, waiting for a condition
//! without sleeping as synchronisation, reaching into shadow roots, and a fake [`Host`]
//! that records every call. Some are used only by some renderers' tests.
#![allow(dead_code)]

use wasm_bindgen::{JsCast, JsValue};

use crate::Host;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// Evaluates JavaScript and returns its value; panics (fails the test) if it throws.
pub fn js(source: &str) -> JsValue {
    match js_sys::eval(source) {
        Ok(value) => value,
        Err(error) => panic!("{source} threw {error:?}"),
    }
}

/// The outer HTML of the whole document, to compare before and after an experience.
pub fn page_html() -> String {
    js("document.documentElement.outerHTML")
        .as_string()
        .unwrap_or_default()
}

/// Resolves after one animation frame (or a macrotask when frames are throttled), so
/// timers and layout have had their turn. Not a synchronisation point by itself: tests wait
/// on conditions with [`until`].
pub async fn tick() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = web_sys::window()
            .map(|w| w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0));
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Waits until `condition` holds, checking each macrotask, for at most `timeout_ms`;
/// panics with `what` if it never does.
pub async fn until(what: &str, timeout_ms: f64, condition: impl Fn() -> bool) {
    let start = js_sys::Date::now();
    while !condition() {
        assert!(
            js_sys::Date::now() - start < timeout_ms,
            "timed out waiting for {what}"
        );
        tick().await;
    }
}

/// A JavaScript expression evaluated with `root` bound to the shadow root of the first
/// `tag` element (`null` when there is none).
pub fn in_root(tag: &str, expression: &str) -> JsValue {
    let source = format!(
        "(() => {{ const host = document.querySelector('{tag}'); const root = host && host.shadowRoot; return {expression}; }})()"
    );
    js(&source)
}

/// A fake [`Host`] recording every call as `[method, ...arguments]` in `window.calls`.
pub fn host() -> Host {
    js("window.calls = []; ({
        event(name, props) { calls.push(['event', name, JSON.parse(props)]); },
        outcome(id, outcome) { calls.push(['outcome', id, outcome]); },
        progress(id, progress) { calls.push(['progress', id, progress]); },
        ended(id, reason) { calls.push(['ended', id, reason]); },
    })")
    .unchecked_into()
}

/// Every call the fake host has had, as JSON text.
pub fn calls() -> String {
    js("JSON.stringify(window.calls)")
        .as_string()
        .unwrap_or_default()
}
