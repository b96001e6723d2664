//! Guided product tours: a tour's steps read from its experience's configuration, and the
//! progress through them, across pages and reloads.
//!
//! Which tour starts, for whom and how often is the experience's business
//! ([`crate::rules::arbitration`]: triggers, audience, priority, caps). This module holds what a
//! tour *is* and where the user is in it, so that the browser shell only finds elements,
//! draws, listens and stores.
//!
//! # The configuration
//!
//! ```json
//! {"id": "invoicing", "kind": "tour", "trigger": {"page_view": ["/dashboard*"]},
//!  "tour": {
//!    "default_locale": "en",
//!    "format": "markdown",
//!    "theme": {"accent": "#4f46e5", "radius": 12},
//!    "labels": {"step": "Step {n} of {total}", "skip": "Not now"},
//!    "steps": [
//!      {"id": "welcome", "url": "/dashboard*", "title": "Welcome to Ledgerly",
//!       "body": "A two-minute tour of **invoicing**."},
//!      {"id": "new-invoice", "url": "/dashboard*",
//!       "target": {"waymark": "new-invoice", "id": "new-invoice-btn",
//!                  "selector": "main .toolbar button.primary", "role": "button",
//!                  "name": "New invoice", "text": "New invoice", "frame": ["iframe#app"]},
//!       "title": "Create an invoice", "body": "Click **New invoice** to start.",
//!       "placement": "bottom", "align": "start", "spotlight": {"padding": 8, "radius": 6},
//!       "buttons": ["back", "skip", {"cta": {"label": "Read the guide",
//!                   "url": "https://docs.example/invoices", "new_tab": true}}],
//!       "advance": {"click": true}, "wait_ms": 8000, "fallback": "skip"},
//!      {"id": "saved", "url": "/invoices/*", "target": "#save", "title": "Save it",
//!       "advance": {"event": "invoice_created"}, "fallback": "end"}]}}
//! ```
//!
//! Tour fields (all optional but `steps`):
//! - `default_locale` (default `en`): the locale of texts written as plain strings. Every
//!   text is a [`Localized`]: a string, or `{"en": "…", "fr": "…"}`. A tour is offered in
//!   the locales every one of its texts has ([`locale::complete_locales`](crate::rules::locale::complete_locales)), and
//!   [`Tour::locale_for`] picks the user's ([`locale::choose`](crate::rules::locale::choose)).
//! - `format`: `markdown` (default) or `plain`, for step bodies ([`crate::rules::markdown`]);
//!   a step may set its own. Titles are always plain text.
//! - `theme`: [`Theme::read`].
//! - `labels`: the words of the built-in controls, each a text: `next`, `back`, `skip`,
//!   `done`, `close` (the close button's accessible name) and `step`, the live-region text
//!   announced on each step, where `{n}` is the step's number and `{total}` the number of
//!   steps (numbers are written with ASCII digits whatever the locale). Without them the
//!   English words are used (`Next`, `Back`, `Skip tour`, `Done`, `Close tour`,
//!   `Step {n} of {total}`), except that the step text is `{n} / {total}` in locales that
//!   are not English; a tour offered in another language without its labels gets an
//!   `untranslated_label` warning for each.
//!
//! Step fields:
//! - `id` (required, unique): progress is stored by step id, so it survives edits.
//! - `target`: how to find the element; see [`Target`]. A CSS selector string is short
//!   for `{"selector": …}`. A step without one is shown centered.
//! - `title`, `body`: at least one of them.
//! - `placement`: `auto` (default with a target), `top`, `bottom`, `left`, `right`, or
//!   `center` (default without one); `align`: `start`, `center` (default), `end`.
//! - `spotlight`: `{"padding": 0–64, "radius": 0–64}` (default 8 and 6), `true`, or
//!   `false`; on by default for steps with a target.
//! - `buttons`: any of `"back"`, `"next"`, `"skip"`, `"done"` and
//!   `{"cta": {"label": text, "url": …, "new_tab": bool}}` or `{"cta": {"label": text,
//!   "event": name}}`. Without it, a step has `back` (unless it is the first, or the step
//!   before it is on another page) and, if it advances by button, `next` (`done` on the last
//!   step). The close button is always there. A call to action leaves the tour where it is:
//!   to move on when it is used, make its event or the page it opens the step's `advance`.
//! - `advance`: `"button"` (default), `"click"` or `{"click": true}` (a click on the
//!   target), `{"event": name}` (the app tracks that event), `{"route": pattern}` (the URL
//!   changes to one matching the pattern).
//! - `url`: a [`UrlPattern`] of the page the step belongs to; the tour waits on other pages.
//! - `wait_ms` (0–60000, default 5000): how long the shell waits for the target to appear;
//!   then `fallback` applies: `skip` (default: on to the next step; on the last step it ends
//!   the tour), `center` (show the step centered, without its target) or `end`.
//!
//! Problems are [`Diagnostic`](crate::rules::Diagnostic)s whose subject is the experience id; an error disables the
//! experience. Unknown fields are ignored.
//!
//! # Finding the target
//!
//! A [`Target`] becomes an ordered list of [`Locator`]s, strongest first: the
//! `data-waymark` attribute, the element id, the CSS selector, the ARIA role and accessible
//! name, the visible text. The shell tries each strategy in turn, each over every root
//! before the next strategy, and takes the first visible element found; the
//! [`Strategy`] that found it goes into `$step_viewed`, so a project sees when its tours
//! lean on the weaker strategies. The roots are: the document; every open shadow root in
//! it, recursively; and every same-origin iframe's document, recursively, with its own
//! shadow roots (cross-origin frames cannot be searched and are skipped). A `frame` path,
//! CSS selectors of iframes from the top document inwards, restricts the search to that
//! frame's document and its shadow roots. Names and texts are compared by [`same_text`].
//!
//! # Progress
//!
//! [`Progress`] is where a user is in a tour: the step's index and id, when the tour
//! started and when the progress last changed, and the tour's [`Tour::fingerprint`] (a
//! hash of its step ids in order). The shell stores it as JSON ([`Progress::to_json`]) in
//! local storage, per user and tour, and reads it back on every page load with
//! [`Tour::resume`]:
//! - unreadable, another tour's, or untouched for [`Progress::EXPIRES_AFTER`] (30 days):
//!   start over ([`Resume::StartOver`]; the stored value should be deleted);
//! - the same fingerprint: continue at the stored step;
//! - a changed tour: continue at the stored step's id wherever it now is, or start over if
//!   that step was removed. So editing texts or adding steps elsewhere never sends anyone
//!   back, and only removing the step a user is on restarts them.
//!
//! [`Tour::now`] says what to do on the current page (show a step, wait for the step's
//! page, or nothing); [`Tour::start`], [`Tour::viewed`], [`Tour::advance`], [`Tour::back`],
//! [`Tour::dismiss`] and [`Tour::target_missing`] each return the next progress and the
//! events to record ([`crate::protocol::tour`]), as an [`Update`].

