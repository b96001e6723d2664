//! The listener: accepts connections within [`Connections`]' bounds and serves the router
//! on each, over HTTP/1.1.
//!
//! axum's `serve` has no read timeouts and no bound on connections, so a client sending one
//! byte a minute would hold a connection forever, and a few thousand such clients the whole
//! server (slowloris). Here:
//! - hyper's header read timeout closes a connection whose request line and headers have
//!   not all arrived in time, counted from when it was ready for them (accepted, or the
//!   previous response sent);
//! - every request body is a [`Deadline`]: once the body read timeout has passed since the
//!   headers, reading it fails with [`BodyTimedOut`], which handlers answer 408
//!   (`body_timeout`); hyper then closes the connection, since the body was not read;
//! - a kept-alive connection whose next request has not arrived within the idle timeout of
//!   the previous response is shut down gracefully (a new connection's first request is the
//!   header read timeout's alone);
//! - a semaphore bounds the connections open at once: the listener accepts only with a
//!   permit, which the connection holds until it ends, so further clients wait in the
//!   kernel's listen queue.
//!
//! On shutdown it stops accepting, asks every connection to finish the request under way and
//! close, and returns once all have.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::Router;
use http_body::{Body as _, Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify, OwnedSemaphorePermit, Semaphore};
use tower::Service as _;

use crate::config::Connections;

/// The most a request's line and headers may take: past it the answer is 431 with no body.
/// Without it hyper's only bound was its read buffer's, checked only while the head was
/// incomplete, so a 500 kB head that arrived in one large read was served (seen in CI).
/// The SDK's requests carry a few hundred bytes of headers; 64 KiB leaves room for a
/// customer domain's cookies many times over.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Serves `router` on `listener` until `shutdown` completes, then waits for the open
/// connections to finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    bounds: Connections,
    shutdown: impl Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(bounds.max_connections as usize));
    let (stop, stopping) = watch::channel(false);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(bounds.header_read_timeout)
        .max_header_size(MAX_HEAD_BYTES);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break, // never closed
            },
            () = &mut shutdown => break,
        };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    wait_after_accept_error(&error).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let connection = Connection {
            http: http.clone(),
            router: router.clone(),
            bounds,
            stopping: stopping.clone(),
            _permit: permit,
        };
        tokio::spawn(connection.run(stream, remote));
    }
    drop(listener);
    let _ = stop.send(true);
    // Each connection holds a permit until it ends: all of them back means all have ended.
    let _ = permits.acquire_many(bounds.max_connections).await;
}

/// A failed accept: one client's failure (it reset before being accepted) costs nothing; any
/// other error (out of file descriptors) would fail again at once, so wait a moment.
async fn wait_after_accept_error(error: &std::io::Error) {
    use std::io::ErrorKind as K;
    if matches!(
        error.kind(),
        K::ConnectionAborted | K::ConnectionReset | K::ConnectionRefused | K::Interrupted
    ) {
        return;
    }
    tracing::warn!(%error, "could not accept a connection; trying again in a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// One accepted connection, with what it needs to serve itself.
struct Connection {
    http: hyper::server::conn::http1::Builder,
    router: Router,
    bounds: Connections,
    stopping: watch::Receiver<bool>,
    /// Returned to the listener when the connection ends.
    _permit: OwnedSemaphorePermit,
}

impl Connection {
    async fn run(mut self, stream: TcpStream, remote: SocketAddr) {
        let activity = Arc::new(Activity::default());
        let service = {
            let activity = Arc::clone(&activity);
            let router = self.router.clone();
            let body_read_timeout = self.bounds.body_read_timeout;
            hyper::service::service_fn(move |request: Request<Incoming>| {
                let busy = activity.begin();
                let mut request = request.map(|body| {
                    if body.is_end_stream() {
                        Body::new(body)
                    } else {
                        Body::new(Deadline::new(body, body_read_timeout))
                    }
                });
                request.extensions_mut().insert(ConnectInfo(remote));
                let mut router = router.clone();
                async move {
                    let response = router.call(request).await;
                    drop(busy);
                    response
                }
            })
        };
        let connection = self.http.serve_connection(TokioIo::new(stream), service);
        let mut connection = std::pin::pin!(connection);
        let mut closing = false;
        loop {
            tokio::select! {
                ended = connection.as_mut() => {
                    if let Err(error) = ended {
                        tracing::debug!(%error, %remote, "connection ended");
                    }
                    return;
                }
                () = activity.idle_for(self.bounds.idle_timeout), if !closing => {}
                _ = self.stopping.wait_for(|stop| *stop), if !closing => {}
            }
            // Idle, or the server is stopping: finish the request under way, if any, and
            // close.
            connection.as_mut().graceful_shutdown();
            closing = true;
        }
    }
}

/// Whether a connection has a request under way, and has had one, for its idle timer.
#[derive(Debug, Default)]
struct Activity {
    in_flight: AtomicUsize,
    requests: AtomicUsize,
    changed: Notify,
}

impl Activity {
    /// A request is under way until the guard drops.
    fn begin(self: &Arc<Self>) -> Busy {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        self.requests.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_waiters();
        Busy(Arc::clone(self))
    }

    /// Completes once, after at least one request, none has been under way for `timeout`.
    /// Before the first request there is nothing to keep alive: the header read timeout
    /// alone bounds that wait, so a slow first request is not cut short by this one.
    async fn idle_for(&self, timeout: Duration) {
        loop {
            let changed = self.changed.notified();
            let mut changed = std::pin::pin!(changed);
            // Registered before the check, so a change between the two is not missed.
            changed.as_mut().enable();
            let served = self.requests.load(Ordering::SeqCst) > 0;
            if served && self.in_flight.load(Ordering::SeqCst) == 0 {
                if tokio::time::timeout(timeout, changed).await.is_err() {
                    return;
                }
            } else {
                changed.await;
            }
        }
    }
}

/// A request under way; dropping it ends it.
#[derive(Debug)]
struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.0.changed.notify_waiters();
    }
}

/// Reading a request body failed because it had not all arrived within the body read
/// timeout.
#[derive(Clone, Copy, Debug, thiserror::Error)]
#[error("the request body did not arrive within {} s", .0.as_secs_f64())]
pub struct BodyTimedOut(pub Duration);

/// A request body that must arrive whole within a time of its start. Unlike tower-http's
/// `TimeoutBody`, which restarts its timer at every frame, this is one deadline: a client
/// sending a byte just often enough cannot hold the connection.
#[derive(Debug)]
pub struct Deadline {
    body: Incoming,
    deadline: Pin<Box<tokio::time::Sleep>>,
    timeout: Duration,
}

impl Deadline {
    fn new(body: Incoming, timeout: Duration) -> Deadline {
        Deadline {
            body,
            deadline: Box::pin(tokio::time::sleep(timeout)),
            timeout,
        }
    }
}

impl http_body::Body for Deadline {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        // What has arrived is read even past the deadline: only waiting is bounded.
        if let Poll::Ready(frame) = Pin::new(&mut this.body).poll_frame(cx) {
            return Poll::Ready(frame.map(|frame| frame.map_err(Into::into)));
        }
        match this.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyTimedOut(this.timeout))))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
