//! Surveys on screen: a thin shell over `waymark-core`'s [`Run`], which decides everything
//! (which question, its wording, whether an answer is valid, where it leads, the events'
//! properties). This module draws the run's [`Screen`](waymark_core::rules::survey::Screen)
//! in a [`Ui`] frame, turns clicks and keys into answers, and reports through the [`Host`].
//!
//! # Lifecycle
//! - [`show`] reads the definition (`invalid` when it has errors: only a definition written
//!   around the collector can), picks the translation for the request's locale
//!   (`no_translation`, nothing shown, when there is none), opens the frame in the layout
//!   for the viewport (a bottom sheet under 640 px), and sends `$survey_shown` and the
//!   `seen` outcome.
//! - Each answer is sent as it is given (`$survey_answered`; the first also the `answered`
//!   outcome), so a respondent who leaves half-way still counts. A skip sends nothing.
//! - The last answer sends `$survey_completed` and `completed`, then the thank-you shows
//!   (closing by itself after `auto_close_ms`), or, without a thank-you, the survey ends.
//! - The close button and Escape on a question send `$survey_dismissed` (with the question
//!   reached) and `dismissed`; on the thank-you they only close it.
//! - Whatever the end, the frame goes first and `host.ended(id, reason)` follows, once:
//!   `completed`, `dismissed`, `closed` when the runtime took it down, or `removed` when the
//!   page took the frame away (a framework re-rendering `body`): nothing is recorded then.
//!
//! # Layout
//! - `screen`: one screen's DOM and the state of its controls.
//! - `words`: the controls' words: the survey's `labels`, else the built-in words (en, fr,
//!   de, es; English otherwise).

mod screen;
mod words;

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use gloo_events::{EventListener, EventListenerOptions};
use gloo_timers::callback::Timeout;
use wasm_bindgen::{JsCast, JsValue};
use waymark_core::encode::WriteJson;
use waymark_core::protocol::survey as events;
use waymark_core::rules::survey::{Advance, AnswerProblem, Layout, Run, Survey};
use waymark_core::rules::Severity;
use waymark_core::{Properties, Value};
use web_sys::{Element, KeyboardEvent};

use crate::ui::{Options, Ui};
use crate::Host;
use screen::Screen;

/// The survey's own styles, after the frame's base.
const CSS: &str = ".p{width:360px;max-width:calc(100vw - 32px)}\
.br{inset:auto 16px 16px auto}.bl{inset:auto auto 16px 16px}.tr{inset:16px 16px auto auto}.tl{inset:16px auto auto 16px}\
.m{width:440px;margin:auto}\
.s{inset:auto 0 0;width:100%;max-width:100%;border-radius:var(--waymark-radius,12px) var(--waymark-radius,12px) 0 0}\
.h,.e{display:flex;justify-content:space-between;gap:8px;font-size:12px;color:#4b5563}\
.h{align-items:center;min-height:32px}.h p{margin:0}.e{margin:4px 0 0}\
.x{margin-inline-start:auto;border:0;background:none;font-size:20px;line-height:1;min-width:32px;min-height:32px;cursor:pointer;border-radius:6px}\
h2{font-size:16px;font-weight:600;margin:4px 0 12px}\
.r{display:flex;gap:4px}\
.r button,.o button,.f button,textarea{border:1px solid #9ca3af;border-radius:6px;background:none;cursor:pointer}\
.r button,.o button{min-height:36px}.r button{flex:1;min-width:0;padding:0}\
.st button{border:0;font-size:24px;color:#6b7280}.st .on{color:#b45309}\
.r:not(.st) [aria-checked=true],.o [aria-checked=true],.f .go{background:var(--waymark-accent,#4f46e5);color:var(--waymark-accent-text,#fff);border-color:transparent}\
.o{display:grid;gap:6px}.o button{text-align:start;padding:8px 12px}\
textarea{width:100%;min-height:80px;padding:8px;resize:vertical;cursor:text}\
.er{color:#b91c1c;font-size:13px;margin:8px 0 0}.er:empty{display:none}\
.f{display:flex;justify-content:flex-end;gap:8px;margin-top:12px}.f button{padding:8px 14px}";

