//! Who a console request is from, and whether it may change anything.
//!
//! - The session cookie ([`COOKIE`]): `HttpOnly` (no script reads it), `SameSite=Strict`
//!   (no other site's page sends it), `Path=/console`, `Secure` when the console is served
//!   over HTTPS, and a `Max-Age` equal to the session's lifetime; the server ends the
//!   session at that time whatever the browser keeps. The browser holds nothing else: no
//!   key and no token reaches its storage.
//! - [`require_same_origin`]: every console request that can change state (any method but
//!   `GET` and `HEAD`), sign-in included, must carry an `Origin` that is the console's own
//!   (the `Host` it was sent to), and a `Sec-Fetch-Site`, when sent, of `same-origin`.
//!   With `SameSite=Strict` this is the second of two independent guards against
//!   cross-site request forgery.
//! - [`SignInLimits`]: sign-in attempts per user name and per client address.

use std::net::IpAddr;
use std::num::NonZeroU32;

use axum::extract::{FromRequestParts, RawPathParams, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::accounts::{Role, SessionLookup, SessionUser};
use super::error::ConsoleError;
use crate::error::IngestError;
use crate::state::AppState;

/// The session cookie's name.
pub const COOKIE: &str = "waymark_console";

/// The path the cookie is sent to: the console's pages and API, nothing else.
const COOKIE_PATH: &str = "/console";

/// The `Set-Cookie` value that hands the browser a session.
#[must_use]
pub fn session_cookie(token: &str, lifetime_secs: u64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{COOKIE}={token}; Path={COOKIE_PATH}; Max-Age={lifetime_secs}; HttpOnly; SameSite=Strict{secure}"
    )
}

/// The `Set-Cookie` value that makes the browser forget its session.
#[must_use]
pub fn cleared_cookie(secure: bool) -> String {
    session_cookie("", 0, secure)
}

/// The session token the request's cookie carries, if any.
#[must_use]
pub fn token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == COOKIE && !value.is_empty())
        .map(|(_, value)| value)
}

/// The host the request was sent to: `X-Forwarded-Host` behind a trusted proxy, else `Host`.
fn host(headers: &HeaderMap, trust_forwarded: bool) -> Option<&str> {
    let forwarded = trust_forwarded
        .then(|| headers.get("x-forwarded-host"))
        .flatten();
    forwarded
        .or_else(|| headers.get(header::HOST))
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// Whether a state-changing request is from the console's own origin; its answer is whether
/// that origin is HTTPS (so cookies set in answer are `Secure`).
pub fn same_origin(headers: &HeaderMap, trust_forwarded: bool) -> Result<bool, ConsoleError> {
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let refused = || {
        ConsoleError::CrossOrigin(
            if origin.is_empty() {
                "no Origin header"
            } else {
                origin
            }
            .to_owned(),
        )
    };
    if let Some(site) = headers.get("sec-fetch-site") {
        if site.as_bytes() != b"same-origin" {
            return Err(refused());
        }
    }
    let (https, authority) = match origin.split_once("://") {
        Some(("https", rest)) => (true, rest),
        Some(("http", rest)) => (false, rest),
        _ => return Err(refused()),
    };
    match host(headers, trust_forwarded) {
        Some(host) if !host.is_empty() && host.eq_ignore_ascii_case(authority) => Ok(https),
        _ => Err(refused()),
    }
}

/// Middleware over the console's API: requests that can change state must pass
/// [`same_origin`].
pub async fn require_same_origin(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        if let Err(refused) = same_origin(request.headers(), state.trust_forwarded_for) {
            tracing::warn!(method = %request.method(), path = request.uri().path(), "cross-origin console request refused");
            return refused.into_response();
        }
    }
    let mut response = next.run(request).await;
    // Nothing the console API answers may be cached: it is one user's view.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The signed-in user the request's cookie names.
pub async fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<SessionUser, ConsoleError> {
    let token = token(headers).ok_or(ConsoleError::NotSignedIn)?.to_owned();
    let now = (state.clock)();
    match super::blocking(state, move |accounts| accounts.session(&token, now)).await? {
        SessionLookup::Valid(user) => Ok(user),
        SessionLookup::Expired => Err(ConsoleError::SessionExpired),
        SessionLookup::Unknown => Err(ConsoleError::NotSignedIn),
    }
}

/// What a handler needs of its caller: a role (one of [`Viewer`], [`Editor`],
/// [`Publisher`], [`Admin`]), at least.
pub trait Needs: Send + Sync + 'static {
    /// The least role that may.
    const ROLE: Role;
}

