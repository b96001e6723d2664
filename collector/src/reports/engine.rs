//! The engine the journey reports share (funnels, retention, paths): what a store streams,
//! and how a stream's events are matched to the steps a report asks about.
//!
//! **The stores only filter, sort and stream.** A report names the events it needs
//! ([`JourneyQuery`]); the store answers with a [`Journeys`] stream: for each person (identity
//! resolved through the alias table at query time: the event's user id, else the smallest
//! user its anonymous id was linked to, else the anonymous id), that person's wanted events in
//! order. Everything else (which step an event fills, attempts, windows, exclusions) is
//! computed here and in the reports, once, in Rust, so SQLite and ClickHouse cannot disagree.
//!
//! **Every event has one fixed place.** Events are ordered by their skew-corrected timestamp
//! in integer milliseconds; ties are broken by the order the collector stored them (its
//! `seq`), then by event id, so the order never depends on how a query happened to run.
//!
//! **Memory stays bounded by a person**: the stream holds a few hundred people at most
//! (batches of [`JOURNEY_BATCH`], [`JOURNEY_BUFFER`] of them waiting), and the reports fold
//! each person into their figures as it arrives.

use serde::Deserialize;
use waymark_core::rules::platform::{Platform, Regress};
use waymark_core::rules::{Condition, SavedGroups, Severity};
use waymark_core::Value;

use crate::error::IngestError;
use crate::reports::events::ReportRange;
use crate::store::{EventStore, StoreError};
use tokio::sync::mpsc::Sender;

/// People a store sends together: one hand-over (and, when the report waits, one wake-up of
/// its thread) per batch, not per person. Per person, the wake-ups cost more than the
/// engine's work on a person's events.
pub const JOURNEY_BATCH: usize = 64;

/// Batches the stream holds before the store waits for the report to read them.
pub const JOURNEY_BUFFER: usize = 4;

/// What a report asks a store for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JourneyQuery {
    /// The event names wanted; an event's [`JourneyEvent::name`] is its index here.
    pub names: Vec<WantedName>,
    /// The first millisecond wanted (skew-corrected timestamp).
    pub start_ms: i64,
    /// The first millisecond after the range.
    pub end_ms: i64,
    /// Whether each event's [`JourneyEvent::position`] counts every event of the person in
    /// the range (for strict funnels: "nothing between"), not only the wanted ones.
    pub positions: bool,
    /// Only events recorded under this config version (positions then count among them
    /// too); `None`: every event.
    pub config_version: Option<i64>,
}

/// One event name a report wants, and what it needs of such events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WantedName {
    /// The event name.
    pub name: String,
    /// Only events whose path starts with one of these (a necessary condition the report
    /// checks fully itself); `None`: any path.
    pub path_prefixes: Option<Vec<String>>,
    /// Whether the report needs the events' paths.
    pub path: bool,
    /// Whether the report needs the events' properties.
    pub properties: bool,
}

impl WantedName {
    /// Events of this name on any path, with their properties.
    #[must_use]
    pub fn with_properties(name: &str) -> WantedName {
        WantedName {
            name: name.to_owned(),
            path_prefixes: None,
            path: false,
            properties: true,
        }
    }
}

/// One person's wanted events, in order.
///
/// The events themselves are small (16 bytes: what the engine reads of every event); the
/// path and properties, empty unless a wanted name asks for them, are kept beside them
/// ([`Journey::path`], [`Journey::properties`]) and take no room when no event has any.
#[derive(Clone, Debug, Default)]
pub struct Journey {
    /// Who (see the module docs).
    pub person: String,
    /// Their wanted events in the range, ordered by (timestamp, storage order, id).
    events: Vec<JourneyEvent>,
    /// The path and properties of each event, by index, up to the last event that has
    /// either (so empty when none has).
    details: Vec<EventDetails>,
}

/// The texts of one event of a [`Journey`]: what only some reports read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct EventDetails {
    path: String,
    properties: String,
}

impl Journey {
    /// A person with no events yet, with room for `events` of them.
    #[must_use]
    pub fn with_capacity(person: String, events: usize) -> Journey {
        Journey {
            person,
            events: Vec::with_capacity(events),
            details: Vec::new(),
        }
    }

