//! An experiment's events, shared by `tests/experiments.rs` (SQLite, counted by hand) and
//! `tests/clickhouse.rs` (the same counts from ClickHouse).

use serde_json::{json, Value};

/// A config with the experiment `pricing-test`: `control` and `annual-first` at 50/50,
/// goals `signup_completed` (the default) and `plan_selected`.
pub const PRICING_CONFIG: &str = r#"{"experiences": [{
    "id": "pricing-test", "kind": "content", "trigger": {"page_view": ["/pricing*"]},
    "experiment": {
        "variants": [
            {"key": "control", "weight": 0.5, "changes": []},
            {"key": "annual-first", "weight": 0.5, "changes": []}
        ],
        "coverage": 1, "goals": ["signup_completed", "plan_selected"]
    }
}]}"#;

/// Builds the events: times are seconds from `midnight`.
struct Seed {
    midnight: i64,
    events: Vec<Value>,
}

impl Seed {
    fn event(&mut self, name: &str, browser: u32, user: Option<&str>, at: i64, props: Value) {
        let n = self.events.len() + 1;
        let mut event = json!({
            "id": format!("019b7a3c-2a10-7000-8000-{n:012x}"),
            "name": name,
            "ts": self.midnight + at * 1000,
            "anonymous_id": format!("019b7a3c-2a00-7000-8000-0000000000{browser:02x}"),
            "session_id": format!("019b7a3c-2a00-7000-8000-0000000001{browser:02x}"),
            "properties": props,
            "context": {"page": {"url": "https://app.test/pricing", "path": "/pricing"},
                        "sdk": {"name": "waymark-web", "version": "0.1.0"}}
        });
        if let Some(user) = user {
            event["user_id"] = json!(user);
        }
        if name == "$identify" {
            event["traits"] = json!({});
        }
        self.events.push(event);
    }

    fn exposure(&mut self, browser: u32, at: i64, experiment: &str, variant: &str, index: u32) {
        let props = json!({"experiment": experiment, "variant": variant, "variant_index": index});
        self.event("$exposure", browser, None, at, props);
    }

    fn goal(&mut self, name: &str, browser: u32, at: i64) {
        self.event(name, browser, None, at, json!({}));
    }
}

/// The people of the fixture, one browser each (`bN`), and what they did:
///
/// | who | pricing-test                          | goals                                  |
/// |-----|---------------------------------------|----------------------------------------|
/// | b1  | control at -100                       | signup -90: converts                   |
/// | b2  | control at -100                       | signup -110, plan -105: both before    |
/// | b3  | control at -100 and again at -70      | none; one exposure                     |
/// | b4  | annual-first at -100                  | signup at the same ms: converts        |
/// | b5  | annual-first -100, then control -95   | signup -98: converts; mixed            |
/// | b6  | annual-first -100, anonymous          | identify as u6 at -99; u6 signs up on  |
/// |     |                                       | browser b7 at +3 (next day): converts  |
/// | b8  | annual-first -100                     | plan -80 only                          |
/// | b9  | control and annual-first, both at -60 | none; first is annual-first (smaller   |
/// |     |                                       | key at the same ms); mixed             |
///
/// `hero-copy`, which no config has: b1 "original" (index 0), b2 and b3 "bold" (index 1),
/// all at -150.
pub fn experiment_events(midnight: i64) -> Vec<Value> {
    let mut s = Seed {
        midnight,
        events: Vec::new(),
    };
    s.goal("$pageview", 1, -160);
    for browser in [1, 2, 3] {
        let (variant, index) = if browser == 1 {
            ("original", 0)
        } else {
            ("bold", 1)
        };
        s.exposure(browser, -150, "hero-copy", variant, index);
    }
    s.exposure(1, -100, "pricing-test", "control", 0);
    s.goal("signup_completed", 1, -90);
    s.goal("signup_completed", 2, -110);
    s.goal("plan_selected", 2, -105);
    s.exposure(2, -100, "pricing-test", "control", 0);
    s.exposure(3, -100, "pricing-test", "control", 0);
    s.exposure(3, -70, "pricing-test", "control", 0);
    s.exposure(4, -100, "pricing-test", "annual-first", 1);
    s.goal("signup_completed", 4, -100);
    s.exposure(5, -100, "pricing-test", "annual-first", 1);
    s.goal("signup_completed", 5, -98);
    s.exposure(5, -95, "pricing-test", "control", 0);
    s.exposure(6, -100, "pricing-test", "annual-first", 1);
    s.event("$identify", 6, Some("u6"), -99, json!({}));
    s.event("signup_completed", 7, Some("u6"), 3, json!({}));
    s.exposure(8, -100, "pricing-test", "annual-first", 1);
    s.goal("plan_selected", 8, -80);
    s.exposure(9, -60, "pricing-test", "control", 0);
    s.exposure(9, -60, "pricing-test", "annual-first", 1);
    // Not exposures of pricing-test: no variant, an empty variant, another event name.
    s.event(
        "$exposure",
        1,
        None,
        -50,
        json!({"experiment": "pricing-test"}),
    );
    s.event(
        "$exposure",
        2,
        None,
        -50,
        json!({"experiment": "pricing-test", "variant": ""}),
    );
    s.event(
        "exposure",
        3,
        None,
        -50,
        json!({"experiment": "pricing-test", "variant": "control"}),
    );
    s.events
}
