//! A survey's reach by question: named edge cases on SQLite (a test each) and on a real
//! ClickHouse (one server for the table), byte-identical JSON from both stores on a seeded
//! dataset of responses made by the SDK's own survey `Run`, and the HTTP route's refusals.
#![allow(clippy::print_stdout)] // Prints the parity figures.

mod common;

use common::cases::EdgeCase;
use common::journeys::*;
use serde_json::{json, Value};
use time::macros::date;
use waymark_collector::reports::survey_reach::{run, survey_in_config, ReachQuery};
use waymark_collector::store::EventStore;
use waymark_core::encode::WriteJson;
use waymark_core::rules::experiences::survey::{Advance, Answer, Run};

/// Who they are, what they build with (only developers are asked: designers branch past
/// it, and "other" ends the survey at once), the NPS score, and an optional why.
const CONFIG: &str = r#"{"experiences": [{
    "id": "feedback", "kind": "survey", "trigger": {"page_view": true},
    "survey": {"questions": [
        {"id": "role", "type": "single", "text": "What do you do?",
         "choices": [{"id": "dev", "label": "Developer"}, {"id": "design", "label": "Designer"},
                     {"id": "other", "label": "Other"}],
         "branch": [{"when": {"in": ["other"]}, "to": "end"},
                    {"when": {"in": ["design"]}, "to": "score"}]},
        {"id": "stack", "type": "multiple", "text": "What do you build with?",
         "choices": [{"id": "rust", "label": "Rust"}, {"id": "go", "label": "Go"}]},
        {"id": "score", "type": "nps", "text": "How likely are you to recommend us?",
         "labels": {"low": "Not at all likely", "high": "Extremely likely"}},
        {"id": "why", "type": "text", "text": "Why?", "optional": true}
    ]}
}]}"#;

const SEC: i64 = 1000;

fn survey_event(anon: u32, name: &'static str, at: i64, response: &str, extra: Value) -> E {
    let mut event = e(anon, name, at);
    let mut properties = json!({"survey": "feedback", "response": response, "locale": "en"});
    for (k, v) in extra.as_object().unwrap() {
        properties[k] = v.clone();
    }
    event.properties = properties;
    event
}

fn shown(anon: u32, response: &str, at: i64) -> E {
    survey_event(anon, "$survey_shown", at, response, json!({}))
}

fn answer(anon: u32, response: &str, question: &str, value: Value, at: i64) -> E {
    survey_event(
        anon,
        "$survey_answered",
        at,
        response,
        json!({"question": question, "value": value}),
    )
}

fn dismissed(anon: u32, response: &str, question: &str, at: i64) -> E {
    survey_event(
        anon,
        "$survey_dismissed",
        at,
        response,
        json!({"question": question}),
    )
}

fn completed(anon: u32, response: &str, at: i64) -> E {
    survey_event(anon, "$survey_completed", at, response, json!({}))
}

/// The answer event the SDK sends for `question`, its value as the `Run` writes it.
fn answered(run: &Run, browser: u32, response: &str, question: &str, at: i64) -> E {
    let properties = run.answer_properties(question).expect("an answer");
    let properties: Value =
        serde_json::from_str(&waymark_core::Value::Object(properties).to_json_string()).unwrap();
    answer(browser, response, question, properties["value"].clone(), at)
}

async fn reach(store: &dyn EventStore, count: &str) -> Value {
    let survey = survey_in_config(CONFIG, "feedback").expect("the survey");
    let (range, counting) = ReachQuery {
        from: Some("2026-11-10".into()),
        to: Some("2026-11-10".into()),
        count: Some(count.into()),
        version: None,
    }
    .check(date!(2026 - 11 - 30))
    .unwrap();
    let report = run(store, "demo".into(), survey, 1, range, counting, None)
        .await
        .expect("a report");
    serde_json::to_value(report).unwrap()
}

struct Case {
    name: &'static str,
    events: fn() -> Vec<Vec<(u128, E)>>,
    count: &'static str,
    /// Shown, completed, dismissed, unfinished.
    totals: [u64; 4],
    /// For role, stack, score and why: reached, answered, skipped, dismissed, unfinished,
    /// branched past, answered off the path.
    questions: [[u64; 7]; 4],
    /// Each path's questions, end and count, in the order listed.
    paths: &'static [(&'static [&'static str], &'static str, u64)],
}

