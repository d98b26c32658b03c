//! The evaluate hook (SPEC §5.13): response shapes and verdicts under the key's policy, the workspace
//! default and no policy (observe on and off), field-named 422s, scopes and key kinds, and what it records
//! (event with its id, Discovered Tools, a request row with route `evaluate`).

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{Caller, TestApp};

const EVALUATE: &str = "/api/v1/firewall/evaluate";

async fn owner(app: &TestApp) -> Caller {
    app.login("owner@example.com").await
}

/// Creates a policy and returns its id.
async fn policy(app: &TestApp, body: Value) -> i64 {
    let (status, created, _) = app.send(Method::POST, "/api/workspace/firewall/policies", &owner(app).await, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].as_i64().expect("policy id")
}

/// A gateway key with `extra` fields (scopes, binding); returns its secret.
async fn gateway_key(app: &TestApp, extra: Value) -> Caller {
    let mut body = json!({"name": format!("gw-{}", server::http_util::new_request_id()), "kind": "gateway"});
    for (key, value) in extra.as_object().expect("object") {
        body[key] = value.clone();
    }
    let (status, created, _) = app.send(Method::POST, "/api/keys", &owner(app).await, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    Caller::Bearer(created["secret"].as_str().expect("secret").to_owned())
}

async fn evaluate(app: &TestApp, key: &Caller, body: Value) -> (StatusCode, Value) {
    let (status, body, headers) = app.send(Method::POST, EVALUATE, key, Some(body)).await;
    assert!(headers.contains_key("x-palisade-request-id"), "every gateway answer carries its request id");
    (status, body)
}

fn guard_policy() -> Value {
    json!({"name": "hook", "default_verdict": "audit", "rules": [
        {"priority": 10, "label": "no shell", "tool_name_glob": "shell.*", "verdict": "deny"},
        {"priority": 20, "label": "redact", "stage": "mcp", "tool_name_glob": "notes.*", "verdict": "sanitize", "sanitize": {"presets": ["email"]}},
        {"priority": 30, "label": "kb ok", "tool_name_glob": "kb.*", "verdict": "allow"},
        {"priority": 40, "label": "no metadata", "stage": "egress", "tool_name_glob": "*", "verdict": "deny", "egress": {"deny": ["169.254.0.0/16", "*.internal.example"], "allow": []}}
    ]})
}

#[tokio::test]
async fn verdicts_follow_the_bound_policy_with_the_documented_shape() {
    let app = TestApp::new().await;
    let policy_id = policy(&app, guard_policy()).await;
    let key = gateway_key(&app, json!({"firewall_policy_id": policy_id})).await;

    let (status, body) = evaluate(&app, &key, json!({"surface": "mcp", "tool_name": "shell.exec", "arguments": {"command": "ls"}})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let keys: Vec<&str> = body.as_object().expect("object").keys().map(String::as_str).collect();
    assert_eq!(keys, ["event_id", "gap", "policy_id", "policy_name", "reason", "rule_id", "rule_label", "shadow", "verdict"]);
    assert_eq!((body["verdict"].as_str(), body["reason"].as_str(), body["policy_id"].as_i64()), (Some("deny"), Some("no shell"), Some(policy_id)));
    assert_eq!((body["gap"].as_bool(), body["shadow"].as_bool()), (Some(false), Some(false)));
    assert!(body["event_id"].as_i64().is_some(), "{body}");

    let (_, body) = evaluate(&app, &key, json!({"surface": "mcp", "tool_name": "notes.save", "arguments": {"text": "mail alice@acme.io"}})).await;
    assert_eq!(body["verdict"], "sanitize");
    assert_eq!(body["arguments"], json!({"text": "mail [redacted:email]"}), "sanitize returns the rewritten arguments");

    let (_, body) = evaluate(&app, &key, json!({"surface": "response", "tool_name": "kb.search", "arguments": {"q": "x"}})).await;
    assert_eq!((body["verdict"].as_str(), body.get("arguments")), (Some("allow"), None));

    let (_, body) = evaluate(&app, &key, json!({"surface": "mcp", "tool_name": "other.tool"})).await;
    assert_eq!((body["verdict"].as_str(), body["gap"].as_bool(), body["rule_id"].is_null()), (Some("audit"), Some(true), true));
    assert_eq!(body["reason"], "no rule matched; default verdict audit");
}

#[tokio::test]
async fn egress_destinations_use_reported_ips_or_resolve_the_host() {
    let app = TestApp::new().await;
    let policy_id = policy(&app, guard_policy()).await;
    let key = gateway_key(&app, json!({"firewall_policy_id": policy_id})).await;
    let metadata = json!({"surface": "egress", "tool_name": "web.fetch", "destination": {"host": "metadata.example", "ips": ["169.254.169.254"], "port": 80}});
    let (_, body) = evaluate(&app, &key, metadata).await;
    assert_eq!((body["verdict"].as_str(), body["reason"].as_str()), (Some("deny"), Some("egress to metadata.example denied")));
    let by_name = json!({"surface": "egress", "tool_name": "web.fetch", "destination": {"host": "db.internal.example"}});
    assert_eq!(evaluate(&app, &key, by_name).await.1["verdict"], "deny");
    // `localhost` has no IPs reported: Palisade resolves it, and loopback is outside this rule's scope.
    let resolved = json!({"surface": "egress", "tool_name": "web.fetch", "destination": {"host": "localhost", "port": 8080}});
    let (_, body) = evaluate(&app, &key, resolved).await;
    assert_eq!((body["verdict"].as_str(), body["reason"].as_str(), body["gap"].as_bool()), (Some("allow"), Some("no egress rule matched"), Some(false)));
    app.services.flush_records().await;
    let owner = owner(&app).await;
    let (_, events, _) = app.send(Method::GET, "/api/workspace/firewall/events?surface=egress", &owner, None).await;
    let localhost = events["data"].as_array().expect("events").iter().find(|e| e["destination"]["host"] == "localhost").expect("localhost event").clone();
    let ips = localhost["destination"]["ips"].as_array().expect("resolved ips");
    assert!(!ips.is_empty() && ips.iter().all(|ip| ip == "127.0.0.1" || ip == "::1"), "{localhost}");
}

#[tokio::test]
async fn without_a_policy_observe_mode_decides_between_observe_and_silence() {
    let app = TestApp::new().await;
    let key = gateway_key(&app, json!({})).await;
    let call = json!({"surface": "mcp", "tool_name": "kb.search", "arguments": {"q": "x"}, "run_id": "run-silent"});
    let (status, body) = evaluate(&app, &key, call).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((body["verdict"].as_str(), body["event_id"].is_null(), body["policy_id"].is_null()), (Some("allow"), true, true));

    let owner = owner(&app).await;
    let (status, _, _) = app.send(Method::PATCH, "/api/workspace/settings", &owner, Some(json!({"observe_mode": true}))).await;
    assert_eq!(status, StatusCode::OK);
    let call = json!({"surface": "mcp", "tool_name": "kb.search", "arguments": {"q": "x"}, "run_id": "run-observe"});
    let (_, body) = evaluate(&app, &key, call).await;
    assert_eq!((body["verdict"].as_str(), body["gap"].as_bool()), (Some("observe"), Some(true)));
    assert_eq!(body["reason"], "no firewall policy (observe mode)");
    let event_id = body["event_id"].as_i64().expect("observe writes an event");

    app.services.flush_records().await;
    let (_, events, _) = app.send(Method::GET, "/api/workspace/firewall/events?tool_name=kb.search", &owner, None).await;
    let events = events["data"].as_array().expect("events");
    assert_eq!(events.len(), 1, "the silent allow wrote no event: {events:?}");
    assert_eq!((events[0]["id"].as_i64(), events[0]["run_id"].as_str()), (Some(event_id), Some("run-observe")));
    let (_, tools, _) = app.send(Method::GET, "/api/workspace/firewall/discovered", &owner, None).await;
    let tool = &tools["data"][0];
    assert_eq!((tool["tool_name"].as_str(), tool["coverage"].as_str(), tool["call_count"].as_i64()), (Some("kb.search"), Some("gap"), Some(1)));

    // Both calls wrote a request row with route `evaluate`, with their lineage.
    for run in ["run-silent", "run-observe"] {
        let rows = server::store::requests::list_for_run(&app.services.db, app.workspace_id(), run).await.expect("rows");
        assert_eq!(rows.iter().map(|r| (r.route.as_str(), r.status)).collect::<Vec<_>>(), [("evaluate", 200)], "{run}");
    }
}

#[tokio::test]
async fn the_workspace_default_applies_when_the_key_has_no_binding() {
    let app = TestApp::new().await;
    let policy_id = policy(&app, guard_policy()).await;
    let owner = owner(&app).await;
    let (status, _, _) = app.send(Method::PATCH, "/api/workspace/settings", &owner, Some(json!({"default_firewall_policy_id": policy_id}))).await;
    assert_eq!(status, StatusCode::OK);
    let key = gateway_key(&app, json!({})).await;
    let (_, body) = evaluate(&app, &key, json!({"surface": "inbound", "tool_name": "shell.run"})).await;
    assert_eq!((body["verdict"].as_str(), body["policy_name"].as_str()), (Some("deny"), Some("hook")));
}

#[tokio::test]
async fn malformed_input_is_422_naming_each_field() {
    let app = TestApp::new().await;
    let key = gateway_key(&app, json!({})).await;
    let (status, body) = evaluate(&app, &key, json!({"surface": "sideways", "destination": {"ips": ["x"]}, "cost_estimate_cents": "1"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "validation_error");
    let fields: Vec<&str> = body["error"]["fields"].as_array().expect("fields").iter().filter_map(|f| f["field"].as_str()).collect();
    assert_eq!(fields, ["surface", "tool_name", "destination.ips[0]", "cost_estimate_cents"]);
    let (status, body) = evaluate(&app, &key, json!({"surface": "mcp", "tool_name": "a", "approval_id": "not-an-id"})).await;
    assert_eq!((status, body["error"]["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("approval_id")));
}

#[tokio::test]
async fn only_gateway_keys_with_the_evaluate_scope_get_through() {
    let app = TestApp::new().await;
    let call = json!({"surface": "mcp", "tool_name": "kb.search"});
    let scoped_out = gateway_key(&app, json!({"scopes": ["mcp"]})).await;
    let (status, body) = evaluate(&app, &scoped_out, call.clone()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{body}");
    let (_, relay) = app.key("relay").await;
    let (status, body, _) = app.send(Method::POST, EVALUATE, &Caller::Bearer(relay), Some(call.clone())).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")));
    let (status, _, _) = app.send(Method::POST, EVALUATE, &Caller::Anonymous, Some(call.clone())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let session = owner(&app).await;
    let (status, body, _) = app.send(Method::POST, EVALUATE, &session, Some(call)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_api_key")), "a session is ignored on /api/v1");
}
