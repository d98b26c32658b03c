//! OpenAI request bodies and Palisade's request headers as the relay accepts them (SPEC §3.2, §3.3), turned
//! into the service's inputs. Validation errors name the offending field as the envelope's `param`.
//!
//! Bodies stay JSON values: unrecognised OpenAI fields are forwarded untouched (§3.3).

use axum::body::{Body, Bytes};
use axum::http::HeaderMap;
use serde_json::Value;

use crate::service::relay::{ChatInput, EmbeddingsInput, Lineage, RelayError};
use crate::service::{FieldError, ServiceError};

/// Roles a chat message may have.
const ROLES: &[&str] = &["system", "developer", "user", "assistant", "tool"];

/// Stage 5a: reads the body, refusing more than `limit` bytes with `PayloadTooLarge`.
pub async fn read_body(body: Body, limit: usize) -> Result<Bytes, RelayError> {
    axum::body::to_bytes(body, limit).await.map_err(|_| RelayError::PayloadTooLarge { limit })
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> RelayError {
    RelayError::Service(ServiceError::from(FieldError::new(field, message)))
}

fn parse_object(bytes: &[u8]) -> Result<serde_json::Map<String, Value>, RelayError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(invalid("body", "must be a JSON object")),
        Err(err) => Err(invalid("body", format!("is not valid JSON ({err})"))),
    }
}

fn model_of(map: &serde_json::Map<String, Value>) -> Result<String, RelayError> {
    match map.get("model").and_then(Value::as_str) {
        Some(model) if model.contains('/') => Ok(model.to_owned()),
        _ => Err(invalid("model", "is required and must be a `provider/model` string")),
    }
}

/// Tool names: 1–128 characters, no whitespace or control characters (§3.3).
fn tool_name(field: String, value: Option<&Value>) -> Result<String, RelayError> {
    match value.and_then(Value::as_str) {
        Some(name) if !name.is_empty() && name.chars().count() <= 128 && !name.chars().any(|c| c.is_whitespace() || c.is_control()) => {
            Ok(name.to_owned())
        }
        _ => Err(invalid(field, "must be 1–128 characters without whitespace or control characters")),
    }
}

/// Stage 5b for chat: the schema of §3.3. `palisade_sources` is taken out of the forwarded body.
pub fn parse_chat(bytes: &[u8]) -> Result<ChatInput, RelayError> {
    let mut map = parse_object(bytes)?;
    let model = model_of(&map)?;
    let messages = match map.get("messages").and_then(Value::as_array) {
        Some(messages) if !messages.is_empty() => messages,
        _ => return Err(invalid("messages", "must be a non-empty array")),
    };
    for (index, message) in messages.iter().enumerate() {
        let role = message.get("role").and_then(Value::as_str);
        if !role.is_some_and(|role| ROLES.contains(&role)) {
            return Err(invalid(format!("messages[{index}].role"), "must be one of system, developer, user, assistant, tool"));
        }
    }
    let stream = match map.get("stream") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(flag)) => *flag,
        Some(_) => return Err(invalid("stream", "must be a boolean")),
    };
    let mut tools = Vec::new();
    for (index, tool) in map.get("tools").and_then(Value::as_array).into_iter().flatten().enumerate() {
        tools.push(tool_name(format!("tools[{index}].function.name"), tool.pointer("/function/name"))?);
    }
    for (index, function) in map.get("functions").and_then(Value::as_array).into_iter().flatten().enumerate() {
        tools.push(tool_name(format!("functions[{index}].name"), function.get("name"))?);
    }
    let sources = match map.remove("palisade_sources") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                Value::String(text) => Ok(text),
                _ => Err(invalid("palisade_sources", "must be an array of strings")),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(invalid("palisade_sources", "must be an array of strings")),
    };
    let include_usage = map.get("stream_options").and_then(|options| options.get("include_usage")).and_then(Value::as_bool) == Some(true);
    Ok(ChatInput { model, stream, body: Value::Object(map), sources, tools, include_usage })
}

