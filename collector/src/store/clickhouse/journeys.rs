//! Journey queries on ClickHouse 18.16: each person's wanted events, in order.
//!
//! Two ways to the same answer. **Held** (the usual one): ClickHouse filters and
//! deduplicates and sends the wanted events as they are stored, one row each in `Native`
//! (column by column), with no grouping or sorting; here they are gathered per person,
//! sorted by (time, storage order, id's hash) and numbered. That holds the range's wanted
//! events in memory (40 to 80 bytes each, plus the texts asked for) until the answer is
//! over, and only up to [`JOURNEY_MEMORY`](super::JOURNEY_MEMORY)
//! bytes (or what `ClickHouseStore::with_journey_memory` says). **Grouped**, when the range
//! holds more than that (the held answer is then abandoned): ClickHouse gathers each
//! person's events into arrays (`groupArray`), sorts and numbers them, and people stream
//! one at a time, so the collector holds a few hundred people only.
//!
//! Measured on 3 million wanted events of 10 million (`examples/journeys.rs`), ClickHouse's
//! `groupArray`s and their sort cost about three times the CPU of reading the rows; and
//! `FINAL` reads in one stream per query in 18.16, so both queries read the range in slices
//! of days, each with its own `FINAL`, which ClickHouse reads in parallel. Copies of one
//! event share their day (it is in the sorting key), so slicing by day drops the same copies.
//!
//! **Merged months without `FINAL`.** A month whose partition is one merged part holds no
//! copies, and the held query reads it without `FINAL` (in one select, which ClickHouse
//! reads in parallel by itself), checking afterwards that the part was not replaced
//! meanwhile ([`journeys`]). Past months are usually merged; the current one, still
//! receiving inserts, is read with `FINAL`.

use std::hash::BuildHasher;

use rustc_hash::{FxBuildHasher, FxHashMap};

use super::{quote, Client, PERSON_SQL};
use crate::reports::engine::{Journey, JourneyEvent, JourneyQuery, JourneySender, WantedName};
use crate::store::StoreError;

/// The day slices a journey query reads with `FINAL` each, at most: enough for every core
/// ClickHouse gives a query here, few enough that the query's text stays small.
const SLICES: i64 = 8;

/// A journey query's text at most, so that the slices' repeated name lists stay far below
/// ClickHouse's `max_query_size` (256 KiB).
const QUERY_TEXT: usize = 128 * 1024;

/// What each slice reads: the wanted events (or, with positions, every event) of the days
/// `first..=last`, with their name's index (`n`, -1 for an event only counted), and the
/// path and properties where a name needs them.
struct Slices {
    names: String,
    prefixes: String,
    path: String,
    properties: String,
    filter: String,
    project: String,
    start: i64,
    end: i64,
}

impl Slices {
    fn new(project: &str, query: &JourneyQuery) -> Slices {
        let names: Vec<String> = query.names.iter().map(|w| quote(&w.name)).collect();
        let names = names.join(", ");
        // A text no name needs is not read at all (reading the column costs a tenth of the
        // query even when no row keeps it).
        let text = |pick: fn(&WantedName) -> bool, column: &str| {
            let chosen: Vec<String> = query
                .names
                .iter()
                .enumerate()
                .filter(|(_, w)| pick(w))
                .map(|(i, _)| i.to_string())
                .collect();
            if chosen.is_empty() {
                "materialize('')".to_owned()
            } else {
                format!(
                    "materialize(if(n IN ({}), {column}, ''))",
                    chosen.join(", ")
                )
            }
        };
        let mut prefixes = String::new();
        for (index, wanted) in query.names.iter().enumerate() {
            if let Some(list) = &wanted.path_prefixes {
                let any: Vec<String> = list
                    .iter()
                    .map(|p| format!("startsWith(path, {})", quote(p)))
                    .collect();
                let any = if any.is_empty() {
                    "0".to_owned()
                } else {
                    any.join(" OR ")
                };
                prefixes.push_str(&format!(" AND (raw_n != {index} OR {any})"));
            }
        }
        // With positions, every event of the person is read and numbered; an unwanted one
        // (or a page view outside the paths wanted) is -1, and dropped after numbering.
        let filter = if query.positions {
            String::new()
        } else {
            format!(" AND name IN ({names}) AND n >= 0")
        };
        let filter = match query.config_version {
            Some(version) => format!("{filter} AND config_version = {version}"),
            None => filter,
        };
        Slices {
            path: text(|w| w.path, "path"),
            properties: text(|w| w.properties, "properties"),
            names,
            prefixes,
            filter,
            project: quote(project),
            start: query.start_ms,
            end: query.end_ms,
        }
    }

