//! Console users, their role in each project, their passwords and their sessions.
//!
//! Passwords are stored only as Argon2id hashes (PHC strings, with their own salt). A session
//! is a random token the browser holds in an `HttpOnly` cookie; the database keeps only its
//! SHA-256 digest, so a copy of the database signs nobody in. Every function takes the time
//! as a value: the caller's clock decides what has expired.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use waymark_core::Millis;

use crate::store::{open_database, StoreError};

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// What a user may do in a project. Each role may do everything the roles before it may.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Read the project's configs, versions, reports and audit log.
    Viewer,
    /// Also edit the draft.
    Editor,
    /// Also publish and roll back.
    Publisher,
    /// Also manage the project's users, keys and origins.
    Admin,
}

impl Role {
    /// The role's name, as stored and shown.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Publisher => "publisher",
            Role::Admin => "admin",
        }
    }

    /// The role named `name`, if any.
    #[must_use]
    pub fn parse(name: &str) -> Option<Role> {
        match name {
            "viewer" => Some(Role::Viewer),
            "editor" => Some(Role::Editor),
            "publisher" => Some(Role::Publisher),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    /// Whether this role may do what `needed` may.
    #[must_use]
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

/// A user's role in one project.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Membership {
    /// The project.
    pub project: String,
    /// The user's role in it.
    pub role: Role,
}

/// A user as `user list` and the console show them (never the password hash).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UserSummary {
    /// The user's name, which they sign in with.
    pub name: String,
    /// When the user was made (Unix ms).
    pub created_at: i64,
    /// The user's roles, by project name.
    pub projects: Vec<Membership>,
}

/// A signed-in session's user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionUser {
    /// The user's name.
    pub name: String,
    /// When the session ends (Unix ms).
    pub expires_at: i64,
}

/// What a session token names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionLookup {
    /// A valid session.
    Valid(SessionUser),
    /// A session that has ended; it is deleted.
    Expired,
    /// No session has this token (it was signed out, or never existed).
    Unknown,
}

/// Why an accounts operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    /// The database could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// SQLite failed.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A user of that name exists.
    #[error("user {0:?} exists already")]
    UserExists(String),
    /// No user of that name.
    #[error("no user {0:?}")]
    NoUser(String),
    /// No project of that name.
    #[error("no project {0:?}: make it with `project create` first")]
    NoProject(String),
    /// A user name must be 1 to 64 letters, digits, `.`, `_`, `-` or `@`.
    #[error("{0:?} is not a user name: use 1 to 64 letters, digits, '.', '_', '-' or '@'")]
    BadName(String),
    /// The password is too short.
    #[error("a password needs at least {MIN_PASSWORD_CHARS} characters")]
    WeakPassword,
    /// Hashing failed (it does not, for the parameters used; kept as a value, not a panic).
    #[error("the password could not be hashed: {0}")]
    Hash(String),
    /// The system's random source failed.
    #[error("no randomness available: {0}")]
    Random(String),
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
}

fn hash_password(password: &str) -> Result<String, AccountsError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| AccountsError::Random(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| AccountsError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| AccountsError::Hash(e.to_string()))
}

/// Whether `password` matches the PHC string `stored`. A stored value that does not parse
/// matches nothing.
fn password_matches(stored: &str, password: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// A hash of no one's password, checked when the user does not exist, so that a wrong name
/// takes as long to refuse as a wrong password and names cannot be found by timing.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password, never valid").unwrap_or_default())
}

