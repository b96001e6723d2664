//! The tour model's tests: reading definitions and running them.

use super::*;
use crate::protocol::tour as events;
use crate::rules::arbitration::UrlPattern;
use crate::rules::placement::{Align, Placement};
use crate::rules::{Diagnostic, Severity};
use crate::time::Millis;
use crate::value::Value;

use serde_json::json;

const T0: Millis = Millis(1_767_225_600_000);
const SECOND: Millis = Millis::SECOND;

fn read(experience: serde_json::Value) -> (Tour, Vec<Diagnostic>) {
    let experience: Value = serde_json::from_value(experience).expect("test JSON");
    let mut diagnostics = Vec::new();
    let tour = Tour::from_json(&experience, "tour-1", "/experiences/0", &mut diagnostics);
    assert!(
        diagnostics.iter().all(|d| d.subject == "tour-1"),
        "every diagnostic names the experience"
    );
    (tour, diagnostics)
}

/// The diagnostics of a tour definition, as (code, pointer below `/experiences/0/tour`).
fn check(experience: serde_json::Value, expected: &[(&str, &str)]) {
    let (_, diagnostics) = read(experience);
    let found: Vec<(&str, String)> = diagnostics
        .iter()
        .map(|d| {
            (
                d.code,
                d.pointer
                    .strip_prefix("/experiences/0/tour")
                    .unwrap_or(&d.pointer)
                    .to_owned(),
            )
        })
        .collect();
    let expected: Vec<(&str, String)> = expected
        .iter()
        .map(|(c, p)| (*c, (*p).to_owned()))
        .collect();
    assert_eq!(found, expected);
}

fn valid(experience: serde_json::Value) -> Tour {
    let (tour, diagnostics) = read(experience);
    assert_eq!(diagnostics, [], "a valid tour");
    tour
}

/// An update's events as (name, properties as JSON).
fn events(update: &Update) -> Vec<(&'static str, serde_json::Value)> {
    update
        .records
        .iter()
        .map(|r| (r.name, serde_json::to_value(&r.properties).unwrap()))
        .collect()
}

fn continued(update: &Update) -> Progress {
    match &update.then {
        Then::Continue(progress) => progress.clone(),
        other => panic!("expected the tour to continue, got {other:?}"),
    }
}

#[test]
fn the_documented_example_is_valid() {
    let doc = include_str!("mod.rs");
    let start = doc.find("//! ```json\n").unwrap() + "//! ```json\n".len();
    let end = start + doc[start..].find("//! ```\n").unwrap();
    let example: String = doc[start..end]
        .lines()
        .map(|line| line.trim_start_matches("//!"))
        .collect();
    let tour = valid(serde_json::from_str(&example).unwrap());
    assert_eq!(tour.steps.len(), 3);
    assert_eq!(tour.locales, ["en"]);
}

#[test]
fn a_full_step_reads_with_its_locator_plan_in_strength_order() {
    let tour = valid(json!({"tour": {"theme": {"accent": "#4f46e5"}, "steps": [{
            "id": "new-invoice", "url": "/dashboard*",
            "target": {"text": "New invoice", "role": "button", "name": "New invoice",
                       "selector": "main .toolbar button.primary", "id": "new-invoice-btn",
                       "waymark": "new-invoice", "frame": ["iframe#app"]},
            "title": "Create an invoice", "body": "Click **New invoice**.",
            "placement": "bottom", "align": "start", "spotlight": {"padding": 4},
            "buttons": ["skip", {"cta": {"label": "Guide", "url": "https://docs.example/i", "new_tab": true}},
                        {"cta": {"label": "Demo", "event": "demo_requested"}}],
            "advance": {"click": true}, "wait_ms": 8000, "fallback": "end",
            "comment": "unknown fields are ignored"}]}}));
    assert_eq!(
        tour.theme.properties,
        [("--waymark-accent", "#4f46e5".into())]
    );
    let step = &tour.steps[0];
    let target = step.target.as_ref().unwrap();
    let strategies: Vec<&str> = target
        .locators
        .iter()
        .map(|l| l.strategy().name())
        .collect();
    assert_eq!(strategies, ["waymark", "id", "selector", "role", "text"]);
    assert_eq!(
        target.locators[0].selector().as_deref(),
        Some("[data-waymark=\"new-invoice\"]")
    );
    assert_eq!(target.frames, ["iframe#app"]);
    assert_eq!(
        (step.placement, step.align, step.spotlight),
        (
            Placement::Bottom,
            Align::Start,
            Some(Spotlight {
                padding: 4.0,
                radius: 6.0
            })
        )
    );
    assert_eq!(
        (&step.advance, step.wait, step.fallback),
        (&Advance::Click, Millis(8_000), Fallback::End)
    );
    assert_eq!(step.url, Some(UrlPattern("/dashboard*".into())));
    assert!(matches!(
        &step.buttons[1],
        Button::Cta(Cta {
            action: CtaAction::Url { new_tab: true, .. },
            ..
        })
    ));
    assert!(
        matches!(&step.buttons[2], Button::Cta(Cta { action: CtaAction::Event(e), .. }) if e == "demo_requested")
    );
}

