//! Content changes and on-page experiments: what a `"kind": "content"` experience does to
//! the page, read from its configuration.
//!
//! ```json
//! {"id": "welcome", "kind": "content", "trigger": {"page_view": ["/dashboard*"]},
//!  "changes": [
//!    {"selector": "#greeting", "text": "Welcome back, {{user.first_name | there}}"},
//!    {"selector": "a.upgrade", "attribute": "href", "value": "/pricing?from=dashboard"},
//!    {"selector": ".plan-card", "add_class": "highlight"},
//!    {"selector": ".legacy-note", "hide": true},
//!    {"selector": "#summary", "banner": {"title": "New", "text": "Try exports",
//!       "cta": {"label": "Open", "url": "/exports"}, "dismissible": true}, "position": "before"},
//!    {"variant": "pricing-b"}],
//!  "experiment": {"variants": [{"key": "control", "weight": 0.5, "changes": []},
//!                              {"key": "annual-first", "weight": 0.5, "changes": [...]}],
//!                 "coverage": 1, "goals": ["signup_completed"]}}
//! ```
//!
//! The page is only ever changed through the DOM's text and attribute setters, so nothing
//! from a configuration or a trait is ever parsed as HTML. Text may hold placeholders,
//! `{{user.first_name | there}}`: a path into the user's attributes and a fallback for when
//! it is missing or empty.
//!
//! What a change may set is allowed by name, and everything else is refused
//! ([`attribute_elements`]): text-like attributes (`alt`, `title`, `placeholder`, `aria-*`)
//! on any element, `href` on links (`a`, `area`) and `src` on images (`img`), whose URLs
//! must be relative or use one of [`URL_SCHEMES`] ([`safe_url`]); a placeholder may not
//! make up a URL's scheme. Text and banners never go into `script` or `style` elements. A class is one token ([`class_token`]), a selector one that
//! browsers parse ([`selector`](super::selector)).
//!
//! These rules are checked twice. The collector checks them before it publishes (the
//! `publish` feature: with selectors parsed, and messages). The browser's content layer
//! (`npm/src/content.js`) checks them again where it acts, on the element it is about to
//! change and with the placeholders filled (URLs with the browser's own parser), and skips a
//! change that breaks one with a `$content_skipped` event: a config published before these
//! rules, or written around the collector, executes nothing. The browser modules' reader
//! leaves them out: read in the wasm they took the runtime 1,264 B gzipped past what the
//! content layer's check costs (73,768 B against 72,504 B, measured with `scripts/build-sdk`).
//!
//! An experiment assigns each user a variant with GrowthBook's hashing ([`crate::rules::bucket`],
//! version 2, seeded with the experiment key), so a user keeps their variant on every
//! device that knows their id. The first variant is the control.

use crate::rules::bucket;
use crate::rules::json::Fields;
use crate::rules::{js, pointer, Diagnostic, Severity};
use crate::value::Value;

/// Where a banner goes, relative to the element its selector finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Position {
    /// Just before the element.
    Before,
    /// Just after the element.
    After,
    /// Inside, first.
    Prepend,
    /// Inside, last.
    Append,
}

impl Position {
    /// The `insertAdjacentElement` position.
    #[must_use]
    pub fn dom_name(self) -> &'static str {
        match self {
            Position::Before => "beforebegin",
            Position::After => "afterend",
            Position::Prepend => "afterbegin",
            Position::Append => "beforeend",
        }
    }
}

/// A banner or callout, built from text only.
#[derive(Clone, Debug, PartialEq)]
pub struct Banner {
    /// The heading (may be empty).
    pub title: Template,
    /// The body text.
    pub text: Template,
    /// The call-to-action button's label; empty for none.
    pub cta_label: Template,
    /// Where the call to action leads, if it is a link.
    pub cta_url: Option<Template>,
    /// The event the call to action records, if any.
    pub cta_event: Option<String>,
    /// Whether the user may close it (remembered as a dismissal of the experience).
    pub dismissible: bool,
    /// Where it goes.
    pub position: Position,
}

/// What a change does to each element its selector finds.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Replaces the element's text.
    Text(Template),
    /// Sets an attribute.
    Attribute(String, Template),
    /// Adds a class.
    AddClass(String),
    /// Removes a class.
    RemoveClass(String),
    /// Hides the element.
    Hide,
    /// Shows an element hidden by the page (`hidden` or an inline `display: none`).
    Show,
    /// Inserts a banner next to or inside the element.
    Banner(Box<Banner>),
    /// Shows this layout variant (`data-waymark-variant="pricing-b"`) and hides the others of
    /// its group (the name up to its last `-`: `pricing`).
    Variant(String),
}

/// One change: which elements, and what to do to them.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    /// A CSS selector.
    pub selector: String,
    /// What to do.
    pub action: Action,
}

