//! Stages 11 and 13 (§5.1, §5.2): the firewall on the tools a request advertises (`inbound`) and on the
//! tool calls the model emitted (`response`), one event row per evaluation.
//!
//! The engine decides; this module resolves "no policy" (observe or silent), fills the evaluation context
//! (run spend, estimate), records, and turns denies and holds into errors. Sanitize rewrites arguments.
//! Holds go through `service::approvals` (§5.10): a presented approval for the same tool and arguments is
//! fed to the engine and consumed when it releases the call; a hold that remains gets its approval row.

use serde_json::Value;

use crate::engine::firewall::{args_hash, evaluate_no_policy, parse_arguments, Approval, EvalContext, EventVerdict, Evaluation, Surface, ToolCall};
use crate::service::approvals::HoldRequest;
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
    /// (tool, reason, approval id) per held call.
    held: Vec<(String, String, String)>,
}

impl Verdicts {
    /// `FirewallBlocked` if any call was denied, else `ApprovalPending` if any was held (§5.1).
    pub fn into_error(self) -> Option<RelayError> {
        if let Some((_, reason)) = self.denied.first() {
            let tools = self.denied.iter().map(|(tool, _)| tool.clone()).collect();
            return Some(RelayError::FirewallBlocked { tools, reason: reason.clone() });
        }
        let reason = self.held.first()?.1.clone();
        let (tools, approval_ids) = self.held.into_iter().map(|(tool, _, id)| (tool, id)).unzip();
        Some(RelayError::ApprovalPending { tools, approval_ids, reason })
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
            // No policy and observe mode off: allowed, and nothing is logged (§1.4).
            let Some((evaluation, row)) = self.evaluate_with_approvals(ctx, posture, Some(model), &tool_call, &eval_ctx).await? else {
                verdicts.rewritten.push(None);
                continue;
            };
            let approval_id = row.approval_id.clone();
            self.relay.recorder.send(Record::Event(Box::new(row))).await;
            match (evaluation.verdict, approval_id) {
                (EventVerdict::Deny, _) => verdicts.denied.push((call.tool.clone(), evaluation.reason.clone())),
                (EventVerdict::PendingApproval, Some(id)) => verdicts.held.push((call.tool.clone(), evaluation.reason.clone(), id)),
                _ => {}
            }
            verdicts.rewritten.push(evaluation.sanitized_arguments.as_ref().map(Value::to_string));
        }
        Ok(verdicts)
    }

    /// One evaluation with §5.1 step 7 applied, and its event row (not yet recorded) carrying the created,
    /// reused, rejected or consumed `approval_id`. `None` = silent allow (no policy, observe off).
    ///
    /// A presented approval is consumed only after the engine used it to release the hold; losing that race
    /// (a second retry with the same id) re-evaluates without it, so the call is held again.
    pub async fn evaluate_with_approvals(
        &self,
        ctx: &RequestContext,
        posture: &Posture,
        model: Option<&str>,
        call: &ToolCall,
        eval_ctx: &EvalContext,
    ) -> Result<Option<(Evaluation, EventRecord)>, RelayError> {
        let workspace_id = ctx.key.workspace_id;
        let hash = call.arguments.as_ref().map(args_hash);
        let mut eval_ctx = eval_ctx.clone();
        if let (Some(hash), Some(_)) = (&hash, &posture.policy) {
            eval_ctx.approval = self.presented_approval(workspace_id, &ctx.approval_ids, &call.tool, hash).await?;
        }
        let Some(mut evaluation) = evaluate_call(posture, call, &eval_ctx) else { return Ok(None) };
        let mut approval_id = None;
        if let (true, Approval::Approved { approval_id: id, .. }, Some(hash)) = (evaluation.consumes_approval, &eval_ctx.approval, &hash) {
            if self.consume_approval(workspace_id, id, &call.tool, hash, &ctx.request_id).await? {
                approval_id = Some(id.clone());
            } else {
                eval_ctx.approval = Approval::None;
                evaluation = evaluate_call(posture, call, &eval_ctx).unwrap_or(evaluation);
            }
        }
        if let Approval::Rejected { approval_id: id } = &eval_ctx.approval {
            if evaluation.verdict == EventVerdict::Deny && evaluation.reason.starts_with(&format!("rejected (approval {id})")) {
                approval_id = Some(id.clone());
            }
        }
        let mut row = self.event_row(ctx, posture, model, call, &evaluation);
        if let (EventVerdict::PendingApproval, Some(policy)) = (evaluation.verdict, &posture.policy) {
            let hold = HoldRequest {
                workspace_id,
                surface: call.surface,
                tool_name: call.tool.clone(),
                arguments: call.arguments.clone().unwrap_or(Value::Null),
                args_summary: row.args_summary.clone(),
                key_id: Some(ctx.key.id),
                key_name: ctx.key.name.clone(),
                request_id: ctx.request_id.clone(),
                lineage: ctx.lineage.clone(),
                policy_id: policy.id,
                policy_name: policy.name.clone(),
                rule_id: evaluation.rule_id,
                rule_label: evaluation.rule_label.clone(),
                reason: evaluation.reason.clone(),
            };
            approval_id = Some(self.hold_for_approval(hold).await?);
        }
        row.approval_id = approval_id;
        Ok(Some((evaluation, row)))
    }

    /// The §2.8 event row of one evaluation (shared with the MCP gateway and the evaluate hook, which add
    /// `mcp_server` and `destination`).
    pub fn event_row(&self, ctx: &RequestContext, posture: &Posture, model: Option<&str>, call: &ToolCall, evaluation: &Evaluation) -> EventRecord {
        let summary = call.arguments.as_ref().map(|arguments| match &posture.policy {
            Some(policy) => policy.compiled.args_summary(arguments).0,
            None => crate::engine::firewall::sanitize::args_summary(&self.relay.summary_sanitizer, arguments).0,
        });
        EventRecord {
            workspace_id: ctx.key.workspace_id,
            created_at: ctx.created_at,
            request_id: ctx.request_id.clone(),
            key_id: Some(ctx.key.id),
            key_name: ctx.key.name.clone(),
            model_name: model.map(str::to_owned),
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
        }
    }
}

/// One evaluation under the resolved posture: the policy's verdict, `observe` without a policy in observe
/// mode, or `None` (silent allow: no event, no Discovered Tools update, §1.4).
pub fn evaluate_call(posture: &Posture, call: &ToolCall, eval_ctx: &EvalContext) -> Option<Evaluation> {
    match &posture.policy {
        Some(policy) => Some(policy.compiled.evaluate(call, eval_ctx)),
        None => evaluate_no_policy(posture.observe_mode),
    }
}
