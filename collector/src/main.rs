//! The collector's command line: `waymark-collector --project demo=pk_… [--db …]`.

use std::sync::Arc;

use anyhow::Context as _;
use clap::Parser;
use tracing_subscriber::EnvFilter;
use waymark_collector::app::system_clock;
use waymark_collector::limits::{Rate, RateLimits};
use waymark_collector::{app, AppState, Config, Projects, SqliteStore};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("WAYMARK_LOG").unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();

    let config = Config::parse();
    let projects = Projects::parse(&config.projects).context("reading --project")?;
    let store = SqliteStore::open(&config.db)
        .with_context(|| format!("opening the database {}", config.db.display()))?;
    if !config.sdk_dir.join("waymark.js").is_file() {
        tracing::warn!(sdk_dir = %config.sdk_dir.display(), "no waymark.js in the SDK folder; build it with scripts/build-sdk");
    }
    let state = AppState {
        projects: Arc::new(projects.clone()),
        store: Arc::new(store),
        limits: config.limits(),
        rate_limits: Arc::new(RateLimits::new(
            Rate {
                per_second: config.rate_per_key,
                burst: config.burst_per_key,
            },
            Rate {
                per_second: config.rate_per_ip,
                burst: config.burst_per_ip,
            },
        )),
        ip_storage: config.ip_storage,
        trust_forwarded_for: config.trust_forwarded_for,
        clock: system_clock,
        sdk_dir: config.sdk_dir.clone(),
        site_dir: config.site_dir.clone(),
    };

    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, db = %config.db.display(), projects = ?projects.names(), "collector started");
    // Scripts and tests read the bound address (the port may have been 0) from this line.
    #[allow(clippy::print_stdout)]
    {
        println!("waymark-collector listening on http://{address}");
    }

    // Forget rate-limit buckets of clients that went quiet, so memory follows active clients.
    let rate_limits = Arc::clone(&state.rate_limits);
    tokio::spawn(async move {
        let mut every_minute = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            every_minute.tick().await;
            rate_limits.forget_idle();
        }
    });
    let service = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("collector stopped");
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {},
            _ = terminate.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
