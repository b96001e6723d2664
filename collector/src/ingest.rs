//! `POST /v1/batch`: read, parse, check, store, answer.
//!
//! Every check happens before anything is written, and the body is fully parsed before the
//! database is touched: the ingest path never holds the database while parsing. The answer
//! comes only after the batch's transaction has committed.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap};
use axum::Json;
use serde::Deserialize;
use serde::Serialize;
use serde_json::error::Category;
use serde_json::value::RawValue;
use uuid::Uuid;
use waymark_core::{Event, Millis};

use crate::config::Limits;

use crate::error::IngestError;
use crate::state::AppState;
use crate::store::{IncomingBatch, Outcome};

/// The answer to a stored batch: one result per event, in the order sent.
#[derive(Debug, Serialize)]
pub struct IngestReply {
    /// Events stored now.
    pub stored: usize,
    /// Events that were stored before (a retried batch).
    pub duplicates: usize,
    /// Events refused one by one (each result says why); the rest of the batch is stored.
    pub rejected: usize,
    /// Per event, in order.
    pub results: Vec<EventResult>,
}

/// What happened to one event.
#[derive(Debug, Serialize)]
pub struct EventResult {
    /// The event's id; absent only when a rejected event's id could not be read.
    pub id: Option<Uuid>,
    /// `ok`, `duplicate` or `rejected`.
    pub status: EventStatus,
    /// Why it was rejected: a machine-readable tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// Why it was rejected, for a person.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// An event's fate in a stored batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EventStatus {
    /// Stored now.
    Ok,
    /// Stored before (a retry); nothing was written.
    Duplicate,
    /// Well-formed but against a rule (too large, empty name, …); not stored, and sending it
    /// again will not help.
    Rejected,
}

/// A batch as parsed: its envelope, and each event either checked or rejected.
#[derive(Debug)]
pub struct ParsedBatch {
    /// The project's public key.
    pub key: String,
    /// When the client sent it.
    pub sent_at: Millis,
    /// The config version the SDK decided with, if the envelope said (1 or more).
    pub config_version: Option<i64>,
    /// In the order sent.
    pub events: Vec<Checked>,
    /// Per event, in the order sent: the config version it was recorded under, its own
    /// `config_version` if it has one, else the envelope's.
    pub config_versions: Vec<Option<i64>>,
}

/// One event of a parsed batch.
#[derive(Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "the large variant is the common one; boxing it would cost an allocation per event"
)]
pub enum Checked {
    /// Passed every check; to be stored.
    Valid(Event),
    /// Of the right shape but against a rule; answered `rejected`, never stored.
    Rejected(Rejection),
}

/// Why one event of an otherwise good batch is not stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The event's id, when it could be read.
    pub id: Option<Uuid>,
    /// A machine-readable tag (`event_too_large`, `empty_event_name`, …).
    pub reason: &'static str,
    /// For a person.
    pub message: String,
}

