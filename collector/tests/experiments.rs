//! `GET /v1/reports/experiments/{id}` on the SQLite backend: who may read it, what a bad
//! request gets, and the figures for a seeded experiment, counted by hand. The statistics
//! are from `tests/fixtures/stats_reference.py`, computed independently of the collector.
//! (`tests/clickhouse.rs` holds the ClickHouse backend to the same answers.)

mod common;

use axum::http::StatusCode;
use common::experiment_seed::{experiment_events, PRICING_CONFIG};
use common::*;
use serde_json::{json, Value};

/// Midnight UTC starting 2026-01-01; the harness's clock reads 5 s later, and the batch is
/// sent at that time, so stored timestamps are exactly the events' `ts`.
const MIDNIGHT: i64 = 1_767_225_600_000;

async fn seeded() -> (Harness, String) {
    common::seeded(PRICING_CONFIG, &experiment_events(MIDNIGHT)).await
}

async fn report(h: &Harness, path: &str, key: Option<&str>) -> (StatusCode, Value) {
    get_json(h, &format!("/v1/reports/experiments/{path}"), key).await
}

#[tokio::test]
async fn only_the_admin_key_reads_experiment_reports() {
    let (h, _) = seeded().await;
    let cases = [
        (None, StatusCode::UNAUTHORIZED, "missing_admin_key"),
        (Some(KEY), StatusCode::FORBIDDEN, "admin_key_required"),
        (Some("sk_nobody"), StatusCode::UNAUTHORIZED, "unknown_key"),
    ];
    for (key, status, tag) in cases {
        let (got, body) = report(&h, "pricing-test", key).await;
        assert_eq!(
            (got, body["error"].as_str()),
            (status, Some(tag)),
            "{key:?}"
        );
    }
}