    /// Adds the next event, with its path and properties (each empty unless asked for).
    pub fn push(&mut self, event: JourneyEvent, path: String, properties: String) {
        if !path.is_empty() || !properties.is_empty() {
            self.details
                .resize_with(self.events.len(), EventDetails::default);
            self.details.push(EventDetails { path, properties });
        }
        self.events.push(event);
    }

    /// The events, in order.
    #[must_use]
    pub fn events(&self) -> &[JourneyEvent] {
        &self.events
    }

    /// The path of event `index`, if asked for (else empty).
    #[must_use]
    pub fn path(&self, index: usize) -> &str {
        self.details.get(index).map_or("", |d| d.path.as_str())
    }

    /// The properties' JSON of event `index`, if asked for (else empty).
    #[must_use]
    pub fn properties(&self, index: usize) -> &str {
        self.details
            .get(index)
            .map_or("", |d| d.properties.as_str())
    }
}

impl PartialEq for Journey {
    fn eq(&self, other: &Journey) -> bool {
        self.person == other.person
            && self.events == other.events
            && (0..self.events.len())
                .all(|i| self.path(i) == other.path(i) && self.properties(i) == other.properties(i))
    }
}

impl Eq for Journey {}

/// One event of a [`Journey`]; its path and properties are the journey's
/// ([`Journey::path`], [`Journey::properties`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JourneyEvent {
    /// Skew-corrected, in ms since the Unix epoch.
    pub timestamp: i64,
    /// Its name, as an index into [`JourneyQuery::names`].
    pub name: u32,
    /// Its place among the person's events in the range, counting from 1: among every
    /// event with [`JourneyQuery::positions`], among the wanted ones otherwise.
    pub position: u32,
}

/// A store's answer: people, one at a time, in no particular order; made with its sending
/// end by [`journeys`].
#[derive(Debug)]
pub struct Journeys {
    receiver: tokio::sync::mpsc::Receiver<Message>,
    batch: std::vec::IntoIter<Journey>,
}

/// Where a store sends its answer's people: [`JourneySender::send`] each, then
/// [`JourneySender::finish`], which sends the last batch or the error that ended it.
#[derive(Debug)]
pub struct JourneySender {
    sender: Sender<Message>,
    batch: Vec<Journey>,
}

/// Nobody reads the answer any more: the store can stop.
#[derive(Debug)]
pub struct Unread;

/// A stream of people: the store's end and the report's.
#[must_use]
pub fn journeys() -> (JourneySender, Journeys) {
    let (sender, receiver) = tokio::sync::mpsc::channel(JOURNEY_BUFFER);
    (
        JourneySender {
            sender,
            batch: Vec::with_capacity(JOURNEY_BATCH),
        },
        Journeys {
            receiver,
            batch: Vec::new().into_iter(),
        },
    )
}

impl Journeys {
    /// The next person, waiting for the store if need be (outside the async runtime).
    pub fn blocking_recv(&mut self) -> Option<Result<Journey, StoreError>> {
        loop {
            if let Some(journey) = self.batch.next() {
                return Some(Ok(journey));
            }
            match self.receiver.blocking_recv()? {
                Ok(batch) => self.batch = batch.into_iter(),
                Err(error) => return Some(Err(error)),
            }
        }
    }

    /// The next person, waiting for the store if need be.
    pub async fn recv(&mut self) -> Option<Result<Journey, StoreError>> {
        loop {
            if let Some(journey) = self.batch.next() {
                return Some(Ok(journey));
            }
            match self.receiver.recv().await? {
                Ok(batch) => self.batch = batch.into_iter(),
                Err(error) => return Some(Err(error)),
            }
        }
    }
}

/// What the stream's channel carries: a batch of people, or the error that ended the answer.
type Message = Result<Vec<Journey>, StoreError>;

impl JourneySender {
    /// Adds a person to the batch, and hands the batch over once it is full.
    fn add(&mut self, journey: Journey) -> Option<Message> {
        self.batch.push(journey);
        (self.batch.len() == JOURNEY_BATCH).then(|| {
            Ok(std::mem::replace(
                &mut self.batch,
                Vec::with_capacity(JOURNEY_BATCH),
            ))
        })
    }

