//! Reading a tour definition, with its diagnostics.

use super::*;
use crate::protocol::{self};
use crate::rules::arbitration::UrlPattern;
use crate::rules::bucket::fnv1a32;
use crate::rules::content::safe_url;
use crate::rules::json::Fields;
use crate::rules::locale::{self, Localized, Texts};
use crate::rules::markdown::Document;
use crate::rules::placement::{Align, Placement};
use crate::rules::theme::Theme;
use crate::rules::{js, pointer, Diagnostic, Severity};
use crate::time::Millis;
use crate::value::Value;

/// The longest a step may wait for its target.
pub(super) const MAX_WAIT_MS: f64 = 60_000.0;
/// How long a step waits for its target unless it says otherwise.
pub(super) const DEFAULT_WAIT: Millis = Millis(5_000);

pub(super) struct Reader<'d> {
    subject: String,
    default_locale: String,
    diagnostics: &'d mut Vec<Diagnostic>,
    /// Every text read, with its pointer, for the locale checks at the end.
    texts: Texts,
}

impl Reader<'_> {
    fn push(&mut self, severity: Severity, code: &'static str, at: String, message: &str) {
        self.diagnostics.push(Diagnostic {
            severity,
            code,
            subject: self.subject.clone(),
            pointer: at,
            message: crate::rules::message(message),
        });
    }

    fn error(&mut self, code: &'static str, at: String, message: &str) {
        self.push(Severity::Error, code, at, message);
    }

    fn warn(&mut self, code: &'static str, at: String, message: &str) {
        self.push(Severity::Warning, code, at, message);
    }

    /// Reads a text; `None` when absent or invalid (diagnosed). A text without the default
    /// locale is an error: users whose locale the tour lacks get the default.
    fn text(&mut self, json: Option<&Value>, at: String) -> Option<Localized> {
        let json = json?;
        let text = Localized::read(
            json,
            &self.default_locale,
            &self.subject,
            &at,
            self.diagnostics,
        )?;
        if text.get(&self.default_locale).is_none() {
            let mut message = String::from("this text has no translation for the default locale, ");
            message.push_str(&self.default_locale);
            self.error("missing_default_translation", at.clone(), &message);
        }
        self.texts.add(at, &text);
        Some(text)
    }

    /// Whether `selector` parses as browsers parse it, diagnosed when not; always true
    /// without the `publish` feature (the locator skips what the browser refuses).
    fn selector(&mut self, selector: &str, at: String) -> bool {
        match crate::rules::selector::problem(selector) {
            Some(problem) => {
                self.error("invalid_selector", at, &problem);
                false
            }
            None => true,
        }
    }

    fn target(&mut self, json: &Value, at: &str) -> Option<Target> {
        if let Value::String(selector) = json {
            if selector.trim().is_empty() {
                self.error(
                    "invalid_target",
                    at.to_owned(),
                    "a target selector cannot be empty",
                );
                return None;
            }
            if !self.selector(selector, at.to_owned()) {
                return None;
            }
            return Some(Target {
                locators: vec![Locator::Selector(selector.clone())],
                frames: Vec::new(),
            });
        }
        if !matches!(json, Value::Object(_)) {
            self.error(
                "invalid_target",
                at.to_owned(),
                "a target is a CSS selector or an object of waymark, id, selector, role and name, text",
            );
            return None;
        }
        let mut valid = true;
        let mut string = |reader: &mut Self, name: &str| -> Option<String> {
            match json.field(name) {
                None => None,
                Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
                Some(_) => {
                    reader.error(
                        "invalid_target",
                        pointer(at, name),
                        "a target's strategies are non-empty strings",
                    );
                    valid = false;
                    None
                }
            }
        };
        let waymark = string(self, "waymark");
        let id = string(self, "id");
        let selector = string(self, "selector");
        let role = string(self, "role");
        let name = string(self, "name");
        let text = string(self, "text");
        let mut locators = Vec::new();
        if let Some(value) = waymark {
            if value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
            {
                locators.push(Locator::Waymark(value));
            } else {
                self.error(
                    "invalid_target",
                    pointer(at, "waymark"),
                    "a data-waymark value is letters, digits, -, _, . and :",
                );
                valid = false;
            }
        }
        locators.extend(id.map(Locator::Id));
        if let Some(selector) = selector {
            if self.selector(&selector, pointer(at, "selector")) {
                locators.push(Locator::Selector(selector));
            } else {
                valid = false;
            }
        }
        match (role, name) {
            (Some(role), Some(name)) => locators.push(Locator::Role { role, name }),
            (None, None) => {}
            (role, _) => {
                self.error(
                    "invalid_target",
                    pointer(at, if role.is_some() { "name" } else { "role" }),
                    "a role and an accessible name go together",
                );
                valid = false;
            }
        }
        locators.extend(text.map(Locator::Text));
        let frames = match json.field("frame") {
            None => Vec::new(),
            Some(Value::String(s)) if !s.trim().is_empty() => vec![s.trim().to_owned()],
            Some(Value::Array(items))
                if items
                    .iter()
                    .all(|i| matches!(i, Value::String(s) if !s.trim().is_empty())) =>
            {
                items
                    .iter()
                    .filter_map(|i| match i {
                        Value::String(s) => Some(s.trim().to_owned()),
                        _ => None,
                    })
                    .collect()
            }
            Some(_) => {
                self.error(
                    "invalid_target",
                    pointer(at, "frame"),
                    "frame is an iframe's CSS selector, or a list of them from the top document inwards",
                );
                return None;
            }
        };
        let frames_at = pointer(at, "frame");
        let one = matches!(json.field("frame"), Some(Value::String(_)));
        for (i, frame) in frames.iter().enumerate() {
            let here = if one {
                frames_at.clone()
            } else {
                pointer(&frames_at, &js::number_to_string(i as f64))
            };
            valid &= self.selector(frame, here);
        }
        if locators.is_empty() && valid {
            self.error(
                "invalid_target",
                at.to_owned(),
                "a target needs at least one of waymark, id, selector, role and name, text",
            );
        }
        (valid && !locators.is_empty()).then_some(Target { locators, frames })
    }

    fn buttons(&mut self, json: &Value, at: &str) -> Vec<Button> {
        let Value::Array(items) = json else {
            self.error("invalid_button", at.to_owned(), "buttons must be a list");
            return Vec::new();
        };
        let mut buttons = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let here = pointer(at, &js::number_to_string(i as f64));
            let button = match item {
                Value::String(s) => match s.as_str() {
                    "back" => Some(Button::Back),
                    "next" => Some(Button::Next),
                    "skip" => Some(Button::Skip),
                    "done" => Some(Button::Done),
                    _ => None,
                },
                _ => match item.field("cta") {
                    Some(cta) => {
                        if let Some(cta) = self.cta(cta, &pointer(&here, "cta")) {
                            buttons.push(Button::Cta(cta));
                        }
                        continue;
                    }
                    None => None,
                },
            };
            match button {
                Some(b) if buttons.contains(&b) => {
                    self.error("duplicate_button", here, "this button is already on the step");
                }
                Some(b) => buttons.push(b),
                None => self.error(
                    "invalid_button",
                    here,
                    "a button is \"back\", \"next\", \"skip\", \"done\" or {\"cta\": {\"label\", \"url\" or \"event\"}}",
                ),
            }
        }
        buttons
    }

    fn cta(&mut self, json: &Value, at: &str) -> Option<Cta> {
        let label = match json.field("label") {
            Some(label) => self.text(Some(label), pointer(at, "label")),
            None => {
                self.error(
                    "invalid_cta",
                    pointer(at, "label"),
                    "a call to action needs a label",
                );
                None
            }
        };
        let action = match (json.field("url"), json.field("event")) {
            (Some(Value::String(url)), None) if !url.trim().is_empty() => {
                if safe_url(url) {
                    Some(CtaAction::Url {
                        url: url.trim().to_owned(),
                        new_tab: json.bool_field("new_tab").unwrap_or(false),
                    })
                } else {
                    self.error(
                        "unsafe_url",
                        pointer(at, "url"),
                        "a URL is relative or starts with http:, https:, mailto: or tel:",
                    );
                    None
                }
            }
            (None, Some(Value::String(name))) if protocol::check_name(name).is_ok() => {
                Some(CtaAction::Event(name.clone()))
            }
            (Some(_), None) => {
                self.error(
                    "invalid_cta",
                    pointer(at, "url"),
                    "url must be a non-empty string",
                );
                None
            }
            (None, Some(_)) => {
                self.error(
                    "invalid_cta",
                    pointer(at, "event"),
                    "event must be a name of 1 to 200 bytes",
                );
                None
            }
            _ => {
                self.error(
                    "invalid_cta",
                    at.to_owned(),
                    "a call to action has either a url or an event",
                );
                None
            }
        };
        Some(Cta {
            label: label?,
            action: action?,
        })
    }

    fn advance(&mut self, json: Option<&Value>, at: String) -> Option<Advance> {
        let advance = match json {
            None => Some(Advance::Button),
            Some(Value::String(s)) if s == "button" => Some(Advance::Button),
            Some(Value::String(s)) if s == "click" => Some(Advance::Click),
            Some(Value::Object(map)) if map.len() == 1 => {
                if json.and_then(|j| j.bool_field("click")) == Some(true) {
                    Some(Advance::Click)
                } else if let Some(name) = json
                    .and_then(|j| j.str_field("event"))
                    .filter(|n| protocol::check_name(n).is_ok())
                {
                    Some(Advance::Event(name.to_owned()))
                } else {
                    json.and_then(|j| j.str_field("route"))
                        .filter(|p| !p.trim().is_empty())
                        .map(|p| Advance::Route(UrlPattern(p.trim().to_owned())))
                }
            }
            Some(_) => None,
        };
        if advance.is_none() {
            self.error(
                "invalid_advance",
                at,
                "advance is \"button\", \"click\", {\"click\": true}, {\"event\": name} or {\"route\": url pattern}",
            );
        }
        advance
    }

    /// Reads one step; its buttons are `None` when not written, to be defaulted once every
    /// step is read.
    fn step(
        &mut self,
        json: &Value,
        at: &str,
        format: Format,
    ) -> Option<(Step, Option<Vec<Button>>)> {
        let field = |name: &str| pointer(at, name);
        if !matches!(json, Value::Object(_)) {
            self.error("invalid_step", at.to_owned(), "a step must be an object");
            return None;
        }
        let id = json.text_field("id");
        if id.is_none() {
            self.error(
                "missing_step_id",
                field("id"),
                "a step needs a non-empty string id",
            );
        }
        // A target written but unreadable is diagnosed; the step is then dropped at the end.
        let (target, target_ok) = match json.field("target") {
            None | Some(Value::Null) => (None, true),
            Some(target) => {
                let read = self.target(target, &field("target"));
                let ok = read.is_some();
                (read, ok)
            }
        };
        let format = match json.field("format") {
            None => format,
            Some(f) => self.format(f, field("format")).unwrap_or(format),
        };
        let title = self.text(json.field("title"), field("title"));
        let body = self.text(json.field("body"), field("body"));
        if json.field("title").is_none() && json.field("body").is_none() {
            self.error(
                "empty_step",
                at.to_owned(),
                "a step needs a title or a body",
            );
        }
        if let (Some(body), Format::Markdown) = (&body, format) {
            self.links(body, json.field("body"), &field("body"));
        }
        let placement = match json.field("placement") {
            None if target.is_some() => Placement::Auto,
            None => Placement::Center,
            Some(_) => match json.str_field("placement").and_then(Placement::from_name) {
                Some(p) => p,
                None => {
                    self.error(
                        "invalid_placement",
                        field("placement"),
                        "placement is auto, top, bottom, left, right or center",
                    );
                    Placement::Auto
                }
            },
        };
        if target.is_none() && target_ok && placement != Placement::Center {
            self.error(
                "missing_target",
                field("target"),
                "a step placed beside its target needs a target; for a centered step leave placement out or write \"center\"",
            );
        }
        let align = match json.field("align") {
            None => Align::Center,
            Some(_) => json
                .str_field("align")
                .and_then(Align::from_name)
                .unwrap_or_else(|| {
                    self.error(
                        "invalid_align",
                        field("align"),
                        "align is start, center or end",
                    );
                    Align::Center
                }),
        };
        let spotlight = match json.field("spotlight") {
            None | Some(Value::Bool(true)) => Some(Spotlight::default()),
            Some(Value::Bool(false)) => None,
            Some(Value::Object(_)) => {
                let measure = |name: &str, default: f64| match json
                    .field("spotlight")
                    .and_then(|s| s.field(name))
                {
                    None => Some(default),
                    Some(Value::Number(n)) if (0.0..=64.0).contains(n) => Some(*n),
                    Some(_) => None,
                };
                let defaults = Spotlight::default();
                match (
                    measure("padding", defaults.padding),
                    measure("radius", defaults.radius),
                ) {
                    (Some(padding), Some(radius)) => Some(Spotlight { padding, radius }),
                    _ => {
                        self.error(
                            "invalid_spotlight",
                            field("spotlight"),
                            "spotlight padding and radius are numbers of pixels from 0 to 64",
                        );
                        None
                    }
                }
            }
            Some(_) => {
                self.error(
                    "invalid_spotlight",
                    field("spotlight"),
                    "spotlight is true, false or {\"padding\": n, \"radius\": n}",
                );
                None
            }
        }
        .filter(|_| target.is_some());
        let buttons = json
            .field("buttons")
            .map(|b| self.buttons(b, &field("buttons")));
        let advance = self.advance(json.field("advance"), field("advance"));
        if advance == Some(Advance::Click) && target.is_none() && target_ok {
            self.error(
                "click_without_target",
                field("advance"),
                "a step that advances on a click on its target needs a target",
            );
        }
        let url = match json.field("url") {
            None => None,
            Some(Value::String(p)) if !p.trim().is_empty() => Some(UrlPattern(p.trim().to_owned())),
            Some(_) => {
                self.error(
                    "invalid_url",
                    field("url"),
                    "url is a non-empty URL pattern such as \"/invoices/*\"",
                );
                None
            }
        };
        let wait = match json.field("wait_ms") {
            None => DEFAULT_WAIT,
            Some(Value::Number(ms)) if (0.0..=MAX_WAIT_MS).contains(ms) => Millis(*ms as u64),
            Some(_) => {
                self.error(
                    "invalid_wait",
                    field("wait_ms"),
                    "wait_ms is a number of milliseconds from 0 to 60000",
                );
                DEFAULT_WAIT
            }
        };
        let fallback = match (json.field("fallback"), json.str_field("fallback")) {
            (None, _) | (_, Some("skip")) => Fallback::Skip,
            (_, Some("center")) => Fallback::Center,
            (_, Some("end")) => Fallback::End,
            _ => {
                self.error(
                    "invalid_fallback",
                    field("fallback"),
                    "fallback is skip, center or end",
                );
                Fallback::Skip
            }
        };
        if fallback == Fallback::Center && advance == Some(Advance::Click) {
            self.error(
                "invalid_fallback",
                field("fallback"),
                "a step that advances on a click on its target cannot fall back to showing centered: there would be nothing to click",
            );
        }
        if !target_ok {
            return None;
        }
        Some((
            Step {
                id: id?,
                target,
                title,
                body,
                format,
                placement,
                align,
                spotlight,
                buttons: Vec::new(),
                advance: advance?,
                url,
                wait,
                fallback,
            },
            buttons,
        ))
    }

    fn format(&mut self, json: &Value, at: String) -> Option<Format> {
        match json {
            Value::String(s) if s == "markdown" => Some(Format::Markdown),
            Value::String(s) if s == "plain" => Some(Format::Plain),
            _ => {
                self.error("invalid_format", at, "format is markdown or plain");
                None
            }
        }
    }

    /// Warns about links in a Markdown body that will show as plain text because their URL
    /// is unsafe, at the pointer of the translation that has them.
    fn links(&mut self, body: &Localized, json: Option<&Value>, at: &str) {
        let locales: Vec<String> = body.locales().map(str::to_owned).collect();
        for locale in locales {
            let refused = body
                .get(&locale)
                .is_some_and(|text| !Document::parse(text).refused.is_empty());
            if refused {
                let here = match json {
                    Some(Value::Object(_)) => pointer(at, &locale),
                    _ => at.to_owned(),
                };
                self.warn(
                    "unsafe_link",
                    here,
                    "a link whose URL is not relative or http:, https:, mailto: or tel: is shown as plain text",
                );
            }
        }
    }

    fn labels(&mut self, json: Option<&Value>, at: &str) -> Labels {
        let mut labels = Labels::default();
        let Some(json) = json else {
            return labels;
        };
        if !matches!(json, Value::Object(_)) {
            self.error(
                "invalid_labels",
                at.to_owned(),
                "labels must be an object of texts",
            );
            return labels;
        }
        for (label, key, _) in LABELS {
            *labels.slot(label) = self.text(json.field(key), pointer(at, key));
        }
        labels
    }
}

