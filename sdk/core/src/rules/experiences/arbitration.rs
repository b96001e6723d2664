//! Arbitration: of every tour, survey and content change, what to show now.
//!
//! Each [`Experience`] carries its targeting: what triggers it, who it is for, a sample
//! share, a cap, and quiet periods. [`decide`] checks every experience against the current
//! [`Situation`] and returns a [`Decision`]: at most one tour or survey to show (the highest
//! priority eligible one), every eligible content change to apply, and a [`Verdict`] for each
//! experience saying why it shows or which trigger, condition, sample, cap or quiet period
//! held it back.
//!
//! Rules it keeps, whatever the configuration says:
//! - one tour or survey on screen at a time (so never two modals);
//! - no survey within [`Policy::survey_quiet`] (default 14 days) of the last survey seen,
//!   answered or dismissed, and never two surveys in one session;
//! - no tour within [`Policy::tour_quiet`] of the last tour seen;
//! - sampling is a hash of user and experience, so a user is in or out for good, not anew
//!   on every page view;
//! - a person in an experience's holdout ([`Experience::holdout`], another hash of user and
//!   experience, salted apart from sampling and from experiment variants) is never shown
//!   it: when it would show, it gets [`Verdict::HeldOut`] instead, and arbitration goes on as
//!   if it were not eligible (the next tour or survey by priority may show). Nothing was
//!   shown, so nothing counts against caps, quiet periods or the one survey a session.

use crate::rules::bucket;
use crate::rules::condition::Condition;
use crate::rules::content::Content;
use crate::rules::json::Fields;
use crate::rules::locale;
use crate::rules::profile::{ExperienceHistory, Profile};
use crate::rules::survey::Survey;
use crate::rules::tour::Tour;
use crate::rules::{pointer, Diagnostic, Severity, Targeting};
use crate::time::Millis;
use crate::value::Value;

const DAY: Millis = Millis(86_400_000);

/// What kind of experience.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A guided tour.
    Tour,
    /// A survey prompt.
    Survey,
    /// A content change (text, banner, layout variant).
    Content,
}

/// What makes an experience consider showing.
#[derive(Clone, Debug, PartialEq)]
pub enum Trigger {
    /// A page view whose URL matches one of the patterns (any page if empty).
    PageView(Vec<UrlPattern>),
    /// An event with this name.
    Event(String),
    /// An element matching this selector is on the page.
    Element(String),
    /// The user has been on the page this long.
    TimeOnPage(Millis),
    /// The pointer leaves toward the browser chrome.
    ExitIntent,
}

/// A URL pattern: `*` matches any run of characters. A pattern starting with `/` matches the
/// path and query; any other, the whole URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlPattern(pub String);

impl UrlPattern {
    /// Whether `url` (absolute) matches.
    #[must_use]
    pub fn matches(&self, url: &str) -> bool {
        let subject = if self.0.starts_with('/') {
            path_and_query(url)
        } else {
            url
        };
        glob(self.0.as_bytes(), subject.as_bytes())
    }
}

fn path_and_query(url: &str) -> &str {
    let without_fragment = url.split('#').next().unwrap_or(url);
    match without_fragment.find("://") {
        Some(scheme) => {
            let rest = &without_fragment[scheme + 3..];
            rest.find('/').map_or("/", |slash| &rest[slash..])
        }
        None => without_fragment,
    }
}

/// `*` globbing, iteratively (no backtracking blow-up).
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// How often an experience may show to one user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cap {
    /// Once.
    Once,
    /// Until completed (then never again).
    UntilCompleted,
    /// At most this many times.
    AtMost(u32),
    /// Again only after this many days since it was last seen.
    EveryDays(u32),
}

/// A tour's, survey's or content change's targeting.
#[derive(Debug)]
pub struct Experience {
    /// The experience id.
    pub id: String,
    /// Tour, survey or content.
    pub kind: Kind,
    /// Whether it takes over the screen (blocks other modals).
    pub modal: bool,
    /// Higher wins when several tours or surveys are eligible.
    pub priority: i32,
    /// Any of these makes it consider showing.
    pub triggers: Vec<Trigger>,
    /// Who it is for.
    pub audience: Condition,
    /// The share of users who get it, 0 to 1.
    pub sample: f64,
    /// The share of the people it would show to who are held back instead, so that its
    /// effect can be measured against them: above 0 and at most 0.5 (`"holdout": 0.2`), or
    /// 0 for none.
    pub holdout: f64,
    /// How often it may show.
    pub cap: Cap,
    /// No showing again this long after a dismissal.
    pub quiet_after_dismiss: Millis,
    /// No showing again this long after a completion.
    pub quiet_after_complete: Millis,
    /// When it may first show (`"schedule": {"start": ms}`, Unix ms; 0 without one).
    pub starts: Millis,
    /// From when it shows no more (`"schedule": {"end": ms}`; `u64::MAX` without one).
    pub ends: Millis,
    /// Set when the configuration had an error, or the experience is paused or ended
    /// (`"state": "paused"` or `"ended"`): the experience never shows.
    pub disabled: Option<String>,
    /// What a content experience changes on the page (empty for tours and surveys).
    pub content: Content,
    /// The locales a tour or survey offers, when its definition was read ([`read_body`]).
    /// The browser runtime leaves tour and survey definitions unread (the experiences module
    /// reads them, and checks the translation when it shows one), so there this is `None`.
    pub translations: Option<Translations>,
}

/// The locales a tour or survey offers: those every one of its texts has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Translations {
    /// The locale of plain-string texts.
    pub default_locale: String,
    /// The locales offered.
    pub locales: Vec<String>,
}

impl Translations {
    /// The locale a user with `user_locale` gets, or `None`: not for this user.
    #[must_use]
    pub fn choose(&self, user_locale: Option<&str>) -> Option<&str> {
        locale::choose(&self.locales, &self.default_locale, user_locale)
    }
}

/// Reads a tour's or survey's definition (its `tour` or `survey` object) with every check,
/// for the locales it offers: what the collector runs before it publishes a config. The
/// browser runtime passes a reader that returns `None` instead, so that none of this is
/// linked into the module every page loads.
pub fn read_body(
    json: &Value,
    kind: Kind,
    id: &str,
    at: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Translations> {
    match kind {
        Kind::Survey => {
            let survey = Survey::from_json(json, id, at, diagnostics);
            Some(Translations {
                default_locale: survey.default_locale,
                locales: survey.locales,
            })
        }
        Kind::Tour => {
            let tour = Tour::from_json(json, id, at, diagnostics);
            Some(Translations {
                default_locale: tour.default_locale,
                locales: tour.locales,
            })
        }
        Kind::Content => None,
    }
}

/// Limits across experiences.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// No survey this long after the last survey seen, answered or dismissed. Default 14 days.
    pub survey_quiet: Millis,
    /// No tour this long after the last tour seen. Default 1 day.
    pub tour_quiet: Millis,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            survey_quiet: Millis(14 * DAY.0),
            tour_quiet: DAY,
        }
    }
}

