//! Survey reports: `GET /v1/reports/surveys/{id}` (admin key), what NPS, CES and CSAT surveys
//! found: how many saw, answered, completed and dismissed them, every question's figures, a
//! daily trend, an optional breakdown by a trait of the people who answered, and the open
//! text answers, paged.
//!
//! A survey is an experience of the active config with `"kind": "survey"` and a `survey`
//! object: `{"questions": [{"id": "recommend", "type": "nps", …}, {"id": "effort", "type":
//! "ces", "scale": 5}, …]}`. The SDK records the events of [`survey`]: [`SHOWN`],
//! [`ANSWERED`], [`COMPLETED`] and [`DISMISSED`], each with the properties `survey` (the
//! experience id), `response` (an id made when the survey is shown, shared by every event
//! of that showing) and `locale`; an answer also has `question`, `question_type`, `value`
//! and, for the rating types, `scale` (`{"min", "max", "direction"}`); a dismissal has
//! `question`, the question on screen.
//!
//! As in [`crate::reports::experiments`], a store computes only counts ([`SurveyCounts`]), in its own
//! query language, and every figure is computed here, once, by the functions of
//! [`crate::reports::stats`]; a test holds SQLite and ClickHouse to the same counts.
//!
//! # Definitions
//!
//! - **Range**: as in the event report: whole UTC days, `from` defaulting to 29 days before
//!   `to`, `to` to today, at most 366 days. Survey events outside it are ignored, and every
//!   figure below counts events within it.
//! - **Person**: the person rule of [`crate::reports::events`]: the event's user id, else the user
//!   its anonymous id was linked to by `identify` (the smallest), else the anonymous id.
//! - **Survey event**: one of the four events whose `survey` property is the survey id.
//!   Duplicates (the same event id) are stored once, so they never count. A response id is
//!   a non-empty string `response`; shown, completed and dismissed events without one are
//!   not counted anywhere.
//! - **Valid answer**: an [`ANSWERED`] event with a response id, a non-empty string
//!   `question`, and a `question_type` whose `value` fits it: for `nps`, `ces` and `csat` a
//!   whole number within its `scale`, whose `min` and `max` are whole numbers with
//!   `min < max` and at most [`MAX_SCALE_SPAN`] apart and whose `direction` is `ascending`
//!   or `descending` (NPS answers need the scale 0–10 and CSAT answers a 5-point scale); for
//!   `single` a non-empty string (the choice id); for `multiple` a list of non-empty
//!   strings (the choice ids; the empty list is a valid answer choosing nothing); for
//!   `text` a string (empty included). Every other answer event is counted in
//!   `ignored_answers` and in nothing else.
//! - **Counted answer**: of a response's valid answers to one question, the last (largest
//!   skew-corrected timestamp; between answers at the same millisecond, the largest event
//!   id): a person who went back and changed an answer counts once, with the new one. The
//!   valid answers it replaced are counted in `superseded_answers`. Event ids break ties
//!   rather than the order of storage: the SDK's UUID v7 ids sort in the order one browser
//!   made them, whatever order batches arrive in, and ClickHouse has no storage order.
//!   Every answer event is counted once in exactly one of `counted_answers`,
//!   `superseded_answers` and `ignored_answers`.
//! - **Rating**: a rating value is read on its scale made ascending (`value' = min + max -
//!   value` when the direction is `descending`), as its position `value' - min + 1` on
//!   `1..=points`, `points = max - min + 1`; position 1 is the worst answer. An NPS score is
//!   `position - 1` (0–10).
//! - **Questions**: those of the config, in its order (entries that are not objects with a
//!   non-empty string `id` and a known `type`, or that repeat an id, are skipped), then any
//!   question with counted answers the config does not list, with the type of its first
//!   valid answer, ordered by that answer's time, then by id. A survey not in the active
//!   config has only the latter. Counted answers whose type is not their question's type
//!   (the question's type was changed) are counted in `unmatched_answers` and in no
//!   question's figures. A survey neither configured nor named by any survey event in the
//!   range is `unknown_survey` (404).
//! - **Config version**: `?version=N` counts only the survey events recorded under config
//!   version `N`, and reads the questions from version `N`'s config (so a question removed
//!   or retyped since reads as it was then); `versions` lists every version the survey was
//!   shown under (see [`crate::reports::versions`]).
//!
//! # Figures
//!
//! - `shown`, `completed`: distinct response ids with a [`SHOWN`], [`COMPLETED`] event.
//!   `completion_rate` = `completed / shown`. Both count within the range, so a response
//!   shown just before `from` and completed after it makes the rate slightly higher.
//! - `dismissed`: distinct response ids with a [`DISMISSED`] event and no [`COMPLETED`]
//!   one; `dismissal_rate` = `dismissed / shown`. `dismissed_at`: each dismissed response
//!   counted once, on the `question` of its last dismissal; every question of the survey is
//!   listed (0 included), then other question ids, then `null` for dismissals without one.
//!   The counts sum to `dismissed`.
//! - `responses`: distinct response ids with a valid answer; `people`: distinct people with
//!   a valid answer.
//! - Per question, `n` is its counted answers, and:
//!   - **NPS**: detractors (0–6), passives (7–8) and promoters (9–10), counts and
//!     percentages of `n`; the `distribution` of scores 0–10; `score` = `100 (promoters -
//!     detractors) / n` with its 95% interval `score ± 100 Z_95 √((p_P + p_D - (p_P -
//!     p_D)²) / n)` clamped to [-100, 100] (see [`stats::net_promoter_score`]).
//!   - **CES**: per scale size (`points`, 7 or 5 as the SDK asks; answers on other scales
//!     grouped by their own size), the `distribution` over positions `1..=points`, the
//!     `mean` position, and `easy`: answers in the top three points of a 7-point scale, the
//!     top two of a 5-point scale, the top `⌈points · 3 / 7⌉` of any other, with `easy_pct`
//!     and its 95% Wilson interval. The question's headline is the mean on the configured
//!     `scale` (5 or 7), else on the size with the most answers (ties: the larger), else 7.
//!   - **CSAT**: the `distribution` over 1–5, `satisfied` (4 or 5), `csat_pct` and its 95%
//!     Wilson interval. The headline is `csat_pct`.
//!   - **single**: answers per choice id; **multiple**: the people (counted answers) that
//!     chose each choice id, and `n` respondents. Percentages are of `n`; choices are listed
//!     most chosen first, then by id.
//!   - **text**: `n` and `non_empty`, the answers that are not the empty string.
//!
//!   Percentages (`_pct`) are on 0–100; rates (`_rate`) on 0–1; each is `null` without a
//!   denominator.
//! - **Trend**: every UTC day of the range: `shown` (responses whose first [`SHOWN`] event
//!   is that day), `responses` (responses whose first valid answer is that day), so that the
//!   days sum to the totals; and for each rating question its headline on that day's
//!   counted answers (a counted answer belongs to the day of its event), with `n`.
//!   With `?interval=week`, every week instead (Monday to Sunday, the first and last clipped
//!   to the range), labelled by its first day in the range: each week sums its days'
//!   `shown` and `responses`, and its headlines are computed from all its counted answers,
//!   never averaged from the days'. `interval` says which (`day` by default); anything else
//!   is `invalid_request` (400).
//! - **Breakdown** (`?by=ATTR`): each counted answer is grouped by the trait `ATTR` of its
//!   person, read from their most recent [`IDENTIFY`] event that carries traits, at any time
//!   (inside the range or not): a string trait as it is, any other value as its JSON text,
//!   and a missing or `null` trait (or a person never identified) in the `null` group. Per
//!   group: `responses` (distinct response ids among its counted answers; a response
//!   answered by people of two groups counts in both) and each rating question's headline.
//!   Groups are listed with the most responses first, then by value, `null` last. `ATTR` is
//!   1 to [`MAX_ATTRIBUTE_LEN`] ASCII letters, digits, `_`, `-` or `.` (a dot is part of the
//!   name, not a path), else `invalid_attribute` (400).
//! - **Open text**: the counted answers of `text` questions that are not empty, newest first
//!   (timestamp, then event id), each with its response id, question, value, `locale`,
//!   timestamp (ms) and person; `?question=` keeps one text question. Paged by `?limit=`
//!   (1 to [`MAX_LIMIT`], default [`DEFAULT_LIMIT`]) and `?cursor=`, the `next_cursor` of the
//!   previous page (`null` on the last): a keyset on (timestamp, event id), so answers
//!   arriving meanwhile neither repeat nor shift a page. A cursor no page gave is
//!   `invalid_cursor` (400).
//!
//! [`IDENTIFY`]: waymark_core::protocol::IDENTIFY

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::Date;

use crate::auth::admin;
use crate::error::IngestError;
use crate::extract::{Path, Query};
use crate::reports::events::{EventReportQuery, ReportRange};
use crate::reports::experiments::IntervalBody;
use crate::reports::stats::{self, Tally, Z_95};
use crate::reports::versions::{self, VersionCount, VersionQuery};
use crate::state::AppState;

pub use waymark_core::protocol::survey;
pub use waymark_core::protocol::survey::{ANSWERED, COMPLETED, DISMISSED, SHOWN};

