//! Running a survey: the [`Run`] a renderer drives, answer by answer, and the event
//! properties of each step.

use super::*;

impl Survey {
    /// Starts a showing in `locale` (one from [`Survey::locale_for`]) under `response_id` (a
    /// fresh id that every event of this showing carries). `None` when the survey does not
    /// offer that locale or has no questions (only a survey whose configuration had errors,
    /// which arbitration never shows).
    #[must_use]
    pub fn start(&self, locale: &str, response_id: &str) -> Option<Run> {
        let locale = self
            .locales
            .iter()
            .find(|l| l.eq_ignore_ascii_case(locale))?
            .clone();
        if self.questions.is_empty() {
            return None;
        }
        Some(Run {
            survey: self.clone(),
            locale,
            response: response_id.to_owned(),
            at: At::Question(0),
            path: Vec::new(),
            answers: vec![None; self.questions.len()],
        })
    }
}
use crate::rules::bucket;
use crate::rules::js;
use crate::rules::locale::Localized;
use crate::value::{Properties, Value};

/// An answer as the renderer gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// A point on a rating scale (NPS, CES, CSAT).
    Rating(i32),
    /// A single choice's id.
    Choice(String),
    /// Multiple choices' ids.
    Choices(Vec<String>),
    /// Open text.
    Text(String),
}

/// Why an answer was not taken. The question stays on screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnswerProblem {
    /// The survey is past its questions.
    Finished,
    /// The answer is not of the question's kind (a choice for a rating).
    WrongKind,
    /// A rating off the scale.
    OutOfRange {
        /// The lowest point.
        min: i32,
        /// The highest point.
        max: i32,
    },
    /// A choice the question does not have.
    UnknownChoice(String),
    /// The same choice twice.
    DuplicateChoice(String),
    /// Fewer choices than the question needs.
    TooFewChoices {
        /// The fewest allowed.
        min: usize,
    },
    /// More choices than the question allows.
    TooManyChoices {
        /// The most allowed.
        max: usize,
    },
    /// An exclusive choice ("None of these") together with others.
    ExclusiveChoice(String),
    /// Text longer than the question allows.
    TooLong {
        /// The most characters allowed.
        max_length: u32,
    },
    /// The question is not optional: it cannot be skipped or left empty.
    Required,
}

/// What follows an answer or a skip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Advance {
    /// Another question: show [`Run::question`].
    Next,
    /// The survey is complete: show the thank-you, and close it after `auto_close_ms`
    /// (0: only when the respondent closes it).
    ThankYou {
        /// How long it stays, in milliseconds.
        auto_close_ms: u32,
    },
    /// The survey is complete and has no thank-you: close it now.
    Close,
}

/// A choice as shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChoiceView<'a> {
    /// Its id, to answer with.
    pub id: &'a str,
    /// Its label in the run's locale.
    pub label: &'a str,
    /// Chosen only alone; selecting it should clear the others, and selecting another clear it.
    pub exclusive: bool,
}

/// What the respondent answers with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input<'a> {
    /// A row of points.
    Rating {
        /// The points and which end is best.
        scale: Scale,
        /// Numbers or stars.
        display: Display,
        /// Beside the lowest point (may be empty).
        low: &'a str,
        /// Beside the highest point (may be empty).
        high: &'a str,
    },
    /// Choices, in the order to show them.
    Choices {
        /// The choices.
        choices: Vec<ChoiceView<'a>>,
        /// Check boxes (`true`) or radio buttons.
        multiple: bool,
        /// The fewest selections.
        min: usize,
        /// The most selections.
        max: usize,
    },
    /// A text field.
    Text {
        /// Shown in the empty field (may be empty).
        placeholder: &'a str,
        /// The longest answer, in characters.
        max_length: u32,
    },
}

/// Everything a renderer needs to show the current question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuestionView<'a> {
    /// The question's id.
    pub id: &'a str,
    /// Its type.
    pub question_type: QuestionType,
    /// The question, in the run's locale and worded for the respondent's NPS band.
    pub text: &'a str,
    /// Whether it may be skipped (show a skip button).
    pub optional: bool,
    /// How to answer it.
    pub input: Input<'a>,
    /// The answer given before, when the respondent comes back to it.
    pub initial: Option<Answer>,
    /// Its place on the path taken, from 1.
    pub number: usize,
    /// The most questions this showing can have: exact without branching, never growing.
    pub total_at_most: usize,
    /// Every path ends after this question.
    pub last: bool,
    /// Whether [`Run::back`] has a question to return to.
    pub can_go_back: bool,
}

