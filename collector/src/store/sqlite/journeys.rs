//! Journey queries on SQLite: each person's wanted events, person after person, without
//! sorting the range.
//!
//! The index `events_by_name_person` (migration 9) holds each name's events in the order
//! of the person they were recorded under (`COALESCE(user_id, anonymous_id)`, before
//! identity is resolved), with their time. One cursor for each name read walks that name's
//! entries in person order, filtering the range inside the index, and the cursors are
//! merged person by person here; a person's few events are then put in order of (time,
//! storage order). Events whose person comes from the alias table (no user id, an anonymous
//! id linked to a user) are left out of those cursors and read by one more, which SQLite
//! sorts by the linked user: usually the few events before a sign-in.
//!
//! Nothing here holds more than one person's events.

use rusqlite::types::Value as V;
use rusqlite::Connection;

use crate::reports::engine::{Journey, JourneyEvent, JourneyQuery, JourneySender};
use crate::store::StoreError;

/// What a journey query's cursors read, per name: its person (as recorded), time and
/// storage order, path and properties when needed. `{index}` is the name's index in the
/// query (-1: a name only counted for positions); `{filter}` adds the config version.
const NAME_CURSOR: &str = "SELECT COALESCE(user_id, anonymous_id), {index}, timestamp, seq,
        {path}, {properties}
    FROM events INDEXED BY events_by_name_person
    WHERE project = ?1 AND name = ?2 AND timestamp >= ?3 AND timestamp < ?4{filter}
      AND NOT CASE WHEN COALESCE(user_id, anonymous_id)
                        IN (SELECT anonymous_id FROM identities WHERE project = ?1)
                   THEN user_id IS NULL ELSE 0 END
    ORDER BY COALESCE(user_id, anonymous_id)";

/// One cursor's next event, copied out of SQLite's row.
#[derive(Default)]
struct Head {
    person: String,
    event: Pending,
}

/// An event of the person being gathered, before it has its place.
#[derive(Default)]
struct Pending {
    name: i64,
    timestamp: i64,
    seq: i64,
    path: String,
    properties: String,
}

/// A statement's rows and the row it stands on (`None`: none left).
struct Cursor<'s> {
    rows: rusqlite::Rows<'s>,
    head: Option<Head>,
}

impl Cursor<'_> {
    /// Steps to the next row, reusing the person's buffer.
    fn advance(&mut self) -> Result<(), StoreError> {
        match self.rows.next()? {
            None => self.head = None,
            Some(row) => {
                let head = self.head.get_or_insert_with(Head::default);
                head.person.clear();
                head.person.push_str(text_at(row, 0)?);
                head.event = Pending {
                    name: row.get(1)?,
                    timestamp: row.get(2)?,
                    seq: row.get(3)?,
                    path: text(row, 4)?,
                    properties: text(row, 5)?,
                };
            }
        }
        Ok(())
    }
}

/// A text column as it stands in SQLite's row, not copied.
fn text_at<'r>(row: &'r rusqlite::Row<'_>, index: usize) -> rusqlite::Result<&'r str> {
    row.get_ref(index)?.as_str().map_err(|error| {
        rusqlite::Error::FromSqlConversionFailure(
            index,
            rusqlite::types::Type::Text,
            Box::new(error),
        )
    })
}

/// A text column, with no allocation when it is empty.
fn text(row: &rusqlite::Row<'_>, index: usize) -> Result<String, StoreError> {
    let value = text_at(row, index)?;
    Ok(if value.is_empty() {
        String::new()
    } else {
        value.to_owned()
    })
}

/// The names a query's cursors read, each with its index in the query (-1: not wanted):
/// the wanted names, and with positions every other name the project has, as each of them
/// counts.
fn names_read(
    connection: &Connection,
    project: &str,
    query: &JourneyQuery,
) -> Result<Vec<(String, i64)>, StoreError> {
    let mut names: Vec<(String, i64)> = Vec::with_capacity(query.names.len());
    for (index, wanted) in query.names.iter().enumerate() {
        // A name given twice is read once, as its first index (as a lookup would find it).
        if !names.iter().any(|(name, _)| *name == wanted.name) {
            names.push((wanted.name.clone(), index as i64));
        }
    }
    if query.positions {
        // Each distinct name by one seek in the index, not a scan of it.
        let mut first = connection.prepare(
            "SELECT name FROM events INDEXED BY events_by_name_person
             WHERE project = ?1 ORDER BY name LIMIT 1",
        )?;
        let mut after = connection.prepare(
            "SELECT name FROM events INDEXED BY events_by_name_person
             WHERE project = ?1 AND name > ?2 ORDER BY name LIMIT 1",
        )?;
        let mut next: Option<String> = first
            .query_map([project], |row| row.get(0))?
            .next()
            .transpose()?;
        while let Some(name) = next {
            next = after
                .query_map(rusqlite::params![project, name], |row| row.get(0))?
                .next()
                .transpose()?;
            if !names.iter().any(|(wanted, _)| *wanted == name) {
                names.push((name, -1));
            }
        }
    }
    Ok(names)
}

/// Whether a query needs the path of events of the name at `index` (to send it or to check
/// its prefixes), and their properties.
fn needs(query: &JourneyQuery, index: i64) -> (bool, bool) {
    usize::try_from(index)
        .ok()
        .and_then(|i| query.names.get(i))
        .map_or((false, false), |w| {
            (w.path || w.path_prefixes.is_some(), w.properties)
        })
}

