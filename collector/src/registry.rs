//! Projects and their keys.
//!
//! Each project has a public write key (`pk_…`: ingest and config reads; safe in a script
//! tag) and a secret admin key (`sk_…`: config writes and reports). Keys are random, shown
//! once when made, and stored only as SHA-256 digests: a copy of the database gives nobody a
//! key. Lookups go through an in-memory map of digests, refreshed from the database so that
//! a key rotated from the command line (another process) stops working within
//! [`REFRESH_EVERY`].

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};

use waymark_core::Millis;

use crate::console::accounts::AccountsError;
use crate::console::audit::{self, Action, Actor};
use crate::reports::zone::Zone;
use crate::store::{open_database, StoreError};

/// How often the key cache is reloaded from the database.
pub const REFRESH_EVERY: Duration = Duration::from_secs(10);

/// What a key may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    /// Ingest events and read the config.
    Public,
    /// Publish configs and read reports.
    Admin,
}

impl KeyKind {
    /// The kind's name, as stored and shown.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Public => "public",
            KeyKind::Admin => "admin",
        }
    }

    /// The kind named `s` (`public`, `admin`).
    #[must_use]
    pub fn parse(s: &str) -> Option<KeyKind> {
        match s {
            "public" => Some(KeyKind::Public),
            "admin" => Some(KeyKind::Admin),
            _ => None,
        }
    }
}

/// A valid key's identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyInfo {
    /// The key's id (safe to log and store; the key itself is not).
    pub key_id: String,
    /// Its project.
    pub project: String,
    /// What it may do.
    pub kind: KeyKind,
}

/// A key as `project list` shows it.
#[derive(Clone, Debug, Serialize)]
pub struct KeySummary {
    /// The key's id.
    pub key_id: String,
    /// Public or admin.
    pub kind: KeyKind,
    /// The key's first characters, to tell keys apart.
    pub prefix: String,
    /// When it was made (Unix ms).
    pub created_at: i64,
    /// When it was revoked, if it was.
    pub revoked_at: Option<i64>,
}

/// A project as `project list` shows it.
#[derive(Clone, Debug, Serialize)]
pub struct ProjectSummary {
    /// The project's name.
    pub name: String,
    /// When it was made (Unix ms).
    pub created_at: i64,
    /// Its reports' time zone (`null`: UTC).
    pub time_zone: Option<String>,
    /// Its keys, newest first.
    pub keys: Vec<KeySummary>,
}

/// Why a registry operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// SQLite failed.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The project exists already.
    #[error("project {0:?} exists already")]
    ProjectExists(String),
    /// No such project.
    #[error("no project {0:?}")]
    NoProject(String),
    /// A key given on the command line has the wrong form.
    #[error("a public key must start with \"pk_\" and have at least 8 characters after it")]
    BadKey,
    /// A key is already registered to another project.
    #[error("that key belongs to project {0:?}")]
    KeyTaken(String),
    /// Not an origin (`https://host[:port]`).
    #[error("{0:?} is not an origin; write it as https://host or https://host:port")]
    BadOrigin(String),
    /// Not a time zone (the message says what is expected).
    #[error("time zone: {0}")]
    BadTimeZone(String),
    /// The system's random source failed.
    #[error("no randomness available: {0}")]
    Random(String),
    /// The audit log could not be written.
    #[error("the audit log could not be written: {0}")]
    Audit(String),
}

fn digest(key: &str) -> String {
    let hash = Sha256::digest(key.as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

fn random_hex(bytes: usize) -> Result<String, RegistryError> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).map_err(|e| RegistryError::Random(e.to_string()))?;
    Ok(buffer.iter().map(|b| format!("{b:02x}")).collect())
}

fn new_key(kind: KeyKind) -> Result<String, RegistryError> {
    Ok(match kind {
        KeyKind::Public => format!("pk_{}", random_hex(16)?),
        KeyKind::Admin => format!("sk_{}", random_hex(24)?),
    })
}

fn project_exists(connection: &Connection, name: &str) -> Result<bool, rusqlite::Error> {
    connection
        .query_row("SELECT 1 FROM projects WHERE name = ?1", [name], |_| Ok(()))
        .optional()
        .map(|found| found.is_some())
}

fn now_ms() -> i64 {
    crate::state::system_clock().0 as i64
}

