//! The tour's DOM: a `<waymark-tour>` host with an open shadow root (its own stylesheet,
//! adopted, so it works under `style-src 'self'`; `:host{all:initial}` keeps the page's
//! inherited styles out), holding a spotlight and the step's panel, both popovers in the
//! browser's top layer, so no z-index on the page can cover them. Text is only ever set
//! with `textContent`: a step's markdown becomes elements one by one, never HTML.

use std::cell::RefCell;

use gloo_events::EventListener;
use wasm_bindgen::{JsCast, JsValue};
use waymark_core::rules::markdown::{Block, Document as Markdown, Inline, Run as TextRun};
use waymark_core::rules::theme::Theme;
use waymark_core::rules::tour::{Button, View};
use web_sys::{Document, Element, HtmlElement, KeyboardEvent, ShadowRoot, ShadowRootInit, ShadowRootMode};

/// The stylesheet. Positions are set per element through the CSSOM (`style.setProperty`),
/// which a strict CSP allows, unlike `style` attributes.
const CSS: &str = ":host{all:initial!important}\
.s,.p{position:fixed;inset:auto;margin:0;border:0;padding:0;overflow:visible;z-index:2147483647}\
.s{background:none;pointer-events:none;box-shadow:0 0 0 200vmax rgba(0,0,0,.5)}\
.o{display:none}\
.p{box-sizing:border-box;width:max-content;max-width:min(360px,calc(100vw - 16px));padding:16px;\
background:var(--waymark-background,#fff);color:var(--waymark-text,#111827);\
border-radius:var(--waymark-radius,8px);font:14px/1.5 var(--waymark-font,system-ui,sans-serif);\
box-shadow:0 8px 28px rgba(0,0,0,.3);text-align:start}\
.p.b{width:auto;max-width:none;left:0;right:0;max-height:var(--h);overflow:auto}\
h2{margin:0 32px 8px 0;font-size:16px;font-weight:600}\
p,ul,ol{margin:0 0 8px}ul,ol{padding-inline-start:20px}\
a{color:var(--waymark-accent,#4f46e5)}\
.f{display:flex;align-items:center;gap:8px;flex-wrap:wrap;margin-top:12px}\
.n{flex:1;font-size:12px}\
button{font:inherit;cursor:pointer;border-radius:6px;padding:6px 12px;border:1px solid;background:none;color:inherit}\
.m{background:var(--waymark-accent,#4f46e5);color:var(--waymark-accent-text,#fff);border-color:transparent}\
.x{position:absolute;top:8px;right:8px;border:0;padding:0 6px;font-size:20px;line-height:1.2}\
:focus-visible{outline:2px solid var(--waymark-accent,#4f46e5);outline-offset:2px}\
.a{position:absolute;width:14px;height:14px;background:inherit;transform:rotate(45deg);display:none}\
[data-side] .a{display:block}\
[data-side=bottom] .a{top:-7px}[data-side=top] .a{bottom:-7px}\
[data-side=bottom] .a,[data-side=top] .a{left:calc(var(--a) - 7px)}\
[data-side=right] .a{left:-7px}[data-side=left] .a{right:-7px}\
[data-side=left] .a,[data-side=right] .a{top:calc(var(--a) - 7px)}";

/// What a click in the panel chose.
pub enum Choice {
    /// The close button.
    Close,
    /// One of the step's buttons, by index.
    Button(usize),
}

/// The tour's host element, shadow root, spotlight and panel, kept across steps; dropping
/// it removes the host, and with it everything else.
pub struct Frame {
    host: HtmlElement,
    shadow: ShadowRoot,
    spot: HtmlElement,
    panel: HtmlElement,
    title: HtmlElement,
    body: HtmlElement,
    live: HtmlElement,
    buttons: HtmlElement,
    close: HtmlElement,
    /// The panel's focusable elements, in order, for the Tab trap.
    focusables: RefCell<Vec<HtmlElement>>,
    /// The primary button (next or done), which gets focus.
    primary: RefCell<Option<HtmlElement>>,
    click: RefCell<Option<EventListener>>,
}

/// The window; the module only runs in one.
pub fn window() -> web_sys::Window {
    web_sys::window().unwrap_or_else(|| JsValue::UNDEFINED.unchecked_into())
}

/// The top document.
pub fn document() -> Document {
    window().document().unwrap_or_else(|| JsValue::UNDEFINED.unchecked_into())
}

/// The focused element, looking into open shadow roots.
pub fn deep_active_element() -> Option<HtmlElement> {
    let mut active = document().active_element()?;
    while let Some(inner) = active.shadow_root().and_then(|s| s.active_element()) {
        active = inner;
    }
    active.dyn_into().ok()
}

