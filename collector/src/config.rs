//! Every collector setting, in one struct, with its default.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

/// The collector's configuration: command-line flags, each with an environment variable.
#[derive(Clone, Debug, Parser)]
#[command(
    name = "waymark-collector",
    version,
    about = "Receives, stores and serves Waymark events."
)]
pub struct Config {
    /// Address to listen on. Port 0 picks a free port; the bound address is printed on start.
    #[arg(long, env = "WAYMARK_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// SQLite database file. Its folder is created if missing.
    #[arg(long, env = "WAYMARK_DB", default_value = "data/waymark.db")]
    pub db: PathBuf,

    /// A project and its public write key, as `PROJECT=KEY`. Repeat for more projects;
    /// in the environment, separate them with commas.
    #[arg(
        long = "project",
        env = "WAYMARK_PROJECTS",
        value_delimiter = ',',
        required = true
    )]
    pub projects: Vec<String>,

    /// Folder served at `/sdk/`: the built loader, module and wasm (`npm/dist/sdk`).
    #[arg(long, env = "WAYMARK_SDK_DIR", default_value = "npm/dist/sdk")]
    pub sdk_dir: PathBuf,

    /// Folder served at `/` (the demo site). Unknown paths fall back to its `index.html`
    /// so that single-page routes survive a reload. Leave unset to serve no site.
    #[arg(long, env = "WAYMARK_SITE_DIR")]
    pub site_dir: Option<PathBuf>,

    /// Largest request body accepted by `POST /v1/batch`, in bytes.
    #[arg(long, env = "WAYMARK_MAX_BODY_BYTES", default_value_t = Limits::default().max_body_bytes)]
    pub max_body_bytes: usize,

    /// Most events accepted in one batch.
    #[arg(long, env = "WAYMARK_MAX_EVENTS_PER_BATCH", default_value_t = Limits::default().max_events_per_batch)]
    pub max_events_per_batch: usize,

    /// Largest body after gzip decompression, in bytes.
    #[arg(long, env = "WAYMARK_MAX_DECOMPRESSED_BYTES", default_value_t = Limits::default().max_decompressed_bytes)]
    pub max_decompressed_bytes: usize,

    /// Largest accepted ratio of decompressed to compressed size (a gzip bomb exceeds it).
    #[arg(long, env = "WAYMARK_MAX_COMPRESSION_RATIO", default_value_t = Limits::default().max_compression_ratio)]
    pub max_compression_ratio: usize,
}

impl Config {
    /// The ingestion limits this configuration sets.
    #[must_use]
    pub fn limits(&self) -> Limits {
        Limits {
            max_body_bytes: self.max_body_bytes,
            max_events_per_batch: self.max_events_per_batch,
            max_decompressed_bytes: self.max_decompressed_bytes,
            max_compression_ratio: self.max_compression_ratio,
        }
    }
}

/// Limits on what one batch may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest body, in bytes. Default 1 MiB: the SDK sends at most 60 kB, so this leaves
    /// room for server-side senders without letting one request hog memory.
    pub max_body_bytes: usize,
    /// Most events per batch. Default 1,000.
    pub max_events_per_batch: usize,
    /// Largest body after decompression. Default 8 MiB.
    pub max_decompressed_bytes: usize,
    /// Largest decompressed-to-compressed ratio. Default 200: JSON batches compress 5 to 30
    /// times; a gzip bomb compresses a thousand times or more.
    pub max_compression_ratio: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 1024 * 1024,
            max_events_per_batch: 1_000,
            max_decompressed_bytes: 8 * 1024 * 1024,
            max_compression_ratio: 200,
        }
    }
}