/// What just happened, that may trigger an experience.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal<'a> {
    /// A page view of the current URL.
    PageView,
    /// A named event.
    Event(&'a str),
    /// An element appeared (the selector that now matches).
    Element(&'a str),
    /// The user has been on the page this long.
    TimeOnPage(Millis),
    /// Exit intent.
    ExitIntent,
}

/// Everything a decision depends on.
#[derive(Clone, Copy, Debug)]
pub struct Situation<'a> {
    /// Now.
    pub now: Millis,
    /// The user's hashing key (user id, else anonymous id), for sampling.
    pub user_key: &'a str,
    /// The current page URL.
    pub url: &'a str,
    /// What just happened.
    pub signal: Signal<'a>,
    /// The user's attributes, `behavior` included.
    pub attributes: &'a Value,
    /// The user's history with experiences.
    pub profile: &'a Profile,
    /// When the current session started.
    pub session_started: Millis,
    /// The tour or survey on screen now. Only one shows at a time, so at most one modal is
    /// ever on screen.
    pub on_screen: Option<&'a str>,
    /// The user's locale (`fr-CA`), for choosing a translation; `None` when unknown.
    pub locale: Option<&'a str>,
}

/// Why an experience does or does not show.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// It shows (or, for content, applies).
    Show,
    /// Its configuration has an error, or it is paused or ended (the reason says which).
    Disabled(String),
    /// Before its schedule's start, or from its end on.
    OutsideSchedule,
    /// Nothing that just happened triggers it.
    NotTriggered,
    /// The audience condition does not hold; the pointer names the part that failed.
    Audience(String),
    /// It would show, but this person is in its holdout: not shown, so that its effect can
    /// be measured against the people held out.
    HeldOut,
    /// Outside the sample: the user's bucket and the sample share.
    NotSampled {
        /// The user's bucket in [0, 1).
        bucket: f64,
        /// The share sampled.
        sample: f64,
    },
    /// Its cap is reached.
    Capped(Cap),
    /// In a quiet period until then.
    Quiet {
        /// Which quiet period.
        reason: QuietReason,
        /// When it ends.
        until: Millis,
    },
    /// A survey was already shown in this session.
    SurveyThisSession,
    /// Not translated into the user's locale, its language or the default locale.
    NoTranslation,
    /// This experience is already on screen.
    AlreadyOnScreen,
    /// Another tour or survey is on screen.
    ScreenBusy(String),
    /// Another eligible experience has a higher priority.
    Outranked(String),
}

/// Which quiet period holds an experience back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuietReason {
    /// After this experience was dismissed.
    Dismissed,
    /// After this experience was completed.
    Completed,
    /// After the last survey.
    Surveys,
    /// After the last tour.
    Tours,
}

/// The outcome of arbitration.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// The tour or survey to show, if any.
    pub show: Option<String>,
    /// Content changes to apply.
    pub apply: Vec<String>,
    /// A verdict for every experience, in configuration order.
    pub verdicts: Vec<(String, Verdict)>,
}

impl Decision {
    /// Why `experience` does or does not show.
    #[must_use]
    pub fn explain(&self, experience: &str) -> Option<&Verdict> {
        self.verdicts
            .iter()
            .find(|(id, _)| id == experience)
            .map(|(_, v)| v)
    }
}

fn triggered(experience: &Experience, situation: &Situation<'_>) -> bool {
    experience
        .triggers
        .iter()
        .any(|trigger| match (trigger, situation.signal) {
            (Trigger::PageView(patterns), Signal::PageView) => {
                patterns.is_empty() || patterns.iter().any(|p| p.matches(situation.url))
            }
            (Trigger::Event(name), Signal::Event(happened)) => name == happened,
            (Trigger::Element(selector), Signal::Element(appeared)) => selector == appeared,
            (Trigger::TimeOnPage(needed), Signal::TimeOnPage(spent)) => spent >= *needed,
            (Trigger::ExitIntent, Signal::ExitIntent) => true,
            _ => false,
        })
}

/// The deterministic sampling bucket of a user for an experience.
#[must_use]
pub fn sample_bucket(experience: &str, user_key: &str) -> f64 {
    salted_bucket("waymark:", experience, user_key)
}

/// The deterministic holdout bucket of a user for an experience: a person is held out when
/// it is below the experience's [`Experience::holdout`]. Its own salt keeps it independent
/// of the sampling bucket and of experiment variants (hashed with the experiment's key).
#[must_use]
pub fn holdout_bucket(experience: &str, user_key: &str) -> f64 {
    salted_bucket("waymark-holdout:", experience, user_key)
}

fn salted_bucket(salt: &str, experience: &str, user_key: &str) -> f64 {
    let mut seed = String::with_capacity(salt.len() + experience.len());
    seed.push_str(salt);
    seed.push_str(experience);
    bucket::hash(&seed, user_key, 2).unwrap_or(0.0)
}

fn held_out(experience: &Experience, user_key: &str) -> bool {
    experience.holdout > 0.0 && holdout_bucket(&experience.id, user_key) < experience.holdout
}

fn capped(cap: Cap, history: &ExperienceHistory, now: Millis) -> Option<Verdict> {
    let reached = match cap {
        Cap::Once => history.seen >= 1,
        Cap::UntilCompleted => history.completed >= 1,
        Cap::AtMost(n) => history.seen >= n,
        Cap::EveryDays(days) => history
            .last_seen
            .is_some_and(|last| now < last.plus(Millis(u64::from(days) * DAY.0))),
    };
    reached.then_some(Verdict::Capped(cap))
}

/// The latest time among experiences of a kind, by a chosen history time.
fn latest(
    experiences: &[Experience],
    profile: &Profile,
    kind: Kind,
    time: impl Fn(&ExperienceHistory) -> Option<Millis>,
) -> Option<Millis> {
    experiences
        .iter()
        .filter(|e| e.kind == kind)
        .filter_map(|e| profile.experiences.get(&e.id).and_then(&time))
        .max()
}

