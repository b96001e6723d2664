//! The running SDK: identity, session, the event queue, and the loop that flushes it.
//!
//! Decisions come from `waymark-core`: this module reads the clock and storage, hands the
//! values to the core, and carries out what it decides with timers and the transport.
//! All mutable state sits in one `RefCell`, borrowed only through [`Sdk::with_state`] and
//! never across a call into page code.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use gloo_events::EventListener;
use gloo_timers::callback::Timeout;
use waymark_core::encode::WriteJson;
use waymark_core::navigation::is_new_page;
use waymark_core::protocol::{EventProblem, IDENTIFY, PAGEVIEW};
use waymark_core::rules::profile::{FormatProblem, Profile};
use waymark_core::{
    BatchId, BatchPolicy, BatchRef, Event, IdGenerator, Millis, Properties, Queue, Session, Uuid,
    Value,
};

use crate::browser;
use crate::convert::{self, StartOptions};
use crate::navigation::HistoryWatch;
use crate::storage::{self, Storage};
use crate::transport::{self, Outcome, BEACON_MAX_BYTES};

struct State {
    queue: Queue,
    ids: IdGenerator,
    anonymous_id: Uuid,
    user_id: Option<String>,
    /// The URL of the last page view, to tell a new page from a rewritten URL.
    page_url: Option<String>,
    /// The referrer of the current page: `document.referrer` at first, then the previous
    /// page's URL after each single-page navigation.
    referrer: String,
    /// What this browser's user has done, for behavioural targeting.
    profile: Profile,
    /// The profile changed since it was last stored.
    profile_dirty: bool,
}

/// Which pending events a drain sends.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Drain {
    /// Only batches the queue says are due, by `fetch`.
    Due,
    /// Everything pending, by `fetch` (an explicit `flush()`).
    All,
    /// Everything pending, by beacon: the page is being hidden or unloaded.
    Unload,
}

/// The SDK of one page.
pub struct Sdk {
    key: String,
    batch_url: String,
    storage: Storage,
    state: RefCell<State>,
    /// The next flush by delay, and when it fires.
    flush_timer: RefCell<Option<(Millis, Timeout)>>,
    /// A page view waiting for the page's own navigation code to finish (title updates).
    page_timer: RefCell<Option<Timeout>>,
    history: RefCell<Option<HistoryWatch>>,
    lifecycle: RefCell<Vec<EventListener>>,
}

impl std::fmt::Debug for Sdk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sdk")
            .field("batch_url", &self.batch_url)
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
    // The hyphenated encoder writes into a buffer without `core::fmt`, which keeps the
    // formatting machinery out of the wasm.
    let mut buffer = Uuid::encode_buffer();
    id.hyphenated().encode_lower(&mut buffer).to_owned()
}

impl Sdk {
    /// Starts the SDK: restores or creates the anonymous id, and starts watching
    /// navigations and the page lifecycle.
    pub fn start(options: StartOptions) -> Rc<Sdk> {
        let storage = Storage::open(&options.project);
        let mut ids = IdGenerator::new();
        let anonymous_id = match storage
            .get(storage::ANONYMOUS_ID)
            .and_then(|s| Uuid::try_parse(&s).ok())
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
        let profile = load_profile(&storage, storage::PROFILE)
            .unwrap_or_else(|| Profile::new(browser::now()));
        let mut batch_url = options.host;
        batch_url.push_str("/v1/batch");
        let sdk = Rc::new(Sdk {
            key: options.key,
            batch_url,
            storage,
            state: RefCell::new(State {
                queue: Queue::new(BatchPolicy::default()),
                ids,
                anonymous_id,
                user_id,
                page_url: None,
                referrer: browser::document_referrer(),
                profile,
                profile_dirty: false,
            }),
            flush_timer: RefCell::new(None),
            page_timer: RefCell::new(None),
            history: RefCell::new(None),
            lifecycle: RefCell::new(Vec::new()),
        });
        sdk.watch(&Rc::downgrade(&sdk));
        sdk
    }

