//! The evaluate hook (SPEC §5.13, §1.6): one evaluation of a tool call an external agent framework reports,
//! on any surface, under the gateway key's policy (§1.4), with DNS resolved here for a reported host (the
//! engine never resolves, §5.11). Also the request row both gateway routes write (`evaluate`, `mcp`).
//!
//! The event is written directly, not through the batch recorder, because the response carries its id
//! (`event_id`); the row and its Discovered Tools update share one transaction, as the recorder does.

use std::net::IpAddr;

use sea_orm::TransactionTrait;
use serde_json::Value;

use crate::engine::firewall::{Destination, EvalContext, EventVerdict, Evaluation, Surface, ToolCall};
use crate::service::recorder::{write_event, Record};
use crate::service::relay::posture_cache::Posture;
use crate::service::relay::{RelayError, RequestContext};
use crate::service::{ServiceError, ServiceResult, Services};
use crate::store;
use crate::store::firewall_events::EventRecord;
use crate::store::requests::RequestRecord;

/// A validated `POST /api/v1/firewall/evaluate` body (lineage ids travel in the request context).
#[derive(Clone, Debug, PartialEq)]
pub struct EvaluateInput {
    pub surface: Surface,
    pub tool_name: String,
    pub arguments: Option<Value>,
    pub skill_name: Option<String>,
    pub destination: Option<Destination>,
    pub approval_id: Option<String>,
    pub cost_estimate_cents: i64,
}

/// The §5.13 response.
#[derive(Clone, Debug, PartialEq)]
pub struct EvaluateOutput {
    pub verdict: &'static str,
    pub reason: String,
    pub policy_id: Option<i64>,
    pub policy_name: Option<String>,
    pub rule_id: Option<i64>,
    pub rule_label: Option<String>,
    pub shadow: bool,
    pub gap: bool,
    /// The sanitized arguments, only for `sanitize`.
    pub arguments: Option<Value>,
    /// The approval of a hold (created or reused, §5.10).
    pub approval_id: Option<String>,
    /// Null when nothing was recorded (no policy, observe mode off).
    pub event_id: Option<i64>,
}

/// What a gateway request did, for its request row (§2.7).
#[derive(Clone, Copy, Debug, Default)]
pub struct GatewayOutcome {
    pub route: &'static str,
    pub status: u16,
    pub error_code: Option<&'static str>,
    pub firewall_policy_id: Option<i64>,
    pub tool_calls: i64,
}

impl Services {
    /// `POST /api/v1/firewall/evaluate` (scope `evaluate`): resolve, evaluate once, record, answer.
    pub async fn evaluate_hook(&self, ctx: &RequestContext, input: EvaluateInput) -> ServiceResult<(EvaluateOutput, Option<i64>)> {
        self.require_scope(&ctx.key, "evaluate")?;
        let posture = self.resolve_posture(&ctx.key).await?;
        let policy_id = posture.policy.as_ref().map(|policy| policy.id);
        let destination = match input.destination {
            Some(destination) if input.surface == Surface::Egress => Some(resolve_destination(destination).await),
            _ => None,
        };
        let call = ToolCall {
            surface: input.surface,
            tool: input.tool_name.clone(),
            skill: input.skill_name.clone(),
            arguments: input.surface.has_arguments().then(|| input.arguments.clone().unwrap_or(Value::Object(Default::default()))),
            destination,
        };
        let run_spend_cents = self.run_spend_cents(ctx).await.map_err(service_error)?;
        let eval_ctx = EvalContext { run_spend_cents, estimate_cents: input.cost_estimate_cents, ..Default::default() };
        // Step 7 of §5.1 (a presented `approval_id`, holds) is the relay's path, shared as is.
        let Some((evaluation, mut row)) = self.evaluate_with_approvals(ctx, &posture, None, &call, &eval_ctx).await.map_err(service_error)? else {
            return Ok((silent_allow(), policy_id));
        };
        let mcp_server = self.registered_server_of(ctx.key.workspace_id, &call.tool).await?;
        gateway_fields(&mut row, &call, mcp_server);
        let txn = self.db.begin().await?;
        let event_id = write_event(&txn, &row).await?;
        txn.commit().await?;
        Ok((output(&posture, evaluation, row.approval_id, event_id), policy_id))
    }

    /// The server name when the prefix before the first `.` is a registered server (§2.12).
    async fn registered_server_of(&self, workspace_id: i64, tool: &str) -> ServiceResult<Option<String>> {
        let Some((prefix, _)) = tool.split_once('.') else { return Ok(None) };
        Ok(store::mcp_servers::find_by_name(&self.db, workspace_id, prefix).await?.map(|record| record.name))
    }

