//! The relay use cases (SPEC §1.5, §1.6): `chat` (JSON or SSE) and `embeddings`, as named phases over the
//! engine and the providers. Phases live in the child modules, one function each, in pipeline order:
//! `models` (stages 6–8), `posture_cache` (9), `screen` (10 and 14), `tools` (11 and 13), `stream` (SSE
//! output), `meter` (15); every phase records what it decided through the recorder (16).
//!
//! Must not know HTTP or the OpenAI wire structs: bodies travel as JSON values, errors as [`RelayError`].

pub mod advanced;
pub mod error;
pub mod meter;
pub mod models;
pub mod posture_cache;
pub mod rate_limit;
pub mod screen;
pub mod stream;
pub mod stream_end;
pub mod tools;

use std::pin::Pin;
use std::time::Instant;

use chrono::{DateTime, Utc};
use futures::Stream;
use sea_orm::DatabaseConnection;
use serde_json::Value;

use crate::config::Config;
use crate::domain::ApiKey;
use crate::engine::firewall::Sanitizer;
use crate::service::recorder::{Record, Recorder};
use crate::service::{ServiceError, ServiceResult, Services};
use crate::store::requests::RequestRecord;
use crate::upstream::{Timeouts, Upstreams};
pub use error::RelayError;
use posture_cache::PostureCache;
use rate_limit::RateLimiter;

/// Relay state shared by every request of this process.
#[derive(Debug)]
pub struct RelayRuntime {
    pub upstreams: Upstreams,
    pub rate_limiter: RateLimiter,
    pub posture: PostureCache,
    /// Built workspace providers by `posture_version` (see `service::providers`).
    pub providers: crate::service::providers::ProviderCache,
    pub recorder: Recorder,
    /// Every sanitize preset, for `args_summary` of events without a policy (observe mode).
    pub summary_sanitizer: Sanitizer,
}

impl RelayRuntime {
    /// Builds the providers of `config` and starts the recorder on `db`.
    pub fn new(config: &Config, db: DatabaseConnection) -> RelayRuntime {
        RelayRuntime {
            upstreams: Upstreams::from_config(config, Timeouts::default()),
            rate_limiter: RateLimiter::default(),
            posture: PostureCache::default(),
            providers: Default::default(),
            recorder: Recorder::spawn(db),
            summary_sanitizer: Sanitizer::all_presets(),
        }
    }
}

/// Lineage headers of §3.2, validated by the adapter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lineage {
    pub run_id: Option<String>,
    pub conversation_id: Option<String>,
    pub step_id: Option<String>,
    pub parent_step_id: Option<String>,
}

/// Who is calling and what the request is, for every row this request writes.
#[derive(Clone, Debug)]
pub struct RequestContext {
    pub request_id: String,
    pub key: ApiKey,
    pub client_ip: String,
    pub lineage: Lineage,
    /// `X-Palisade-Skill`, applied to every tool call of the request.
    pub skill: Option<String>,
    /// `X-Palisade-Approval` ids (§5.10 step 6), as sent; only matching, approved ones release a hold.
    pub approval_ids: Vec<String>,
    pub started: Instant,
    pub created_at: DateTime<Utc>,
}

impl RequestContext {
    /// A context starting now, with no lineage or skill yet.
    pub fn new(request_id: String, key: ApiKey, client_ip: String) -> RequestContext {
        RequestContext {
            request_id,
            key,
            client_ip,
            lineage: Lineage::default(),
            skill: None,
            approval_ids: Vec::new(),
            started: Instant::now(),
            created_at: Utc::now(),
        }
    }
}

/// A parsed `POST /v1/chat/completions` (the adapter validated the schema of §3.3).
#[derive(Clone, Debug)]
pub struct ChatInput {
    /// `provider/model` as the client sent it.
    pub model: String,
    pub stream: bool,
    /// The body to forward, `palisade_sources` already stripped.
    pub body: Value,
    /// Grounding sources from `palisade_sources`.
    pub sources: Vec<String>,
    /// Names in `tools[]` and `functions[]`, in order.
    pub tools: Vec<String>,
    /// Whether the client asked for the usage chunk (`stream_options.include_usage`).
    pub include_usage: bool,
}

/// A parsed `POST /v1/embeddings`.
#[derive(Clone, Debug)]
pub struct EmbeddingsInput {
    pub model: String,
    pub body: Value,
    /// The `input` strings (token-id arrays are `None`).
    pub texts: Option<Vec<String>>,
}

