//! Experiences on this page: the config, what arbitration decides on each signal, the
//! content changes it applies, and the tour or survey it hands to the experiences module.
//!
//! The decisions are `waymark-core`'s ([`decide`], [`prospects`], [`Change::render`],
//! [`ContentExperiment::assign`]); this module gathers their inputs (the user's attributes,
//! the profile, the page, what is on screen), acts on their outputs through the [`Stage`],
//! and keeps the little state a page needs: which tour or survey is on screen, a signal that
//! found the screen busy (replayed when it frees: a CSAT survey waits out the tour whose
//! completion triggers it), what could not show on this page, and the page's timers.
//!
//! No JavaScript is ever called while the SDK's state is borrowed: decisions are made inside
//! the borrow and acted on after it, since the stage may call straight back.

use std::rc::Rc;

use waymark_core::encode::Object;
use waymark_core::privacy::Consent;
use waymark_core::protocol::EXPOSURE;
use waymark_core::rules::arbitration::{
    decide, prospects, Kind, Signal, Situation, Trigger, Verdict,
};
use waymark_core::rules::content::{Experiment as ContentExperiment, Rendered};
use waymark_core::rules::json::Fields;
use waymark_core::rules::profile::Outcome;
use waymark_core::rules::{Diagnostic, RuleSet, Severity};
use waymark_core::{Millis, Properties, Value};

use crate::browser;
use crate::convert;
use crate::patterns::Browser;
use crate::sdk::Sdk;
use crate::storage;

/// The published config the SDK acts on, compiled.
#[derive(Debug, Default)]
pub struct Config {
    /// Its version (0: none yet).
    pub version: u64,
    /// The compiled rules.
    pub rules: RuleSet,
    /// The config as published: tour and survey definitions are handed on from here.
    pub json: Value,
}

/// A signal that can be kept and replayed.
#[derive(Clone, Debug, PartialEq)]
pub enum Kept {
    /// A page view of the current URL.
    PageView,
    /// A named event.
    Event(String),
    /// Time on page, in milliseconds.
    TimeOnPage(Millis),
    /// Exit intent.
    ExitIntent,
    /// An element matching this selector is on the page.
    Element(String),
}

impl Kept {
    fn signal(&self) -> Signal<'_> {
        match self {
            Kept::PageView => Signal::PageView,
            Kept::Event(name) => Signal::Event(name),
            Kept::TimeOnPage(ms) => Signal::TimeOnPage(*ms),
            Kept::ExitIntent => Signal::ExitIntent,
            Kept::Element(selector) => Signal::Element(selector),
        }
    }
}

/// What experiences hold on this page.
#[derive(Default)]
pub struct Live {
    /// The config, once one is known.
    pub config: Option<Config>,
    /// The tour or survey on screen (or being loaded to be), and the signal that showed it.
    pub on_screen: Option<(String, Kept)>,
    /// A signal that found the screen busy, replayed when it frees.
    pub waiting: Option<Kept>,
    /// Tours and surveys that could not show on this page (no translation, another page's
    /// step, the module unavailable): not offered again until the next page.
    pub not_here: Vec<String>,
    /// The experiments whose exposure this page has already checked.
    pub exposed: Vec<String>,
    /// Experiences this page has recorded as held out (`$experience_not_shown`, reason
    /// `holdout`), and content experiences with a holdout it has recorded as shown
    /// (`$content_shown`): each at most once per page.
    pub held_out: Vec<String>,
    /// See `held_out`.
    pub shown: Vec<String>,
    /// When the current page began.
    pub page_started: Millis,
    /// The selectors of element triggers the page watches, in the order the stage was given
    /// them: it names one by its index.
    pub elements: Vec<String>,
}

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Live")
            .field("on_screen", &self.on_screen)
            .finish_non_exhaustive()
    }
}

