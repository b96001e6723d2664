//! Reads from the browser that the core takes as values: time, randomness, the page.

use wasm_bindgen::JsValue;
use waymark_core::id::Entropy;
use waymark_core::rules::profile::Moment;
use waymark_core::{Context, Millis, Page, SdkInfo, Viewport};

/// The SDK's name and version, on every event.
pub const SDK_NAME: &str = "waymark-web";
/// This crate's version.
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The current time.
pub fn now() -> Millis {
    Millis::from_js(js_sys::Date::now())
}

/// Now, with the user's local day, for the behaviour profile's daily counts.
pub fn moment(now: Millis) -> Moment {
    // getTimezoneOffset is UTC minus local time, in minutes.
    let offset = -js_sys::Date::new_0().get_timezone_offset();
    Moment::local(now, offset as i32)
}

/// Ten random bytes for an id, from `crypto.getRandomValues`, or `Math.random` where a
/// page has no `crypto` (ids then stay unique but are guessable, which they may be).
pub fn entropy() -> Entropy {
    let mut bytes: Entropy = [0; 10];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|crypto| crypto.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !filled {
        for byte in &mut bytes {
            *byte = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    bytes
}

/// The page as it is now, with the given referrer.
pub fn context(referrer: &str) -> Context {
    let window = web_sys::window();
    let location = window.as_ref().map(web_sys::Window::location);
    let document = window.as_ref().and_then(web_sys::Window::document);
    let dimension = |value: Result<JsValue, JsValue>| {
        value.ok().and_then(|v| v.as_f64()).map_or(0, |v| v as u32)
    };
    Context {
        page: Page {
            url: location
                .as_ref()
                .and_then(|l| l.href().ok())
                .unwrap_or_default(),
            path: location
                .as_ref()
                .and_then(|l| l.pathname().ok())
                .unwrap_or_default(),
            title: document
                .as_ref()
                .map(web_sys::Document::title)
                .unwrap_or_default(),
            referrer: referrer.to_owned(),
        },
        locale: window.as_ref().and_then(|w| w.navigator().language()),
        viewport: window.as_ref().map(|w| Viewport {
            width: dimension(w.inner_width()),
            height: dimension(w.inner_height()),
        }),
        sdk: SdkInfo {
            name: SDK_NAME.to_owned(),
            version: SDK_VERSION.to_owned(),
        },
    }
}

/// The current URL.
pub fn current_url() -> String {
    web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default()
}

/// `document.referrer`.
pub fn document_referrer() -> String {
    web_sys::window()
        .and_then(|w| w.document())
        .map(|d| d.referrer())
        .unwrap_or_default()
}

pub use waymark_browser::console::{warn, warn_with};

/// True when the browser sends Do-Not-Track or Global Privacy Control.
pub fn privacy_signal() -> bool {
    let Some(navigator) = web_sys::window().map(|w| w.navigator()) else {
        return false;
    };
    let gpc = js_sys::Reflect::get(&navigator, &"globalPrivacyControl".into())
        .is_ok_and(|v| v.is_truthy());
    gpc || navigator.do_not_track() == "1"
}
