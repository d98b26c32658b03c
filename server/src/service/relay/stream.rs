//! The streamed reply (SPEC §3.4, §4.7): the relay owns the stream. Text deltas pass through the engine's
//! `StreamScanner` (hold-back, masks, blocks → truncation notice); tool-call deltas are assembled into whole
//! calls, judged by the firewall (stage 13) and released as one delta each; a deny or hold ends the stream
//! with an error event and no `[DONE]`. At the end: advanced output checks, match rows, annotations comment,
//! the usage chunk when the client asked, metering, and the request row.
//!
//! Must not release text the scanner holds, nor a tool call before its verdict.

use std::collections::BTreeMap;
use std::time::Instant;

use futures::StreamExt;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::engine::firewall::Surface;
use crate::engine::guardrail::config::ScanStage;
use crate::engine::guardrail::stream::StreamScanner;
use crate::service::relay::posture_cache::{ActiveGuardrail, Posture};
use crate::service::relay::screen::today;
use crate::service::relay::tools::EmittedCall;
use crate::service::relay::{models, meter, EventStream, Outcome, RelayError, Reply, RequestContext, StreamEvent};
use crate::service::Services;
use crate::upstream::{estimate_tokens, ChunkStream, Route};

/// What the pipeline carries from the request into the reply phases.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// `provider/model` as the client sent it (echoed in replies and rows).
    pub input_model: String,
    pub sources: Vec<String>,
    pub include_usage: bool,
    pub estimate_cents: i64,
}

/// Events buffered between the pump and the client; small, so a slow client slows the upstream read.
const BUFFER: usize = 32;

/// One tool call being assembled from deltas.
#[derive(Clone, Debug, Default)]
struct PartialCall {
    id: String,
    name: String,
    arguments: String,
}

/// Per-choice state of the stream.
struct Choice<'g> {
    scanner: Option<StreamScanner<'g>>,
    calls: BTreeMap<u64, PartialCall>,
    released: String,
    truncated: bool,
    done: bool,
}

/// What the pump hands to `finish_stream`.
pub(super) struct Pumped {
    pub(super) ending: Ending,
    /// Per choice: the whole text received (what the output fold judges at the end).
    pub(super) received: Vec<(u64, String)>,
    /// The usage chunk, when the client asked for it (sent last, before `[DONE]`).
    pub(super) usage_chunk: Option<Value>,
    pub(super) shape: Shape,
}

/// How the upstream read ended.
pub(super) enum Ending {
    Finished,
    /// An output guardrail blocked choice `.0`: truncation notice, then `[DONE]`.
    Truncated(u64),
    Failed(RelayError),
    ClientGone,
}

/// Shape of the chunks Palisade sends.
pub(super) struct Shape {
    id: Value,
    created: Value,
    model: String,
}

impl Shape {
    pub(super) fn chunk(&self, index: u64, delta: Value, finish_reason: Option<&str>) -> Value {
        json!({"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model,
               "choices": [{"index": index, "delta": delta, "finish_reason": finish_reason}]})
    }
}

