//! Approvals end to end (SPEC §5.10) over the relay and the mock provider: a hold is a 400 with its approval,
//! identical retries reuse it, a console or signed-callback decision releases exactly one retry, rejection
//! denies, polls are scoped to the right keys, overdue approvals expire, and webhooks go out signed through
//! the dial guard.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode};
use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use server::auth::signature;
use server::domain::Role;
use server::store::entity::{approval, workspace};

use crate::relay_chat::{ask, bind_policy, post_raw, relay_key, rows};
use crate::support::{Caller, TestApp, PUBLIC_URL};

const REASON: &str = "hold prod db writes";
const WRITE: &str = "TOOLCALL:db.write:{\"table\":\"users\",\"op\":\"drop\"}";

/// A relay key bound to a policy that holds `db.write` (everything else allowed); returns (key id, secret).
async fn held_key(app: &TestApp) -> (i64, String) {
    let (key_id, secret) = relay_key(app, json!({})).await;
    let rules = json!([{"priority": 10, "label": REASON, "tool_name_glob": "db.write", "verdict": "pending_approval"}]);
    bind_policy(app, key_id, "allow", rules).await;
    (key_id, secret)
}

/// Sends `text` as a chat with optional `X-Palisade-Approval`; returns status, body and the request id.
async fn call(app: &TestApp, secret: &str, text: &str, approval: Option<&str>) -> (StatusCode, Value, String) {
    let headers: Vec<(&str, &str)> = approval.map(|ids| ("x-palisade-approval", ids)).into_iter().collect();
    let (status, headers, body) = post_raw(app, "/v1/chat/completions", secret, ask(text).to_string(), &headers).await;
    let request_id = headers.get("x-palisade-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (status, serde_json::from_str(&body).unwrap_or(Value::Null), request_id)
}

/// Holds `text` and returns the approval id from the 400.
async fn hold(app: &TestApp, secret: &str, text: &str) -> String {
    let (status, body, _) = call(app, secret, text, None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("firewall_approval_pending")), "{body}");
    body["error"]["details"]["approval_ids"][0].as_str().expect("approval id").to_owned()
}

