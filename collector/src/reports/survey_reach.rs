//! A survey's reach by question (`GET /v1/reports/surveys/{id}/reach`, admin key): for each
//! question, who reached it, answered it, skipped it, left the survey there, and who never
//! saw it because branching took them past it; and the paths through the questions that
//! branching produced.
//!
//! The SDK records no event when a question appears, only `$survey_shown` for the survey,
//! `$survey_answered` as each answer is given, `$survey_dismissed` naming the question on
//! screen, and `$survey_completed` (see [`crate::reports::surveys`]). Which questions a
//! respondent saw follows from those events and the survey's branching, so the reach
//! **replays each response through the survey's own [`Run`]**, the one the SDK's renderer
//! drives, over the survey as the active config defines it: the branching here is the
//! branching the respondents met, computed by the same code.
//!
//! # Definitions
//!
//! - **Range**: whole UTC days as in the other reports (`from` defaulting to 29 days before
//!   `to`, `to` to today, at most 366 days). A **response** is counted when its survey was
//!   shown within the range (its first `$survey_shown`); its other events are read until
//!   [`GRACE_MS`] after the range ends, so a showing that began on the last evening is read
//!   whole. A response is the survey events of one person (resolved through the alias table,
//!   as in every journey report) with one `response` id; events without one are ignored.
//! - **Answers**: a response's last answer to each question (in the person's event order:
//!   time, then storage order) is its answer, so going back and answering again counts
//!   once, with the new answer. An answer the survey's definition refuses (a choice it no
//!   longer has, a value off its scale) is not an answer.
//! - **The replay** starts at the first question. At each question, in order:
//!   1. a response dismissed there (and not completed) **left there, dismissed**;
//!   2. one with an answer to it **answered** it, and goes where the survey's branch rules
//!      send that answer;
//!   3. one with evidence of getting past it (completed, or an answer to or a dismissal at a
//!      later question) **skipped** it, and goes where the branch rules send a skip (for a
//!      question that cannot be skipped this means its answer was not recorded: the config
//!      changed since, or the event was lost);
//!   4. else the response stops there: **dismissed** if it was dismissed elsewhere (at a
//!      question its answers do not lead to, which only a changed config produces), else
//!      **unfinished** (the page was left with the survey open, or it is still on screen).
//!
//!   The end of the survey is **completed**. Branching only jumps forward, so every replay
//!   ends.
//! - Per question: `reached` (the replay came to it), `answered`, `skipped`, `dismissed` and
//!   `unfinished` as above (counting responses, the four add up to `reached`);
//!   `branched_past`: the replay jumped from an earlier question over this one (to a later
//!   one or to the end); `answered_off_path`: an answer to it that the replay does not pass
//!   through (the respondent went back and branched elsewhere).
//! - **Paths**: each response's questions in the order the replay reached them and how it
//!   ended (`completed`, `dismissed` at the last one listed, `unfinished` at the last one),
//!   the [`MAX_PATHS`] most taken, most first, then by their questions' order in the survey,
//!   then completed, dismissed, unfinished; `paths_left_off` counts the others.
//! - **Counting** (`count=`): `people` (default), where each figure counts the people with
//!   at least one response that did it (a person answering on two devices merged by
//!   `identify` is one person), or `responses`.
//!
//! The survey must be in the active config: without its definition its branching cannot be
//! replayed (`unknown_survey`, 404). Questions are the definition's, in its order.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde::{Deserialize, Serialize};
use time::Date;
use waymark_core::rules::experiences::survey::{Answer, QuestionKind, Run, Survey};
use waymark_core::rules::json::Fields;

use crate::auth::admin;
use crate::error::IngestError;
use crate::extract::{Path, Query};
use crate::reports::engine::{Journey, JourneyQuery, WantedName};
use crate::reports::events::{EventReportQuery, ReportRange};
use crate::reports::surveys::{ANSWERED, COMPLETED, DISMISSED, SHOWN};
use crate::reports::versions;
use crate::state::AppState;
use crate::store::{EventStore, StoreError};

/// How long after the range a response's events are still read: a showing lasts one page.
pub const GRACE_MS: i64 = 86_400_000;
/// The most paths listed.
pub const MAX_PATHS: usize = 50;

/// What each figure counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Counting {
    /// People with at least one response that did it.
    People,
    /// Responses.
    Responses,
}