/// What a change does, with its placeholders filled: what the browser shell applies.
#[derive(Clone, Debug, PartialEq)]
pub enum Rendered {
    /// Replace the text.
    Text(String),
    /// Set an attribute.
    Attribute(String, String),
    /// Add a class.
    AddClass(String),
    /// Remove a class.
    RemoveClass(String),
    /// Hide.
    Hide,
    /// Show.
    Show,
    /// Insert a banner.
    Banner(Box<BannerText>),
    /// Show this layout variant and hide the rest of its group.
    Variant(String),
}

/// A banner with its placeholders filled.
#[derive(Clone, Debug, PartialEq)]
pub struct BannerText {
    /// Heading (none if empty).
    pub title: String,
    /// Body.
    pub text: String,
    /// Call-to-action label (no call to action if empty).
    pub cta_label: String,
    /// Call-to-action link.
    pub cta_url: Option<String>,
    /// Whether it has a close button.
    pub dismissible: bool,
    /// Where it goes.
    pub position: Position,
}

impl Change {
    /// The change for a user with these attributes. A filled-in URL is not checked here: the
    /// collector refused any URL whose scheme a placeholder could make up, and the content
    /// layer checks the URL it is about to set with the browser's own parser (a config
    /// written around the collector, with a trait holding `javascript:…`).
    #[must_use]
    pub fn render(&self, attributes: &Value) -> Rendered {
        match &self.action {
            Action::Text(t) => Rendered::Text(t.render(attributes)),
            Action::Attribute(name, value) => {
                Rendered::Attribute(name.clone(), value.render(attributes))
            }
            Action::AddClass(c) => Rendered::AddClass(c.clone()),
            Action::RemoveClass(c) => Rendered::RemoveClass(c.clone()),
            Action::Hide => Rendered::Hide,
            Action::Show => Rendered::Show,
            Action::Variant(name) => Rendered::Variant(name.clone()),
            Action::Banner(b) => Rendered::Banner(Box::new(BannerText {
                title: b.title.render(attributes),
                text: b.text.render(attributes),
                cta_label: b.cta_label.render(attributes),
                cta_url: b.cta_url.as_ref().map(|url| url.render(attributes)),
                dismissible: b.dismissible,
                position: b.position,
            })),
        }
    }
}

/// The attribute that marks layout variants.
pub const VARIANT_ATTRIBUTE: &str = "data-waymark-variant";

/// The group of a layout variant's name: up to its last `-`.
#[must_use]
pub fn variant_group(name: &str) -> &str {
    name.rfind('-').map_or(name, |dash| &name[..dash])
}

/// One arm of an experiment.
#[derive(Clone, Debug, PartialEq)]
pub struct Variant {
    /// Its key, as reported in exposures.
    pub key: String,
    /// Its share of the users in the experiment.
    pub weight: f64,
    /// The changes it makes (none for a plain control).
    pub changes: Vec<Change>,
}

/// An on-page experiment.
#[derive(Clone, Debug, PartialEq)]
pub struct Experiment {
    /// The hashing seed (default: the experience id).
    pub key: String,
    /// The share of users in the experiment, 0 to 1.
    pub coverage: f64,
    /// The variants; the first is the control.
    pub variants: Vec<Variant>,
    /// The events that count as conversions.
    pub goals: Vec<String>,
}

impl Experiment {
    /// The variant of the user with this hashing key, or `None` outside the coverage. A
    /// `?<key>=<index>` in the URL forces a variant, for checking each one by eye.
    #[must_use]
    pub fn assign(&self, user_key: &str, url: &str) -> Option<usize> {
        let n = self.variants.len();
        if let Some(forced) = bucket::query_string_override(&self.key, url, n) {
            return Some(forced);
        }
        let weights: Vec<f64> = self.variants.iter().map(|v| v.weight).collect();
        let ranges = bucket::bucket_ranges(n, Some(self.coverage), Some(&weights));
        bucket::choose_variation(bucket::hash(&self.key, user_key, 2)?, &ranges)
    }

    /// Every selector any variant changes: the user counts as exposed once one of them is
    /// on the page, whichever variant they have (the control included).
    pub fn selectors(&self) -> impl Iterator<Item = &str> {
        self.variants
            .iter()
            .flat_map(|v| v.changes.iter())
            .map(|c| c.selector.as_str())
    }
}

/// A content experience's changes and experiment.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Content {
    /// Changes every targeted user gets.
    pub changes: Vec<Change>,
    /// An experiment whose variant adds its own changes.
    pub experiment: Option<Experiment>,
}

/// A piece of text with placeholders.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Template(Vec<Part>);

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Text(String),
    Slot { path: Vec<String>, fallback: String },
}

