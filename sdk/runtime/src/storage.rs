//! Persistent key-value storage for one project: `localStorage` under the prefix
//! `waymark:<project>:`, falling back to memory where storage is blocked (some privacy
//! modes throw on access) or full. The fallback keeps the SDK working for the page's life.
//!
//! While consent is pending nothing may be written: [`Storage::hold`] keeps every value in
//! memory until [`Storage::release`] writes them out, or [`Storage::purge`] forgets them
//! together with everything stored before.

use std::cell::{Cell, RefCell};

/// The anonymous id.
pub const ANONYMOUS_ID: &str = "anonymous_id";
/// The current session, as JSON.
pub const SESSION: &str = "session";
/// The identified user id.
pub const USER_ID: &str = "user_id";
/// The behaviour profile of this browser (the current user's, once identified).
pub const PROFILE: &str = "profile";

/// The traits `identify` gave, merged, as JSON.
pub const TRAITS: &str = "traits";
/// The last config envelope the collector sent, as JSON.
pub const CONFIG: &str = "config";
/// The on-page experiment exposures already sent, one per line.
pub const EXPOSURES: &str = "exposures";

/// The key of the selectors the anti-flicker snippet hides on the page at `path` until the
/// runtime has applied its content (README, "Personalized content without flicker").
pub fn hide(path: &str) -> String {
    let mut key = String::with_capacity(5 + path.len());
    key.push_str("hide:");
    key.push_str(path);
    key
}

/// The key of a tour's progress.
pub fn tour_progress(tour: &str) -> String {
    let mut key = String::with_capacity(5 + tour.len());
    key.push_str("tour:");
    key.push_str(tour);
    key
}

/// The key of an identified user's behaviour profile, kept so that it can take in the
/// anonymous profile when the same user identifies again after logging out.
pub fn user_profile(user_id: &str) -> String {
    let mut key = String::with_capacity(PROFILE.len() + 1 + user_id.len());
    key.push_str(PROFILE);
    key.push('@');
    key.push_str(user_id);
    key
}

/// A project's storage.
pub struct Storage {
    prefix: String,
    local: Option<web_sys::Storage>,
    /// True while writes must stay in memory (consent pending).
    held: Cell<bool>,
    /// Values `localStorage` would not take: a few keys at most, so a list beats a map
    /// (and keeps hashing code out of the wasm).
    memory: RefCell<Vec<(String, String)>>,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage")
            .field("prefix", &self.prefix)
            .field("persistent", &self.local.is_some())
            .finish()
    }
}

impl Storage {
    /// Storage for `project`.
    pub fn open(project: &str) -> Storage {
        let local = web_sys::window().and_then(|w| w.local_storage().ok().flatten());
        let mut prefix = String::with_capacity(project.len() + 10);
        prefix.push_str("waymark:");
        prefix.push_str(project);
        prefix.push(':');
        Storage {
            prefix,
            local,
            held: Cell::new(false),
            memory: RefCell::new(Vec::new()),
        }
    }

    /// True when values survive a reload.
    pub fn is_persistent(&self) -> bool {
        self.local.is_some()
    }

    fn key(&self, name: &str) -> String {
        let mut key = self.prefix.clone();
        key.push_str(name);
        key
    }

    /// Reads a value.
    pub fn get(&self, name: &str) -> Option<String> {
        let key = self.key(name);
        let remembered = self
            .memory
            .try_borrow()
            .ok()
            .and_then(|m| m.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone()));
        if let Some(value) = remembered {
            return Some(value);
        }
        self.local
            .as_ref()
            .and_then(|s| s.get_item(&key).ok().flatten())
    }

    /// Writes a value; if `localStorage` refuses it (quota), or writes are held, it is kept
    /// in memory.
    pub fn set(&self, name: &str, value: &str) {
        let key = self.key(name);
        self.set_key(key, value);
    }

    fn set_key(&self, key: String, value: &str) {
        let stored = !self.held.get()
            && self
                .local
                .as_ref()
                .is_some_and(|s| s.set_item(&key, value).is_ok());
        if let Ok(mut memory) = self.memory.try_borrow_mut() {
            memory.retain(|(k, _)| *k != key);
            if !stored {
                memory.push((key, value.to_owned()));
            }
        }
    }

    /// Forgets a value.
    pub fn remove(&self, name: &str) {
        let key = self.key(name);
        self.remove_key(&key);
    }

    fn remove_key(&self, key: &str) {
        if let Ok(mut memory) = self.memory.try_borrow_mut() {
            memory.retain(|(k, _)| k != key);
        }
        if let Some(local) = &self.local {
            let _ = local.remove_item(key);
        }
    }

    /// From now on, writes stay in memory.
    pub fn hold(&self) {
        self.held.set(true);
    }

    /// Writes out what was held in memory, and lets later writes through.
    pub fn release(&self) {
        if !self.held.replace(false) {
            return;
        }
        let held = self
            .memory
            .try_borrow_mut()
            .map(|mut m| std::mem::take(&mut *m))
            .unwrap_or_default();
        for (key, value) in held {
            self.set_key(key, &value);
        }
    }

    /// Forgets every value of this project, in memory and in `localStorage`.
    pub fn purge(&self) {
        if let Ok(mut memory) = self.memory.try_borrow_mut() {
            memory.clear();
        }
        for key in self.local_keys("") {
            self.remove_key(&key);
        }
    }

    /// The full `localStorage` keys of this project that start with `name_prefix`.
    fn local_keys(&self, name_prefix: &str) -> Vec<String> {
        let Some(local) = &self.local else {
            return Vec::new();
        };
        let count = local.length().unwrap_or(0);
        (0..count)
            .filter_map(|i| local.key(i).ok().flatten())
            .filter(|key| {
                key.strip_prefix(self.prefix.as_str())
                    .is_some_and(|name| name.starts_with(name_prefix))
            })
            .collect()
    }
}
