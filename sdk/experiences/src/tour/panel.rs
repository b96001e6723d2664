//! The tour's DOM, in a [`Ui`] frame (`crate::ui`: a `<waymark-tour>` host with an open
//! shadow root, an adopted stylesheet, a popover panel in the top layer, Tab kept inside,
//! focus returned): the step's close button, title, body, step count, buttons and arrow,
//! and a spotlight, a second popover just beneath the panel. Text is only ever set with
//! `textContent`: a step's markdown becomes elements one by one, never HTML.

use std::cell::RefCell;

use gloo_events::EventListener;
use wasm_bindgen::{JsCast, JsValue};
use waymark_core::rules::markdown::{Block, Document as Markdown, Inline, Run as TextRun};
use waymark_core::rules::theme::Theme;
use waymark_core::rules::tour::{Button, View};
use web_sys::{Document, Element, HtmlElement};

use crate::ui::{attrs, Options, Ui};

/// The tour's stylesheet, after the frame's. Positions are set per element through the
/// CSSOM (`style.setProperty`), which a strict CSP allows, unlike `style` attributes.
const CSS: &str = ".s,.p{position:fixed;inset:auto;margin:0}\
.s{border:0;padding:0;background:none;pointer-events:none;box-shadow:0 0 0 200vmax rgba(0,0,0,.5)}\
.o{display:none}\
.p{width:max-content;max-width:min(360px,calc(100vw - 16px));overflow:visible;max-height:none;text-align:start}\
.p.b{width:auto;max-width:none;right:0;max-height:var(--h);overflow:auto}\
h2{margin:0 32px 8px 0;font-size:16px;font-weight:600}\
p,ul,ol{margin:0 0 8px}ul,ol{padding-inline-start:20px}\
a{color:var(--waymark-accent,#4f46e5)}\
.f{display:flex;align-items:center;gap:8px;flex-wrap:wrap;margin-top:12px}\
.n{flex:1;font-size:12px}\
button{cursor:pointer;border-radius:6px;padding:6px 12px;border:1px solid;background:none}\
.m{background:var(--waymark-accent,#4f46e5);color:var(--waymark-accent-text,#fff);border-color:transparent}\
.x{position:absolute;top:8px;right:8px;border:0;padding:0 6px;font-size:20px;line-height:1.2}\
.a{position:absolute;width:14px;height:14px;background:var(--waymark-background,#fff);transform:rotate(45deg);display:none}\
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

/// The tour's frame, spotlight and panel parts, kept across steps; dropping it removes the
/// host, and with it everything else, and returns focus.
pub struct Frame {
    ui: Ui,
    spot: HtmlElement,
    title: HtmlElement,
    body: HtmlElement,
    count: HtmlElement,
    buttons: HtmlElement,
    close: HtmlElement,
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
    window()
        .document()
        .unwrap_or_else(|| JsValue::UNDEFINED.unchecked_into())
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
    let element: HtmlElement = document.create_element(tag).ok()?.unchecked_into();
    if !class.is_empty() {
        element.set_class_name(class);
    }
    Some(element)
}

impl Frame {
    /// Opens the frame, with the theme; `on_escape` runs on Escape inside the panel.
    pub fn new(theme: &Theme, on_escape: impl Fn() + 'static) -> Option<Frame> {
        let ui = Ui::open(
            &Options {
                tag: "waymark-tour",
                css: CSS,
                theme: &theme.declarations(),
                modal: false,
                polite: false,
                class: "",
            },
            on_escape,
        )?;
        let document = ui.document().clone();
        let spot = element(&document, "div", "s o")?;
        let title = element(&document, "h2", "")?;
        let body = element(&document, "div", "")?;
        let footer = element(&document, "div", "f")?;
        let count = element(&document, "span", "n")?;
        let buttons = element(&document, "span", "f")?;
        let close = element(&document, "button", "x")?;
        let arrow = element(&document, "div", "a")?;
        attrs(&close, &[("type", "button")]);
        close.set_text_content(Some("\u{d7}"));
        attrs(&spot, &[("popover", "manual"), ("aria-hidden", "true")]);
        attrs(ui.panel(), &[("tabindex", "-1"), ("aria-describedby", "d")]);
        title.set_id("t");
        body.set_id("d");
        let _ = footer.append_with_node_2(&count, &buttons);
        let _ = ui
            .content()
            .append_with_node_5(&close, &title, &body, &footer, &arrow);
        let _ = ui.root().append_child(&spot);
        Some(Frame {
            ui,
            spot,
            title,
            body,
            count,
            buttons,
            close,
            primary: RefCell::new(None),
            click: RefCell::new(None),
        })
    }

