//! Metrics in Prometheus text format, served at `GET /metrics`.
//!
//! | metric | labels | what |
//! | --- | --- | --- |
//! | `waymark_http_requests_total` | `route`, `status` | requests answered |
//! | `waymark_events_total` | `result` (`ok`, `duplicate`, `rejected`); `reason` on rejected | events in accepted batches |
//! | `waymark_refused_total` | `reason` (the error tag) | requests refused, by reason |
//! | `waymark_batch_events` | | events per stored batch (histogram) |
//! | `waymark_storage_seconds` | | time to store a batch, commit included (histogram) |
//! | `waymark_writer_queue_depth` | | batches waiting for the writer (gauge) |
//! | `waymark_writer_group_batches` | | batches written per transaction or insert (histogram) |

use std::sync::OnceLock;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// The process's metrics recorder, installed on first use (metrics are process-wide).
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("waymark_batch_events".into()),
                    &[1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0],
                )
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full("waymark_storage_seconds".into()),
                        &[
                            0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0,
                        ],
                    )
                });
            let recorder = builder
                .unwrap_or_else(|_| PrometheusBuilder::new())
                .build_recorder();
            let handle = recorder.handle();
            // Another recorder installed first (a test harness, say) keeps its own; this
            // handle then renders what was recorded here, which is nothing.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// Counts every request by its route pattern and status.
pub async fn count_requests(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "other".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    metrics::counter!("waymark_http_requests_total", "route" => route, "status" => response.status().as_u16().to_string())
        .increment(1);
    response
}
