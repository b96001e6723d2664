//! Tours on screen, in headless Chromium, through the module's contract: a request in, a
//! fake host recording every call, the `Showing` back. Waits are for conditions, with a
//! timeout, never sleeps.
#![allow(missing_docs)]

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use waymark_experiences::{show_tour, Host, Showing};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = r#"
export function fakeHost() {
  const log = [];
  return {
    log,
    event(name, props) { log.push(['event', name, JSON.parse(props)]); },
    outcome(id, o) { log.push(['outcome', o]); },
    progress(id, p) { log.push(['progress', p === null || p === undefined ? null : JSON.parse(p)]); },
    ended(id, r) { log.push(['ended', r]); },
  };
}
export function logOf(host) { return JSON.stringify(host.log); }
export function request(json) { return JSON.parse(json); }
export function fixture(html) {
  // A test that failed may have left its tour behind: it must not fail the next one.
  document.querySelectorAll('#fx, waymark-tour').forEach((e) => e.remove());
  const div = document.createElement('div');
  div.id = 'fx';
  div.innerHTML = html;
  document.body.appendChild(div);
  return div;
}
export function clear() { document.querySelectorAll('#fx').forEach((e) => e.remove()); }
export function panel() {
  const host = document.querySelector('waymark-tour');
  return host ? host.shadowRoot.querySelector('[role=dialog]') : null;
}
export function shadowQuery(selector) {
  const host = document.querySelector('waymark-tour');
  return host ? host.shadowRoot.querySelector(selector) : null;
}
export function panelText() { const p = panel(); return p && p.matches(':popover-open') ? p.textContent : ''; }
export function waitFor(check, ms) {
  const until = performance.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => {
      let ok = false;
      try { ok = check(); } catch (e) { ok = false; }
      if (ok) resolve(true);
      else if (performance.now() > until) reject(new Error('timed out waiting for ' + check));
      else requestAnimationFrame(tick);
    };
    tick();
  });
}
export function waitForLog(host, needle, ms) {
  return waitFor(() => JSON.stringify(host.log).includes(needle), ms);
}
export function pause(ms) { return new Promise((r) => setTimeout(r, ms)); }
export function later(ms, code) { setTimeout(() => new Function(code)(), ms); }
export function run(code) { return new Function(code)(); }
export function key(key, shift) {
  const target = document.querySelector('waymark-tour')?.shadowRoot.activeElement || document.activeElement || document.body;
  const event = new KeyboardEvent('keydown', { key, shiftKey: !!shift, bubbles: true, composed: true, cancelable: true });
  target.dispatchEvent(event);
  return event.defaultPrevented;
}
export function clickButton(label) {
  const p = panel();
  const b = [...p.querySelectorAll('button')].find((b) => b.textContent === label || b.getAttribute('aria-label') === label);
  if (!b) throw new Error('no button ' + label + ' in ' + p.innerHTML);
  b.click();
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = fakeHost)]
    fn fake_host() -> Host;
    #[wasm_bindgen(js_name = logOf)]
    fn log_of(host: &Host) -> String;
    fn request(json: &str) -> JsValue;
    fn fixture(html: &str) -> web_sys::Element;
    fn clear();
    fn panel() -> Option<web_sys::HtmlElement>;
    #[wasm_bindgen(js_name = shadowQuery)]
    fn shadow_query(selector: &str) -> Option<web_sys::HtmlElement>;
    #[wasm_bindgen(js_name = panelText)]
    fn panel_text() -> String;
    #[wasm_bindgen(js_name = waitFor)]
    fn wait_for_js(check: &js_sys::Function, ms: u32) -> js_sys::Promise;
    fn later(ms: u32, code: &str);
    #[wasm_bindgen(js_name = waitForLog)]
    fn wait_for_log(host: &Host, needle: &str, ms: u32) -> js_sys::Promise;
    fn pause(ms: u32) -> js_sys::Promise;
    fn run(code: &str) -> JsValue;
    fn key(key: &str, shift: bool) -> bool;
    #[wasm_bindgen(js_name = clickButton)]
    fn click_button(label: &str);
}

/// Waits until the JavaScript expression `check` is true, for at most 3 s.
async fn until(check: &str) {
    let f = js_sys::Function::new_no_args(&format!("return ({check});"));
    if let Err(e) = JsFuture::from(wait_for_js(&f, 3000)).await {
        panic!("{e:?}");
    }
}

