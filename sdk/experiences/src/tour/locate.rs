//! Finding a step's target with its locator strategies, strongest first, each over every
//! root before the next: the document, its open shadow roots (recursively), and every
//! same-origin iframe's document with its own shadow roots (or only the frame a `frame`
//! path names). Closed shadow roots and cross-origin frames cannot be searched.
//!
//! `querySelectorAll`, `getElementById` and `elementsFromPoint` are called on a root as a
//! [`Document`] whatever it is: wasm-bindgen calls methods by name, and a `ShadowRoot` has
//! the same ones (`DocumentOrShadowRoot`, `ParentNode`), so one path serves both.

use wasm_bindgen::{JsCast, JsValue};
use waymark_core::rules::tour::{same_text, Locator, Strategy, Target};
use web_sys::{Document, Element, HtmlIFrameElement, Node};

/// A document or open shadow root to search, and the iframes it is inside (outermost
/// first), whose offsets carry its coordinates to the top viewport.
pub struct Root {
    /// The document or shadow root.
    pub node: Document,
    /// The iframe elements it is inside.
    pub frames: Vec<Element>,
}

/// A target found.
pub struct Found {
    /// The element.
    pub element: Element,
    /// The strategy that found it.
    pub strategy: Strategy,
    /// The iframes it is inside, outermost first.
    pub frames: Vec<Element>,
}

/// How deep shadow roots and frames are followed.
const MAX_DEPTH: usize = 24;

/// Every root the target may be in, the top document first.
pub fn roots(target: &Target) -> Vec<Root> {
    let mut out = Vec::new();
    let Some(mut document) = web_sys::window().and_then(|w| w.document()) else {
        return out;
    };
    let mut frames = Vec::new();
    for selector in &target.frames {
        let frame = document.query_selector(selector).ok().flatten();
        let Some(inner) = frame.as_ref().and_then(content_document) else {
            return out;
        };
        frames.extend(frame);
        document = inner;
    }
    collect(document, frames, target.frames.is_empty(), 0, &mut out);
    out
}

fn collect(
    node: Document,
    frames: Vec<Element>,
    into_frames: bool,
    depth: usize,
    out: &mut Vec<Root>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let all = node.query_selector_all("*").ok();
    out.push(Root {
        node,
        frames: frames.clone(),
    });
    let Some(all) = all else { return };
    for i in 0..all.length() {
        let Some(element) = all.get(i).map(Node::unchecked_into::<Element>) else {
            continue;
        };
        // Our own hosts (the tour's panel, a survey) are not part of the page.
        if element.local_name().starts_with("waymark-") {
            continue;
        }
        if let Some(shadow) = element.shadow_root() {
            collect(
                shadow.unchecked_into(),
                frames.clone(),
                into_frames,
                depth + 1,
                out,
            );
        }
        if into_frames {
            // `contentDocument` is null for a cross-origin frame.
            if let Some(document) = content_document(&element) {
                let mut inner = frames.clone();
                inner.push(element.clone());
                collect(document, inner, true, depth + 1, out);
            }
        }
    }
}

/// An iframe's document, if it is one and same-origin (`contentDocument` is null for a
/// cross-origin frame).
///
/// Elements of a frame's document belong to the frame's realm, where `instanceof` against
/// this window's classes fails: elements are told apart by their names and cast unchecked
/// (`querySelectorAll` only ever returns elements).
pub fn content_document(element: &Element) -> Option<Document> {
    if element.local_name() != "iframe" {
        return None;
    }
    element
        .unchecked_ref::<HtmlIFrameElement>()
        .content_document()
}

/// Which of the target's selectors the browser refuses to parse, if one does: `selector`
/// for the selector strategy, `frame` for the frame path. A config the collector checked has
/// none; one written around it may, and that strategy then finds nothing.
pub fn refused(target: &Target) -> Option<&'static str> {
    let document = web_sys::window()?.document()?;
    let bad = |selector: &str| document.query_selector(selector).is_err();
    if target
        .locators
        .iter()
        .any(|l| matches!(l, Locator::Selector(s) if bad(s)))
    {
        return Some("selector");
    }
    target.frames.iter().any(|f| bad(f)).then_some("frame")
}

/// The first visible element the target's strategies find, in order.
pub fn locate(target: &Target, roots: &[Root]) -> Option<Found> {
    for locator in &target.locators {
        for root in roots {
            if let Some(element) = find(locator, &root.node) {
                return Some(Found {
                    element,
                    strategy: locator.strategy(),
                    frames: root.frames.clone(),
                });
            }
        }
    }
    None
}

