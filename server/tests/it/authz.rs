//! The route × caller authorization table (SPEC §8.1, §8.2). Every route added later gets its row here:
//! no route may answer a caller the spec forbids.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};
use server::domain::Role;

use crate::support::{Caller, TestApp};

#[derive(Clone, Copy, Debug)]
enum Who {
    Anonymous,
    Member,
    Developer,
    Admin,
    Owner,
    RelayKey,
    GatewayKey,
}

const WHO: [Who; 7] = [Who::Anonymous, Who::Member, Who::Developer, Who::Admin, Who::Owner, Who::RelayKey, Who::GatewayKey];

/// One row: a request (built per caller, so writes never collide) and the status each caller gets.
struct Row {
    name: &'static str,
    method: Method,
    path: fn(&Fixture) -> String,
    body: fn() -> Option<Value>,
    expect: [u16; 7],
}

struct Fixture {
    relay_key_id: i64,
    /// Edited and rotated by the table; the callers' own keys stay untouched.
    gateway_key_id: i64,
    member_user_id: i64,
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", server::http_util::new_request_id())
}

fn rows() -> Vec<Row> {
    //                                    anon  mem  dev  adm  own  relay gw
    vec![
        Row { name: "healthz", method: Method::GET, path: |_| "/healthz".into(), body: || None, expect: [200, 200, 200, 200, 200, 200, 200] },
        Row { name: "me", method: Method::GET, path: |_| "/api/auth/me".into(), body: || None, expect: [401, 200, 200, 200, 200, 401, 401] },
        Row { name: "list keys", method: Method::GET, path: |_| "/api/keys".into(), body: || None, expect: [401, 200, 200, 200, 200, 401, 401] },
        Row { name: "get key", method: Method::GET, path: |f| format!("/api/keys/{}", f.relay_key_id), body: || None, expect: [401, 200, 200, 200, 200, 401, 401] },
        Row {
            name: "create relay key",
            method: Method::POST,
            path: |_| "/api/keys".into(),
            body: || Some(json!({"name": unique("relay"), "kind": "relay"})),
            expect: [401, 403, 201, 201, 201, 401, 401],
        },
        Row {
            name: "create gateway key",
            method: Method::POST,
            path: |_| "/api/keys".into(),
            body: || Some(json!({"name": unique("gw"), "kind": "gateway"})),
            expect: [401, 403, 403, 201, 201, 401, 401],
        },
        Row {
            name: "edit relay key",
            method: Method::PATCH,
            path: |f| format!("/api/keys/{}", f.relay_key_id),
            body: || Some(json!({"environment": "staging"})),
            expect: [401, 403, 200, 200, 200, 401, 401],
        },
        Row {
            name: "edit gateway key",
            method: Method::PATCH,
            path: |f| format!("/api/keys/{}", f.gateway_key_id),
            body: || Some(json!({"environment": "staging"})),
            expect: [401, 403, 403, 200, 200, 401, 401],
        },
        Row { name: "rotate gateway key", method: Method::POST, path: |f| format!("/api/keys/{}/rotate", f.gateway_key_id), body: || None, expect: [401, 403, 403, 200, 200, 401, 401] },
        Row { name: "list members", method: Method::GET, path: |_| "/api/members".into(), body: || None, expect: [401, 200, 200, 200, 200, 401, 401] },
        Row {
            name: "add developer",
            method: Method::POST,
            path: |_| "/api/members".into(),
            body: || Some(json!({"email": format!("{}@example.com", unique("dev")), "role": "developer"})),
            expect: [401, 403, 403, 201, 201, 401, 401],
        },
        Row {
            name: "add admin",
            method: Method::POST,
            path: |_| "/api/members".into(),
            body: || Some(json!({"email": format!("{}@example.com", unique("adm")), "role": "admin"})),
            expect: [401, 403, 403, 403, 201, 401, 401],
        },
        Row {
            name: "change a member's role to member",
            method: Method::PATCH,
            path: |f| format!("/api/members/{}", f.member_user_id),
            body: || Some(json!({"role": "member"})),
            expect: [401, 403, 403, 200, 200, 401, 401],
        },
        Row { name: "models", method: Method::GET, path: |_| "/v1/models".into(), body: || None, expect: [401, 401, 401, 401, 401, 200, 403] },
        Row { name: "model", method: Method::GET, path: |_| "/v1/models/mock/echo".into(), body: || None, expect: [401, 401, 401, 401, 401, 200, 403] },
        Row {
            name: "gateway plane",
            method: Method::POST,
            path: |_| "/api/v1/firewall/evaluate".into(),
            body: || Some(json!({})),
            // No gateway route exists yet: a gateway key reaches the 404, nobody else gets that far.
            expect: [401, 401, 401, 401, 401, 403, 404],
        },
    ]
}

