//! What can go wrong with a console request, and how each case is answered.
//!
//! [`ConsoleError`]'s `IntoResponse` decides the status code, the `error` tag and whether
//! retrying can succeed, in the same JSON shape as the rest of the API
//! (`{"error", "message", "retryable"}`); errors the API shares with the admin-key routes
//! ([`IngestError`]) are answered exactly as there. A 5xx body carries no internals.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::accounts::{AccountsError, Role};
use crate::error::IngestError;

/// Why a console request was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// No session cookie, or one that names no session (signed out).
    #[error("sign in to the console first")]
    NotSignedIn,
    /// The session has ended.
    #[error("your session has ended; sign in again")]
    SessionExpired,
    /// The name or the password is wrong (which one is not said).
    #[error("the user name or the password is wrong")]
    WrongCredentials,
    /// A state-changing request whose `Origin` is not the console's own (CSRF).
    #[error("this request must come from the console's own origin ({0})")]
    CrossOrigin(String),
    /// The user has no role in the project (or there is no such project).
    #[error("you have no role in project {0:?}")]
    NoAccess(String),
    /// The user's role does not allow this.
    #[error("this needs the {} role in project {project:?}; yours is {}", .needed.as_str(), .held.as_str())]
    RoleTooLow {
        /// The project.
        project: String,
        /// The role the request needs.
        needed: Role,
        /// The user's role.
        held: Role,
    },
    /// Too many sign-in attempts; try again after this many seconds.
    #[error("too many sign-in attempts; try again in {retry_after} s")]
    RateLimited {
        /// Seconds until an attempt is accepted again.
        retry_after: u64,
    },
    /// The draft was saved by someone else since the revision the request was made from;
    /// nothing was stored. The answer carries the stored draft.
    #[error("the draft was saved by {} since your revision; nothing was stored: review their version, then save yours again", .0["saved_by"].as_str().unwrap_or("someone"))]
    DraftConflict(Box<serde_json::Value>),
    /// The experience is not in the live config (or nothing is published yet), so there is
    /// nothing to pause, resume or end.
    #[error("experience {0:?} is not in the live config; publish it first")]
    NotLive(String),
    /// The experience is in that state already; nothing was published.
    #[error("experience {experience:?} is {state} already; nothing was published")]
    StateUnchanged {
        /// The experience.
        experience: String,
        /// Its state.
        state: String,
    },
    /// A user change the accounts refuse: the name is taken or malformed, no such user, or
    /// the password is too short.
    #[error("{0}")]
    User(AccountsError),
    /// An admin may not change or take away their own role (the project could be left
    /// without an admin).
    #[error("you cannot change your own role; another admin can")]
    OwnRole,
    /// The accounts database failed.
    #[error("the accounts database is unavailable")]
    Accounts(#[source] AccountsError),
    /// An error the console API shares with the admin-key API.
    #[error(transparent)]
    Api(#[from] IngestError),
}

impl From<AccountsError> for ConsoleError {
    fn from(error: AccountsError) -> Self {
        ConsoleError::Accounts(error)
    }
}

impl ConsoleError {
    /// The status code, the machine-readable tag, and whether retrying can succeed.
    #[must_use]
    pub fn classify(&self) -> (StatusCode, &'static str, bool) {
        use ConsoleError as E;
        match self {
            E::NotSignedIn => (StatusCode::UNAUTHORIZED, "not_signed_in", false),
            E::SessionExpired => (StatusCode::UNAUTHORIZED, "session_expired", false),
            E::WrongCredentials => (StatusCode::UNAUTHORIZED, "wrong_credentials", false),
            E::CrossOrigin(_) => (StatusCode::FORBIDDEN, "cross_origin", false),
            E::NoAccess(_) => (StatusCode::FORBIDDEN, "no_access", false),
            E::RoleTooLow { .. } => (StatusCode::FORBIDDEN, "role_too_low", false),
            E::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited", true),
            E::DraftConflict(_) => (StatusCode::CONFLICT, "draft_conflict", false),
            E::NotLive(_) => (StatusCode::NOT_FOUND, "not_live", false),
            E::StateUnchanged { .. } => (StatusCode::CONFLICT, "state_unchanged", false),
            E::User(AccountsError::UserExists(_)) => (StatusCode::CONFLICT, "user_exists", false),
            E::User(AccountsError::NoUser(_)) => (StatusCode::NOT_FOUND, "no_such_user", false),
            E::User(AccountsError::WeakPassword) => {
                (StatusCode::BAD_REQUEST, "weak_password", false)
            }
            E::User(_) => (StatusCode::BAD_REQUEST, "invalid_user_name", false),
            E::OwnRole => (StatusCode::CONFLICT, "own_role", false),
            E::Accounts(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "accounts_unavailable",
                true,
            ),
            E::Api(inner) => inner.classify(),
        }
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let (status, error, retryable) = match self {
            ConsoleError::Api(inner) => return inner.into_response(),
            ref other => other.classify(),
        };
        let message = if status.is_server_error() {
            tracing::error!(error = ?self, "console request failed");
            "the server could not complete the request; try again later".to_owned()
        } else {
            self.to_string()
        };
        let mut body = json!({ "error": error, "message": message, "retryable": retryable });
        if let ConsoleError::DraftConflict(draft) = &self {
            body["draft"] = (**draft).clone();
        }
        let mut response = (status, Json(body)).into_response();
        let retry_after = match self {
            ConsoleError::RateLimited { retry_after } => Some(retry_after.max(1)),
            ConsoleError::Accounts(_) => Some(5),
            _ => None,
        };
        if let Some(seconds) = retry_after {
            if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}
