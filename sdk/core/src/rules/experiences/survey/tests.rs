//! The survey model's tests: reading definitions and running them.

use super::*;
use crate::rules::Severity;
use crate::value::{Properties, Value};

use serde_json::json;

/// Reads `survey` as the `survey` object of experience "nps" at `/experiences/0`, checks
/// its diagnostics (`"severity code pointer"`, in order) and returns it.
fn check(survey: &str, expected: &[&str]) -> Survey {
    let experience = format!(r#"{{"id": "nps", "kind": "survey", "survey": {survey}}}"#);
    let json: Value = serde_json::from_str(&experience).expect("test JSON");
    let mut diagnostics = Vec::new();
    let read = Survey::from_json(&json, "nps", "/experiences/0", &mut diagnostics);
    let found: Vec<String> = diagnostics
        .iter()
        .map(|d| {
            assert_eq!(d.subject, "nps", "{d:?}");
            let severity = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            format!("{severity} {} {}", d.code, d.pointer)
        })
        .collect();
    assert_eq!(found, expected);
    read
}

fn properties(properties: Option<Properties>) -> serde_json::Value {
    serde_json::to_value(properties.expect("properties")).expect("serializes")
}

fn start(survey: &Survey) -> Run {
    survey.start("en", "r-1").expect("starts in English")
}

const NPS: &str = r#"{
        "thank_you": "Thanks!", "auto_close_ms": 4000,
        "questions": [
            {"id": "score", "type": "nps",
             "text": "How likely are you to recommend Ledgerly to a friend or colleague?",
             "labels": {"low": "Not at all likely", "high": "Extremely likely"}},
            {"id": "why", "type": "text", "optional": true, "max_length": 1000,
             "text": "What could we do better?", "placeholder": "Tell us more",
             "text_by_band": {"detractor": "What disappointed you?", "promoter": "What do you like most?"}}
        ]}"#;

#[test]
fn an_nps_run_asks_its_follow_up_in_the_words_of_the_score_band() {
    let survey = check(NPS, &[]);
    let mut run = start(&survey);
    assert_eq!(
        properties(Some(run.shown_properties())),
        json!({"survey": "nps", "response": "r-1", "locale": "en"})
    );
    assert_eq!(
        run.question(),
        Some(QuestionView {
            id: "score",
            question_type: QuestionType::Nps,
            text: "How likely are you to recommend Ledgerly to a friend or colleague?",
            optional: false,
            input: Input::Rating {
                scale: Scale {
                    min: 0,
                    max: 10,
                    direction: Direction::Ascending
                },
                display: Display::Numbers,
                low: "Not at all likely",
                high: "Extremely likely",
            },
            initial: None,
            number: 1,
            total_at_most: 2,
            last: false,
            can_go_back: false,
        })
    );

    assert_eq!(run.answer(Answer::Rating(3)), Ok(Advance::Next));
    assert_eq!(
        properties(run.answer_properties("score")),
        json!({"survey": "nps", "response": "r-1", "locale": "en", "question": "score",
                   "question_type": "nps", "value": 3,
                   "scale": {"min": 0, "max": 10, "direction": "ascending"}})
    );
    let follow_up = run.question().unwrap();
    assert_eq!(follow_up.text, "What disappointed you?");
    assert_eq!(
        (follow_up.number, follow_up.total_at_most, follow_up.last),
        (2, 2, true)
    );
    assert_eq!(
        follow_up.input,
        Input::Text {
            placeholder: "Tell us more",
            max_length: 1000
        }
    );

    for (score, wording) in [
        (10, "What do you like most?"),
        (9, "What do you like most?"),
        (7, "What could we do better?"),
        (6, "What disappointed you?"),
    ] {
        assert!(run.back());
        assert_eq!(run.answer(Answer::Rating(score)), Ok(Advance::Next));
        assert_eq!(run.question().unwrap().text, wording, "score {score}");
    }

    assert_eq!(
        run.answer(Answer::Text("  Faster exports \n".into())),
        Ok(Advance::ThankYou {
            auto_close_ms: 4000
        })
    );
    assert_eq!(
        properties(run.answer_properties("why")),
        json!({"survey": "nps", "response": "r-1", "locale": "en", "question": "why",
                   "question_type": "text", "value": "Faster exports"})
    );
    assert_eq!(
        properties(run.completed_properties()),
        json!({"survey": "nps", "response": "r-1", "locale": "en"})
    );
    assert_eq!(
        run.screen(),
        Screen::ThankYou {
            text: "Thanks!",
            auto_close_ms: 4000
        }
    );
    assert_eq!(run.dismissed_properties(), None, "the survey was completed");
    assert_eq!(run.answer(Answer::Rating(1)), Err(AnswerProblem::Finished));
    assert!(!run.back(), "a completed survey's answers are in");
}

