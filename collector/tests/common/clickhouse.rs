//! A ClickHouse server of a test's own: Debian's `clickhouse-server`
//! (`/usr/sbin/clickhouse-server`, or the path in `WAYMARK_CLICKHOUSE_SERVER`; `scripts/test`
//! installs it), on free loopback ports with a throw-away data folder, stopped by PID when
//! dropped. It logs queries (`system.query_log`), so that a test can read what was asked.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A ClickHouse server of the test's own, stopped when dropped.
pub struct ClickHouse {
    child: Child,
    pub url: String,
    _dir: tempfile::TempDir,
}

impl Drop for ClickHouse {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn server_binary() -> PathBuf {
    let path = std::env::var_os("WAYMARK_CLICKHOUSE_SERVER").map_or_else(
        || PathBuf::from("/usr/sbin/clickhouse-server"),
        PathBuf::from,
    );
    assert!(
        path.is_file(),
        "this test needs ClickHouse's server at {}: install Debian's clickhouse-server \
         (scripts/test does), or set WAYMARK_CLICKHOUSE_SERVER to its path",
        path.display()
    );
    path
}

pub async fn start_clickhouse() -> ClickHouse {
    let binary = server_binary();
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let (http_port, tcp_port) = (free_port(), free_port());
    std::fs::write(
        root.join("config.xml"),
        format!(
            r#"<?xml version="1.0"?>
<yandex>
    <logger><level>warning</level><log>{root}/server.log</log><errorlog>{root}/error.log</errorlog></logger>
    <http_port>{http_port}</http_port>
    <tcp_port>{tcp_port}</tcp_port>
    <listen_host>127.0.0.1</listen_host>
    <path>{root}/data/</path>
    <tmp_path>{root}/tmp/</tmp_path>
    <user_files_path>{root}/user_files/</user_files_path>
    <format_schema_path>{root}/format_schemas/</format_schema_path>
    <users_config>users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <mark_cache_size>5368709</mark_cache_size>
</yandex>
"#,
            root = root.display()
        ),
    )
    .unwrap();
    std::fs::write(
        root.join("users.xml"),
        r#"<?xml version="1.0"?>
<yandex>
    <profiles><default><max_memory_usage>2000000000</max_memory_usage><log_queries>1</log_queries></default></profiles>
    <users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
    <quotas><default></default></quotas>
</yandex>
"#,
    )
    .unwrap();
    let child = Command::new(&binary)
        .arg(format!(
            "--config-file={}",
            root.join("config.xml").display()
        ))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
    let server = ClickHouse {
        child,
        url: format!("http://127.0.0.1:{http_port}"),
        _dir: dir,
    };
    // Wait until it answers a query (it takes a few seconds to start).
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let answer = client.post(&server.url).body("SELECT 1").send().await;
        if let Ok(response) = answer {
            if response.status().is_success() {
                return server;
            }
        }
        assert!(
            Instant::now() < deadline,
            "ClickHouse did not answer within 60 s; see {}/error.log",
            server._dir.path().display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
