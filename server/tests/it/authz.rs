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
    guardrail_id: i64,
    policy_id: i64,
    rule_id: i64,
    audit_id: i64,
}

/// An approval id that exists nowhere.
const NO_APPROVAL: &str = "0123456789abcdef01234567";

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
        Row { name: "list providers", method: Method::GET, path: |_| "/api/providers".into(), body: || None, expect: [401, 200, 200, 200, 200, 401, 401] },
        Row {
            name: "create provider",
            method: Method::POST,
            path: |_| "/api/providers".into(),
            body: || Some(json!({"name": unique("p"), "base_url": "https://llm.example.test/v1"})),
            expect: [401, 403, 403, 201, 201, 401, 401],
        },
        // No such provider: Admins reach the 404, lower roles are refused first.
        Row { name: "edit provider", method: Method::PATCH, path: |_| "/api/providers/999999".into(), body: || Some(json!({"enabled": false})), expect: [401, 403, 403, 404, 404, 401, 401] },
        Row { name: "delete provider", method: Method::DELETE, path: |_| "/api/providers/999999".into(), body: || None, expect: [401, 403, 403, 404, 404, 401, 401] },
        Row { name: "list guardrails", method: Method::GET, path: |_| "/api/guardrails".into(), body: || None, expect: [401, 200, 200, 200, 200, 401, 401] },
        Row { name: "get guardrail", method: Method::GET, path: |f| format!("/api/guardrails/{}", f.guardrail_id), body: || None, expect: [401, 200, 200, 200, 200, 401, 401] },
        Row { name: "guardrail history", method: Method::GET, path: |f| format!("/api/guardrails/{}/history", f.guardrail_id), body: || None, expect: [401, 200, 200, 200, 200, 401, 401] },
        Row { name: "guardrail keys", method: Method::GET, path: |f| format!("/api/guardrails/{}/keys", f.guardrail_id), body: || None, expect: [401, 200, 200, 200, 200, 401, 401] },
        Row { name: "guardrail meta", method: Method::GET, path: |_| "/api/guardrails/meta".into(), body: || None, expect: [401, 200, 200, 200, 200, 401, 401] },
        Row { name: "guardrail presets", method: Method::GET, path: |_| "/api/guardrails/presets".into(), body: || None, expect: [401, 200, 200, 200, 200, 401, 401] },
        Row { name: "create guardrail", method: Method::POST, path: |_| "/api/guardrails".into(), body: || Some(json!({"name": unique("g")})), expect: [401, 403, 201, 201, 201, 401, 401] },
        Row { name: "replace guardrail", method: Method::PUT, path: |f| format!("/api/guardrails/{}", f.guardrail_id), body: || Some(json!({"name": "authz-g"})), expect: [401, 403, 200, 200, 200, 401, 401] },
        Row { name: "revert guardrail", method: Method::POST, path: |f| format!("/api/guardrails/{}/revert", f.guardrail_id), body: || Some(json!({"version": 1})), expect: [401, 403, 200, 200, 200, 401, 401] },
        Row { name: "delete guardrail", method: Method::DELETE, path: |_| "/api/guardrails/999999".into(), body: || None, expect: [401, 403, 404, 404, 404, 401, 401] },
        Row { name: "apply preset", method: Method::POST, path: |_| "/api/guardrails/presets/pii_shield/apply".into(), body: || Some(json!({"name": unique("preset")})), expect: [401, 403, 201, 201, 201, 401, 401] },
        Row {
            name: "guardrail test",
            method: Method::POST,
            path: |_| "/api/guardrails/test".into(),
            body: || Some(json!({"draft": {"name": "d"}, "stage": "input", "text": "hi"})),
            expect: [401, 200, 200, 200, 200, 401, 401],
        },
        Row {
            name: "guardrail test with advanced rules",
            method: Method::POST,
            path: |_| "/api/guardrails/test".into(),
            body: || Some(json!({"draft": {"name": "d"}, "stage": "input", "text": "hi", "include_advanced": true})),
            expect: [401, 403, 200, 200, 200, 401, 401],
        },
        Row { name: "get workspace", method: Method::GET, path: |_| "/api/workspace".into(), body: || None, expect: [401, 200, 200, 200, 200, 401, 401] },
        Row { name: "posture settings", method: Method::PATCH, path: |_| "/api/workspace/settings".into(), body: || Some(json!({"observe_mode": false})), expect: [401, 403, 200, 200, 200, 401, 401] },
        Row { name: "workspace name", method: Method::PATCH, path: |_| "/api/workspace/settings".into(), body: || Some(json!({"name": "authz-ws"})), expect: [401, 403, 403, 200, 200, 401, 401] },
        Row { name: "retention setting", method: Method::PATCH, path: |_| "/api/workspace/settings".into(), body: || Some(json!({"log_retention_days": 30})), expect: [401, 403, 403, 200, 200, 401, 401] },
        Row { name: "list policies", method: Method::GET, path: |_| "/api/workspace/firewall/policies".into(), body: || None, expect: [401, 200, 200, 200, 200, 401, 401] },
        Row { name: "get policy", method: Method::GET, path: |f| format!("/api/workspace/firewall/policies/{}", f.policy_id), body: || None, expect: [401, 200, 200, 200, 200, 401, 401] },
        Row { name: "templates", method: Method::GET, path: |_| "/api/workspace/firewall/templates".into(), body: || None, expect: [401, 200, 200, 200, 200, 401, 401] },
        Row { name: "autonomy state", method: Method::GET, path: |_| "/api/workspace/firewall/autonomy".into(), body: || None, expect: [401, 200, 200, 200, 200, 401, 401] },
        Row { name: "simulate", method: Method::GET, path: |_| "/api/workspace/firewall/simulate?level=tight".into(), body: || None, expect: [401, 200, 200, 200, 200, 401, 401] },
        Row { name: "create policy", method: Method::POST, path: |_| "/api/workspace/firewall/policies".into(), body: || Some(json!({"name": unique("p")})), expect: [401, 403, 201, 201, 201, 401, 401] },
        Row { name: "shadow toggle", method: Method::PATCH, path: |f| format!("/api/workspace/firewall/policies/{}", f.policy_id), body: || Some(json!({"shadow_mode": false})), expect: [401, 403, 200, 200, 200, 401, 401] },
        Row { name: "delete policy", method: Method::DELETE, path: |_| "/api/workspace/firewall/policies/999999".into(), body: || None, expect: [401, 403, 404, 404, 404, 401, 401] },
        Row {
            name: "create rule",
            method: Method::POST,
            path: |f| format!("/api/workspace/firewall/policies/{}/rules", f.policy_id),
            body: || Some(json!({"verdict": "allow", "tool_name_glob": "kb.*"})),
            expect: [401, 403, 201, 201, 201, 401, 401],
        },
        Row {
            name: "edit rule",
            method: Method::PATCH,
            path: |f| format!("/api/workspace/firewall/policies/{}/rules/{}", f.policy_id, f.rule_id),
            body: || Some(json!({"priority": 5})),
            expect: [401, 403, 200, 200, 200, 401, 401],
        },
        Row {
            name: "delete rule",
            method: Method::DELETE,
            path: |f| format!("/api/workspace/firewall/policies/{}/rules/999999", f.policy_id),
            body: || None,
            expect: [401, 403, 404, 404, 404, 401, 401],
        },
        Row {
            name: "replace rules",
            method: Method::PUT,
            path: |f| format!("/api/workspace/firewall/policies/{}/rules", f.policy_id),
            body: || Some(json!({"rules": []})),
            expect: [401, 403, 200, 200, 200, 401, 401],
        },
        Row {
            name: "apply template",
            method: Method::POST,
            path: |_| "/api/workspace/firewall/templates/apply".into(),
            body: || Some(json!({"template": "rag", "name": unique("rag")})),
            expect: [401, 403, 201, 201, 201, 401, 401],
        },
        Row {
            name: "firewall test sandbox",
            method: Method::POST,
            path: |_| "/api/workspace/firewall/test".into(),
            body: || Some(json!({"draft": {"name": "d"}, "surface": "mcp", "tool_name": "kb.search"})),
            expect: [401, 403, 200, 200, 200, 401, 401],
        },
        Row { name: "apply autonomy", method: Method::POST, path: |_| "/api/workspace/firewall/autonomy".into(), body: || Some(json!({"level": "permissive"})), expect: [401, 403, 200, 200, 200, 401, 401] },
        Row { name: "undo autonomy", method: Method::POST, path: |_| "/api/workspace/firewall/autonomy/undo/999999".into(), body: || None, expect: [401, 403, 404, 404, 404, 401, 401] },
        Row { name: "audit feed", method: Method::GET, path: |_| "/api/audit?verb=guardrail_create".into(), body: || None, expect: [401, 200, 200, 200, 200, 401, 401] },
        Row { name: "audit row", method: Method::GET, path: |f| format!("/api/audit/{}", f.audit_id), body: || None, expect: [401, 200, 200, 200, 200, 401, 401] },
        Row { name: "models", method: Method::GET, path: |_| "/v1/models".into(), body: || None, expect: [401, 401, 401, 401, 401, 200, 403] },
        Row { name: "model", method: Method::GET, path: |_| "/v1/models/mock/echo".into(), body: || None, expect: [401, 401, 401, 401, 401, 200, 403] },
        Row {
            name: "chat completions",
            method: Method::POST,
            path: |_| "/v1/chat/completions".into(),
            body: || Some(json!({"model": "mock/echo", "messages": [{"role": "user", "content": "hi"}]})),
            expect: [401, 401, 401, 401, 401, 200, 403],
        },
        Row {
            name: "embeddings",
            method: Method::POST,
            path: |_| "/v1/embeddings".into(),
            body: || Some(json!({"model": "mock/embed", "input": "hi"})),
            expect: [401, 401, 401, 401, 401, 200, 403],
        },
        Row { name: "firewall events", method: Method::GET, path: |_| "/api/workspace/firewall/events".into(), body: || None, expect: [401, 403, 200, 200, 200, 401, 401] },
        Row { name: "runs", method: Method::GET, path: |_| "/api/workspace/firewall/runs".into(), body: || None, expect: [401, 403, 200, 200, 200, 401, 401] },
        // No such run: Developer+ reach the 404, Members are refused first.
        Row { name: "run trace", method: Method::GET, path: |_| "/api/workspace/firewall/runs/run-x".into(), body: || None, expect: [401, 403, 404, 404, 404, 401, 401] },
        Row { name: "guardrail matches", method: Method::GET, path: |_| "/api/guardrails/matches".into(), body: || None, expect: [401, 200, 200, 200, 200, 401, 401] },
        Row { name: "guardrail matches csv", method: Method::GET, path: |_| "/api/guardrails/matches.csv".into(), body: || None, expect: [401, 200, 200, 200, 200, 401, 401] },
        // No such match or suppression: callers allowed to ask reach the 404, others are refused first.
        Row { name: "guardrail match", method: Method::GET, path: |_| "/api/guardrails/matches/999999".into(), body: || None, expect: [401, 404, 404, 404, 404, 401, 401] },
        Row {
            name: "mark false positive",
            method: Method::POST,
            path: |_| "/api/guardrails/matches/999999/mark-fp".into(),
            body: || Some(json!({"note": "n"})),
            expect: [401, 403, 403, 404, 404, 401, 401],
        },
        Row { name: "suppressions", method: Method::GET, path: |_| "/api/guardrails/suppressions".into(), body: || None, expect: [401, 200, 200, 200, 200, 401, 401] },
        Row { name: "delete suppression", method: Method::DELETE, path: |_| "/api/guardrails/suppressions/999999".into(), body: || None, expect: [401, 403, 403, 404, 404, 401, 401] },
        Row { name: "discovered tools", method: Method::GET, path: |_| "/api/workspace/firewall/discovered".into(), body: || None, expect: [401, 200, 200, 200, 200, 401, 401] },
        Row { name: "approvals queue", method: Method::GET, path: |_| "/api/workspace/firewall/approvals".into(), body: || None, expect: [401, 403, 200, 200, 200, 401, 401] },
        // No such approval: Developer+ reach the 404, Members are refused first.
        Row { name: "approval", method: Method::GET, path: |_| format!("/api/workspace/firewall/approvals/{NO_APPROVAL}"), body: || None, expect: [401, 403, 404, 404, 404, 401, 401] },
        Row {
            name: "approve approval",
            method: Method::POST,
            path: |_| format!("/api/workspace/firewall/approvals/{NO_APPROVAL}/approve"),
            body: || Some(json!({"note": "n"})),
            expect: [401, 403, 404, 404, 404, 401, 401],
        },
        Row {
            name: "reject approval",
            method: Method::POST,
            path: |_| format!("/api/workspace/firewall/approvals/{NO_APPROVAL}/reject"),
            body: || Some(json!({})),
            expect: [401, 403, 404, 404, 404, 401, 401],
        },
        // The poll takes keys only (sessions are ignored on /api/v1); both key kinds reach the lookup.
        Row { name: "poll approval", method: Method::GET, path: |_| format!("/api/v1/firewall/approvals/{NO_APPROVAL}"), body: || None, expect: [401, 401, 401, 401, 401, 404, 404] },
        // The signed callback is public: everybody reaches the lookup (the signature is checked on a real approval).
        Row {
            name: "approval decision callback",
            method: Method::POST,
            path: |_| format!("/api/v1/firewall/approvals/{NO_APPROVAL}/decision"),
            body: || Some(json!({"decision": "approve"})),
            expect: [404, 404, 404, 404, 404, 404, 404],
        },
        Row { name: "openapi document", method: Method::GET, path: |_| "/api/openapi.json".into(), body: || None, expect: [401, 200, 200, 200, 200, 401, 401] },
        Row {
            name: "evaluate hook",
            method: Method::POST,
            path: |_| "/api/v1/firewall/evaluate".into(),
            body: || Some(json!({"surface": "mcp", "tool_name": "kb.search"})),
            expect: [401, 401, 401, 401, 401, 403, 200],
        },
        Row {
            name: "mcp gateway",
            method: Method::POST,
            path: |_| "/api/v1/firewall/mcp".into(),
            body: || Some(json!({"jsonrpc": "2.0", "id": 1, "method": "ping"})),
            expect: [401, 401, 401, 401, 401, 403, 200],
        },
        Row { name: "gateway mcp servers", method: Method::GET, path: |_| "/api/v1/firewall/mcp_servers".into(), body: || None, expect: [401, 401, 401, 401, 401, 403, 200] },
        Row { name: "list mcp servers", method: Method::GET, path: |_| "/api/workspace/firewall/mcp-servers".into(), body: || None, expect: [401, 200, 200, 200, 200, 401, 401] },
        Row { name: "get mcp server", method: Method::GET, path: |_| "/api/workspace/firewall/mcp-servers/999999".into(), body: || None, expect: [401, 404, 404, 404, 404, 401, 401] },
        Row {
            name: "register mcp server",
            method: Method::POST,
            path: |_| "/api/workspace/firewall/mcp-servers".into(),
            // A public literal address: saving needs no DNS and passes the SSRF check.
            body: || Some(json!({"name": unique("mcp"), "endpoint": "https://203.0.113.10/mcp"})),
            expect: [401, 403, 201, 201, 201, 401, 401],
        },
        Row {
            name: "edit mcp server",
            method: Method::PATCH,
            path: |_| "/api/workspace/firewall/mcp-servers/999999".into(),
            body: || Some(json!({"enabled": false})),
            expect: [401, 403, 404, 404, 404, 401, 401],
        },
        Row { name: "delete mcp server", method: Method::DELETE, path: |_| "/api/workspace/firewall/mcp-servers/999999".into(), body: || None, expect: [401, 403, 404, 404, 404, 401, 401] },
        Row { name: "probe mcp server", method: Method::POST, path: |_| "/api/workspace/firewall/mcp-servers/999999/probe".into(), body: || None, expect: [401, 403, 404, 404, 404, 401, 401] },
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
    let owner = app.as_role(Role::Owner).await;
    let (_, guardrail, _) = app.send(Method::POST, "/api/guardrails", &owner, Some(json!({"name": "authz-g"}))).await;
    let (_, policy, _) = app
        .send(Method::POST, "/api/workspace/firewall/policies", &owner, Some(json!({"name": "authz-p", "rules": [{"verdict": "deny"}]})))
        .await;
    let guardrail_id = guardrail["id"].as_i64().expect("guardrail id");
    let (policy_id, rule_id) = (policy["id"].as_i64().expect("policy id"), policy["rules"][0]["id"].as_i64().expect("rule id"));
    let audit_id = server::store::audit::recent(&app.services.db, app.workspace_id(), 1).await.expect("audit")[0].id;
    let fixture = Fixture { relay_key_id, gateway_key_id, member_user_id, guardrail_id, policy_id, rule_id, audit_id };
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