#[test]
fn ces_scales_of_five_and_seven_points_report_their_direction() {
    let survey = check(
        r#"{"questions": [
                {"id": "effort5", "type": "ces", "scale": 5, "direction": "descending",
                 "text": "How much effort did exporting take?", "labels": {"low": "Very little", "high": "A great deal"}},
                {"id": "effort7", "type": "ces", "direction": "descending",
                 "text": "How much effort did importing take?", "labels": {"low": "Very little", "high": "A great deal"}},
                {"id": "easy", "type": "ces", "text": "Ledgerly made it easy for me to export my invoices.",
                 "labels": {"low": "Strongly disagree", "high": "Strongly agree"}}
            ]}"#,
        &[],
    );
    let mut run = start(&survey);
    assert_eq!(
        run.answer(Answer::Rating(6)),
        Err(AnswerProblem::OutOfRange { min: 1, max: 5 })
    );
    assert_eq!(run.answer(Answer::Rating(2)), Ok(Advance::Next));
    assert_eq!(
        run.answer(Answer::Rating(0)),
        Err(AnswerProblem::OutOfRange { min: 1, max: 7 })
    );
    assert_eq!(run.answer(Answer::Rating(7)), Ok(Advance::Next));
    let Some(QuestionView {
        input: Input::Rating { scale, low, .. },
        ..
    }) = run.question()
    else {
        panic!("a rating")
    };
    assert_eq!(
        (scale.max, scale.direction, low),
        (7, Direction::Ascending, "Strongly disagree"),
        "seven points, ascending, by default"
    );
    assert_eq!(run.answer(Answer::Rating(6)), Ok(Advance::Close));
    let scale = |question: &str| properties(run.answer_properties(question))["scale"].clone();
    assert_eq!(
        scale("effort5"),
        json!({"min": 1, "max": 5, "direction": "descending"})
    );
    assert_eq!(
        scale("effort7"),
        json!({"min": 1, "max": 7, "direction": "descending"})
    );
    assert_eq!(
        scale("easy"),
        json!({"min": 1, "max": 7, "direction": "ascending"})
    );
}

#[test]
fn csat_is_one_to_five_drawn_as_stars_when_asked() {
    let survey = check(
        r#"{"questions": [{"id": "sat", "type": "csat", "display": "stars",
                "text": "How satisfied are you with invoicing?"}]}"#,
        &[],
    );
    let mut run = start(&survey);
    assert_eq!(
        run.question().unwrap().input,
        Input::Rating {
            scale: Scale {
                min: 1,
                max: 5,
                direction: Direction::Ascending
            },
            display: Display::Stars,
            low: "",
            high: "",
        }
    );
    assert_eq!(
        run.answer(Answer::Rating(0)),
        Err(AnswerProblem::OutOfRange { min: 1, max: 5 })
    );
    assert_eq!(
        run.answer(Answer::Rating(5)),
        Ok(Advance::Close),
        "no thank-you: close at once"
    );
    assert_eq!(run.screen(), Screen::Closed);
    assert_eq!(
        properties(run.answer_properties("sat")),
        json!({"survey": "nps", "response": "r-1", "locale": "en", "question": "sat",
                   "question_type": "csat", "value": 5,
                   "scale": {"min": 1, "max": 5, "direction": "ascending"}})
    );
    assert!(run.completed_properties().is_some());
}

const BRANCHING: &str = r#"{"questions": [
        {"id": "role", "type": "single", "text": "What is your role?",
         "choices": [{"id": "dev", "label": "Developer"}, {"id": "pm", "label": "Product manager"},
                     {"id": "other", "label": "Something else"}],
         "branch": [{"when": {"in": ["dev"]}, "to": "stack"}, {"when": {"in": ["other"]}, "to": "end"}]},
        {"id": "team", "type": "text", "text": "How large is your team?"},
        {"id": "stack", "type": "multiple", "text": "What do you build with?", "max": 2,
         "choices": [{"id": "rust", "label": "Rust"}, {"id": "go", "label": "Go"},
                     {"id": "ts", "label": "TypeScript"}, {"id": "none", "label": "None of these", "exclusive": true}]},
        {"id": "score", "type": "nps", "text": "How likely are you to recommend us?",
         "labels": {"low": "Not likely", "high": "Very likely"},
         "branch": [{"when": {"gte": 9}, "to": "end"}]},
        {"id": "fix", "type": "text", "text": "What should we fix first?"}
    ]}"#;

