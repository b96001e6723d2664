//! The marketer console's server side: who may sign in, what each may do in a project, and
//! the audit log; its API is [`api`], under `/console/api/`.
//!
//! # Layout
//! - [`accounts`]: users, their [`Role`] per project, Argon2id password hashes, sessions.
//! - [`session`]: the session cookie, the same-origin check every state-changing request
//!   passes (CSRF), [`session::Member`] (the signed-in caller of a project route, with the
//!   role that route needs, as an extractor), and the sign-in rate limits.
//! - [`audit`]: who changed, published or rolled back what, and when.
//! - [`drafts`]: each project's draft, saved as its authors type, with revisions that keep
//!   two authors from overwriting each other unseen; [`diff`]: the changes between two
//!   configs at JSON pointers.
//! - [`error`]: [`ConsoleError`], which decides how each refusal is answered.
//! - [`api`]: the handlers; [`reports`]: the reports, read with a session instead of a key;
//!   [`states`]: pausing, resuming and ending an experience, each a publication of its own;
//!   [`users`]: a project's users, for its admins, with the command line's accounts code;
//!   [`settings`]: its origins and keys, for its admins.
//!
//! The console never hands the browser a key: it signs in with a name and a password, holds
//! an `HttpOnly` cookie, and the server acts for it with the user's role.

pub mod accounts;
pub mod api;
pub mod audit;
pub mod diff;
pub mod drafts;
pub mod error;
pub mod reports;
pub mod session;
pub mod settings;
pub mod states;
pub mod users;

use std::sync::Arc;
use std::time::Duration;

pub use accounts::{Accounts, AccountsError, Role};
pub use error::ConsoleError;
pub use session::SignInLimits;

use crate::state::AppState;

/// The console's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsoleSettings {
    /// How long a session lasts from sign-in. Default 12 hours: a working day, after which
    /// the user signs in again.
    pub session_lifetime: Duration,
    /// Sign-in attempts allowed per user name each minute (four times as many per client
    /// address); 0 turns the limit off. Default 5.
    pub sign_ins_per_minute: u32,
    /// The built console pages served at `/console/` (`console/dist`, which
    /// `scripts/build-console` writes); none: the API only.
    pub pages: Option<std::path::PathBuf>,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        ConsoleSettings {
            session_lifetime: Duration::from_secs(12 * 60 * 60),
            sign_ins_per_minute: 5,
            pages: None,
        }
    }
}

/// What the console's handlers share: the accounts, the sign-in limits and the settings.
#[derive(Clone, Debug)]
pub struct Console {
    /// Users, roles, sessions and the audit log.
    pub accounts: Accounts,
    /// Sign-in attempts.
    pub sign_ins: Arc<SignInLimits>,
    /// The settings.
    pub settings: ConsoleSettings,
}

impl Console {
    /// The console over `accounts`, with `settings`.
    #[must_use]
    pub fn new(accounts: Accounts, settings: ConsoleSettings) -> Console {
        Console {
            accounts,
            sign_ins: Arc::new(SignInLimits::new(settings.sign_ins_per_minute)),
            settings,
        }
    }
}

/// Runs accounts work off the async runtime.
pub(crate) async fn blocking<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce(&Accounts) -> Result<T, AccountsError> + Send + 'static,
) -> Result<T, ConsoleError> {
    let accounts = state.console.accounts.clone();
    tokio::task::spawn_blocking(move || work(&accounts))
        .await
        .map_err(|error| {
            tracing::error!(%error, "a blocking task failed");
            ConsoleError::Api(crate::IngestError::TaskFailed)
        })?
        .map_err(ConsoleError::Accounts)
}
