//! Where the panel and the spotlight go, measured in the page and decided by
//! `waymark_core::rules::placement`: the target's rectangle in the top viewport (through
//! its iframes, clipped by its scroll containers), the viewport less its fixed insets (a
//! fixed or sticky header or bottom bar), whether something covers the target, and the
//! panel's size. The result is written with `style.setProperty`, which a strict CSP allows.

use wasm_bindgen::{JsCast, JsValue};
use waymark_core::rules::placement::{self, Insets, Layout, Placed, Rect, Request, Size};
use waymark_core::rules::tour::Step;
use web_sys::{
    CssStyleDeclaration, Element, HtmlElement, ScrollBehavior, ScrollIntoViewOptions,
    ScrollLogicalPosition,
};

use super::locate::Found;
use super::panel::{self, number, Frame};

/// A step's target on screen: the element, its iframes and its clipping ancestors.
pub struct Anchor {
    element: Element,
    frames: Vec<Element>,
    clips: Vec<Element>,
}

fn style(element: &Element) -> Option<CssStyleDeclaration> {
    panel::window().get_computed_style(element).ok().flatten()
}

fn property(style: &CssStyleDeclaration, name: &str) -> String {
    style.get_property_value(name).unwrap_or_default()
}

/// The parent element, crossing out of shadow roots.
fn parent(element: &Element) -> Option<Element> {
    element.parent_element().or_else(|| {
        element
            .parent_node()
            .filter(|n| n.node_type() == web_sys::Node::DOCUMENT_FRAGMENT_NODE)
            .map(|n| n.unchecked_into::<web_sys::ShadowRoot>().host())
    })
}

fn rect(element: &Element) -> Rect {
    let r = element.get_bounding_client_rect();
    Rect {
        x: r.x(),
        y: r.y(),
        width: r.width(),
        height: r.height(),
    }
}

/// The part of `a` inside `b`, possibly empty.
fn intersect(a: Rect, b: Rect) -> Rect {
    let (x, y) = (a.x.max(b.x), a.y.max(b.y));
    Rect {
        x,
        y,
        width: (a.right().min(b.right()) - x).max(0.0),
        height: (a.bottom().min(b.bottom()) - y).max(0.0),
    }
}

impl Anchor {
    /// The found target, with the ancestors whose overflow clips it.
    pub fn new(found: Found) -> Anchor {
        let mut clips = Vec::new();
        let mut at = parent(&found.element);
        while let Some(element) = at {
            if let Some(style) = style(&element) {
                if property(&style, "overflow") != "visible"
                    && element.local_name() != "html"
                    && element.local_name() != "body"
                {
                    clips.push(element.clone());
                }
            }
            at = parent(&element);
        }
        Anchor {
            element: found.element,
            frames: found.frames,
            clips,
        }
    }

    /// The element.
    pub fn element(&self) -> &Element {
        &self.element
    }

    /// Whether it is still in its document.
    pub fn connected(&self) -> bool {
        self.element.is_connected()
    }

    /// Scrolls it (and its scroll containers) into view unless it is already wholly in view:
    /// smoothly, unless the user prefers reduced motion.
    pub fn scroll_into_view(&self) {
        let (view, _) = viewport();
        let r = self.rect();
        if r.width > 0.0 && r.height > 0.0 && intersect(r, view) == r && self.rect_unclipped() == r
        {
            return;
        }
        let reduce = panel::window()
            .match_media("(prefers-reduced-motion: reduce)")
            .ok()
            .flatten()
            .is_some_and(|m| m.matches());
        let options = ScrollIntoViewOptions::new();
        options.set_block(ScrollLogicalPosition::Center);
        options.set_inline(ScrollLogicalPosition::Nearest);
        options.set_behavior(if reduce {
            ScrollBehavior::Instant
        } else {
            ScrollBehavior::Smooth
        });
        self.element
            .scroll_into_view_with_scroll_into_view_options(&options);
    }

    fn rect_unclipped(&self) -> Rect {
        let mut r = rect(&self.element);
        for frame in self.frames.iter().rev() {
            let f = rect(frame);
            r.x += f.x + f64::from(frame.client_left());
            r.y += f.y + f64::from(frame.client_top());
        }
        r
    }

    /// Its visible rectangle in the top viewport: clipped by its scroll containers, and
    /// carried out through each iframe (clipped by the frame too).
    pub fn rect(&self) -> Rect {
        let mut r = rect(&self.element);
        for clip in &self.clips {
            r = intersect(r, rect(clip));
        }
        for frame in self.frames.iter().rev() {
            let f = rect(frame);
            let (left, top) = (
                f64::from(frame.client_left()),
                f64::from(frame.client_top()),
            );
            r.x += f.x + left;
            r.y += f.y + top;
            let inner = Rect {
                x: f.x + left,
                y: f.y + top,
                width: f64::from(frame.client_width()),
                height: f64::from(frame.client_height()),
            };
            r = intersect(r, inner);
        }
        r
    }