    /// One slice: `anonymous_id, user_id, n, timestamp, seq, tie, path_out, properties_out`
    /// of the days in `days` (inclusive ranges), read with `FINAL` if `deduplicate`. `tie` is
    /// the id's `cityHash64`: it orders events at the same time and storage order (rows
    /// stored before the order was kept, or two replicas' at the same millisecond) in 8 bytes
    /// where the id takes 37, and the id itself is not sent. (`materialize`: 18.16 folds a
    /// text no name needs into a constant in some slices of a `UNION ALL` and not in others,
    /// and then refuses the union.)
    fn slice(&self, days: &[Days], deduplicate: bool) -> String {
        let days: Vec<String> = days
            .iter()
            .map(|(first, last)| format!("day >= '{first}' AND day <= '{last}'"))
            .collect();
        format!(
            "SELECT anonymous_id, user_id,
                    toInt64(indexOf([{names}], name)) - 1 AS raw_n,
                    toInt32(if(1{prefixes}, raw_n, -1)) AS n,
                    timestamp, seq, cityHash64(id) AS tie,
                    {path} AS path_out, {properties} AS properties_out
             FROM events{final}
             WHERE project = {project} AND ({days})
               AND timestamp >= {start} AND timestamp < {end}{filter}",
            names = self.names,
            prefixes = self.prefixes,
            path = self.path,
            properties = self.properties,
            final = if deduplicate { " FINAL" } else { "" },
            project = self.project,
            days = days.join(" OR "),
            start = self.start,
            end = self.end,
            filter = self.filter,
        )
    }

    /// Every event of the days `days` read, with its person: `person, n, timestamp, seq,
    /// tie, path_out, properties_out`. The days of the months in `merged` (partitions of one
    /// merged part, see [`parts`]) are read in one select without `FINAL`; the others in up
    /// to [`SLICES`] slices with `FINAL` each.
    fn events(&self, (first, last): Days, merged: &[u32]) -> String {
        let (plain, deduplicated) = runs(first, last, merged);
        let mut parts = Vec::new();
        if !plain.is_empty() {
            parts.push(self.slice(&plain, false));
        }
        let days: i64 = deduplicated
            .iter()
            .map(|(first, last)| (*last - *first).whole_days() + 1)
            .sum();
        if days > 0 {
            let one = self.slice(&deduplicated, true).len().max(1);
            let slices = SLICES
                .min(days)
                .min((QUERY_TEXT / one).max(1) as i64)
                .max(1);
            let per_slice = (days + slices - 1) / slices;
            // Each slice takes the next `per_slice` days, across months if need be.
            let mut slice = Vec::new();
            let mut room = per_slice;
            for &(mut from, last) in &deduplicated {
                while from <= last {
                    let to = (from + time::Duration::days(room - 1)).min(last);
                    slice.push((from, to));
                    room -= (to - from).whole_days() + 1;
                    from = to + time::Duration::days(1);
                    if room == 0 {
                        parts.push(self.slice(&slice, true));
                        slice.clear();
                        room = per_slice;
                    }
                }
            }
            if !slice.is_empty() {
                parts.push(self.slice(&slice, true));
            }
        }
        format!(
            "SELECT {PERSON_SQL} AS person, n, timestamp, seq, tie, path_out, properties_out
             FROM ({}) ANY LEFT JOIN (
                 SELECT anonymous_id, min(user_id) AS linked FROM identities FINAL
                 WHERE project = {project} GROUP BY anonymous_id
             ) USING anonymous_id",
            parts.join(" UNION ALL "),
            project = self.project,
        )
    }
}

/// The days `first..=last` as inclusive ranges: those of the months in `merged`, and the
/// others, each range as long as the months allow.
fn runs(first: time::Date, last: time::Date, merged: &[u32]) -> (Vec<Days>, Vec<Days>) {
    let (mut plain, mut deduplicated) = (Vec::new(), Vec::new());
    let mut from = first;
    while from <= last {
        let next = next_month(from);
        let to = next.map_or(last, |next| (next - time::Duration::days(1)).min(last));
        let runs: &mut Vec<Days> = if merged.contains(&month_of(from)) {
            &mut plain
        } else {
            &mut deduplicated
        };
        match runs.last_mut() {
            Some(run) if run.1.next_day() == Some(from) => run.1 = to,
            _ => runs.push((from, to)),
        }
        match next {
            Some(next) => from = next,
            None => break,
        }
    }
    (plain, deduplicated)
}

/// A day's month as the table's partition has it (`toYYYYMM(day)`).
fn month_of(day: time::Date) -> u32 {
    day.year().unsigned_abs() * 100 + u32::from(u8::from(day.month()))
}

/// The first day of the month after `day`'s.
fn next_month(day: time::Date) -> Option<time::Date> {
    let (year, month) = match day.month() {
        time::Month::December => (day.year() + 1, time::Month::January),
        month => (day.year(), month.next()),
    };
    time::Date::from_calendar_date(year, month, 1).ok()
}

/// A partition of `events` that is one merged part: its month and the part's name.
#[derive(Clone, Debug, PartialEq, Eq)]
struct MergedPart {
    month: u32,
    name: String,
}

/// What the active parts of `events` over some months hold.
struct Parts {
    /// The months whose partition is one merged part.
    merged: Vec<MergedPart>,
    /// The first and last day any of them holds (`None`: no part).
    days: Option<Days>,
}

impl Parts {
    /// The days of `first..=last` that the parts hold, from the first to the last of them:
    /// a retention report reads from the epoch (a person's first start may be long ago),
    /// and its slices then share out the days that have events, not 56 years of none.
    /// Events stored while the query runs are in the next report, as ever.
    fn clip(&self, (first, last): Days) -> Days {
        let Some((from, to)) = self.days else {
            return (first, last); // Nothing stored: the query finds nothing, quickly.
        };
        let (from, to) = (from.max(first), to.min(last));
        if from <= to {
            (from, to)
        } else {
            (first, last) // Likewise.
        }
    }
}