/// What is on screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Screen<'a> {
    /// A question.
    Question(QuestionView<'a>),
    /// The thank-you.
    ThankYou {
        /// Its text.
        text: &'a str,
        /// How long it stays, in milliseconds (0: until closed).
        auto_close_ms: u32,
    },
    /// Nothing: the survey is complete and closed.
    Closed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum At {
    Question(usize),
    ThankYou,
    Closed,
}

/// A checked answer, as kept by a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Given {
    Rating(i32),
    Choice(usize),
    /// In the question's order.
    Choices(Vec<usize>),
    /// Trimmed.
    Text(String),
    Skipped,
}

impl Test {
    fn holds(&self, given: &Given) -> bool {
        match (self, given) {
            (Test::Answered(answered), given) => matches!(given, Given::Skipped) != *answered,
            (Test::In(ids), Given::Choice(c)) => ids.contains(c),
            (Test::In(ids), Given::Choices(chosen)) => chosen.iter().any(|c| ids.contains(c)),
            (Test::Eq(n), Given::Rating(r)) => r == n,
            (Test::Lte(n), Given::Rating(r)) => r <= n,
            (Test::Gte(n), Given::Rating(r)) => r >= n,
            _ => false,
        }
    }
}

/// One showing of a survey: which question is on screen, the answers so far, and the path
/// taken. It owns a copy of its survey, so the shell can keep it for as long as it shows.
#[derive(Clone, Debug)]
pub struct Run {
    survey: Survey,
    locale: String,
    response: String,
    at: At,
    /// The questions shown before the current one, in order.
    path: Vec<usize>,
    /// Per question, the last answer given (kept when going back).
    answers: Vec<Option<Given>>,
}

impl Run {
    /// The survey.
    #[must_use]
    pub fn survey(&self) -> &Survey {
        &self.survey
    }

    /// The locale shown.
    #[must_use]
    pub fn locale(&self) -> &str {
        &self.locale
    }

    /// The survey's own word for `word` in the locale shown, if it gives one (`labels`);
    /// `None`: the renderer's built-in word.
    #[must_use]
    pub fn label(&self, word: ControlWord) -> Option<&str> {
        self.survey.labels.get(word).map(|text| self.local(text))
    }

    /// The response id.
    #[must_use]
    pub fn response_id(&self) -> &str {
        &self.response
    }

