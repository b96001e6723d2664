//! One screen of a survey in the frame: the question (or the thank-you), its controls,
//! their state, and reading an answer back from them.
//!
//! Rating scales and single choices are radio groups with a roving tabindex: one option is
//! in the Tab order (the chosen one, else the first), the arrow keys, Home and End move the
//! choice, Enter answers. Multiple choices are check boxes, each in the Tab order; Space
//! toggles, Enter answers. Every text is set with `textContent`.

use wasm_bindgen::JsCast;
use waymark_core::rules::js::number_to_string;
use waymark_core::rules::survey::{
    Answer, AnswerProblem, ControlWord, Display, Input, Run, Screen as Shown,
};
use web_sys::{Element, HtmlTextAreaElement};

use super::words::word;
use super::Action;
use crate::ui::{attrs, element, Ui};

/// What the options are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Points of a scale, from `min`.
    Rating {
        min: i32,
        stars: bool,
    },
    Single,
    Multiple,
    Text,
    ThankYou,
}

/// The screen on display.
#[derive(Debug)]
pub struct Screen {
    kind: Kind,
    /// The option buttons, in display order.
    options: Vec<Element>,
    /// The choice ids, for choice questions, in display order.
    ids: Vec<String>,
    exclusive: Vec<bool>,
    chosen: Vec<bool>,
    field: Option<HtmlTextAreaElement>,
    error: Option<Element>,
    /// The page is right-to-left (direction inherits into the frame): the left and right
    /// arrows swap, as the row does.
    rtl: bool,
}

fn number(n: i64) -> String {
    number_to_string(n as f64)
}

impl Screen {
    /// Draws the run's screen into the frame's content, replacing what was there, and
    /// moves focus to it.
    pub fn draw(ui: &Ui, run: &Run) -> Option<Screen> {
        let document = ui.document();
        let content = ui.content();
        content.set_text_content(None);
        let panel = ui.panel();
        attrs(panel, &[("aria-labelledby", "q"), ("lang", run.locale())]);
        let head = element(document, "div", content, "h")?;
        let mut screen = Screen {
            kind: Kind::ThankYou,
            options: Vec::new(),
            ids: Vec::new(),
            exclusive: Vec::new(),
            chosen: Vec::new(),
            field: None,
            error: None,
            rtl: panel.matches(":dir(rtl)").unwrap_or(false),
        };
        let view = match run.screen() {
            Shown::Question(view) => view,
            Shown::ThankYou { text, .. } => {
                let _ = panel.remove_attribute("aria-describedby");
                let close = close_button(document, &head, run)?;
                let title = element(document, "h2", content, "")?;
                title.set_id("q");
                title.set_text_content(Some(text));
                ui.announce(text);
                ui.focus(Some(&close));
                return Some(screen);
            }
            Shown::Closed => return None,
        };

        let progress = element(document, "p", &head, "")?;
        progress.set_id("d");
        let mut counter = number(view.number as i64);
        counter.push_str(" / ");
        counter.push_str(&number(view.total_at_most as i64));
        progress.set_text_content(Some(&counter));
        attrs(panel, &[("aria-describedby", "d")]);
        close_button(document, &head, run)?;
        let title = element(document, "h2", content, "")?;
        title.set_id("q");
        title.set_text_content(Some(view.text));

        match &view.input {
            Input::Rating {
                scale,
                display,
                low,
                high,
            } => {
                let stars = *display == Display::Stars;
                screen.kind = Kind::Rating {
                    min: scale.min,
                    stars,
                };
                let group = element(document, "div", content, if stars { "r st" } else { "r" })?;
                attrs(&group, &[("role", "radiogroup"), ("aria-labelledby", "q")]);
                for n in scale.min..=scale.max {
                    let label = number(i64::from(n));
                    let option = option(document, &group, "radio")?;
                    if stars {
                        option.set_text_content(Some("★"));
                        attrs(&option, &[("aria-label", &label)]);
                    } else {
                        option.set_text_content(Some(&label));
                    }
                    screen.options.push(option);
                    screen
                        .chosen
                        .push(matches!(view.initial, Some(Answer::Rating(r)) if r == n));
                }
                if !low.is_empty() || !high.is_empty() {
                    let ends = element(document, "p", content, "e")?;
                    ends.set_id("e");
                    attrs(&group, &[("aria-describedby", "e")]);
                    element(document, "span", &ends, "")?.set_text_content(Some(low));
                    element(document, "span", &ends, "")?.set_text_content(Some(high));
                }
            }
            Input::Choices {
                choices, multiple, ..
            } => {
                screen.kind = if *multiple {
                    Kind::Multiple
                } else {
                    Kind::Single
                };
                let group = element(document, "div", content, "o")?;
                attrs(
                    &group,
                    &[
                        ("role", if *multiple { "group" } else { "radiogroup" }),
                        ("aria-labelledby", "q"),
                    ],
                );
                for choice in choices {
                    let option = option(
                        document,
                        &group,
                        if *multiple { "checkbox" } else { "radio" },
                    )?;
                    option.set_text_content(Some(choice.label));
                    screen.options.push(option);
                    screen.ids.push(choice.id.to_owned());
                    screen.exclusive.push(choice.exclusive);
                    screen.chosen.push(match &view.initial {
                        Some(Answer::Choice(id)) => id == choice.id,
                        Some(Answer::Choices(ids)) => ids.iter().any(|id| id == choice.id),
                        _ => false,
                    });
                }
            }
            Input::Text {
                placeholder,
                max_length,
            } => {
                screen.kind = Kind::Text;
                let field: HtmlTextAreaElement = element(document, "textarea", content, "")?
                    .dyn_into()
                    .ok()?;
                let limit = number(i64::from(*max_length));
                attrs(
                    &field,
                    &[
                        ("aria-labelledby", "q"),
                        ("rows", "3"),
                        ("maxlength", &limit),
                    ],
                );
                if !placeholder.is_empty() {
                    attrs(&field, &[("placeholder", placeholder)]);
                }
                if let Some(Answer::Text(text)) = &view.initial {
                    field.set_value(text);
                }
                screen.field = Some(field);
            }
        }
        let error = element(document, "p", content, "er")?;
        error.set_id("r");
        screen.error = Some(error);

        let nav = element(document, "div", content, "f")?;
        if view.can_go_back {
            button(document, &nav, "b", "", word(run, ControlWord::Back))?;
        }
        if view.optional {
            button(document, &nav, "s", "", word(run, ControlWord::Skip))?;
        }
        button(
            document,
            &nav,
            "n",
            "go",
            word(
                run,
                if view.last {
                    ControlWord::Submit
                } else {
                    ControlWord::Next
                },
            ),
        )?;
        screen.refresh();
        let first = match screen.kind {
            Kind::Text => screen.field.clone().map(Element::from),
            _ => screen.tabbable().cloned(),
        };
        ui.focus(first.as_ref());
        Some(screen)
    }

