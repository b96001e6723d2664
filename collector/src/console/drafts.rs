//! Each project's draft: the config the console's authors are working on, saved as they
//! type, before anyone publishes it.
//!
//! A draft may have errors (it is work in progress); publishing checks it. Every save names
//! the revision it was made from, and a save from an older revision than the stored one is
//! refused as a [`Saved::Conflict`] carrying the stored draft, so that two authors never
//! overwrite each other's work unseen: the one refused still has their text and sees the
//! other's. Each save is recorded in the audit log in the same transaction.

use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use waymark_core::Millis;

use super::accounts::{Accounts, AccountsError};
use super::audit::{self, Action, Actor};

/// A stored draft.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Draft {
    /// How many times it has been saved (0: never; the active config stands in for it).
    pub revision: i64,
    /// The config's JSON text, as saved.
    #[serde(skip)]
    pub body: String,
    /// When it was last saved (Unix ms; 0 when never).
    pub saved_at: i64,
    /// Who saved it last (empty when never).
    pub saved_by: String,
}

/// What a save did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Saved {
    /// Stored as this revision.
    Stored(Draft),
    /// Someone saved since the author's revision; nothing was stored. The stored draft.
    Conflict(Draft),
}

impl Accounts {
    /// `project`'s draft, if one was ever saved.
    pub fn draft(&self, project: &str) -> Result<Option<Draft>, AccountsError> {
        Ok(self
            .lock()
            .query_row(
                "SELECT revision, body, saved_at, saved_by FROM console_drafts WHERE project = ?1",
                [project],
                |r| {
                    Ok(Draft {
                        revision: r.get(0)?,
                        body: r.get(1)?,
                        saved_at: r.get(2)?,
                        saved_by: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    /// Saves `body` as `project`'s draft, made from revision `from` (0 for the first save).
    pub fn save_draft(
        &self,
        project: &str,
        from: i64,
        body: &str,
        author: &str,
        now: Millis,
    ) -> Result<Saved, AccountsError> {
        let mut connection = self.lock();
        let tx = connection.transaction()?;
        let stored: Option<Draft> = tx
            .query_row(
                "SELECT revision, body, saved_at, saved_by FROM console_drafts WHERE project = ?1",
                [project],
                |r| {
                    Ok(Draft {
                        revision: r.get(0)?,
                        body: r.get(1)?,
                        saved_at: r.get(2)?,
                        saved_by: r.get(3)?,
                    })
                },
            )
            .optional()?;
        let current = stored.as_ref().map_or(0, |d| d.revision);
        if from != current {
            return Ok(Saved::Conflict(stored.unwrap_or(Draft {
                revision: 0,
                body: String::new(),
                saved_at: 0,
                saved_by: String::new(),
            })));
        }
        let draft = Draft {
            revision: current + 1,
            body: body.to_owned(),
            saved_at: now.0 as i64,
            saved_by: author.to_owned(),
        };
        tx.execute(
            "INSERT INTO console_drafts (project, revision, body, saved_at, saved_by) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (project) DO UPDATE SET revision = excluded.revision, body = excluded.body,
                 saved_at = excluded.saved_at, saved_by = excluded.saved_by",
            params![project, draft.revision, body, draft.saved_at, author],
        )?;
        audit::record(
            &tx,
            project,
            &Actor::User(author.to_owned()),
            Action::DraftSaved,
            Some(draft.revision),
            &audit::Detail::default(),
            now,
        )?;
        tx.commit()?;
        Ok(Saved::Stored(draft))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_save_from_an_older_revision_is_refused_with_the_stored_draft() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.db");
        crate::registry::Registry::open(&path)
            .unwrap()
            .create_project("shop", None)
            .unwrap();
        let accounts = Accounts::open(&path).unwrap();
        assert_eq!(accounts.draft("shop").unwrap(), None);
        let Saved::Stored(first) = accounts
            .save_draft("shop", 0, "{}", "ana", Millis(5))
            .unwrap()
        else {
            panic!("the first save is stored");
        };
        assert_eq!((first.revision, first.saved_by.as_str()), (1, "ana"));
        let Saved::Stored(_) = accounts
            .save_draft("shop", 1, r#"{"a":1}"#, "ana", Millis(6))
            .unwrap()
        else {
            panic!("a save from the stored revision is stored");
        };
        let Saved::Conflict(stored) = accounts
            .save_draft("shop", 1, r#"{"b":2}"#, "bo", Millis(7))
            .unwrap()
        else {
            panic!("bo saved from revision 1, which ana has moved on from");
        };
        assert_eq!((stored.revision, stored.body.as_str()), (2, r#"{"a":1}"#));
        assert_eq!(accounts.draft("shop").unwrap().unwrap().body, r#"{"a":1}"#);
    }
}
