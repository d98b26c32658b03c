//! Stages 10 and 14 (§4.1, §4.4): guardrail screening of the request messages (or embedding inputs) and
//! of a non-streamed reply, through the engine's fold; match rows for every finding.
//!
//! Must not release text the fold blocked, and never puts matched text in errors or logs. `matched` is
//! stored only when the guardrail has `log_raw_content`.

use chrono::Datelike;
use serde_json::{json, Value};

use crate::engine::guardrail::config::{Action, ScanStage};
use crate::engine::guardrail::fold::{default_note, Decision, Finding, Role, Segment, SegmentKind, StageOutcome, StageRequest, SPOTLIGHT_NOTICE};
use crate::engine::guardrail::pii::CivilDate;
use crate::service::recorder::Record;
use crate::service::relay::posture_cache::{ActiveGuardrail, Posture};
use crate::service::relay::stream::Prepared;
use crate::service::relay::{RelayError, RequestContext};
use crate::service::{ServiceError, Services};
use crate::store::guardrail_matches::MatchRecord;

/// Where a screened segment lives in the body, to write the edited text back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    Content(usize),
    Part(usize, usize),
    Arguments(usize, usize),
    Input(Option<usize>),
    Choice(usize),
}

fn role_of(name: &str) -> Role {
    match name {
        "system" => Role::System,
        "developer" => Role::Developer,
        "assistant" => Role::Assistant,
        "tool" => Role::Tool,
        _ => Role::User,
    }
}

/// Today's date for date-checked entities.
pub fn today() -> CivilDate {
    let now = chrono::Utc::now();
    CivilDate::new(now.year().clamp(0, i32::from(u16::MAX)) as u16, now.month() as u8, now.day() as u8).unwrap_or(CivilDate::LATEST)
}

/// Segments to screen and, index for index, where each lives in the body.
#[derive(Default)]
struct Placed {
    segments: Vec<Segment>,
    places: Vec<Place>,
}

impl Placed {
    fn push(&mut self, segment: Segment, place: Place) {
        self.segments.push(segment);
        self.places.push(place);
    }

    /// Writes the fold's texts back, touching only the segments it changed (most requests change none).
    fn write_changed(&self, body: &mut Value, texts: &[String]) {
        for ((segment, place), text) in self.segments.iter().zip(&self.places).zip(texts) {
            if *text != segment.text {
                write_back(body, *place, text.clone());
            }
        }
    }
}

/// The input segments of §4.1: every content string or `text` part, and every `tool_calls` arguments string.
fn input_segments(body: &Value) -> Placed {
    let mut out = Placed::default();
    for (index, message) in body.get("messages").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let role = role_of(message.get("role").and_then(Value::as_str).unwrap_or("user"));
        let segment = |kind, text: &str| Segment { role, kind, message: index, text: text.to_owned() };
        match message.get("content") {
            Some(Value::String(text)) => out.push(segment(SegmentKind::Content, text), Place::Content(index)),
            Some(Value::Array(parts)) => {
                for (part_index, part) in parts.iter().enumerate() {
                    if part.get("type").and_then(Value::as_str) == Some("text") {
                        if let Some(text) = part.get("text").and_then(Value::as_str) {
                            out.push(segment(SegmentKind::Content, text), Place::Part(index, part_index));
                        }
                    }
                }
            }
            _ => {}
        }
        for (call_index, call) in message.get("tool_calls").and_then(Value::as_array).into_iter().flatten().enumerate() {
            if let Some(text) = call.pointer("/function/arguments").and_then(Value::as_str) {
                out.push(segment(SegmentKind::ToolArguments, text), Place::Arguments(index, call_index));
            }
        }
    }
    out
}

fn write_back(body: &mut Value, place: Place, text: String) {
    let slot = match place {
        Place::Content(m) => body.pointer_mut(&format!("/messages/{m}/content")),
        Place::Part(m, p) => body.pointer_mut(&format!("/messages/{m}/content/{p}/text")),
        Place::Arguments(m, c) => body.pointer_mut(&format!("/messages/{m}/tool_calls/{c}/function/arguments")),
        Place::Input(None) => body.get_mut("input"),
        Place::Input(Some(i)) => body.pointer_mut(&format!("/input/{i}")),
        Place::Choice(c) => body.pointer_mut(&format!("/choices/{c}/message/content")),
    };
    if let Some(slot) = slot {
        *slot = Value::String(text);
    }
}

