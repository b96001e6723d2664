//! Properties of bucketing and arbitration that must hold for every input, checked with
//! proptest, and the uniformity of bucketing checked with a chi-square test.

use proptest::prelude::*;
use waymark_core::rules::arbitration::{
    decide, Cap, Experience, Kind, Policy, Signal, Situation, Translations, Trigger, UrlPattern,
};
use waymark_core::rules::bucket;
use waymark_core::rules::profile::{Moment, Outcome, Profile};
use waymark_core::rules::Condition;
use waymark_core::{Millis, Value};

proptest! {
    #[test]
    fn bucketing_is_deterministic_and_in_range(seed in ".{0,40}", user in ".{1,40}", version in 1u32..=2) {
        let first = bucket::hash(&seed, &user, version).unwrap();
        prop_assert_eq!(Some(first), bucket::hash(&seed, &user, version));
        prop_assert!((0.0..1.0).contains(&first));
    }

    #[test]
    fn full_coverage_always_assigns_a_variation(n in 0.0f64..1.0, variations in 2usize..8) {
        let ranges = bucket::bucket_ranges(variations, Some(1.0), None);
        let chosen = bucket::choose_variation(n, &ranges);
        prop_assert!(chosen.is_some_and(|v| v < variations));
    }
}

/// Chi-square statistic of counts against a uniform expectation.
fn chi_square(counts: &[u32]) -> f64 {
    let total: u32 = counts.iter().sum();
    let expected = f64::from(total) / counts.len() as f64;
    counts
        .iter()
        .map(|&c| (f64::from(c) - expected).powi(2) / expected)
        .sum()
}

#[test]
fn bucketing_is_uniform_by_chi_square() {
    // 10 bins, 9 degrees of freedom: the critical value at p = 0.0001 is 33.72. The inputs are
    // fixed, so this test is deterministic: it fails only if the hash is not uniform.
    const CRITICAL: f64 = 33.72;
    for version in [1, 2] {
        for seed in 0..20 {
            let seed = format!("experiment-{seed}");
            let mut bins = [0u32; 10];
            for user in 0..10_000 {
                let n = bucket::hash(&seed, &format!("user-{user}"), version).unwrap();
                bins[(n * 10.0) as usize] += 1;
            }
            let chi = chi_square(&bins);
            assert!(
                chi < CRITICAL,
                "hash v{version}, seed {seed}: chi-square {chi:.2} over {bins:?}"
            );
        }
    }
}

#[test]
fn weighted_assignment_follows_the_weights() {
    let weights = [0.2, 0.3, 0.5];
    let ranges = bucket::bucket_ranges(3, Some(1.0), Some(&weights));
    let mut counts = [0u32; 3];
    for user in 0..30_000 {
        let n = bucket::hash("weights", &format!("user-{user}"), 2).unwrap();
        counts[bucket::choose_variation(n, &ranges).unwrap()] += 1;
    }
    let expected: Vec<f64> = weights.iter().map(|w| w * 30_000.0).collect();
    let chi: f64 = counts
        .iter()
        .zip(&expected)
        .map(|(&c, e)| (f64::from(c) - e).powi(2) / e)
        .sum();
    // 2 degrees of freedom, p = 0.0001: 18.42.
    assert!(
        chi < 18.42,
        "chi-square {chi:.2} for {counts:?} against {expected:?}"
    );
}

const DAY: u64 = 86_400_000;

#[derive(Debug, Clone)]
struct Spec {
    kind: Kind,
    cap: Cap,
    priority: i32,
    on_event: bool,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        prop_oneof![Just(Kind::Tour), Just(Kind::Survey), Just(Kind::Content)],
        prop_oneof![
            Just(Cap::Once),
            Just(Cap::UntilCompleted),
            (1u32..4).prop_map(Cap::AtMost),
            (1u32..40).prop_map(Cap::EveryDays)
        ],
        -3i32..3,
        any::<bool>(),
    )
        .prop_map(|(kind, cap, priority, on_event)| Spec {
            kind,
            cap,
            priority,
            on_event,
        })
}

