//! The MCP gateway (SPEC §5.12, §1.6): the JSON-RPC methods behind `POST /api/v1/firewall/mcp`.
//! `tools/list` aggregates every enabled server live, renamed `<server>.<tool>`; `tools/call` runs firewall
//! `mcp`, firewall `egress` (the server's host, resolved here), the dial guard, then forwards with the
//! original tool name and the server's credentials, returning the upstream result verbatim.
//!
//! Denials, holds, guard refusals and upstream failures are tool error results (`isError`), never
//! JSON-RPC or HTTP errors. The adapter owns the JSON-RPC framing (ids, batches, notifications).

use std::net::IpAddr;
use std::time::Duration;

use chrono::Utc;
use reqwest::Url;
use serde_json::{json, Value};

use crate::engine::firewall::{Destination, EvalContext, EventVerdict, Evaluation, Surface, ToolCall};
use crate::service::evaluate::gateway_fields;
use crate::service::mcp_registry::LIST_TIMEOUT;
use crate::service::recorder::Record;
use crate::service::relay::posture_cache::Posture;
use crate::service::relay::tools::evaluate_call;
use crate::service::relay::RequestContext;
use crate::service::Services;
use crate::store::{self, mcp_servers::McpServerRecord};
use crate::upstream::dial_guard::GuardRefusal;
use crate::upstream::mcp_client::McpError;

/// Protocol versions echoed back to a client; anything else gets the newest (§5.12).
const SUPPORTED_VERSIONS: [&str; 2] = ["2025-03-26", "2025-06-18"];
/// The longest a forwarded `tools/call` may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// A JSON-RPC error object.
#[derive(Clone, Debug, PartialEq)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
}

impl RpcError {
    pub const PARSE_ERROR: i64 = -32700;
    pub const INVALID_REQUEST: i64 = -32600;
    pub const METHOD_NOT_FOUND: i64 = -32601;
    pub const INVALID_PARAMS: i64 = -32602;
    pub const INTERNAL_ERROR: i64 = -32603;

    pub fn new(code: i64, message: impl Into<String>) -> RpcError {
        RpcError { code, message: message.into() }
    }
}

/// What one gateway method did, for the request row.
#[derive(Clone, Debug, Default)]
pub struct McpOutcome {
    pub firewall_policy_id: Option<i64>,
    pub tool_calls: i64,
}

/// The `initialize` result (§5.12).
pub fn initialize_result(params: &Value) -> Value {
    let asked = params.get("protocolVersion").and_then(Value::as_str).unwrap_or_default();
    let version = SUPPORTED_VERSIONS.iter().find(|v| **v == asked).copied().unwrap_or("2025-06-18");
    json!({
        "protocolVersion": version,
        "capabilities": {"tools": {"listChanged": false}},
        "serverInfo": {"name": "palisade", "version": env!("CARGO_PKG_VERSION")},
    })
}

/// A §5.12 tool error result.
pub fn tool_error(text: impl Into<String>) -> Value {
    json!({"content": [{"type": "text", "text": text.into()}], "isError": true})
}

impl Services {
    /// One JSON-RPC request (not a notification) of the gateway; `outcome` collects the request row's fields.
    pub async fn mcp_method(&self, ctx: &RequestContext, method: &str, params: &Value, outcome: &mut McpOutcome) -> Result<Value, RpcError> {
        self.require_scope(&ctx.key, "mcp").map_err(|err| RpcError::new(RpcError::INVALID_REQUEST, err.to_string()))?;
        match method {
            "initialize" => Ok(initialize_result(params)),
            "ping" => Ok(json!({})),
            "tools/list" => self.mcp_tools_list(ctx).await,
            "tools/call" => {
                outcome.tool_calls = 1;
                self.mcp_tools_call(ctx, params, outcome).await
            }
            other => Err(RpcError::new(RpcError::METHOD_NOT_FOUND, format!("method `{other}` is not supported"))),
        }
    }

    /// `tools/list`: every enabled server's tools, fetched in parallel; failing servers are left out and
    /// marked `down`. Not filtered by policy (§5.12).
    async fn mcp_tools_list(&self, ctx: &RequestContext) -> Result<Value, RpcError> {
        let servers = store::mcp_servers::list(&self.db, ctx.key.workspace_id).await.map_err(internal)?;
        let enabled: Vec<&McpServerRecord> = servers.iter().filter(|server| server.enabled).collect();
        let fetches = enabled.iter().map(|server| async move {
            let target = self.mcp_target(server).map_err(|err| McpError::Protocol(err.to_string()))?;
            self.mcp.call(&target, "tools/list", json!({}), LIST_TIMEOUT).await
        });
        let mut tools = Vec::new();
        for (server, fetched) in enabled.iter().zip(futures::future::join_all(fetches).await) {
            match fetched {
                Ok(result) => tools.extend(namespaced(&server.name, &result)),
                Err(err) => self.mark_mcp_down(server, &err, Utc::now()).await,
            }
        }
        Ok(json!({"tools": tools}))
    }

