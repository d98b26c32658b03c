//! The built-in offline provider (SPEC §3.5): `mock/echo` for chat, `mock/embed` for embeddings.
//! Deterministic: directives in the last user message (`MOCK_ERROR`, `MOCK_SLEEP`, `TOOLCALL`, `REPLY`)
//! drive the answer, judge and grounding prompts get canned verdicts, usage is `ceil(chars / 4)`, and
//! streams arrive in pieces of at most 8 characters.
//!
//! Must not read the clock except for `MOCK_SLEEP`, and never touches the network.

use std::time::Duration;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::upstream::{estimate_tokens, ChunkStream, Provider, UpstreamError};

/// System headers of Palisade's own advanced checks (§4.6).
pub const JUDGE_HEADER: &str = "Palisade guardrail judge v1.";
pub const GROUNDING_HEADER: &str = "Palisade grounding judge v1.";
/// Longest wait `MOCK_SLEEP` honours.
const MAX_SLEEP_MS: u64 = 30_000;
/// Largest content or arguments piece of one streamed chunk.
const PIECE: usize = 8;

/// The mock provider (stateless).
#[derive(Debug, Clone, Copy)]
pub struct MockProvider;

/// What the mock will answer, decided from the request.
#[derive(Debug, PartialEq)]
enum Answer {
    Error(u16),
    Text(String),
    ToolCalls(Vec<(String, String)>),
}

