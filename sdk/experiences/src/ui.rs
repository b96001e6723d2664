//! The frame every experience draws in: a panel in the browser's top layer, inside a
//! shadow root the page's CSS cannot reach, that takes focus, keeps Tab inside, announces
//! politely, and leaves the page exactly as it was when dropped.
//!
//! - **Host**: an element named after the experience (`waymark-survey`, `waymark-tour`)
//!   appended to `body`, with an *open* shadow root (so tests and assistive technology can
//!   see in). It is never registered as a custom element: the registry cannot be undone,
//!   and a shadow root does not need it. `:host{all:initial}` stops inherited page styles
//!   (fonts, colours, `line-height`) at the boundary, and as an `!important` rule of the
//!   inner context it beats even the page's `!important` rules on the host.
//! - **Styles**: one constructed stylesheet per frame, adopted by the shadow root. Its text
//!   is the base below, the experience's own CSS and the theme's checked custom properties
//!   on `:host`. A constructed sheet is not an inline style, so it works under a CSP of
//!   `style-src 'self'`; no element gets a `style` attribute.
//! - **Panel**: modal, a `<dialog>` opened with `showModal()` (backdrop, page inert); else a
//!   `popover="manual"` element shown with `showPopover()`. Both are in the top layer, above
//!   any `z-index`, and neither is closed by a click outside.
//! - **Focus**: [`Ui::focus`] moves focus in; Tab and Shift+Tab cycle inside the panel;
//!   Escape calls the experience's `on_escape`; on drop, if focus is inside, it goes back to
//!   the element that had it before, if that is still in the page. A *polite* frame (a survey's corner popover
//!   or bottom sheet, which appears unasked) is a non-modal dialog: it takes focus only when
//!   the user is not typing in a field of the page (their keystrokes must not land in the
//!   survey), and Tab moves on out of it as through the rest of the page.
//! - **Live region**: [`Ui::announce`] speaks through a polite live region inside the panel
//!   (content outside a modal dialog is hidden from assistive technology).
//! - **Motion**: the entrance animation runs only under `prefers-reduced-motion:
//!   no-preference`.
//!
//! Everything added (the host, its listeners) belongs to the [`Ui`] and goes with it.

use gloo_events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlElement, KeyboardEvent, ShadowRoot};

/// The base stylesheet, before the experience's own. `.p` is the panel, `.c` the content
/// the experience fills, `.sr` text for assistive technology only. Only a modal panel dims the
/// page: a popover is in the top layer too and has a `::backdrop` of its own, which would
/// otherwise cover the page (and a tour's spotlight) under a non-modal survey or step.
const BASE_CSS: &str = ":host{all:initial!important;display:contents!important}\
.p{box-sizing:border-box;margin:0;padding:16px;border:0;border-radius:var(--waymark-radius,12px);\
background:var(--waymark-background,#fff);color:var(--waymark-text,#111827);\
font:14px/1.45 var(--waymark-font,system-ui,-apple-system,'Segoe UI',sans-serif);\
box-shadow:0 10px 32px rgba(0,0,0,.22);overflow:auto;max-height:calc(100vh - 32px)}\
.p *{box-sizing:border-box}\
.p:modal::backdrop{background:#0006}\
.sr{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}\
button,textarea{font:inherit;color:inherit}\
:focus-visible{outline:2px solid var(--waymark-accent,#4f46e5);outline-offset:2px}\
@media (prefers-reduced-motion:no-preference){.p{animation:wm-in .18s ease-out}}\
@keyframes wm-in{from{opacity:0;transform:translateY(6px)}}";

/// The page's elements that take typing: focus in one of them stays there when a polite
/// frame opens.
const TYPING: &str = "input:not([type=button],[type=submit],[type=reset],[type=checkbox],[type=radio]),textarea,select,[contenteditable]:not([contenteditable=false])";

/// What a frame is.
#[derive(Clone, Copy, Debug)]
pub struct Options<'a> {
    /// The host element's name: a valid custom element name, such as `waymark-survey`.
    pub tag: &'a str,
    /// The experience's stylesheet, after the base one.
    pub css: &'a str,
    /// Checked custom property declarations (`waymark_core`'s `Theme::declarations`), set
    /// on `:host`.
    pub theme: &'a str,
    /// A `<dialog>` shown modally (backdrop, the page inert), else a popover.
    pub modal: bool,
    /// A non-modal frame that never interrupts typing and does not keep Tab inside.
    pub polite: bool,
    /// The panel's `class`, besides `p` (the experience's layout).
    pub class: &'a str,
}

/// A frame on screen; dropping it removes everything it added and returns focus.
#[must_use = "dropping the frame takes it off the screen"]
#[derive(Debug)]
pub struct Ui {
    document: Document,
    host: Element,
    root: ShadowRoot,
    panel: HtmlElement,
    content: Element,
    live: Element,
    returns_to: Option<HtmlElement>,
    polite: bool,
    _keys: EventListener,
    _cancel: Option<EventListener>,
}