impl Template {
    /// Reads `Hello {{user.first_name | there}}`. A `{{` without its `}}`, or an empty path,
    /// is an error.
    pub fn parse(text: &str) -> Result<Template, &'static str> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_owned()));
            }
            let inside = &rest[open + 2..];
            let close = inside
                .find("}}")
                .ok_or("a placeholder opened with {{ is not closed with }}")?;
            let (path, fallback) = match inside[..close].split_once('|') {
                Some((path, fallback)) => (path.trim(), fallback.trim()),
                None => (inside[..close].trim(), ""),
            };
            if path.is_empty() || path.split('.').any(str::is_empty) {
                return Err("a placeholder needs a path such as {{user.first_name}}");
            }
            parts.push(Part::Slot {
                path: path.split('.').map(str::to_owned).collect(),
                fallback: fallback.to_owned(),
            });
            rest = &inside[close + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Template(parts))
    }

    /// Whether the text has a placeholder.
    #[must_use]
    pub fn has_placeholders(&self) -> bool {
        self.0.iter().any(|p| matches!(p, Part::Slot { .. }))
    }

    /// The text before the first placeholder.
    #[must_use]
    pub fn literal_prefix(&self) -> String {
        let mut out = String::new();
        for part in &self.0 {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Slot { .. } => break,
            }
        }
        out
    }

    /// The text with each placeholder filled from `attributes` (strings as they are,
    /// numbers and booleans as JavaScript writes them), or its fallback where the value is
    /// missing, empty, or not a plain value.
    #[must_use]
    pub fn render(&self, attributes: &Value) -> String {
        let mut out = String::new();
        for part in &self.0 {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Slot { path, fallback } => {
                    let mut value = Some(attributes);
                    for step in path {
                        value = value.and_then(|v| v.field(step));
                    }
                    match value {
                        Some(v @ (Value::String(_) | Value::Number(_) | Value::Bool(_))) => {
                            let text = js::to_js_string(v);
                            out.push_str(if text.is_empty() { fallback } else { &text });
                        }
                        _ => out.push_str(fallback),
                    }
                }
            }
        }
        out
    }
}

/// The URL schemes a link or an image may use. A URL with any other scheme is refused
/// (`javascript:`, `data:`, `vbscript:`, `blob:`, `file:` and whatever a browser adds next);
/// one without a scheme is relative to the page.
pub const URL_SCHEMES: [&str; 4] = ["http", "https", "mailto", "tel"];

/// Whether a URL may go into a link or an image: relative, or with a scheme of
/// [`URL_SCHEMES`]. The scheme is read as a browser's URL parser reads it, and more
/// strictly: ASCII whitespace and control characters are ignored wherever they are (a
/// browser drops them around the URL and tabs and newlines inside it), case is ignored, and
/// HTML character references are decoded as well (`javascript&#58;`, `&#x6A;avascript:`),
/// in case the text ever passes through an HTML parser, or through several
/// (`&amp;colon;`): every reading must pass.
#[must_use]
pub fn safe_url(url: &str) -> bool {
    let mut reading = url.to_owned();
    loop {
        if !scheme_allowed(reading.chars()) {
            return false;
        }
        let next = decode_references(&reading);
        if next == reading {
            return true;
        }
        reading = next;
    }
}

fn scheme_allowed(url: impl Iterator<Item = char>) -> bool {
    let mut scheme = String::new();
    for c in url.filter(|c| *c > ' ' && *c != '\u{7f}') {
        match c {
            ':' => return URL_SCHEMES.contains(&scheme.as_str()),
            c if c.is_ascii_alphabetic() => scheme.push(c.to_ascii_lowercase()),
            '0'..='9' | '+' | '-' | '.' if !scheme.is_empty() => scheme.push(c),
            // Anything else before a colon (a `/`, `?`, `#`, or a character no scheme has)
            // makes the URL relative.
            _ => return true,
        }
    }
    true
}

/// `url` with HTML character references decoded: numeric ones (`&#58;`, `&#x3A;`, with or
/// without the `;`) and the named ones that spell URL syntax or whitespace.
fn decode_references(url: &str) -> String {
    const NAMED: [(&str, char); 9] = [
        ("colon", ':'),
        ("Tab", '\t'),
        ("NewLine", '\n'),
        ("sol", '/'),
        ("quest", '?'),
        ("num", '#'),
        ("period", '.'),
        ("plus", '+'),
        ("amp", '&'),
    ];
    let mut out = String::new();
    let mut rest = url;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        let (decoded, used) = if let Some(number) = rest.strip_prefix('#') {
            let (digits, radix, skip) = match number.strip_prefix(['x', 'X']) {
                Some(hex) => (hex, 16, 2),
                None => (number, 10, 1),
            };
            let len = digits
                .find(|c: char| !c.is_digit(radix))
                .unwrap_or(digits.len());
            let code = u32::from_str_radix(&digits[..len], radix).ok();
            (code.and_then(char::from_u32), skip + len)
        } else {
            NAMED
                .iter()
                .find(|(name, _)| rest.starts_with(name))
                .map_or((None, 0), |(name, c)| (Some(*c), name.len()))
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[used..];
                rest = rest.strip_prefix(';').unwrap_or(rest);
            }
            None => out.push('&'),
        }
    }
    out.push_str(rest);
    out
}