/// The event a banner's close button records: `experience`.
pub const CONTENT_DISMISSED: &str = "$content_dismissed";
/// The event a banner's call to action records when it names none: `experience`.
pub const CONTENT_CLICKED: &str = "$content_clicked";
/// A content change the content layer skipped: `experience`, `reason` (`invalid_selector`,
/// `forbidden_attribute`, `forbidden_element`, `unsafe_url`, `invalid_class`, or `refused`
/// when the page threw).
pub const CONTENT_SKIPPED: &str = "$content_skipped";
/// An experience that was eligible but did not show: `experience`, `reason`
/// (`module_unavailable`, or `holdout` when the person is in its holdout).
pub const NOT_SHOWN: &str = "$experience_not_shown";
/// A content change of an experience that declares a holdout was applied on this page:
/// `experience`. Tours and surveys have their own (`$tour_started`, `$survey_shown`); only
/// content with a holdout records it, as what its holdout is measured against.
pub const CONTENT_SHOWN: &str = "$content_shown";

/// Reasons an experience ends without having been on screen: it is not offered again on
/// this page.
const NOT_HERE: [&str; 4] = [
    "no_translation",
    "invalid",
    "elsewhere",
    "module_unavailable",
];

/// The events the experiences module may record.
fn experience_event(name: &str) -> bool {
    ["$survey_", "$tour_", "$step_"]
        .iter()
        .any(|prefix| name.starts_with(prefix))
}

fn object(fields: Vec<(&str, Value)>) -> Value {
    let mut map = Properties::new();
    for (k, v) in fields {
        map.insert(k.to_owned(), v);
    }
    Value::Object(map)
}

fn text(s: &str) -> Value {
    Value::String(s.to_owned())
}

/// One content change for the stage, as JSON: `{experience, selector, action, …}`.
fn content_entry(
    out: &mut String,
    hide: &mut String,
    experience: &str,
    selector: &str,
    rendered: Rendered,
) {
    if out.len() > 1 {
        out.push(',');
    }
    // What the anti-flicker snippet hides on the next visit, until this change is applied:
    // the elements a change rewrites (a banner is inserted, so nothing shows before it).
    if !matches!(rendered, Rendered::Banner(_)) {
        if !hide.is_empty() {
            hide.push(',');
        }
        hide.push_str(selector);
    }
    let mut o = Object::new(out);
    o.text("experience", experience);
    o.text("selector", selector);
    let (action, value) = match &rendered {
        Rendered::Text(t) => ("text", Some(t)),
        Rendered::Attribute(name, value) => {
            o.text("name", name);
            ("attribute", Some(value))
        }
        Rendered::AddClass(c) => ("add_class", Some(c)),
        Rendered::RemoveClass(c) => ("remove_class", Some(c)),
        Rendered::Hide => ("hide", None),
        Rendered::Show => ("show", None),
        Rendered::Variant(v) => ("variant", Some(v)),
        Rendered::Banner(b) => {
            o.text("title", &b.title);
            o.text("cta", &b.cta_label);
            if let Some(url) = &b.cta_url {
                o.text("url", url);
            }
            o.field("dismissible", &Value::Bool(b.dismissible));
            o.text("position", b.position.dom_name());
            ("banner", Some(&b.text))
        }
    };
    o.text("action", action);
    if let Some(value) = value {
        o.text("value", value);
    }
    o.end();
}

/// A watch entry: a control variant's user counts as exposed once one of the experiment's
/// selectors is on the page.
fn watch_entry(out: &mut String, experience: &str, selector: &str) {
    if out.len() > 1 {
        out.push(',');
    }
    let mut o = Object::new(out);
    o.text("experience", experience);
    o.text("selector", selector);
    o.text("action", "watch");
    o.end();
}

/// Reads a config envelope (`{project, version, published_at, config}`).
fn read_envelope(text: &str) -> Option<(u64, Value)> {
    let Value::Object(mut envelope) = convert::value_from_json(text)? else {
        return None;
    };
    let version = match envelope.get("version") {
        Some(Value::Number(n)) if *n >= 0.0 => *n as u64,
        _ => return None,
    };
    let config = envelope.remove("config")?;
    Some((version, config))
}

