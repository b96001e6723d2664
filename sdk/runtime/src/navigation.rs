//! Seeing single-page navigations: `history.pushState`, `history.replaceState` and the
//! `popstate` event.
//!
//! The History API fires no event for `pushState` or `replaceState`, so [`HistoryWatch`]
//! wraps both methods. The wrappers call the page's own method first, with its arguments
//! and its `this`, and rethrow whatever it throws, so the page sees no difference; then
//! they report the navigation. Dropping the watch puts the original methods back, unless
//! another script has wrapped them since, in which case removing ours would remove theirs,
//! and the wrapper is left to forward calls.

use std::rc::Rc;

use gloo_events::EventListener;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

type Wrapper = Closure<dyn FnMut(JsValue, JsValue, JsValue) -> Result<JsValue, JsValue>>;

struct Patched {
    name: &'static str,
    original: js_sys::Function,
    wrapper: Wrapper,
}

/// Reports every URL change made through the History API until dropped.
#[must_use = "navigations are only watched while the HistoryWatch lives"]
pub struct HistoryWatch {
    history: web_sys::History,
    patched: Vec<Patched>,
    _popstate: EventListener,
}

impl std::fmt::Debug for HistoryWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HistoryWatch")
            .field("patched", &self.patched.len())
            .finish()
    }
}

impl HistoryWatch {
    /// Starts watching; `on_navigate` runs after each `pushState`, `replaceState` and
    /// `popstate`. `None` where the page has no `window` or `history`.
    pub fn install(on_navigate: Rc<dyn Fn()>) -> Option<HistoryWatch> {
        let window = web_sys::window()?;
        let history = window.history().ok()?;
        let mut patched = Vec::with_capacity(2);
        for name in ["pushState", "replaceState"] {
            if let Some(p) = patch(&history, name, on_navigate.clone()) {
                patched.push(p);
            }
        }
        let on_pop = on_navigate;
        let popstate = EventListener::new(&window, "popstate", move |_| on_pop());
        Some(HistoryWatch {
            history,
            patched,
            _popstate: popstate,
        })
    }
}

fn patch(
    history: &web_sys::History,
    name: &'static str,
    on_navigate: Rc<dyn Fn()>,
) -> Option<Patched> {
    let key = JsValue::from_str(name);
    let original: js_sys::Function = js_sys::Reflect::get(history, &key).ok()?.dyn_into().ok()?;
    let target = history.clone();
    let call = original.clone();
    let wrapper: Wrapper = Closure::new(move |state: JsValue, unused: JsValue, url: JsValue| {
        let result = if url.is_undefined() {
            call.call2(&target, &state, &unused)
        } else {
            call.call3(&target, &state, &unused, &url)
        };
        // Report only navigations that happened: if the page's call threw, the URL did not
        // change and the error is the page's to handle.
        if result.is_ok() {
            on_navigate();
        }
        result
    });
    js_sys::Reflect::set(history, &key, wrapper.as_ref()).ok()?;
    Some(Patched {
        name,
        original,
        wrapper,
    })
}

impl Drop for HistoryWatch {
    fn drop(&mut self) {
        for patched in self.patched.drain(..) {
            let key = JsValue::from_str(patched.name);
            let current = js_sys::Reflect::get(&self.history, &key).unwrap_or(JsValue::UNDEFINED);
            let ours: &JsValue = patched.wrapper.as_ref();
            if &current == ours {
                let _ = js_sys::Reflect::set(&self.history, &key, &patched.original);
            } else {
                // Someone wrapped our wrapper; it must keep working, so it outlives us.
                patched.wrapper.forget();
            }
        }
    }
}
