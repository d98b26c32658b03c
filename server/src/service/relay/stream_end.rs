//! The end of a streamed reply (SPEC §3.4, §4.7): the output fold and advanced checks on the complete
//! text (match rows, annotations comment, a late block's truncation notice), the usage chunk, metering
//! and the request row; or the error event / truncation notice when the stream was cut short.
//!
//! Must not meter a stream that was blocked, denied, held, failed or abandoned (§3.6).

use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::engine::guardrail::config::ScanStage;
use crate::engine::guardrail::fold::{Decision, Role, Segment, SegmentKind, StageRequest};
use crate::service::relay::posture_cache::{ActiveGuardrail, Posture};
use crate::service::relay::screen::{annotations, grounding_sources, today};
use crate::service::relay::stream::{output_guardrail, send, Ending, Prepared, Pumped, Shape};
use crate::service::relay::{Outcome, RequestContext, StreamEvent};
use crate::service::Services;
use crate::upstream::Route;

/// The notice that ends a stream an output guardrail blocked (§3.4).
pub fn truncation_notice(guardrail_name: &str) -> String {
    format!("[response truncated by guardrail: {guardrail_name} policy violation]")
}

impl Services {
    /// Ends a stream after its pump returned: see the module doc.
    #[expect(clippy::too_many_arguments, reason = "the stream's phases share one request state")]
    pub(super) async fn finish_stream(
        &self,
        ctx: &RequestContext,
        posture: &Posture,
        route: &Route,
        body: &Value,
        prepared: &Prepared,
        outcome: &mut Outcome,
        pumped: Pumped,
        tx: &mpsc::Sender<StreamEvent>,
    ) {
        let guardrail = output_guardrail(posture);
        let judge_fully = matches!(pumped.ending, Ending::Finished);
        let mut blocked_choice = match pumped.ending {
            Ending::Truncated(index) => Some(index),
            _ => None,
        };
        let mut notes: Vec<Value> = Vec::new();
        if let Some(guardrail) = guardrail {
            for (index, text) in &pumped.received {
                let (blocked, found) = self.judge_output_text(ctx, posture, guardrail, body, prepared, text, judge_fully).await;
                notes.extend(found);
                if blocked && blocked_choice.is_none() {
                    blocked_choice = Some(*index);
                }
            }
        }
        match pumped.ending {
            Ending::Failed(err) => {
                self.record_request(ctx, outcome, Some(&err)).await;
                send(tx, StreamEvent::Error(err)).await;
            }
            Ending::ClientGone => self.record_request(ctx, outcome, None).await,
            Ending::Truncated(_) | Ending::Finished => {
                if let (Some(index), Some(guardrail)) = (blocked_choice, guardrail) {
                    let notice = pumped.shape.chunk(index, json!({"content": truncation_notice(&guardrail.name)}), Some("content_filter"));
                    send(tx, StreamEvent::Chunk(notice)).await;
                    outcome.blocked_code = Some("guardrail_blocked");
                    self.record_request(ctx, outcome, None).await;
                    send(tx, StreamEvent::Done).await;
                    return;
                }
                self.complete(ctx, route, outcome, &pumped.shape, notes, pumped.usage_chunk, tx).await;
            }
        }
    }

    /// The output fold on one choice's whole text (plus advanced checks when `advanced`), recorded as
    /// match rows. Returns whether it blocks and the annotations it adds.
    #[expect(clippy::too_many_arguments, reason = "the stream's phases share one request state")]
    async fn judge_output_text(
        &self,
        ctx: &RequestContext,
        posture: &Posture,
        guardrail: &ActiveGuardrail,
        body: &Value,
        prepared: &Prepared,
        text: &str,
        advanced: bool,
    ) -> (bool, Vec<Value>) {
        let segments = [Segment { role: Role::Assistant, kind: SegmentKind::Content, message: 0, text: text.to_owned() }];
        let request = StageRequest { stage: ScanStage::Output, segments: &segments, guardrail_id: guardrail.id, suppressed: &posture.suppressed, today: today() };
        let mut outcome = guardrail.compiled.evaluate(&request);
        let checks = guardrail.compiled.advanced_requests(ScanStage::Output);
        if advanced && outcome.decision == Decision::Pass && !checks.is_empty() {
            let sources = grounding_sources(body, &prepared.sources);
            let answers = self.advanced_answers(ctx, posture, guardrail, ScanStage::Output, &checks, &outcome.segments, &sources).await;
            outcome = guardrail.compiled.fold_advanced(&request, outcome, &answers);
        }
        self.record_matches(ctx, guardrail, &prepared.input_model, ScanStage::Output, &outcome.findings).await;
        let blocked = outcome.decision != Decision::Pass;
        (blocked, annotations(guardrail, &outcome.findings, ScanStage::Output))
    }

    /// A normal end: annotations comment, usage chunk, metering, request row, `[DONE]`.
    #[expect(clippy::too_many_arguments, reason = "the stream's phases share one request state")]
    async fn complete(
        &self,
        ctx: &RequestContext,
        route: &Route,
        outcome: &mut Outcome,
        _shape: &Shape,
        notes: Vec<Value>,
        usage_chunk: Option<Value>,
        tx: &mpsc::Sender<StreamEvent>,
    ) {
        if !notes.is_empty() {
            send(tx, StreamEvent::Comment(format!("palisade.annotations {}", json!({"annotations": notes})))).await;
        }
        if let Some(chunk) = usage_chunk {
            send(tx, StreamEvent::Chunk(chunk)).await;
        }
        let (prompt, completion) = (outcome.prompt_tokens, outcome.completion_tokens);
        match self.charge(ctx, outcome, &route.price, prompt, completion).await {
            Ok(()) => {
                self.record_request(ctx, outcome, None).await;
                send(tx, StreamEvent::Done).await;
            }
            Err(err) => {
                self.record_request(ctx, outcome, Some(&err)).await;
                send(tx, StreamEvent::Error(err)).await;
            }
        }
    }
}
