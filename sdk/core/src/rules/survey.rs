//! Surveys: what a `"kind": "survey"` experience asks, read from its configuration, and the
//! [`Run`] a renderer drives from the first question to the thank-you.
//!
//! ```json
//! {"id": "nps", "kind": "survey", "trigger": {"page_view": true}, "sample": 0.2,
//!  "survey": {
//!    "default_locale": "en", "layout": "popover", "position": "bottom-right",
//!    "theme": {"accent": "#4f46e5"},
//!    "thank_you": {"en": "Thanks!", "fr": "Merci !"}, "auto_close_ms": 3000,
//!    "questions": [
//!      {"id": "score", "type": "nps", "text": "How likely are you to recommend Ledgerly?",
//!       "labels": {"low": "Not at all likely", "high": "Extremely likely"}},
//!      {"id": "why", "type": "text", "text": "What could we do better?", "optional": true,
//!       "text_by_band": {"detractor": "What disappointed you?", "promoter": "What do you like most?"},
//!       "placeholder": "Your answer", "max_length": 1000},
//!      {"id": "effort", "type": "ces", "scale": 7, "direction": "ascending", "text": "…",
//!       "labels": {"low": "Strongly disagree", "high": "Strongly agree"}},
//!      {"id": "sat", "type": "csat", "display": "stars", "text": "…"},
//!      {"id": "role", "type": "single", "text": "…", "shuffle": true,
//!       "choices": [{"id": "dev", "label": "Developer"}, {"id": "other", "label": "Other", "fixed": true}],
//!       "branch": [{"when": {"in": ["dev"]}, "to": "stack"}, {"to": "end"}]},
//!      {"id": "stack", "type": "multiple", "text": "…", "min": 1, "max": 3,
//!       "choices": [{"id": "rust", "label": "Rust"}, {"id": "none", "label": "None of these", "exclusive": true}]}]}}
//! ```
//!
//! The experience's `trigger`, `audience`, `sample` and `cap` are arbitration's
//! ([`super::arbitration`]); this module reads only the `survey` object.
//!
//! # Questions
//!
//! | `type` | answer | scale |
//! |---|---|---|
//! | `nps` | a whole number | 0–10, ascending; `labels` (`low`, `high`) required |
//! | `ces` | a whole number | 1–`scale` (7, the default, or 5); `direction` `ascending` (default) or `descending`; `labels` required |
//! | `csat` | a whole number | 1–5, ascending; `display` `numbers` (default) or `stars`; `labels` optional |
//! | `single` | one choice id | `choices`, each `{"id", "label"}`; `shuffle` |
//! | `multiple` | choice ids | `choices`; `min` (default 1) to `max` (default all) selections; an `exclusive` choice ("None of these") is only ever chosen alone |
//! | `text` | text | `max_length` characters (default 1000, at most 5000), `placeholder` |
//!
//! Every question has an `id` (unique, not `end`), a `text`, and may be `optional` (default
//! false): an optional question can be skipped, and an optional text question left empty is
//! skipped. A rating's `direction` says which end is the best answer: `ascending` means the
//! highest number. NPS and CSAT are always ascending, so their `direction` (and NPS's `scale`)
//! are not read. A choice marked `fixed` keeps its place when `shuffle` puts the others in an
//! order of their own for each response (derived from the response id, so going back shows
//! the same order).
//!
//! # Texts
//!
//! Every text (question, band wording, label, choice, placeholder, thank-you) is a
//! [`Localized`]: a plain string in the `default_locale` (default `en`) or an object of
//! translations. The survey offers only the locales every text has
//! ([`locale::complete_locales`]), so no one sees a mix of languages; a locale some texts lack
//! is an `incomplete_locale` warning at the first text that lacks it, and a survey complete in
//! no locale is an error. [`Survey::locale_for`] picks the user's locale; `None` means the
//! survey is not for this user.
//!
//! Texts are only ever text: they are kept as written, and the renderer sets them with
//! `textContent`, so `<b>` shows as `<b>`. Nothing here parses or escapes markup.
//!
//! A later question may word itself by the respondent's NPS band (`detractor` 0–6, `passive`
//! 7–8, `promoter` 9–10) with `text_by_band`: the band of the most recent NPS answer on the
//! path taken so far picks the wording; with no such answer, or no wording for that band, the
//! question's `text` shows.
//!
//! # Branching
//!
//! After an answer the question's `branch` rules are tried in order; the first whose `when`
//! holds decides where to go, `to` a later question's id or `"end"`; when none holds, the
//! next question follows (or the end, after the last). `when` is an object whose tests must
//! all hold (no `when`, or `{}`, always holds):
//! - `in`: choice ids; holds when the choice, or any of the choices, is one of them;
//! - `eq`, `lte`, `gte`: a whole number on the rating's scale;
//! - `answered`, `skipped`: `true` or `false`.
//!
//! A skipped question only meets `answered`/`skipped` tests. Only forward jumps exist, so
//! a survey cannot loop: a target that is not later in the list is a `backward_branch` error,
//! one that names no question `unknown_branch_target`. An unknown test is an error too (an
//! older SDK must not branch on a test it cannot evaluate), while other unknown fields
//! anywhere are ignored, so a newer console may add them.
//!
//! # Progress
//!
//! A [`QuestionView`] numbers the question on the path taken (`number`, from 1) and gives
//! `total_at_most`: the questions shown so far plus the longest path from here to the end.
//! Branching can only skip questions, so the total is an upper bound that never grows as the
//! respondent goes on ("Question 2 of at most 5"); without branching it is exact. `last` says
//! every path ends after this question (label the button "Submit").
//!
//! # Answers
//!
//! [`Run::answer`] checks an [`Answer`] against its question and returns where to go
//! ([`Advance`]) or exactly what is wrong ([`AnswerProblem`]): ratings on their scale, known
//! choices, each once, within `min`/`max`, text trimmed and at most `max_length` characters
//! (Unicode scalar values). [`Run::back`] returns to the question shown before, with its
//! answer as the initial value; answers after it are kept as initial values too, should the
//! same question come again.
//!
//! # Events
//!
//! The properties of [`crate::protocol::survey`]'s events, each with `survey`, `response`
//! and `locale`: [`Run::shown_properties`], [`Run::answer_properties`] (`question`,
//! `question_type`, `value`, and for ratings `scale`: `{min, max, direction}`),
//! [`Run::completed_properties`] and [`Run::dismissed_properties`] (`question`: the one on
//! screen). An answer event goes out as each answer is given; a skipped question sends none.
//! A respondent who goes back and answers again sends the question again under the same
//! response id: the last answer per response and question is the answer.
//!
//! # Layout
//!
//! `layout` is `popover` (default; in the `position` corner, default `bottom-right`) or
//! `modal`. Below [`NARROW_VIEWPORT_PX`] (640 CSS pixels, a phone in portrait or landscape)
//! every survey is a bottom sheet instead ([`Layout::for_viewport`]). Unknown values are
//! warnings and the default is used: layout is cosmetic, unlike the questions.

use super::bucket;
use super::js;
use super::json::Fields;
use super::locale::{self, Localized, Texts};
use super::theme::Theme;
use super::{pointer, Diagnostic, Severity};
use crate::value::{Properties, Value};

/// Below this viewport width, in CSS pixels, a survey shows as a bottom sheet whatever its
/// configured layout.
pub const NARROW_VIEWPORT_PX: u32 = 640;

/// How long the thank-you stays, in milliseconds, when `auto_close_ms` is not given.
pub const DEFAULT_AUTO_CLOSE_MS: u32 = 3_000;

/// The longest `max_length` a text question may have, in characters: even four-byte
/// characters then keep an answer event under the 32 KiB event limit.
pub const MAX_TEXT_LENGTH: u32 = 5_000;

/// The corner a popover sits in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Corner {
    /// Bottom right (the default).
    #[default]
    BottomRight,
    /// Bottom left.
    BottomLeft,
    /// Top right.
    TopRight,
    /// Top left.
    TopLeft,
}

impl Corner {
    /// The configuration's name, `bottom-right`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Corner::BottomRight => "bottom-right",
            Corner::BottomLeft => "bottom-left",
            Corner::TopRight => "top-right",
            Corner::TopLeft => "top-left",
        }
    }
}

/// How a survey is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// A small card in a corner; the page stays usable.
    Popover(Corner),
    /// Centred over a backdrop.
    Modal,
    /// Full width along the bottom edge: what every survey becomes on a narrow viewport.
    BottomSheet,
}

impl Default for Layout {
    fn default() -> Self {
        Layout::Popover(Corner::BottomRight)
    }
}

