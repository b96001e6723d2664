//! A project's console users, for its admins: who has a role in the project, adding a user,
//! changing a role and taking the project away, with the accounts code the `user` commands
//! of the command line run (`Accounts::create_user`, `set_role`, `list_users`), each change
//! recorded in the project's audit log.

use axum::body::Body;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};

use super::accounts::{AccountsError, Role, SessionUser};
use super::api::json_body;
use super::audit::{Action, Actor, Detail};
use super::error::ConsoleError;
use super::session::{Admin, Member};
use crate::error::IngestError;
use crate::extract::Path;
use crate::state::AppState;

/// A user with a role in the project.
#[derive(Debug, Serialize)]
pub struct ProjectUser {
    /// The name they sign in with.
    pub name: String,
    /// Their role in the project.
    pub role: Role,
    /// When the user was made (Unix ms).
    pub created_at: i64,
}

/// The body of `POST /console/api/projects/{project}/users`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// The name they will sign in with.
    pub name: String,
    /// Their first password (at least 10 characters).
    pub password: String,
    /// Their role in the project.
    pub role: Role,
}

/// The body of `PUT /console/api/projects/{project}/users/{name}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleChange {
    /// The user's new role in the project.
    pub role: Role,
}

/// Answers with the refusals a user change can meet as the client's, not the server's.
fn refusal(error: ConsoleError) -> ConsoleError {
    match error {
        ConsoleError::Accounts(
            inner @ (AccountsError::UserExists(_)
            | AccountsError::NoUser(_)
            | AccountsError::BadName(_)
            | AccountsError::WeakPassword),
        ) => ConsoleError::User(inner),
        other => other,
    }
}

async fn users_of(state: &AppState, project: String) -> Result<Vec<ProjectUser>, ConsoleError> {
    super::blocking(state, move |accounts| {
        Ok(accounts
            .list_users()?
            .into_iter()
            .filter_map(|user| {
                let role = user.projects.iter().find(|m| m.project == project)?.role;
                Some(ProjectUser {
                    name: user.name,
                    role,
                    created_at: user.created_at,
                })
            })
            .collect())
    })
    .await
}

/// Handles `GET /console/api/projects/{project}/users` (admin).
pub async fn list(
    State(state): State<AppState>,
    member: Member<Admin>,
) -> Result<Json<Vec<ProjectUser>>, ConsoleError> {
    let project = member.project;
    Ok(Json(users_of(&state, project).await?))
}

/// Handles `POST /console/api/projects/{project}/users` (admin): makes a user with a role
/// in the project, as `user create` does.
pub async fn add(
    State(state): State<AppState>,
    member: Member<Admin>,
    body: Body,
) -> Result<Json<Vec<ProjectUser>>, ConsoleError> {
    let Member {
        user: admin,
        project,
        ..
    } = member;
    let bytes = crate::extract::body(body, 4_096).await?;
    let NewUser {
        name,
        password,
        role,
    } = json_body(
        &bytes,
        r#"{"name": "…", "password": "…", "role": "viewer" | "editor" | "publisher" | "admin"}"#,
    )?;
    let now = (state.clock)();
    let wanted = project.clone();
    super::blocking(&state, move |accounts| {
        accounts.create_user(&name, &password, &wanted, role, now)?;
        let detail = Detail {
            user: Some(name),
            role: Some(role),
            ..Detail::default()
        };
        accounts.record(
            &wanted,
            &Actor::User(admin.name),
            Action::UserAdded,
            None,
            &detail,
            now,
        )
    })
    .await
    .map_err(refusal)?;
    Ok(Json(users_of(&state, project).await?))
}

async fn change(
    state: &AppState,
    admin: SessionUser,
    project: String,
    name: String,
    role: Option<Role>,
) -> Result<Json<Vec<ProjectUser>>, ConsoleError> {
    if admin.name == name {
        // An admin who demoted or removed themselves could leave the project without one.
        return Err(ConsoleError::OwnRole);
    }
    let now = (state.clock)();
    let wanted = project.clone();
    super::blocking(state, move |accounts| {
        if accounts.role(&name, &wanted)?.is_none() && role.is_none() {
            return Err(AccountsError::NoUser(name));
        }
        accounts.set_role(&name, &wanted, role)?;
        let action = if role.is_some() {
            Action::RoleChanged
        } else {
            Action::UserRemoved
        };
        let detail = Detail {
            user: Some(name),
            role,
            ..Detail::default()
        };
        accounts.record(
            &wanted,
            &Actor::User(admin.name),
            action,
            None,
            &detail,
            now,
        )
    })
    .await
    .map_err(refusal)?;
    Ok(Json(users_of(state, project).await?))
}

/// Handles `PUT /console/api/projects/{project}/users/{name}` (admin): gives the user
/// `role` in the project, as `user role` does (a user of another project is added).
pub async fn set_role(
    State(state): State<AppState>,
    member: Member<Admin>,
    path: Result<Path<(String, String)>, IngestError>,
    body: Body,
) -> Result<Json<Vec<ProjectUser>>, ConsoleError> {
    let Member {
        user: admin,
        project,
        ..
    } = member;
    let Path((_, name)) = path?;
    let bytes = crate::extract::body(body, 4_096).await?;
    let RoleChange { role } = json_body(
        &bytes,
        r#"{"role": "viewer" | "editor" | "publisher" | "admin"}"#,
    )?;
    change(&state, admin, project, name, Some(role)).await
}

/// Handles `DELETE /console/api/projects/{project}/users/{name}` (admin): takes the project
/// away from the user, as `user role NAME --role none` does; their other projects stay.
pub async fn remove(
    State(state): State<AppState>,
    member: Member<Admin>,
    path: Result<Path<(String, String)>, IngestError>,
) -> Result<Json<Vec<ProjectUser>>, ConsoleError> {
    let Member {
        user: admin,
        project,
        ..
    } = member;
    let Path((_, name)) = path?;
    change(&state, admin, project, name, None).await
}