fn compile(version: u64, json: Value) -> (Config, Vec<Diagnostic>) {
    let (rules, diagnostics) = RuleSet::compile_experiences(&json, &Browser);
    (
        Config {
            version,
            rules,
            json,
        },
        diagnostics,
    )
}

fn warn_diagnostics(diagnostics: &[Diagnostic]) {
    for d in diagnostics.iter().filter(|d| d.severity == Severity::Error) {
        // The collector checks configs before it publishes them, with messages; here the
        // code and the place say enough to find the one that did not go through it.
        let mut line = String::from("a config error disables ");
        line.push_str(&d.subject);
        line.push_str(": ");
        line.push_str(d.code);
        line.push_str(" at ");
        line.push_str(&d.pointer);
        browser::warn(&line);
    }
}

impl Sdk {
    /// Reads the config this browser cached on an earlier visit, so that content is decided
    /// from it before the page first paints.
    pub(crate) fn load_cached_config(&self) {
        let Some((version, json)) = self
            .storage
            .get(storage::CONFIG)
            .and_then(|text| read_envelope(&text))
        else {
            return;
        };
        let (config, _) = compile(version, json);
        self.set_config(config);
    }

    fn set_config(&self, config: Config) {
        if let Ok(mut live) = self.live.try_borrow_mut() {
            self.config_version.set(config.version);
            live.config = Some(config);
        }
    }

    /// A config arrived from the collector: a newer version is compiled, cached and acted
    /// on at once (content re-decided, page-view triggers checked again).
    pub fn configure(self: &Rc<Self>, text: &str) {
        let Some((version, json)) = read_envelope(text) else {
            return browser::warn("the collector's config answer is not a config envelope; the cached config stays in use");
        };
        let current = self
            .live
            .try_borrow()
            .ok()
            .and_then(|l| l.config.as_ref().map(|c| c.version));
        if current.is_some_and(|v| v >= version) {
            return;
        }
        let (config, diagnostics) = compile(version, json);
        warn_diagnostics(&diagnostics);
        if self.consent() == Consent::Denied {
            return;
        }
        self.storage.set(storage::CONFIG, text);
        self.set_config(config);
        self.page_began(false);
    }

    /// A page (or a single-page navigation's new page) began: its timers and listeners are
    /// set up anew, content is decided for it, and page-view triggers are checked.
    pub(crate) fn page_began(self: &Rc<Self>, new_page: bool) {
        let now = browser::now();
        let triggers = self.live.try_borrow_mut().ok().map(|mut live| {
            if new_page {
                live.not_here.clear();
                live.held_out.clear();
                live.shown.clear();
                live.page_started = now;
            }
            let mut delays = Vec::new();
            let mut exit = false;
            let mut elements: Vec<String> = Vec::new();
            // NUL never appears in a selector (CSS reads it as U+FFFD), so it separates them.
            let mut selectors = String::new();
            for experience in live.config.iter().flat_map(|c| &c.rules.experiences) {
                for trigger in &experience.triggers {
                    match trigger {
                        Trigger::TimeOnPage(ms) if !delays.contains(ms) => delays.push(*ms),
                        Trigger::ExitIntent => exit = true,
                        Trigger::Element(selector) if !elements.contains(selector) => {
                            if !elements.is_empty() {
                                selectors.push('\0');
                            }
                            selectors.push_str(selector);
                            elements.push(selector.clone());
                        }
                        _ => {}
                    }
                }
            }
            live.elements = elements;
            (delays, exit, selectors, live.page_started)
        });
        if let Some((delays, exit, selectors, started)) = triggers {
            self.watch_page(delays, exit, &selectors, started);
        }
        self.consider(Kept::PageView);
    }

