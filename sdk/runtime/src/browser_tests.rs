//! Tests that need a real browser: run with `wasm-pack test --headless --chrome sdk/runtime`.

use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use waymark_core::privacy::{Allow, Consent};
use waymark_core::{Millis, Session, Uuid, Value};

use crate::convert;
use crate::storage::Storage;

wasm_bindgen_test_configure!(run_in_browser);

fn js(source: &str) -> JsValue {
    js_sys::eval(source).unwrap()
}

#[wasm_bindgen_test]
fn properties_are_what_json_can_carry() {
    let props = convert::properties(&js(
        "({ plan: 'pro', seats: 12, ratio: 0.5, ok: true, none: null, skip: undefined, f() {},
            at: new Date(Date.UTC(2026, 0, 2)), tags: ['a', 1], nested: { deep: [ { x: 1 } ] } })",
    ))
    .unwrap();
    let json = serde_json_free_render(&Value::Object(props));
    // Keys keep the page's order; undefined and functions are dropped, as JSON does.
    assert_eq!(
        json,
        r#"{plan:"pro",seats:12,ratio:0.5,ok:true,none:null,at:"2026-01-02T00:00:00.000Z",tags:["a",1],nested:{deep:[{x:1}]}}"#
    );
}

/// A compact rendering for assertions, without pulling serde_json into the wasm tests.
fn serde_json_free_render(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("{s:?}"),
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(serde_json_free_render)
                .collect::<Vec<_>>()
                .join(",")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{k}:{}", serde_json_free_render(v)))
                .collect::<Vec<_>>()
                .join(",")
        ),
    }
}

#[wasm_bindgen_test]
fn properties_that_are_not_a_plain_json_object_are_refused_with_the_reason() {
    assert_eq!(
        convert::properties(&JsValue::UNDEFINED),
        Ok(Default::default())
    );
    assert_eq!(convert::properties(&JsValue::NULL), Ok(Default::default()));
    assert_eq!(
        convert::properties(&js("'text'")),
        Err("properties must be a plain object")
    );
    assert_eq!(
        convert::properties(&js("[1, 2]")),
        Err("properties must be a plain object")
    );
    assert_eq!(
        convert::properties(&js("(() => { const o = {}; o.self = o; return o; })()")),
        Err("properties could not be converted to JSON (a cycle or a BigInt?)")
    );
    assert_eq!(
        convert::properties(&js("({ big: 10n })")),
        Err("properties could not be converted to JSON (a cycle or a BigInt?)")
    );
    let deep =
        "(() => { let o = { leaf: 1 }; for (let i = 0; i < 40; i++) o = { o }; return o; })()";
    assert_eq!(
        convert::properties(&js(deep)),
        Err("properties nest deeper than 32 levels")
    );
}

#[wasm_bindgen_test]
fn start_options_name_what_is_missing() {
    type Seen = (String, Consent, bool, Allow);
    let check = |source: &str| -> Result<Seen, &'static str> {
        convert::start_options(&js(source))
            .map(|o| (o.project, o.consent, o.honor_privacy_signals, o.allow))
    };
    let seen = |_host: &str, consent, signals, allow| -> Result<Seen, &'static str> {
        Ok(("demo".into(), consent, signals, allow))
    };
    assert_eq!(
        check(
            "({ project: 'demo', key: 'pk_x', host: 'https://c.example/', outbox: {}, stage: {} })"
        ),
        seen(
            "https://c.example",
            Consent::Granted,
            false,
            Allow::default()
        )
    );
    assert_eq!(
        check("({ project: 'demo', key: 'pk_x', host: 'h', outbox: {}, stage: {}, consent: 'pending', honorPrivacySignals: true, allowEmails: true })"),
        seen("h", Consent::Pending, true, Allow { emails: true, card_numbers: false })
    );
    assert!(check(
        "({ project: 'demo', key: 'pk_x', host: 'h', outbox: {}, stage: {}, consent: 'yes' })"
    )
    .unwrap_err()
    .contains("data-consent"));
    assert!(check("({ project: 'demo', key: 'pk_x', host: 'h' })")
        .unwrap_err()
        .contains("outbox"));
    assert_eq!(
        check("({ key: 'pk_x', host: 'h' })"),
        Err("the project is missing (data-project)")
    );
    assert_eq!(
        check("({ project: 'demo', host: 'h' })"),
        Err("the write key is missing (data-key)")
    );
    assert_eq!(
        check("({ project: 'demo', key: 'pk_x' })"),
        Err("the collector host is missing (data-host)")
    );
    assert!(check("({ project: 'demo', key: 'sk_secret', host: 'h' })")
        .unwrap_err()
        .contains("secret admin key"));
    assert!(check("42").is_err());
}