/// The text of a message's `content` (string, or the `text` parts of an array).
fn content_text(message: &Value) -> String {
    match message.get("content") {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter(|part| part.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|part| part.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

fn messages(body: &Value) -> &[Value] {
    body.get("messages").and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

fn prompt_chars_tokens(body: &Value) -> i64 {
    let text: String = messages(body).iter().map(content_text).collect::<Vec<_>>().join("");
    estimate_tokens(&text)
}

/// The number after `directive` in `text`, if present.
fn number_after(text: &str, directive: &str) -> Option<u64> {
    let at = text.find(directive)? + directive.len();
    let digits: String = text[at..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn decide(body: &Value) -> Answer {
    let all = messages(body);
    let system = all.iter().find(|m| m.get("role").and_then(Value::as_str) == Some("system")).map(content_text);
    let last_user = all.iter().rev().find(|m| m.get("role").and_then(Value::as_str) == Some("user")).map(content_text).unwrap_or_default();
    // Palisade's own judge prompts are recognised by their system header.
    if let Some(system) = system {
        if system.starts_with(JUDGE_HEADER) {
            let violation = last_user.contains("MOCK_VIOLATION");
            return Answer::Text(json!({"violation": violation, "reason": "mock"}).to_string());
        }
        if system.starts_with(GROUNDING_HEADER) {
            let score = if last_user.contains("MOCK_UNGROUNDED") { 0.0 } else { 1.0 };
            return Answer::Text(json!({"score": score}).to_string());
        }
    }
    if let Some(status) = number_after(&last_user, "MOCK_ERROR:") {
        return Answer::Error(u16::try_from(status).unwrap_or(500));
    }
    let calls: Vec<(String, String)> = last_user
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix("TOOLCALL:"))
        .map(|rest| match rest.split_once(':') {
            Some((name, args)) => (name.to_owned(), args.to_owned()),
            None => (rest.to_owned(), "{}".to_owned()),
        })
        .collect();
    if !calls.is_empty() {
        return Answer::ToolCalls(calls);
    }
    if let Some(at) = last_user.find("REPLY:") {
        return Answer::Text(last_user[at + "REPLY:".len()..].to_owned());
    }
    Answer::Text(format!("echo: {last_user}"))
}

async fn sleep_if_asked(body: &Value) {
    let last_user = messages(body).iter().rev().find(|m| m.get("role").and_then(Value::as_str) == Some("user")).map(content_text);
    if let Some(ms) = last_user.as_deref().and_then(|text| number_after(text, "MOCK_SLEEP:")) {
        tokio::time::sleep(Duration::from_millis(ms.min(MAX_SLEEP_MS))).await;
    }
}

fn usage(prompt: i64, completion: i64) -> Value {
    json!({"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion})
}

fn completion_tokens(answer: &Answer) -> i64 {
    match answer {
        Answer::Text(text) => estimate_tokens(text),
        Answer::ToolCalls(calls) => calls.iter().map(|(name, args)| estimate_tokens(name) + estimate_tokens(args)).sum(),
        Answer::Error(_) => 0,
    }
}

fn pieces(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(PIECE).map(|piece| piece.iter().collect()).collect()
}

fn chunk(model: &str, delta: Value, finish_reason: Option<&str>) -> Value {
    json!({"id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 0, "model": model,
           "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]})
}

#[async_trait::async_trait]
impl Provider for MockProvider {
    async fn chat(&self, model: &str, body: &Value) -> Result<Value, UpstreamError> {
        sleep_if_asked(body).await;
        let answer = decide(body);
        let (message, finish) = match &answer {
            Answer::Error(status) => return Err(UpstreamError::status(*status, "mock error")),
            Answer::Text(text) => (json!({"role": "assistant", "content": text}), "stop"),
            Answer::ToolCalls(calls) => {
                let tool_calls: Vec<Value> = calls
                    .iter()
                    .enumerate()
                    .map(|(i, (name, args))| json!({"id": format!("call_{}", i + 1), "type": "function", "function": {"name": name, "arguments": args}}))
                    .collect();
                (json!({"role": "assistant", "content": null, "tool_calls": tool_calls}), "tool_calls")
            }
        };
        Ok(json!({
            "id": "chatcmpl-mock", "object": "chat.completion", "created": 0, "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": usage(prompt_chars_tokens(body), completion_tokens(&answer)),
        }))
    }

    async fn chat_stream(&self, model: &str, body: &Value) -> Result<ChunkStream, UpstreamError> {
        sleep_if_asked(body).await;
        let answer = decide(body);
        let mut chunks = vec![chunk(model, json!({"role": "assistant", "content": ""}), None)];
        let finish = match &answer {
            Answer::Error(status) => return Err(UpstreamError::status(*status, "mock error")),
            Answer::Text(text) => {
                chunks.extend(pieces(text).into_iter().map(|piece| chunk(model, json!({"content": piece}), None)));
                "stop"
            }
            Answer::ToolCalls(calls) => {
                for (i, (name, args)) in calls.iter().enumerate() {
                    let head = json!({"tool_calls": [{"index": i, "id": format!("call_{}", i + 1), "type": "function", "function": {"name": name, "arguments": ""}}]});
                    chunks.push(chunk(model, head, None));
                    for piece in pieces(args) {
                        chunks.push(chunk(model, json!({"tool_calls": [{"index": i, "function": {"arguments": piece}}]}), None));
                    }
                }
                "tool_calls"
            }
        };
        chunks.push(chunk(model, json!({}), Some(finish)));
        let wants_usage = body.pointer("/stream_options/include_usage").and_then(Value::as_bool) == Some(true);
        if wants_usage {
            chunks.push(json!({"id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 0, "model": model, "choices": [],
                               "usage": usage(prompt_chars_tokens(body), completion_tokens(&answer))}));
        }
        Ok(Box::pin(futures::stream::iter(chunks.into_iter().map(Ok))))
    }

    async fn embeddings(&self, model: &str, body: &Value) -> Result<Value, UpstreamError> {
        let inputs: Vec<String> = match body.get("input") {
            Some(Value::String(text)) => vec![text.clone()],
            Some(Value::Array(items)) => items.iter().map(|item| item.as_str().map_or_else(|| item.to_string(), str::to_owned)).collect(),
            _ => Vec::new(),
        };
        let data: Vec<Value> = inputs
            .iter()
            .enumerate()
            .map(|(index, text)| json!({"object": "embedding", "index": index, "embedding": embed(text)}))
            .collect();
        let prompt: i64 = inputs.iter().map(|text| estimate_tokens(text)).sum();
        Ok(json!({"object": "list", "data": data, "model": model, "usage": {"prompt_tokens": prompt, "total_tokens": prompt}}))
    }
}

/// An 8-dimension vector in [-1, 1] from the first 8 bytes of SHA-256 of `text`.
pub fn embed(text: &str) -> Vec<f64> {
    Sha256::digest(text.as_bytes()).iter().take(8).map(|byte| f64::from(*byte) / 127.5 - 1.0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(text: &str) -> Value {
        json!({"messages": [{"role": "system", "content": "be nice"}, {"role": "user", "content": text}]})
    }

    #[test]
    fn directives_follow_the_table_order() {
        assert_eq!(decide(&body("hi")), Answer::Text("echo: hi".into()));
        assert_eq!(decide(&body("REPLY:exact text")), Answer::Text("exact text".into()));
        assert_eq!(decide(&body("MOCK_ERROR:503 REPLY:x")), Answer::Error(503));
        let calls = decide(&body("TOOLCALL:shell.exec:{\"cmd\":\"ls\"}\nTOOLCALL:b:{}\nREPLY:x"));
        assert_eq!(calls, Answer::ToolCalls(vec![("shell.exec".into(), "{\"cmd\":\"ls\"}".into()), ("b".into(), "{}".into())]));
        let judge = json!({"messages": [{"role": "system", "content": format!("{JUDGE_HEADER} rubric")}, {"role": "user", "content": "MOCK_VIOLATION"}]});
        let Answer::Text(verdict) = decide(&judge) else { panic!("judge answers text") };
        assert_eq!(serde_json::from_str::<Value>(&verdict).expect("json"), json!({"violation": true, "reason": "mock"}));
    }

    #[test]
    fn embeddings_are_deterministic_eight_dimension_vectors() {
        assert_eq!(embed("a").len(), 8);
        assert_eq!(embed("a"), embed("a"));
        assert_ne!(embed("a"), embed("b"));
        assert!(embed("x").iter().all(|v| (-1.0..=1.0).contains(v)));
    }
}