const NONE: [u64; 7] = [0; 7];

fn merged() -> Vec<Vec<(u128, E)>> {
    // Browser 1 answers "other" (the end) anonymously, then signs in as u1; browser 2, as
    // u1, answers as a developer and leaves at the score.
    one_batch(vec![
        shown(1, "r1", 0),
        answer(1, "r1", "role", json!("other"), SEC),
        completed(1, "r1", SEC),
        as_user(e(1, "$identify", 2 * SEC), "u1"),
        as_user(shown(2, "r2", HOUR), "u1"),
        as_user(answer(2, "r2", "role", json!("dev"), HOUR + SEC), "u1"),
        as_user(
            answer(2, "r2", "stack", json!(["rust"]), HOUR + 2 * SEC),
            "u1",
        ),
    ])
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "a_branch_skips_a_question",
            events: || {
                one_batch(vec![
                    // A designer branches past the stack question.
                    shown(1, "r1", 0),
                    answer(1, "r1", "role", json!("design"), SEC),
                    answer(1, "r1", "score", json!(9), 2 * SEC),
                    answer(1, "r1", "why", json!("Fast"), 3 * SEC),
                    completed(1, "r1", 3 * SEC),
                    // "Other" goes to the end.
                    shown(2, "r2", 0),
                    answer(2, "r2", "role", json!("other"), SEC),
                    completed(2, "r2", SEC),
                    // A developer sees every question and skips the optional why.
                    shown(3, "r3", 0),
                    answer(3, "r3", "role", json!("dev"), SEC),
                    answer(3, "r3", "stack", json!(["rust", "go"]), 2 * SEC),
                    answer(3, "r3", "score", json!(4), 3 * SEC),
                    completed(3, "r3", 4 * SEC),
                ])
            },
            count: "people",
            totals: [3, 3, 0, 0],
            questions: [
                [3, 3, 0, 0, 0, 0, 0],
                [1, 1, 0, 0, 0, 2, 0],
                [2, 2, 0, 0, 0, 1, 0],
                [2, 1, 1, 0, 0, 1, 0],
            ],
            paths: &[
                (&["role"], "completed", 1),
                (&["role", "stack", "score", "why"], "completed", 1),
                (&["role", "score", "why"], "completed", 1),
            ],
        },
        Case {
            name: "a_repeated_answer_counts_once_and_the_last_one_decides_the_path",
            events: || {
                one_batch(vec![
                    // Developer, then back and designer: the stack question is passed by.
                    shown(1, "r1", 0),
                    answer(1, "r1", "role", json!("dev"), SEC),
                    answer(1, "r1", "role", json!("design"), 2 * SEC),
                    answer(1, "r1", "score", json!(10), 3 * SEC),
                    completed(1, "r1", 3 * SEC),
                    // Answers the stack, goes back twice and picks "other": that answer is
                    // off the path the survey ended on.
                    shown(2, "r2", 0),
                    answer(2, "r2", "role", json!("dev"), SEC),
                    answer(2, "r2", "stack", json!(["go"]), 2 * SEC),
                    answer(2, "r2", "role", json!("other"), 3 * SEC),
                    completed(2, "r2", 3 * SEC),
                ])
            },
            count: "people",
            totals: [2, 2, 0, 0],
            questions: [
                [2, 2, 0, 0, 0, 0, 0],
                [0, 0, 0, 0, 0, 2, 1],
                [1, 1, 0, 0, 0, 1, 0],
                [1, 0, 1, 0, 0, 1, 0],
            ],
            paths: &[
                (&["role"], "completed", 1),
                (&["role", "score", "why"], "completed", 1),
            ],
        },
        Case {
            name: "a_person_who_closes_at_question_two_left_there",
            events: || {
                one_batch(vec![
                    shown(1, "r1", 0),
                    answer(1, "r1", "role", json!("dev"), SEC),
                    dismissed(1, "r1", "stack", 5 * SEC),
                    // Answers two questions and leaves the page: unfinished at the score.
                    shown(2, "r2", 0),
                    answer(2, "r2", "role", json!("dev"), SEC),
                    answer(2, "r2", "stack", json!(["rust"]), 2 * SEC),
                    // Closes it at once.
                    shown(3, "r3", 0),
                    dismissed(3, "r3", "role", SEC),
                ])
            },
            count: "people",
            totals: [3, 0, 2, 1],
            questions: [
                [3, 2, 0, 1, 0, 0, 0],
                [2, 1, 0, 1, 0, 0, 0],
                [1, 0, 0, 0, 1, 0, 0],
                NONE,
            ],
            paths: &[
                (&["role"], "dismissed", 1),
                (&["role", "stack"], "dismissed", 1),
                (&["role", "stack", "score"], "unfinished", 1),
            ],
        },
        Case {
            name: "an_identity_merge_makes_two_responses_one_person",
            events: merged,
            count: "people",
            totals: [1, 1, 0, 1],
            questions: [
                [1, 1, 0, 0, 0, 0, 0],
                [1, 1, 0, 0, 0, 1, 0],
                [1, 0, 0, 0, 1, 1, 0],
                [0, 0, 0, 0, 0, 1, 0],
            ],
            paths: &[
                (&["role"], "completed", 1),
                (&["role", "stack", "score"], "unfinished", 1),
            ],
        },
        Case {
            name: "counted_by_responses_the_merged_person_is_two",
            events: merged,
            count: "responses",
            totals: [2, 1, 0, 1],
            questions: [
                [2, 2, 0, 0, 0, 0, 0],
                [1, 1, 0, 0, 0, 1, 0],
                [1, 0, 0, 0, 1, 1, 0],
                [0, 0, 0, 0, 0, 1, 0],
            ],
            paths: &[
                (&["role"], "completed", 1),
                (&["role", "stack", "score"], "unfinished", 1),
            ],
        },
        Case {
            name: "responses_shown_outside_the_range_and_other_surveys_are_left_out",
            events: || {
                let mut other = shown(2, "r2", 0);
                other.properties["survey"] = json!("another");
                one_batch(vec![
                    // Shown before the range: its answer inside it is not a response.
                    shown(1, "r1", -HOUR),
                    answer(1, "r1", "role", json!("dev"), SEC),
                    other,
                    // Shown on the range's last minute, answered after it: read whole.
                    shown(3, "r3", 24 * HOUR - MIN),
                    answer(3, "r3", "role", json!("other"), 24 * HOUR + 10 * MIN),
                    completed(3, "r3", 24 * HOUR + 10 * MIN),
                    // Shown after the range.
                    shown(4, "r4", 24 * HOUR + SEC),
                ])
            },
            count: "responses",
            totals: [1, 1, 0, 0],
            questions: [
                [1, 1, 0, 0, 0, 0, 0],
                [0, 0, 0, 0, 0, 1, 0],
                [0, 0, 0, 0, 0, 1, 0],
                [0, 0, 0, 0, 0, 1, 0],
            ],
            paths: &[(&["role"], "completed", 1)],
        },
        Case {
            name: "an_answer_the_definition_refuses_is_a_skip",
            events: || {
                one_batch(vec![
                    // A choice the survey no longer has, then a score: role and stack
                    // were passed without an answer the replay can use.
                    shown(1, "r1", 0),
                    answer(1, "r1", "role", json!("manager"), SEC),
                    answer(1, "r1", "score", json!(8), 2 * SEC),
                    completed(1, "r1", 2 * SEC),
                ])
            },
            count: "responses",
            totals: [1, 1, 0, 0],
            questions: [
                [1, 0, 1, 0, 0, 0, 0],
                [1, 0, 1, 0, 0, 0, 0],
                [1, 1, 0, 0, 0, 0, 0],
                [1, 0, 1, 0, 0, 0, 0],
            ],
            paths: &[(&["role", "stack", "score", "why"], "completed", 1)],
        },
    ]
}