/// How a response's path ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum End {
    /// Past the last question.
    Completed,
    /// Closed at the path's last question.
    Dismissed,
    /// Nothing after the path's last question.
    Unfinished,
}

/// One question's reach.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QuestionReach {
    /// Its id.
    pub question: String,
    /// Its type (`nps`, `ces`, `csat`, `single`, `multiple`, `text`).
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Whether it may be skipped.
    pub optional: bool,
    /// The replay came to it.
    pub reached: u64,
    /// Answered it and went on.
    pub answered: u64,
    /// Went on without an answer.
    pub skipped: u64,
    /// Closed the survey there.
    pub dismissed: u64,
    /// Stopped there with nothing after.
    pub unfinished: u64,
    /// Taken past it by a branch.
    pub branched_past: u64,
    /// Answered it, but their final path does not pass through it.
    pub answered_off_path: u64,
}

/// One path through the questions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PathReach {
    /// The questions, in the order reached.
    pub questions: Vec<String>,
    /// How it ended.
    pub end: End,
    /// People or responses.
    pub count: u64,
}

/// `GET /v1/reports/surveys/{id}/reach`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReachReport {
    /// The project.
    pub project: String,
    /// The survey's experience id.
    pub survey: String,
    /// The version of the config the survey was read from (`?version=`'s, else the active
    /// one).
    pub config_version: i64,
    /// Only events recorded under this config version (`?version=`); `null`: all.
    pub version: Option<i64>,
    /// The first day.
    pub from: String,
    /// The last day.
    pub to: String,
    /// `people` or `responses`.
    pub count: Counting,
    /// Shown the survey in the range.
    pub shown: u64,
    /// Completed it.
    pub completed: u64,
    /// Closed it before the end.
    pub dismissed: u64,
    /// Neither.
    pub unfinished: u64,
    /// In the survey's order.
    pub questions: Vec<QuestionReach>,
    /// The most taken first.
    pub paths: Vec<PathReach>,
    /// Paths beyond [`MAX_PATHS`].
    pub paths_left_off: usize,
}

/// The query string of `GET /v1/reports/surveys/{id}/reach`.
#[derive(Debug, Default, Deserialize)]
pub struct ReachQuery {
    /// The first day of showings, `YYYY-MM-DD` (default: 29 days before `to`).
    pub from: Option<String>,
    /// The last day (default: today, UTC).
    pub to: Option<String>,
    /// `people` (default) or `responses`.
    pub count: Option<String>,
    /// Only events recorded under this config version, whose survey is then read.
    pub version: Option<String>,
}

impl ReachQuery {
    /// The range and the counting, checked.
    pub fn check(&self, today: Date) -> Result<(ReportRange, Counting), IngestError> {
        let range = EventReportQuery {
            from: self.from.clone(),
            to: self.to.clone(),
            name: None,
        }
        .range(today)?;
        let counting = match self.count.as_deref() {
            None | Some("people") => Counting::People,
            Some("responses") => Counting::Responses,
            Some(other) => {
                return Err(IngestError::InvalidRequest(format!(
                    "count: expected people or responses, got {other:?}"
                )))
            }
        };
        Ok((range, counting))
    }
}

/// What one response's events say.
#[derive(Debug, Default)]
struct Response {
    id: String,
    shown_in_range: bool,
    /// The last answer to each question, by question index.
    answers: BTreeMap<usize, serde_json::Value>,
    /// The question of the last dismissal, by index (`None` inside: a question the survey
    /// does not have).
    dismissed: Option<Option<usize>>,
    completed: bool,
}

/// Where one response's replay left each question it met.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Left {
    Answered,
    Skipped,
    Dismissed,
    Unfinished,
}

// Flags of what a person (or response) did at one question.
const REACHED: u8 = 1;
const ANSWERED_IT: u8 = 2;
const SKIPPED: u8 = 4;
const DISMISSED_IT: u8 = 8;
const UNFINISHED: u8 = 16;
const BRANCHED_PAST: u8 = 32;
const OFF_PATH: u8 = 64;

/// A replayed response.
#[derive(Debug, PartialEq, Eq)]
struct Trace {
    path: Vec<usize>,
    end: End,
    /// Per question, the flags above.
    flags: Vec<u8>,
}