/// One simulated day: page views, whether an event fires, and how the user treats what shows
/// (complete it or dismiss it).
fn day() -> impl Strategy<Value = (u8, bool, bool, bool)> {
    (1u8..4, any::<bool>(), any::<bool>(), any::<bool>())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Over a simulated year of page views: never two experiences on screen at once, no cap
    /// ever exceeded, no two surveys within the quiet period or in one session.
    #[test]
    fn arbitration_keeps_its_promises_over_a_year(specs in prop::collection::vec(spec(), 1..7), year in prop::collection::vec(day(), 365)) {
        let experiences: Vec<Experience> = specs
            .iter()
            .enumerate()
            .map(|(i, s)| Experience {
                id: format!("x{i}"),
                kind: s.kind,
                modal: s.kind == Kind::Survey,
                priority: s.priority,
                triggers: vec![if s.on_event { Trigger::Event("export".into()) } else { Trigger::PageView(vec![UrlPattern("/*".into())]) }],
                audience: Condition::always(),
                sample: 1.0,
                // Every other one with a holdout: held-out people change nothing promised.
                holdout: if i % 2 == 1 { 0.3 } else { 0.0 },
                cap: s.cap,
                quiet_after_dismiss: Millis(2 * DAY),
                quiet_after_complete: Millis(0),
                starts: Millis(0),
                ends: Millis(u64::MAX),
                disabled: None,
                content: Default::default(),
                translations: (s.kind != Kind::Content).then(|| Translations {
                    default_locale: "en".into(),
                    locales: vec!["en".into()],
                }),
            })
            .collect();
        let policy = Policy::default();
        let attributes = Value::Object(Default::default());
        let start = Millis(1_767_225_600_000);
        let mut profile = Profile::new(start);
        let mut shows: Vec<Vec<Millis>> = vec![Vec::new(); experiences.len()];
        let mut completed_at: Vec<Option<Millis>> = vec![None; experiences.len()];
        let mut survey_shows: Vec<(Millis, Millis)> = Vec::new(); // (when, session start)

        for (d, &(views, event, complete, dismiss_fast)) in year.iter().enumerate() {
            let session_started = Millis(start.0 + d as u64 * DAY);
            let mut on_screen: Option<usize> = None;
            for v in 0..u64::from(views) {
                let signals: &[Signal<'_>] = if event { &[Signal::PageView, Signal::Event("export")] } else { &[Signal::PageView] };
                for (k, &signal) in signals.iter().enumerate() {
                    let now = Millis(session_started.0 + v * 600_000 + k as u64 * 1_000);
                    let at = Moment::local(now, 0);
                    // The user deals with what is on screen before the next signal.
                    if let Some(i) = on_screen.take() {
                        let survey = experiences[i].kind == Kind::Survey;
                        if complete {
                            profile.record_experience(&experiences[i].id, survey, Outcome::Completed, at);
                            completed_at[i] = Some(now);
                        } else if dismiss_fast {
                            profile.record_experience(&experiences[i].id, survey, Outcome::Dismissed, at);
                        } else {
                            on_screen = Some(i);
                        }
                    }
                    let situation = Situation {
                        now,
                        user_key: "user-1",
                        url: "https://app.example/page",
                        signal,
                        attributes: &attributes,
                        profile: &profile,
                        session_started,
                        on_screen: on_screen.map(|i| experiences[i].id.as_str()),
                        locale: None,
                    };
                    let decision = decide(&experiences, &situation, &policy);
                    if let Some(id) = &decision.show {
                        prop_assert!(on_screen.is_none(), "{id} shown while x{:?} is on screen", on_screen);
                        let i: usize = id[1..].parse().unwrap();
                        let survey = experiences[i].kind == Kind::Survey;
                        profile.record_experience(id, survey, Outcome::Seen, at);
                        shows[i].push(now);
                        if survey {
                            survey_shows.push((now, session_started));
                        }
                        on_screen = Some(i);
                    }
                }
            }
        }

        for (i, (experience, times)) in experiences.iter().zip(&shows).enumerate() {
            match experience.cap {
                Cap::Once => prop_assert!(times.len() <= 1, "x{i} capped once showed {} times", times.len()),
                Cap::AtMost(n) => prop_assert!(times.len() <= n as usize, "x{i} capped at {n} showed {}", times.len()),
                Cap::UntilCompleted => {
                    if let Some(done) = completed_at[i] {
                        prop_assert!(times.iter().all(|t| *t <= done), "x{i} showed after completion");
                    }
                }
                Cap::EveryDays(days) => {
                    for pair in times.windows(2) {
                        prop_assert!(pair[1].0 - pair[0].0 >= u64::from(days) * DAY, "x{i} every {days} days showed twice within it");
                    }
                }
            }
        }
        for pair in survey_shows.windows(2) {
            prop_assert!(pair[1].0 .0 - pair[0].0 .0 >= 14 * DAY, "two surveys within 14 days");
            prop_assert!(pair[1].1 != pair[0].1, "two surveys in one session");
        }
    }
}