/// The id, number and total of the question on screen.
fn place(run: &Run) -> (&str, usize, usize) {
    let view = run.question().expect("a question");
    (view.id, view.number, view.total_at_most)
}

#[test]
fn branches_jump_forward_or_end_and_the_total_only_shrinks() {
    let survey = check(BRANCHING, &[]);
    let mut run = start(&survey);
    assert_eq!(place(&run), ("role", 1, 5));
    assert_eq!(run.answer(Answer::Choice("dev".into())), Ok(Advance::Next));
    assert_eq!(place(&run), ("stack", 2, 4), "team is jumped over");
    run.answer(Answer::Choices(vec!["go".into(), "rust".into()]))
        .unwrap();
    assert_eq!(place(&run), ("score", 3, 4));
    assert_eq!(
        properties(run.answer_properties("stack"))["value"],
        json!(["rust", "go"]),
        "choices in the question's order"
    );
    assert_eq!(run.answer(Answer::Rating(9)), Ok(Advance::Close));

    let mut run = start(&survey);
    run.answer(Answer::Choice("pm".into())).unwrap();
    assert_eq!(
        place(&run),
        ("team", 2, 5),
        "the default is the next question"
    );
    run.answer(Answer::Text("12".into())).unwrap();
    run.answer(Answer::Choices(vec!["ts".into()])).unwrap();
    run.answer(Answer::Rating(6)).unwrap();
    assert_eq!(place(&run), ("fix", 5, 5));
    assert!(run.question().unwrap().last);

    let mut run = start(&survey);
    assert_eq!(
        run.answer(Answer::Choice("other".into())),
        Ok(Advance::Close)
    );
    assert!(run.completed_properties().is_some());
}

#[test]
fn back_returns_to_the_question_shown_before_with_its_answer() {
    let survey = check(BRANCHING, &[]);
    let mut run = start(&survey);
    run.answer(Answer::Choice("dev".into())).unwrap();
    run.answer(Answer::Choices(vec!["rust".into(), "go".into()]))
        .unwrap();
    assert!(run.back());
    let stack = run.question().unwrap();
    assert_eq!(
        (stack.id, stack.initial),
        (
            "stack",
            Some(Answer::Choices(vec!["rust".into(), "go".into()]))
        )
    );
    assert!(run.back(), "back along the path taken, not the list");
    let role = run.question().unwrap();
    assert_eq!(
        (role.id, role.initial, role.can_go_back),
        ("role", Some(Answer::Choice("dev".into())), false)
    );
    assert!(!run.back(), "nothing before the first question");
    run.answer(Answer::Choice("pm".into())).unwrap();
    assert_eq!(place(&run), ("team", 2, 5));
    run.answer(Answer::Text("3".into())).unwrap();
    assert_eq!(
        run.question().unwrap().initial,
        Some(Answer::Choices(vec!["rust".into(), "go".into()])),
        "an answer from an abandoned branch is still the initial value"
    );
}