fn find(locator: &Locator, root: &Document) -> Option<Element> {
    match locator {
        Locator::Id(id) => root.get_element_by_id(id).filter(visible),
        Locator::Role { role, name } => {
            let mut selector = String::from("[role=\"");
            selector.push_str(role);
            selector.push_str("\"]");
            if let Some(implicit) = implicit(role) {
                selector.push(',');
                selector.push_str(implicit);
            }
            first(root, &selector, |e| {
                e.get_attribute("role").is_none_or(|r| r == *role)
                    && same_text(name, &accessible_name(e, root))
            })
        }
        Locator::Text(text) => first(root, "body *", |e| {
            let own = |e: &Element| same_text(text, &e.text_content().unwrap_or_default());
            if !own(e) {
                return false;
            }
            // The innermost: no child holds the whole text.
            let children = e.children();
            (0..children.length()).all(|i| !children.item(i).is_some_and(|c| own(&c)))
        }),
        // `data-waymark` and selector.
        _ => first(root, &locator.selector().unwrap_or_default(), |_| true),
    }
}

/// The first visible element matching `selector` and `wanted`; a selector the browser
/// refuses finds nothing.
fn first(root: &Document, selector: &str, wanted: impl Fn(&Element) -> bool) -> Option<Element> {
    let all = root.query_selector_all(selector).ok()?;
    (0..all.length())
        .filter_map(|i| all.get(i).map(Node::unchecked_into::<Element>))
        .find(|e| wanted(e) && visible(e))
}

/// Whether an element has a box and is not `visibility: hidden`.
pub fn visible(element: &Element) -> bool {
    let rect = element.get_bounding_client_rect();
    (rect.width() > 0.0 || rect.height() > 0.0)
        && web_sys::window()
            .and_then(|w| w.get_computed_style(element).ok().flatten())
            .and_then(|s| s.get_property_value("visibility").ok())
            .is_none_or(|v| v != "hidden")
}

/// The elements that have `role` without saying so.
fn implicit(role: &str) -> Option<&'static str> {
    Some(match role {
        "button" => "button,input[type=button],input[type=submit],input[type=reset],summary",
        "link" => "a[href],area[href]",
        "heading" => "h1,h2,h3,h4,h5,h6",
        "textbox" => "input:not([type]),input[type=text],input[type=email],input[type=search],input[type=tel],input[type=url],textarea",
        "checkbox" => "input[type=checkbox]",
        "radio" => "input[type=radio]",
        "combobox" => "select",
        "img" => "img[alt]",
        "navigation" => "nav",
        "main" => "main",
        "listitem" => "li",
        "tab" | "menuitem" | "switch" | "option" => return None,
        _ => return None,
    })
}

/// A simplified accessible name: `aria-labelledby`, `aria-label`, the labels of a form
/// control, `alt`, the text, then `title`.
fn accessible_name(element: &Element, root: &Document) -> String {
    if let Some(ids) = element.get_attribute("aria-labelledby") {
        let mut name = String::new();
        for id in ids.split_whitespace() {
            if let Some(label) = root.get_element_by_id(id) {
                name.push_str(&label.text_content().unwrap_or_default());
                name.push(' ');
            }
        }
        if !name.trim().is_empty() {
            return name;
        }
    }
    for attribute in ["aria-label"] {
        if let Some(label) = element
            .get_attribute(attribute)
            .filter(|l| !l.trim().is_empty())
        {
            return label;
        }
    }
    let labels = js_sys::Reflect::get(element, &"labels".into())
        .ok()
        .filter(JsValue::is_object)
        .map(JsValue::unchecked_into::<web_sys::NodeList>);
    if let Some(labels) = labels.filter(|l| l.length() > 0) {
        let mut name = String::new();
        for i in 0..labels.length() {
            if let Some(label) = labels.get(i) {
                name.push_str(&Node::text_content(&label).unwrap_or_default());
                name.push(' ');
            }
        }
        return name;
    }
    if let Some(alt) = element.get_attribute("alt") {
        return alt;
    }
    let text = element.text_content().unwrap_or_default();
    if text.trim().is_empty() {
        if let Some(value) = element
            .get_attribute("value")
            .or_else(|| element.get_attribute("title"))
        {
            return value;
        }
    }
    text
}
