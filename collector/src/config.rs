//! Every collector setting, in one struct, with its default.

use std::net::SocketAddr;
use std::path::PathBuf;

/// The collector's configuration: command-line flags, each with an environment variable.
#[derive(Clone, Debug, clap::Args)]
pub struct Config {
    /// Address to listen on. Port 0 picks a free port; the bound address is printed on start.
    #[arg(long, env = "WAYMARK_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// SQLite database file. Its folder is created if missing.
    #[arg(
        long,
        env = "WAYMARK_DB",
        default_value = "data/waymark.db",
        global = true
    )]
    pub db: PathBuf,

    /// Where events are stored. The registry (projects, keys, configs) is always in `--db`.
    #[arg(long, env = "WAYMARK_STORAGE", value_enum, default_value_t = Storage::Sqlite)]
    pub storage: Storage,

    /// ClickHouse's HTTP interface, with `--storage clickhouse`.
    #[arg(
        long,
        env = "WAYMARK_CLICKHOUSE_URL",
        default_value = "http://127.0.0.1:8123"
    )]
    pub clickhouse_url: String,

    /// ClickHouse database (created if missing), with `--storage clickhouse`.
    #[arg(long, env = "WAYMARK_CLICKHOUSE_DATABASE", default_value = "waymark")]
    pub clickhouse_database: String,

    /// ClickHouse user, with `--storage clickhouse`.
    #[arg(long, env = "WAYMARK_CLICKHOUSE_USER", default_value = "default")]
    pub clickhouse_user: String,

    /// ClickHouse password, with `--storage clickhouse` (prefer the environment variable).
    #[arg(
        long,
        env = "WAYMARK_CLICKHOUSE_PASSWORD",
        default_value = "",
        hide_env_values = true
    )]
    pub clickhouse_password: String,

    /// Registers a known public key for a project, as `PROJECT=KEY`, creating the project if
    /// needed (development and demos; in production use `project create`). Repeat for more;
    /// in the environment, separate them with commas.
    #[arg(long = "project", env = "WAYMARK_PROJECTS", value_delimiter = ',')]
    pub projects: Vec<String>,

    /// Publishes a project's config from a JSON file at start-up, as `PROJECT=FILE`, unless
    /// that file is the active version already; a config with errors stops the start with
    /// every diagnostic. Repeat for more; in the environment, separate them with commas.
    #[arg(
        long = "publish-config",
        env = "WAYMARK_PUBLISH_CONFIG",
        value_delimiter = ','
    )]
    pub publish_configs: Vec<String>,

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

    /// Requests per second allowed per public key (0: no limit).
    #[arg(long, env = "WAYMARK_RATE_PER_KEY", default_value_t = 1_000)]
    pub rate_per_key: u32,

    /// Burst of requests allowed per public key.
    #[arg(long, env = "WAYMARK_BURST_PER_KEY", default_value_t = 2_000)]
    pub burst_per_key: u32,

    /// Requests per second allowed per client IP address (0: no limit).
    #[arg(long, env = "WAYMARK_RATE_PER_IP", default_value_t = 50)]
    pub rate_per_ip: u32,

    /// Burst of requests allowed per client IP address.
    #[arg(long, env = "WAYMARK_BURST_PER_IP", default_value_t = 100)]
    pub burst_per_ip: u32,

    /// How client IP addresses are stored with events.
    #[arg(long, env = "WAYMARK_IP_STORAGE", value_enum, default_value_t = IpStorage::Truncate)]
    pub ip_storage: IpStorage,

    /// Take the client address from the first `X-Forwarded-For` entry (only behind a proxy
    /// you run, which sets it; otherwise clients could choose their own address).
    #[arg(long, env = "WAYMARK_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,

    /// Largest single event, in bytes of JSON.
    #[arg(long, env = "WAYMARK_MAX_EVENT_BYTES", default_value_t = Limits::default().max_event_bytes)]
    pub max_event_bytes: usize,

    /// Largest body after gzip decompression, in bytes.
    #[arg(long, env = "WAYMARK_MAX_DECOMPRESSED_BYTES", default_value_t = Limits::default().max_decompressed_bytes)]
    pub max_decompressed_bytes: usize,

    /// Largest accepted ratio of decompressed to compressed size (a gzip bomb exceeds it).
    #[arg(long, env = "WAYMARK_MAX_COMPRESSION_RATIO", default_value_t = Limits::default().max_compression_ratio)]
    pub max_compression_ratio: usize,

    /// Seconds a client has to send a request's line and headers, counted from when the
    /// connection is ready for it (accepted, or the previous response sent); then the
    /// connection is closed without an answer.
    #[arg(long, env = "WAYMARK_HEADER_READ_TIMEOUT", default_value_t = Connections::default().header_read_timeout.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    pub header_read_timeout: u64,

    /// Seconds a client has to send a request's whole body, counted from the end of its
    /// headers; then it is answered 408 (`body_timeout`) and the connection closed.
    #[arg(long, env = "WAYMARK_BODY_READ_TIMEOUT", default_value_t = Connections::default().body_read_timeout.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    pub body_read_timeout: u64,

    /// Seconds a kept-alive connection may wait, from a response, for the next request's
    /// headers before it is closed. The header read timeout runs in that wait too, so the
    /// shorter of the two applies there; a new connection's first request has the header
    /// read timeout alone.
    #[arg(long, env = "WAYMARK_IDLE_TIMEOUT", default_value_t = Connections::default().idle_timeout.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout: u64,

    /// Most connections open at once; further clients wait in the listen queue until one
    /// closes. Keep it below the open-file limit (`ulimit -n`).
    #[arg(long, env = "WAYMARK_MAX_CONNECTIONS", default_value_t = Connections::default().max_connections, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,

    /// Hours a console session lasts from sign-in.
    #[arg(long, env = "WAYMARK_CONSOLE_SESSION_HOURS", default_value_t = crate::console::ConsoleSettings::default().session_lifetime.as_secs() / 3600, value_parser = clap::value_parser!(u64).range(1..=720))]
    pub console_session_hours: u64,

    /// Console sign-in attempts allowed per user name each minute, four times as many per
    /// client address (0: no limit).
    #[arg(long, env = "WAYMARK_CONSOLE_SIGN_INS_PER_MINUTE", default_value_t = crate::console::ConsoleSettings::default().sign_ins_per_minute)]
    pub console_sign_ins_per_minute: u32,

    /// Folder of the built console served at `/console/` (`scripts/build-console` writes
    /// `console/dist`). A folder without an `index.html` serves no pages, only the API.
    #[arg(long, env = "WAYMARK_CONSOLE_DIR", default_value = "console/dist")]
    pub console_dir: PathBuf,
}

