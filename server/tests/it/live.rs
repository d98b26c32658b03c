//! The live cache of keys and settings (issue 5 performance): changes are enforced on the next request in this
//! process and, on PostgreSQL, pushed to other replicas through NOTIFY; rejected known keys leave request rows;
//! a graceful shutdown under load loses no request row.

use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use server::store::entity::request;

use crate::relay_chat::{ask, chat, relay_key};
use crate::support::{fresh_pg_url, TestApp};

async fn request_rows(app: &TestApp) -> Vec<request::Model> {
    app.services.flush_records().await;
    request::Entity::find().filter(request::Column::WorkspaceId.eq(1)).all(&app.services.db).await.expect("rows")
}

#[tokio::test]
async fn key_changes_apply_on_the_next_request_although_keys_are_cached() {
    let app = TestApp::new().await;
    let owner = app.login("owner@example.com").await;
    let (id, secret) = relay_key(&app, json!({})).await;
    assert_eq!(chat(&app, &secret, ask("hello")).await.0, StatusCode::OK);
    assert!(app.services.live.key(&server::auth::keys::hash_secret(&secret), Instant::now()).is_some(), "the key is cached");

    let (status, _, _) = app.send(Method::PATCH, &format!("/api/keys/{id}"), &owner, Some(json!({"status": "disabled"}))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body, _) = chat(&app, &secret, ask("hello")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_api_key")));

    let (_, other) = relay_key(&app, json!({})).await;
    assert_eq!(chat(&app, &other, ask("hello")).await.0, StatusCode::OK);
    let other_id = app.services.live.key(&server::auth::keys::hash_secret(&other), Instant::now()).expect("cached").id;
    let (status, rotated, _) = app.send(Method::POST, &format!("/api/keys/{other_id}/rotate"), &owner, None).await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    assert_eq!(chat(&app, &other, ask("hello")).await.0, StatusCode::UNAUTHORIZED, "the old secret stops at once");
    assert_eq!(chat(&app, rotated["secret"].as_str().expect("secret"), ask("hello")).await.0, StatusCode::OK);
}

#[tokio::test]
async fn credit_is_enforced_from_cached_spend() {
    let app = TestApp::new().await;
    // The mock price (100 $/Mtok) makes one small request cost a few hundred micro-dollars; a 1e-6 $ limit
    // is spent by the first request, and the second must see that without waiting for the database.
    let (_, secret) = relay_key(&app, json!({"credit_limit_usd": 0.000001})).await;
    assert_eq!(chat(&app, &secret, ask("hello")).await.0, StatusCode::OK);
    let (status, body, _) = chat(&app, &secret, ask("hello")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::PAYMENT_REQUIRED, Some("insufficient_quota")), "{body}");
}