/// Handles `POST /v1/batch`.
pub async fn ingest(
    State(state): State<AppState>,
    request: Request,
) -> Result<Json<IngestReply>, IngestError> {
    let (parts, body) = request.into_parts();
    let headers = parts.headers;
    // Rate limits first: a client over its rate costs no more than this.
    let client = client_address(&headers, &parts.extensions, state.trust_forwarded_for);
    if let Some(ip) = client {
        state.rate_limits.check_ip(ip)?;
    }
    check_content_type(&headers)?;
    let declared_gzip = content_encoding_is_gzip(&headers)?;
    let limit = state.limits.max_body_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(IngestError::BodyTooLarge { limit });
    }
    let bytes = crate::extract::body(body, limit).await?;

    // Browsers cannot label a body as gzip without a CORS preflight, so a body that starts
    // with gzip's magic bytes is gzip too (JSON never starts with 0x1f).
    let batch = if declared_gzip || bytes.starts_with(&[0x1f, 0x8b]) {
        let limits = state.limits;
        let json = tokio::task::spawn_blocking(move || gunzip(&bytes, limits))
            .await
            .map_err(|error| {
                tracing::error!(%error, "a blocking task failed");
                IngestError::TaskFailed
            })??;
        parse_batch(&json, limits)?
    } else {
        parse_batch(&bytes, state.limits)?
    };
    let project = crate::auth::page(&state, Some(&batch.key))?.project;
    // Browsers always name the page's origin; a server-side sender has none, and its key
    // is its credential.
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        if !state.registry.origin_allowed(&project, origin) {
            return Err(IngestError::OriginNotAllowed(origin.to_owned()));
        }
    }
    state.rate_limits.check_key(&batch.key)?;

    // Results in the order sent: rejected events are answered now; valid ones go to the store
    // and take its outcome (`ok` until it says otherwise).
    let mut results = Vec::with_capacity(batch.events.len());
    let mut valid = Vec::with_capacity(batch.events.len());
    let mut versions = Vec::with_capacity(batch.events.len());
    let mut positions = Vec::with_capacity(batch.events.len());
    for (checked, version) in batch.events.into_iter().zip(batch.config_versions) {
        match checked {
            Checked::Valid(event) => {
                versions.push(version);
                positions.push(results.len());
                results.push(EventResult {
                    id: Some(event.id),
                    status: EventStatus::Ok,
                    reason: None,
                    message: None,
                });
                valid.push(event);
            }
            Checked::Rejected(rejection) => {
                metrics::counter!("waymark_events_total", "result" => "rejected", "reason" => rejection.reason)
                    .increment(1);
                results.push(EventResult {
                    id: rejection.id,
                    status: EventStatus::Rejected,
                    reason: Some(rejection.reason),
                    message: Some(rejection.message),
                });
            }
        }
    }
    let rejected = results.len() - valid.len();
    let outcomes = if valid.is_empty() {
        Vec::new()
    } else {
        let incoming = IncomingBatch {
            project: project.clone(),
            received_at: (state.clock)(),
            sent_at: batch.sent_at,
            events: valid,
            ip: client.and_then(|ip| state.ip_storage.apply(ip)),
            config_versions: versions,
        };
        let batch_events = incoming.events.len();
        let started = std::time::Instant::now();
        let outcomes = state
            .store
            .insert(incoming)
            .await
            .map_err(IngestError::StorageUnavailable)?;
        metrics::histogram!("waymark_storage_seconds").record(started.elapsed().as_secs_f64());
        metrics::histogram!("waymark_batch_events").record(batch_events as f64);
        outcomes
    };
    let mut duplicates = 0;
    for (position, outcome) in positions.into_iter().zip(outcomes) {
        if outcome == Outcome::Duplicate {
            duplicates += 1;
            results[position].status = EventStatus::Duplicate;
        }
    }
    let stored = results.len() - rejected - duplicates;
    metrics::counter!("waymark_events_total", "result" => "ok").increment(stored as u64);
    metrics::counter!("waymark_events_total", "result" => "duplicate").increment(duplicates as u64);
    tracing::info!(project, stored, duplicates, rejected, "stored batch");
    Ok(Json(IngestReply {
        stored,
        duplicates,
        rejected,
        results,
    }))
}

/// JSON, or plain text so that browsers can send without a CORS preflight. A request with
/// no content type is read as JSON.
fn check_content_type(headers: &HeaderMap) -> Result<(), IngestError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let text = value.to_str().unwrap_or("");
    let essence = text
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/json" | "text/plain" => Ok(()),
        _ => Err(IngestError::UnsupportedMediaType(text.to_owned())),
    }
}

/// The client's address: the connection's peer, or the first `X-Forwarded-For` entry when
/// a trusted proxy sets it.
pub(crate) fn client_address(
    headers: &HeaderMap,
    extensions: &axum::http::Extensions,
    trust_forwarded_for: bool,
) -> Option<IpAddr> {
    if trust_forwarded_for {
        let forwarded = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|first| first.trim().parse().ok());
        if forwarded.is_some() {
            return forwarded;
        }
    }
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip())
}

/// Whether the body is declared gzip; any encoding but gzip and identity is refused.
fn content_encoding_is_gzip(headers: &HeaderMap) -> Result<bool, IngestError> {
    match headers
        .get(header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap_or("?").trim().to_ascii_lowercase())
    {
        None => Ok(false),
        Some(encoding) => match encoding.as_str() {
            "" | "identity" => Ok(false),
            "gzip" | "x-gzip" => Ok(true),
            _ => Err(IngestError::UnsupportedEncoding(encoding)),
        },
    }
}