/// The active parts of `events` in the months of `first..=last`: the months whose partition
/// is a single active part of level 1 or more, with that part's name, and the days the
/// parts hold. A merge of a `ReplacingMergeTree` keeps one row of each
/// sorting key, and copies of an event share their partition (their day is in the key), so
/// such a partition holds no copies and `FINAL` would change nothing there but the speed (it
/// reads in one stream per query in 18.16; newer releases skip such parts by themselves).
/// A level-0 part is an insert as it came, and may hold copies.
async fn parts(client: &Client, first: time::Date, last: time::Date) -> Result<Parts, StoreError> {
    #[derive(serde::Deserialize)]
    struct Part {
        partition_id: String,
        name: String,
        level: u32,
        min_date: String,
        max_date: String,
    }
    let parts: Vec<Part> = client
        .rows(format!(
            "SELECT partition_id, name, level, min_date, max_date FROM system.parts
             WHERE database = currentDatabase() AND table = 'events' AND active
               AND length(partition_id) = 6
               AND partition_id >= '{:06}' AND partition_id <= '{:06}'",
            month_of(first),
            month_of(last)
        ))
        .await?;
    let mut count: FxHashMap<&str, usize> = FxHashMap::default();
    for part in &parts {
        *count.entry(&part.partition_id).or_default() += 1;
    }
    let merged = parts
        .iter()
        .filter(|part| part.level >= 1 && count[part.partition_id.as_str()] == 1)
        .filter_map(|part| {
            Some(MergedPart {
                month: part.partition_id.parse().ok()?,
                name: part.name.clone(),
            })
        })
        .collect();
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let mut days: Option<Days> = None;
    for part in &parts {
        let (Ok(from), Ok(to)) = (
            time::Date::parse(&part.min_date, format),
            time::Date::parse(&part.max_date, format),
        ) else {
            return Err(StoreError::ClickHouse(format!(
                "part {} of events holds days {:?} to {:?}, which are not dates",
                part.name, part.min_date, part.max_date
            )));
        };
        days = Some(days.map_or((from, to), |(a, b)| (a.min(from), b.max(to))));
    }
    Ok(Parts { merged, days })
}

/// Days `first..=last`.
type Days = (time::Date, time::Date);

/// The UTC day of a time in ms (as the table's `day` column has it).
fn day_of(ms: i64) -> time::Date {
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .map_or(time::Date::MIN, |t| t.date())
}

/// The grouped query: each person's events gathered into one array (`groupArray` of name
/// index, time, storage order, path, properties and the id's hash), sorted there by time,
/// storage order and that hash, numbered, and only the wanted ones sent; of the days `days`.
fn grouped_sql(project: &str, query: &JourneyQuery, days: Days) -> String {
    let slices = Slices::new(project, query);
    format!(
        "SELECT person, events FROM (
             SELECT person,
                    arrayFilter(x -> x.1 >= 0,
                        arrayMap((x, i) -> (x.1, x.2, i, x.4, x.5), sorted, arrayEnumerate(sorted)))
                        AS events
             FROM (
                 SELECT person,
                        arraySort(x -> (x.2, x.3, x.6),
                                  groupArray((n, timestamp, seq, path_out, properties_out, tie)))
                            AS sorted
                 FROM ({events})
                 GROUP BY person
             )
         )
         WHERE notEmpty(events)",
        events = slices.events(days, &[]),
    )
}

/// Reads a journey query's answer into `sender`: held if the range's events fit in `memory`
/// bytes, grouped otherwise.
///
/// The held query reads merged partitions without `FINAL`. It is sound only if they were
/// still those parts when ClickHouse read them, so they are listed before the query and
/// again after it: part names never return once a part is merged away, so the same names
/// after mean the query saw those parts. Otherwise (an insert or a merge in such a month
/// meanwhile) the answer is read again with `FINAL` everywhere. The grouped query streams
/// people as ClickHouse sends them and cannot be taken back, so it always uses `FINAL`.
pub(super) async fn journeys(
    client: &Client,
    project: &str,
    query: &JourneyQuery,
    memory: usize,
    sender: &mut JourneySender,
) -> Result<(), StoreError> {
    let slices = Slices::new(project, query);
    let (first, last) = (
        day_of(query.start_ms),
        day_of(query.end_ms.saturating_sub(1)),
    );
    let wants_texts = query.names.iter().any(|w| w.path || w.properties);
    let before = parts(client, first, last).await?;
    let days = before.clip((first, last));
    let months: Vec<u32> = before.merged.iter().map(|part| part.month).collect();
    let response = client
        .stream(slices.events(days, &months), "Native")
        .await?;
    let mut held = read_held(response, memory, wants_texts).await?;
    if held.is_some() && !before.merged.is_empty() {
        let now = parts(client, first, last).await?.merged;
        if !before.merged.iter().all(|part| now.contains(part)) {
            let response = client.stream(slices.events(days, &[]), "Native").await?;
            held = read_held(response, memory, wants_texts).await?;
        }
    }
    match held {
        Some(held) => held.send(sender).await,
        None => {
            let response = client
                .stream(grouped_sql(project, query, days), "JSONEachRow")
                .await?;
            read_grouped(response, sender).await
        }
    }
}

/// One event read by the held query, until its person's events are sorted.
#[derive(Clone, Copy, Default)]
struct HeldEvent {
    person: u32,
    name: i32,
    timestamp: i64,
    seq: i64,
    /// Its id's hash, the last of its sort keys.
    tie: u64,
    /// Where its path begins in [`Held::texts`], if paths or properties were wanted.
    path: u32,
    /// Where its properties begin in [`Held::texts`], likewise.
    properties: u32,
}