impl Ui {
    /// Opens a frame and shows its (empty) panel; `on_escape` runs when Escape is pressed
    /// inside it (or a modal dialog is cancelled). `None` when there is no document to
    /// show in.
    pub fn open(options: &Options<'_>, on_escape: impl Fn() + 'static) -> Option<Ui> {
        // One copy of the body for every experience, not one per closure type (2.4 KB).
        Ui::open_with(options, std::rc::Rc::new(on_escape))
    }

    fn open_with(options: &Options<'_>, on_escape: std::rc::Rc<dyn Fn()>) -> Option<Ui> {
        let document = web_sys::window()?.document()?;
        let returns_to = document
            .active_element()
            .and_then(|e| e.dyn_into::<HtmlElement>().ok());
        let host = document.create_element(options.tag).ok()?;
        let root = host
            .attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open))
            .ok()?;
        let sheet = web_sys::CssStyleSheet::new().ok()?;
        let mut css =
            String::with_capacity(BASE_CSS.len() + options.css.len() + options.theme.len() + 8);
        css.push_str(BASE_CSS);
        css.push_str(options.css);
        css.push_str(":host{");
        css.push_str(options.theme);
        css.push('}');
        sheet.replace_sync(&css).ok()?;
        root.set_adopted_style_sheets(&js_sys::Array::of1(&sheet));

        let panel: HtmlElement = document
            .create_element(if options.modal { "dialog" } else { "div" })
            .ok()?
            .dyn_into()
            .ok()?;
        let mut class = String::from("p ");
        class.push_str(options.class);
        panel.set_class_name(&class);
        if !options.modal {
            panel.set_attribute("popover", "manual").ok()?;
            panel.set_attribute("role", "dialog").ok()?;
        }
        let content = element(&document, "div", &panel, "c")?;
        let live = element(&document, "div", &panel, "sr")?;
        live.set_attribute("aria-live", "polite").ok()?;
        root.append_child(&panel).ok()?;

        let keys = {
            let root = root.clone();
            let panel = panel.clone();
            let on_escape = on_escape.clone();
            let polite = options.polite;
            EventListener::new_with_options(
                &panel.clone(),
                "keydown",
                EventListenerOptions::enable_prevent_default(),
                move |event| {
                    let Some(key) = event.dyn_ref::<KeyboardEvent>() else {
                        return;
                    };
                    match key.key().as_str() {
                        "Escape" => {
                            key.prevent_default();
                            on_escape();
                        }
                        "Tab" if !polite => trap(&root, &panel, key),
                        _ => {}
                    }
                },
            )
        };
        let cancel = options.modal.then(|| {
            EventListener::new_with_options(
                &panel,
                "cancel",
                EventListenerOptions::enable_prevent_default(),
                move |event| {
                    event.prevent_default();
                    on_escape();
                },
            )
        });

        let ui = Ui {
            document,
            host,
            root,
            panel,
            content,
            live,
            returns_to,
            polite: options.polite,
            _keys: keys,
            _cancel: cancel,
        };
        // Only now is the host in the page, so a failure above left nothing behind; one
        // below is undone by dropping `ui`.
        let parent: Element = match ui.document.body() {
            Some(body) => body.into(),
            None => ui.document.document_element()?,
        };
        parent.append_child(&ui.host).ok()?;
        if options.modal {
            ui.panel
                .dyn_ref::<web_sys::HtmlDialogElement>()?
                .show_modal()
                .ok()?;
        } else {
            ui.panel.show_popover().ok()?;
        }
        Some(ui)
    }

    /// The document the frame is in, to create elements with.
    pub fn document(&self) -> &Document {
        &self.document
    }

    /// The panel: `role=dialog`; the experience sets its `aria-labelledby` and listens on it.
    pub fn panel(&self) -> &HtmlElement {
        &self.panel
    }

    /// The shadow root (to find an element by id).
    pub fn root(&self) -> &ShadowRoot {
        &self.root
    }

    /// The element the experience fills (the live region is its sibling, so replacing the
    /// content keeps it).
    pub fn content(&self) -> &Element {
        &self.content
    }

    /// Changes the panel's layout class (besides `p`).
    pub fn set_class(&self, class: &str) {
        let mut name = String::from("p ");
        name.push_str(class);
        self.panel.set_class_name(&name);
    }

    /// Puts `element` (a `popover="manual"` element in [`Ui::root`]) in the top layer just
    /// beneath the panel: a tour's spotlight dims the page but never the panel. The panel is
    /// shown again after it, since the top layer stacks in the order of showing.
    pub fn underlay(&self, element: &HtmlElement) {
        if element.matches(":popover-open").unwrap_or(true) {
            return;
        }
        let _ = self.panel.hide_popover();
        let _ = element.show_popover();
        let _ = self.panel.show_popover();
    }

    /// Says `text` through the polite live region.
    pub fn announce(&self, text: &str) {
        self.live.set_text_content(Some(text));
    }

    /// Moves focus to `target`, or to the panel's first focusable element; a polite frame
    /// leaves it where it is while the user types in a field of the page.
    pub fn focus(&self, target: Option<&Element>) {
        if self.polite
            && self
                .document
                .active_element()
                .is_some_and(|e| e != self.host && e.matches(TYPING).unwrap_or(false))
        {
            return;
        }
        let first = focusable(&self.panel).into_iter().next();
        if let Some(element) = target
            .and_then(|t| t.dyn_ref::<HtmlElement>().cloned())
            .or(first)
        {
            // Focus cannot fail in a way worth reporting: at worst it stays where it was.
            let _ = element.focus();
        }
    }
}

