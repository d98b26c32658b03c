//! The OpenAI-compatible HTTP provider: one pooled `reqwest` client (10 s connect, 300 s total), Bearer
//! auth, JSON and SSE. Maps failures to [`UpstreamError`] (§3.3): connect error or timeout → `Timeout`,
//! HTTP status → `Status`, unreadable answers → `Protocol`.
//!
//! Must not log request or response bodies (they carry prompts) nor the provider key.

use futures::StreamExt;
use serde_json::Value;

use crate::upstream::{ChunkStream, Provider, Timeouts, UpstreamError};

/// Builds the shared client; one per process so connections are pooled across providers. Building only
/// fails when the TLS backend cannot start; then the default client (same backend) is the best left.
pub fn build_client(timeouts: Timeouts) -> reqwest::Client {
    match reqwest::Client::builder().connect_timeout(timeouts.connect).timeout(timeouts.total).build() {
        Ok(client) => client,
        Err(err) => {
            tracing::error!(error = %err, "cannot configure the upstream HTTP client; using defaults");
            reqwest::Client::new()
        }
    }
}

/// One `[[providers]]` entry. Its endpoint URLs and `Authorization` value are built once here, not per
/// request (URL parsing with IDNA was a visible share of the relay's CPU).
pub struct HttpProvider {
    client: reqwest::Client,
    base_url: String,
    /// `None` when `base_url` does not parse: every call then fails as a protocol error naming it.
    chat_url: Option<reqwest::Url>,
    embeddings_url: Option<reqwest::Url>,
    /// `Err` when the API key cannot be a header value: every call then fails as a protocol error.
    authorization: Result<Option<reqwest::header::HeaderValue>, ()>,
}

impl std::fmt::Debug for HttpProvider {
    // The API key never reaches a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpProvider").field("base_url", &self.base_url).finish_non_exhaustive()
    }
}

impl HttpProvider {
    pub fn new(client: reqwest::Client, base_url: &str, api_key: Option<String>) -> Self {
        let base_url = base_url.trim_end_matches('/').to_owned();
        let endpoint = |path: &str| reqwest::Url::parse(&format!("{base_url}{path}")).ok();
        let authorization = match api_key {
            None => Ok(None),
            Some(key) => reqwest::header::HeaderValue::from_str(&format!("Bearer {key}")).map_err(drop).map(|mut value| {
                value.set_sensitive(true);
                Some(value)
            }),
        };
        Self { client, chat_url: endpoint("/chat/completions"), embeddings_url: endpoint("/embeddings"), base_url, authorization }
    }

    async fn post(&self, url: Option<&reqwest::Url>, body: &Value) -> Result<reqwest::Response, UpstreamError> {
        let Some(url) = url else { return Err(UpstreamError::protocol(format!("provider base_url {:?} is not a valid URL", self.base_url))) };
        let authorization = self.authorization.as_ref().map_err(|()| UpstreamError::protocol("provider api_key is not a valid header value"))?;
        let mut request = self.client.post(url.clone()).json(body);
        if let Some(authorization) = authorization {
            request = request.header(reqwest::header::AUTHORIZATION, authorization.clone());
        }
        let response = request.send().await.map_err(map_send_error)?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        // The upstream body may echo the prompt: keep a short prefix for the log only.
        let text = response.text().await.unwrap_or_default();
        Err(UpstreamError::status(status.as_u16(), text.chars().take(200).collect::<String>()))
    }

    async fn post_json(&self, url: Option<&reqwest::Url>, body: &Value) -> Result<Value, UpstreamError> {
        let response = self.post(url, body).await?;
        response.json::<Value>().await.map_err(|err| {
            if err.is_timeout() {
                UpstreamError::timeout(err.to_string())
            } else {
                UpstreamError::protocol(err.to_string())
            }
        })
    }
}

fn map_send_error(err: reqwest::Error) -> UpstreamError {
    if err.is_timeout() || err.is_connect() {
        UpstreamError::timeout(err.to_string())
    } else {
        UpstreamError::protocol(err.to_string())
    }
}

#[async_trait::async_trait]
impl Provider for HttpProvider {
    async fn chat(&self, _model: &str, body: &Value) -> Result<Value, UpstreamError> {
        self.post_json(self.chat_url.as_ref(), body).await
    }