impl Config {
    /// The console's settings.
    #[must_use]
    pub fn console(&self) -> crate::console::ConsoleSettings {
        crate::console::ConsoleSettings {
            session_lifetime: std::time::Duration::from_secs(self.console_session_hours * 3600),
            sign_ins_per_minute: self.console_sign_ins_per_minute,
            pages: self
                .console_dir
                .join("index.html")
                .is_file()
                .then(|| self.console_dir.clone()),
        }
    }

    /// The ClickHouse settings.
    #[must_use]
    pub fn clickhouse(&self) -> crate::ClickHouseSettings {
        crate::ClickHouseSettings {
            url: self.clickhouse_url.clone(),
            database: self.clickhouse_database.clone(),
            user: self.clickhouse_user.clone(),
            password: self.clickhouse_password.clone(),
        }
    }

    /// The connection bounds this configuration sets.
    #[must_use]
    pub fn connections(&self) -> Connections {
        use std::time::Duration;
        Connections {
            header_read_timeout: Duration::from_secs(self.header_read_timeout),
            body_read_timeout: Duration::from_secs(self.body_read_timeout),
            idle_timeout: Duration::from_secs(self.idle_timeout),
            max_connections: self.max_connections,
        }
    }

    /// The ingestion limits this configuration sets.
    #[must_use]
    pub fn limits(&self) -> Limits {
        Limits {
            max_body_bytes: self.max_body_bytes,
            max_events_per_batch: self.max_events_per_batch,
            max_event_bytes: self.max_event_bytes,
            max_decompressed_bytes: self.max_decompressed_bytes,
            max_compression_ratio: self.max_compression_ratio,
        }
    }
}