use crate::rules::arbitration::UrlPattern;
use crate::rules::locale::Localized;
use crate::rules::placement::{Align, Placement};
use crate::rules::theme::Theme;
use crate::time::Millis;

/// A guided tour: its steps, texts and theme.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tour {
    /// The experience id, carried by every event as `tour`.
    pub id: String,
    /// The locale of texts written as plain strings.
    pub default_locale: String,
    /// The locales every text has, which the tour is offered in.
    pub locales: Vec<String>,
    /// Colours, radius and font.
    pub theme: Theme,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// The words of the built-in controls.
    pub labels: Labels,
    /// A hash of the step ids in order: progress stored under another fingerprint is mapped
    /// by step id.
    pub fingerprint: u32,
}

/// One step of a tour.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// Unique in the tour.
    pub id: String,
    /// The element it points at; `None` for a centered step.
    pub target: Option<Target>,
    /// The heading, plain text.
    pub title: Option<Localized>,
    /// The body, in [`Step::format`].
    pub body: Option<Localized>,
    /// How the body is written.
    pub format: Format,
    /// Where the popover goes.
    pub placement: Placement,
    /// How it lines up with the target.
    pub align: Align,
    /// The spotlight around the target, if any.
    pub spotlight: Option<Spotlight>,
    /// The buttons, in order (the defaults filled in). The close button is always there.
    pub buttons: Vec<Button>,
    /// What completes the step.
    pub advance: Advance,
    /// The page it belongs to; any page if `None`.
    pub url: Option<UrlPattern>,
    /// How long to wait for the target.
    pub wait: Millis,
    /// What to do when the target does not appear in time.
    pub fallback: Fallback,
}

/// How a body is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// The safe Markdown subset of [`crate::rules::markdown`].
    #[default]
    Markdown,
    /// Text as written.
    Plain,
}