/// Projects and keys.
#[derive(Debug, Clone)]
pub struct Registry {
    connection: Arc<Mutex<Connection>>,
    cache: Arc<RwLock<HashMap<String, KeyInfo>>>,
    /// Allowed origins by project (a project with none accepts any origin).
    origins: Arc<RwLock<HashMap<String, Vec<String>>>>,
}

/// A newly made project's keys, shown once.
#[derive(Debug, Serialize)]
pub struct NewKeys {
    /// The project.
    pub project: String,
    /// Its public write key.
    pub public_key: String,
    /// Its secret admin key.
    pub admin_key: String,
}

impl Registry {
    /// Opens the registry in the database at `path`.
    pub fn open(path: &Path) -> Result<Registry, RegistryError> {
        let connection = open_database(path)?;
        let registry = Registry {
            connection: Arc::new(Mutex::new(connection)),
            cache: Arc::default(),
            origins: Arc::default(),
        };
        registry.refresh()?;
        Ok(registry)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.connection
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Reloads the key cache: valid keys only.
    pub fn refresh(&self) -> Result<(), RegistryError> {
        let connection = self.lock();
        let mut query = connection.prepare_cached(
            "SELECT digest, key_id, project, kind FROM keys WHERE revoked_at IS NULL",
        )?;
        let keys = query
            .query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                ))
            })?
            .filter_map(Result::ok)
            .filter_map(|(digest, key_id, project, kind)| {
                Some((
                    digest,
                    KeyInfo {
                        key_id,
                        project,
                        kind: KeyKind::parse(&kind)?,
                    },
                ))
            })
            .collect();
        *self
            .cache
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = keys;
        let mut query = connection.prepare_cached("SELECT name, origins FROM projects")?;
        let origins = query
            .query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
            })?
            .filter_map(Result::ok)
            .map(|(project, origins)| (project, serde_json::from_str(&origins).unwrap_or_default()))
            .collect();
        *self
            .origins
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = origins;
        Ok(())
    }

    /// Whether a page at `origin` may send events for `project`.
    #[must_use]
    pub fn origin_allowed(&self, project: &str, origin: &str) -> bool {
        let origins = self
            .origins
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        origins
            .get(project)
            .is_none_or(|allowed| allowed.is_empty() || allowed.iter().any(|o| o == origin))
    }

    /// The origins a project's pages may send from (empty: any origin).
    #[must_use]
    pub fn origins(&self, project: &str) -> Vec<String> {
        self.origins
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(project)
            .cloned()
            .unwrap_or_default()
    }

    /// Sets the origins a project's pages may send from (none: any origin). Each must be an
    /// origin: scheme, host and optional port, nothing after.
    pub fn set_origins(&self, project: &str, origins: &[String]) -> Result<(), RegistryError> {
        for origin in origins {
            let rest = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"));
            if !rest.is_some_and(|host| !host.is_empty() && !host.contains('/')) {
                return Err(RegistryError::BadOrigin(origin.clone()));
            }
        }
        let json = serde_json::to_string(origins).unwrap_or_else(|_| "[]".to_owned());
        let changed = self.lock().execute(
            "UPDATE projects SET origins = ?2 WHERE name = ?1",
            params![project, json],
        )?;
        if changed == 0 {
            return Err(RegistryError::NoProject(project.to_owned()));
        }
        self.refresh()
    }

    /// Sets the time zone a project's reports use when a request names none: an IANA name
    /// (`Europe/Paris`) or an offset (`+02:00`), checked and stored as the reports name it.
    /// Returns that name.
    pub fn set_time_zone(&self, project: &str, zone: &str) -> Result<String, RegistryError> {
        let name = Zone::parse(zone)
            .map_err(RegistryError::BadTimeZone)?
            .name();
        let changed = self.lock().execute(
            "UPDATE projects SET time_zone = ?2 WHERE name = ?1",
            params![project, name],
        )?;
        if changed == 0 {
            return Err(RegistryError::NoProject(project.to_owned()));
        }
        Ok(name)
    }

    /// A project's time zone for reports, if one is set.
    pub fn time_zone(&self, project: &str) -> Result<Option<String>, RegistryError> {
        Ok(self
            .lock()
            .query_row(
                "SELECT time_zone FROM projects WHERE name = ?1",
                [project],
                |r| r.get(0),
            )
            .optional()?
            .flatten())
    }

    /// The key's identity, if it is valid.
    #[must_use]
    pub fn lookup(&self, key: &str) -> Option<KeyInfo> {
        let cache = self
            .cache
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        cache.get(&digest(key)).cloned()
    }

    fn insert_key(
        connection: &Connection,
        project: &str,
        kind: KeyKind,
        key: &str,
    ) -> Result<String, RegistryError> {
        let key_id = format!("key_{}", random_hex(8)?);
        connection.execute(
            "INSERT INTO keys (key_id, project, kind, digest, prefix, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![key_id, project, kind.as_str(), digest(key), &key[..key.len().min(7)], now_ms()],
        )?;
        Ok(key_id)
    }

    /// Makes a project with new keys (or the given public key), returning the keys once.
    pub fn create_project(
        &self,
        name: &str,
        public_key: Option<&str>,
    ) -> Result<NewKeys, RegistryError> {
        if let Some(key) = public_key {
            if !key.starts_with("pk_") || key.len() < 11 {
                return Err(RegistryError::BadKey);
            }
        }
        let public_key = match public_key {
            Some(key) => key.to_owned(),
            None => new_key(KeyKind::Public)?,
        };
        let admin_key = new_key(KeyKind::Admin)?;
        {
            let mut connection = self.lock();
            let tx = connection.transaction()?;
            let exists = project_exists(&tx, name)?;
            if exists {
                return Err(RegistryError::ProjectExists(name.to_owned()));
            }
            tx.execute(
                "INSERT INTO projects (name, created_at) VALUES (?1, ?2)",
                params![name, now_ms()],
            )?;
            Self::insert_key(&tx, name, KeyKind::Public, &public_key)?;
            Self::insert_key(&tx, name, KeyKind::Admin, &admin_key)?;
            tx.commit()?;
        }
        self.refresh()?;
        Ok(NewKeys {
            project: name.to_owned(),
            public_key,
            admin_key,
        })
    }

    /// Makes sure `name` exists and `public_key` is one of its valid public keys (for
    /// `--project NAME=KEY`, which development and demos use). An admin key is made for a new
    /// project and returned once.
    pub fn ensure(&self, name: &str, public_key: &str) -> Result<Option<NewKeys>, RegistryError> {
        match self.lookup(public_key) {
            Some(info) if info.project == name && info.kind == KeyKind::Public => return Ok(None),
            Some(info) => return Err(RegistryError::KeyTaken(info.project)),
            None => {}
        }
        let exists = project_exists(&self.lock(), name)?;
        if !exists {
            return self.create_project(name, Some(public_key)).map(Some);
        }
        if !public_key.starts_with("pk_") || public_key.len() < 11 {
            return Err(RegistryError::BadKey);
        }
        Self::insert_key(&self.lock(), name, KeyKind::Public, public_key)?;
        self.refresh()?;
        Ok(None)
    }

    /// Revokes a project's keys of one kind and makes a new one, returned once.
    pub fn rotate(&self, name: &str, kind: KeyKind) -> Result<String, RegistryError> {
        let key = new_key(kind)?;
        {
            let mut connection = self.lock();
            let tx = connection.transaction()?;
            let exists = project_exists(&tx, name)?;
            if !exists {
                return Err(RegistryError::NoProject(name.to_owned()));
            }
            tx.execute(
                "UPDATE keys SET revoked_at = ?3 WHERE project = ?1 AND kind = ?2 AND revoked_at IS NULL",
                params![name, kind.as_str(), now_ms()],
            )?;
            Self::insert_key(&tx, name, kind, &key)?;
            tx.commit()?;
        }
        self.refresh()?;
        Ok(key)
    }

    /// Every project with its keys (never the keys themselves).
    pub fn list(&self) -> Result<Vec<ProjectSummary>, RegistryError> {
        let connection = self.lock();
        let mut projects =
            connection.prepare("SELECT name, created_at, time_zone FROM projects ORDER BY name")?;
        let mut keys = connection.prepare(
            "SELECT key_id, kind, prefix, created_at, revoked_at FROM keys WHERE project = ?1 ORDER BY created_at DESC, key_id",
        )?;
        let names: Vec<(String, i64, Option<String>)> = projects
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        names
            .into_iter()
            .map(|(name, created_at, time_zone)| {
                let keys = keys
                    .query_map([&name], |r| {
                        Ok(KeySummary {
                            key_id: r.get(0)?,
                            kind: KeyKind::parse(&r.get::<_, String>(1)?)
                                .unwrap_or(KeyKind::Public),
                            prefix: r.get(2)?,
                            created_at: r.get(3)?,
                            revoked_at: r.get(4)?,
                        })
                    })?
                    .collect::<Result<_, _>>()?;
                Ok(ProjectSummary {
                    name,
                    created_at,
                    time_zone,
                    keys,
                })
            })
            .collect()
    }
}

