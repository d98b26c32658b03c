//! The OpenAI-compatible HTTP provider against a loopback upstream on 127.0.0.1:0 (JSON and SSE fixtures,
//! status mapping of §3.3), and the streaming property: however the upstream splits its deltas, a masked
//! entity never leaves Palisade.

use std::net::SocketAddr;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use proptest::prelude::*;
use serde_json::{json, Value};
use server::config::{ModelConfig, ProviderConfig};

use crate::relay_chat::{ask, bind_guardrail, chat, relay_key, stream, Sse};
use crate::support::TestApp;

/// What the fixture saw last: the Authorization header and the body.
type Seen = std::sync::Arc<std::sync::Mutex<Vec<(String, Value)>>>;

/// The fixture: `model` `boom` → 500, `bad` → 400; otherwise replies with the text after `SAY:` in the last
/// message, streamed in pieces cut at the comma-separated character offsets after `SPLITS:`.
async fn upstream(State(seen): State<Seen>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    seen.lock().expect("lock").push((auth, body.clone()));
    match body["model"].as_str() {
        Some("boom") => return (StatusCode::INTERNAL_SERVER_ERROR, "upstream exploded with secret details").into_response(),
        Some("bad") => return (StatusCode::BAD_REQUEST, Json(json!({"error": {"message": "bad"}}))).into_response(),
        _ => {}
    }
    let last = body["messages"].as_array().and_then(|m| m.last()).and_then(|m| m["content"].as_str()).unwrap_or_default().to_owned();
    let (directives, say) = last.split_once("SAY:").unwrap_or(("", last.as_str()));
    let splits: Vec<usize> = directives.trim().strip_prefix("SPLITS:").unwrap_or("").split(',').filter_map(|s| s.trim().parse().ok()).collect();
    if body["stream"] != json!(true) {
        return Json(json!({"id": "x", "object": "chat.completion", "created": 1, "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": say}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 7, "completion_tokens": 11, "total_tokens": 18}}))
        .into_response();
    }
    let chars: Vec<char> = say.chars().collect();
    let mut cuts: Vec<usize> = splits.into_iter().filter(|cut| *cut > 0 && *cut < chars.len()).collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut sse = String::from("data: {\"id\":\"x\",\"created\":1,\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"},\"finish_reason\":null}]}\n\n");
    let mut start = 0;
    for end in cuts.into_iter().chain([chars.len()]) {
        let piece: String = chars[start..end].iter().collect();
        sse.push_str(&format!("data: {}\n\n", json!({"id": "x", "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": null}]})));
        start = end;
    }
    sse.push_str("data: {\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
    sse.push_str("data: {\"id\":\"x\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":9}}\n\ndata: [DONE]\n\n");
    ([("content-type", "text/event-stream")], sse).into_response()
}

/// Starts the fixture on 127.0.0.1:0 and returns its address and what it saw.
async fn start_upstream() -> (SocketAddr, Seen) {
    let seen: Seen = Default::default();
    let router = Router::new().route("/v1/chat/completions", post(upstream)).with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router).await });
    (addr, seen)
}

fn provider(name: &str, base_url: String, models: &[&str]) -> ProviderConfig {
    ProviderConfig {
        name: name.into(),
        base_url,
        api_key: Some("up-secret".into()),
        enabled: true,
        models: models.iter().map(|id| ModelConfig { id: (*id).into(), input_usd_per_mtok: 1.0, output_usd_per_mtok: 2.0 }).collect(),
    }
}

async fn app_with_upstream() -> (TestApp, Seen) {
    let (addr, seen) = start_upstream().await;
    let app = TestApp::with_config(|config| {
        config.providers.push(provider("local", format!("http://{addr}/v1"), &["m1", "boom", "bad"]));
        // Nothing listens on port 1: a connect error, which maps to 504 (§3.3).
        config.providers.push(provider("dead", "http://127.0.0.1:1/v1".into(), &["m"]));
    })
    .await;
    (app, seen)
}