/// The hole in the backdrop around the target.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spotlight {
    /// Space around the target, in CSS pixels.
    pub padding: f64,
    /// Corner radius, in CSS pixels.
    pub radius: f64,
}

impl Default for Spotlight {
    fn default() -> Self {
        Spotlight {
            padding: 8.0,
            radius: 6.0,
        }
    }
}

/// How to find a step's element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The strategies to try, strongest first.
    pub locators: Vec<Locator>,
    /// CSS selectors of the iframes to search in, from the top document inwards; empty to
    /// search every same-origin frame.
    pub frames: Vec<String>,
}

/// One way of finding an element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Locator {
    /// The element whose `data-waymark` attribute has this value (letters, digits, `-`,
    /// `_`, `.`, `:`), found with [`Locator::selector`].
    Waymark(String),
    /// The element with this id (`getElementById`, on each root).
    Id(String),
    /// The first element matching this CSS selector (`querySelector`); a selector the
    /// browser rejects finds nothing.
    Selector(String),
    /// An element with this ARIA role, explicit or implicit, and accessible name.
    Role {
        /// The role (`button`, `link`, `tab`…).
        role: String,
        /// The accessible name.
        name: String,
    },
    /// The innermost element whose visible text is this.
    Text(String),
}

impl Locator {
    /// The strategy, as named in `$step_viewed`.
    #[must_use]
    pub fn strategy(&self) -> Strategy {
        match self {
            Locator::Waymark(_) => Strategy::Waymark,
            Locator::Id(_) => Strategy::Id,
            Locator::Selector(_) => Strategy::Selector,
            Locator::Role { .. } => Strategy::Role,
            Locator::Text(_) => Strategy::Text,
        }
    }

    /// The CSS selector for `Waymark` and `Selector` locators. A waymark value is checked
    /// when the configuration loads, so it can be quoted without escaping.
    #[must_use]
    pub fn selector(&self) -> Option<String> {
        match self {
            Locator::Waymark(value) => {
                let mut css = String::with_capacity(value.len() + 17);
                css.push_str("[data-waymark=\"");
                css.push_str(value);
                css.push_str("\"]");
                Some(css)
            }
            Locator::Selector(selector) => Some(selector.clone()),
            _ => None,
        }
    }
}

/// Whether a found accessible name or visible text is the one wanted: equal once
/// surrounding whitespace is trimmed and inner runs of whitespace are one space, ignoring
/// ASCII case.
#[must_use]
pub fn same_text(wanted: &str, found: &str) -> bool {
    let mut a = wanted.split_whitespace();
    let mut b = found.split_whitespace();
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some(x), Some(y)) if x.eq_ignore_ascii_case(y) => {}
            _ => return false,
        }
    }
}

/// How a step's target was found, as `$step_viewed` names it in `strategy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// `data-waymark`.
    Waymark,
    /// The element id.
    Id,
    /// The CSS selector.
    Selector,
    /// The ARIA role and name.
    Role,
    /// The visible text.
    Text,
    /// No target: the step has none, or is shown centered after its target went missing.
    None,
}

impl Strategy {
    /// Its name in events.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Waymark => "waymark",
            Strategy::Id => "id",
            Strategy::Selector => "selector",
            Strategy::Role => "role",
            Strategy::Text => "text",
            Strategy::None => "none",
        }
    }
}

/// A button on a step.
#[derive(Clone, Debug, PartialEq)]
pub enum Button {
    /// To the previous step ([`Tour::back`]).
    Back,
    /// Completes the step ([`Tour::advance`] with [`Via::Button`]).
    Next,
    /// Ends the tour ([`Tour::dismiss`] with [`Reason::Skip`]).
    Skip,
    /// Completes the step, as `Next`, labelled for the last step.
    Done,
    /// A call to action.
    Cta(Cta),
}

/// A call to action: a link, or an event for the app.
#[derive(Clone, Debug, PartialEq)]
pub struct Cta {
    /// Its label.
    pub label: Localized,
    /// What it does.
    pub action: CtaAction,
}

/// What a call to action does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CtaAction {
    /// Opens a URL (checked by [`safe_url`](crate::rules::content::safe_url)).
    Url {
        /// Where.
        url: String,
        /// In a new tab.
        new_tab: bool,
    },
    /// Records this event, as `track` would.
    Event(String),
}