impl Services {
    /// Stage 10 for chat: the input fold over the messages; on pass, the body with edits, the spotlight
    /// notice (first) and annotate notes (last) applied. `GuardrailBlocked` on block.
    pub async fn screen_input(&self, ctx: &RequestContext, posture: &Posture, model: &str, mut body: Value) -> Result<Value, RelayError> {
        let Some(guardrail) = &posture.guardrail else { return Ok(body) };
        let placed = input_segments(&body);
        let outcome = self.fold(ctx, posture, guardrail, model, ScanStage::Input, &placed.segments, &[]).await?;
        placed.write_changed(&mut body, &outcome.segments);
        if let Some(messages) = body.get_mut("messages").and_then(Value::as_array_mut) {
            if outcome.spotlighted {
                messages.insert(0, json!({"role": "system", "content": SPOTLIGHT_NOTICE}));
            }
            if !outcome.annotations.is_empty() {
                let lines: Vec<String> = outcome.annotations.iter().map(|note| format!("Security note: {note}")).collect();
                messages.push(json!({"role": "system", "content": lines.join("\n")}));
            }
        }
        Ok(body)
    }

    /// Stage 10 for embeddings: every `input` string screened on its own. Token-id arrays cannot be
    /// screened, so they are refused when a guardrail resolves (§3.1).
    pub async fn screen_embedding_input(
        &self,
        ctx: &RequestContext,
        posture: &Posture,
        model: &str,
        mut body: Value,
        texts: Option<Vec<String>>,
    ) -> Result<Value, RelayError> {
        let Some(guardrail) = &posture.guardrail else { return Ok(body) };
        let Some(texts) = texts else {
            let field = crate::service::FieldError::new("input", "token-id arrays cannot be screened by the guardrail; send text");
            return Err(ServiceError::from(field).into());
        };
        let single = body.get("input").is_some_and(Value::is_string);
        let mut placed = Placed::default();
        for (i, text) in texts.into_iter().enumerate() {
            placed.push(Segment { role: Role::User, kind: SegmentKind::Content, message: i, text }, Place::Input(if single { None } else { Some(i) }));
        }
        let outcome = self.fold(ctx, posture, guardrail, model, ScanStage::Input, &placed.segments, &[]).await?;
        placed.write_changed(&mut body, &outcome.segments);
        Ok(body)
    }

    /// Stage 14 for a JSON reply: the output fold over each choice's content; edits, `finish_reason:
    /// "length"` after a `max_chars` truncation, and `palisade.annotations`.
    pub async fn screen_output(&self, ctx: &RequestContext, posture: &Posture, prepared: &Prepared, request: &Value, reply: &mut Value) -> Result<(), RelayError> {
        let Some(guardrail) = &posture.guardrail else { return Ok(()) };
        let mut placed = Placed::default();
        for (i, choice) in reply.get("choices").and_then(Value::as_array).into_iter().flatten().enumerate() {
            if let Some(text) = choice.pointer("/message/content").and_then(Value::as_str) {
                placed.push(Segment { role: Role::Assistant, kind: SegmentKind::Content, message: i, text: text.to_owned() }, Place::Choice(i));
            }
        }
        if placed.segments.is_empty() {
            return Ok(());
        }
        let sources = grounding_sources(request, &prepared.sources);
        let outcome = self.fold(ctx, posture, guardrail, &prepared.input_model, ScanStage::Output, &placed.segments, &sources).await?;
        placed.write_changed(reply, &outcome.segments);
        for finding in outcome.findings.iter().filter(|f| f.rule_type == "max_chars" && f.action == Action::Mask) {
            for occurrence in &finding.occurrences {
                if let Some(Place::Choice(c)) = placed.places.get(occurrence.segment) {
                    reply["choices"][*c]["finish_reason"] = json!("length");
                }
            }
        }
        let annotations = annotations(guardrail, &outcome.findings, ScanStage::Output);
        if !annotations.is_empty() {
            reply["palisade"] = json!({"annotations": annotations});
        }
        Ok(())
    }

