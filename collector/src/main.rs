//! The collector's command line.
//!
//! - `waymark-collector [--listen …] [--db …] [--project NAME=pk_…] [--publish-config
//!   NAME=FILE]`: serve.
//! - `waymark-collector project create NAME [--public-key pk_…] [--time-zone ZONE]`: make a
//!   project; prints its keys once.
//! - `waymark-collector project time-zone NAME ZONE`: the time zone its reports use when a
//!   request names none (`Europe/Paris`, `+02:00`).
//! - `waymark-collector project list`: projects and their key ids (never the keys).
//! - `waymark-collector project rotate-key NAME --kind public|admin`: revoke and replace.
//! - `waymark-collector project origins NAME --allow https://app.example …`: where pages may
//!   send from.
//! - `waymark-collector user create NAME --project P --role R [--password-stdin]`: a console
//!   user (without `--password-stdin`, a random password is made and printed once);
//!   `user list`; `user remove NAME`; `user role NAME --project P --role R|none`.
#![allow(clippy::print_stdout)] // The command line prints its results.

use std::sync::Arc;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use tracing_subscriber::EnvFilter;
use waymark_collector::config::Storage;
use waymark_collector::console::{Accounts, Console, Role};
use waymark_collector::limits::{Rate, RateLimits};
use waymark_collector::publishing::{self, FilePublished};
use waymark_collector::registry::{KeyKind, Registry, REFRESH_EVERY};
use waymark_collector::state::system_clock;
use waymark_collector::{
    app, AppState, ClickHouseStore, Config, EventStore, Projects, SqliteStore,
};

#[derive(Parser)]
#[command(
    name = "waymark-collector",
    version,
    about = "Receives, stores and serves Waymark events."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    config: Config,
}

#[derive(Subcommand)]
enum Command {
    /// Manage projects and their keys.
    #[command(subcommand)]
    Project(ProjectCommand),
    /// Manage console users and their roles.
    #[command(subcommand)]
    User(UserCommand),
}

