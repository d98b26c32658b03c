//! Stages 11 and 13 (§5.1, §5.2): the firewall on the tools a request advertises (`inbound`) and on the
//! tool calls the model emitted (`response`), one event row per evaluation.
//!
//! The engine decides; this module resolves "no policy" (observe or silent), fills the evaluation context
//! (run spend, estimate), records, and turns denies and holds into errors. Sanitize rewrites arguments.
//! Approval storage (§5.10) is not here yet: a hold is reported without approval ids.

use serde_json::Value;

use crate::engine::firewall::{args_hash, evaluate_no_policy, parse_arguments, EvalContext, EventVerdict, Evaluation, Surface, ToolCall};
use crate::service::recorder::Record;
use crate::service::relay::posture_cache::Posture;
use crate::service::relay::{RelayError, RequestContext};
use crate::service::Services;
use crate::store::firewall_events::EventRecord;

/// Longest `args_summary` stored (§9.4).
const SUMMARY_CHARS: usize = 512;

/// A completed tool call of a reply: where it is, its name and raw arguments.
#[derive(Clone, Debug)]
pub struct EmittedCall {
    pub tool: String,
    pub arguments: String,
}

/// The verdicts of one batch of calls on one surface.
#[derive(Debug, Default)]
pub struct Verdicts {
    /// Per call: `Some(new arguments)` when sanitize rewrote them.
    pub rewritten: Vec<Option<String>>,
    denied: Vec<(String, String)>,
    held: Vec<String>,
}

impl Verdicts {
    /// `FirewallBlocked` if any call was denied, else `ApprovalPending` if any was held (§5.1).
    pub fn into_error(self) -> Option<RelayError> {
        if let Some((_, reason)) = self.denied.first() {
            let tools = self.denied.iter().map(|(tool, _)| tool.clone()).collect();
            return Some(RelayError::FirewallBlocked { tools, reason: reason.clone() });
        }
        (!self.held.is_empty()).then(|| RelayError::ApprovalPending { tools: self.held, approval_ids: Vec::new() })
    }
}

impl Services {
    /// Stage 11: every tool in `tools[]`/`functions[]`, by name; any deny → `FirewallBlocked`.
    pub async fn check_inbound_tools(&self, ctx: &RequestContext, posture: &Posture, model: &str, tools: &[String], estimate_cents: i64) -> Result<(), RelayError> {
        if tools.is_empty() || (posture.policy.is_none() && !posture.observe_mode) {
            return Ok(());
        }
        let calls: Vec<EmittedCall> = tools.iter().map(|tool| EmittedCall { tool: tool.clone(), arguments: String::new() }).collect();
        let verdicts = self.judge_calls(ctx, posture, model, Surface::Inbound, &calls, estimate_cents).await?;
        verdicts.into_error().map_or(Ok(()), Err)
    }

    /// Stage 13 for a JSON reply: every `tool_calls` entry of every choice; sanitize rewrites arguments in
    /// place. Returns the number of calls emitted.
    pub async fn check_response_tools(&self, ctx: &RequestContext, posture: &Posture, model: &str, reply: &mut Value, estimate_cents: i64) -> Result<i64, RelayError> {
        let mut places = Vec::new();
        let mut calls = Vec::new();
        for (choice_index, choice) in reply.get("choices").and_then(Value::as_array).into_iter().flatten().enumerate() {
            for (call_index, call) in choice.pointer("/message/tool_calls").and_then(Value::as_array).into_iter().flatten().enumerate() {
                let tool = call.pointer("/function/name").and_then(Value::as_str).unwrap_or_default().to_owned();
                let arguments = call.pointer("/function/arguments").and_then(Value::as_str).unwrap_or_default().to_owned();
                places.push((choice_index, call_index));
                calls.push(EmittedCall { tool, arguments });
            }
        }
        if calls.is_empty() {
            return Ok(0);
        }
        let verdicts = self.judge_calls(ctx, posture, model, Surface::Response, &calls, estimate_cents).await?;
        for ((choice_index, call_index), rewritten) in places.iter().zip(verdicts.rewritten.iter()) {
            if let Some(arguments) = rewritten {
                let pointer = format!("/choices/{choice_index}/message/tool_calls/{call_index}/function/arguments");
                if let Some(slot) = reply.pointer_mut(&pointer) {
                    *slot = Value::String(arguments.clone());
                }
            }
        }
        match verdicts.into_error() {
            Some(err) => Err(err),
            None => Ok(calls.len() as i64),
        }
    }

