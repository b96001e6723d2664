//! Surveys in a real browser, through the module's export and a fake host.

use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

use crate::testing::{calls, host, in_root, js, page_html, until};
use crate::{show_survey, Showing};

const TAG: &str = "waymark-survey";

/// A request for a survey experience `s1` with this `survey` object (JavaScript source).
fn request(survey: &str, locale: &str) -> JsValue {
    js(&format!(
        "({{id: 's1', definition: {{id: 's1', kind: 'survey', survey: {survey}}}, locale: '{locale}', responseId: 'r1', progress: null, url: location.href}})"
    ))
}

fn show(survey: &str) -> Showing {
    // A test that failed leaves its survey behind (a panic does not unwind in wasm).
    js("document.querySelectorAll('waymark-survey').forEach(e => e.remove())");
    show_survey(request(survey, "en-GB"), host()).expect("the survey shows")
}

/// Evaluates `expression` with `root` bound to the survey's shadow root, as JSON text.
fn q(expression: &str) -> String {
    let value = in_root(TAG, &format!("JSON.stringify({expression})"));
    value.as_string().unwrap_or_else(|| "undefined".into())
}

fn click(selector: &str) {
    in_root(TAG, &format!("root.querySelector('{selector}').click()"));
}

/// Clicks the option whose text (or, for stars, accessible name) is `label`.
fn click_option(label: &str) {
    in_root(
        TAG,
        &format!("[...root.querySelectorAll('[data-a=o]')].find(b => (b.getAttribute('aria-label') || b.textContent) === '{label}').click()"),
    );
}

/// Presses `key` on the focused element inside the survey; returns whether the default
/// was left alone.
fn press(key: &str) -> bool {
    in_root(
        TAG,
        &format!("root.activeElement.dispatchEvent(new KeyboardEvent('keydown', {{key: '{key}', bubbles: true, cancelable: true, composed: true}}))"),
    )
    .as_bool()
    .unwrap_or(true)
}

fn focused() -> String {
    q("root.activeElement && (root.activeElement.getAttribute('aria-label') || root.activeElement.textContent)")
}

fn title() -> String {
    q("root.querySelector('h2').textContent")
}

/// The values of the `$survey_answered` events so far, as JSON.
fn answers() -> String {
    js("JSON.stringify(calls.filter(c => c[1] === '$survey_answered').map(c => [c[2].question, c[2].value]))")
        .as_string()
        .unwrap_or_default()
}

fn ended() -> String {
    js("JSON.stringify(calls.filter(c => c[0] === 'ended').map(c => c[2]))")
        .as_string()
        .unwrap_or_default()
}

const NPS: &str = r#"{
  thank_you: 'Thanks!', auto_close_ms: 0,
  questions: [
    {id: 'score', type: 'nps', text: 'How likely are you to recommend Ledgerly?',
     labels: {low: 'Not at all likely', high: 'Extremely likely'}},
    {id: 'why', type: 'text', text: 'What could we do better?', optional: true,
     text_by_band: {detractor: 'What disappointed you?', passive: 'What would make it a 10?', promoter: 'What do you like most?'},
     max_length: 20}]}"#;

