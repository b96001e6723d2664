//! Observers owned by guards that disconnect them on drop (listeners and timers have theirs
//! in `gloo-events` and `gloo-timers`).

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{Element, MutationObserver, MutationObserverInit, ResizeObserver};

use super::locate::Root;

/// A `MutationObserver` over roots, calling back once per batch of mutations.
#[must_use]
pub struct Mutations {
    observer: Option<MutationObserver>,
    _callback: Closure<dyn FnMut()>,
}

impl Mutations {
    /// An observer that calls `callback`; it observes nothing until [`Mutations::observe_all`].
    pub fn new(callback: impl Fn() + 'static) -> Mutations {
        let callback = Closure::<dyn FnMut()>::new(callback);
        Mutations {
            observer: MutationObserver::new(callback.as_ref().unchecked_ref()).ok(),
            _callback: callback,
        }
    }

    /// Observes every root (again: observing a node twice only renews its options), for
    /// elements added and attributes changed anywhere inside.
    pub fn observe_all(&self, roots: &[Root]) {
        let Some(observer) = &self.observer else {
            return;
        };
        let options = MutationObserverInit::new();
        options.set_child_list(true);
        options.set_subtree(true);
        options.set_attributes(true);
        for root in roots {
            let _ = observer.observe_with_options(&root.node, &options);
        }
    }
}

impl Drop for Mutations {
    fn drop(&mut self) {
        if let Some(observer) = &self.observer {
            observer.disconnect();
        }
    }
}

/// A `ResizeObserver`, for the target and the panel changing size without a scroll.
#[must_use]
pub struct Resize {
    observer: ResizeObserver,
    _callback: Closure<dyn FnMut()>,
}

impl Resize {
    /// An observer that calls `callback`, or `None` where the browser has none.
    pub fn new(callback: impl Fn() + 'static) -> Option<Resize> {
        let callback = Closure::<dyn FnMut()>::new(callback);
        Some(Resize {
            observer: ResizeObserver::new(callback.as_ref().unchecked_ref()).ok()?,
            _callback: callback,
        })
    }

    /// Observes one more element.
    pub fn observe(&self, element: &Element) {
        self.observer.observe(element);
    }
}

impl Drop for Resize {
    fn drop(&mut self) {
        self.observer.disconnect();
    }
}