/// Opens a call to action's URL (checked again here: it never runs script).
pub fn open(url: &str, new_tab: bool) {
    if !waymark_core::rules::content::safe_url(url) {
        return;
    }
    let _ = window().open_with_url_and_target_and_features(
        url,
        if new_tab { "_blank" } else { "_self" },
        "noopener",
    );
}

fn element(document: &Document, tag: &str, class: &str) -> Option<HtmlElement> {
    let element: HtmlElement = document.create_element(tag).ok()?.dyn_into().ok()?;
    if !class.is_empty() {
        element.set_class_name(class);
    }
    Some(element)
}

impl Frame {
    /// Builds the host, with the theme's custom properties, and appends it to the page.
    pub fn new(theme: &Theme) -> Option<Frame> {
        let document = document();
        let host = element(&document, "waymark-tour", "")?;
        let shadow = host
            .attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))
            .ok()?;
        let sheet = web_sys::CssStyleSheet::new().ok()?;
        sheet.replace_sync(CSS).ok()?;
        shadow.set_adopted_style_sheets(&js_sys::Array::of1(&sheet));
        let style = host.style();
        for (name, value) in &theme.properties {
            let _ = style.set_property(name, value);
        }
        let spot = element(&document, "div", "s o")?;
        let panel = element(&document, "div", "p")?;
        let title = element(&document, "h2", "")?;
        let body = element(&document, "div", "")?;
        let footer = element(&document, "div", "f")?;
        let live = element(&document, "p", "n")?;
        let buttons = element(&document, "span", "f")?;
        let close = element(&document, "button", "x")?;
        let arrow = element(&document, "div", "a")?;
        let _ = close.set_attribute("type", "button");
        close.set_text_content(Some("\u{d7}"));
        for popover in [&spot, &panel] {
            let _ = popover.set_attribute("popover", "manual");
        }
        let _ = spot.set_attribute("aria-hidden", "true");
        let _ = panel.set_attribute("role", "dialog");
        let _ = panel.set_attribute("tabindex", "-1");
        let _ = panel.set_attribute("aria-describedby", "d");
        title.set_id("t");
        body.set_id("d");
        let _ = live.set_attribute("role", "status");
        let _ = footer.append_with_node_2(&live, &buttons);
        let _ = panel.append_with_node_4(&close, &title, &body, &footer);
        let _ = panel.append_child(&arrow);
        let _ = shadow.append_with_node_2(&spot, &panel);
        let parent: Element = match document.body() {
            Some(body) => body.into(),
            None => document.document_element()?,
        };
        parent.append_child(&host).ok()?;
        Some(Frame {
            host,
            shadow,
            spot,
            panel,
            title,
            body,
            live,
            buttons,
            close,
            focusables: RefCell::new(Vec::new()),
            primary: RefCell::new(None),
            click: RefCell::new(None),
        })
    }

    /// The panel element.
    pub fn panel(&self) -> &HtmlElement {
        &self.panel
    }

    /// The spotlight element.
    pub fn spot(&self) -> &HtmlElement {
        &self.spot
    }

    /// Fills the panel with a step; `choose` is called on its buttons' clicks.
    pub fn fill(&self, view: &View<'_>, choose: impl Fn(Choice) + 'static) {
        let document = document();
        let mut focusables = vec![self.close.clone()];
        let _ = self.close.set_attribute("aria-label", view.close_label());
        match view.title() {
            Some(title) => {
                self.title.set_text_content(Some(title));
                self.title.set_hidden(false);
                let _ = self.panel.remove_attribute("aria-label");
                let _ = self.panel.set_attribute("aria-labelledby", "t");
            }
            None => {
                self.title.set_text_content(None);
                self.title.set_hidden(true);
                let _ = self.panel.remove_attribute("aria-labelledby");
                let _ = self.panel.set_attribute("aria-label", &view.live);
            }
        }
        self.body.replace_children_with_node_0();
        if let Some(markdown) = view.body() {
            render(&document, &markdown, &self.body, &mut focusables);
        }
        self.live.set_text_content(Some(&view.live));
        self.buttons.replace_children_with_node_0();
        let mut primary = None;
        for (index, button) in view.step.buttons.iter().enumerate() {
            let main = matches!(button, Button::Next | Button::Done);
            let Some(element) = element(&document, "button", if main { "m" } else { "" }) else {
                continue;
            };
            let _ = element.set_attribute("type", "button");
            let _ = element.set_attribute("data-b", &number(index as i64));
            element.set_text_content(Some(view.button_label(button)));
            let _ = self.buttons.append_child(&element);
            if main {
                primary = Some(element.clone());
            }
            focusables.push(element);
        }
        *self.focusables.borrow_mut() = focusables;
        *self.primary.borrow_mut() = primary;
        let close = self.close.clone();
        *self.click.borrow_mut() = Some(EventListener::new(&self.panel, "click", move |event| {
            let Some(button) = event
                .target()
                .and_then(|t| t.dyn_into::<Element>().ok())
                .and_then(|t| t.closest("button").ok().flatten())
            else {
                return;
            };
            if &button == close.unchecked_ref::<Element>() {
                choose(Choice::Close);
            } else if let Some(index) = button.get_attribute("data-b").and_then(|i| i.parse().ok()) {
                choose(Choice::Button(index));
            }
        }));
    }

    /// Puts the panel (and the spotlight) in the top layer.
    pub fn show(&self) {
        for popover in [&self.spot, &self.panel] {
            if !popover.matches(":popover-open").unwrap_or(true) {
                let _ = popover.show_popover();
            }
        }
    }

    /// Hides the panel while the next step's target is waited for.
    pub fn hide(&self) {
        for popover in [&self.spot, &self.panel] {
            let _ = popover.hide_popover();
        }
    }

    /// Moves focus to the primary button, else the panel.
    pub fn focus(&self) {
        let primary = self.primary.borrow();
        let _ = primary.as_ref().unwrap_or(&self.panel).focus();
    }

    /// Whether focus is in the panel.
    pub fn has_focus(&self) -> bool {
        self.shadow.active_element().is_some()
    }

    /// Keeps Tab and Shift+Tab inside the panel.
    pub fn trap(&self, event: &KeyboardEvent) {
        let focusables = self.focusables.borrow();
        let (Some(first), Some(last)) = (focusables.first(), focusables.last()) else {
            return;
        };
        let active = self.shadow.active_element();
        let at = |e: &HtmlElement| active.as_ref().is_some_and(|a| a == e.unchecked_ref::<Element>());
        let to = if event.shift_key() {
            (at(first) || at(&self.panel)).then_some(last)
        } else {
            (at(last) || at(&self.panel)).then_some(first)
        };
        if let Some(to) = to {
            event.prevent_default();
            let _ = to.focus();
        }
    }

    /// The host element, to tell our own nodes from the page's.
    pub fn host(&self) -> &HtmlElement {
        &self.host
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        self.click.borrow_mut().take();
        self.host.remove();
    }
}

