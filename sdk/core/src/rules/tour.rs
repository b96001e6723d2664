//! Guided product tours: a tour's steps read from its experience's configuration, and the
//! progress through them, across pages and reloads.
//!
//! Which tour starts, for whom and how often is the experience's business
//! ([`super::arbitration`]: triggers, audience, priority, caps). This module holds what a
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
//!   the locales every one of its texts has ([`locale::complete_locales`]), and
//!   [`Tour::locale_for`] picks the user's ([`locale::choose`]).
//! - `format`: `markdown` (default) or `plain`, for step bodies ([`super::markdown`]);
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
//! Problems are [`Diagnostic`]s whose subject is the experience id; an error disables the
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

use super::arbitration::UrlPattern;
use super::bucket::fnv1a32;
use super::content::safe_url;
use super::json::Fields;
use super::locale::{self, Localized, Texts};
use super::markdown::Document;
use super::placement::{Align, Placement};
use super::theme::Theme;
use super::{js, pointer, Diagnostic, Severity};
use crate::protocol::{self, tour as events};
use crate::time::Millis;
use crate::value::{Properties, Value};

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
    /// The safe Markdown subset of [`super::markdown`].
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
    /// Opens a URL (checked by [`safe_url`]).
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

/// An event to record: its name and properties, exactly as [`crate::protocol::tour`]
/// describes them.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// The event name.
    pub name: &'static str,
    /// Its properties.
    pub properties: Properties,
}

/// Where a user is in a tour; stored per user and tour.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Progress {
    /// The tour's id.
    pub tour: String,
    /// The current step's index.
    pub step: usize,
    /// The current step's id.
    pub step_id: String,
    /// When the tour started.
    pub started_at: Millis,
    /// When the progress last changed.
    pub updated_at: Millis,
    /// The tour's fingerprint when the progress last changed.
    pub fingerprint: u32,
}

/// The stored format's version; anything else reads as unreadable.
const PROGRESS_FORMAT: f64 = 1.0;

impl Progress {
    /// Progress untouched this long is forgotten: 30 days.
    pub const EXPIRES_AFTER: Millis = Millis(30 * 86_400_000);

    /// The JSON to store: `{"v": 1, "tour", "step", "step_id", "started_at", "updated_at",
    /// "fingerprint"}`, times in milliseconds since the epoch.
    #[must_use]
    pub fn to_json(&self) -> Value {
        Value::Object(Properties::from([
            ("v", Value::Number(PROGRESS_FORMAT)),
            ("tour", Value::from(self.tour.as_str())),
            ("step", Value::Number(self.step as f64)),
            ("step_id", Value::from(self.step_id.as_str())),
            ("started_at", Value::Number(self.started_at.0 as f64)),
            ("updated_at", Value::Number(self.updated_at.0 as f64)),
            ("fingerprint", Value::Number(f64::from(self.fingerprint))),
        ]))
    }

    /// Reads stored progress; `None` if anything in it is missing or malformed.
    #[must_use]
    pub fn from_json(json: &Value) -> Option<Progress> {
        let whole = |name: &str, max: f64| {
            json.num_field(name)
                .filter(|n| n.fract() == 0.0 && (0.0..=max).contains(n))
        };
        if json.num_field("v") != Some(PROGRESS_FORMAT) {
            return None;
        }
        // 2^53: the largest whole number a JavaScript number holds exactly.
        const TIME: f64 = 9_007_199_254_740_992.0;
        Some(Progress {
            tour: json.text_field("tour")?,
            step: whole("step", 1e6)? as usize,
            step_id: json.text_field("step_id")?,
            started_at: Millis(whole("started_at", TIME)? as u64),
            updated_at: Millis(whole("updated_at", TIME)? as u64),
            fingerprint: whole("fingerprint", f64::from(u32::MAX))? as u32,
        })
    }
}

/// What stored progress means for a tour now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resume {
    /// Carry on with this progress (store it: it may have been mapped).
    Continue {
        /// The progress, on the current definition.
        progress: Progress,
        /// The tour changed, and the step was found again by its id.
        mapped: bool,
    },
    /// There is no usable progress: delete what is stored; if the tour shows again, it
    /// starts from its first step.
    StartOver(StartOver),
}

/// Why stored progress cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartOver {
    /// Nothing is stored: the tour was not started, or it ended.
    NothingStored,
    /// It is not progress this version can read.
    Unreadable,
    /// It belongs to another tour.
    OtherTour,
    /// It was untouched for [`Progress::EXPIRES_AFTER`].
    Expired,
    /// The tour changed and no longer has the step.
    StepRemoved,
}

/// What to do with a tour on the current page.
#[derive(Clone, Debug, PartialEq)]
pub enum Now<'a> {
    /// Show this step: look for its target (for up to [`Step::wait`]), then record
    /// [`Tour::viewed`].
    Show(View<'a>),
    /// The step belongs to another page: show nothing and wait for a navigation to one
    /// matching `url`.
    WaitForPage {
        /// The step's index.
        step: usize,
        /// Its page.
        url: &'a UrlPattern,
    },
    /// The tour has no text for this user's locale: skip it, recording nothing.
    NoLocale,
    /// The progress is past the last step: the tour is over.
    Finished,
}

/// A step ready to show, in the user's locale.
#[derive(Clone, Debug, PartialEq)]
pub struct View<'a> {
    /// The tour.
    pub tour: &'a Tour,
    /// The step's index.
    pub index: usize,
    /// The step.
    pub step: &'a Step,
    /// The locale to show it in.
    pub locale: &'a str,
    /// The live-region text, such as `Step 2 of 5`.
    pub live: String,
}