/// A survey on screen.
#[derive(Debug)]
pub struct Showing {
    shared: Rc<Shared>,
}

/// What the showing and its listeners share.
#[derive(Debug)]
struct Shared {
    id: String,
    host: Host,
    /// `None` once it has ended.
    live: RefCell<Option<Live>>,
    /// `close()` came while a handler was running (from a host callback): the handler ends
    /// the survey when it returns.
    closing: Cell<bool>,
}

/// Everything on screen, dropped as one.
#[derive(Debug)]
struct Live {
    run: Run,
    /// Whether the `answered` outcome was sent.
    answered: bool,
    screen: Screen,
    /// The thank-you's auto-close.
    timer: Option<Timeout>,
    _listeners: [EventListener; 3],
    _removal: Option<crate::ui::Removal>,
    // Last, so the listeners on its panel go before the frame itself.
    ui: Ui,
}

/// What a click or key asks for.
enum Action {
    Dismiss,
    Back,
    Skip,
    Next,
    Pick(usize),
}

impl Showing {
    /// The page navigated: a survey stays across single-page navigations.
    pub fn navigated(&self, _url: &str) {}

    /// Takes it down at once, recording nothing, then `ended(id, "closed")`.
    pub fn close(&self) {
        if self.shared.live.try_borrow_mut().is_ok() {
            self.shared.end("closed");
        } else {
            self.shared.closing.set(true);
        }
    }
}

/// Shows a survey, or ends at once with the reason it cannot.
pub fn show(request: &JsValue, host: Host) -> Option<Showing> {
    let id = crate::request_id(request);
    let run = match start(request, &id) {
        Ok(run) => run,
        Err(reason) => {
            host.ended(&id, reason);
            return None;
        }
    };
    let shared = Rc::new(Shared {
        id,
        host,
        live: RefCell::new(None),
        closing: Cell::new(false),
    });
    match open(&shared, run) {
        Some(live) => {
            if let Ok(mut slot) = shared.live.try_borrow_mut() {
                *slot = Some(live);
            }
            let shown = shared
                .live
                .try_borrow()
                .ok()
                .and_then(|l| l.as_ref().map(|l| l.run.shown_properties()));
            if let Some(properties) = shown {
                shared.send(events::SHOWN, properties);
            }
            shared.host.outcome(&shared.id, "seen");
            Some(Showing { shared })
        }
        None => {
            shared.host.ended(&shared.id, "no_document");
            None
        }
    }
}

/// Reads the request into a run on its first question, or the reason it cannot show.
fn start(request: &JsValue, id: &str) -> Result<Run, &'static str> {
    let field = |name: &str| {
        js_sys::Reflect::get(request, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
    };
    let definition = waymark_browser::json::json(&field("definition")).map_err(|_| "invalid")?;
    let mut diagnostics = Vec::new();
    let survey = Survey::from_json(&definition, id, "", &mut diagnostics);
    if diagnostics.iter().any(|d| d.severity == Severity::Error) {
        return Err("invalid");
    }
    let user_locale = field("locale").as_string();
    let locale = survey
        .locale_for(user_locale.as_deref())
        .ok_or("no_translation")?;
    let response = field("responseId").as_string().unwrap_or_default();
    survey.start(locale, &response).ok_or("invalid")
}

