//! `GET /v1/reports/surveys/{id}` on the SQLite backend: who may read it, what a bad request
//! gets, and the figures for a seeded survey (`common/survey_seed.rs`, whose table says who
//! answered what), counted by hand. Intervals are from `tests/fixtures/stats_reference.py`.
//! (`tests/clickhouse.rs` holds the ClickHouse backend to the same answers.)

#![recursion_limit = "256"]

mod common;

use axum::http::StatusCode;
use common::survey_seed::{survey_events, SURVEY, SURVEY_CONFIG, UNCONFIGURED};
use common::*;
use serde_json::{json, Value};

/// Midnight UTC starting 2026-01-01, "today" for the harness's clock; the batch is sent at
/// the clock's time, so stored timestamps are exactly the events' `ts`. Day A of the seed
/// is 2025-12-30, day B 2025-12-31.
const MIDNIGHT: i64 = 1_767_225_600_000;

/// The timestamp, ms, `seconds` from [`MIDNIGHT`].
fn at(seconds: i64) -> i64 {
    MIDNIGHT + seconds * 1000
}

/// The anonymous id of the seed's browser `n`.
fn browser(n: u32) -> String {
    format!("019b7a3c-2a01-7000-8000-0000000000{n:02x}")
}

async fn seeded() -> (Harness, String) {
    common::seeded(SURVEY_CONFIG, &survey_events(MIDNIGHT)).await
}

async fn report(h: &Harness, path: &str, key: Option<&str>) -> (StatusCode, Value) {
    get_json(h, &format!("/v1/reports/surveys/{path}"), key).await
}

async fn ok(h: &Harness, admin: &str, path: &str) -> Value {
    let (status, body) = report(h, path, Some(admin)).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

/// The trend's entry for `day`.
fn day<'a>(report: &'a Value, day: &str) -> &'a Value {
    report["trend"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["day"] == day)
        .unwrap_or_else(|| panic!("no day {day} in the trend"))
}

fn headline(question: &str, kind: &str, points: u64, n: u64, value: Value) -> Value {
    json!({"question": question, "type": kind, "points": points, "n": n, "value": value, "interval": null})
}

/// A headline with its 95% interval (NPS's, or CSAT's Wilson interval in percent), worked
/// out by hand from the counts in the comments beside each use.
fn banded(
    question: &str,
    kind: &str,
    points: u64,
    n: u64,
    value: Value,
    band: (f64, f64),
) -> Value {
    let mut headline = headline(question, kind, points, n, value);
    headline["interval"] = json!({"low": band.0, "high": band.1});
    headline
}

#[tokio::test]
async fn only_the_admin_key_reads_survey_reports() {
    let (h, _) = seeded().await;
    let cases = [
        (None, StatusCode::UNAUTHORIZED, "missing_admin_key"),
        (Some(KEY), StatusCode::FORBIDDEN, "admin_key_required"),
        (Some("sk_nobody"), StatusCode::UNAUTHORIZED, "unknown_key"),
    ];
    for (key, status, tag) in cases {
        let (got, body) = report(&h, SURVEY, key).await;
        assert_eq!(
            (got, body["error"].as_str()),
            (status, Some(tag)),
            "{key:?}"
        );
    }
}

