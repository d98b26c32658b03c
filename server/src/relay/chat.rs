//! `POST /v1/chat/completions` and `POST /v1/embeddings`: thin adapters. Stages 1–4 run in the
//! `RelayCaller` extractor; this file reads and parses the body (stage 5), calls one service use case,
//! and renders JSON or SSE with `X-Palisade-Overhead-Ms`.

use std::convert::Infallible;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use chrono::Utc;
use futures::StreamExt;

use crate::http_util::client_ip;
use crate::relay::error::{relay_error_body, RelayFailure};
use crate::relay::{wire, RelayCaller, RequestId};
use crate::service::relay::{RelayError, Reply, RequestContext, StreamEvent};
use crate::service::Services;

/// Header with Palisade's own share of the latency, in milliseconds.
pub const OVERHEAD_HEADER: &str = "x-palisade-overhead-ms";

/// Stage 5 common part: scope, lineage headers and the size-limited body.
async fn prepare(services: &Services, caller: RelayCaller, request_id: String, scope: &str, req: Request) -> Result<(RequestContext, Bytes), (Option<RequestContext>, RelayError)> {
    let started = Instant::now();
    services.require_scope(&caller.key, scope).map_err(|err| (None, err.into()))?;
    let (parts, body) = req.into_parts();
    let ip = client_ip(&parts).map_or_else(String::new, |ip| ip.to_string());
    let mut ctx = RequestContext {
        request_id,
        key: caller.key,
        client_ip: ip,
        lineage: Default::default(),
        skill: None,
        started,
        created_at: Utc::now(),
    };
    match wire::parse_headers(&parts.headers) {
        Ok((lineage, skill)) => {
            ctx.lineage = lineage;
            ctx.skill = skill;
        }
        Err(err) => return Err((Some(ctx), err)),
    }
    match wire::read_body(body, services.config.limits.relay_body_bytes).await {
        Ok(bytes) => Ok((ctx, bytes)),
        Err(err) => Err((Some(ctx), err)),
    }
}

/// Records a request rejected at stage 5 (when the key is known) and renders the error.
async fn rejected(services: &Services, route: &'static str, ctx: Option<RequestContext>, err: RelayError) -> Response {
    let err = match ctx {
        Some(ctx) => services.reject(&ctx, route, err).await,
        None => err,
    };
    RelayFailure(err).into_response()
}

pub async fn chat_completions(State(services): State<Services>, Extension(RequestId(id)): Extension<RequestId>, caller: RelayCaller, req: Request) -> Response {
    const ROUTE: &str = "chat.completions";
    let (ctx, bytes) = match prepare(&services, caller, id, "chat", req).await {
        Ok(prepared) => prepared,
        Err((ctx, err)) => return rejected(&services, ROUTE, ctx, err).await,
    };
    let input = match wire::parse_chat(&bytes) {
        Ok(input) => input,
        Err(err) => return rejected(&services, ROUTE, Some(ctx), err).await,
    };
    render(services.chat(ctx, input).await)
}

pub async fn embeddings(State(services): State<Services>, Extension(RequestId(id)): Extension<RequestId>, caller: RelayCaller, req: Request) -> Response {
    const ROUTE: &str = "embeddings";
    let (ctx, bytes) = match prepare(&services, caller, id, "embeddings", req).await {
        Ok(prepared) => prepared,
        Err((ctx, err)) => return rejected(&services, ROUTE, ctx, err).await,
    };
    let input = match wire::parse_embeddings(&bytes) {
        Ok(input) => input,
        Err(err) => return rejected(&services, ROUTE, Some(ctx), err).await,
    };
    render(services.embeddings(ctx, input).await)
}

fn render(result: Result<Reply, RelayError>) -> Response {
    let (mut response, overhead_ms) = match result {
        Err(err) => return RelayFailure(err).into_response(),
        Ok(Reply::Json { body, overhead_ms }) => (axum::Json(body).into_response(), overhead_ms),
        Ok(Reply::Stream { events, overhead_ms }) => (sse(events), overhead_ms),
    };
    if let Ok(value) = HeaderValue::from_str(&overhead_ms.to_string()) {
        response.headers_mut().insert(OVERHEAD_HEADER, value);
    }
    response
}

/// Renders relay stream events as SSE text (§3.4).
fn sse(events: crate::service::relay::EventStream) -> Response {
    let body = events.map(|event| {
        let text = match event {
            StreamEvent::Chunk(chunk) => format!("data: {chunk}\n\n"),
            StreamEvent::Comment(comment) => format!(": {comment}\n\n"),
            StreamEvent::Error(err) => format!("event: error\ndata: {}\n\n", relay_error_body(&err)),
            StreamEvent::Done => "data: [DONE]\n\n".to_owned(),
        };
        Ok::<_, Infallible>(Bytes::from(text))
    });
    let mut response = (StatusCode::OK, Body::from_stream(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
