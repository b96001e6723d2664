//! Tours on screen: the browser shell over `waymark_core::rules::tour`.
//!
//! The model decides everything (which step, what advances it, what each move records, the
//! progress to store, where the popover goes); this shell finds elements, draws, listens
//! and reports. Every input, whatever its source (a button, a key, a click on the target,
//! an event or navigation from the runtime, a target found or timed out), goes through one
//! queue ([`Run::send`]), handled one at a time with no `RefCell` borrow held while the
//! [`Host`] is called: the runtime may call back into the [`Showing`] from inside a host
//! call (a call to action's event may advance the step), and that input simply waits its
//! turn.
//!
//! # Layout
//! - `locate`: the locator strategies over the document, open shadow roots and same-origin
//!   iframes.
//! - `position`: measuring the target, the viewport and its fixed insets; placing the
//!   popover, the arrow and the spotlight; following scroll and resize.
//! - `panel`: the step's DOM, in a shadow root in the top layer, and its markdown.
//! - `guard`: observers that undo themselves on drop.

mod guard;
mod locate;
mod panel;
mod position;

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use gloo_events::{EventListener, EventListenerOptions};
use gloo_timers::callback::Timeout;
use wasm_bindgen::{JsCast, JsValue};
use waymark_core::encode::WriteJson;
use waymark_core::rules::tour::{
    Button, CtaAction, Ending, Now, Occurrence, Progress, Reason, Resume, Step, Strategy, Then,
    Tour, Update, Via,
};
use waymark_core::rules::Severity;
use waymark_core::{Millis, Properties, Value};
use web_sys::KeyboardEvent;

use crate::Host;
use locate::Found;
use panel::Frame;

/// A tour on screen, as the runtime holds it.
#[derive(Debug)]
pub struct Showing(Rc<Run>);

impl Showing {
    /// An event was recorded: a step may advance on it.
    pub fn event(&self, name: &str) {
        self.0.send(Input::Event(name.to_owned()));
    }

    /// The page navigated: a step may advance on it, or belong to another page.
    pub fn navigated(&self, url: &str) {
        self.0.send(Input::Route(url.to_owned()));
    }

    /// Takes it down at once, recording nothing.
    pub fn close(&self) {
        self.0.send(Input::Shutdown);
    }
}

/// Shows or resumes a tour, or ends at once with the reason it cannot.
pub fn show(request: &JsValue, host: Host) -> Option<Showing> {
    let id = crate::request_id(request);
    let field = |name: &str| js_sys::Reflect::get(request, &JsValue::from_str(name)).ok();
    let definition = field("definition").and_then(|d| waymark_browser::json::json(&d).ok());
    let mut diagnostics = Vec::new();
    let tour = definition.map(|d| Tour::from_json(&d, &id, "", &mut diagnostics));
    let tour = match tour {
        Some(tour) if !diagnostics.iter().any(|d| d.severity == Severity::Error) => tour,
        _ => {
            host.ended(&id, "invalid");
            return None;
        }
    };
    let locale = field("locale").and_then(|l| l.as_string());
    let Some(locale) = tour.locale_for(locale.as_deref()).map(str::to_owned) else {
        host.ended(&id, "no_translation");
        return None;
    };
    let url = field("url").and_then(|u| u.as_string()).unwrap_or_default();
    let stored = field("progress").and_then(|p| match p.as_string() {
        Some(text) => waymark_browser::json::value_from_json(&text),
        None if p.is_object() => waymark_browser::json::json(&p).ok(),
        None => None,
    });
    let now = now();
    let (progress, update) = match tour.resume(stored.as_ref(), now) {
        Resume::Continue { progress, mapped } => {
            if mapped {
                host.progress(&id, Some(progress.to_json().to_json_string()));
            }
            (progress, None)
        }
        Resume::StartOver(_) => {
            if stored.is_some() {
                host.progress(&id, None);
            }
            let update = tour.start(now);
            let Some(progress) = update.progress().cloned() else {
                host.ended(&id, "invalid");
                return None;
            };
            (progress, Some(update))
        }
    };
    let run = Rc::new(Run {
        id,
        tour,
        locale,
        host,
        me: RefCell::new(Weak::new()),
        state: RefCell::new(State {
            progress,
            url,
            frame: None,
            step: None,
            wait: None,
            seen: false,
            refused: None,
            ended: false,
        }),
        queue: RefCell::new(Vec::new()),
        busy: Cell::new(false),
        out: RefCell::new(Vec::new()),
    });
    *run.me.borrow_mut() = Rc::downgrade(&run);
    run.send(match update {
        Some(update) => Input::Apply(update),
        None => Input::Show,
    });
    if run.state.borrow().ended {
        return None;
    }
    Some(Showing(run))
}