    /// The panel element.
    pub fn panel(&self) -> &HtmlElement {
        self.ui.panel()
    }

    /// The spotlight element.
    pub fn spot(&self) -> &HtmlElement {
        &self.spot
    }

    /// Fills the panel with a step; `choose` is called on its buttons' clicks.
    pub fn fill(&self, view: &View<'_>, choose: impl Fn(Choice) + 'static) {
        let document = self.ui.document();
        let panel = self.ui.panel();
        attrs(&self.close, &[("aria-label", view.close_label())]);
        match view.title() {
            Some(title) => {
                self.title.set_text_content(Some(title));
                self.title.set_hidden(false);
                let _ = panel.remove_attribute("aria-label");
                attrs(panel, &[("aria-labelledby", "t")]);
            }
            None => {
                self.title.set_text_content(None);
                self.title.set_hidden(true);
                let _ = panel.remove_attribute("aria-labelledby");
                attrs(panel, &[("aria-label", &view.live)]);
            }
        }
        self.body.replace_children_with_node_0();
        if let Some(markdown) = view.body() {
            render(document, &markdown, &self.body);
        }
        self.count.set_text_content(Some(&view.live));
        self.ui.announce(&view.live);
        self.buttons.replace_children_with_node_0();
        let mut primary = None;
        for (index, button) in view.step.buttons.iter().enumerate() {
            let main = matches!(button, Button::Next | Button::Done);
            let Some(element) = element(document, "button", if main { "m" } else { "" }) else {
                continue;
            };
            attrs(
                &element,
                &[("type", "button"), ("data-b", &number(index as i64))],
            );
            element.set_text_content(Some(view.button_label(button)));
            let _ = self.buttons.append_child(&element);
            if main {
                primary = Some(element);
            }
        }
        *self.primary.borrow_mut() = primary;
        let close = self.close.clone();
        *self.click.borrow_mut() = Some(EventListener::new(panel, "click", move |event| {
            let Some(button) = event
                .target()
                .and_then(|t| t.dyn_into::<Element>().ok())
                .and_then(|t| t.closest("button").ok().flatten())
            else {
                return;
            };
            if &button == close.unchecked_ref::<Element>() {
                choose(Choice::Close);
            } else if let Some(index) = button.get_attribute("data-b").and_then(|i| i.parse().ok())
            {
                choose(Choice::Button(index));
            }
        }));
    }

    /// Puts the panel, and the spotlight beneath it, in the top layer.
    pub fn show(&self) {
        self.ui.underlay(&self.spot);
        let panel = self.ui.panel();
        if !panel.matches(":popover-open").unwrap_or(true) {
            let _ = panel.show_popover();
        }
    }

    /// Hides the panel while the next step's target is waited for.
    pub fn hide(&self) {
        let _ = self.spot.hide_popover();
        let _ = self.ui.panel().hide_popover();
    }

    /// Moves focus to the primary button, else the panel's first control.
    pub fn focus(&self) {
        let primary = self.primary.borrow();
        self.ui
            .focus(primary.as_ref().map(|p| p.unchecked_ref::<Element>()));
    }

    /// Whether focus is in the panel.
    pub fn has_focus(&self) -> bool {
        self.ui.root().active_element().is_some()
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        self.click.borrow_mut().take();
        let _ = self.spot.hide_popover();
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

/// Appends a markdown document's blocks.
fn render(document: &Document, markdown: &Markdown, into: &HtmlElement) {
    for block in &markdown.blocks {
        match block {
            Block::Paragraph(inlines) => {
                if let Some(p) = element(document, "p", "") {
                    inline(document, inlines, &p);
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
                        inline(document, item, &li);
                        let _ = l.append_child(&li);
                    }
                }
                let _ = into.append_child(&l);
            }
        }
    }
}

fn inline(document: &Document, inlines: &[Inline], into: &HtmlElement) {
    for item in inlines {
        match item {
            Inline::Text(run) => text(document, run, into),
            Inline::Link(link) => {
                let Some(a) = element(document, "a", "") else {
                    continue;
                };
                let _ = a.set_attribute("href", &link.url);
                let _ = a.set_attribute("target", "_blank");
                let _ = a.set_attribute("rel", "noopener noreferrer");
                for run in &link.label {
                    text(document, run, &a);
                }
                let _ = into.append_child(&a);
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