/// Decompresses a gzip body, stopping as soon as it exceeds the size limit or the ratio
/// limit, so a gzip bomb costs at most that much memory.
pub fn gunzip(compressed: &[u8], limits: Limits) -> Result<Vec<u8>, IngestError> {
    use std::io::Read;
    let by_ratio = compressed
        .len()
        .saturating_mul(limits.max_compression_ratio);
    let cap = limits.max_decompressed_bytes.min(by_ratio);
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(compressed)
        .take(cap as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|_| IngestError::MalformedGzip)?;
    if out.len() > cap {
        return Err(if cap == limits.max_decompressed_bytes {
            IngestError::DecompressedTooLarge {
                limit: limits.max_decompressed_bytes,
            }
        } else {
            IngestError::CompressionRatio {
                ratio: limits.max_compression_ratio,
            }
        });
    }
    Ok(out)
}

/// Parses a batch, telling malformed JSON apart from JSON that is not a batch, and naming
/// the field at fault (`events[2].id`).
///
/// The split: malformed JSON and anything of the wrong shape or type refuse the whole batch
/// (the sender is broken and nothing it sent can be trusted); a well-formed event that breaks
/// a rule (its size, an empty or over-long name, a bad user id, the nil id) is rejected on
/// its own and the rest of the batch is stored, so one oversized event cannot hold back the
/// others nor make a client retry forever.
pub fn parse_batch(bytes: &[u8], limits: Limits) -> Result<ParsedBatch, IngestError> {
    /// The batch with its events still as raw JSON: each is measured, then parsed on its own.
    #[derive(Deserialize)]
    struct Raw {
        key: String,
        sent_at: Millis,
        #[serde(default)]
        config_version: Option<Box<RawValue>>,
        events: Vec<Box<RawValue>>,
    }

    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let raw: Raw = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        classify(error.into_inner(), |inner| format!("{path}: {inner}"))
    })?;
    deserializer
        .end()
        .map_err(|e| IngestError::MalformedJson(e.to_string()))?;

    if raw.events.is_empty() {
        return Err(IngestError::EmptyBatch);
    }
    let batch_version =
        read_config_version(raw.config_version.as_deref().map(RawValue::get), || {
            "config_version".to_owned()
        })?;
    if raw.events.len() > limits.max_events_per_batch {
        return Err(IngestError::TooManyEvents {
            count: raw.events.len(),
            limit: limits.max_events_per_batch,
        });
    }
    let mut events = Vec::with_capacity(raw.events.len());
    let mut config_versions = Vec::with_capacity(raw.events.len());
    for (index, event) in raw.events.iter().enumerate() {
        let json = event.get();
        config_versions.push(batch_version);
        if json.len() > limits.max_event_bytes {
            events.push(Checked::Rejected(Rejection {
                id: id_of(json),
                reason: "event_too_large",
                message: format!(
                    "events[{index}] is {} bytes, more than the limit of {} bytes",
                    json.len(),
                    limits.max_event_bytes
                ),
            }));
            continue;
        }
        let mut deserializer = serde_json::Deserializer::from_str(json);
        let event: Event =
            serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
                let path = error.path().to_string();
                let at = if path == "." {
                    String::new()
                } else {
                    format!(".{path}")
                };
                classify(error.into_inner(), |inner| {
                    format!("events[{index}]{at}: {inner}")
                })
            })?;
        // The SDK writes the version on every event; it is found by a scan of the text that
        // allocates nothing, rather than by parsing the event a second time.
        let own = top_level_member(json, "config_version");
        if let Some(version) =
            read_config_version(own, || format!("events[{index}].config_version"))?
        {
            config_versions[index] = Some(version);
        }
        events.push(match event.check() {
            Ok(()) => Checked::Valid(event),
            Err(problem) => Checked::Rejected(Rejection {
                id: Some(event.id),
                reason: problem.tag(),
                message: format!("events[{index}]: {}", problem.message()),
            }),
        });
    }
    Ok(ParsedBatch {
        key: raw.key,
        sent_at: raw.sent_at,
        config_version: batch_version,
        events,
        config_versions,
    })
}