fn last_survey_contact(history: &ExperienceHistory) -> Option<Millis> {
    [
        history.last_seen,
        history.last_answered,
        history.dismissals.last().copied(),
    ]
    .into_iter()
    .flatten()
    .max()
}

fn verdict(
    experience: &Experience,
    experiences: &[Experience],
    situation: &Situation<'_>,
    policy: &Policy,
    check_trigger: bool,
) -> Verdict {
    if let Some(reason) = &experience.disabled {
        return Verdict::Disabled(reason.clone());
    }
    if situation.now < experience.starts || situation.now >= experience.ends {
        return Verdict::OutsideSchedule;
    }
    if check_trigger && !triggered(experience, situation) {
        return Verdict::NotTriggered;
    }
    if let Some(at) = experience.audience.first_failure(situation.attributes) {
        return Verdict::Audience(at.to_owned());
    }
    let bucket = sample_bucket(&experience.id, situation.user_key);
    if bucket >= experience.sample {
        return Verdict::NotSampled {
            bucket,
            sample: experience.sample,
        };
    }
    let empty = ExperienceHistory::default();
    let history = situation
        .profile
        .experiences
        .get(&experience.id)
        .unwrap_or(&empty);
    if let Some(capped) = capped(experience.cap, history, situation.now) {
        return capped;
    }
    let quiet = |reason, since: Option<Millis>, length: Millis| {
        since
            .map(|t| t.plus(length))
            .filter(|until| situation.now < *until)
            .map(|until| Verdict::Quiet { reason, until })
    };
    if let Some(v) = quiet(
        QuietReason::Dismissed,
        history.dismissals.last().copied(),
        experience.quiet_after_dismiss,
    ) {
        return v;
    }
    if let Some(v) = quiet(
        QuietReason::Completed,
        history.last_completed,
        experience.quiet_after_complete,
    ) {
        return v;
    }
    match experience.kind {
        Kind::Survey => {
            // Any survey the profile knows of counts, including ones since removed.
            let last = situation
                .profile
                .experiences
                .values()
                .filter(|h| h.survey)
                .filter_map(last_survey_contact)
                .max();
            if let Some(v) = quiet(QuietReason::Surveys, last, policy.survey_quiet) {
                return v;
            }
            let this_session =
                situation.profile.experiences.values().any(|h| {
                    h.survey && h.last_seen.is_some_and(|t| t >= situation.session_started)
                });
            if this_session {
                return Verdict::SurveyThisSession;
            }
            if untranslated(experience, situation) {
                return Verdict::NoTranslation;
            }
        }
        Kind::Tour => {
            let last = latest(experiences, situation.profile, Kind::Tour, |h| h.last_seen);
            if let Some(v) = quiet(QuietReason::Tours, last, policy.tour_quiet) {
                return v;
            }
            if untranslated(experience, situation) {
                return Verdict::NoTranslation;
            }
        }
        Kind::Content => {}
    }
    if experience.kind != Kind::Content {
        if let Some(on_screen) = situation.on_screen {
            return if on_screen == experience.id {
                Verdict::AlreadyOnScreen
            } else {
                Verdict::ScreenBusy(on_screen.to_owned())
            };
        }
    }
    Verdict::Show
}

fn untranslated(experience: &Experience, situation: &Situation<'_>) -> bool {
    experience
        .translations
        .as_ref()
        .is_some_and(|t| t.choose(situation.locale).is_none())
}

/// The tours and surveys that would show if their trigger fired now: everything but the
/// trigger holds for them (audience, sample, caps, quiet periods, the screen aside). The
/// browser fetches the experiences module at idle once there is one, so that it is ready
/// when the trigger fires.
#[must_use]
pub fn prospects<'e>(
    experiences: &'e [Experience],
    situation: &Situation<'_>,
    policy: &Policy,
) -> Vec<&'e str> {
    experiences
        .iter()
        .filter(|e| e.kind != Kind::Content && !held_out(e, situation.user_key))
        .filter(|e| {
            matches!(
                verdict(e, experiences, situation, policy, false),
                Verdict::Show | Verdict::ScreenBusy(_) | Verdict::AlreadyOnScreen
            )
        })
        .map(|e| e.id.as_str())
        .collect()
}

/// Decides what to show now.
#[must_use]
pub fn decide(experiences: &[Experience], situation: &Situation<'_>, policy: &Policy) -> Decision {
    let mut verdicts: Vec<(String, Verdict)> = experiences
        .iter()
        .map(|e| {
            (
                e.id.clone(),
                verdict(e, experiences, situation, policy, true),
            )
        })
        .collect();
    // Among eligible tours and surveys the highest priority wins; ties go to the one listed
    // first. One that would win for a person in its holdout is held back, and the next in
    // line is considered in its place.
    let winner = loop {
        let best = experiences
            .iter()
            .zip(&mut verdicts)
            .filter(|(e, (_, v))| e.kind != Kind::Content && *v == Verdict::Show)
            .max_by(|(a, _), (b, _)| {
                a.priority
                    .cmp(&b.priority)
                    .then(std::cmp::Ordering::Greater)
            });
        match best {
            Some((e, (_, v))) if held_out(e, situation.user_key) => *v = Verdict::HeldOut,
            best => break best.map(|(e, _)| e.id.clone()),
        }
    };
    let mut apply = Vec::new();
    for (experience, (_, verdict)) in experiences.iter().zip(&mut verdicts) {
        if *verdict != Verdict::Show {
            continue;
        }
        match experience.kind {
            Kind::Content if held_out(experience, situation.user_key) => {
                *verdict = Verdict::HeldOut;
            }
            Kind::Content => apply.push(experience.id.clone()),
            _ if Some(&experience.id) != winner.as_ref() => {
                *verdict = Verdict::Outranked(winner.clone().unwrap_or_default());
            }
            _ => {}
        }
    }
    Decision {
        show: winner,
        apply,
        verdicts,
    }
}