#[test]
fn invalid_answers_say_exactly_what_is_wrong_and_keep_the_question() {
    let survey = check(
        r#"{"questions": [
                {"id": "score", "type": "nps", "text": "Recommend us?", "labels": {"low": "No", "high": "Yes"}},
                {"id": "role", "type": "single", "text": "Role?", "choices": [{"id": "dev", "label": "Developer"}]},
                {"id": "stack", "type": "multiple", "text": "Stack?", "min": 2, "max": 3,
                 "choices": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}, {"id": "c", "label": "C"},
                             {"id": "d", "label": "D"}, {"id": "none", "label": "None", "exclusive": true}]},
                {"id": "note", "type": "text", "text": "Anything else?", "max_length": 5}
            ]}"#,
        &[],
    );
    let mut run = start(&survey);
    for (answer, problem) in [
        (
            Answer::Rating(11),
            AnswerProblem::OutOfRange { min: 0, max: 10 },
        ),
        (
            Answer::Rating(-1),
            AnswerProblem::OutOfRange { min: 0, max: 10 },
        ),
        (Answer::Choice("dev".into()), AnswerProblem::WrongKind),
    ] {
        assert_eq!(run.answer(answer), Err(problem));
    }
    assert_eq!(run.skip(), Err(AnswerProblem::Required));
    assert_eq!(run.question().unwrap().id, "score", "still on screen");
    run.answer(Answer::Rating(10)).unwrap();

    assert_eq!(
        run.answer(Answer::Choice("cto".into())),
        Err(AnswerProblem::UnknownChoice("cto".into()))
    );
    run.answer(Answer::Choice("dev".into())).unwrap();

    let choices = |ids: &[&str]| Answer::Choices(ids.iter().map(|&id| id.into()).collect());
    for (answer, problem) in [
        (
            choices(&["a", "b", "c", "d"]),
            AnswerProblem::TooManyChoices { max: 3 },
        ),
        (choices(&["a"]), AnswerProblem::TooFewChoices { min: 2 }),
        (choices(&[]), AnswerProblem::TooFewChoices { min: 2 }),
        (
            choices(&["a", "a"]),
            AnswerProblem::DuplicateChoice("a".into()),
        ),
        (
            choices(&["a", "z"]),
            AnswerProblem::UnknownChoice("z".into()),
        ),
        (
            choices(&["a", "none"]),
            AnswerProblem::ExclusiveChoice("none".into()),
        ),
    ] {
        assert_eq!(run.answer(answer), Err(problem));
    }
    run.answer(choices(&["b", "a"])).unwrap();

    assert_eq!(
        run.answer(Answer::Text("abcdef".into())),
        Err(AnswerProblem::TooLong { max_length: 5 })
    );
    assert_eq!(
        run.answer(Answer::Text(" \n ".into())),
        Err(AnswerProblem::Required)
    );
    assert_eq!(
        run.answer(Answer::Text("  ééééé  ".into())),
        Ok(Advance::Close),
        "characters are counted after trimming, not bytes"
    );
}

#[test]
fn optional_questions_can_be_skipped_and_send_no_answer() {
    let survey = check(
        r#"{"questions": [
                {"id": "score", "type": "nps", "optional": true, "text": "Recommend us?",
                 "labels": {"low": "No", "high": "Yes"}, "branch": [{"when": {"skipped": true}, "to": "note"}]},
                {"id": "tags", "type": "multiple", "optional": true, "text": "Tags?", "choices": [{"id": "a", "label": "A"}]},
                {"id": "note", "type": "text", "optional": true, "text": "Anything else?",
                 "text_by_band": {"detractor": "What went wrong?"}}
            ]}"#,
        &[],
    );
    let mut run = start(&survey);
    assert_eq!(run.skip(), Ok(Advance::Next));
    assert_eq!(run.answer_properties("score"), None);
    let note = run.question().unwrap();
    assert_eq!(
        (note.id, note.text),
        ("note", "Anything else?"),
        "a skipped NPS has no band"
    );
    assert_eq!(run.answer(Answer::Text("   ".into())), Ok(Advance::Close));
    assert_eq!(
        run.answer_properties("note"),
        None,
        "empty optional text is a skip"
    );

    let mut run = start(&survey);
    run.answer(Answer::Rating(2)).unwrap();
    assert_eq!(run.answer(Answer::Choices(Vec::new())), Ok(Advance::Next));
    assert_eq!(run.answer_properties("tags"), None);
    assert_eq!(run.question().unwrap().text, "What went wrong?");
}

#[test]
fn a_dismissal_names_the_question_on_screen() {
    let survey = check(NPS, &[]);
    let mut run = survey.start("EN", "r-2").unwrap();
    run.answer(Answer::Rating(8)).unwrap();
    assert_eq!(
        properties(run.dismissed_properties()),
        json!({"survey": "nps", "response": "r-2", "locale": "en", "question": "why"})
    );
    assert_eq!(run.completed_properties(), None);
}