/// The current time, for the model.
fn now() -> Millis {
    Millis(js_sys::Date::now() as u64)
}

/// Something that may move the tour on.
enum Input {
    /// Apply a move the model already computed.
    Apply(Update),
    /// Show the current step (look for its target first).
    Show,
    /// The page changed while waiting: look for the target again.
    Retry,
    /// The target did not appear in time.
    Missing,
    /// A button of the step, by its index in the step's buttons.
    Button(usize),
    /// The close button.
    Close,
    /// A key was pressed.
    Key(KeyboardEvent),
    /// Escape was pressed in the panel.
    Escape,
    /// The target was clicked.
    Click,
    /// The runtime recorded an event.
    Event(String),
    /// The page navigated.
    Route(String),
    /// Scroll, resize: place the popover again.
    Relayout,
    /// The runtime takes the tour down.
    Shutdown,
}

/// What to tell the host once no borrow is held.
enum Out {
    Event(&'static str, String),
    Custom(String, String),
    Outcome(&'static str),
    Progress(Option<String>),
    Ended(&'static str),
}

/// A tour being run.
struct Run {
    id: String,
    tour: Tour,
    locale: String,
    host: Host,
    me: RefCell<Weak<Run>>,
    state: RefCell<State>,
    queue: RefCell<Vec<Input>>,
    busy: Cell<bool>,
    out: RefCell<Vec<Out>>,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Run")
    }
}

/// What is on screen or waited for.
struct State {
    progress: Progress,
    url: String,
    /// The host element, shadow root and panel: kept across steps, so that the live region
    /// announces each step.
    frame: Option<Frame>,
    /// The step on screen.
    step: Option<OnScreen>,
    /// The wait for the current step's target.
    wait: Option<Wait>,
    /// `seen` was reported.
    seen: bool,
    /// The step whose target's refused selector was reported.
    refused: Option<usize>,
    ended: bool,
}

/// The current step on screen: its target and everything listening.
struct OnScreen {
    target: Option<position::Anchor>,
    _listeners: Vec<EventListener>,
    _resize: Option<guard::Resize>,
}

/// Waiting for a target: a mutation observer, a timer, and a listener for frames loading.
struct Wait {
    _observer: guard::Mutations,
    _timer: Timeout,
    _load: EventListener,
    since: Millis,
}

impl Run {
    /// Queues an input and, unless one is being handled, handles the queue.
    fn send(&self, input: Input) {
        self.queue.borrow_mut().push(input);
        if self.busy.replace(true) {
            return;
        }
        loop {
            let next = {
                let mut queue = self.queue.borrow_mut();
                if queue.is_empty() {
                    None
                } else {
                    Some(queue.remove(0))
                }
            };
            let Some(input) = next else { break };
            {
                let mut state = self.state.borrow_mut();
                if !state.ended {
                    self.handle(&mut state, input);
                }
            }
            let out = std::mem::take(&mut *self.out.borrow_mut());
            for out in out {
                match out {
                    Out::Event(name, json) => self.host.event(name, &json),
                    Out::Custom(name, json) => self.host.event(&name, &json),
                    Out::Outcome(outcome) => self.host.outcome(&self.id, outcome),
                    Out::Progress(json) => self.host.progress(&self.id, json),
                    Out::Ended(reason) => self.host.ended(&self.id, reason),
                }
            }
        }
        self.busy.set(false);
    }

    fn emit(&self, out: Out) {
        self.out.borrow_mut().push(out);
    }

    /// A callback that sends `input` to this run, if it still exists.
    fn sender(&self, input: impl Fn() -> Input + 'static) -> impl Fn() + 'static {
        let me = self.me.borrow().clone();
        move || {
            if let Some(run) = me.upgrade() {
                run.send(input());
            }
        }
    }

    fn step(&self, state: &State) -> Option<&Step> {
        self.tour.steps.get(state.progress.step)
    }

    fn handle(&self, state: &mut State, input: Input) {
        let progress = state.progress.clone();
        match input {
            Input::Apply(update) => self.apply(state, update),
            Input::Show => self.show_current(state),
            Input::Retry => {
                if state.wait.is_some() {
                    self.look(state);
                }
            }
            Input::Missing => {
                if let Some(wait) = state.wait.take() {
                    let waited = now().since(wait.since);
                    let update = self.tour.target_missing(&progress, waited, now());
                    self.apply(state, update);
                }
            }
            Input::Button(index) => {
                let Some(button) = self.step(state).and_then(|s| s.buttons.get(index)) else {
                    return;
                };
                let update = match button {
                    Button::Back => self.tour.back(&progress, now()),
                    Button::Next | Button::Done => self.tour.advance(&progress, Via::Button, now()),
                    Button::Skip => self.tour.dismiss(&progress, Reason::Skip),
                    Button::Cta(cta) => {
                        match &cta.action {
                            CtaAction::Url { url, new_tab } => panel::open(url, *new_tab),
                            CtaAction::Event(name) => {
                                let mut properties = Properties::new();
                                properties.insert("tour".to_owned(), Value::from(self.id.as_str()));
                                self.emit(Out::Custom(
                                    name.clone(),
                                    Value::Object(properties).to_json_string(),
                                ));
                            }
                        }
                        return;
                    }
                };
                self.apply(state, update);
            }
            Input::Close => {
                let update = self.tour.dismiss(&progress, Reason::Close);
                self.apply(state, update);
            }
            Input::Key(event) => self.key(state, &event),
            Input::Escape => {
                let update = self.tour.dismiss(&progress, Reason::Escape);
                self.apply(state, update);
            }
            Input::Click => {
                if let Some(via) = self
                    .step(state)
                    .and_then(|s| s.advanced_by(Occurrence::Click))
                {
                    let update = self.tour.advance(&progress, via, now());
                    self.apply(state, update);
                }
            }
            Input::Event(name) => {
                if let Some(via) = self
                    .step(state)
                    .and_then(|s| s.advanced_by(Occurrence::Event(&name)))
                {
                    let update = self.tour.advance(&progress, via, now());
                    self.apply(state, update);
                }
            }
            Input::Route(url) => {
                state.url = url;
                let via = self
                    .step(state)
                    .and_then(|s| s.advanced_by(Occurrence::Route(&state.url)));
                if let Some(via) = via {
                    let update = self.tour.advance(&progress, via, now());
                    self.apply(state, update);
                    return;
                }
                // The same step: it may now belong to another page, or the app may have
                // rendered its target anew.
                let here = self
                    .step(state)
                    .and_then(|s| s.url.as_ref())
                    .is_none_or(|pattern| pattern.matches(&state.url));
                let lost = state
                    .step
                    .as_ref()
                    .and_then(|s| s.target.as_ref())
                    .is_some_and(|t| !t.connected());
                if !here || lost {
                    self.show_current(state);
                }
            }
            Input::Relayout => self.layout(state),
            Input::Shutdown => self.end(state, "closed"),
        }
    }

    fn key(&self, state: &mut State, event: &KeyboardEvent) {
        let Some(frame) = &state.frame else { return };
        let key = event.key();
        // Inside the panel, the frame has Escape and Tab; outside, Escape still dismisses.
        if !frame.has_focus() {
            if key == "Escape" {
                self.handle(state, Input::Escape);
            }
            return;
        }
        let buttons = self
            .step(state)
            .map(|s| s.buttons.as_slice())
            .unwrap_or_default();
        let wanted: &[Button] = match key.as_str() {
            "ArrowRight" => &[Button::Next, Button::Done],
            "ArrowLeft" => &[Button::Back],
            _ => return,
        };
        if let Some(index) = buttons.iter().position(|b| wanted.contains(b)) {
            event.prevent_default();
            self.handle(state, Input::Button(index));
        }
    }

    /// Records a move's events and acts on what comes next.
    fn apply(&self, state: &mut State, update: Update) {
        for record in update.records {
            self.emit(Out::Event(
                record.name,
                Value::Object(record.properties).to_json_string(),
            ));
        }
        match update.then {
            Then::Continue(progress) => {
                self.store(state, progress);
                self.show_current(state);
            }
            Then::ShowCentered(progress) => {
                self.store(state, progress);
                state.wait = None;
                self.render(state, None);
            }
            Then::Ended(ending) => {
                self.emit(Out::Progress(None));
                let (outcome, reason) = match ending {
                    Ending::Completed => ("completed", "completed"),
                    Ending::Dismissed(_) => ("dismissed", "dismissed"),
                };
                self.emit(Out::Outcome(outcome));
                self.end(state, reason);
            }
        }
    }

    fn store(&self, state: &mut State, progress: Progress) {
        self.emit(Out::Progress(Some(progress.to_json().to_json_string())));
        state.progress = progress;
    }

    /// Takes everything down and tells the host why.
    fn end(&self, state: &mut State, reason: &'static str) {
        state.step = None;
        state.wait = None;
        state.frame = None;
        state.ended = true;
        self.emit(Out::Ended(reason));
    }

    /// Shows the current step, or waits for its target, or ends the showing when the step
    /// is on another page.
    fn show_current(&self, state: &mut State) {
        state.step = None;
        state.wait = None;
        if let Some(frame) = &state.frame {
            frame.hide();
        }
        match self
            .tour
            .now(&state.progress, &state.url, Some(&self.locale))
        {
            Now::Show(view) => match &view.step.target {
                Some(_)
                    if view.step.placement != waymark_core::rules::placement::Placement::Center =>
                {
                    self.look(state)
                }
                _ => self.render(state, None),
            },
            Now::WaitForPage { .. } => self.end(state, "elsewhere"),
            Now::NoLocale => self.end(state, "no_translation"),
            Now::Finished => {
                self.emit(Out::Progress(None));
                self.end(state, "completed");
            }
        }
    }

    /// Looks for the current step's target: shows the step if found, else waits (once).
    fn look(&self, state: &mut State) {
        let Some(target) = self.step(state).and_then(|s| s.target.as_ref()) else {
            return;
        };
        if state.refused != Some(state.progress.step) {
            if let Some(strategy) = locate::refused(target) {
                state.refused = Some(state.progress.step);
                let record = self.tour.target_invalid(&state.progress, strategy);
                self.emit(Out::Event(
                    record.name,
                    Value::Object(record.properties).to_json_string(),
                ));
            }
        }
        let roots = locate::roots(target);
        if let Some(found) = locate::locate(target, &roots) {
            state.wait = None;
            self.render(state, Some(found));
            return;
        }
        match &state.wait {
            Some(wait) => wait._observer.observe_all(&roots),
            None => {
                let wait_ms = self.step(state).map_or(0, |s| s.wait.0);
                let observer = guard::Mutations::new(self.sender(|| Input::Retry));
                observer.observe_all(&roots);
                let retry = self.sender(|| Input::Retry);
                let load = EventListener::new_with_options(
                    &panel::document().into(),
                    "load",
                    EventListenerOptions::run_in_capture_phase(),
                    move |_| retry(),
                );
                state.wait = Some(Wait {
                    _observer: observer,
                    _timer: Timeout::new(
                        wait_ms.min(60_000) as u32,
                        self.sender(|| Input::Missing),
                    ),
                    _load: load,
                    since: now(),
                });
            }
        }
    }

    /// Puts the current step on screen, beside `found` or centered, and records it viewed.
    fn render(&self, state: &mut State, found: Option<Found>) {
        let Now::Show(view) = self
            .tour
            .now(&state.progress, &state.url, Some(&self.locale))
        else {
            return;
        };
        if state.frame.is_none() {
            state.frame = Frame::new(&self.tour.theme, self.sender(|| Input::Escape));
        }
        let Some(frame) = &state.frame else {
            self.end(state, "unsupported");
            return;
        };
        let me = self.me.borrow().clone();
        frame.fill(&view, move |choice| {
            if let Some(run) = me.upgrade() {
                run.send(match choice {
                    panel::Choice::Close => Input::Close,
                    panel::Choice::Button(index) => Input::Button(index),
                });
            }
        });
        let strategy = found.as_ref().map_or(Strategy::None, |f| f.strategy);
        let mut listeners = Vec::new();
        let window: web_sys::EventTarget = panel::window().into();
        let key_sender = self.me.borrow().clone();
        // Not passive: Tab, the arrows and Escape are taken from the page.
        let active = EventListenerOptions::enable_prevent_default();
        listeners.push(EventListener::new_with_options(
            &window,
            "keydown",
            active,
            move |event| {
                if let (Some(run), Some(key)) =
                    (key_sender.upgrade(), event.dyn_ref::<KeyboardEvent>())
                {
                    run.send(Input::Key(key.clone()));
                }
            },
        ));
        let relayout = Rc::new(self.sender(|| Input::Relayout));
        for (target, event) in [
            (window.clone(), "resize"),
            (panel::document().into(), "scroll"),
        ] {
            let relayout = relayout.clone();
            listeners.push(EventListener::new_with_options(
                &target,
                event,
                EventListenerOptions {
                    phase: gloo_events::EventListenerPhase::Capture,
                    passive: true,
                },
                move |_| relayout(),
            ));
        }
        let anchor = found.map(|found| {
            if self
                .step(state)
                .is_some_and(|s| s.advanced_by(Occurrence::Click).is_some())
            {
                let click = self.sender(|| Input::Click);
                listeners.push(EventListener::new(&found.element, "click", move |_| {
                    click()
                }));
            }
            for frame in &found.frames {
                if let Some(document) = locate::content_document(frame) {
                    let relayout = relayout.clone();
                    listeners.push(EventListener::new_with_options(
                        &document.into(),
                        "scroll",
                        EventListenerOptions {
                            phase: gloo_events::EventListenerPhase::Capture,
                            passive: true,
                        },
                        move |_| relayout(),
                    ));
                }
            }
            position::Anchor::new(found)
        });
        if let Some(anchor) = &anchor {
            anchor.scroll_into_view();
        }
        let resize = guard::Resize::new(self.sender(|| Input::Relayout));
        if let Some(resize) = &resize {
            resize.observe(frame.panel());
            if let Some(anchor) = &anchor {
                resize.observe(anchor.element());
            }
            if let Some(root) = panel::document().document_element() {
                resize.observe(&root);
            }
        }
        state.step = Some(OnScreen {
            target: anchor,
            _listeners: listeners,
            _resize: resize,
        });
        frame.show();
        self.layout(state);
        if let Some(frame) = &state.frame {
            frame.focus();
        }
        let update = self.tour.viewed(&state.progress, strategy, now());
        let progress = update.progress().cloned();
        for record in update.records {
            self.emit(Out::Event(
                record.name,
                Value::Object(record.properties).to_json_string(),
            ));
        }
        if let Some(progress) = progress {
            self.store(state, progress);
        }
        if !state.seen {
            state.seen = true;
            self.emit(Out::Outcome("seen"));
        }
    }

    /// Places the popover and the spotlight for the step on screen.
    fn layout(&self, state: &State) {
        let (Some(frame), Some(on_screen), Some(step)) =
            (&state.frame, &state.step, self.step(state))
        else {
            return;
        };
        position::layout(frame, on_screen.target.as_ref(), step);
    }
}
