//! A survey's events, shared by `tests/surveys.rs` (SQLite, counted by hand) and
//! `tests/clickhouse.rs` (the same counts from ClickHouse).

use serde_json::{json, Value};
use waymark_core::protocol::survey::{ANSWERED, COMPLETED, DISMISSED, SHOWN};
use waymark_core::protocol::IDENTIFY;

/// The configured survey.
pub const SURVEY: &str = "q3-feedback";
/// A survey no config has, seen only in events.
pub const UNCONFIGURED: &str = "onboarding";

/// A config with the survey [`SURVEY`]: NPS, 7-point CES, CSAT, single and multiple choice,
/// and two text questions, as the SDK's compiler accepts them.
pub const SURVEY_CONFIG: &str = r#"{"experiences": [{
    "id": "q3-feedback", "kind": "survey", "trigger": {"page_view": true},
    "survey": {
        "questions": [
            {"id": "recommend", "type": "nps", "text": "How likely are you to recommend us?",
             "labels": {"low": "Not at all likely", "high": "Extremely likely"}},
            {"id": "effort", "type": "ces", "scale": 7, "text": "It was easy to send an invoice.",
             "labels": {"low": "Strongly disagree", "high": "Strongly agree"}},
            {"id": "satisfaction", "type": "csat", "text": "How satisfied are you?"},
            {"id": "feature", "type": "single", "text": "What do you use most?",
             "choices": [{"id": "reports", "label": "Reports"}, {"id": "export", "label": "Export"},
                         {"id": "invoices", "label": "Invoices"}]},
            {"id": "tools", "type": "multiple", "text": "What else do you use?", "optional": true,
             "choices": [{"id": "slack", "label": "Slack"}, {"id": "jira", "label": "Jira"},
                         {"id": "email", "label": "E-mail"}]},
            {"id": "why", "type": "text", "text": "Why?", "optional": true},
            {"id": "anything-else", "type": "text", "text": "Anything else?", "optional": true}
        ]
    }
}]}"#;

/// Builds the events: times are seconds from `midnight`.
struct Seed {
    midnight: i64,
    events: Vec<Value>,
}

/// A response (`rNN`) and the browser (`bNN`) it was shown on.
#[derive(Clone, Copy)]
struct Who {
    response: u32,
    browser: u32,
}

/// Response `n` on browser `n`.
fn r(n: u32) -> Who {
    Who {
        response: n,
        browser: n,
    }
}

/// Day A and day B: two and one days before `midnight`; `H` an hour.
const A: i64 = -2 * 86_400;
const B: i64 = -86_400;
const H: i64 = 3_600;

fn scale(min: i64, max: i64, direction: &str) -> Value {
    json!({"min": min, "max": max, "direction": direction})
}

fn nps() -> Value {
    scale(0, 10, "ascending")
}

fn csat() -> Value {
    scale(1, 5, "ascending")
}

impl Seed {
    fn event(&mut self, name: &str, browser: u32, user: Option<&str>, at: i64, props: Value) {
        let n = self.events.len() + 1;
        let mut event = json!({
            "id": format!("019b7a3c-2a20-7000-8000-{n:012x}"),
            "name": name,
            "ts": self.midnight + at * 1000,
            "anonymous_id": format!("019b7a3c-2a01-7000-8000-0000000000{browser:02x}"),
            "session_id": format!("019b7a3c-2a01-7000-8000-0000000001{browser:02x}"),
            "properties": props,
            "context": {"page": {"url": "https://app.test/invoices", "path": "/invoices"},
                        "sdk": {"name": "waymark-web", "version": "0.1.0"}}
        });
        if let Some(user) = user {
            event["user_id"] = json!(user);
        }
        self.events.push(event);
    }

    fn identify(&mut self, browser: u32, user: &str, at: i64, traits: Value) {
        self.event(IDENTIFY, browser, Some(user), at, json!({}));
        if let Some(last) = self.events.last_mut() {
            last["traits"] = traits;
        }
    }

    fn survey_event(&mut self, name: &str, survey: &str, who: Who, at: i64, extra: Value) {
        let response = format!("r{:02}", who.response);
        let mut props = json!({"survey": survey, "response": response, "locale": "en-US"});
        if let (Some(props), Value::Object(extra)) = (props.as_object_mut(), extra) {
            props.extend(extra);
        }
        self.event(name, who.browser, None, at, props);
    }

    fn shown(&mut self, who: Who, at: i64) {
        self.survey_event(SHOWN, SURVEY, who, at, json!({}));
    }

    fn completed(&mut self, who: Who, at: i64) {
        self.survey_event(COMPLETED, SURVEY, who, at, json!({}));
    }