    /// Whether the element at the target's centre is something else (a header over it).
    fn obscured(&self, r: Rect) -> bool {
        let (x, y) = ((r.x + r.width / 2.0) as f32, (r.y + r.height / 2.0) as f32);
        let hits = panel::document().elements_from_point(x, y);
        let Some(hit) = first_of_page(&hits) else {
            return false;
        };
        // The target itself, something inside it, or one of its ancestors (a shadow host,
        // an iframe: hits are retargeted there).
        if hit == self.element || self.element.contains(Some(&hit)) {
            return false;
        }
        let mut at = Some(self.element.clone());
        while let Some(element) = at {
            if element == hit {
                return false;
            }
            at = parent(&element);
        }
        !self.frames.contains(&hit)
    }
}

/// The topmost of `hits` that is the page's, not one of our hosts (a tour, a survey).
fn first_of_page(hits: &js_sys::Array) -> Option<Element> {
    hits.iter()
        .map(JsValue::unchecked_into::<Element>)
        .find(|h| !h.local_name().starts_with("waymark-"))
}

/// The viewport (without scrollbars) and its insets.
fn viewport() -> (Rect, Size) {
    let root = panel::document().document_element();
    let (width, height) = root.map_or((0.0, 0.0), |r| {
        (f64::from(r.client_width()), f64::from(r.client_height()))
    });
    (
        Rect {
            x: 0.0,
            y: 0.0,
            width,
            height,
        },
        Size { width, height },
    )
}

/// The fixed or sticky bars at the top and bottom edges of the viewport.
fn insets(size: Size) -> Insets {
    let mut insets = Insets::default();
    for (y, top) in [(1.0, true), (size.height - 1.0, false)] {
        let hits = panel::document().elements_from_point((size.width / 2.0) as f32, y as f32);
        let hit = first_of_page(&hits);
        let mut at = hit;
        while let Some(element) = at {
            let name = element.local_name();
            if name == "html" || name == "body" {
                break;
            }
            let position = style(&element)
                .map(|s| property(&s, "position"))
                .unwrap_or_default();
            if position == "fixed" || position == "sticky" {
                let r = rect(&element);
                if r.height < size.height / 2.0 {
                    if top && r.y <= 1.0 {
                        insets.top = r.bottom().max(0.0);
                    } else if !top && r.bottom() >= size.height - 1.0 {
                        insets.bottom = (size.height - r.y).max(0.0);
                    }
                }
                break;
            }
            at = parent(&element);
        }
    }
    insets
}

fn set(element: &HtmlElement, name: &str, value: &str) {
    let _ = element.style().set_property(name, value);
}

fn px(v: f64) -> String {
    let mut s = number(v.round() as i64);
    s.push_str("px");
    s
}

/// Places the panel and the spotlight for `step`, beside `anchor` or centered.
pub fn layout(frame: &Frame, anchor: Option<&Anchor>, step: &Step) {
    let (view, size) = viewport();
    let insets = insets(size);
    let layout = Layout::default();
    let panel = frame.panel();
    let sheet = size.width < layout.sheet_below;
    let _ = panel.class_list().toggle_with_force("b", sheet);
    let measured = panel.get_bounding_client_rect();
    let floating = Size {
        width: measured.width(),
        height: measured.height(),
    };
    let target = anchor.map(|a| (a, a.rect()));
    let visible =
        target.filter(|(_, r)| r.width > 0.0 && r.height > 0.0 && intersect(*r, view).width > 0.0);
    let obscured = visible.is_some_and(|(a, r)| a.obscured(r));
    let placed = placement::place(&Request {
        target: target.map(|(_, r)| r),
        obscured,
        floating,
        viewport: size,
        insets,
        placement: step.placement,
        align: step.align,
        layout,
    });
    let _ = panel.remove_attribute("data-side");
    match placed {
        Placed::Anchored(a) => {
            set(panel, "left", &px(a.x));
            set(panel, "top", &px(a.y));
            set(panel, "bottom", "auto");
            if let Some(arrow) = a.arrow {
                let _ = panel.set_attribute("data-side", a.side.name());
                set(panel, "--a", &px(arrow));
            }
        }
        Placed::Centered(c) => {
            set(panel, "left", &px(c.x));
            set(panel, "top", &px(c.y));
            set(panel, "bottom", "auto");
        }
        Placed::Sheet(s) => {
            set(panel, "--h", &px(s.max_height));
            set(panel, "left", "0");
            // A sheet that would cover the target goes to the top instead.
            let height = floating.height.min(s.max_height);
            let covers = visible.is_some_and(|(_, r)| r.bottom() > size.height - s.bottom - height);
            if covers {
                set(panel, "top", &px(insets.top));
                set(panel, "bottom", "auto");
            } else {
                set(panel, "top", "auto");
                set(panel, "bottom", &px(s.bottom));
            }
        }
    }
    let spot = frame.spot();
    let hole = match (step.spotlight, visible) {
        (Some(light), Some((_, r))) if !obscured => {
            placement::spotlight(r, light.padding, light.radius, size)
        }
        _ => None,
    };
    let _ = spot.class_list().toggle_with_force("o", hole.is_none());
    if let Some(hole) = hole {
        set(spot, "left", &px(hole.rect.x));
        set(spot, "top", &px(hole.rect.y));
        set(spot, "width", &px(hole.rect.width));
        set(spot, "height", &px(hole.rect.height));
        set(spot, "border-radius", &px(hole.radius));
    }
}
