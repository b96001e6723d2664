//! Surveys: what a `"kind": "survey"` experience asks, read from its configuration, and the
//! [`Run`] a renderer drives from the first question to the thank-you.
//!
//! ```json
//! {"id": "nps", "kind": "survey", "trigger": {"page_view": true}, "sample": 0.2,
//!  "survey": {
//!    "default_locale": "en", "layout": "popover", "position": "bottom-right",
//!    "theme": {"accent": "#4f46e5"},
//!    "thank_you": {"en": "Thanks!", "fr": "Merci !"}, "auto_close_ms": 3000,
//!    "labels": {"submit": {"en": "Send", "fr": "Envoyer"}, "skip": {"en": "Not now", "fr": "Plus tard"}},
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
//! ([`crate::rules::arbitration`]); this module reads only the `survey` object.
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
//! Every text (question, band wording, label, choice, placeholder, thank-you, control word)
//! is a [`Localized`]: a plain string in the `default_locale` (default `en`) or an object of
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
//! # Control words
//!
//! `labels` (optional) gives the survey's own words for its controls and messages, each a
//! text like any other, so it takes part in the locales offered (a plain string is the
//! default locale's only: a survey translated into other languages gives its labels in
//! them too, or is offered in the default locale alone). The words: `close` (the close
//! button's accessible name), `back`, `next`, `submit` (the button on the last question),
//! `skip`, `required` (a required question left unanswered), `at_least`, `at_most` (too few
//! or too many choices), `alone` (an exclusive choice with others) and `too_long` (a text
//! answer too long). In `at_least`, `at_most` and `too_long`, `{n}` stands for the number
//! (`"Choose at least {n}"`, `"{n}個以上選んでください"`; without `{n}` no number shows).
//! A word not given is the renderer's built-in word for the locale shown, where it has one
//! (English, French, German, Spanish), else English. A key not in this list is an
//! `unknown_label` warning (the built-in word shows); a value that is not a text is an
//! `invalid_text` error, and `labels` that is not an object an `invalid_labels` error.
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

use crate::rules::locale::{self, Localized};
use crate::rules::theme::Theme;

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

/// One of the words of a survey's controls and messages. A survey may give its own in
/// `labels` ([`Survey::labels`]); the renderer has built-in words for the others.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ControlWord {
    /// `close`: the close button's accessible name.
    Close,
    /// `back`: the back button.
    Back,
    /// `next`: the button that answers a question that is not the last.
    Next,
    /// `submit`: the button that answers the last question.
    Submit,
    /// `skip`: the button that skips an optional question.
    Skip,
    /// `required`: a required question left unanswered.
    Required,
    /// `at_least`: fewer choices than a multiple-choice question's `min`, which is `{n}`.
    AtLeast,
    /// `at_most`: more choices than its `max`, which is `{n}`.
    AtMost,
    /// `alone`: an exclusive choice chosen with others.
    Alone,
    /// `too_long`: a text answer longer than its `max_length`, which is `{n}`.
    TooLong,
}

impl ControlWord {
    /// Every control word.
    pub const ALL: [ControlWord; 10] = [
        ControlWord::Close,
        ControlWord::Back,
        ControlWord::Next,
        ControlWord::Submit,
        ControlWord::Skip,
        ControlWord::Required,
        ControlWord::AtLeast,
        ControlWord::AtMost,
        ControlWord::Alone,
        ControlWord::TooLong,
    ];

    /// Its key in `labels`: `close`, `at_least`.
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            ControlWord::Close => "close",
            ControlWord::Back => "back",
            ControlWord::Next => "next",
            ControlWord::Submit => "submit",
            ControlWord::Skip => "skip",
            ControlWord::Required => "required",
            ControlWord::AtLeast => "at_least",
            ControlWord::AtMost => "at_most",
            ControlWord::Alone => "alone",
            ControlWord::TooLong => "too_long",
        }
    }
}

/// The words a survey gives for its controls, each optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ControlWords([Option<Localized>; ControlWord::ALL.len()]);

impl ControlWords {
    /// The survey's own text for `word`, if it gives one.
    #[must_use]
    pub fn get(&self, word: ControlWord) -> Option<&Localized> {
        self.0.get(word as usize)?.as_ref()
    }

    fn set(&mut self, word: ControlWord, text: Localized) {
        if let Some(slot) = self.0.get_mut(word as usize) {
            *slot = Some(text);
        }
    }
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
    /// Its own words for its controls (`labels`).
    pub labels: ControlWords,
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
}

mod read;
mod run;
pub use run::*;
#[cfg(test)]
mod tests;
