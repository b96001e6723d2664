//! Which project a request speaks for, and with which key.
//!
//! Two kinds of key, read in two places and nowhere else:
//! - the public key (`pk_…`) that pages send, in a batch or a query string ([`page`]): the
//!   secret admin key is refused there, since a page's source, a URL or a log would show it;
//! - the admin key (`sk_…`), only as `Authorization: Bearer sk_…` ([`admin`]): never from a
//!   query string, which is exactly where keys leak into logs and referrers.

use axum::http::{header, HeaderMap};

use crate::error::IngestError;
use crate::registry::{KeyInfo, KeyKind};
use crate::state::AppState;

/// The project of a public key that a page sent. The admin key is refused with
/// [`IngestError::AdminKeyInPage`], which tells the owner to rotate it.
pub(crate) fn page(state: &AppState, key: Option<&str>) -> Result<KeyInfo, IngestError> {
    match key.and_then(|key| state.registry.lookup(key)) {
        Some(info) if info.kind == KeyKind::Public => Ok(info),
        Some(_) => Err(IngestError::AdminKeyInPage),
        None => Err(IngestError::UnknownKey),
    }
}

/// The admin key's identity, from `Authorization: Bearer sk_…`.
pub(crate) fn admin(state: &AppState, headers: &HeaderMap) -> Result<KeyInfo, IngestError> {
    let key = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or(IngestError::MissingAdminKey)?;
    match state.registry.lookup(key) {
        Some(info) if info.kind == KeyKind::Admin => Ok(info),
        Some(_) => Err(IngestError::AdminKeyRequired),
        None => Err(IngestError::UnknownKey),
    }
}