#[test]
fn a_step_without_a_target_is_centered_without_spotlight_and_defaults_fill_in() {
    let tour = valid(json!({"tour": {"steps": [
            {"id": "hello", "title": "Hello"},
            {"id": "menu", "target": "#menu", "body": "The menu"}]}}));
    let (hello, menu) = (&tour.steps[0], &tour.steps[1]);
    assert_eq!(
        (hello.placement, hello.spotlight),
        (Placement::Center, None)
    );
    assert_eq!(hello.target, None);
    assert_eq!(
        menu.target.as_ref().unwrap().locators,
        [Locator::Selector("#menu".into())]
    );
    assert_eq!(
        (menu.placement, menu.align, menu.spotlight),
        (Placement::Auto, Align::Center, Some(Spotlight::default()))
    );
    assert_eq!(
        (&menu.advance, menu.wait, menu.fallback, menu.format),
        (
            &Advance::Button,
            Millis(5_000),
            Fallback::Skip,
            Format::Markdown
        )
    );
}

#[test]
fn every_invalid_part_of_a_definition_is_diagnosed_with_its_pointer() {
    check(
        json!({"tour": {"format": "html", "labels": {"next": 3}, "steps": [
            "not an object",
            {"title": "No id"},
            {"id": "a", "title": "A", "target": {"role": "button"}},
            {"id": "a", "title": "Same id"},
            {"id": "b", "title": "B", "placement": "bottom"},
            {"id": "c", "title": "C", "advance": "click"},
            {"id": "d", "target": "#d"},
            {"id": "e", "title": "E", "target": "#e", "placement": "middle", "align": "left",
             "spotlight": {"padding": 100}},
            {"id": "f", "title": "F", "buttons": ["next", "next", "jump",
                {"cta": {"label": "Go", "url": "javascript:alert(1)"}},
                {"cta": {"label": "Both", "url": "/x", "event": "y"}},
                {"cta": {"url": "/x"}}]},
            {"id": "g", "title": "G", "advance": {"route": ""}},
            {"id": "h", "title": "H", "url": 5, "wait_ms": 90000, "fallback": "retry"},
            {"id": "i", "title": "I", "target": "#i", "advance": {"click": true}, "fallback": "center"},
            {"id": "l", "title": 7},
            {"id": "m", "title": "M", "target": {"waymark": "a b"}, "format": "rich"},
            {"id": "j", "title": "J", "buttons": ["back"]}
        ]}}),
        &[
            ("invalid_format", "/format"),
            ("invalid_text", "/labels/next"),
            ("invalid_step", "/steps/0"),
            ("missing_step_id", "/steps/1/id"),
            ("invalid_target", "/steps/2/target/name"),
            ("duplicate_step_id", "/steps/3/id"),
            ("missing_target", "/steps/4/target"),
            ("click_without_target", "/steps/5/advance"),
            ("empty_step", "/steps/6"),
            ("invalid_placement", "/steps/7/placement"),
            ("invalid_align", "/steps/7/align"),
            ("invalid_spotlight", "/steps/7/spotlight"),
            ("duplicate_button", "/steps/8/buttons/1"),
            ("invalid_button", "/steps/8/buttons/2"),
            ("unsafe_url", "/steps/8/buttons/3/cta/url"),
            ("invalid_cta", "/steps/8/buttons/4/cta"),
            ("invalid_cta", "/steps/8/buttons/5/cta/label"),
            ("invalid_advance", "/steps/9/advance"),
            ("invalid_url", "/steps/10/url"),
            ("invalid_wait", "/steps/10/wait_ms"),
            ("invalid_fallback", "/steps/10/fallback"),
            ("invalid_fallback", "/steps/11/fallback"),
            ("invalid_text", "/steps/12/title"),
            ("invalid_target", "/steps/13/target/waymark"),
            ("invalid_format", "/steps/13/format"),
            ("no_way_forward", "/steps/14/buttons"),
        ],
    );
}

