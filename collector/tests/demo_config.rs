//! The demo's own config, `demo-site/waymark.json`, as `scripts/demo` publishes it: it
//! publishes with no diagnostic at all, its targets exist in the demo site, and arbitration
//! decides from it what the README promises a newcomer sees (the tour on a first visit, NPS
//! on the third page view, CES after an export, CSAT after the tour, the greeting once
//! signed in, the banner for a lapsed user, the plans page's experiment).

mod common;

use common::*;
use waymark_collector::publishing::{check, publish_file, FilePublished};
use waymark_core::rules::arbitration::{decide, Decision, Signal, Situation};
use waymark_core::rules::content::Rendered;
use waymark_core::rules::json::Fields;
use waymark_core::rules::platform::Regress;
use waymark_core::rules::profile::{Moment, Outcome, Profile};
use waymark_core::rules::tour::{Locator, Tour};
use waymark_core::rules::RuleSet;
use waymark_core::{Millis, Value};

const DEMO: &str = include_str!("../../demo-site/waymark.json");
const SITE: [&str; 2] = [
    include_str!("../../demo-site/index.html"),
    include_str!("../../demo-site/app.js"),
];
const DAY: u64 = 86_400_000;
const NOW: Millis = Millis(1_767_225_600_000);

fn config() -> Value {
    serde_json::from_str(DEMO).expect("demo-site/waymark.json is JSON")
}

fn rules() -> RuleSet {
    let (rules, diagnostics) = RuleSet::compile(&config(), &Regress);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    rules
}

fn at(days_ago: u64) -> Moment {
    Moment::local(Millis(NOW.0 - days_ago * DAY), 0)
}

/// One browser: its profile and who signed in, as the runtime gathers them.
struct Visitor {
    profile: Profile,
    user: Option<(&'static str, &'static str)>,
    on_screen: Option<&'static str>,
}

impl Visitor {
    /// A first visit: one session begun.
    fn new() -> Visitor {
        let mut profile = Profile::new(NOW);
        profile.record_session(at(0));
        Visitor {
            profile,
            user: None,
            on_screen: None,
        }
    }

    fn view(&mut self, path: &str) -> Decision {
        self.profile.record_page_view(path, at(0));
        self.decide(path, Signal::PageView)
    }

    fn event(&mut self, path: &str, name: &str) -> Decision {
        self.profile.record_event(name, at(0));
        self.decide(path, Signal::Event(name))
    }

    fn attributes(&self, path: &str) -> Value {
        let (id, user) = match self.user {
            Some((id, first_name)) => (
                serde_json::json!(id),
                serde_json::json!({"id": id, "first_name": first_name, "plan": "Pro"}),
            ),
            None => (serde_json::Value::Null, serde_json::json!({})),
        };
        let mut attributes: Value = serde_json::from_value(serde_json::json!({
            "id": id, "user": user, "url": format!("http://127.0.0.1:8080{path}"), "path": path,
            "locale": "en-GB", "device": {"type": "desktop", "width": 1280},
        }))
        .unwrap();
        if let Value::Object(map) = &mut attributes {
            map.insert("behavior".into(), self.profile.attributes(at(0)));
        }
        attributes
    }

    fn decide(&self, path: &str, signal: Signal<'_>) -> Decision {
        let rules = rules();
        let attributes = self.attributes(path);
        let url = format!("http://127.0.0.1:8080{path}");
        let situation = Situation {
            now: NOW,
            user_key: self.user.map_or("0190d5a2-anonymous", |(id, _)| id),
            url: &url,
            signal,
            attributes: &attributes,
            profile: &self.profile,
            session_started: Millis(NOW.0 - 60_000),
            on_screen: self.on_screen,
            locale: Some("en-GB"),
        };
        decide(&rules.experiences, &situation, &rules.policy)
    }
}