/// The SHA-256 digest of a session token, hex.
fn digest(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn random_token() -> Result<String, AccountsError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AccountsError::Random(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Console users, roles and sessions, in the collector's database.
#[derive(Clone, Debug)]
pub struct Accounts {
    connection: Arc<Mutex<Connection>>,
}

impl Accounts {
    /// Opens the accounts in the database at `path` (migrating it if needed).
    pub fn open(path: &Path) -> Result<Accounts, AccountsError> {
        Ok(Accounts {
            connection: Arc::new(Mutex::new(open_database(path)?)),
        })
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Connection> {
        self.connection
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Makes a user with `password` and `role` in `project`.
    pub fn create_user(
        &self,
        name: &str,
        password: &str,
        project: &str,
        role: Role,
        now: Millis,
    ) -> Result<(), AccountsError> {
        if !valid_name(name) {
            return Err(AccountsError::BadName(name.to_owned()));
        }
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(AccountsError::WeakPassword);
        }
        let hash = hash_password(password)?;
        let mut connection = self.lock();
        let tx = connection.transaction()?;
        if user_exists(&tx, name)? {
            return Err(AccountsError::UserExists(name.to_owned()));
        }
        if !project_exists(&tx, project)? {
            return Err(AccountsError::NoProject(project.to_owned()));
        }
        tx.execute(
            "INSERT INTO console_users (name, password, created_at) VALUES (?1, ?2, ?3)",
            params![name, hash, now.0 as i64],
        )?;
        tx.execute(
            "INSERT INTO console_roles (user, project, role) VALUES (?1, ?2, ?3)",
            params![name, project, role.as_str()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Gives `name` the role `role` in `project` (none: takes the project away).
    pub fn set_role(
        &self,
        name: &str,
        project: &str,
        role: Option<Role>,
    ) -> Result<(), AccountsError> {
        let mut connection = self.lock();
        let tx = connection.transaction()?;
        if !user_exists(&tx, name)? {
            return Err(AccountsError::NoUser(name.to_owned()));
        }
        if !project_exists(&tx, project)? {
            return Err(AccountsError::NoProject(project.to_owned()));
        }
        match role {
            Some(role) => tx.execute(
                "INSERT INTO console_roles (user, project, role) VALUES (?1, ?2, ?3)
                 ON CONFLICT (user, project) DO UPDATE SET role = excluded.role",
                params![name, project, role.as_str()],
            )?,
            None => tx.execute(
                "DELETE FROM console_roles WHERE user = ?1 AND project = ?2",
                params![name, project],
            )?,
        };
        tx.commit()?;
        Ok(())
    }

    /// Removes a user, their roles and their sessions (signed out at once).
    pub fn remove_user(&self, name: &str) -> Result<(), AccountsError> {
        let mut connection = self.lock();
        let tx = connection.transaction()?;
        tx.execute("DELETE FROM console_sessions WHERE user = ?1", [name])?;
        tx.execute("DELETE FROM console_roles WHERE user = ?1", [name])?;
        if tx.execute("DELETE FROM console_users WHERE name = ?1", [name])? == 0 {
            return Err(AccountsError::NoUser(name.to_owned()));
        }
        tx.commit()?;
        Ok(())
    }

    /// Every user with their roles, by name.
    pub fn list_users(&self) -> Result<Vec<UserSummary>, AccountsError> {
        let connection = self.lock();
        let mut users =
            connection.prepare("SELECT name, created_at FROM console_users ORDER BY name")?;
        let users: Vec<(String, i64)> = users
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        users
            .into_iter()
            .map(|(name, created_at)| {
                let projects = memberships(&connection, &name)?;
                Ok(UserSummary {
                    name,
                    created_at,
                    projects,
                })
            })
            .collect()
    }

    /// The user's roles, by project name.
    pub fn memberships(&self, name: &str) -> Result<Vec<Membership>, AccountsError> {
        memberships(&self.lock(), name)
    }

    /// The user's role in `project`, if they have one.
    pub fn role(&self, name: &str, project: &str) -> Result<Option<Role>, AccountsError> {
        let role: Option<String> = self
            .lock()
            .query_row(
                "SELECT role FROM console_roles WHERE user = ?1 AND project = ?2",
                params![name, project],
                |r| r.get(0),
            )
            .optional()?;
        Ok(role.as_deref().and_then(Role::parse))
    }

    /// Whether `password` is `name`'s. An unknown name is checked against a decoy hash, so
    /// it takes as long as a wrong password.
    pub fn verify(&self, name: &str, password: &str) -> Result<bool, AccountsError> {
        let stored: Option<String> = self
            .lock()
            .query_row(
                "SELECT password FROM console_users WHERE name = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()?;
        Ok(match stored {
            Some(stored) => password_matches(&stored, password),
            None => {
                let _ = password_matches(decoy_hash(), password);
                false
            }
        })
    }

    /// Opens a session for `name` that lasts `lifetime_ms`; returns its token, which only
    /// the cookie holds.
    pub fn open_session(
        &self,
        name: &str,
        now: Millis,
        lifetime_ms: u64,
    ) -> Result<String, AccountsError> {
        let token = random_token()?;
        let now = now.0 as i64;
        self.lock().execute(
            "INSERT INTO console_sessions (digest, user, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![digest(&token), name, now, now.saturating_add(lifetime_ms as i64)],
        )?;
        Ok(token)
    }

    /// The session `token` names, at `now`. An expired session is deleted.
    pub fn session(&self, token: &str, now: Millis) -> Result<SessionLookup, AccountsError> {
        let connection = self.lock();
        let found: Option<(String, i64)> = connection
            .query_row(
                "SELECT s.user, s.expires_at FROM console_sessions s
                 JOIN console_users u ON u.name = s.user WHERE s.digest = ?1",
                [digest(token)],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(match found {
            None => SessionLookup::Unknown,
            Some((_, expires_at)) if expires_at <= now.0 as i64 => {
                connection.execute(
                    "DELETE FROM console_sessions WHERE digest = ?1",
                    [digest(token)],
                )?;
                SessionLookup::Expired
            }
            Some((name, expires_at)) => SessionLookup::Valid(SessionUser { name, expires_at }),
        })
    }

    /// Ends the session `token` names (signing out); ending one that does not exist is fine.
    pub fn close_session(&self, token: &str) -> Result<(), AccountsError> {
        self.lock().execute(
            "DELETE FROM console_sessions WHERE digest = ?1",
            [digest(token)],
        )?;
        Ok(())
    }

    /// Deletes every session that has ended by `now`.
    pub fn forget_expired_sessions(&self, now: Millis) -> Result<usize, AccountsError> {
        Ok(self.lock().execute(
            "DELETE FROM console_sessions WHERE expires_at <= ?1",
            [now.0 as i64],
        )?)
    }
}

fn user_exists(connection: &Connection, name: &str) -> Result<bool, rusqlite::Error> {
    connection
        .query_row(
            "SELECT 1 FROM console_users WHERE name = ?1",
            [name],
            |_| Ok(()),
        )
        .optional()
        .map(|found| found.is_some())
}

fn project_exists(connection: &Connection, name: &str) -> Result<bool, rusqlite::Error> {
    connection
        .query_row("SELECT 1 FROM projects WHERE name = ?1", [name], |_| Ok(()))
        .optional()
        .map(|found| found.is_some())
}

fn memberships(connection: &Connection, name: &str) -> Result<Vec<Membership>, AccountsError> {
    let mut query = connection.prepare_cached(
        "SELECT project, role FROM console_roles WHERE user = ?1 ORDER BY project",
    )?;
    let rows: Vec<(String, String)> = query
        .query_map([name], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows
        .into_iter()
        .filter_map(|(project, role)| {
            Some(Membership {
                project,
                role: Role::parse(&role)?,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accounts() -> (Accounts, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        crate::registry::Registry::open(&path)
            .unwrap()
            .create_project("shop", None)
            .unwrap();
        (Accounts::open(&path).unwrap(), dir)
    }

    #[test]
    fn passwords_are_stored_only_as_argon2id_hashes() {
        let (accounts, dir) = accounts();
        accounts
            .create_user(
                "ana",
                "zebra quartz battery",
                "shop",
                Role::Editor,
                Millis(1),
            )
            .unwrap();
        let stored: String = accounts
            .lock()
            .query_row("SELECT password FROM console_users", [], |r| r.get(0))
            .unwrap();
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        for file in ["c.db", "c.db-wal"] {
            let raw = std::fs::read(dir.path().join(file)).unwrap_or_default();
            assert!(!raw.windows(12).any(|w| w == b"zebra quartz"), "{file}");
        }
        assert!(accounts.verify("ana", "zebra quartz battery").unwrap());
        assert!(!accounts.verify("ana", "zebra quartz batterx").unwrap());
        assert!(!accounts.verify("nobody", "zebra quartz battery").unwrap());
    }

    #[test]
    fn roles_include_the_roles_below_them() {
        assert!(Role::Admin.allows(Role::Publisher));
        assert!(Role::Publisher.allows(Role::Editor));
        assert!(Role::Editor.allows(Role::Viewer));
        assert!(!Role::Editor.allows(Role::Publisher));
        assert!(!Role::Viewer.allows(Role::Editor));
    }

    #[test]
    fn bad_users_are_refused_with_the_reason() {
        let (accounts, _dir) = accounts();
        let make = |name: &str, password: &str, project: &str| {
            accounts.create_user(name, password, project, Role::Viewer, Millis(1))
        };
        assert!(matches!(
            make("a b", "long enough pw", "shop"),
            Err(AccountsError::BadName(_))
        ));
        assert!(matches!(
            make("ana", "short", "shop"),
            Err(AccountsError::WeakPassword)
        ));
        assert!(matches!(
            make("ana", "long enough pw", "nope"),
            Err(AccountsError::NoProject(_))
        ));
        make("ana", "long enough pw", "shop").unwrap();
        assert!(matches!(
            make("ana", "long enough pw", "shop"),
            Err(AccountsError::UserExists(_))
        ));
        assert!(matches!(
            accounts.set_role("bo", "shop", Some(Role::Admin)),
            Err(AccountsError::NoUser(_))
        ));
    }

    #[test]
    fn a_session_lasts_its_lifetime_and_ends_on_removal() {
        let (accounts, _dir) = accounts();
        accounts
            .create_user("ana", "long enough pw", "shop", Role::Viewer, Millis(1))
            .unwrap();
        let token = accounts.open_session("ana", Millis(1_000), 500).unwrap();
        assert!(matches!(
            accounts.session(&token, Millis(1_499)).unwrap(),
            SessionLookup::Valid(SessionUser {
                expires_at: 1_500,
                ..
            })
        ));
        assert_eq!(
            accounts.session(&token, Millis(1_500)).unwrap(),
            SessionLookup::Expired
        );
        assert_eq!(
            accounts.session(&token, Millis(1_000)).unwrap(),
            SessionLookup::Unknown,
            "an expired session is deleted"
        );
        let token = accounts.open_session("ana", Millis(1_000), 500).unwrap();
        accounts.remove_user("ana").unwrap();
        assert_eq!(
            accounts.session(&token, Millis(1_100)).unwrap(),
            SessionLookup::Unknown
        );
    }
}