/// The groups a held answer's events are dealt into as they arrive, by their person's index
/// (`person % GROUPS`). Putting 3 million events in person order after the answer, one
/// counting sort over all of them, took 0.17 to 0.21 s of random writes while nothing else
/// ran; dealt as each block ends, the work overlaps ClickHouse's, and each group's own sort
/// afterwards (about 12,000 events) stays in the cache.
const GROUPS: usize = 256;

/// Below this many events, a held answer is sent by one thread: a second one would cost
/// more to start than it saves.
const SPLIT_AT: usize = 100_000;

/// The held query's answer, gathered per person.
struct Held {
    /// Each person's index.
    people: People,
    /// The events, dealt by person into [`GROUPS`] groups, each in the answer's order.
    groups: Vec<Vec<HeldEvent>>,
    /// The room the groups hold, in events.
    room: usize,
    /// Each event's path and properties, only if some name needs either.
    texts: Texts,
    /// Whether [`Held::texts`] has paths and properties.
    texts_wanted: bool,
}

/// One group of a held answer: its events, and the names of its people by their index
/// within the group (`person / GROUPS`).
struct Group {
    events: Vec<HeldEvent>,
    names: Vec<String>,
}

impl Held {
    fn new(texts_wanted: bool) -> Held {
        Held {
            people: People::default(),
            groups: (0..GROUPS).map(|_| Vec::new()).collect(),
            room: 0,
            texts: Texts::default(),
            texts_wanted,
        }
    }

    /// The bytes held: the groups' room (up to twice their events, as they grow by
    /// doubling), the texts, and the people's names and table. Sending adds a copy of one
    /// group a thread.
    fn bytes(&self) -> usize {
        self.room * size_of::<HeldEvent>() + self.texts.bytes() + self.people.bytes()
    }

    /// Adds a block's events to their people's groups.
    fn deal(&mut self, block: &[HeldEvent]) {
        for event in block {
            self.groups[event.person as usize % GROUPS].push(*event);
        }
        self.room = self.groups.iter().map(Vec::capacity).sum();
    }

    /// Sorts each person's events by (time, storage order, id's hash), numbers them from 1,
    /// and sends the people with a wanted event: on two threads for a large answer (the
    /// answer is over, so ClickHouse no longer needs the cores), each taking every other
    /// group, each with its own batches (people arrive in no particular order).
    async fn send(self, sender: &JourneySender) -> Result<(), StoreError> {
        let Held {
            people,
            groups,
            texts,
            texts_wanted,
            ..
        } = self;
        let mut names: Vec<Vec<String>> = (0..GROUPS)
            .map(|group| Vec::with_capacity(people.len().saturating_sub(group).div_ceil(GROUPS)))
            .collect();
        for (index, person) in people.names()?.into_iter().enumerate() {
            names[index % GROUPS].push(person);
        }
        let events: usize = groups.iter().map(Vec::len).sum();
        let threads = if events < SPLIT_AT { 1 } else { 2 };
        let mut shares: Vec<Vec<Group>> = (0..threads).map(|_| Vec::new()).collect();
        for (i, (events, names)) in groups.into_iter().zip(names).enumerate() {
            shares[i % threads].push(Group { events, names });
        }
        let senders: Vec<JourneySender> = shares.iter().map(|_| sender.another()).collect();
        let sent = tokio::task::spawn_blocking(move || {
            let texts = texts_wanted.then_some(&texts);
            std::thread::scope(|scope| {
                let mut shares = shares.into_iter().zip(senders);
                let first = shares.next();
                let others: Vec<_> = shares
                    .map(|(share, sender)| scope.spawn(move || send_groups(share, texts, sender)))
                    .collect();
                let mut outcome = match first {
                    Some((share, sender)) => send_groups(share, texts, sender),
                    None => Ok(()),
                };
                for other in others {
                    outcome = outcome.and(other.join().unwrap_or_else(|_| Err(stopped())));
                }
                outcome
            })
        })
        .await;
        sent.unwrap_or_else(|_| Err(stopped()))
    }
}

/// A thread that put part of a held answer in order panicked (or was cancelled).
fn stopped() -> StoreError {
    StoreError::ClickHouse("a thread putting a journey answer in order stopped".into())
}

/// Texts one after the other in one buffer, each a `u32` length (little-endian) and its
/// bytes, each found by where it begins.
#[derive(Default)]
struct Texts(Vec<u8>);

impl Texts {
    fn bytes(&self) -> usize {
        self.0.len()
    }

    /// Stores a text and says where it begins.
    fn keep(&mut self, text: &[u8]) -> Result<u32, StoreError> {
        let too_long = || StoreError::ClickHouse("a journey answer's texts passed 4 GiB".into());
        let at = u32::try_from(self.0.len()).map_err(|_| too_long())?;
        let len = u32::try_from(text.len()).map_err(|_| too_long())?;
        self.0.extend_from_slice(&len.to_le_bytes());
        self.0.extend_from_slice(text);
        Ok(at)
    }

    /// The text stored at `at`.
    fn get(&self, at: u32) -> &[u8] {
        let at = at as usize;
        let mut len = [0u8; 4];
        len.copy_from_slice(&self.0[at..at + 4]);
        let len = u32::from_le_bytes(len) as usize;
        &self.0[at + 4..at + 4 + len]
    }