    fn watch_page(&self, delays: Vec<Millis>, exit: bool, selectors: &str, started: Millis) {
        let waited = browser::now()
            .0
            .saturating_sub(started.0)
            .min(u64::from(u32::MAX)) as u32;
        let delays = delays
            .iter()
            .map(|d| d.0.min(u64::from(u32::MAX)) as u32)
            .collect();
        self.stage.page(delays, waited, exit, selectors);
    }

    /// The page has lasted `ms`: time-on-page triggers are checked.
    pub fn time_on_page(self: &Rc<Self>, ms: u32) {
        self.consider(Kept::TimeOnPage(Millis(u64::from(ms))));
    }

    /// The pointer left toward the browser's chrome.
    pub fn exit_intent(self: &Rc<Self>) {
        self.consider(Kept::ExitIntent);
    }

    /// The element trigger at `index` of those the page watches has an element on the page.
    pub fn element_appeared(self: &Rc<Self>, index: u32) {
        let selector = self
            .live
            .try_borrow()
            .ok()
            .and_then(|live| live.elements.get(index as usize).cloned());
        if let Some(selector) = selector {
            self.consider(Kept::Element(selector));
        }
    }

    /// The attributes targeting conditions and placeholders see: `id`, `user` (the traits
    /// from `identify`), `behavior` (the profile), `url`, `path`, `locale` and `device`.
    pub fn attributes(&self) -> Value {
        let moment = browser::moment(browser::now());
        let context = browser::context("");
        let (behavior, user_id, traits) = self
            .with_state(|s| {
                (
                    s.profile.attributes(moment),
                    s.user_id.clone(),
                    s.traits.clone(),
                )
            })
            .unwrap_or_default();
        let mut user = traits;
        if let Some(id) = &user_id {
            user.insert("id".into(), Value::String(id.clone()));
        }
        let width = context.viewport.map_or(0, |v| v.width);
        object(vec![
            ("id", user_id.map_or(Value::Null, Value::String)),
            ("user", Value::Object(user)),
            ("behavior", behavior),
            ("url", Value::String(context.page.url)),
            ("path", Value::String(context.page.path)),
            ("locale", context.locale.map_or(Value::Null, Value::String)),
            (
                "device",
                object(vec![
                    (
                        "type",
                        text(if width > 0 && width < 640 {
                            "mobile"
                        } else {
                            "desktop"
                        }),
                    ),
                    ("width", Value::Number(f64::from(width))),
                ]),
            ),
        ])
    }