/// Stage 5b for embeddings: `model` and `input` (string, string[], or token ids).
pub fn parse_embeddings(bytes: &[u8]) -> Result<EmbeddingsInput, RelayError> {
    let map = parse_object(bytes)?;
    let model = model_of(&map)?;
    let texts = match map.get("input") {
        Some(Value::String(text)) => Some(vec![text.clone()]),
        Some(Value::Array(items)) if !items.is_empty() => {
            let texts: Option<Vec<String>> = items.iter().map(|item| item.as_str().map(str::to_owned)).collect();
            let tokens = items.iter().all(|item| item.is_number() || item.is_array());
            if texts.is_none() && !tokens {
                return Err(invalid("input", "must be a string, an array of strings, or token ids"));
            }
            texts
        }
        _ => return Err(invalid("input", "is required: a string or a non-empty array")),
    };
    Ok(EmbeddingsInput { model, body: Value::Object(map), texts })
}

/// A lineage value: 1–128 characters of `[A-Za-z0-9._:-]` (§3.2).
fn lineage_value(headers: &HeaderMap, name: &'static str) -> Result<Option<String>, RelayError> {
    let Some(value) = headers.get(name) else { return Ok(None) };
    let valid = value.to_str().ok().filter(|text| {
        !text.is_empty() && text.len() <= 128 && text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
    });
    valid.map(|text| Some(text.to_owned())).ok_or_else(|| invalid(name, "must be 1–128 characters from [A-Za-z0-9._:-]"))
}

/// Stage 5c: the lineage headers and `X-Palisade-Skill`.
pub fn parse_headers(headers: &HeaderMap) -> Result<(Lineage, Option<String>), RelayError> {
    let lineage = Lineage {
        run_id: lineage_value(headers, "x-palisade-run-id")?,
        conversation_id: lineage_value(headers, "x-palisade-conversation-id")?,
        step_id: lineage_value(headers, "x-palisade-step-id")?,
        parent_step_id: lineage_value(headers, "x-palisade-parent-step-id")?,
    };
    let skill = match headers.get("x-palisade-skill") {
        None => None,
        Some(value) => Some(tool_name("x-palisade-skill".into(), Some(&Value::String(value.to_str().unwrap_or("\u{0}").to_owned())))?),
    };
    Ok((lineage, skill))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param(err: RelayError) -> String {
        match err {
            RelayError::Service(ServiceError::Invalid(fields)) => fields[0].field.clone(),
            other => panic!("not a validation error: {other:?}"),
        }
    }

    #[test]
    fn chat_bodies_are_validated_field_by_field() {
        assert_eq!(param(parse_chat(b"nope").expect_err("json")), "body");
        assert_eq!(param(parse_chat(br#"{"messages":[]}"#).expect_err("model")), "model");
        assert_eq!(param(parse_chat(br#"{"model":"mock/echo","messages":[]}"#).expect_err("messages")), "messages");
        let bad_role = br#"{"model":"mock/echo","messages":[{"role":"user"},{"role":"robot"}]}"#;
        assert_eq!(param(parse_chat(bad_role).expect_err("role")), "messages[1].role");
        let bad_tool = br#"{"model":"mock/echo","messages":[{"role":"user"}],"tools":[{"function":{"name":"a b"}}]}"#;
        assert_eq!(param(parse_chat(bad_tool).expect_err("tool")), "tools[0].function.name");
        let ok = br#"{"model":"mock/echo","messages":[{"role":"user","content":"hi"}],"palisade_sources":["s"],"temperature":0.2,
                     "functions":[{"name":"f"}],"stream":true,"stream_options":{"include_usage":true}}"#;
        let input = parse_chat(ok).expect("valid");
        assert_eq!((input.stream, input.include_usage, input.tools.clone(), input.sources.clone()), (true, true, vec!["f".to_owned()], vec!["s".to_owned()]));
        assert!(input.body.get("palisade_sources").is_none() && input.body["temperature"] == 0.2);
    }

    #[test]
    fn lineage_headers_accept_only_the_safe_alphabet() {
        let mut headers = HeaderMap::new();
        headers.insert("x-palisade-run-id", "run-1.a:b_c".parse().expect("header"));
        assert_eq!(parse_headers(&headers).expect("valid").0.run_id.as_deref(), Some("run-1.a:b_c"));
        headers.insert("x-palisade-step-id", "has space".parse().expect("header"));
        assert_eq!(param(parse_headers(&headers).expect_err("invalid")), "x-palisade-step-id");
    }
}
