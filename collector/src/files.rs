//! Static files: the SDK at `/sdk/` and the site at `/`, both through one [`Folder`].
//!
//! A file the build wrote compressed beside it (`waymark-….wasm.br`, `.gz`: npm/build.mjs
//! does for the SDK, console/build.mjs for the console) is sent in that encoding to a client
//! that accepts it, with `Vary: Accept-Encoding`; nothing is compressed per request, so
//! serving the SDK costs the collector no CPU.
//!
//! A request's path names a file the client chose, so every way the file system can refuse
//! that name (no such file, a name too long for it, a path through a file, a NUL byte) is the
//! client's fault: it is answered as a file that is not there (the site's index, or a JSON
//! 404) and logged at debug level. Only a failure the client cannot cause, such as the server
//! running out of file descriptors, is a 5xx and an error in the log.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower::Service;
use tower_http::services::{ServeDir, ServeFile};

use crate::error::IngestError;

/// A folder served read-only, with `index` (if any) for paths that name no file in it.
#[derive(Clone, Debug)]
pub struct Folder {
    files: ServeDir,
    index: Option<ServeFile>,
}

impl Folder {
    /// Serves `dir`; a path that names no file in it gets a JSON 404.
    pub fn new(dir: &Path) -> Folder {
        Folder {
            files: served(dir),
            index: None,
        }
    }

    /// Serves `dir`; a path that names no file in it gets `dir/index.html`, so that a
    /// single-page app's routes survive a reload.
    pub fn with_index(dir: &Path) -> Folder {
        Folder {
            files: served(dir),
            index: Some(
                ServeFile::new(dir.join("index.html"))
                    .precompressed_br()
                    .precompressed_gzip(),
            ),
        }
    }
}

/// `dir` with the compressed copies the build wrote beside its files (brotli first).
fn served(dir: &Path) -> ServeDir {
    ServeDir::new(dir).precompressed_br().precompressed_gzip()
}

impl Service<Request> for Folder {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // `ServeDir` without a fallback is always ready.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let mut files = self.files.clone();
        let index = self.index.clone();
        Box::pin(async move {
            let path = request.uri().path().to_owned();
            let method = request.method().to_string();
            // The index answers with the request's method and headers (conditional and range
            // requests keep working), so those are kept before the request is handed over.
            let retry = index.as_ref().map(|_| {
                let mut copy = Request::new(Body::empty());
                *copy.method_mut() = request.method().clone();
                *copy.headers_mut() = request.headers().clone();
                copy
            });
            let missing = match files.try_call(request).await {
                Ok(response) if response.status() == StatusCode::METHOD_NOT_ALLOWED => {
                    let mut refusal = IngestError::MethodNotAllowed(method).into_response();
                    if let Some(allow) = response.headers().get(header::ALLOW) {
                        refusal.headers_mut().insert(header::ALLOW, allow.clone());
                    }
                    return Ok(refusal);
                }
                Ok(response) if response.status() != StatusCode::NOT_FOUND => {
                    return Ok(response.map(Body::new));
                }
                Ok(_) => None,
                Err(error) if names_no_file(&error) => Some(error),
                Err(error) => {
                    return Ok(IngestError::FileUnreadable(error).into_response());
                }
            };
            if let Some(error) = &missing {
                tracing::debug!(%error, path, "the path names no file that can be opened");
            }
            match (index, retry) {
                (Some(mut index), Some(retry)) => match index.try_call(retry).await {
                    Ok(response) => Ok(response.map(Body::new)),
                    Err(error) => Ok(IngestError::FileUnreadable(error).into_response()),
                },
                _ => Ok(IngestError::NotFound(path).into_response()),
            }
        })
    }
}

/// Whether opening a file failed because of the name asked for, which the client chose.
fn names_no_file(error: &io::Error) -> bool {
    use io::ErrorKind as K;
    matches!(
        error.kind(),
        K::NotFound
            | K::PermissionDenied
            | K::NotADirectory
            | K::IsADirectory
            | K::InvalidFilename
            | K::InvalidInput
    )
}