#[test]
fn every_selector_a_target_is_found_by_must_parse_as_browsers_parse_it() {
    check(
        json!({"tour": {"steps": [
            {"id": "a", "title": "A", "target": "a["},
            {"id": "b", "title": "B", "target": {"selector": "!!", "id": "b"}},
            {"id": "c", "title": "C", "target": {"id": "c", "frame": "iframe >"}},
            {"id": "d", "title": "D", "target": {"id": "d", "frame": ["#outer", "x:bogus"]}},
            {"id": "e", "title": "E", "target": {"waymark": "ok", "selector": "main button.primary:hover", "frame": "iframe#app"}}
        ]}}),
        &[
            ("invalid_selector", "/steps/0/target"),
            ("invalid_selector", "/steps/1/target/selector"),
            ("invalid_selector", "/steps/2/target/frame"),
            ("invalid_selector", "/steps/3/target/frame/1"),
        ],
    );
}

#[test]
fn the_tour_object_itself_is_checked() {
    check(json!({"id": "x"}), &[("missing_tour", "")]);
    check(json!({"tour": {"steps": []}}), &[("no_steps", "/steps")]);
    check(
        json!({"tour": {"default_locale": "english please", "labels": ["Next"],
                   "steps": [{"id": "a", "title": "A", "target": {}}]}}),
        &[
            ("invalid_locale", "/default_locale"),
            ("invalid_labels", "/labels"),
            ("invalid_target", "/steps/0/target"),
        ],
    );
}

#[test]
fn targets_advances_and_calls_to_action_are_checked_in_detail() {
    check(
        json!({"tour": {"steps": [
            {"id": "a", "title": "A", "target": 5},
            {"id": "b", "title": "B", "target": {"selector": "#b", "frame": [""]}},
            {"id": "c", "title": "C", "target": {"id": ""}},
            {"id": "d", "title": "D", "advance": {"event": ""}},
            {"id": "e", "title": "E", "advance": {"click": true, "event": "x"}},
            {"id": "f", "title": "F", "buttons": ["done", {"cta": {"label": "L", "event": ""}}]},
            {"id": "g", "title": "G", "buttons": "next"}
        ]}}),
        &[
            ("invalid_target", "/steps/0/target"),
            ("invalid_target", "/steps/1/target/frame"),
            ("invalid_target", "/steps/2/target/id"),
            ("invalid_advance", "/steps/3/advance"),
            ("invalid_advance", "/steps/4/advance"),
            ("invalid_cta", "/steps/5/buttons/1/cta/event"),
            ("invalid_button", "/steps/6/buttons"),
            ("no_way_forward", "/steps/6/buttons"),
        ],
    );
}

#[test]
fn default_buttons_depend_on_the_position_and_the_page() {
    let tour = valid(json!({"tour": {"steps": [
            {"id": "a", "title": "A", "url": "/one"},
            {"id": "b", "title": "B", "url": "/one"},
            {"id": "c", "title": "C", "url": "/two"},
            {"id": "d", "target": "#d", "title": "D", "url": "/two", "advance": "click"},
            {"id": "e", "title": "E", "url": "/two"}]}}));
    let buttons: Vec<&[Button]> = tour.steps.iter().map(|s| s.buttons.as_slice()).collect();
    assert_eq!(
        buttons,
        [
            &[Button::Next][..],
            &[Button::Back, Button::Next],
            &[Button::Next],
            &[Button::Back],
            &[Button::Back, Button::Done],
        ]
    );
}