    /// The last messages of an answer that ended as `outcome` says: the people not yet
    /// sent, then the error that cut the answer short, if one did (the report stops there).
    fn last(self, outcome: Result<(), StoreError>) -> (Sender<Message>, Vec<Message>) {
        let mut last = Vec::new();
        if !self.batch.is_empty() {
            last.push(Ok(self.batch));
        }
        if let Err(error) = outcome {
            last.push(Err(error));
        }
        (self.sender, last)
    }

    /// Another sender into the same answer, with a batch of its own, for a store that puts
    /// people in order on more than one thread. Each sends its last batch with
    /// [`JourneySender::blocking_finish`] (or `finish`) of `Ok(())`; the answer ends when
    /// every sender has finished.
    #[must_use]
    pub fn another(&self) -> JourneySender {
        JourneySender {
            sender: self.sender.clone(),
            batch: Vec::with_capacity(JOURNEY_BATCH),
        }
    }

    /// Sends a person (with the batch, once it is full).
    pub async fn send(&mut self, journey: Journey) -> Result<(), Unread> {
        match self.add(journey) {
            Some(batch) => self.sender.send(batch).await.map_err(|_| Unread),
            None => Ok(()),
        }
    }

    /// Sends a person (with the batch, once it is full), from outside the async runtime.
    pub fn blocking_send(&mut self, journey: Journey) -> Result<(), Unread> {
        match self.add(journey) {
            Some(batch) => self.sender.blocking_send(batch).map_err(|_| Unread),
            None => Ok(()),
        }
    }

    /// Ends the answer as `outcome` says (see [`JourneySender::last`]). If nobody reads any
    /// more, there is nobody to tell.
    pub async fn finish(self, outcome: Result<(), StoreError>) {
        let (sender, last) = self.last(outcome);
        for message in last {
            if sender.send(message).await.is_err() {
                return;
            }
        }
    }

    /// [`JourneySender::finish`], from outside the async runtime.
    pub fn blocking_finish(self, outcome: Result<(), StoreError>) {
        let (sender, last) = self.last(outcome);
        for message in last {
            if sender.blocking_send(message).is_err() {
                return;
            }
        }
    }
}

/// The names of what people did in a project over a range of UTC days, sorted: every event
/// name stored then but the SDK's own (`$…`), page views (`$pageview`) included. What the
/// paths report walks through and the holdout report counts as a return by default.
pub async fn product_event_names(
    store: &dyn EventStore,
    project: String,
    from: time::Date,
    to: time::Date,
) -> Result<Vec<String>, IngestError> {
    let counts = store
        .event_counts(
            project,
            ReportRange {
                from,
                to,
                name: None,
            },
        )
        .await
        .map_err(IngestError::StorageUnavailable)?;
    let mut names: Vec<String> = counts
        .by_name
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| !name.starts_with('$') || name == waymark_core::protocol::PAGEVIEW)
        .collect();
    names.sort();
    Ok(names)
}

/// A path pattern: `*` stands for any run of characters (`/` included); everything else is
/// itself. `/invoices/*` matches `/invoices/42` and `/invoices/42/edit`, not `/invoices`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Glob {
    /// The literal pieces between the stars (one more than there are stars).
    pieces: Vec<String>,
}

impl Glob {
    /// Reads a pattern.
    #[must_use]
    pub fn new(pattern: &str) -> Glob {
        Glob {
            pieces: pattern.split('*').map(str::to_owned).collect(),
        }
    }

    /// What every matching text starts with.
    #[must_use]
    pub fn prefix(&self) -> &str {
        self.pieces.first().map_or("", String::as_str)
    }

    /// Whether `text` matches the whole pattern.
    #[must_use]
    pub fn matches(&self, text: &str) -> bool {
        let pieces = &self.pieces;
        if pieces.len() == 1 {
            return text == pieces[0];
        }
        let (first, last) = (&pieces[0], &pieces[pieces.len() - 1]);
        if !text.starts_with(first.as_str()) || text.len() < first.len() + last.len() {
            return false;
        }
        if !text.ends_with(last.as_str()) {
            return false;
        }
        // The middle pieces, leftmost each, between the first and the last.
        let mut rest = &text[first.len()..text.len() - last.len()];
        for piece in &pieces[1..pieces.len() - 1] {
            match rest.find(piece.as_str()) {
                Some(at) => rest = &rest[at + piece.len()..],
                None => return false,
            }
        }
        true
    }
}