    /// What to draw now.
    #[must_use]
    pub fn screen(&self) -> Screen<'_> {
        match self.at {
            At::Question(_) => self.question().map_or(Screen::Closed, Screen::Question),
            At::ThankYou => Screen::ThankYou {
                text: self.survey.thank_you.as_ref().map_or("", |t| self.local(t)),
                auto_close_ms: self.survey.auto_close_ms,
            },
            At::Closed => Screen::Closed,
        }
    }

    /// The question on screen; `None` once the survey is complete.
    #[must_use]
    pub fn question(&self) -> Option<QuestionView<'_>> {
        let At::Question(i) = self.at else {
            return None;
        };
        let question = self.survey.questions.get(i)?;
        let text = self
            .band()
            .and_then(|band| question.text_by_band.get(band))
            .unwrap_or(&question.text);
        let remaining = self.survey.remaining.get(i).copied().unwrap_or(1);
        Some(QuestionView {
            id: &question.id,
            question_type: question.question_type(),
            text: self.local(text),
            optional: question.optional,
            input: self.input(question),
            initial: self.initial(i, question),
            number: self.path.len() + 1,
            total_at_most: self.path.len() + remaining,
            last: remaining <= 1,
            can_go_back: !self.path.is_empty(),
        })
    }

    /// Answers the question on screen and moves on, or says what is wrong with the answer
    /// (the question then stays). An empty answer to an optional text or multiple-choice
    /// question is a skip.
    pub fn answer(&mut self, answer: Answer) -> Result<Advance, AnswerProblem> {
        let At::Question(i) = self.at else {
            return Err(AnswerProblem::Finished);
        };
        let question = self
            .survey
            .questions
            .get(i)
            .ok_or(AnswerProblem::Finished)?;
        let given = check(question, answer)?;
        Ok(self.record(i, given))
    }

    /// Skips the question on screen, if it is optional.
    pub fn skip(&mut self) -> Result<Advance, AnswerProblem> {
        let At::Question(i) = self.at else {
            return Err(AnswerProblem::Finished);
        };
        match self.survey.questions.get(i) {
            Some(question) if question.optional => Ok(self.record(i, Given::Skipped)),
            Some(_) => Err(AnswerProblem::Required),
            None => Err(AnswerProblem::Finished),
        }
    }

    /// Returns to the question shown before this one, with its answer as the initial
    /// value. `false`, and nothing changes, on the first question or once the survey is
    /// complete (its answers are in).
    pub fn back(&mut self) -> bool {
        if !matches!(self.at, At::Question(_)) {
            return false;
        }
        match self.path.pop() {
            Some(previous) => {
                self.at = At::Question(previous);
                true
            }
            None => false,
        }
    }

    /// The properties of `$survey_shown`.
    #[must_use]
    pub fn shown_properties(&self) -> Properties {
        self.properties(3)
    }

    /// The properties of `$survey_answered` for the answer given to `question` (an id);
    /// `None` when it has none (never answered, or skipped: a skip sends no event).
    #[must_use]
    pub fn answer_properties(&self, question: &str) -> Option<Properties> {
        let (i, asked) = self
            .survey
            .questions
            .iter()
            .enumerate()
            .find(|(_, q)| q.id == question)?;
        let choice_id = |c: &usize| {
            Value::from(
                asked
                    .choices()
                    .get(*c)
                    .map_or("", |choice| choice.id.as_str()),
            )
        };
        let value = match self.answers.get(i)?.as_ref()? {
            Given::Rating(n) => Value::Number(f64::from(*n)),
            Given::Choice(c) => choice_id(c),
            Given::Choices(chosen) => Value::Array(chosen.iter().map(choice_id).collect()),
            Given::Text(text) => Value::from(text.as_str()),
            Given::Skipped => return None,
        };
        let mut properties = self.properties(7);
        properties.insert("question".into(), Value::from(asked.id.as_str()));
        properties.insert(
            "question_type".into(),
            Value::from(asked.question_type().name()),
        );
        properties.insert("value".into(), value);
        if let Some(scale) = asked.scale() {
            let mut object = Properties::with_capacity(3);
            object.insert("min".into(), Value::Number(f64::from(scale.min)));
            object.insert("max".into(), Value::Number(f64::from(scale.max)));
            object.insert("direction".into(), Value::from(scale.direction.name()));
            properties.insert("scale".into(), Value::Object(object));
        }
        Some(properties)
    }

    /// The properties of `$survey_completed`; `None` until the survey is complete.
    #[must_use]
    pub fn completed_properties(&self) -> Option<Properties> {
        (!matches!(self.at, At::Question(_))).then(|| self.properties(3))
    }

    /// The properties of `$survey_dismissed`, naming the question on screen; `None` once
    /// the survey is complete (closing the thank-you is not a dismissal).
    #[must_use]
    pub fn dismissed_properties(&self) -> Option<Properties> {
        let At::Question(i) = self.at else {
            return None;
        };
        let question = self.survey.questions.get(i)?;
        let mut properties = self.properties(4);
        properties.insert("question".into(), Value::from(question.id.as_str()));
        Some(properties)
    }

    fn properties(&self, capacity: usize) -> Properties {
        let mut properties = Properties::with_capacity(capacity);
        properties.insert("survey".into(), Value::from(self.survey.id.as_str()));
        properties.insert("response".into(), Value::from(self.response.as_str()));
        properties.insert("locale".into(), Value::from(self.locale.as_str()));
        properties
    }

    fn local<'a>(&self, text: &'a Localized) -> &'a str {
        // The run's locale is one every text has, so the fallback is never used.
        text.get(&self.locale).unwrap_or("")
    }

    /// The band of the most recent NPS answer on the path before the current question.
    fn band(&self) -> Option<Band> {
        self.path.iter().rev().find_map(|&i| {
            let question = self.survey.questions.get(i)?;
            match (&question.kind, self.answers.get(i)?) {
                (QuestionKind::Nps { .. }, Some(Given::Rating(score))) => Some(Band::of(*score)),
                _ => None,
            }
        })
    }

    fn input<'a>(&'a self, question: &'a Question) -> Input<'a> {
        let labels = |labels: Option<&'a Labels>| {
            labels.map_or(("", ""), |l| (self.local(&l.low), self.local(&l.high)))
        };
        let rating = |display, ends: Option<&'a Labels>| {
            let (low, high) = labels(ends);
            Input::Rating {
                scale: question.scale().unwrap_or(Scale {
                    min: 0,
                    max: 0,
                    direction: Direction::Ascending,
                }),
                display,
                low,
                high,
            }
        };
        let choices = |choices: &'a [Choice], shuffle: bool| {
            display_order(&self.response, &question.id, choices, shuffle)
                .into_iter()
                .filter_map(|c| choices.get(c))
                .map(|c| ChoiceView {
                    id: &c.id,
                    label: self.local(&c.label),
                    exclusive: c.exclusive,
                })
                .collect()
        };
        match &question.kind {
            QuestionKind::Nps { labels } | QuestionKind::Ces { labels, .. } => {
                rating(Display::Numbers, Some(labels))
            }
            QuestionKind::Csat { display, labels } => rating(*display, labels.as_ref()),
            QuestionKind::Single {
                choices: list,
                shuffle,
            } => Input::Choices {
                choices: choices(list, *shuffle),
                multiple: false,
                min: 1,
                max: 1,
            },
            QuestionKind::Multiple {
                choices: list,
                shuffle,
                min,
                max,
            } => Input::Choices {
                choices: choices(list, *shuffle),
                multiple: true,
                min: *min,
                max: *max,
            },
            QuestionKind::Text {
                placeholder,
                max_length,
            } => Input::Text {
                placeholder: placeholder.as_ref().map_or("", |p| self.local(p)),
                max_length: *max_length,
            },
        }
    }

    fn initial(&self, i: usize, question: &Question) -> Option<Answer> {
        let id = |c: &usize| question.choices().get(*c).map(|c| c.id.clone());
        Some(match self.answers.get(i)?.as_ref()? {
            Given::Rating(n) => Answer::Rating(*n),
            Given::Choice(c) => Answer::Choice(id(c)?),
            Given::Choices(chosen) => Answer::Choices(chosen.iter().filter_map(id).collect()),
            Given::Text(text) => Answer::Text(text.clone()),
            Given::Skipped => return None,
        })
    }

    /// Keeps the answer to question `i` and moves to where its branch rules lead.
    fn record(&mut self, i: usize, given: Given) -> Advance {
        let rule = self.survey.questions.get(i).and_then(|q| {
            q.branch
                .iter()
                .find(|rule| rule.when.iter().all(|test| test.holds(&given)))
        });
        let target = rule.map_or_else(|| next(self.survey.questions.len(), i), |rule| rule.to);
        if let Some(slot) = self.answers.get_mut(i) {
            *slot = Some(given);
        }
        match target {
            Target::Question(j) => {
                self.path.push(i);
                self.at = At::Question(j);
                Advance::Next
            }
            Target::End if self.survey.thank_you.is_some() => {
                self.at = At::ThankYou;
                Advance::ThankYou {
                    auto_close_ms: self.survey.auto_close_ms,
                }
            }
            Target::End => {
                self.at = At::Closed;
                Advance::Close
            }
        }
    }
}