/// Bounds on connections, so that clients that send slowly, or not at all, cannot hold the
/// server: a slowloris client holds a connection until a timeout closes it, and no more
/// than `max_connections` can be held at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Connections {
    /// From a connection being ready for a request to the end of its headers. Default 10 s:
    /// headers are a few hundred bytes, sent in one packet by every real client.
    pub header_read_timeout: std::time::Duration,
    /// From the end of a request's headers to the end of its body. Default 30 s: the SDK's
    /// batches are at most 60 kB, so even a 2 kB/s link sends one in time.
    pub body_read_timeout: std::time::Duration,
    /// How long a kept-alive connection may wait, from a response, for the next request's
    /// headers. Default 5 s (as
    /// Node's HTTP server): long enough for the SDK to reuse it between sends, short
    /// enough that idle visitors do not pile up.
    pub idle_timeout: std::time::Duration,
    /// Most connections open at once. Default 1,000: under the usual open-file limit of
    /// 1,024, with room for the databases and the log.
    pub max_connections: u32,
}

impl Default for Connections {
    fn default() -> Self {
        use std::time::Duration;
        Connections {
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(5),
            max_connections: 1_000,
        }
    }
}

/// Where events are stored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Storage {
    /// The embedded SQLite database, `--db` (no set-up).
    #[default]
    Sqlite,
    /// A ClickHouse server shared by any number of collectors (`--clickhouse-*`).
    Clickhouse,
}

/// How client IP addresses are kept with events.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum IpStorage {
    /// Not at all.
    Drop,
    /// Truncated: the last octet of an IPv4 address, all but the first 48 bits of an IPv6
    /// address, are zeroed. Enough for rough geography, not to single out a device.
    #[default]
    Truncate,
    /// As received.
    Full,
}

impl IpStorage {
    /// The address to store, if any.
    #[must_use]
    pub fn apply(self, ip: std::net::IpAddr) -> Option<String> {
        use std::net::IpAddr;
        match self {
            IpStorage::Drop => None,
            IpStorage::Full => Some(ip.to_string()),
            IpStorage::Truncate => Some(match ip {
                IpAddr::V4(v4) => {
                    let [a, b, c, _] = v4.octets();
                    std::net::Ipv4Addr::new(a, b, c, 0).to_string()
                }
                IpAddr::V6(v6) => {
                    let s = v6.segments();
                    std::net::Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0).to_string()
                }
            }),
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
    /// Largest single event. Default 32 KiB: an event must fit in the SDK's 60 kB beacons
    /// with room to spare.
    pub max_event_bytes: usize,
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
            max_event_bytes: 32 * 1024,
            max_decompressed_bytes: 8 * 1024 * 1024,
            max_compression_ratio: 200,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::IpStorage;

    #[test]
    fn addresses_are_truncated_by_default() {
        let check = |ip: &str, storage: IpStorage| storage.apply(ip.parse().unwrap());
        assert_eq!(
            check("203.0.113.77", IpStorage::default()).as_deref(),
            Some("203.0.113.0")
        );
        assert_eq!(
            check("2001:db8:1:2:3:4:5:6", IpStorage::Truncate).as_deref(),
            Some("2001:db8:1::")
        );
        assert_eq!(
            check("203.0.113.77", IpStorage::Full).as_deref(),
            Some("203.0.113.77")
        );
        assert_eq!(check("203.0.113.77", IpStorage::Drop), None);
    }
}