#[tokio::test]
async fn the_http_provider_forwards_json_and_maps_upstream_failures() {
    let (app, seen) = app_with_upstream().await;
    let (_, secret) = relay_key(&app, json!({})).await;
    let mut body = ask("SAY:hello from upstream");
    body["model"] = json!("local/m1");
    body["palisade_sources"] = json!(["kept out"]);
    body["temperature"] = json!(0.3);
    let (status, reply, _) = chat(&app, &secret, body).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["choices"][0]["message"]["content"], "hello from upstream");
    assert_eq!(reply["model"], "local/m1");
    let (auth, sent) = seen.lock().expect("lock").last().cloned().expect("upstream called");
    assert_eq!(auth, "Bearer up-secret");
    assert_eq!(sent["model"], "m1");
    assert_eq!(sent["temperature"], 0.3, "unknown fields pass through");
    assert!(sent.get("palisade_sources").is_none(), "the extension field is stripped");

    for (model, expected, code) in [("local/boom", StatusCode::BAD_GATEWAY, "upstream_error"), ("local/bad", StatusCode::BAD_REQUEST, "upstream_error"), ("dead/m", StatusCode::GATEWAY_TIMEOUT, "upstream_timeout")] {
        let mut body = ask("hi");
        body["model"] = json!(model);
        let (status, error, _) = chat(&app, &secret, body).await;
        assert_eq!((status, error["error"]["code"].as_str()), (expected, Some(code)), "{model}: {error}");
        assert!(!error.to_string().contains("secret details"), "upstream bodies stay in logs");
    }
}

#[tokio::test]
async fn the_http_provider_streams_and_palisade_asks_for_usage_but_drops_it() {
    let (app, seen) = app_with_upstream().await;
    let (_, secret) = relay_key(&app, json!({})).await;
    let mut body = ask("SPLITS:2,5 SAY:streamed words");
    body["model"] = json!("local/m1");
    let (status, sse) = stream(&app, &secret, body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sse.content(), "streamed words");
    assert!(sse.done && sse.chunks.iter().all(|c| c.get("usage").is_none()), "{}", sse.raw);
    let (_, sent) = seen.lock().expect("lock").last().cloned().expect("upstream called");
    assert_eq!(sent["stream_options"]["include_usage"], true);
}

fn sse_over(app: &TestApp, secret: &str, text: &str, splits: &[usize], rt: &tokio::runtime::Runtime) -> Sse {
    let cuts: Vec<String> = splits.iter().map(ToString::to_string).collect();
    let mut body = ask(&format!("SPLITS:{} SAY:{text}", cuts.join(",")));
    body["model"] = json!("local/m1");
    rt.block_on(stream(app, secret, body)).1
}

#[test]
fn random_chunk_boundaries_never_leak_a_masked_entity() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (app, secret) = rt.block_on(async {
        let (app, _) = app_with_upstream().await;
        let (key_id, secret) = relay_key(&app, json!({})).await;
        bind_guardrail(&app, key_id, json!([{"type": "pii", "config": {"entities": ["email", "github_token"]}, "stage": "output", "action": "mask"}]), false).await;
        (app, secret)
    });
    let token = format!("ghp_{}", "a1B2c3D4e5".repeat(4).get(..36).expect("36 chars"));
    let config = ProptestConfig { cases: 24, ..ProptestConfig::default() };
    proptest!(config, |(prefix in "[a-z ]{0,20}", middle in "[a-z \n]{0,12}", splits in proptest::collection::vec(1usize..90, 0..12))| {
        let text = format!("{prefix}mail jane.doe@acme.io then{middle} use {token} ok");
        let sse = sse_over(&app, &secret, &text, &splits, &rt);
        prop_assert!(!sse.raw.contains("jane.doe@acme.io") && !sse.raw.contains("jane.doe"), "{}", sse.raw);
        prop_assert!(!sse.raw.contains(&token[..20]), "{}", sse.raw);
        prop_assert_eq!(sse.content(), format!("{prefix}mail [EMAIL] then{middle} use [GITHUB_TOKEN] ok"));
        prop_assert!(sse.done);
    });
}
