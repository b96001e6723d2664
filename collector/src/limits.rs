//! Rate limiting: a token bucket per public key and per client IP address (GCRA, by the
//! `governor` crate). A client over its rate gets 429 with `Retry-After`, and nothing it
//! sent is read further.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::IngestError;

/// A rate: so many requests per second, with bursts up to `burst`. Zero turns it off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    /// Sustained requests per second.
    pub per_second: u32,
    /// Requests allowed at once.
    pub burst: u32,
}

impl Rate {
    fn limiter<K: std::hash::Hash + Eq + Clone>(self) -> Option<DefaultKeyedRateLimiter<K>> {
        let per_second = NonZeroU32::new(self.per_second)?;
        let burst = NonZeroU32::new(self.burst.max(self.per_second)).unwrap_or(per_second);
        Some(RateLimiter::keyed(
            Quota::per_second(per_second).allow_burst(burst),
        ))
    }
}

/// The collector's rate limiters.
pub struct RateLimits {
    per_key: Option<DefaultKeyedRateLimiter<String>>,
    per_ip: Option<DefaultKeyedRateLimiter<IpAddr>>,
    clock: DefaultClock,
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimits")
            .field("per_key", &self.per_key.is_some())
            .field("per_ip", &self.per_ip.is_some())
            .finish()
    }
}

fn refused(wait: Duration) -> IngestError {
    IngestError::RateLimited {
        retry_after: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
    }
}

impl RateLimits {
    /// Limiters for these rates.
    #[must_use]
    pub fn new(per_key: Rate, per_ip: Rate) -> RateLimits {
        RateLimits {
            per_key: per_key.limiter(),
            per_ip: per_ip.limiter(),
            clock: DefaultClock::default(),
        }
    }

    /// No limits at all.
    #[must_use]
    pub fn unlimited() -> RateLimits {
        RateLimits {
            per_key: None,
            per_ip: None,
            clock: DefaultClock::default(),
        }
    }

    /// Takes a token for a client address.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), IngestError> {
        match &self.per_ip {
            Some(limiter) => limiter
                .check_key(&ip)
                .map_err(|not_until| refused(not_until.wait_time_from(self.clock.now()))),
            None => Ok(()),
        }
    }

    /// Takes a token for a public key.
    pub fn check_key(&self, key: &str) -> Result<(), IngestError> {
        match &self.per_key {
            Some(limiter) => limiter
                .check_key(&key.to_owned())
                .map_err(|not_until| refused(not_until.wait_time_from(self.clock.now()))),
            None => Ok(()),
        }
    }

    /// Forgets buckets that are full again, so that memory follows the active clients.
    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.per_key {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        if let Some(limiter) = &self.per_ip {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}
