//! Save-time validation of a policy body (SPEC §2.6, limits of §9.4): every error names its
//! field path (`rules[3].args_match[0].value`) with a lowercase message, for 422 responses.
//!
//! Collects all errors instead of stopping at the first. `CompiledPolicy::compile` runs this
//! first, so the evaluator never sees an invalid rule. Start at `validate`.

use serde::{Deserialize, Serialize};

use crate::engine::firewall::args::{build_regex, CompiledClause, RegexCache};
use crate::engine::firewall::config::{PolicyConfig, RuleConfig, RuleStage, RuleVerdict, SanitizeConfig};
use crate::engine::firewall::egress::{check_entry, MAX_EGRESS_ENTRIES};
use crate::engine::firewall::sanitize::preset_by_name;

/// Rules per policy (SPEC §9.4).
pub const MAX_RULES: usize = 500;
/// `args_match` clauses per rule.
pub const MAX_CLAUSES: usize = 16;
/// Glob length in characters.
pub const MAX_GLOB_CHARS: usize = 128;
/// Name and rule-label length in characters.
pub const MAX_NAME_CHARS: usize = 64;
/// Description length in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 512;
/// Rule notes length in characters.
pub const MAX_NOTES_CHARS: usize = 1024;
/// Highest rule priority.
pub const MAX_PRIORITY: i64 = 1_000_000;

/// One validation failure: the field path as SPEC §9.2 shows it, and a lowercase message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// Field path, e.g. `rules[2].args_match[0].value`.
    pub field: String,
    /// Lowercase, human-readable message.
    pub message: String,
}

impl FieldError {
    /// Builds a field error.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError { field: field.into(), message: message.into() }
    }
}

/// Validates a policy body; `Err` lists every failing field.
pub fn validate(policy: &PolicyConfig) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    let name_chars = policy.name.trim().chars().count();
    if name_chars == 0 || name_chars > MAX_NAME_CHARS {
        errors.push(FieldError::new("name", "name must be 1 to 64 characters"));
    }
    if policy.description.chars().count() > MAX_DESCRIPTION_CHARS {
        errors.push(FieldError::new("description", "description must be at most 512 characters"));
    }
    if policy.rules.len() > MAX_RULES {
        errors.push(FieldError::new("rules", "a policy has at most 500 rules"));
    }
    let mut cache = RegexCache::default();
    for (idx, rule) in policy.rules.iter().enumerate() {
        validate_rule_with(&format!("rules[{idx}]"), rule, &mut cache, &mut errors);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Validates one rule, pushing errors prefixed with `prefix` (e.g. `rules[3]`); for the
/// single-rule routes (`POST /policies/:id/rules`).
pub fn validate_rule(prefix: &str, rule: &RuleConfig, errors: &mut Vec<FieldError>) {
    validate_rule_with(prefix, rule, &mut RegexCache::default(), errors);
}

fn validate_rule_with(prefix: &str, rule: &RuleConfig, cache: &mut RegexCache, errors: &mut Vec<FieldError>) {
    let mut push = |field: &str, message: String| errors.push(FieldError::new(format!("{prefix}.{field}"), message));
    if !(0..=MAX_PRIORITY).contains(&rule.priority) {
        push("priority", "priority must be between 0 and 1000000".into());
    }
    if rule.label.as_deref().is_some_and(|label| label.chars().count() > MAX_NAME_CHARS) {
        push("label", "label must be at most 64 characters".into());
    }
    if rule.notes.chars().count() > MAX_NOTES_CHARS {
        push("notes", "notes must be at most 1024 characters".into());
    }
    for (field, glob) in [("tool_name_glob", &rule.tool_name_glob), ("skill_name_glob", &rule.skill_name_glob)] {
        if let Err(message) = check_glob(glob) {
            push(field, message);
        }
    }
    if rule.args_match.len() > MAX_CLAUSES {
        push("args_match", "a rule has at most 16 args_match clauses".into());
    }
    for (idx, clause) in rule.args_match.iter().enumerate() {
        if let Err(error) = CompiledClause::compile_with(clause, cache) {
            push(&format!("args_match[{idx}].{}", error.field), error.message);
        }
    }
    match rule.stage {
        RuleStage::Egress => check_egress_rule(rule, &mut push),
        RuleStage::Inbound => {
            if rule.egress.is_some() {
                push("egress", "egress is only allowed with stage egress".into());
            }
            if !rule.args_match.is_empty() {
                push("args_match", "inbound rules take no args_match (no arguments on inbound)".into());
            }
            if rule.verdict == RuleVerdict::PendingApproval {
                push("verdict", "inbound rules may not use pending_approval (no arguments to hash)".into());
            }
        }
        RuleStage::Any | RuleStage::Response | RuleStage::Mcp => {
            if rule.egress.is_some() {
                push("egress", "egress is only allowed with stage egress".into());
            }
        }
    }
    match (&rule.sanitize, rule.verdict) {
        (Some(_), verdict) if verdict != RuleVerdict::Sanitize => {
            push("sanitize", "sanitize is only allowed with verdict sanitize".into());
        }
        (Some(config), _) => check_sanitize(config, &mut push),
        (None, _) => {}
    }
    match (rule.cap_cost_cents, rule.verdict) {
        (None, RuleVerdict::CapCost) => push("cap_cost_cents", "cap_cost_cents is required with verdict cap_cost".into()),
        (Some(cents), RuleVerdict::CapCost) if cents < 1 => push("cap_cost_cents", "cap_cost_cents must be at least 1".into()),
        (Some(_), verdict) if verdict != RuleVerdict::CapCost => {
            push("cap_cost_cents", "cap_cost_cents is only allowed with verdict cap_cost".into());
        }
        _ => {}
    }
}

fn check_glob(glob: &str) -> Result<(), String> {
    if glob.chars().count() > MAX_GLOB_CHARS {
        return Err("glob must be at most 128 characters".into());
    }
    if glob.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("glob must not contain whitespace or control characters".into());
    }
    Ok(())
}