/// A published config version.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ConfigVersion {
    /// The version number, from 1.
    pub version: i64,
    /// When it was published (Unix ms).
    pub published_at: i64,
    /// Who published it: the admin key's id, `console:NAME` for a console user, or
    /// `startup` for `--publish-config`.
    pub key_id: String,
    /// The older version this one republished, for a rollback.
    pub rolled_back_from: Option<i64>,
    /// Whether it is the version being served.
    pub active: bool,
}

impl Registry {
    /// Stores `body` as the project's next config version and makes it active, and records
    /// in the audit log, in the same transaction, that `actor` published it (or rolled back
    /// to `rolled_back_from`).
    pub fn publish(
        &self,
        project: &str,
        body: &str,
        actor: &Actor,
        rolled_back_from: Option<i64>,
    ) -> Result<ConfigVersion, RegistryError> {
        let action = match rolled_back_from {
            Some(_) => Action::RolledBack,
            None => Action::Published,
        };
        let detail = audit::Detail {
            from_version: rolled_back_from,
            ..audit::Detail::default()
        };
        self.publish_as(project, body, actor, action, &detail)
    }

    /// Publishes `body` as [`Registry::publish`] does, recorded in the audit log as
    /// `action` (a pause, a resumption or an end) of the experience `experience`.
    pub fn publish_state(
        &self,
        project: &str,
        body: &str,
        actor: &Actor,
        action: Action,
        experience: &str,
    ) -> Result<ConfigVersion, RegistryError> {
        let detail = audit::Detail {
            experience: Some(experience.to_owned()),
            ..audit::Detail::default()
        };
        self.publish_as(project, body, actor, action, &detail)
    }

