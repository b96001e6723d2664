//! The running SDK: identity, session, consent, and recording events into the outbox.
//!
//! Decisions come from `waymark-core`: this module reads the clock and storage, hands the
//! values to the core, and hands each recorded event, encoded, to the outbox
//! ([`crate::outbox`]), which persists and sends it. All mutable state sits in one
//! `RefCell`, borrowed only through [`Sdk::with_state`] and never across a call into page
//! code.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use waymark_core::encode::WriteJson;
use waymark_core::navigation::is_new_page;
use waymark_core::privacy::{self, Allow, Consent};
use waymark_core::protocol::{EventProblem, BEHAVIOR_SCORES, IDENTIFY, PAGEVIEW};
use waymark_core::rules::profile::{FormatProblem, Profile};
use waymark_core::{Event, IdGenerator, Millis, Properties, Session, Uuid, Value};

use crate::browser;
use crate::convert::{self, StartOptions};
use crate::experiences::{Kept, Live};
use crate::outbox::Outbox;
use crate::stage::Stage;
use crate::storage::{self, Storage};

/// The event that reports events dropped to keep the outbox within its bounds, with the
/// property `count`.
pub const EVENTS_DROPPED: &str = "$events_dropped";

/// How long a changed behaviour profile waits before it is stored, so that a burst of
/// events costs one write.
const PROFILE_DELAY_MS: u32 = 1_000;

pub(crate) struct State {
    consent: Consent,
    ids: IdGenerator,
    anonymous_id: Uuid,
    pub(crate) user_id: Option<String>,
    /// The traits `identify` gave, merged: what `user.*` conditions and placeholders read.
    pub(crate) traits: Properties,
    /// The URL of the last page view, to tell a new page from a rewritten URL.
    page_url: Option<String>,
    /// The referrer of the current page: `document.referrer` at first, then the previous
    /// page's URL after each single-page navigation.
    referrer: String,
    /// What this browser's user has done, for behavioural targeting.
    pub(crate) profile: Profile,
    /// The profile changed since it was last stored.
    pub(crate) profile_dirty: bool,
    /// The session as this page last read, made or resumed it.
    pub(crate) session: Option<Session>,
    /// When the session was last read from storage, and last written to it.
    session_read: Millis,
    session_written: Millis,
    /// The session changed since it was last written.
    session_dirty: bool,
}

/// How long the session read from storage is trusted before it is read again (another tab
/// may have moved it on), and how often at most a changed session is written (and when the
/// page is hidden): a burst of events costs one read and one write, not one per event.
const REREAD_MS: u64 = 1_000;

/// The SDK of one page.
pub struct Sdk {
    outbox: Outbox,
    /// The page side of experiences: config fetching, the content layer, the experiences
    /// module.
    pub(crate) stage: Stage,
    allow: Allow,
    /// Do-Not-Track or Global Privacy Control is on, and the project honours them.
    signals_deny: bool,
    pub(crate) storage: Storage,
    state: RefCell<State>,
    /// Experiences on this page (see [`crate::experiences`]).
    pub(crate) live: RefCell<Live>,
    /// The stage will call `tick()` to store the changed profile.
    profile_pending: Cell<bool>,
    /// The version of the config decisions are made with (0: none yet), written on every
    /// event recorded meanwhile as its `config_version` (see [`Sdk::record`]).
    pub(crate) config_version: Cell<u64>,
}

impl std::fmt::Debug for Sdk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sdk")
            .field("storage", &self.storage)
            .finish_non_exhaustive()
    }
}

/// Reads a stored profile. A profile written by a newer SDK is set aside with a warning
/// rather than misread.
fn load_profile(storage: &Storage, key: &str) -> Option<Profile> {
    let value = storage
        .get(key)
        .and_then(|json| convert::value_from_json(&json))?;
    match Profile::from_json(&value) {
        Ok(profile) => Some(profile),
        Err(FormatProblem::UnknownVersion(_)) => {
            browser::warn(
                "the stored behaviour profile is from a newer SDK; a fresh one is kept instead",
            );
            None
        }
        Err(FormatProblem::NotAProfile) => None,
    }
}

fn encode_uuid(id: Uuid) -> String {
    waymark_core::id::hyphenated(&id)
}

