//! Workspace providers (SPEC §2.4, §8.2): CRUD through `/api/providers` (field-path validation, the API
//! key write-only and sealed at rest, audit rows), and routing: a workspace provider pointing at a
//! loopback upstream is routable as `provider/model` by that workspace's keys only, and stops routing
//! once disabled or deleted.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use chrono::Utc;
use serde_json::{json, Value};
use server::config::ProviderConfig;
use server::domain::{Actor, Role};
use server::service::api_keys::KeyInput;

use crate::relay_chat::{ask, chat, relay_key};
use crate::support::{Caller, TestApp};

/// Authorization header and body of every call the fixture upstream received.
type Seen = Arc<Mutex<Vec<(String, Value)>>>;

async fn upstream(State(seen): State<Seen>, headers: HeaderMap, Json(body): Json<Value>) -> Json<Value> {
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    seen.lock().expect("lock").push((auth, body.clone()));
    let last = body["messages"].as_array().and_then(|m| m.last()).and_then(|m| m["content"].as_str()).unwrap_or_default().to_owned();
    Json(json!({"id": "x", "object": "chat.completion", "created": 1, "model": body["model"],
        "choices": [{"index": 0, "message": {"role": "assistant", "content": format!("upstream: {last}")}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}}))
}

async fn start_upstream() -> (SocketAddr, Seen) {
    let seen: Seen = Default::default();
    let router = Router::new().route("/v1/chat/completions", post(upstream)).with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router).await });
    (addr, seen)
}

fn field_paths(body: &Value) -> Vec<String> {
    body["error"]["fields"].as_array().into_iter().flatten().filter_map(|f| f["field"].as_str().map(str::to_owned)).collect()
}

async fn app_with_config_provider() -> TestApp {
    TestApp::with_config(|config| {
        config.providers.push(ProviderConfig { name: "cfg".into(), base_url: "http://127.0.0.1:1/v1".into(), api_key: None, enabled: true, models: vec![] });
    })
    .await
}

