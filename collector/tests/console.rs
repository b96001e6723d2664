//! The console's accounts and safety: signing in, sessions that end, the same-origin check on
//! every state-changing request, roles that decide what each user may do, and the audit log.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::console::*;
use common::*;
use serde_json::{json, Value};
use waymark_collector::console::Role;
use waymark_collector::registry::KeyKind;

#[tokio::test]
async fn signing_in_sets_a_session_cookie_that_scripts_and_other_sites_cannot_use() {
    let h = harness();
    user(&h, "ana", Role::Editor);
    let (status, headers, body) = sign_in_as(&h, "ana", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name"], "ana");
    assert_eq!(
        body["projects"],
        json!([{ "project": "demo", "role": "editor" }])
    );
    let cookie = headers[header::SET_COOKIE].to_str().unwrap();
    for part in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/console",
        "Max-Age=43200",
    ] {
        assert!(cookie.contains(part), "{cookie} lacks {part}");
    }
    assert!(!cookie.contains("Secure"), "not Secure over plain HTTP");
    assert!(
        !body
            .to_string()
            .contains(cookie.split(';').next().unwrap().split('=').nth(1).unwrap()),
        "the token is only in the cookie, never in the body a script could read"
    );
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    assert!(headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());

    let cookie = cookie.split(';').next().unwrap();
    let (status, _, me) = call(&h, request("GET", "/console/api/session", Some(cookie), "")).await;
    assert_eq!((status, me["name"].clone()), (StatusCode::OK, json!("ana")));
}

#[tokio::test]
async fn over_https_the_session_cookie_is_secure() {
    let h = harness();
    user(&h, "ana", Role::Viewer);
    let body = json!({ "name": "ana", "password": PASSWORD }).to_string();
    let sign_in = Request::post("/console/api/session")
        .header(header::HOST, HOST)
        .header(header::ORIGIN, "https://console.example")
        .body(Body::from(body))
        .unwrap();
    let (status, headers, _) = call(&h, sign_in).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .ends_with("; Secure"));
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_name_get_the_same_refusal() {
    let h = harness();
    user(&h, "ana", Role::Editor);
    let (status, headers, wrong_password) = sign_in_as(&h, "ana", "not the passphrase").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(headers.get(header::SET_COOKIE).is_none());
    let (status, _, unknown_name) = sign_in_as(&h, "bo", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_password, unknown_name);
    assert_eq!(wrong_password["error"], "wrong_credentials");
}

#[tokio::test]
async fn sign_in_attempts_are_rate_limited_per_user_name() {
    let h = harness();
    user(&h, "ana", Role::Editor);
    user(&h, "bo", Role::Editor);
    for _ in 0..5 {
        let (status, _, _) = sign_in_as(&h, "ana", "a guessed password").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, headers, body) = sign_in_as(&h, "ana", PASSWORD).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    assert_eq!(body["error"], "rate_limited");
    let wait: u64 = headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let (status, _, _) = sign_in_as(&h, "bo", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "another name is not held up");
}

#[tokio::test]
async fn an_expired_session_is_refused_and_forgotten() {
    let h = harness();
    user(&h, "ana", Role::Viewer);
    let thirteen_hours = 13 * 3_600_000;
    let token = h
        .accounts
        .open_session(
            "ana",
            waymark_core::Millis(RECEIVED_AT.0 - thirteen_hours),
            12 * 3_600_000,
        )
        .unwrap();
    let cookie = format!("waymark_console={token}");
    let (status, _, body) = call(
        &h,
        request("GET", "/console/api/session", Some(&cookie), ""),
    )
    .await;
    assert_eq!(
        (status, body["error"].clone()),
        (StatusCode::UNAUTHORIZED, json!("session_expired"))
    );
    let (_, _, again) = call(
        &h,
        request("GET", "/console/api/session", Some(&cookie), ""),
    )
    .await;
    assert_eq!(
        again["error"], "not_signed_in",
        "the ended session is deleted"
    );
}