/// A whole number in ASCII digits, without `core::fmt`.
pub fn number(n: i64) -> String {
    let mut digits = Vec::new();
    let mut rest = n.unsigned_abs();
    loop {
        digits.push(b'0' + (rest % 10) as u8);
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if n < 0 {
        digits.push(b'-');
    }
    digits.iter().rev().map(|&b| char::from(b)).collect()
}

/// Appends a markdown document's blocks, adding its links to `focusables`.
fn render(document: &Document, markdown: &Markdown, into: &HtmlElement, focusables: &mut Vec<HtmlElement>) {
    for block in &markdown.blocks {
        match block {
            Block::Paragraph(inlines) => {
                if let Some(p) = element(document, "p", "") {
                    inline(document, inlines, &p, focusables);
                    let _ = into.append_child(&p);
                }
            }
            Block::List(list) => {
                let Some(l) = element(document, if list.ordered { "ol" } else { "ul" }, "") else {
                    continue;
                };
                if list.ordered && list.start != 1 {
                    let _ = l.set_attribute("start", &number(i64::from(list.start)));
                }
                for item in &list.items {
                    if let Some(li) = element(document, "li", "") {
                        inline(document, item, &li, focusables);
                        let _ = l.append_child(&li);
                    }
                }
                let _ = into.append_child(&l);
            }
        }
    }
}

fn inline(document: &Document, inlines: &[Inline], into: &HtmlElement, focusables: &mut Vec<HtmlElement>) {
    for item in inlines {
        match item {
            Inline::Text(run) => text(document, run, into),
            Inline::Link(link) => {
                let Some(a) = element(document, "a", "") else { continue };
                let _ = a.set_attribute("href", &link.url);
                let _ = a.set_attribute("target", "_blank");
                let _ = a.set_attribute("rel", "noopener noreferrer");
                for run in &link.label {
                    text(document, run, &a);
                }
                let _ = into.append_child(&a);
                focusables.push(a);
            }
            Inline::Break => {
                if let Some(br) = element(document, "br", "") {
                    let _ = into.append_child(&br);
                }
            }
        }
    }
}

fn text(document: &Document, run: &TextRun, into: &HtmlElement) {
    let node: web_sys::Node = document.create_text_node(&run.text).into();
    let mut node = node;
    for (on, tag) in [(run.italic, "em"), (run.bold, "strong")] {
        if on {
            if let Some(wrap) = element(document, tag, "") {
                let _ = wrap.append_child(&node);
                node = wrap.into();
            }
        }
    }
    let _ = into.append_child(&node);
}