/// What an event must be to count as a step (or an exclusion): its name, for page views
/// optionally its path, and optionally a condition on its properties.
#[derive(Debug)]
pub struct Matcher {
    /// The event name.
    pub name: String,
    /// For page views: the path pattern.
    pub page: Option<Glob>,
    /// A condition on the event's properties (GrowthBook's condition language, as in
    /// targeting), if any.
    pub condition: Option<Condition>,
    /// The definition as asked, for the report to echo.
    pub definition: serde_json::Value,
}

/// How a step is written: an event name, `{"event": name, "where": condition}` or
/// `{"page": pattern, "where": condition}`.
#[derive(Deserialize)]
#[serde(untagged)]
enum StepSpec {
    Name(String),
    Object(StepObject),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepObject {
    event: Option<String>,
    page: Option<String>,
    #[serde(rename = "where")]
    condition: Option<serde_json::Value>,
    /// Exclusions only: between which steps.
    between: Option<(usize, usize)>,
}

static REGRESS: Regress = Regress;

impl Matcher {
    /// Reads one step (or exclusion) written as JSON; `at` names it in messages. An
    /// exclusion's `between` is returned beside it.
    pub fn from_json(
        json: &serde_json::Value,
        at: &str,
    ) -> Result<(Matcher, Option<(usize, usize)>), IngestError> {
        let bad = |message: String| IngestError::InvalidRequest(format!("{at}: {message}"));
        let spec: StepSpec = serde_json::from_value(json.clone()).map_err(|_| {
            bad("expected an event name, {\"event\": name} or {\"page\": pattern}, each with an optional \"where\" condition".into())
        })?;
        let (name, page, condition, between) = match spec {
            StepSpec::Name(name) => (name, None, None, None),
            StepSpec::Object(object) => match (object.event, object.page) {
                (Some(name), None) => (name, None, object.condition, object.between),
                (None, Some(page)) => (
                    waymark_core::protocol::PAGEVIEW.to_owned(),
                    Some(page),
                    object.condition,
                    object.between,
                ),
                _ => return Err(bad("give either \"event\" or \"page\"".into())),
            },
        };
        if name.is_empty() {
            return Err(bad("the event name is empty".into()));
        }
        if let Some(page) = &page {
            if !page.starts_with('/') && !page.starts_with('*') {
                return Err(bad(format!(
                    "a page pattern is matched against the path and starts with / or *, got {page:?}"
                )));
            }
        }
        let condition = match condition {
            None => None,
            Some(json) => {
                if !json.is_object() {
                    return Err(bad("\"where\" is a condition object".into()));
                }
                let value: Value =
                    serde_json::from_value(json).map_err(|e| bad(format!("\"where\": {e}")))?;
                let (condition, diagnostics) = Condition::compile(
                    &value,
                    "",
                    &REGRESS as &'static dyn Platform,
                    &SavedGroups::default(),
                );
                if let Some(error) = diagnostics
                    .iter()
                    .find(|d| matches!(d.severity, Severity::Error))
                {
                    return Err(bad(format!(
                        "\"where\"{}: {}",
                        error.pointer, error.message
                    )));
                }
                Some(condition)
            }
        };
        Ok((
            Matcher {
                name,
                page: page.as_deref().map(Glob::new),
                condition,
                definition: json.clone(),
            },
            between,
        ))
    }

    /// Whether an event (its name already known to be this matcher's) matches.
    fn matches(&self, path: &str, properties: Option<&Value>) -> bool {
        if let Some(page) = &self.page {
            if !page.matches(path) {
                return false;
            }
        }
        match (&self.condition, properties) {
            (None, _) => true,
            (Some(condition), Some(properties)) => condition.matches(properties),
            (Some(condition), None) => condition.matches(&Value::Object(Default::default())),
        }
    }