#[tokio::test]
async fn the_report_counts_responses_once_and_scores_every_question() {
    let (h, admin) = seeded().await;
    let body = ok(&h, &admin, SURVEY).await;
    // Shown r01–r14; answered r01–r10; completed r01–r08; dismissed without completing: r09
    // (why), r10 (last on satisfaction), r11 (recommend), r12 (effort), r14 (no question);
    // r07 was dismissed but completed. 9 people: r09 and r10 are one browser.
    // Answers: 42 counted + 4 superseded (r02's NPS 3, r05's CES 1, r08's NPS 2 at the same
    // ms, r06's "Slow") + 7 ignored = 53 answer events in the range.
    let mut top = body.clone();
    for part in ["questions", "trend", "breakdown", "text"] {
        top.as_object_mut().unwrap().remove(part);
    }
    assert_json_close(
        &top,
        &json!({
            "project": "demo",
            "survey": SURVEY,
            "questions_from": "config",
            "config_version": 1,
            // The seed's batch says no version: its 15 shown events in the range (14
            // responses and one without a response id) are unversioned.
            "version": null,
            "versions": [{"version": null, "events": 15}],
            "interval": "day",
            "from": "2025-12-03",
            "to": "2026-01-01",
            "shown": 14,
            "responses": 10,
            "completed": 8,
            "completion_rate": 8.0 / 14.0,
            "dismissed": 5,
            "dismissal_rate": 5.0 / 14.0,
            "dismissed_at": [
                {"question": "recommend", "dismissed": 1},
                {"question": "effort", "dismissed": 1},
                {"question": "satisfaction", "dismissed": 1},
                {"question": "feature", "dismissed": 0},
                {"question": "tools", "dismissed": 0},
                {"question": "why", "dismissed": 1},
                {"question": "anything-else", "dismissed": 0},
                {"question": "legacy", "dismissed": 0},
                {"question": null, "dismissed": 1}
            ],
            "people": 9,
            "counted_answers": 42,
            "superseded_answers": 4,
            "ignored_answers": 7,
            "unmatched_answers": 0
        }),
    );
    assert_eq!(body["breakdown"], Value::Null);
    assert_json_close(
        &body["questions"],
        &json!([
            // 10 answers: promoters r01 (10), r02 (changed to 9), r03 (1 descending: 9),
            // r04 (10), r05 (9); passives r06 (8), r07 (7; its later "9" is a string),
            // r08 (7, sent after a 2 at the same ms); detractors r09 (6), r10 (0).
            // NPS = 100 (5 - 2) / 10 = 30; Var = 0.5 + 0.2 - 0.3² = 0.61,
            // 30 ± 100 · 1.96 · √(0.61 / 10) = 30 ± 48.4075.
            {
                "question": "recommend", "from": "config", "n": 10, "type": "nps",
                "score": 30.0,
                "interval": {"low": -18.407_539_501_852_56, "high": 78.407_539_501_852_57},
                "promoters": 5, "passives": 3, "detractors": 2,
                "promoters_pct": 50.0, "passives_pct": 30.0, "detractors_pct": 20.0,
                "distribution": [1, 0, 0, 0, 0, 0, 1, 2, 1, 3, 2]
            },
            // 7 points: r01 7, r02 6, r03 5 (3 descending), r04 2, r05 4 (changed from 1):
            // mean 24 / 5 = 4.8, easy (5–7) 3 of 5.
            // 5 points: r06 5, r07 4, r08 1 (5 descending): mean 10 / 3, easy (4–5) 2 of 3.
            // 3 points: r09 3: easy is the top ⌈9 / 7⌉ = 2 points.
            // The headline is the configured 7-point scale.
            {
                "question": "effort", "from": "config", "n": 9, "type": "ces",
                "points": 7, "mean": 4.8,
                "scales": [
                    {
                        "points": 3, "n": 1, "mean": 3.0, "distribution": [0, 0, 1],
                        "easy_points": 2, "easy": 1, "easy_pct": 100.0,
                        "interval": {"low": 20.654_931_437_723_743, "high": 100.0}
                    },
                    {
                        "points": 5, "n": 3, "mean": 10.0 / 3.0, "distribution": [1, 0, 0, 1, 1],
                        "easy_points": 2, "easy": 2, "easy_pct": 200.0 / 3.0,
                        "interval": {"low": 20.765_960_080_204_774, "high": 93.850_805_527_960_38}
                    },
                    {
                        "points": 7, "n": 5, "mean": 4.8,
                        "distribution": [0, 1, 0, 1, 1, 1, 1],
                        "easy_points": 3, "easy": 3, "easy_pct": 60.0,
                        "interval": {"low": 23.072_428_127_601_295, "high": 88.237_922_576_735_22}
                    }
                ]
            },
            // r06 1 (its 6 is off the scale), r03 2 (4 descending), r04 3, r02 4, r01 5,
            // r05 5: satisfied 3 of 6.
            {
                "question": "satisfaction", "from": "config", "n": 6, "type": "csat",
                "distribution": [1, 1, 1, 1, 2], "satisfied": 3, "csat_pct": 50.0,
                "interval": {"low": 18.761_630_648_265_05, "high": 81.238_369_351_734_95}
            },
            {
                "question": "feature", "from": "config", "n": 5, "type": "single",
                "choices": [
                    {"choice": "reports", "count": 3, "pct": 60.0},
                    {"choice": "export", "count": 1, "pct": 20.0},
                    {"choice": "invoices", "count": 1, "pct": 20.0}
                ]
            },
            // r01 slack, jira; r02 jira, café "beta"; r03 none; r04 slack (listed twice),
            // email (its later answer with a number is ignored): 4 respondents.
            {
                "question": "tools", "from": "config", "n": 4, "type": "multiple",
                "choices": [
                    {"choice": "jira", "count": 2, "pct": 50.0},
                    {"choice": "slack", "count": 2, "pct": 50.0},
                    {"choice": "café \"beta\"", "count": 1, "pct": 25.0},
                    {"choice": "email", "count": 1, "pct": 25.0}
                ]
            },
            // r01, r02, r03 (empty), r06, r09, r10.
            {"question": "why", "from": "config", "n": 6, "type": "text", "non_empty": 5},
            {"question": "anything-else", "from": "config", "n": 1, "type": "text", "non_empty": 1},
            // Answered by r01 but not in the config: listed after the configured questions.
            {
                "question": "legacy", "from": "data", "n": 1, "type": "single",
                "choices": [{"choice": "yes", "count": 1, "pct": 100.0}]
            }
        ]),
    );
}