#[test]
fn html_in_texts_is_kept_verbatim_for_the_renderer_to_set_as_text() {
    let survey = check(
        r#"{"thank_you": "Thanks &amp; <b>bye</b>", "questions": [{"id": "pick", "type": "single",
                "text": "<b>Bold</b> & <script>alert(1)</script>",
                "choices": [{"id": "x", "label": "<img src=x onerror=alert(1)>"}]}]}"#,
        &[],
    );
    let mut run = start(&survey);
    let view = run.question().unwrap();
    assert_eq!(view.text, "<b>Bold</b> & <script>alert(1)</script>");
    let Input::Choices { choices, .. } = view.input else {
        panic!("choices")
    };
    assert_eq!(choices[0].label, "<img src=x onerror=alert(1)>");
    run.answer(Answer::Choice("x".into())).unwrap();
    assert_eq!(
        run.screen(),
        Screen::ThankYou {
            text: "Thanks &amp; <b>bye</b>",
            auto_close_ms: DEFAULT_AUTO_CLOSE_MS
        }
    );
}

#[test]
fn a_user_gets_a_locale_the_survey_is_complete_in_or_no_survey() {
    let survey = check(
        r#"{"default_locale": "en", "thank_you": {"en": "Thanks!", "fr": "Merci !", "de": "Danke!"},
                "questions": [{"id": "score", "type": "nps",
                  "text": {"en": "How likely?", "fr": "Quelle probabilité ?", "de": "Wie wahrscheinlich?"},
                  "labels": {"low": {"en": "Unlikely", "fr": "Improbable", "de": "Unwahrscheinlich"},
                             "high": {"en": "Likely", "fr": "Probable"}}}]}"#,
        &["warning incomplete_locale /experiences/0/survey/questions/0/labels/high"],
    );
    assert_eq!(survey.locales, ["en", "fr"]);
    assert_eq!(survey.locale_for(Some("fr-CA")), Some("fr"));
    assert_eq!(
        survey.locale_for(Some("de-DE")),
        Some("en"),
        "German is incomplete: the default"
    );
    assert_eq!(survey.locale_for(None), Some("en"));
    assert!(survey.start("de", "r").is_none());
    let run = survey.start("fr", "r-3").unwrap();
    let view = run.question().unwrap();
    assert_eq!(view.text, "Quelle probabilité ?");
    assert_eq!(
        properties(Some(run.shown_properties()))["locale"],
        json!("fr")
    );

    let survey = check(
        r#"{"default_locale": "en", "questions": [{"id": "q", "type": "text",
                "text": {"fr": "Une idée ?", "de": "Eine Idee?"}, "placeholder": {"fr": "Votre idée"}}]}"#,
        &[
            "warning incomplete_locale /experiences/0/survey/questions/0/placeholder",
            "warning default_locale_not_offered /experiences/0/survey/default_locale",
        ],
    );
    assert_eq!(survey.locale_for(Some("fr-BE")), Some("fr"));
    assert_eq!(survey.locale_for(Some("de")), None, "skipped for this user");
    assert_eq!(survey.locale_for(None), None);

    check(
        r#"{"questions": [{"id": "q", "type": "text", "text": {"en": "Idea?"}, "placeholder": {"fr": "Idée"}}]}"#,
        &[
            "warning incomplete_locale /experiences/0/survey/questions/0/placeholder",
            "warning incomplete_locale /experiences/0/survey/questions/0/text",
            "error no_complete_locale /experiences/0/survey",
        ],
    );
}

#[test]
fn branch_targets_must_be_later_questions_or_end() {
    check(
        r#"{"questions": [
                {"id": "a", "type": "text", "text": "A", "branch": [{"to": "a"}]},
                {"id": "b", "type": "text", "text": "B",
                 "branch": [{"to": "a"}, {"to": "nowhere"}, {"when": {"answered": true}}, {"to": "end"}]}
            ]}"#,
        &[
            "error backward_branch /experiences/0/survey/questions/0/branch/0/to",
            "error backward_branch /experiences/0/survey/questions/1/branch/0/to",
            "error unknown_branch_target /experiences/0/survey/questions/1/branch/1/to",
            "error missing_branch_target /experiences/0/survey/questions/1/branch/2/to",
        ],
    );
}