    /// Whether an event of the given name, path and properties' JSON matches.
    #[must_use]
    pub fn matches_event(&self, name: &str, path: &str, properties: &str) -> bool {
        if name != self.name {
            return false;
        }
        let parsed = if self.condition.is_some() && !properties.is_empty() {
            serde_json::from_str::<Value>(properties).ok()
        } else {
            None
        };
        self.matches(path, parsed.as_ref())
    }
}

/// The matchers of one report, and the store query that finds their events.
#[derive(Debug)]
pub struct MatcherSet {
    matchers: Vec<Matcher>,
    /// For each wanted name (by index), the matchers of that name.
    by_name: Vec<Vec<usize>>,
    /// Whether some matcher needs each wanted name's properties parsed.
    parse: Vec<bool>,
    /// For each wanted name whose matchers look at neither path nor properties, the mask
    /// every event of that name has: no matching needed.
    fixed: Vec<Option<u64>>,
    /// When every name's mask is fixed, those masks by name: a journey's masks are then
    /// one lookup an event.
    table: Option<Vec<u64>>,
    query: JourneyQuery,
}

impl MatcherSet {
    /// Gathers matchers (at most 64: bit `i` of a mask is matcher `i`) into one query over
    /// `[range.0, range.1)`; with `positions`, every event of a person is numbered.
    #[must_use]
    pub fn new(matchers: Vec<Matcher>, range: (i64, i64), positions: bool) -> MatcherSet {
        let mut names: Vec<WantedName> = Vec::new();
        let mut by_name: Vec<Vec<usize>> = Vec::new();
        for (index, matcher) in matchers.iter().enumerate() {
            let at = match names.iter().position(|n| n.name == matcher.name) {
                Some(at) => at,
                None => {
                    names.push(WantedName {
                        name: matcher.name.clone(),
                        path_prefixes: Some(Vec::new()),
                        path: false,
                        properties: false,
                    });
                    by_name.push(Vec::new());
                    names.len() - 1
                }
            };
            by_name[at].push(index);
            let wanted = &mut names[at];
            match &matcher.page {
                Some(glob) => {
                    wanted.path = true;
                    if let Some(prefixes) = &mut wanted.path_prefixes {
                        if !prefixes.iter().any(|p| p == glob.prefix()) {
                            prefixes.push(glob.prefix().to_owned());
                        }
                    }
                }
                None => wanted.path_prefixes = None,
            }
            if matcher.condition.is_some() {
                wanted.properties = true;
            }
        }
        for wanted in &mut names {
            // A prefix that is empty lets every path through: no filter at all.
            if let Some(prefixes) = &wanted.path_prefixes {
                if prefixes.iter().any(String::is_empty) {
                    wanted.path_prefixes = None;
                }
            }
        }
        let parse = names.iter().map(|n| n.properties).collect();
        let fixed: Vec<Option<u64>> = by_name
            .iter()
            .map(|indices| {
                indices
                    .iter()
                    .all(|&i| matchers[i].page.is_none() && matchers[i].condition.is_none())
                    .then(|| indices.iter().fold(0u64, |mask, &i| mask | (1 << i)))
            })
            .collect();
        let table = fixed.iter().copied().collect();
        MatcherSet {
            matchers,
            by_name,
            parse,
            fixed,
            table,
            query: JourneyQuery {
                names,
                start_ms: range.0,
                end_ms: range.1,
                positions,
                config_version: None,
            },
        }
    }

    /// Asks for the properties of the events of matcher `index`'s name too (for a report
    /// that reads them, such as a breakdown).
    pub fn want_properties(&mut self, index: usize) {
        if let Some(at) = self.by_name.iter().position(|m| m.contains(&index)) {
            self.query.names[at].properties = true;
        }
    }

    /// The query for the store.
    #[must_use]
    pub fn query(&self) -> &JourneyQuery {
        &self.query
    }

    /// The matchers, in the order given.
    #[must_use]
    pub fn matchers(&self) -> &[Matcher] {
        &self.matchers
    }