    /// The index of `element` among the options.
    pub fn option_index(&self, element: &Element) -> Option<usize> {
        self.options.iter().position(|o| o == element)
    }

    /// Chooses option `i` (a radio), or toggles it (a check box: choosing an exclusive one
    /// clears the others, and choosing another clears the exclusive ones).
    pub fn pick(&mut self, i: usize) {
        let radio = self.kind != Kind::Multiple;
        let now = radio || !self.chosen.get(i).copied().unwrap_or(false);
        let exclusive = self.exclusive.get(i).copied().unwrap_or(false);
        for (j, chosen) in self.chosen.iter_mut().enumerate() {
            if j == i {
                *chosen = now;
            } else if radio
                || (now && (exclusive || self.exclusive.get(j).copied().unwrap_or(false)))
            {
                *chosen = false;
            }
        }
        self.refresh();
        if let Some(error) = &self.error {
            error.set_text_content(None);
        }
    }

    /// What a key on option `i` does: arrows, Home and End move a radio group's choice (and
    /// focus), Space chooses (or toggles), Enter answers.
    pub fn key(&mut self, i: usize, key: &str) -> Option<Action> {
        let count = self.options.len();
        match key {
            "Enter" => {
                if self.kind != Kind::Multiple {
                    self.pick(i);
                }
                return Some(Action::Next);
            }
            // Handled here rather than by the button's click, so that it works the same
            // for every way a key reaches us (the caller prevents the click).
            " " => return Some(Action::Pick(i)),
            _ => {}
        }
        if self.kind == Kind::Multiple || count == 0 {
            return None;
        }
        let key = match (key, self.rtl) {
            ("ArrowRight", true) => "ArrowLeft",
            ("ArrowLeft", true) => "ArrowRight",
            (key, _) => key,
        };
        let to = match key {
            "ArrowRight" | "ArrowDown" => (i + 1) % count,
            "ArrowLeft" | "ArrowUp" => (i + count - 1) % count,
            "Home" => 0,
            "End" => count - 1,
            _ => return None,
        };
        if let Some(option) = self
            .options
            .get(to)
            .and_then(|o| o.dyn_ref::<web_sys::HtmlElement>())
        {
            let _ = option.focus();
        }
        Some(Action::Pick(to))
    }

