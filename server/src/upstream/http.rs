//! The OpenAI-compatible HTTP provider: one pooled HTTP/1 client over rustls (10 s connect, 300 s total),
//! Bearer auth, JSON and SSE. Maps failures to [`UpstreamError`] (§3.3): connect error or timeout →
//! `Timeout`, HTTP status → `Status`, unreadable answers → `Protocol`.
//!
//! The client is hyper-util's pooled client with hyper-rustls (ring, Mozilla roots): the stack reqwest wraps,
//! without reqwest's per-response work (its redirect layer reports the final URI on every response, which
//! reqwest re-parses into a `Url`). The dial-guarded outbound calls (webhooks, MCP, external checks) stay
//! on reqwest.
//!
//! Must not log request or response bodies (they carry prompts) nor the provider key.

use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderValue, Request, Response, Uri};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use tokio::time::Instant;

use crate::upstream::{ChunkStream, Provider, Timeouts, UpstreamError};

type Connector = hyper_rustls::HttpsConnector<HttpConnector>;
type Incoming = hyper::body::Incoming;

/// The pooled client shared by every HTTP provider of the process, with its total timeout.
#[derive(Clone, Debug)]
pub struct ProviderClient {
    client: Client<Connector, Full<Bytes>>,
    total: std::time::Duration,
}

/// Builds the shared client; one per process so connections are pooled across providers.
pub fn build_client(timeouts: Timeouts) -> ProviderClient {
    let mut http = HttpConnector::new();
    http.set_connect_timeout(Some(timeouts.connect));
    http.set_nodelay(true);
    // The TLS layer below takes `https` URLs; plain `http` ones pass through it.
    http.enforce_http(false);
    // INVARIANT: ring implements every protocol version rustls enables by default, so this cannot fail.
    let tls = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_webpki_roots(Arc::new(rustls::crypto::ring::default_provider()))
        .expect("ring supports rustls' default protocol versions");
    let connector = tls.https_or_http().enable_http1().wrap_connector(http);
    ProviderClient { client: Client::builder(TokioExecutor::new()).build(connector), total: timeouts.total }
}

/// One `[[providers]]` entry. Its endpoint URIs and `Authorization` value are built once here, not per
/// request.
pub struct HttpProvider {
    client: ProviderClient,
    base_url: String,
    /// `None` when `base_url` does not parse: every call then fails as a protocol error naming it.
    chat_uri: Option<Uri>,
    embeddings_uri: Option<Uri>,
    /// `Err` when the API key cannot be a header value: every call then fails as a protocol error.
    authorization: Result<Option<HeaderValue>, ()>,
}

impl std::fmt::Debug for HttpProvider {
    // The API key never reaches a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpProvider").field("base_url", &self.base_url).finish_non_exhaustive()
    }
}

impl HttpProvider {
    pub fn new(client: ProviderClient, base_url: &str, api_key: Option<String>) -> Self {
        let base_url = base_url.trim_end_matches('/').to_owned();
        // Parsed as a URL first, so an internationalised host reaches the wire in its ASCII form.
        let endpoint = |path: &str| reqwest::Url::parse(&format!("{base_url}{path}")).ok().and_then(|url| Uri::try_from(url.as_str()).ok());
        let authorization = match api_key {
            None => Ok(None),
            Some(key) => HeaderValue::from_str(&format!("Bearer {key}")).map_err(drop).map(|mut value| {
                value.set_sensitive(true);
                Some(value)
            }),
        };
        Self { client, chat_uri: endpoint("/chat/completions"), embeddings_uri: endpoint("/embeddings"), base_url, authorization }
    }

    /// POSTs `body` as JSON; a success status returns the response (whose body must be read by
    /// `deadline`), any other status its `Status` error.
    async fn post(&self, uri: Option<&Uri>, body: &Value, deadline: Instant) -> Result<Response<Incoming>, UpstreamError> {
        let Some(uri) = uri else { return Err(UpstreamError::protocol(format!("provider base_url {:?} is not a valid URL", self.base_url))) };
        let authorization = self.authorization.as_ref().map_err(|()| UpstreamError::protocol("provider api_key is not a valid header value"))?;
        let json = serde_json::to_vec(body).map_err(|err| UpstreamError::protocol(format!("request body: {err}")))?;
        let mut request = Request::post(uri.clone()).header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(authorization) = authorization {
            request = request.header(AUTHORIZATION, authorization.clone());
        }
        let request = request.body(Full::new(Bytes::from(json))).map_err(|err| UpstreamError::protocol(err.to_string()))?;
        let response = tokio::time::timeout_at(deadline, self.client.client.request(request))
            .await
            .map_err(|_| UpstreamError::timeout("no answer before the total timeout"))?
            .map_err(|err| if err.is_connect() { UpstreamError::timeout(err.to_string()) } else { UpstreamError::protocol(err.to_string()) })?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        // The upstream body may echo the prompt: keep a short prefix for the log only.
        let text = read_body(response, deadline).await.map(|bytes| String::from_utf8_lossy(&bytes).chars().take(200).collect::<String>());
        Err(UpstreamError::status(status.as_u16(), text.unwrap_or_default()))
    }

    async fn post_json(&self, uri: Option<&Uri>, body: &Value) -> Result<Value, UpstreamError> {
        let deadline = Instant::now() + self.client.total;
        let response = self.post(uri, body, deadline).await?;
        let bytes = read_body(response, deadline).await?;
        serde_json::from_slice(&bytes).map_err(|err| UpstreamError::protocol(format!("response body: {err}")))
    }
}

/// The whole body of `response`, read by `deadline`.
async fn read_body(response: Response<Incoming>, deadline: Instant) -> Result<Bytes, UpstreamError> {
    let collected = tokio::time::timeout_at(deadline, response.into_body().collect())
        .await
        .map_err(|_| UpstreamError::timeout("body not read before the total timeout"))?
        .map_err(|err| UpstreamError::protocol(err.to_string()))?;
    Ok(collected.to_bytes())
}

#[async_trait::async_trait]
impl Provider for HttpProvider {
    async fn chat(&self, _model: &str, body: &Value) -> Result<Value, UpstreamError> {
        self.post_json(self.chat_uri.as_ref(), body).await
    }

    async fn chat_stream(&self, _model: &str, body: &Value) -> Result<ChunkStream, UpstreamError> {
        let deadline = Instant::now() + self.client.total;
        let response = self.post(self.chat_uri.as_ref(), body, deadline).await?;
        let bytes = response.into_body().into_data_stream();
        let state = (bytes, SseParser::default(), std::collections::VecDeque::<Result<Value, UpstreamError>>::new(), false);
        let stream = futures::stream::unfold(state, move |(mut bytes, mut parser, mut queue, mut done)| async move {
            loop {
                if let Some(item) = queue.pop_front() {
                    return Some((item, (bytes, parser, queue, done)));
                }
                if done {
                    return None;
                }
                // The total timeout covers the whole stream, as it covers a JSON body.
                let next = match tokio::time::timeout_at(deadline, bytes.next()).await {
                    Ok(Some(Ok(chunk))) => Some(Ok(chunk)),
                    Ok(Some(Err(err))) => Some(Err(UpstreamError::protocol(err.to_string()))),
                    Ok(None) => None,
                    Err(_) => Some(Err(UpstreamError::timeout("stream not finished before the total timeout"))),
                };
                match next {
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
                        queue.push_back(Err(err));
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
        self.post_json(self.embeddings_uri.as_ref(), body).await
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
        let client = build_client(Timeouts::default());
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