impl EdgeCase for Case {
    fn name(&self) -> &'static str {
        self.name
    }

    async fn run_on(&self, store: &dyn EventStore) -> Result<(), String> {
        store_all(store, &(self.events)()).await;
        let report = reach(store, self.count).await;
        let number = |v: &Value| v.as_u64().unwrap();
        let totals = ["shown", "completed", "dismissed", "unfinished"].map(|k| number(&report[k]));
        let questions: Vec<[u64; 7]> = report["questions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| {
                [
                    "reached",
                    "answered",
                    "skipped",
                    "dismissed",
                    "unfinished",
                    "branched_past",
                    "answered_off_path",
                ]
                .map(|k| number(&q[k]))
            })
            .collect();
        let paths: Vec<(Vec<String>, String, u64)> = report["paths"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    serde_json::from_value(p["questions"].clone()).unwrap(),
                    p["end"].as_str().unwrap().to_owned(),
                    number(&p["count"]),
                )
            })
            .collect();
        let expected_paths: Vec<(Vec<String>, String, u64)> = self
            .paths
            .iter()
            .map(|(q, end, n)| {
                (
                    q.iter().map(|s| (*s).to_owned()).collect(),
                    (*end).to_owned(),
                    *n,
                )
            })
            .collect();
        if totals == self.totals && questions == self.questions && paths == expected_paths {
            Ok(())
        } else {
            Err(format!(
                "{}: totals {totals:?} (expected {:?}), questions {questions:?} (expected {:?}), paths {paths:?} (expected {expected_paths:?})\n{report:#}",
                self.name, self.totals, self.questions
            ))
        }
    }
}