#[tokio::test]
async fn a_changed_answer_counts_once_with_its_last_value() {
    let (h, admin) = seeded().await;
    let body = ok(&h, &admin, SURVEY).await;
    let recommend = survey_question(&body, "recommend");
    // r02's 3 and r08's 2 were replaced: no 2 or 3 in the distribution.
    assert_eq!(
        (&recommend["distribution"][2], &recommend["distribution"][3]),
        (&json!(0), &json!(0))
    );
    // r05 answered 1 just before midnight and 4 just after: the 4 counts, on day B.
    assert_eq!(
        survey_question(&body, "effort")["scales"][2]["distribution"],
        json!([0, 1, 0, 1, 1, 1, 1])
    );
    assert_eq!(
        day(&body, "2025-12-31")["ratings"][1],
        headline("effort", "ces", 7, 1, json!(4.0))
    );
    // r06's text is its last one.
    let texts: Vec<&str> = body["text"]["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["value"].as_str().unwrap())
        .collect();
    assert!(
        texts.contains(&"Too slow") && !texts.contains(&"Slow"),
        "{texts:?}"
    );
    assert_eq!(body["superseded_answers"], 4);
}

#[tokio::test]
async fn descending_scales_are_read_with_the_best_answer_at_the_top() {
    let (h, admin) = seeded().await;
    let body = ok(&h, &admin, SURVEY).await;
    // r03 answered 1 (NPS), 3 (CES) and 4 (CSAT) on descending scales: 9, 5 and 2. Without
    // the normalization they would be a 1, a 3 and a 4.
    assert_eq!(survey_question(&body, "recommend")["distribution"][1], 0);
    assert_eq!(survey_question(&body, "recommend")["distribution"][9], 3);
    let effort_7 = &survey_question(&body, "effort")["scales"][2]["distribution"];
    assert_eq!((&effort_7[2], &effort_7[4]), (&json!(0), &json!(1)));
    assert_eq!(
        survey_question(&body, "satisfaction")["distribution"],
        json!([1, 1, 1, 1, 2])
    );
    // r08's 5 on a descending 5-point scale is the hardest answer.
    assert_eq!(
        survey_question(&body, "effort")["scales"][1]["distribution"][0],
        1
    );
}

#[tokio::test]
async fn invalid_answers_are_counted_apart_and_in_nothing_else() {
    let (h, admin) = seeded().await;
    let body = ok(&h, &admin, SURVEY).await;
    assert_eq!(body["ignored_answers"], 7);
    // Each answer event is counted, superseded or ignored: 53 in all.
    let all = ["counted_answers", "superseded_answers", "ignored_answers"]
        .iter()
        .map(|k| body[k].as_u64().unwrap())
        .sum::<u64>();
    assert_eq!(all, 53);
    // The `rating` question is not listed; the CES answer on the scale 5–5 and the NPS 8.5
    // are not in any figure; nor is the answer without a response id.
    assert!(body["questions"]
        .as_array()
        .unwrap()
        .iter()
        .all(|q| q["question"] != "mood"));
    assert_eq!(survey_question(&body, "effort")["n"], 9);
    assert_eq!(survey_question(&body, "recommend")["n"], 10);
    assert_eq!(body["responses"], 10);
}

#[tokio::test]
async fn dismissals_count_each_response_once_on_its_last_question() {
    let (h, admin) = seeded().await;
    let body = ok(&h, &admin, SURVEY).await;
    let dismissed: Vec<(Value, u64)> = body["dismissed_at"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["dismissed"] != 0)
        .map(|d| (d["question"].clone(), d["dismissed"].as_u64().unwrap()))
        .collect();
    // r10 was dismissed on effort, then on satisfaction: once, on satisfaction. r07 was
    // dismissed on tools but completed: not dismissed.
    assert_eq!(
        dismissed,
        [
            (json!("recommend"), 1),
            (json!("effort"), 1),
            (json!("satisfaction"), 1),
            (json!("why"), 1),
            (Value::Null, 1)
        ]
    );
    assert_eq!(body["dismissed"], 5);
}

#[tokio::test]
async fn the_trend_lists_every_day_and_sums_to_the_totals() {
    let (h, admin) = seeded().await;
    let body = ok(&h, &admin, SURVEY).await;
    let trend = body["trend"].as_array().unwrap();
    assert_eq!(trend.len(), 30);
    let sum = |field: &str| {
        trend
            .iter()
            .map(|d| d[field].as_u64().unwrap())
            .sum::<u64>()
    };
    assert_eq!((sum("shown"), sum("responses")), (14, 10));
    // Day A: r01–r05 (r05 shown at 23:59). NPS 10, 9, 9, 10, 9: all promoters. CES 7, 6, 5,
    // 2: mean 5. CSAT 5, 4, 2, 3: 2 of 4 satisfied.
    assert_json_close(
        day(&body, "2025-12-30"),
        &json!({
            "day": "2025-12-30", "shown": 5, "responses": 5,
            "ratings": [
                banded("recommend", "nps", 11, 5, json!(100.0), (100.0, 100.0)),
                headline("effort", "ces", 7, 4, json!(5.0)),
                banded("satisfaction", "csat", 5, 4, json!(50.0), (15.003898915214947, 84.99610108478505))
            ]
        }),
    );
    // Day B: r06–r14 shown, r06–r10 answered. NPS 8, 7, 7, 6, 0: 100 (0 - 2) / 5 = -40.
    // CES on 7 points: r05's changed answer, 4. CSAT r05 5, r06 1.
    assert_json_close(
        day(&body, "2025-12-31"),
        &json!({
            "day": "2025-12-31", "shown": 9, "responses": 5,
            "ratings": [
                banded("recommend", "nps", 11, 5, json!(-40.0), (-82.94065944921178, 2.940659449211772)),
                headline("effort", "ces", 7, 1, json!(4.0)),
                banded("satisfaction", "csat", 5, 2, json!(50.0), (9.453120573423075, 90.54687942657694))
            ]
        }),
    );
    assert_json_close(
        day(&body, "2026-01-01"),
        &json!({
            "day": "2026-01-01", "shown": 0, "responses": 0,
            "ratings": [
                headline("recommend", "nps", 11, 0, Value::Null),
                headline("effort", "ces", 7, 0, Value::Null),
                headline("satisfaction", "csat", 5, 0, Value::Null)
            ]
        }),
    );
}

#[tokio::test]
async fn events_outside_the_range_are_ignored() {
    let (h, admin) = seeded().await;
    // Day B only: r05's answers before midnight are out, its change after midnight is in.
    let body = ok(
        &h,
        &admin,
        &format!("{SURVEY}?from=2025-12-31&to=2025-12-31"),
    )
    .await;
    assert_eq!(
        (
            &body["from"],
            &body["shown"],
            &body["responses"],
            &body["completed"],
            &body["dismissed"],
            &body["superseded_answers"]
        ),
        (
            &json!("2025-12-31"),
            &json!(9),
            &json!(6),
            &json!(4),
            &json!(5),
            &json!(2)
        )
    );
    assert_json_close(&survey_question(&body, "recommend")["score"], &json!(-40.0));
    assert_eq!(body["trend"].as_array().unwrap().len(), 1);
    // November holds only r15, 40 days before: a detractor, and nothing else.
    let body = ok(
        &h,
        &admin,
        &format!("{SURVEY}?from=2025-11-01&to=2025-11-30"),
    )
    .await;
    assert_eq!(
        (&body["shown"], &body["responses"], &body["people"]),
        (&json!(1), &json!(1), &json!(1))
    );
    let recommend = survey_question(&body, "recommend");
    assert_json_close(
        &json!([&recommend["n"], &recommend["score"], &recommend["interval"]]),
        &json!([1, -100.0, {"low": -100.0, "high": -100.0}]),
    );
    // The default range does not reach back to r15.
    let body = ok(&h, &admin, SURVEY).await;
    assert_eq!(survey_question(&body, "recommend")["distribution"][0], 1);
}

#[tokio::test]
async fn the_breakdown_groups_answers_by_the_latest_traits_of_each_person() {
    let (h, admin) = seeded().await;
    let body = ok(&h, &admin, &format!("{SURVEY}?by=plan")).await;
    // u1 was free 40 days ago (outside the range) and is pro since day A; u2 was free 40
    // days ago; r04's anonymous NPS answer is u4's through identify; u5's plan is the
    // number 2; u6's last identify has no plan; b3, b7, b8 and b9 never identified.
    let groups = &body["breakdown"];
    assert_json_close(
        groups,
        &json!({
            "by": "plan",
            "groups": [
                {
                    // r03 9, r06 8, r07 7, r08 7, r09 6, r10 0: 100 (1 - 2) / 6.
                    "value": null, "responses": 6,
                    "ratings": [
                        banded("recommend", "nps", 11, 6, json!(-100.0 / 6.0), (-71.65184983576137, 38.31851650242803)),
                        headline("effort", "ces", 7, 1, json!(5.0)),
                        banded("satisfaction", "csat", 5, 2, json!(0.0), (0.0, 65.76197724933469))
                    ]
                },
                {
                    "value": "pro", "responses": 2,
                    "ratings": [
                        banded("recommend", "nps", 11, 2, json!(100.0), (100.0, 100.0)),
                        headline("effort", "ces", 7, 2, json!(4.5)),
                        banded("satisfaction", "csat", 5, 2, json!(50.0), (9.453120573423075, 90.54687942657694))
                    ]
                },
                {
                    "value": "2", "responses": 1,
                    "ratings": [
                        banded("recommend", "nps", 11, 1, json!(100.0), (100.0, 100.0)),
                        headline("effort", "ces", 7, 1, json!(4.0)),
                        banded("satisfaction", "csat", 5, 1, json!(100.0), (20.654931437723747, 100.0))
                    ]
                },
                {
                    "value": "free", "responses": 1,
                    "ratings": [
                        banded("recommend", "nps", 11, 1, json!(100.0), (100.0, 100.0)),
                        headline("effort", "ces", 7, 1, json!(6.0)),
                        banded("satisfaction", "csat", 5, 1, json!(100.0), (20.654931437723747, 100.0))
                    ]
                }
            ]
        }),
    );
    // A trait nobody has: everyone in the null group.
    let body = ok(&h, &admin, &format!("{SURVEY}?by=company.size")).await;
    assert_eq!(
        body["breakdown"]["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| (g["value"].clone(), g["responses"].clone()))
            .collect::<Vec<_>>(),
        [(Value::Null, json!(10))]
    );
}

/// Follows `next_cursor` from `path` to the end; the answers of each page.
async fn pages(h: &Harness, admin: &str, path: &str) -> Vec<Vec<Value>> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}&cursor={c}"),
            None => path.to_owned(),
        };
        let body = ok(h, admin, &url).await;
        pages.push(body["text"]["answers"].as_array().unwrap().clone());
        match body["text"]["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return pages,
        }
        assert!(pages.len() < 10, "the pages do not end");
    }
}