#[tokio::test]
async fn the_report_counts_first_exposures_and_later_goals_per_variant() {
    let (h, admin) = seeded().await;
    let (status, body) = report(&h, "pricing-test", Some(&admin)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // control: b1 (converts), b2 (goal before exposure), b3 (exposed twice): 1 of 3.
    // annual-first: b4 (goal at the same ms), b5 (mixed), b6 = u6 (goal on another browser
    // after identify), b8 (other goal only), b9 (mixed, tie): 3 of 5.
    // SRM: 3 / 5 at 1:1, χ² = 2 · 1² / 4 = 0.5, p = erfc(0.5) = 0.4795001221869535.
    assert_json_close(
        &body,
        &json!({
            "project": "demo",
            "experiment": "pricing-test",
            "variants_from": "config",
            "config_version": 1,
            // The seed's batch says no version: its 13 exposure events of pricing-test
            // (the 11 above and the two without a usable variant) are unversioned.
            "version": null,
            "versions": [{"version": null, "events": 13}],
            "from": null,
            "to": null,
            "goal": "signup_completed",
            "goals": ["signup_completed", "plan_selected"],
            "exposures": 8,
            "conversions": 4,
            "mixed_exposures": 2,
            "unmatched_exposures": 0,
            "srm": {"chi_square": 0.5, "degrees_of_freedom": 1, "p_value": 0.479_500_122_186_953_5},
            "srm_flag": false,
            "variants": [
                {
                    "key": "control", "index": 0, "weight": 0.5,
                    "exposures": 3, "conversions": 1,
                    "conversion_rate": 1.0 / 3.0,
                    "interval": {"low": 0.061_491_944_720_396_24, "high": 0.792_340_399_197_952_3},
                    "uplift": null, "z": null, "p_value": null, "chance_to_beat_control": null
                },
                {
                    "key": "annual-first", "index": 1, "weight": 0.5,
                    "exposures": 5, "conversions": 3,
                    "conversion_rate": 0.6,
                    "interval": {"low": 0.230_724_281_276_012_97, "high": 0.882_379_225_767_352_1},
                    "uplift": 0.8,
                    "z": 0.730_296_743_340_221_4,
                    "p_value": 0.465_208_818_452_141_7,
                    // Exactly 31/42.
                    "chance_to_beat_control": 31.0 / 42.0
                }
            ]
        }),
    );
}

#[tokio::test]
async fn another_goal_and_a_day_range_change_what_converts() {
    let (h, admin) = seeded().await;
    // plan_selected: b2 chose a plan before being exposed; only b8 counts. The control is at
    // 0, so there is no uplift, but the z-test and the chance to beat (2/3) are defined.
    let (status, body) = report(&h, "pricing-test?goal=plan_selected", Some(&admin)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["goal"], "plan_selected");
    assert_json_close(
        &body["variants"][1],
        &json!({
            "key": "annual-first", "index": 1, "weight": 0.5,
            "exposures": 5, "conversions": 1, "conversion_rate": 0.2,
            "interval": {"low": 0.036_224_108_632_430_17, "high": 0.624_465_370_237_474_7},
            "uplift": null,
            "z": 0.828_078_671_210_825,
            "p_value": 0.407_625_947_702_780_8,
            "chance_to_beat_control": 2.0 / 3.0
        }),
    );
    assert_eq!(
        (&body["variants"][0]["conversions"], &body["conversions"]),
        (&json!(0), &json!(1))
    );

    // Only 2025-12-31: u6's signup (after midnight) is out; 2 of 5 convert.
    let (status, body) = report(
        &h,
        "pricing-test?from=2025-12-31&to=2025-12-31",
        Some(&admin),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (&body["from"], &body["to"], &body["exposures"]),
        (&json!("2025-12-31"), &json!("2025-12-31"), &json!(8))
    );
    assert_json_close(&body["variants"][1]["conversions"], &json!(2));
    assert_json_close(
        &body["variants"][1]["chance_to_beat_control"],
        &json!(23.0 / 42.0),
    );
    // Only 2026-01-01: nobody was exposed; the configured variants are still listed.
    let (_, body) = report(&h, "pricing-test?from=2026-01-01", Some(&admin)).await;
    assert_eq!(
        (
            &body["exposures"],
            &body["srm"],
            &body["variants"][1]["conversion_rate"]
        ),
        (
            &json!(0),
            &json!({"chi_square": null, "degrees_of_freedom": 1, "p_value": null}),
            &Value::Null
        )
    );
}

#[tokio::test]
async fn an_experiment_missing_from_the_config_is_read_from_its_exposures_given_a_goal() {
    let (h, admin) = seeded().await;
    let (status, body) = report(&h, "hero-copy", Some(&admin)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("goal_required")),
        "{body}"
    );
    // Ordered by variant_index, not by key: "original" (0) is the control.
    let (status, body) = report(&h, "hero-copy?goal=signup_completed", Some(&admin)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_json_close(
        &body,
        &json!({
            "project": "demo",
            "experiment": "hero-copy",
            "variants_from": "data",
            "config_version": null,
            "version": null,
            "versions": [{"version": null, "events": 3}],
            "from": null,
            "to": null,
            "goal": "signup_completed",
            "goals": [],
            "exposures": 3,
            "conversions": 2,
            "mixed_exposures": 0,
            "unmatched_exposures": 0,
            "srm": {"chi_square": 1.0 / 3.0, "degrees_of_freedom": 1, "p_value": 0.563_702_861_650_773},
            "srm_flag": false,
            "variants": [
                {
                    "key": "original", "index": 0, "weight": 0.5,
                    "exposures": 1, "conversions": 1, "conversion_rate": 1.0,
                    "interval": {"low": 0.206_549_314_377_237_42, "high": 1.0},
                    "uplift": null, "z": null, "p_value": null, "chance_to_beat_control": null
                },
                {
                    "key": "bold", "index": 1, "weight": 0.5,
                    "exposures": 2, "conversions": 1, "conversion_rate": 0.5,
                    "interval": {"low": 0.094_531_205_734_230_72, "high": 0.905_468_794_265_769_3},
                    "uplift": -0.5,
                    "z": -0.866_025_403_784_438_6,
                    "p_value": 0.386_476_230_771_232_66,
                    "chance_to_beat_control": 0.3
                }
            ]
        }),
    );
}

#[tokio::test]
async fn an_unknown_experiment_is_not_found() {
    let (h, admin) = seeded().await;
    for path in ["nope", "nope?goal=signup_completed"] {
        let (status, body) = report(&h, path, Some(&admin)).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::NOT_FOUND, Some("unknown_experiment")),
            "{path}: {body}"
        );
    }
}

#[tokio::test]
async fn a_bad_query_names_its_problem() {
    let (h, admin) = seeded().await;
    for (path, message) in [
        ("pricing-test?goal=", "goal: the event name is empty"),
        (
            "pricing-test?goal=$exposure",
            "goal: $exposure is the exposure itself, not a goal",
        ),
        (
            "pricing-test?from=yesterday",
            "from: expected a date as YYYY-MM-DD, got \"yesterday\"",
        ),
        (
            "pricing-test?from=2026-01-05&to=2026-01-01",
            "from (2026-01-05) is after to (2026-01-01)",
        ),
    ] {
        let (status, body) = report(&h, path, Some(&admin)).await;
        assert_eq!(
            (status, body["error"].as_str(), body["message"].as_str()),
            (
                StatusCode::BAD_REQUEST,
                Some("invalid_request"),
                Some(message)
            ),
            "{path}"
        );
    }
    let (status, body) = report(&h, "pricing-test?goal=a&goal=b", Some(&admin)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request")),
        "{body}"
    );
}
