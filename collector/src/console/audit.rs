//! The audit log: who changed, published or rolled back what in a project, and when.
//!
//! Every publish and rollback is recorded (a pause, a resumption and an end are publications
//! too, recorded as what they did to which experience), from the console, with the admin key or at
//! start-up, and so is every change to the draft (a run of saves by one author within
//! [`DRAFT_RUN_MS`] is one entry, whose time is the last save's). Entries are only ever
//! added; nothing edits or deletes one.

use rusqlite::{params, Connection};
use serde::Serialize;
use waymark_core::Millis;

use super::accounts::{Accounts, AccountsError, Role};

/// Saves of the draft by the same author closer together than this are one audit entry.
pub const DRAFT_RUN_MS: i64 = 15 * 60 * 1000;

/// What was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A config was published as a new version.
    Published,
    /// An older version was published again.
    RolledBack,
    /// The draft was changed.
    DraftSaved,
    /// An experience was paused (published with `"state": "paused"`).
    Paused,
    /// A paused or ended experience was made live again.
    Resumed,
    /// An experience was ended (published with `"state": "ended"`).
    Ended,
    /// A console user was made, with a role in the project.
    UserAdded,
    /// A user's role in the project was changed (or given).
    RoleChanged,
    /// A user's role in the project was taken away.
    UserRemoved,
    /// The origins the project's pages may send from were changed.
    OriginsChanged,
    /// A key of the project was revoked and a new one made.
    KeyRotated,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::Published => "published",
            Action::RolledBack => "rolled_back",
            Action::DraftSaved => "draft_saved",
            Action::Paused => "paused",
            Action::Resumed => "resumed",
            Action::Ended => "ended",
            Action::UserAdded => "user_added",
            Action::RoleChanged => "role_changed",
            Action::UserRemoved => "user_removed",
            Action::OriginsChanged => "origins_changed",
            Action::KeyRotated => "key_rotated",
        }
    }

    fn parse(s: &str) -> Option<Action> {
        match s {
            "published" => Some(Action::Published),
            "rolled_back" => Some(Action::RolledBack),
            "draft_saved" => Some(Action::DraftSaved),
            "paused" => Some(Action::Paused),
            "resumed" => Some(Action::Resumed),
            "ended" => Some(Action::Ended),
            "user_added" => Some(Action::UserAdded),
            "role_changed" => Some(Action::RoleChanged),
            "user_removed" => Some(Action::UserRemoved),
            "origins_changed" => Some(Action::OriginsChanged),
            "key_rotated" => Some(Action::KeyRotated),
            _ => None,
        }
    }
}

/// Who did it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// A console user, by name.
    User(String),
    /// An admin key, by id (never the key).
    Key(String),
    /// `--publish-config` at start-up.
    Startup,
}

impl Actor {
    /// What a config version records as the one who published it.
    #[must_use]
    pub fn key_id(&self) -> String {
        match self {
            Actor::User(name) => format!("console:{name}"),
            Actor::Key(id) => id.clone(),
            Actor::Startup => crate::publishing::STARTUP_KEY_ID.to_owned(),
        }
    }

    fn stored(&self) -> String {
        match self {
            Actor::User(name) => name.clone(),
            Actor::Key(id) => format!("key:{id}"),
            Actor::Startup => "startup".to_owned(),
        }
    }
}

/// One entry of the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// Its place in the log (increasing).
    pub seq: i64,
    /// When (Unix ms).
    pub at: i64,
    /// Who: a console user's name, `key:ID` for an admin key, or `startup`.
    pub actor: String,
    /// What.
    pub action: Action,
    /// The config version it made (a publish or a rollback) or reached (a draft's revision).
    pub version: Option<i64>,
    /// For a rollback, the version published again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_version: Option<i64>,
    /// For a pause, a resumption or an end, the experience's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub experience: Option<String>,
    /// For a change of users, the user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// For a user added or a role changed, the role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// For a change of settings, what it is now: the origins (comma-separated, empty for
    /// any), or the kind of key rotated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub setting: Option<String>,
}

/// What an entry says beyond who, what and which version.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Detail {
    /// For a rollback, the version published again.
    pub from_version: Option<i64>,
    /// For a pause, a resumption or an end, the experience's id.
    pub experience: Option<String>,
    /// For a change of users, the user.
    pub user: Option<String>,
    /// For a user added or a role changed, the role.
    pub role: Option<Role>,
    /// For a change of settings, what it is now.
    pub setting: Option<String>,
}

impl Accounts {
    /// Records that `actor` did `action` in `project` at `now`.
    pub fn record(
        &self,
        project: &str,
        actor: &Actor,
        action: Action,
        version: Option<i64>,
        detail: &Detail,
        now: Millis,
    ) -> Result<(), AccountsError> {
        record(&self.lock(), project, actor, action, version, detail, now)
    }