    fn publish_as(
        &self,
        project: &str,
        body: &str,
        actor: &Actor,
        action: Action,
        detail: &audit::Detail,
    ) -> Result<ConfigVersion, RegistryError> {
        let rolled_back_from = detail.from_version;
        let key_id = actor.key_id();
        let key_id = key_id.as_str();
        let mut connection = self.lock();
        let tx = connection.transaction()?;
        let next: i64 = tx.query_row(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM configs WHERE project = ?1",
            [project],
            |r| r.get(0),
        )?;
        let published_at = now_ms();
        tx.execute(
            "INSERT INTO configs (project, version, body, published_at, key_id, rolled_back_from) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![project, next, body, published_at, key_id, rolled_back_from],
        )?;
        tx.execute(
            "UPDATE projects SET active_version = ?2 WHERE name = ?1",
            params![project, next],
        )?;
        audit::record(
            &tx,
            project,
            actor,
            action,
            Some(next),
            detail,
            Millis(published_at as u64),
        )
        .map_err(|error| match error {
            AccountsError::Sqlite(error) => RegistryError::Sqlite(error),
            other => RegistryError::Audit(other.to_string()),
        })?;
        tx.commit()?;
        Ok(ConfigVersion {
            version: next,
            published_at,
            key_id: key_id.to_owned(),
            rolled_back_from,
            active: true,
        })
    }