#[test]
fn back_buttons_that_cannot_work_are_warnings() {
    let (tour, diagnostics) = read(json!({"tour": {"steps": [
            {"id": "a", "title": "A", "url": "/one", "buttons": ["back", "next"]},
            {"id": "b", "title": "B", "url": "/two", "buttons": ["back", "done"]}]}}));
    let found: Vec<(Severity, &str)> = diagnostics.iter().map(|d| (d.severity, d.code)).collect();
    assert_eq!(
        found,
        [
            (Severity::Warning, "back_on_first_step"),
            (Severity::Warning, "back_across_pages")
        ]
    );
    assert_eq!(
        tour.steps[0].buttons,
        [Button::Next],
        "the useless back is left out"
    );
}

#[test]
fn unsafe_links_in_markdown_bodies_are_warnings_at_their_translation() {
    let (tour, diagnostics) = read(json!({"tour": {"steps": [
            {"id": "a", "body": {"en": "[docs](javascript:x)", "fr": "[docs](/fr)"}},
            {"id": "b", "body": "[x](data:text/html,y)"},
            {"id": "c", "body": "[x](javascript:y)", "format": "plain"}]}}));
    let found: Vec<(Severity, &str, &str)> = diagnostics
        .iter()
        .map(|d| (d.severity, d.code, d.pointer.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (
                Severity::Warning,
                "unsafe_link",
                "/experiences/0/tour/steps/0/body/en"
            ),
            (
                Severity::Warning,
                "unsafe_link",
                "/experiences/0/tour/steps/1/body"
            ),
            (
                Severity::Warning,
                "incomplete_locale",
                "/experiences/0/tour/steps/1/body"
            ),
        ]
    );
    let progress = continued(&tour.start(T0));
    let Now::Show(view) = tour.now(&progress, "https://app.example/", Some("en")) else {
        panic!("shows");
    };
    assert_eq!(
        view.body().unwrap().text(),
        "docs",
        "the label stays, as text"
    );
}

#[test]
fn only_complete_locales_are_offered_and_the_user_gets_theirs() {
    let (tour, diagnostics) = read(json!({"tour": {
            "labels": {"step": {"en": "Step {n} of {total}", "fr": "Étape {n} sur {total}"},
                       "next": {"en": "Next", "fr": "Suivant"},
                       "back": {"en": "Back", "fr": "Retour"},
                       "done": {"en": "Done", "fr": "Terminé"},
                       "close": {"en": "Close", "fr": "Fermer"}},
            "steps": [
                {"id": "a", "title": {"en": "Hi", "fr": "Salut", "de": "Hallo"}},
                {"id": "b", "title": {"en": "Bye", "fr": "Au revoir"}, "body": {"fr": "Corps", "en": "Body"}}]}}));
    assert_eq!(tour.locales, ["en", "fr"]);
    let codes: Vec<(&str, &str)> = diagnostics
        .iter()
        .map(|d| (d.code, d.pointer.as_str()))
        .collect();
    assert_eq!(
        codes,
        [("incomplete_locale", "/experiences/0/tour/labels/next")],
        "German is not offered: the first text without it is named"
    );
    assert_eq!(tour.locale_for(Some("fr-CA")), Some("fr"));
    assert_eq!(tour.locale_for(Some("de-DE")), Some("en"));
    let progress = tour.advance(&continued(&tour.start(T0)), Via::Button, T0);
    let Now::Show(view) = tour.now(&continued(&progress), "https://x/", Some("fr-CA")) else {
        panic!("shows");
    };
    assert_eq!(view.title(), Some("Au revoir"));
    assert_eq!(view.live, "Étape 2 sur 2");
    assert_eq!(view.button_label(&view.step.buttons[0]), "Retour");
    assert_eq!(view.button_label(&view.step.buttons[1]), "Terminé");
    assert_eq!(view.close_label(), "Fermer");
    assert!(view.last());
}