/// Runs a journey query and sends each person's events as soon as they are gathered.
pub(super) fn stream_journeys(
    connection: &Connection,
    project: &str,
    query: &JourneyQuery,
    sender: &mut JourneySender,
) -> Result<(), StoreError> {
    let names = names_read(connection, project, query)?;
    let filter = if query.config_version.is_some() {
        " AND config_version = ?5"
    } else {
        ""
    };
    let mut statements = Vec::with_capacity(names.len() + 1);
    let mut parameters = Vec::with_capacity(names.len() + 1);
    for (name, index) in &names {
        let (path, properties) = needs(query, *index);
        let sql = NAME_CURSOR
            .replace("{index}", &index.to_string())
            .replace("{path}", if path { "path" } else { "''" })
            .replace("{properties}", if properties { "properties" } else { "''" })
            .replace("{filter}", filter);
        statements.push(connection.prepare(&sql)?);
        let mut bound = vec![
            V::Text(project.to_owned()),
            V::Text(name.clone()),
            V::Integer(query.start_ms),
            V::Integer(query.end_ms),
        ];
        bound.extend(query.config_version.map(V::Integer));
        parameters.push(bound);
    }
    let (linked, bound) = linked_sql(project, query, &names);
    statements.push(connection.prepare(&linked)?);
    parameters.push(bound);

    let mut cursors = Vec::with_capacity(statements.len());
    for (statement, bound) in statements.iter_mut().zip(parameters) {
        let mut cursor = Cursor {
            rows: statement.query(rusqlite::params_from_iter(bound))?,
            head: None,
        };
        cursor.advance()?;
        cursors.push(cursor);
    }

    let mut person = String::new();
    let mut pending: Vec<Pending> = Vec::new();
    loop {
        // The next person is the least of the cursors' heads: each cursor is in person order.
        let Some(next) = cursors
            .iter()
            .filter_map(|c| c.head.as_ref().map(|h| h.person.as_str()))
            .min()
        else {
            return Ok(());
        };
        person.clear();
        person.push_str(next);
        for cursor in &mut cursors {
            while let Some(head) = cursor.head.as_mut().filter(|h| h.person == person) {
                pending.push(std::mem::take(&mut head.event));
                cursor.advance()?;
            }
        }
        if let Some(journey) = journey(query, &person, &mut pending) {
            if sender.blocking_send(journey).is_err() {
                return Ok(()); // Nobody reads any more.
            }
        }
    }
}

/// One person's gathered events as their journey: in order of (time, storage order), each
/// with its place, only the wanted ones whose path has a wanted prefix. `None` if none is.
fn journey(query: &JourneyQuery, person: &str, pending: &mut Vec<Pending>) -> Option<Journey> {
    pending.sort_unstable_by_key(|e| (e.timestamp, e.seq));
    let mut journey = Journey::with_capacity(person.to_owned(), pending.len());
    for (at, event) in pending.drain(..).enumerate() {
        let Some(wanted) = usize::try_from(event.name)
            .ok()
            .and_then(|i| query.names.get(i))
        else {
            continue;
        };
        if let Some(prefixes) = &wanted.path_prefixes {
            if !prefixes.iter().any(|p| event.path.starts_with(p.as_str())) {
                continue;
            }
        }
        let position = if query.positions {
            at + 1
        } else {
            journey.events().len() + 1
        };
        journey.push(
            JourneyEvent {
                name: event.name as u32,
                timestamp: event.timestamp,
                position: position as u32,
            },
            if wanted.path {
                event.path
            } else {
                String::new()
            },
            event.properties,
        );
    }
    (!journey.events().is_empty()).then_some(journey)
}

/// The cursor over events whose person is the user their anonymous id was linked to (the
/// smallest, if several), sorted by that user, and its parameters.
fn linked_sql(project: &str, query: &JourneyQuery, names: &[(String, i64)]) -> (String, Vec<V>) {
    let mut parameters = vec![
        V::Text(project.to_owned()),
        V::Integer(query.start_ms),
        V::Integer(query.end_ms),
    ];
    let filter = match query.config_version {
        Some(version) => {
            parameters.push(V::Integer(version));
            " AND e.config_version = ?4"
        }
        None => "",
    };
    let mut cases = String::new();
    let mut list = Vec::new();
    let (mut with_path, mut with_properties) = (vec!["-1".to_owned()], vec!["-1".to_owned()]);
    for (name, index) in names {
        parameters.push(V::Text(name.clone()));
        let p = format!("?{}", parameters.len());
        cases.push_str(&format!(" WHEN {p} THEN {index}"));
        list.push(p);
        let (path, properties) = needs(query, *index);
        if path {
            with_path.push(index.to_string());
        }
        if properties {
            with_properties.push(index.to_string());
        }
    }
    let list = list.join(", ");
    let (with_path, with_properties) = (with_path.join(", "), with_properties.join(", "));
    let sql = format!(
        "WITH linked AS (
            SELECT anonymous_id, MIN(user_id) AS user_id FROM identities
            WHERE project = ?1 GROUP BY anonymous_id),
         found AS (
            SELECT l.user_id AS person, CASE e.name{cases} ELSE -1 END AS n,
                   e.timestamp AS ts, e.seq AS seq, e.path AS path, e.properties AS properties
            FROM linked l JOIN events e INDEXED BY events_by_name_person
              ON e.project = ?1 AND e.name IN ({list})
             AND COALESCE(e.user_id, e.anonymous_id) = l.anonymous_id
            WHERE e.user_id IS NULL AND e.timestamp >= ?2 AND e.timestamp < ?3{filter})
         SELECT person, n, ts, seq,
                CASE WHEN n IN ({with_path}) THEN path ELSE '' END,
                CASE WHEN n IN ({with_properties}) THEN properties ELSE '' END
         FROM found ORDER BY person"
    );
    (sql, parameters)
}
