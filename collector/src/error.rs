//! What can go wrong with a request, and how each case is answered.
//!
//! [`IngestError`]'s `IntoResponse` is the one place that decides the status code, the
//! machine-readable `error` tag, and whether the client should retry. Bodies are JSON:
//! `{"error": "unknown_key", "message": "…", "retryable": false}`. A 5xx body never carries
//! internals; those go to the log.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::store::StoreError;

/// Why a batch was not stored. Nothing from a batch that gets one of these is written.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The body is not JSON.
    #[error("the body is not valid JSON: {0}")]
    MalformedJson(String),
    /// The body is JSON but not a batch; the message names the field (`events[2].id: …`).
    #[error("the batch does not match the schema at {0}")]
    InvalidBatch(String),
    /// The batch has no events.
    #[error("the batch has no events")]
    EmptyBatch,
    /// The key is not a known project's valid public write key.
    #[error("unknown or revoked project key")]
    UnknownKey,
    /// The page's origin is not one the project allows.
    #[error("origin {0:?} is not allowed to send events for this project")]
    OriginNotAllowed(String),
    /// A page sent the secret admin key.
    #[error("this is the project's secret admin key: pages must send only the public key (pk_...); rotate the admin key now")]
    AdminKeyInPage,
    /// The body is larger than the configured limit.
    #[error("the body is larger than {limit} bytes")]
    BodyTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The batch has more events than the configured limit.
    #[error("the batch has {count} events; at most {limit} are accepted")]
    TooManyEvents {
        /// Events in the batch.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// The `Content-Type` is neither JSON nor plain text.
    #[error("content type {0:?} is not accepted; send application/json or text/plain")]
    UnsupportedMediaType(String),
    /// The body claims or looks like gzip but does not decompress.
    #[error("the body is not valid gzip")]
    MalformedGzip,
    /// The decompressed body is larger than the configured limit.
    #[error("the decompressed body is larger than {limit} bytes")]
    DecompressedTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The body decompresses to more than the allowed multiple of its size.
    #[error("the body decompresses to more than {ratio} times its size")]
    CompressionRatio {
        /// The allowed ratio.
        ratio: usize,
    },
    /// The `Content-Encoding` is not one the collector decodes.
    #[error("content encoding {0:?} is not accepted; send gzip or no encoding")]
    UnsupportedEncoding(String),
    /// The body could not be read to the end.
    #[error("the request body could not be read")]
    BodyUnreadable,
    /// The body had not all arrived within the body read timeout; the connection is closed.
    #[error("{0}; send it again")]
    BodyTimeout(crate::server::BodyTimedOut),
    /// The key or the client address is over its rate; try again after this many seconds.
    #[error("too many requests; retry after {retry_after} s")]
    RateLimited {
        /// Seconds until a request would be accepted.
        retry_after: u64,
    },
    /// An admin endpoint was called without `Authorization: Bearer sk_…`.
    #[error("send the project's admin key as Authorization: Bearer sk_...")]
    MissingAdminKey,
    /// An admin endpoint was called with a public key.
    #[error("this needs the project's admin key (sk_...), not its public key")]
    AdminKeyRequired,
    /// A config was refused: it has errors, all listed.
    #[error("the config has {} error(s); the previous version is still served", .0.iter().filter(|d| d.severity == "error").count())]
    InvalidConfig(Vec<DiagnosticBody>),
    /// A request body of the wrong shape (outside batches).
    #[error("{0}")]
    InvalidRequest(String),
    /// No such config version.
    #[error("there is no config version {0}")]
    NoSuchVersion(i64),
    /// The experiment is neither in the active config nor named by any exposure.
    #[error(
        "there is no experiment {0:?}: the active config does not have it and no exposure names it"
    )]
    UnknownExperiment(String),
    /// The experience is neither in the active config nor named by any shown or held-out
    /// event.
    #[error(
        "there is no experience {0:?}: the active config does not have it and no shown or held-out event names it"
    )]
    UnknownExperience(String),
    /// The experiment has no configured goal to count, and the request named none.
    #[error("experiment {0:?} has no configured goal (it is not in the active config, or lists no goals): name the goal event with ?goal=NAME")]
    GoalRequired(String),
    /// The survey is neither in the active config nor named by any survey event in the range.
    #[error(
        "there is no survey {0:?}: the active config does not have it and no survey event in the range names it"
    )]
    UnknownSurvey(String),
    /// A report that replays a survey's branching asked about a survey the active config does
    /// not define.
    #[error(
        "there is no survey {0:?} in the active config: its reach replays the survey's branching, which needs its definition"
    )]
    UnconfiguredSurvey(String),
    /// A report's `?by=` does not name an attribute that can be read (the message says why).
    #[error("{0}")]
    InvalidAttribute(String),
    /// A paging cursor that no page gave out.
    #[error("the cursor {0:?} is not one a previous page gave; start again without ?cursor=")]
    InvalidCursor(String),
    /// The registry (projects, keys, configs) failed.
    #[error("the registry is unavailable")]
    Registry(#[source] crate::registry::RegistryError),
    /// A background task failed (it panicked); nothing was stored. The log has the details.
    #[error("an internal task failed")]
    TaskFailed,
    /// Nothing is served at this path (a file not in the SDK folder, or any unknown path
    /// when no site is served).
    #[error("nothing is served at {0}")]
    NotFound(String),
    /// The route exists, but not for this method.
    #[error("this route does not answer {0}")]
    MethodNotAllowed(String),
    /// A static file exists but could not be read (the server's fault, such as running out
    /// of file descriptors). The log has the details.
    #[error("the file could not be read")]
    FileUnreadable(#[source] std::io::Error),
    /// Storage failed; the batch was not stored and can be sent again.
    #[error("storage is unavailable")]
    StorageUnavailable(#[source] StoreError),
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    message: String,
    retryable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    diagnostics: Option<&'a [DiagnosticBody]>,
}

/// A configuration diagnostic as the API reports it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct DiagnosticBody {
    /// `error` or `warning`.
    pub severity: &'static str,
    /// The machine-readable code.
    pub code: &'static str,
    /// The feature or experience it is in.
    pub subject: String,
    /// The JSON pointer of the offending part.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

impl From<waymark_core::rules::Diagnostic> for DiagnosticBody {
    fn from(d: waymark_core::rules::Diagnostic) -> Self {
        DiagnosticBody {
            severity: match d.severity {
                waymark_core::rules::Severity::Error => "error",
                waymark_core::rules::Severity::Warning => "warning",
            },
            code: d.code,
            subject: d.subject,
            pointer: d.pointer,
            message: d.message,
        }
    }
}

impl IngestError {
    /// The status code, the machine-readable tag, and whether retrying can succeed.
    #[must_use]
    pub fn classify(&self) -> (StatusCode, &'static str, bool) {
        use IngestError as E;
        match self {
            E::MalformedJson(_) => (StatusCode::BAD_REQUEST, "malformed_json", false),
            E::InvalidBatch(_) => (StatusCode::BAD_REQUEST, "invalid_batch", false),
            E::EmptyBatch => (StatusCode::BAD_REQUEST, "empty_batch", false),
            E::UnknownKey => (StatusCode::UNAUTHORIZED, "unknown_key", false),
            E::AdminKeyInPage => (StatusCode::UNAUTHORIZED, "admin_key_not_allowed", false),
            E::OriginNotAllowed(_) => (StatusCode::FORBIDDEN, "origin_not_allowed", false),
            E::BodyTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", false),
            E::MalformedGzip => (StatusCode::BAD_REQUEST, "malformed_gzip", false),
            E::DecompressedTooLarge { .. } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "decompressed_too_large",
                false,
            ),
            E::CompressionRatio { .. } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "compression_ratio_exceeded",
                false,
            ),
            E::TooManyEvents { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "too_many_events", false),
            E::UnsupportedMediaType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                false,
            ),
            E::UnsupportedEncoding(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_encoding",
                false,
            ),
            E::BodyUnreadable => (StatusCode::BAD_REQUEST, "body_unreadable", true),
            E::BodyTimeout(_) => (StatusCode::REQUEST_TIMEOUT, "body_timeout", true),
            E::TaskFailed | E::FileUnreadable(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "internal_error", true)
            }
            E::NotFound(_) => (StatusCode::NOT_FOUND, "not_found", false),
            E::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", false),
            E::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited", true),
            E::MissingAdminKey => (StatusCode::UNAUTHORIZED, "missing_admin_key", false),
            E::AdminKeyRequired => (StatusCode::FORBIDDEN, "admin_key_required", false),
            E::InvalidConfig(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_config", false),
            E::NoSuchVersion(_) => (StatusCode::NOT_FOUND, "no_such_version", false),
            E::UnknownExperiment(_) => (StatusCode::NOT_FOUND, "unknown_experiment", false),
            E::UnknownExperience(_) => (StatusCode::NOT_FOUND, "unknown_experience", false),
            E::GoalRequired(_) => (StatusCode::BAD_REQUEST, "goal_required", false),
            E::UnknownSurvey(_) | E::UnconfiguredSurvey(_) => {
                (StatusCode::NOT_FOUND, "unknown_survey", false)
            }
            E::InvalidAttribute(_) => (StatusCode::BAD_REQUEST, "invalid_attribute", false),
            E::InvalidCursor(_) => (StatusCode::BAD_REQUEST, "invalid_cursor", false),
            E::InvalidRequest(_) => (StatusCode::BAD_REQUEST, "invalid_request", false),
            E::Registry(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "registry_unavailable",
                true,
            ),
            E::StorageUnavailable(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable", true)
            }
        }
    }
}

impl IntoResponse for IngestError {
    fn into_response(self) -> Response {
        let (status, error, retryable) = self.classify();
        metrics::counter!("waymark_refused_total", "reason" => error).increment(1);
        let message = if status.is_server_error() {
            tracing::error!(error = ?self, "request failed");
            "the server could not complete the request; nothing was stored; try again later"
                .to_owned()
        } else {
            tracing::debug!(%error, detail = %self, "batch refused");
            self.to_string()
        };
        let retry_after = match &self {
            IngestError::RateLimited { retry_after } => Some(*retry_after),
            IngestError::StorageUnavailable(_)
            | IngestError::Registry(_)
            | IngestError::TaskFailed
            | IngestError::FileUnreadable(_) => Some(5),
            _ => None,
        };
        let diagnostics = match &self {
            IngestError::InvalidConfig(found) => Some(found.as_slice()),
            _ => None,
        };
        let body = ErrorBody {
            error,
            message,
            retryable,
            diagnostics,
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(seconds) = retry_after {
            if let Ok(value) = axum::http::HeaderValue::from_str(&seconds.max(1).to_string()) {
                response
                    .headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, value);
            }
        }
        response
    }
}