    /// Evaluates `calls` on `surface`, records one event per evaluation, and collects the verdicts.
    pub async fn judge_calls(
        &self,
        ctx: &RequestContext,
        posture: &Posture,
        model: &str,
        surface: Surface,
        calls: &[EmittedCall],
        estimate_cents: i64,
    ) -> Result<Verdicts, RelayError> {
        let mut verdicts = Verdicts::default();
        let eval_ctx = EvalContext { run_spend_cents: self.run_spend_cents(ctx).await?, estimate_cents, ..Default::default() };
        for call in calls {
            let arguments = surface.has_arguments().then(|| parse_arguments(&call.arguments));
            let tool_call = ToolCall { surface, tool: call.tool.clone(), skill: ctx.skill.clone(), arguments: arguments.clone(), destination: None };
            let evaluation = match &posture.policy {
                Some(policy) => Some(policy.compiled.evaluate(&tool_call, &eval_ctx)),
                None => evaluate_no_policy(posture.observe_mode),
            };
            // No policy and observe mode off: allowed, and nothing is logged (§1.4).
            let Some(evaluation) = evaluation else {
                verdicts.rewritten.push(None);
                continue;
            };
            self.record_event(ctx, posture, model, &tool_call, &evaluation).await;
            match evaluation.verdict {
                EventVerdict::Deny => verdicts.denied.push((call.tool.clone(), evaluation.reason.clone())),
                EventVerdict::PendingApproval => verdicts.held.push(call.tool.clone()),
                _ => {}
            }
            verdicts.rewritten.push(evaluation.sanitized_arguments.as_ref().map(Value::to_string));
        }
        Ok(verdicts)
    }

    async fn record_event(&self, ctx: &RequestContext, posture: &Posture, model: &str, call: &ToolCall, evaluation: &Evaluation) {
        let summary = call.arguments.as_ref().map(|arguments| match &posture.policy {
            Some(policy) => policy.compiled.args_summary(arguments).0,
            None => crate::engine::firewall::sanitize::args_summary(&self.relay.summary_sanitizer, arguments).0,
        });
        let row = EventRecord {
            workspace_id: ctx.key.workspace_id,
            created_at: ctx.created_at,
            request_id: ctx.request_id.clone(),
            key_id: Some(ctx.key.id),
            key_name: ctx.key.name.clone(),
            model_name: Some(model.to_owned()),
            surface: call.surface.as_str().to_owned(),
            tool_name: call.tool.clone(),
            skill_name: call.skill.clone(),
            verdict: evaluation.verdict.as_str().to_owned(),
            reason: evaluation.reason.clone(),
            policy_id: posture.policy.as_ref().map(|policy| policy.id),
            policy_name: posture.policy.as_ref().map(|policy| policy.name.clone()),
            rule_id: evaluation.rule_id,
            rule_label: evaluation.rule_label.clone(),
            shadow: evaluation.shadow,
            gap: evaluation.gap,
            review: evaluation.review,
            args_summary: summary.map(|text| text.chars().take(SUMMARY_CHARS).collect()),
            args_hash: call.arguments.as_ref().map(args_hash),
            cost_check: evaluation.cost_check.and_then(|check| serde_json::to_value(check).ok()),
            run_id: ctx.lineage.run_id.clone(),
            conversation_id: ctx.lineage.conversation_id.clone(),
            step_id: ctx.lineage.step_id.clone(),
            parent_step_id: ctx.lineage.parent_step_id.clone(),
            ..Default::default()
        };
        self.relay.recorder.send(Record::Event(Box::new(row))).await;
    }
}