#[tokio::test]
async fn the_demo_config_publishes_with_no_diagnostic_at_all() {
    let checked = check(&config()).unwrap_or_else(|errors| panic!("{errors:#?}"));
    assert!(checked.warnings.is_empty(), "{:#?}", checked.warnings);
    let h = harness();
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../demo-site/waymark.json");
    match publish_file(&h.registry, "demo", &file).expect("publishes") {
        FilePublished::Published(version, warnings) => {
            assert_eq!((version.version, warnings.len()), (1, 0));
        }
        FilePublished::Unchanged(v) => panic!("a new database has no version {v}"),
    }
}

#[test]
fn the_tour_has_six_steps_or_more_over_two_pages_and_every_target_is_on_the_site() {
    let config = config();
    let definition = config
        .array_field("experiences")
        .unwrap()
        .iter()
        .find(|e| e.str_field("id") == Some("onboarding"))
        .expect("an onboarding tour");
    let mut diagnostics = Vec::new();
    let tour = Tour::from_json(definition, "onboarding", "/experiences/0", &mut diagnostics);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    assert!(tour.steps.len() >= 6, "{} steps", tour.steps.len());
    let mut pages: Vec<&str> = tour
        .steps
        .iter()
        .map(|s| {
            s.url
                .as_ref()
                .expect("every step names its page")
                .0
                .as_str()
        })
        .collect();
    pages.dedup();
    assert_eq!(pages, ["/", "/invoices*"]);
    // Every data-waymark target is in the site's markup; the forecast card is inside the
    // web component's shadow root and the activity feed is rendered 1.5 s late.
    let mut targets = Vec::new();
    for step in &tour.steps {
        for locator in step.target.iter().flat_map(|t| &t.locators) {
            if let Locator::Waymark(name) = locator {
                let attribute = format!("data-waymark=\"{name}\"");
                assert!(
                    SITE.iter().any(|file| file.contains(&attribute)),
                    "no {attribute} in the demo site"
                );
                targets.push(name.as_str());
            }
        }
    }
    let app = SITE[1];
    let shadow = app.find("attachShadow({ mode: 'open' })").unwrap();
    let forecast = app.find("data-waymark=\"cashflow-forecast\"").unwrap();
    let late = app.find("setTimeout(").unwrap();
    let feed = app.find("data-waymark=\"activity-feed\"").unwrap();
    assert!(shadow < forecast && late < feed && app[late..].contains("}, 1500)"));
    assert!(targets.contains(&"cashflow-forecast") && targets.contains(&"activity-feed"));
}

#[test]
fn a_first_visit_starts_the_tour_and_the_third_page_view_asks_for_nps() {
    let mut visitor = Visitor::new();
    assert_eq!(visitor.view("/").show.as_deref(), Some("onboarding"));
    // The visitor closes the tour on the dashboard.
    for outcome in [Outcome::Seen, Outcome::Dismissed] {
        visitor
            .profile
            .record_experience("onboarding", false, outcome, at(0));
    }
    assert_eq!(visitor.view("/invoices").show, None);
    let third = visitor.view("/customers");
    assert_eq!(third.show.as_deref(), Some("nps"), "{:?}", third.verdicts);
    // A returning visitor (a second session) gets no tour.
    let mut returning = Visitor::new();
    returning.profile.record_session(at(0));
    assert_eq!(returning.view("/").show, None);
}

#[test]
fn an_export_asks_how_easy_it_was_and_completing_the_tour_asks_how_helpful_it_was() {
    let mut visitor = Visitor::new();
    visitor.view("/invoices");
    assert_eq!(
        visitor
            .event("/invoices", "export_completed")
            .show
            .as_deref(),
        Some("ces-export")
    );
    let mut toured = Visitor::new();
    toured.view("/");
    toured.on_screen = Some("onboarding");
    assert_eq!(
        toured.event("/invoices", "$tour_completed").show,
        None,
        "the survey waits while the tour is on screen"
    );
    toured.on_screen = None;
    assert_eq!(
        toured.event("/invoices", "$tour_completed").show.as_deref(),
        Some("csat-tour")
    );
}