    /// Every text, in the order they were stored.
    fn all(&self) -> impl Iterator<Item = &[u8]> {
        let mut at = 0;
        std::iter::from_fn(move || {
            // Every text begins below 4 GiB ([`Texts::keep`]).
            let text = (at < self.0.len()).then(|| self.get(at as u32))?;
            at += 4 + text.len();
            Some(text)
        })
    }
}

/// Sends the people of `groups` (see [`Held::send`]), their paths and properties from
/// `texts` if those were wanted.
fn send_groups(
    groups: Vec<Group>,
    texts: Option<&Texts>,
    mut sender: JourneySender,
) -> Result<(), StoreError> {
    let (mut starts, mut next, mut events) = (Vec::new(), Vec::new(), Vec::new());
    for group in groups {
        // The group's events by person (a counting sort into a copy: in place, its swaps'
        // random reads cost ten times more), then each person's in order.
        starts.clear();
        starts.resize(group.names.len() + 1, 0usize);
        for event in &group.events {
            starts[event.person as usize / GROUPS + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        next.clone_from(&starts);
        events.clear();
        events.resize(group.events.len(), HeldEvent::default());
        for event in group.events {
            let slot = &mut next[event.person as usize / GROUPS];
            events[*slot] = event;
            *slot += 1;
        }
        for (person, name) in group.names.into_iter().enumerate() {
            let mine = &mut events[starts[person]..starts[person + 1]];
            mine.sort_unstable_by_key(|e| (e.timestamp, e.seq, e.tie));
            let wanted = mine.iter().filter(|e| e.name >= 0).count();
            if wanted == 0 {
                continue;
            }
            let mut journey = Journey::with_capacity(name, wanted);
            for (place, event) in mine.iter().enumerate() {
                let Ok(name) = u32::try_from(event.name) else {
                    continue; // Only counted.
                };
                let (path, properties) = match texts {
                    Some(texts) => (
                        utf8(texts.get(event.path))?,
                        utf8(texts.get(event.properties))?,
                    ),
                    None => (String::new(), String::new()),
                };
                let event = JourneyEvent {
                    name,
                    timestamp: event.timestamp,
                    position: place as u32 + 1,
                };
                journey.push(event, path, properties);
            }
            if sender.blocking_send(journey).is_err() {
                return Ok(()); // Nobody reads any more.
            }
        }
    }
    sender.blocking_finish(Ok(()));
    Ok(())
}

fn utf8(bytes: &[u8]) -> Result<String, StoreError> {
    String::from_utf8(bytes.to_vec())
        .map_err(|_| StoreError::ClickHouse("a text from ClickHouse is not UTF-8".into()))
}

/// A reader over bytes that may end mid-value.
struct Binary<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Binary<'a> {
    fn varint(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self.bytes.get(self.at)?;
            self.at += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let out = self.bytes.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(out)
    }

    /// A string: its length as a varint, then its bytes; nothing is taken if it is not all
    /// there yet.
    fn string(&mut self) -> Option<&'a [u8]> {
        let at = self.at;
        let out = self
            .varint()
            .and_then(|n| self.bytes(usize::try_from(n).ok()?));
        if out.is_none() {
            self.at = at;
        }
        out
    }
}

/// The held query's columns, in order, with their types as ClickHouse names them.
const HELD_COLUMNS: [(&str, &str); 7] = [
    ("person", "String"),
    ("n", "Int32"),
    ("timestamp", "Int64"),
    ("seq", "Int64"),
    ("tie", "UInt64"),
    ("path_out", "String"),
    ("properties_out", "String"),
];

/// Where a reader of the held query's `Native` answer is. That format is a run of blocks,
/// each a column count and a row count (varints), then each column's name and type
/// (strings) and its values: a fixed-width number is little-endian, a string a varint
/// length and its bytes. Read column by column, the numbers are copied in runs and nothing
/// is parsed row by row but the strings; ClickHouse writes it faster than `RowBinary`
/// (measured here: 0.9 to 1.0 s against 1.3 to 1.5 s for the same 3.8 million rows).
#[derive(Clone, Copy)]
enum Place {
    /// At a block's counts.
    Block,
    /// At the name and type of this column.
    Column(usize),
    /// Within this column's values, that many read.
    Values(usize, usize),
    /// At a block of more rows than the answer may hold: nothing more is read.
    Over,
}

/// Reads the held query's answer as it arrives; `None` once it holds more than `memory`
/// bytes (the rest is not read).
async fn read_held(
    mut response: reqwest::Response,
    memory: usize,
    wants_texts: bool,
) -> Result<Option<Held>, StoreError> {
    let mut reader = HeldReader::new(wants_texts, memory);
    loop {
        let chunk = response
            .chunk()
            .await
            .map_err(|e| StoreError::ClickHouse(format!("reading ClickHouse's answer: {e}")))?;
        let Some(chunk) = chunk else {
            return reader.finish().map(Some);
        };
        reader.feed(&chunk)?;
        if reader.bytes() > memory {
            return Ok(None);
        }
    }
}

/// The held answer read so far, from chunks that may end anywhere.
struct HeldReader {
    held: Held,
    /// Bytes received and not yet read (from `used` on).
    pending: Vec<u8>,
    used: usize,
    place: Place,
    /// The block being read, one event a row, filled a column at a time.
    block: Vec<HeldEvent>,
    /// The most bytes the answer may hold: a block that says it has more rows is not made.
    memory: usize,
}

