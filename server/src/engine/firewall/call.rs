//! The inputs and outputs of one evaluation (SPEC §5.1, §2.8, §5.14): surface, tool call,
//! context (spend, estimate, presented approval, shadow override), event verdict, cost check,
//! trace and the `Evaluation` itself.
//!
//! Plain data; must not decide anything (see `evaluate` and `reason`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::engine::firewall::config::RuleStage;
use crate::engine::firewall::egress::Destination;
use crate::engine::firewall::validate::FieldError;

/// The surface a call is evaluated on (SPEC §5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Surface {
    /// Tools advertised in a request (no arguments).
    Inbound,
    /// Tool calls the model emitted.
    Response,
    /// MCP `tools/call` or an evaluate-hook call.
    Mcp,
    /// The destination a dispatch dials (destination only).
    Egress,
}

impl Surface {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Surface::Inbound => "inbound",
            Surface::Response => "response",
            Surface::Mcp => "mcp",
            Surface::Egress => "egress",
        }
    }

    /// Whether arguments take part on this surface (not on `inbound` and `egress`).
    pub fn has_arguments(self) -> bool {
        matches!(self, Surface::Response | Surface::Mcp)
    }

    /// Whether a rule with `stage` applies on this surface (`""` = every surface).
    pub fn stage_matches(self, stage: RuleStage) -> bool {
        matches!(
            (stage, self),
            (RuleStage::Any, _)
                | (RuleStage::Inbound, Surface::Inbound)
                | (RuleStage::Response, Surface::Response)
                | (RuleStage::Mcp, Surface::Mcp)
                | (RuleStage::Egress, Surface::Egress)
        )
    }
}

/// One tool call to judge.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// Where the call was seen.
    pub surface: Surface,
    /// Tool name (`<server>.<tool>` on the MCP gateway).
    pub tool: String,
    /// Skill name, when the client reported one.
    #[serde(default)]
    pub skill: Option<String>,
    /// Arguments; ignored on `inbound` and `egress`. Use `parse_arguments` for raw text.
    #[serde(default)]
    pub arguments: Option<Value>,
    /// Destination; only used on `egress`.
    #[serde(default)]
    pub destination: Option<Destination>,
}

/// Turns a raw `arguments` string into JSON; text that is not valid JSON becomes one JSON string
/// value (SPEC §5.2).
pub fn parse_arguments(raw: &str) -> Value {
    serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_string()))
}

/// An approval presented with the call (`X-Palisade-Approval`) that matches its tool and
/// `args_hash`, as looked up by the service (SPEC §5.1 step 7).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Approval {
    /// None presented, or none matching.
    #[default]
    None,
    /// Approved and unexpired: the held call becomes `allow`.
    Approved {
        /// Approval id.
        approval_id: String,
        /// Who approved (email or `webhook:<actor>`).
        actor: String,
    },
    /// Rejected: the held call becomes `deny`.
    Rejected {
        /// Approval id.
        approval_id: String,
    },
    /// Still pending: the call stays held under this id.
    Pending {
        /// Approval id.
        approval_id: String,
    },
}

/// Time-, money- and approval-dependent inputs of one evaluation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EvalContext {
    /// Metered cost of earlier requests of the same run, in cents (0 without a run id).
    pub run_spend_cents: i64,
    /// Cost estimate of this request, in cents.
    pub estimate_cents: i64,
    /// Approval matching this call, if any.
    pub approval: Approval,
    /// Shadow override (test sandbox); `None` uses the policy's `shadow_mode`.
    pub shadow: Option<bool>,
}

/// The verdict written to the event (never `cap_cost`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventVerdict {
    /// Proceeds.
    Allow,
    /// Proceeds, flagged for review.
    Audit,
    /// Blocked.
    Deny,
    /// Arguments rewritten, proceeds.
    Sanitize,
    /// Held for approval.
    PendingApproval,
    /// No policy, observe mode on.
    Observe,
}