impl Sdk {
    /// Starts the SDK: applies consent, restores or creates the anonymous id, and starts
    /// watching navigations and the page lifecycle.
    pub fn start(options: StartOptions) -> Rc<Sdk> {
        let storage = Storage::open(&options.project);
        let signals_deny = options.honor_privacy_signals && browser::privacy_signal();
        let consent = if signals_deny {
            Consent::Denied
        } else {
            options.consent
        };
        if consent != Consent::Granted {
            storage.hold();
        }
        if consent == Consent::Denied {
            // Whatever an earlier visit stored goes, as on `consent('denied')`.
            storage.purge();
        }
        options.outbox.consent(consent.as_str());
        let mut ids = IdGenerator::new();
        let anonymous_id = match storage
            .get(storage::ANONYMOUS_ID)
            .and_then(|s| waymark_core::id::parse_hyphenated(&s))
        {
            Some(id) => id,
            None => {
                let id = ids.next(browser::now(), browser::entropy());
                storage.set(storage::ANONYMOUS_ID, &encode_uuid(id));
                id
            }
        };
        if !storage.is_persistent() {
            browser::warn(
                "localStorage is unavailable: the anonymous id lasts only as long as this page",
            );
        }
        let user_id = storage.get(storage::USER_ID);
        let traits = match storage
            .get(storage::TRAITS)
            .and_then(|json| convert::value_from_json(&json))
        {
            Some(Value::Object(traits)) => traits,
            _ => Properties::new(),
        };
        let profile = load_profile(&storage, storage::PROFILE)
            .unwrap_or_else(|| Profile::new(browser::now()));
        let sdk = Rc::new(Sdk {
            outbox: options.outbox,
            stage: options.stage,
            allow: options.allow,
            signals_deny,
            storage,
            state: RefCell::new(State {
                consent,
                ids,
                anonymous_id,
                user_id,
                traits,
                page_url: None,
                referrer: browser::document_referrer(),
                profile,
                profile_dirty: false,
                session: None,
                session_read: Millis(0),
                session_written: Millis(0),
                session_dirty: false,
            }),
            profile_pending: Cell::new(false),
            config_version: Cell::new(0),
            live: RefCell::new(Live::default()),
        });
        // Content is decided from the config cached on an earlier visit before the page
        // paints; the collector is asked for a newer one only with consent.
        sdk.load_cached_config();
        if consent == Consent::Granted {
            sdk.stage.fetch_config();
        }
        sdk
    }

    pub(crate) fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> Option<R> {
        match self.state.try_borrow_mut() {
            Ok(mut state) => Some(f(&mut state)),
            Err(_) => {
                browser::warn(
                    "internal error: the SDK was called while busy; the call was not recorded",
                );
                None
            }
        }
    }

    /// The anonymous id of this browser.
    pub fn anonymous_id(&self) -> String {
        self.with_state(|s| encode_uuid(s.anonymous_id))
            .unwrap_or_default()
    }

    /// The consent in force.
    pub(crate) fn consent(&self) -> Consent {
        self.state
            .try_borrow()
            .map_or(Consent::Pending, |s| s.consent)
    }

    /// The user's hashing key for sampling and experiments: the user id, else the
    /// anonymous id.
    pub(crate) fn user_key(&self) -> String {
        self.with_state(|s| {
            s.user_id
                .clone()
                .unwrap_or_else(|| encode_uuid(s.anonymous_id))
        })
        .unwrap_or_default()
    }

    /// A fresh id (a survey showing's response id).
    pub(crate) fn new_id(&self) -> String {
        let now = browser::now();
        self.with_state(|s| encode_uuid(s.ids.next(now, browser::entropy())))
            .unwrap_or_default()
    }

    /// Records an event of the SDK's own (`$exposure`, `$survey_answered`, …).
    pub(crate) fn record_internal(self: &Rc<Self>, name: &str, properties: Properties) {
        self.record(name.to_owned(), properties, None, None);
    }

    /// Records a custom event; the experience on screen hears of it, and experiences it
    /// triggers are considered.
    pub fn track(self: &Rc<Self>, name: String, properties: Properties, at: Option<Millis>) {
        self.record(name.clone(), properties, None, at);
        // Telling the stage is a call out of the wasm: only when an experience is on screen.
        let on_screen = self
            .live
            .try_borrow()
            .is_ok_and(|live| live.on_screen.is_some());
        if on_screen {
            self.stage.event(&name);
        }
        self.consider(Kept::Event(name));
    }

