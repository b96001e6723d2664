//! The class the loader instantiates, `Waymark`, and its methods.
//!
//! Every method takes plain `JsValue`s and checks them itself, so that a wrong call from a
//! page (`track(42)`) gets a console warning naming the problem rather than an exception.

use std::rc::Rc;

use wasm_bindgen::prelude::*;
use waymark_core::protocol::{check_name, check_user_id};

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

    /// Records a page view of the current URL (automatic on load and on navigations).
    pub fn page(&self) {
        self.sdk.page();
    }

    /// The behaviour profile as targeting conditions see it (`behavior.*`), to check
    /// targeting while building it.
    #[wasm_bindgen(getter)]
    pub fn behavior(&self) -> JsValue {
        convert::to_js(&waymark_core::encode::WriteJson::to_json_string(
            &self.sdk.behavior(),
        ))
    }

    /// Sends every pending event now.
    pub fn flush(&self) {
        self.sdk.flush();
    }

    /// This browser's anonymous id.
    #[wasm_bindgen(getter, js_name = anonymousId)]
    pub fn anonymous_id(&self) -> String {
        self.sdk.anonymous_id()
    }

    /// Stops the SDK: sends what is pending and restores everything it changed on the page.
    pub fn shutdown(&self) {
        self.sdk.shutdown();
    }
}