/// The survey, ready to replay responses through.
struct Replayer {
    survey: Survey,
    /// A run at the first question, cloned for each response.
    start: Option<Run>,
}

impl Replayer {
    fn new(survey: Survey) -> Replayer {
        // Every question optional: a response with evidence of getting past a question it
        // has no answer to is replayed as a skip there, whatever the question allows.
        let mut replayed = survey.clone();
        for question in &mut replayed.questions {
            question.optional = true;
        }
        let locale = replayed
            .locales
            .first()
            .cloned()
            .unwrap_or_else(|| replayed.default_locale.clone());
        // The report keeps the definition as configured (`optional` as written).
        let start = replayed.start(&locale, "");
        Replayer { survey, start }
    }

    fn index(&self, question: &str) -> Option<usize> {
        self.survey.questions.iter().position(|q| q.id == question)
    }

    /// An answer's `value` as the renderer would have given it, by the question's type.
    fn answer(&self, i: usize, value: &serde_json::Value) -> Option<Answer> {
        let question = self.survey.questions.get(i)?;
        Some(match &question.kind {
            QuestionKind::Nps { .. } | QuestionKind::Ces { .. } | QuestionKind::Csat { .. } => {
                let n = value.as_f64().filter(|n| n.fract() == 0.0)?;
                Answer::Rating(i32::try_from(n as i64).ok()?)
            }
            QuestionKind::Single { .. } => Answer::Choice(value.as_str()?.to_owned()),
            QuestionKind::Multiple { .. } => Answer::Choices(
                value
                    .as_array()?
                    .iter()
                    .map(|c| c.as_str().map(str::to_owned))
                    .collect::<Option<_>>()?,
            ),
            QuestionKind::Text { .. } => Answer::Text(value.as_str()?.to_owned()),
        })
    }

    fn replay(&self, response: &Response) -> Trace {
        let count = self.survey.questions.len();
        let mut flags = vec![0u8; count];
        let mut path: Vec<usize> = Vec::new();
        let Some(mut run) = self.start.clone() else {
            return Trace {
                path,
                end: End::Unfinished,
                flags,
            };
        };
        let dismissed = if response.completed {
            None
        } else {
            response.dismissed
        };
        // The furthest question a later event names: evidence of getting that far.
        let furthest = response
            .answers
            .keys()
            .copied()
            .chain(dismissed.flatten())
            .max();
        let mut mark = |i: usize, left: Left| {
            if let Some(f) = flags.get_mut(i) {
                *f |= REACHED
                    | match left {
                        Left::Answered => ANSWERED_IT,
                        Left::Skipped => SKIPPED,
                        Left::Dismissed => DISMISSED_IT,
                        Left::Unfinished => UNFINISHED,
                    };
            }
        };
        let end = loop {
            let Some(i) = run.question().and_then(|view| self.index(view.id)) else {
                break End::Completed;
            };
            path.push(i);
            if dismissed == Some(Some(i)) {
                mark(i, Left::Dismissed);
                break End::Dismissed;
            }
            let answered = response
                .answers
                .get(&i)
                .and_then(|value| self.answer(i, value))
                .is_some_and(|answer| run.answer(answer).is_ok());
            if answered {
                mark(i, Left::Answered);
                continue;
            }
            let past = response.completed || furthest.is_some_and(|f| f > i);
            if past && run.skip().is_ok() {
                mark(i, Left::Skipped);
                continue;
            }
            if dismissed.is_some() {
                mark(i, Left::Dismissed);
                break End::Dismissed;
            }
            mark(i, Left::Unfinished);
            break End::Unfinished;
        };
        // Questions a jump went over: between two questions of the path, and after the last
        // when a branch went to the end.
        let mut jumped = Vec::new();
        for pair in path.windows(2) {
            jumped.extend(pair[0] + 1..pair[1]);
        }
        if end == End::Completed {
            if let Some(&last) = path.last() {
                jumped.extend(last + 1..count);
            }
        }
        for i in jumped {
            flags[i] |= BRANCHED_PAST;
        }
        for &i in response.answers.keys() {
            if !path.contains(&i) {
                flags[i] |= OFF_PATH;
            }
        }
        Trace { path, end, flags }
    }
}