#[derive(Subcommand)]
enum UserCommand {
    /// Make a console user with a role in one project.
    Create {
        /// The user's name, which they sign in with.
        name: String,
        /// The project the role is in.
        #[arg(long)]
        project: String,
        /// What the user may do there.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Read the password from the first line of standard input; without it, a random
        /// password is made and printed, once.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List console users and their roles.
    List,
    /// Remove a console user, signing them out everywhere.
    Remove {
        /// The user's name.
        name: String,
    },
    /// Set a user's role in a project (`none` takes the project away).
    Role {
        /// The user's name.
        name: String,
        /// The project.
        #[arg(long)]
        project: String,
        /// The new role.
        #[arg(long, value_enum)]
        role: RoleChoice,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Viewer,
    Editor,
    Publisher,
    Admin,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Role {
        match role {
            RoleArg::Viewer => Role::Viewer,
            RoleArg::Editor => Role::Editor,
            RoleArg::Publisher => Role::Publisher,
            RoleArg::Admin => Role::Admin,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleChoice {
    Viewer,
    Editor,
    Publisher,
    Admin,
    None,
}

fn run_user_command(config: &Config, command: UserCommand) -> anyhow::Result<()> {
    // The registry first: it makes or migrates the database the accounts live in.
    Registry::open(&config.db)
        .with_context(|| format!("opening the database {}", config.db.display()))?;
    let accounts = Accounts::open(&config.db)
        .with_context(|| format!("opening the database {}", config.db.display()))?;
    match command {
        UserCommand::Create {
            name,
            project,
            role,
            password_stdin,
        } => {
            let (password, made) = if password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .read_line(&mut line)
                    .context("reading the password from standard input")?;
                (line.trim_end_matches(['\r', '\n']).to_owned(), false)
            } else {
                let mut bytes = [0u8; 12];
                getrandom::fill(&mut bytes)
                    .map_err(|e| anyhow::anyhow!("no randomness available: {e}"))?;
                (bytes.iter().map(|b| format!("{b:02x}")).collect(), true)
            };
            accounts.create_user(&name, &password, &project, role.into(), system_clock())?;
            let mut shown = serde_json::json!({
                "user": name, "project": project, "role": Role::from(role),
            });
            if made {
                shown["password"] = serde_json::Value::String(password);
            }
            print_json(&shown)
        }
        UserCommand::List => print_json(&accounts.list_users()?),
        UserCommand::Remove { name } => {
            accounts.remove_user(&name)?;
            print_json(&serde_json::json!({ "removed": name }))
        }
        UserCommand::Role {
            name,
            project,
            role,
        } => {
            let role = match role {
                RoleChoice::Viewer => Some(Role::Viewer),
                RoleChoice::Editor => Some(Role::Editor),
                RoleChoice::Publisher => Some(Role::Publisher),
                RoleChoice::Admin => Some(Role::Admin),
                RoleChoice::None => None,
            };
            accounts.set_role(&name, &project, role)?;
            print_json(&serde_json::json!({ "user": name, "project": project, "role": role }))
        }
    }
}

#[derive(Subcommand)]
enum ProjectCommand {
    /// Make a project with a public and an admin key; prints both, once.
    Create {
        /// The project's name.
        name: String,
        /// Use this public key instead of a new random one (`pk_…`).
        #[arg(long)]
        public_key: Option<String>,
        /// The time zone its reports use when a request names none (default UTC).
        #[arg(long)]
        time_zone: Option<String>,
    },
    /// Set the time zone a project's reports use when a request names none: an IANA zone
    /// (`Europe/Paris`, daylight saving time included) or an offset from UTC (`+02:00`).
    TimeZone {
        /// The project's name.
        name: String,
        /// The zone.
        zone: String,
    },
    /// List projects and their keys (ids and prefixes only).
    List,
    /// Set the origins a project's pages may send from (none: any origin).
    Origins {
        /// The project's name.
        name: String,
        /// An allowed origin, as https://host[:port]. Repeat for more.
        #[arg(long = "allow")]
        allow: Vec<String>,
    },
    /// Revoke a project's keys of one kind and make a new one; prints it, once.
    RotateKey {
        /// The project's name.
        name: String,
        /// Which key.
        #[arg(long, value_enum)]
        kind: Kind,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Kind {
    Public,
    Admin,
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

fn run_project_command(config: &Config, command: ProjectCommand) -> anyhow::Result<()> {
    let registry = Registry::open(&config.db)
        .with_context(|| format!("opening the database {}", config.db.display()))?;
    match command {
        ProjectCommand::Create {
            name,
            public_key,
            time_zone,
        } => {
            if let Some(zone) = &time_zone {
                // Checked before the project is made, so a bad zone makes nothing.
                waymark_collector::reports::zone::Zone::parse(zone)
                    .map_err(|message| anyhow::anyhow!("--time-zone: {message}"))?;
            }
            let keys = registry.create_project(&name, public_key.as_deref())?;
            if let Some(zone) = &time_zone {
                registry.set_time_zone(&name, zone)?;
            }
            print_json(&keys)
        }
        ProjectCommand::TimeZone { name, zone } => {
            let zone = registry.set_time_zone(&name, &zone)?;
            print_json(&serde_json::json!({ "project": name, "time_zone": zone }))
        }
        ProjectCommand::List => print_json(&registry.list()?),
        ProjectCommand::Origins { name, allow } => {
            registry.set_origins(&name, &allow)?;
            print_json(&serde_json::json!({ "project": name, "origins": allow }))
        }
        ProjectCommand::RotateKey { name, kind } => {
            let kind = match kind {
                Kind::Public => KeyKind::Public,
                Kind::Admin => KeyKind::Admin,
            };
            let key = registry.rotate(&name, kind)?;
            print_json(&serde_json::json!({ "project": name, "kind": kind, "key": key }))
        }
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            // The error and its causes, printed here rather than by returning it from main:
            // that would print anyhow's Debug form, with a backtrace whenever RUST_BACKTRACE
            // is set, and a config file's diagnostics would drown in it.
            eprintln!("waymark-collector: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("WAYMARK_LOG").unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();

    let Cli { command, config } = Cli::parse();
    match command {
        Some(Command::Project(command)) => return run_project_command(&config, command),
        Some(Command::User(command)) => return run_user_command(&config, command),
        None => {}
    }

    let registry = Registry::open(&config.db)
        .with_context(|| format!("opening the database {}", config.db.display()))?;
    for (name, key) in Projects::parse(&config.projects)
        .context("reading --project")?
        .entries()
    {
        if let Some(made) = registry
            .ensure(name, key)
            .with_context(|| format!("registering the key of project {name}"))?
        {
            println!(
                "waymark-collector created project {}; its admin key, shown once: {}",
                made.project, made.admin_key
            );
        }
    }
    for entry in &config.publish_configs {
        let (project, path) = entry
            .split_once('=')
            .with_context(|| format!("--publish-config {entry}: expected PROJECT=FILE"))?;
        match publishing::publish_file(&registry, project, std::path::Path::new(path))? {
            FilePublished::Unchanged(version) => {
                tracing::info!(
                    project,
                    version,
                    "the config file is the active version already"
                );
            }
            FilePublished::Published(version, warnings) => {
                tracing::info!(
                    project,
                    version = version.version,
                    file = path,
                    "config published from its file"
                );
                for w in warnings {
                    tracing::warn!(project, pointer = %w.pointer, code = w.code, "{}", w.message);
                }
            }
        }
    }
    let store: Arc<dyn EventStore> = match config.storage {
        Storage::Sqlite => Arc::new(
            SqliteStore::open(&config.db)
                .with_context(|| format!("opening the database {}", config.db.display()))?,
        ),
        Storage::Clickhouse => Arc::new(
            ClickHouseStore::connect(config.clickhouse())
                .await
                .with_context(|| {
                    format!("connecting to ClickHouse at {}", config.clickhouse_url)
                })?,
        ),
    };
    if !config.sdk_dir.join("waymark.js").is_file() {
        tracing::warn!(sdk_dir = %config.sdk_dir.display(), "no waymark.js in the SDK folder; build it with scripts/build-sdk");
    }
    let state = AppState {
        registry: registry.clone(),
        store,
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
        console: Console::new(
            Accounts::open(&config.db)
                .with_context(|| format!("opening the database {}", config.db.display()))?,
            config.console(),
        ),
    };

    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, db = %config.db.display(), storage = ?config.storage, "collector started");
    // Scripts and tests read the bound address (the port may have been 0) from this line.
    println!("waymark-collector listening on http://{address}");

    // Background upkeep: forget rate-limit buckets of quiet clients; reload keys, so that a
    // key rotated from the command line stops working here too.
    let rate_limits = Arc::clone(&state.rate_limits);
    let console = state.console.clone();
    tokio::spawn(async move {
        let mut every_minute = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            every_minute.tick().await;
            rate_limits.forget_idle();
            console.sign_ins.forget_idle();
            let accounts = console.accounts.clone();
            if let Ok(Err(error)) = tokio::task::spawn_blocking(move || {
                accounts.forget_expired_sessions(system_clock())
            })
            .await
            {
                tracing::warn!(%error, "could not delete expired console sessions");
            }
        }
    });
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(REFRESH_EVERY);
        loop {
            tick.tick().await;
            let registry = registry.clone();
            match tokio::task::spawn_blocking(move || registry.refresh()).await {
                Ok(Err(error)) => {
                    tracing::warn!(%error, "could not reload keys; keeping the ones loaded")
                }
                Err(error) => tracing::warn!(%error, "the key reload task failed"),
                Ok(Ok(())) => {}
            }
        }
    });

    waymark_collector::server::serve(
        listener,
        app(state),
        config.connections(),
        shutdown_signal(),
    )
    .await;
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