/// One item of a relayed SSE stream.
#[derive(Debug)]
pub enum StreamEvent {
    /// A `data:` chunk.
    Chunk(Value),
    /// An SSE comment line (without the leading `: `).
    Comment(String),
    /// A mid-stream error: sent as `event: error`, then the stream closes without `[DONE]`.
    Error(RelayError),
    /// `data: [DONE]`.
    Done,
}

/// The events of a streamed reply.
pub type EventStream = Pin<Box<dyn Stream<Item = StreamEvent> + Send>>;

/// A successful relay reply; `overhead_ms` is Palisade's own time before the reply (upstream excluded).
pub enum Reply {
    Json { body: Value, overhead_ms: u64 },
    Stream { events: EventStream, overhead_ms: u64 },
}

/// What a request did, filled in as the phases run; becomes the request row (§2.7).
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub route: &'static str,
    pub model: Option<String>,
    pub stream: bool,
    pub guardrail_id: Option<i64>,
    pub firewall_policy_id: Option<i64>,
    pub tool_calls: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub cost_micros: i64,
    pub metered: bool,
    pub upstream_ms: Option<u64>,
    /// Set when a stream was cut by an output block after its 200 status (recorded as the error code).
    pub blocked_code: Option<&'static str>,
}

impl Services {
    /// Stage 4: takes one token from the key's bucket; `RateLimited` with the wait when empty.
    pub fn check_rate_limit(&self, key: &ApiKey) -> ServiceResult<()> {
        self.relay
            .rate_limiter
            .take(key.id, key.rate_limit_rpm, Instant::now())
            .map_err(|retry_after_secs| ServiceError::RateLimited { retry_after_secs })
    }

    /// Stage 16: writes the request row of `ctx` with its outcome (`error` = how it failed, if it did).
    pub async fn record_request(&self, ctx: &RequestContext, outcome: &Outcome, error: Option<&RelayError>) {
        let row = RequestRecord {
            workspace_id: ctx.key.workspace_id,
            request_id: ctx.request_id.clone(),
            created_at: ctx.created_at,
            key_id: Some(ctx.key.id),
            key_name: ctx.key.name.clone(),
            route: outcome.route.to_owned(),
            model: outcome.model.clone(),
            stream: outcome.stream,
            status: error.map_or(200, |err| i64::from(err.status())),
            error_code: error.map(|err| err.code().to_owned()).or_else(|| outcome.blocked_code.map(str::to_owned)),
            prompt_tokens: outcome.prompt_tokens,
            completion_tokens: outcome.completion_tokens,
            cost_micros: outcome.cost_micros,
            metered: outcome.metered,
            guardrail_id: outcome.guardrail_id,
            firewall_policy_id: outcome.firewall_policy_id,
            tool_calls: outcome.tool_calls,
            client_ip: ctx.client_ip.clone(),
            latency_ms: ctx.started.elapsed().as_millis() as i64,
            upstream_latency_ms: outcome.upstream_ms.map(|ms| ms as i64),
            run_id: ctx.lineage.run_id.clone(),
            conversation_id: ctx.lineage.conversation_id.clone(),
            step_id: ctx.lineage.step_id.clone(),
            parent_step_id: ctx.lineage.parent_step_id.clone(),
            ..Default::default()
        };
        self.relay.recorder.send(Record::Request(Box::new(row))).await;
    }

    /// Records a request rejected before its use case ran (body, parse or rate limit), then returns the error.
    pub async fn reject(&self, ctx: &RequestContext, route: &'static str, error: RelayError) -> RelayError {
        let outcome = Outcome { route, ..Default::default() };
        self.record_request(ctx, &outcome, Some(&error)).await;
        error
    }

    /// Waits until every feed row queued so far is written (tests, shutdown).
    pub async fn flush_records(&self) {
        self.relay.recorder.flush().await;
    }

