//! Firewall policy configuration: the serde shapes of a policy body with its rules, exactly as
//! `POST /api/workspace/firewall/policies` accepts them (SPEC §2.6).
//!
//! Plain data only: no validation here (see `validate`) and no matching (see `evaluate`).
//! Unknown fields are ignored so that read-only fields sent back by clients (`version`,
//! `is_default`, `created_at`, …) do not fail a save.

use serde::{Deserialize, Serialize};

/// A firewall policy body with its rules (SPEC §2.6).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyConfig {
    /// Policy name, 1–64 characters after trimming.
    pub name: String,
    /// Free description, ≤ 512 characters.
    #[serde(default)]
    pub description: String,
    /// Disabled policies are never resolved (SPEC §1.4); the engine itself ignores the flag.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Verdict when no rule matches (not on `egress`).
    #[serde(default)]
    pub default_verdict: DefaultVerdict,
    /// Shadow mode (SPEC §5.8): enforcing verdicts become `audit`.
    #[serde(default)]
    pub shadow_mode: bool,
    /// Rules; evaluated by (`priority`, `id`) ascending, array order for rules without an id.
    #[serde(default)]
    pub rules: Vec<RuleConfig>,
}

fn default_true() -> bool {
    true
}

fn default_priority() -> i64 {
    100
}

/// The verdict a policy applies when no rule matches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DefaultVerdict {
    /// Let the call through.
    Allow,
    /// Let the call through and flag the event for review.
    #[default]
    Audit,
    /// Block the call.
    Deny,
}

impl DefaultVerdict {
    /// The wire name (`allow`, `audit`, `deny`).
    pub fn as_str(self) -> &'static str {
        match self {
            DefaultVerdict::Allow => "allow",
            DefaultVerdict::Audit => "audit",
            DefaultVerdict::Deny => "deny",
        }
    }
}

/// One firewall rule (SPEC §2.6 FirewallRule); read-only fields are not modelled.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleConfig {
    /// Stable id once saved; `None` in drafts and new rules. Tie-breaker for equal priorities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// 0–1 000 000; lower runs first.
    #[serde(default = "default_priority")]
    pub priority: i64,
    /// Shown as `rule_label`; ≤ 64 characters.
    #[serde(default)]
    pub label: Option<String>,
    /// Surface the rule applies to; `Any` (`""`) = every surface.
    #[serde(default)]
    pub stage: RuleStage,
    /// Tool-name glob (SPEC §5.3); `""` or `*` = any.
    #[serde(default)]
    pub tool_name_glob: String,
    /// Skill-name glob; `""` = any skill or none.
    #[serde(default)]
    pub skill_name_glob: String,
    /// What a match decides.
    pub verdict: RuleVerdict,
    /// Argument clauses, ANDed; empty = always true.
    #[serde(default)]
    pub args_match: Vec<ArgsClause>,
    /// Egress scope; present iff `stage` is `egress`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egress: Option<EgressConfig>,
    /// Sanitize settings; only with verdict `sanitize`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sanitize: Option<SanitizeConfig>,
    /// Budget in cents; required iff verdict `cap_cost`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap_cost_cents: Option<i64>,
    /// Free notes, ignored by the engine; ≤ 1024 characters.
    #[serde(default)]
    pub notes: String,
}

impl RuleConfig {
    /// A rule with every optional field at its default (priority 100, any stage, any tool).
    pub fn new(verdict: RuleVerdict) -> RuleConfig {
        RuleConfig {
            id: None,
            priority: default_priority(),
            label: None,
            stage: RuleStage::Any,
            tool_name_glob: String::new(),
            skill_name_glob: String::new(),
            verdict,
            args_match: Vec::new(),
            egress: None,
            sanitize: None,
            cap_cost_cents: None,
            notes: String::new(),
        }
    }
}

/// The `stage` of a rule: one surface or `""` (every surface).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RuleStage {
    /// `""`: every surface.
    #[default]
    #[serde(rename = "")]
    Any,
    /// `inbound`: tools advertised in a request.
    #[serde(rename = "inbound")]
    Inbound,
    /// `response`: tool calls the model emitted.
    #[serde(rename = "response")]
    Response,
    /// `mcp`: MCP gateway `tools/call` and evaluate-hook calls.
    #[serde(rename = "mcp")]
    Mcp,
    /// `egress`: the destination a dispatch dials.
    #[serde(rename = "egress")]
    Egress,
}

impl RuleStage {
    /// The wire name (`""` for every surface).
    pub fn as_str(self) -> &'static str {
        match self {
            RuleStage::Any => "",
            RuleStage::Inbound => "inbound",
            RuleStage::Response => "response",
            RuleStage::Mcp => "mcp",
            RuleStage::Egress => "egress",
        }
    }
}

/// The verdict a rule decides (SPEC §5.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleVerdict {
    /// Let the call through.
    Allow,
    /// Let the call through, flagged for review.
    Audit,
    /// Block the call.
    Deny,
    /// Redact secrets in the arguments, then let the call through.
    Sanitize,
    /// Hold the call until a human approves it.
    PendingApproval,
    /// Deny when run spend + estimate exceeds `cap_cost_cents`; otherwise passed over.
    CapCost,
}