/// The JSON text of `object`'s top-level member `key`, if it has one: how an event's own
/// `config_version` is read apart from the event (the SDK's shared type, which knows nothing
/// of configs). `object` has been parsed already, so it is well-formed JSON; the scan follows
/// only strings and nesting, so a key of the same name inside `properties` is not it. A key
/// written with escapes is compared as written (the SDK writes it plainly).
fn top_level_member<'a>(object: &'a str, key: &str) -> Option<&'a str> {
    let bytes = object.as_bytes();
    let (mut depth, mut at_key) = (0usize, false);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let start = i + 1;
                i = string_end(bytes, start);
                if depth == 1 && at_key {
                    at_key = false;
                    if object.get(start..i) == Some(key) {
                        let value = value_from(bytes, i + 1);
                        return object.get(value.0..value.1).map(str::trim);
                    }
                }
            }
            b'{' => {
                depth += 1;
                at_key = depth == 1;
            }
            b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            b',' => at_key = depth == 1,
            _ => {}
        }
        i += 1;
    }
    None
}

/// The index of the quote that ends the string whose text starts at `start`.
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start;
    while i < bytes.len() && bytes[i] != b'"' {
        i += if bytes[i] == b'\\' { 2 } else { 1 };
    }
    i
}

/// Where the member value after a key (its colon and any spaces first) starts and ends: at
/// the `,` or `}` that closes it at its own level.
fn value_from(bytes: &[u8], after_key: usize) -> (usize, usize) {
    let mut start = after_key;
    while start < bytes.len() && (bytes[start] == b':' || bytes[start].is_ascii_whitespace()) {
        start += 1;
    }
    let (mut depth, mut i) = (0usize, start);
    while i < bytes.len() {
        match bytes[i] {
            b'"' => i = string_end(bytes, i + 1),
            b'{' | b'[' => depth += 1,
            b'}' | b']' if depth == 0 => break,
            b'}' | b']' => depth -= 1,
            b',' if depth == 0 => break,
            _ => {}
        }
        i += 1;
    }
    (start, i)
}

/// Reads a `config_version` field's JSON text: absent or `null` is none; otherwise it must be
/// a published config's version, a whole number from 1, and anything else refuses the batch
/// naming the field.
fn read_config_version(
    raw: Option<&str>,
    field: impl FnOnce() -> String,
) -> Result<Option<i64>, IngestError> {
    let Some(text) = raw else {
        return Ok(None);
    };
    if text == "null" {
        return Ok(None);
    }
    match serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.as_i64())
    {
        Some(version) if version >= 1 => Ok(Some(version)),
        _ => Err(IngestError::InvalidBatch(format!(
            "{}: expected the version of a published config, a whole number from 1, got {text}",
            field()
        ))),
    }
}

/// The id of an event that is not parsed whole (it is too large), if it has a readable one.
fn id_of(json: &str) -> Option<Uuid> {
    #[derive(Deserialize)]
    struct JustId {
        id: Uuid,
    }
    serde_json::from_str::<JustId>(json).ok().map(|e| e.id)
}

/// JSON that does not parse is malformed; JSON of the wrong shape does not match the schema.
fn classify(
    error: serde_json::Error,
    describe: impl FnOnce(&serde_json::Error) -> String,
) -> IngestError {
    match error.classify() {
        Category::Data => IngestError::InvalidBatch(describe(&error)),
        Category::Syntax | Category::Eof | Category::Io => {
            IngestError::MalformedJson(error.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::top_level_member;

    fn check(object: &str, expected: Option<&str>) {
        assert_eq!(
            top_level_member(object, "config_version"),
            expected,
            "{object}"
        );
    }

    #[test]
    fn an_event_s_own_version_is_found_beside_its_fields() {
        check(r#"{"id":"e1","name":"x","config_version":3}"#, Some("3"));
        check(r#"{ "config_version" : 12 , "name":"x"}"#, Some("12"));
        check(r#"{"name":"x","config_version":null}"#, Some("null"));
        check(
            r#"{"name":"x","config_version":[1, {"a": "}"}]}"#,
            Some(r#"[1, {"a": "}"}]"#),
        );
        check(r#"{"name":"x","config_version":"2"}"#, Some(r#""2""#));
    }

    #[test]
    fn a_version_inside_properties_or_a_string_is_not_the_event_s() {
        check(r#"{"properties":{"config_version":4},"name":"x"}"#, None);
        check(
            r#"{"name":"\"config_version\":5","list":[{"config_version":6}]}"#,
            None,
        );
        check(
            r#"{"name":"config_version","value":"config_version"}"#,
            None,
        );
        check(
            r#"{"properties":{"a":[1,2]},"config_version":7}"#,
            Some("7"),
        );
        check(r#"{"name":"x"}"#, None);
    }
}