async fn approval_row(app: &TestApp, id: &str) -> Value {
    let owner = app.login("owner@example.com").await;
    let (status, body, _) = app.send(Method::GET, &format!("/api/workspace/firewall/approvals/{id}"), &owner, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn decide(app: &TestApp, caller: &Caller, id: &str, verb: &str, note: Option<&str>) -> (StatusCode, Value) {
    let body = note.map(|note| json!({"note": note}));
    let (status, body, _) = app.send(Method::POST, &format!("/api/workspace/firewall/approvals/{id}/{verb}"), caller, body).await;
    (status, body)
}

fn is_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[tokio::test]
async fn a_hold_becomes_an_approval_that_a_console_decision_releases_exactly_once() {
    let app = TestApp::new().await;
    let (_, secret) = held_key(&app).await;
    let (status, body, hold_request) = call(&app, &secret, WRITE, None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("firewall_approval_pending")), "{body}");
    let id = body["error"]["details"]["approval_ids"][0].as_str().expect("approval id").to_owned();
    assert!(is_hex(&id, 24), "{id}");
    assert_eq!(body["error"]["details"]["approval_ids"], json!([id]));
    assert_eq!(
        body["error"]["message"],
        format!("tool \"db.write\" held for approval: {REASON}; approval {id}; retry with header X-Palisade-Approval: {id} once approved")
    );
    // Committed before the 400 went out: readable at once, without flushing the recorder.
    let row = approval_row(&app, &id).await;
    assert_eq!((row["state"].as_str(), row["tool_name"].as_str(), row["surface"].as_str()), (Some("pending"), Some("db.write"), Some("response")));
    assert_eq!((row["reason"].as_str(), row["rule_label"].as_str(), row["request_id"].as_str()), (Some(REASON), Some(REASON), Some(hold_request.as_str())));
    assert!(is_hex(row["args_hash"].as_str().expect("hash"), 64));
    assert!(row["args_summary"].as_str().expect("summary").contains("users"));

    // Identical arguments reuse the pending approval (with or without presenting it); different ones get their own.
    assert_eq!(hold(&app, &secret, WRITE).await, id);
    let (status, body, _) = call(&app, &secret, WRITE, Some(&id)).await;
    assert_eq!((status, body["error"]["details"]["approval_ids"][0].as_str()), (StatusCode::BAD_REQUEST, Some(id.as_str())), "still pending: {body}");
    let other = hold(&app, &secret, "TOOLCALL:db.write:{\"table\":\"orders\"}").await;
    assert_ne!(other, id);
    assert_eq!(rows(&app, "/api/workspace/firewall/approvals").await.len(), 2);

    let developer = app.as_role(Role::Developer).await;
    let (status, approved) = decide(&app, &developer, &id, "approve", Some("ok for the migration")).await;
    assert_eq!((status, approved["state"].as_str(), approved["decided_via"].as_str()), (StatusCode::OK, Some("approved"), Some("console")), "{approved}");
    assert_eq!(approved["decision_note"], "ok for the migration");
    let (status, again) = decide(&app, &developer, &id, "reject", None).await;
    assert_eq!((status, again["error"]["code"].as_str(), again["error"]["details"]["state"].as_str()), (StatusCode::CONFLICT, Some("approval_not_pending"), Some("approved")));

    // The approved id does not release other arguments.
    let (status, _, _) = call(&app, &secret, "TOOLCALL:db.write:{\"table\":\"orders\"}", Some(&id)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body, retry_request) = call(&app, &secret, WRITE, Some(&id)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["choices"][0]["message"]["tool_calls"][0]["function"]["name"], "db.write");
    let consumed = approval_row(&app, &id).await;
    assert_eq!((consumed["state"].as_str(), consumed["consumed_request_id"].as_str()), (Some("consumed"), Some(retry_request.as_str())));

    // Single use: the same id again is a fresh hold.
    let (status, body, _) = call(&app, &secret, WRITE, Some(&id)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let fresh = body["error"]["details"]["approval_ids"][0].as_str().expect("id");
    assert!(fresh != id && fresh != other, "{fresh}");

    let allowed = rows(&app, "/api/workspace/firewall/events?verdict=allow").await;
    assert_eq!(allowed.len(), 1, "{allowed:?}");
    assert_eq!(allowed[0]["approval_id"], id);
    let trail = server::store::audit::recent(&app.services.db, app.workspace_id(), 50).await.expect("audit");
    let audit = trail.iter().find(|a| a.verb == "firewall_approval_approved").expect("audit row");
    assert_eq!((audit.target_type.as_str(), audit.target_id.as_str()), ("approval", id.as_str()));
    assert_eq!(allowed[0]["reason"], format!("approved by {} (approval {id})", audit.actor_label));
    let held = rows(&app, "/api/workspace/firewall/events?verdict=pending_approval").await;
    assert!(held.iter().any(|e| e["approval_id"] == id) && held.iter().all(|e| e["approval_id"].is_string()));
}

#[tokio::test]
async fn a_rejected_approval_denies_the_retry_and_cannot_be_decided_again() {
    let app = TestApp::new().await;
    let (_, secret) = held_key(&app).await;
    let id = hold(&app, &secret, WRITE).await;
    let member = app.as_role(Role::Member).await;
    assert_eq!(decide(&app, &member, &id, "reject", None).await.0, StatusCode::FORBIDDEN);
    let owner = app.as_role(Role::Owner).await;
    let (status, rejected) = decide(&app, &owner, &id, "reject", Some("no")).await;
    assert_eq!((status, rejected["state"].as_str()), (StatusCode::OK, Some("rejected")), "{rejected}");
    let (status, body) = decide(&app, &owner, &id, "approve", None).await;
    assert_eq!((status, body["error"]["details"]["state"].as_str()), (StatusCode::CONFLICT, Some("rejected")));
    let (status, body) = decide(&app, &owner, &id, "approve", Some(&"x".repeat(513))).await;
    assert_eq!((status, body["error"]["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("note")));
    let (status, body, _) = call(&app, &secret, WRITE, Some(&id)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("firewall_blocked")), "{body}");
    let denied = rows(&app, "/api/workspace/firewall/events?verdict=deny").await;
    assert_eq!((denied.len(), denied[0]["approval_id"].as_str()), (1, Some(id.as_str())));
    assert!(rows(&app, "/api/workspace/firewall/approvals?state=rejected").await.iter().any(|a| a["id"] == id));
    let (status, body, _) = call(&app, &secret, WRITE, Some("not-an-id")).await;
    assert_eq!((status, body["error"]["param"].as_str()), (StatusCode::BAD_REQUEST, Some("x-palisade-approval")));
}

#[tokio::test]
async fn a_streamed_hold_ends_in_an_error_event_naming_the_approval() {
    let app = TestApp::new().await;
    let (_, secret) = held_key(&app).await;
    let (status, sse) = crate::relay_chat::stream(&app, &secret, ask(WRITE)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sse.errors.len(), 1, "{}", sse.raw);
    let error = &sse.errors[0]["error"];
    assert_eq!(error["code"], "firewall_approval_pending");
    let id = error["details"]["approval_ids"][0].as_str().expect("approval id");
    assert!(error["message"].as_str().expect("message").ends_with(&format!("X-Palisade-Approval: {id} once approved")));
    assert!(!sse.raw.contains("\"op\""), "a held call is never released: {}", sse.raw);
    assert_eq!(approval_row(&app, id).await["state"], "pending");
    // The same arguments, non-streamed, reuse it.
    assert_eq!(hold(&app, &secret, WRITE).await, id);
}

/// POSTs a decision callback signed with `secret` at `timestamp`.
async fn callback(app: &TestApp, id: &str, body: &Value, secret: &str, timestamp: i64) -> (StatusCode, Value) {
    let raw = body.to_string();
    let request = axum::http::Request::builder()
        .method(Method::POST)
        .uri(format!("/api/v1/firewall/approvals/{id}/decision"))
        .header("content-type", "application/json")
        .header("x-palisade-signature", signature::sign(secret.as_bytes(), timestamp, raw.as_bytes()))
        .body(axum::body::Body::from(raw))
        .expect("request");
    let (status, body, _) = app.raw(request).await;
    (status, body)
}

async fn set_webhook_secret(app: &TestApp, secret: &str) {
    let owner = app.login("owner@example.com").await;
    let (status, body, _) = app.send(Method::PATCH, "/api/workspace/settings", &owner, Some(json!({"approval_webhook_secret": secret}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn the_signed_callback_decides_and_bad_or_stale_signatures_are_refused() {
    let app = TestApp::new().await;
    let (_, secret) = held_key(&app).await;
    let id = hold(&app, &secret, WRITE).await;
    let now = Utc::now().timestamp();
    let decision = json!({"decision": "approve", "note": "paged on-call", "actor": "ops-bot"});
    // No secret configured yet: nothing can verify.
    assert_eq!(callback(&app, &id, &decision, "whsec", now).await.0, StatusCode::UNAUTHORIZED);
    set_webhook_secret(&app, "whsec").await;
    let (status, body) = callback(&app, &id, &decision, "wrong", now).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_signature")), "{body}");
    let (status, body) = callback(&app, &id, &decision, "whsec", now - 301).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_signature")), "stale: {body}");
    let unsigned = axum::http::Request::builder()
        .method(Method::POST)
        .uri(format!("/api/v1/firewall/approvals/{id}/decision"))
        .body(axum::body::Body::from(decision.to_string()))
        .expect("request");
    assert_eq!(app.raw(unsigned).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(approval_row(&app, &id).await["state"], "pending", "refused callbacks change nothing");
    let (status, body) = callback(&app, &id, &json!({"decision": "maybe"}), "whsec", now).await;
    assert_eq!((status, body["error"]["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("decision")));
    assert_eq!(callback(&app, "0123456789abcdef01234567", &decision, "whsec", now).await.0, StatusCode::NOT_FOUND);

    let (status, body) = callback(&app, &id, &decision, "whsec", now).await;
    assert_eq!((status, body["state"].as_str(), body["decided_via"].as_str()), (StatusCode::OK, Some("approved"), Some("webhook")), "{body}");
    let (status, body) = callback(&app, &id, &json!({"decision": "reject"}), "whsec", now).await;
    assert_eq!((status, body["error"]["code"].as_str(), body["error"]["details"]["state"].as_str()), (StatusCode::CONFLICT, Some("approval_not_pending"), Some("approved")));
    let audit = server::store::audit::recent(&app.services.db, app.workspace_id(), 50).await.expect("audit");
    let row = audit.iter().find(|a| a.verb == "firewall_approval_approved").expect("audit row");
    assert_eq!((row.actor_label.as_str(), row.actor_type.as_str(), row.actor_user_id), ("webhook:ops-bot", "webhook", None));
    let (status, _, _) = call(&app, &secret, WRITE, Some(&id)).await;
    assert_eq!(status, StatusCode::OK);
    let allowed = rows(&app, "/api/workspace/firewall/events?verdict=allow").await;
    assert_eq!(allowed[0]["reason"], format!("approved by webhook:ops-bot (approval {id})"));
}

#[tokio::test]
async fn polls_answer_the_creating_relay_key_and_gateway_keys_with_the_approvals_scope() {
    let app = TestApp::new().await;
    let (_, secret) = held_key(&app).await;
    let id = hold(&app, &secret, WRITE).await;
    let path = format!("/api/v1/firewall/approvals/{id}");
    let (status, body, _) = app.send(Method::GET, &path, &Caller::Bearer(secret.clone()), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let keys: Vec<&str> = body.as_object().expect("object").keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 6, "{body}");
    assert_eq!((body["id"].as_str(), body["state"].as_str(), body["tool_name"].as_str()), (Some(id.as_str()), Some("pending"), Some("db.write")));
    assert!(body["decided_at"].is_null() && body["expires_at"].is_string() && is_hex(body["args_hash"].as_str().expect("hash"), 64));

    let (_, other_relay) = relay_key(&app, json!({})).await;
    let (status, body, _) = app.send(Method::GET, &path, &Caller::Bearer(other_relay.clone()), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "another relay key's approval");
    let (_, gateway) = app.key("gateway").await;
    assert_eq!(app.send(Method::GET, &path, &Caller::Bearer(gateway.clone()), None).await.0, StatusCode::OK);
    let owner = app.login("owner@example.com").await;
    let (status, scoped, _) =
        app.send(Method::POST, "/api/keys", &owner, Some(json!({"name": "evaluate-only", "kind": "gateway", "scopes": ["evaluate"]}))).await;
    assert_eq!(status, StatusCode::CREATED, "{scoped}");
    let scoped = scoped["secret"].as_str().expect("secret").to_owned();
    assert_eq!(app.send(Method::GET, &path, &Caller::Bearer(scoped), None).await.0, StatusCode::FORBIDDEN, "no `approvals` scope");
    assert_eq!(app.send(Method::GET, &path, &owner, None).await.0, StatusCode::UNAUTHORIZED, "sessions are ignored on /api/v1");
    assert_eq!(app.send(Method::POST, "/api/v1/firewall/evaluate", &Caller::Bearer(secret.clone()), Some(json!({}))).await.0, StatusCode::FORBIDDEN);
    let unknown = "/api/v1/firewall/approvals/0123456789abcdef01234567";
    assert_eq!(app.send(Method::GET, unknown, &Caller::Bearer(gateway.clone()), None).await.0, StatusCode::NOT_FOUND);

    // Moved to another workspace, the approval is invisible to this workspace's keys.
    let elsewhere = server::store::workspaces::insert(&app.services.db, "elsewhere", Utc::now()).await.expect("workspace");
    approval::Entity::update_many()
        .col_expr(approval::Column::WorkspaceId, Expr::value(elsewhere.id))
        .filter(approval::Column::ApprovalId.eq(id.clone()))
        .exec(&app.services.db)
        .await
        .expect("move");
    assert_eq!(app.send(Method::GET, &path, &Caller::Bearer(gateway), None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.send(Method::GET, &path, &Caller::Bearer(secret), None).await.0, StatusCode::NOT_FOUND);
}

async fn backdate(app: &TestApp, id: &str) {
    approval::Entity::update_many()
        .col_expr(approval::Column::ExpiresAt, Expr::value(Utc::now() - Duration::seconds(1)))
        .filter(approval::Column::ApprovalId.eq(id))
        .exec(&app.services.db)
        .await
        .expect("backdate");
}

#[tokio::test]
async fn overdue_approvals_expire_on_read_and_by_the_sweeper() {
    let app = TestApp::new().await;
    let (_, secret) = held_key(&app).await;
    let pending = hold(&app, &secret, WRITE).await;
    backdate(&app, &pending).await;
    let owner = app.as_role(Role::Owner).await;
    let (status, body) = decide(&app, &owner, &pending, "approve", None).await;
    assert_eq!((status, body["error"]["details"]["state"].as_str()), (StatusCode::CONFLICT, Some("expired")), "{body}");
    assert!(rows(&app, "/api/workspace/firewall/approvals").await.is_empty(), "nothing pending any more");
    assert_eq!(rows(&app, "/api/workspace/firewall/approvals?state=expired").await[0]["id"], pending);

    // An approved but unused approval expires too, and then no longer releases the call.
    let approved = hold(&app, &secret, WRITE).await;
    assert_ne!(approved, pending, "an expired approval is not reused");
    assert_eq!(decide(&app, &owner, &approved, "approve", None).await.0, StatusCode::OK);
    backdate(&app, &approved).await;
    assert_eq!(app.services.expire_approvals(Utc::now()).await.expect("sweep"), 1);
    let row = approval::Entity::find().filter(approval::Column::ApprovalId.eq(approved.clone())).one(&app.services.db).await.expect("q").expect("row");
    assert_eq!(row.state, "expired");
    let (status, _, _) = call(&app, &secret, WRITE, Some(&approved)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an expired approval releases nothing");
    let (status, body, _) = app.send(Method::GET, "/api/workspace/firewall/approvals?state=bogus", &owner, None).await;
    assert_eq!((status, body["error"]["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("state")));
}

#[tokio::test]
async fn the_pending_queue_is_oldest_first_and_pages_with_a_cursor() {
    let app = TestApp::new().await;
    let (key_id, secret) = held_key(&app).await;
    let mut ids = Vec::new();
    for table in ["a", "b", "c"] {
        ids.push(hold(&app, &secret, &format!("TOOLCALL:db.write:{{\"table\":\"{table}\"}}")).await);
    }
    let owner = app.as_role(Role::Owner).await;
    let (_, first, _) = app.send(Method::GET, "/api/workspace/firewall/approvals?limit=2", &owner, None).await;
    let cursor = first["next_cursor"].as_str().expect("cursor");
    let (_, second, _) = app.send(Method::GET, &format!("/api/workspace/firewall/approvals?limit=2&cursor={cursor}"), &owner, None).await;
    let listed: Vec<String> = first["data"]
        .as_array()
        .into_iter()
        .chain(second["data"].as_array())
        .flatten()
        .map(|row| row["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(listed, ids, "pending approvals are a queue: oldest first");
    assert!(second["next_cursor"].is_null());
    assert_eq!(rows(&app, &format!("/api/workspace/firewall/approvals?key_id={key_id}&tool_name=db.write")).await.len(), 3);
    assert!(rows(&app, "/api/workspace/firewall/approvals?tool_name=fs.read").await.is_empty());
}

/// A loopback webhook receiver: records every request; answers 500 to the first `fail_first` of them.
#[derive(Clone, Default)]
struct Receiver {
    seen: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
    fail_first: usize,
}

async fn receive(axum::extract::State(receiver): axum::extract::State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let mut seen = receiver.seen.lock().expect("lock");
    seen.push((headers, body));
    if seen.len() <= receiver.fail_first {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    }
}

/// Starts a receiver on 127.0.0.1 and returns its URL.
async fn start_receiver(receiver: Receiver) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let router = axum::Router::new().route("/hook", axum::routing::post(receive)).with_state(receiver);
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
    url
}

/// Points the workspace webhook at `url` directly: the settings API refuses loopback URLs at save time,
/// and the dial guard is what these tests exercise.
async fn set_webhook_url(app: &TestApp, url: &str) {
    workspace::Entity::update_many()
        .col_expr(workspace::Column::ApprovalWebhookUrl, Expr::value(url))
        .filter(workspace::Column::Id.eq(app.workspace_id()))
        .exec(&app.services.db)
        .await
        .expect("set url");
}

async fn wait_for(receiver: &Receiver, count: usize, seconds: u64) -> Vec<(HeaderMap, Bytes)> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(seconds);
    loop {
        let seen = receiver.seen.lock().expect("lock").clone();
        if seen.len() >= count || tokio::time::Instant::now() > deadline {
            return seen;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn webhooks_are_signed_retried_on_5xx_and_sent_only_where_the_dial_guard_allows() {
    let app = TestApp::with_config(|config| config.security.allow_private_destinations = vec!["127.0.0.1/32".into()]).await;
    let receiver = Receiver { fail_first: 1, ..Default::default() };
    set_webhook_url(&app, &start_receiver(receiver.clone()).await).await;
    set_webhook_secret(&app, "whsec").await;
    let (_, secret) = held_key(&app).await;
    let id = hold(&app, &secret, WRITE).await;
    // The first delivery gets a 500; the retry one second later succeeds.
    let seen = wait_for(&receiver, 2, 10).await;
    assert_eq!(seen.len(), 2, "one failure, one retry");
    let (headers, body) = &seen[1];
    assert_eq!(headers["x-palisade-event"], "firewall.approval.pending");
    assert_eq!(headers["content-type"], "application/json");
    let signed = headers["x-palisade-signature"].to_str().expect("ascii");
    assert_eq!(signature::verify(b"whsec", signed, body, Utc::now().timestamp()), Ok(()));
    assert!(signature::verify(b"other", signed, body, Utc::now().timestamp()).is_err());
    let payload: Value = serde_json::from_slice(body).expect("json");
    assert_eq!((payload["event"].as_str(), payload["workspace_id"].as_i64()), (Some("firewall.approval.pending"), Some(app.workspace_id())));
    assert!(payload["occurred_at"].as_str().is_some_and(|at| chrono::DateTime::parse_from_rfc3339(at).is_ok()));
    let data = &payload["data"];
    assert_eq!((data["approval_id"].as_str(), data["tool_name"].as_str(), data["surface"].as_str()), (Some(id.as_str()), Some("db.write"), Some("response")));
    assert_eq!((data["reason"].as_str(), data["rule_label"].as_str()), (Some(REASON), Some(REASON)));
    assert_eq!(data["decision_url"], format!("{PUBLIC_URL}/api/v1/firewall/approvals/{id}/decision"));
    for field in ["args_hash", "policy_id", "rule_id", "request_id", "run_id", "conversation_id", "expires_at"] {
        assert!(data.get(field).is_some(), "data.{field} missing: {data}");
    }

    let owner = app.as_role(Role::Owner).await;
    assert_eq!(decide(&app, &owner, &id, "approve", None).await.0, StatusCode::OK);
    let seen = wait_for(&receiver, 3, 10).await;
    let (headers, body) = &seen[2];
    assert_eq!(headers["x-palisade-event"], "firewall.approval.decided");
    let payload: Value = serde_json::from_slice(body).expect("json");
    assert_eq!(payload["data"], json!({"approval_id": id, "state": "approved", "decided_via": "console"}));
}

#[tokio::test]
async fn without_the_allow_list_the_dial_guard_refuses_a_loopback_webhook() {
    let app = TestApp::new().await;
    let receiver = Receiver::default();
    let url = start_receiver(receiver.clone()).await;
    set_webhook_url(&app, &url).await;
    let (_, secret) = held_key(&app).await;
    hold(&app, &secret, WRITE).await;
    let delivered = server::service::approvals::deliver(&app.services.dial_guard, &url, Some("s"), "firewall.approval.pending", b"{}".to_vec()).await;
    assert!(!delivered, "the guard refuses 127.0.0.1");
    assert!(wait_for(&receiver, 1, 2).await.is_empty(), "nothing reached the receiver");
}
