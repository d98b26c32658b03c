//! The `external` guardrail check (SPEC §4.6): signed with `X-Palisade-Signature` when the rule has a secret,
//! and dialled only through the §5.11 SSRF guard.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::relay_chat::{ask, bind_guardrail, chat, relay_key};
use crate::support::TestApp;

const SECRET: &str = "hook-secret-123";

/// What the receiver saw: one entry per call, true when the signature verified.
type Seen = Arc<Mutex<Vec<bool>>>;

async fn receiver(State(seen): State<Seen>, headers: HeaderMap, body: Bytes) -> Json<Value> {
    let header = headers.get("x-palisade-signature").and_then(|value| value.to_str().ok()).unwrap_or("");
    let valid = server::auth::signature::verify(SECRET.as_bytes(), header, &body, chrono::Utc::now().timestamp()).is_ok();
    seen.lock().expect("lock").push(valid);
    let text = serde_json::from_slice::<Value>(&body).ok().and_then(|body| body["text"].as_str().map(str::to_owned)).unwrap_or_default();
    Json(json!({"violation": text.contains("forbidden"), "reason": "policy"}))
}

async fn start_receiver() -> (String, Seen) {
    let seen = Seen::default();
    let router = Router::new().route("/check", post(receiver)).with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router).await });
    (format!("http://127.0.0.1:{}/check", addr.port()), seen)
}

fn external_rule(url: &str, fail_open: bool) -> Value {
    json!([{"label": "house rules", "type": "external", "stage": "input", "action": "block",
            "config": {"url": url, "secret": SECRET, "fail_open": fail_open}}])
}

#[tokio::test]
async fn external_checks_are_signed_and_their_verdict_applies() {
    let app = TestApp::with_config(|config| config.security.allow_private_destinations = vec!["127.0.0.0/8".into()]).await;
    let (url, seen) = start_receiver().await;
    let (key_id, secret) = relay_key(&app, json!({})).await;
    bind_guardrail(&app, key_id, external_rule(&url, false), false).await;

    let (status, body, _) = chat(&app, &secret, ask("this is forbidden text")).await;
    assert_eq!((status.as_u16(), body["error"]["code"].as_str()), (400, Some("guardrail_blocked")), "{body}");
    let (status, body, _) = chat(&app, &secret, ask("this is fine")).await;
    assert_eq!(status.as_u16(), 200, "{body}");
    assert_eq!(*seen.lock().expect("lock"), vec![true, true], "both calls arrived with a valid signature");
}

#[tokio::test]
async fn the_dial_guard_refuses_a_loopback_external_check() {
    // No `allow_private_destinations`: 127.0.0.1 is refused before any connection is made.
    let app = TestApp::new().await;
    let (url, seen) = start_receiver().await;
    let (key_id, secret) = relay_key(&app, json!({})).await;
    bind_guardrail(&app, key_id, external_rule(&url, true), false).await;

    let (status, body, _) = chat(&app, &secret, ask("this is forbidden text")).await;
    assert_eq!(status.as_u16(), 200, "fail-open lets the request through: {body}");
    assert!(seen.lock().expect("lock").is_empty(), "the receiver was never called");
    app.services.flush_records().await;
    use sea_orm::EntityTrait;
    let matches = server::store::entity::guardrail_match::Entity::find().all(&app.services.db).await.expect("matches");
    let row = matches.iter().find(|row| row.rule_type == "external").expect("an error match row");
    assert!(row.error, "{row:?}");
    assert!(row.detail.contains("dial guard: 127.0.0.1 is a private or metadata address"), "{}", row.detail);
    assert!(row.detail.ends_with("(fail-open)"), "{}", row.detail);
}
