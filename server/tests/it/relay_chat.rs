//! The relay pipeline (SPEC §1.5, §3, §4, §5) over the built-in mock provider and a loopback OpenAI-style
//! upstream: every stage's error code, guardrails and firewall on JSON and SSE, metering and recording.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::support::TestApp;

/// A relay key of the owner with extra settings; returns (id, secret).
pub async fn relay_key(app: &TestApp, settings: Value) -> (i64, String) {
    let owner = app.login("owner@example.com").await;
    let mut body = json!({"name": format!("k-{}", server::http_util::new_request_id()), "kind": "relay"});
    for (field, value) in settings.as_object().into_iter().flatten() {
        body[field] = value.clone();
    }
    let (status, created, _) = app.send(Method::POST, "/api/keys", &owner, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    (created["id"].as_i64().expect("id"), created["secret"].as_str().expect("secret").to_owned())
}

/// Creates a guardrail with `rules` as the owner and binds it to key `key_id`; returns its id.
pub async fn bind_guardrail(app: &TestApp, key_id: i64, rules: Value, log_raw_content: bool) -> i64 {
    let owner = app.login("owner@example.com").await;
    let body = json!({"name": format!("g-{}", server::http_util::new_request_id()), "log_raw_content": log_raw_content, "rules": rules});
    let (status, created, _) = app.send(Method::POST, "/api/guardrails", &owner, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().expect("guardrail id");
    let (status, key, _) = app.send(Method::PATCH, &format!("/api/keys/{key_id}"), &owner, Some(json!({"guardrail_id": id}))).await;
    assert_eq!(status, StatusCode::OK, "{key}");
    id
}

/// Creates a firewall policy with `rules` as the owner and binds it to key `key_id`; returns its id.
pub async fn bind_policy(app: &TestApp, key_id: i64, default_verdict: &str, rules: Value) -> i64 {
    let owner = app.login("owner@example.com").await;
    let body = json!({"name": format!("p-{}", server::http_util::new_request_id()), "default_verdict": default_verdict, "rules": rules});
    let (status, created, _) = app.send(Method::POST, "/api/workspace/firewall/policies", &owner, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().expect("policy id");
    let (status, key, _) = app.send(Method::PATCH, &format!("/api/keys/{key_id}"), &owner, Some(json!({"firewall_policy_id": id}))).await;
    assert_eq!(status, StatusCode::OK, "{key}");
    id
}

/// A chat body with one user message.
pub fn ask(text: &str) -> Value {
    json!({"model": "mock/echo", "messages": [{"role": "user", "content": text}]})
}

/// POSTs `body` to `path` with `secret` and extra headers; returns status, headers and raw text.
pub async fn post_raw(app: &TestApp, path: &str, secret: &str, body: String, headers: &[(&str, &str)]) -> (StatusCode, axum::http::HeaderMap, String) {
    let mut builder = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {secret}"))
        .header(header::CONTENT_TYPE, "application/json");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let response = app.router.clone().oneshot(builder.body(Body::from(body)).expect("request")).await.expect("router");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    (status, headers, String::from_utf8_lossy(&bytes).into_owned())
}

/// POSTs a chat body and parses the JSON answer.
pub async fn chat(app: &TestApp, secret: &str, body: Value) -> (StatusCode, Value, axum::http::HeaderMap) {
    let (status, headers, text) = post_raw(app, "/v1/chat/completions", secret, body.to_string(), &[]).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null), headers)
}

/// The parsed SSE of a streamed chat: data chunks, comments, error payloads, and whether `[DONE]` came.
#[derive(Debug, Default)]
pub struct Sse {
    pub chunks: Vec<Value>,
    pub comments: Vec<String>,
    pub errors: Vec<Value>,
    pub done: bool,
    pub raw: String,
}

impl Sse {
    pub fn parse(raw: String) -> Sse {
        let mut sse = Sse::default();
        for event in raw.split("\n\n").filter(|event| !event.is_empty()) {
            if let Some(comment) = event.strip_prefix(": ") {
                sse.comments.push(comment.to_owned());
            } else if let Some(rest) = event.strip_prefix("event: error\ndata: ") {
                sse.errors.push(serde_json::from_str(rest).expect("error json"));
            } else if event == "data: [DONE]" {
                sse.done = true;
            } else if let Some(data) = event.strip_prefix("data: ") {
                sse.chunks.push(serde_json::from_str(data).expect("chunk json"));
            }
        }
        sse.raw = raw;
        sse
    }

    /// Concatenated content deltas of choice 0.
    pub fn content(&self) -> String {
        self.chunks.iter().filter_map(|c| c.pointer("/choices/0/delta/content").and_then(Value::as_str)).collect()
    }

    pub fn finish_reason(&self) -> Option<String> {
        self.chunks.iter().find_map(|c| c.pointer("/choices/0/finish_reason").and_then(Value::as_str).map(str::to_owned))
    }
}

/// Streams a chat body and parses the SSE.
pub async fn stream(app: &TestApp, secret: &str, mut body: Value) -> (StatusCode, Sse) {
    body["stream"] = json!(true);
    let (status, _, text) = post_raw(app, "/v1/chat/completions", secret, body.to_string(), &[]).await;
    (status, Sse::parse(text))
}

/// Rows of `table` in the workspace, as JSON objects (after the recorder is flushed).
pub async fn rows(app: &TestApp, path: &str) -> Vec<Value> {
    app.services.flush_records().await;
    let owner = app.login("owner@example.com").await;
    let (status, body, _) = app.send(Method::GET, path, &owner, None).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body["data"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_plain_chat_is_echoed_metered_and_recorded() {
    let app = TestApp::new().await;
    let (key_id, secret) = relay_key(&app, json!({})).await;
    let (status, body, headers) = chat(&app, &secret, ask("hello there")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["choices"][0]["message"]["content"], "echo: hello there");
    assert_eq!(body["model"], "mock/echo");
    assert_eq!(body["usage"]["prompt_tokens"], 3);
    assert!(headers.contains_key("x-palisade-request-id") && headers.contains_key("x-palisade-overhead-ms"));
    app.services.flush_records().await;
    let key = server::store::api_keys::find_in_workspace(&app.services.db, 1, key_id).await.expect("q").expect("key");
    // 3 prompt + 5 completion tokens ("echo: hello there" is 17 chars) at 100 µ$ each.
    assert_eq!(key.spent_micros, 800);
    let request_id = headers["x-palisade-request-id"].to_str().expect("ascii");
    let trace = server::store::requests::list_with_run(&app.services.db, 1, None, None, None).await.expect("q");
    assert!(trace.is_empty(), "no run id, so no run rows");
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let row = server::store::entity::request::Entity::find()
        .filter(server::store::entity::request::Column::RequestId.eq(request_id))
        .one(&app.services.db)
        .await
        .expect("q")
        .expect("request row");
    assert_eq!((row.status, row.metered, row.cost_micros, row.route.as_str()), (200, true, 800, "chat.completions"));
}

#[tokio::test]
async fn every_stage_fails_with_its_own_code() {
    let app = TestApp::with_config(|config| config.limits.relay_body_bytes = 2048).await;
    let (_, secret) = relay_key(&app, json!({})).await;
    let cases: Vec<(String, StatusCode, &str, Option<&str>)> = vec![
        ("not json".into(), StatusCode::BAD_REQUEST, "invalid_request_error", Some("body")),
        (json!({"model": "mock/echo", "messages": []}).to_string(), StatusCode::BAD_REQUEST, "invalid_request_error", Some("messages")),
        (json!({"model": "mock/nope", "messages": [{"role": "user", "content": "x"}]}).to_string(), StatusCode::NOT_FOUND, "model_not_found", None),
        (ask(&"x".repeat(4000)).to_string(), StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", None),
        (ask("MOCK_ERROR:503").to_string(), StatusCode::BAD_GATEWAY, "upstream_error", None),
        (ask("MOCK_ERROR:429").to_string(), StatusCode::TOO_MANY_REQUESTS, "upstream_error", None),
    ];
    for (body, expected, code, param) in cases {
        let (status, _, text) = post_raw(&app, "/v1/chat/completions", &secret, body, &[]).await;
        let error: Value = serde_json::from_str(&text).expect("envelope");
        assert_eq!((status, error["error"]["code"].as_str()), (expected, Some(code)), "{text}");
        assert_eq!(error["error"]["param"].as_str(), param, "{text}");
    }
    let (status, _, text) = post_raw(&app, "/v1/chat/completions", &secret, ask("hi").to_string(), &[("x-palisade-run-id", "bad value")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(text.contains("x-palisade-run-id"));
    let (_, body, _) = chat(&app, &secret, ask("MOCK_ERROR:429")).await;
    assert!(body["error"]["message"].as_str().expect("message").starts_with("upstream: "), "{body}");

    let (_, scoped) = relay_key(&app, json!({"scopes": ["models"]})).await;
    let (status, body, _) = chat(&app, &scoped, ask("hi")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")));
    let (_, listed) = relay_key(&app, json!({"model_allowlist_enabled": true, "model_allowlist": ["mock/embed"]})).await;
    let (status, body, _) = chat(&app, &listed, ask("hi")).await;
    assert_eq!((status, body["error"]["code"].as_str(), body["error"]["type"].as_str()), (StatusCode::FORBIDDEN, Some("model_not_allowed"), Some("permission_error")));
}

#[tokio::test]
async fn credit_and_rate_limits_refuse_later_requests() {
    let app = TestApp::new().await;
    let (_, secret) = relay_key(&app, json!({"credit_limit_usd": 0.0001})).await;
    let (status, _, _) = chat(&app, &secret, ask("the request that crosses the limit completes")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body, _) = chat(&app, &secret, ask("hi")).await;
    assert_eq!((status, body["error"]["code"].as_str(), body["error"]["type"].as_str()), (StatusCode::PAYMENT_REQUIRED, Some("insufficient_quota"), Some("insufficient_quota")));

    let (_, limited) = relay_key(&app, json!({"rate_limit_rpm": 2})).await;
    for _ in 0..2 {
        assert_eq!(chat(&app, &limited, ask("hi")).await.0, StatusCode::OK);
    }
    let (status, body, headers) = chat(&app, &limited, ask("hi")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited")));
    assert_eq!(headers[header::RETRY_AFTER], "30");
}