#[tokio::test]
async fn every_route_answers_only_the_callers_the_spec_allows() {
    let app = TestApp::new().await;
    let (_, relay_secret) = app.key("relay").await;
    let (relay_key_id, _) = app.key("relay").await;
    let (_, gateway_secret) = app.key("gateway").await;
    let (gateway_key_id, _) = app.key("gateway").await;
    let member_email = app.user(Role::Member).await;
    let member_user_id = server::store::users::find_by_email(&app.services.db, &member_email)
        .await
        .expect("query")
        .expect("member exists")
        .id;
    let fixture = Fixture { relay_key_id, gateway_key_id, member_user_id };
    let mut callers = Vec::new();
    for who in WHO {
        let caller = match who {
            Who::Anonymous => Caller::Anonymous,
            Who::Member => app.as_role(Role::Member).await,
            Who::Developer => app.as_role(Role::Developer).await,
            Who::Admin => app.as_role(Role::Admin).await,
            Who::Owner => app.as_role(Role::Owner).await,
            Who::RelayKey => Caller::Bearer(relay_secret.clone()),
            Who::GatewayKey => Caller::Bearer(gateway_secret.clone()),
        };
        callers.push((who, caller));
    }
    let mut failures = Vec::new();
    for row in rows() {
        for ((who, caller), expected) in callers.iter().zip(row.expect) {
            let (status, body, _) = app.send(row.method.clone(), &(row.path)(&fixture), caller, (row.body)()).await;
            if status.as_u16() != expected {
                failures.push(format!("{} as {who:?}: expected {expected}, got {status} {body}", row.name));
            }
            if status == StatusCode::FORBIDDEN || status == StatusCode::UNAUTHORIZED {
                assert!(body["error"]["code"].is_string(), "{} as {who:?}: error envelope missing: {body}", row.name);
            }
        }
    }
    assert!(failures.is_empty(), "authorization table mismatches:\n{}", failures.join("\n"));
}

#[tokio::test]
async fn the_last_owner_cannot_be_demoted_or_removed() {
    let app = TestApp::new().await;
    let owner = app.as_role(Role::Owner).await;
    let (_, me, _) = app.send(Method::GET, "/api/auth/me", &owner, None).await;
    let owner_id = me["user"]["id"].as_i64().expect("id");
    let (status, body, _) = app.send(Method::PATCH, &format!("/api/members/{owner_id}"), &owner, Some(json!({"role": "admin"}))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, _, _) = app.send(Method::DELETE, &format!("/api/members/{owner_id}"), &owner, None).await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn an_admin_cannot_remove_an_owner_or_promote_to_admin() {
    let app = TestApp::new().await;
    let admin = app.as_role(Role::Admin).await;
    let developer_email = app.user(Role::Developer).await;
    let developer = server::store::users::find_by_email(&app.services.db, &developer_email).await.expect("q").expect("dev");
    let (status, _, _) = app.send(Method::PATCH, &format!("/api/members/{}", developer.id), &admin, Some(json!({"role": "admin"}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = app.send(Method::DELETE, "/api/members/1", &admin, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = app.send(Method::DELETE, &format!("/api/members/{}", developer.id), &admin, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}
