//! The listener over real sockets: clients that stall are disconnected in time, clients that
//! are slow but keep sending within the limits are served, and connections beyond the bound
//! wait for one to close.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use waymark_collector::config::Connections;
use waymark_collector::server::MAX_HEAD_BYTES;

/// The harness's router behind the real listener on a free port. Dropping the sender stops
/// it.
struct Served {
    h: Harness,
    address: SocketAddr,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn serve(bounds: Connections) -> Served {
    let h = harness();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(waymark_collector::server::serve(
        listener,
        h.router.clone(),
        bounds,
        async move {
            let _ = stopped.await;
        },
    ));
    Served {
        h,
        address,
        _stop: stop,
    }
}

/// Long enough never to fire in a test, except the bound a test is about.
fn patient() -> Connections {
    Connections {
        header_read_timeout: Duration::from_secs(60),
        body_read_timeout: Duration::from_secs(60),
        idle_timeout: Duration::from_secs(60),
        max_connections: 100,
    }
}

/// How much later than its timeout a disconnection may come on a busy two-core machine.
const SLACK: Duration = Duration::from_secs(3);

/// Reads until the server closes the connection; fails if it has not within `within`.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> String {
    let mut answer = Vec::new();
    match tokio::time::timeout(within, stream.read_to_end(&mut answer)).await {
        Ok(_) => String::from_utf8_lossy(&answer).into_owned(),
        Err(_) => panic!(
            "still open after {within:?}; read so far: {:?}",
            String::from_utf8_lossy(&answer)
        ),
    }
}

/// Reads one whole response (headers and a `Content-Length` body) from a kept-alive
/// connection.
async fn read_response(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&answer).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length: ")
                        .map(str::to_owned)
                })
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if body.len() >= length {
                return text;
            }
        }
        let read = tokio::time::timeout(SLACK, stream.read(&mut buffer))
            .await
            .expect("a response in time")
            .unwrap();
        assert!(read > 0, "closed mid-response: {text:?}");
        answer.extend_from_slice(&buffer[..read]);
    }
}

fn batch_head(address: SocketAddr, length: usize) -> String {
    format!(
        "POST /v1/batch HTTP/1.1\r\nHost: {address}\r\nContent-Type: text/plain\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
    )
}