#[tokio::test]
async fn open_text_pages_run_newest_first_to_the_end() {
    let (h, admin) = seeded().await;
    let text = |r: &str, q: &str, value: &str, locale: &str, seconds: i64, person: &str| {
        json!({"response": r, "question": q, "value": value, "locale": locale,
               "timestamp": at(seconds), "person": person})
    };
    let (a, b, hour) = (-2 * 86_400, -86_400, 3_600);
    let b9 = browser(9);
    let r06 = text("r06", "why", "Too slow", "en-US", b + 15 * hour, "u6");
    // r09's and r10's texts share a millisecond: r10's, sent last, is newer.
    let r10 = text(
        "r10",
        "why",
        "Crashes on export",
        "en-US",
        b + 14 * hour,
        &b9,
    );
    let r09 = text("r09", "why", "Prix élevé", "fr-FR", b + 14 * hour, &b9);
    let r02 = text(
        "r02",
        "why",
        "Love the \"reports\" tab\nand the exports",
        "en-US",
        a + 10 * hour + 165,
        "u2",
    );
    let r01_end = text(
        "r01",
        "anything-else",
        "No",
        "en-US",
        a + 10 * hour + 110,
        "u1",
    );
    let r01 = text(
        "r01",
        "why",
        "Fast invoicing",
        "en-US",
        a + 10 * hour + 100,
        "u1",
    );

    // One page by default; r03's empty text is not listed.
    let body = ok(&h, &admin, SURVEY).await;
    assert_eq!(
        body["text"],
        json!({
            "question": null, "limit": 50, "next_cursor": null,
            "answers": [&r06, &r10, &r09, &r02, &r01_end, &r01]
        })
    );
    // Two at a time: the page boundary falls between the two texts at the same millisecond.
    assert_eq!(
        pages(&h, &admin, &format!("{SURVEY}?limit=2")).await,
        [
            vec![r06.clone(), r10.clone()],
            vec![r09.clone(), r02.clone()],
            vec![r01_end, r01.clone()]
        ]
    );
    assert_eq!(
        pages(&h, &admin, &format!("{SURVEY}?limit=2&question=why")).await,
        [vec![r06, r10], vec![r09, r02], vec![r01]]
    );
}