/// Opens the frame and draws the first question.
fn open(shared: &Rc<Shared>, run: Run) -> Option<Live> {
    let width = web_sys::window()?
        .inner_width()
        .ok()?
        .as_f64()
        .unwrap_or(0.0);
    let layout = run.survey().layout_for(width as u32);
    let (modal, class) = frame(layout);
    let theme = run.survey().theme.declarations();
    let weak = Rc::downgrade(shared);
    let ui = Ui::open(
        &Options {
            tag: "waymark-survey",
            css: CSS,
            theme: &theme,
            modal,
            // A survey appears unasked: it never takes the keys from someone typing.
            polite: !modal,
            class,
        },
        move || act(&weak, Action::Dismiss),
    )?;
    let click = {
        let weak = Rc::downgrade(shared);
        EventListener::new(ui.panel(), "click", move |event| {
            let Some(button) = event
                .target()
                .and_then(|t| t.dyn_into::<Element>().ok())
                .and_then(|t| t.closest("button").ok().flatten())
            else {
                return;
            };
            let action = match button.get_attribute("data-a").as_deref() {
                Some("x") => Action::Dismiss,
                Some("b") => Action::Back,
                Some("s") => Action::Skip,
                Some("n") => Action::Next,
                Some("o") => match option_index(&weak, &button) {
                    Some(i) => Action::Pick(i),
                    None => return,
                },
                _ => return,
            };
            act(&weak, action);
        })
    };
    let keys = {
        let weak = Rc::downgrade(shared);
        EventListener::new_with_options(
            ui.panel(),
            "keydown",
            EventListenerOptions::enable_prevent_default(),
            move |event| {
                let (Some(key), Some(target)) = (
                    event.dyn_ref::<KeyboardEvent>(),
                    event.target().and_then(|t| t.dyn_into::<Element>().ok()),
                ) else {
                    return;
                };
                let Some(i) = option_index(&weak, &target) else {
                    return;
                };
                let action = {
                    let Some(shared) = weak.upgrade() else { return };
                    let Ok(mut slot) = shared.live.try_borrow_mut() else {
                        return;
                    };
                    let Some(live) = slot.as_mut() else { return };
                    live.screen.key(i, &key.key())
                };
                if let Some(action) = action {
                    key.prevent_default();
                    act(&weak, action);
                }
            },
        )
    };
    let resize = {
        let weak = Rc::downgrade(shared);
        let window: web_sys::EventTarget = web_sys::window()?.into();
        EventListener::new(&window, "resize", move |_| resized(&weak))
    };
    let removal = {
        let weak = Rc::downgrade(shared);
        ui.watch_removal(move || {
            if let Some(shared) = weak.upgrade() {
                shared.end("removed");
            }
        })
    };
    let screen = Screen::draw(&ui, &run)?;
    Some(Live {
        run,
        answered: false,
        screen,
        timer: None,
        _listeners: [click, keys, resize],
        _removal: removal,
        ui,
    })
}

/// Whether a layout is modal, and its panel class.
fn frame(layout: Layout) -> (bool, &'static str) {
    match layout {
        Layout::Modal => (true, "m"),
        Layout::BottomSheet => (false, "s"),
        Layout::Popover(corner) => (
            false,
            match corner.name() {
                "bottom-left" => "bl",
                "top-right" => "tr",
                "top-left" => "tl",
                _ => "br",
            },
        ),
    }
}

/// The viewport was resized: a popover becomes a bottom sheet below 640 px and back above
/// (a modal stays a modal once open: turning a dialog into a popover would move focus).
fn resized(weak: &Weak<Shared>) {
    let Some(shared) = weak.upgrade() else { return };
    let Ok(slot) = shared.live.try_borrow() else {
        return;
    };
    let Some(live) = slot.as_ref() else { return };
    let width = web_sys::window()
        .and_then(|w| w.inner_width().ok())
        .and_then(|w| w.as_f64())
        .unwrap_or(0.0);
    let (modal, class) = frame(live.run.survey().layout_for(width as u32));
    if !modal && live.ui.panel().tag_name() != "DIALOG" {
        live.ui.set_class(class);
    }
}

/// The index of `element` among the current screen's options.
fn option_index(weak: &Weak<Shared>, element: &Element) -> Option<usize> {
    let shared = weak.upgrade()?;
    let slot = shared.live.try_borrow().ok()?;
    slot.as_ref()?.screen.option_index(element)
}