    /// Runs arbitration for a signal and acts on the decision: content (on page views),
    /// the module prefetched for prospects, and the tour or survey that wins.
    pub(crate) fn consider(self: &Rc<Self>, kept: Kept) {
        if self.consent() == Consent::Denied || !self.triggers_any(&kept) {
            return;
        }
        let attributes = self.attributes();
        let url = attributes.str_field("url").unwrap_or_default().to_owned();
        let locale = attributes.str_field("locale").map(str::to_owned);
        let now = browser::now();
        let user_key = self.user_key();
        let plan = self.with_state(|s| {
            let Ok(mut live) = self.live.try_borrow_mut() else {
                return None;
            };
            let live = &mut *live;
            let config = live.config.as_ref()?;
            let on_screen = live.on_screen.as_ref().map(|(id, _)| id.as_str());
            let situation = Situation {
                now,
                user_key: &user_key,
                url: &url,
                signal: kept.signal(),
                attributes: &attributes,
                profile: &s.profile,
                // The session as this tab last read or wrote it: another tab's new session
                // is seen within a second (REREAD_MS), at its next event here.
                session_started: s.session.map_or(now, |session| session.started_at),
                on_screen,
                locale: locale.as_deref(),
            };
            let experiences = &config.rules.experiences;
            let decision = decide(experiences, &situation, &config.rules.policy);
            // A tour in progress resumes on every page, whatever its cap says: it was shown.
            let resume = (kept == Kept::PageView && on_screen.is_none())
                .then(|| {
                    experiences.iter().find(|e| {
                        e.kind == Kind::Tour
                            && e.disabled.is_none()
                            && !live.not_here.contains(&e.id)
                            && self.storage.get(&storage::tour_progress(&e.id)).is_some()
                    })
                })
                .flatten()
                .map(|e| e.id.clone());
            let show = resume
                .or(decision.show.clone())
                .filter(|id| !live.not_here.contains(id));
            let busy = decision
                .verdicts
                .iter()
                .any(|(_, v)| matches!(v, Verdict::ScreenBusy(_)));
            let content = (kept == Kept::PageView).then(|| {
                let mut entries = String::from("[");
                let mut hide = String::new();
                for id in &decision.apply {
                    if let Some(e) = config.rules.experience(id) {
                        content_entries(
                            id,
                            &e.content.changes,
                            &e.content.experiment,
                            &attributes,
                            &user_key,
                            &url,
                            (&mut entries, &mut hide),
                        );
                    }
                }
                entries.push(']');
                (entries, hide)
            });
            let prefetch = kept == Kept::PageView
                && prospects(experiences, &situation, &config.rules.policy)
                    .iter()
                    .any(|id| !live.not_here.iter().any(|n| n == id));
            let request = show.as_ref().and_then(|id| {
                let experience = config.rules.experience(id)?;
                let definition = config
                    .json
                    .array_field("experiences")
                    .unwrap_or_default()
                    .iter()
                    .find(|d| d.str_field("id") == Some(id.as_str()))?
                    .clone();
                Some((id.clone(), experience.kind, definition))
            });
            if request.is_some() {
                live.on_screen = show.clone().map(|id| (id, kept.clone()));
            } else if busy && kept != Kept::PageView {
                live.waiting = Some(kept.clone());
            }
            let mut held_out = Vec::new();
            for (id, verdict) in &decision.verdicts {
                if *verdict == Verdict::HeldOut && !live.held_out.contains(id) {
                    live.held_out.push(id.clone());
                    held_out.push(id.clone());
                }
            }
            Some((
                content,
                prefetch,
                request,
                held_out,
                locale.clone(),
                url.clone(),
            ))
        });
        let Some(Some((content, prefetch, request, held_out, locale, url))) = plan else {
            return;
        };
        for id in &held_out {
            self.not_shown(id, "holdout");
        }
        if let Some((entries, hide)) = content {
            self.stage.content(&convert::to_js(&entries));
            let key = storage::hide(attributes.str_field("path").unwrap_or_default());
            if hide.is_empty() {
                self.storage.remove(&key);
            } else {
                self.storage.set(&key, &hide);
            }
        }
        if prefetch {
            self.stage.prefetch();
        }
        if let Some((id, kind, definition)) = request {
            let progress = self.storage.get(&storage::tour_progress(&id));
            let response = self.new_id();
            let mut request = String::new();
            let mut o = Object::new(&mut request);
            o.text("id", &id);
            o.field("definition", &definition);
            if let Some(locale) = &locale {
                o.text("locale", locale);
            }
            o.text("responseId", &response);
            if let Some(progress) = &progress {
                o.text("progress", progress);
            }
            o.text("url", &url);
            o.end();
            let kind = if kind == Kind::Tour { "tour" } else { "survey" };
            self.stage.show(kind, &convert::to_js(&request));
        }
    }

    /// Whether any experience of the config has a trigger this signal can fire. Every
    /// `track()` is a signal: one that triggers nothing returns here, before the user's
    /// attributes are gathered, so that tracking costs no arbitration. Page views always
    /// count (content is decided on them, and tours in progress resume).
    fn triggers_any(&self, kept: &Kept) -> bool {
        let Ok(live) = self.live.try_borrow() else {
            return false;
        };
        let Some(config) = &live.config else {
            return false;
        };
        *kept == Kept::PageView
            || config.rules.experiences.iter().any(|e| {
                e.triggers.iter().any(|t| match (t, kept) {
                    (Trigger::Event(name), Kept::Event(event))
                    | (Trigger::Element(name), Kept::Element(event)) => name == event,
                    (Trigger::TimeOnPage(_), Kept::TimeOnPage(_))
                    | (Trigger::ExitIntent, Kept::ExitIntent) => true,
                    _ => false,
                })
            })
    }

