//! The wire protocol between the SDK and the collector.
//!
//! A page sends a [`Batch`] of [`Event`]s to `POST /v1/batch` as JSON. The project's public
//! write key travels in the body rather than a header so that a batch can go out as a
//! `text/plain` simple request (no CORS preflight) and through `navigator.sendBeacon`,
//! which cannot set headers.
//!
//! Identity is carried on every event: the `anonymous_id` the SDK made for this browser,
//! and the `user_id` once the app called `identify`. The [`IDENTIFY`] event links the two.
//!
//! Unknown fields are ignored on input, so an older collector accepts a newer SDK's events.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::time::Millis;
use crate::value::{approx_object_len, approx_string_len, Properties, Value};

/// The automatic page view event.
pub const PAGEVIEW: &str = "$pageview";
/// The event that links an anonymous id to a user id, with the user's traits.
pub const IDENTIFY: &str = "$identify";

/// The event the SDK records once per person and on-page experiment, when the experiment's
/// change first reaches the page: properties `experiment` (the experience id), `variant`
/// (the variant's key) and `variant_index`.
pub const EXPOSURE: &str = "$exposure";

/// The event the SDK records with each session's first event (just after it): the behaviour
/// profile's engagement and churn risk as the session began, before its first event
/// counted, with the terms that explain them (see
/// [`crate::rules::profile::Scores`], whose names are its properties). Like every event the
/// SDK records, it counts as activity in the profile.
pub const BEHAVIOR_SCORES: &str = "$behavior_scores";

/// The events a survey records. Every one carries `survey` (the experience id), `response`
/// (an id made when the survey is shown, shared by every event of that showing) and
/// `locale` (the translation shown).
pub mod survey {
    /// The survey was shown.
    pub const SHOWN: &str = "$survey_shown";
    /// A question was answered, sent as soon as the answer is given: `question` (its id),
    /// `question_type` (`nps`, `ces`, `csat`, `single`, `multiple`, `text`), `value` (a
    /// number for the rating types, a choice id, a list of choice ids, or text) and, for the
    /// rating types, `scale`: `{"min", "max", "direction"}`, where direction `ascending`
    /// means the highest number is the best answer and `descending` the lowest.
    pub const ANSWERED: &str = "$survey_answered";
    /// The last question was answered.
    pub const COMPLETED: &str = "$survey_completed";
    /// The survey was closed before it was completed: `question` is the id of the question
    /// on screen.
    pub const DISMISSED: &str = "$survey_dismissed";
}

/// The events a tour records. Every one carries `tour` (the experience id).
pub mod tour {
    /// The tour began.
    pub const STARTED: &str = "$tour_started";
    /// A step was shown: `step` (its index from 0), `step_id`, `strategy` (the locator
    /// strategy that found the target, or `none` for a step without one).
    pub const STEP_VIEWED: &str = "$step_viewed";
    /// A step was completed: `step`, `step_id`, `via` (`button`, `click`, `event`, `route`).
    pub const STEP_COMPLETED: &str = "$step_completed";
    /// A step's target did not appear in time: `step`, `step_id`, `waited_ms`, `fallback`.
    pub const STEP_TARGET_MISSING: &str = "$step_target_missing";
    /// A step's target has a CSS selector the browser refuses to parse (a config the
    /// collector did not check): `step`, `step_id`, `strategy` (`selector`, or `frame` for
    /// the target's frame path). That strategy finds nothing; the others are tried as usual.
    pub const STEP_TARGET_INVALID: &str = "$step_target_invalid";
    /// The last step was completed.
    pub const COMPLETED: &str = "$tour_completed";
    /// The tour ended early: `step`, `step_id`, `reason` (`close`, `escape`, `skip`,
    /// `target_missing`).
    pub const DISMISSED: &str = "$tour_dismissed";
}

/// Limits every event must meet, checked by the SDK before queueing and by the collector
/// again on arrival.
pub mod limits {
    /// Longest event name, in bytes.
    pub const MAX_NAME_LEN: usize = 200;
    /// Longest user id, in bytes.
    pub const MAX_USER_ID_LEN: usize = 200;
    /// Largest event, in bytes of JSON: the collector's default per-event limit, which the
    /// SDK enforces when an event is recorded so that no event is sent only to be rejected.
    pub const MAX_EVENT_BYTES: usize = 32 * 1024;
}