/// The figures, as they are added up.
#[derive(Debug, Default)]
struct Totals {
    shown: u64,
    completed: u64,
    dismissed: u64,
    unfinished: u64,
    /// Per question, per flag bit, a count.
    questions: Vec<[u64; 7]>,
    paths: BTreeMap<(Vec<usize>, End), u64>,
}

impl Totals {
    /// Adds one unit (a person or a response): the traces of its responses.
    fn add(&mut self, traces: &[Trace], count: usize) {
        if traces.is_empty() {
            return;
        }
        self.questions.resize(count, [0; 7]);
        self.shown += 1;
        let ends = |end: End| traces.iter().any(|t| t.end == end);
        self.completed += u64::from(ends(End::Completed));
        self.dismissed += u64::from(ends(End::Dismissed));
        self.unfinished += u64::from(ends(End::Unfinished));
        for (i, counts) in self.questions.iter_mut().enumerate() {
            let flags = traces
                .iter()
                .fold(0u8, |all, t| all | t.flags.get(i).copied().unwrap_or(0));
            for (bit, slot) in counts.iter_mut().enumerate() {
                *slot += u64::from(flags & (1 << bit) != 0);
            }
        }
        let mut distinct: Vec<(&[usize], End)> =
            traces.iter().map(|t| (t.path.as_slice(), t.end)).collect();
        distinct.sort();
        distinct.dedup();
        for (path, end) in distinct {
            *self.paths.entry((path.to_vec(), end)).or_default() += 1;
        }
    }
}

/// Reads a person's events of one survey into responses, in the order first seen.
fn responses(journey: &Journey, survey: &str, replayer: &Replayer, end_ms: i64) -> Vec<Response> {
    let mut found: Vec<Response> = Vec::new();
    for (index, event) in journey.events().iter().enumerate() {
        let Ok(properties) = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(
            journey.properties(index),
        ) else {
            continue;
        };
        let text = |key: &str| properties.get(key).and_then(serde_json::Value::as_str);
        if text("survey") != Some(survey) {
            continue;
        }
        let Some(id) = text("response").filter(|r| !r.is_empty()) else {
            continue;
        };
        let at = match found.iter().position(|r| r.id == id) {
            Some(at) => at,
            None => {
                found.push(Response {
                    id: id.to_owned(),
                    ..Response::default()
                });
                found.len() - 1
            }
        };
        let response = &mut found[at];
        let question = text("question").and_then(|q| replayer.index(q));
        match [SHOWN, ANSWERED, COMPLETED, DISMISSED][event.name as usize] {
            SHOWN => {
                if event.timestamp < end_ms {
                    response.shown_in_range = true;
                }
            }
            ANSWERED => {
                if let (Some(i), Some(value)) = (question, properties.get("value")) {
                    response.answers.insert(i, value.clone());
                }
            }
            COMPLETED => response.completed = true,
            _ => response.dismissed = Some(question),
        }
    }
    found.retain(|r| r.shown_in_range);
    found
}

/// Runs the reach of `survey` (as defined in `config_version`) against a store, over the
/// events recorded under version `only` if given.
pub async fn run(
    store: &dyn EventStore,
    project: String,
    survey: Survey,
    config_version: i64,
    range: ReportRange,
    counting: Counting,
    only: Option<i64>,
) -> Result<ReachReport, IngestError> {
    let end_ms = range.end_ms();
    let query = JourneyQuery {
        names: [SHOWN, ANSWERED, COMPLETED, DISMISSED]
            .iter()
            .map(|name| WantedName {
                name: (*name).to_owned(),
                path_prefixes: None,
                path: false,
                properties: true,
            })
            .collect(),
        start_ms: range.start_ms(),
        end_ms: end_ms + GRACE_MS,
        positions: false,
        config_version: only,
    };
    let mut stream = store
        .journeys(project.clone(), query)
        .await
        .map_err(IngestError::StorageUnavailable)?;
    let id = survey.id.clone();
    let replayer = Replayer::new(survey);
    let (replayer, totals) = tokio::task::spawn_blocking(move || {
        let count = replayer.survey.questions.len();
        let mut totals = Totals::default();
        while let Some(journey) = stream.blocking_recv() {
            let journey = journey?;
            let traces: Vec<Trace> = responses(&journey, &id, &replayer, end_ms)
                .iter()
                .map(|r| replayer.replay(r))
                .collect();
            match counting {
                Counting::People => totals.add(&traces, count),
                Counting::Responses => {
                    for trace in traces {
                        totals.add(std::slice::from_ref(&trace), count);
                    }
                }
            }
        }
        Ok::<_, StoreError>((replayer, totals))
    })
    .await
    .map_err(|e| IngestError::StorageUnavailable(StoreError::Task(e.to_string())))?
    .map_err(IngestError::StorageUnavailable)?;
    Ok(figures(
        project,
        (config_version, only),
        &range,
        counting,
        &replayer.survey,
        totals,
    ))
}