macro_rules! needs {
    ($($(#[$doc:meta])* $name:ident => $role:ident,)*) => {$(
        $(#[$doc])*
        #[derive(Debug)]
        pub enum $name {}
        impl Needs for $name {
            const ROLE: Role = Role::$role;
        }
    )*};
}

needs! {
    /// Reading: the configs, versions, drafts, reports and the audit log.
    Viewer => Viewer,
    /// Editing the draft.
    Editor => Editor,
    /// Publishing, rolling back, pausing, resuming and ending.
    Publisher => Publisher,
    /// Managing the project's users.
    Admin => Admin,
}

/// The caller of a project route (`…/projects/{project}/…`): signed in, with a role in that
/// project that allows what `R` may do. As an extractor it is the route's first: the session
/// is checked before anything else in the request is read (a caller who is not signed in
/// learns nothing of its other parts), then the project's name, then the role; a handler
/// that takes a `Member` cannot forget any of the three, and its signature says its role.
#[derive(Debug)]
pub struct Member<R: Needs> {
    /// The signed-in user.
    pub user: SessionUser,
    /// The project the path names.
    pub project: String,
    /// Their role there (at least `R::ROLE`).
    pub role: Role,
    needs: std::marker::PhantomData<R>,
}

impl<R: Needs> FromRequestParts<AppState> for Member<R> {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ConsoleError> {
        let user = signed_in(state, &parts.headers).await?;
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|e| IngestError::InvalidRequest(format!("the path: {}", e.body_text())))?;
        let project = params
            .iter()
            .find(|(name, _)| *name == "project")
            .map(|(_, value)| value.to_owned())
            .ok_or_else(|| {
                tracing::error!(
                    path = parts.uri.path(),
                    "a project route without {{project}}"
                );
                IngestError::InvalidRequest("this route names no project".to_owned())
            })?;
        let role = role_of(state, &user, &project, R::ROLE).await?;
        Ok(Member {
            user,
            project,
            role,
            needs: std::marker::PhantomData,
        })
    }
}

/// The role `user` holds in `project`, if it allows what `needed` may do.
async fn role_of(
    state: &AppState,
    user: &SessionUser,
    project: &str,
    needed: Role,
) -> Result<Role, ConsoleError> {
    let (name, wanted) = (user.name.clone(), project.to_owned());
    let held = super::blocking(state, move |accounts| accounts.role(&name, &wanted))
        .await?
        .ok_or_else(|| ConsoleError::NoAccess(project.to_owned()))?;
    if !held.allows(needed) {
        return Err(ConsoleError::RoleTooLow {
            project: project.to_owned(),
            needed,
            held,
        });
    }
    Ok(held)
}

/// Sign-in attempts allowed per user name and per client address. Every attempt counts,
/// right or wrong, so that guessing is slow whichever names are tried.
pub struct SignInLimits {
    per_name: Option<DefaultKeyedRateLimiter<String>>,
    per_address: Option<DefaultKeyedRateLimiter<IpAddr>>,
    clock: DefaultClock,
}

impl std::fmt::Debug for SignInLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInLimits")
            .field("on", &self.per_name.is_some())
            .finish()
    }
}

impl SignInLimits {
    /// `per_minute` attempts a minute per name (all at once at most), and four times that
    /// per client address; zero turns them off.
    #[must_use]
    pub fn new(per_minute: u32) -> SignInLimits {
        let quota = |n: u32| NonZeroU32::new(n).map(|n| Quota::per_minute(n).allow_burst(n));
        SignInLimits {
            per_name: quota(per_minute).map(RateLimiter::keyed),
            per_address: quota(per_minute.saturating_mul(4)).map(RateLimiter::keyed),
            clock: DefaultClock::default(),
        }
    }

    /// Takes an attempt for `name` from `address`.
    pub fn check(&self, name: &str, address: Option<IpAddr>) -> Result<(), ConsoleError> {
        let refused = |wait: std::time::Duration| ConsoleError::RateLimited {
            retry_after: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
        };
        if let (Some(limiter), Some(address)) = (&self.per_address, address) {
            limiter
                .check_key(&address)
                .map_err(|not_until| refused(not_until.wait_time_from(self.clock.now())))?;
        }
        if let Some(limiter) = &self.per_name {
            limiter
                .check_key(&name.to_lowercase())
                .map_err(|not_until| refused(not_until.wait_time_from(self.clock.now())))?;
        }
        Ok(())
    }

    /// Forgets buckets that are full again.
    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.per_name {
            limiter.retain_recent();
        }
        if let Some(limiter) = &self.per_address {
            limiter.retain_recent();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    #[test]
    fn only_the_consoles_own_origin_may_change_state() {
        let own = [
            ("host", "console.example:8080"),
            ("origin", "http://console.example:8080"),
        ];
        assert!(matches!(same_origin(&headers(&own), false), Ok(false)));
        let https = [
            ("host", "console.example"),
            ("origin", "https://console.example"),
        ];
        assert!(matches!(same_origin(&headers(&https), false), Ok(true)));
        for refused in [
            &[("host", "console.example")][..],
            &[("host", "console.example"), ("origin", "null")],
            &[
                ("host", "console.example"),
                ("origin", "https://evil.example"),
            ],
            &[
                ("host", "console.example"),
                ("origin", "https://console.example.evil.example"),
            ],
            &[
                ("host", "console.example"),
                ("origin", "https://console.example"),
                ("sec-fetch-site", "cross-site"),
            ],
        ] {
            assert!(
                matches!(
                    same_origin(&headers(refused), false),
                    Err(ConsoleError::CrossOrigin(_))
                ),
                "{refused:?}"
            );
        }
        let proxied = [
            ("host", "127.0.0.1:8080"),
            ("x-forwarded-host", "console.example"),
            ("origin", "https://console.example"),
        ];
        assert!(
            same_origin(&headers(&proxied), false).is_err(),
            "an untrusted proxy header is ignored"
        );
        assert!(matches!(same_origin(&headers(&proxied), true), Ok(true)));
    }

    #[test]
    fn the_session_cookie_is_out_of_scripts_reach_and_other_sites_requests() {
        let cookie = session_cookie("abc", 3_600, true);
        assert_eq!(
            cookie,
            "waymark_console=abc; Path=/console; Max-Age=3600; HttpOnly; SameSite=Strict; Secure"
        );
        assert!(!session_cookie("abc", 3_600, false).contains("Secure"));
        let sent = headers(&[("cookie", "theme=dark; waymark_console=abc; other=1")]);
        assert_eq!(token(&sent), Some("abc"));
        assert_eq!(token(&headers(&[("cookie", "waymark_console=")])), None);
    }
}
