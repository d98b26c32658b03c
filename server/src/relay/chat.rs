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
use futures::StreamExt;

use crate::http_util::client_ip;
use crate::relay::error::{relay_error_body, RelayFailure};
use crate::relay::{wire, RelayCaller, RequestId};
use crate::service::relay::{RelayError, Reply, RequestContext, StreamEvent};
use crate::service::approvals::is_approval_id;
use crate::service::{FieldError, ServiceError, Services};

/// Header with Palisade's own share of the latency, in milliseconds.
pub const OVERHEAD_HEADER: &str = "x-palisade-overhead-ms";

/// Stage 5 common part: scope, lineage headers and the size-limited body.
async fn prepare(services: &Services, caller: RelayCaller, request_id: String, scope: &str, req: Request) -> Result<(RequestContext, Bytes), (RequestContext, RelayError)> {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let ip = client_ip(&parts).map_or_else(String::new, |ip| ip.to_string());
    let mut ctx = RequestContext::new(request_id, caller.key, ip);
    ctx.started = started;
    if let Err(err) = services.require_scope(&ctx.key, scope) {
        return Err((ctx, err.into()));
    }
    match wire::parse_headers(&parts.headers) {
        Ok((lineage, skill)) => {
            ctx.lineage = lineage;
            ctx.skill = skill;
        }
        Err(err) => return Err((ctx, err)),
    }
    match approval_ids(&parts.headers) {
        Ok(ids) => ctx.approval_ids = ids,
        Err(err) => return Err((ctx, err)),
    }
    match wire::read_body(body, services.config.limits.relay_body_bytes).await {
        Ok(bytes) => Ok((ctx, bytes)),
        Err(err) => Err((ctx, err)),
    }
}

/// Most ids one `X-Palisade-Approval` header may carry.
const MAX_APPROVAL_IDS: usize = 32;

/// `X-Palisade-Approval: <id>[,<id>…]` (§3.2): 24-hex approval ids; anything else is a 400 naming the header.
pub fn approval_ids(headers: &axum::http::HeaderMap) -> Result<Vec<String>, RelayError> {
    let invalid = |message: &str| RelayError::from(ServiceError::Invalid(vec![FieldError::new("x-palisade-approval", message)]));
    let mut ids = Vec::new();
    for value in headers.get_all("x-palisade-approval") {
        let text = value.to_str().map_err(|_| invalid("must be comma-separated approval ids"))?;
        for id in text.split(',').map(str::trim).filter(|id| !id.is_empty()) {
            if !is_approval_id(id) {
                return Err(invalid("each approval id is 24 lowercase hex characters"));
            }
            if !ids.iter().any(|seen| seen == id) {
                ids.push(id.to_owned());
            }
        }
    }
    if ids.len() > MAX_APPROVAL_IDS {
        return Err(invalid("carries more than 32 approval ids"));
    }
    Ok(ids)
}

/// Records a request rejected at stage 5 and renders the error.
async fn rejected(services: &Services, route: &'static str, ctx: RequestContext, err: RelayError) -> Response {
    RelayFailure(services.reject(&ctx, route, err).await).into_response()
}

pub async fn chat_completions(State(services): State<Services>, Extension(RequestId(id)): Extension<RequestId>, caller: RelayCaller, req: Request) -> Response {
    const ROUTE: &str = "chat.completions";
    let (ctx, bytes) = match prepare(&services, caller, id, "chat", req).await {
        Ok(prepared) => prepared,
        Err((ctx, err)) => return rejected(&services, ROUTE, ctx, err).await,
    };
    let input = match wire::parse_chat(&bytes) {
        Ok(input) => input,
        Err(err) => return rejected(&services, ROUTE, ctx, err).await,
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
        Err(err) => return rejected(&services, ROUTE, ctx, err).await,
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