/// Watches for the page taking the frame away (a framework re-rendering `body`, a script
/// clearing it); disconnects on drop.
#[must_use = "dropping the watch stops it"]
#[derive(Debug)]
pub struct Removal {
    observer: web_sys::MutationObserver,
    _callback: wasm_bindgen::closure::Closure<dyn FnMut()>,
}

impl Ui {
    /// Calls `removed` once the host element is no longer in the document. The check runs
    /// after each batch of changes to the document's children, which costs one
    /// `isConnected` read.
    pub fn watch_removal(&self, removed: impl Fn() + 'static) -> Option<Removal> {
        let host = self.host.clone();
        let callback = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
            if !host.is_connected() {
                removed();
            }
        });
        let observer = web_sys::MutationObserver::new(callback.as_ref().unchecked_ref()).ok()?;
        let init = web_sys::MutationObserverInit::new();
        init.set_child_list(true);
        init.set_subtree(true);
        let root: web_sys::Node = self.document.document_element()?.into();
        observer.observe_with_options(&root, &init).ok()?;
        Some(Removal {
            observer,
            _callback: callback,
        })
    }
}

impl Drop for Removal {
    fn drop(&mut self) {
        self.observer.disconnect();
    }
}

impl Drop for Ui {
    fn drop(&mut self) {
        // Focus goes back only from inside the frame: someone who has moved on (or never
        // came in, past a polite frame) keeps their place.
        let inside = self
            .document
            .active_element()
            .is_some_and(|e| e == self.host);
        if let Some(dialog) = self.panel.dyn_ref::<web_sys::HtmlDialogElement>() {
            dialog.close();
        } else {
            let _ = self.panel.hide_popover();
        }
        self.host.remove();
        if let Some(element) = self.returns_to.as_ref().filter(|_| inside) {
            if element.is_connected() {
                let _ = element.focus();
            }
        }
    }
}

/// Creates `<tag class=…>` at the end of `parent`.
pub fn element(document: &Document, tag: &str, parent: &Element, class: &str) -> Option<Element> {
    let element = document.create_element(tag).ok()?;
    if !class.is_empty() {
        element.set_class_name(class);
    }
    parent.append_child(&element).ok()?;
    Some(element)
}

/// Sets attributes on an element, ignoring failures (only invalid names fail, and ours are
/// literals).
pub fn attrs(element: &Element, pairs: &[(&str, &str)]) {
    for (name, value) in pairs {
        let _ = element.set_attribute(name, value);
    }
}

/// The panel's focusable elements, in order: buttons, fields and anything with a
/// non-negative `tabindex` that is not disabled.
fn focusable(panel: &HtmlElement) -> Vec<HtmlElement> {
    let mut found = Vec::new();
    let Ok(list) = panel.query_selector_all("button,textarea,input,select,a[href],[tabindex]")
    else {
        return found;
    };
    for i in 0..list.length() {
        if let Some(element) = list.item(i).and_then(|n| n.dyn_into::<HtmlElement>().ok()) {
            if element.tab_index() >= 0 && !element.matches(":disabled").unwrap_or(false) {
                found.push(element);
            }
        }
    }
    found
}

/// Keeps Tab inside the panel: from the last focusable element to the first, and Shift+Tab
/// from the first to the last.
fn trap(root: &ShadowRoot, panel: &HtmlElement, key: &KeyboardEvent) {
    let list = focusable(panel);
    let (Some(first), Some(last)) = (list.first(), list.last()) else {
        key.prevent_default();
        return;
    };
    let active: Option<Element> = root.active_element();
    let at = |e: &HtmlElement| active.as_ref().is_some_and(|a| a == e.as_ref() as &Element);
    let inside = list.iter().any(at);
    if key.shift_key() && (at(first) || !inside) {
        key.prevent_default();
        let _ = last.focus();
    } else if !key.shift_key() && (at(last) || !inside) {
        key.prevent_default();
        let _ = first.focus();
    }
}

#[cfg(test)]
mod tests;