    /// For each event of a journey, the set of matchers it meets (bit `i` for matcher `i`).
    #[must_use]
    pub fn masks(&self, journey: &Journey) -> Vec<u64> {
        let mut out = Vec::with_capacity(journey.events().len());
        self.masks_into(journey, &mut out);
        out
    }

    /// [`MatcherSet::masks`] into `out` (cleared first), to reuse its memory person after
    /// person.
    pub fn masks_into(&self, journey: &Journey, out: &mut Vec<u64>) {
        out.clear();
        out.extend(self.masked(journey).map(|(_, mask)| mask));
    }

    /// When no matcher reads a path or properties, the set of matchers each name meets, by
    /// name (an event's mask is then its name's): what a caller may look up itself.
    #[must_use]
    pub fn fixed_masks(&self) -> Option<&[u64]> {
        self.table.as_deref()
    }

    /// Each event of a journey with the set of matchers it meets, in order: what
    /// [`MatcherSet::masks`] gives, beside the events, without a buffer between.
    pub fn masked<'a>(
        &'a self,
        journey: &'a Journey,
    ) -> impl Iterator<Item = (&'a JourneyEvent, u64)> + 'a {
        journey
            .events()
            .iter()
            .enumerate()
            .map(move |(index, event)| {
                let at = event.name as usize;
                let mask = match &self.table {
                    Some(table) => table.get(at).copied().unwrap_or(0),
                    None => self.mask(journey, index, at),
                };
                (event, mask)
            })
    }

    /// The mask of event `index` of a journey, whose name is `at`.
    fn mask(&self, journey: &Journey, index: usize, at: usize) -> u64 {
        if let Some(Some(mask)) = self.fixed.get(at) {
            return *mask;
        }
        let Some(candidates) = self.by_name.get(at) else {
            return 0;
        };
        let properties = journey.properties(index);
        let parsed = if self.parse[at] && !properties.is_empty() {
            serde_json::from_str::<Value>(properties).ok()
        } else {
            None
        };
        let path = journey.path(index);
        candidates.iter().fold(0u64, |mask, &i| {
            if self.matchers[i].matches(path, parsed.as_ref()) {
                mask | (1 << i)
            } else {
                mask
            }
        })
    }
}

/// A property of an event as a breakdown reads it: a string as it is, other JSON as its
/// text, missing or null as `None`. Top-level keys only.
#[must_use]
pub fn property_value(properties: &str, key: &str) -> Option<String> {
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(properties).ok()?;
    match object.get(key)? {
        serde_json::Value::Null => None,
        serde_json::Value::String(text) => Some(text.clone()),
        other => Some(other.to_string()),
    }
}

/// The median of whole milliseconds (the mean of the two middle ones for an even count).
/// Reorders `values` (a selection, not a sort: linear time).
#[must_use]
pub fn median(values: &mut [i64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let n = values.len();
    let (below, &mut middle, _) = values.select_nth_unstable(n / 2);
    Some(if n % 2 == 1 {
        middle as f64
    } else {
        // The other middle value is the largest of those below.
        let lower = below.iter().copied().max().unwrap_or(middle);
        (lower as f64 + middle as f64) / 2.0
    })
}

/// The mean of whole milliseconds, from their exact sum.
#[must_use]
pub fn mean(values: &[i64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let sum: i128 = values.iter().map(|&v| i128::from(v)).sum();
    Some(sum as f64 / values.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(i: usize) -> Journey {
        let mut journey = Journey::with_capacity(format!("p{i}"), 1);
        let event = JourneyEvent {
            timestamp: i as i64,
            name: 0,
            position: 1,
        };
        journey.push(event, String::new(), String::new());
        journey
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_stream_delivers_every_person_in_order_then_the_error_that_ended_it() {
        // Two full batches and part of a third; then the same, cut short by an error.
        let total = JOURNEY_BATCH * 2 + 5;
        for failed in [false, true] {
            let (mut sender, mut stream) = journeys();
            let store = tokio::task::spawn_blocking(move || {
                for i in 0..total {
                    sender.blocking_send(person(i)).unwrap();
                }
                let outcome = if failed {
                    Err(StoreError::Task("the store broke".into()))
                } else {
                    Ok(())
                };
                sender.blocking_finish(outcome);
            });
            let mut people = Vec::new();
            let mut error = None;
            while let Some(next) = stream.recv().await {
                match next {
                    Ok(journey) => people.push(journey.person),
                    Err(e) => error = Some(e.to_string()),
                }
            }
            store.await.unwrap();
            let expected: Vec<String> = (0..total).map(|i| format!("p{i}")).collect();
            assert_eq!(people, expected);
            assert_eq!(error.is_some(), failed, "{error:?}");
        }
        // An empty answer is just its end.
        let (sender, mut stream) = journeys();
        sender.finish(Ok(())).await;
        assert!(stream.recv().await.is_none());
        // A report that stops reading lets the store stop, once a batch is full.
        let (mut sender, stream) = journeys();
        drop(stream);
        let mut outcomes = Vec::new();
        for i in 0..JOURNEY_BATCH {
            outcomes.push(sender.send(person(i)).await.is_ok());
        }
        let mut expected = vec![true; JOURNEY_BATCH];
        expected[JOURNEY_BATCH - 1] = false;
        assert_eq!(outcomes, expected);
    }

    #[test]
    fn globs_match_whole_paths() {
        let g = Glob::new("/invoices/*");
        assert!(g.matches("/invoices/42"));
        assert!(g.matches("/invoices/42/edit"));
        assert!(g.matches("/invoices/"));
        assert!(!g.matches("/invoices"));
        assert!(!g.matches("/x/invoices/1"));
        assert_eq!(g.prefix(), "/invoices/");
        let exact = Glob::new("/plans");
        assert!(exact.matches("/plans") && !exact.matches("/plans/"));
        let middle = Glob::new("/a/*/b/*/c");
        assert!(middle.matches("/a/1/b/2/c"));
        assert!(middle.matches("/a//b//c"));
        assert!(!middle.matches("/a/b/c"));
        let overlap = Glob::new("/ab*ba");
        assert!(!overlap.matches("/aba"));
        assert!(overlap.matches("/abba"));
        let any = Glob::new("*");
        assert!(any.matches("") && any.matches("/x"));
        assert_eq!(any.prefix(), "");
    }

    #[test]
    fn steps_are_read_from_json_and_bad_ones_say_why() {
        let read =
            |text: &str| Matcher::from_json(&serde_json::from_str(text).unwrap(), "steps[0]");
        let (m, _) = read(r#"{"page": "/invoices/*", "where": {"plan": "pro"}}"#).unwrap();
        assert_eq!(m.name, "$pageview");
        assert!(m.matches(
            "/invoices/1",
            Some(&serde_json::from_str(r#"{"plan":"pro"}"#).unwrap())
        ));
        assert!(!m.matches("/invoices/1", None));
        let message = |text: &str| read(text).unwrap_err().to_string();
        assert_eq!(message(r#""""#), "steps[0]: the event name is empty");
        assert_eq!(
            message(r#"{"event": "a", "page": "/"}"#),
            "steps[0]: give either \"event\" or \"page\""
        );
        assert!(message(r#"{"page": "invoices"}"#).contains("starts with / or *"));
        assert!(message("3").contains("expected an event name"));
        assert!(
            message(r#"{"event": "a", "where": {"n": {"$regex": "("}}}"#).contains("\"where\"")
        );
    }

    #[test]
    fn properties_read_for_a_breakdown() {
        assert_eq!(
            property_value(r#"{"plan":"pro"}"#, "plan").as_deref(),
            Some("pro")
        );
        assert_eq!(property_value(r#"{"n":3}"#, "n").as_deref(), Some("3"));
        assert_eq!(property_value(r#"{"n":null}"#, "n"), None);
        assert_eq!(property_value(r#"{"a":{"plan":"x"}}"#, "plan"), None);
    }

    #[test]
    fn medians_and_means_of_milliseconds() {
        assert_eq!(median(&mut [3, 1, 2]), Some(2.0));
        assert_eq!(median(&mut [4, 1, 2, 3]), Some(2.5));
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [5, 5, 1, 9, 5, 2]), Some(5.0));
        assert_eq!(median(&mut [7]), Some(7.0));
        assert_eq!(mean(&[1, 2]), Some(1.5));
    }
}
