//! LLM providers behind the relay: the [`Provider`] trait, the built-in offline `mock` provider (SPEC
//! §3.5) and an OpenAI-compatible HTTP client (`http`). Providers speak OpenAI JSON in and out.
//!
//! Must not know policies, keys or workspaces: the service decides what to send and what to release.
//! Start with [`Provider`], then [`Upstreams`] (name → provider and prices), then `mock`.

pub mod dial_guard;
pub mod http;
pub mod mcp_client;
pub mod mock;

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures::Stream;
use serde_json::Value;

use crate::config::Config;

/// A stream of parsed SSE `data:` chunks (OpenAI `chat.completion.chunk` objects), ending before `[DONE]`.
pub type ChunkStream = Pin<Box<dyn Stream<Item = Result<Value, UpstreamError>> + Send>>;

/// Whose fault an upstream failure is (pingora's idea), mapped to 502/504/4xx by the relay (§3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpstreamErrorKind {
    /// Connect error or no answer in time: 504 `upstream_timeout`.
    Timeout,
    /// The upstream answered with an HTTP error status: 5xx → 502, 4xx mirrored.
    Status,
    /// An unreadable or malformed answer: 502.
    Protocol,
}

/// A failed provider call. `message` is for logs; clients only see a generic text and the status.
#[derive(Clone, Debug, thiserror::Error)]
#[error("upstream {kind:?} (status {status:?}): {message}")]
pub struct UpstreamError {
    pub kind: UpstreamErrorKind,
    /// The upstream's HTTP status, when it answered.
    pub status: Option<u16>,
    pub retryable: bool,
    pub message: String,
}

impl UpstreamError {
    pub fn timeout(message: impl Into<String>) -> Self {
        Self { kind: UpstreamErrorKind::Timeout, status: None, retryable: true, message: message.into() }
    }

    pub fn status(status: u16, message: impl Into<String>) -> Self {
        Self { kind: UpstreamErrorKind::Status, status: Some(status), retryable: status >= 500 || status == 429, message: message.into() }
    }

    pub fn protocol(message: impl Into<String>) -> Self {
        Self { kind: UpstreamErrorKind::Protocol, status: None, retryable: false, message: message.into() }
    }
}

/// One LLM provider. `model` is the id after the `provider/` prefix; `body` is the OpenAI request body
/// with `model` already set to it.
#[async_trait::async_trait]
pub trait Provider: Send + Sync + std::fmt::Debug {
    /// `POST /chat/completions` without streaming: the response JSON.
    async fn chat(&self, model: &str, body: &Value) -> Result<Value, UpstreamError>;
    /// `POST /chat/completions` with `stream: true`: the parsed chunks. Errors before the first byte are `Err`.
    async fn chat_stream(&self, model: &str, body: &Value) -> Result<ChunkStream, UpstreamError>;
    /// `POST /embeddings`: the response JSON.
    async fn embeddings(&self, model: &str, body: &Value) -> Result<Value, UpstreamError>;
}

/// Prices of one model in USD per million tokens (which is also micro-USD per token).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Price {
    pub input_usd_per_mtok: f64,
    pub output_usd_per_mtok: f64,
}

/// A resolved `provider/model`.
#[derive(Clone, Debug)]
pub struct Route {
    pub provider: Arc<dyn Provider>,
    /// The model id sent upstream (after the prefix).
    pub model: String,
    pub price: Price,
}

/// Connect and total timeouts of HTTP providers (§3.3: 10 s connect, 300 s total).
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    pub connect: Duration,
    pub total: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self { connect: Duration::from_secs(10), total: Duration::from_secs(300) }
    }
}

/// Every routable provider: the config's `[[providers]]` plus `mock`, with prices (`[prices]` wins).
#[derive(Clone, Debug)]
pub struct Upstreams {
    routes: HashMap<String, Route>,
    /// The pooled HTTP client, shared with workspace providers (`service::providers`).
    client: http::ProviderClient,
}

impl Upstreams {
    /// Builds the providers declared in `config` (disabled providers are not routable).
    pub fn from_config(config: &Config, timeouts: Timeouts) -> Upstreams {
        let mut routes = HashMap::new();
        if config.mock.enabled {
            let mock: Arc<dyn Provider> = Arc::new(mock::MockProvider);
            // Decided price (§3.5): 100 USD per million tokens in and out, so caps are crossed quickly.
            let echo = Price { input_usd_per_mtok: 100.0, output_usd_per_mtok: 100.0 };
            routes.insert("mock/echo".into(), Route { provider: mock.clone(), model: "echo".into(), price: echo });
            routes.insert("mock/embed".into(), Route { provider: mock, model: "embed".into(), price: Price::default() });
        }
        let client = http::build_client(timeouts);
        for provider in config.providers.iter().filter(|provider| provider.enabled) {
            let shared: Arc<dyn Provider> =
                Arc::new(http::HttpProvider::new(client.clone(), &provider.base_url, provider.api_key.clone()));
            for model in &provider.models {
                let price = Price { input_usd_per_mtok: model.input_usd_per_mtok, output_usd_per_mtok: model.output_usd_per_mtok };
                routes.insert(format!("{}/{}", provider.name, model.id), Route { provider: shared.clone(), model: model.id.clone(), price });
            }
        }
        for (id, price) in &config.prices {
            if let Some(route) = routes.get_mut(id) {
                route.price = Price { input_usd_per_mtok: price.input_usd_per_mtok, output_usd_per_mtok: price.output_usd_per_mtok };
            }
        }
        Upstreams { routes, client }
    }

    /// The pooled client every HTTP provider of this process uses.
    pub fn client(&self) -> &http::ProviderClient {
        &self.client
    }

    /// The route of `provider/model`, if declared.
    pub fn route(&self, model: &str) -> Option<&Route> {
        self.routes.get(model)
    }
}

/// `ceil(chars / 4)`: the token estimate used by the mock and when an upstream reports no usage (§3.6).
pub fn estimate_tokens(text: &str) -> i64 {
    (text.chars().count() as i64 + 3) / 4
}