/// The most answers one page of open text holds.
pub const MAX_LIMIT: u32 = 500;
/// Answers per page of open text when `?limit=` is not given.
pub const DEFAULT_LIMIT: u32 = 50;
/// The longest attribute name `?by=` takes.
pub const MAX_ATTRIBUTE_LEN: usize = 64;
/// The widest rating scale counted, `max - min` (a 101-point scale): wider ones are
/// invalid answers, which keeps every distribution small.
pub const MAX_SCALE_SPAN: i64 = 100;

/// A question's type, as answers carry it in `question_type` and the config in `type`: the
/// survey model's own, named as the SDK names it ([`QuestionType::name`]).
pub use waymark_core::rules::experiences::survey::QuestionType;

/// Every question type.
const QUESTION_TYPES: [QuestionType; 6] = [
    QuestionType::Nps,
    QuestionType::Ces,
    QuestionType::Csat,
    QuestionType::Single,
    QuestionType::Multiple,
    QuestionType::Text,
];

/// The type named `tag`, if it is one.
#[must_use]
pub fn question_type(tag: &str) -> Option<QuestionType> {
    QUESTION_TYPES.into_iter().find(|t| t.name() == tag)
}

/// Whether a type's answers are ratings on a scale.
#[must_use]
pub fn is_rating(kind: QuestionType) -> bool {
    matches!(
        kind,
        QuestionType::Nps | QuestionType::Ces | QuestionType::Csat
    )
}

/// Writes a question type as its name (`"nps"`).
fn type_name<S: serde::Serializer>(kind: &QuestionType, out: S) -> Result<S::Ok, S::Error> {
    out.serialize_str(kind.name())
}

/// Where a page of open text starts: after the answer with this timestamp and event id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextCursor {
    /// The last answer's skew-corrected timestamp, ms.
    pub timestamp: i64,
    /// The last answer's event id.
    pub id: String,
}

impl TextCursor {
    /// The opaque form pages give out: `timestamp:id`, hex-encoded.
    #[must_use]
    pub fn encode(&self) -> String {
        format!("{}:{}", self.timestamp, self.id)
            .bytes()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Reads a cursor [`TextCursor::encode`] gave; `None` for anything else.
    #[must_use]
    pub fn decode(text: &str) -> Option<TextCursor> {
        if !text.len().is_multiple_of(2) || text.len() > 2 * 100 {
            return None;
        }
        let bytes: Option<Vec<u8>> = (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
            .collect();
        let decoded = String::from_utf8(bytes?).ok()?;
        let (timestamp, id) = decoded.split_once(':')?;
        let valid_id = !id.is_empty()
            && id.len() <= 64
            && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
        let timestamp = timestamp.parse().ok()?;
        valid_id.then(|| TextCursor {
            timestamp,
            id: id.to_owned(),
        })
    }
}

/// Which open text answers a store is asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextQuery {
    /// Only this question's, if set.
    pub question: Option<String>,
    /// Answers wanted; the store returns up to one more, to tell whether a next page exists.
    pub limit: u32,
    /// Only answers after this one (older, or as old with a smaller event id).
    pub after: Option<TextCursor>,
}

/// What a store is asked to count for a survey report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SurveyQuery {
    /// The experience id, as survey events carry it in their `survey` property.
    pub survey: String,
    /// Only events on these days (the range's `name` is not used).
    pub range: ReportRange,
    /// The trait to group counted answers by, if any.
    pub by: Option<String>,
    /// The page of open text.
    pub text: TextQuery,
    /// Only events recorded under this config version (the batch's `config_version`).
    pub version: Option<i64>,
}

/// A store's totals for a survey (see the module docs for each).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SurveyTotals {
    /// Survey events in the range, of any of the four names, valid or not.
    pub events: u64,
    /// Distinct response ids shown.
    pub shown: u64,
    /// Distinct response ids completed.
    pub completed: u64,
    /// Distinct response ids dismissed and not completed.
    pub dismissed: u64,
    /// Distinct response ids with a valid answer.
    pub responses: u64,
    /// Distinct people with a valid answer.
    pub people: u64,
    /// Valid answer events.
    pub valid_answers: u64,
    /// Answer events that are not valid.
    pub ignored_answers: u64,
}

/// Responses first shown, and first answered, on one UTC day.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SurveyDay {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// Responses whose first shown event is on this day.
    pub shown: u64,
    /// Responses whose first valid answer is on this day.
    pub responses: u64,
}

/// A question id and type seen in valid answers, with the first such answer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeenQuestion {
    /// The question id.
    pub question: String,
    /// The type its answers carry.
    pub question_type: String,
    /// The first valid answer's timestamp.
    pub first_timestamp: i64,
    /// The first valid answer's event id (the smallest, at that timestamp).
    pub first_id: String,
}

/// Counted answers sharing a day, question, type and value.
///
/// Each counted answer is in exactly one row without a `choice` (its *question row*):
/// ratings by scale size and position, other types with `points` and `position` 0. Single
/// and multiple choice questions have *choice rows* besides: for each choice id, the
/// counted answers that chose it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AnswerTally {
    /// The UTC day of the counted answers' events.
    pub day: String,
    /// The question id.
    pub question: String,
    /// The type the answers carry.
    pub question_type: String,
    /// Ratings: the scale's size; 0 otherwise.
    pub points: u64,
    /// Ratings: the position on the ascending scale, from 1; 0 otherwise.
    pub position: u64,
    /// The choice, on a choice row.
    pub choice: Option<String>,
    /// Counted answers.
    pub answers: u64,
    /// Of them, text answers that are not empty.
    pub non_empty: u64,
}

/// A question row of [`AnswerTally`] for one breakdown group instead of one day.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupTally {
    /// The group's value (`None`: no value).
    pub group: Option<String>,
    /// The question id.
    pub question: String,
    /// The type the answers carry.
    pub question_type: String,
    /// Ratings: the scale's size; 0 otherwise.
    pub points: u64,
    /// Ratings: the position on the ascending scale; 0 otherwise.
    pub position: u64,
    /// Counted answers.
    pub answers: u64,
}

/// One open text answer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TextAnswer {
    /// The response id.
    pub response: String,
    /// The question id.
    pub question: String,
    /// The text.
    pub value: String,
    /// The answer's `locale` property, when it is a string.
    pub locale: Option<String>,
    /// Its skew-corrected timestamp, ms.
    pub timestamp: i64,
    /// Its event id.
    pub id: String,
    /// Its person.
    pub person: String,
}

/// What a store computes for a survey report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SurveyCounts {
    /// Over the range.
    pub totals: SurveyTotals,
    /// Days with responses first shown or first answered.
    pub days: Vec<SurveyDay>,
    /// Dismissed responses by the question of their last dismissal (`None`: without one).
    pub dismissed_at: Vec<(Option<String>, u64)>,
    /// Every question id and type with valid answers.
    pub seen: Vec<SeenQuestion>,
    /// Counted answers by day, question and value.
    pub tallies: Vec<AnswerTally>,
    /// With `by`: distinct responses among each group's counted answers.
    pub groups: Vec<(Option<String>, u64)>,
    /// With `by`: counted answers by group, question and value.
    pub group_tallies: Vec<GroupTally>,
    /// The page of open text, newest first, up to one answer more than asked.
    pub texts: Vec<TextAnswer>,
}

/// `None` after `Some`, and strings bytewise.
fn option_key(value: &Option<String>) -> (bool, &[u8]) {
    (
        value.is_none(),
        value.as_deref().map_or(&[][..], str::as_bytes),
    )
}

impl SurveyCounts {
    /// Puts every list in one order, whatever order a store's rows came in. Both backends
    /// call this, so they cannot assemble differently.
    #[must_use]
    pub fn sorted(mut self) -> Self {
        self.days.sort_by(|a, b| a.day.cmp(&b.day));
        self.dismissed_at
            .sort_by(|a, b| option_key(&a.0).cmp(&option_key(&b.0)));
        self.seen.sort_by(|a, b| {
            (a.question.as_bytes(), a.question_type.as_bytes())
                .cmp(&(b.question.as_bytes(), b.question_type.as_bytes()))
        });
        self.tallies.sort_by(|a, b| {
            (
                &a.day,
                a.question.as_bytes(),
                a.question_type.as_bytes(),
                a.points,
                a.position,
                option_key(&a.choice),
            )
                .cmp(&(
                    &b.day,
                    b.question.as_bytes(),
                    b.question_type.as_bytes(),
                    b.points,
                    b.position,
                    option_key(&b.choice),
                ))
        });
        self.groups
            .sort_by(|a, b| option_key(&a.0).cmp(&option_key(&b.0)));
        self.group_tallies.sort_by(|a, b| {
            (
                option_key(&a.group),
                a.question.as_bytes(),
                a.question_type.as_bytes(),
                a.points,
                a.position,
            )
                .cmp(&(
                    option_key(&b.group),
                    b.question.as_bytes(),
                    b.question_type.as_bytes(),
                    b.points,
                    b.position,
                ))
        });
        self.texts
            .sort_by(|a, b| (b.timestamp, b.id.as_bytes()).cmp(&(a.timestamp, a.id.as_bytes())));
        self
    }
}