#[wasm_bindgen_test]
fn a_stored_session_reads_back() {
    let session = Session {
        id: Uuid::from_u128(0x0189_0000_0000_7000_8000_0000_0000_0042),
        started_at: Millis(1_000),
        last_activity: Millis(2_000),
    };
    let json = waymark_core::encode::WriteJson::to_json_string(&session);
    assert_eq!(convert::session_from_json(&json), Some(session));
    assert_eq!(convert::session_from_json("{\"id\":\"nope\"}"), None);
    assert_eq!(convert::session_from_json("not json"), None);
}

#[wasm_bindgen_test]
fn storage_is_namespaced_per_project_in_local_storage() {
    let storage = Storage::open("unit-test");
    assert!(storage.is_persistent());
    storage.set("anonymous_id", "abc");
    let local = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    assert_eq!(
        local
            .get_item("waymark:unit-test:anonymous_id")
            .unwrap()
            .as_deref(),
        Some("abc")
    );
    assert_eq!(Storage::open("other-project").get("anonymous_id"), None);
    assert_eq!(
        Storage::open("unit-test").get("anonymous_id").as_deref(),
        Some("abc")
    );
}

/// The facade's getters and `shutdown()`, through the exports they call.
impl crate::Waymark {
    fn anonymous_id(&self) -> String {
        self.read("anonymousId").as_string().unwrap()
    }

    fn behavior(&self) -> JsValue {
        self.read("behavior")
    }

    fn shutdown(&self) {
        self.notify("shutdown", 0);
    }
}

#[wasm_bindgen_test]
fn the_anonymous_id_persists_across_starts() {
    let first = start("persist-test");
    let id = first.anonymous_id();
    first.shutdown();
    let second = start("persist-test");
    assert_eq!(second.anonymous_id(), id);
    assert_eq!(Uuid::try_parse(&id).unwrap().get_version_num(), 7);
    second.shutdown();
}

#[wasm_bindgen_test]
fn unusable_options_fail_to_start_with_an_error() {
    assert!(crate::Waymark::start(js("({ project: 'x' })")).is_err());
}

/// A condition compiled with the browser's platform, and what the compiler said of it.
struct Audience {
    condition: waymark_core::rules::Condition,
    diagnostics: Vec<waymark_core::rules::Diagnostic>,
}

impl Audience {
    fn matches(&self, attributes: &Value) -> bool {
        self.condition.matches(attributes)
    }
}

fn audience(condition: &str) -> Audience {
    let json = waymark_browser::json::json(&js(&format!("({condition})"))).unwrap();
    let groups = waymark_core::rules::SavedGroups::new();
    let (condition, diagnostics) =
        waymark_core::rules::Condition::compile(&json, "", &crate::patterns::Browser, &groups);
    Audience {
        condition,
        diagnostics,
    }
}

fn attributes(source: &str) -> Value {
    waymark_browser::json::json(&js(&format!("({source})"))).unwrap()
}