impl Services {
    /// Stage 12 for streams: opens the upstream stream (errors before the first byte are ordinary errors),
    /// then pumps it on a task; the reply's events come from that task.
    pub async fn start_stream(
        &self,
        ctx: RequestContext,
        posture: Posture,
        route: Route,
        body: Value,
        prepared: Prepared,
        mut outcome: Outcome,
    ) -> Result<Reply, RelayError> {
        let upstream_started = Instant::now();
        let upstream = route.provider.chat_stream(&route.model, &models::upstream_body(body.clone(), &route.model, true)).await;
        let upstream = upstream.map_err(RelayError::Upstream)?;
        let overhead_ms = (ctx.started.elapsed().as_millis() as u64).saturating_sub(upstream_started.elapsed().as_millis() as u64);
        let (tx, rx) = mpsc::channel(BUFFER);
        let services = self.clone();
        tokio::spawn(async move {
            let pumped = services.pump(&ctx, &posture, &body, &prepared, &mut outcome, upstream, &tx).await;
            outcome.upstream_ms = Some(upstream_started.elapsed().as_millis() as u64);
            services.finish_stream(&ctx, &posture, &route, &body, &prepared, &mut outcome, pumped, &tx).await;
        });
        let events = futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|event| (event, rx)) });
        let events: EventStream = Box::pin(events);
        Ok(Reply::Stream { events, overhead_ms })
    }

    #[expect(clippy::too_many_arguments, reason = "the stream's phases share one request state")]
    async fn pump(
        &self,
        ctx: &RequestContext,
        posture: &Posture,
        body: &Value,
        prepared: &Prepared,
        outcome: &mut Outcome,
        mut upstream: ChunkStream,
        tx: &mpsc::Sender<StreamEvent>,
    ) -> Pumped {
        let guardrail = output_guardrail(posture);
        let today = today();
        let mut shape = Shape { id: json!("chatcmpl-palisade"), created: json!(0), model: prepared.input_model.clone() };
        let mut choices: BTreeMap<u64, Choice<'_>> = BTreeMap::new();
        let mut usage: Option<Value> = None;
        let mut first = true;
        let ending = 'read: loop {
            let chunk = match upstream.next().await {
                None => break Ending::Finished,
                Some(Err(err)) => break Ending::Failed(RelayError::Upstream(err)),
                Some(Ok(chunk)) => chunk,
            };
            if first {
                shape.id = chunk.get("id").cloned().unwrap_or(shape.id);
                shape.created = chunk.get("created").cloned().unwrap_or(shape.created);
                first = false;
            }
            if let Some(found) = chunk.get("usage").filter(|value| value.is_object()) {
                usage = Some(found.clone());
            }
            for item in chunk.get("choices").and_then(Value::as_array).into_iter().flatten() {
                let index = item.get("index").and_then(Value::as_u64).unwrap_or(0);
                let choice = choices.entry(index).or_insert_with(|| Choice {
                    scanner: guardrail.map(|g| StreamScanner::new(&g.compiled, g.id, (*posture.suppressed).clone(), today)),
                    calls: BTreeMap::new(),
                    released: String::new(),
                    truncated: false,
                    done: false,
                });
                if choice.done {
                    continue;
                }
                let delta = item.get("delta").cloned().unwrap_or(Value::Null);
                if let Some(role) = delta.get("role").and_then(Value::as_str) {
                    if !send(tx, StreamEvent::Chunk(shape.chunk(index, json!({"role": role, "content": ""}), None))).await {
                        break 'read Ending::ClientGone;
                    }
                }
                for call_delta in delta.get("tool_calls").and_then(Value::as_array).into_iter().flatten() {
                    let call_index = call_delta.get("index").and_then(Value::as_u64).unwrap_or(0);
                    // A new call index completes every earlier call of the choice (§3.4).
                    let complete: Vec<u64> = choice.calls.keys().copied().filter(|k| *k < call_index).collect();
                    if let Some(ending) = self.release_calls(ctx, posture, prepared, outcome, &shape, index, choice, &complete, tx).await {
                        break 'read ending;
                    }
                    let call = choice.calls.entry(call_index).or_default();
                    if let Some(id) = call_delta.get("id").and_then(Value::as_str) {
                        call.id = id.to_owned();
                    }
                    call.name.push_str(call_delta.pointer("/function/name").and_then(Value::as_str).unwrap_or(""));
                    call.arguments.push_str(call_delta.pointer("/function/arguments").and_then(Value::as_str).unwrap_or(""));
                }
                if let Some(text) = delta.get("content").and_then(Value::as_str).filter(|text| !text.is_empty()) {
                    let (emit, blocked) = match choice.scanner.as_mut() {
                        Some(scanner) => {
                            let step = scanner.push(text);
                            choice.truncated |= step.truncated;
                            (step.emit, step.blocked.is_some())
                        }
                        None => (text.to_owned(), false),
                    };
                    if blocked {
                        break 'read Ending::Truncated(index);
                    }
                    if !emit.is_empty() {
                        choice.released.push_str(&emit);
                        if !send(tx, StreamEvent::Chunk(shape.chunk(index, json!({"content": emit}), None))).await {
                            break 'read Ending::ClientGone;
                        }
                    }
                }
                if let Some(finish) = item.get("finish_reason").and_then(Value::as_str) {
                    if let Some(ending) = self.finish_choice(ctx, posture, prepared, outcome, &shape, index, choice, finish, tx).await {
                        break 'read ending;
                    }
                }
            }
        };
        // Choices the upstream never finished are flushed as if it had (text held back is released now).
        let mut ending = ending;
        if matches!(ending, Ending::Finished) {
            for (index, choice) in choices.iter_mut().filter(|(_, choice)| !choice.done) {
                if let Some(end) = self.finish_choice(ctx, posture, prepared, outcome, &shape, *index, choice, "stop", tx).await {
                    ending = end;
                    break;
                }
            }
        }
        outcome.prompt_tokens = estimate_tokens(&meter::prompt_text(body));
        let received: Vec<(u64, String)> =
            choices.iter().map(|(index, choice)| (*index, choice.scanner.as_ref().map_or_else(|| choice.released.clone(), |s| s.received().to_owned()))).collect();
        let completion: String = choices.values().map(|c| c.released.clone() + &c.calls.values().map(|call| call.arguments.clone()).collect::<String>()).collect();
        outcome.completion_tokens = estimate_tokens(&completion);
        if let Some((prompt, completion)) = meter::usage_tokens(usage.as_ref()) {
            outcome.prompt_tokens = prompt;
            outcome.completion_tokens = completion;
        }
        let usage_chunk = usage.filter(|_| prepared.include_usage).map(|usage| {
            json!({"id": shape.id, "object": "chat.completion.chunk", "created": shape.created, "model": shape.model, "choices": [], "usage": usage})
        });
        Pumped { ending, received, usage_chunk, shape }
    }

    /// Flushes a choice's held text, judges its pending calls, and sends its finish chunk.
    #[expect(clippy::too_many_arguments, reason = "the stream's phases share one request state")]
    async fn finish_choice(
        &self,
        ctx: &RequestContext,
        posture: &Posture,
        prepared: &Prepared,
        outcome: &mut Outcome,
        shape: &Shape,
        index: u64,
        choice: &mut Choice<'_>,
        finish: &str,
        tx: &mpsc::Sender<StreamEvent>,
    ) -> Option<Ending> {
        if let Some(scanner) = choice.scanner.as_mut() {
            let step = scanner.finish();
            choice.truncated |= step.truncated;
            if step.blocked.is_some() {
                return Some(Ending::Truncated(index));
            }
            if !step.emit.is_empty() {
                choice.released.push_str(&step.emit);
                if !send(tx, StreamEvent::Chunk(shape.chunk(index, json!({"content": step.emit}), None))).await {
                    return Some(Ending::ClientGone);
                }
            }
        }
        let pending: Vec<u64> = choice.calls.keys().copied().collect();
        if let Some(ending) = self.release_calls(ctx, posture, prepared, outcome, shape, index, choice, &pending, tx).await {
            return Some(ending);
        }
        choice.done = true;
        let finish = if choice.truncated { "length" } else { finish };
        (!send(tx, StreamEvent::Chunk(shape.chunk(index, json!({}), Some(finish)))).await).then_some(Ending::ClientGone)
    }

    /// Judges the completed calls `indexes` of a choice and sends each allowed one as one delta.
    #[expect(clippy::too_many_arguments, reason = "the stream's phases share one request state")]
    async fn release_calls(
        &self,
        ctx: &RequestContext,
        posture: &Posture,
        prepared: &Prepared,
        outcome: &mut Outcome,
        shape: &Shape,
        index: u64,
        choice: &mut Choice<'_>,
        indexes: &[u64],
        tx: &mpsc::Sender<StreamEvent>,
    ) -> Option<Ending> {
        if indexes.is_empty() {
            return None;
        }
        let calls: Vec<(u64, PartialCall)> = indexes.iter().filter_map(|i| choice.calls.remove(i).map(|call| (*i, call))).collect();
        let emitted: Vec<EmittedCall> = calls.iter().map(|(_, call)| EmittedCall { tool: call.name.clone(), arguments: call.arguments.clone() }).collect();
        outcome.tool_calls += emitted.len() as i64;
        let mut verdicts = match self.judge_calls(ctx, posture, &prepared.input_model, Surface::Response, &emitted, prepared.estimate_cents).await {
            Ok(verdicts) => verdicts,
            Err(err) => return Some(Ending::Failed(err)),
        };
        let rewritten = std::mem::take(&mut verdicts.rewritten);
        if let Some(err) = verdicts.into_error() {
            return Some(Ending::Failed(err));
        }
        for ((call_index, call), new_arguments) in calls.into_iter().zip(rewritten) {
            let arguments = new_arguments.unwrap_or(call.arguments);
            let delta = json!({"tool_calls": [{"index": call_index, "id": call.id, "type": "function", "function": {"name": call.name, "arguments": arguments}}]});
            if !send(tx, StreamEvent::Chunk(shape.chunk(index, delta, None))).await {
                return Some(Ending::ClientGone);
            }
        }
        None
    }
}

/// The guardrail, when it has output-stage rules (otherwise text streams through untouched).
pub(super) fn output_guardrail(posture: &Posture) -> Option<&ActiveGuardrail> {
    posture.guardrail.as_deref().filter(|g| g.compiled.rules_for(ScanStage::Output).next().is_some())
}

/// Sends one event; false when the client has gone.
pub(super) async fn send(tx: &mpsc::Sender<StreamEvent>, event: StreamEvent) -> bool {
    tx.send(event).await.is_ok()
}