/// Where a survey's questions come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionsFrom {
    /// The survey in the active config.
    Config,
    /// The answers stored, since the active config does not list the question.
    Data,
}

/// One question as designed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesignedQuestion {
    /// Its id.
    pub id: String,
    /// Its type.
    pub kind: QuestionType,
    /// Where it comes from.
    pub from: QuestionsFrom,
    /// For a configured CES question, its configured `scale` (5 or 7).
    pub scale: Option<u64>,
}

/// A survey as designed: its questions, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SurveyDesign {
    /// Where the survey comes from: the config, or only the data.
    pub from: QuestionsFrom,
    /// The questions.
    pub questions: Vec<DesignedQuestion>,
}

impl SurveyDesign {
    /// The survey `id` in a config body: an experience with that id and `"kind":
    /// "survey"`, with its usable questions (see the module docs); `None` if the config has
    /// no such experience.
    #[must_use]
    pub fn from_config(body: &str, id: &str) -> Option<SurveyDesign> {
        let config: Value = serde_json::from_str(body).ok()?;
        let experience = config
            .get("experiences")?
            .as_array()?
            .iter()
            .find(|e| e.get("id").and_then(Value::as_str) == Some(id))?;
        if experience.get("kind").and_then(Value::as_str) != Some("survey") {
            return None;
        }
        let listed = experience
            .get("survey")
            .and_then(|s| s.get("questions"))
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        let mut questions: Vec<DesignedQuestion> = Vec::new();
        for question in listed {
            let id = question
                .get("id")
                .and_then(Value::as_str)
                .filter(|id| !id.is_empty());
            let kind = question
                .get("type")
                .and_then(Value::as_str)
                .and_then(question_type);
            let (Some(id), Some(kind)) = (id, kind) else {
                continue;
            };
            if questions.iter().any(|q| q.id == id) {
                continue;
            }
            let scale = (kind == QuestionType::Ces)
                .then(|| question.get("scale").and_then(Value::as_u64))
                .flatten()
                .filter(|points| matches!(points, 5 | 7));
            questions.push(DesignedQuestion {
                id: id.to_owned(),
                kind,
                from: QuestionsFrom::Config,
                scale,
            });
        }
        Some(SurveyDesign {
            from: QuestionsFrom::Config,
            questions,
        })
    }

    /// A survey the config does not have: no questions until [`SurveyDesign::with_seen`].
    #[must_use]
    pub fn from_data() -> SurveyDesign {
        SurveyDesign {
            from: QuestionsFrom::Data,
            questions: Vec::new(),
        }
    }

    /// Appends the questions seen in valid answers that the design does not list, each with
    /// the type of its first valid answer, ordered by that answer, then by id. A seen type
    /// that is no known type (which a store never returns) is skipped.
    #[must_use]
    pub fn with_seen(mut self, seen: &[SeenQuestion]) -> SurveyDesign {
        let mut firsts: Vec<&SeenQuestion> = Vec::new();
        for candidate in seen {
            if question_type(&candidate.question_type).is_none()
                || self.questions.iter().any(|q| q.id == candidate.question)
            {
                continue;
            }
            let key = |s: &SeenQuestion| (s.first_timestamp, s.first_id.clone());
            match firsts.iter_mut().find(|f| f.question == candidate.question) {
                Some(first) if key(candidate) < key(first) => *first = candidate,
                Some(_) => {}
                None => firsts.push(candidate),
            }
        }
        firsts.sort_by(|a, b| {
            (a.first_timestamp, a.question.as_bytes())
                .cmp(&(b.first_timestamp, b.question.as_bytes()))
        });
        for first in firsts {
            if let Some(kind) = question_type(&first.question_type) {
                self.questions.push(DesignedQuestion {
                    id: first.question.clone(),
                    kind,
                    from: QuestionsFrom::Data,
                    scale: None,
                });
            }
        }
        self
    }

    /// The question with this id.
    #[must_use]
    pub fn question(&self, id: &str) -> Option<&DesignedQuestion> {
        self.questions.iter().find(|q| q.id == id)
    }
}

/// `GET /v1/reports/surveys/{id}`.
#[derive(Debug, Serialize, PartialEq)]
pub struct SurveyReport {
    /// The project.
    pub project: String,
    /// The experience id.
    pub survey: String,
    /// Where the survey comes from: `config`, or `data` when the config read (`?version=`'s,
    /// else the active one) does not have it.
    pub questions_from: QuestionsFrom,
    /// The version of the config the questions were read from, when it has the survey.
    pub config_version: Option<i64>,
    /// Only events recorded under this config version (`?version=`); `null`: all.
    pub version: Option<i64>,
    /// Every config version the survey was shown under in the range, with how many times
    /// (`$survey_shown` events), newest first, `null` (recorded without one) last.
    pub versions: Vec<VersionCount>,
    /// The first day covered.
    pub from: String,
    /// The last day covered.
    pub to: String,
    /// Responses shown.
    pub shown: u64,
    /// Responses with a valid answer.
    pub responses: u64,
    /// Responses completed.
    pub completed: u64,
    /// `completed / shown`.
    pub completion_rate: Option<f64>,
    /// Responses dismissed and not completed.
    pub dismissed: u64,
    /// `dismissed / shown`.
    pub dismissal_rate: Option<f64>,
    /// Dismissed responses by the question on screen.
    pub dismissed_at: Vec<DismissedAt>,
    /// People with a valid answer.
    pub people: u64,
    /// Answers counted: the last valid answer per response and question.
    pub counted_answers: u64,
    /// Valid answers a later answer to the same question replaced.
    pub superseded_answers: u64,
    /// Answer events that are not valid.
    pub ignored_answers: u64,
    /// Counted answers whose type is not their question's.
    pub unmatched_answers: u64,
    /// Every question's figures, in order.
    pub questions: Vec<QuestionReport>,
    /// `day` or `week` (`?interval=`): what each entry of `trend` covers.
    pub interval: TrendInterval,
    /// Every day of the range, or every week (Monday to Sunday, clipped to the range).
    pub trend: Vec<TrendDay>,
    /// With `?by=`: the groups.
    pub breakdown: Option<Breakdown>,
    /// The page of open text.
    pub text: TextPage,
}

/// Dismissed responses on one question.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct DismissedAt {
    /// The question id; `null` for dismissals without one.
    pub question: Option<String>,
    /// Responses dismissed on it.
    pub dismissed: u64,
}

/// One question's figures.
#[derive(Debug, Serialize, PartialEq)]
pub struct QuestionReport {
    /// The question id.
    pub question: String,
    /// Where it comes from.
    pub from: QuestionsFrom,
    /// Counted answers (for `multiple`, respondents).
    pub n: u64,
    /// The type and its figures.
    #[serde(flatten)]
    pub figures: Figures,
}

/// A question's figures, by type (`"type"` in the JSON).
#[derive(Debug, Serialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Figures {
    /// Net Promoter Score.
    Nps(NpsFigures),
    /// Customer Effort Score.
    Ces(CesFigures),
    /// Customer Satisfaction.
    Csat(CsatFigures),
    /// One choice.
    Single(ChoiceFigures),
    /// Any number of choices.
    Multiple(ChoiceFigures),
    /// Free text.
    Text(TextFigures),
}

/// NPS figures.
#[derive(Debug, Serialize, PartialEq)]
pub struct NpsFigures {
    /// `100 (promoters - detractors) / n`.
    pub score: Option<f64>,
    /// Its 95% interval.
    pub interval: Option<IntervalBody>,
    /// Answers 9–10.
    pub promoters: u64,
    /// Answers 7–8.
    pub passives: u64,
    /// Answers 0–6.
    pub detractors: u64,
    /// Of `n`, in percent.
    pub promoters_pct: Option<f64>,
    /// Of `n`, in percent.
    pub passives_pct: Option<f64>,
    /// Of `n`, in percent.
    pub detractors_pct: Option<f64>,
    /// Answers per score, 0 to 10.
    pub distribution: Vec<u64>,
}

/// CES figures.
#[derive(Debug, Serialize, PartialEq)]
pub struct CesFigures {
    /// The scale size of the headline.
    pub points: u64,
    /// The headline: the mean on that scale.
    pub mean: Option<f64>,
    /// Per scale size answered, smallest first.
    pub scales: Vec<CesScale>,
}

/// CES answers on one scale size.
#[derive(Debug, Serialize, PartialEq)]
pub struct CesScale {
    /// Its size.
    pub points: u64,
    /// Answers on it.
    pub n: u64,
    /// The mean position, on `1..=points`.
    pub mean: Option<f64>,
    /// Answers per position, 1 (hardest) to `points` (easiest).
    pub distribution: Vec<u64>,
    /// How many top positions count as easy.
    pub easy_points: u64,
    /// Answers in them.
    pub easy: u64,
    /// Of `n`, in percent.
    pub easy_pct: Option<f64>,
    /// Its 95% Wilson interval, in percent.
    pub interval: Option<IntervalBody>,
}