/// Sends `bytes` in `pieces` parts, `pause` apart.
async fn trickle(stream: &mut TcpStream, bytes: &[u8], pieces: usize, pause: Duration) {
    for (i, piece) in bytes.chunks(bytes.len().div_ceil(pieces)).enumerate() {
        if i > 0 {
            tokio::time::sleep(pause).await;
        }
        stream.write_all(piece).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stalls_in_its_headers_is_disconnected_in_time() {
    let timeout = Duration::from_millis(500);
    let s = serve(Connections {
        header_read_timeout: timeout,
        ..patient()
    })
    .await;
    let mut stream = TcpStream::connect(s.address).await.unwrap();
    let started = Instant::now();
    stream
        .write_all(b"POST /v1/batch HTTP/1.1\r\nHost: collector\r\nContent-Type: text/pl")
        .await
        .unwrap();
    let answer = read_until_closed(&mut stream, timeout + SLACK).await;
    assert!(started.elapsed() >= timeout - Duration::from_millis(50));
    assert_eq!(answer, "", "closed without an answer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_sent_slowly_but_steadily_within_the_timeout_are_served() {
    let s = serve(Connections {
        header_read_timeout: Duration::from_secs(3),
        // Shorter than the trickle: the idle timeout is for kept-alive connections only.
        idle_timeout: Duration::from_millis(300),
        ..patient()
    })
    .await;
    let body = fixture().to_string();
    let mut stream = TcpStream::connect(s.address).await.unwrap();
    // Twenty pieces 50 ms apart: a second in all, each pause far longer than a real client's.
    trickle(
        &mut stream,
        batch_head(s.address, body.len()).as_bytes(),
        20,
        Duration::from_millis(50),
    )
    .await;
    stream.write_all(body.as_bytes()).await.unwrap();
    let answer = read_until_closed(&mut stream, SLACK).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(s.h.event_count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stalls_in_its_body_gets_408_and_is_disconnected_in_time() {
    let timeout = Duration::from_millis(500);
    let s = serve(Connections {
        body_read_timeout: timeout,
        ..patient()
    })
    .await;
    let body = fixture().to_string();
    let mut stream = TcpStream::connect(s.address).await.unwrap();
    stream
        .write_all(batch_head(s.address, body.len()).as_bytes())
        .await
        .unwrap();
    let started = Instant::now();
    stream
        .write_all(&body.as_bytes()[..body.len() / 2])
        .await
        .unwrap();
    let answer = read_until_closed(&mut stream, timeout + SLACK).await;
    assert!(started.elapsed() >= timeout - Duration::from_millis(50));
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains(r#""error":"body_timeout""#), "{answer}");
    assert!(answer.contains(r#""retryable":true"#), "{answer}");
    assert_eq!(s.h.event_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_sent_slowly_but_steadily_within_the_timeout_is_stored() {
    let s = serve(Connections {
        body_read_timeout: Duration::from_secs(3),
        ..patient()
    })
    .await;
    let body = fixture().to_string();
    let mut stream = TcpStream::connect(s.address).await.unwrap();
    stream
        .write_all(batch_head(s.address, body.len()).as_bytes())
        .await
        .unwrap();
    trickle(&mut stream, body.as_bytes(), 10, Duration::from_millis(100)).await;
    let answer = read_until_closed(&mut stream, SLACK).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(s.h.event_count(), 2);
}

/// The body timeout is one deadline, not a timer restarted by every byte: a client that never
/// pauses long but never finishes is cut off all the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_trickled_past_its_deadline_is_cut_off_though_it_never_stalls() {
    let timeout = Duration::from_millis(800);
    let s = serve(Connections {
        body_read_timeout: timeout,
        ..patient()
    })
    .await;
    let body = fixture().to_string();
    let mut stream = TcpStream::connect(s.address).await.unwrap();
    stream
        .write_all(batch_head(s.address, body.len()).as_bytes())
        .await
        .unwrap();
    let started = Instant::now();
    // A byte every 50 ms: the body would take minutes.
    let (mut reader, mut writer) = stream.into_split();
    let sender = tokio::spawn(async move {
        for byte in body.as_bytes() {
            if writer.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let mut answer = Vec::new();
    tokio::time::timeout(timeout + SLACK, reader.read_to_end(&mut answer))
        .await
        .expect("cut off in time")
        .ok();
    let answer = String::from_utf8_lossy(&answer);
    assert!(started.elapsed() >= timeout - Duration::from_millis(50));
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    sender.abort();
    assert_eq!(s.h.event_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_alive_connection_is_reused_and_closed_once_idle_for_the_timeout() {
    let idle = Duration::from_millis(600);
    let s = serve(Connections {
        idle_timeout: idle,
        ..patient()
    })
    .await;
    let mut stream = TcpStream::connect(s.address).await.unwrap();
    let get = format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n\r\n", s.address);
    stream.write_all(get.as_bytes()).await.unwrap();
    assert!(read_response(&mut stream).await.starts_with("HTTP/1.1 200"));
    // Well within the idle timeout, the same connection serves the next request.
    tokio::time::sleep(idle / 3).await;
    stream.write_all(get.as_bytes()).await.unwrap();
    assert!(read_response(&mut stream).await.starts_with("HTTP/1.1 200"));
    let answered = Instant::now();
    let rest = read_until_closed(&mut stream, idle + SLACK).await;
    assert!(answered.elapsed() >= idle - Duration::from_millis(50));
    assert_eq!(rest, "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_bound_wait_until_one_closes() {
    let s = serve(Connections {
        max_connections: 2,
        ..patient()
    })
    .await;
    // Two connections that send nothing hold both places.
    let first = TcpStream::connect(s.address).await.unwrap();
    let _second = TcpStream::connect(s.address).await.unwrap();
    let mut third = TcpStream::connect(s.address).await.unwrap();
    let get = format!(
        "GET /healthz HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        s.address
    );
    third.write_all(get.as_bytes()).await.unwrap();
    let mut byte = [0u8; 1];
    assert!(
        tokio::time::timeout(Duration::from_millis(500), third.read(&mut byte))
            .await
            .is_err(),
        "the third connection was served while two were open"
    );
    // One closes: the third is accepted and served.
    drop(first);
    let answer = read_until_closed(&mut third, SLACK).await;
    assert!(
        answer.starts_with("TTP/1.1 200") || answer.starts_with("HTTP/1.1 200"),
        "{answer}"
    );
}

/// What `openapi.json`'s shared `MalformedRequest` and `HeadersTooLarge` responses say: the
/// listener answers a request it cannot read before any route, with an empty body, and
/// closes the connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_the_listener_cannot_read_get_400_or_431_with_no_body() {
    let served = serve(patient()).await;
    for (request, status) in [
        (
            "GET /healthz HTTP/1.1\r\nHo st: x\r\n\r\n".to_owned(),
            "HTTP/1.1 400 Bad Request",
        ),
        (
            format!(
                "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
                "a".repeat(500_000)
            ),
            "HTTP/1.1 431 Request Header Fields Too Large",
        ),
        // One byte over the bound, whether it arrives in one read or many.
        (
            head_of(MAX_HEAD_BYTES + 1),
            "HTTP/1.1 431 Request Header Fields Too Large",
        ),
    ] {
        let mut stream = TcpStream::connect(served.address).await.unwrap();
        // The listener may answer and close before it has read all of a large request.
        let _ = stream.write_all(request.as_bytes()).await;
        let answer = read_until_closed(&mut stream, SLACK).await;
        assert!(answer.starts_with(status), "{answer:?}");
        assert!(answer.contains("content-length: 0\r\n"), "{answer:?}");
    }
}

/// A request for `/healthz` whose line and headers take exactly `bytes`.
fn head_of(bytes: usize) -> String {
    let bare = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: \r\n\r\n".len();
    let head = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: {}\r\n\r\n",
        "a".repeat(bytes - bare)
    );
    assert_eq!(head.len(), bytes);
    head
}

#[tokio::test]
async fn a_head_of_exactly_the_bound_is_served() {
    let served = serve(patient()).await;
    let mut stream = TcpStream::connect(served.address).await.unwrap();
    stream
        .write_all(head_of(MAX_HEAD_BYTES).as_bytes())
        .await
        .unwrap();
    let answer = read_response(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer:?}");
}
