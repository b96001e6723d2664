//! The class the loader instantiates, `Waymark`, and its methods.
//!
//! Every method takes plain `JsValue`s and checks them itself, so that a wrong call from a
//! page (`track(42)`) gets a console warning naming the problem rather than an exception.

use std::rc::Rc;

use wasm_bindgen::prelude::*;
use waymark_core::outbox::{self, BatchPolicy};
use waymark_core::privacy::Consent;
use waymark_core::protocol::{check_name, check_user_id};
use waymark_core::Millis;

use crate::browser;
use crate::convert;
use crate::sdk::Sdk;

/// A running Waymark SDK.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Waymark {
    sdk: Rc<Sdk>,
}

#[wasm_bindgen]
impl Waymark {
    /// Starts the SDK with `{ project, key, host }`. Throws an `Error` naming the problem
    /// if the options are unusable; the loader catches it and logs it once.
    pub fn start(options: JsValue) -> Result<Waymark, JsError> {
        waymark_browser::json::use_browser_numbers();
        let options = convert::start_options(&options).map_err(JsError::new)?;
        Ok(Waymark {
            sdk: Sdk::start(options),
        })
    }

    /// Records a custom event: `track(name, properties?, at?)`. `at` is the time the call
    /// was made, when it was queued before the SDK loaded.
    pub fn track(&self, name: JsValue, properties: JsValue, at: JsValue) {
        let Some(name) = convert::string(&name) else {
            return browser::warn("track(name, properties): the event name must be a string; the event was not recorded");
        };
        if let Err(problem) = check_name(&name) {
            return browser::warn_with(
                "track(name, properties): the event was not recorded:",
                &problem.message().into(),
            );
        }
        if name.starts_with('$') {
            return browser::warn_with(
                "track(name, properties): names starting with $ are reserved for Waymark; the event was not recorded:",
                &name.into(),
            );
        }
        match convert::properties(&properties) {
            Ok(properties) => self.sdk.track(name, properties, convert::timestamp(&at)),
            Err(problem) => browser::warn_with(
                "track(name, properties): the event was not recorded:",
                &problem.into(),
            ),
        }
    }

    /// Links this browser to a user of the app: `identify(userId, traits?, at?)`.
    pub fn identify(&self, user_id: JsValue, traits: JsValue, at: JsValue) {
        let Some(user_id) = convert::user_id(&user_id).filter(|id| check_user_id(id).is_ok())
        else {
            return browser::warn("identify(userId, traits): the user id must be a non-empty string of at most 200 bytes; the call was ignored");
        };
        match convert::properties(&traits) {
            Ok(traits) => self.sdk.identify(user_id, traits, convert::timestamp(&at)),
            Err(problem) => browser::warn_with(
                "identify(userId, traits): the call was ignored:",
                &problem.into(),
            ),
        }
    }

    /// Reads what the facade's getters show: `anonymousId` (this browser's anonymous id),
    /// `behavior` (the behaviour profile as targeting conditions see it, `behavior.*`) or
    /// `attributes` (everything targeting sees for this user now: `user`, `behavior`,
    /// `url`, …), to check targeting while building it. One export for the three keeps the
    /// wasm-bindgen glue small.
    pub fn read(&self, what: &str) -> JsValue {
        match what {
            "anonymousId" => self.sdk.anonymous_id().into(),
            "behavior" => json_to_js(&self.sdk.behavior()),
            "attributes" => json_to_js(&self.sdk.attributes()),
            _ => JsValue::UNDEFINED,
        }
    }

    /// Sets consent: `consent('granted' | 'pending' | 'denied')`.
    pub fn consent(&self, state: JsValue) {
        match state.as_string().as_deref().and_then(Consent::parse) {
            Some(consent) => self.sdk.set_consent(consent),
            None => browser::warn(
                "consent(state): the state must be 'granted', 'pending' or 'denied'; the call was ignored",
            ),
        }
    }