    /// The active config: version, publication time and JSON body.
    pub fn active_config(
        &self,
        project: &str,
    ) -> Result<Option<(i64, i64, String)>, RegistryError> {
        let connection = self.lock();
        Ok(connection
            .query_row(
                "SELECT c.version, c.published_at, c.body FROM projects p
                 JOIN configs c ON c.project = p.name AND c.version = p.active_version
                 WHERE p.name = ?1",
                [project],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?)
    }

    /// A stored version's body.
    pub fn config_body(
        &self,
        project: &str,
        version: i64,
    ) -> Result<Option<String>, RegistryError> {
        let connection = self.lock();
        Ok(connection
            .query_row(
                "SELECT body FROM configs WHERE project = ?1 AND version = ?2",
                params![project, version],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Every published version, newest first.
    pub fn config_versions(&self, project: &str) -> Result<Vec<ConfigVersion>, RegistryError> {
        let connection = self.lock();
        let active: Option<i64> = connection
            .query_row(
                "SELECT active_version FROM projects WHERE name = ?1",
                [project],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        let mut query = connection.prepare(
            "SELECT version, published_at, key_id, rolled_back_from FROM configs WHERE project = ?1 ORDER BY version DESC",
        )?;
        let versions = query
            .query_map([project], |r| {
                let version: i64 = r.get(0)?;
                Ok(ConfigVersion {
                    version,
                    published_at: r.get(1)?,
                    key_id: r.get(2)?,
                    rolled_back_from: r.get(3)?,
                    active: Some(version) == active,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(versions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> (Registry, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        (Registry::open(&dir.path().join("r.db")).unwrap(), dir)
    }

    #[test]
    fn a_new_project_gets_a_public_and_an_admin_key_stored_only_as_digests() {
        let (registry, dir) = registry();
        let keys = registry.create_project("shop", None).unwrap();
        assert!(keys.public_key.starts_with("pk_") && keys.admin_key.starts_with("sk_"));
        assert_eq!(
            registry
                .lookup(&keys.public_key)
                .map(|k| (k.project, k.kind)),
            Some(("shop".into(), KeyKind::Public))
        );
        assert_eq!(
            registry.lookup(&keys.admin_key).map(|k| k.kind),
            Some(KeyKind::Admin)
        );
        let raw = std::fs::read(dir.path().join("r.db")).unwrap();
        let contains = |needle: &str| raw.windows(needle.len()).any(|w| w == needle.as_bytes());
        assert!(
            !contains(&keys.public_key) && !contains(&keys.admin_key),
            "keys must not be stored"
        );
    }

    #[test]
    fn rotating_a_key_revokes_the_old_one() {
        let (registry, _dir) = registry();
        let keys = registry.create_project("shop", None).unwrap();
        let admin = registry.rotate("shop", KeyKind::Admin).unwrap();
        assert_eq!(registry.lookup(&keys.admin_key), None);
        assert_eq!(
            registry.lookup(&admin).map(|k| k.kind),
            Some(KeyKind::Admin)
        );
        assert!(
            registry.lookup(&keys.public_key).is_some(),
            "the public key is untouched"
        );
        let listed = registry.list().unwrap();
        assert_eq!(
            listed[0]
                .keys
                .iter()
                .filter(|k| k.revoked_at.is_some())
                .count(),
            1
        );
        assert!(matches!(
            registry.rotate("nope", KeyKind::Public),
            Err(RegistryError::NoProject(_))
        ));
    }

    #[test]
    fn origins_limit_where_pages_may_send_from() {
        let (registry, _dir) = registry();
        registry.create_project("shop", None).unwrap();
        assert!(
            registry.origin_allowed("shop", "https://anything.example"),
            "no list: any origin"
        );
        registry
            .set_origins("shop", &["https://shop.example".into()])
            .unwrap();
        assert!(registry.origin_allowed("shop", "https://shop.example"));
        assert!(!registry.origin_allowed("shop", "https://evil.example"));
        assert!(matches!(
            registry.set_origins("shop", &["shop.example/path".into()]),
            Err(RegistryError::BadOrigin(_))
        ));
        assert!(matches!(
            registry.set_origins("nope", &[]),
            Err(RegistryError::NoProject(_))
        ));
    }

    #[test]
    fn ensure_registers_a_known_public_key_once() {
        let (registry, _dir) = registry();
        let made = registry.ensure("demo", "pk_demo_ledgerly_0001").unwrap();
        assert!(made.is_some(), "a new project gets its admin key");
        assert!(registry
            .ensure("demo", "pk_demo_ledgerly_0001")
            .unwrap()
            .is_none());
        assert!(matches!(
            registry.ensure("other", "pk_demo_ledgerly_0001"),
            Err(RegistryError::KeyTaken(_))
        ));
        assert!(matches!(
            registry.create_project("demo", None),
            Err(RegistryError::ProjectExists(_))
        ));
    }
}