impl Layout {
    /// The layout to use in a viewport `width_px` CSS pixels wide: a bottom sheet below
    /// [`NARROW_VIEWPORT_PX`], else this one.
    #[must_use]
    pub fn for_viewport(self, width_px: u32) -> Layout {
        if width_px < NARROW_VIEWPORT_PX {
            Layout::BottomSheet
        } else {
            self
        }
    }
}

/// A question's type, as named in the configuration and in `question_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuestionType {
    /// Net Promoter Score, 0–10.
    Nps,
    /// Customer Effort Score, a 5- or 7-point agreement scale.
    Ces,
    /// Customer satisfaction, 1–5.
    Csat,
    /// One choice.
    Single,
    /// Several choices.
    Multiple,
    /// Open text.
    Text,
}

impl QuestionType {
    /// The name: `nps`, `ces`, `csat`, `single`, `multiple`, `text`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            QuestionType::Nps => "nps",
            QuestionType::Ces => "ces",
            QuestionType::Csat => "csat",
            QuestionType::Single => "single",
            QuestionType::Multiple => "multiple",
            QuestionType::Text => "text",
        }
    }
}

/// Which end of a rating scale is the best answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Direction {
    /// The highest number is the best answer.
    #[default]
    Ascending,
    /// The lowest number is the best answer.
    Descending,
}

impl Direction {
    /// `ascending` or `descending`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Direction::Ascending => "ascending",
            Direction::Descending => "descending",
        }
    }
}

/// How a rating's points are drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Display {
    /// Numbered buttons.
    #[default]
    Numbers,
    /// Stars (CSAT only).
    Stars,
}

/// A rating scale: whole numbers from `min` to `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scale {
    /// The lowest point.
    pub min: i32,
    /// The highest point.
    pub max: i32,
    /// Which end is best.
    pub direction: Direction,
}

/// The words at the two ends of a rating scale.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Labels {
    /// Beside the lowest number.
    pub low: Localized,
    /// Beside the highest number.
    pub high: Localized,
}

/// One choice of a choice question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    /// Its id, what answers and branch rules name.
    pub id: String,
    /// What the respondent reads.
    pub label: Localized,
    /// Chosen only alone (multiple choice: "None of these").
    pub exclusive: bool,
    /// Keeps its place when the others are shuffled.
    pub fixed: bool,
}

/// What kind of question, with what it needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QuestionKind {
    /// Net Promoter Score, 0–10.
    Nps {
        /// The ends' words.
        labels: Labels,
    },
    /// Customer Effort Score.
    Ces {
        /// 5 or 7.
        points: u8,
        /// Which end is best.
        direction: Direction,
        /// The ends' words.
        labels: Labels,
    },
    /// Customer satisfaction, 1–5.
    Csat {
        /// Numbers or stars.
        display: Display,
        /// The ends' words, if any.
        labels: Option<Labels>,
    },
    /// One choice.
    Single {
        /// The choices, in the configuration's order.
        choices: Vec<Choice>,
        /// Whether each response sees them in an order of its own.
        shuffle: bool,
    },
    /// Several choices.
    Multiple {
        /// The choices, in the configuration's order.
        choices: Vec<Choice>,
        /// Whether each response sees them in an order of its own.
        shuffle: bool,
        /// The fewest selections.
        min: usize,
        /// The most selections.
        max: usize,
    },
    /// Open text.
    Text {
        /// Shown in the empty field.
        placeholder: Option<Localized>,
        /// The longest answer, in characters.
        max_length: u32,
    },
}

/// A respondent's NPS band.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Band {
    /// 0–6.
    Detractor,
    /// 7–8.
    Passive,
    /// 9–10.
    Promoter,
}

impl Band {
    /// The band of an NPS score.
    #[must_use]
    pub fn of(score: i32) -> Band {
        match score {
            ..=6 => Band::Detractor,
            7 | 8 => Band::Passive,
            _ => Band::Promoter,
        }
    }
}

/// A question's wording for each NPS band, where it has one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ByBand {
    /// For detractors.
    pub detractor: Option<Localized>,
    /// For passives.
    pub passive: Option<Localized>,
    /// For promoters.
    pub promoter: Option<Localized>,
}

impl ByBand {
    /// The wording for `band`, if any.
    #[must_use]
    pub fn get(&self, band: Band) -> Option<&Localized> {
        match band {
            Band::Detractor => self.detractor.as_ref(),
            Band::Passive => self.passive.as_ref(),
            Band::Promoter => self.promoter.as_ref(),
        }
    }
}

/// One test of a branch rule's `when`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Test {
    /// The choice, or one of the choices, is one of these (indexes into the choices).
    In(Vec<usize>),
    /// The rating is this.
    Eq(i32),
    /// The rating is at most this.
    Lte(i32),
    /// The rating is at least this.
    Gte(i32),
    /// The question was answered (`true`) or skipped (`false`).
    Answered(bool),
}

/// Where a branch goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A later question (its index).
    Question(usize),
    /// The end of the survey.
    End,
}

/// A branch rule: when every test holds, go to the target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Branch {
    /// The tests; none means always.
    pub when: Vec<Test>,
    /// Where to go.
    pub to: Target,
}

/// One question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    /// Its id.
    pub id: String,
    /// The question.
    pub text: Localized,
    /// Its wording by the respondent's NPS band.
    pub text_by_band: ByBand,
    /// Whether it may be skipped.
    pub optional: bool,
    /// Its type and what the type needs.
    pub kind: QuestionKind,
    /// Branch rules, in order.
    pub branch: Vec<Branch>,
}

impl Question {
    /// Its type.
    #[must_use]
    pub fn question_type(&self) -> QuestionType {
        match self.kind {
            QuestionKind::Nps { .. } => QuestionType::Nps,
            QuestionKind::Ces { .. } => QuestionType::Ces,
            QuestionKind::Csat { .. } => QuestionType::Csat,
            QuestionKind::Single { .. } => QuestionType::Single,
            QuestionKind::Multiple { .. } => QuestionType::Multiple,
            QuestionKind::Text { .. } => QuestionType::Text,
        }
    }

    /// Its scale, for the rating types.
    #[must_use]
    pub fn scale(&self) -> Option<Scale> {
        let (min, max, direction) = match self.kind {
            QuestionKind::Nps { .. } => (0, 10, Direction::Ascending),
            QuestionKind::Ces {
                points, direction, ..
            } => (1, i32::from(points), direction),
            QuestionKind::Csat { .. } => (1, 5, Direction::Ascending),
            _ => return None,
        };
        Some(Scale {
            min,
            max,
            direction,
        })
    }

    /// Its choices, for the choice types (empty for the others).
    #[must_use]
    pub fn choices(&self) -> &[Choice] {
        match &self.kind {
            QuestionKind::Single { choices, .. } | QuestionKind::Multiple { choices, .. } => {
                choices
            }
            _ => &[],
        }
    }
}

/// A survey, read from a survey experience's configuration.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Survey {
    /// The experience id.
    pub id: String,
    /// The locale of plain-string texts, and the fallback for users in other locales.
    pub default_locale: String,
    /// The locales every text has: the only ones offered.
    pub locales: Vec<String>,
    /// The configured layout (before [`Layout::for_viewport`]).
    pub layout: Layout,
    /// Colours, radius and font.
    pub theme: Theme,
    /// Shown after the last answer; none closes the survey at once.
    pub thank_you: Option<Localized>,
    /// How long the thank-you stays, in milliseconds; 0 keeps it until closed.
    pub auto_close_ms: u32,
    /// The questions, in order.
    pub questions: Vec<Question>,
    /// For each question, the most questions a path from it to the end shows, itself
    /// included.
    remaining: Vec<usize>,
}

impl Survey {
    /// The locale a user with `user_locale` (a BCP 47 tag, `navigator.language`) gets: theirs,
    /// else their language, else the default, among the locales offered. `None`: the survey
    /// is not for this user.
    #[must_use]
    pub fn locale_for(&self, user_locale: Option<&str>) -> Option<&str> {
        locale::choose(&self.locales, &self.default_locale, user_locale)
    }