crate::edge_cases!(
    a_branch_skips_a_question,
    a_repeated_answer_counts_once_and_the_last_one_decides_the_path,
    a_person_who_closes_at_question_two_left_there,
    an_identity_merge_makes_two_responses_one_person,
    counted_by_responses_the_merged_person_is_two,
    responses_shown_outside_the_range_and_other_surveys_are_left_out,
    an_answer_the_definition_refuses_is_a_skip,
);

/// 200 responses on 150 browsers, each driven through the SDK's own `Run` with random
/// answers, skips, going back, closing or leaving; a third of the browsers sign in (some two
/// as one user); ties at equal milliseconds, batches out of order and sent twice.
fn seeded_responses() -> Vec<Vec<(u128, E)>> {
    let survey = survey_in_config(CONFIG, "feedback").unwrap();
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut id = 0u128;
    let mut batches = Vec::new();
    for response in 0..200u32 {
        let browser = response % 150;
        let user = ["u0", "u1", "u2", "u3", "u4", "u5", "u6", "u7"][browser as usize % 8];
        let signed_in = browser % 3 == 0;
        let name = format!("r{response}");
        let mut at = rng.below(20 * HOUR as u64) as i64;
        let mut run = survey.start("en", &name).unwrap();
        let mut events = vec![shown(browser, &name, at)];
        while let Some(view) = run.question() {
            let question = view.id.to_owned();
            // A third of the steps at the same millisecond as the one before.
            if rng.below(3) != 0 {
                at += rng.below(30 * SEC as u64) as i64;
            }
            let advance = match rng.below(20) {
                0 => {
                    events.push(dismissed(browser, &name, &question, at));
                    break;
                }
                // Leaves the page.
                1 => break,
                2 | 3 => {
                    run.back();
                    continue;
                }
                4 => run.skip(),
                _ => {
                    let given = match question.as_str() {
                        "role" => {
                            Answer::Choice(["dev", "design", "other"][rng.below(3) as usize].into())
                        }
                        "stack" => Answer::Choices(match rng.below(3) {
                            0 => vec!["rust".into()],
                            1 => vec!["go".into()],
                            _ => vec!["rust".into(), "go".into()],
                        }),
                        "score" => Answer::Rating(rng.below(11) as i32),
                        _ => Answer::Text(format!("because {}", rng.below(5))),
                    };
                    let advance = run.answer(given);
                    if advance.is_ok() {
                        events.push(answered(&run, browser, &name, &question, at));
                    }
                    advance
                }
            };
            if matches!(advance, Ok(Advance::ThankYou { .. } | Advance::Close)) {
                events.push(completed(browser, &name, at));
                break;
            }
        }
        let mut numbered: Vec<(u128, E)> = Vec::new();
        for mut event in events {
            if signed_in {
                event.user = Some(user);
            }
            id += 1;
            numbered.push((id, event));
        }
        if signed_in && response < 150 {
            id += 1;
            numbered.push((id, as_user(e(browser, "$identify", at), user)));
        }
        send_out_of_order(&mut rng, &numbered, &mut batches);
    }
    batches
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_clickhouse_give_byte_identical_reach() {
    let stores = both_stores(&seeded_responses()).await;
    let (sqlite, clickhouse) = (&stores.sqlite, &stores.clickhouse);
    for count in ["people", "responses"] {
        let a = serde_json::to_string(&reach(sqlite, count).await).unwrap();
        let b = serde_json::to_string(&reach(clickhouse, count).await).unwrap();
        let report: Value = serde_json::from_str(&a).unwrap();
        println!(
            "reach by {count}: {} shown, {} completed, {} dismissed, {} unfinished, {} paths",
            report["shown"],
            report["completed"],
            report["dismissed"],
            report["unfinished"],
            report["paths"].as_array().unwrap().len()
        );
        for q in report["questions"].as_array().unwrap() {
            let (reached, left) = (
                q["reached"].as_u64().unwrap(),
                ["answered", "skipped", "dismissed", "unfinished"]
                    .iter()
                    .map(|k| q[k].as_u64().unwrap())
                    .sum::<u64>(),
            );
            if count == "responses" {
                assert_eq!(reached, left, "every response leaves a question once: {q}");
            } else {
                assert!(reached <= left, "{q}");
            }
        }
        assert!(report["shown"].as_u64().unwrap() > 50, "{report}");
        assert!(report["paths"].as_array().unwrap().len() > 5, "{report}");
        assert_eq!(
            a, b,
            "reach by {count} differs between SQLite and ClickHouse"
        );
    }
}

#[tokio::test]
async fn the_reach_route_needs_the_admin_key_and_names_what_is_wrong() {
    let event = |n: u32, name: &str, extra: Value| {
        let mut properties = json!({"survey": "feedback", "response": "r1", "locale": "en"});
        for (k, v) in extra.as_object().unwrap() {
            properties[k] = v.clone();
        }
        json!({
            "id": format!("019b7a3c-2a10-7000-8000-00000000b00{n}"),
            "name": name,
            "ts": 1_767_225_600_000u64 + u64::from(n),
            "anonymous_id": "019b7a3c-2a00-7000-8000-0000000000aa",
            "session_id": "019b7a3c-2a00-7000-8000-0000000000bb",
            "properties": properties,
            "context": {"page": {"url": "http://127.0.0.1:8080/", "path": "/"},
                        "sdk": {"name": "waymark-web", "version": "0.1.0"}}
        })
    };
    let events = [
        event(1, "$survey_shown", json!({})),
        event(
            2,
            "$survey_answered",
            json!({"question": "role", "question_type": "single", "value": "other"}),
        ),
        event(3, "$survey_completed", json!({})),
    ];
    let (h, admin) = common::seeded(CONFIG, &events).await;
    let (status, body) = common::get_json(
        &h,
        "/v1/reports/surveys/feedback/reach?from=2026-01-01&to=2026-01-01",
        Some(&admin),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (
            &body["shown"],
            &body["completed"],
            &body["config_version"],
            &body["count"]
        ),
        (&json!(1), &json!(1), &json!(1), &json!("people"))
    );
    assert_eq!(
        body["paths"],
        json!([{"questions": ["role"], "end": "completed", "count": 1}])
    );
    assert_eq!(body["questions"][1]["question"], "stack");
    let (status, _) = common::get_json(&h, "/v1/reports/surveys/feedback/reach", None).await;
    assert_eq!(status, 401);
    for (uri, status, tag, message) in [
        (
            "/v1/reports/surveys/feedback/reach?count=sessions",
            400,
            "invalid_request",
            "count: expected people or responses, got \"sessions\"",
        ),
        (
            "/v1/reports/surveys/feedback/reach?from=2025-12-05&to=2025-12-01",
            400,
            "invalid_request",
            "from (2025-12-05) is after to (2025-12-01)",
        ),
        (
            "/v1/reports/surveys/nope/reach",
            404,
            "unknown_survey",
            "there is no survey \"nope\" in the active config: its reach replays the survey's branching, which needs its definition",
        ),
    ] {
        let (got, body) = common::get_json(&h, uri, Some(&admin)).await;
        assert_eq!(
            (got.as_u16(), body["error"].as_str(), body["message"].as_str()),
            (status, Some(tag), Some(message)),
            "{uri}"
        );
    }
}
