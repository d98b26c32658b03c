//! The MCP server registry and the MCP gateway (SPEC §2.14, §5.11, §5.12) against a loopback fake MCP
//! server (a tiny axum app answering `initialize`, `tools/list` and `tools/call` with an `Mcp-Session-Id`).
//! Loopback is opened with `security.allow_private_destinations` except where the dial guard is the subject.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use server::domain::Role;

use crate::support::{Caller, TestApp};

const MCP: &str = "/api/v1/firewall/mcp";
const SERVERS: &str = "/api/workspace/firewall/mcp-servers";

/// What the fake server saw and how it behaves.
#[derive(Default)]
struct FakeState {
    sessions: Mutex<HashSet<String>>,
    initializes: Mutex<u32>,
    /// (method, Authorization header, params) of every request with an id.
    calls: Mutex<Vec<(String, Option<String>, Value)>>,
    fail_tools_list: bool,
}

struct Fake {
    url: String,
    state: Arc<FakeState>,
}

impl Fake {
    async fn start(fail_tools_list: bool) -> Fake {
        let state = Arc::new(FakeState { fail_tools_list, ..Default::default() });
        let app = axum::Router::new().route("/mcp", axum::routing::post(fake_mcp)).with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://127.0.0.1:{}/mcp", listener.local_addr().expect("addr").port());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Fake { url, state }
    }

    fn calls(&self, method: &str) -> Vec<(Option<String>, Value)> {
        self.state.calls.lock().expect("fake state lock").iter().filter(|(m, _, _)| m == method).map(|(_, auth, params)| (auth.clone(), params.clone())).collect()
    }

    /// Forgets every session, as a restarted server would.
    fn expire_sessions(&self) {
        self.state.sessions.lock().expect("fake state lock").clear();
    }
}

async fn fake_mcp(State(state): State<Arc<FakeState>>, headers: HeaderMap, Json(message): Json<Value>) -> Response {
    let method = message["method"].as_str().unwrap_or_default().to_owned();
    let session = headers.get("mcp-session-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    if method == "initialize" {
        let mut count = state.initializes.lock().expect("fake state lock");
        *count += 1;
        let id = format!("session-{count}");
        state.sessions.lock().expect("fake state lock").insert(id.clone());
        let result = json!({"protocolVersion": "2025-06-18", "capabilities": {"tools": {}}, "serverInfo": {"name": "fake", "version": "1"}});
        return ([("mcp-session-id", id)], Json(json!({"jsonrpc": "2.0", "id": message["id"], "result": result}))).into_response();
    }
    let known = session.as_ref().is_some_and(|id| state.sessions.lock().expect("fake state lock").contains(id));
    if !known {
        return StatusCode::NOT_FOUND.into_response();
    }
    if message.get("id").is_none() {
        return StatusCode::ACCEPTED.into_response();
    }
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
    state.calls.lock().expect("fake state lock").push((method.clone(), auth, message["params"].clone()));
    let result = match method.as_str() {
        "tools/list" if state.fail_tools_list => {
            return Json(json!({"jsonrpc": "2.0", "id": message["id"], "error": {"code": -32603, "message": "broken"}})).into_response();
        }
        "tools/list" => json!({"tools": [
            {"name": "search", "description": "Search the KB", "inputSchema": {"type": "object", "properties": {"q": {"type": "string"}}}},
            {"name": "write", "description": "Write a note", "inputSchema": {"type": "object"}}
        ]}),
        "tools/call" => json!({"content": [{"type": "text", "text": format!("ran {} with {}", message["params"]["name"], message["params"]["arguments"])}], "isError": false}),
        _ => return Json(json!({"jsonrpc": "2.0", "id": message["id"], "error": {"code": -32601, "message": "no"}})).into_response(),
    };
    Json(json!({"jsonrpc": "2.0", "id": message["id"], "result": result})).into_response()
}

