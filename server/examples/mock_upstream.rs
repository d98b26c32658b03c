//! A fast loopback OpenAI-compatible upstream for the load benchmark (`end2end/bench/run.sh`): answers
//! `POST /v1/chat/completions` (JSON, or SSE when `"stream": true`), `POST /v1/embeddings` and
//! `GET /v1/models` with fixed, small bodies and no work, so that a benchmark through Palisade measures the
//! gateway and not the upstream.
//!
//! Must not sleep, log per request, or read anything but the body: any cost here is counted in the "direct"
//! baseline too, and would hide the gateway's overhead. Not part of the product; never used by tests.
//!
//! `cargo build --release --example mock_upstream -p server && target/release/examples/mock_upstream 127.0.0.1:3911`

use axum::body::Bytes;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

/// One fixed completion; the model name is echoed so SDKs see what they asked for.
fn completion(model: &str) -> Value {
    json!({
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": "Hello from the benchmark upstream."},
            "finish_reason": "stop"
        }],
        "usage": {"prompt_tokens": 12, "completion_tokens": 8, "total_tokens": 20}
    })
}

fn stream(model: &str) -> Response {
    let mut text = String::new();
    for (index, piece) in ["Hello ", "from the ", "benchmark ", "upstream."].iter().enumerate() {
        let chunk = json!({
            "id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": model,
            "choices": [{"index": 0, "delta": if index == 0 { json!({"role": "assistant", "content": piece}) } else { json!({"content": piece}) }, "finish_reason": null}]
        });
        text.push_str(&format!("data: {chunk}\n\n"));
    }
    let last = json!({
        "id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": model,
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 8, "total_tokens": 20}
    });
    text.push_str(&format!("data: {last}\n\ndata: [DONE]\n\n"));
    ([(header::CONTENT_TYPE, "text/event-stream")], text).into_response()
}

async fn chat(body: Bytes) -> Response {
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, axum::Json(json!({"error": {"message": "invalid JSON", "type": "invalid_request_error", "code": null}}))).into_response();
    };
    let model = request.get("model").and_then(Value::as_str).unwrap_or("fast");
    if request.get("stream").and_then(Value::as_bool) == Some(true) {
        return stream(model);
    }
    axum::Json(completion(model)).into_response()
}

async fn embeddings(body: Bytes) -> Response {
    let model = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|request| request.get("model").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| "embed".into());
    axum::Json(json!({
        "object": "list",
        "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2, 0.3, 0.4]}],
        "model": model,
        "usage": {"prompt_tokens": 4, "total_tokens": 4}
    }))
    .into_response()
}

async fn models() -> Response {
    axum::Json(json!({"object": "list", "data": [{"id": "fast", "object": "model", "created": 0, "owned_by": "bench"}]}))
        .into_response()
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listen = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:3911".into());
    let app = Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/v1/embeddings", post(embeddings))
        .route("/v1/models", get(models));
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    eprintln!("mock upstream listening on {listen}");
    axum::serve(listener, app).await
}