#[test]
fn branch_conditions_are_checked_against_their_question() {
    check(
            r#"{"questions": [
                {"id": "score", "type": "nps", "text": "Score?", "labels": {"low": "No", "high": "Yes"},
                 "branch": [{"when": {"gte": 11}, "to": "end"}, {"when": {"in": ["x"]}, "to": "end"},
                            {"when": {"skipped": true}, "to": "end"}, {"when": {"contains": "x"}, "to": "end"},
                            {"when": "always", "to": "end"}, "sometimes"]},
                {"id": "role", "type": "single", "text": "Role?", "choices": [{"id": "dev", "label": "Dev"}],
                 "branch": [{"when": {"in": ["dev", "cto"]}, "to": "end"}, {"when": {"eq": 1}, "to": "end"},
                            {"to": "note"}, {"when": {"answered": "yes"}, "to": "end"}, {"to": "end"}]},
                {"id": "note", "type": "text", "text": "Note?", "branch": {"to": "end"}}
            ]}"#,
            &[
                "error invalid_branch_condition /experiences/0/survey/questions/0/branch/0/when/gte",
                "error invalid_branch_condition /experiences/0/survey/questions/0/branch/1/when/in",
                "warning unreachable_branch /experiences/0/survey/questions/0/branch/2/when/skipped",
                "error unknown_branch_operator /experiences/0/survey/questions/0/branch/3/when/contains",
                "error invalid_branch_condition /experiences/0/survey/questions/0/branch/4/when",
                "error invalid_branch /experiences/0/survey/questions/0/branch/5",
                "error unknown_choice /experiences/0/survey/questions/1/branch/0/when/in/1",
                "error invalid_branch_condition /experiences/0/survey/questions/1/branch/1/when/eq",
                "warning unreachable_branch /experiences/0/survey/questions/1/branch/3",
                "error invalid_branch_condition /experiences/0/survey/questions/1/branch/3/when/answered",
                "warning unreachable_branch /experiences/0/survey/questions/1/branch/4",
                "error invalid_branch /experiences/0/survey/questions/2/branch",
            ],
        );
}

#[test]
fn questions_no_path_reaches_and_band_wording_without_an_nps_are_warnings() {
    let survey = check(
        r#"{"questions": [
                {"id": "why", "type": "text", "text": "Why?", "text_by_band": {"promoter": "Why so happy?"},
                 "branch": [{"to": "last"}]},
                {"id": "lost", "type": "text", "text": "Never asked"},
                {"id": "last", "type": "text", "text": "Last"}
            ]}"#,
        &[
            "warning no_nps_before /experiences/0/survey/questions/0/text_by_band",
            "warning unreachable_question /experiences/0/survey/questions/1",
        ],
    );
    assert_eq!(place(&start(&survey)), ("why", 1, 2));
}

#[test]
fn every_question_problem_is_diagnosed_at_its_pointer() {
    let q = "/experiences/0/survey/questions";
    let expected: Vec<String> = [
        "error missing_question_id 0/id",
        "error duplicate_question_id 2/id",
        "error reserved_question_id 3/id",
        "error unknown_question_type 4/type",
        "error missing_text 5/text",
        "error missing_labels 6/labels",
        "error missing_text 7/labels/high",
        "error invalid_scale 8/scale",
        "error invalid_direction 8/direction",
        "error invalid_scale 9/scale",
        "warning invalid_display 9/display",
        "error no_choices 10/choices",
        "error missing_choice_id 11/choices/0/id",
        "error missing_text 11/choices/1/label",
        "error duplicate_choice_id 11/choices/3/id",
        "error invalid_choice 11/choices/4",
        "error min_above_max 12/min",
        "error invalid_min 13/min",
        "error invalid_max 13/max",
        "error invalid_max_length 14/max_length",
        "error invalid_text_by_band 15/text_by_band",
        "error invalid_text 16/text",
        "error invalid_labels 17/labels",
        "error invalid_question 18",
    ]
    .iter()
    .map(|d| {
        let (code, at) = d.rsplit_once(' ').unwrap();
        format!("{code} {q}/{at}")
    })
    .collect();
    check(
        r#"{"questions": [
                {"type": "text", "text": "No id"},
                {"id": "a", "type": "text", "text": "A"},
                {"id": "a", "type": "text", "text": "Again"},
                {"id": "end", "type": "text", "text": "End"},
                {"id": "b", "type": "slider", "text": "B"},
                {"id": "c", "type": "text", "text": " "},
                {"id": "d", "type": "nps", "text": "D"},
                {"id": "e", "type": "nps", "text": "E", "labels": {"low": "Low"}},
                {"id": "f", "type": "ces", "scale": 6, "direction": "up", "text": "F", "labels": {"low": "L", "high": "H"}},
                {"id": "g", "type": "csat", "scale": 10, "display": "emoji", "text": "G"},
                {"id": "h", "type": "single", "text": "H"},
                {"id": "i", "type": "single", "text": "I",
                 "choices": [{"label": "No id"}, {"id": "x"}, {"id": "y", "label": "Y"}, {"id": "y", "label": "Y again"}, "z"]},
                {"id": "j", "type": "multiple", "text": "J", "choices": [{"id": "p", "label": "P"}, {"id": "q", "label": "Q"}],
                 "min": 2, "max": 1},
                {"id": "k", "type": "multiple", "text": "K", "choices": [{"id": "p", "label": "P"}], "min": 0, "max": 3},
                {"id": "l", "type": "text", "text": "L", "max_length": 0},
                {"id": "m", "type": "text", "text": "M", "text_by_band": "x"},
                {"id": "n", "type": "text", "text": 7},
                {"id": "o", "type": "csat", "text": "O", "labels": "Bad to good"},
                "not a question"
            ]}"#,
        &expected.iter().map(String::as_str).collect::<Vec<_>>(),
    );
}