    /// Links this browser to `user_id` and records the user's traits. Repeating the same
    /// user id without traits records nothing new.
    pub fn identify(self: &Rc<Self>, user_id: String, traits: Properties, at: Option<Millis>) {
        let unchanged = self
            .with_state(|s| {
                let unchanged = s.user_id.as_deref() == Some(user_id.as_str());
                s.user_id = Some(user_id.clone());
                unchanged
            })
            .unwrap_or(false);
        self.storage.set(storage::USER_ID, &user_id);
        if !unchanged {
            // The same person may have used this browser before under this user id: their
            // stored profile takes in what was done anonymously.
            let stored = load_profile(&self.storage, &storage::user_profile(&user_id));
            let moment = browser::moment(browser::now());
            self.with_state(|s| {
                if let Some(mut theirs) = stored {
                    theirs.merge(&s.profile, moment);
                    s.profile = theirs;
                }
                s.profile_dirty = true;
            });
            self.persist_profile();
        }
        if !traits.is_empty() {
            let merged = self.with_state(|s| {
                for (key, value) in traits.iter() {
                    s.traits.insert(key.clone(), value.clone());
                }
                Value::Object(s.traits.clone()).to_json_string()
            });
            if let Some(json) = merged {
                self.storage.set(storage::TRAITS, &json);
            }
        }
        let changed = !(unchanged && traits.is_empty());
        if changed {
            self.record(IDENTIFY.to_owned(), Properties::new(), Some(traits), at);
            // Who the user is changed: content and page-view experiences are decided anew.
            self.consider(Kept::PageView);
        }
    }

    /// Records a page view of the current URL.
    pub fn page(self: &Rc<Self>) {
        let url = browser::current_url();
        let changed = self.with_state(|s| match s.page_url.replace(url) {
            Some(previous) => {
                s.referrer = previous;
                false
            }
            None => true,
        });
        if let Some(new_page) = changed {
            self.record(PAGEVIEW.to_owned(), Properties::new(), None, None);
            if !new_page {
                self.stage.navigated(&browser::current_url());
            }
            self.page_began(true);
        }
    }

    /// A History API navigation happened (the stage reports it once the task that made it
    /// has ended, so the app's router has set the new page's title): a new page, unless only
    /// the fragment changed.
    pub fn navigated(self: &Rc<Self>) {
        let url = browser::current_url();
        let new_page = self
            .with_state(|s| is_new_page(s.page_url.as_deref(), &url))
            .unwrap_or(false);
        if new_page {
            self.page();
        }
    }

    /// The page was hidden or is being left: the profile and the session are stored now.
    pub fn hidden(&self) {
        self.persist_profile();
        self.persist_session();
    }

    /// The stage's timer fired: the changed profile and session are stored.
    pub fn tick(&self) {
        self.profile_pending.set(false);
        self.persist_profile();
        self.persist_session();
    }

    /// Writes the session if it changed since it was last written.
    fn persist_session(&self) {
        let now = browser::now();
        let json = self.with_state(|s| {
            let session = s.session.filter(|_| s.session_dirty)?;
            s.session_dirty = false;
            s.session_written = now;
            Some(session.to_json_string())
        });
        if let Some(json) = json.flatten() {
            self.storage.set(storage::SESSION, &json);
        }
    }

    fn record(
        self: &Rc<Self>,
        name: String,
        mut properties: Properties,
        mut traits: Option<Properties>,
        at: Option<Millis>,
    ) {
        let now = browser::now();
        // A time from the pre-load stub is kept; one from the future is not believed.
        let ts = at.map_or(now, |at| at.min(now));
        privacy::mask(&mut properties, self.allow);
        if let Some(traits) = traits.as_mut() {
            privacy::mask(traits, self.allow);
        }
        let storage = &self.storage;
        let config_version = self.config_version.get();
        let recorded = self.with_state(|s| {
            if s.consent == Consent::Denied {
                return Ok(None);
            }
            if s.session.is_none() || now.0.saturating_sub(s.session_read.0) >= REREAD_MS {
                s.session = storage
                    .get(storage::SESSION)
                    .and_then(|json| convert::session_from_json(&json));
                s.session_read = now;
            }
            let before = s.session.map(|session| session.id);
            let (session, new_session) = Session::resume(s.session.take(), now, || {
                s.ids.next(now, browser::entropy())
            });
            s.session = Some(session);
            let event = Event {
                id: s.ids.next(now, browser::entropy()),
                name,
                ts,
                anonymous_id: s.anonymous_id,
                user_id: s.user_id.clone(),
                session_id: session.id,
                properties,
                traits,
                context: browser::context(&s.referrer),
            };
            // Each event carries the version it was recorded under, rather than the batch:
            // the outbox may still hold events from before a newer config when it sends. An
            // event the collector would reject as too large is refused now, where the caller
            // can see it.
            let json = event.to_json_with_config(config_version)?;
            let moment = browser::moment(now);
            // A session's first event brings the scores as the session began (before that
            // event counts), with their terms, in an event of their own just after it.
            let scores = new_session.then(|| {
                s.profile.record_session(moment);
                s.profile.scores(moment)
            });
            if event.name == PAGEVIEW {
                s.profile.record_page_view(&event.context.page.path, moment);
            } else {
                s.profile.record_event(&event.name, moment);
            }
            s.profile_dirty = true;
            // Written when it is a new session, else at most once a second (and on tick or
            // when the page is hidden).
            let write = before != Some(session.id)
                || now.0.saturating_sub(s.session_written.0) >= REREAD_MS;
            s.session_dirty = !write;
            if write {
                s.session_written = now;
            }
            Ok::<_, EventProblem>(Some((
                write.then(|| session.to_json_string()),
                encode_uuid(event.id),
                json,
                scores,
            )))
        });
        let (session, id, json, scores) = match recorded {
            Some(Ok(Some(recorded))) => recorded,
            Some(Err(problem)) => {
                return browser::warn_with("the event was not recorded:", &problem.message().into())
            }
            Some(Ok(None)) | None => return,
        };
        if let Some(session) = session {
            self.storage.set(storage::SESSION, &session);
        }
        self.outbox.add(&id, &json);
        if let Some(scores) = scores {
            self.record_internal(BEHAVIOR_SCORES, scores.properties());
        }
        self.schedule_profile();
    }