/// CSAT figures.
#[derive(Debug, Serialize, PartialEq)]
pub struct CsatFigures {
    /// Answers per point, 1 to 5.
    pub distribution: Vec<u64>,
    /// Answers 4 or 5.
    pub satisfied: u64,
    /// Of `n`, in percent: the headline.
    pub csat_pct: Option<f64>,
    /// Its 95% Wilson interval, in percent.
    pub interval: Option<IntervalBody>,
}

/// Single or multiple choice figures.
#[derive(Debug, Serialize, PartialEq)]
pub struct ChoiceFigures {
    /// Per choice id chosen, most chosen first.
    pub choices: Vec<ChoiceCount>,
}

/// One choice.
#[derive(Debug, Serialize, PartialEq)]
pub struct ChoiceCount {
    /// The choice id.
    pub choice: String,
    /// Answers that chose it.
    pub count: u64,
    /// Of `n`, in percent.
    pub pct: Option<f64>,
}

/// Text figures.
#[derive(Debug, Serialize, PartialEq)]
pub struct TextFigures {
    /// Answers that are not empty.
    pub non_empty: u64,
}

/// What each entry of a survey report's trend covers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrendInterval {
    /// One UTC day.
    #[default]
    Day,
    /// A week, Monday to Sunday (UTC days), clipped to the range: the first and the last
    /// may be shorter.
    Week,
}

/// One day (or week) of the trend.
#[derive(Debug, Serialize, PartialEq)]
pub struct TrendDay {
    /// `YYYY-MM-DD`, UTC: the day, or the first day of the week in the range.
    pub day: String,
    /// Responses first shown this day.
    pub shown: u64,
    /// Responses first answered this day.
    pub responses: u64,
    /// Each rating question's headline on this day's counted answers.
    pub ratings: Vec<Headline>,
}

/// A rating question's headline figure over some answers.
#[derive(Debug, Serialize, PartialEq)]
pub struct Headline {
    /// The question id.
    pub question: String,
    /// `nps`, `ces` or `csat`.
    #[serde(rename = "type", serialize_with = "type_name")]
    pub kind: QuestionType,
    /// The scale size the value is on: 11 for NPS, 5 for CSAT, the headline scale for CES.
    pub points: u64,
    /// Answers it is computed from.
    pub n: u64,
    /// NPS score, CES mean, or CSAT percent; `null` without answers.
    pub value: Option<f64>,
    /// The value's 95% interval: NPS's (as in its question's figures) and CSAT's Wilson
    /// interval in percent; `null` for a CES mean and without answers.
    pub interval: Option<IntervalBody>,
}

/// The breakdown by a trait.
#[derive(Debug, Serialize, PartialEq)]
pub struct Breakdown {
    /// The trait.
    pub by: String,
    /// The groups, most responses first.
    pub groups: Vec<GroupReport>,
}

/// One group of the breakdown.
#[derive(Debug, Serialize, PartialEq)]
pub struct GroupReport {
    /// The trait's value; `null` for people without one.
    pub value: Option<String>,
    /// Responses among its counted answers.
    pub responses: u64,
    /// Each rating question's headline on its counted answers.
    pub ratings: Vec<Headline>,
}

/// A page of open text answers.
#[derive(Debug, Serialize, PartialEq)]
pub struct TextPage {
    /// The question asked for, if one.
    pub question: Option<String>,
    /// The page size asked for.
    pub limit: u32,
    /// The answers, newest first.
    pub answers: Vec<TextAnswerBody>,
    /// Pass as `?cursor=` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// One open text answer, as the API reports it.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct TextAnswerBody {
    /// The response id.
    pub response: String,
    /// The question id.
    pub question: String,
    /// The text.
    pub value: String,
    /// The locale the survey was shown in.
    pub locale: Option<String>,
    /// When it was answered, ms since the Unix epoch (skew-corrected).
    pub timestamp: i64,
    /// Who answered.
    pub person: String,
}

/// What a survey report is about, besides the counts.
#[derive(Clone, Debug)]
pub struct ReportSubject {
    /// The project.
    pub project: String,
    /// The experience id.
    pub survey: String,
    /// The version of the config the questions come from, when it has the survey.
    pub config_version: Option<i64>,
    /// The range.
    pub range: ReportRange,
    /// The breakdown's trait, if any.
    pub by: Option<String>,
    /// The open text question asked for, if any.
    pub text_question: Option<String>,
    /// The page size asked for.
    pub limit: u32,
    /// The config version the counts are limited to, if any.
    pub version: Option<i64>,
    /// The versions seen, with their counts, in order.
    pub versions: Vec<VersionCount>,
    /// What each entry of the trend covers.
    pub interval: TrendInterval,
}

/// Counts per scale size: `distribution[p - 1]` answers at position `p`.
type Ratings = BTreeMap<u64, Vec<u64>>;

/// Rating answers as `(points, position, answers)` rows.
type RatingRows = Vec<(u64, u64, u64)>;

/// Adds `(points, position, answers)` rows to per-size distributions; rows outside their
/// scale (which a store never returns) are skipped.
fn ratings(rows: impl IntoIterator<Item = (u64, u64, u64)>) -> Ratings {
    let mut by_points = Ratings::new();
    for (points, position, answers) in rows {
        if points == 0 || points > MAX_SCALE_SPAN as u64 + 1 || position == 0 || position > points {
            continue;
        }
        let distribution = by_points
            .entry(points)
            .or_insert_with(|| vec![0; points as usize]);
        if let Some(count) = distribution.get_mut(position as usize - 1) {
            *count += answers;
        }
    }
    by_points
}

/// The distribution on `points` (zeros when none).
fn on_scale(ratings: &Ratings, points: u64) -> Vec<u64> {
    ratings
        .get(&points)
        .cloned()
        .unwrap_or_else(|| vec![0; points as usize])
}

/// `100 part / whole`.
fn pct(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| 100.0 * part as f64 / whole as f64)
}