#[tokio::test]
async fn a_survey_missing_from_the_config_is_read_from_its_answers() {
    let (h, admin) = seeded().await;
    let body = ok(&h, &admin, UNCONFIGURED).await;
    let mut top = body.clone();
    for part in ["trend", "text"] {
        top.as_object_mut().unwrap().remove(part);
    }
    // Questions in the order first answered: comment (r21 at +50 s), then ease (+60 s).
    // r22 answered ease as a CSAT question: a response, but in no question's figures.
    assert_json_close(
        &top,
        &json!({
            "project": "demo",
            "survey": UNCONFIGURED,
            "questions_from": "data",
            "config_version": null,
            "version": null,
            "versions": [{"version": null, "events": 2}],
            "interval": "day",
            "from": "2025-12-03",
            "to": "2026-01-01",
            "shown": 2, "responses": 3, "completed": 0, "completion_rate": 0.0,
            "dismissed": 0, "dismissal_rate": 0.0,
            "dismissed_at": [
                {"question": "comment", "dismissed": 0},
                {"question": "ease", "dismissed": 0}
            ],
            "people": 3,
            "counted_answers": 5, "superseded_answers": 0, "ignored_answers": 0,
            "unmatched_answers": 1,
            "questions": [
                {"question": "comment", "from": "data", "n": 2, "type": "text", "non_empty": 2},
                {
                    "question": "ease", "from": "data", "n": 2, "type": "ces",
                    "points": 5, "mean": 4.5,
                    "scales": [{
                        "points": 5, "n": 2, "mean": 4.5, "distribution": [0, 0, 0, 1, 1],
                        "easy_points": 2, "easy": 2, "easy_pct": 100.0,
                        "interval": {"low": 34.238_022_750_665_31, "high": 100.0}
                    }]
                }
            ],
            "breakdown": null
        }),
    );
    let comments: Vec<&Value> = body["text"]["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["value"])
        .collect();
    assert_eq!(comments, [&json!("ok"), &json!("meh")]);
}

#[tokio::test]
async fn an_unknown_survey_is_not_found() {
    let (h, admin) = seeded().await;
    // "ghost" is nowhere; q3-feedback's events are all outside this range, but it is
    // configured, so it is found.
    for (path, found) in [
        ("ghost".to_owned(), false),
        (
            format!("{UNCONFIGURED}?from=2025-11-01&to=2025-11-30"),
            false,
        ),
        (format!("{SURVEY}?from=2025-06-01&to=2025-06-30"), true),
    ] {
        let (status, body) = report(&h, &path, Some(&admin)).await;
        if found {
            assert_eq!(
                (status, &body["shown"]),
                (StatusCode::OK, &json!(0)),
                "{path}"
            );
        } else {
            assert_eq!(
                (status, body["error"].as_str()),
                (StatusCode::NOT_FOUND, Some("unknown_survey")),
                "{path}: {body}"
            );
        }
    }
}

#[tokio::test]
async fn a_bad_query_names_its_problem() {
    let (h, admin) = seeded().await;
    let long = "x".repeat(65);
    let cases = [
        ("?cursor=zz", "invalid_cursor"),
        ("?cursor=", "invalid_cursor"),
        // Hex of "12:not an id".
        ("?cursor=31323a6e6f7420616e206964", "invalid_cursor"),
        ("?by=", "invalid_attribute"),
        ("?by=plan%20tier", "invalid_attribute"),
        ("?by=plan'--", "invalid_attribute"),
        (&format!("?by={long}"), "invalid_attribute"),
        ("?limit=0", "invalid_request"),
        ("?limit=501", "invalid_request"),
        ("?limit=ten", "invalid_request"),
        ("?question=", "invalid_request"),
        ("?question=recommend", "invalid_request"),
        ("?question=nope", "invalid_request"),
        ("?from=yesterday", "invalid_request"),
        ("?from=2024-01-01&to=2026-01-01", "invalid_request"),
    ];
    for (query, tag) in cases {
        let (status, body) = report(&h, &format!("{SURVEY}{query}"), Some(&admin)).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some(tag)),
            "{query}: {body}"
        );
    }
    let (_, body) = report(&h, &format!("{SURVEY}?question=recommend"), Some(&admin)).await;
    assert_eq!(
        body["message"],
        "question: \"recommend\" is a nps question, not a text one"
    );
    let (_, body) = report(&h, &format!("{SURVEY}?limit=0"), Some(&admin)).await;
    assert_eq!(
        body["message"],
        "limit: expected a whole number from 1 to 500, got \"0\""
    );
}