#[tokio::test]
async fn providers_validate_by_field_path_and_never_return_their_key() {
    let app = app_with_config_provider().await;
    let admin = app.as_role(Role::Admin).await;
    let bad = json!({
        "name": "mock",
        "base_url": "ftp://x/v1",
        "models": [{"id": "m"}, {"id": "m"}, {"id": "ok", "output_usd_per_mtok": -1}],
    });
    let (status, body, _) = app.send(Method::POST, "/api/providers", &admin, Some(bad)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("validation_error")), "{body}");
    assert_eq!(field_paths(&body), ["name", "base_url", "models[1].id", "models[2].output_usd_per_mtok"]);
    for name in ["cfg", "Upper", "a/b", ""] {
        let (status, body, _) = app.send(Method::POST, "/api/providers", &admin, Some(json!({"name": name, "base_url": "https://x/v1"}))).await;
        assert_eq!((status, field_paths(&body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["name".to_owned()]), "{name}: {body}");
    }
    let (status, body, _) = app.send(Method::POST, "/api/providers", &admin, Some(json!({"name": "x"}))).await;
    assert_eq!((status, field_paths(&body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["base_url".to_owned()]), "{body}");

    let create = json!({"name": "acme", "base_url": "https://llm.acme.test/v1/", "api_key": "sk-upstream-123", "models": [{"id": "big", "input_usd_per_mtok": 2.5}]});
    let (status, created, _) = app.send(Method::POST, "/api/providers", &admin, Some(create.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!((created["api_key_set"].as_bool(), created["base_url"].as_str()), (Some(true), Some("https://llm.acme.test/v1")));
    assert_eq!(created["models"], json!([{"id": "big", "input_usd_per_mtok": 2.5, "output_usd_per_mtok": 0.0}]));
    assert!(!created.to_string().contains("sk-upstream-123"), "the key is write-only: {created}");
    let id = created["id"].as_i64().expect("id");
    let (status, body, _) = app.send(Method::POST, "/api/providers", &admin, Some(create)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("name_taken")), "{body}");

    // Sealed at rest: the column holds ciphertext that opens to the key.
    let stored = server::store::providers::find_in_workspace(&app.services.db, app.workspace_id(), id).await.expect("query").expect("row");
    let sealed = stored.api_key_enc.expect("sealed key");
    assert!(!sealed.contains("sk-upstream-123"));
    assert_eq!(app.services.secrets.decrypt(&sealed).expect("opens"), "sk-upstream-123");

    let member = app.as_role(Role::Member).await;
    let (status, list, _) = app.send(Method::GET, "/api/providers", &member, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["data"][0]["name"], "acme");
    assert!(!list.to_string().contains("sk-upstream") && !list.to_string().contains(&sealed), "{list}");

    let (status, edited, _) = app.send(Method::PATCH, &format!("/api/providers/{id}"), &admin, Some(json!({"api_key": null, "enabled": false}))).await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!((edited["api_key_set"].as_bool(), edited["enabled"].as_bool(), edited["name"].as_str()), (Some(false), Some(false), Some("acme")));
    let (status, body, _) = app.send(Method::PATCH, &format!("/api/providers/{id}"), &admin, Some(json!({"models": [{"id": "has space"}]}))).await;
    assert_eq!((status, field_paths(&body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["models[0].id".to_owned()]));
    let (status, _, _) = app.send(Method::DELETE, &format!("/api/providers/{id}"), &admin, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body, _) = app.send(Method::DELETE, &format!("/api/providers/{id}"), &admin, None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));

    let audit = server::store::audit::recent(&app.services.db, app.workspace_id(), 20).await.expect("audit");
    let verbs: Vec<&str> = audit.iter().filter(|row| row.target_type == "provider").map(|row| row.verb.as_str()).collect();
    assert_eq!(verbs, ["provider_delete", "provider_update", "provider_create"], "failed writes leave no row");
    let created_row = audit.iter().find(|row| row.verb == "provider_create").expect("create row");
    assert_eq!(created_row.metadata["api_key_set"], true);
    assert_eq!(created_row.metadata["models"], json!(["big"]));
    assert!(audit.iter().all(|row| !row.metadata.to_string().contains("sk-upstream")), "no secret in audit metadata");
}

#[tokio::test]
async fn provider_writes_bump_the_posture_version() {
    let app = TestApp::new().await;
    let admin = app.as_role(Role::Admin).await;
    let version = || server::store::workspaces::posture_version(&app.services.db, 1);
    let before = version().await.expect("version");
    let (status, created, _) = app.send(Method::POST, "/api/providers", &admin, Some(json!({"name": "p", "base_url": "https://p.test/v1"}))).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(version().await.expect("version"), before + 1);
    let path = format!("/api/providers/{}", created["id"]);
    app.send(Method::PATCH, &path, &admin, Some(json!({"enabled": false}))).await;
    app.send(Method::DELETE, &path, &admin, None).await;
    assert_eq!(version().await.expect("version"), before + 3);
}

/// A relay key of a second workspace, created directly through the service (no second login needed).
async fn other_workspace_key(app: &TestApp) -> String {
    let other = server::store::workspaces::insert(&app.services.db, "other", Utc::now()).await.expect("workspace");
    let system = Actor { user_id: None, label: "system".into() };
    let input = KeyInput { name: Some("other-key".into()), ..Default::default() };
    app.services.create_api_key_as(&system, other.id, input, Utc::now()).await.expect("key").secret
}

async fn model_ids(app: &TestApp, secret: &str) -> Vec<String> {
    let (status, list, _) = app.send(Method::GET, "/v1/models", &Caller::Bearer(secret.to_owned()), None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list["data"].as_array().into_iter().flatten().filter_map(|m| m["id"].as_str().map(str::to_owned)).collect()
}

async fn chat_code(app: &TestApp, secret: &str, model: &str) -> (StatusCode, Value) {
    let mut body = ask("hello");
    body["model"] = json!(model);
    let (status, reply, _) = chat(app, secret, body).await;
    (status, reply)
}

#[tokio::test]
async fn workspace_providers_route_for_their_workspace_until_disabled() {
    let (addr, seen) = start_upstream().await;
    let app = TestApp::new().await;
    let owner = app.as_role(Role::Owner).await;
    let create = json!({"name": "wsp", "base_url": format!("http://{addr}/v1"), "api_key": "up-key", "models": [{"id": "m1", "input_usd_per_mtok": 1.0}]});
    let (status, created, _) = app.send(Method::POST, "/api/providers", &owner, Some(create)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let path = format!("/api/providers/{}", created["id"]);
    let (_, secret) = relay_key(&app, json!({})).await;

    let (status, reply) = chat_code(&app, &secret, "wsp/m1").await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["choices"][0]["message"]["content"], "upstream: hello");
    assert_eq!(reply["model"], "wsp/m1");
    let (auth, sent) = seen.lock().expect("lock").last().cloned().expect("upstream called");
    assert_eq!((auth.as_str(), sent["model"].as_str()), ("Bearer up-key", Some("m1")), "the unsealed key is sent as Bearer");
    assert!(model_ids(&app, &secret).await.contains(&"wsp/m1".to_owned()));
    let (status, _, _) = app.send(Method::GET, "/v1/models/wsp/m1", &Caller::Bearer(secret.clone()), None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, reply) = chat_code(&app, &secret, "wsp/undeclared").await;
    assert_eq!((status, reply["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("model_not_found")), "only declared models route");

    let other = other_workspace_key(&app).await;
    let (status, reply) = chat_code(&app, &other, "wsp/m1").await;
    assert_eq!((status, reply["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("model_not_found")), "{reply}");
    assert!(!model_ids(&app, &other).await.iter().any(|id| id.starts_with("wsp/")));

    let (status, _, _) = app.send(Method::PATCH, &path, &owner, Some(json!({"enabled": false}))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, reply) = chat_code(&app, &secret, "wsp/m1").await;
    assert_eq!((status, reply["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("model_not_found")), "disabled: {reply}");
    assert!(!model_ids(&app, &secret).await.contains(&"wsp/m1".to_owned()));

    app.send(Method::PATCH, &path, &owner, Some(json!({"enabled": true}))).await;
    assert_eq!(chat_code(&app, &secret, "wsp/m1").await.0, StatusCode::OK, "re-enabled");
    app.send(Method::DELETE, &path, &owner, None).await;
    let (status, reply) = chat_code(&app, &secret, "wsp/m1").await;
    assert_eq!((status, reply["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("model_not_found")), "deleted: {reply}");
}

#[tokio::test]
async fn built_providers_are_reused_until_the_posture_version_moves() {
    let app = TestApp::new().await;
    let services = &app.services;
    let first = services.workspace_providers(1, 7).await.expect("build");
    assert!(first.models().is_empty());
    // A row written behind the service's back (no version bump) stays invisible: the relay does not
    // read the table again while the version is unchanged.
    let fields = server::store::providers::ProviderFields {
        name: "sneaky".into(),
        base_url: "https://s.test/v1".into(),
        api_key_enc: None,
        enabled: true,
        models: vec![server::store::providers::ProviderModel { id: "m".into(), input_usd_per_mtok: 0.0, output_usd_per_mtok: 0.0 }],
    };
    server::store::providers::insert(&services.db, 1, &fields, Utc::now()).await.expect("insert");
    let again = services.workspace_providers(1, 7).await.expect("cached");
    assert!(Arc::ptr_eq(&first, &again), "same version, same build");
    let next = services.workspace_providers(1, 8).await.expect("rebuild");
    assert_eq!(next.models().iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["sneaky/m"]);
    assert!(next.route("sneaky/m").is_some() && next.route("sneaky/x").is_none());
}

#[tokio::test]
async fn an_llm_judge_model_routes_to_a_workspace_provider() {
    let (addr, seen) = start_upstream().await;
    let app = TestApp::new().await;
    let owner = app.as_role(Role::Owner).await;
    let create = json!({"name": "wsp", "base_url": format!("http://{addr}/v1"), "models": [{"id": "judge-1"}]});
    let (status, created, _) = app.send(Method::POST, "/api/providers", &owner, Some(create)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (key_id, secret) = relay_key(&app, json!({})).await;
    let rules = json!([{"type": "llm_judge", "label": "judge", "config": {"model": "wsp/judge-1", "rubric": "no violations"}, "stage": "input", "action": "block"}]);
    crate::relay_chat::bind_guardrail(&app, key_id, rules, false).await;

    let (status, body, _) = chat(&app, &secret, ask("all fine")).await;
    // The fixture answers prose, not the judge's JSON, so the judge errs and fails open: what this test
    // checks is where the judge was asked.
    assert_eq!(status, StatusCode::OK, "{body}");
    let calls = seen.lock().expect("lock").clone();
    assert!(
        calls.iter().any(|(_, sent)| sent["model"] == "judge-1" && sent["messages"][1]["content"] == "all fine"),
        "the workspace provider saw no judge call: {calls:?}"
    );
}