#[tokio::test]
async fn signing_out_ends_the_session_on_the_server_too() {
    let (h, cookie) = signed_in("ana", Role::Viewer).await;
    let (status, headers, _) = call(
        &h,
        request("DELETE", "/console/api/session", Some(&cookie), ""),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    let (status, _, body) = call(
        &h,
        request("GET", "/console/api/session", Some(&cookie), ""),
    )
    .await;
    assert_eq!(
        (status, body["error"].clone()),
        (StatusCode::UNAUTHORIZED, json!("not_signed_in"))
    );
}

#[tokio::test]
async fn a_removed_user_is_signed_out_at_once() {
    let (h, cookie) = signed_in("ana", Role::Publisher).await;
    h.accounts.remove_user("ana").unwrap();
    let (status, _, _) = call(
        &h,
        request(
            "GET",
            "/console/api/projects/demo/versions",
            Some(&cookie),
            "",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_cross_origin_post_is_refused_before_it_is_read() {
    let (h, cookie) = signed_in("ana", Role::Publisher).await;
    let attempts = [
        ("evil origin", Some("https://evil.example"), None),
        ("no origin", None, None),
        ("null origin", Some("null"), None),
        ("cross-site fetch", Some(ORIGIN), Some("cross-site")),
    ];
    for (what, origin, site) in attempts {
        let mut publish = Request::post("/console/api/projects/demo/versions")
            .header(header::HOST, HOST)
            .header(header::COOKIE, &cookie);
        if let Some(origin) = origin {
            publish = publish.header(header::ORIGIN, origin);
        }
        if let Some(site) = site {
            publish = publish.header("sec-fetch-site", site);
        }
        let (status, _, body) = call(&h, publish.body(Body::from(CONFIG)).unwrap()).await;
        assert_eq!(
            (status, body["error"].clone()),
            (StatusCode::FORBIDDEN, json!("cross_origin")),
            "{what}"
        );
    }
    let sign_in = Request::post("/console/api/session")
        .header(header::HOST, HOST)
        .header(header::ORIGIN, "https://evil.example")
        .body(Body::from(
            json!({ "name": "ana", "password": PASSWORD }).to_string(),
        ))
        .unwrap();
    let (status, headers, _) = call(&h, sign_in).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "no sign-in from another site either"
    );
    assert!(headers.get(header::SET_COOKIE).is_none());
    assert!(
        h.registry.config_versions("demo").unwrap().is_empty(),
        "nothing was published"
    );
}

#[tokio::test]
async fn a_viewer_and_an_editor_cannot_publish_or_roll_back() {
    let h = harness();
    user(&h, "vic", Role::Viewer);
    user(&h, "eda", Role::Editor);
    for name in ["vic", "eda"] {
        let cookie = cookie_for(&h, name).await;
        let (status, _, body) = call(
            &h,
            request(
                "POST",
                "/console/api/projects/demo/versions",
                Some(&cookie),
                CONFIG,
            ),
        )
        .await;
        assert_eq!(
            (status, body["error"].clone()),
            (StatusCode::FORBIDDEN, json!("role_too_low")),
            "{name}"
        );
        assert!(
            body["message"].as_str().unwrap().contains("publisher"),
            "{body}"
        );
        let (status, _, _) = call(
            &h,
            request(
                "POST",
                "/console/api/projects/demo/rollback",
                Some(&cookie),
                r#"{"version": 1}"#,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{name}");
        let (status, _, versions) = call(
            &h,
            request(
                "GET",
                "/console/api/projects/demo/versions",
                Some(&cookie),
                "",
            ),
        )
        .await;
        assert_eq!(
            (status, versions),
            (StatusCode::OK, json!([])),
            "{name} may read"
        );
    }
    assert!(h.registry.config_versions("demo").unwrap().is_empty());
}

#[tokio::test]
async fn a_user_can_reach_only_the_projects_they_have_a_role_in() {
    let h = harness();
    h.registry.create_project("other", None).unwrap();
    user(&h, "ana", Role::Admin);
    let cookie = cookie_for(&h, "ana").await;
    for uri in [
        "/console/api/projects/other/versions",
        "/console/api/projects/nope/audit",
    ] {
        let (status, _, body) = call(&h, request("GET", uri, Some(&cookie), "")).await;
        assert_eq!(
            (status, body["error"].clone()),
            (StatusCode::FORBIDDEN, json!("no_access")),
            "{uri}"
        );
    }
    let (status, _, body) = call(
        &h,
        request("GET", "/console/api/projects/demo/versions", None, ""),
    )
    .await;
    assert_eq!(
        (status, body["error"].clone()),
        (StatusCode::UNAUTHORIZED, json!("not_signed_in"))
    );
}

#[tokio::test]
async fn the_audit_log_says_who_published_and_rolled_back_what_and_when() {
    let (h, cookie) = signed_in("pia", Role::Publisher).await;
    let (status, _, published) = call(
        &h,
        request(
            "POST",
            "/console/api/projects/demo/versions",
            Some(&cookie),
            CONFIG,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{published}");
    assert_eq!(
        (published["version"].clone(), published["key_id"].clone()),
        (json!(1), json!("console:pia"))
    );

    let admin = h.registry.rotate("demo", KeyKind::Admin).unwrap();
    let by_key = Request::put("/v1/admin/config")
        .header(header::AUTHORIZATION, format!("Bearer {admin}"))
        .body(Body::from(r#"{"experiences": []}"#))
        .unwrap();
    let (status, _, _) = call(&h, by_key).await;
    assert_eq!(status, StatusCode::OK);

    let (status, _, rolled) = call(
        &h,
        request(
            "POST",
            "/console/api/projects/demo/rollback",
            Some(&cookie),
            r#"{"version": 1}"#,
        ),
    )
    .await;
    assert_eq!(
        (status, rolled["version"].clone()),
        (StatusCode::OK, json!(3))
    );

    let (status, _, page) = call(
        &h,
        request("GET", "/console/api/projects/demo/audit", Some(&cookie), ""),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let key_id = h.registry.lookup(&admin).unwrap().key_id;
    let entries: Vec<Value> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| json!([e["actor"], e["action"], e["version"], e["from_version"]]))
        .collect();
    assert_eq!(
        entries,
        [
            json!(["pia", "rolled_back", 3, 1]),
            json!([format!("key:{key_id}"), "published", 2, null]),
            json!(["pia", "published", 1, null]),
        ],
        "newest first; {page}"
    );
    assert!(page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["at"].as_i64().is_some_and(|at| at > 0)));

    let (status, _, body) = call(
        &h,
        request(
            "POST",
            "/console/api/projects/demo/rollback",
            Some(&cookie),
            r#"{"version": 9}"#,
        ),
    )
    .await;
    assert_eq!(
        (status, body["error"].clone()),
        (StatusCode::NOT_FOUND, json!("no_such_version"))
    );
    let (status, _, body) = call(
        &h,
        request(
            "POST",
            "/console/api/projects/demo/versions",
            Some(&cookie),
            &CONFIG.replace("labels", "words"),
        ),
    )
    .await;
    assert_eq!(
        (status, body["error"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("invalid_config"))
    );
    assert!(!body["diagnostics"].as_array().unwrap().is_empty());
}

/// Every project route of the console API, with the least role that may use it: `{id}`,
/// `{name}` and `{version}` are filled in so that the request reaches the role check.
const ROUTES: &[(&str, &str, Role)] = &[
    ("GET", "/audit", Role::Viewer),
    ("GET", "/versions", Role::Viewer),
    ("POST", "/versions", Role::Publisher),
    ("GET", "/versions/{version}", Role::Viewer),
    ("POST", "/rollback", Role::Publisher),
    ("GET", "/draft", Role::Viewer),
    ("PUT", "/draft", Role::Editor),
    ("POST", "/draft/publish", Role::Publisher),
    ("POST", "/experiences/{id}/state", Role::Publisher),
    ("GET", "/users", Role::Admin),
    ("POST", "/users", Role::Admin),
    ("PUT", "/users/{name}", Role::Admin),
    ("DELETE", "/users/{name}", Role::Admin),
    ("POST", "/check", Role::Viewer),
    ("GET", "/diff", Role::Viewer),
    ("GET", "/reports/events", Role::Viewer),
    ("GET", "/reports/surveys/{id}", Role::Viewer),
    ("GET", "/reports/surveys/{id}/reach", Role::Viewer),
    ("GET", "/reports/experiments/{id}", Role::Viewer),
    ("GET", "/reports/funnels", Role::Viewer),
    ("GET", "/reports/retention", Role::Viewer),
    ("GET", "/reports/paths", Role::Viewer),
    ("GET", "/reports/tours/{id}", Role::Viewer),
    ("GET", "/reports/holdouts/{id}", Role::Viewer),
    ("GET", "/settings", Role::Admin),
    ("PUT", "/origins", Role::Admin),
    ("POST", "/keys/rotate", Role::Admin),
];

#[test]
fn the_role_table_lists_every_project_route_of_the_api() {
    let spec: Value =
        serde_json::from_str(include_str!("../openapi.json")).expect("openapi.json is JSON");
    let prefix = "/console/api/projects/{project}";
    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        let Some(rest) = path.strip_prefix(prefix) else {
            continue;
        };
        for method in ["get", "post", "put", "delete", "patch"] {
            if item.get(method).is_some() {
                documented.push((method.to_uppercase(), rest.to_owned()));
            }
        }
    }
    let mut listed: Vec<(String, String)> = ROUTES
        .iter()
        .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    documented.sort();
    listed.sort();
    assert_eq!(listed, documented, "a project route without its role here");
}

fn filled(path: &str) -> String {
    let path = path
        .replace("{version}", "1")
        .replace("{id}", "nps")
        .replace("{name}", "nobody");
    format!("/console/api/projects/demo{path}")
}

#[tokio::test]
async fn every_project_route_refuses_whoever_its_role_does_not_allow() {
    let h = harness();
    h.registry.create_project("other", None).unwrap();
    let roles = [Role::Viewer, Role::Editor, Role::Publisher, Role::Admin];
    let mut cookies = Vec::new();
    for role in roles {
        let name = format!("{}-user", role.as_str());
        user(&h, &name, role);
        cookies.push((role, cookie_for(&h, &name).await));
    }
    h.accounts
        .create_user("outsider", PASSWORD, "other", Role::Admin, RECEIVED_AT)
        .unwrap();
    let outsider = cookie_for(&h, "outsider").await;
    for (method, path, needed) in ROUTES {
        let uri = filled(path);
        let what = format!("{method} {uri}");
        // Not signed in: refused before the path or the body is read (a bad version too).
        for uri in [uri.clone(), uri.replace("/versions/1", "/versions/x")] {
            let (status, _, body) = call(&h, request(method, &uri, None, "{")).await;
            assert_eq!(
                (status, body["error"].clone()),
                (StatusCode::UNAUTHORIZED, json!("not_signed_in")),
                "{what}"
            );
        }
        // An admin of another project has no access to this one.
        let (status, _, body) = call(&h, request(method, &uri, Some(&outsider), "{")).await;
        assert_eq!(
            (status, body["error"].clone()),
            (StatusCode::FORBIDDEN, json!("no_access")),
            "{what}"
        );
        for (role, cookie) in &cookies {
            let (status, _, body) = call(&h, request(method, &uri, Some(cookie), "{")).await;
            if role < needed {
                assert_eq!(
                    (status, body["error"].clone()),
                    (StatusCode::FORBIDDEN, json!("role_too_low")),
                    "{what} as {role:?}"
                );
                assert!(
                    body["message"].as_str().unwrap().contains(needed.as_str()),
                    "{what}: {body}"
                );
            } else {
                // Allowed: whatever the route makes of the body "{", it is not a refusal
                // of who is asking.
                assert!(
                    status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
                    "{what} as {role:?}: {status} {body}"
                );
            }
        }
    }
    assert!(
        h.registry.config_versions("demo").unwrap().is_empty(),
        "nothing was published"
    );
}