#[test]
fn a_tour_in_another_language_without_labels_warns_and_numbers_its_steps_plainly() {
    let (tour, diagnostics) = read(json!({"tour": {"default_locale": "fr", "steps": [
            {"id": "a", "title": "Un"}, {"id": "b", "title": "Deux"}, {"id": "c", "title": "Trois"}]}}));
    let warned: Vec<&str> = diagnostics
        .iter()
        .map(|d| {
            d.pointer
                .strip_prefix("/experiences/0/tour/labels/")
                .unwrap()
        })
        .collect();
    assert_eq!(warned, ["next", "back", "done", "close"]);
    assert!(diagnostics
        .iter()
        .all(|d| d.code == "untranslated_label" && d.severity == Severity::Warning));
    assert_eq!(tour.live_text(1, "fr"), "2 / 3");
    assert_eq!(tour.live_text(1, "en-US"), "Step 2 of 3");
}

#[test]
fn a_text_without_the_default_locale_is_an_error_and_leaves_no_locale_to_offer() {
    let (tour, diagnostics) =
        read(json!({"tour": {"steps": [{"id": "a", "title": {"fr": "Salut"}}]}}));
    assert_eq!(
        (diagnostics[0].code, diagnostics[0].pointer.as_str()),
        (
            "missing_default_translation",
            "/experiences/0/tour/steps/0/title"
        )
    );
    assert_eq!(tour.locale_for(Some("de")), None);
    let progress = continued(&tour.start(T0));
    assert_eq!(tour.now(&progress, "https://x/", Some("de")), Now::NoLocale);
}

const TWO_PAGES: &str = r##"{"tour": {"steps": [
        {"id": "welcome", "url": "/dashboard*", "title": "Welcome"},
        {"id": "sidebar", "url": "/dashboard*", "target": {"waymark": "sidebar"}, "title": "Sidebar"},
        {"id": "new-invoice", "url": "/dashboard*", "target": {"waymark": "new-invoice", "text": "New invoice"},
         "title": "New invoice", "advance": {"route": "/invoices/new*"}},
        {"id": "customer", "url": "/invoices/new*", "target": "#customer", "title": "Customer",
         "advance": {"event": "customer_picked"}},
        {"id": "save", "url": "/invoices/new*", "target": "#save", "title": "Save", "advance": {"click": true}}
    ]}}"##;

#[test]
fn a_two_page_tour_resumes_after_a_reload_on_the_right_step() {
    let tour = valid(serde_json::from_str(TWO_PAGES).unwrap());
    let dashboard = "https://app.example/dashboard";
    let started = tour.start(T0);
    assert_eq!(
        events(&started),
        [(events::STARTED, json!({"tour": "tour-1"}))]
    );
    let mut progress = continued(&started);
    let Now::Show(first) = tour.now(&progress, dashboard, Some("en-GB")) else {
        panic!("the first step shows on the dashboard");
    };
    assert_eq!((first.index, first.live.as_str()), (0, "Step 1 of 5"));
    progress = continued(&tour.viewed(&progress, Strategy::None, T0.plus(SECOND)));
    progress = continued(&tour.advance(&progress, Via::Button, T0.plus(SECOND)));
    progress = continued(&tour.viewed(&progress, Strategy::Waymark, T0.plus(SECOND)));
    progress = continued(&tour.advance(&progress, Via::Button, T0.plus(SECOND)));
    // The third step moves on when the app routes to the new-invoice page.
    let step = &tour.steps[progress.step];
    assert_eq!(step.advanced_by(Occurrence::Click), None);
    let via = step
        .advanced_by(Occurrence::Route("https://app.example/invoices/new"))
        .unwrap();
    let routed = tour.advance(&progress, via, T0.plus(Millis(2_000)));
    assert_eq!(
        events(&routed),
        [(
            events::STEP_COMPLETED,
            json!({"tour": "tour-1", "step": 2, "step_id": "new-invoice", "via": "route"})
        )]
    );
    progress = continued(&routed);

    // A full page load: the progress goes to storage as JSON and comes back.
    let stored = serde_json::to_string(&progress.to_json()).unwrap();
    let reloaded: Value = serde_json::from_str(&stored).unwrap();
    let Resume::Continue {
        progress: resumed,
        mapped: false,
    } = tour.resume(Some(&reloaded), T0.plus(Millis::MINUTE))
    else {
        panic!("resumes");
    };
    assert_eq!(resumed, progress);
    let Now::Show(view) = tour.now(
        &resumed,
        "https://app.example/invoices/new?draft=1",
        Some("en"),
    ) else {
        panic!("the fourth step shows on the invoice page");
    };
    assert_eq!(
        (view.index, view.step.id.as_str(), view.live.as_str()),
        (3, "customer", "Step 4 of 5")
    );
    assert_eq!(
        view.step.buttons,
        [],
        "no back button to a step on another page"
    );
    // Back on the dashboard, the tour waits for its page.
    assert_eq!(
        tour.now(&resumed, dashboard, Some("en")),
        Now::WaitForPage {
            step: 3,
            url: &UrlPattern("/invoices/new*".into())
        }
    );
    let step = &tour.steps[3];
    assert_eq!(step.advanced_by(Occurrence::Event("other")), None);
    assert_eq!(
        step.advanced_by(Occurrence::Event("customer_picked")),
        Some(Via::Event)
    );
    progress = continued(&tour.advance(&resumed, Via::Event, T0.plus(Millis::MINUTE)));
    assert_eq!(
        tour.steps[4].advanced_by(Occurrence::Click),
        Some(Via::Click)
    );
    let done = tour.advance(&progress, Via::Click, T0.plus(Millis::MINUTE));
    assert_eq!(done.then, Then::Ended(Ending::Completed));
    assert_eq!(done.progress(), None);
    assert_eq!(
        events(&done),
        [
            (
                events::STEP_COMPLETED,
                json!({"tour": "tour-1", "step": 4, "step_id": "save", "via": "click"})
            ),
            (events::COMPLETED, json!({"tour": "tour-1"})),
        ]
    );
}