#[wasm_bindgen_test]
fn nps_by_mouse_sends_each_answer_and_words_the_follow_up_by_band() {
    let before = page_html();
    let showing = show(NPS);
    assert_eq!(title(), "\"How likely are you to recommend Ledgerly?\"");
    assert_eq!(
        q("root.querySelectorAll('[role=radiogroup] [role=radio]').length"),
        "11"
    );
    assert_eq!(
        q("[...root.querySelectorAll('.e span')].map(s => s.textContent)"),
        r#"["Not at all likely","Extremely likely"]"#
    );
    assert_eq!(
        q("root.querySelector('[role=dialog],dialog').getAttribute('aria-labelledby')"),
        "\"q\""
    );
    click_option("9");
    assert_eq!(
        q("root.querySelector('[aria-checked=true]').textContent"),
        "\"9\""
    );
    click("[data-a=n]");
    assert_eq!(title(), "\"What do you like most?\"");
    // The answer went out at once, with its scale.
    assert_eq!(answers(), r#"[["score",9]]"#);
    assert_eq!(
        js("JSON.stringify(calls.find(c => c[1] === '$survey_answered')[2])")
            .as_string()
            .unwrap(),
        r#"{"survey":"s1","response":"r1","locale":"en","question":"score","question_type":"nps","value":9,"scale":{"min":0,"max":10,"direction":"ascending"}}"#
    );
    // Back shows the score chosen; a detractor's follow-up is worded for detractors.
    click("[data-a=b]");
    assert_eq!(
        q("root.querySelector('[aria-checked=true]').textContent"),
        "\"9\""
    );
    click_option("3");
    click("[data-a=n]");
    assert_eq!(title(), "\"What disappointed you?\"");
    click("[data-a=b]");
    click_option("7");
    click("[data-a=n]");
    assert_eq!(title(), "\"What would make it a 10?\"");
    in_root(
        TAG,
        "root.querySelector('textarea').value = '  Faster exports  '",
    );
    click("[data-a=n]");
    assert_eq!(
        answers(),
        r#"[["score",9],["score",3],["score",7],["why","Faster exports"]]"#
    );
    assert_eq!(title(), "\"Thanks!\"");
    assert_eq!(
        js("JSON.stringify(calls.filter(c => c[0] !== 'event').map(c => c[2]))")
            .as_string()
            .unwrap(),
        r#"["seen","answered","completed"]"#
    );
    assert!(js("calls.some(c => c[1] === '$survey_completed')")
        .as_bool()
        .unwrap());
    // Closing the thank-you ends the survey as completed, not dismissed.
    click("[data-a=x]");
    assert_eq!(ended(), r#"["completed"]"#);
    assert!(!js("calls.some(c => c[1] === '$survey_dismissed')")
        .as_bool()
        .unwrap());
    assert_eq!(page_html(), before);
    drop(showing);
}

#[wasm_bindgen_test]
fn nps_by_keyboard_alone_with_a_roving_tabindex() {
    let showing = show(NPS);
    // Focus moved in, to the first point, the only one in the Tab order.
    assert_eq!(focused(), "\"0\"");
    assert_eq!(
        q("[...root.querySelectorAll('[role=radio]')].filter(b => b.tabIndex === 0).length"),
        "1"
    );
    assert!(!press("ArrowRight"));
    assert!(!press("ArrowRight"));
    assert_eq!(focused(), "\"2\"");
    assert_eq!(
        q("root.querySelector('[aria-checked=true]').textContent"),
        "\"2\""
    );
    assert!(!press("End"));
    assert!(!press("ArrowLeft"));
    assert_eq!(focused(), "\"9\"");
    assert_eq!(
        q("root.querySelector('[tabindex=\"0\"][role=radio]').textContent"),
        "\"9\""
    );
    assert!(!press("ArrowRight"));
    assert!(!press("ArrowRight"));
    assert_eq!(focused(), "\"0\"", "arrows wrap around");
    assert!(!press("ArrowLeft"));
    assert!(!press("Enter"));
    assert_eq!(answers(), r#"[["score",10]]"#);
    assert_eq!(q("root.activeElement.tagName"), "\"TEXTAREA\"");
    // Escape dismisses, naming the question reached.
    assert!(!press("Escape"));
    assert_eq!(
        js("JSON.stringify(calls.find(c => c[1] === '$survey_dismissed')[2].question)")
            .as_string()
            .unwrap(),
        "\"why\""
    );
    assert_eq!(ended(), r#"["dismissed"]"#);
    assert!(js("document.querySelector('waymark-survey') === null")
        .as_bool()
        .unwrap());
    drop(showing);
}

#[wasm_bindgen_test]
fn ces_five_points_descending_by_keyboard_sends_its_scale() {
    let showing = show(
        r#"{questions: [{id: 'effort', type: 'ces', scale: 5, direction: 'descending',
            text: 'Ledgerly made it easy to export.', labels: {low: 'Strongly agree', high: 'Strongly disagree'}}]}"#,
    );
    assert_eq!(q("root.querySelectorAll('[role=radio]').length"), "5");
    assert_eq!(
        q("root.querySelector('[data-a=n]').textContent"),
        "\"Submit\""
    );
    press("ArrowDown");
    press("Enter");
    assert_eq!(
        js("JSON.stringify(calls.find(c => c[1] === '$survey_answered')[2].scale)")
            .as_string()
            .unwrap(),
        r#"{"min":1,"max":5,"direction":"descending"}"#
    );
    assert_eq!(answers(), r#"[["effort",2]]"#);
    // Without a thank-you, the last answer ends the survey.
    assert_eq!(ended(), r#"["completed"]"#);
    drop(showing);
}

#[wasm_bindgen_test]
fn csat_as_stars_by_mouse_fills_up_to_the_choice() {
    let showing = show(
        r#"{thank_you: 'Merci', questions: [{id: 'sat', type: 'csat', display: 'stars', text: 'How satisfied are you?'}]}"#,
    );
    assert_eq!(
        q("[...root.querySelectorAll('[role=radio]')].map(b => b.getAttribute('aria-label'))"),
        r#"["1","2","3","4","5"]"#
    );
    click_option("4");
    assert_eq!(q("root.querySelectorAll('.on').length"), "4");
    click("[data-a=n]");
    assert_eq!(answers(), r#"[["sat",4]]"#);
    assert_eq!(title(), "\"Merci\"");
    assert_eq!(
        q("root.querySelector('[aria-live=polite]').textContent"),
        "\"Merci\""
    );
    drop(showing);
}

#[wasm_bindgen_test]
fn csat_as_numbers_by_keyboard() {
    let showing =
        show(r#"{questions: [{id: 'sat', type: 'csat', text: 'How satisfied are you?'}]}"#);
    assert_eq!(
        q("[...root.querySelectorAll('[role=radio]')].map(b => b.textContent)"),
        r#"["1","2","3","4","5"]"#
    );
    press("End");
    press("Enter");
    assert_eq!(answers(), r#"[["sat",5]]"#);
    drop(showing);
}

const CHOICES: &str = r#"{thank_you: 'Thanks', questions: [
  {id: 'role', type: 'single', text: 'What is your role?',
   choices: [{id: 'dev', label: 'Developer'}, {id: 'pm', label: 'Product manager'}],
   branch: [{when: {in: ['pm']}, to: 'end'}]},
  {id: 'stack', type: 'multiple', text: 'Which do you use?', min: 1, max: 2,
   choices: [{id: 'rust', label: 'Rust'}, {id: 'go', label: 'Go'}, {id: 'ts', label: 'TypeScript'},
             {id: 'none', label: 'None of these', exclusive: true}]}]}"#;

#[wasm_bindgen_test]
fn single_choice_branches_to_the_end() {
    let showing = show(CHOICES);
    assert_eq!(
        q("root.querySelector('.f [data-a=n]').textContent"),
        "\"Next\""
    );
    click_option("Product manager");
    click("[data-a=n]");
    assert_eq!(answers(), r#"[["role","pm"]]"#);
    assert_eq!(title(), "\"Thanks\"");
    drop(showing);
}

#[wasm_bindgen_test]
fn multiple_choice_by_mouse_with_inline_errors_and_an_exclusive_choice() {
    let showing = show(CHOICES);
    click_option("Developer");
    click("[data-a=n]");
    assert_eq!(title(), "\"Which do you use?\"");
    assert_eq!(
        q("root.querySelector('[role=group]').getAttribute('aria-labelledby')"),
        "\"q\""
    );
    // Nothing chosen: an inline error, announced, and the question stays.
    click("[data-a=n]");
    assert_eq!(
        q("root.querySelector('.er').textContent"),
        "\"Choose at least 1\""
    );
    assert_eq!(
        q("root.querySelector('[aria-live=polite]').textContent"),
        "\"Choose at least 1\""
    );
    click_option("Rust");
    click_option("Go");
    click_option("TypeScript");
    click("[data-a=n]");
    assert_eq!(
        q("root.querySelector('.er').textContent"),
        "\"Choose at most 2\""
    );
    // The exclusive choice clears the others, and another choice clears it.
    click_option("None of these");
    assert_eq!(
        q("[...root.querySelectorAll('[aria-checked=true]')].map(b => b.textContent)"),
        r#"["None of these"]"#
    );
    click_option("Go");
    click_option("Rust");
    assert_eq!(
        q("[...root.querySelectorAll('[aria-checked=true]')].map(b => b.textContent)"),
        r#"["Rust","Go"]"#
    );
    click("[data-a=n]");
    assert_eq!(answers(), r#"[["role","dev"],["stack",["rust","go"]]]"#);
    drop(showing);
}

#[wasm_bindgen_test]
fn multiple_choice_by_keyboard_space_toggles_and_enter_answers() {
    let showing = show(CHOICES);
    press("ArrowDown");
    press("ArrowUp");
    press("Enter");
    assert_eq!(focused(), "\"Rust\"");
    assert_eq!(
        q("[...root.querySelectorAll('[role=checkbox]')].every(b => b.tabIndex === 0)"),
        "true"
    );
    assert!(!press(" "));
    in_root(TAG, "root.querySelectorAll('[role=checkbox]')[2].focus()");
    press(" ");
    press("Enter");
    assert_eq!(answers(), r#"[["role","dev"],["stack",["rust","ts"]]]"#);
    drop(showing);
}

#[wasm_bindgen_test]
fn open_text_is_limited_and_required_unless_optional() {
    let showing = show(
        r#"{questions: [{id: 'why', type: 'text', text: 'Why?', placeholder: 'Your answer', max_length: 5},
                        {id: 'more', type: 'text', text: 'Anything else?', optional: true}]}"#,
    );
    assert_eq!(q("root.querySelector('textarea').maxLength"), "5");
    assert_eq!(
        q("root.querySelector('textarea').placeholder"),
        "\"Your answer\""
    );
    assert_eq!(
        q("root.querySelector('[data-a=s]')"),
        "null",
        "no skip on a required question"
    );
    click("[data-a=n]");
    assert_eq!(
        q("root.querySelector('.er').textContent"),
        "\"Please answer this question.\""
    );
    assert_eq!(
        q("root.querySelector('textarea').getAttribute('aria-invalid')"),
        "\"true\""
    );
    // The field's own limit counts UTF-16 units; the model's, characters: a value set by
    // script past it is refused inline.
    in_root(TAG, "root.querySelector('textarea').value = 'abcdefgh'");
    click("[data-a=n]");
    assert_eq!(
        q("root.querySelector('.er').textContent"),
        "\"Characters allowed: 5\""
    );
    in_root(TAG, "root.querySelector('textarea').value = 'abc'");
    click("[data-a=n]");
    assert_eq!(title(), "\"Anything else?\"");
    click("[data-a=s]");
    assert_eq!(answers(), r#"[["why","abc"]]"#, "a skip sends no answer");
    assert_eq!(ended(), r#"["completed"]"#);
    drop(showing);
}

#[wasm_bindgen_test]
async fn the_thank_you_closes_by_itself() {
    let before = page_html();
    let showing = show(
        r#"{thank_you: 'Thanks!', auto_close_ms: 30, questions: [{id: 'sat', type: 'csat', text: 'Happy?'}]}"#,
    );
    click_option("5");
    click("[data-a=n]");
    assert_eq!(title(), "\"Thanks!\"");
    assert_eq!(ended(), "[]");
    until("the thank-you to close", 2000.0, || {
        ended() == r#"["completed"]"#
    })
    .await;
    assert_eq!(page_html(), before);
    drop(showing);
}

#[wasm_bindgen_test]
fn a_locale_without_a_translation_shows_nothing() {
    let before = page_html();
    let survey = r#"{default_locale: 'fr', questions: [{id: 'sat', type: 'csat', text: {fr: 'Satisfait ?'}}]}"#;
    let showing = show_survey(request(survey, "ja"), host());
    // French is the default, so Japanese users get French ...
    assert!(showing.is_some());
    assert_eq!(
        q("root.querySelector('[data-a=x]').getAttribute('aria-label')"),
        "\"Fermer le questionnaire\""
    );
    drop(showing);
    js("document.querySelector('waymark-survey')?.remove()");
    // ... but a survey whose default locale has no texts is for no one else.
    let survey = r#"{default_locale: 'de', questions: [{id: 'sat', type: 'csat', text: {fr: 'Satisfait ?'}}]}"#;
    let showing = show_survey(request(survey, "ja"), host());
    assert!(showing.is_none());
    assert_eq!(ended(), r#"["no_translation"]"#);
    assert_eq!(calls(), r#"[["ended","s1","no_translation"]]"#);
    assert_eq!(page_html(), before);
}

/// The texts of the buttons at the foot of the question.
fn buttons() -> String {
    q("[...root.querySelectorAll('.f button')].map(b => b.textContent)")
}

#[wasm_bindgen_test]
fn a_survey_shows_its_own_control_words_and_built_in_ones_for_the_rest() {
    js("document.querySelectorAll('waymark-survey').forEach(e => e.remove())");
    let survey = r#"{
      default_locale: 'ja',
      labels: {next: '次へ', submit: '送信', close: 'アンケートを閉じる',
               required: 'この質問にお答えください。', at_least: '{n}個以上選んでください'},
      questions: [
        {id: 'role', type: 'single', text: '職種は？',
         choices: [{id: 'dev', label: '開発者'}, {id: 'pm', label: 'PM'}]},
        {id: 'stack', type: 'multiple', text: '使っている言語は？', optional: true, min: 2,
         choices: [{id: 'rust', label: 'Rust'}, {id: 'go', label: 'Go'}, {id: 'ts', label: 'TypeScript'}]}]}"#;
    let showing = show_survey(request(survey, "ja-JP"), host()).expect("the survey shows");
    assert_eq!(buttons(), r#"["次へ"]"#);
    assert_eq!(
        q("root.querySelector('[data-a=x]').getAttribute('aria-label')"),
        "\"アンケートを閉じる\""
    );
    click("[data-a=n]");
    assert_eq!(
        q("root.querySelector('.er').textContent"),
        "\"この質問にお答えください。\""
    );
    click_option("開発者");
    click("[data-a=n]");
    assert_eq!(title(), "\"使っている言語は？\"");
    // Back and Skip are not given, and there are no built-in Japanese words: English.
    assert_eq!(buttons(), r#"["Back","Skip","送信"]"#);
    // The number goes where the words put it.
    click_option("Rust");
    click("[data-a=n]");
    assert_eq!(
        q("root.querySelector('.er').textContent"),
        "\"2個以上選んでください\""
    );
    drop(showing);

    // Where the survey gives a word, it replaces the built-in one of the locale; the others
    // are the locale's.
    js("document.querySelector('waymark-survey')?.remove()");
    let survey = r#"{default_locale: 'fr', labels: {submit: 'Valider'},
      questions: [{id: 'a', type: 'text', text: 'Une idée ?', optional: true},
                  {id: 'b', type: 'text', text: 'Une autre ?', max_length: 3}]}"#;
    let showing = show_survey(request(survey, "fr-CA"), host()).expect("the survey shows");
    assert_eq!(buttons(), r#"["Passer","Suivant"]"#);
    click("[data-a=s]");
    assert_eq!(buttons(), r#"["Retour","Valider"]"#);
    in_root(TAG, "root.querySelector('textarea').value = 'Beaucoup'");
    click("[data-a=n]");
    assert_eq!(
        q("root.querySelector('.er').textContent"),
        "\"Caractères autorisés : 3\""
    );
    drop(showing);
}

#[wasm_bindgen_test]
fn a_broken_definition_ends_as_invalid() {
    let before = page_html();
    assert!(show_survey(request("{questions: []}", "en"), host()).is_none());
    assert_eq!(calls(), r#"[["ended","s1","invalid"]]"#);
    assert_eq!(page_html(), before);
}

#[wasm_bindgen_test]
fn html_and_script_payloads_render_as_text() {
    js(
        r#"window.payload = String.raw`<img src=x onerror="window.pwned=1"><script>window.pwned=1</script><b>bold</b>`"#,
    );
    let showing = show(
        "{thank_you: payload, questions: [{id: 'role', type: 'single', text: payload, choices: [{id: 'a', label: payload}]}]}",
    );
    assert_eq!(
        q("root.querySelector('h2').textContent === payload"),
        "true"
    );
    assert_eq!(
        q("root.querySelector('[role=radio]').textContent === payload"),
        "true"
    );
    assert_eq!(q("root.querySelectorAll('img, script, b').length"), "0");
    in_root(TAG, "root.querySelector('[role=radio]').click()");
    click("[data-a=n]");
    assert_eq!(
        q("root.querySelector('h2').textContent === payload"),
        "true"
    );
    assert_eq!(q("root.querySelectorAll('img, script, b').length"), "0");
    assert!(js("window.pwned === undefined").as_bool().unwrap());
    drop(showing);
}

#[wasm_bindgen_test]
fn close_takes_it_down_recording_nothing_and_the_page_is_byte_identical() {
    let before = page_html();
    let showing = show(NPS);
    click_option("8");
    click("[data-a=n]");
    assert_ne!(page_html(), before);
    showing.close();
    assert_eq!(page_html(), before);
    assert_eq!(ended(), r#"["closed"]"#);
    assert!(!js("calls.some(c => c[1] === '$survey_dismissed')")
        .as_bool()
        .unwrap());
    // A second close does nothing.
    showing.close();
    assert_eq!(ended(), r#"["closed"]"#);
}

#[wasm_bindgen_test]
fn close_from_inside_a_host_callback_ends_once() {
    let before = page_html();
    let showing = std::rc::Rc::new(std::cell::RefCell::new(None::<Showing>));
    let host = host();
    let slot = showing.clone();
    let survey = show_survey(request(NPS, "en"), host.clone()).unwrap();
    *slot.borrow_mut() = Some(survey);
    // The runtime closes the survey while it records the first answer.
    let close = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || {
        if let Some(s) = slot.borrow().as_ref() {
            s.close();
        }
    });
    js_sys::Reflect::set(&js("window"), &"closeSurvey".into(), close.as_ref()).unwrap();
    js_sys::Reflect::set(
        &host,
        &"event".into(),
        &js("(function (name, props) { calls.push(['event', name, JSON.parse(props)]); if (name === '$survey_answered') window.closeSurvey(); })"),
    )
    .unwrap();
    click_option("8");
    click("[data-a=n]");
    assert_eq!(ended(), r#"["closed"]"#);
    assert_eq!(page_html(), before);
    drop(close);
    drop(showing);
}

#[wasm_bindgen_test]
async fn a_narrow_viewport_gets_a_bottom_sheet() {
    // innerWidth is [Replaceable]: the page may shadow it, as a 375 px phone would report.
    js("window.__innerWidth = Object.getOwnPropertyDescriptor(window, 'innerWidth'); window.innerWidth = 375;");
    let showing =
        show(r#"{layout: 'modal', questions: [{id: 'sat', type: 'csat', text: 'Happy?'}]}"#);
    js("Object.defineProperty(window, 'innerWidth', window.__innerWidth)");
    assert_eq!(q("root.querySelector('.p').className"), "\"p s\"");
    assert_eq!(
        q("root.querySelector('.p').matches(':popover-open')"),
        "true"
    );
    let rect = "root.querySelector('.p').getBoundingClientRect()";
    assert_eq!(q(&format!("Math.round({rect}.left)")), "0");
    assert_eq!(
        q(&format!(
            "Math.round({rect}.width) === document.documentElement.clientWidth"
        )),
        "true"
    );
    // Once the entrance animation (a small slide) is over, it sits on the bottom edge.
    until("the sheet to reach the bottom edge", 2000.0, || {
        q(&format!("Math.round({rect}.bottom) === innerHeight")) == "true"
    })
    .await;
    drop(showing);
}

#[wasm_bindgen_test]
fn a_modal_is_in_the_top_layer_above_a_maximal_z_index_header() {
    js(
        "const h = document.createElement('header'); h.id = 'top'; h.textContent = 'Header';
        h.setAttribute('style', 'position:fixed;inset:0;z-index:2147483647;background:#000');
        document.body.append(h);",
    );
    let showing =
        show(r#"{layout: 'modal', questions: [{id: 'sat', type: 'csat', text: 'Happy?'}]}"#);
    assert_eq!(
        q("root.querySelector('dialog.p').matches(':modal')"),
        "true"
    );
    let hit = "(() => { const r = root.querySelector('h2').getBoundingClientRect(); return root.elementFromPoint(r.left + 5, r.top + 5).tagName; })()";
    assert_eq!(q(hit), "\"H2\"");
    drop(showing);
    // A popover in its corner is above the header too.
    let showing =
        show(r#"{position: 'top-left', questions: [{id: 'sat', type: 'csat', text: 'Happy?'}]}"#);
    assert_eq!(q("root.querySelector('.p').className"), "\"p tl\"");
    assert_eq!(q(hit), "\"H2\"");
    drop(showing);
    js("document.getElementById('top').remove()");
}

#[wasm_bindgen_test]
fn aggressive_page_css_does_not_leak_in() {
    js("const s = document.createElement('style'); s.id = 'hostile';
        s.textContent = '*, div, button { color: rgb(255, 0, 0) !important; font-size: 40px !important; background: rgb(0, 255, 0) !important; display: block !important; padding: 50px !important; } waymark-survey { display: none !important; } h2 { visibility: hidden !important; }';
        document.head.append(s);");
    let showing = show(
        r#"{theme: {accent: '#123456'}, questions: [{id: 'sat', type: 'csat', text: 'Happy?'}]}"#,
    );
    let style = |selector: &str, property: &str| {
        q(&format!(
            "getComputedStyle(root.querySelector('{selector}')).{property}"
        ))
    };
    assert_eq!(style("h2", "visibility"), "\"visible\"");
    assert_eq!(style("h2", "fontSize"), "\"16px\"");
    assert_eq!(style(".p", "backgroundColor"), "\"rgb(255, 255, 255)\"");
    assert_eq!(style("[role=radio]", "color"), "\"rgb(17, 24, 39)\"");
    assert_eq!(style("[role=radiogroup]", "display"), "\"flex\"");
    assert_eq!(
        style("[data-a=n]", "backgroundColor"),
        "\"rgb(18, 52, 86)\"",
        "the theme's accent"
    );
    assert_eq!(
        q("root.querySelector('.p').getBoundingClientRect().width > 100"),
        "true"
    );
    drop(showing);
    js("document.getElementById('hostile').remove()");
}

#[wasm_bindgen_test]
fn a_popover_follows_the_viewport_across_640_px() {
    js("window.__innerWidth = Object.getOwnPropertyDescriptor(window, 'innerWidth'); window.innerWidth = 1024;");
    let showing = show(
        r#"{position: 'bottom-left', questions: [{id: 'sat', type: 'csat', text: 'Happy?'}]}"#,
    );
    assert_eq!(q("root.querySelector('.p').className"), "\"p bl\"");
    js("window.innerWidth = 639; dispatchEvent(new Event('resize'))");
    assert_eq!(q("root.querySelector('.p').className"), "\"p s\"");
    js("window.innerWidth = 640; dispatchEvent(new Event('resize'))");
    assert_eq!(q("root.querySelector('.p').className"), "\"p bl\"");
    js("Object.defineProperty(window, 'innerWidth', window.__innerWidth)");
    drop(showing);
}

#[wasm_bindgen_test]
async fn a_page_that_takes_the_survey_away_ends_it() {
    let showing = show(NPS);
    js("document.querySelector('waymark-survey').remove()");
    until("the survey to end", 2000.0, || ended() == r#"["removed"]"#).await;
    assert!(!js("calls.some(c => c[1] === '$survey_dismissed')")
        .as_bool()
        .unwrap());
    // Its listeners are gone with it: a later close does nothing more.
    showing.close();
    assert_eq!(ended(), r#"["removed"]"#);
}

#[wasm_bindgen_test]
fn on_a_right_to_left_page_the_arrows_follow_the_row() {
    js("document.documentElement.dir = 'rtl'");
    let showing =
        show(r#"{default_locale: 'ar', questions: [{id: 'sat', type: 'csat', text: 'راضٍ؟'}]}"#);
    assert_eq!(q("root.querySelector('.p').lang"), "\"ar\"");
    press("ArrowLeft");
    assert_eq!(focused(), "\"2\"", "left is onward in a right-to-left row");
    press("ArrowRight");
    assert_eq!(focused(), "\"1\"");
    js("document.documentElement.removeAttribute('dir')");
    drop(showing);
}