    /// The content layer found a change of `experience` on the page: once a page, an
    /// experience with a holdout records that it was shown; the first time for this user,
    /// an on-page experiment records its exposure.
    pub fn content_seen(self: &Rc<Self>, experience: &str) {
        let user_key = self.user_key();
        let url = browser::current_url();
        let mut shown = false;
        let variant = self.live.try_borrow_mut().ok().and_then(|mut live| {
            let live = &mut *live;
            let e = live.config.as_ref()?.rules.experience(experience)?;
            if e.holdout > 0.0 && !live.shown.iter().any(|s| s == experience) {
                live.shown.push(experience.to_owned());
                shown = true;
            }
            if live.exposed.iter().any(|e| e == experience) {
                return None;
            }
            live.exposed.push(experience.to_owned());
            let experiment = e.content.experiment.as_ref()?;
            let index = experiment.assign(&user_key, &url)?;
            Some((experiment.variants.get(index)?.key.clone(), index))
        });
        if shown {
            let mut properties = Properties::new();
            properties.insert("experience".into(), text(experience));
            self.record_internal(CONTENT_SHOWN, properties);
        }
        let Some((variant, index)) = variant else {
            return;
        };
        let mut key = String::from(experience);
        key.push('\u{1f}');
        key.push_str(&variant);
        key.push('\u{1f}');
        key.push_str(&user_key);
        let sent = self.storage.get(storage::EXPOSURES).unwrap_or_default();
        if sent.split('\n').any(|k| k == key) {
            return;
        }
        // The newest 200 are kept, one per line.
        let mut kept = String::with_capacity(sent.len() + key.len() + 1);
        for line in sent
            .split('\n')
            .filter(|k| !k.is_empty())
            .rev()
            .take(199)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
        {
            kept.push_str(line);
            kept.push('\n');
        }
        kept.push_str(&key);
        self.storage.set(storage::EXPOSURES, &kept);
        let mut properties = Properties::new();
        properties.insert("experiment".into(), text(experience));
        properties.insert("variant".into(), Value::String(variant));
        properties.insert("variant_index".into(), Value::Number(index as f64));
        self.record_internal(EXPOSURE, properties);
    }

    /// A banner was closed: a dismissal of its experience.
    pub fn content_dismissed(self: &Rc<Self>, experience: &str) {
        self.note_outcome(experience, Outcome::Dismissed);
        let mut properties = Properties::new();
        properties.insert("experience".into(), text(experience));
        self.record_internal(CONTENT_DISMISSED, properties);
        self.consider(Kept::PageView);
    }

    /// The content layer skipped a change of `experience`, for `reason`.
    pub fn content_skipped(self: &Rc<Self>, experience: &str, reason: &str) {
        let mut properties = Properties::new();
        properties.insert("experience".into(), text(experience));
        properties.insert("reason".into(), text(reason));
        self.record_internal(CONTENT_SKIPPED, properties);
    }

    /// A banner's call to action was used: its event (or `$content_clicked`).
    pub fn content_action(self: &Rc<Self>, experience: &str) {
        let event = self.live.try_borrow().ok().and_then(|live| {
            let e = live.config.as_ref()?.rules.experience(experience)?;
            e.content.changes.iter().find_map(|c| match &c.action {
                waymark_core::rules::content::Action::Banner(b) => b.cta_event.clone(),
                _ => None,
            })
        });
        let mut properties = Properties::new();
        properties.insert("experience".into(), text(experience));
        match event {
            Some(name) => self.track(name, properties, None),
            None => self.record_internal(CONTENT_CLICKED, properties),
        }
    }