/// `part / whole`.
fn rate(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The 95% Wilson interval of `part / whole`, in percent.
fn wilson_pct(part: u64, whole: u64) -> Option<IntervalBody> {
    stats::wilson_interval(
        Tally {
            exposures: whole,
            conversions: part,
        },
        Z_95,
    )
    .map(|i| IntervalBody {
        low: 100.0 * i.low,
        high: 100.0 * i.high,
    })
}

/// How many top positions of a CES scale count as easy (see the module docs).
#[must_use]
pub fn easy_points(points: u64) -> u64 {
    match points {
        7 => 3,
        5 => 2,
        other => (other * 3).div_ceil(7),
    }
}

/// NPS scores 0–6, 7–8 and 9–10 of an 11-point distribution.
fn nps_groups(distribution: &[u64]) -> (u64, u64, u64) {
    let sum = |range: std::ops::Range<usize>| -> u64 {
        distribution.get(range).map_or(0, |d| d.iter().sum())
    };
    (sum(9..11), sum(7..9), sum(0..7))
}

/// NPS has 11 points (0–10); CSAT 5.
const NPS_POINTS: u64 = 11;
const CSAT_POINTS: u64 = 5;

/// A rating question's headline `(points, n, value, interval)` on some answers; `ces_points`
/// is its headline scale.
fn headline_value(
    kind: QuestionType,
    ces_points: u64,
    ratings: &Ratings,
) -> (u64, u64, Option<f64>, Option<IntervalBody>) {
    match kind {
        QuestionType::Nps => {
            let distribution = on_scale(ratings, NPS_POINTS);
            let (promoters, passives, detractors) = nps_groups(&distribution);
            let n = promoters + passives + detractors;
            let score = stats::net_promoter_score(promoters, passives, detractors, Z_95);
            let interval = score.as_ref().map(|s| IntervalBody {
                low: s.interval.low,
                high: s.interval.high,
            });
            (NPS_POINTS, n, score.map(|s| s.score), interval)
        }
        QuestionType::Ces => {
            let distribution = on_scale(ratings, ces_points);
            (
                ces_points,
                distribution.iter().sum(),
                stats::mean_position(&distribution),
                None,
            )
        }
        _ => {
            let distribution = on_scale(ratings, CSAT_POINTS);
            let n: u64 = distribution.iter().sum();
            let satisfied = distribution.iter().skip(3).sum();
            (CSAT_POINTS, n, pct(satisfied, n), wilson_pct(satisfied, n))
        }
    }
}

impl SurveyReport {
    /// Computes every figure from a design and a store's counts.
    #[must_use]
    pub fn new(subject: ReportSubject, design: &SurveyDesign, counts: &SurveyCounts) -> Self {
        let totals = &counts.totals;
        let is_designed = |question: &str, question_type: &str| {
            design
                .question(question)
                .is_some_and(|q| q.kind.name() == question_type)
        };
        // Question rows: each counted answer once.
        let question_rows: Vec<&AnswerTally> = counts
            .tallies
            .iter()
            .filter(|t| t.choice.is_none())
            .collect();
        let counted_answers: u64 = question_rows.iter().map(|t| t.answers).sum();
        let unmatched_answers = question_rows
            .iter()
            .filter(|t| !is_designed(&t.question, &t.question_type))
            .map(|t| t.answers)
            .sum();
        let rows_of = |q: &DesignedQuestion| -> Vec<&AnswerTally> {
            question_rows
                .iter()
                .copied()
                .filter(|t| t.question == q.id && t.question_type == q.kind.name())
                .collect()
        };
        // The headline scale of each CES question (see the module docs).
        let ces_points = |q: &DesignedQuestion| -> u64 {
            if let Some(points) = q.scale {
                return points;
            }
            let all = ratings(rows_of(q).iter().map(|t| (t.points, t.position, t.answers)));
            all.iter()
                .map(|(points, d)| (d.iter().sum::<u64>(), *points))
                .max()
                .map_or(7, |(_, points)| points)
        };
        let rating_questions: Vec<(&DesignedQuestion, u64)> = design
            .questions
            .iter()
            .filter(|q| is_rating(q.kind))
            .map(|q| (q, ces_points(q)))
            .collect();

        let questions = design
            .questions
            .iter()
            .map(|q| {
                let rows = rows_of(q);
                let n: u64 = rows.iter().map(|t| t.answers).sum();
                let all = ratings(rows.iter().map(|t| (t.points, t.position, t.answers)));
                let figures = match q.kind {
                    QuestionType::Nps => nps_figures(&all),
                    QuestionType::Ces => ces_figures(&all, ces_points(q)),
                    QuestionType::Csat => csat_figures(&all),
                    QuestionType::Single | QuestionType::Multiple => {
                        let mut chosen: BTreeMap<&str, u64> = BTreeMap::new();
                        for t in counts
                            .tallies
                            .iter()
                            .filter(|t| t.question == q.id && t.question_type == q.kind.name())
                        {
                            if let Some(choice) = &t.choice {
                                *chosen.entry(choice.as_str()).or_default() += t.answers;
                            }
                        }
                        let mut choices: Vec<ChoiceCount> = chosen
                            .into_iter()
                            .map(|(choice, count)| ChoiceCount {
                                choice: choice.to_owned(),
                                count,
                                pct: pct(count, n),
                            })
                            .collect();
                        choices.sort_by(|a, b| {
                            (b.count, a.choice.as_bytes()).cmp(&(a.count, b.choice.as_bytes()))
                        });
                        let figures = ChoiceFigures { choices };
                        if q.kind == QuestionType::Single {
                            Figures::Single(figures)
                        } else {
                            Figures::Multiple(figures)
                        }
                    }
                    QuestionType::Text => Figures::Text(TextFigures {
                        non_empty: rows.iter().map(|t| t.non_empty).sum(),
                    }),
                };
                QuestionReport {
                    question: q.id.clone(),
                    from: q.from,
                    n,
                    figures,
                }
            })
            .collect();

        // Each rating question's headline, from its rows in the order of `rating_questions`.
        let headlines = |rows: Vec<RatingRows>| -> Vec<Headline> {
            rating_questions
                .iter()
                .zip(rows)
                .map(|((q, ces), rows)| {
                    let (points, n, value, interval) = headline_value(q.kind, *ces, &ratings(rows));
                    Headline {
                        question: q.id.clone(),
                        kind: q.kind,
                        points,
                        n,
                        value,
                        interval,
                    }
                })
                .collect()
        };
        // The rows are indexed once by day and by group, so that a year of days or a trait
        // with many values does not make the work quadratic.
        let by_day: Vec<BTreeMap<&str, RatingRows>> = rating_questions
            .iter()
            .map(|(q, _)| {
                let mut days: BTreeMap<&str, RatingRows> = BTreeMap::new();
                for t in rows_of(q) {
                    days.entry(t.day.as_str())
                        .or_default()
                        .push((t.points, t.position, t.answers));
                }
                days
            })
            .collect();
        let shown_on: BTreeMap<&str, &SurveyDay> =
            counts.days.iter().map(|d| (d.day.as_str(), d)).collect();

        // Each entry sums its days' counts and rating rows, so the weeks' headlines are
        // computed from their answers, never averaged from the days'.
        let mut trend = Vec::new();
        let mut start = subject.range.from;
        while start <= subject.range.to {
            let mut end = start;
            if subject.interval == TrendInterval::Week {
                while end < subject.range.to && end.weekday() != time::Weekday::Sunday {
                    match end.next_day() {
                        Some(next) => end = next,
                        None => break,
                    }
                }
            }
            let (mut shown, mut responses) = (0, 0);
            let mut rows: Vec<RatingRows> = vec![Vec::new(); by_day.len()];
            let mut day = start;
            loop {
                let label = day.to_string();
                if let Some(found) = shown_on.get(label.as_str()) {
                    shown += found.shown;
                    responses += found.responses;
                }
                for (into, days) in rows.iter_mut().zip(&by_day) {
                    into.extend(days.get(label.as_str()).into_iter().flatten().copied());
                }
                match day.next_day() {
                    Some(next) if day < end => day = next,
                    _ => break,
                }
            }
            trend.push(TrendDay {
                day: start.to_string(),
                shown,
                responses,
                ratings: headlines(rows),
            });
            match end.next_day() {
                Some(next) => start = next,
                None => break,
            }
        }

        let breakdown = subject.by.clone().map(|by| {
            let mut in_group: BTreeMap<&Option<String>, Vec<&GroupTally>> = BTreeMap::new();
            for t in &counts.group_tallies {
                in_group.entry(&t.group).or_default().push(t);
            }
            let mut groups: Vec<GroupReport> = counts
                .groups
                .iter()
                .map(|(value, responses)| {
                    let tallies = in_group.get(value).map_or(&[][..], Vec::as_slice);
                    let rows = rating_questions
                        .iter()
                        .map(|(q, _)| {
                            tallies
                                .iter()
                                .filter(|t| t.question == q.id && t.question_type == q.kind.name())
                                .map(|t| (t.points, t.position, t.answers))
                                .collect()
                        })
                        .collect();
                    GroupReport {
                        value: value.clone(),
                        responses: *responses,
                        ratings: headlines(rows),
                    }
                })
                .collect();
            groups.sort_by(|a, b| {
                (b.responses, option_key(&a.value)).cmp(&(a.responses, option_key(&b.value)))
            });
            Breakdown { by, groups }
        });

        let limit = subject.limit as usize;
        let next_cursor = (counts.texts.len() > limit)
            .then(|| counts.texts.get(limit.checked_sub(1)?))
            .flatten()
            .map(|last| {
                TextCursor {
                    timestamp: last.timestamp,
                    id: last.id.clone(),
                }
                .encode()
            });
        let text = TextPage {
            question: subject.text_question.clone(),
            limit: subject.limit,
            answers: counts
                .texts
                .iter()
                .take(limit)
                .map(|t| TextAnswerBody {
                    response: t.response.clone(),
                    question: t.question.clone(),
                    value: t.value.clone(),
                    locale: t.locale.clone(),
                    timestamp: t.timestamp,
                    person: t.person.clone(),
                })
                .collect(),
            next_cursor,
        };

        SurveyReport {
            project: subject.project,
            survey: subject.survey,
            questions_from: design.from,
            config_version: subject.config_version,
            version: subject.version,
            versions: subject.versions,
            interval: subject.interval,
            from: subject.range.from.to_string(),
            to: subject.range.to.to_string(),
            shown: totals.shown,
            responses: totals.responses,
            completed: totals.completed,
            completion_rate: rate(totals.completed, totals.shown),
            dismissed: totals.dismissed,
            dismissal_rate: rate(totals.dismissed, totals.shown),
            dismissed_at: dismissed_at(design, &counts.dismissed_at),
            people: totals.people,
            counted_answers,
            superseded_answers: totals.valid_answers.saturating_sub(counted_answers),
            ignored_answers: totals.ignored_answers,
            unmatched_answers,
            questions,
            trend,
            breakdown,
            text,
        }
    }
}

/// Every question of the design (0 included), then other question ids, then `null`.
fn dismissed_at(design: &SurveyDesign, found: &[(Option<String>, u64)]) -> Vec<DismissedAt> {
    let count = |question: &str| {
        found
            .iter()
            .filter(|(q, _)| q.as_deref() == Some(question))
            .map(|(_, n)| n)
            .sum()
    };
    let mut listed: Vec<DismissedAt> = design
        .questions
        .iter()
        .map(|q| DismissedAt {
            question: Some(q.id.clone()),
            dismissed: count(&q.id),
        })
        .collect();
    let mut others: Vec<DismissedAt> = found
        .iter()
        .filter(|(q, n)| *n > 0 && q.as_deref().is_none_or(|q| design.question(q).is_none()))
        .map(|(question, dismissed)| DismissedAt {
            question: question.clone(),
            dismissed: *dismissed,
        })
        .collect();
    others.sort_by(|a, b| option_key(&a.question).cmp(&option_key(&b.question)));
    listed.extend(others);
    listed
}

fn nps_figures(all: &Ratings) -> Figures {
    let distribution = on_scale(all, NPS_POINTS);
    let (promoters, passives, detractors) = nps_groups(&distribution);
    let n = promoters + passives + detractors;
    let score = stats::net_promoter_score(promoters, passives, detractors, Z_95);
    Figures::Nps(NpsFigures {
        score: score.map(|s| s.score),
        interval: score.map(|s| IntervalBody {
            low: s.interval.low,
            high: s.interval.high,
        }),
        promoters,
        passives,
        detractors,
        promoters_pct: pct(promoters, n),
        passives_pct: pct(passives, n),
        detractors_pct: pct(detractors, n),
        distribution,
    })
}

fn ces_figures(all: &Ratings, headline_points: u64) -> Figures {
    let scales = all
        .iter()
        .map(|(&points, distribution)| {
            let n = distribution.iter().sum();
            let top = easy_points(points);
            let easy = distribution
                .iter()
                .skip(points.saturating_sub(top) as usize)
                .sum();
            CesScale {
                points,
                n,
                mean: stats::mean_position(distribution),
                distribution: distribution.clone(),
                easy_points: top,
                easy,
                easy_pct: pct(easy, n),
                interval: wilson_pct(easy, n),
            }
        })
        .collect();
    Figures::Ces(CesFigures {
        points: headline_points,
        mean: stats::mean_position(&on_scale(all, headline_points)),
        scales,
    })
}

fn csat_figures(all: &Ratings) -> Figures {
    let distribution = on_scale(all, CSAT_POINTS);
    let n = distribution.iter().sum();
    let satisfied = distribution.iter().skip(3).sum();
    Figures::Csat(CsatFigures {
        distribution,
        satisfied,
        csat_pct: pct(satisfied, n),
        interval: wilson_pct(satisfied, n),
    })
}

/// The query string of `GET /v1/reports/surveys/{id}`.
#[derive(Debug, Default, Deserialize)]
pub struct SurveyReportQuery {
    /// The first day, `YYYY-MM-DD` (default: 29 days before `to`).
    pub from: Option<String>,
    /// The last day, `YYYY-MM-DD` (default: today, UTC).
    pub to: Option<String>,
    /// The trait to break the answers down by.
    pub by: Option<String>,
    /// Only this text question's open text answers.
    pub question: Option<String>,
    /// Open text answers per page.
    pub limit: Option<String>,
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Only events recorded under this config version.
    pub version: Option<String>,
    /// What each entry of the trend covers: `day` (default) or `week`.
    pub interval: Option<String>,
}

impl SurveyReportQuery {
    /// The trend's interval, checked.
    pub fn interval(&self) -> Result<TrendInterval, IngestError> {
        match self.interval.as_deref() {
            None | Some("day") => Ok(TrendInterval::Day),
            Some("week") => Ok(TrendInterval::Week),
            Some(other) => Err(IngestError::InvalidRequest(format!(
                "interval: expected day or week, got {other:?}"
            ))),
        }
    }

    /// The range, as the event report resolves it against `today`.
    pub fn range(&self, today: Date) -> Result<ReportRange, IngestError> {
        EventReportQuery {
            from: self.from.clone(),
            to: self.to.clone(),
            name: None,
        }
        .range(today)
    }

    /// The breakdown's trait, checked.
    pub fn by(&self) -> Result<Option<String>, IngestError> {
        let Some(by) = self.by.as_deref() else {
            return Ok(None);
        };
        if by.is_empty() || by.len() > MAX_ATTRIBUTE_LEN {
            return Err(IngestError::InvalidAttribute(format!(
                "by: an attribute name is 1 to {MAX_ATTRIBUTE_LEN} characters"
            )));
        }
        if !by
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        {
            return Err(IngestError::InvalidAttribute(format!(
                "by: {by:?} may hold only ASCII letters, digits, _, - and ."
            )));
        }
        Ok(Some(by.to_owned()))
    }

    /// The page size, checked.
    pub fn limit(&self) -> Result<u32, IngestError> {
        let Some(text) = self.limit.as_deref() else {
            return Ok(DEFAULT_LIMIT);
        };
        text.parse::<u32>()
            .ok()
            .filter(|limit| (1..=MAX_LIMIT).contains(limit))
            .ok_or_else(|| {
                IngestError::InvalidRequest(format!(
                    "limit: expected a whole number from 1 to {MAX_LIMIT}, got {text:?}"
                ))
            })
    }

    /// The cursor, decoded.
    pub fn cursor(&self) -> Result<Option<TextCursor>, IngestError> {
        self.cursor
            .as_deref()
            .map(|text| {
                TextCursor::decode(text).ok_or_else(|| IngestError::InvalidCursor(text.to_owned()))
            })
            .transpose()
    }

    /// The open text question, if one is asked for (checked against the design later).
    pub fn question(&self) -> Result<Option<String>, IngestError> {
        match self.question.as_deref() {
            Some("") => Err(IngestError::InvalidRequest(
                "question: the question id is empty".into(),
            )),
            other => Ok(other.map(str::to_owned)),
        }
    }
}

/// Handles `GET /v1/reports/surveys/{id}` (admin key).
pub async fn report(
    State(state): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<String>, IngestError>,
    query: Result<Query<SurveyReportQuery>, IngestError>,
) -> Result<Json<SurveyReport>, IngestError> {
    let key = admin(&state, &headers)?;
    // The key first: a caller without one learns nothing, not even what is wrong with the rest.
    let Path(survey) = id?;
    let Query(query) = query?;
    survey_report(&state, key.project, survey, query)
        .await
        .map(Json)
}

/// The report of `survey` in `project`, for the admin key's route and the console's.
pub(crate) async fn survey_report(
    state: &AppState,
    project: String,
    survey: String,
    query: SurveyReportQuery,
) -> Result<SurveyReport, IngestError> {
    let today = state.today();
    let range = query.range(today)?;
    let by = query.by()?;
    let limit = query.limit()?;
    let after = query.cursor()?;
    let text_question = query.question()?;
    let version = versions::parse(query.version.as_deref())?;
    let interval = query.interval()?;

    let config = versions::design_config(state, &project, version).await?;
    let configured = config.and_then(|(version, body)| {
        SurveyDesign::from_config(&body, &survey).map(|design| (version, design))
    });
    let counts = state
        .store
        .survey_counts(
            project.clone(),
            SurveyQuery {
                survey: survey.clone(),
                range: range.clone(),
                by: by.clone(),
                text: TextQuery {
                    question: text_question.clone(),
                    limit,
                    after,
                },
                version,
            },
        )
        .await
        .map_err(IngestError::StorageUnavailable)?;
    let seen = versions::seen(
        state.store.as_ref(),
        project.clone(),
        VersionQuery {
            name: SHOWN,
            property: "survey",
            id: survey.clone(),
            range: Some(range.clone()),
        },
    )
    .await?;
    let (config_version, design) = match configured {
        Some((version, design)) => (Some(version), design),
        None if counts.totals.events > 0 => (None, SurveyDesign::from_data()),
        None => return Err(IngestError::UnknownSurvey(survey)),
    };
    let design = design.with_seen(&counts.seen);
    if let Some(asked) = &text_question {
        match design.question(asked) {
            Some(q) if q.kind == QuestionType::Text => {}
            Some(q) => {
                return Err(IngestError::InvalidRequest(format!(
                    "question: {asked:?} is a {} question, not a text one",
                    q.kind.name()
                )))
            }
            None => {
                return Err(IngestError::InvalidRequest(format!(
                    "question: survey {survey:?} has no question {asked:?}"
                )))
            }
        }
    }
    let subject = ReportSubject {
        project,
        survey,
        config_version,
        range,
        by,
        text_question,
        limit,
        version,
        versions: seen,
        interval,
    };
    Ok(SurveyReport::new(subject, &design, &counts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn config(survey: &str) -> String {
        format!(
            r#"{{"experiences": [{{"id": "pricing", "kind": "content"}},
                {{"id": "q3", "kind": "survey", "survey": {survey}}}]}}"#
        )
    }

    fn questions(design: &SurveyDesign) -> Vec<(&str, QuestionType, QuestionsFrom, Option<u64>)> {
        design
            .questions
            .iter()
            .map(|q| (q.id.as_str(), q.kind, q.from, q.scale))
            .collect()
    }

    #[test]
    fn the_config_gives_the_question_ids_and_types_in_order_and_skips_unusable_ones() {
        let design = SurveyDesign::from_config(
            &config(
                r#"{"questions": [
                    {"id": "score", "type": "nps", "text": "…"},
                    {"id": "effort", "type": "ces", "scale": 5},
                    {"id": "effort7", "type": "ces", "scale": 9},
                    {"id": "no-type"},
                    {"type": "csat"},
                    {"id": "", "type": "csat"},
                    {"id": "stars", "type": "rating"},
                    "text",
                    {"id": "score", "type": "text"},
                    {"id": "why", "type": "text"}
                ]}"#,
            ),
            "q3",
        )
        .unwrap();
        assert_eq!(
            questions(&design),
            [
                ("score", QuestionType::Nps, QuestionsFrom::Config, None),
                ("effort", QuestionType::Ces, QuestionsFrom::Config, Some(5)),
                ("effort7", QuestionType::Ces, QuestionsFrom::Config, None),
                ("why", QuestionType::Text, QuestionsFrom::Config, None),
            ]
        );
        // A survey without usable questions is still configured; other kinds are not surveys.
        let empty = SurveyDesign::from_config(&config(r#"{"questions": "score"}"#), "q3").unwrap();
        assert_eq!(
            (empty.from, empty.questions.len()),
            (QuestionsFrom::Config, 0)
        );
        assert_eq!(SurveyDesign::from_config(&config("{}"), "pricing"), None);
        assert_eq!(SurveyDesign::from_config(&config("{}"), "other"), None);
        assert_eq!(SurveyDesign::from_config("not json", "q3"), None);
    }

    fn seen(question: &str, kind: &str, first_timestamp: i64, first_id: &str) -> SeenQuestion {
        SeenQuestion {
            question: question.into(),
            question_type: kind.into(),
            first_timestamp,
            first_id: first_id.into(),
        }
    }

    #[test]
    fn questions_only_answered_are_appended_by_first_answer_then_id() {
        let seen = [
            seen("why", "text", 300, "e3"),
            seen("score", "nps", 100, "e1"),
            // Answered as another type later: the first answer's type wins.
            seen("ease", "csat", 200, "e9"),
            seen("ease", "ces", 200, "e2"),
            seen("aardvark", "single", 300, "e4"),
            // Configured: not appended again.
            seen("effort", "ces", 50, "e0"),
        ];
        let configured = SurveyDesign::from_config(
            &config(r#"{"questions": [{"id": "effort", "type": "ces"}]}"#),
            "q3",
        )
        .unwrap()
        .with_seen(&seen);
        assert_eq!(
            questions(&configured),
            [
                ("effort", QuestionType::Ces, QuestionsFrom::Config, None),
                ("score", QuestionType::Nps, QuestionsFrom::Data, None),
                ("ease", QuestionType::Ces, QuestionsFrom::Data, None),
                ("aardvark", QuestionType::Single, QuestionsFrom::Data, None),
                ("why", QuestionType::Text, QuestionsFrom::Data, None),
            ]
        );
        assert_eq!(
            SurveyDesign::from_data().with_seen(&seen).questions.len(),
            5
        );
    }

    fn design(questions: &[(&str, QuestionType)]) -> SurveyDesign {
        SurveyDesign {
            from: QuestionsFrom::Config,
            questions: questions
                .iter()
                .map(|(id, kind)| DesignedQuestion {
                    id: (*id).into(),
                    kind: *kind,
                    from: QuestionsFrom::Config,
                    scale: None,
                })
                .collect(),
        }
    }

    /// A question row: `answers` counted answers at `position` of a `points` scale.
    fn rating(
        day: &str,
        question: &str,
        kind: &str,
        points: u64,
        position: u64,
        answers: u64,
    ) -> AnswerTally {
        AnswerTally {
            day: day.into(),
            question: question.into(),
            question_type: kind.into(),
            points,
            position,
            choice: None,
            answers,
            non_empty: 0,
        }
    }

    /// Counts holding only these tallies.
    fn one_day(tallies: Vec<AnswerTally>) -> SurveyCounts {
        SurveyCounts {
            tallies,
            ..SurveyCounts::default()
        }
    }

    /// The report of 2026-01-01 alone.
    fn report_on(design: &SurveyDesign, counts: &SurveyCounts) -> SurveyReport {
        SurveyReport::new(
            subject(date!(2026 - 01 - 01), date!(2026 - 01 - 01)),
            design,
            counts,
        )
    }

    fn subject(from: Date, to: Date) -> ReportSubject {
        ReportSubject {
            project: "demo".into(),
            survey: "q3".into(),
            config_version: Some(2),
            range: ReportRange {
                from,
                to,
                name: None,
            },
            by: None,
            version: None,
            versions: Vec::new(),
            interval: TrendInterval::Day,
            text_question: None,
            limit: DEFAULT_LIMIT,
        }
    }

    #[track_caller]
    fn close(got: Option<f64>, expected: f64) {
        let got = got.expect("a figure");
        assert!(
            (got - expected).abs() < 1e-9,
            "got {got}, expected {expected}"
        );
    }

    // 10 NPS answers: scores 10, 10, 9, 9, 9 (5 promoters), 8, 7, 7 (3 passives), 6, 0 (2
    // detractors). Scores s are positions s + 1 on the 11-point scale.
    //   NPS = 100 (5 - 2) / 10 = 30.
    //   p_P = 0.5, p_D = 0.2: Var = 0.5 + 0.2 - 0.3² = 0.61; se = 100 √(0.61 / 10) = 24.6982;
    //   half = 1.96 · 24.6982 = 48.4075 (z = 1.959964): [-18.4075, 78.4075].
    #[test]
    fn ten_nps_answers_with_five_promoters_and_two_detractors_score_30() {
        let day = "2026-01-01";
        let tallies = vec![
            rating(day, "score", "nps", 11, 11, 2),
            rating(day, "score", "nps", 11, 10, 3),
            rating(day, "score", "nps", 11, 9, 1),
            rating(day, "score", "nps", 11, 8, 2),
            rating(day, "score", "nps", 11, 7, 1),
            rating(day, "score", "nps", 11, 1, 1),
        ];
        let counts = one_day(tallies);
        let design = design(&[("score", QuestionType::Nps)]);
        let report = report_on(&design, &counts);
        let Figures::Nps(nps) = &report.questions[0].figures else {
            panic!("an NPS question: {report:?}")
        };
        assert_eq!(report.questions[0].n, 10);
        assert_eq!((nps.promoters, nps.passives, nps.detractors), (5, 3, 2));
        assert_eq!(nps.distribution, [1, 0, 0, 0, 0, 0, 1, 2, 1, 3, 2]);
        close(nps.score, 30.0);
        let interval = nps.interval.as_ref().unwrap();
        assert!((interval.low - -18.4075).abs() < 5e-5, "{interval:?}");
        assert!((interval.high - 78.4075).abs() < 5e-5, "{interval:?}");
        close(nps.promoters_pct, 50.0);
        close(nps.detractors_pct, 20.0);
        assert_eq!(
            report.trend[0].ratings,
            [Headline {
                question: "score".into(),
                kind: QuestionType::Nps,
                points: 11,
                n: 10,
                value: Some(30.0),
                interval: nps.interval.clone(),
            }]
        );
    }

    // CES on 7 points: positions 7, 7, 6, 5, 2 → mean 27 / 5 = 5.4; easy (5–7) 4 of 5 = 80%.
    //   Wilson 4 of 5: z²/n = 0.76829, centre = (0.8 + 0.38415) / 1.76829 = 0.66966,
    //   half = z √(0.8 · 0.2 / 5 + z² / 100) / 1.76829 = 1.959964 · 0.265357 / 1.76829
    //   = 0.294121: [37.5535%, 96.3776%].
    // On 5 points: positions 4, 1 → mean 2.5; easy (4–5) 1 of 2. On 10 points: easy is the
    // top ⌈30 / 7⌉ = 5 positions (6–10): the 6 counts.
    #[test]
    fn ces_is_read_per_scale_size_with_the_top_points_easy() {
        let day = "2026-01-01";
        let tallies = vec![
            rating(day, "effort", "ces", 7, 7, 2),
            rating(day, "effort", "ces", 7, 6, 1),
            rating(day, "effort", "ces", 7, 5, 1),
            rating(day, "effort", "ces", 7, 2, 1),
            rating(day, "effort", "ces", 5, 4, 1),
            rating(day, "effort", "ces", 5, 1, 1),
            rating(day, "effort", "ces", 10, 6, 1),
        ];
        let counts = one_day(tallies);
        let mut design = design(&[("effort", QuestionType::Ces)]);
        let report = report_on(&design, &counts);
        let Figures::Ces(ces) = &report.questions[0].figures else {
            panic!("a CES question")
        };
        // No configured scale: the headline is on the most answered size, 7.
        assert_eq!(ces.points, 7);
        close(ces.mean, 5.4);
        let sizes: Vec<(u64, u64, u64, u64)> = ces
            .scales
            .iter()
            .map(|s| (s.points, s.n, s.easy_points, s.easy))
            .collect();
        assert_eq!(sizes, [(5, 2, 2, 1), (7, 5, 3, 4), (10, 1, 5, 1)]);
        let seven = &ces.scales[1];
        close(seven.easy_pct, 80.0);
        let interval = seven.interval.as_ref().unwrap();
        assert!((interval.low - 37.5535).abs() < 5e-5, "{interval:?}");
        assert!((interval.high - 96.3776).abs() < 5e-5, "{interval:?}");
        close(ces.scales[0].mean, 2.5);
        // A configured 5-point scale makes that the headline.
        design.questions[0].scale = Some(5);
        let report = report_on(&design, &counts);
        let Figures::Ces(ces) = &report.questions[0].figures else {
            panic!("a CES question")
        };
        assert_eq!(ces.points, 5);
        close(ces.mean, 2.5);
        assert_eq!(
            [2, 3, 4, 5, 6, 7, 10, 11].map(easy_points),
            [1, 2, 2, 2, 3, 3, 5, 5]
        );
    }

    // CSAT 5, 5, 4, 3, 2, 1: satisfied 3 of 6 = 50%.
    //   Wilson: z²/n = 0.64024, centre = 0.5, half = z √(0.25 / 6 + z² / 144) / 1.64024
    //   = 1.959964 · 0.261426 / 1.64024 = 0.312384: [18.7616%, 81.2384%].
    #[test]
    fn csat_counts_four_and_five_as_satisfied() {
        let day = "2026-01-01";
        let tallies = vec![
            rating(day, "sat", "csat", 5, 5, 2),
            rating(day, "sat", "csat", 5, 4, 1),
            rating(day, "sat", "csat", 5, 3, 1),
            rating(day, "sat", "csat", 5, 2, 1),
            rating(day, "sat", "csat", 5, 1, 1),
        ];
        let counts = one_day(tallies);
        let design = design(&[("sat", QuestionType::Csat)]);
        let report = report_on(&design, &counts);
        let Figures::Csat(csat) = &report.questions[0].figures else {
            panic!("a CSAT question")
        };
        assert_eq!(
            (csat.satisfied, &csat.distribution[..]),
            (3, &[1, 1, 1, 1, 2][..])
        );
        close(csat.csat_pct, 50.0);
        let interval = csat.interval.as_ref().unwrap();
        assert!((interval.low - 18.7616).abs() < 5e-5, "{interval:?}");
        assert!((interval.high - 81.2384).abs() < 5e-5, "{interval:?}");
    }

    #[test]
    fn every_answer_is_counted_superseded_ignored_or_unmatched_and_empty_figures_are_null() {
        let day = "2026-01-02";
        let mut tallies = vec![
            rating(day, "score", "nps", 11, 11, 3),
            // The question's type was changed: these answers match no question.
            rating(day, "score", "csat", 5, 5, 2),
            rating(day, "pick", "single", 0, 0, 2),
            rating(day, "why", "text", 0, 0, 4),
        ];
        tallies[3].non_empty = 3;
        for (choice, answers) in [("a", 1), ("b", 1)] {
            tallies.push(AnswerTally {
                choice: Some(choice.into()),
                answers,
                ..rating(day, "pick", "single", 0, 0, 0)
            });
        }
        let counts = SurveyCounts {
            totals: SurveyTotals {
                valid_answers: 14,
                ignored_answers: 5,
                shown: 0,
                ..SurveyTotals::default()
            },
            tallies,
            ..SurveyCounts::default()
        };
        let design = design(&[
            ("score", QuestionType::Nps),
            ("effort", QuestionType::Ces),
            ("pick", QuestionType::Single),
            ("why", QuestionType::Text),
        ]);
        let report = SurveyReport::new(
            subject(date!(2026 - 01 - 01), date!(2026 - 01 - 03)),
            &design,
            &counts,
        );
        // 3 + 2 + 2 + 4 counted; 14 valid, so 3 were superseded.
        assert_eq!(
            (
                report.counted_answers,
                report.superseded_answers,
                report.ignored_answers,
                report.unmatched_answers
            ),
            (11, 3, 5, 2)
        );
        assert_eq!(
            (report.completion_rate, report.dismissal_rate),
            (None, None)
        );
        let effort = &report.questions[1];
        assert_eq!(effort.n, 0);
        let Figures::Ces(ces) = &effort.figures else {
            panic!("a CES question")
        };
        assert_eq!((ces.points, ces.mean, ces.scales.len()), (7, None, 0));
        let Figures::Single(pick) = &report.questions[2].figures else {
            panic!("a single choice question")
        };
        assert_eq!(
            pick.choices
                .iter()
                .map(|c| (c.choice.as_str(), c.count, c.pct))
                .collect::<Vec<_>>(),
            [("a", 1, Some(50.0)), ("b", 1, Some(50.0))]
        );
        assert_eq!(
            report.questions[3].figures,
            Figures::Text(TextFigures { non_empty: 3 })
        );
        // Three days, the answers on the second.
        let days: Vec<(&str, u64)> = report
            .trend
            .iter()
            .map(|d| (d.day.as_str(), d.ratings[0].n))
            .collect();
        assert_eq!(
            days,
            [("2026-01-01", 0), ("2026-01-02", 3), ("2026-01-03", 0)]
        );
        assert_eq!(report.trend[0].ratings[0].value, None);
        // Every question in dismissed_at, even without dismissals.
        assert_eq!(report.dismissed_at.len(), 4);
    }

    #[test]
    fn breakdown_groups_are_listed_by_responses_then_value_with_null_last() {
        let group = |value: Option<&str>, responses| (value.map(str::to_owned), responses);
        let counts = SurveyCounts {
            groups: vec![
                group(None, 2),
                group(Some("pro"), 5),
                group(Some("free"), 2),
                group(Some("2"), 2),
            ],
            group_tallies: vec![GroupTally {
                group: Some("pro".into()),
                question: "sat".into(),
                question_type: "csat".into(),
                points: 5,
                position: 4,
                answers: 5,
            }],
            ..SurveyCounts::default()
        };
        let mut subject = subject(date!(2026 - 01 - 01), date!(2026 - 01 - 01));
        subject.by = Some("plan".into());
        let report = SurveyReport::new(subject, &design(&[("sat", QuestionType::Csat)]), &counts);
        let breakdown = report.breakdown.unwrap();
        let order: Vec<(Option<&str>, u64, u64)> = breakdown
            .groups
            .iter()
            .map(|g| (g.value.as_deref(), g.responses, g.ratings[0].n))
            .collect();
        assert_eq!(
            order,
            [
                (Some("pro"), 5, 5),
                (Some("2"), 2, 0),
                (Some("free"), 2, 0),
                (None, 2, 0)
            ]
        );
        assert_eq!(breakdown.groups[0].ratings[0].value, Some(100.0));
    }

    fn text(timestamp: i64, id: &str) -> TextAnswer {
        TextAnswer {
            response: "r1".into(),
            question: "why".into(),
            value: "ok".into(),
            locale: None,
            timestamp,
            id: id.into(),
            person: "p".into(),
        }
    }

    #[test]
    fn a_page_with_more_answers_than_its_limit_points_at_the_last_one_shown() {
        let counts = SurveyCounts {
            texts: vec![text(3, "c"), text(2, "b"), text(2, "a")],
            ..SurveyCounts::default()
        }
        .sorted();
        let mut subject = subject(date!(2026 - 01 - 01), date!(2026 - 01 - 01));
        subject.limit = 2;
        let page = SurveyReport::new(subject.clone(), &SurveyDesign::from_data(), &counts).text;
        assert_eq!(page.answers.len(), 2);
        let cursor = TextCursor::decode(page.next_cursor.as_deref().unwrap()).unwrap();
        assert_eq!(
            cursor,
            TextCursor {
                timestamp: 2,
                id: "b".into()
            }
        );
        subject.limit = 3;
        let last = SurveyReport::new(subject, &SurveyDesign::from_data(), &counts).text;
        assert_eq!((last.answers.len(), last.next_cursor), (3, None));
    }

    #[test]
    fn cursors_round_trip_and_anything_else_is_refused() {
        let cursor = TextCursor {
            timestamp: 1_767_225_600_000,
            id: "019b7a3c-2a20-7000-8000-00000000002a".into(),
        };
        assert_eq!(TextCursor::decode(&cursor.encode()), Some(cursor));
        let hex = |text: &str| -> String { text.bytes().map(|b| format!("{b:02x}")).collect() };
        for bad in [
            String::new(),
            "zz".into(),
            "abc".into(),
            hex("12"),
            hex("x:abc"),
            hex("12:"),
            hex("12:not an id"),
            hex(&format!("12:{}", "a".repeat(65))),
            "é".into(),
        ] {
            assert_eq!(TextCursor::decode(&bad), None, "{bad:?}");
        }
    }

    #[test]
    fn attribute_names_and_limits_are_checked() {
        let by = |b: &str| {
            SurveyReportQuery {
                by: Some(b.into()),
                ..SurveyReportQuery::default()
            }
            .by()
            .map_err(|e| e.to_string())
        };
        assert_eq!(by("plan"), Ok(Some("plan".into())));
        assert_eq!(by("company.size_2-x"), Ok(Some("company.size_2-x".into())));
        for bad in ["", "plan tier", "plan\"", "$.plan", "é", &"x".repeat(65)] {
            assert!(
                matches!(
                    SurveyReportQuery {
                        by: Some(bad.into()),
                        ..SurveyReportQuery::default()
                    }
                    .by(),
                    Err(IngestError::InvalidAttribute(_))
                ),
                "{bad:?}"
            );
        }
        let limit = |l: Option<&str>| {
            SurveyReportQuery {
                limit: l.map(str::to_owned),
                ..SurveyReportQuery::default()
            }
            .limit()
            .ok()
        };
        assert_eq!(
            [
                None,
                Some("1"),
                Some("500"),
                Some("0"),
                Some("501"),
                Some("-1"),
                Some("2.5")
            ]
            .map(limit),
            [Some(50), Some(1), Some(500), None, None, None, None]
        );
    }
}