/// One thing that happened on a page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// UUID v7, made by the SDK; unique per project, so a resent event is stored once.
    pub id: Uuid,
    /// `$pageview`, `$identify`, or a custom name from `track`.
    pub name: String,
    /// When it happened, by the client's clock.
    pub ts: Millis,
    /// The browser's anonymous id, persisted across reloads.
    pub anonymous_id: Uuid,
    /// The app's user id, once `identify` was called.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The session the event belongs to.
    pub session_id: Uuid,
    /// The properties given to `track`, or the page view's extra properties.
    #[serde(default, skip_serializing_if = "Properties::is_empty")]
    pub properties: Properties,
    /// The user's traits, on `$identify` events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traits: Option<Properties>,
    /// Where and on what the event happened.
    pub context: Context,
}

/// Where and on what an event happened.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Context {
    /// The page.
    pub page: Page,
    /// The browser's preferred language, as a BCP 47 tag (`navigator.language`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// The viewport in CSS pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub viewport: Option<Viewport>,
    /// The SDK that recorded the event.
    pub sdk: SdkInfo,
}

/// The page an event happened on.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Page {
    /// The full URL.
    pub url: String,
    /// The URL's path.
    pub path: String,
    /// The document title.
    #[serde(default)]
    pub title: String,
    /// The referrer: `document.referrer` on the first page, the previous URL after an SPA
    /// navigation.
    #[serde(default)]
    pub referrer: String,
}

/// A viewport size in CSS pixels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewport {
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

/// The SDK that recorded an event.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SdkInfo {
    /// The SDK's name, `waymark-web`.
    pub name: String,
    /// Its version.
    pub version: String,
}

/// A batch of events as the collector receives it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    /// The project's public write key.
    pub key: String,
    /// When the client sent this attempt, by its clock. Set anew on every retry, while each
    /// event's `ts` never changes; the collector uses the difference to correct clock skew.
    pub sent_at: Millis,
    /// The events, oldest first.
    pub events: Vec<Event>,
}

/// A batch as the SDK sends it: the same JSON as [`Batch`], borrowing its events from the
/// queue so that a retry can send them again.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct BatchRef<'a> {
    /// The project's public write key.
    pub key: &'a str,
    /// When this attempt is sent.
    pub sent_at: Millis,
    /// The events.
    pub events: &'a [Event],
}

/// A published project configuration as the collector serves it to the SDK.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConfigEnvelope {
    /// The project the configuration belongs to.
    pub project: String,
    /// Increases with every publish; the SDK keeps the newest it has seen.
    pub version: u64,
    /// When this version was published.
    pub published_at: Millis,
    /// The configuration itself: rules, tours, surveys and content.
    pub config: Value,
}

/// Why an event cannot be accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventProblem {
    /// The name is empty.
    EmptyName,
    /// The name is longer than [`limits::MAX_NAME_LEN`].
    NameTooLong,
    /// The user id is empty or longer than [`limits::MAX_USER_ID_LEN`].
    BadUserId,
    /// The id is the nil UUID.
    NilId,
    /// The event is larger than [`limits::MAX_EVENT_BYTES`] as JSON.
    TooLarge,
}

impl EventProblem {
    /// A stable, machine-readable tag.
    #[must_use]
    pub const fn tag(self) -> &'static str {
        match self {
            EventProblem::EmptyName => "empty_event_name",
            EventProblem::NameTooLong => "event_name_too_long",
            EventProblem::BadUserId => "bad_user_id",
            EventProblem::NilId => "nil_event_id",
            EventProblem::TooLarge => "event_too_large",
        }
    }

    /// What is wrong, for a person.
    #[must_use]
    pub const fn message(self) -> &'static str {
        match self {
            EventProblem::EmptyName => "the event name is empty",
            EventProblem::NameTooLong => "the event name is longer than 200 bytes",
            EventProblem::BadUserId => "the user id is empty or longer than 200 bytes",
            EventProblem::NilId => "the event id is the nil UUID",
            EventProblem::TooLarge => "the event is larger than 32768 bytes as JSON",
        }
    }
}