/// What completes a step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Advance {
    /// The next or done button.
    Button,
    /// A click on the target.
    Click,
    /// The app records this event.
    Event(String),
    /// The URL changes to one matching this pattern.
    Route(UrlPattern),
}

/// What happened, that may complete a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Occurrence<'a> {
    /// A click on the step's target.
    Click,
    /// The app recorded an event.
    Event(&'a str),
    /// The URL changed to this one.
    Route(&'a str),
}

impl Step {
    /// Whether `occurrence` completes this step, and how (for [`Tour::advance`]). Buttons
    /// complete a step whatever its `advance`.
    #[must_use]
    pub fn advanced_by(&self, occurrence: Occurrence<'_>) -> Option<Via> {
        match (&self.advance, occurrence) {
            (Advance::Click, Occurrence::Click) => Some(Via::Click),
            (Advance::Event(wanted), Occurrence::Event(name)) if wanted == name => Some(Via::Event),
            (Advance::Route(pattern), Occurrence::Route(url)) if pattern.matches(url) => {
                Some(Via::Route)
            }
            _ => None,
        }
    }
}

/// What to do when a step's target never appears.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Fallback {
    /// Go on to the next step (end the tour on the last).
    #[default]
    Skip,
    /// Show the step centered, without its target.
    Center,
    /// End the tour.
    End,
}

impl Fallback {
    /// Its name, in configuration and in `$step_target_missing`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Fallback::Skip => "skip",
            Fallback::Center => "center",
            Fallback::End => "end",
        }
    }
}

/// How a step was completed, as `$step_completed` names it in `via`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// The next or done button.
    Button,
    /// A click on the target.
    Click,
    /// An event.
    Event,
    /// A route change.
    Route,
}

impl Via {
    /// Its name in events.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Via::Button => "button",
            Via::Click => "click",
            Via::Event => "event",
            Via::Route => "route",
        }
    }
}

/// Why a tour ended early, as `$tour_dismissed` names it in `reason`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The close button.
    Close,
    /// The Escape key.
    Escape,
    /// The skip button.
    Skip,
    /// A target did not appear and its step's fallback ended the tour.
    TargetMissing,
}

impl Reason {
    /// Its name in events.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Reason::Close => "close",
            Reason::Escape => "escape",
            Reason::Skip => "skip",
            Reason::TargetMissing => "target_missing",
        }
    }
}

/// The words of the built-in controls, each optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Labels {
    /// The next button.
    pub next: Option<Localized>,
    /// The back button.
    pub back: Option<Localized>,
    /// The skip button.
    pub skip: Option<Localized>,
    /// The done button.
    pub done: Option<Localized>,
    /// The close button's accessible name.
    pub close: Option<Localized>,
    /// The live-region text, with `{n}` and `{total}`.
    pub step: Option<Localized>,
}

/// One of the built-in controls' words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Label {
    /// `next`.
    Next,
    /// `back`.
    Back,
    /// `skip`.
    Skip,
    /// `done`.
    Done,
    /// `close`.
    Close,
    /// `step`.
    Step,
}

const LABELS: [(Label, &str, &str); 6] = [
    (Label::Next, "next", "Next"),
    (Label::Back, "back", "Back"),
    (Label::Skip, "skip", "Skip tour"),
    (Label::Done, "done", "Done"),
    (Label::Close, "close", "Close tour"),
    (Label::Step, "step", "Step {n} of {total}"),
];

impl Labels {
    fn get(&self, label: Label) -> Option<&Localized> {
        match label {
            Label::Next => self.next.as_ref(),
            Label::Back => self.back.as_ref(),
            Label::Skip => self.skip.as_ref(),
            Label::Done => self.done.as_ref(),
            Label::Close => self.close.as_ref(),
            Label::Step => self.step.as_ref(),
        }
    }

    fn slot(&mut self, label: Label) -> &mut Option<Localized> {
        match label {
            Label::Next => &mut self.next,
            Label::Back => &mut self.back,
            Label::Skip => &mut self.skip,
            Label::Done => &mut self.done,
            Label::Close => &mut self.close,
            Label::Step => &mut self.step,
        }
    }
}

/// Whether `locale`'s language is English.
fn english(locale: &str) -> bool {
    locale
        .split(['-', '_'])
        .next()
        .is_some_and(|language| language.eq_ignore_ascii_case("en"))
}

mod progress;
mod read;
pub use progress::*;
#[cfg(test)]
mod tests;