    /// Runs one stage of `guardrail` (deterministic fold, then advanced checks), records its matches, and
    /// turns a block into `GuardrailBlocked`.
    #[expect(clippy::too_many_arguments, reason = "the three stage entry points share it; a struct would only rename them")]
    async fn fold(
        &self,
        ctx: &RequestContext,
        posture: &Posture,
        guardrail: &ActiveGuardrail,
        model: &str,
        stage: ScanStage,
        segments: &[Segment],
        sources: &[String],
    ) -> Result<StageOutcome, RelayError> {
        let request = StageRequest { stage, segments, guardrail_id: guardrail.id, suppressed: &posture.suppressed, today: today() };
        let mut outcome = guardrail.compiled.evaluate(&request);
        if outcome.decision == Decision::Pass {
            let checks = guardrail.compiled.advanced_requests(stage);
            if !checks.is_empty() {
                let answers = self.advanced_answers(ctx, posture, guardrail, stage, &checks, &outcome.segments, sources).await;
                outcome = guardrail.compiled.fold_advanced(&request, outcome, &answers);
            }
        }
        self.record_matches(ctx, guardrail, model, stage, &outcome.findings).await;
        if let Decision::Blocked { rule_label, .. } = &outcome.decision {
            return Err(RelayError::GuardrailBlocked {
                guardrail_id: guardrail.id,
                guardrail_name: guardrail.name.clone(),
                rule_label: rule_label.clone(),
                stage: stage.name(),
            });
        }
        Ok(outcome)
    }

    /// One match row per finding (§2.9), through the recorder.
    pub async fn record_matches(&self, ctx: &RequestContext, guardrail: &ActiveGuardrail, model: &str, stage: ScanStage, findings: &[Finding]) {
        for finding in findings {
            let row = MatchRecord {
                workspace_id: ctx.key.workspace_id,
                created_at: ctx.created_at,
                request_id: ctx.request_id.clone(),
                key_id: Some(ctx.key.id),
                key_name: ctx.key.name.clone(),
                client_ip: ctx.client_ip.clone(),
                model_name: Some(model.to_owned()),
                guardrail_id: guardrail.id,
                guardrail_name: guardrail.name.clone(),
                rule_id: finding.rule_id.unwrap_or(finding.rule as i64),
                rule_label: finding.rule_label.clone(),
                rule_type: finding.rule_type.to_owned(),
                stage: stage.name().to_owned(),
                action: finding.action.name().to_owned(),
                entity: finding.entity.clone(),
                count: finding.count as i64,
                detail: finding.detail.clone(),
                // Raw text only while the guardrail's `log_raw_content` is on (§4.10).
                matched: if guardrail.log_raw_content { finding.matched.clone() } else { None },
                fingerprint: finding.fingerprint.clone().unwrap_or_default(),
                error: finding.error,
                run_id: ctx.lineage.run_id.clone(),
                conversation_id: ctx.lineage.conversation_id.clone(),
                step_id: ctx.lineage.step_id.clone(),
                parent_step_id: ctx.lineage.parent_step_id.clone(),
                ..Default::default()
            };
            self.relay.recorder.send(Record::Match(Box::new(row))).await;
        }
    }
}

/// `palisade.annotations` entries for the annotate findings of a stage (§3.3).
pub fn annotations(guardrail: &ActiveGuardrail, findings: &[Finding], stage: ScanStage) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for finding in findings.iter().filter(|f| f.action == Action::Annotate) {
        let note = guardrail.compiled.rules.get(finding.rule).and_then(|rule| rule.note.clone()).unwrap_or_else(|| default_note(&finding.rule_label));
        let entry = json!({"stage": stage.name(), "guardrail_id": guardrail.id, "rule_id": finding.rule_id, "rule_label": finding.rule_label, "note": note});
        if !out.contains(&entry) {
            out.push(entry);
        }
    }
    out
}

/// Grounding sources (§4.6): the contents of the request's `tool` messages plus `palisade_sources`.
pub fn grounding_sources(request: &Value, extra: &[String]) -> Vec<String> {
    let mut sources: Vec<String> = request
        .get("messages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|message| message.get("role").and_then(Value::as_str) == Some("tool"))
        .filter_map(|message| message.get("content").and_then(Value::as_str).map(str::to_owned))
        .collect();
    sources.extend(extra.iter().cloned());
    sources
}