/// Checks an event name given to `track` (or arriving at the collector).
pub fn check_name(name: &str) -> Result<(), EventProblem> {
    if name.is_empty() {
        Err(EventProblem::EmptyName)
    } else if name.len() > limits::MAX_NAME_LEN {
        Err(EventProblem::NameTooLong)
    } else {
        Ok(())
    }
}

/// Checks a user id given to `identify`.
pub fn check_user_id(user_id: &str) -> Result<(), EventProblem> {
    if user_id.is_empty() || user_id.len() > limits::MAX_USER_ID_LEN {
        Err(EventProblem::BadUserId)
    } else {
        Ok(())
    }
}

impl Event {
    /// Checks the limits that the types alone do not express.
    pub fn check(&self) -> Result<(), EventProblem> {
        if self.id.is_nil() {
            return Err(EventProblem::NilId);
        }
        check_name(&self.name)?;
        if let Some(user_id) = &self.user_id {
            check_user_id(user_id)?;
        }
        Ok(())
    }

    /// Checks the event's size against [`limits::MAX_EVENT_BYTES`]. The estimate is an upper
    /// bound, so only an event that may be too large is encoded to be measured exactly.
    pub fn check_size(&self) -> Result<(), EventProblem> {
        if self.approx_json_len() <= limits::MAX_EVENT_BYTES
            || crate::encode::WriteJson::to_json_string(self).len() <= limits::MAX_EVENT_BYTES
        {
            Ok(())
        } else {
            Err(EventProblem::TooLarge)
        }
    }

