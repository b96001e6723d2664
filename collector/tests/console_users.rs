//! A project's users, managed by its admins in the console with the command line's accounts
//! code: listing, adding, changing a role and removing, each audited, refused with the
//! reason, and refused to anyone below admin.

mod common;

use axum::http::StatusCode;
use common::console::*;
use serde_json::{json, Value};
use waymark_collector::console::Role;

async fn send(
    h: &common::Harness,
    method: &str,
    uri: &str,
    cookie: &str,
    body: &Value,
) -> (StatusCode, Value) {
    let text = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let (status, _, body) = call(h, request(method, uri, Some(cookie), &text)).await;
    (status, body)
}

fn names_and_roles(list: &Value) -> Vec<(String, String)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["name"].as_str().unwrap().to_owned(),
                u["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

const USERS: &str = "/console/api/projects/demo/users";

#[tokio::test]
async fn an_admin_adds_a_user_changes_their_role_and_removes_them_each_in_the_audit_log() {
    let (h, cookie) = signed_in("ada", Role::Admin).await;
    let (status, added) = send(
        &h,
        "POST",
        USERS,
        &cookie,
        &json!({ "name": "eve", "password": PASSWORD, "role": "editor" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{added}");
    assert_eq!(
        names_and_roles(&added),
        [
            ("ada".into(), "admin".into()),
            ("eve".into(), "editor".into())
        ]
    );
    assert!(
        h.accounts.verify("eve", PASSWORD).unwrap(),
        "the accounts code the CLI runs made her"
    );
    let eve = cookie_for(&h, "eve").await;
    let (status, _) = send(&h, "GET", USERS, &eve, &Value::Null).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "an editor may not list users"
    );

    let (status, changed) = send(
        &h,
        "PUT",
        &format!("{USERS}/eve"),
        &cookie,
        &json!({ "role": "publisher" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(
        h.accounts.role("eve", "demo").unwrap(),
        Some(Role::Publisher)
    );
    let (status, removed) =
        send(&h, "DELETE", &format!("{USERS}/eve"), &cookie, &Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{removed}");
    assert_eq!(names_and_roles(&removed), [("ada".into(), "admin".into())]);
    assert_eq!(
        h.accounts.role("eve", "demo").unwrap(),
        None,
        "the project is taken away"
    );

    let log = audit_entries(&h, &cookie).await;
    let seen: Vec<(&str, &str, Option<&str>, &str)> = log
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["user"].as_str().unwrap(),
                e["role"].as_str(),
                e["actor"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("user_removed", "eve", None, "ada"),
            ("role_changed", "eve", Some("publisher"), "ada"),
            ("user_added", "eve", Some("editor"), "ada")
        ]
    );
}

#[tokio::test]
async fn a_bad_user_change_is_refused_with_the_reason() {
    let (h, cookie) = signed_in("ada", Role::Admin).await;
    user(&h, "bo", Role::Viewer);
    let cases = [
        (
            "POST",
            USERS.to_owned(),
            json!({ "name": "bo", "password": "ten chars ok", "role": "viewer" }),
            StatusCode::CONFLICT,
            "user_exists",
        ),
        (
            "POST",
            USERS.to_owned(),
            json!({ "name": "a b", "password": "ten chars ok", "role": "viewer" }),
            StatusCode::BAD_REQUEST,
            "invalid_user_name",
        ),
        (
            "POST",
            USERS.to_owned(),
            json!({ "name": "cy", "password": "short", "role": "viewer" }),
            StatusCode::BAD_REQUEST,
            "weak_password",
        ),
        (
            "POST",
            USERS.to_owned(),
            json!({ "name": "cy", "password": "ten chars ok", "role": "owner" }),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "PUT",
            format!("{USERS}/nobody"),
            json!({ "role": "viewer" }),
            StatusCode::NOT_FOUND,
            "no_such_user",
        ),
        (
            "DELETE",
            format!("{USERS}/nobody"),
            Value::Null,
            StatusCode::NOT_FOUND,
            "no_such_user",
        ),
        (
            "PUT",
            format!("{USERS}/ada"),
            json!({ "role": "viewer" }),
            StatusCode::CONFLICT,
            "own_role",
        ),
        (
            "DELETE",
            format!("{USERS}/ada"),
            Value::Null,
            StatusCode::CONFLICT,
            "own_role",
        ),
    ];
    for (method, uri, body, status, error) in cases {
        let (got, answer) = send(&h, method, &uri, &cookie, &body).await;
        assert_eq!(
            (got, answer["error"].as_str().unwrap_or("")),
            (status, error),
            "{method} {uri} {body}: {answer}"
        );
    }
    assert_eq!(
        h.accounts.role("bo", "demo").unwrap(),
        Some(Role::Viewer),
        "nothing changed"
    );
    assert_eq!(
        audit_entries(&h, &cookie).await,
        Vec::<Value>::new(),
        "a refusal is not audited"
    );
}