/// The question after `i` when no branch rule decides.
pub(super) fn next(count: usize, i: usize) -> Target {
    if i + 1 < count {
        Target::Question(i + 1)
    } else {
        Target::End
    }
}

/// Checks an answer against its question.
pub(super) fn check(question: &Question, answer: Answer) -> Result<Given, AnswerProblem> {
    let find = |id: &str, choices: &[Choice]| {
        choices
            .iter()
            .position(|c| c.id == id)
            .ok_or_else(|| AnswerProblem::UnknownChoice(id.to_owned()))
    };
    match (&question.kind, answer) {
        (_, Answer::Rating(n)) => {
            let scale = question.scale().ok_or(AnswerProblem::WrongKind)?;
            if (scale.min..=scale.max).contains(&n) {
                Ok(Given::Rating(n))
            } else {
                Err(AnswerProblem::OutOfRange {
                    min: scale.min,
                    max: scale.max,
                })
            }
        }
        (QuestionKind::Single { choices, .. }, Answer::Choice(id)) => {
            find(&id, choices).map(Given::Choice)
        }
        (
            QuestionKind::Multiple {
                choices, min, max, ..
            },
            Answer::Choices(ids),
        ) => {
            if ids.is_empty() && question.optional {
                return Ok(Given::Skipped);
            }
            let mut chosen = Vec::with_capacity(ids.len());
            for id in &ids {
                let c = find(id, choices)?;
                if chosen.contains(&c) {
                    return Err(AnswerProblem::DuplicateChoice(id.clone()));
                }
                chosen.push(c);
            }
            if chosen.len() < *min {
                return Err(AnswerProblem::TooFewChoices { min: *min });
            }
            if chosen.len() > *max {
                return Err(AnswerProblem::TooManyChoices { max: *max });
            }
            if chosen.len() > 1 {
                if let Some(alone) = choices.iter().enumerate().find_map(|(c, choice)| {
                    (choice.exclusive && chosen.contains(&c)).then_some(choice)
                }) {
                    return Err(AnswerProblem::ExclusiveChoice(alone.id.clone()));
                }
            }
            chosen.sort_unstable();
            Ok(Given::Choices(chosen))
        }
        (QuestionKind::Text { max_length, .. }, Answer::Text(text)) => {
            let trimmed = text.trim();
            if trimmed.is_empty() {
                return if question.optional {
                    Ok(Given::Skipped)
                } else {
                    Err(AnswerProblem::Required)
                };
            }
            if trimmed.chars().count() > *max_length as usize {
                return Err(AnswerProblem::TooLong {
                    max_length: *max_length,
                });
            }
            Ok(Given::Text(trimmed.to_owned()))
        }
        _ => Err(AnswerProblem::WrongKind),
    }
}