    fn dismissed(&mut self, who: Who, at: i64, question: &str) {
        self.survey_event(DISMISSED, SURVEY, who, at, json!({"question": question}));
    }

    fn answer(
        &mut self,
        who: Who,
        at: i64,
        question: &str,
        kind: &str,
        value: Value,
        scale: Option<Value>,
    ) {
        let mut extra = json!({"question": question, "question_type": kind, "value": value});
        if let Some(scale) = scale {
            extra["scale"] = scale;
        }
        self.survey_event(ANSWERED, SURVEY, who, at, extra);
    }
}

/// The responses of [`SURVEY`] (`rNN`, on browser `bNN` unless noted), all in locale
/// `en-US` but r09's text. Day A is two days before `midnight`, day B one.
///
/// | resp | day | NPS (recommend) | CES (effort)            | CSAT | feature  | tools                 | why / end          |
/// |------|-----|-----------------|-------------------------|------|----------|-----------------------|--------------------|
/// | r01  | A   | 10              | 7 of 7                  | 5    | reports  | slack, jira           | text, anything-else; legacy "yes"; completed |
/// | r02  | A   | 3, changed to 9 | 6 of 7                  | 4    | reports  | jira, `café "beta"`   | text with a quote and a newline; completed |
/// | r03  | A   | 1 descending: 9 | 3 of 7 descending: 5    | 4 descending: 2 | export | (none chosen) | empty text; completed |
/// | r04  | A   | 10 (anonymous)  | 2 of 7 (as u4)          | 3    | reports  | slack, slack, email   | completed |
/// | r05  | A→B | 9               | 1 of 7 at 23:59:50 A, changed to 4 at 00:00:10 B | 5 (B) | invoices (B) | | completed (B) |
/// | r06  | B   | 8               | 5 of 5                  | 1    |          |                       | "Slow", changed to "Too slow" at 15:00; completed |
/// | r07  | B   | 7               | 4 of 5                  |      |          |                       | dismissed on tools, then completed |
/// | r08  | B   | 2 and 7 at the same ms (7 sent last) | 5 of 5 descending: 1 | | |              | completed |
/// | r09  | B   | 6 (browser 9)   | 3 of a 3-point scale    |      |          |                       | "Prix élevé" (fr-FR) at 14:00; dismissed on why |
/// | r10  | B   | 0 (browser 9)   |                         |      |          |                       | text at 14:00, sent after r09's; dismissed on effort, then on satisfaction |
/// | r11–14 | B | shown only: r11 dismissed on recommend, r12 on effort, r13 nothing, r14 dismissed without a question |
///
/// Ignored answers (7): no response id; type `rating`; NPS `"9"` (a string, after r07's
/// valid 7); CSAT 6 on 1–5 (r06); CES on the scale 5–5 (r08); multiple `["slack", 3]`
/// (r04); NPS 8.5 (r09). A shown event without a response id is not counted either.
///
/// People: u1 (b1; identified 40 days before `midnight` with plan free, on day A with plan
/// pro), u2 (b2; plan free, 40 days before), u4 (b4; plan pro), u5 (b5; plan 2, a number),
/// u6 (b6; plan free, then a later identify with other traits: no plan); b3, b7, b8 and b9
/// (r09 and r10: one person) are anonymous. 9 people answered.
///
/// Outside every default range: r15 (b15), shown and NPS 0, 40 days before `midnight`.
///
/// [`UNCONFIGURED`], on day B from 08:00: r20 (b20) shown, `ease` CES 4 of 5 at +100 s,
/// `comment` "ok" at +120 s; r21 (b21) shown, `comment` "meh" at +50 s, `ease` 5 of 5 at
/// +60 s; r22 (b22) `ease` as CSAT 4 at 09:00 (another type than its first answer's).
pub fn survey_events(midnight: i64) -> Vec<Value> {
    let mut s = Seed {
        midnight,
        events: Vec::new(),
    };
    let ces7 = || Some(scale(1, 7, "ascending"));
    let ces5 = || Some(scale(1, 5, "ascending"));

    s.identify(1, "u1", -40 * 86_400, json!({"plan": "free"}));
    s.identify(2, "u2", -40 * 86_400, json!({"plan": "free"}));
    s.identify(1, "u1", A + 9 * H, json!({"plan": "pro"}));
    s.identify(4, "u4", A + 9 * H, json!({"plan": "pro", "seats": 3}));
    s.identify(5, "u5", A + 9 * H, json!({"plan": 2}));
    s.identify(6, "u6", A + 9 * H, json!({"plan": "free"}));
    s.identify(6, "u6", B + 9 * H, json!({"seats": 5}));

    // Outside the default range.
    s.shown(r(15), -40 * 86_400);
    s.answer(
        r(15),
        -40 * 86_400 + 5,
        "recommend",
        "nps",
        json!(0),
        Some(nps()),
    );

    // Day A.
    let t = A + 10 * H + 60;
    s.shown(r(1), t);
    s.answer(r(1), t + 5, "recommend", "nps", json!(10), Some(nps()));
    s.answer(r(1), t + 10, "effort", "ces", json!(7), ces7());
    s.answer(r(1), t + 15, "satisfaction", "csat", json!(5), Some(csat()));
    s.answer(r(1), t + 20, "feature", "single", json!("reports"), None);
    s.answer(
        r(1),
        t + 25,
        "tools",
        "multiple",
        json!(["slack", "jira"]),
        None,
    );
    s.answer(r(1), t + 40, "why", "text", json!("Fast invoicing"), None);
    s.answer(r(1), t + 50, "anything-else", "text", json!("No"), None);
    s.answer(r(1), t + 55, "legacy", "single", json!("yes"), None);
    s.completed(r(1), t + 56);

    let t = A + 10 * H + 120;
    s.shown(r(2), t);
    s.answer(r(2), t + 5, "recommend", "nps", json!(3), Some(nps()));
    s.answer(r(2), t + 40, "recommend", "nps", json!(9), Some(nps()));
    s.answer(r(2), t + 41, "effort", "ces", json!(6), ces7());
    s.answer(r(2), t + 42, "satisfaction", "csat", json!(4), Some(csat()));
    s.answer(r(2), t + 43, "feature", "single", json!("reports"), None);
    s.answer(
        r(2),
        t + 44,
        "tools",
        "multiple",
        json!(["jira", "café \"beta\""]),
        None,
    );
    s.answer(
        r(2),
        t + 45,
        "why",
        "text",
        json!("Love the \"reports\" tab\nand the exports"),
        None,
    );
    s.completed(r(2), t + 46);

    let t = A + 10 * H + 180;
    s.shown(r(3), t);
    s.answer(
        r(3),
        t + 5,
        "recommend",
        "nps",
        json!(1),
        Some(scale(0, 10, "descending")),
    );
    s.answer(
        r(3),
        t + 6,
        "effort",
        "ces",
        json!(3),
        Some(scale(1, 7, "descending")),
    );
    s.answer(
        r(3),
        t + 7,
        "satisfaction",
        "csat",
        json!(4),
        Some(scale(1, 5, "descending")),
    );
    s.answer(r(3), t + 8, "feature", "single", json!("export"), None);
    s.answer(r(3), t + 9, "tools", "multiple", json!([]), None);
    s.answer(r(3), t + 10, "why", "text", json!(""), None);
    s.completed(r(3), t + 11);
    // Not valid: no response id.
    s.event(
        ANSWERED,
        3,
        None,
        t + 12,
        json!({"survey": SURVEY, "locale": "en-US", "question": "recommend", "question_type": "nps", "value": 9, "scale": nps()}),
    );

    let t = A + 10 * H + 240;
    s.shown(r(4), t);
    s.answer(r(4), t + 5, "recommend", "nps", json!(10), Some(nps()));
    s.survey_event(ANSWERED, SURVEY, r(4),
        t + 6,
        json!({"question": "effort", "question_type": "ces", "value": 2, "scale": scale(1, 7, "ascending")}),
    );
    if let Some(last) = s.events.last_mut() {
        last["user_id"] = json!("u4");
    }
    s.answer(r(4), t + 7, "satisfaction", "csat", json!(3), Some(csat()));
    s.answer(r(4), t + 8, "feature", "single", json!("reports"), None);
    s.answer(
        r(4),
        t + 9,
        "tools",
        "multiple",
        json!(["slack", "slack", "email"]),
        None,
    );
    s.answer(r(4), t + 10, "tools", "multiple", json!(["slack", 3]), None);
    s.completed(r(4), t + 11);

    // r05 answers just before midnight, and changes its CES answer just after.
    let t = B - 60;
    s.shown(r(5), t);
    s.answer(r(5), t + 5, "recommend", "nps", json!(9), Some(nps()));
    s.answer(r(5), B - 10, "effort", "ces", json!(1), ces7());
    s.answer(r(5), B + 10, "effort", "ces", json!(4), ces7());
    s.answer(r(5), B + 15, "satisfaction", "csat", json!(5), Some(csat()));
    s.answer(r(5), B + 20, "feature", "single", json!("invoices"), None);
    s.completed(r(5), B + 30);

    // Day B.
    let t = B + 10 * H + 360;
    s.shown(r(6), t);
    s.answer(r(6), t + 5, "recommend", "nps", json!(8), Some(nps()));
    s.answer(r(6), t + 6, "effort", "ces", json!(5), ces5());
    s.answer(r(6), t + 7, "satisfaction", "csat", json!(1), Some(csat()));
    s.answer(r(6), t + 8, "satisfaction", "csat", json!(6), Some(csat()));
    s.answer(r(6), t + 9, "why", "text", json!("Slow"), None);
    s.completed(r(6), t + 10);
    s.answer(r(6), B + 15 * H, "why", "text", json!("Too slow"), None);

    let t = B + 10 * H + 420;
    s.shown(r(7), t);
    s.answer(r(7), t + 5, "recommend", "nps", json!(7), Some(nps()));
    s.answer(r(7), t + 6, "recommend", "nps", json!("9"), Some(nps()));
    s.answer(r(7), t + 7, "effort", "ces", json!(4), ces5());
    s.answer(r(7), t + 8, "mood", "rating", json!(3), Some(csat()));
    s.dismissed(r(7), t + 9, "tools");
    s.completed(r(7), t + 10);

    let t = B + 10 * H + 480;
    s.shown(r(8), t);
    s.answer(r(8), t + 5, "recommend", "nps", json!(2), Some(nps()));
    s.answer(r(8), t + 5, "recommend", "nps", json!(7), Some(nps()));
    s.answer(
        r(8),
        t + 6,
        "effort",
        "ces",
        json!(5),
        Some(scale(1, 5, "descending")),
    );
    s.answer(
        r(8),
        t + 7,
        "effort",
        "ces",
        json!(5),
        Some(scale(5, 5, "ascending")),
    );
    s.completed(r(8), t + 8);

    let t = B + 10 * H + 540;
    s.shown(r(9), t);
    s.answer(r(9), t + 5, "recommend", "nps", json!(6), Some(nps()));
    s.answer(r(9), t + 6, "recommend", "nps", json!(8.5), Some(nps()));
    s.answer(
        r(9),
        t + 7,
        "effort",
        "ces",
        json!(3),
        Some(scale(1, 3, "ascending")),
    );

    let t = B + 10 * H + 600;
    s.shown(
        Who {
            response: 10,
            browser: 9,
        },
        t,
    );
    s.answer(
        Who {
            response: 10,
            browser: 9,
        },
        t + 5,
        "recommend",
        "nps",
        json!(0),
        Some(nps()),
    );
    s.dismissed(
        Who {
            response: 10,
            browser: 9,
        },
        t + 30,
        "effort",
    );
    s.dismissed(
        Who {
            response: 10,
            browser: 9,
        },
        t + 50,
        "satisfaction",
    );

    // Two texts at the same millisecond: r10's is sent last.
    let t = B + 14 * H;
    s.survey_event(ANSWERED, SURVEY, r(9),
        t,
        json!({"question": "why", "question_type": "text", "value": "Prix élevé", "locale": "fr-FR"}),
    );
    s.answer(
        Who {
            response: 10,
            browser: 9,
        },
        t,
        "why",
        "text",
        json!("Crashes on export"),
        None,
    );
    s.dismissed(r(9), t + 10, "why");

    let t = B + 12 * H;
    for n in 11..=14 {
        s.shown(r(n), t);
    }
    s.dismissed(r(11), t + 5, "recommend");
    s.dismissed(r(12), t + 5, "effort");
    s.survey_event(DISMISSED, SURVEY, r(14), t + 5, json!({}));
    // Not counted: a shown event without a response id.
    s.event(SHOWN, 13, None, t + 6, json!({"survey": SURVEY}));

    // The survey no config has.
    let t = B + 8 * H;
    s.survey_event(SHOWN, UNCONFIGURED, r(20), t, json!({}));
    s.survey_event(SHOWN, UNCONFIGURED, r(21), t, json!({}));
    s.survey_event(
        ANSWERED,
        UNCONFIGURED,
        r(21),
        t + 50,
        json!({"question": "comment", "question_type": "text", "value": "meh"}),
    );
    s.survey_event(ANSWERED, UNCONFIGURED, r(21),
        t + 60,
        json!({"question": "ease", "question_type": "ces", "value": 5, "scale": scale(1, 5, "ascending")}),
    );
    s.survey_event(ANSWERED, UNCONFIGURED, r(20),
        t + 100,
        json!({"question": "ease", "question_type": "ces", "value": 4, "scale": scale(1, 5, "ascending")}),
    );
    s.survey_event(
        ANSWERED,
        UNCONFIGURED,
        r(20),
        t + 120,
        json!({"question": "comment", "question_type": "text", "value": "ok"}),
    );
    s.survey_event(ANSWERED, UNCONFIGURED, r(22),
        B + 9 * H,
        json!({"question": "ease", "question_type": "csat", "value": 4, "scale": scale(1, 5, "ascending")}),
    );
    s.events
}