fn check_egress_rule(rule: &RuleConfig, push: &mut impl FnMut(&str, String)) {
    if !rule.args_match.is_empty() {
        push("args_match", "egress rules take no args_match".into());
    }
    if !matches!(rule.verdict, RuleVerdict::Allow | RuleVerdict::Audit | RuleVerdict::Deny) {
        push("verdict", "egress rules must use verdict allow, audit or deny".into());
    }
    let Some(egress) = &rule.egress else {
        push("egress", "egress is required with stage egress".into());
        return;
    };
    if rule.verdict == RuleVerdict::Allow && !egress.deny.is_empty() {
        push("egress.deny", "an allow egress rule must have an empty deny list".into());
    }
    for (list_name, list) in [("deny", &egress.deny), ("allow", &egress.allow)] {
        if list.len() > MAX_EGRESS_ENTRIES {
            push(&format!("egress.{list_name}"), "an egress list has at most 256 entries".into());
        }
        for (idx, entry) in list.iter().enumerate() {
            if let Err(message) = check_entry(entry) {
                push(&format!("egress.{list_name}[{idx}]"), message);
            }
        }
    }
}

fn check_sanitize(config: &SanitizeConfig, push: &mut impl FnMut(&str, String)) {
    for (idx, name) in config.presets.iter().flatten().enumerate() {
        if preset_by_name(name).is_none() {
            push(&format!("sanitize.presets[{idx}]"), format!("unknown sanitize preset: {name:?}"));
        }
    }
    for (idx, custom) in config.custom.iter().enumerate() {
        if custom.label.chars().count() > MAX_NAME_CHARS {
            push(&format!("sanitize.custom[{idx}].label"), "label must be at most 64 characters".into());
        }
        if let Err(message) = build_regex(&custom.regex) {
            push(&format!("sanitize.custom[{idx}].regex"), message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors_of(policy: serde_json::Value) -> Vec<(String, String)> {
        let policy: PolicyConfig = serde_json::from_value(policy).expect("policy json");
        match validate(&policy) {
            Ok(()) => Vec::new(),
            Err(errors) => errors.into_iter().map(|e| (e.field, e.message)).collect(),
        }
    }

    fn fields_of(rule: serde_json::Value) -> Vec<String> {
        errors_of(json!({"name": "p", "rules": [{"verdict": "allow"}, rule]})).into_iter().map(|(f, _)| f).collect()
    }

    #[test]
    fn valid_policy_passes() {
        let policy = json!({"name": "ops", "default_verdict": "deny", "rules": [
            {"priority": 10, "verdict": "cap_cost", "cap_cost_cents": 500, "label": "cap run spend"},
            {"stage": "egress", "verdict": "deny", "egress": {"deny": ["10.0.0.0/8", "*.internal"], "allow": ["ok.internal"]}},
            {"stage": "response", "tool_name_glob": "shell.*", "verdict": "deny",
             "args_match": [{"path": "$", "op": "regex", "value": "rm\\s+-rf", "normalize": "shell"}]},
            {"verdict": "sanitize", "sanitize": {"presets": ["openai_key", "bearer"], "custom": [{"label": "x", "regex": "EMP\\d+"}]}},
        ]});
        assert_eq!(errors_of(policy), Vec::<(String, String)>::new());
    }

    #[test]
    fn each_save_time_rule_names_its_field() {
        let cases = [
            (json!({"verdict": "deny", "priority": -1}), "rules[1].priority"),
            (json!({"verdict": "deny", "priority": 1_000_001}), "rules[1].priority"),
            (json!({"verdict": "deny", "label": "x".repeat(65)}), "rules[1].label"),
            (json!({"verdict": "deny", "notes": "x".repeat(1025)}), "rules[1].notes"),
            (json!({"verdict": "deny", "tool_name_glob": "a b"}), "rules[1].tool_name_glob"),
            (json!({"verdict": "deny", "skill_name_glob": "a\tb"}), "rules[1].skill_name_glob"),
            (json!({"verdict": "deny", "tool_name_glob": "x".repeat(129)}), "rules[1].tool_name_glob"),
            (json!({"verdict": "deny", "args_match": [{"path": "$", "op": "regex", "value": "("}]}), "rules[1].args_match[0].value"),
            (json!({"verdict": "deny", "args_match": [{"path": "$.a", "op": "eq", "value": 1}, {"path": "x", "op": "exists"}]}), "rules[1].args_match[1].path"),
            (json!({"verdict": "deny", "args_match": [{"path": "$", "op": "gt", "value": 1, "normalize": "shell"}]}), "rules[1].args_match[0].normalize"),
            (json!({"verdict": "deny", "args_match": vec![json!({"path": "$", "op": "exists"}); 17]}), "rules[1].args_match"),
            (json!({"verdict": "deny", "stage": "egress"}), "rules[1].egress"),
            (json!({"verdict": "deny", "egress": {"deny": ["10.0.0.0/8"]}}), "rules[1].egress"),
            (json!({"verdict": "sanitize", "stage": "egress", "egress": {}}), "rules[1].verdict"),
            (json!({"verdict": "allow", "stage": "egress", "egress": {"deny": ["x.com"], "allow": ["y.com"]}}), "rules[1].egress.deny"),
            (json!({"verdict": "deny", "stage": "egress", "egress": {"deny": ["10.0.0.0/99"]}}), "rules[1].egress.deny[0]"),
            (json!({"verdict": "deny", "stage": "egress", "egress": {"deny": ["a.com"]}, "args_match": [{"path": "$", "op": "exists"}]}), "rules[1].args_match"),
            (json!({"verdict": "deny", "stage": "inbound", "args_match": [{"path": "$", "op": "exists"}]}), "rules[1].args_match"),
            (json!({"verdict": "pending_approval", "stage": "inbound"}), "rules[1].verdict"),
            (json!({"verdict": "deny", "sanitize": {}}), "rules[1].sanitize"),
            (json!({"verdict": "sanitize", "sanitize": {"presets": ["nope"]}}), "rules[1].sanitize.presets[0]"),
            (json!({"verdict": "sanitize", "sanitize": {"custom": [{"label": "c", "regex": "["}]}}), "rules[1].sanitize.custom[0].regex"),
            (json!({"verdict": "cap_cost"}), "rules[1].cap_cost_cents"),
            (json!({"verdict": "cap_cost", "cap_cost_cents": 0}), "rules[1].cap_cost_cents"),
            (json!({"verdict": "deny", "cap_cost_cents": 5}), "rules[1].cap_cost_cents"),
        ];
        for (rule, field) in cases {
            let fields = fields_of(rule.clone());
            assert_eq!(fields, vec![field.to_string()], "{rule}");
        }
    }

    #[test]
    fn policy_level_limits_are_checked() {
        let errors = errors_of(json!({"name": "  ", "description": "d".repeat(513)}));
        let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["name", "description"]);
        let many = vec![json!({"verdict": "allow"}); 501];
        assert_eq!(errors_of(json!({"name": "p", "rules": many}))[0].0, "rules");
        assert!(errors_of(json!({"name": "x".repeat(64)})).is_empty());
    }

    #[test]
    fn messages_are_lowercase_sentences() {
        let errors = errors_of(json!({"name": "p", "rules": [{"verdict": "cap_cost"}]}));
        assert!(errors.iter().all(|(_, message)| message.chars().next().is_some_and(|c| !c.is_uppercase())));
    }
}