#[test]
fn a_changed_tour_finds_the_step_by_id_or_starts_over() {
    let steps = |ids: &[&str]| {
        let steps: Vec<serde_json::Value> = ids
            .iter()
            .map(|id| json!({"id": id, "title": id.to_uppercase()}))
            .collect();
        valid(json!({"tour": {"steps": steps}}))
    };
    let v1 = steps(&["a", "b", "c", "d"]);
    let at_c = continued(&v1.advance(
        &continued(&v1.advance(&continued(&v1.start(T0)), Via::Button, T0)),
        Via::Button,
        T0,
    ));
    assert_eq!((at_c.step, at_c.step_id.as_str()), (2, "c"));
    let stored = at_c.to_json();

    let v2 = steps(&["a", "new", "b", "c", "d"]);
    assert_ne!(v2.fingerprint, v1.fingerprint);
    let Resume::Continue { progress, mapped } = v2.resume(Some(&stored), T0) else {
        panic!("continues");
    };
    assert_eq!(
        (
            progress.step,
            progress.step_id.as_str(),
            progress.fingerprint,
            mapped
        ),
        (3, "c", v2.fingerprint, true)
    );

    let v3 = steps(&["a", "b", "d"]);
    assert_eq!(
        v3.resume(Some(&stored), T0),
        Resume::StartOver(StartOver::StepRemoved)
    );

    // New words on the same steps keep the fingerprint.
    let reworded = valid(json!({"tour": {"steps": [
            {"id": "a", "title": "1"}, {"id": "b", "title": "2"}, {"id": "c", "title": "3"}, {"id": "d", "title": "4"}]}}));
    assert_eq!(reworded.fingerprint, v1.fingerprint);
    assert!(matches!(
        reworded.resume(Some(&stored), T0),
        Resume::Continue { mapped: false, .. }
    ));
}