fn figures(
    project: String,
    (config_version, version): (i64, Option<i64>),
    range: &ReportRange,
    counting: Counting,
    survey: &Survey,
    totals: Totals,
) -> ReachReport {
    let questions = survey
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let c = totals.questions.get(i).copied().unwrap_or([0; 7]);
            QuestionReach {
                question: q.id.clone(),
                kind: q.question_type().name(),
                optional: q.optional,
                reached: c[0],
                answered: c[1],
                skipped: c[2],
                dismissed: c[3],
                unfinished: c[4],
                branched_past: c[5],
                answered_off_path: c[6],
            }
        })
        .collect();
    let mut paths: Vec<((Vec<usize>, End), u64)> = totals.paths.into_iter().collect();
    // Most taken first; then by the questions' order, then by how they ended (the map's).
    paths.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let left_off = paths.len().saturating_sub(MAX_PATHS);
    paths.truncate(MAX_PATHS);
    ReachReport {
        project,
        survey: survey.id.clone(),
        config_version,
        version,
        from: range.from.to_string(),
        to: range.to.to_string(),
        count: counting,
        shown: totals.shown,
        completed: totals.completed,
        dismissed: totals.dismissed,
        unfinished: totals.unfinished,
        questions,
        paths: paths
            .into_iter()
            .map(|((path, end), count)| PathReach {
                questions: path
                    .iter()
                    .filter_map(|&i| survey.questions.get(i).map(|q| q.id.clone()))
                    .collect(),
                end,
                count,
            })
            .collect(),
        paths_left_off: left_off,
    }
}

/// The survey `id` of a config body, read by the SDK's own reader; `None` when the config
/// has no survey experience of that id.
#[must_use]
pub fn survey_in_config(body: &str, id: &str) -> Option<Survey> {
    let config: waymark_core::Value = serde_json::from_str(body).ok()?;
    let waymark_core::Value::Array(experiences) = config.field("experiences")? else {
        return None;
    };
    let (at, experience) = experiences
        .iter()
        .enumerate()
        .find(|(_, e)| e.str_field("id") == Some(id) && e.str_field("kind") == Some("survey"))?;
    let mut diagnostics = Vec::new();
    Some(Survey::from_json(
        experience,
        id,
        &format!("/experiences/{at}"),
        &mut diagnostics,
    ))
}

/// Handles `GET /v1/reports/surveys/{id}/reach` (admin key).
pub async fn report(
    State(state): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<String>, IngestError>,
    query: Result<Query<ReachQuery>, IngestError>,
) -> Result<Json<ReachReport>, IngestError> {
    let key = admin(&state, &headers)?;
    let Path(survey) = id?;
    let Query(query) = query?;
    project_report(&state, key.project, survey, query)
        .await
        .map(Json)
}

/// The reach of `survey` in `project`, for the admin key's route and the console's: over the
/// survey as the config of `?version=` (else the active one) defines it
/// (`unconfigured_survey` when it has none of that id), and with `?version=` only the
/// events recorded under it.
pub(crate) async fn project_report(
    state: &AppState,
    project: String,
    survey: String,
    query: ReachQuery,
) -> Result<ReachReport, IngestError> {
    let (range, counting) = query.check(state.today())?;
    let only = versions::parse(query.version.as_deref())?;
    let config = versions::design_config(state, &project, only).await?;
    let Some((version, definition)) = config.and_then(|(version, body)| {
        survey_in_config(&body, &survey).map(|definition| (version, definition))
    }) else {
        return Err(IngestError::UnconfiguredSurvey(survey));
    };
    run(
        state.store.as_ref(),
        project,
        definition,
        version,
        range,
        counting,
        only,
    )
    .await
}