    /// `POST /v1/chat/completions`: stages 6–16 (the adapter ran 1–5). Failures are recorded here.
    pub async fn chat(&self, ctx: RequestContext, input: ChatInput) -> Result<Reply, RelayError> {
        let mut outcome = Outcome { route: "chat.completions", model: Some(input.model.clone()), stream: input.stream, ..Default::default() };
        let result = self.run_chat(&ctx, input, &mut outcome).await;
        match &result {
            // A stream records its own row when it ends.
            Ok(Reply::Stream { .. }) => {}
            Ok(Reply::Json { .. }) => self.record_request(&ctx, &outcome, None).await,
            Err(err) => self.record_request(&ctx, &outcome, Some(err)).await,
        }
        result
    }

    async fn run_chat(&self, ctx: &RequestContext, input: ChatInput, outcome: &mut Outcome) -> Result<Reply, RelayError> {
        let route = self.route_model(&ctx.key, &input.model).await?;
        self.check_credit(&ctx.key)?;
        let posture = self.resolve_posture(&ctx.key).await?;
        outcome.guardrail_id = posture.guardrail.as_ref().map(|g| g.id);
        outcome.firewall_policy_id = posture.policy.as_ref().map(|p| p.id);
        let estimate_cents = meter::estimate_cents(&input.body, &route.price);
        let body = self.screen_input(ctx, &posture, &input.model, input.body).await?;
        self.check_inbound_tools(ctx, &posture, &input.model, &input.tools, estimate_cents).await?;
        let prepared = stream::Prepared { input_model: input.model, sources: input.sources, include_usage: input.include_usage, estimate_cents };
        if input.stream {
            return self.start_stream(ctx.clone(), posture, route, body, prepared, outcome.clone()).await;
        }
        let upstream_started = Instant::now();
        // From here on the request is read only for its messages, so the body sent upstream (which differs
        // in `model` alone) stands in for it: no copy of the whole request.
        let body = models::upstream_body(body, &route.model, false);
        let reply = route.provider.chat(&route.model, &body).await;
        outcome.upstream_ms = Some(upstream_started.elapsed().as_millis() as u64);
        let mut reply = reply.map_err(RelayError::Upstream)?;
        outcome.tool_calls = self.check_response_tools(ctx, &posture, &prepared.input_model, &mut reply, estimate_cents).await?;
        self.screen_output(ctx, &posture, &prepared, &body, &mut reply).await?;
        reply["model"] = Value::String(prepared.input_model.clone());
        self.meter(ctx, outcome, &route.price, &body, &reply).await?;
        let overhead_ms = (ctx.started.elapsed().as_millis() as u64).saturating_sub(outcome.upstream_ms.unwrap_or(0));
        Ok(Reply::Json { body: reply, overhead_ms })
    }

    /// `POST /v1/embeddings`: stages 6–10, 12, 15, 16 (§1.6).
    pub async fn embeddings(&self, ctx: RequestContext, input: EmbeddingsInput) -> Result<Reply, RelayError> {
        let mut outcome = Outcome { route: "embeddings", model: Some(input.model.clone()), ..Default::default() };
        let result = self.run_embeddings(&ctx, input, &mut outcome).await;
        match &result {
            Ok(_) => self.record_request(&ctx, &outcome, None).await,
            Err(err) => self.record_request(&ctx, &outcome, Some(err)).await,
        }
        result
    }

    async fn run_embeddings(&self, ctx: &RequestContext, input: EmbeddingsInput, outcome: &mut Outcome) -> Result<Reply, RelayError> {
        let route = self.route_model(&ctx.key, &input.model).await?;
        self.check_credit(&ctx.key)?;
        let posture = self.resolve_posture(&ctx.key).await?;
        outcome.guardrail_id = posture.guardrail.as_ref().map(|g| g.id);
        let base64 = models::wants_base64(&input.body);
        let body = self.screen_embedding_input(ctx, &posture, &input.model, input.body, input.texts).await?;
        let upstream_started = Instant::now();
        let body = models::upstream_body(body, &route.model, false);
        let reply = route.provider.embeddings(&route.model, &body).await;
        outcome.upstream_ms = Some(upstream_started.elapsed().as_millis() as u64);
        let mut reply = reply.map_err(RelayError::Upstream)?;
        reply["model"] = Value::String(input.model.clone());
        if base64 {
            models::embeddings_as_base64(&mut reply);
        }
        self.meter(ctx, outcome, &route.price, &body, &reply).await?;
        let overhead_ms = (ctx.started.elapsed().as_millis() as u64).saturating_sub(outcome.upstream_ms.unwrap_or(0));
        Ok(Reply::Json { body: reply, overhead_ms })
    }
}