/// The elements a content change may set attribute `name` on, by name (`&[]`: any
/// element), or `None` when it may set it on none. This is the whole list, and the README's:
/// text-like attributes (`alt`, `title`, `placeholder` and the ARIA attributes,
/// `aria-label`), anywhere; `href` on links (`a`, `area`) and `src` on images (`img`), with
/// [`safe_url`] URLs. Nothing else: not event handlers, `style` or `srcdoc`, not the other
/// attributes that take URLs (`action`, `formaction`, `data`, `ping`, `srcset`, `poster`,
/// SVG's `xlink:href` and the `to` or `values` of `set` and `animate`), and not `data-*`,
/// which frameworks read as code (AngularJS's `data-ng-*`, Knockout's `data-bind`, htmx's
/// `data-hx-*`). `name` is compared as written, after ASCII lower-casing.
#[must_use]
pub fn attribute_elements(name: &str) -> Option<&'static [&'static str]> {
    match name {
        "alt" | "title" | "placeholder" => Some(&[]),
        "href" => Some(&["a", "area"]),
        "src" => Some(&["img"]),
        aria if aria.strip_prefix("aria-").is_some_and(|rest| {
            !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_lowercase())
        }) =>
        {
            Some(&[])
        }
        _ => None,
    }
}

/// Whether a class a change adds or removes is one token: not empty, and without ASCII
/// whitespace or control characters (`classList` throws on them) or quotes.
#[must_use]
pub fn class_token(class: &str) -> bool {
    !class.is_empty()
        && class
            .chars()
            .all(|c| c > ' ' && c != '\u{7f}' && !matches!(c, '"' | '\'' | '`'))
}

/// Elements whose text is code, which `text` and `banner` changes may not touch: a script
/// that is empty runs the text it is given, and a style sheet's text is CSS.
pub const CODE_ELEMENTS: [&str; 2] = ["script", "style"];

/// What the README and the diagnostics say a change may set.
const ATTRIBUTES_ALLOWED: &str = "a content change may set alt, title, placeholder and aria-* attributes on any element, href on a and area elements and src on img elements (use text, add_class or a banner for the rest)";

struct Reader<'d> {
    diagnostics: &'d mut Vec<Diagnostic>,
}

