//! What every request handler shares: [`AppState`], and the clock it carries. Its own
//! module, so that handlers and the router that lists them both depend on it, and no
//! handler on the router.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use time::{Date, OffsetDateTime};
use waymark_core::Millis;

use crate::config::{IpStorage, Limits};
use crate::console::Console;
use crate::limits::RateLimits;
use crate::registry::Registry;
use crate::store::EventStore;

/// What every request handler shares.
#[derive(Clone)]
pub struct AppState {
    /// Projects and their keys.
    pub registry: Registry,
    /// Where events go.
    pub store: Arc<dyn EventStore>,
    /// Ingestion limits.
    pub limits: Limits,
    /// Rate limits per key and per client address.
    pub rate_limits: Arc<RateLimits>,
    /// How client addresses are stored.
    pub ip_storage: IpStorage,
    /// Whether `X-Forwarded-For` names the client (behind a trusted proxy).
    pub trust_forwarded_for: bool,
    /// The collector's clock, injected so that tests control time.
    pub clock: fn() -> Millis,
    /// Folder served at `/sdk/`.
    pub sdk_dir: PathBuf,
    /// Folder served at `/`, if any.
    pub site_dir: Option<PathBuf>,
    /// The console's accounts, sign-in limits and settings.
    pub console: Console,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("registry", &self.registry)
            .field("limits", &self.limits)
            .field("sdk_dir", &self.sdk_dir)
            .field("site_dir", &self.site_dir)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Today's date in UTC by the state's clock: the default last day of every report.
    #[must_use]
    pub fn today(&self) -> Date {
        let now = (self.clock)();
        OffsetDateTime::from_unix_timestamp((now.0 / 1000) as i64)
            .map_or(Date::MIN, OffsetDateTime::date)
    }
}

/// The system clock.
#[must_use]
pub fn system_clock() -> Millis {
    Millis(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64),
    )
}