#[wasm_bindgen_test]
fn regex_conditions_use_the_browsers_regexp() {
    let a = audience(r#"{ "email": { "$regex": "@acme\\.(com|io)$" } }"#);
    assert!(a.matches(&attributes(r#"{ "email": "dana@acme.io" }"#)));
    assert!(!a.matches(&attributes(r#"{ "email": "dana@acme.org" }"#)));
    // A lookbehind is JavaScript syntax that many engines lack.
    assert!(audience(r#"{ "sku": { "$regex": "(?<=X-)\\d+" } }"#)
        .matches(&attributes(r#"{ "sku": "X-42" }"#)));
}

#[wasm_bindgen_test]
fn an_invalid_regex_is_a_diagnostic_not_an_exception() {
    let a = audience(r#"{ "url": { "$regex": "(" } }"#);
    assert!(!a.matches(&attributes(r#"{ "url": "(" }"#)));
    assert_eq!(a.diagnostics.len(), 1);
    assert_eq!(a.diagnostics[0].pointer, "/url/$regex");
    assert_eq!(a.diagnostics[0].code, "invalid_regex");
}

#[wasm_bindgen_test]
fn case_insensitive_operators_lower_case_as_javascript_does() {
    let a = audience(r#"{ "city": { "$ini": ["ÉCOLE", "İstanbul"] } }"#);
    assert!(a.matches(&attributes(r#"{ "city": "école" }"#)));
    assert!(
        a.matches(&attributes(r#"{ "city": "i̇stanbul" }"#)),
        "İ lower-cases to i + combining dot"
    );
}

fn at_path(value: &JsValue, path: &str) -> JsValue {
    path.split('.').fold(value.clone(), |v, key| {
        js_sys::Reflect::get(&v, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    })
}

fn start(project: &str) -> crate::Waymark {
    let options = js(&format!(
        "({{ project: '{project}', key: 'pk_test', host: 'http://127.0.0.1:9', outbox: {{
            added: [], add(id, json) {{ this.added.push(json); }},
            consent() {{}}, reset() {{}}, flush() {{}}, close() {{}},
        }}, stage: {{
            contents: [], shown: [], fetched: 0,
            fetchConfig() {{ this.fetched++; }}, content(c) {{ this.contents.push(c); }},
            prefetch() {{}}, show(kind, request) {{ this.shown.push([kind, request]); }},
            event() {{}}, navigated() {{}}, close() {{}}, later() {{}}, page() {{}}, stop() {{}},
        }} }})"
    ));
    crate::Waymark::start(options).map_err(|_| ()).unwrap()
}

#[wasm_bindgen_test]
fn the_behaviour_profile_counts_events_and_persists_across_starts() {
    let first = start("profile-test");
    for _ in 0..3 {
        first.track(
            "export_clicked".into(),
            JsValue::UNDEFINED,
            JsValue::UNDEFINED,
        );
    }
    assert_eq!(
        at_path(&first.behavior(), "event.export_clicked.count_today").as_f64(),
        Some(3.0)
    );
    assert_eq!(
        at_path(&first.behavior(), "sessions.count").as_f64(),
        Some(1.0)
    );
    first.shutdown();
    let second = start("profile-test");
    second.track(
        "export_clicked".into(),
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
    );
    assert_eq!(
        at_path(&second.behavior(), "event.export_clicked.total").as_f64(),
        Some(4.0)
    );
    assert_eq!(
        at_path(&second.behavior(), "sessions.count").as_f64(),
        Some(1.0),
        "the session continues"
    );
    second.shutdown();
}

#[wasm_bindgen_test]
fn identify_merges_the_anonymous_profile_into_the_users_stored_profile() {
    use waymark_core::encode::WriteJson;
    use waymark_core::rules::profile::{Moment, Profile};
    let mut theirs = Profile::new(Millis(1_700_000_000_000));
    for _ in 0..5 {
        theirs.record_event(
            "export_clicked",
            Moment::local(Millis(1_700_000_000_000), 0),
        );
    }
    let local = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    local
        .set_item(
            "waymark:merge-test:profile@user_9",
            &theirs.to_json().to_json_string(),
        )
        .unwrap();

    let sdk = start("merge-test");
    sdk.track(
        "export_clicked".into(),
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
    );
    sdk.identify("user_9".into(), JsValue::UNDEFINED, JsValue::UNDEFINED);
    assert_eq!(
        at_path(&sdk.behavior(), "event.export_clicked.total").as_f64(),
        Some(6.0)
    );
    sdk.shutdown();
}

#[wasm_bindgen_test]
fn held_storage_writes_nothing_until_released_and_purge_forgets_all() {
    let local = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    let storage = Storage::open("hold-test");
    storage.purge();
    storage.hold();
    storage.set("a", "1");
    assert_eq!(
        storage.get("a").as_deref(),
        Some("1"),
        "held values are readable"
    );
    assert_eq!(local.get_item("waymark:hold-test:a").unwrap(), None);
    storage.release();
    assert_eq!(
        local.get_item("waymark:hold-test:a").unwrap().as_deref(),
        Some("1")
    );
    storage.purge();
    assert_eq!(local.get_item("waymark:hold-test:a").unwrap(), None);
    assert_eq!(storage.get("a"), None);
}