fn tour(steps: &str) -> String {
    format!(
        r#"{{"id":"t1","definition":{{"id":"t1","kind":"tour","tour":{{"steps":{steps}}}}},"locale":"en","progress":null,"url":"https://app.test/home"}}"#
    )
}

fn start(steps: &str) -> (Host, Option<Showing>) {
    run("document.querySelectorAll('waymark-tour').forEach((e) => e.remove())");
    let host = fake_host();
    let showing = show_tour(request(&tour(steps)), host.clone());
    (host, showing)
}

fn events(host: &Host) -> Vec<String> {
    let log: serde_like::Log = serde_like::parse(&log_of(host));
    log.0
}

/// A tiny reading of the fake host's log: each entry as compact JSON text.
mod serde_like {
    pub struct Log(pub Vec<String>);
    pub fn parse(json: &str) -> Log {
        let array = js_sys::JSON::parse(json).unwrap();
        let array: js_sys::Array = array.into();
        Log(array
            .iter()
            .map(|e| String::from(js_sys::JSON::stringify(&e).unwrap()))
            .collect())
    }
}

fn has(host: &Host, needle: &str) -> bool {
    events(host).iter().any(|e| e.contains(needle))
}

/// Waits until the host's log holds `needle`, for at most 3 s.
async fn logged(host: &Host, needle: &str) {
    if JsFuture::from(wait_for_log(host, needle, 3000))
        .await
        .is_err()
    {
        panic!("never logged {needle}: {:?}", events(host));
    }
}