async fn loopback_app() -> TestApp {
    TestApp::with_config(|config| config.security.allow_private_destinations = vec!["127.0.0.0/8".into(), "::1/128".into()]).await
}

async fn register(app: &TestApp, body: Value) -> Value {
    let owner = app.login("owner@example.com").await;
    let (status, created, _) = app.send(Method::POST, SERVERS, &owner, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

/// A gateway key, optionally bound to a new policy made of `rules`.
async fn gateway(app: &TestApp, rules: Option<Value>) -> Caller {
    let owner = app.login("owner@example.com").await;
    let mut key = json!({"name": format!("gw-{}", server::http_util::new_request_id()), "kind": "gateway"});
    if let Some(rules) = rules {
        let policy = json!({"name": format!("p-{}", server::http_util::new_request_id()), "default_verdict": "allow", "rules": rules});
        let (status, created, _) = app.send(Method::POST, "/api/workspace/firewall/policies", &owner, Some(policy)).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        key["firewall_policy_id"] = created["id"].clone();
    }
    let (status, created, _) = app.send(Method::POST, "/api/keys", &owner, Some(key)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    Caller::Bearer(created["secret"].as_str().expect("secret").to_owned())
}

async fn rpc(app: &TestApp, key: &Caller, method: &str, params: Value) -> Value {
    let (status, body, headers) = app.send(Method::POST, MCP, key, Some(json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(body["id"], 7, "{body}");
    body
}

async fn call_tool(app: &TestApp, key: &Caller, name: &str, arguments: Value) -> Value {
    rpc(app, key, "tools/call", json!({"name": name, "arguments": arguments})).await["result"].clone()
}

async fn events(app: &TestApp, filter: &str) -> Vec<Value> {
    app.services.flush_records().await;
    let owner = app.login("owner@example.com").await;
    let (status, body, _) = app.send(Method::GET, &format!("/api/workspace/firewall/events?{filter}"), &owner, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"].as_array().expect("events").clone()
}

#[tokio::test]
async fn the_registry_validates_audits_and_never_returns_credentials() {
    let app = loopback_app().await;
    let fake = Fake::start(false).await;
    let created = register(&app, json!({"name": "kb", "endpoint": fake.url, "auth_mode": "bearer", "auth": {"token": "s3cret-token"}})).await;
    assert_eq!((created["auth_set"].as_bool(), created["status"].as_str(), created["enabled"].as_bool()), (Some(true), Some("down"), Some(true)));
    assert!(!created.to_string().contains("s3cret-token"), "{created}");
    let id = created["id"].as_i64().expect("id");
    let stored = server::store::mcp_servers::find(&app.services.db, app.workspace_id(), id).await.expect("q").expect("row");
    assert!(!stored.auth_enc.as_deref().unwrap_or_default().contains("s3cret"), "credentials are sealed at rest");

    let developer = app.as_role(Role::Developer).await;
    let member = app.as_role(Role::Member).await;
    let cases = [
        (json!({"name": "kb", "endpoint": fake.url}), StatusCode::CONFLICT, "name_taken", None),
        (json!({"name": "k.b", "endpoint": fake.url}), StatusCode::UNPROCESSABLE_ENTITY, "validation_error", Some("name")),
        (json!({"name": "ftp", "endpoint": "ftp://example.com/mcp"}), StatusCode::UNPROCESSABLE_ENTITY, "validation_error", Some("endpoint")),
        (json!({"name": "nokey", "endpoint": fake.url, "auth_mode": "basic"}), StatusCode::UNPROCESSABLE_ENTITY, "validation_error", Some("auth")),
        (json!({"name": "half", "endpoint": fake.url, "auth_mode": "basic", "auth": {"username": "u"}}), StatusCode::UNPROCESSABLE_ENTITY, "validation_error", Some("auth.password")),
        (json!({"name": "mode", "endpoint": fake.url, "auth_mode": "kerberos"}), StatusCode::UNPROCESSABLE_ENTITY, "validation_error", Some("auth_mode")),
    ];
    for (body, status, code, field) in cases {
        let (got, answer, _) = app.send(Method::POST, SERVERS, &developer, Some(body.clone())).await;
        assert_eq!((got, answer["error"]["code"].as_str()), (status, Some(code)), "{body} → {answer}");
        assert_eq!(answer["error"]["fields"][0]["field"].as_str(), field, "{answer}");
    }
    let (status, _, _) = app.send(Method::POST, SERVERS, &member, Some(json!({"name": "m", "endpoint": fake.url}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, list, _) = app.send(Method::GET, SERVERS, &member, None).await;
    assert_eq!((status, list["data"].as_array().map(Vec::len)), (StatusCode::OK, Some(1)));
    assert!(!list.to_string().contains("s3cret-token"));

    // Switching to basic needs credentials; disabling keeps them; `none` drops them.
    let path = format!("{SERVERS}/{id}");
    let (status, answer, _) = app.send(Method::PATCH, &path, &developer, Some(json!({"auth_mode": "basic"}))).await;
    assert_eq!((status, answer["error"]["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("auth")));
    let (status, answer, _) = app.send(Method::PATCH, &path, &developer, Some(json!({"enabled": false}))).await;
    assert_eq!((status, answer["enabled"].as_bool(), answer["auth_set"].as_bool()), (StatusCode::OK, Some(false), Some(true)));
    let (_, answer, _) = app.send(Method::PATCH, &path, &developer, Some(json!({"auth_mode": "none"}))).await;
    assert_eq!(answer["auth_set"], false);
    let (status, _, _) = app.send(Method::DELETE, &path, &member, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = app.send(Method::DELETE, &path, &developer, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = app.send(Method::GET, &path, &member, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let verbs: Vec<String> = server::store::audit::recent(&app.services.db, app.workspace_id(), 10)
        .await
        .expect("audit")
        .into_iter()
        .map(|row| row.verb)
        .filter(|verb| verb.starts_with("mcp_server_"))
        .collect();
    assert_eq!(verbs, ["mcp_server_delete", "mcp_server_update", "mcp_server_update", "mcp_server_create"]);
}

#[tokio::test]
async fn endpoints_that_resolve_to_private_addresses_are_refused_on_save() {
    let app = TestApp::new().await;
    let owner = app.login("owner@example.com").await;
    for endpoint in ["http://127.0.0.1:9/mcp", "http://localhost:9/mcp", "http://169.254.169.254/mcp"] {
        let (status, body, _) = app.send(Method::POST, SERVERS, &owner, Some(json!({"name": "x", "endpoint": endpoint}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{endpoint}: {body}");
        assert_eq!(body["error"]["fields"][0]["field"], "endpoint");
        assert!(body["error"]["fields"][0]["message"].as_str().unwrap_or_default().contains("private or metadata address"), "{body}");
    }
}

#[tokio::test]
async fn probes_classify_ok_degraded_and_down_and_store_the_result() {
    let app = loopback_app().await;
    let owner = app.login("owner@example.com").await;
    let good = Fake::start(false).await;
    let broken = Fake::start(true).await;
    let closed = {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        format!("http://127.0.0.1:{}/mcp", listener.local_addr().expect("addr").port())
    };
    let mut outcomes = Vec::new();
    for (name, url) in [("good", good.url.clone()), ("broken", broken.url.clone()), ("gone", closed)] {
        let id = register(&app, json!({"name": name, "endpoint": url})).await["id"].as_i64().expect("id");
        let (status, probe, _) = app.send(Method::POST, &format!("{SERVERS}/{id}/probe"), &owner, None).await;
        assert_eq!(status, StatusCode::OK, "{probe}");
        let (_, row, _) = app.send(Method::GET, &format!("{SERVERS}/{id}"), &owner, None).await;
        outcomes.push((probe, row));
    }
    let (probe, row) = &outcomes[0];
    assert_eq!(probe["status"], "ok");
    assert!(probe["latency_ms"].as_u64().is_some() && probe.get("error").is_none(), "{probe}");
    assert_eq!(probe["tools"][0], json!({"name": "search", "namespaced_name": "good.search", "description": "Search the KB",
        "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}}}));
    assert_eq!((row["status"].as_str(), row["tool_count"].as_i64(), row["last_probe_at"].is_string()), (Some("ok"), Some(2), true));
    let (probe, row) = &outcomes[1];
    assert_eq!((probe["status"].as_str(), row["status"].as_str()), (Some("degraded"), Some("degraded")), "tools/list failed after a good initialize");
    assert!(row["last_error"].as_str().unwrap_or_default().contains("tools/list"), "{row}");
    let (probe, row) = &outcomes[2];
    assert_eq!((probe["status"].as_str(), row["status"].as_str()), (Some("down"), Some("down")));
    assert!(probe["error"].is_string());
}

#[tokio::test]
async fn tools_list_is_live_and_namespaced_and_skips_disabled_and_failing_servers() {
    let app = loopback_app().await;
    let kb = Fake::start(false).await;
    let off = Fake::start(false).await;
    register(&app, json!({"name": "kb", "endpoint": kb.url})).await;
    register(&app, json!({"name": "off", "endpoint": off.url, "enabled": false})).await;
    let gone = register(&app, json!({"name": "gone", "endpoint": "http://127.0.0.1:9/mcp"})).await;
    let key = gateway(&app, None).await;
    let listed = rpc(&app, &key, "tools/list", json!({})).await;
    let names: Vec<&str> = listed["result"]["tools"].as_array().expect("tools").iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(names, ["kb.search", "kb.write"]);
    assert_eq!(listed["result"]["tools"][0]["inputSchema"]["properties"]["q"]["type"], "string", "schemas pass unchanged");
    assert!(off.calls("tools/list").is_empty(), "a disabled server is never contacted");
    let row = server::store::mcp_servers::find(&app.services.db, app.workspace_id(), gone["id"].as_i64().expect("id")).await.expect("q").expect("row");
    assert_eq!(row.status, "down", "a failing server is marked down");
}

#[tokio::test]
async fn tools_call_forwards_with_credentials_and_turns_denials_into_tool_errors() {
    let app = loopback_app().await;
    let fake = Fake::start(false).await;
    register(&app, json!({"name": "kb", "endpoint": fake.url, "auth_mode": "oauth", "auth": {"access_token": "tok-123"}})).await;
    let rules = json!([
        {"priority": 10, "label": "no writes", "stage": "mcp", "tool_name_glob": "kb.write", "verdict": "deny"},
        {"priority": 20, "label": "redact", "stage": "mcp", "tool_name_glob": "kb.search", "verdict": "sanitize", "sanitize": {"presets": ["email"]}}
    ]);
    let key = gateway(&app, Some(rules)).await;

    let result = call_tool(&app, &key, "kb.search", json!({"q": "mail alice@acme.io"})).await;
    assert_eq!(result["isError"], false, "{result}");
    let forwarded = fake.calls("tools/call");
    assert_eq!(forwarded.len(), 1);
    assert_eq!(forwarded[0].0.as_deref(), Some("Bearer tok-123"), "oauth credentials are sent as Bearer");
    assert_eq!(forwarded[0].1, json!({"name": "search", "arguments": {"q": "mail [redacted:email]"}}), "original name, sanitized arguments");
    assert_eq!(result["content"][0]["text"], "ran \"search\" with {\"q\":\"mail [redacted:email]\"}", "the upstream result is returned verbatim");

    let denied = call_tool(&app, &key, "kb.write", json!({"text": "x"})).await;
    assert_eq!(denied, json!({"content": [{"type": "text", "text": "firewall deny: no writes"}], "isError": true}));
    assert_eq!(fake.calls("tools/call").len(), 1, "a denied call is not forwarded");

    let mcp_events = events(&app, "surface=mcp").await;
    let write = mcp_events.iter().find(|e| e["tool_name"] == "kb.write").expect("deny event");
    assert_eq!((write["verdict"].as_str(), write["mcp_server"].as_str()), (Some("deny"), Some("kb")));
    let egress = events(&app, "surface=egress").await;
    assert_eq!(egress.len(), 1, "only the dispatched call reached egress: {egress:?}");
    assert_eq!(egress[0]["destination"]["host"], "127.0.0.1");
    let (_, tools, _) = app.send(Method::GET, "/api/workspace/firewall/discovered", &app.login("owner@example.com").await, None).await;
    let search = tools["data"].as_array().expect("tools").iter().find(|t| t["tool_name"] == "kb.search").expect("discovered").clone();
    assert_eq!(search["mcp_server"], "kb");
}

#[tokio::test]
async fn egress_rules_see_the_server_host_and_addresses() {
    let app = loopback_app().await;
    let fake = Fake::start(false).await;
    register(&app, json!({"name": "kb", "endpoint": fake.url})).await;
    let rules = json!([{"priority": 10, "label": "no loopback", "stage": "egress", "verdict": "deny", "egress": {"deny": ["127.0.0.0/8"], "allow": []}}]);
    let key = gateway(&app, Some(rules)).await;
    let result = call_tool(&app, &key, "kb.search", json!({"q": "x"})).await;
    assert_eq!(result["isError"], true);
    assert_eq!(result["content"][0]["text"], "firewall deny: egress to 127.0.0.1 denied");
    assert!(fake.calls("tools/call").is_empty());
    let egress = events(&app, "surface=egress").await;
    assert_eq!((egress[0]["verdict"].as_str(), egress[0]["destination"]["ips"][0].as_str()), (Some("deny"), Some("127.0.0.1")));
}

#[tokio::test]
async fn the_dial_guard_refuses_loopback_unless_allow_listed() {
    // Default config: loopback is refused. The row is stored directly, as one saved before the allow-list
    // was tightened (saving it through the API is refused, see above).
    let app = TestApp::new().await;
    let fake = Fake::start(false).await;
    let fields = server::store::mcp_servers::McpServerFields {
        name: "kb".into(),
        endpoint: fake.url.clone(),
        auth_mode: "none".into(),
        auth_enc: None,
        enabled: true,
    };
    server::store::mcp_servers::insert(&app.services.db, app.workspace_id(), &fields, chrono::Utc::now()).await.expect("insert");
    let key = gateway(&app, None).await;
    let result = call_tool(&app, &key, "kb.search", json!({})).await;
    let expected = "firewall deny: dial guard: 127.0.0.1 is a private or metadata address";
    assert_eq!((result["isError"].as_bool(), result["content"][0]["text"].as_str()), (Some(true), Some(expected)));
    assert_eq!(*fake.state.initializes.lock().expect("fake state lock"), 0, "nothing reached the server");
    let egress = events(&app, "surface=egress").await;
    assert_eq!(egress.len(), 1, "{egress:?}");
    assert_eq!((egress[0]["verdict"].as_str(), egress[0]["reason"].as_str()), (Some("deny"), Some("dial guard: 127.0.0.1 is a private or metadata address")));
}

#[tokio::test]
async fn upstream_sessions_are_reused_and_reinitialized_once_when_lost() {
    let app = loopback_app().await;
    let fake = Fake::start(false).await;
    register(&app, json!({"name": "kb", "endpoint": fake.url})).await;
    let key = gateway(&app, None).await;
    assert_eq!(call_tool(&app, &key, "kb.search", json!({"q": 1})).await["isError"], false);
    assert_eq!(call_tool(&app, &key, "kb.search", json!({"q": 2})).await["isError"], false);
    assert_eq!(*fake.state.initializes.lock().expect("fake state lock"), 1, "the session is cached");
    fake.expire_sessions();
    assert_eq!(call_tool(&app, &key, "kb.search", json!({"q": 3})).await["isError"], false, "re-initialized after a 404");
    assert_eq!(*fake.state.initializes.lock().expect("fake state lock"), 2);
    assert_eq!(fake.calls("tools/call").len(), 3);
}

#[tokio::test]
async fn the_json_rpc_framing_follows_the_gateway_rules() {
    let app = loopback_app().await;
    register(&app, json!({"name": "kb", "endpoint": Fake::start(false).await.url, "enabled": false})).await;
    let key = gateway(&app, None).await;
    let init = rpc(&app, &key, "initialize", json!({"protocolVersion": "2025-03-26", "capabilities": {}})).await;
    assert_eq!(init["result"]["protocolVersion"], "2025-03-26");
    assert_eq!(init["result"]["serverInfo"]["name"], "palisade");
    let init = rpc(&app, &key, "initialize", json!({"protocolVersion": "1999-01-01"})).await;
    assert_eq!(init["result"]["protocolVersion"], "2025-06-18");
    assert_eq!(rpc(&app, &key, "ping", json!({})).await["result"], json!({}));
    assert_eq!(rpc(&app, &key, "resources/list", json!({})).await["error"]["code"], -32601);
    for name in ["kb.search", "nope.search", "nodot"] {
        assert_eq!(rpc(&app, &key, "tools/call", json!({"name": name})).await["error"]["code"], -32602, "{name}");
    }
    let (status, body, _) = app.send(Method::POST, MCP, &key, Some(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))).await;
    assert_eq!((status, body), (StatusCode::ACCEPTED, Value::Null));
    let (status, body, _) = app.send(Method::POST, MCP, &key, Some(json!([{"jsonrpc": "2.0", "id": 1, "method": "ping"}]))).await;
    assert_eq!((status, body["error"]["code"].as_i64()), (StatusCode::OK, Some(-32600)));
    let (status, _, _) = app.send(Method::GET, MCP, &key, None).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    let no_scope = {
        let owner = app.login("owner@example.com").await;
        let body = json!({"name": "evaluate-only", "kind": "gateway", "scopes": ["evaluate"]});
        let (_, created, _) = app.send(Method::POST, "/api/keys", &owner, Some(body)).await;
        Caller::Bearer(created["secret"].as_str().expect("secret").to_owned())
    };
    let (status, body, _) = app.send(Method::POST, MCP, &no_scope, Some(json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")));
}

#[tokio::test]
async fn gateway_keys_list_servers_and_only_mcp_credentials_keys_see_the_secret() {
    let app = loopback_app().await;
    register(&app, json!({"name": "kb", "endpoint": Fake::start(false).await.url, "auth_mode": "bearer", "auth": {"token": "t0k"}})).await;
    let owner = app.login("owner@example.com").await;
    let mut secrets = Vec::new();
    for scopes in [json!(["mcp_servers"]), json!(["mcp_servers", "mcp_credentials"]), json!(["mcp"])] {
        let body = json!({"name": format!("k-{}", server::http_util::new_request_id()), "kind": "gateway", "scopes": scopes});
        let (status, created, _) = app.send(Method::POST, "/api/keys", &owner, Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        secrets.push(Caller::Bearer(created["secret"].as_str().expect("secret").to_owned()));
    }
    let (status, plain, _) = app.send(Method::GET, "/api/v1/firewall/mcp_servers", &secrets[0], None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(plain["data"][0], json!({"name": "kb", "endpoint": plain["data"][0]["endpoint"], "auth_mode": "bearer", "status": "down"}));
    let (_, revealed, _) = app.send(Method::GET, "/api/v1/firewall/mcp_servers", &secrets[1], None).await;
    assert_eq!(revealed["data"][0]["auth"], json!({"token": "t0k"}));
    let (status, _, _) = app.send(Method::GET, "/api/v1/firewall/mcp_servers", &secrets[2], None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