impl Experience {
    /// Parses an experience's targeting from its configuration:
    ///
    /// ```json
    /// {"id": "nps", "kind": "survey", "priority": 10, "modal": false,
    ///  "triggers": [{"page_view": ["/invoices*"]}, {"event": "export_completed"}],
    ///  "audience": {"behavior.sessions.count": {"$gte": 3}}, "sample": 0.25,
    ///  "cap": {"every_days": 90}, "quiet_days_after_dismiss": 30, "quiet_days_after_complete": 90,
    ///  "holdout": 0.1, "schedule": {"start": 1767225600000, "end": 1769904000000}}
    /// ```
    ///
    /// `schedule` bounds when it may show, in Unix milliseconds: from `start`, and until
    /// (not at) `end`; either may be left out.
    ///
    /// `"state": "paused"` or `"ended"` keeps an experience in the config (its reports and
    /// history stay) but it never shows; without `state` it is live.
    ///
    /// Errors become diagnostics naming the experience and the JSON pointer; an experience
    /// with an error is kept but disabled, so the rest keep working.
    ///
    /// A tour's or survey's own definition is read by `read_body` ([`read_body`] with every
    /// check, or a reader that skips it in the browser runtime).
    pub fn from_json(
        json: &Value,
        at: &str,
        targeting: &Targeting<'_>,
        read_body: &impl Fn(&Value, Kind, &str, &str, &mut Vec<Diagnostic>) -> Option<Translations>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Experience {
        let first = diagnostics.len();
        let id = json.str_field("id").unwrap_or("").to_owned();
        let problem =
            |code: &'static str, field: &str, message: &str, diagnostics: &mut Vec<Diagnostic>| {
                diagnostics.push(Diagnostic {
                    subject: String::new(),
                    severity: Severity::Error,
                    code,
                    pointer: pointer(at, field),
                    message: crate::rules::message(message),
                });
            };
        if id.is_empty() {
            problem(
                "missing_id",
                "id",
                "an experience needs a non-empty string id",
                diagnostics,
            );
        }
        let kind = match json.str_field("kind") {
            Some("tour") => Kind::Tour,
            Some("survey") => Kind::Survey,
            Some("content") => Kind::Content,
            _ => {
                problem(
                    "unknown_kind",
                    "kind",
                    "kind must be \"tour\", \"survey\" or \"content\"",
                    diagnostics,
                );
                Kind::Content
            }
        };
        let triggers = read_triggers(json, at, diagnostics);
        let content = if kind == Kind::Content {
            Content::from_json(json, &id, at, diagnostics)
        } else {
            Content::default()
        };
        let translations = read_body(json, kind, &id, at, diagnostics);
        let audience = match json.field("audience") {
            Some(condition) => {
                targeting.condition(condition, &pointer(at, "audience"), diagnostics)
            }
            None => Condition::always(),
        };
        let sample = match json.field("sample") {
            None => 1.0,
            Some(Value::Number(n)) if (0.0..=1.0).contains(n) => *n,
            Some(_) => {
                problem(
                    "invalid_sample",
                    "sample",
                    "sample must be a number from 0 to 1",
                    diagnostics,
                );
                0.0
            }
        };
        let holdout = match json.field("holdout") {
            None => 0.0,
            Some(Value::Number(n)) if *n > 0.0 && *n <= 0.5 => *n,
            Some(_) => {
                problem(
                    "invalid_holdout",
                    "holdout",
                    "holdout must be a number above 0 and at most 0.5: the share of the people the experience would show to who are held back, to measure it against",
                    diagnostics,
                );
                0.0
            }
        };
        let schedule = json.field("schedule");
        // The collector refuses a schedule that is not an object of whole, non-negative start
        // and end with the start first (feature `publish`); the browser reads it as given.
        #[cfg(feature = "publish")]
        if let Some(schedule) = schedule {
            let moment = |key: &str| match schedule.field(key) {
                None => Some(None),
                Some(Value::Number(n)) if *n >= 0.0 && n.fract() == 0.0 => Some(Some(*n)),
                Some(_) => None,
            };
            let known = match schedule {
                Value::Object(map) => map.iter().all(|(k, _)| k == "start" || k == "end"),
                _ => false,
            };
            let fits = match (moment("start"), moment("end")) {
                (Some(Some(start)), Some(Some(end))) => start < end,
                (Some(start), Some(end)) => start.is_some() || end.is_some(),
                _ => false,
            };
            if !known || !fits {
                problem(
                    "invalid_schedule",
                    "schedule",
                    "schedule is {\"start\": ms, \"end\": ms} in Unix milliseconds, either left out, the start before the end",
                    diagnostics,
                );
            }
        }
        let moment = |key: &str, otherwise: u64| {
            Millis(
                schedule
                    .and_then(|s| s.num_field(key))
                    .filter(|n| *n >= 0.0)
                    .map_or(otherwise, |n| n as u64),
            )
        };
        let cap = match json.field("cap") {
            None => Cap::Once,
            Some(Value::String(s)) if s == "once" => Cap::Once,
            Some(Value::String(s)) if s == "until_completed" => Cap::UntilCompleted,
            Some(cap) => match (cap.num_field("at_most"), cap.num_field("every_days")) {
                (Some(n), None) if n >= 1.0 => Cap::AtMost(n as u32),
                (None, Some(d)) if d >= 0.0 => Cap::EveryDays(d as u32),
                _ => {
                    problem("invalid_cap", "cap", "cap must be \"once\", \"until_completed\", {\"at_most\": n} or {\"every_days\": n}", diagnostics);
                    Cap::Once
                }
            },
        };
        // A paused or ended experience stays in the config but never shows. The collector
        // refuses any other state when it publishes (feature `publish`), so the browser takes
        // any state as held, and links no check of its own.
        #[cfg(feature = "publish")]
        if json
            .field("state")
            .is_some_and(|s| !matches!(s, Value::String(s) if s == "paused" || s == "ended"))
        {
            problem(
                "invalid_state",
                "state",
                "state is \"paused\" or \"ended\"; leave it out while the experience is live",
                diagnostics,
            );
        }
        let held = json.str_field("state").map(str::to_owned);
        let days = |field: &str, default: u64| {
            Millis(
                json.num_field(field)
                    .filter(|d| *d >= 0.0)
                    .map_or(default, |d| d as u64)
                    * DAY.0,
            )
        };
        let errors = diagnostics[first..]
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        Experience {
            disabled: (errors > 0)
                .then(|| {
                    let mut why = String::from("configuration errors at");
                    for d in &diagnostics[first..] {
                        if d.severity == Severity::Error {
                            why.push(' ');
                            why.push_str(&d.pointer);
                        }
                    }
                    why
                })
                .or(held),
            modal: json.bool_field("modal").unwrap_or_else(|| {
                json.field("survey").and_then(|s| s.str_field("layout")) == Some("modal")
            }),
            content,
            translations,
            id,
            kind,
            priority: json.num_field("priority").map_or(0, |p| p as i32),
            triggers,
            audience,
            sample,
            holdout,
            cap,
            quiet_after_dismiss: days("quiet_days_after_dismiss", 30),
            quiet_after_complete: days("quiet_days_after_complete", 0),
            starts: moment("start", 0),
            ends: moment("end", u64::MAX),
        }
    }
}