    /// The layout to use in a viewport `width_px` CSS pixels wide.
    #[must_use]
    pub fn layout_for(&self, width_px: u32) -> Layout {
        self.layout.for_viewport(width_px)
    }

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
enum At {
    Question(usize),
    ThankYou,
    Closed,
}

/// A checked answer, as kept by a run.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Given {
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
fn next(count: usize, i: usize) -> Target {
    if i + 1 < count {
        Target::Question(i + 1)
    } else {
        Target::End
    }
}

/// Checks an answer against its question.
fn check(question: &Question, answer: Answer) -> Result<Given, AnswerProblem> {
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
fn display_order(response: &str, question: &str, choices: &[Choice], shuffle: bool) -> Vec<usize> {
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
fn successors(questions: &[Question], i: usize) -> Vec<Target> {
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
fn remaining(questions: &[Question]) -> Vec<usize> {
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

fn index(i: usize) -> String {
    js::number_to_string(i as f64)
}

/// A whole number from `lo` to `hi`.
fn whole(value: Option<&Value>, lo: f64, hi: f64) -> Option<f64> {
    match value {
        Some(Value::Number(n)) if n.fract() == 0.0 && (lo..=hi).contains(n) => Some(*n),
        _ => None,
    }
}

struct Reader<'d> {
    subject: &'d str,
    default_locale: String,
    diagnostics: &'d mut Vec<Diagnostic>,
    /// Every text read, with where it is: for the locales the survey is complete in.
    texts: Texts,
}

impl Reader<'_> {
    fn push(&mut self, severity: Severity, code: &'static str, at: String, message: &str) {
        self.diagnostics.push(Diagnostic {
            severity,
            code,
            subject: self.subject.to_owned(),
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

    /// A required text.
    fn text(&mut self, json: Option<&Value>, at: String) -> Option<Localized> {
        match json {
            None | Some(Value::Null) => {
                self.error("missing_text", at, "this text is required");
                None
            }
            Some(Value::String(s)) if s.trim().is_empty() => {
                self.error("missing_text", at, "this text is required");
                None
            }
            Some(json) => self.optional_text(json, at),
        }
    }

    fn optional_text(&mut self, json: &Value, at: String) -> Option<Localized> {
        let text = Localized::read(
            json,
            &self.default_locale,
            self.subject,
            &at,
            self.diagnostics,
        )?;
        self.texts.add(at, &text);
        Some(text)
    }

    fn labels(&mut self, json: &Value, at: &str, required: bool) -> Option<Labels> {
        let at = pointer(at, "labels");
        match json.field("labels") {
            None if required => {
                self.error(
                    "missing_labels",
                    at,
                    "NPS and CES questions need words for their ends: {\"low\": …, \"high\": …}",
                );
                None
            }
            None => None,
            Some(labels @ Value::Object(_)) => {
                let low = self.text(labels.field("low"), pointer(&at, "low"));
                let high = self.text(labels.field("high"), pointer(&at, "high"));
                Some(Labels {
                    low: low?,
                    high: high?,
                })
            }
            Some(_) => {
                self.error(
                    "invalid_labels",
                    at,
                    "labels must be an object: {\"low\": …, \"high\": …}",
                );
                None
            }
        }
    }

    fn choices(&mut self, json: &Value, at: &str) -> Vec<Choice> {
        let at = pointer(at, "choices");
        let items = match json.array_field("choices") {
            Some(items) if !items.is_empty() => items,
            _ => {
                self.error(
                    "no_choices",
                    at,
                    "a choice question needs a non-empty choices array",
                );
                return Vec::new();
            }
        };
        let mut choices: Vec<Choice> = Vec::with_capacity(items.len());
        for (j, item) in items.iter().enumerate() {
            let here = pointer(&at, &index(j));
            if !matches!(item, Value::Object(_)) {
                self.error(
                    "invalid_choice",
                    here,
                    "a choice is an object: {\"id\": …, \"label\": …}",
                );
                continue;
            }
            let id = item.text_field("id");
            match &id {
                None => self.error(
                    "missing_choice_id",
                    pointer(&here, "id"),
                    "each choice needs a non-empty string id",
                ),
                Some(id) if choices.iter().any(|c| c.id == *id) => self.error(
                    "duplicate_choice_id",
                    pointer(&here, "id"),
                    "another choice of this question has this id",
                ),
                Some(_) => {}
            }
            let label = self.text(item.field("label"), pointer(&here, "label"));
            if let (Some(id), Some(label)) = (id, label) {
                choices.push(Choice {
                    id,
                    label,
                    exclusive: item.bool_field("exclusive").unwrap_or(false),
                    fixed: item.bool_field("fixed").unwrap_or(false),
                });
            }
        }
        choices
    }

    fn kind(&mut self, json: &Value, at: &str, question_type: QuestionType) -> QuestionKind {
        let field = |name: &str| pointer(at, name);
        match question_type {
            QuestionType::Nps => QuestionKind::Nps {
                labels: self.labels(json, at, true).unwrap_or_default(),
            },
            QuestionType::Ces => {
                let points = match json.field("scale") {
                    None => 7,
                    Some(Value::Number(n)) if *n == 5.0 || *n == 7.0 => *n as u8,
                    Some(_) => {
                        self.error(
                            "invalid_scale",
                            field("scale"),
                            "a CES scale has 7 or 5 points",
                        );
                        7
                    }
                };
                let direction = match json.str_field("direction") {
                    None if json.field("direction").is_none() => Direction::Ascending,
                    Some("ascending") => Direction::Ascending,
                    Some("descending") => Direction::Descending,
                    _ => {
                        self.error(
                            "invalid_direction",
                            field("direction"),
                            "direction must be \"ascending\" (the highest number is best) or \"descending\"",
                        );
                        Direction::Ascending
                    }
                };
                QuestionKind::Ces {
                    points,
                    direction,
                    labels: self.labels(json, at, true).unwrap_or_default(),
                }
            }
            QuestionType::Csat => {
                if json.field("scale").is_some() && json.num_field("scale") != Some(5.0) {
                    self.error("invalid_scale", field("scale"), "a CSAT scale has 5 points");
                }
                let display = match json.str_field("display") {
                    None if json.field("display").is_none() => Display::Numbers,
                    Some("numbers") => Display::Numbers,
                    Some("stars") => Display::Stars,
                    _ => {
                        self.warn(
                            "invalid_display",
                            field("display"),
                            "display is \"numbers\" or \"stars\"; numbers are shown",
                        );
                        Display::Numbers
                    }
                };
                QuestionKind::Csat {
                    display,
                    labels: self.labels(json, at, false),
                }
            }
            QuestionType::Single => QuestionKind::Single {
                choices: self.choices(json, at),
                shuffle: json.bool_field("shuffle").unwrap_or(false),
            },
            QuestionType::Multiple => {
                let choices = self.choices(json, at);
                let count = choices.len().max(1) as f64;
                let min = match json.field("min") {
                    None => 1.0,
                    given => whole(given, 1.0, count).unwrap_or_else(|| {
                        self.error(
                            "invalid_min",
                            field("min"),
                            "min must be a whole number from 1 to the number of choices",
                        );
                        1.0
                    }),
                };
                let max = match json.field("max") {
                    None => count,
                    given => whole(given, 1.0, count).unwrap_or_else(|| {
                        self.error(
                            "invalid_max",
                            field("max"),
                            "max must be a whole number from 1 to the number of choices",
                        );
                        count
                    }),
                };
                if min > max {
                    self.error("min_above_max", field("min"), "min must not exceed max");
                }
                QuestionKind::Multiple {
                    choices,
                    shuffle: json.bool_field("shuffle").unwrap_or(false),
                    min: min as usize,
                    max: max as usize,
                }
            }
            QuestionType::Text => {
                let max_length = match json.field("max_length") {
                    None => 1_000.0,
                    given => whole(given, 1.0, f64::from(MAX_TEXT_LENGTH)).unwrap_or_else(|| {
                        self.error(
                            "invalid_max_length",
                            field("max_length"),
                            "max_length must be a whole number of characters from 1 to 5000",
                        );
                        1_000.0
                    }),
                };
                QuestionKind::Text {
                    placeholder: json
                        .field("placeholder")
                        .and_then(|p| self.optional_text(p, field("placeholder"))),
                    max_length: max_length as u32,
                }
            }
        }
    }

    /// Reads one question, without its branch rules (they need every question's id).
    fn question(&mut self, json: &Value, at: &str, earlier: &[Question]) -> Question {
        let field = |name: &str| pointer(at, name);
        let id = json.text_field("id").unwrap_or_default();
        if !matches!(json, Value::Object(_)) {
            self.error(
                "invalid_question",
                at.to_owned(),
                "a question is an object with an id, a type and a text",
            );
        } else if id.is_empty() {
            self.error(
                "missing_question_id",
                field("id"),
                "each question needs a non-empty string id",
            );
        } else if id == "end" {
            self.error(
                "reserved_question_id",
                field("id"),
                "\"end\" names the end of the survey in branch rules; use another id",
            );
        } else if earlier.iter().any(|q| q.id == id) {
            self.error(
                "duplicate_question_id",
                field("id"),
                "another question has this id",
            );
        }
        let question_type = match json.str_field("type") {
            Some("nps") => Some(QuestionType::Nps),
            Some("ces") => Some(QuestionType::Ces),
            Some("csat") => Some(QuestionType::Csat),
            Some("single") => Some(QuestionType::Single),
            Some("multiple") => Some(QuestionType::Multiple),
            Some("text") => Some(QuestionType::Text),
            _ if !matches!(json, Value::Object(_)) => None,
            _ => {
                self.error(
                    "unknown_question_type",
                    field("type"),
                    "type must be nps, ces, csat, single, multiple or text",
                );
                None
            }
        };
        let text = if matches!(json, Value::Object(_)) {
            self.text(json.field("text"), field("text"))
        } else {
            None
        };
        let text_by_band = match json.field("text_by_band") {
            None => ByBand::default(),
            Some(bands @ Value::Object(_)) => {
                let at = field("text_by_band");
                if !earlier
                    .iter()
                    .any(|q| matches!(q.kind, QuestionKind::Nps { .. }))
                {
                    self.warn(
                        "no_nps_before",
                        at.clone(),
                        "no NPS question comes before this one, so its band wording is never used",
                    );
                }
                let mut band = |name: &str| {
                    bands
                        .field(name)
                        .and_then(|t| self.optional_text(t, pointer(&at, name)))
                };
                ByBand {
                    detractor: band("detractor"),
                    passive: band("passive"),
                    promoter: band("promoter"),
                }
            }
            Some(_) => {
                self.error(
                    "invalid_text_by_band",
                    field("text_by_band"),
                    "text_by_band is an object: {\"detractor\": …, \"passive\": …, \"promoter\": …}",
                );
                ByBand::default()
            }
        };
        // A question whose type is unknown still takes its place, so that positions and
        // branch targets stay those of the configuration; its errors keep the survey off.
        let kind = match question_type {
            Some(question_type) => self.kind(json, at, question_type),
            None => QuestionKind::Text {
                placeholder: None,
                max_length: 0,
            },
        };
        Question {
            id,
            text: text.unwrap_or_default(),
            text_by_band,
            optional: json.bool_field("optional").unwrap_or(false),
            kind,
            branch: Vec::new(),
        }
    }

    /// Reads question `i`'s branch rules; a rule with an error is left out.
    fn branches(
        &mut self,
        questions: &[Question],
        i: usize,
        json: &Value,
        at: &str,
    ) -> Vec<Branch> {
        let at = pointer(at, "branch");
        let items = match json.field("branch") {
            None => return Vec::new(),
            Some(Value::Array(items)) => items,
            Some(_) => {
                self.error(
                    "invalid_branch",
                    at,
                    "branch is an array of {\"when\": …, \"to\": …} rules",
                );
                return Vec::new();
            }
        };
        let Some(question) = questions.get(i) else {
            return Vec::new();
        };
        let mut rules: Vec<Branch> = Vec::new();
        let mut always = false;
        for (j, rule) in items.iter().enumerate() {
            let here = pointer(&at, &index(j));
            if !matches!(rule, Value::Object(_)) {
                self.error(
                    "invalid_branch",
                    here,
                    "a branch rule is an object: {\"when\": …, \"to\": …}",
                );
                continue;
            }
            if always {
                self.warn(
                    "unreachable_branch",
                    here.clone(),
                    "an earlier rule always holds, so this one is never tried",
                );
            }
            let to_at = pointer(&here, "to");
            let to = match rule.str_field("to") {
                None => {
                    self.error(
                        "missing_branch_target",
                        to_at,
                        "a branch rule needs \"to\": a later question's id or \"end\"",
                    );
                    None
                }
                Some("end") => Some(Target::End),
                Some(id) => match questions.iter().position(|q| q.id == id) {
                    Some(k) if k > i => Some(Target::Question(k)),
                    Some(_) => {
                        self.error(
                            "backward_branch",
                            to_at,
                            "a branch may only jump forward, to a later question or \"end\"",
                        );
                        None
                    }
                    None => {
                        self.error("unknown_branch_target", to_at, "no question has this id");
                        None
                    }
                },
            };
            let when = match rule.field("when") {
                None => Some(Vec::new()),
                Some(Value::Object(tests)) => self.tests(question, tests, &pointer(&here, "when")),
                Some(_) => {
                    self.error(
                        "invalid_branch_condition",
                        pointer(&here, "when"),
                        "when is an object of tests: in, eq, lte, gte, answered, skipped",
                    );
                    None
                }
            };
            if let (Some(when), Some(to)) = (when, to) {
                always |= when.is_empty();
                rules.push(Branch { when, to });
            }
        }
        rules
    }

    fn tests(&mut self, question: &Question, tests: &Properties, at: &str) -> Option<Vec<Test>> {
        let mut out = Vec::with_capacity(tests.len());
        let mut ok = true;
        for (name, value) in tests.iter() {
            let here = pointer(at, name);
            let test = match name.as_str() {
                "in" => self.in_test(question, value, &here),
                "eq" | "lte" | "gte" => {
                    let n = question
                        .scale()
                        .and_then(|s| whole(Some(value), f64::from(s.min), f64::from(s.max)));
                    match n {
                        Some(n) => Some(match name.as_str() {
                            "eq" => Test::Eq(n as i32),
                            "lte" => Test::Lte(n as i32),
                            _ => Test::Gte(n as i32),
                        }),
                        None => {
                            self.error(
                                "invalid_branch_condition",
                                here,
                                "eq, lte and gte are for NPS, CES and CSAT questions, with a whole number on the question's scale",
                            );
                            None
                        }
                    }
                }
                "answered" | "skipped" => match value {
                    Value::Bool(b) => {
                        let answered = *b == (name == "answered");
                        if !answered && !question.optional {
                            self.warn(
                                "unreachable_branch",
                                here,
                                "this question is not optional, so it is never skipped",
                            );
                        }
                        Some(Test::Answered(answered))
                    }
                    _ => {
                        self.error(
                            "invalid_branch_condition",
                            here,
                            "answered and skipped take true or false",
                        );
                        None
                    }
                },
                _ => {
                    self.error(
                        "unknown_branch_operator",
                        here,
                        "the tests are in, eq, lte, gte, answered and skipped",
                    );
                    None
                }
            };
            match test {
                Some(test) => out.push(test),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn in_test(&mut self, question: &Question, value: &Value, at: &str) -> Option<Test> {
        let items = match (question.question_type(), value) {
            (QuestionType::Single | QuestionType::Multiple, Value::Array(items))
                if !items.is_empty() =>
            {
                items
            }
            _ => {
                self.error(
                    "invalid_branch_condition",
                    at.to_owned(),
                    "in is for single and multiple choice questions, with a non-empty array of choice ids",
                );
                return None;
            }
        };
        let mut chosen = Vec::with_capacity(items.len());
        for (k, item) in items.iter().enumerate() {
            let found = match item {
                Value::String(id) => question.choices().iter().position(|c| c.id == *id),
                _ => None,
            };
            match found {
                Some(c) => chosen.push(c),
                None => {
                    self.error(
                        "unknown_choice",
                        pointer(at, &index(k)),
                        "this question has no choice with this id",
                    );
                    return None;
                }
            }
        }
        Some(Test::In(chosen))
    }

    /// Works out the locales every text has, warning about each locale some text lacks.
    fn locales(&mut self, at: &str) -> Vec<String> {
        let complete = self.texts.offered("survey", self.subject, self.diagnostics);
        if self.texts.is_empty() {
            // No question was read: that error has been reported already.
        } else if complete.is_empty() {
            self.error(
                "no_complete_locale",
                at.to_owned(),
                "no locale has a translation of every text, so the survey could show to no one",
            );
        } else if !complete
            .iter()
            .any(|l| l.eq_ignore_ascii_case(&self.default_locale))
        {
            self.warn(
                "default_locale_not_offered",
                pointer(at, "default_locale"),
                "the default locale is not one every text has: users in other locales are not shown the survey",
            );
        }
        complete
    }
}

impl Survey {
    /// Reads a survey experience's `survey` object, adding a diagnostic (about `id`, at a
    /// pointer under `at`) for each problem. A survey with an error is still returned;
    /// arbitration disables the experience.
    pub fn from_json(
        json: &Value,
        id: &str,
        at: &str,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Survey {
        let at = pointer(at, "survey");
        let mut reader = Reader {
            subject: id,
            default_locale: String::from("en"),
            diagnostics,
            texts: Texts::default(),
        };
        let definition = match json.field("survey") {
            Some(definition @ Value::Object(_)) => definition,
            _ => {
                reader.error(
                    "missing_survey",
                    at,
                    "a survey experience needs a \"survey\" object with its questions",
                );
                return Survey {
                    id: id.to_owned(),
                    default_locale: reader.default_locale,
                    ..Survey::default()
                };
            }
        };
        match definition.field("default_locale") {
            None => {}
            Some(Value::String(tag)) if locale::is_tag(tag) => {
                reader.default_locale = tag.clone();
            }
            Some(_) => reader.error(
                "invalid_locale",
                pointer(&at, "default_locale"),
                "default_locale must be a locale tag such as \"en\" or \"pt-BR\"",
            ),
        }
        let corner = match definition.str_field("position") {
            None if definition.field("position").is_none() => Corner::BottomRight,
            Some("bottom-right") => Corner::BottomRight,
            Some("bottom-left") => Corner::BottomLeft,
            Some("top-right") => Corner::TopRight,
            Some("top-left") => Corner::TopLeft,
            _ => {
                reader.warn(
                    "invalid_position",
                    pointer(&at, "position"),
                    "position is bottom-right, bottom-left, top-right or top-left; bottom-right is used",
                );
                Corner::BottomRight
            }
        };
        let layout = match definition.str_field("layout") {
            None if definition.field("layout").is_none() => Layout::Popover(corner),
            Some("popover") => Layout::Popover(corner),
            Some("modal") => Layout::Modal,
            _ => {
                reader.warn(
                    "invalid_layout",
                    pointer(&at, "layout"),
                    "layout is \"popover\" or \"modal\"; a popover is used",
                );
                Layout::Popover(corner)
            }
        };
        let theme = Theme::read(definition, id, &at, reader.diagnostics);

        let questions_at = pointer(&at, "questions");
        let items = match definition.array_field("questions") {
            Some(items) if !items.is_empty() => items,
            _ => {
                reader.error(
                    "no_questions",
                    questions_at.clone(),
                    "a survey needs a non-empty questions array",
                );
                &[]
            }
        };
        let mut questions: Vec<Question> = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let question = reader.question(item, &pointer(&questions_at, &index(i)), &questions);
            questions.push(question);
        }
        let mut branches = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            branches.push(reader.branches(&questions, i, item, &pointer(&questions_at, &index(i))));
        }
        for (question, branch) in questions.iter_mut().zip(branches) {
            question.branch = branch;
        }
        let mut reachable = vec![false; questions.len()];
        if let Some(first) = reachable.first_mut() {
            *first = true;
        }
        for i in 0..questions.len() {
            if reachable.get(i) != Some(&true) {
                reader.warn(
                    "unreachable_question",
                    pointer(&questions_at, &index(i)),
                    "no branch leads to this question, so it is never asked",
                );
                continue;
            }
            for target in successors(&questions, i) {
                if let Target::Question(j) = target {
                    if let Some(slot) = reachable.get_mut(j) {
                        *slot = true;
                    }
                }
            }
        }

        let thank_you = definition
            .field("thank_you")
            .and_then(|t| reader.optional_text(t, pointer(&at, "thank_you")));
        let auto_close_ms = match definition.field("auto_close_ms") {
            None => DEFAULT_AUTO_CLOSE_MS,
            given => match whole(given, 0.0, f64::from(u32::MAX)) {
                Some(ms) => ms as u32,
                None => {
                    reader.warn(
                        "invalid_auto_close",
                        pointer(&at, "auto_close_ms"),
                        "auto_close_ms is a whole number of milliseconds (0 keeps the thank-you open); the default is used",
                    );
                    DEFAULT_AUTO_CLOSE_MS
                }
            },
        };
        let locales = reader.locales(&at);
        Survey {
            id: id.to_owned(),
            default_locale: reader.default_locale,
            locales,
            layout,
            theme,
            thank_you,
            auto_close_ms,
            remaining: remaining(&questions),
            questions,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Reads `survey` as the `survey` object of experience "nps" at `/experiences/0`, checks
    /// its diagnostics (`"severity code pointer"`, in order) and returns it.
    fn check(survey: &str, expected: &[&str]) -> Survey {
        let experience = format!(r#"{{"id": "nps", "kind": "survey", "survey": {survey}}}"#);
        let json: Value = serde_json::from_str(&experience).expect("test JSON");
        let mut diagnostics = Vec::new();
        let read = Survey::from_json(&json, "nps", "/experiences/0", &mut diagnostics);
        let found: Vec<String> = diagnostics
            .iter()
            .map(|d| {
                assert_eq!(d.subject, "nps", "{d:?}");
                let severity = match d.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                };
                format!("{severity} {} {}", d.code, d.pointer)
            })
            .collect();
        assert_eq!(found, expected);
        read
    }

    fn properties(properties: Option<Properties>) -> serde_json::Value {
        serde_json::to_value(properties.expect("properties")).expect("serializes")
    }

    fn start(survey: &Survey) -> Run {
        survey.start("en", "r-1").expect("starts in English")
    }

    const NPS: &str = r#"{
        "thank_you": "Thanks!", "auto_close_ms": 4000,
        "questions": [
            {"id": "score", "type": "nps",
             "text": "How likely are you to recommend Ledgerly to a friend or colleague?",
             "labels": {"low": "Not at all likely", "high": "Extremely likely"}},
            {"id": "why", "type": "text", "optional": true, "max_length": 1000,
             "text": "What could we do better?", "placeholder": "Tell us more",
             "text_by_band": {"detractor": "What disappointed you?", "promoter": "What do you like most?"}}
        ]}"#;

    #[test]
    fn an_nps_run_asks_its_follow_up_in_the_words_of_the_score_band() {
        let survey = check(NPS, &[]);
        let mut run = start(&survey);
        assert_eq!(
            properties(Some(run.shown_properties())),
            json!({"survey": "nps", "response": "r-1", "locale": "en"})
        );
        assert_eq!(
            run.question(),
            Some(QuestionView {
                id: "score",
                question_type: QuestionType::Nps,
                text: "How likely are you to recommend Ledgerly to a friend or colleague?",
                optional: false,
                input: Input::Rating {
                    scale: Scale {
                        min: 0,
                        max: 10,
                        direction: Direction::Ascending
                    },
                    display: Display::Numbers,
                    low: "Not at all likely",
                    high: "Extremely likely",
                },
                initial: None,
                number: 1,
                total_at_most: 2,
                last: false,
                can_go_back: false,
            })
        );

        assert_eq!(run.answer(Answer::Rating(3)), Ok(Advance::Next));
        assert_eq!(
            properties(run.answer_properties("score")),
            json!({"survey": "nps", "response": "r-1", "locale": "en", "question": "score",
                   "question_type": "nps", "value": 3,
                   "scale": {"min": 0, "max": 10, "direction": "ascending"}})
        );
        let follow_up = run.question().unwrap();
        assert_eq!(follow_up.text, "What disappointed you?");
        assert_eq!(
            (follow_up.number, follow_up.total_at_most, follow_up.last),
            (2, 2, true)
        );
        assert_eq!(
            follow_up.input,
            Input::Text {
                placeholder: "Tell us more",
                max_length: 1000
            }
        );

        for (score, wording) in [
            (10, "What do you like most?"),
            (9, "What do you like most?"),
            (7, "What could we do better?"),
            (6, "What disappointed you?"),
        ] {
            assert!(run.back());
            assert_eq!(run.answer(Answer::Rating(score)), Ok(Advance::Next));
            assert_eq!(run.question().unwrap().text, wording, "score {score}");
        }

        assert_eq!(
            run.answer(Answer::Text("  Faster exports \n".into())),
            Ok(Advance::ThankYou {
                auto_close_ms: 4000
            })
        );
        assert_eq!(
            properties(run.answer_properties("why")),
            json!({"survey": "nps", "response": "r-1", "locale": "en", "question": "why",
                   "question_type": "text", "value": "Faster exports"})
        );
        assert_eq!(
            properties(run.completed_properties()),
            json!({"survey": "nps", "response": "r-1", "locale": "en"})
        );
        assert_eq!(
            run.screen(),
            Screen::ThankYou {
                text: "Thanks!",
                auto_close_ms: 4000
            }
        );
        assert_eq!(run.dismissed_properties(), None, "the survey was completed");
        assert_eq!(run.answer(Answer::Rating(1)), Err(AnswerProblem::Finished));
        assert!(!run.back(), "a completed survey's answers are in");
    }

    #[test]
    fn ces_scales_of_five_and_seven_points_report_their_direction() {
        let survey = check(
            r#"{"questions": [
                {"id": "effort5", "type": "ces", "scale": 5, "direction": "descending",
                 "text": "How much effort did exporting take?", "labels": {"low": "Very little", "high": "A great deal"}},
                {"id": "effort7", "type": "ces", "direction": "descending",
                 "text": "How much effort did importing take?", "labels": {"low": "Very little", "high": "A great deal"}},
                {"id": "easy", "type": "ces", "text": "Ledgerly made it easy for me to export my invoices.",
                 "labels": {"low": "Strongly disagree", "high": "Strongly agree"}}
            ]}"#,
            &[],
        );
        let mut run = start(&survey);
        assert_eq!(
            run.answer(Answer::Rating(6)),
            Err(AnswerProblem::OutOfRange { min: 1, max: 5 })
        );
        assert_eq!(run.answer(Answer::Rating(2)), Ok(Advance::Next));
        assert_eq!(
            run.answer(Answer::Rating(0)),
            Err(AnswerProblem::OutOfRange { min: 1, max: 7 })
        );
        assert_eq!(run.answer(Answer::Rating(7)), Ok(Advance::Next));
        let Some(QuestionView {
            input: Input::Rating { scale, low, .. },
            ..
        }) = run.question()
        else {
            panic!("a rating")
        };
        assert_eq!(
            (scale.max, scale.direction, low),
            (7, Direction::Ascending, "Strongly disagree"),
            "seven points, ascending, by default"
        );
        assert_eq!(run.answer(Answer::Rating(6)), Ok(Advance::Close));
        let scale = |question: &str| properties(run.answer_properties(question))["scale"].clone();
        assert_eq!(
            scale("effort5"),
            json!({"min": 1, "max": 5, "direction": "descending"})
        );
        assert_eq!(
            scale("effort7"),
            json!({"min": 1, "max": 7, "direction": "descending"})
        );
        assert_eq!(
            scale("easy"),
            json!({"min": 1, "max": 7, "direction": "ascending"})
        );
    }

    #[test]
    fn csat_is_one_to_five_drawn_as_stars_when_asked() {
        let survey = check(
            r#"{"questions": [{"id": "sat", "type": "csat", "display": "stars",
                "text": "How satisfied are you with invoicing?"}]}"#,
            &[],
        );
        let mut run = start(&survey);
        assert_eq!(
            run.question().unwrap().input,
            Input::Rating {
                scale: Scale {
                    min: 1,
                    max: 5,
                    direction: Direction::Ascending
                },
                display: Display::Stars,
                low: "",
                high: "",
            }
        );
        assert_eq!(
            run.answer(Answer::Rating(0)),
            Err(AnswerProblem::OutOfRange { min: 1, max: 5 })
        );
        assert_eq!(
            run.answer(Answer::Rating(5)),
            Ok(Advance::Close),
            "no thank-you: close at once"
        );
        assert_eq!(run.screen(), Screen::Closed);
        assert_eq!(
            properties(run.answer_properties("sat")),
            json!({"survey": "nps", "response": "r-1", "locale": "en", "question": "sat",
                   "question_type": "csat", "value": 5,
                   "scale": {"min": 1, "max": 5, "direction": "ascending"}})
        );
        assert!(run.completed_properties().is_some());
    }

    const BRANCHING: &str = r#"{"questions": [
        {"id": "role", "type": "single", "text": "What is your role?",
         "choices": [{"id": "dev", "label": "Developer"}, {"id": "pm", "label": "Product manager"},
                     {"id": "other", "label": "Something else"}],
         "branch": [{"when": {"in": ["dev"]}, "to": "stack"}, {"when": {"in": ["other"]}, "to": "end"}]},
        {"id": "team", "type": "text", "text": "How large is your team?"},
        {"id": "stack", "type": "multiple", "text": "What do you build with?", "max": 2,
         "choices": [{"id": "rust", "label": "Rust"}, {"id": "go", "label": "Go"},
                     {"id": "ts", "label": "TypeScript"}, {"id": "none", "label": "None of these", "exclusive": true}]},
        {"id": "score", "type": "nps", "text": "How likely are you to recommend us?",
         "labels": {"low": "Not likely", "high": "Very likely"},
         "branch": [{"when": {"gte": 9}, "to": "end"}]},
        {"id": "fix", "type": "text", "text": "What should we fix first?"}
    ]}"#;

    /// The id, number and total of the question on screen.
    fn place(run: &Run) -> (&str, usize, usize) {
        let view = run.question().expect("a question");
        (view.id, view.number, view.total_at_most)
    }

    #[test]
    fn branches_jump_forward_or_end_and_the_total_only_shrinks() {
        let survey = check(BRANCHING, &[]);
        let mut run = start(&survey);
        assert_eq!(place(&run), ("role", 1, 5));
        assert_eq!(run.answer(Answer::Choice("dev".into())), Ok(Advance::Next));
        assert_eq!(place(&run), ("stack", 2, 4), "team is jumped over");
        run.answer(Answer::Choices(vec!["go".into(), "rust".into()]))
            .unwrap();
        assert_eq!(place(&run), ("score", 3, 4));
        assert_eq!(
            properties(run.answer_properties("stack"))["value"],
            json!(["rust", "go"]),
            "choices in the question's order"
        );
        assert_eq!(run.answer(Answer::Rating(9)), Ok(Advance::Close));

        let mut run = start(&survey);
        run.answer(Answer::Choice("pm".into())).unwrap();
        assert_eq!(
            place(&run),
            ("team", 2, 5),
            "the default is the next question"
        );
        run.answer(Answer::Text("12".into())).unwrap();
        run.answer(Answer::Choices(vec!["ts".into()])).unwrap();
        run.answer(Answer::Rating(6)).unwrap();
        assert_eq!(place(&run), ("fix", 5, 5));
        assert!(run.question().unwrap().last);

        let mut run = start(&survey);
        assert_eq!(
            run.answer(Answer::Choice("other".into())),
            Ok(Advance::Close)
        );
        assert!(run.completed_properties().is_some());
    }

    #[test]
    fn back_returns_to_the_question_shown_before_with_its_answer() {
        let survey = check(BRANCHING, &[]);
        let mut run = start(&survey);
        run.answer(Answer::Choice("dev".into())).unwrap();
        run.answer(Answer::Choices(vec!["rust".into(), "go".into()]))
            .unwrap();
        assert!(run.back());
        let stack = run.question().unwrap();
        assert_eq!(
            (stack.id, stack.initial),
            (
                "stack",
                Some(Answer::Choices(vec!["rust".into(), "go".into()]))
            )
        );
        assert!(run.back(), "back along the path taken, not the list");
        let role = run.question().unwrap();
        assert_eq!(
            (role.id, role.initial, role.can_go_back),
            ("role", Some(Answer::Choice("dev".into())), false)
        );
        assert!(!run.back(), "nothing before the first question");
        run.answer(Answer::Choice("pm".into())).unwrap();
        assert_eq!(place(&run), ("team", 2, 5));
        run.answer(Answer::Text("3".into())).unwrap();
        assert_eq!(
            run.question().unwrap().initial,
            Some(Answer::Choices(vec!["rust".into(), "go".into()])),
            "an answer from an abandoned branch is still the initial value"
        );
    }

    #[test]
    fn invalid_answers_say_exactly_what_is_wrong_and_keep_the_question() {
        let survey = check(
            r#"{"questions": [
                {"id": "score", "type": "nps", "text": "Recommend us?", "labels": {"low": "No", "high": "Yes"}},
                {"id": "role", "type": "single", "text": "Role?", "choices": [{"id": "dev", "label": "Developer"}]},
                {"id": "stack", "type": "multiple", "text": "Stack?", "min": 2, "max": 3,
                 "choices": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}, {"id": "c", "label": "C"},
                             {"id": "d", "label": "D"}, {"id": "none", "label": "None", "exclusive": true}]},
                {"id": "note", "type": "text", "text": "Anything else?", "max_length": 5}
            ]}"#,
            &[],
        );
        let mut run = start(&survey);
        for (answer, problem) in [
            (
                Answer::Rating(11),
                AnswerProblem::OutOfRange { min: 0, max: 10 },
            ),
            (
                Answer::Rating(-1),
                AnswerProblem::OutOfRange { min: 0, max: 10 },
            ),
            (Answer::Choice("dev".into()), AnswerProblem::WrongKind),
        ] {
            assert_eq!(run.answer(answer), Err(problem));
        }
        assert_eq!(run.skip(), Err(AnswerProblem::Required));
        assert_eq!(run.question().unwrap().id, "score", "still on screen");
        run.answer(Answer::Rating(10)).unwrap();

        assert_eq!(
            run.answer(Answer::Choice("cto".into())),
            Err(AnswerProblem::UnknownChoice("cto".into()))
        );
        run.answer(Answer::Choice("dev".into())).unwrap();

        let choices = |ids: &[&str]| Answer::Choices(ids.iter().map(|&id| id.into()).collect());
        for (answer, problem) in [
            (
                choices(&["a", "b", "c", "d"]),
                AnswerProblem::TooManyChoices { max: 3 },
            ),
            (choices(&["a"]), AnswerProblem::TooFewChoices { min: 2 }),
            (choices(&[]), AnswerProblem::TooFewChoices { min: 2 }),
            (
                choices(&["a", "a"]),
                AnswerProblem::DuplicateChoice("a".into()),
            ),
            (
                choices(&["a", "z"]),
                AnswerProblem::UnknownChoice("z".into()),
            ),
            (
                choices(&["a", "none"]),
                AnswerProblem::ExclusiveChoice("none".into()),
            ),
        ] {
            assert_eq!(run.answer(answer), Err(problem));
        }
        run.answer(choices(&["b", "a"])).unwrap();

        assert_eq!(
            run.answer(Answer::Text("abcdef".into())),
            Err(AnswerProblem::TooLong { max_length: 5 })
        );
        assert_eq!(
            run.answer(Answer::Text(" \n ".into())),
            Err(AnswerProblem::Required)
        );
        assert_eq!(
            run.answer(Answer::Text("  ééééé  ".into())),
            Ok(Advance::Close),
            "characters are counted after trimming, not bytes"
        );
    }

    #[test]
    fn optional_questions_can_be_skipped_and_send_no_answer() {
        let survey = check(
            r#"{"questions": [
                {"id": "score", "type": "nps", "optional": true, "text": "Recommend us?",
                 "labels": {"low": "No", "high": "Yes"}, "branch": [{"when": {"skipped": true}, "to": "note"}]},
                {"id": "tags", "type": "multiple", "optional": true, "text": "Tags?", "choices": [{"id": "a", "label": "A"}]},
                {"id": "note", "type": "text", "optional": true, "text": "Anything else?",
                 "text_by_band": {"detractor": "What went wrong?"}}
            ]}"#,
            &[],
        );
        let mut run = start(&survey);
        assert_eq!(run.skip(), Ok(Advance::Next));
        assert_eq!(run.answer_properties("score"), None);
        let note = run.question().unwrap();
        assert_eq!(
            (note.id, note.text),
            ("note", "Anything else?"),
            "a skipped NPS has no band"
        );
        assert_eq!(run.answer(Answer::Text("   ".into())), Ok(Advance::Close));
        assert_eq!(
            run.answer_properties("note"),
            None,
            "empty optional text is a skip"
        );

        let mut run = start(&survey);
        run.answer(Answer::Rating(2)).unwrap();
        assert_eq!(run.answer(Answer::Choices(Vec::new())), Ok(Advance::Next));
        assert_eq!(run.answer_properties("tags"), None);
        assert_eq!(run.question().unwrap().text, "What went wrong?");
    }

    #[test]
    fn a_dismissal_names_the_question_on_screen() {
        let survey = check(NPS, &[]);
        let mut run = survey.start("EN", "r-2").unwrap();
        run.answer(Answer::Rating(8)).unwrap();
        assert_eq!(
            properties(run.dismissed_properties()),
            json!({"survey": "nps", "response": "r-2", "locale": "en", "question": "why"})
        );
        assert_eq!(run.completed_properties(), None);
    }

    #[test]
    fn html_in_texts_is_kept_verbatim_for_the_renderer_to_set_as_text() {
        let survey = check(
            r#"{"thank_you": "Thanks &amp; <b>bye</b>", "questions": [{"id": "pick", "type": "single",
                "text": "<b>Bold</b> & <script>alert(1)</script>",
                "choices": [{"id": "x", "label": "<img src=x onerror=alert(1)>"}]}]}"#,
            &[],
        );
        let mut run = start(&survey);
        let view = run.question().unwrap();
        assert_eq!(view.text, "<b>Bold</b> & <script>alert(1)</script>");
        let Input::Choices { choices, .. } = view.input else {
            panic!("choices")
        };
        assert_eq!(choices[0].label, "<img src=x onerror=alert(1)>");
        run.answer(Answer::Choice("x".into())).unwrap();
        assert_eq!(
            run.screen(),
            Screen::ThankYou {
                text: "Thanks &amp; <b>bye</b>",
                auto_close_ms: DEFAULT_AUTO_CLOSE_MS
            }
        );
    }

    #[test]
    fn a_user_gets_a_locale_the_survey_is_complete_in_or_no_survey() {
        let survey = check(
            r#"{"default_locale": "en", "thank_you": {"en": "Thanks!", "fr": "Merci !", "de": "Danke!"},
                "questions": [{"id": "score", "type": "nps",
                  "text": {"en": "How likely?", "fr": "Quelle probabilité ?", "de": "Wie wahrscheinlich?"},
                  "labels": {"low": {"en": "Unlikely", "fr": "Improbable", "de": "Unwahrscheinlich"},
                             "high": {"en": "Likely", "fr": "Probable"}}}]}"#,
            &["warning incomplete_locale /experiences/0/survey/questions/0/labels/high"],
        );
        assert_eq!(survey.locales, ["en", "fr"]);
        assert_eq!(survey.locale_for(Some("fr-CA")), Some("fr"));
        assert_eq!(
            survey.locale_for(Some("de-DE")),
            Some("en"),
            "German is incomplete: the default"
        );
        assert_eq!(survey.locale_for(None), Some("en"));
        assert!(survey.start("de", "r").is_none());
        let run = survey.start("fr", "r-3").unwrap();
        let view = run.question().unwrap();
        assert_eq!(view.text, "Quelle probabilité ?");
        assert_eq!(
            properties(Some(run.shown_properties()))["locale"],
            json!("fr")
        );

        let survey = check(
            r#"{"default_locale": "en", "questions": [{"id": "q", "type": "text",
                "text": {"fr": "Une idée ?", "de": "Eine Idee?"}, "placeholder": {"fr": "Votre idée"}}]}"#,
            &[
                "warning incomplete_locale /experiences/0/survey/questions/0/placeholder",
                "warning default_locale_not_offered /experiences/0/survey/default_locale",
            ],
        );
        assert_eq!(survey.locale_for(Some("fr-BE")), Some("fr"));
        assert_eq!(survey.locale_for(Some("de")), None, "skipped for this user");
        assert_eq!(survey.locale_for(None), None);

        check(
            r#"{"questions": [{"id": "q", "type": "text", "text": {"en": "Idea?"}, "placeholder": {"fr": "Idée"}}]}"#,
            &[
                "warning incomplete_locale /experiences/0/survey/questions/0/placeholder",
                "warning incomplete_locale /experiences/0/survey/questions/0/text",
                "error no_complete_locale /experiences/0/survey",
            ],
        );
    }

    #[test]
    fn branch_targets_must_be_later_questions_or_end() {
        check(
            r#"{"questions": [
                {"id": "a", "type": "text", "text": "A", "branch": [{"to": "a"}]},
                {"id": "b", "type": "text", "text": "B",
                 "branch": [{"to": "a"}, {"to": "nowhere"}, {"when": {"answered": true}}, {"to": "end"}]}
            ]}"#,
            &[
                "error backward_branch /experiences/0/survey/questions/0/branch/0/to",
                "error backward_branch /experiences/0/survey/questions/1/branch/0/to",
                "error unknown_branch_target /experiences/0/survey/questions/1/branch/1/to",
                "error missing_branch_target /experiences/0/survey/questions/1/branch/2/to",
            ],
        );
    }

    #[test]
    fn branch_conditions_are_checked_against_their_question() {
        check(
            r#"{"questions": [
                {"id": "score", "type": "nps", "text": "Score?", "labels": {"low": "No", "high": "Yes"},
                 "branch": [{"when": {"gte": 11}, "to": "end"}, {"when": {"in": ["x"]}, "to": "end"},
                            {"when": {"skipped": true}, "to": "end"}, {"when": {"contains": "x"}, "to": "end"},
                            {"when": "always", "to": "end"}, "sometimes"]},
                {"id": "role", "type": "single", "text": "Role?", "choices": [{"id": "dev", "label": "Dev"}],
                 "branch": [{"when": {"in": ["dev", "cto"]}, "to": "end"}, {"when": {"eq": 1}, "to": "end"},
                            {"to": "note"}, {"when": {"answered": "yes"}, "to": "end"}, {"to": "end"}]},
                {"id": "note", "type": "text", "text": "Note?", "branch": {"to": "end"}}
            ]}"#,
            &[
                "error invalid_branch_condition /experiences/0/survey/questions/0/branch/0/when/gte",
                "error invalid_branch_condition /experiences/0/survey/questions/0/branch/1/when/in",
                "warning unreachable_branch /experiences/0/survey/questions/0/branch/2/when/skipped",
                "error unknown_branch_operator /experiences/0/survey/questions/0/branch/3/when/contains",
                "error invalid_branch_condition /experiences/0/survey/questions/0/branch/4/when",
                "error invalid_branch /experiences/0/survey/questions/0/branch/5",
                "error unknown_choice /experiences/0/survey/questions/1/branch/0/when/in/1",
                "error invalid_branch_condition /experiences/0/survey/questions/1/branch/1/when/eq",
                "warning unreachable_branch /experiences/0/survey/questions/1/branch/3",
                "error invalid_branch_condition /experiences/0/survey/questions/1/branch/3/when/answered",
                "warning unreachable_branch /experiences/0/survey/questions/1/branch/4",
                "error invalid_branch /experiences/0/survey/questions/2/branch",
            ],
        );
    }

    #[test]
    fn questions_no_path_reaches_and_band_wording_without_an_nps_are_warnings() {
        let survey = check(
            r#"{"questions": [
                {"id": "why", "type": "text", "text": "Why?", "text_by_band": {"promoter": "Why so happy?"},
                 "branch": [{"to": "last"}]},
                {"id": "lost", "type": "text", "text": "Never asked"},
                {"id": "last", "type": "text", "text": "Last"}
            ]}"#,
            &[
                "warning no_nps_before /experiences/0/survey/questions/0/text_by_band",
                "warning unreachable_question /experiences/0/survey/questions/1",
            ],
        );
        assert_eq!(place(&start(&survey)), ("why", 1, 2));
    }

    #[test]
    fn every_question_problem_is_diagnosed_at_its_pointer() {
        let q = "/experiences/0/survey/questions";
        let expected: Vec<String> = [
            "error missing_question_id 0/id",
            "error duplicate_question_id 2/id",
            "error reserved_question_id 3/id",
            "error unknown_question_type 4/type",
            "error missing_text 5/text",
            "error missing_labels 6/labels",
            "error missing_text 7/labels/high",
            "error invalid_scale 8/scale",
            "error invalid_direction 8/direction",
            "error invalid_scale 9/scale",
            "warning invalid_display 9/display",
            "error no_choices 10/choices",
            "error missing_choice_id 11/choices/0/id",
            "error missing_text 11/choices/1/label",
            "error duplicate_choice_id 11/choices/3/id",
            "error invalid_choice 11/choices/4",
            "error min_above_max 12/min",
            "error invalid_min 13/min",
            "error invalid_max 13/max",
            "error invalid_max_length 14/max_length",
            "error invalid_text_by_band 15/text_by_band",
            "error invalid_text 16/text",
            "error invalid_labels 17/labels",
            "error invalid_question 18",
        ]
        .iter()
        .map(|d| {
            let (code, at) = d.rsplit_once(' ').unwrap();
            format!("{code} {q}/{at}")
        })
        .collect();
        check(
            r#"{"questions": [
                {"type": "text", "text": "No id"},
                {"id": "a", "type": "text", "text": "A"},
                {"id": "a", "type": "text", "text": "Again"},
                {"id": "end", "type": "text", "text": "End"},
                {"id": "b", "type": "slider", "text": "B"},
                {"id": "c", "type": "text", "text": " "},
                {"id": "d", "type": "nps", "text": "D"},
                {"id": "e", "type": "nps", "text": "E", "labels": {"low": "Low"}},
                {"id": "f", "type": "ces", "scale": 6, "direction": "up", "text": "F", "labels": {"low": "L", "high": "H"}},
                {"id": "g", "type": "csat", "scale": 10, "display": "emoji", "text": "G"},
                {"id": "h", "type": "single", "text": "H"},
                {"id": "i", "type": "single", "text": "I",
                 "choices": [{"label": "No id"}, {"id": "x"}, {"id": "y", "label": "Y"}, {"id": "y", "label": "Y again"}, "z"]},
                {"id": "j", "type": "multiple", "text": "J", "choices": [{"id": "p", "label": "P"}, {"id": "q", "label": "Q"}],
                 "min": 2, "max": 1},
                {"id": "k", "type": "multiple", "text": "K", "choices": [{"id": "p", "label": "P"}], "min": 0, "max": 3},
                {"id": "l", "type": "text", "text": "L", "max_length": 0},
                {"id": "m", "type": "text", "text": "M", "text_by_band": "x"},
                {"id": "n", "type": "text", "text": 7},
                {"id": "o", "type": "csat", "text": "O", "labels": "Bad to good"},
                "not a question"
            ]}"#,
            &expected.iter().map(String::as_str).collect::<Vec<_>>(),
        );
    }

    #[test]
    fn survey_level_problems_are_diagnosed_and_cosmetic_ones_are_warnings() {
        check("null", &["error missing_survey /experiences/0/survey"]);
        check(
            r#"{"questions": []}"#,
            &["error no_questions /experiences/0/survey/questions"],
        );
        check(
            r#"{"default_locale": "english!", "position": "middle", "layout": "sidebar",
                "theme": {"accent": "url(x)"}, "thank_you": 3, "auto_close_ms": -1,
                "questions": [{"id": "q", "type": "text", "text": "Q"}], "added_by_a_newer_console": true}"#,
            &[
                "error invalid_locale /experiences/0/survey/default_locale",
                "warning invalid_position /experiences/0/survey/position",
                "warning invalid_layout /experiences/0/survey/layout",
                "warning invalid_theme /experiences/0/survey/theme/accent",
                "error invalid_text /experiences/0/survey/thank_you",
                "warning invalid_auto_close /experiences/0/survey/auto_close_ms",
            ],
        );
    }

    #[test]
    fn a_narrow_viewport_gets_a_bottom_sheet_whatever_the_layout() {
        let question = r#"[{"id": "q", "type": "text", "text": "Q"}]"#;
        let popover = check(&format!(r#"{{"questions": {question}}}"#), &[]);
        assert_eq!(popover.layout, Layout::Popover(Corner::BottomRight));
        assert_eq!(popover.layout_for(1280), popover.layout);
        assert_eq!(popover.layout_for(640), popover.layout);
        assert_eq!(popover.layout_for(639), Layout::BottomSheet);
        let corner = check(
            &format!(r#"{{"position": "top-left", "questions": {question}}}"#),
            &[],
        );
        assert_eq!(corner.layout, Layout::Popover(Corner::TopLeft));
        let modal = check(
            &format!(r#"{{"layout": "modal", "questions": {question}}}"#),
            &[],
        );
        assert_eq!(modal.layout_for(1024), Layout::Modal);
        assert_eq!(modal.layout_for(375), Layout::BottomSheet);
    }

    #[test]
    fn shuffled_choices_keep_one_order_per_response_and_fixed_choices_in_place() {
        let survey = check(
            r#"{"questions": [{"id": "tool", "type": "single", "text": "Tool?", "shuffle": true,
                "choices": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}, {"id": "c", "label": "C"},
                            {"id": "d", "label": "D"}, {"id": "other", "label": "Other", "fixed": true}]}]}"#,
            &[],
        );
        let order = |response: &str| -> Vec<String> {
            let run = survey.start("en", response).unwrap();
            let Input::Choices { choices, .. } = run.question().unwrap().input else {
                panic!("choices")
            };
            choices.iter().map(|c| c.id.to_owned()).collect()
        };
        let mut orders = Vec::new();
        for i in 0..20 {
            let response = format!("r-{i}");
            let seen = order(&response);
            assert_eq!(seen, order(&response), "stable for one response");
            assert_eq!(seen.last().map(String::as_str), Some("other"));
            let mut sorted = seen.clone();
            sorted.sort();
            assert_eq!(sorted, ["a", "b", "c", "d", "other"]);
            if !orders.contains(&seen) {
                orders.push(seen);
            }
        }
        assert!(
            orders.len() > 5,
            "only {} orders in 20 responses",
            orders.len()
        );
    }
}