impl View<'_> {
    /// The title, if the step has one.
    #[must_use]
    pub fn title(&self) -> Option<&str> {
        self.step
            .title
            .as_ref()
            .map(|t| self.tour.text(t, self.locale))
    }

    /// The body, parsed by its format, if the step has one.
    #[must_use]
    pub fn body(&self) -> Option<Document> {
        let body = self.step.body.as_ref()?;
        let text = self.tour.text(body, self.locale);
        Some(match self.step.format {
            Format::Markdown => Document::parse(text),
            Format::Plain => Document::plain(text),
        })
    }

    /// A button's label.
    #[must_use]
    pub fn button_label<'b>(&'b self, button: &'b Button) -> &'b str {
        match button {
            Button::Back => self.tour.label(Label::Back, self.locale),
            Button::Next => self.tour.label(Label::Next, self.locale),
            Button::Skip => self.tour.label(Label::Skip, self.locale),
            Button::Done => self.tour.label(Label::Done, self.locale),
            Button::Cta(cta) => self.tour.text(&cta.label, self.locale),
        }
    }

    /// The close button's accessible name.
    #[must_use]
    pub fn close_label(&self) -> &str {
        self.tour.label(Label::Close, self.locale)
    }

    /// Whether this is the last step.
    #[must_use]
    pub fn last(&self) -> bool {
        self.index.saturating_add(1) >= self.tour.steps.len()
    }
}

/// The result of a move through a tour: what comes next, and the events to record.
#[derive(Clone, Debug, PartialEq)]
pub struct Update {
    /// What comes next.
    pub then: Then,
    /// Events to record, in order.
    pub records: Vec<Record>,
}

impl Update {
    /// The progress to store; `None` when the tour ended (delete what is stored).
    #[must_use]
    pub fn progress(&self) -> Option<&Progress> {
        match &self.then {
            Then::Continue(progress) | Then::ShowCentered(progress) => Some(progress),
            Then::Ended(_) => None,
        }
    }
}

/// What comes after a move.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Then {
    /// Store the progress and ask [`Tour::now`] what to show.
    Continue(Progress),
    /// Store the progress and show the current step centered, without its target (its
    /// target went missing and its fallback is `center`); then record [`Tour::viewed`] with
    /// [`Strategy::None`].
    ShowCentered(Progress),
    /// The tour is over: delete the stored progress and record the ending in the profile.
    Ended(Ending),
}

/// How a tour ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The last step was completed.
    Completed,
    /// It ended early.
    Dismissed(Reason),
}

impl Tour {
    /// The locale a user gets: theirs, else their language, else the default, among the
    /// locales every text has; `None` when there is none of those (skip the tour).
    #[must_use]
    pub fn locale_for(&self, user_locale: Option<&str>) -> Option<&str> {
        locale::choose(&self.locales, &self.default_locale, user_locale)
    }