    /// Reports events the outbox dropped to stay within its bounds, as an event of its own.
    pub fn report_dropped(self: &Rc<Self>, count: u32) {
        if count > 0 {
            let mut properties = Properties::new();
            properties.insert("count".to_owned(), Value::Number(f64::from(count)));
            self.record(EVENTS_DROPPED.to_owned(), properties, None, None);
        }
    }

    /// Sends everything pending now.
    pub fn flush(self: &Rc<Self>) {
        self.persist_profile();
        self.persist_session();
        self.outbox.flush();
    }

    /// Sets consent: granted (store and send, including what was held), pending (hold
    /// events in memory) or denied (record nothing, and purge what is stored).
    pub fn set_consent(self: &Rc<Self>, consent: Consent) {
        if consent == Consent::Granted && self.signals_deny {
            return browser::warn("consent('granted') was ignored: the browser sends Do-Not-Track or Global Privacy Control, and this project honours them");
        }
        let Some(previous) = self.with_state(|s| std::mem::replace(&mut s.consent, consent)) else {
            return;
        };
        if previous == consent {
            return;
        }
        match consent {
            Consent::Granted => {
                self.storage.release();
                self.stage.fetch_config();
            }
            Consent::Pending => self.storage.hold(),
            Consent::Denied => {
                self.with_state(|s| {
                    s.profile = Profile::new(browser::now());
                    s.profile_dirty = false;
                    s.session = None;
                    s.session_dirty = false;
                });
                self.storage.hold();
                self.storage.purge();
                self.stage.close();
            }
        }
        self.outbox.consent(consent.as_str());
    }

    /// Logs out: the outbox sends what it holds by beacon and empties; the user id, the
    /// behaviour profiles and the session are cleared, and a new anonymous id begins.
    pub fn reset(self: &Rc<Self>) {
        self.stage.close();
        self.outbox.reset();
        let now = browser::now();
        let anonymous_id = self.with_state(|s| {
            s.user_id = None;
            s.traits = Properties::new();
            s.page_url = None;
            s.profile = Profile::new(now);
            s.profile_dirty = false;
            s.session = None;
            s.session_dirty = false;
            s.anonymous_id = s.ids.next(now, browser::entropy());
            s.anonymous_id
        });
        self.storage.purge();
        if let Some(id) = anonymous_id {
            self.storage.set(storage::ANONYMOUS_ID, &encode_uuid(id));
        }
    }

    /// Stores the profile a moment after it changes, so that a burst of events costs one
    /// write.
    fn schedule_profile(self: &Rc<Self>) {
        if !self.profile_pending.replace(true) {
            self.stage.later(PROFILE_DELAY_MS);
        }
    }

    /// Stores the profile if it changed: on every flush rather than every event, so that a
    /// burst of events costs one write.
    pub(crate) fn persist_profile(&self) {
        let stored = self.with_state(|s| {
            if !s.profile_dirty {
                return None;
            }
            s.profile_dirty = false;
            Some((s.profile.to_json().to_json_string(), s.user_id.clone()))
        });
        if let Some((json, user_id)) = stored.flatten() {
            self.storage.set(storage::PROFILE, &json);
            if let Some(user_id) = user_id {
                self.storage.set(&storage::user_profile(&user_id), &json);
            }
        }
    }

    /// The `behavior` attributes that targeting conditions see.
    pub fn behavior(&self) -> Value {
        let moment = browser::moment(browser::now());
        self.with_state(|s| s.profile.attributes(moment))
            .unwrap_or_default()
    }

    /// Stops watching the page and sends what is pending. The host page is left as it was.
    pub fn shutdown(self: &Rc<Self>) {
        if let Ok(mut live) = self.live.try_borrow_mut() {
            live.config = None;
        }
        self.config_version.set(0);
        self.stage.close();
        self.stage.stop();
        self.persist_profile();
        self.persist_session();
        self.outbox.close();
    }
}