#[test]
fn stored_progress_that_is_unreadable_foreign_or_stale_starts_over() {
    let tour = valid(serde_json::from_str(TWO_PAGES).unwrap());
    let progress = continued(&tour.start(T0));
    let stored = progress.to_json();
    let with = |key: &str, value: Value| {
        let mut changed = stored.clone();
        if let Value::Object(map) = &mut changed {
            map.insert(key.to_owned(), value);
        }
        changed
    };
    for bad in [
        Value::Null,
        Value::from("{\"tour\": \"tour-1\"}"),
        with("v", Value::Number(2.0)),
        with("step", Value::from("0")),
        with("step", Value::Number(-1.0)),
        with("step", Value::Number(0.5)),
        with("step_id", Value::from("")),
        with("updated_at", Value::Null),
        with("fingerprint", Value::Number(5e9)),
    ] {
        assert_eq!(
            tour.resume(Some(&bad), T0),
            Resume::StartOver(StartOver::Unreadable),
            "{bad:?}"
        );
    }
    assert_eq!(
        tour.resume(None, T0),
        Resume::StartOver(StartOver::NothingStored)
    );
    assert_eq!(
        tour.resume(Some(&with("tour", Value::from("other"))), T0),
        Resume::StartOver(StartOver::OtherTour)
    );
    assert!(matches!(
        tour.resume(Some(&stored), T0.plus(Progress::EXPIRES_AFTER)),
        Resume::Continue { .. }
    ));
    assert_eq!(
        tour.resume(
            Some(&stored),
            T0.plus(Progress::EXPIRES_AFTER).plus(Millis(1))
        ),
        Resume::StartOver(StartOver::Expired)
    );
    // A clock that went back does not expire anything.
    assert!(matches!(
        tour.resume(Some(&stored), Millis(0)),
        Resume::Continue { .. }
    ));
    // Progress past the end of a shortened tour is over.
    let past = Progress {
        step: 9,
        ..progress
    };
    assert_eq!(tour.now(&past, "https://x/", None), Now::Finished);
}

#[test]
fn a_selector_the_browser_refuses_is_recorded_with_its_strategy() {
    let tour =
        valid(json!({"tour": {"steps": [{"id": "menu", "target": "#menu", "title": "Menu"}]}}));
    let first = continued(&tour.start(T0));
    let record = tour.target_invalid(&first, "frame");
    assert_eq!(
        (
            record.name,
            serde_json::to_value(&record.properties).unwrap()
        ),
        (
            events::STEP_TARGET_INVALID,
            json!({"tour": "tour-1", "step": 0, "step_id": "menu", "strategy": "frame"})
        )
    );
}

#[test]
fn a_missing_target_applies_its_steps_fallback() {
    let tour = valid(json!({"tour": {"steps": [
            {"id": "skips", "target": "#a", "title": "A"},
            {"id": "centers", "target": "#b", "title": "B", "fallback": "center", "wait_ms": 2000},
            {"id": "ends", "target": "#c", "title": "C", "fallback": "end"},
            {"id": "last", "target": "#d", "title": "D"}]}}));
    let waited = Millis(5_000);
    let first = continued(&tour.start(T0));
    let skipped = tour.target_missing(&first, waited, T0);
    assert_eq!(
        events(&skipped),
        [(
            events::STEP_TARGET_MISSING,
            json!({"tour": "tour-1", "step": 0, "step_id": "skips", "waited_ms": 5000, "fallback": "skip"})
        )]
    );
    let second = continued(&skipped);
    assert_eq!(second.step, 1);

    let centered = tour.target_missing(&second, Millis(2_000), T0);
    assert_eq!(centered.then, Then::ShowCentered(second.clone()));
    assert_eq!(events(&centered)[0].1["fallback"], "center");
    let viewed = tour.viewed(&second, Strategy::None, T0);
    assert_eq!(events(&viewed)[0].1["strategy"], "none");

    let third = continued(&tour.advance(&second, Via::Button, T0));
    let ended = tour.target_missing(&third, waited, T0);
    assert_eq!(
        ended.then,
        Then::Ended(Ending::Dismissed(Reason::TargetMissing))
    );
    assert_eq!(
        events(&ended),
        [
            (
                events::STEP_TARGET_MISSING,
                json!({"tour": "tour-1", "step": 2, "step_id": "ends", "waited_ms": 5000, "fallback": "end"})
            ),
            (
                events::DISMISSED,
                json!({"tour": "tour-1", "step": 2, "step_id": "ends", "reason": "target_missing"})
            ),
        ]
    );

    // Skipping the last step has nowhere to go: the tour ends as `end` would.
    let last = continued(&tour.advance(&third, Via::Button, T0));
    let over = tour.target_missing(&last, waited, T0);
    assert_eq!(
        over.then,
        Then::Ended(Ending::Dismissed(Reason::TargetMissing))
    );
    assert_eq!(events(&over)[1].0, events::DISMISSED);
}