    /// `tools/call`: firewall `mcp`, firewall `egress`, dial guard, forward.
    async fn mcp_tools_call(&self, ctx: &RequestContext, params: &Value, outcome: &mut McpOutcome) -> Result<Value, RpcError> {
        let Some(name) = params.get("name").and_then(Value::as_str) else {
            return Err(RpcError::new(RpcError::INVALID_PARAMS, "params.name must be a `<server>.<tool>` string"));
        };
        let unknown = || RpcError::new(RpcError::INVALID_PARAMS, format!("unknown tool `{name}`: no enabled MCP server of that name"));
        let (server_name, tool) = name.split_once('.').ok_or_else(unknown)?;
        let server = store::mcp_servers::find_by_name(&self.db, ctx.key.workspace_id, server_name)
            .await
            .map_err(internal)?
            .filter(|server| server.enabled)
            .ok_or_else(unknown)?;
        let arguments = match params.get("arguments") {
            None | Some(Value::Null) => json!({}),
            Some(arguments) => arguments.clone(),
        };
        let posture = self.resolve_posture(&ctx.key).await.map_err(internal)?;
        outcome.firewall_policy_id = posture.policy.as_ref().map(|policy| policy.id);
        let run_spend_cents = self.run_spend_cents(ctx).await.map_err(|err| RpcError::new(RpcError::INTERNAL_ERROR, err.to_string()))?;
        let eval_ctx = EvalContext { run_spend_cents, ..Default::default() };
        let call = ToolCall { surface: Surface::Mcp, tool: name.to_owned(), skill: ctx.skill.clone(), arguments: Some(arguments.clone()), destination: None };
        let mut forwarded = arguments;
        let judged = self.evaluate_with_approvals(ctx, &posture, None, &call, &eval_ctx).await.map_err(internal)?;
        if let Some((evaluation, mut row)) = judged {
            gateway_fields(&mut row, &call, Some(server.name.clone()));
            let approval_id = row.approval_id.clone();
            self.relay.recorder.send(Record::Event(Box::new(row))).await;
            match (evaluation.verdict, approval_id) {
                (EventVerdict::Deny, _) => return Ok(tool_error(format!("firewall deny: {}", evaluation.reason))),
                (EventVerdict::PendingApproval, Some(id)) => return Ok(tool_error(format!("firewall approval pending: approval {id}"))),
                (EventVerdict::PendingApproval, None) => return Ok(tool_error(format!("firewall approval pending: {}", evaluation.reason))),
                _ => {}
            }
            if let Some(sanitized) = evaluation.sanitized_arguments {
                forwarded = sanitized;
            }
        }
        if let Some(refused) = self.mcp_egress(ctx, &posture, &eval_ctx, name, &server).await {
            return Ok(refused);
        }
        let target = self.mcp_target(&server).map_err(internal)?;
        match self.mcp.call(&target, "tools/call", json!({"name": tool, "arguments": forwarded}), CALL_TIMEOUT).await {
            Ok(result) => Ok(result),
            Err(McpError::Guard(refusal @ (GuardRefusal::Private(_) | GuardRefusal::BadUrl(_)))) => {
                // The name resolved differently at dial time (rebinding): still an egress deny.
                let egress = self.egress_call(name, &server, ctx).await;
                Ok(self.refuse_by_guard(ctx, &posture, &egress, &server, &refusal).await)
            }
            Err(err) => Ok(tool_error(format!("upstream error: {err}"))),
        }
    }

    /// Firewall `egress` on the server's endpoint, then the dial guard on the addresses it resolves to.
    /// Returns the tool error when the call must not be dialled.
    async fn mcp_egress(&self, ctx: &RequestContext, posture: &Posture, eval_ctx: &EvalContext, name: &str, server: &McpServerRecord) -> Option<Value> {
        let call = self.egress_call(name, server, ctx).await;
        let evaluation = evaluate_call(posture, &call, eval_ctx);
        if let Some(evaluation) = evaluation.as_ref().filter(|e| e.verdict == EventVerdict::Deny) {
            self.record_gateway_event(ctx, posture, &call, evaluation, server).await;
            return Some(tool_error(format!("firewall deny: {}", evaluation.reason)));
        }
        if let Some(refusal) = self.guard_refusal(&server.endpoint, call.destination.as_ref()) {
            return Some(self.refuse_by_guard(ctx, posture, &call, server, &refusal).await);
        }
        if let Some(evaluation) = evaluation {
            self.record_gateway_event(ctx, posture, &call, &evaluation, server).await;
        }
        None
    }