impl RuleVerdict {
    /// The wire name (`allow`, …, `cap_cost`).
    pub fn as_str(self) -> &'static str {
        match self {
            RuleVerdict::Allow => "allow",
            RuleVerdict::Audit => "audit",
            RuleVerdict::Deny => "deny",
            RuleVerdict::Sanitize => "sanitize",
            RuleVerdict::PendingApproval => "pending_approval",
            RuleVerdict::CapCost => "cap_cost",
        }
    }
}

/// One argument clause (SPEC §5.4): `{"path", "op", "value"?, "normalize"?}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ArgsClause {
    /// `$`, then `.key` and `[n]` segments.
    pub path: String,
    /// The operator.
    pub op: ArgsOp,
    /// Operand; its shape depends on `op`. Absent is kept distinct from JSON `null`.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present_value")]
    pub value: Option<serde_json::Value>,
    /// `"shell"` to match on the shell text (only `contains` and `regex`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normalize: Option<Normalize>,
}

// Why: `Option<Value>` would turn an explicit `"value": null` into `None`; `eq null` is a
// meaningful clause, so a present null is kept as `Some(Value::Null)`.
fn present_value<'de, D>(deserializer: D) -> Result<Option<serde_json::Value>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    serde_json::Value::deserialize(deserializer).map(Some)
}

/// Argument operators (SPEC §5.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArgsOp {
    /// JSON equality.
    Eq,
    /// Not equal; true on a missing path.
    Ne,
    /// Substring.
    Contains,
    /// Unanchored regex search.
    Regex,
    /// Numerically greater.
    Gt,
    /// Numerically less.
    Lt,
    /// IP inside one of the CIDRs.
    InCidr,
    /// Path present.
    Exists,
}

impl ArgsOp {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ArgsOp::Eq => "eq",
            ArgsOp::Ne => "ne",
            ArgsOp::Contains => "contains",
            ArgsOp::Regex => "regex",
            ArgsOp::Gt => "gt",
            ArgsOp::Lt => "lt",
            ArgsOp::InCidr => "in_cidr",
            ArgsOp::Exists => "exists",
        }
    }
}

/// The only normalization: shell text (SPEC §5.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Normalize {
    /// Quote-, escape- and spacing-insensitive shell text.
    Shell,
}

/// Egress lists of an `egress`-stage rule (SPEC §5.11).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EgressConfig {
    /// Hostnames, `*.suffix`, IP literals or CIDRs in scope of a `deny`/`audit` rule.
    #[serde(default)]
    pub deny: Vec<String>,
    /// Exceptions of a `deny`/`audit` rule, or the scope of an `allow` rule.
    #[serde(default)]
    pub allow: Vec<String>,
}

/// Sanitize settings (SPEC §5.6).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SanitizeConfig {
    /// Preset names; `None` (omitted) = all presets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presets: Option<Vec<String>>,
    /// Custom regexes, applied after the presets.
    #[serde(default)]
    pub custom: Vec<CustomSanitize>,
}

/// One custom sanitize regex.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomSanitize {
    /// Shown in the console; not part of the replacement (`[redacted:custom]`).
    #[serde(default)]
    pub label: String,
    /// Pattern (`regex` crate syntax).
    pub regex: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_rule_takes_spec_defaults() {
        let rule: RuleConfig = serde_json::from_str(r#"{"verdict":"deny"}"#).expect("parses");
        assert_eq!(rule.priority, 100);
        assert_eq!(rule.stage, RuleStage::Any);
        assert_eq!(rule.tool_name_glob, "");
        assert!(rule.args_match.is_empty());
    }

    #[test]
    fn policy_defaults_are_enabled_audit_not_shadow() {
        let policy: PolicyConfig = serde_json::from_str(r#"{"name":"p"}"#).expect("parses");
        assert!(policy.enabled);
        assert_eq!(policy.default_verdict, DefaultVerdict::Audit);
        assert!(!policy.shadow_mode);
    }

    #[test]
    fn explicit_null_value_is_kept_apart_from_absent() {
        let with_null: ArgsClause =
            serde_json::from_str(r#"{"path":"$.a","op":"eq","value":null}"#).expect("parses");
        let absent: ArgsClause = serde_json::from_str(r#"{"path":"$.a","op":"exists"}"#).expect("parses");
        assert_eq!(with_null.value, Some(serde_json::Value::Null));
        assert_eq!(absent.value, None);
    }

    #[test]
    fn empty_stage_string_is_any_and_round_trips() {
        let rule: RuleConfig = serde_json::from_str(r#"{"verdict":"allow","stage":""}"#).expect("parses");
        assert_eq!(rule.stage, RuleStage::Any);
        let text = serde_json::to_string(&rule).expect("serializes");
        assert!(text.contains(r#""stage":"""#));
    }
}