#[test]
fn every_event_carries_exactly_the_properties_the_protocol_names() {
    let tour = valid(json!({"tour": {"steps": [
            {"id": "a", "target": {"id": "a"}, "title": "A"}, {"id": "b", "title": "B"}]}}));
    let started = tour.start(T0);
    let progress = continued(&started);
    let later = T0.plus(SECOND);
    let viewed = tour.viewed(&progress, Strategy::Id, later);
    assert_eq!(continued(&viewed).updated_at, later);
    assert_eq!(continued(&viewed).started_at, T0);
    let mut all = events(&started);
    all.extend(events(&viewed));
    all.extend(events(&tour.advance(&progress, Via::Button, later)));
    all.extend(events(&tour.target_missing(
        &progress,
        Millis(8_000),
        later,
    )));
    for reason in [Reason::Close, Reason::Escape, Reason::Skip] {
        let dismissed = tour.dismiss(&progress, reason);
        assert_eq!(dismissed.then, Then::Ended(Ending::Dismissed(reason)));
        all.extend(events(&dismissed));
    }
    let last = continued(&tour.advance(&progress, Via::Button, later));
    all.extend(events(&tour.advance(&last, Via::Event, later)));
    assert_eq!(
        all,
        [
            ("$tour_started", json!({"tour": "tour-1"})),
            (
                "$step_viewed",
                json!({"tour": "tour-1", "step": 0, "step_id": "a", "strategy": "id"})
            ),
            (
                "$step_completed",
                json!({"tour": "tour-1", "step": 0, "step_id": "a", "via": "button"})
            ),
            (
                "$step_target_missing",
                json!({"tour": "tour-1", "step": 0, "step_id": "a", "waited_ms": 8000, "fallback": "skip"})
            ),
            (
                "$tour_dismissed",
                json!({"tour": "tour-1", "step": 0, "step_id": "a", "reason": "close"})
            ),
            (
                "$tour_dismissed",
                json!({"tour": "tour-1", "step": 0, "step_id": "a", "reason": "escape"})
            ),
            (
                "$tour_dismissed",
                json!({"tour": "tour-1", "step": 0, "step_id": "a", "reason": "skip"})
            ),
            (
                "$step_completed",
                json!({"tour": "tour-1", "step": 1, "step_id": "b", "via": "event"})
            ),
            ("$tour_completed", json!({"tour": "tour-1"})),
        ]
    );
}

#[test]
fn back_goes_one_step_back_and_records_nothing() {
    let tour =
        valid(json!({"tour": {"steps": [{"id": "a", "title": "A"}, {"id": "b", "title": "B"}]}}));
    let first = continued(&tour.start(T0));
    let second = continued(&tour.advance(&first, Via::Button, T0));
    let back = tour.back(&second, T0.plus(SECOND));
    assert_eq!(back.records, []);
    let again = continued(&back);
    assert_eq!((again.step, again.step_id.as_str()), (0, "a"));
    assert_eq!(
        continued(&tour.back(&again, T0)).step,
        0,
        "the first stays first"
    );
}

#[test]
fn names_and_texts_match_ignoring_spacing_and_ascii_case() {
    assert!(same_text("New invoice", "  new\n  INVOICE "));
    assert!(!same_text("New invoice", "New invoices"));
    assert!(!same_text("New invoice", "New"));
    assert!(same_text("", "   "));
}

#[test]
fn plain_bodies_are_not_markdown() {
    let tour =
        valid(json!({"tour": {"format": "plain", "steps": [{"id": "a", "body": "**not bold**"}]}}));
    let progress = continued(&tour.start(T0));
    let Now::Show(view) = tour.now(&progress, "https://x/", None) else {
        panic!("shows");
    };
    assert_eq!(view.body().unwrap().text(), "**not bold**");
    assert_eq!(view.title(), None);
}