    /// The calls without arguments of their own, from the facade and from the page:
    /// - the facade's `page` (a page view of the current URL, automatic on load and on
    ///   navigations), `flush` (send every pending event now), `reset` (log out: clear the
    ///   user id, the behaviour profile and the outbox after sending what it holds, and start
    ///   a new anonymous id) and `shutdown` (send what is pending and restore everything the
    ///   SDK changed on the page);
    /// - `outbox.js`'s `dropped` (it dropped `n` events to stay within its bounds);
    /// - the stage's (`page.js`): `navigated` (a History API navigation), `hidden` (the page
    ///   is hidden or left), `tick` (the timer of `later()` fired), `time` (the page has
    ///   lasted `n` ms), `exit` (exit intent) or `element` (an element matching the `n`th
    ///   selector `page()` was given is on the page).
    ///
    /// One entry point rather than eleven keeps the wasm-bindgen glue small.
    pub fn notify(&self, what: &str, n: u32) {
        match what {
            "page" => self.sdk.page(),
            "flush" => self.sdk.flush(),
            "reset" => self.sdk.reset(),
            "shutdown" => self.sdk.shutdown(),
            "dropped" => self.sdk.report_dropped(n),
            "navigated" => self.sdk.navigated(),
            "hidden" => self.sdk.hidden(),
            "tick" => self.sdk.tick(),
            "time" => self.sdk.time_on_page(n),
            "exit" => self.sdk.exit_intent(),
            "element" => self.sdk.element_appeared(n),
            _ => {}
        }
    }

    /// What the stage, the content layer and the experiences module report about an
    /// experience (`id`), with a `detail` for some:
    /// - `config`: the collector's config answer, the envelope's JSON text in `id`;
    /// - from the experiences module (or the stage, when it could not load it): `event` (an
    ///   event of the tour or survey on screen, named `id`, its properties' JSON in
    ///   `detail`), `outcome` (`seen`, `answered`, `completed` or `dismissed` in `detail`),
    ///   `progress` (a tour's progress to keep in `detail`, or none to forget it) and `ended`
    ///   (off the screen, for the reason in `detail`);
    /// - from the content layer about a content experience: `seen` (one of its changes is on
    ///   the page), `dismissed` (its banner was closed), `action` (its banner's call to
    ///   action was used), or the reason it skipped one of its changes (`unsafe_url`, …).
    ///
    /// One entry point rather than six keeps the wasm-bindgen glue small.
    pub fn report(&self, what: &str, id: &str, detail: Option<String>) {
        if what == "progress" {
            return self.sdk.tour_progress(id, detail);
        }
        let detail = detail.unwrap_or_default();
        match what {
            "config" => self.sdk.configure(id),
            "event" => self.sdk.experience_event(id, &detail),
            "outcome" => self.sdk.experience_outcome(id, &detail),
            "ended" => self.sdk.experience_ended(id, &detail),
            "seen" => self.sdk.content_seen(id),
            "dismissed" => self.sdk.content_dismissed(id),
            "action" => self.sdk.content_action(id),
            // Anything else is why the content layer skipped a change.
            reason => self.sdk.content_skipped(id, reason),
        }
    }
}

fn json_to_js(value: &waymark_core::Value) -> JsValue {
    convert::to_js(&waymark_core::encode::WriteJson::to_json_string(value))
}

/// For `outbox.js`: the outbox's numbers, `[max_events, max_bytes, max_delay_ms,
/// outbox_events, outbox_bytes]` (see `waymark_core::BatchPolicy`), so that the shell's
/// timing and the core's plans follow one policy.
#[wasm_bindgen(js_name = outboxPolicy)]
pub fn outbox_policy() -> Vec<u32> {
    let p = BatchPolicy::default();
    [
        p.max_events,
        p.max_bytes,
        p.max_delay.0 as usize,
        p.outbox_events,
        p.outbox_bytes,
    ]
    .iter()
    .map(|&n| n as u32)
    .collect()
}

/// For `outbox.js`: what a send cycle (or an unload) does with an outbox of events of
/// these JSON `sizes`, oldest first. Returns `[drop, end, end, …]`: drop the oldest `drop`
/// events to stay within the bounds, then send batches ending (exclusive) at each `end`.
#[wasm_bindgen(js_name = outboxPlan)]
pub fn outbox_plan(sizes: &[u32]) -> Vec<u32> {
    let sizes: Vec<usize> = sizes.iter().map(|&s| s as usize).collect();
    let (drop, ranges) = outbox::plan(&sizes, &BatchPolicy::default());
    let mut plan = Vec::with_capacity(ranges.len() + 1);
    plan.push(drop as u32);
    plan.extend(ranges.iter().map(|r| r.end as u32));
    plan
}

/// For `outbox.js`: milliseconds to wait after the `failures`-th failed send in a row,
/// given the collector's `Retry-After` in milliseconds (`NaN` when it sent none) and a
/// random number for the jitter.
#[wasm_bindgen(js_name = retryWait)]
pub fn retry_wait(failures: u32, retry_after: f64, random: u32) -> f64 {
    let retry_after =
        (retry_after.is_finite() && retry_after > 0.0).then_some(Millis(retry_after as u64));
    outbox::retry_wait(failures, retry_after, random).0 as f64
}