    /// A text in `locale`, else in the default locale.
    #[must_use]
    pub fn text<'a>(&self, text: &'a Localized, locale: &str) -> &'a str {
        text.get(locale)
            .or_else(|| text.get(&self.default_locale))
            .unwrap_or_default()
    }

    /// A built-in control's words in `locale`.
    #[must_use]
    pub fn label(&self, label: Label, locale: &str) -> &str {
        if let Some(text) = self.labels.get(label) {
            if let Some(found) = text.get(locale).or_else(|| text.get(&self.default_locale)) {
                return found;
            }
        }
        if label == Label::Step && !english(locale) {
            return "{n} / {total}";
        }
        LABELS
            .iter()
            .find(|(l, _, _)| *l == label)
            .map_or("", |(_, _, english)| english)
    }

    /// The live-region text for step `index` (from 0): `Step 2 of 5`.
    #[must_use]
    pub fn live_text(&self, index: usize, locale: &str) -> String {
        let n = js::number_to_string(index as f64 + 1.0);
        let total = js::number_to_string(self.steps.len() as f64);
        self.label(Label::Step, locale)
            .replace("{n}", &n)
            .replace("{total}", &total)
    }

    /// Starts the tour at its first step, recording `$tour_started`.
    #[must_use]
    pub fn start(&self, now: Millis) -> Update {
        Update {
            then: Then::Continue(self.at(0, now, now)),
            records: vec![self.record(events::STARTED, None, &[])],
        }
    }

    /// What the progress stored for this tour (`None` when nothing is) means at `now`.
    #[must_use]
    pub fn resume(&self, stored: Option<&Value>, now: Millis) -> Resume {
        let Some(stored) = stored else {
            return Resume::StartOver(StartOver::NothingStored);
        };
        let Some(progress) = Progress::from_json(stored) else {
            return Resume::StartOver(StartOver::Unreadable);
        };
        if progress.tour != self.id {
            return Resume::StartOver(StartOver::OtherTour);
        }
        if now.since(progress.updated_at) > Progress::EXPIRES_AFTER {
            return Resume::StartOver(StartOver::Expired);
        }
        let same = progress.fingerprint == self.fingerprint
            && self
                .steps
                .get(progress.step)
                .is_some_and(|s| s.id == progress.step_id);
        if same {
            return Resume::Continue {
                progress,
                mapped: false,
            };
        }
        match self.steps.iter().position(|s| s.id == progress.step_id) {
            Some(step) => Resume::Continue {
                progress: Progress {
                    step,
                    fingerprint: self.fingerprint,
                    ..progress
                },
                mapped: true,
            },
            None => Resume::StartOver(StartOver::StepRemoved),
        }
    }

    /// What to do on the page at `url` for a user whose locale is `user_locale`.
    #[must_use]
    pub fn now(&self, progress: &Progress, url: &str, user_locale: Option<&str>) -> Now<'_> {
        let Some(locale) = self.locale_for(user_locale) else {
            return Now::NoLocale;
        };
        let Some(step) = self.steps.get(progress.step) else {
            return Now::Finished;
        };
        if let Some(pattern) = &step.url {
            if !pattern.matches(url) {
                return Now::WaitForPage {
                    step: progress.step,
                    url: pattern,
                };
            }
        }
        Now::Show(View {
            tour: self,
            index: progress.step,
            step,
            locale,
            live: self.live_text(progress.step, locale),
        })
    }

    /// The current step is on screen, its target found by `strategy`: records
    /// `$step_viewed`.
    #[must_use]
    pub fn viewed(&self, progress: &Progress, strategy: Strategy, now: Millis) -> Update {
        Update {
            then: Then::Continue(self.at(progress.step, progress.started_at, now)),
            records: vec![self.record(
                events::STEP_VIEWED,
                Some(progress),
                &[("strategy", Value::from(strategy.name()))],
            )],
        }
    }

    /// The current step was completed `via` a button, click, event or route: records
    /// `$step_completed`, and `$tour_completed` after the last step.
    #[must_use]
    pub fn advance(&self, progress: &Progress, via: Via, now: Millis) -> Update {
        let mut records = vec![self.record(
            events::STEP_COMPLETED,
            Some(progress),
            &[("via", Value::from(via.name()))],
        )];
        let next = progress.step.saturating_add(1);
        if next >= self.steps.len() {
            records.push(self.record(events::COMPLETED, None, &[]));
            return Update {
                then: Then::Ended(Ending::Completed),
                records,
            };
        }
        Update {
            then: Then::Continue(self.at(next, progress.started_at, now)),
            records,
        }
    }

    /// Back to the previous step (the first stays the first). Records nothing: the
    /// protocol has no event for it.
    #[must_use]
    pub fn back(&self, progress: &Progress, now: Millis) -> Update {
        Update {
            then: Then::Continue(self.at(
                progress.step.saturating_sub(1),
                progress.started_at,
                now,
            )),
            records: Vec::new(),
        }
    }

    /// The user ended the tour: records `$tour_dismissed` with `reason`.
    #[must_use]
    pub fn dismiss(&self, progress: &Progress, reason: Reason) -> Update {
        Update {
            then: Then::Ended(Ending::Dismissed(reason)),
            records: vec![self.dismissed(progress, reason)],
        }
    }

    /// The current step's target did not appear within `waited` (its [`Step::wait`]):
    /// records `$step_target_missing` and applies the step's fallback: the next step, the
    /// same step centered, or the end of the tour (`$tour_dismissed`, reason
    /// `target_missing`). Skipping the last step ends the tour the same way.
    #[must_use]
    pub fn target_missing(&self, progress: &Progress, waited: Millis, now: Millis) -> Update {
        let fallback = self
            .steps
            .get(progress.step)
            .map_or(Fallback::End, |s| s.fallback);
        let mut records = vec![self.record(
            events::STEP_TARGET_MISSING,
            Some(progress),
            &[
                ("waited_ms", Value::Number(waited.0 as f64)),
                ("fallback", Value::from(fallback.name())),
            ],
        )];
        let next = progress.step.saturating_add(1);
        let then = match fallback {
            Fallback::Center => {
                Then::ShowCentered(self.at(progress.step, progress.started_at, now))
            }
            Fallback::Skip if next < self.steps.len() => {
                Then::Continue(self.at(next, progress.started_at, now))
            }
            Fallback::Skip | Fallback::End => {
                records.push(self.dismissed(progress, Reason::TargetMissing));
                Then::Ended(Ending::Dismissed(Reason::TargetMissing))
            }
        };
        Update { then, records }
    }

    /// Progress at step `index`.
    fn at(&self, index: usize, started_at: Millis, now: Millis) -> Progress {
        Progress {
            tour: self.id.clone(),
            step: index,
            step_id: self
                .steps
                .get(index)
                .map(|s| s.id.clone())
                .unwrap_or_default(),
            started_at,
            updated_at: now,
            fingerprint: self.fingerprint,
        }
    }

    fn dismissed(&self, progress: &Progress, reason: Reason) -> Record {
        self.record(
            events::DISMISSED,
            Some(progress),
            &[("reason", Value::from(reason.name()))],
        )
    }

    /// An event with `tour`, then (for step events) `step` and `step_id`, then `extra`.
    fn record(
        &self,
        name: &'static str,
        step: Option<&Progress>,
        extra: &[(&str, Value)],
    ) -> Record {
        let mut properties = Properties::with_capacity(3 + extra.len());
        properties.insert("tour".to_owned(), Value::from(self.id.as_str()));
        if let Some(progress) = step {
            let step_id = self
                .steps
                .get(progress.step)
                .map_or(progress.step_id.as_str(), |s| s.id.as_str());
            properties.insert("step".to_owned(), Value::Number(progress.step as f64));
            properties.insert("step_id".to_owned(), Value::from(step_id));
        }
        for (key, value) in extra {
            properties.insert((*key).to_owned(), value.clone());
        }
        Record { name, properties }
    }
}

/// The longest a step may wait for its target.
const MAX_WAIT_MS: f64 = 60_000.0;
/// How long a step waits for its target unless it says otherwise.
const DEFAULT_WAIT: Millis = Millis(5_000);