impl Tour {
    /// Reads a tour experience's `tour` object (see the module documentation), adding a
    /// diagnostic for each problem, with `id` as its subject. `at` is the experience's JSON
    /// pointer. A tour with errors is still returned, as far as it could be read; the errors
    /// disable the experience.
    pub fn from_json(json: &Value, id: &str, at: &str, diagnostics: &mut Vec<Diagnostic>) -> Tour {
        let at = pointer(at, "tour");
        let mut tour = Tour {
            id: id.to_owned(),
            ..Tour::default()
        };
        let mut reader = Reader {
            subject: id.to_owned(),
            default_locale: String::new(),
            diagnostics,
            texts: Texts::default(),
        };
        let json = match json.field("tour") {
            Some(json @ Value::Object(_)) => json,
            _ => {
                reader.error(
                    "missing_tour",
                    at,
                    "a tour experience needs a \"tour\" object with its steps",
                );
                return tour;
            }
        };
        tour.default_locale = match json.field("default_locale") {
            None => "en".to_owned(),
            Some(Value::String(tag)) if locale::is_tag(tag) => tag.clone(),
            Some(_) => {
                reader.error(
                    "invalid_locale",
                    pointer(&at, "default_locale"),
                    "default_locale is a locale tag such as \"en\" or \"pt-BR\"",
                );
                "en".to_owned()
            }
        };
        reader.default_locale = tour.default_locale.clone();
        tour.theme = Theme::read(json, id, &at, reader.diagnostics);
        let format = match json.field("format") {
            None => Format::Markdown,
            Some(f) => reader.format(f, pointer(&at, "format")).unwrap_or_default(),
        };
        tour.labels = reader.labels(json.field("labels"), &pointer(&at, "labels"));

        let steps_at = pointer(&at, "steps");
        let items = match json.field("steps") {
            Some(Value::Array(items)) if !items.is_empty() => items.as_slice(),
            _ => {
                reader.error(
                    "no_steps",
                    steps_at.clone(),
                    "a tour needs a list of at least one step",
                );
                &[]
            }
        };
        // (step, its pointer, its buttons as written)
        let mut read: Vec<(Step, String, Option<Vec<Button>>)> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let here = pointer(&steps_at, &js::number_to_string(i as f64));
            if let Some(id) = item.text_field("id") {
                if items
                    .iter()
                    .take(i)
                    .any(|earlier| earlier.str_field("id") == Some(id.as_str()))
                {
                    reader.error(
                        "duplicate_step_id",
                        pointer(&here, "id"),
                        "another step has this id",
                    );
                }
            }
            if let Some((step, buttons)) = reader.step(item, &here, format) {
                read.push((step, here, buttons));
            }
        }
        let count = read.len();
        let mut used = Vec::new();
        for i in 0..count {
            let previous_url = i
                .checked_sub(1)
                .and_then(|p| read.get(p))
                .map(|(s, _, _)| s.url.clone());
            let Some((step, here, written)) = read.get_mut(i) else {
                continue;
            };
            let same_page = previous_url.as_ref() == Some(&step.url);
            let last = i + 1 == count;
            let buttons_at = pointer(here, "buttons");
            let mut buttons = match written.take() {
                None => {
                    let mut buttons = Vec::new();
                    if i > 0 && same_page {
                        buttons.push(Button::Back);
                    }
                    if step.advance == Advance::Button {
                        buttons.push(if last { Button::Done } else { Button::Next });
                    }
                    buttons
                }
                Some(buttons) => buttons,
            };
            if buttons.contains(&Button::Back) {
                if i == 0 {
                    reader.warn(
                        "back_on_first_step",
                        buttons_at.clone(),
                        "the first step has no step before it: its back button is left out",
                    );
                    buttons.retain(|b| *b != Button::Back);
                } else if !same_page {
                    reader.warn(
                        "back_across_pages",
                        buttons_at.clone(),
                        "the step before is on another page: back waits until the user goes there",
                    );
                }
            }
            if step.advance == Advance::Button
                && !buttons
                    .iter()
                    .any(|b| matches!(b, Button::Next | Button::Done))
            {
                reader.error(
                    "no_way_forward",
                    buttons_at,
                    "a step that advances by button needs a next or done button",
                );
            }
            for b in &buttons {
                let label = match b {
                    Button::Back => Label::Back,
                    Button::Next => Label::Next,
                    Button::Skip => Label::Skip,
                    Button::Done => Label::Done,
                    Button::Cta(_) => continue,
                };
                if !used.contains(&label) {
                    used.push(label);
                }
            }
            step.buttons = buttons;
        }
        tour.steps = read.into_iter().map(|(step, _, _)| step).collect();

        tour.locales = reader
            .texts
            .offered("tour", &reader.subject, reader.diagnostics);
        if reader.texts.is_empty() {
            tour.locales = vec![tour.default_locale.clone()];
        }
        // Built-in words shown in English to users of another language.
        used.push(Label::Close);
        if tour.locales.iter().any(|l| !english(l)) {
            for (label, key, _) in LABELS {
                if used.contains(&label) && tour.labels.get(label).is_none() {
                    reader.warn(
                        "untranslated_label",
                        pointer(&pointer(&at, "labels"), key),
                        "the tour is offered in a language other than English but this control's words are not given, so they show in English",
                    );
                }
            }
        }
        let mut ids = String::new();
        for step in &tour.steps {
            ids.push_str(&step.id);
            ids.push('\u{1f}');
        }
        tour.fingerprint = fnv1a32(&ids);
        tour
    }
}