#[test]
fn survey_level_problems_are_diagnosed_and_cosmetic_ones_are_warnings() {
    check("null", &["error missing_survey /experiences/0/survey"]);
    check(
        r#"{"questions": []}"#,
        &["error no_questions /experiences/0/survey/questions"],
    );
    check(
        r#"{"default_locale": "english!", "position": "middle", "layout": "sidebar",
                "theme": {"accent": "url(x)"}, "thank_you": 3, "auto_close_ms": -1,
                "questions": [{"id": "q", "type": "text", "text": "Q"}], "added_by_a_newer_console": true}"#,
        &[
            "error invalid_locale /experiences/0/survey/default_locale",
            "warning invalid_position /experiences/0/survey/position",
            "warning invalid_layout /experiences/0/survey/layout",
            "warning invalid_theme /experiences/0/survey/theme/accent",
            "error invalid_text /experiences/0/survey/thank_you",
            "warning invalid_auto_close /experiences/0/survey/auto_close_ms",
        ],
    );
}

/// A survey of one text question (`text`, JSON) with these `labels` (JSON).
fn labelled(text: &str, labels: &str) -> String {
    format!(
        r#"{{"questions": [{{"id": "q", "type": "text", "text": {text}}}], "labels": {labels}}}"#
    )
}

#[test]
fn a_survey_gives_its_own_control_words_and_leaves_the_others_to_the_renderer() {
    let survey = check(
        &labelled(
            r#""Idea?""#,
            r#"{"close": "Close", "back": "Previous", "next": "On", "submit": "Send",
                "skip": "Not now", "required": "An answer, please.", "at_least": "Pick {n} or more",
                "at_most": "Pick {n} at most", "alone": "Only on its own.", "too_long": "{n} characters at most"}"#,
        ),
        &[],
    );
    let run = start(&survey);
    let words = ControlWord::ALL.map(|word| run.label(word));
    assert_eq!(
        words,
        [
            Some("Close"),
            Some("Previous"),
            Some("On"),
            Some("Send"),
            Some("Not now"),
            Some("An answer, please."),
            Some("Pick {n} or more"),
            Some("Pick {n} at most"),
            Some("Only on its own."),
            Some("{n} characters at most"),
        ]
    );

    let survey = check(&labelled(r#""Idea?""#, r#"{"submit": "Send"}"#), &[]);
    let run = start(&survey);
    assert_eq!(run.label(ControlWord::Submit), Some("Send"));
    assert_eq!(run.label(ControlWord::Next), None, "the renderer's word");
    let survey = check(
        r#"{"questions": [{"id": "q", "type": "text", "text": "Idea?"}]}"#,
        &[],
    );
    assert_eq!(survey.labels, ControlWords::default());
}

#[test]
fn unknown_control_words_are_warnings_and_words_that_are_not_texts_are_errors() {
    let survey = check(
        &labelled(r#""Idea?""#, r#"{"sumbit": "Send", "next": "On"}"#),
        &["warning unknown_label /experiences/0/survey/labels/sumbit"],
    );
    assert_eq!(start(&survey).label(ControlWord::Next), Some("On"));
    assert_eq!(start(&survey).label(ControlWord::Submit), None);
    check(
        &labelled(
            r#""Idea?""#,
            r#"{"next": 3, "back": {"en": true}, "skip": null, "submit": {}}"#,
        ),
        &[
            "error invalid_text /experiences/0/survey/labels/next",
            "error invalid_text /experiences/0/survey/labels/back/en",
            "error invalid_text /experiences/0/survey/labels/skip",
            "error invalid_text /experiences/0/survey/labels/submit",
        ],
    );
    check(
        &labelled(r#""Idea?""#, r#"["Next"]"#),
        &["error invalid_labels /experiences/0/survey/labels"],
    );
}

#[test]
fn control_words_are_translated_and_count_toward_the_locales_offered() {
    let survey = check(
        &labelled(
            r#"{"en": "Idea?", "ja": "ご意見は？", "pt-BR": "Alguma ideia?"}"#,
            r#"{"submit": {"en": "Send", "ja": "送信", "pt-BR": "Enviar"}, "skip": {"en": "Not now", "ja": "後で"}}"#,
        ),
        &["warning incomplete_locale /experiences/0/survey/labels/skip"],
    );
    assert_eq!(survey.locales, ["en", "ja"]);
    assert_eq!(
        survey.locale_for(Some("pt-BR")),
        Some("en"),
        "a label lacks Portuguese: the default"
    );
    let run = survey.start("ja", "r-1").expect("starts in Japanese");
    assert_eq!(run.label(ControlWord::Submit), Some("送信"));
    assert_eq!(run.label(ControlWord::Skip), Some("後で"));
    assert_eq!(run.label(ControlWord::Back), None);
    assert_eq!(
        start(&survey).label(ControlWord::Submit),
        Some("Send"),
        "English"
    );

    // A label written as a plain string is in the default locale only.
    let survey = check(
        &labelled(
            r#"{"en": "Idea?", "ja": "ご意見は？"}"#,
            r#"{"next": "Go"}"#,
        ),
        &["warning incomplete_locale /experiences/0/survey/labels/next"],
    );
    assert_eq!(survey.locales, ["en"]);
    let survey = check(
        r#"{"default_locale": "ja", "questions": [{"id": "q", "type": "text", "text": "ご意見は？"}],
            "labels": {"next": "次へ"}}"#,
        &[],
    );
    assert_eq!(survey.locales, ["ja"]);
    let run = survey.start("ja", "r-2").expect("starts in Japanese");
    assert_eq!(run.label(ControlWord::Next), Some("次へ"));
}

#[test]
fn a_narrow_viewport_gets_a_bottom_sheet_whatever_the_layout() {
    let question = r#"[{"id": "q", "type": "text", "text": "Q"}]"#;
    let popover = check(&format!(r#"{{"questions": {question}}}"#), &[]);
    assert_eq!(popover.layout, Layout::Popover(Corner::BottomRight));
    assert_eq!(popover.layout_for(1280), popover.layout);
    assert_eq!(popover.layout_for(640), popover.layout);
    assert_eq!(popover.layout_for(639), Layout::BottomSheet);
    let corner = check(
        &format!(r#"{{"position": "top-left", "questions": {question}}}"#),
        &[],
    );
    assert_eq!(corner.layout, Layout::Popover(Corner::TopLeft));
    let modal = check(
        &format!(r#"{{"layout": "modal", "questions": {question}}}"#),
        &[],
    );
    assert_eq!(modal.layout_for(1024), Layout::Modal);
    assert_eq!(modal.layout_for(375), Layout::BottomSheet);
}

#[test]
fn shuffled_choices_keep_one_order_per_response_and_fixed_choices_in_place() {
    let survey = check(
        r#"{"questions": [{"id": "tool", "type": "single", "text": "Tool?", "shuffle": true,
                "choices": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}, {"id": "c", "label": "C"},
                            {"id": "d", "label": "D"}, {"id": "other", "label": "Other", "fixed": true}]}]}"#,
        &[],
    );
    let order = |response: &str| -> Vec<String> {
        let run = survey.start("en", response).unwrap();
        let Input::Choices { choices, .. } = run.question().unwrap().input else {
            panic!("choices")
        };
        choices.iter().map(|c| c.id.to_owned()).collect()
    };
    let mut orders = Vec::new();
    for i in 0..20 {
        let response = format!("r-{i}");
        let seen = order(&response);
        assert_eq!(seen, order(&response), "stable for one response");
        assert_eq!(seen.last().map(String::as_str), Some("other"));
        let mut sorted = seen.clone();
        sorted.sort();
        assert_eq!(sorted, ["a", "b", "c", "d", "other"]);
        if !orders.contains(&seen) {
            orders.push(seen);
        }
    }
    assert!(
        orders.len() > 5,
        "only {} orders in 20 responses",
        orders.len()
    );
}