impl EventVerdict {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventVerdict::Allow => "allow",
            EventVerdict::Audit => "audit",
            EventVerdict::Deny => "deny",
            EventVerdict::Sanitize => "sanitize",
            EventVerdict::PendingApproval => "pending_approval",
            EventVerdict::Observe => "observe",
        }
    }
}

/// The `cost_check` of an event: filled when a `cap_cost` rule was evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostCheck {
    /// The rule's cap.
    pub cap_cents: i64,
    /// Run spend used.
    pub run_spend_cents: i64,
    /// Estimate used.
    pub estimate_cents: i64,
    /// Whether spend + estimate exceeded the cap.
    pub over: bool,
}

/// Why a rule did not decide: the first failing condition of SPEC §5.14, or a passed-over cap.
/// Serializes as its text (`stage`, `tool_name_glob`, `skill_name_glob`, `args_match[i]`,
/// `egress scope`, `cap_cost under budget`); an enum so the hot path allocates nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceWhy {
    /// The rule's stage is another surface.
    Stage,
    /// The tool name does not match.
    ToolNameGlob,
    /// No skill, or the skill does not match.
    SkillNameGlob,
    /// The clause at this index does not hold.
    ArgsMatch(usize),
    /// The destination is not in the egress scope (or none was reported).
    EgressScope,
    /// A matching `cap_cost` rule under budget, passed over.
    CapCostUnderBudget,
}

impl std::fmt::Display for TraceWhy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TraceWhy::Stage => f.write_str("stage"),
            TraceWhy::ToolNameGlob => f.write_str("tool_name_glob"),
            TraceWhy::SkillNameGlob => f.write_str("skill_name_glob"),
            TraceWhy::ArgsMatch(idx) => write!(f, "args_match[{idx}]"),
            TraceWhy::EgressScope => f.write_str("egress scope"),
            TraceWhy::CapCostUnderBudget => f.write_str("cap_cost under budget"),
        }
    }
}

impl Serialize for TraceWhy {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// One line of the sandbox trace (SPEC §5.14).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleTraceStep {
    /// Rule id (`None` for unsaved draft rules).
    pub rule_id: Option<i64>,
    /// Index of the rule in the policy's `rules` array.
    pub rule_index: usize,
    /// Whether every condition held.
    pub matched: bool,
    /// The first failing condition (`stage`, `tool_name_glob`, `skill_name_glob`, `args_match[i]`,
    /// `egress scope`), or why a matching rule was passed over (`cap_cost under budget`).
    pub why: Option<TraceWhy>,
}

/// The outcome of one evaluation, ready for an event row or the sandbox response.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    /// Event verdict after surface adjustments, shadow and approvals.
    pub verdict: EventVerdict,
    /// Deciding rule id (`None` for the default verdict, no policy, or draft rules).
    pub rule_id: Option<i64>,
    /// Deciding rule label.
    pub rule_label: Option<String>,
    /// SPEC §5.5 reason, at most 512 characters.
    pub reason: String,
    /// True when shadow mode downgraded the verdict.
    pub shadow: bool,
    /// True when no rule matched (default verdict or observe).
    pub gap: bool,
    /// True when the final verdict is `audit`.
    pub review: bool,
    /// Rewritten arguments when the final verdict is `sanitize`.
    pub sanitized_arguments: Option<Value>,
    /// Filled when a `cap_cost` rule was evaluated (the last one reached).
    pub cost_check: Option<CostCheck>,
    /// True when an approved approval turned a hold into `allow`; the service marks it consumed.
    pub consumes_approval: bool,
    /// Rules visited, in evaluation order, up to the deciding one.
    pub trace: Vec<RuleTraceStep>,
}

/// A policy that failed validation; `fields` are the §9.2 field errors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// Every failing field.
    pub fields: Vec<FieldError>,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.fields.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
        write!(f, "invalid firewall policy: {}", parts.join("; "))
    }
}

impl std::error::Error for ConfigError {}
