//! The extractors handlers read requests with, whose refusals are [`IngestError`]s.
//!
//! [`body`] reads a request body, telling its refusals apart.
//!
//! axum's own `Query` and `Path` answer a request they cannot read with a `text/plain` body
//! ("Failed to deserialize query string"); every other refusal of the collector is the JSON
//! `Error` of `openapi.json`. These wrap them and refuse with
//! [`IngestError::InvalidRequest`] instead, naming what could not be read. No handler uses
//! axum's directly (a test reads the sources to hold that).

use axum::body::{Body, Bytes};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::IngestError;

/// The query string, read as `T`: a repeated parameter, a value of the wrong type or bad
/// percent-encoding is `invalid_request`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = IngestError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, IngestError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Query(value)),
            Err(rejection) => Err(IngestError::InvalidRequest(format!(
                "the query string: {}",
                innermost(&rejection)
            ))),
        }
    }
}

/// The path's parameters, read as `T`: one that is not valid UTF-8 once percent-decoded, or
/// not of `T`'s type, is `invalid_request`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = IngestError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, IngestError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(rejection) => Err(IngestError::InvalidRequest(format!(
                "the path: {}",
                innermost(&rejection)
            ))),
        }
    }
}

/// A request body of at most `limit` bytes, read whole. A larger one is `body_too_large`, one
/// that did not arrive within the body read timeout `body_timeout` (see [`crate::server`]),
/// one that broke off `body_unreadable`.
pub async fn body(body: Body, limit: usize) -> Result<Bytes, IngestError> {
    axum::body::to_bytes(body, limit).await.map_err(|error| {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&error);
        while let Some(current) = cause {
            if current.is::<http_body_util::LengthLimitError>() {
                return IngestError::BodyTooLarge { limit };
            }
            if let Some(timed_out) = current.downcast_ref::<crate::server::BodyTimedOut>() {
                return IngestError::BodyTimeout(*timed_out);
            }
            cause = current.source();
        }
        IngestError::BodyUnreadable
    })
}

/// The deepest cause's message (`duplicate field `from``), without axum's wrapping of it.
fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut deepest = error;
    while let Some(source) = deepest.source() {
        deepest = source;
    }
    deepest.to_string()
}