impl Reader<'_> {
    fn error(&mut self, code: &'static str, at: String, message: &str) {
        self.diagnostics.push(Diagnostic {
            subject: String::new(),
            severity: Severity::Error,
            code,
            pointer: at,
            message: crate::rules::message(message),
        });
    }

    fn template(&mut self, json: Option<&Value>, at: String) -> Template {
        match json {
            None => Template::default(),
            Some(Value::String(text)) => Template::parse(text).unwrap_or_else(|message| {
                self.error("invalid_template", at, message);
                Template::default()
            }),
            Some(_) => {
                self.error("invalid_template", at, "text must be a string");
                Template::default()
            }
        }
    }

    /// Reads a URL; with the `publish` feature, checks it: [`safe_url`] with the
    /// placeholders at their fallbacks, and no placeholder before the scheme is settled
    /// (`{{user.a}}{{user.b}}:alert(1)` is refused, `/account/{{user.id}}` is not).
    fn url(&mut self, json: Option<&Value>, at: String) -> Option<Template> {
        json?;
        let template = self.template(json, at.clone());
        if !cfg!(feature = "publish") {
            return Some(template);
        }
        let fixed = template.literal_prefix();
        let settled = !template.has_placeholders()
            || decode_references(&fixed).contains([':', '/', '?', '#']);
        if !settled || !safe_url(&fixed) {
            self.error("unsafe_url", at, "a placeholder cannot make up a URL's scheme: write the URL's start (https:, mailto:, /, ? or #) before any placeholder");
        } else if !safe_url(&template.render(&Value::Null)) {
            self.error(
                "unsafe_url",
                at,
                "a URL is relative or starts with http:, https:, mailto: or tel:",
            );
        }
        Some(template)
    }

    /// With the `publish` feature, diagnoses a selector browsers would not parse.
    fn selector(&mut self, selector: &str, at: String) {
        if let Some(problem) = super::selector::problem(selector) {
            self.error("invalid_selector", at, &problem);
        }
    }

    /// With the `publish` feature, diagnoses a class that is not one token.
    fn class(&mut self, class: &str, at: String) {
        if cfg!(feature = "publish") && !class_token(class) {
            self.error(
                "invalid_class",
                at,
                "a class is one token: no spaces, quotes or control characters",
            );
        }
    }

    /// With the `publish` feature, diagnoses a URL attribute on a selector that names an
    /// element it is no link or image of (`link[rel=stylesheet]` with `href`); a selector
    /// that names none (`#upgrade`) is left to the content layer, which checks the element.
    fn subjects(&mut self, selector: &str, name: &str, elements: &[&str], at: String) {
        if elements.is_empty() {
            return;
        }
        let names = super::selector::subject_names(selector).unwrap_or_default();
        if let Some(other) = names
            .iter()
            .flatten()
            .find(|n| !elements.contains(&n.as_str()))
        {
            let message = crate::rules::msg!(
                "{name} is set only on {} elements, and this selector finds {other} elements",
                elements.join(" and ")
            );
            self.error("forbidden_attribute", at, &message);
        }
    }

    /// Diagnoses (selectors are parsed with the `publish` feature only) text or a banner
    /// aimed at an element whose text is code ([`CODE_ELEMENTS`]).
    fn code_element(&mut self, selector: &str, at: String) {
        let names = super::selector::subject_names(selector).unwrap_or_default();
        if let Some(name) = names
            .iter()
            .flatten()
            .find(|n| CODE_ELEMENTS.contains(&n.as_str()))
        {
            let message = crate::rules::msg!("text and banners cannot go into {name} elements, whose text is code: an empty script given text runs it");
            self.error("forbidden_element", at, &message);
        }
    }

    fn changes(&mut self, json: Option<&Value>, at: &str) -> Vec<Change> {
        let items = match json {
            None => return Vec::new(),
            Some(Value::Array(items)) => items,
            Some(_) => {
                self.error("invalid_changes", at.to_owned(), "changes must be an array");
                return Vec::new();
            }
        };
        let mut changes = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let here = pointer(at, &js::number_to_string(i as f64));
            if let Some(change) = self.change(item, &here) {
                changes.push(change);
            }
        }
        changes
    }

    fn change(&mut self, json: &Value, at: &str) -> Option<Change> {
        let field = |name: &str| pointer(at, name);
        if let Some(name) = json.str_field("variant") {
            if !name.contains('-') {
                self.error("invalid_variant", field("variant"), "a layout variant is named group-variant, as in data-waymark-variant=\"pricing-b\"");
                return None;
            }
            let mut selector = String::from("[");
            selector.push_str(VARIANT_ATTRIBUTE);
            selector.push(']');
            return Some(Change {
                selector,
                action: Action::Variant(name.to_owned()),
            });
        }
        let Some(selector) = json.text_field("selector") else {
            self.error(
                "missing_selector",
                field("selector"),
                "a change needs a CSS selector (or a layout \"variant\")",
            );
            return None;
        };
        self.selector(&selector, field("selector"));
        // Only the collector parses selectors; in the browser, the content layer sees the
        // element.
        if cfg!(feature = "publish")
            && (json.field("text").is_some() || json.field("banner").is_some())
        {
            self.code_element(&selector, field("selector"));
        }
        let action = if json.field("text").is_some() {
            Action::Text(self.template(json.field("text"), field("text")))
        } else if let Some(name) = json.str_field("attribute") {
            let name = name.to_ascii_lowercase();
            let value = if cfg!(feature = "publish") {
                let Some(elements) = attribute_elements(&name) else {
                    let message =
                        crate::rules::msg!("{name:?} cannot be set: {ATTRIBUTES_ALLOWED}");
                    self.error("forbidden_attribute", field("attribute"), &message);
                    return None;
                };
                self.subjects(&selector, &name, elements, field("attribute"));
                if elements.is_empty() {
                    self.template(json.field("value"), field("value"))
                } else {
                    self.url(json.field("value"), field("value"))
                        .unwrap_or_default()
                }
            } else {
                self.template(json.field("value"), field("value"))
            };
            Action::Attribute(name, value)
        } else if let Some(class) = json.text_field("add_class") {
            self.class(&class, field("add_class"));
            Action::AddClass(class)
        } else if let Some(class) = json.text_field("remove_class") {
            self.class(&class, field("remove_class"));
            Action::RemoveClass(class)
        } else if json.bool_field("hide") == Some(true) {
            Action::Hide
        } else if json.bool_field("show") == Some(true) {
            Action::Show
        } else if let Some(banner) = json.field("banner") {
            let position = match json.str_field("position") {
                None | Some("before") => Position::Before,
                Some("after") => Position::After,
                Some("prepend") => Position::Prepend,
                Some("append") => Position::Append,
                Some(_) => {
                    self.error(
                        "invalid_position",
                        field("position"),
                        "position must be before, after, prepend or append",
                    );
                    return None;
                }
            };
            let at = field("banner");
            let cta = banner.field("cta");
            let cta_at = pointer(&at, "cta");
            Action::Banner(Box::new(Banner {
                title: self.template(banner.field("title"), pointer(&at, "title")),
                text: self.template(banner.field("text"), pointer(&at, "text")),
                cta_label: self.template(
                    cta.and_then(|c| c.field("label")),
                    pointer(&cta_at, "label"),
                ),
                cta_url: self.url(cta.and_then(|c| c.field("url")), pointer(&cta_at, "url")),
                cta_event: cta.and_then(|c| c.text_field("event")),
                dismissible: banner.bool_field("dismissible").unwrap_or(true),
                position,
            }))
        } else {
            self.error("unknown_change", at.to_owned(), "a change sets text, attribute, add_class, remove_class, hide, show, banner or variant");
            return None;
        };
        Some(Change { selector, action })
    }

    fn experiment(&mut self, json: &Value, id: &str, at: &str) -> Option<Experiment> {
        let variants_at = pointer(at, "variants");
        let items = json.array_field("variants").unwrap_or_default();
        if items.len() < 2 {
            self.error(
                "invalid_experiment",
                variants_at,
                "an experiment needs at least two variants; the first is the control",
            );
            return None;
        }
        let mut variants = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let here = pointer(&variants_at, &js::number_to_string(i as f64));
            let Some(key) = item.text_field("key") else {
                self.error(
                    "missing_variant_key",
                    pointer(&here, "key"),
                    "each variant needs a key",
                );
                continue;
            };
            if variants.iter().any(|v: &Variant| v.key == key) {
                self.error(
                    "duplicate_variant_key",
                    pointer(&here, "key"),
                    "another variant has this key",
                );
            }
            variants.push(Variant {
                key,
                weight: item.num_field("weight").unwrap_or(-1.0),
                changes: self.changes(item.field("changes"), &pointer(&here, "changes")),
            });
        }
        let given: Vec<f64> = variants.iter().map(|v| v.weight).collect();
        if given.iter().all(|w| *w < 0.0) {
            let equal = 1.0 / variants.len() as f64;
            for v in &mut variants {
                v.weight = equal;
            }
        } else if given.iter().any(|w| *w < 0.0)
            || !(0.99..=1.01).contains(&given.iter().sum::<f64>())
        {
            self.error(
                "invalid_weights",
                variants_at,
                "variant weights must all be given, each from 0 to 1, summing to 1",
            );
        }
        let coverage = json.num_field("coverage").unwrap_or(1.0);
        if !(0.0..=1.0).contains(&coverage) {
            self.error(
                "invalid_coverage",
                pointer(at, "coverage"),
                "coverage must be a number from 0 to 1",
            );
        }
        let goals = json
            .array_field("goals")
            .unwrap_or_default()
            .iter()
            .filter_map(|g| match g {
                Value::String(s) if !s.is_empty() => Some(s.clone()),
                _ => None,
            })
            .collect();
        Some(Experiment {
            key: json.text_field("key").unwrap_or_else(|| id.to_owned()),
            coverage,
            variants,
            goals,
        })
    }
}