/// The names of an object's fields, sorted.
fn fields(value: &Value) -> Vec<&str> {
    let mut names: Vec<&str> = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect();
    names.sort_unstable();
    names
}

/// Asserts that `value` has exactly the fields `schema` lists, all of them required.
#[track_caller]
fn documented(value: &Value, schema: &Value) {
    let mut required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap_or_else(|| panic!("no required list in {schema}"))
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    required.sort_unstable();
    assert_eq!(fields(value), required, "{value}");
    assert_eq!(fields(&schema["properties"]), required, "{schema}");
}

#[tokio::test]
async fn the_report_has_exactly_the_fields_openapi_json_documents() {
    let spec: Value = serde_json::from_str(include_str!("../openapi.json")).unwrap();
    let schemas = &spec["components"]["schemas"];
    let report_schema = &schemas["SurveyReport"];
    let properties = &report_schema["properties"];
    let (h, admin) = seeded().await;
    let body = ok(&h, &admin, &format!("{SURVEY}?by=plan&limit=2")).await;
    documented(&body, report_schema);
    documented(
        &body["dismissed_at"][0],
        &properties["dismissed_at"]["items"],
    );
    let trend = &properties["trend"]["items"];
    documented(&body["trend"][0], trend);
    documented(&body["trend"][0]["ratings"][0], &schemas["SurveyHeadline"]);
    let breakdown = &properties["breakdown"];
    documented(&body["breakdown"], breakdown);
    documented(
        &body["breakdown"]["groups"][0],
        &breakdown["properties"]["groups"]["items"],
    );
    let text = &properties["text"];
    documented(&body["text"], text);
    documented(
        &body["text"]["answers"][0],
        &text["properties"]["answers"]["items"],
    );
    let kinds = schemas["SurveyQuestion"]["oneOf"].as_array().unwrap();
    let mut types = Vec::new();
    for question in body["questions"].as_array().unwrap() {
        let schema = kinds
            .iter()
            .find(|k| k["properties"]["type"]["const"] == question["type"])
            .unwrap_or_else(|| panic!("no schema for {question}"));
        documented(question, schema);
        if question["type"] == "ces" {
            documented(
                &question["scales"][0],
                &schema["properties"]["scales"]["items"],
            );
        }
        types.push(question["type"].as_str().unwrap());
    }
    types.sort_unstable();
    types.dedup();
    assert_eq!(types, ["ces", "csat", "multiple", "nps", "single", "text"]);
}