    /// The answer the controls hold; `None` when nothing is chosen in a radio group.
    pub fn answer(&self) -> Option<Answer> {
        let first = self.chosen.iter().position(|c| *c);
        match self.kind {
            Kind::Rating { min, .. } => first
                .and_then(|i| i32::try_from(i).ok())
                .map(|i| Answer::Rating(min + i)),
            Kind::Single => first
                .and_then(|i| self.ids.get(i))
                .map(|id| Answer::Choice(id.clone())),
            Kind::Multiple => Some(Answer::Choices(
                self.ids
                    .iter()
                    .zip(&self.chosen)
                    .filter(|(_, chosen)| **chosen)
                    .map(|(id, _)| id.clone())
                    .collect(),
            )),
            Kind::Text => self.field.as_ref().map(|f| Answer::Text(f.value())),
            Kind::ThankYou => None,
        }
    }

    /// Shows what is wrong with the answer under the controls, in the run's words;
    /// returns the message.
    pub fn error(&self, problem: &AnswerProblem, run: &Run) -> String {
        let (control, n) = match problem {
            AnswerProblem::TooFewChoices { min } => (ControlWord::AtLeast, Some(*min as i64)),
            AnswerProblem::TooManyChoices { max } => (ControlWord::AtMost, Some(*max as i64)),
            AnswerProblem::TooLong { max_length } => {
                (ControlWord::TooLong, Some(i64::from(*max_length)))
            }
            AnswerProblem::ExclusiveChoice(_) => (ControlWord::Alone, None),
            _ => (ControlWord::Required, None),
        };
        // `{n}` in the words is the number, for the problems that have one. Found by bytes:
        // `str::split_once` with a `&str` pattern brings a second copy of the two-way
        // searcher into the wasm (0.4 KB raw).
        let text = word(run, control);
        let at = text.as_bytes().windows(3).position(|w| w == b"{n}");
        let message = match (n, at) {
            (Some(n), Some(i)) => {
                let mut message = String::from(text.get(..i).unwrap_or(""));
                message.push_str(&number(n));
                message.push_str(text.get(i + 3..).unwrap_or(""));
                message
            }
            _ => text.to_owned(),
        };
        if let Some(error) = &self.error {
            error.set_text_content(Some(&message));
        }
        let described = if self.kind == Kind::Text {
            self.field.clone().map(Element::from)
        } else {
            None
        };
        if let Some(field) = described {
            attrs(
                &field,
                &[("aria-describedby", "r"), ("aria-invalid", "true")],
            );
        }
        message
    }

    /// The option in the Tab order of a radio group: the chosen one, else the first.
    fn tabbable(&self) -> Option<&Element> {
        let i = self.chosen.iter().position(|c| *c).unwrap_or(0);
        self.options.get(i)
    }

    /// Sets `aria-checked`, the roving tabindex and the stars' fill from `chosen`.
    fn refresh(&self) {
        let radio = self.kind != Kind::Multiple;
        let tabbable = self.tabbable();
        let last = self.chosen.iter().position(|c| *c);
        for (j, (option, chosen)) in self.options.iter().zip(&self.chosen).enumerate() {
            let tab = if !radio || Some(option) == tabbable {
                "0"
            } else {
                "-1"
            };
            attrs(
                option,
                &[
                    ("aria-checked", if *chosen { "true" } else { "false" }),
                    ("tabindex", tab),
                ],
            );
            if matches!(self.kind, Kind::Rating { stars: true, .. }) {
                let on = last.is_some_and(|l| j <= l);
                let _ = option.class_list().toggle_with_force("on", on);
            }
        }
    }
}

/// An option button: `role` radio or checkbox.
fn option(document: &web_sys::Document, group: &Element, role: &str) -> Option<Element> {
    let option = element(document, "button", group, "")?;
    attrs(
        &option,
        &[("type", "button"), ("role", role), ("data-a", "o")],
    );
    Some(option)
}

/// A button that does `action` (`data-a`).
fn button(
    document: &web_sys::Document,
    parent: &Element,
    action: &str,
    class: &str,
    label: &str,
) -> Option<Element> {
    let button = element(document, "button", parent, class)?;
    attrs(&button, &[("type", "button"), ("data-a", action)]);
    button.set_text_content(Some(label));
    Some(button)
}

fn close_button(document: &web_sys::Document, head: &Element, run: &Run) -> Option<Element> {
    let close = button(document, head, "x", "x", "×")?;
    attrs(&close, &[("aria-label", word(run, ControlWord::Close))]);
    Some(close)
}