impl Content {
    /// Reads a content experience's `changes` and `experiment`, adding a diagnostic for
    /// each problem.
    pub fn from_json(
        json: &Value,
        id: &str,
        at: &str,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Content {
        let mut reader = Reader { diagnostics };
        let changes = reader.changes(json.field("changes"), &pointer(at, "changes"));
        let experiment = json
            .field("experiment")
            .and_then(|e| reader.experiment(e, id, &pointer(at, "experiment")));
        if changes.is_empty() && experiment.is_none() {
            reader.error(
                "no_changes",
                pointer(at, "changes"),
                "a content experience needs changes or an experiment",
            );
        }
        Content {
            changes,
            experiment,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Value {
        serde_json::from_str(text).expect("test JSON")
    }

    fn read(text: &str) -> (Content, Vec<(&'static str, String)>) {
        let mut diagnostics = Vec::new();
        let content = Content::from_json(&json(text), "exp", "/experiences/0", &mut diagnostics);
        (
            content,
            diagnostics
                .into_iter()
                .map(|d| (d.code, d.pointer))
                .collect(),
        )
    }

    #[test]
    fn placeholders_fill_from_attributes_or_fall_back() {
        let attributes = json(
            r#"{"user": {"first_name": "Ada", "empty": "", "seats": 3, "pro": true, "tags": ["a"]}}"#,
        );
        for (template, expected) in [
            (
                "Welcome back, {{user.first_name | there}}!",
                "Welcome back, Ada!",
            ),
            (
                "Welcome back, {{ user.last_name | there }}!",
                "Welcome back, there!",
            ),
            ("{{user.empty|friend}}", "friend"),
            (
                "{{user.seats}} seats, pro: {{user.pro}}",
                "3 seats, pro: true",
            ),
            ("{{user.tags|none}}", "none"),
            ("{{missing.deeply.nested}}", ""),
            ("no placeholders", "no placeholders"),
        ] {
            let parsed = Template::parse(template).unwrap();
            assert_eq!(parsed.render(&attributes), expected, "{template}");
        }
    }

    #[test]
    fn trait_values_are_text_never_markup() {
        let attributes = json(r#"{"user": {"first_name": "<img src=x onerror=alert(1)>"}}"#);
        let rendered = Template::parse("Hi {{user.first_name}}")
            .unwrap()
            .render(&attributes);
        // The shell sets it with textContent, so it shows literally.
        assert_eq!(rendered, "Hi <img src=x onerror=alert(1)>");
    }

    #[test]
    fn a_filled_in_url_is_passed_on_for_the_content_layer_to_check() {
        let (content, problems) = read(
            r#"{"changes": [{"selector": "a", "attribute": "href", "value": "/u/{{user.site}}"},
                            {"selector": "b", "attribute": "title", "value": "{{user.site}}"}]}"#,
        );
        assert_eq!(problems, []);
        let evil = json(r#"{"user": {"site": "javascript:alert(1)"}}"#);
        assert_eq!(
            content.changes[0].render(&evil),
            Rendered::Attribute("href".into(), "/u/javascript:alert(1)".into()),
            "after a / a scheme is a path: harmless"
        );
        assert_eq!(
            content.changes[1].render(&evil),
            Rendered::Attribute("title".into(), "javascript:alert(1)".into()),
            "a title is text"
        );
    }

    #[test]
    fn broken_placeholders_are_errors() {
        assert!(Template::parse("Hi {{user.name").is_err());
        assert!(Template::parse("Hi {{ | x}}").is_err());
        assert!(Template::parse("Hi {{user..name}}").is_err());
    }

    #[test]
    fn urls_are_relative_or_of_an_allowed_scheme_however_written() {
        for url in [
            "javascript:alert(1)",
            " JavaScript:alert(1)",
            "java\tscript:x",
            "java\nscript:x",
            "\u{1}javascript:x",
            "java\u{0}script:x",
            "jav\u{7f}ascript:x",
            "data:text/html,x",
            "VBSCRIPT:x",
            "blob:https://x/1",
            "file:///etc/passwd",
            "javascript&#58;alert(1)",
            "javascript&#0000058alert(1)",
            "javascript&#x3A;alert(1)",
            "javascript&colon;alert(1)",
            "&#106;avascript:alert(1)",
            "&#x6A;&#x61;vascript:alert(1)",
            "java&Tab;script:alert(1)",
            "java&NewLine;script:alert(1)",
            "javascript&amp;colon;alert(1)",
        ] {
            assert!(!safe_url(url), "{url:?}");
        }
        for url in [
            "/pricing",
            "https://example.com/a:b",
            "HTTP://example.com",
            "mailto:a@b.c",
            "tel:+15550100",
            "?q=javascript:x",
            "#top",
            "pricing",
            "./a:b",
            "/search?q=a&b=c",
            "1password:x",
        ] {
            assert!(safe_url(url), "{url:?}");
        }
    }

    #[test]
    fn attributes_are_allowed_by_name_and_element() {
        for (name, elements) in [
            ("alt", Some(&[][..])),
            ("title", Some(&[])),
            ("placeholder", Some(&[])),
            ("aria-label", Some(&[])),
            ("aria-describedby", Some(&[])),
            ("href", Some(&["a", "area"])),
            ("src", Some(&["img"])),
            ("onclick", None),
            (" onclick", None),
            ("title ", None),
            ("aria-", None),
            ("aria-x y", None),
            ("style", None),
            ("srcdoc", None),
            ("srcset", None),
            ("data", None),
            ("ping", None),
            ("action", None),
            ("formaction", None),
            ("xlink:href", None),
            ("content", None),
            ("to", None),
            ("values", None),
            ("data-bind", None),
            ("", None),
        ] {
            assert_eq!(attribute_elements(name), elements, "{name:?}");
        }
    }

    #[test]
    fn text_and_banners_never_go_into_code() {
        let (_, problems) = read(
            r##"{"changes": [
                {"selector": "script#x", "text": "alert(1)"},
                {"selector": "head > style, p", "banner": {"text": "Hi"}, "position": "append"},
                {"selector": "#x", "text": "left to the content layer, which sees the element"},
                {"selector": "noscript p", "text": "fine"}
            ]}"##,
        );
        assert_eq!(
            problems,
            [
                (
                    "forbidden_element",
                    "/experiences/0/changes/0/selector".to_owned()
                ),
                (
                    "forbidden_element",
                    "/experiences/0/changes/1/selector".to_owned()
                )
            ]
        );
    }

    #[test]
    fn a_class_is_one_token() {
        for class in ["on", "is-active", "md:flex", "w-1/2", "bg-[#fff]"] {
            assert!(class_token(class), "{class:?}");
        }
        for class in ["", "a b", " a", "a\tb", "a\"b", "a'b", "a`b", "a\u{0}"] {
            assert!(!class_token(class), "{class:?}");
        }
    }

    #[test]
    fn every_change_kind_is_read() {
        let (content, problems) = read(
            r##"{"changes": [
                {"selector": "#a", "text": "Hi {{user.name|there}}"},
                {"selector": "a", "attribute": "HREF", "value": "/x"},
                {"selector": ".c", "add_class": "on"},
                {"selector": ".c", "remove_class": "off"},
                {"selector": ".h", "hide": true},
                {"selector": ".s", "show": true},
                {"selector": "main", "banner": {"title": "T", "text": "B", "cta": {"label": "Go", "url": "/go", "event": "cta"}}, "position": "append"},
                {"variant": "pricing-b"}
            ]}"##,
        );
        assert_eq!(problems, []);
        let kinds: Vec<&str> = content
            .changes
            .iter()
            .map(|c| match &c.action {
                Action::Text(_) => "text",
                Action::Attribute(name, _) => {
                    assert_eq!(name, "href");
                    "attribute"
                }
                Action::AddClass(_) => "add",
                Action::RemoveClass(_) => "remove",
                Action::Hide => "hide",
                Action::Show => "show",
                Action::Banner(b) => {
                    assert_eq!(b.position, Position::Append);
                    assert!(b.dismissible);
                    assert_eq!(b.cta_event.as_deref(), Some("cta"));
                    "banner"
                }
                Action::Variant(name) => {
                    assert_eq!(variant_group(name), "pricing");
                    "variant"
                }
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "text",
                "attribute",
                "add",
                "remove",
                "hide",
                "show",
                "banner",
                "variant"
            ]
        );
        assert_eq!(content.changes[7].selector, "[data-waymark-variant]");
    }