#[tokio::test]
async fn a_weekly_trend_sums_its_days_and_scores_each_week_from_its_answers() {
    let (h, admin) = seeded().await;
    let daily = ok(&h, &admin, SURVEY).await;
    let weekly = ok(&h, &admin, &format!("{SURVEY}?interval=week")).await;
    assert_eq!(
        (&daily["interval"], &weekly["interval"]),
        (&json!("day"), &json!("week"))
    );
    // 2025-12-03 is a Wednesday: its week is clipped to start there, and the last, from
    // Monday 2025-12-29, to end on the range's last day.
    let weeks: Vec<&str> = weekly["trend"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["day"].as_str().unwrap())
        .collect();
    assert_eq!(
        weeks,
        [
            "2025-12-03",
            "2025-12-08",
            "2025-12-15",
            "2025-12-22",
            "2025-12-29"
        ]
    );
    // Every answer of the seed is on day A or B, both in the last week: it holds the
    // totals, and its NPS is the question's own, computed from the same answers.
    let last = &weekly["trend"][4];
    assert_eq!(
        (&last["shown"], &last["responses"]),
        (&daily["shown"], &daily["responses"])
    );
    let recommend = survey_question(&daily, "recommend");
    let week_nps = last["ratings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["question"] == "recommend")
        .unwrap();
    assert_eq!(
        (&week_nps["n"], &week_nps["value"], &week_nps["interval"]),
        (&recommend["n"], &recommend["score"], &recommend["interval"])
    );
    assert_eq!(weekly["trend"][0]["ratings"][0]["n"], 0);
    let (status, body) = report(&h, &format!("{SURVEY}?interval=month"), Some(&admin)).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (
            StatusCode::BAD_REQUEST,
            Some("interval: expected day or week, got \"month\"")
        )
    );
}
