//! Getting batches to the collector.
//!
//! Batches go as `text/plain` without credentials: a CORS *simple request*, so no
//! preflight is needed, and no cookie of the host page ever travels. While the page lives,
//! `fetch` sends them and the answer settles the batch. When the page is being hidden or
//! unloaded, `sendBeacon` hands them to the browser, which delivers them after the page is
//! gone.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestCredentials, RequestInit, RequestMode, Response};

use crate::convert;

/// Browsers refuse `keepalive` requests and beacons over 64 KiB; stay below with margin.
pub const BEACON_MAX_BYTES: usize = 60_000;

/// What a send attempt came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The collector stored the batch.
    Stored,
    /// It may succeed later: a network error, 408, 429 or a 5xx.
    Retry,
    /// The collector refused the batch and will refuse it again: the status and the
    /// collector's error tag.
    Refused(u16, Option<String>),
}

/// Starts a `fetch` of `body` at once (so that it is on its way even if the page is about
/// to go) and returns the future of its outcome.
pub fn post(url: &str, body: &str) -> impl std::future::Future<Output = Outcome> {
    let request = web_sys::window().map(|window| {
        let init = RequestInit::new();
        init.set_method("POST");
        init.set_body(&JsValue::from_str(body));
        init.set_mode(RequestMode::Cors);
        init.set_credentials(RequestCredentials::Omit);
        let headers = js_sys::Object::new();
        let _ = js_sys::Reflect::set(
            &headers,
            &"content-type".into(),
            &"text/plain;charset=UTF-8".into(),
        );
        init.set_headers(&headers);
        // keepalive lets the request outlive the page, so a batch in flight during a
        // navigation still arrives; browsers allow it only for small bodies.
        if body.len() <= BEACON_MAX_BYTES {
            let _ = js_sys::Reflect::set(&init, &"keepalive".into(), &JsValue::TRUE);
        }
        window.fetch_with_str_and_init(url, &init)
    });
    async move {
        let Some(promise) = request else {
            return Outcome::Retry;
        };
        let Ok(response) = JsFuture::from(promise).await else {
            return Outcome::Retry;
        };
        let Ok(response) = response.dyn_into::<Response>() else {
            return Outcome::Retry;
        };
        classify(&response).await
    }
}

async fn classify(response: &Response) -> Outcome {
    let status = response.status();
    match status {
        200..=299 => Outcome::Stored,
        408 | 429 | 500..=599 => Outcome::Retry,
        _ => {
            let tag = match response.json() {
                Ok(body) => JsFuture::from(body)
                    .await
                    .ok()
                    .and_then(|b| convert::error_tag(&b)),
                Err(_) => None,
            };
            Outcome::Refused(status, tag)
        }
    }
}

/// Hands `body` to `navigator.sendBeacon`. False if the browser refused it (its beacon
/// queue is full, or beacons are unavailable).
pub fn beacon(url: &str, body: &str) -> bool {
    web_sys::window()
        .map(|w| w.navigator())
        .is_some_and(|n| n.send_beacon_with_opt_str(url, Some(body)).unwrap_or(false))
}