    /// The request row of a gateway call (routes `evaluate` and `mcp`), through the recorder.
    pub async fn record_gateway_request(&self, ctx: &RequestContext, outcome: GatewayOutcome) {
        let row = RequestRecord {
            workspace_id: ctx.key.workspace_id,
            request_id: ctx.request_id.clone(),
            created_at: ctx.created_at,
            key_id: Some(ctx.key.id),
            key_name: ctx.key.name.clone(),
            route: outcome.route.to_owned(),
            status: i64::from(outcome.status),
            error_code: outcome.error_code.map(str::to_owned),
            firewall_policy_id: outcome.firewall_policy_id,
            tool_calls: outcome.tool_calls,
            client_ip: ctx.client_ip.clone(),
            latency_ms: ctx.started.elapsed().as_millis() as i64,
            run_id: ctx.lineage.run_id.clone(),
            conversation_id: ctx.lineage.conversation_id.clone(),
            step_id: ctx.lineage.step_id.clone(),
            parent_step_id: ctx.lineage.parent_step_id.clone(),
            ..Default::default()
        };
        self.relay.recorder.send(Record::Request(Box::new(row))).await;
    }
}

/// What the gateway adds to the relay's §2.8 row: `mcp_server` and the egress `destination`.
pub fn gateway_fields(row: &mut EventRecord, call: &ToolCall, mcp_server: Option<String>) {
    row.mcp_server = mcp_server;
    row.destination = call.destination.as_ref().and_then(|destination| serde_json::to_value(destination).ok());
}

fn service_error(err: RelayError) -> ServiceError {
    match err {
        RelayError::Service(err) => err,
        other => ServiceError::Internal(anyhow::anyhow!("evaluate hook: {other}")),
    }
}

/// Fills `ips` from DNS when the caller reported only a host; a name that does not resolve keeps no IPs,
/// so only hostname entries can match it.
pub async fn resolve_destination(mut destination: Destination) -> Destination {
    if destination.ips.is_empty() {
        if let Some(host) = destination.host.clone().filter(|host| !host.is_empty()) {
            destination.ips = resolve_host(&host, destination.port.unwrap_or(0)).await;
        }
    }
    destination
}

/// The addresses `host` resolves to (an IP literal is itself), deduplicated, in resolver order.
pub async fn resolve_host(host: &str, port: u16) -> Vec<IpAddr> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return vec![ip];
    }
    let mut ips: Vec<IpAddr> = Vec::new();
    if let Ok(addrs) = tokio::net::lookup_host((bare, port)).await {
        for addr in addrs {
            if !ips.contains(&addr.ip()) {
                ips.push(addr.ip());
            }
        }
    }
    ips
}

/// No policy with observe mode off: allowed, nothing recorded (§5.13).
fn silent_allow() -> EvaluateOutput {
    EvaluateOutput {
        verdict: EventVerdict::Allow.as_str(),
        reason: "no firewall policy".into(),
        policy_id: None,
        policy_name: None,
        rule_id: None,
        rule_label: None,
        shadow: false,
        gap: false,
        arguments: None,
        approval_id: None,
        event_id: None,
    }
}

fn output(posture: &Posture, evaluation: Evaluation, approval_id: Option<String>, event_id: i64) -> EvaluateOutput {
    let sanitized = evaluation.verdict == EventVerdict::Sanitize;
    EvaluateOutput {
        verdict: evaluation.verdict.as_str(),
        reason: evaluation.reason,
        policy_id: posture.policy.as_ref().map(|policy| policy.id),
        policy_name: posture.policy.as_ref().map(|policy| policy.name.clone()),
        rule_id: evaluation.rule_id,
        rule_label: evaluation.rule_label,
        shadow: evaluation.shadow,
        gap: evaluation.gap,
        arguments: if sanitized { evaluation.sanitized_arguments } else { None },
        approval_id: if evaluation.verdict == EventVerdict::PendingApproval { approval_id } else { None },
        event_id: Some(event_id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reported_ips_are_kept_and_literals_need_no_lookup() {
        let given = Destination { host: Some("api.example.com".into()), ips: vec!["8.8.8.8".parse().expect("test address")], port: Some(443) };
        assert_eq!(resolve_destination(given.clone()).await, given);
        let literal = Destination { host: Some("[::1]".into()), ips: vec![], port: None };
        assert_eq!(resolve_destination(literal).await.ips, vec!["::1".parse::<IpAddr>().expect("test address")]);
        let localhost = resolve_host("localhost", 80).await;
        assert!(localhost.iter().all(IpAddr::is_loopback) && !localhost.is_empty(), "{localhost:?}");
    }
}