    /// The experiences module records an event of a tour or survey on screen.
    pub fn experience_event(self: &Rc<Self>, name: &str, properties: &str) {
        if !experience_event(name) {
            return browser::warn(
                "the experiences module sent an event the runtime does not record",
            );
        }
        let properties = match convert::value_from_json(properties) {
            Some(Value::Object(map)) => map,
            _ => Properties::new(),
        };
        self.record_internal(name, properties);
        // What waits for this one (a survey after a tour's completion) is considered.
        self.consider(Kept::Event(name.to_owned()));
    }

    /// The experiences module reports an outcome for the behaviour profile.
    pub fn experience_outcome(self: &Rc<Self>, id: &str, outcome: &str) {
        let outcome = match outcome {
            "seen" => Outcome::Seen,
            "answered" => Outcome::Answered,
            "completed" => Outcome::Completed,
            "dismissed" => Outcome::Dismissed,
            _ => return,
        };
        self.note_outcome(id, outcome);
    }

    fn note_outcome(self: &Rc<Self>, id: &str, outcome: Outcome) {
        let survey = self
            .live
            .try_borrow()
            .ok()
            .and_then(|l| {
                l.config
                    .as_ref()?
                    .rules
                    .experience(id)
                    .map(|e| e.kind == Kind::Survey)
            })
            .unwrap_or(false);
        let moment = browser::moment(browser::now());
        self.with_state(|s| {
            s.profile.record_experience(id, survey, outcome, moment);
            s.profile_dirty = true;
        });
        self.persist_profile();
    }

    /// Stores (or, with `None`, forgets) a tour's progress.
    pub fn tour_progress(&self, id: &str, progress: Option<String>) {
        let key = storage::tour_progress(id);
        match progress {
            Some(json) => self.storage.set(&key, &json),
            None => self.storage.remove(&key),
        }
    }

    /// The experience is off the screen. One that could not show here is not offered again
    /// on this page, and the signal that chose it is reconsidered (another may show); a
    /// signal that waited for the screen is replayed.
    pub fn experience_ended(self: &Rc<Self>, id: &str, reason: &str) {
        let replay = self.live.try_borrow_mut().ok().and_then(|mut live| {
            let shown_for = match &live.on_screen {
                Some((on, kept)) if on == id => Some(kept.clone()),
                _ => None,
            };
            if shown_for.is_some() {
                live.on_screen = None;
            }
            if NOT_HERE.contains(&reason) {
                if !live.not_here.iter().any(|n| n == id) {
                    live.not_here.push(id.to_owned());
                }
                shown_for
            } else {
                live.waiting.take()
            }
        });
        if reason == "module_unavailable" {
            self.not_shown(id, reason);
        }
        if let Some(kept) = replay {
            self.consider(kept);
        }
    }

    /// Records that an eligible experience did not show, and why.
    fn not_shown(self: &Rc<Self>, id: &str, reason: &str) {
        let mut properties = Properties::new();
        properties.insert("experience".into(), text(id));
        properties.insert("reason".into(), text(reason));
        self.record_internal(NOT_SHOWN, properties);
    }
}

/// The rendered changes of one content experience for this user, with its experiment's
/// variant; a control with no changes of its own watches the experiment's selectors, so
/// that its users are counted as exposed too.
#[allow(clippy::too_many_arguments)]
fn content_entries(
    id: &str,
    changes: &[waymark_core::rules::content::Change],
    experiment: &Option<ContentExperiment>,
    attributes: &Value,
    user_key: &str,
    url: &str,
    (out, hide): (&mut String, &mut String),
) {
    for change in changes {
        content_entry(out, hide, id, &change.selector, change.render(attributes));
    }
    let Some(experiment) = experiment else {
        return;
    };
    let Some(variant) = experiment
        .assign(user_key, url)
        .and_then(|i| experiment.variants.get(i))
    else {
        return;
    };
    for change in &variant.changes {
        content_entry(out, hide, id, &change.selector, change.render(attributes));
    }
    if variant.changes.is_empty() {
        for selector in experiment.selectors() {
            watch_entry(out, id, selector);
        }
    }
}