#[tokio::test]
async fn rejected_known_keys_leave_request_rows() {
    let app = TestApp::new().await;
    let (_, limited) = relay_key(&app, json!({"rate_limit_rpm": 1})).await;
    assert_eq!(chat(&app, &limited, ask("one")).await.0, StatusCode::OK);
    let (status, _, headers) = chat(&app, &limited, ask("two")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let limited_id = headers["x-palisade-request-id"].to_str().expect("id").to_owned();

    let (_, fenced) = relay_key(&app, json!({"ip_allowlist": ["10.0.0.0/8"]})).await;
    let (status, _, headers) = chat(&app, &fenced, ask("hi")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let fenced_id = headers["x-palisade-request-id"].to_str().expect("id").to_owned();

    let (_, embed_only) = relay_key(&app, json!({"scopes": ["embeddings"]})).await;
    let (status, _, headers) = chat(&app, &embed_only, ask("hi")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let scoped_id = headers["x-palisade-request-id"].to_str().expect("id").to_owned();

    // An unknown key belongs to no workspace: answered, not recorded.
    assert_eq!(chat(&app, "sk-pal-00000000000000000000000000000000", ask("hi")).await.0, StatusCode::UNAUTHORIZED);

    let rows = request_rows(&app).await;
    let row = |id: &str| rows.iter().find(|row| row.request_id == id).unwrap_or_else(|| panic!("no row for {id}"));
    assert_eq!((row(&limited_id).status, row(&limited_id).error_code.as_deref()), (429, Some("rate_limited")));
    assert_eq!((row(&fenced_id).status, row(&fenced_id).error_code.as_deref()), (403, Some("access_denied")));
    assert_eq!(row(&scoped_id).status, 403);
    assert_eq!(row(&scoped_id).route, "chat.completions");
    assert_eq!(rows.len(), 4, "three rejections and one success; the unknown key wrote nothing");
}

/// Two replicas on one PostgreSQL database: a change made through one reaches the other's cache through
/// NOTIFY. The cache is read with the instant it was filled, so only an invalidation (never age) can
/// empty it: the test cannot pass by waiting out `MAX_AGE`.
#[tokio::test]
async fn a_change_on_one_replica_reaches_the_other_through_notify() {
    let Some(url) = fresh_pg_url().await else {
        eprintln!("PALISADE_TEST_PG_URL not set: skipping the two-replica test");
        return;
    };
    let first = TestApp::on(url.clone(), tempfile::tempdir().expect("dir")).await;
    let second = TestApp::on(url, tempfile::tempdir().expect("dir")).await;
    let (id, secret) = relay_key(&first, json!({})).await;
    let hash = server::auth::keys::hash_secret(&secret);

    let filled = Instant::now();
    assert_eq!(chat(&second, &secret, ask("warm")).await.0, StatusCode::OK);
    assert!(second.services.live.key(&hash, filled).is_some(), "the second replica cached the key");
    assert!(second.services.live.settings(1, filled).is_some(), "and the workspace settings");

    let owner = first.login("owner@example.com").await;
    let (status, _, _) = first.send(Method::PATCH, &format!("/api/keys/{id}"), &owner, Some(json!({"status": "disabled"}))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(eventually(|| second.services.live.key(&hash, filled).is_none()).await, "key change not pushed");

    let (status, _, _) = first.send(Method::PATCH, "/api/workspace/settings", &owner, Some(json!({"observe_mode": true}))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(eventually(|| second.services.live.settings(1, filled).is_none()).await, "posture change not pushed");
    let (status, body, _) = chat(&second, &secret, ask("after")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
}

async fn eventually(check: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

/// Stop the real server while requests are in flight: every request that got an answer has its row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_lost_when_the_server_stops_under_load() {
    let app = TestApp::new().await;
    let (_, secret) = relay_key(&app, json!({})).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let config = (*app.services.config).clone();
    let server = tokio::spawn(server::startup::serve_until(
        listener,
        app.services.clone(),
        server::startup::leptos_options(&config),
        async move {
            let _ = stopped.await;
        },
    ));

    let client = reqwest::Client::new();
    let url = format!("http://{addr}/v1/chat/completions");
    let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut calls = tokio::task::JoinSet::new();
    for index in 0..300 {
        let (client, url, secret, done) = (client.clone(), url.clone(), secret.clone(), done.clone());
        calls.spawn(async move {
            // The mock's MOCK_SLEEP directive keeps requests in flight while the stop arrives.
            let body = json!({"model": "mock/echo", "messages": [{"role": "user", "content": format!("MOCK_SLEEP:{}\nn{index}", index % 50)}]});
            let response = client.post(&url).bearer_auth(&secret).json(&body).send().await.ok()?;
            let id = response.headers().get("x-palisade-request-id")?.to_str().ok()?.to_owned();
            let status = response.status();
            response.bytes().await.ok()?;
            done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Some((id, status))
        });
    }
    // Stop once a third has been answered: the rest are queued or sleeping inside the mock.
    assert!(eventually(|| done.load(std::sync::atomic::Ordering::SeqCst) >= 100).await, "the server answers");
    stop.send(()).expect("server running");
    let mut answered = Vec::new();
    while let Some(result) = calls.join_next().await {
        if let Some(call) = result.expect("task") {
            answered.push(call);
        }
    }
    server.await.expect("join").expect("serve");
    assert!(answered.len() >= 100, "{} answered", answered.len());

    // `serve_until` returned, so the recorder is drained: read without flushing.
    let rows = request::Entity::find().all(&app.services.db).await.expect("rows");
    for (id, status) in &answered {
        let row = rows.iter().find(|row| &row.request_id == id).unwrap_or_else(|| panic!("request {id} ({status}) has no row"));
        assert_eq!(row.status, i64::from(status.as_u16()));
    }
}