    #[test]
    fn bad_changes_are_diagnosed_with_their_pointer() {
        let (_, problems) = read(
            r#"{"changes": [
                {"text": "no selector"},
                {"selector": "a", "attribute": "onclick", "value": "x()"},
                {"selector": "a", "attribute": "href", "value": "javascript:alert(1)"},
                {"selector": "a[", "text": "x"},
                {"selector": "a", "add_class": "two words"},
                {"selector": "script", "attribute": "src", "value": "/x.js"},
                {"selector": "a", "attribute": "href", "value": "{{user.a}}{{user.b}}:alert(1)"},
                {"selector": "a", "text": "{{oops"},
                {"selector": "a", "banner": {"text": "x"}, "position": "middle"},
                {"selector": "a", "explode": true},
                {"variant": "nogroup"}
            ]}"#,
        );
        assert_eq!(
            problems,
            [
                (
                    "missing_selector",
                    "/experiences/0/changes/0/selector".to_owned()
                ),
                (
                    "forbidden_attribute",
                    "/experiences/0/changes/1/attribute".to_owned()
                ),
                ("unsafe_url", "/experiences/0/changes/2/value".to_owned()),
                (
                    "invalid_selector",
                    "/experiences/0/changes/3/selector".to_owned()
                ),
                (
                    "invalid_class",
                    "/experiences/0/changes/4/add_class".to_owned()
                ),
                (
                    "forbidden_attribute",
                    "/experiences/0/changes/5/attribute".to_owned()
                ),
                ("unsafe_url", "/experiences/0/changes/6/value".to_owned()),
                (
                    "invalid_template",
                    "/experiences/0/changes/7/text".to_owned()
                ),
                (
                    "invalid_position",
                    "/experiences/0/changes/8/position".to_owned()
                ),
                ("unknown_change", "/experiences/0/changes/9".to_owned()),
                (
                    "invalid_variant",
                    "/experiences/0/changes/10/variant".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn an_experience_without_changes_or_experiment_is_an_error() {
        let (_, problems) = read("{}");
        assert_eq!(
            problems,
            [("no_changes", "/experiences/0/changes".to_owned())]
        );
    }

    #[test]
    fn experiments_check_their_variants_and_weights() {
        let (_, problems) = read(
            r#"{"experiment": {"variants": [{"key": "a", "weight": 0.7}, {"key": "a", "weight": 0.7}], "coverage": 2}}"#,
        );
        assert_eq!(
            problems,
            [
                (
                    "duplicate_variant_key",
                    "/experiences/0/experiment/variants/1/key".to_owned()
                ),
                (
                    "invalid_weights",
                    "/experiences/0/experiment/variants".to_owned()
                ),
                (
                    "invalid_coverage",
                    "/experiences/0/experiment/coverage".to_owned()
                ),
            ]
        );
        let (_, problems) = read(r#"{"experiment": {"variants": [{"key": "only"}]}}"#);
        assert_eq!(problems[0].0, "invalid_experiment");
    }

    #[test]
    fn assignment_is_stable_weighted_and_forceable() {
        let (content, problems) = read(
            r##"{"experiment": {"key": "pricing", "goals": ["signup"], "variants": [
                {"key": "control", "weight": 0.25},
                {"key": "b", "weight": 0.75, "changes": [{"selector": "#price", "text": "Yearly"}]}]}}"##,
        );
        assert_eq!(problems, []);
        let experiment = content.experiment.unwrap();
        assert_eq!(experiment.goals, ["signup"]);
        assert_eq!(experiment.selectors().collect::<Vec<_>>(), ["#price"]);
        let mut counts = [0u32; 2];
        for i in 0..10_000 {
            let user = format!("user-{i}");
            let variant = experiment.assign(&user, "https://app.example/").unwrap();
            assert_eq!(
                experiment.assign(&user, "https://app.example/x"),
                Some(variant)
            );
            counts[variant] += 1;
        }
        // 10,000 users at 25%: the standard deviation is 43, so 4 sigma is ±175.
        assert!((2_325..=2_675).contains(&counts[0]), "{counts:?}");
        assert_eq!(
            experiment.assign("user-1", "https://app.example/?pricing=0"),
            Some(0)
        );
        assert_eq!(
            experiment.assign("user-1", "https://app.example/?pricing=1"),
            Some(1)
        );
    }

    #[test]
    fn coverage_leaves_users_out() {
        let (content, _) =
            read(r#"{"experiment": {"coverage": 0.1, "variants": [{"key": "a"}, {"key": "b"}]}}"#);
        let experiment = content.experiment.unwrap();
        assert_eq!(
            experiment.key, "exp",
            "the key defaults to the experience id"
        );
        let in_experiment = (0..10_000)
            .filter(|i| experiment.assign(&format!("u{i}"), "https://x/").is_some())
            .count();
        assert!((850..=1_150).contains(&in_experiment), "{in_experiment}");
    }
}