    /// The newest `limit` entries of `project`'s log, newest first, before `before` (a
    /// `seq`) when given.
    pub fn audit_log(
        &self,
        project: &str,
        limit: usize,
        before: Option<i64>,
    ) -> Result<Vec<Entry>, AccountsError> {
        let connection = self.lock();
        let mut query = connection.prepare_cached(
            "SELECT seq, at, actor, action, version, detail FROM console_audit
             WHERE project = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3",
        )?;
        let rows = query.query_map(
            params![project, before.unwrap_or(i64::MAX), limit as i64],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<i64>>(4)?,
                    r.get::<_, String>(5)?,
                ))
            },
        )?;
        let mut entries = Vec::new();
        for row in rows {
            let (seq, at, actor, action, version, detail) = row?;
            let Some(action) = Action::parse(&action) else {
                continue;
            };
            let detail = serde_json::from_str::<serde_json::Value>(&detail).unwrap_or_default();
            entries.push(Entry {
                seq,
                at,
                actor,
                action,
                version,
                from_version: detail["from_version"].as_i64(),
                experience: detail["experience"].as_str().map(str::to_owned),
                user: detail["user"].as_str().map(str::to_owned),
                role: detail["role"].as_str().and_then(Role::parse),
                setting: detail["setting"].as_str().map(str::to_owned),
            });
        }
        Ok(entries)
    }
}

pub(crate) fn record(
    connection: &Connection,
    project: &str,
    actor: &Actor,
    action: Action,
    version: Option<i64>,
    detail: &Detail,
    now: Millis,
) -> Result<(), AccountsError> {
    let actor = actor.stored();
    let now = now.0 as i64;
    if action == Action::DraftSaved {
        // A run of saves by one author is one entry: move the last one forward.
        let extended = connection.execute(
            "UPDATE console_audit SET at = ?3, version = ?4 WHERE seq = (
                 SELECT seq FROM console_audit WHERE project = ?1 ORDER BY seq DESC LIMIT 1
             ) AND actor = ?2 AND action = 'draft_saved' AND at > ?5",
            params![project, actor, now, version, now - DRAFT_RUN_MS],
        )?;
        if extended > 0 {
            return Ok(());
        }
    }
    let mut written = serde_json::Map::new();
    if let Some(from) = detail.from_version {
        written.insert("from_version".into(), from.into());
    }
    if let Some(experience) = &detail.experience {
        written.insert("experience".into(), experience.clone().into());
    }
    if let Some(user) = &detail.user {
        written.insert("user".into(), user.clone().into());
    }
    if let Some(role) = detail.role {
        written.insert("role".into(), role.as_str().into());
    }
    if let Some(setting) = &detail.setting {
        written.insert("setting".into(), setting.clone().into());
    }
    let detail = serde_json::Value::Object(written).to_string();
    connection.execute(
        "INSERT INTO console_audit (project, at, actor, action, version, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![project, now, actor, action.as_str(), version, detail],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accounts() -> (Accounts, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        (Accounts::open(&dir.path().join("a.db")).unwrap(), dir)
    }

    #[test]
    fn a_run_of_draft_saves_by_one_author_is_one_entry() {
        let (accounts, _dir) = accounts();
        let ana = Actor::User("ana".into());
        let bo = Actor::User("bo".into());
        let save = |actor: &Actor, revision, at| {
            accounts
                .record(
                    "shop",
                    actor,
                    Action::DraftSaved,
                    Some(revision),
                    &Detail::default(),
                    Millis(at),
                )
                .unwrap();
        };
        save(&ana, 1, 1_000);
        save(&ana, 2, 2_000);
        save(&bo, 3, 3_000);
        save(&ana, 4, 4_000);
        save(&ana, 5, 4_000 + DRAFT_RUN_MS as u64 + 1);
        let log = accounts.audit_log("shop", 10, None).unwrap();
        let seen: Vec<_> = log
            .iter()
            .map(|e| (e.actor.as_str(), e.version, e.at))
            .collect();
        assert_eq!(
            seen,
            [
                ("ana", Some(5), 4_000 + DRAFT_RUN_MS + 1),
                ("ana", Some(4), 4_000),
                ("bo", Some(3), 3_000),
                ("ana", Some(2), 2_000),
            ]
        );
    }

    #[test]
    fn a_rollback_names_the_version_it_published_again() {
        let (accounts, _dir) = accounts();
        let key = Actor::Key("key_1".into());
        accounts
            .record(
                "shop",
                &key,
                Action::Published,
                Some(1),
                &Detail::default(),
                Millis(1),
            )
            .unwrap();
        accounts
            .record(
                "shop",
                &key,
                Action::RolledBack,
                Some(2),
                &Detail {
                    from_version: Some(1),
                    ..Detail::default()
                },
                Millis(2),
            )
            .unwrap();
        accounts
            .record(
                "other",
                &key,
                Action::Published,
                Some(1),
                &Detail::default(),
                Millis(3),
            )
            .unwrap();
        let log = accounts.audit_log("shop", 10, None).unwrap();
        assert_eq!(log.len(), 2);
        assert_eq!(
            (log[0].action, log[0].version, log[0].from_version),
            (Action::RolledBack, Some(2), Some(1))
        );
        assert_eq!(log[0].actor, "key:key_1");
        let older = accounts.audit_log("shop", 10, Some(log[0].seq)).unwrap();
        assert_eq!(older.len(), 1, "paging goes on from the oldest seen");
    }
}