    /// An upper-bound estimate of this event's length as JSON, in bytes, for batching.
    #[must_use]
    pub fn approx_json_len(&self) -> usize {
        // Field names, punctuation, three UUIDs and the numbers.
        const FIXED: usize = 320;
        let page = &self.context.page;
        FIXED
            + approx_string_len(&self.name)
            + self.user_id.as_deref().map_or(0, approx_string_len)
            + approx_object_len(&self.properties)
            + self.traits.as_ref().map_or(0, approx_object_len)
            + approx_string_len(&page.url)
            + approx_string_len(&page.path)
            + approx_string_len(&page.title)
            + approx_string_len(&page.referrer)
            + self.context.locale.as_deref().map_or(0, approx_string_len)
            + approx_string_len(&self.context.sdk.name)
            + approx_string_len(&self.context.sdk.version)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A realistic event, for tests across the crate.
    pub(crate) fn event(n: u128, name: &str) -> Event {
        let mut properties = Properties::new();
        properties.insert("plan".into(), Value::from("pro"));
        properties.insert("seats".into(), Value::Number(12.0));
        Event {
            id: Uuid::from_u128(0x0189_0000_0000_7000_8000_0000_0000_0000 + n),
            name: name.into(),
            ts: Millis(1_700_000_000_000 + n as u64),
            anonymous_id: Uuid::from_u128(7),
            user_id: None,
            session_id: Uuid::from_u128(9),
            properties,
            traits: None,
            context: Context {
                page: Page {
                    url: "https://app.example/invoices?page=2".into(),
                    path: "/invoices".into(),
                    title: "Invoices — Ledgerly".into(),
                    referrer: "https://app.example/".into(),
                },
                locale: Some("en-GB".into()),
                viewport: Some(Viewport {
                    width: 1280,
                    height: 800,
                }),
                sdk: SdkInfo {
                    name: "waymark-web".into(),
                    version: "0.1.0".into(),
                },
            },
        }
    }

    #[test]
    fn a_batch_as_sent_is_the_batch_as_received() {
        let events = vec![event(1, PAGEVIEW), event(2, "invoice_created")];
        let sent = BatchRef {
            key: "pk_test",
            sent_at: Millis(1_700_000_000_500),
            events: &events,
        };
        let json = serde_json::to_string(&sent).unwrap();
        let received: Batch = serde_json::from_str(&json).unwrap();
        assert_eq!(
            received,
            Batch {
                key: "pk_test".into(),
                sent_at: sent.sent_at,
                events
            }
        );
    }

    #[test]
    fn an_event_up_to_the_size_limit_passes_and_one_byte_more_does_not() {
        use crate::encode::WriteJson;
        let mut big = event(1, "upload");
        big.properties.insert("note".into(), Value::from(""));
        let base = big.to_json_string().len();
        let fill = limits::MAX_EVENT_BYTES - base;
        big.properties
            .insert("note".into(), Value::from("x".repeat(fill)));
        assert_eq!(big.to_json_string().len(), limits::MAX_EVENT_BYTES);
        assert_eq!(big.check_size(), Ok(()));
        big.properties
            .insert("note".into(), Value::from("x".repeat(fill + 1)));
        assert_eq!(big.check_size(), Err(EventProblem::TooLarge));
        assert_eq!(EventProblem::TooLarge.tag(), "event_too_large");
        // Escapes count: 6,000 control characters are 36,000 bytes of JSON.
        let mut escaped = event(2, "upload");
        escaped
            .properties
            .insert("raw".into(), Value::from("\u{1}".repeat(6_000)));
        assert_eq!(escaped.check_size(), Err(EventProblem::TooLarge));
    }

    #[test]
    fn the_wire_format_uses_hyphenated_ids_and_millisecond_numbers() {
        let json = serde_json::to_value(event(1, PAGEVIEW)).unwrap();
        assert_eq!(json["id"], "01890000-0000-7000-8000-000000000001");
        assert_eq!(json["ts"], 1_700_000_000_001u64);
        assert_eq!(json["context"]["viewport"]["width"], 1280);
        assert!(
            json.get("user_id").is_none(),
            "absent user ids are left out"
        );
    }

    #[test]
    fn identify_events_carry_traits_and_the_user_id() {
        let mut identify = event(3, IDENTIFY);
        identify.user_id = Some("user_42".into());
        identify.traits = Some(Properties::from([("plan".to_owned(), Value::from("pro"))]));
        let json = serde_json::to_string(&identify).unwrap();
        assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), identify);
    }

    #[test]
    fn unknown_fields_from_a_newer_sdk_are_ignored() {
        let mut json = serde_json::to_value(event(1, PAGEVIEW)).unwrap();
        json["added_later"] = serde_json::json!({"x": 1});
        assert_eq!(
            serde_json::from_value::<Event>(json).unwrap(),
            event(1, PAGEVIEW)
        );
    }

    #[test]
    fn the_config_envelope_round_trips() {
        let envelope = ConfigEnvelope {
            project: "demo".into(),
            version: 3,
            published_at: Millis(5),
            config: Value::Object(Properties::from([(
                "tours".to_owned(),
                Value::Array(vec![]),
            )])),
        };
        let json = serde_json::to_string(&envelope).unwrap();
        assert_eq!(
            serde_json::from_str::<ConfigEnvelope>(&json).unwrap(),
            envelope
        );
    }

    #[test]
    fn event_checks_name_each_problem() {
        let check = |e: Event| e.check().map_err(EventProblem::tag);
        assert_eq!(check(event(1, "ok")), Ok(()));
        assert_eq!(check(event(1, "")), Err("empty_event_name"));
        assert_eq!(
            check(event(1, &"x".repeat(201))),
            Err("event_name_too_long")
        );
        let mut nil = event(1, "ok");
        nil.id = Uuid::nil();
        assert_eq!(check(nil), Err("nil_event_id"));
        let mut user = event(1, "ok");
        user.user_id = Some(String::new());
        assert_eq!(check(user), Err("bad_user_id"));
    }

    #[test]
    fn the_size_estimate_never_undercounts() {
        let mut big = event(1, "quote\"name");
        big.traits = Some(big.properties.clone());
        big.user_id = Some("u\n1".into());
        for e in [event(1, PAGEVIEW), big] {
            let exact = serde_json::to_string(&e).unwrap().len();
            assert!(
                e.approx_json_len() >= exact,
                "{} < {exact}",
                e.approx_json_len()
            );
        }
    }
}