fn read_triggers(json: &Value, at: &str, diagnostics: &mut Vec<Diagnostic>) -> Vec<Trigger> {
    let list: Vec<(String, &Value)> = match (json.field("triggers"), json.field("trigger")) {
        (Some(Value::Array(items)), _) => items
            .iter()
            .enumerate()
            .map(|(i, t)| {
                (
                    pointer(
                        &pointer(at, "triggers"),
                        &crate::rules::js::number_to_string(i as f64),
                    ),
                    t,
                )
            })
            .collect(),
        (None, Some(one)) => vec![(pointer(at, "trigger"), one)],
        (None, None) => vec![(pointer(at, "trigger"), &Value::Null)],
        (Some(_), _) => vec![(pointer(at, "triggers"), &Value::Null)],
    };
    let mut triggers = Vec::new();
    for (here, trigger) in list {
        let parsed = if let Some(urls) = trigger.field("page_view") {
            match urls {
                Value::Array(items) => items
                    .iter()
                    .map(|u| match u {
                        Value::String(s) => Some(UrlPattern(s.clone())),
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>()
                    .map(Trigger::PageView),
                Value::Bool(true) => Some(Trigger::PageView(Vec::new())),
                _ => None,
            }
        } else if let Some(name) = trigger.str_field("event") {
            Some(Trigger::Event(name.to_owned()))
        } else if let Some(selector) = trigger.str_field("element") {
            if let Some(problem) = super::selector::problem(selector) {
                diagnostics.push(Diagnostic {
                    subject: String::new(),
                    severity: Severity::Error,
                    code: "invalid_selector",
                    pointer: pointer(&here, "element"),
                    message: problem,
                });
            }
            Some(Trigger::Element(selector.to_owned()))
        } else if let Some(ms) = trigger.num_field("time_on_page_ms").filter(|ms| *ms >= 0.0) {
            Some(Trigger::TimeOnPage(Millis(ms as u64)))
        } else if trigger.bool_field("exit_intent") == Some(true) {
            Some(Trigger::ExitIntent)
        } else {
            None
        };
        match parsed {
            Some(t) => triggers.push(t),
            None => diagnostics.push(Diagnostic {
            subject: String::new(),
            severity: Severity::Error,
                code: "invalid_trigger",
                pointer: here,
                message: crate::rules::message("a trigger is {\"page_view\": [url patterns] or true}, {\"event\": name}, {\"element\": selector}, {\"time_on_page_ms\": n} or {\"exit_intent\": true}"),
            }),
        }
    }
    triggers
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::platform::Regress;
    use crate::rules::profile::{Moment, Outcome};
    use crate::rules::SavedGroups;

    const NOW: Millis = Millis(1_767_225_600_000);

    /// Minimal definitions, which these fixtures' surveys and tours get unless they have
    /// one: this module tests targeting, and `survey.rs` and `tour.rs` test definitions.
    const ONE_QUESTION: &str = r#"{"questions": [{"id": "score", "type": "nps", "text": "How likely?",
        "labels": {"low": "Not likely", "high": "Very likely"}}]}"#;
    const ONE_STEP: &str = r#"{"steps": [{"id": "hello", "title": "Hello"}]}"#;

    fn experiences(json: &str) -> (Vec<Experience>, Vec<Diagnostic>) {
        let mut json: Value = serde_json::from_str(json).unwrap();
        if let Value::Array(items) = &mut json {
            for item in items {
                if let Value::Object(map) = item {
                    for (kind, definition) in [("survey", ONE_QUESTION), ("tour", ONE_STEP)] {
                        if map.get("kind") == Some(&Value::String(kind.into()))
                            && !map.contains_key(kind)
                        {
                            map.insert(kind.into(), serde_json::from_str(definition).unwrap());
                        }
                    }
                }
            }
        }
        let groups = SavedGroups::new();
        let targeting = Targeting {
            platform: &Regress,
            saved_groups: &groups,
        };
        let mut diagnostics = Vec::new();
        let Value::Array(items) = &json else {
            panic!("a list")
        };
        let list = items
            .iter()
            .enumerate()
            .map(|(i, e)| {
                Experience::from_json(
                    e,
                    &pointer("/experiences", &i.to_string()),
                    &targeting,
                    &read_body,
                    &mut diagnostics,
                )
            })
            .collect();
        (list, diagnostics)
    }

    fn situation<'a>(
        profile: &'a Profile,
        attributes: &'a Value,
        signal: Signal<'a>,
    ) -> Situation<'a> {
        Situation {
            now: NOW,
            user_key: "user-1",
            url: "https://app.example/invoices?page=2",
            signal,
            attributes,
            profile,
            session_started: NOW,
            on_screen: None,
            locale: None,
        }
    }

    fn attrs(json: &str) -> Value {
        serde_json::from_str(json).unwrap()
    }

    const SURVEYS: &str = r##"[
        {"id": "nps", "kind": "survey", "priority": 5, "trigger": {"page_view": ["/invoices*"]}},
        {"id": "ces", "kind": "survey", "priority": 9, "trigger": {"page_view": true}, "audience": {"plan": "pro"}},
        {"id": "banner", "kind": "content", "trigger": {"page_view": true}, "changes": [{"selector": "#promo", "hide": true}]},
        {"id": "export-tour", "kind": "tour", "trigger": {"event": "export_completed"}}
    ]"##;

    #[test]
    fn the_highest_priority_eligible_survey_shows_and_the_rest_are_explained() {
        let (list, diagnostics) = experiences(SURVEYS);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let profile = Profile::new(NOW);
        let pro = attrs(r#"{"plan": "pro"}"#);
        let decision = decide(
            &list,
            &situation(&profile, &pro, Signal::PageView),
            &Policy::default(),
        );
        assert_eq!(decision.show.as_deref(), Some("ces"));
        assert_eq!(
            decision.apply,
            ["banner"],
            "content applies beside a survey"
        );
        assert_eq!(
            decision.explain("nps"),
            Some(&Verdict::Outranked("ces".into()))
        );
        assert_eq!(
            decision.explain("export-tour"),
            Some(&Verdict::NotTriggered)
        );
    }

    #[test]
    fn a_scheduled_experience_shows_from_its_start_until_its_end_and_a_bad_schedule_is_an_error() {
        let day = DAY.0;
        let json = format!(
            r##"[{{"id": "soon", "kind": "survey", "trigger": {{"page_view": true}}, "schedule": {{"start": {tomorrow}}}}},
                {{"id": "over", "kind": "content", "trigger": {{"page_view": true}}, "schedule": {{"end": {now}}},
                 "changes": [{{"selector": "#promo", "hide": true}}]}},
                {{"id": "now", "kind": "content", "trigger": {{"page_view": true}}, "schedule": {{"start": {now}, "end": {tomorrow}}},
                 "changes": [{{"selector": "#promo", "hide": true}}]}},
                {{"id": "backwards", "kind": "tour", "trigger": {{"page_view": true}}, "schedule": {{"start": {tomorrow}, "end": {now}}}}},
                {{"id": "text", "kind": "tour", "trigger": {{"page_view": true}}, "schedule": {{"start": "2026-01-01"}}}},
                {{"id": "empty", "kind": "tour", "trigger": {{"page_view": true}}, "schedule": {{}}}}]"##,
            now = NOW.0,
            tomorrow = NOW.0 + day,
        );
        let (list, diagnostics) = experiences(&json);
        let codes: Vec<_> = diagnostics
            .iter()
            .map(|d| (d.code, d.pointer.as_str()))
            .collect();
        if cfg!(feature = "publish") {
            assert_eq!(
                codes,
                [
                    ("invalid_schedule", "/experiences/3/schedule"),
                    ("invalid_schedule", "/experiences/4/schedule"),
                    ("invalid_schedule", "/experiences/5/schedule"),
                ]
            );
        }
        let profile = Profile::new(NOW);
        let anyone = attrs("{}");
        let at = |now: Millis| {
            let mut here = situation(&profile, &anyone, Signal::PageView);
            here.now = now;
            decide(&list[..3], &here, &Policy::default())
        };
        let today = at(NOW);
        assert_eq!(today.explain("soon"), Some(&Verdict::OutsideSchedule));
        assert_eq!(
            today.explain("over"),
            Some(&Verdict::OutsideSchedule),
            "the end is not included"
        );
        assert_eq!(today.apply, ["now"], "from the start, included");
        let before = at(Millis(NOW.0 - 1));
        assert_eq!(before.explain("over"), Some(&Verdict::Show));
        assert_eq!(before.explain("now"), Some(&Verdict::OutsideSchedule));
        let tomorrow = at(Millis(NOW.0 + day));
        assert_eq!(tomorrow.show.as_deref(), Some("soon"));
        assert_eq!(tomorrow.apply.len(), 0, "over, and now's end reached");
    }

    #[test]
    fn a_paused_or_ended_experience_never_shows_and_another_state_is_an_error() {
        let (list, diagnostics) = experiences(
            r##"[{"id": "nps", "kind": "survey", "trigger": {"page_view": true}, "state": "paused"},
                {"id": "ces", "kind": "survey", "trigger": {"page_view": true}, "state": "ended"},
                {"id": "csat", "kind": "survey", "trigger": {"page_view": true}, "state": "live"},
                {"id": "banner", "kind": "content", "trigger": {"page_view": true}, "state": "paused",
                 "changes": [{"selector": "#promo", "hide": true}]}]"##,
        );
        let codes: Vec<_> = diagnostics
            .iter()
            .map(|d| (d.code, d.pointer.as_str()))
            .collect();
        if cfg!(feature = "publish") {
            assert_eq!(codes, [("invalid_state", "/experiences/2/state")]);
        }
        let profile = Profile::new(NOW);
        let anyone = attrs("{}");
        let decision = decide(
            &list,
            &situation(&profile, &anyone, Signal::PageView),
            &Policy::default(),
        );
        assert_eq!((decision.show.as_deref(), decision.apply.len()), (None, 0));
        assert_eq!(
            decision.explain("nps"),
            Some(&Verdict::Disabled("paused".into()))
        );
        assert_eq!(
            decision.explain("ces"),
            Some(&Verdict::Disabled("ended".into()))
        );
        assert_eq!(
            decision.explain("banner"),
            Some(&Verdict::Disabled("paused".into()))
        );
    }

    #[test]
    fn prospects_are_the_tours_and_surveys_held_back_by_nothing_but_their_trigger() {
        let (list, _) = experiences(SURVEYS);
        let profile = Profile::new(NOW);
        let free = attrs(r#"{"plan": "free"}"#);
        // On a page view: ces is not for free users, the content change is no prospect, and
        // the export tour waits only on its event, so it is one.
        let found = prospects(
            &list,
            &situation(&profile, &free, Signal::PageView),
            &Policy::default(),
        );
        assert_eq!(found, ["nps", "export-tour"]);
        let mut seen = Profile::new(NOW);
        seen.record_experience("export-tour", false, Outcome::Seen, Moment::local(NOW, 0));
        let found = prospects(
            &list,
            &situation(&seen, &free, Signal::PageView),
            &Policy::default(),
        );
        assert_eq!(
            found,
            ["nps"],
            "a tour capped once is no prospect once seen"
        );
    }

    #[test]
    fn the_browser_build_leaves_tour_and_survey_definitions_unread() {
        let json: Value = serde_json::from_str(
            r#"{"experiences": [{"id": "nps", "kind": "survey", "trigger": {"page_view": true},
                "survey": {"layout": "modal", "questions": "not even a list"}}]}"#,
        )
        .unwrap();
        let (browser, diagnostics) = crate::rules::RuleSet::compile_experiences(&json, &Regress);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert_eq!(browser.experiences[0].translations, None);
        assert!(
            browser.experiences[0].modal,
            "the layout is still read for modality"
        );
        let (full, diagnostics) = crate::rules::RuleSet::compile(&json, &Regress);
        assert!(
            !diagnostics.is_empty(),
            "the collector's compile reads every definition"
        );
        assert!(full.experiences[0].disabled.is_some());
    }

    #[test]
    fn an_audience_miss_names_the_part_of_the_condition_that_failed() {
        let (list, _) = experiences(SURVEYS);
        let profile = Profile::new(NOW);
        let free = attrs(r#"{"plan": "free"}"#);
        let decision = decide(
            &list,
            &situation(&profile, &free, Signal::PageView),
            &Policy::default(),
        );
        assert_eq!(
            decision.explain("ces"),
            Some(&Verdict::Audience("/experiences/1/audience/plan".into()))
        );
        assert_eq!(decision.show.as_deref(), Some("nps"));
    }

    #[test]
    fn sampling_is_a_stable_hash_not_a_dice_roll() {
        let (list, _) = experiences(
            r#"[{"id": "half", "kind": "survey", "trigger": {"page_view": true}, "sample": 0.5}]"#,
        );
        let profile = Profile::new(NOW);
        let none = attrs("{}");
        let first = decide(
            &list,
            &situation(&profile, &none, Signal::PageView),
            &Policy::default(),
        );
        for _ in 0..20 {
            assert_eq!(
                decide(
                    &list,
                    &situation(&profile, &none, Signal::PageView),
                    &Policy::default()
                ),
                first
            );
        }
        let shown = (0..2_000)
            .filter(|i| sample_bucket("half", &format!("user-{i}")) < 0.5)
            .count();
        assert!(
            (900..1_100).contains(&shown),
            "{shown} of 2000 sampled at 50%"
        );
    }

    /// The decision on a page view for the person with this user key.
    fn page_view_as(
        list: &[Experience],
        profile: &Profile,
        attributes: &Value,
        user_key: &str,
    ) -> Decision {
        let situation = Situation {
            user_key,
            ..situation(profile, attributes, Signal::PageView)
        };
        decide(list, &situation, &Policy::default())
    }

    /// The first user key whose holdout bucket for `experience` is below `share` (`held`), or not.
    fn key_held(experience: &str, share: f64, held: bool) -> String {
        (0..)
            .map(|i| format!("user-{i}"))
            .find(|key| (holdout_bucket(experience, key) < share) == held)
            .unwrap()
    }

    #[test]
    fn a_holdout_holds_back_its_share_and_always_the_same_people() {
        let (list, diagnostics) = experiences(
            r#"[{"id": "nps", "kind": "survey", "trigger": {"page_view": true}, "holdout": 0.2}]"#,
        );
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let profile = Profile::new(NOW);
        let none = attrs("{}");
        let mut held = 0;
        for i in 0..10_000 {
            let key = format!("user-{i}");
            let decision = page_view_as(&list, &profile, &none, &key);
            assert_eq!(
                page_view_as(&list, &profile, &none, &key),
                decision,
                "the same person, the same answer"
            );
            match decision.explain("nps") {
                Some(Verdict::HeldOut) => {
                    held += 1;
                    assert_eq!(decision.show, None);
                }
                Some(Verdict::Show) => assert_eq!(decision.show.as_deref(), Some("nps")),
                other => panic!("{key}: {other:?}"),
            }
        }
        // 10,000 people at 20%: the standard deviation is 40, so 4 sigma is ±160.
        assert!(
            (1_840..=2_160).contains(&held),
            "{held} of 10,000 held out at 0.2"
        );
    }

    #[test]
    fn holdouts_are_independent_of_experiment_variants_and_of_sampling() {
        let (list, diagnostics) = experiences(
            r##"[{"id": "pricing", "kind": "content", "trigger": {"page_view": true}, "holdout": 0.2,
                "experiment": {"key": "pricing", "variants": [
                    {"key": "a", "weight": 0.5, "changes": [{"selector": "#p", "text": "A"}]},
                    {"key": "b", "weight": 0.5, "changes": [{"selector": "#p", "text": "B"}]}]}}]"##,
        );
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let experiment = list[0].content.experiment.as_ref().unwrap();
        // [variant][held out], and [sampled at 0.5][held out].
        let mut by_variant = [[0u32; 2]; 2];
        let mut by_sample = [[0u32; 2]; 2];
        for i in 0..10_000 {
            let key = format!("user-{i}");
            let held = usize::from(holdout_bucket("pricing", &key) < 0.2);
            let variant = experiment.assign(&key, "https://app.example/").unwrap();
            by_variant[variant][held] += 1;
            by_sample[usize::from(sample_bucket("pricing", &key) < 0.5)][held] += 1;
        }
        // About 5,000 people in each half, 20% of them held out: the standard deviation of a
        // half's share is 0.0057, so 4 sigma is ±0.023.
        for [shown, held] in by_variant.into_iter().chain(by_sample) {
            let share = f64::from(held) / f64::from(shown + held);
            assert!(
                (0.177..=0.223).contains(&share),
                "{by_variant:?} {by_sample:?}"
            );
        }
    }

    #[test]
    fn a_held_out_experience_lets_the_next_one_show_and_counts_nothing() {
        let (list, diagnostics) = experiences(
            r##"[
            {"id": "first", "kind": "survey", "priority": 9, "trigger": {"page_view": true}, "holdout": 0.5},
            {"id": "second", "kind": "survey", "priority": 5, "trigger": {"page_view": true}},
            {"id": "banner", "kind": "content", "trigger": {"page_view": true}, "holdout": 0.5,
             "changes": [{"selector": "#promo", "hide": true}]}
        ]"##,
        );
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let profile = Profile::new(NOW);
        let none = attrs("{}");
        let decide_for = |key: &str| page_view_as(&list, &profile, &none, key);
        let held = key_held("first", 0.5, true);
        let decision = decide_for(&held);
        assert_eq!(decision.explain("first"), Some(&Verdict::HeldOut));
        assert_eq!(
            decision.show.as_deref(),
            Some("second"),
            "as if the held-out one were not eligible"
        );
        let shown = key_held("first", 0.5, false);
        let decision = decide_for(&shown);
        assert_eq!(decision.show.as_deref(), Some("first"));
        assert_eq!(
            decision.explain("second"),
            Some(&Verdict::Outranked("first".into()))
        );
        // Content is held back the same way, and only from its own holdout.
        let decision = decide_for(&key_held("banner", 0.5, true));
        assert_eq!(decision.explain("banner"), Some(&Verdict::HeldOut));
        assert!(decision.apply.is_empty());
        let decision = decide_for(&key_held("banner", 0.5, false));
        assert_eq!(decision.apply, ["banner"]);
        // Not shown, so not prospects either: the experiences module is not fetched for them.
        let situation = Situation {
            user_key: &held,
            ..situation(&profile, &none, Signal::PageView)
        };
        assert_eq!(prospects(&list, &situation, &Policy::default()), ["second"]);
    }

    #[test]
    fn a_holdout_is_a_share_above_0_and_at_most_one_half() {
        let (list, diagnostics) = experiences(
            r#"[
            {"id": "zero", "kind": "survey", "trigger": {"page_view": true}, "holdout": 0},
            {"id": "most", "kind": "survey", "trigger": {"page_view": true}, "holdout": 0.6},
            {"id": "text", "kind": "survey", "trigger": {"page_view": true}, "holdout": "0.2"},
            {"id": "half", "kind": "survey", "trigger": {"page_view": true}, "holdout": 0.5}
        ]"#,
        );
        let found: Vec<(&str, &str)> = diagnostics
            .iter()
            .map(|d| (d.code, d.pointer.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                ("invalid_holdout", "/experiences/0/holdout"),
                ("invalid_holdout", "/experiences/1/holdout"),
                ("invalid_holdout", "/experiences/2/holdout"),
            ]
        );
        assert!(diagnostics[0].message.contains("at most 0.5"));
        assert!(list[..3].iter().all(|e| e.disabled.is_some()));
        assert_eq!(list[3].holdout, 0.5);
        assert!(list[3].disabled.is_none());
    }

    #[test]
    fn a_dismissed_survey_waits_out_the_global_survey_quiet_period() {
        let (list, _) = experiences(
            r#"[
            {"id": "nps", "kind": "survey", "trigger": {"page_view": true}},
            {"id": "csat", "kind": "survey", "trigger": {"page_view": true}}
        ]"#,
        );
        let mut profile = Profile::new(NOW);
        let then = Moment::local(NOW, 0);
        profile.record_experience("nps", true, Outcome::Seen, then);
        profile.record_experience("nps", true, Outcome::Dismissed, then);
        let none = attrs("{}");
        let mut later = situation(&profile, &none, Signal::PageView);
        later.session_started = NOW.plus(Millis(1));
        later.now = NOW.plus(Millis(13 * DAY.0));
        let decision = decide(&list, &later, &Policy::default());
        assert_eq!(decision.explain("nps"), Some(&Verdict::Capped(Cap::Once)));
        assert_eq!(
            decision.explain("csat"),
            Some(&Verdict::Quiet {
                reason: QuietReason::Surveys,
                until: NOW.plus(Millis(14 * DAY.0))
            })
        );
        later.now = NOW.plus(Millis(15 * DAY.0));
        assert_eq!(
            decide(&list, &later, &Policy::default()).show.as_deref(),
            Some("csat")
        );
    }

    #[test]
    fn a_survey_or_tour_not_translated_for_the_user_is_skipped() {
        let (list, diagnostics) = experiences(
            r#"[{"id": "nps-fr", "kind": "survey", "trigger": {"page_view": true},
                 "survey": {"default_locale": "en", "questions": [{"id": "score", "type": "nps",
                   "text": {"fr": "Recommanderiez-vous Ledgerly ?"},
                   "labels": {"low": {"fr": "Pas du tout"}, "high": {"fr": "Certainement"}}}]}},
                {"id": "tour-de", "kind": "tour", "trigger": {"page_view": true},
                 "tour": {"default_locale": "de", "steps": [{"id": "hello", "title": "Hallo"}]}}]"#,
        );
        // Only French is complete, so English (the default) is not offered: a warning.
        assert!(diagnostics.iter().all(|d| d.severity == Severity::Warning));
        let profile = Profile::new(NOW);
        let attributes = attrs("{}");
        let verdict = |locale, id| {
            let mut situation = situation(&profile, &attributes, Signal::PageView);
            situation.locale = locale;
            decide(&list, &situation, &Policy::default())
                .explain(id)
                .cloned()
        };
        assert_eq!(verdict(Some("fr-CA"), "nps-fr"), Some(Verdict::Show));
        assert_eq!(verdict(Some("de"), "nps-fr"), Some(Verdict::NoTranslation));
        assert_eq!(verdict(None, "nps-fr"), Some(Verdict::NoTranslation));
        // A tour in German only is offered to everyone: German is its default locale.
        // A tour needs every text in its default locale (tour.rs), so a German-only tour
        // falls back to German rather than being skipped.
        assert_eq!(verdict(Some("en-GB"), "tour-de"), Some(Verdict::Show));
    }

    #[test]
    fn never_two_surveys_in_one_session() {
        let (list, _) =
            experiences(r#"[{"id": "csat", "kind": "survey", "trigger": {"page_view": true}}]"#);
        let mut profile = Profile::new(NOW);
        profile.record_experience("nps", true, Outcome::Seen, Moment::local(NOW, 0));
        let none = attrs("{}");
        let policy = Policy {
            survey_quiet: Millis(0),
            ..Policy::default()
        };
        let decision = decide(
            &list,
            &situation(&profile, &none, Signal::PageView),
            &policy,
        );
        assert_eq!(decision.explain("csat"), Some(&Verdict::SurveyThisSession));
    }

    #[test]
    fn nothing_else_shows_while_a_tour_or_survey_is_on_screen() {
        let (list, _) = experiences(SURVEYS);
        let profile = Profile::new(NOW);
        let pro = attrs(r#"{"plan": "pro"}"#);
        let mut busy = situation(&profile, &pro, Signal::PageView);
        busy.on_screen = Some("export-tour");
        let decision = decide(&list, &busy, &Policy::default());
        assert_eq!(decision.show, None);
        assert_eq!(
            decision.explain("ces"),
            Some(&Verdict::ScreenBusy("export-tour".into()))
        );
        assert_eq!(decision.apply, ["banner"]);
    }

    #[test]
    fn an_invalid_experience_is_disabled_with_diagnostics_and_the_rest_keep_working() {
        let (list, diagnostics) = experiences(
            r#"[
            {"id": "broken", "kind": "survey", "trigger": {"page_view": true}, "audience": {"plan": {"$bogus": 1}}, "sample": 2},
            {"id": "fine", "kind": "survey", "trigger": {"page_view": true}}
        ]"#,
        );
        let pointers: Vec<&str> = diagnostics.iter().map(|d| d.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/experiences/0/audience/plan/$bogus",
                "/experiences/0/sample"
            ]
        );
        let profile = Profile::new(NOW);
        let none = attrs("{}");
        let decision = decide(
            &list,
            &situation(&profile, &none, Signal::PageView),
            &Policy::default(),
        );
        assert!(
            matches!(decision.explain("broken"), Some(Verdict::Disabled(why)) if why.contains("/experiences/0/sample"))
        );
        assert_eq!(decision.show.as_deref(), Some("fine"));
    }

    #[test]
    fn url_patterns_glob_over_the_path_or_the_whole_url() {
        let check = |pattern: &str, url: &str| UrlPattern(pattern.into()).matches(url);
        assert!(check(
            "/invoices*",
            "https://app.example/invoices/42?x=1#top"
        ));
        assert!(check("/invoices", "https://app.example/invoices"));
        assert!(!check("/invoices", "https://app.example/invoices/42"));
        assert!(check("https://*.example/*", "https://app.example/settings"));
        assert!(check("/*/edit", "https://app.example/invoices/edit"));
        assert!(!check(
            "/a*b*c",
            &format!("https://x.example/{}", "a".repeat(5_000))
        ));
    }
}