/// The order to show choices in: as configured, or, when shuffled, the choices that are not
/// `fixed` permuted among their places by a generator seeded with the response and question
/// ids, so one response always sees one order.
pub(super) fn display_order(
    response: &str,
    question: &str,
    choices: &[Choice],
    shuffle: bool,
) -> Vec<usize> {
    let mut order: Vec<usize> = (0..choices.len()).collect();
    if !shuffle {
        return order;
    }
    let movable: Vec<usize> = choices
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.fixed)
        .map(|(i, _)| i)
        .collect();
    let mut seed = String::with_capacity(response.len() + question.len() + 1);
    seed.push_str(response);
    seed.push(':');
    seed.push_str(question);
    // xorshift32 needs a non-zero state.
    let mut state = bucket::fnv1a32(&seed) | 1;
    for k in (1..movable.len()).rev() {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let j = state as usize % (k + 1);
        if let (Some(&a), Some(&b)) = (movable.get(k), movable.get(j)) {
            order.swap(a, b);
        }
    }
    order
}

/// Where question `i` may lead: its rules' targets up to the first that always holds, then
/// the next question unless such a rule stops it.
pub(super) fn successors(questions: &[Question], i: usize) -> Vec<Target> {
    let mut targets = Vec::new();
    if let Some(question) = questions.get(i) {
        for rule in &question.branch {
            targets.push(rule.to);
            if rule.when.is_empty() {
                return targets;
            }
        }
    }
    targets.push(next(questions.len(), i));
    targets
}

/// For each question, the most questions a path from it shows, itself included. Targets
/// are always later questions, so one pass from the end suffices.
pub(super) fn remaining(questions: &[Question]) -> Vec<usize> {
    let mut remaining = vec![1; questions.len()];
    for i in (0..questions.len()).rev() {
        let longest = successors(questions, i)
            .into_iter()
            .map(|target| match target {
                Target::Question(j) => remaining.get(j).copied().unwrap_or(0),
                Target::End => 0,
            })
            .max()
            .unwrap_or(0);
        if let Some(slot) = remaining.get_mut(i) {
            *slot = longest + 1;
        }
    }
    remaining
}

pub(super) fn index(i: usize) -> String {
    js::number_to_string(i as f64)
}

/// A whole number from `lo` to `hi`.
pub(super) fn whole(value: Option<&Value>, lo: f64, hi: f64) -> Option<f64> {
    match value {
        Some(Value::Number(n)) if n.fract() == 0.0 && (lo..=hi).contains(n) => Some(*n),
        _ => None,
    }
}