impl HeldReader {
    fn new(wants_texts: bool, memory: usize) -> HeldReader {
        HeldReader {
            held: Held::new(wants_texts),
            pending: Vec::new(),
            used: 0,
            place: Place::Block,
            block: Vec::new(),
            memory,
        }
    }

    /// Reads what it can of the answer with `chunk` added.
    fn feed(&mut self, chunk: &[u8]) -> Result<(), StoreError> {
        self.pending.drain(..self.used);
        self.pending.extend_from_slice(chunk);
        let mut reader = Binary {
            bytes: &self.pending,
            at: 0,
        };
        let memory = self.memory;
        self.place = read_native(
            &mut reader,
            self.place,
            &mut self.block,
            &mut self.held,
            memory,
        )?;
        self.used = reader.at;
        Ok(())
    }

    /// The bytes held so far (or that a block said it would take).
    fn bytes(&self) -> usize {
        match self.place {
            Place::Over => usize::MAX,
            _ => self.held.bytes() + self.block.len() * size_of::<HeldEvent>(),
        }
    }

    /// The answer, once it has ended.
    fn finish(self) -> Result<Held, StoreError> {
        if self.used < self.pending.len() || !matches!(self.place, Place::Block) {
            return Err(StoreError::ClickHouse(
                "ClickHouse's answer ended within a block".into(),
            ));
        }
        Ok(self.held)
    }
}

/// Reads what `reader` holds of the held answer from `place` on, and says where it stopped.
/// Each finished block's events are added to `held`; a block of more rows than `memory`
/// bytes hold is not made ([`Place::Over`]).
fn read_native(
    reader: &mut Binary<'_>,
    mut place: Place,
    block: &mut Vec<HeldEvent>,
    held: &mut Held,
    memory: usize,
) -> Result<Place, StoreError> {
    let unexpected =
        |what: String| StoreError::ClickHouse(format!("unexpected answer from ClickHouse: {what}"));
    loop {
        match place {
            Place::Over => return Ok(place),
            Place::Block => {
                let at = reader.at;
                let (Some(columns), Some(rows)) = (reader.varint(), reader.varint()) else {
                    reader.at = at;
                    return Ok(place);
                };
                if columns != HELD_COLUMNS.len() as u64 {
                    return Err(unexpected(format!("a block of {columns} columns")));
                }
                let Some(rows) = usize::try_from(rows)
                    .ok()
                    .filter(|rows| rows.saturating_mul(size_of::<HeldEvent>()) <= memory)
                else {
                    return Ok(Place::Over);
                };
                block.clear();
                block.resize(rows, HeldEvent::default());
                place = Place::Column(0);
            }
            Place::Column(column) => {
                let at = reader.at;
                let (Some(name), Some(kind)) = (reader.string(), reader.string()) else {
                    reader.at = at;
                    return Ok(place);
                };
                if (name, kind)
                    != (
                        HELD_COLUMNS[column].0.as_bytes(),
                        HELD_COLUMNS[column].1.as_bytes(),
                    )
                {
                    return Err(unexpected(format!(
                        "column {} of type {} where {} of type {} belongs",
                        String::from_utf8_lossy(name),
                        String::from_utf8_lossy(kind),
                        HELD_COLUMNS[column].0,
                        HELD_COLUMNS[column].1
                    )));
                }
                place = Place::Values(column, 0);
            }
            Place::Values(column, done) if done == block.len() => {
                if column + 1 < HELD_COLUMNS.len() {
                    place = Place::Column(column + 1);
                } else {
                    held.deal(block);
                    block.clear();
                    place = Place::Block;
                }
            }
            Place::Values(column, mut done) => {
                let rest = &mut block[done..];
                let read = match column {
                    1 => numbers(reader, rest, |e, v| e.name = i32::from_le_bytes(v)),
                    2 => numbers(reader, rest, |e, v| e.timestamp = i64::from_le_bytes(v)),
                    3 => numbers(reader, rest, |e, v| e.seq = i64::from_le_bytes(v)),
                    4 => numbers(reader, rest, |e, v| e.tie = u64::from_le_bytes(v)),
                    _ => {
                        let mut n = 0;
                        for event in rest.iter_mut() {
                            let Some(text) = reader.string() else { break };
                            match column {
                                0 => event.person = held.people.index(text)?,
                                5 if held.texts_wanted => event.path = held.texts.keep(text)?,
                                6 if held.texts_wanted => {
                                    event.properties = held.texts.keep(text)?
                                }
                                _ => {}
                            }
                            n += 1;
                        }
                        n
                    }
                };
                done += read;
                place = Place::Values(column, done);
                if done < block.len() {
                    return Ok(place); // The rest of the column is still to come.
                }
            }
        }
    }
}

/// Reads as many of `events`' values of a column of `N`-byte numbers as `reader` holds, and
/// says how many.
fn numbers<const N: usize>(
    reader: &mut Binary<'_>,
    events: &mut [HeldEvent],
    set: impl Fn(&mut HeldEvent, [u8; N]),
) -> usize {
    let n = events.len().min((reader.bytes.len() - reader.at) / N);
    let bytes = &reader.bytes[reader.at..reader.at + n * N];
    for (event, value) in events.iter_mut().zip(bytes.chunks_exact(N)) {
        let mut number = [0u8; N];
        number.copy_from_slice(value);
        set(event, number);
    }
    reader.at += n * N;
    n
}