    async fn chat_stream(&self, _model: &str, body: &Value) -> Result<ChunkStream, UpstreamError> {
        let response = self.post(self.chat_url.as_ref(), body).await?;
        let bytes = response.bytes_stream();
        let state = (bytes, SseParser::default(), std::collections::VecDeque::<Result<Value, UpstreamError>>::new(), false);
        let stream = futures::stream::unfold(state, |(mut bytes, mut parser, mut queue, mut done)| async move {
            loop {
                if let Some(item) = queue.pop_front() {
                    return Some((item, (bytes, parser, queue, done)));
                }
                if done {
                    return None;
                }
                match bytes.next().await {
                    Some(Ok(chunk)) => {
                        for event in parser.push(&chunk) {
                            match event {
                                SseData::Done => done = true,
                                SseData::Json(value) if !done => queue.push_back(Ok(value)),
                                SseData::Json(_) => {}
                                SseData::Invalid(cause) => queue.push_back(Err(UpstreamError::protocol(cause))),
                            }
                        }
                    }
                    Some(Err(err)) => {
                        done = true;
                        queue.push_back(Err(map_send_error(err)));
                    }
                    // A stream that ends without `[DONE]` is cut short: tell the relay.
                    None => {
                        done = true;
                        queue.push_back(Err(UpstreamError::protocol("stream ended without [DONE]")));
                    }
                }
            }
        });
        Ok(Box::pin(stream))
    }

    async fn embeddings(&self, _model: &str, body: &Value) -> Result<Value, UpstreamError> {
        self.post_json(self.embeddings_url.as_ref(), body).await
    }
}

/// One parsed SSE event's data.
#[derive(Debug, PartialEq)]
pub enum SseData {
    Json(Value),
    Done,
    Invalid(String),
}

/// Incremental SSE parser: splits on blank lines, joins `data:` lines, ignores comments and other fields.
#[derive(Default)]
pub struct SseParser {
    buffer: Vec<u8>,
}

impl SseParser {
    /// Feeds bytes; returns every complete event.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<SseData> {
        self.buffer.extend_from_slice(bytes);
        let mut out = Vec::new();
        while let Some((end, skip)) = find_event_end(&self.buffer) {
            let event: Vec<u8> = self.buffer.drain(..end + skip).take(end).collect();
            let text = String::from_utf8_lossy(&event);
            let data: Vec<&str> = text
                .lines()
                .filter_map(|line| line.strip_prefix("data:"))
                .map(|value| value.strip_prefix(' ').unwrap_or(value))
                .collect();
            if data.is_empty() {
                continue;
            }
            let joined = data.join("\n");
            if joined.trim() == "[DONE]" {
                out.push(SseData::Done);
            } else {
                match serde_json::from_str(&joined) {
                    Ok(value) => out.push(SseData::Json(value)),
                    Err(err) => out.push(SseData::Invalid(format!("bad SSE chunk: {err}"))),
                }
            }
        }
        out
    }
}

/// The end of the first event (index of its blank-line separator) and the separator's length.
fn find_event_end(buffer: &[u8]) -> Option<(usize, usize)> {
    let lf = buffer.windows(2).position(|window| window == b"\n\n").map(|at| (at, 2));
    let crlf = buffer.windows(4).position(|window| window == b"\r\n\r\n").map(|at| (at, 4));
    match (lf, crlf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_parser_handles_split_events_comments_and_done() {
        let mut parser = SseParser::default();
        assert!(parser.push(b": keep-alive\n\ndata: {\"a\"").is_empty());
        assert_eq!(parser.push(b":1}\n\n"), vec![SseData::Json(serde_json::json!({"a": 1}))]);
        assert_eq!(parser.push(b"data: [DONE]\r\n\r\n"), vec![SseData::Done]);
        assert!(matches!(parser.push(b"data: nope\n\n").as_slice(), [SseData::Invalid(_)]));
    }

    #[tokio::test]
    async fn an_unusable_base_url_or_key_fails_every_call_as_a_protocol_error() {
        use crate::upstream::UpstreamErrorKind;
        let client = reqwest::Client::new();
        let bad_url = HttpProvider::new(client.clone(), "not a url", None);
        let err = bad_url.chat("m", &serde_json::json!({})).await.expect_err("no URL to call");
        assert_eq!(err.kind, UpstreamErrorKind::Protocol);
        assert!(err.message.contains("base_url"), "{}", err.message);
        let err = bad_url.embeddings("m", &serde_json::json!({})).await.expect_err("no URL to call");
        assert!(err.message.contains("base_url"), "{}", err.message);
        // A key with a newline cannot be a header value; nothing is sent without it.
        let bad_key = HttpProvider::new(client, "http://127.0.0.1:9/v1", Some("sk-bad\nkey".into()));
        let err = bad_key.chat("m", &serde_json::json!({})).await.expect_err("no usable key");
        assert_eq!(err.kind, UpstreamErrorKind::Protocol);
        assert!(err.message.contains("api_key") && !err.message.contains("sk-bad"), "{}", err.message);
    }
}