/// True for build outputs whose names carry a content hash (`waymark-0123abcd.wasm`,
/// `experiences-0123abcd.mjs`): they never change, so browsers may keep them for a year.
fn is_content_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name.split('.').next().unwrap_or("");
    let Some((_, hash)) = stem.rsplit_once('-') else {
        return false;
    };
    hash.len() >= 8 && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Cache lifetimes of the SDK files: a year for content-hashed ones, five minutes for the
/// loader (whose name stays the same from release to release); and `Vary: Accept-Encoding`,
/// since each may go out compressed.
pub async fn sdk_cache_headers(request: Request, next: Next) -> Response {
    let immutable = is_content_hashed(request.uri().path());
    let mut response = next.run(request).await;
    let status = response.status();
    if status.is_success() || status == StatusCode::NOT_MODIFIED {
        let policy = if immutable {
            "public, max-age=31536000, immutable"
        } else {
            "public, max-age=300, stale-while-revalidate=86400"
        };
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
        // Which copy was sent depends on Accept-Encoding: a shared cache must key on it.
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

/// The Content-Security-Policy of the console's pages: scripts, styles and requests from the
/// collector itself only, nothing inline, no plugins, forms posting nowhere else, never
/// framed; the only frame a page may hold is the console's own preview ([`PREVIEW_CSP`]).
pub const CONSOLE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; font-src 'self'; form-action 'self'; \
    frame-src 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The console's preview frame (`/console/preview.html`), where the SDK's experiences module
/// renders the draft: [`CONSOLE_CSP`]'s rules, with `'wasm-unsafe-eval'` so that the module's
/// wasm may be compiled (for this page only: no other console page runs wasm), framed by the
/// console's own pages only, and holding no frame itself.
pub const PREVIEW_CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
    form-action 'none'; frame-ancestors 'self'; base-uri 'none'";

/// The preview frame's path under `/console`.
const PREVIEW_PAGE: &str = "/preview.html";

/// Headers of the console's pages: the strict [`CONSOLE_CSP`] ([`PREVIEW_CSP`] for the
/// preview frame), no sniffing, no referrer,
/// revalidated on every load (a new build is seen at once). A path under `/console/api/`
/// that no route answers is a JSON 404, not the page.
pub async fn console_headers(request: Request, next: Next) -> Response {
    if request.uri().path().starts_with("/api/") {
        return IngestError::NotFound(format!("/console{}", request.uri().path())).into_response();
    }
    let policy = if request.uri().path() == PREVIEW_PAGE {
        PREVIEW_CSP
    } else {
        CONSOLE_CSP
    };
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(policy),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

#[cfg(test)]
mod tests {
    use super::{is_content_hashed, names_no_file};
    use std::io;

    #[test]
    fn only_hashed_build_outputs_are_immutable() {
        assert!(is_content_hashed("/waymark-0123abcd.wasm"));
        assert!(is_content_hashed("/sdk/waymark-0123abcdef.mjs"));
        assert!(is_content_hashed("/sdk/experiences-0123abcdef.wasm"));
        assert!(!is_content_hashed("/sdk/experiences.wasm"));
        assert!(!is_content_hashed("/sdk/my-page.html"));
        assert!(!is_content_hashed("/waymark.js"));
        assert!(!is_content_hashed("/waymark-latest.js"));
    }

    #[test]
    fn only_failures_the_name_causes_count_as_no_such_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("file"), "x").unwrap();
        let open = |name: &str| std::fs::File::open(dir.path().join(name)).unwrap_err();
        assert!(names_no_file(&open("missing")));
        assert!(names_no_file(&open(&"a".repeat(300))));
        assert!(names_no_file(&open(&"a/".repeat(3000))));
        assert!(names_no_file(&open("file/inside")));
        assert!(names_no_file(&open("nul\0byte")));
        // Running out of file descriptors, or a disk failing, is the server's fault.
        assert!(!names_no_file(&io::Error::from_raw_os_error(24)));
        assert!(!names_no_file(&io::Error::other("EIO")));
    }
}