#[wasm_bindgen_test]
async fn a_tour_records_its_moves_and_completes_by_its_buttons() {
    fixture(r#"<button data-waymark="new">New invoice</button>"#);
    let (host, showing) = start(
        r#"[{"id":"a","title":"Welcome","body":"Hello"},{"id":"b","target":{"waymark":"new"},"title":"Create","body":"Click"}]"#,
    );
    assert!(showing.is_some());
    until("document.querySelector('waymark-tour') && document.querySelector('waymark-tour').shadowRoot.querySelector('h2').textContent === 'Welcome'").await;
    let log = events(&host);
    assert!(log[0].contains("$tour_started"), "{log:?}");
    assert!(
        has(
            &host,
            r#""$step_viewed",{"tour":"t1","step":0,"step_id":"a","strategy":"none"}"#
        ),
        "{log:?}"
    );
    assert!(has(&host, r#"["outcome","seen"]"#));
    assert!(panel_text().contains("Step 1 of 2"));
    click_button("Next");
    until("document.querySelector('waymark-tour').shadowRoot.querySelector('h2').textContent === 'Create'").await;
    assert!(has(
        &host,
        r#""$step_completed",{"tour":"t1","step":0,"step_id":"a","via":"button"}"#
    ));
    assert!(has(&host, r#""strategy":"waymark""#));
    assert!(has(
        &host,
        r#"["progress",{"v":1,"tour":"t1","step":1,"step_id":"b""#
    ));
    click_button("Done");
    until("!document.querySelector('waymark-tour')").await;
    let log = events(&host);
    let tail: Vec<&String> = log.iter().rev().take(4).collect();
    assert!(tail[3].contains("$tour_completed"), "{log:?}");
    assert_eq!(tail[2], r#"["progress",null]"#);
    assert_eq!(tail[1], r#"["outcome","completed"]"#);
    assert_eq!(tail[0], r#"["ended","completed"]"#);
    clear();
}

#[wasm_bindgen_test]
async fn each_locator_strategy_finds_its_target_and_is_reported() {
    let cases = [
        (r#"{"waymark":"w"}"#, "waymark"),
        (r##""#the-id""##, "selector"),
        (r#"{"id":"the-id"}"#, "id"),
        (r#"{"role":"button","name":"Save draft"}"#, "role"),
        (r#"{"text":"Plain words"}"#, "text"),
        (
            r#"{"waymark":"absent","id":"absent","selector":".c"}"#,
            "selector",
        ),
    ];
    for (target, strategy) in cases {
        fixture(
            r#"<span data-waymark="w">w</span><span id="the-id" class="c">i</span><div role="toolbar"><button aria-label="Save draft">S</button></div><p>Intro <b>Plain words</b></p>"#,
        );
        let (host, showing) = start(&format!(r#"[{{"id":"a","target":{target},"title":"T"}}]"#));
        until("document.querySelector('waymark-tour')?.shadowRoot.querySelector('[role=dialog]')?.matches(':popover-open')").await;
        let needle = format!(r#""strategy":"{strategy}""#);
        assert!(has(&host, &needle), "{target}: {:?}", events(&host));
        showing.unwrap().close();
        until("!document.querySelector('waymark-tour')").await;
        assert!(has(&host, r#"["ended","closed"]"#));
        clear();
    }
}

#[wasm_bindgen_test]
async fn targets_inside_an_open_shadow_root_and_a_same_origin_iframe_are_found() {
    let root = fixture(
        r#"<div id="widget"></div><iframe id="frame" srcdoc="<button id='inner'>In frame</button>" style="position:absolute;left:300px;top:100px;width:200px;height:100px;border:0"></iframe>"#,
    );
    let _ = root;
    run("const w = document.getElementById('widget'); const s = w.attachShadow({mode:'open'}); s.innerHTML = '<button data-waymark=\"deep\">Deep</button>';");
    until("document.getElementById('frame').contentDocument?.getElementById('inner')").await;
    let (host, showing) = start(
        r#"[{"id":"a","target":{"waymark":"deep"},"title":"Shadow"},{"id":"b","target":{"role":"button","name":"In frame"},"title":"Frame","placement":"bottom"}]"#,
    );
    until("document.querySelector('waymark-tour')?.shadowRoot.querySelector('h2').textContent === 'Shadow'").await;
    assert!(
        has(&host, r#""step_id":"a","strategy":"waymark""#),
        "{:?}",
        events(&host)
    );
    click_button("Next");
    until("document.querySelector('waymark-tour')?.shadowRoot.querySelector('h2').textContent === 'Frame'").await;
    assert!(
        has(&host, r#""step_id":"b","strategy":"role""#),
        "{:?}",
        events(&host)
    );
    // Below the frame's button: the panel's top is under the frame's content.
    let top = panel().unwrap().get_bounding_client_rect().top();
    let inner = run("const f = document.getElementById('frame'); return f.getBoundingClientRect().top + f.contentDocument.getElementById('inner').getBoundingClientRect().bottom;").as_f64().unwrap();
    assert!(
        top >= inner,
        "panel top {top} above the frame target's bottom {inner}"
    );
    showing.unwrap().close();
    clear();
}

#[wasm_bindgen_test]
async fn a_late_target_is_waited_for_and_found() {
    fixture(r#"<div id="slot"></div>"#);
    later(
        300,
        "document.getElementById('slot').innerHTML = '<button id=\"late\">Late</button>'",
    );
    let (host, showing) =
        start(r##"[{"id":"a","target":"#late","title":"Late one","wait_ms":3000}]"##);
    assert!(showing.is_some());
    assert!(!has(&host, "$step_viewed"));
    until("document.querySelector('waymark-tour')?.shadowRoot.querySelector('h2').textContent === 'Late one' && document.querySelector('waymark-tour').shadowRoot.querySelector('[role=dialog]').matches(':popover-open')").await;
    assert!(has(&host, r#""strategy":"selector""#));
    assert!(!has(&host, "$step_target_missing"));
    showing.unwrap().close();
    clear();
}

#[wasm_bindgen_test]
async fn a_target_that_never_appears_applies_its_fallback_after_its_timeout() {
    fixture("<p>nothing here</p>");
    // skip: on to the next step.
    let (host, showing) = start(
        r##"[{"id":"a","target":"#never","title":"Gone","wait_ms":200},{"id":"b","title":"After"}]"##,
    );
    until("document.querySelector('waymark-tour')?.shadowRoot.querySelector('h2').textContent === 'After'").await;
    assert!(
        has(
            &host,
            r#""$step_target_missing",{"tour":"t1","step":0,"step_id":"a","waited_ms":"#
        ),
        "{:?}",
        events(&host)
    );
    assert!(has(&host, r#""fallback":"skip""#));
    showing.unwrap().close();
    // center: the same step, without its target.
    let (host, showing) = start(
        r##"[{"id":"a","target":"#never","title":"Centered","wait_ms":100,"fallback":"center"}]"##,
    );
    until("document.querySelector('waymark-tour')?.shadowRoot.querySelector('h2').textContent === 'Centered'").await;
    assert!(has(&host, r#""fallback":"center""#));
    assert!(has(&host, r#""step_id":"a","strategy":"none""#));
    showing.unwrap().close();
    // end: the tour is dismissed with reason target_missing.
    let (host, _showing) = start(
        r##"[{"id":"a","target":"#never","title":"End","wait_ms":100,"fallback":"end"},{"id":"b","title":"Never"}]"##,
    );
    logged(&host, r#"["ended","dismissed"]"#).await;
    assert!(
        has(&host, r#""reason":"target_missing""#),
        "{:?}",
        events(&host)
    );
    assert!(has(&host, r#"["ended","dismissed"]"#));
    clear();
}

#[wasm_bindgen_test]
async fn a_header_at_the_highest_z_index_covers_neither_the_step_nor_its_target() {
    fixture(
        r#"<header id="bar" style="position:fixed;top:0;left:0;right:0;height:60px;background:#333;z-index:2147483647">Header</header><div style="height:30px"></div><button id="near-top" style="margin-top:70px">Near top</button><div style="height:2000px"></div>"#,
    );
    let (_host, showing) =
        start(r##"[{"id":"a","target":"#near-top","title":"Above","placement":"top"}]"##);
    until("document.querySelector('waymark-tour')?.shadowRoot.querySelector('[role=dialog]')?.matches(':popover-open')").await;
    let p = panel().unwrap();
    let r = p.get_bounding_client_rect();
    // On top of everything: the element at the panel's centre is our host.
    let at = run(&format!(
        "return document.elementFromPoint({}, {})?.localName",
        r.x() + r.width() / 2.0,
        r.y() + r.height() / 2.0
    ));
    assert_eq!(at.as_string().as_deref(), Some("waymark-tour"));
    // And not under the header: no room above, so it flipped below.
    assert!(r.top() >= 60.0, "panel top {}", r.top());
    assert_eq!(p.get_attribute("data-side").as_deref(), Some("bottom"));
    showing.unwrap().close();
    clear();
}

#[wasm_bindgen_test]
async fn aggressive_page_css_does_not_reach_the_step() {
    fixture(
        r#"<style>*{color:red!important;font-size:40px!important;font-family:serif!important;margin:30px!important}div{background:lime!important;padding:60px!important;display:block!important}button{display:none!important;opacity:0!important}</style><span id="t">target</span>"#,
    );
    let (_host, showing) = start(r##"[{"id":"a","target":"#t","title":"Styled","body":"Body"}]"##);
    until("document.querySelector('waymark-tour')?.shadowRoot.querySelector('[role=dialog]')?.matches(':popover-open')").await;
    let style = |selector: &str, property: &str| {
        run(&format!("return getComputedStyle(document.querySelector('waymark-tour').shadowRoot.querySelector('{selector}')).getPropertyValue('{property}')")).as_string().unwrap()
    };
    assert_eq!(
        style("[role=dialog]", "background-color"),
        "rgb(255, 255, 255)"
    );
    assert_eq!(style("[role=dialog]", "padding-top"), "16px");
    assert_eq!(style("#d", "font-size"), "14px");
    assert_eq!(style("#d", "color"), "rgb(17, 24, 39)");
    assert_ne!(style(".m", "display"), "none");
    assert_eq!(style(".m", "opacity"), "1");
    showing.unwrap().close();
    // And ours does not leak out.
    clear();
}

#[wasm_bindgen_test]
async fn the_panel_flips_and_shifts_to_stay_in_the_viewport_with_its_arrow_on_the_target() {
    fixture(
        r#"<button id="corner" style="position:fixed;right:4px;bottom:4px;width:40px;height:20px">C</button>"#,
    );
    let (_host, showing) = start(
        r##"[{"id":"a","target":"#corner","title":"Corner","body":"A body long enough to make the popover wide enough to need shifting","placement":"bottom"}]"##,
    );
    until("document.querySelector('waymark-tour')?.shadowRoot.querySelector('[role=dialog]')?.matches(':popover-open')").await;
    let p = panel().unwrap();
    let r = p.get_bounding_client_rect();
    let (w, h) = (
        run("return document.documentElement.clientWidth")
            .as_f64()
            .unwrap(),
        run("return document.documentElement.clientHeight")
            .as_f64()
            .unwrap(),
    );
    assert_eq!(
        p.get_attribute("data-side").as_deref(),
        Some("top"),
        "flipped"
    );
    assert!(r.left() >= 0.0 && r.right() <= w && r.top() >= 0.0 && r.bottom() <= h);
    let arrow = shadow_query(".a").unwrap().get_bounding_client_rect();
    let centre = arrow.left() + arrow.width() / 2.0;
    let target =
        run("return JSON.stringify(document.getElementById('corner').getBoundingClientRect())")
            .as_string()
            .unwrap();
    let t = js_sys::JSON::parse(&target).unwrap();
    let left = js_sys::Reflect::get(&t, &"left".into())
        .unwrap()
        .as_f64()
        .unwrap();
    let right = js_sys::Reflect::get(&t, &"right".into())
        .unwrap()
        .as_f64()
        .unwrap();
    assert!(
        centre >= left && centre <= right,
        "arrow at {centre}, target {left}..{right}"
    );
    // The spotlight surrounds the target with its padding.
    let spot = shadow_query(".s").unwrap().get_bounding_client_rect();
    assert!(
        (spot.left() - (left - 8.0)).abs() < 1.0,
        "spotlight {} target {}",
        spot.left(),
        left
    );
    showing.unwrap().close();
    clear();
}

#[wasm_bindgen_test]
async fn the_step_follows_its_target_in_a_scroll_container() {
    fixture(
        r#"<div id="box" style="overflow:auto;height:200px;width:300px;position:absolute;top:100px;left:100px"><div style="height:150px"></div><button id="in-box">Inside</button><div style="height:1000px"></div></div>"#,
    );
    let (_host, showing) =
        start(r##"[{"id":"a","target":"#in-box","title":"Follow","placement":"bottom"}]"##);
    until("document.querySelector('waymark-tour')?.shadowRoot.querySelector('[role=dialog]')?.matches(':popover-open')").await;
    let follows = "Math.abs(document.querySelector('waymark-tour').shadowRoot.querySelector('[role=dialog]').getBoundingClientRect().top - document.getElementById('in-box').getBoundingClientRect().bottom - 12) < 2";
    until(follows).await;
    run("document.getElementById('box').scrollTop += 40");
    until(follows).await;
    showing.unwrap().close();
    clear();
}

#[wasm_bindgen_test]
async fn the_keyboard_alone_moves_through_the_tour_and_escape_dismisses_it() {
    fixture(r#"<button id="before">Before</button>"#);
    run("document.getElementById('before').focus()");
    let (host, _showing) = start(
        r#"[{"id":"a","title":"One","body":"[a link](https://example.com)"},{"id":"b","title":"Two"},{"id":"c","title":"Three"}]"#,
    );
    until(
        "document.querySelector('waymark-tour')?.shadowRoot.activeElement?.textContent === 'Next'",
    )
    .await;
    let dialog = panel().unwrap();
    assert_eq!(dialog.get_attribute("role").as_deref(), Some("dialog"));
    assert_eq!(
        dialog.get_attribute("aria-labelledby").as_deref(),
        Some("t")
    );
    assert_eq!(
        dialog.get_attribute("aria-describedby").as_deref(),
        Some("d")
    );
    // Tab from the last control wraps to the first (the close button), Shift+Tab back.
    assert!(key("Tab", false));
    until("document.querySelector('waymark-tour').shadowRoot.activeElement?.className === 'x'")
        .await;
    assert!(key("Tab", true));
    until(
        "document.querySelector('waymark-tour').shadowRoot.activeElement?.textContent === 'Next'",
    )
    .await;
    assert!(key("ArrowRight", false));
    until("document.querySelector('waymark-tour').shadowRoot.querySelector('h2').textContent === 'Two'").await;
    assert!(panel_text().contains("Step 2 of 3"));
    assert!(has(&host, r#""step_id":"a","via":"button""#));
    assert!(key("ArrowLeft", false));
    until("document.querySelector('waymark-tour').shadowRoot.querySelector('h2').textContent === 'One'").await;
    assert!(key("Escape", false));
    until("!document.querySelector('waymark-tour')").await;
    assert!(
        has(
            &host,
            r#""$tour_dismissed",{"tour":"t1","step":0,"step_id":"a","reason":"escape"}"#
        ),
        "{:?}",
        events(&host)
    );
    assert!(has(&host, r#"["outcome","dismissed"]"#));
    assert_eq!(
        run("return document.activeElement.id")
            .as_string()
            .as_deref(),
        Some("before")
    );
    clear();
}

#[wasm_bindgen_test]
async fn a_tour_resumes_from_its_stored_progress() {
    let first = fake_host();
    let showing = show_tour(
        request(&tour(r#"[{"id":"a","title":"A"},{"id":"b","title":"B"}]"#)),
        first.clone(),
    )
    .unwrap();
    until("document.querySelector('waymark-tour')?.shadowRoot.querySelector('h2').textContent === 'A'").await;
    click_button("Next");
    until("document.querySelector('waymark-tour')?.shadowRoot.querySelector('h2').textContent === 'B'").await;
    let stored = run(&format!("const log = JSON.parse({}); return JSON.stringify(log.filter(e => e[0]==='progress').pop()[1]);", js_sys::JSON::stringify(&log_of(&first).into()).unwrap().as_string().unwrap())).as_string().unwrap();
    showing.close();
    until("!document.querySelector('waymark-tour')").await;
    // A reload: the same tour with what was stored.
    let mut again = tour(r#"[{"id":"a","title":"A"},{"id":"b","title":"B"}]"#);
    again = again.replace(r#""progress":null"#, &format!(r#""progress":{stored}"#));
    let host = fake_host();
    let showing = show_tour(request(&again), host.clone()).unwrap();
    until("document.querySelector('waymark-tour')?.shadowRoot.querySelector('h2').textContent === 'B'").await;
    assert!(!has(&host, "$tour_started"), "{:?}", events(&host));
    assert!(has(&host, r#""step":1,"step_id":"b","strategy":"none""#));
    showing.close();
    clear();
}

#[wasm_bindgen_test]
async fn a_step_on_another_page_ends_the_showing_and_keeps_the_progress() {
    let host = fake_host();
    let steps = r#"[{"id":"a","title":"Here","url":"/home","advance":{"route":"/invoices*"}},{"id":"b","title":"There","url":"/invoices*"},{"id":"c","title":"Elsewhere","url":"/settings"}]"#;
    let showing = show_tour(request(&tour(steps)), host.clone()).unwrap();
    until("document.querySelector('waymark-tour')?.shadowRoot.querySelector('h2').textContent === 'Here'").await;
    showing.navigated("https://app.test/invoices/1");
    until("document.querySelector('waymark-tour')?.shadowRoot.querySelector('h2').textContent === 'There'").await;
    assert!(has(&host, r#""via":"route""#));
    click_button("Next");
    until("!document.querySelector('waymark-tour')").await;
    let log = events(&host);
    assert_eq!(
        log.last().map(String::as_str),
        Some(r#"["ended","elsewhere"]"#)
    );
    assert!(!log.iter().any(|e| e == r#"["progress",null]"#), "{log:?}");
    assert!(has(
        &host,
        r#"["progress",{"v":1,"tour":"t1","step":2,"step_id":"c""#
    ));
    clear();
}

#[wasm_bindgen_test]
async fn a_step_advances_on_a_click_on_its_target_or_on_an_event() {
    fixture(r#"<button id="go">Go</button>"#);
    let (host, showing) = start(
        r##"[{"id":"a","target":"#go","title":"Click it","advance":"click"},{"id":"b","title":"Wait","advance":{"event":"invoice_created"}},{"id":"c","title":"Last"}]"##,
    );
    until("document.querySelector('waymark-tour')?.shadowRoot.querySelector('h2').textContent === 'Click it'").await;
    run("document.getElementById('go').click()");
    until("document.querySelector('waymark-tour')?.shadowRoot.querySelector('h2').textContent === 'Wait'").await;
    assert!(has(&host, r#""via":"click""#));
    let showing = showing.unwrap();
    showing.event("something_else");
    assert!(panel_text().contains("Wait"));
    showing.event("invoice_created");
    until("document.querySelector('waymark-tour')?.shadowRoot.querySelector('h2').textContent === 'Last'").await;
    assert!(has(&host, r#""via":"event""#));
    showing.close();
    clear();
}

#[wasm_bindgen_test]
async fn markdown_and_html_in_a_step_stay_text() {
    let (host, showing) = start(
        r#"[{"id":"a","title":"<img src=x onerror=alert(1)>","body":"**bold** and *it* <script>alert(1)</script> [bad](javascript:alert(1)) [good](https://example.com)\n\n- one\n- two"}]"#,
    );
    until("document.querySelector('waymark-tour')?.shadowRoot.querySelector('h2')?.textContent.startsWith('<img')").await;
    let count = |selector: &str| {
        run(&format!("return document.querySelector('waymark-tour').shadowRoot.querySelectorAll('{selector}').length")).as_f64().unwrap()
    };
    assert_eq!(count("img"), 0.0);
    assert_eq!(count("script"), 0.0);
    assert_eq!(count("strong"), 1.0);
    assert_eq!(count("em"), 1.0);
    assert_eq!(count("li"), 2.0);
    assert_eq!(count("a"), 1.0);
    assert_eq!(
        run("return document.querySelector('waymark-tour').shadowRoot.querySelector('a').href")
            .as_string()
            .as_deref(),
        Some("https://example.com/")
    );
    assert!(panel_text().contains("<script>alert(1)</script>"));
    let _ = host;
    showing.unwrap().close();
}

#[wasm_bindgen_test]
async fn teardown_leaves_the_page_exactly_as_it_was() {
    fixture(r#"<button id="go" data-waymark="go">Go</button><div id="slot"></div>"#);
    let before = run("return document.documentElement.outerHTML")
        .as_string()
        .unwrap();
    // Through every kind of step: a target with a click advance, a wait, a centered step.
    let (host, showing) = start(
        r##"[{"id":"a","target":{"waymark":"go"},"title":"One","advance":"click"},{"id":"b","target":"#never","title":"Waiting","wait_ms":20000},{"id":"c","title":"C"}]"##,
    );
    until("document.querySelector('waymark-tour')?.shadowRoot.querySelector('h2').textContent === 'One'").await;
    run("document.getElementById('go').click()");
    until(r#"document.querySelector('waymark-tour') && !document.querySelector('waymark-tour').shadowRoot.querySelector('[role=dialog]').matches(':popover-open')"#).await;
    showing.unwrap().close();
    until("!document.querySelector('waymark-tour')").await;
    let after = run("return document.documentElement.outerHTML")
        .as_string()
        .unwrap();
    assert_eq!(before, after);
    // Nothing is left listening: a click and mutations do nothing more.
    let count = events(&host).len();
    run("document.getElementById('go').click(); document.getElementById('slot').innerHTML = '<b id=never>x</b>'");
    // A negative check: give a stray listener or observer the time to show itself.
    let _ = JsFuture::from(pause(100)).await;
    assert!(run("return !document.querySelector('waymark-tour')")
        .as_bool()
        .unwrap());
    assert_eq!(events(&host).len(), count);
    clear();
}

#[wasm_bindgen_test]
async fn the_theme_is_set_as_custom_properties_on_the_host() {
    let host = fake_host();
    let r = r##"{"id":"t1","definition":{"id":"t1","kind":"tour","tour":{"theme":{"accent":"#ff0000","radius":2},"steps":[{"id":"a","title":"Themed"}]}},"locale":"en","progress":null,"url":"https://app.test/"}"##;
    let showing = show_tour(request(r), host).unwrap();
    until("document.querySelector('waymark-tour')?.shadowRoot.querySelector('h2')").await;
    assert_eq!(run("return getComputedStyle(document.querySelector('waymark-tour').shadowRoot.querySelector('.m')).backgroundColor").as_string().as_deref(), Some("rgb(255, 0, 0)"));
    assert_eq!(run("return getComputedStyle(document.querySelector('waymark-tour').shadowRoot.querySelector('[role=dialog]')).borderTopLeftRadius").as_string().as_deref(), Some("2px"));
    showing.close();
}

#[wasm_bindgen_test]
async fn an_invalid_definition_ends_at_once_with_nothing_on_screen() {
    let host = fake_host();
    let showing = show_tour(
        request(
            r#"{"id":"t1","definition":{"id":"t1","kind":"tour","tour":{"steps":[]}},"locale":"en","progress":null,"url":"https://app.test/"}"#,
        ),
        host.clone(),
    );
    assert!(showing.is_none());
    assert_eq!(events(&host), vec![r#"["ended","invalid"]"#.to_owned()]);
    assert!(run("return !document.querySelector('waymark-tour')")
        .as_bool()
        .unwrap());
}