    /// The `egress` call of a dispatch: the endpoint's host, its resolved IPs and its port.
    async fn egress_call(&self, name: &str, server: &McpServerRecord, ctx: &RequestContext) -> ToolCall {
        let url = Url::parse(&server.endpoint).ok();
        let host = url.as_ref().and_then(|url| url.host_str()).map(|host| host.trim_start_matches('[').trim_end_matches(']').to_owned());
        let port = url.as_ref().and_then(Url::port_or_known_default);
        let ips = match &host {
            Some(host) => crate::service::evaluate::resolve_host(host, port.unwrap_or(0)).await,
            None => Vec::new(),
        };
        let destination = Destination { host, ips, port };
        ToolCall { surface: Surface::Egress, tool: name.to_owned(), skill: ctx.skill.clone(), arguments: None, destination: Some(destination) }
    }

    /// The guard's verdict on a destination before dialling: a refused literal, or a name whose every
    /// address is refused (the guarded client would find nothing to connect to).
    fn guard_refusal(&self, endpoint: &str, destination: Option<&Destination>) -> Option<GuardRefusal> {
        let url = match Url::parse(endpoint) {
            Ok(url) => url,
            Err(err) => return Some(GuardRefusal::BadUrl(format!("not a URL: {err}"))),
        };
        if let Err(refusal) = self.dial_guard.vet_literal(&url) {
            return Some(refusal);
        }
        let ips: &[IpAddr] = destination.map_or(&[], |d| d.ips.as_slice());
        match ips.iter().find(|ip| self.dial_guard.refuses(**ip)) {
            Some(first) if ips.iter().all(|ip| self.dial_guard.refuses(*ip)) => Some(GuardRefusal::Private(*first)),
            _ => None,
        }
    }

    /// Records a guard refusal as an `egress` event `deny` (§5.11) and returns its tool error. Recorded
    /// even without a policy: the guard is not configurable, and its refusals are security events.
    async fn refuse_by_guard(&self, ctx: &RequestContext, posture: &Posture, call: &ToolCall, server: &McpServerRecord, refusal: &GuardRefusal) -> Value {
        let reason = refusal.to_string();
        let evaluation = Evaluation {
            verdict: EventVerdict::Deny,
            rule_id: None,
            rule_label: None,
            reason: reason.clone(),
            shadow: false,
            gap: false,
            review: false,
            sanitized_arguments: None,
            cost_check: None,
            consumes_approval: false,
            trace: Vec::new(),
        };
        self.record_gateway_event(ctx, posture, call, &evaluation, server).await;
        tool_error(format!("firewall deny: {reason}"))
    }

    async fn record_gateway_event(&self, ctx: &RequestContext, posture: &Posture, call: &ToolCall, evaluation: &Evaluation, server: &McpServerRecord) {
        let mut row = self.event_row(ctx, posture, None, call, evaluation);
        gateway_fields(&mut row, call, Some(server.name.clone()));
        self.relay.recorder.send(Record::Event(Box::new(row))).await;
    }
}

/// A server's `tools/list` tools renamed `<server>.<tool>`, everything else unchanged.
fn namespaced(server: &str, result: &Value) -> Vec<Value> {
    result
        .get("tools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|tool| {
            let name = tool.get("name")?.as_str()?;
            let mut tool = tool.clone();
            tool["name"] = Value::String(format!("{server}.{name}"));
            Some(tool)
        })
        .collect()
}

fn internal(err: impl std::fmt::Display) -> RpcError {
    tracing::error!(error = %err, "MCP gateway internal error");
    RpcError::new(RpcError::INTERNAL_ERROR, "internal error")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initialize_echoes_known_versions_only() {
        assert_eq!(initialize_result(&json!({"protocolVersion": "2025-03-26"}))["protocolVersion"], "2025-03-26");
        assert_eq!(initialize_result(&json!({"protocolVersion": "2024-11-05"}))["protocolVersion"], "2025-06-18");
        assert_eq!(initialize_result(&json!({}))["capabilities"]["tools"]["listChanged"], false);
    }

    #[test]
    fn tools_are_renamed_and_otherwise_untouched() {
        let result = json!({"tools": [{"name": "search", "description": "d", "inputSchema": {"type": "object"}}]});
        assert_eq!(namespaced("kb", &result), vec![json!({"name": "kb.search", "description": "d", "inputSchema": {"type": "object"}})]);
    }
}