/// The people of a held answer, each numbered from 0 in the order first read: their names
/// one after the other in one buffer ([`Texts`]), and a table of (index, where the name
/// begins) found by the name's hash. A row's person is
/// found with one probe of a small table and one read of the buffer: with a `String` per
/// person in a map, comparing names was a third of reading the answer (a separate
/// allocation each, scattered), and each row's name was checked for UTF-8, where a new
/// person's is checked once.
#[derive(Default)]
struct People {
    names: Texts,
    table: hashbrown::HashTable<(u32, u32)>,
}

impl People {
    fn len(&self) -> usize {
        self.table.len()
    }

    /// The bytes held: the names and the table.
    fn bytes(&self) -> usize {
        self.names.bytes() + self.table.capacity() * (size_of::<(u32, u32)>() + 1)
    }

    /// The index of the person named `person`, numbered now if they are new.
    fn index(&mut self, person: &[u8]) -> Result<u32, StoreError> {
        let hash = FxBuildHasher.hash_one(person);
        let names = &self.names;
        if let Some(&(index, _)) = self.table.find(hash, |&(_, at)| names.get(at) == person) {
            return Ok(index);
        }
        if std::str::from_utf8(person).is_err() {
            return Err(StoreError::ClickHouse(
                "a person from ClickHouse is not UTF-8".into(),
            ));
        }
        let index = u32::try_from(self.table.len())
            .map_err(|_| StoreError::ClickHouse("too many people in a held answer".into()))?;
        let at = self.names.keep(person)?;
        let names = &self.names;
        self.table.insert_unique(hash, (index, at), |&(_, at)| {
            FxBuildHasher.hash_one(names.get(at))
        });
        Ok(index)
    }

    /// The names, by index.
    fn names(&self) -> Result<Vec<String>, StoreError> {
        self.names.all().map(utf8).collect()
    }
}