/// Runs an action, then ends the survey if it asked to, or if `close()` came meanwhile.
fn act(weak: &Weak<Shared>, action: Action) {
    let Some(shared) = weak.upgrade() else { return };
    let end = match shared.live.try_borrow_mut() {
        Ok(mut slot) => match slot.as_mut() {
            Some(live) => live.act(action, &shared),
            None => None,
        },
        Err(_) => None,
    };
    if let Some(reason) = end {
        shared.end(reason);
    } else if shared.closing.get() {
        shared.end("closed");
    }
}

impl Shared {
    /// Takes everything off the screen, then tells the host, once.
    fn end(&self, reason: &str) {
        let taken = match self.live.try_borrow_mut() {
            Ok(mut slot) => slot.take(),
            Err(_) => None,
        };
        if taken.is_some() {
            drop(taken);
            self.host.ended(&self.id, reason);
        }
    }

    fn send(&self, name: &str, properties: Properties) {
        self.host
            .event(name, &Value::Object(properties).to_json_string());
    }

    fn timer_fired(weak: &Weak<Shared>) {
        if let Some(shared) = weak.upgrade() {
            shared.end("completed");
        }
    }
}

impl Live {
    /// Does what was asked; `Some(reason)` to end the survey.
    fn act(&mut self, action: Action, shared: &Rc<Shared>) -> Option<&'static str> {
        match action {
            Action::Dismiss => match self.run.dismissed_properties() {
                Some(properties) => {
                    shared.send(events::DISMISSED, properties);
                    shared.host.outcome(&shared.id, "dismissed");
                    Some("dismissed")
                }
                // Closing the thank-you is not a dismissal.
                None => Some("completed"),
            },
            Action::Back => {
                if self.run.back() {
                    self.redraw()?;
                }
                None
            }
            Action::Skip => {
                let result = self.run.skip();
                self.advanced(result, None, shared)
            }
            Action::Next => {
                let question = self.run.question().map(|q| (q.id.to_owned(), q.optional));
                let (question, optional) = question?;
                let result = match self.screen.answer() {
                    Some(answer) => self.run.answer(answer),
                    None if optional => self.run.skip(),
                    None => Err(AnswerProblem::Required),
                };
                self.advanced(result, Some(&question), shared)
            }
            Action::Pick(i) => {
                self.screen.pick(i);
                None
            }
        }
    }

    /// After an answer or a skip: sends what was answered, then moves on or shows what is
    /// wrong.
    fn advanced(
        &mut self,
        result: Result<Advance, AnswerProblem>,
        question: Option<&str>,
        shared: &Rc<Shared>,
    ) -> Option<&'static str> {
        let advance = match result {
            Ok(advance) => advance,
            Err(problem) => {
                let message = self.screen.error(&problem, &self.run);
                self.ui.announce(&message);
                return None;
            }
        };
        if let Some(properties) = question.and_then(|q| self.run.answer_properties(q)) {
            shared.send(events::ANSWERED, properties);
            if !self.answered {
                self.answered = true;
                shared.host.outcome(&shared.id, "answered");
            }
        }
        if !matches!(advance, Advance::Next) {
            if let Some(properties) = self.run.completed_properties() {
                shared.send(events::COMPLETED, properties);
            }
            shared.host.outcome(&shared.id, "completed");
        }
        match advance {
            Advance::Next => {
                self.redraw()?;
                None
            }
            Advance::ThankYou { auto_close_ms } => {
                self.redraw()?;
                if auto_close_ms > 0 {
                    let weak = Rc::downgrade(shared);
                    self.timer = Some(Timeout::new(auto_close_ms, move || {
                        Shared::timer_fired(&weak);
                    }));
                }
                None
            }
            Advance::Close => Some("completed"),
        }
    }

    /// Draws the run's current screen in place of the last.
    fn redraw(&mut self) -> Option<()> {
        self.screen = Screen::draw(&self.ui, &self.run)?;
        Some(())
    }
}

#[cfg(test)]
mod tests;