struct Reader<'d> {
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
            message: message.to_owned(),
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
        locators.extend(selector.map(Locator::Selector));
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
                        "javascript:, data: and vbscript: URLs are not allowed",
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
                    "a link with a javascript:, data: or vbscript: URL is shown as plain text",
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const T0: Millis = Millis(1_767_225_600_000);
    const SECOND: Millis = Millis::SECOND;

    fn read(experience: serde_json::Value) -> (Tour, Vec<Diagnostic>) {
        let experience: Value = serde_json::from_value(experience).expect("test JSON");
        let mut diagnostics = Vec::new();
        let tour = Tour::from_json(&experience, "tour-1", "/experiences/0", &mut diagnostics);
        assert!(
            diagnostics.iter().all(|d| d.subject == "tour-1"),
            "every diagnostic names the experience"
        );
        (tour, diagnostics)
    }

    /// The diagnostics of a tour definition, as (code, pointer below `/experiences/0/tour`).
    fn check(experience: serde_json::Value, expected: &[(&str, &str)]) {
        let (_, diagnostics) = read(experience);
        let found: Vec<(&str, String)> = diagnostics
            .iter()
            .map(|d| {
                (
                    d.code,
                    d.pointer
                        .strip_prefix("/experiences/0/tour")
                        .unwrap_or(&d.pointer)
                        .to_owned(),
                )
            })
            .collect();
        let expected: Vec<(&str, String)> = expected
            .iter()
            .map(|(c, p)| (*c, (*p).to_owned()))
            .collect();
        assert_eq!(found, expected);
    }

    fn valid(experience: serde_json::Value) -> Tour {
        let (tour, diagnostics) = read(experience);
        assert_eq!(diagnostics, [], "a valid tour");
        tour
    }

    /// An update's events as (name, properties as JSON).
    fn events(update: &Update) -> Vec<(&'static str, serde_json::Value)> {
        update
            .records
            .iter()
            .map(|r| (r.name, serde_json::to_value(&r.properties).unwrap()))
            .collect()
    }

    fn continued(update: &Update) -> Progress {
        match &update.then {
            Then::Continue(progress) => progress.clone(),
            other => panic!("expected the tour to continue, got {other:?}"),
        }
    }

    #[test]
    fn the_documented_example_is_valid() {
        let doc = include_str!("tour.rs");
        let start = doc.find("//! ```json\n").unwrap() + "//! ```json\n".len();
        let end = start + doc[start..].find("//! ```\n").unwrap();
        let example: String = doc[start..end]
            .lines()
            .map(|line| line.trim_start_matches("//!"))
            .collect();
        let tour = valid(serde_json::from_str(&example).unwrap());
        assert_eq!(tour.steps.len(), 3);
        assert_eq!(tour.locales, ["en"]);
    }

    #[test]
    fn a_full_step_reads_with_its_locator_plan_in_strength_order() {
        let tour = valid(json!({"tour": {"theme": {"accent": "#4f46e5"}, "steps": [{
            "id": "new-invoice", "url": "/dashboard*",
            "target": {"text": "New invoice", "role": "button", "name": "New invoice",
                       "selector": "main .toolbar button.primary", "id": "new-invoice-btn",
                       "waymark": "new-invoice", "frame": ["iframe#app"]},
            "title": "Create an invoice", "body": "Click **New invoice**.",
            "placement": "bottom", "align": "start", "spotlight": {"padding": 4},
            "buttons": ["skip", {"cta": {"label": "Guide", "url": "https://docs.example/i", "new_tab": true}},
                        {"cta": {"label": "Demo", "event": "demo_requested"}}],
            "advance": {"click": true}, "wait_ms": 8000, "fallback": "end",
            "comment": "unknown fields are ignored"}]}}));
        assert_eq!(
            tour.theme.properties,
            [("--waymark-accent", "#4f46e5".into())]
        );
        let step = &tour.steps[0];
        let target = step.target.as_ref().unwrap();
        let strategies: Vec<&str> = target
            .locators
            .iter()
            .map(|l| l.strategy().name())
            .collect();
        assert_eq!(strategies, ["waymark", "id", "selector", "role", "text"]);
        assert_eq!(
            target.locators[0].selector().as_deref(),
            Some("[data-waymark=\"new-invoice\"]")
        );
        assert_eq!(target.frames, ["iframe#app"]);
        assert_eq!(
            (step.placement, step.align, step.spotlight),
            (
                Placement::Bottom,
                Align::Start,
                Some(Spotlight {
                    padding: 4.0,
                    radius: 6.0
                })
            )
        );
        assert_eq!(
            (&step.advance, step.wait, step.fallback),
            (&Advance::Click, Millis(8_000), Fallback::End)
        );
        assert_eq!(step.url, Some(UrlPattern("/dashboard*".into())));
        assert!(matches!(
            &step.buttons[1],
            Button::Cta(Cta {
                action: CtaAction::Url { new_tab: true, .. },
                ..
            })
        ));
        assert!(
            matches!(&step.buttons[2], Button::Cta(Cta { action: CtaAction::Event(e), .. }) if e == "demo_requested")
        );
    }

    #[test]
    fn a_step_without_a_target_is_centered_without_spotlight_and_defaults_fill_in() {
        let tour = valid(json!({"tour": {"steps": [
            {"id": "hello", "title": "Hello"},
            {"id": "menu", "target": "#menu", "body": "The menu"}]}}));
        let (hello, menu) = (&tour.steps[0], &tour.steps[1]);
        assert_eq!(
            (hello.placement, hello.spotlight),
            (Placement::Center, None)
        );
        assert_eq!(hello.target, None);
        assert_eq!(
            menu.target.as_ref().unwrap().locators,
            [Locator::Selector("#menu".into())]
        );
        assert_eq!(
            (menu.placement, menu.align, menu.spotlight),
            (Placement::Auto, Align::Center, Some(Spotlight::default()))
        );
        assert_eq!(
            (&menu.advance, menu.wait, menu.fallback, menu.format),
            (
                &Advance::Button,
                Millis(5_000),
                Fallback::Skip,
                Format::Markdown
            )
        );
    }

    #[test]
    fn every_invalid_part_of_a_definition_is_diagnosed_with_its_pointer() {
        check(
            json!({"tour": {"format": "html", "labels": {"next": 3}, "steps": [
                "not an object",
                {"title": "No id"},
                {"id": "a", "title": "A", "target": {"role": "button"}},
                {"id": "a", "title": "Same id"},
                {"id": "b", "title": "B", "placement": "bottom"},
                {"id": "c", "title": "C", "advance": "click"},
                {"id": "d", "target": "#d"},
                {"id": "e", "title": "E", "target": "#e", "placement": "middle", "align": "left",
                 "spotlight": {"padding": 100}},
                {"id": "f", "title": "F", "buttons": ["next", "next", "jump",
                    {"cta": {"label": "Go", "url": "javascript:alert(1)"}},
                    {"cta": {"label": "Both", "url": "/x", "event": "y"}},
                    {"cta": {"url": "/x"}}]},
                {"id": "g", "title": "G", "advance": {"route": ""}},
                {"id": "h", "title": "H", "url": 5, "wait_ms": 90000, "fallback": "retry"},
                {"id": "i", "title": "I", "target": "#i", "advance": {"click": true}, "fallback": "center"},
                {"id": "l", "title": 7},
                {"id": "m", "title": "M", "target": {"waymark": "a b"}, "format": "rich"},
                {"id": "j", "title": "J", "buttons": ["back"]}
            ]}}),
            &[
                ("invalid_format", "/format"),
                ("invalid_text", "/labels/next"),
                ("invalid_step", "/steps/0"),
                ("missing_step_id", "/steps/1/id"),
                ("invalid_target", "/steps/2/target/name"),
                ("duplicate_step_id", "/steps/3/id"),
                ("missing_target", "/steps/4/target"),
                ("click_without_target", "/steps/5/advance"),
                ("empty_step", "/steps/6"),
                ("invalid_placement", "/steps/7/placement"),
                ("invalid_align", "/steps/7/align"),
                ("invalid_spotlight", "/steps/7/spotlight"),
                ("duplicate_button", "/steps/8/buttons/1"),
                ("invalid_button", "/steps/8/buttons/2"),
                ("unsafe_url", "/steps/8/buttons/3/cta/url"),
                ("invalid_cta", "/steps/8/buttons/4/cta"),
                ("invalid_cta", "/steps/8/buttons/5/cta/label"),
                ("invalid_advance", "/steps/9/advance"),
                ("invalid_url", "/steps/10/url"),
                ("invalid_wait", "/steps/10/wait_ms"),
                ("invalid_fallback", "/steps/10/fallback"),
                ("invalid_fallback", "/steps/11/fallback"),
                ("invalid_text", "/steps/12/title"),
                ("invalid_target", "/steps/13/target/waymark"),
                ("invalid_format", "/steps/13/format"),
                ("no_way_forward", "/steps/14/buttons"),
            ],
        );
    }

    #[test]
    fn the_tour_object_itself_is_checked() {
        check(json!({"id": "x"}), &[("missing_tour", "")]);
        check(json!({"tour": {"steps": []}}), &[("no_steps", "/steps")]);
        check(
            json!({"tour": {"default_locale": "english please", "labels": ["Next"],
                   "steps": [{"id": "a", "title": "A", "target": {}}]}}),
            &[
                ("invalid_locale", "/default_locale"),
                ("invalid_labels", "/labels"),
                ("invalid_target", "/steps/0/target"),
            ],
        );
    }

    #[test]
    fn targets_advances_and_calls_to_action_are_checked_in_detail() {
        check(
            json!({"tour": {"steps": [
                {"id": "a", "title": "A", "target": 5},
                {"id": "b", "title": "B", "target": {"selector": "#b", "frame": [""]}},
                {"id": "c", "title": "C", "target": {"id": ""}},
                {"id": "d", "title": "D", "advance": {"event": ""}},
                {"id": "e", "title": "E", "advance": {"click": true, "event": "x"}},
                {"id": "f", "title": "F", "buttons": ["done", {"cta": {"label": "L", "event": ""}}]},
                {"id": "g", "title": "G", "buttons": "next"}
            ]}}),
            &[
                ("invalid_target", "/steps/0/target"),
                ("invalid_target", "/steps/1/target/frame"),
                ("invalid_target", "/steps/2/target/id"),
                ("invalid_advance", "/steps/3/advance"),
                ("invalid_advance", "/steps/4/advance"),
                ("invalid_cta", "/steps/5/buttons/1/cta/event"),
                ("invalid_button", "/steps/6/buttons"),
                ("no_way_forward", "/steps/6/buttons"),
            ],
        );
    }

    #[test]
    fn default_buttons_depend_on_the_position_and_the_page() {
        let tour = valid(json!({"tour": {"steps": [
            {"id": "a", "title": "A", "url": "/one"},
            {"id": "b", "title": "B", "url": "/one"},
            {"id": "c", "title": "C", "url": "/two"},
            {"id": "d", "target": "#d", "title": "D", "url": "/two", "advance": "click"},
            {"id": "e", "title": "E", "url": "/two"}]}}));
        let buttons: Vec<&[Button]> = tour.steps.iter().map(|s| s.buttons.as_slice()).collect();
        assert_eq!(
            buttons,
            [
                &[Button::Next][..],
                &[Button::Back, Button::Next],
                &[Button::Next],
                &[Button::Back],
                &[Button::Back, Button::Done],
            ]
        );
    }

    #[test]
    fn back_buttons_that_cannot_work_are_warnings() {
        let (tour, diagnostics) = read(json!({"tour": {"steps": [
            {"id": "a", "title": "A", "url": "/one", "buttons": ["back", "next"]},
            {"id": "b", "title": "B", "url": "/two", "buttons": ["back", "done"]}]}}));
        let found: Vec<(Severity, &str)> =
            diagnostics.iter().map(|d| (d.severity, d.code)).collect();
        assert_eq!(
            found,
            [
                (Severity::Warning, "back_on_first_step"),
                (Severity::Warning, "back_across_pages")
            ]
        );
        assert_eq!(
            tour.steps[0].buttons,
            [Button::Next],
            "the useless back is left out"
        );
    }

    #[test]
    fn unsafe_links_in_markdown_bodies_are_warnings_at_their_translation() {
        let (tour, diagnostics) = read(json!({"tour": {"steps": [
            {"id": "a", "body": {"en": "[docs](javascript:x)", "fr": "[docs](/fr)"}},
            {"id": "b", "body": "[x](data:text/html,y)"},
            {"id": "c", "body": "[x](javascript:y)", "format": "plain"}]}}));
        let found: Vec<(Severity, &str, &str)> = diagnostics
            .iter()
            .map(|d| (d.severity, d.code, d.pointer.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                (
                    Severity::Warning,
                    "unsafe_link",
                    "/experiences/0/tour/steps/0/body/en"
                ),
                (
                    Severity::Warning,
                    "unsafe_link",
                    "/experiences/0/tour/steps/1/body"
                ),
                (
                    Severity::Warning,
                    "incomplete_locale",
                    "/experiences/0/tour/steps/1/body"
                ),
            ]
        );
        let progress = continued(&tour.start(T0));
        let Now::Show(view) = tour.now(&progress, "https://app.example/", Some("en")) else {
            panic!("shows");
        };
        assert_eq!(
            view.body().unwrap().text(),
            "docs",
            "the label stays, as text"
        );
    }

    #[test]
    fn only_complete_locales_are_offered_and_the_user_gets_theirs() {
        let (tour, diagnostics) = read(json!({"tour": {
            "labels": {"step": {"en": "Step {n} of {total}", "fr": "Étape {n} sur {total}"},
                       "next": {"en": "Next", "fr": "Suivant"},
                       "back": {"en": "Back", "fr": "Retour"},
                       "done": {"en": "Done", "fr": "Terminé"},
                       "close": {"en": "Close", "fr": "Fermer"}},
            "steps": [
                {"id": "a", "title": {"en": "Hi", "fr": "Salut", "de": "Hallo"}},
                {"id": "b", "title": {"en": "Bye", "fr": "Au revoir"}, "body": {"fr": "Corps", "en": "Body"}}]}}));
        assert_eq!(tour.locales, ["en", "fr"]);
        let codes: Vec<(&str, &str)> = diagnostics
            .iter()
            .map(|d| (d.code, d.pointer.as_str()))
            .collect();
        assert_eq!(
            codes,
            [("incomplete_locale", "/experiences/0/tour/labels/next")],
            "German is not offered: the first text without it is named"
        );
        assert_eq!(tour.locale_for(Some("fr-CA")), Some("fr"));
        assert_eq!(tour.locale_for(Some("de-DE")), Some("en"));
        let progress = tour.advance(&continued(&tour.start(T0)), Via::Button, T0);
        let Now::Show(view) = tour.now(&continued(&progress), "https://x/", Some("fr-CA")) else {
            panic!("shows");
        };
        assert_eq!(view.title(), Some("Au revoir"));
        assert_eq!(view.live, "Étape 2 sur 2");
        assert_eq!(view.button_label(&view.step.buttons[0]), "Retour");
        assert_eq!(view.button_label(&view.step.buttons[1]), "Terminé");
        assert_eq!(view.close_label(), "Fermer");
        assert!(view.last());
    }

    #[test]
    fn a_tour_in_another_language_without_labels_warns_and_numbers_its_steps_plainly() {
        let (tour, diagnostics) = read(json!({"tour": {"default_locale": "fr", "steps": [
            {"id": "a", "title": "Un"}, {"id": "b", "title": "Deux"}, {"id": "c", "title": "Trois"}]}}));
        let warned: Vec<&str> = diagnostics
            .iter()
            .map(|d| {
                d.pointer
                    .strip_prefix("/experiences/0/tour/labels/")
                    .unwrap()
            })
            .collect();
        assert_eq!(warned, ["next", "back", "done", "close"]);
        assert!(diagnostics
            .iter()
            .all(|d| d.code == "untranslated_label" && d.severity == Severity::Warning));
        assert_eq!(tour.live_text(1, "fr"), "2 / 3");
        assert_eq!(tour.live_text(1, "en-US"), "Step 2 of 3");
    }

    #[test]
    fn a_text_without_the_default_locale_is_an_error_and_leaves_no_locale_to_offer() {
        let (tour, diagnostics) =
            read(json!({"tour": {"steps": [{"id": "a", "title": {"fr": "Salut"}}]}}));
        assert_eq!(
            (diagnostics[0].code, diagnostics[0].pointer.as_str()),
            (
                "missing_default_translation",
                "/experiences/0/tour/steps/0/title"
            )
        );
        assert_eq!(tour.locale_for(Some("de")), None);
        let progress = continued(&tour.start(T0));
        assert_eq!(tour.now(&progress, "https://x/", Some("de")), Now::NoLocale);
    }

    const TWO_PAGES: &str = r##"{"tour": {"steps": [
        {"id": "welcome", "url": "/dashboard*", "title": "Welcome"},
        {"id": "sidebar", "url": "/dashboard*", "target": {"waymark": "sidebar"}, "title": "Sidebar"},
        {"id": "new-invoice", "url": "/dashboard*", "target": {"waymark": "new-invoice", "text": "New invoice"},
         "title": "New invoice", "advance": {"route": "/invoices/new*"}},
        {"id": "customer", "url": "/invoices/new*", "target": "#customer", "title": "Customer",
         "advance": {"event": "customer_picked"}},
        {"id": "save", "url": "/invoices/new*", "target": "#save", "title": "Save", "advance": {"click": true}}
    ]}}"##;

    #[test]
    fn a_two_page_tour_resumes_after_a_reload_on_the_right_step() {
        let tour = valid(serde_json::from_str(TWO_PAGES).unwrap());
        let dashboard = "https://app.example/dashboard";
        let started = tour.start(T0);
        assert_eq!(
            events(&started),
            [(events::STARTED, json!({"tour": "tour-1"}))]
        );
        let mut progress = continued(&started);
        let Now::Show(first) = tour.now(&progress, dashboard, Some("en-GB")) else {
            panic!("the first step shows on the dashboard");
        };
        assert_eq!((first.index, first.live.as_str()), (0, "Step 1 of 5"));
        progress = continued(&tour.viewed(&progress, Strategy::None, T0.plus(SECOND)));
        progress = continued(&tour.advance(&progress, Via::Button, T0.plus(SECOND)));
        progress = continued(&tour.viewed(&progress, Strategy::Waymark, T0.plus(SECOND)));
        progress = continued(&tour.advance(&progress, Via::Button, T0.plus(SECOND)));
        // The third step moves on when the app routes to the new-invoice page.
        let step = &tour.steps[progress.step];
        assert_eq!(step.advanced_by(Occurrence::Click), None);
        let via = step
            .advanced_by(Occurrence::Route("https://app.example/invoices/new"))
            .unwrap();
        let routed = tour.advance(&progress, via, T0.plus(Millis(2_000)));
        assert_eq!(
            events(&routed),
            [(
                events::STEP_COMPLETED,
                json!({"tour": "tour-1", "step": 2, "step_id": "new-invoice", "via": "route"})
            )]
        );
        progress = continued(&routed);

        // A full page load: the progress goes to storage as JSON and comes back.
        let stored = serde_json::to_string(&progress.to_json()).unwrap();
        let reloaded: Value = serde_json::from_str(&stored).unwrap();
        let Resume::Continue {
            progress: resumed,
            mapped: false,
        } = tour.resume(Some(&reloaded), T0.plus(Millis::MINUTE))
        else {
            panic!("resumes");
        };
        assert_eq!(resumed, progress);
        let Now::Show(view) = tour.now(
            &resumed,
            "https://app.example/invoices/new?draft=1",
            Some("en"),
        ) else {
            panic!("the fourth step shows on the invoice page");
        };
        assert_eq!(
            (view.index, view.step.id.as_str(), view.live.as_str()),
            (3, "customer", "Step 4 of 5")
        );
        assert_eq!(
            view.step.buttons,
            [],
            "no back button to a step on another page"
        );
        // Back on the dashboard, the tour waits for its page.
        assert_eq!(
            tour.now(&resumed, dashboard, Some("en")),
            Now::WaitForPage {
                step: 3,
                url: &UrlPattern("/invoices/new*".into())
            }
        );
        let step = &tour.steps[3];
        assert_eq!(step.advanced_by(Occurrence::Event("other")), None);
        assert_eq!(
            step.advanced_by(Occurrence::Event("customer_picked")),
            Some(Via::Event)
        );
        progress = continued(&tour.advance(&resumed, Via::Event, T0.plus(Millis::MINUTE)));
        assert_eq!(
            tour.steps[4].advanced_by(Occurrence::Click),
            Some(Via::Click)
        );
        let done = tour.advance(&progress, Via::Click, T0.plus(Millis::MINUTE));
        assert_eq!(done.then, Then::Ended(Ending::Completed));
        assert_eq!(done.progress(), None);
        assert_eq!(
            events(&done),
            [
                (
                    events::STEP_COMPLETED,
                    json!({"tour": "tour-1", "step": 4, "step_id": "save", "via": "click"})
                ),
                (events::COMPLETED, json!({"tour": "tour-1"})),
            ]
        );
    }

    #[test]
    fn a_changed_tour_finds_the_step_by_id_or_starts_over() {
        let steps = |ids: &[&str]| {
            let steps: Vec<serde_json::Value> = ids
                .iter()
                .map(|id| json!({"id": id, "title": id.to_uppercase()}))
                .collect();
            valid(json!({"tour": {"steps": steps}}))
        };
        let v1 = steps(&["a", "b", "c", "d"]);
        let at_c = continued(&v1.advance(
            &continued(&v1.advance(&continued(&v1.start(T0)), Via::Button, T0)),
            Via::Button,
            T0,
        ));
        assert_eq!((at_c.step, at_c.step_id.as_str()), (2, "c"));
        let stored = at_c.to_json();

        let v2 = steps(&["a", "new", "b", "c", "d"]);
        assert_ne!(v2.fingerprint, v1.fingerprint);
        let Resume::Continue { progress, mapped } = v2.resume(Some(&stored), T0) else {
            panic!("continues");
        };
        assert_eq!(
            (
                progress.step,
                progress.step_id.as_str(),
                progress.fingerprint,
                mapped
            ),
            (3, "c", v2.fingerprint, true)
        );

        let v3 = steps(&["a", "b", "d"]);
        assert_eq!(
            v3.resume(Some(&stored), T0),
            Resume::StartOver(StartOver::StepRemoved)
        );

        // New words on the same steps keep the fingerprint.
        let reworded = valid(json!({"tour": {"steps": [
            {"id": "a", "title": "1"}, {"id": "b", "title": "2"}, {"id": "c", "title": "3"}, {"id": "d", "title": "4"}]}}));
        assert_eq!(reworded.fingerprint, v1.fingerprint);
        assert!(matches!(
            reworded.resume(Some(&stored), T0),
            Resume::Continue { mapped: false, .. }
        ));
    }

    #[test]
    fn stored_progress_that_is_unreadable_foreign_or_stale_starts_over() {
        let tour = valid(serde_json::from_str(TWO_PAGES).unwrap());
        let progress = continued(&tour.start(T0));
        let stored = progress.to_json();
        let with = |key: &str, value: Value| {
            let mut changed = stored.clone();
            if let Value::Object(map) = &mut changed {
                map.insert(key.to_owned(), value);
            }
            changed
        };
        for bad in [
            Value::Null,
            Value::from("{\"tour\": \"tour-1\"}"),
            with("v", Value::Number(2.0)),
            with("step", Value::from("0")),
            with("step", Value::Number(-1.0)),
            with("step", Value::Number(0.5)),
            with("step_id", Value::from("")),
            with("updated_at", Value::Null),
            with("fingerprint", Value::Number(5e9)),
        ] {
            assert_eq!(
                tour.resume(Some(&bad), T0),
                Resume::StartOver(StartOver::Unreadable),
                "{bad:?}"
            );
        }
        assert_eq!(
            tour.resume(None, T0),
            Resume::StartOver(StartOver::NothingStored)
        );
        assert_eq!(
            tour.resume(Some(&with("tour", Value::from("other"))), T0),
            Resume::StartOver(StartOver::OtherTour)
        );
        assert!(matches!(
            tour.resume(Some(&stored), T0.plus(Progress::EXPIRES_AFTER)),
            Resume::Continue { .. }
        ));
        assert_eq!(
            tour.resume(
                Some(&stored),
                T0.plus(Progress::EXPIRES_AFTER).plus(Millis(1))
            ),
            Resume::StartOver(StartOver::Expired)
        );
        // A clock that went back does not expire anything.
        assert!(matches!(
            tour.resume(Some(&stored), Millis(0)),
            Resume::Continue { .. }
        ));
        // Progress past the end of a shortened tour is over.
        let past = Progress {
            step: 9,
            ..progress
        };
        assert_eq!(tour.now(&past, "https://x/", None), Now::Finished);
    }

    #[test]
    fn a_missing_target_applies_its_steps_fallback() {
        let tour = valid(json!({"tour": {"steps": [
            {"id": "skips", "target": "#a", "title": "A"},
            {"id": "centers", "target": "#b", "title": "B", "fallback": "center", "wait_ms": 2000},
            {"id": "ends", "target": "#c", "title": "C", "fallback": "end"},
            {"id": "last", "target": "#d", "title": "D"}]}}));
        let waited = Millis(5_000);
        let first = continued(&tour.start(T0));
        let skipped = tour.target_missing(&first, waited, T0);
        assert_eq!(
            events(&skipped),
            [(
                events::STEP_TARGET_MISSING,
                json!({"tour": "tour-1", "step": 0, "step_id": "skips", "waited_ms": 5000, "fallback": "skip"})
            )]
        );
        let second = continued(&skipped);
        assert_eq!(second.step, 1);

        let centered = tour.target_missing(&second, Millis(2_000), T0);
        assert_eq!(centered.then, Then::ShowCentered(second.clone()));
        assert_eq!(events(&centered)[0].1["fallback"], "center");
        let viewed = tour.viewed(&second, Strategy::None, T0);
        assert_eq!(events(&viewed)[0].1["strategy"], "none");

        let third = continued(&tour.advance(&second, Via::Button, T0));
        let ended = tour.target_missing(&third, waited, T0);
        assert_eq!(
            ended.then,
            Then::Ended(Ending::Dismissed(Reason::TargetMissing))
        );
        assert_eq!(
            events(&ended),
            [
                (
                    events::STEP_TARGET_MISSING,
                    json!({"tour": "tour-1", "step": 2, "step_id": "ends", "waited_ms": 5000, "fallback": "end"})
                ),
                (
                    events::DISMISSED,
                    json!({"tour": "tour-1", "step": 2, "step_id": "ends", "reason": "target_missing"})
                ),
            ]
        );

        // Skipping the last step has nowhere to go: the tour ends as `end` would.
        let last = continued(&tour.advance(&third, Via::Button, T0));
        let over = tour.target_missing(&last, waited, T0);
        assert_eq!(
            over.then,
            Then::Ended(Ending::Dismissed(Reason::TargetMissing))
        );
        assert_eq!(events(&over)[1].0, events::DISMISSED);
    }

    #[test]
    fn every_event_carries_exactly_the_properties_the_protocol_names() {
        let tour = valid(json!({"tour": {"steps": [
            {"id": "a", "target": {"id": "a"}, "title": "A"}, {"id": "b", "title": "B"}]}}));
        let started = tour.start(T0);
        let progress = continued(&started);
        let later = T0.plus(SECOND);
        let viewed = tour.viewed(&progress, Strategy::Id, later);
        assert_eq!(continued(&viewed).updated_at, later);
        assert_eq!(continued(&viewed).started_at, T0);
        let mut all = events(&started);
        all.extend(events(&viewed));
        all.extend(events(&tour.advance(&progress, Via::Button, later)));
        all.extend(events(&tour.target_missing(
            &progress,
            Millis(8_000),
            later,
        )));
        for reason in [Reason::Close, Reason::Escape, Reason::Skip] {
            let dismissed = tour.dismiss(&progress, reason);
            assert_eq!(dismissed.then, Then::Ended(Ending::Dismissed(reason)));
            all.extend(events(&dismissed));
        }
        let last = continued(&tour.advance(&progress, Via::Button, later));
        all.extend(events(&tour.advance(&last, Via::Event, later)));
        assert_eq!(
            all,
            [
                ("$tour_started", json!({"tour": "tour-1"})),
                (
                    "$step_viewed",
                    json!({"tour": "tour-1", "step": 0, "step_id": "a", "strategy": "id"})
                ),
                (
                    "$step_completed",
                    json!({"tour": "tour-1", "step": 0, "step_id": "a", "via": "button"})
                ),
                (
                    "$step_target_missing",
                    json!({"tour": "tour-1", "step": 0, "step_id": "a", "waited_ms": 8000, "fallback": "skip"})
                ),
                (
                    "$tour_dismissed",
                    json!({"tour": "tour-1", "step": 0, "step_id": "a", "reason": "close"})
                ),
                (
                    "$tour_dismissed",
                    json!({"tour": "tour-1", "step": 0, "step_id": "a", "reason": "escape"})
                ),
                (
                    "$tour_dismissed",
                    json!({"tour": "tour-1", "step": 0, "step_id": "a", "reason": "skip"})
                ),
                (
                    "$step_completed",
                    json!({"tour": "tour-1", "step": 1, "step_id": "b", "via": "event"})
                ),
                ("$tour_completed", json!({"tour": "tour-1"})),
            ]
        );
    }

    #[test]
    fn back_goes_one_step_back_and_records_nothing() {
        let tour = valid(
            json!({"tour": {"steps": [{"id": "a", "title": "A"}, {"id": "b", "title": "B"}]}}),
        );
        let first = continued(&tour.start(T0));
        let second = continued(&tour.advance(&first, Via::Button, T0));
        let back = tour.back(&second, T0.plus(SECOND));
        assert_eq!(back.records, []);
        let again = continued(&back);
        assert_eq!((again.step, again.step_id.as_str()), (0, "a"));
        assert_eq!(
            continued(&tour.back(&again, T0)).step,
            0,
            "the first stays first"
        );
    }

    #[test]
    fn names_and_texts_match_ignoring_spacing_and_ascii_case() {
        assert!(same_text("New invoice", "  new\n  INVOICE "));
        assert!(!same_text("New invoice", "New invoices"));
        assert!(!same_text("New invoice", "New"));
        assert!(same_text("", "   "));
    }

    #[test]
    fn plain_bodies_are_not_markdown() {
        let tour = valid(
            json!({"tour": {"format": "plain", "steps": [{"id": "a", "body": "**not bold**"}]}}),
        );
        let progress = continued(&tour.start(T0));
        let Now::Show(view) = tour.now(&progress, "https://x/", None) else {
            panic!("shows");
        };
        assert_eq!(view.body().unwrap().text(), "**not bold**");
        assert_eq!(view.title(), None);
    }
}