/// Reads the grouped query's answer line by line as it arrives, and sends each person on.
async fn read_grouped(
    mut response: reqwest::Response,
    sender: &mut JourneySender,
) -> Result<(), StoreError> {
    #[derive(serde::Deserialize)]
    struct Row {
        person: String,
        events: Vec<(i64, i64, u32, String, String)>,
    }
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let chunk = response
            .chunk()
            .await
            .map_err(|e| StoreError::ClickHouse(format!("reading ClickHouse's answer: {e}")))?;
        let done = chunk.is_none();
        if let Some(chunk) = chunk {
            pending.extend_from_slice(&chunk);
        }
        let mut lines: Vec<&[u8]> = pending.split(|&b| b == b'\n').collect();
        // The last piece is a line still arriving, unless the answer is over.
        let rest = if done {
            Vec::new()
        } else {
            lines.pop().unwrap_or_default().to_vec()
        };
        for line in lines {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let row: Row = serde_json::from_slice(line).map_err(|e| {
                StoreError::ClickHouse(format!(
                    "unexpected row from ClickHouse: {e}: {}",
                    String::from_utf8_lossy(line)
                ))
            })?;
            let mut journey = Journey::with_capacity(row.person, row.events.len());
            for (name, timestamp, position, path, properties) in row.events {
                let event = JourneyEvent {
                    name: name as u32,
                    timestamp,
                    position,
                };
                journey.push(event, path, properties);
            }
            if sender.send(journey).await.is_err() {
                return Ok(()); // Nobody reads any more.
            }
        }
        pending = rest;
        if done {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    type Row<'a> = (&'a str, i32, i64, i64, u64, &'a str, &'a str);

    /// A block of the held answer as ClickHouse writes it in `Native`.
    fn block(rows: &[Row<'_>]) -> Vec<u8> {
        fn varint(out: &mut Vec<u8>, mut n: u64) {
            while n >= 0x80 {
                out.push(n as u8 | 0x80);
                n >>= 7;
            }
            out.push(n as u8);
        }
        fn string(out: &mut Vec<u8>, text: &str) {
            varint(out, text.len() as u64);
            out.extend_from_slice(text.as_bytes());
        }
        let mut out = Vec::new();
        varint(&mut out, 7);
        varint(&mut out, rows.len() as u64);
        for (column, (name, kind)) in HELD_COLUMNS.iter().enumerate() {
            string(&mut out, name);
            string(&mut out, kind);
            for row in rows {
                match column {
                    0 => string(&mut out, row.0),
                    1 => out.extend_from_slice(&row.1.to_le_bytes()),
                    2 => out.extend_from_slice(&row.2.to_le_bytes()),
                    3 => out.extend_from_slice(&row.3.to_le_bytes()),
                    4 => out.extend_from_slice(&row.4.to_le_bytes()),
                    5 => string(&mut out, row.5),
                    _ => string(&mut out, row.6),
                }
            }
        }
        out
    }

    /// What a reader read: each event with its person's name and its texts.
    fn read(held: &Held) -> Vec<(String, i32, i64, i64, u64, String, String)> {
        let names = held.people.names().unwrap();
        let text = |at| String::from_utf8(held.texts.get(at).to_vec()).unwrap();
        held.groups
            .iter()
            .flatten()
            .map(|e| {
                (
                    names[e.person as usize].clone(),
                    e.name,
                    e.timestamp,
                    e.seq,
                    e.tie,
                    text(e.path),
                    text(e.properties),
                )
            })
            .collect()
    }

    #[test]
    fn a_native_answer_reads_the_same_however_its_chunks_end() {
        let long = "a-very-long-person-name-past-one-varint-byte-".repeat(4);
        let rows: [Row<'_>; 4] = [
            ("p1", 0, 10, 1, 7, "/a", "{}"),
            ("p2", -1, 11, 2, 300, "", ""),
            ("p1", 3, -5, i64::MAX, u64::MAX, "/ü", "{\"k\":1}"),
            (&long, 2, 0, 0, 0, "", "x"),
        ];
        let mut answer = block(&rows[..2]);
        answer.extend(block(&[]));
        answer.extend(block(&rows[2..]));
        let mut expected: Vec<_> = rows
            .iter()
            .map(|r| {
                (
                    r.0.to_owned(),
                    r.1,
                    r.2,
                    r.3,
                    r.4,
                    r.5.to_owned(),
                    r.6.to_owned(),
                )
            })
            .collect();
        expected.sort(); // The reader deals them into groups by person.
        for size in 1..=answer.len() {
            let mut reader = HeldReader::new(true, usize::MAX);
            for chunk in answer.chunks(size) {
                reader.feed(chunk).unwrap();
            }
            let held = reader.finish().unwrap();
            let mut got = read(&held);
            got.sort();
            assert_eq!(got, expected, "chunks of {size} bytes");
            assert_eq!(held.people.len(), 3);
        }
    }

    #[test]
    fn a_native_answer_cut_short_or_of_other_columns_is_refused() {
        let answer = block(&[("p1", 0, 10, 1, 7, "", "")]);
        let mut reader = HeldReader::new(false, usize::MAX);
        reader.feed(&answer[..answer.len() - 1]).unwrap();
        let error = reader.finish().err().unwrap();
        assert!(
            error.to_string().contains("ended within a block"),
            "{error}"
        );

        let mut other = answer.clone();
        let at = other.windows(5).position(|w| w == b"Int32").unwrap();
        other[at..at + 5].copy_from_slice(b"Int64");
        let error = HeldReader::new(false, usize::MAX)
            .feed(&other)
            .err()
            .unwrap();
        assert!(
            error
                .to_string()
                .contains("column n of type Int64 where n of type Int32 belongs"),
            "{error}"
        );
    }

    #[test]
    fn people_keep_the_index_they_were_first_read_with_as_the_table_grows() {
        let mut people = People::default();
        // Enough to make the table grow many times; names of every length up to 40, some
        // the prefix of another.
        let names: Vec<String> = (0..50_000)
            .map(|i| "p".repeat(i % 40) + &i.to_string())
            .collect();
        for (i, name) in names.iter().enumerate() {
            assert_eq!(people.index(name.as_bytes()).unwrap(), i as u32);
        }
        for (i, name) in names.iter().enumerate().rev() {
            assert_eq!(people.index(name.as_bytes()).unwrap(), i as u32, "{name}");
        }
        assert_eq!(people.index(b"").unwrap(), names.len() as u32);
        assert_eq!(people.len(), names.len() + 1);
        let mut expected = names.clone();
        expected.push(String::new());
        assert_eq!(people.names().unwrap(), expected);
        assert!(people.bytes() >= names.iter().map(String::len).sum::<usize>());
    }

    #[test]
    fn a_person_that_is_not_utf8_is_refused() {
        let mut people = People::default();
        let error = people.index(&[b'p', 0xff]).unwrap_err();
        assert!(error.to_string().contains("not UTF-8"), "{error}");
        assert_eq!(people.len(), 0);
    }

    #[test]
    fn a_block_of_more_rows_than_the_memory_holds_is_not_made() {
        // Its counts alone: 7 columns, 2^40 rows.
        let answer = [7, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20];
        let mut reader = HeldReader::new(false, 1 << 20);
        reader.feed(&answer).unwrap();
        assert!(reader.block.is_empty());
        assert_eq!(
            reader.bytes(),
            usize::MAX,
            "more than any memory: the grouped query"
        );
        // Within the memory, the same block is read.
        let answer = block(&[("p1", 0, 10, 1, 7, "", "")]);
        let mut reader = HeldReader::new(false, 1 << 20);
        reader.feed(&answer).unwrap();
        let held = reader.finish().unwrap();
        assert_eq!(held.groups.iter().map(Vec::len).sum::<usize>(), 1);
    }

    #[test]
    fn merged_months_are_one_run_and_the_others_keep_their_days() {
        let (plain, deduplicated) = runs(
            date!(2026 - 04 - 20),
            date!(2026 - 08 - 10),
            &[202605, 202606, 202608],
        );
        assert_eq!(
            plain,
            [
                (date!(2026 - 05 - 01), date!(2026 - 06 - 30)),
                (date!(2026 - 08 - 01), date!(2026 - 08 - 10))
            ]
        );
        assert_eq!(
            deduplicated,
            [
                (date!(2026 - 04 - 20), date!(2026 - 04 - 30)),
                (date!(2026 - 07 - 01), date!(2026 - 07 - 31))
            ]
        );
        let (plain, deduplicated) = runs(date!(2026 - 12 - 30), date!(2027 - 01 - 02), &[]);
        assert!(plain.is_empty());
        assert_eq!(
            deduplicated,
            [(date!(2026 - 12 - 30), date!(2027 - 01 - 02))]
        );
    }
}