    fn watch(&self, weak: &Weak<Sdk>) {
        let on_navigate = {
            let weak = weak.clone();
            Rc::new(move || {
                if let Some(sdk) = weak.upgrade() {
                    sdk.navigated();
                }
            })
        };
        if let Ok(mut history) = self.history.try_borrow_mut() {
            *history = HistoryWatch::install(on_navigate);
        }
        let Some(window) = web_sys::window() else {
            return;
        };
        let mut listeners = Vec::with_capacity(2);
        let on_pagehide = weak.clone();
        listeners.push(EventListener::new(&window, "pagehide", move |_| {
            if let Some(sdk) = on_pagehide.upgrade() {
                sdk.drain(Drain::Unload);
            }
        }));
        if let Some(document) = window.document() {
            let on_hidden = weak.clone();
            listeners.push(EventListener::new(
                &document,
                "visibilitychange",
                move |_| {
                    if browser::page_hidden() {
                        if let Some(sdk) = on_hidden.upgrade() {
                            sdk.drain(Drain::Unload);
                        }
                    }
                },
            ));
        }
        if let Ok(mut lifecycle) = self.lifecycle.try_borrow_mut() {
            *lifecycle = listeners;
        }
    }

    fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> Option<R> {
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

    /// Records a custom event.
    pub fn track(self: &Rc<Self>, name: String, properties: Properties, at: Option<Millis>) {
        self.record(name, properties, None, at);
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
        if !(unchanged && traits.is_empty()) {
            self.record(IDENTIFY.to_owned(), Properties::new(), Some(traits), at);
        }
    }

    /// Records a page view of the current URL.
    pub fn page(self: &Rc<Self>) {
        let url = browser::current_url();
        let changed = self.with_state(|s| {
            if let Some(previous) = s.page_url.replace(url) {
                s.referrer = previous;
            }
        });
        if changed.is_some() {
            self.record(PAGEVIEW.to_owned(), Properties::new(), None, None);
        }
    }

    /// A History API navigation happened. The page view waits for the current task to end,
    /// so that the app's router has set the new page's title by then; several navigations
    /// in one task (a push and then a replace) make one page view.
    fn navigated(self: &Rc<Self>) {
        let weak = Rc::downgrade(self);
        let timeout = Timeout::new(0, move || {
            if let Some(sdk) = weak.upgrade() {
                let url = browser::current_url();
                let new_page = sdk
                    .with_state(|s| is_new_page(s.page_url.as_deref(), &url))
                    .unwrap_or(false);
                if new_page {
                    sdk.page();
                }
            }
        });
        if let Ok(mut slot) = self.page_timer.try_borrow_mut() {
            *slot = Some(timeout);
        }
    }

    fn record(
        self: &Rc<Self>,
        name: String,
        properties: Properties,
        traits: Option<Properties>,
        at: Option<Millis>,
    ) {
        let now = browser::now();
        // A time from the pre-load stub is kept; one from the future is not believed.
        let ts = at.map_or(now, |at| at.min(now));
        let stored_session = self
            .storage
            .get(storage::SESSION)
            .and_then(|json| convert::session_from_json(&json));
        let queued = self.with_state(|s| {
            let (session, new_session) =
                Session::resume(stored_session, now, || s.ids.next(now, browser::entropy()));
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
            // The collector would reject it; say so now, where the caller can see it.
            event.check_size()?;
            let moment = browser::moment(now);
            if new_session {
                s.profile.record_session();
            }
            if event.name == PAGEVIEW {
                s.profile.record_page_view(&event.context.page.path, moment);
            } else {
                s.profile.record_event(&event.name, moment);
            }
            s.profile_dirty = true;
            Ok::<_, EventProblem>((session, s.queue.push(event, now)))
        });
        let (session, due) = match queued {
            Some(Ok(queued)) => queued,
            Some(Err(problem)) => {
                return browser::warn_with("the event was not recorded:", &problem.message().into())
            }
            None => return,
        };
        self.storage
            .set(storage::SESSION, &session.to_json_string());
        if due.is_some() {
            self.drain(Drain::Due);
        } else {
            self.schedule();
        }
    }

    /// Sends everything pending now.
    pub fn flush(self: &Rc<Self>) {
        self.drain(Drain::All);
    }

    /// Stores the profile if it changed: on every flush rather than every event, so that a
    /// burst of events costs one write.
    fn persist_profile(&self) {
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

    fn drain(self: &Rc<Self>, mode: Drain) {
        self.persist_profile();
        let now = browser::now();
        let max_bytes = if mode == Drain::Unload {
            BEACON_MAX_BYTES
        } else {
            BatchPolicy::default().max_bytes
        };
        loop {
            let next = self.with_state(|s| {
                if mode == Drain::Due && s.queue.due(now).is_none() {
                    return None;
                }
                let id = s.queue.take_batch(max_bytes)?;
                let events = s.queue.in_flight(id).unwrap_or_default();
                let batch = BatchRef {
                    key: &self.key,
                    sent_at: now,
                    events,
                };
                Some((id, batch.to_json_string()))
            });
            let Some(Some((id, body))) = next else { break };
            if mode == Drain::Unload && transport::beacon(&self.batch_url, &body) {
                // The browser now owns delivery; there will be no answer to wait for.
                self.with_state(|s| s.queue.acknowledge(id));
                continue;
            }
            let sending = transport::post(&self.batch_url, &body);
            let sdk = Rc::clone(self);
            wasm_bindgen_futures::spawn_local(async move {
                let outcome = sending.await;
                sdk.settle(id, outcome);
            });
        }
        self.schedule();
    }

    fn settle(self: &Rc<Self>, id: BatchId, outcome: Outcome) {
        let now = browser::now();
        match outcome {
            Outcome::Stored => {
                self.with_state(|s| s.queue.acknowledge(id));
            }
            Outcome::Retry => {
                self.with_state(|s| s.queue.release(id, now));
            }
            Outcome::Refused(status, tag) => {
                self.with_state(|s| s.queue.acknowledge(id));
                let detail = tag.map_or_else(
                    || wasm_bindgen::JsValue::from(status),
                    wasm_bindgen::JsValue::from,
                );
                browser::warn_with("the collector refused a batch and will refuse it again; its events are dropped:", &detail);
            }
        }
        self.drain(Drain::Due);
    }

    /// Keeps one timer set for the queue's next deadline.
    fn schedule(self: &Rc<Self>) {
        let deadline = self.with_state(|s| s.queue.next_deadline()).flatten();
        let Ok(mut timer) = self.flush_timer.try_borrow_mut() else {
            return;
        };
        let Some(deadline) = deadline else {
            *timer = None;
            return;
        };
        if timer.as_ref().is_some_and(|(at, _)| *at == deadline) {
            return;
        }
        let delay = deadline.since(browser::now()).0.min(u64::from(u32::MAX)) as u32;
        let weak = Rc::downgrade(self);
        let timeout = Timeout::new(delay, move || {
            if let Some(sdk) = weak.upgrade() {
                if let Ok(mut timer) = sdk.flush_timer.try_borrow_mut() {
                    *timer = None;
                }
                sdk.drain(Drain::Due);
            }
        });
        *timer = Some((deadline, timeout));
    }

    /// Stops watching the page and sends what is pending. The host page is left as it was.
    pub fn shutdown(self: &Rc<Self>) {
        if let Ok(mut history) = self.history.try_borrow_mut() {
            *history = None;
        }
        if let Ok(mut lifecycle) = self.lifecycle.try_borrow_mut() {
            lifecycle.clear();
        }
        if let Ok(mut page_timer) = self.page_timer.try_borrow_mut() {
            *page_timer = None;
        }
        self.drain(Drain::All);
    }
}
