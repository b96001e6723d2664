//! The checked-in OpenAPI description (`collector/openapi.json`) and the router agree: every
//! documented operation is served, and every route the router serves is documented.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::*;
use serde_json::Value;

fn spec() -> Value {
    serde_json::from_str(include_str!("../openapi.json")).expect("openapi.json is JSON")
}

#[tokio::test]
async fn every_documented_operation_is_served() {
    let h = harness();
    let spec = spec();
    assert_eq!(spec["openapi"], "3.1.0");
    let mut checked = 0;
    for (path, operations) in spec["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            assert!(
                operation["responses"]
                    .as_object()
                    .is_some_and(|r| !r.is_empty()),
                "{method} {path} documents no response"
            );
            let method: Method = method.to_uppercase().parse().unwrap();
            let request = Request::builder()
                .method(method.clone())
                .uri(path.as_str())
                .body(Body::empty())
                .unwrap();
            let (status, _, _) = h.send(request).await;
            assert!(
                status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path} is documented but the router answers {status}"
            );
            let documented: Vec<&String> =
                operation["responses"].as_object().unwrap().keys().collect();
            assert!(
                documented
                    .iter()
                    .any(|code| code.as_str() == status.as_str()),
                "{method} {path} answered {status}, which is not documented ({documented:?})"
            );
            checked += 1;
        }
    }
    assert!(checked >= 9);
}

#[test]
fn every_route_in_the_router_is_documented() {
    let spec = spec();
    let source = include_str!("../src/app.rs");
    // `.route("/path", …)`, on one line or, as rustfmt splits long calls, over several.
    let routed: Vec<&str> = source
        .split(".route(")
        .skip(1)
        .filter_map(|rest| rest.trim_start().strip_prefix('"'))
        .filter_map(|rest| rest.split('"').next())
        .collect();
    assert!(routed.len() >= 9, "found routes {routed:?}");
    for path in routed {
        assert!(
            spec["paths"].get(path).is_some(),
            "the router serves {path}, which openapi.json does not describe"
        );
    }
}