fn applied_text(decision: &Decision, visitor: &Visitor, id: &str) -> Option<String> {
    let rules = rules();
    decision.apply.iter().find(|a| *a == id)?;
    let experience = rules.experience(id).unwrap();
    match experience.content.changes[0].render(&visitor.attributes("/")) {
        Rendered::Text(text) => Some(text),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_greeting_is_personal_once_the_user_signs_in() {
    let mut visitor = Visitor::new();
    let anonymous = visitor.view("/");
    assert_eq!(applied_text(&anonymous, &visitor, "greeting"), None);
    visitor.user = Some(("user_dana", "Dana"));
    let signed_in = visitor.decide("/", Signal::PageView);
    assert_eq!(
        applied_text(&signed_in, &visitor, "greeting").as_deref(),
        Some("Welcome back, Dana")
    );
    visitor.user = Some(("user_dana", ""));
    assert_eq!(
        applied_text(&signed_in, &visitor, "greeting").as_deref(),
        Some("Welcome back, there")
    );
}

#[test]
fn the_win_back_banner_shows_only_to_a_user_whose_churn_risk_is_high() {
    let mut newcomer = Visitor::new();
    assert!(!newcomer.view("/").apply.contains(&"win-back".to_owned()));
    // What demo-tools.js's ?demo=lapsed stores: daily use from 28 to 8 days ago, nothing
    // since, the tour and two surveys seen and dismissed.
    let mut lapsed = Visitor::new();
    for day in 8..=28 {
        for _ in 0..9 {
            lapsed.profile.record_event("$pageview", at(day));
        }
    }
    for (id, survey, days_ago) in [
        ("onboarding", false, 28),
        ("nps", true, 12),
        ("ces-export", true, 9),
    ] {
        for outcome in [Outcome::Seen, Outcome::Dismissed] {
            lapsed
                .profile
                .record_experience(id, survey, outcome, at(days_ago));
        }
    }
    // Today they are back: a new session, 8 days after the last.
    lapsed.profile.record_session(at(0));
    let decision = lapsed.view("/");
    let risk = lapsed.profile.churn_risk(at(0));
    assert!(risk >= 0.5, "churn risk {risk}");
    // The 8 days away count, though today's page view is activity: 0.3 × (8 − 3) / 11.
    let mut forgetful = lapsed.profile.clone();
    forgetful.away = Millis(0);
    let away = risk - forgetful.churn_risk(at(0));
    assert!((away - 0.3 * 5.0 / 11.0).abs() < 1e-9, "time away {away}");
    assert!(
        decision.apply.contains(&"win-back".to_owned()),
        "{:?}",
        decision.verdicts
    );
    assert_eq!(decision.show, None, "no tour or survey for them");
}

#[test]
fn the_plans_page_runs_a_two_variant_layout_experiment_with_a_goal() {
    let rules = rules();
    let experiment = rules
        .experience("pricing-layout")
        .and_then(|e| e.content.experiment.as_ref())
        .expect("an experiment");
    assert_eq!(experiment.variants.len(), 2);
    assert_eq!(experiment.goals, ["plan_upgrade_clicked"]);
    for (query, forced) in [("?pricing-layout=0", 0), ("?pricing-layout=1", 1)] {
        let url = format!("http://127.0.0.1:8080/plans{query}");
        assert_eq!(experiment.assign("anyone", &url), Some(forced));
    }
    assert!(
        SITE[1].contains("data-waymark-variant=\"pricing-a\"")
            && SITE[1].contains(
                "data-waymark-variant=\"pricing-b\" aria-label=\"Plans, annual prices\" hidden"
            )
    );
    let mut visitor = Visitor::new();
    assert!(visitor
        .view("/plans")
        .apply
        .contains(&"pricing-layout".to_owned()));
}
