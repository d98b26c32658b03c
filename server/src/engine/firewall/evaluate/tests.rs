//! Table and property tests of `CompiledPolicy::evaluate`: rule order, verdicts and reason
//! formats (SPEC §5.5), surfaces, cap_cost, shadow, approvals, trace, and the level decisions of
//! DETECTION §5.3.

use proptest::prelude::*;
use serde_json::{json, Value};

use crate::engine::autonomy::levels::level_contents;
use crate::engine::autonomy::Level;
use crate::engine::firewall::egress::Destination;
use crate::engine::firewall::evaluate::{
    evaluate_no_policy, parse_arguments, Approval, CompiledPolicy, EvalContext, EventVerdict, Evaluation, Surface, ToolCall,
};

fn compile(policy: Value) -> CompiledPolicy {
    CompiledPolicy::compile(&serde_json::from_value(policy).expect("policy json")).expect("valid policy")
}

fn call(surface: Surface, tool: &str, arguments: Option<Value>) -> ToolCall {
    ToolCall { surface, tool: tool.to_string(), skill: None, arguments, destination: None }
}

fn run(policy: &CompiledPolicy, call: &ToolCall) -> Evaluation {
    policy.evaluate(call, &EvalContext::default())
}

fn verdict_and_reason(evaluation: &Evaluation) -> (EventVerdict, &str) {
    (evaluation.verdict, evaluation.reason.as_str())
}

#[test]
fn first_matching_rule_by_priority_then_id_decides() {
    let policy = compile(json!({"name": "p", "rules": [
        {"id": 9, "priority": 50, "verdict": "allow", "label": "later id"},
        {"id": 3, "priority": 50, "verdict": "deny", "label": "earlier id"},
        {"id": 1, "priority": 10, "verdict": "audit", "tool_name_glob": "other"},
    ]}));
    let result = run(&policy, &call(Surface::Response, "x", None));
    assert_eq!(verdict_and_reason(&result), (EventVerdict::Deny, "earlier id"));
    assert_eq!((result.rule_id, result.rule_label.as_deref()), (Some(3), Some("earlier id")));
    let trace: Vec<(Option<i64>, bool, Option<String>)> =
        result.trace.iter().map(|s| (s.rule_id, s.matched, s.why.map(|w| w.to_string()))).collect();
    assert_eq!(trace, [(Some(1), false, Some("tool_name_glob".to_string())), (Some(3), true, None)]);
    let json = serde_json::to_value(&result.trace[0]).expect("serializes");
    assert_eq!(json, json!({"rule_id": 1, "rule_index": 2, "matched": false, "why": "tool_name_glob"}));
}

#[test]
fn reasons_follow_the_spec_formats() {
    let policy = compile(json!({"name": "p", "default_verdict": "deny", "rules": [
        {"id": 31, "verdict": "pending_approval", "tool_name_glob": "db.write"},
        {"id": 32, "verdict": "audit", "tool_name_glob": "kb.*", "label": ""},
        {"verdict": "allow", "tool_name_glob": "draft"},
    ]}));
    let cases = [
        ("db.write", EventVerdict::PendingApproval, "pending_approval by rule 31", false),
        ("kb.search", EventVerdict::Audit, "audit by rule 32", false),
        ("draft", EventVerdict::Allow, "allow by rule rules[2]", false),
        ("other", EventVerdict::Deny, "no rule matched; default verdict deny", true),
    ];
    for (tool, verdict, reason, gap) in cases {
        let result = run(&policy, &call(Surface::Response, tool, Some(json!({}))));
        assert_eq!(verdict_and_reason(&result), (verdict, reason), "{tool}");
        assert_eq!(result.gap, gap, "{tool}");
        assert_eq!(result.review, verdict == EventVerdict::Audit, "{tool}");
    }
}

#[test]
fn stage_and_skill_conditions_gate_rules() {
    let policy = compile(json!({"name": "p", "default_verdict": "allow", "rules": [
        {"id": 1, "stage": "mcp", "verdict": "deny", "label": "mcp only"},
        {"id": 2, "skill_name_glob": "deploy.*", "verdict": "deny", "label": "deploy skill"},
        {"id": 3, "skill_name_glob": "*", "verdict": "audit", "label": "any skill"},
    ]}));
    assert_eq!(run(&policy, &call(Surface::Mcp, "t", None)).reason, "mcp only");
    let no_skill = run(&policy, &call(Surface::Response, "t", None));
    assert_eq!((no_skill.verdict, no_skill.gap), (EventVerdict::Allow, true));
    assert_eq!(no_skill.trace[2].why.map(|w| w.to_string()), Some("skill_name_glob".to_string()));
    let mut with_skill = call(Surface::Response, "t", None);
    with_skill.skill = Some("Deploy.Prod".into());
    assert_eq!(run(&policy, &with_skill).reason, "deploy skill");
    with_skill.skill = Some("review".into());
    assert_eq!(run(&policy, &with_skill).reason, "any skill");
}

#[test]
fn arguments_are_ignored_on_inbound_and_egress() {
    let policy = compile(json!({"name": "p", "rules": [
        {"id": 1, "verdict": "deny", "label": "has cmd", "args_match": [{"path": "$.cmd", "op": "exists"}]},
        {"id": 2, "verdict": "allow", "label": "no cmd", "args_match": [{"path": "$.cmd", "op": "ne", "value": "x"}]},
    ]}));
    let arguments = Some(json!({"cmd": "ls"}));
    assert_eq!(run(&policy, &call(Surface::Response, "t", arguments.clone())).reason, "has cmd");
    let inbound = run(&policy, &call(Surface::Inbound, "t", arguments));
    assert_eq!(inbound.reason, "no cmd");
    assert_eq!(inbound.trace[0].why.map(|w| w.to_string()), Some("args_match[0]".to_string()));
}

#[test]
fn surface_adjustments_apply() {
    let policy = compile(json!({"name": "p", "rules": [
        {"id": 1, "verdict": "sanitize", "tool_name_glob": "s", "label": "redact"},
        {"id": 2, "verdict": "pending_approval", "tool_name_glob": "h", "label": "hold"},
    ]}));
    assert_eq!(verdict_and_reason(&run(&policy, &call(Surface::Inbound, "s", None))), (EventVerdict::Deny, "sanitize not possible on inbound"));
    assert_eq!(verdict_and_reason(&run(&policy, &call(Surface::Inbound, "h", None))), (EventVerdict::Audit, "hold"));
    assert_eq!(verdict_and_reason(&run(&policy, &call(Surface::Egress, "h", None))), (EventVerdict::Audit, "hold"));
    assert_eq!(run(&policy, &call(Surface::Mcp, "h", Some(json!({})))).verdict, EventVerdict::PendingApproval);
}

#[test]
fn egress_scope_default_and_deny_reason() {
    let policy = compile(json!({"name": "p", "default_verdict": "deny", "rules": [
        {"id": 5, "stage": "egress", "verdict": "deny", "label": "deny private destinations",
         "egress": {"deny": ["10.0.0.0/8", "metadata.google.internal"], "allow": ["10.9.0.0/16"]}},
    ]}));
    let egress = |host: Option<&str>, ips: &[&str]| ToolCall {
        destination: Some(Destination {
            host: host.map(str::to_string),
            ips: ips.iter().map(|ip| ip.parse().expect("ip")).collect(),
            port: Some(443),
        }),
        ..call(Surface::Egress, "github.create_issue", None)
    };
    let denied = run(&policy, &egress(Some("db.internal"), &["10.1.2.3"]));
    assert_eq!(verdict_and_reason(&denied), (EventVerdict::Deny, "egress to db.internal denied"));
    assert_eq!(denied.rule_label.as_deref(), Some("deny private destinations"));
    let by_ip = run(&policy, &egress(None, &["10.1.2.3"]));
    assert_eq!(by_ip.reason, "egress to 10.1.2.3 denied");
    let excepted = run(&policy, &egress(None, &["10.9.1.1"]));
    assert_eq!((excepted.verdict, excepted.reason.as_str(), excepted.gap), (EventVerdict::Allow, "no egress rule matched", false));
    let no_destination = run(&policy, &call(Surface::Egress, "t", None));
    assert_eq!(no_destination.trace[0].why.map(|w| w.to_string()), Some("egress scope".to_string()));
    assert_eq!(no_destination.verdict, EventVerdict::Allow);
}

#[test]
fn cap_cost_is_passed_over_under_budget_and_denies_over_it() {
    let policy = compile(json!({"name": "p", "default_verdict": "allow", "rules": [
        {"id": 1, "priority": 10, "verdict": "cap_cost", "cap_cost_cents": 500, "label": "cap run spend"},
        {"id": 2, "priority": 20, "verdict": "audit", "label": "after cap"},
    ]}));
    let under = policy.evaluate(&call(Surface::Response, "t", None), &EvalContext { run_spend_cents: 400, estimate_cents: 100, ..EvalContext::default() });
    assert_eq!(under.reason, "after cap");
    assert_eq!(under.trace[0].why.map(|w| w.to_string()), Some("cap_cost under budget".to_string()));
    assert_eq!(under.cost_check.map(|c| c.over), Some(false));
    let ctx = EvalContext { run_spend_cents: 420, estimate_cents: 85, ..EvalContext::default() };
    let over = policy.evaluate(&call(Surface::Response, "t", None), &ctx);
    assert_eq!(verdict_and_reason(&over), (EventVerdict::Deny, "run spend $4.20 + estimate $0.85 exceeds cap $5.00"));
    assert_eq!(over.rule_label.as_deref(), Some("cap run spend"));
    assert_eq!(over.cost_check.map(|c| (c.cap_cents, c.over)), Some((500, true)));
    let shadow = policy.evaluate(&call(Surface::Response, "t", None), &EvalContext { shadow: Some(true), ..ctx });
    assert_eq!(shadow.reason, "[shadow] would deny: run spend $4.20 + estimate $0.85 exceeds cap $5.00");
    assert!(shadow.shadow && shadow.review);
}

#[test]
fn shadow_policy_downgrades_and_rewrites_nothing() {
    let policy = compile(json!({"name": "p", "shadow_mode": true, "rules": [
        {"id": 1, "verdict": "sanitize", "sanitize": {"presets": ["bearer"]}, "label": "redact"},
    ]}));
    let arguments = Some(json!({"auth": "Bearer abcdef"}));
    let result = run(&policy, &call(Surface::Response, "t", arguments.clone()));
    assert_eq!(verdict_and_reason(&result), (EventVerdict::Audit, "[shadow] would sanitize: redact"));
    assert!(result.shadow && result.sanitized_arguments.is_none());
    let enforced = policy.evaluate(&call(Surface::Response, "t", arguments), &EvalContext { shadow: Some(false), ..EvalContext::default() });
    assert_eq!(enforced.verdict, EventVerdict::Sanitize);
    assert_eq!(enforced.sanitized_arguments, Some(json!({"auth": "[redacted:bearer]"})));
}

#[test]
fn approved_hold_becomes_allow() {
    let policy = compile(json!({"name": "p", "rules": [{"id": 31, "verdict": "pending_approval", "label": "hold prod db writes"}]}));
    let ctx = EvalContext {
        approval: Approval::Approved { approval_id: "0123456789abcdef01234567".into(), actor: "webhook:ci".into() },
        ..EvalContext::default()
    };
    let result = policy.evaluate(&call(Surface::Response, "db.write", Some(json!({"q": 1}))), &ctx);
    assert_eq!(verdict_and_reason(&result), (EventVerdict::Allow, "approved by webhook:ci (approval 0123456789abcdef01234567)"));
    assert!(result.consumes_approval);
}

#[test]
fn no_policy_is_observe_or_silent() {
    let observed = evaluate_no_policy(true).expect("observe mode on");
    assert_eq!(verdict_and_reason(&observed), (EventVerdict::Observe, "no firewall policy (observe mode)"));
    assert!(observed.gap && !observed.review);
    assert!(evaluate_no_policy(false).is_none());
}

#[test]
fn invalid_json_arguments_become_one_string() {
    assert_eq!(parse_arguments("rm -rf /"), json!("rm -rf /"));
    assert_eq!(parse_arguments("{\"a\":1}"), json!({"a": 1}));
    let balanced = CompiledPolicy::compile(&level_contents(Level::Balanced).firewall_policy.expect("policy")).expect("compiles");
    let result = run(&balanced, &call(Surface::Response, "bash", Some(parse_arguments("{\"command\": \"rm -rf /"))));
    assert_eq!(result.verdict, EventVerdict::Deny);
}

/// DETECTION §5.3: what each level decides, per surface.
#[test]
fn levels_decide_as_detection_md_tabulates() {
    let tight = CompiledPolicy::compile(&level_contents(Level::Tight).firewall_policy.expect("tight")).expect("compiles");
    let balanced = CompiledPolicy::compile(&level_contents(Level::Balanced).firewall_policy.expect("balanced")).expect("compiles");
    let destructive = Some(json!({"command": "rm -rf /"}));
    let benign = Some(json!({"command": "ls"}));
    use EventVerdict::{Allow, Audit, Deny};
    let cases: [(Surface, &str, Option<Value>, EventVerdict, EventVerdict); 10] = [
        (Surface::Response, "shell.exec", destructive.clone(), Deny, Deny),
        (Surface::Mcp, "box.bash", destructive.clone(), Deny, Deny),
        (Surface::Response, "Bash", benign.clone(), Deny, Audit),
        (Surface::Inbound, "bash", None, Deny, Audit),
        (Surface::Response, "web_search", benign.clone(), Deny, Audit),
        (Surface::Mcp, "github.create_issue", benign.clone(), Deny, Audit),
        (Surface::Egress, "bash", None, Deny, Allow),
        (Surface::Egress, "srv.http_fetch", None, Deny, Allow),
        (Surface::Egress, "github.create_issue", None, Allow, Allow),
        (Surface::Response, "run_shell_command", destructive, Deny, Audit),
    ];
    for (surface, tool, arguments, tight_verdict, balanced_verdict) in cases {
        let mut tool_call = call(surface, tool, arguments);
        if surface == Surface::Egress {
            tool_call.destination = Some(Destination { host: Some("api.example.net".into()), ips: Vec::new(), port: None });
        }
        assert_eq!(run(&tight, &tool_call).verdict, tight_verdict, "tight {surface:?} {tool}");
        assert_eq!(run(&balanced, &tool_call).verdict, balanced_verdict, "balanced {surface:?} {tool}");
    }
    let permissive = evaluate_no_policy(level_contents(Level::Permissive).observe_mode).expect("observe");
    assert_eq!(permissive.verdict, EventVerdict::Observe);
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
        "(rm|sudo|curl|10\\.|\\$IFS|'|\"|\\\\| |-rf|/|\n){0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,6}|.{0,4}", inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn every_operator_policy() -> CompiledPolicy {
    compile(json!({"name": "ops", "rules": [
        {"verdict": "audit", "args_match": [{"path": "$.a", "op": "eq", "value": {"x": [1, 2.5]}}]},
        {"verdict": "audit", "args_match": [{"path": "$.a[0].b", "op": "ne", "value": null}]},
        {"verdict": "audit", "args_match": [{"path": "$", "op": "contains", "value": "é", "normalize": "shell"}]},
        {"verdict": "audit", "args_match": [{"path": "$.c", "op": "regex", "value": "(?i)^x+$"}]},
        {"verdict": "audit", "args_match": [{"path": "$.n", "op": "gt", "value": 1.5}, {"path": "$.n", "op": "lt", "value": -3}]},
        {"verdict": "audit", "args_match": [{"path": "$.ip", "op": "in_cidr", "value": ["10.0.0.0/8", "::/0"]}]},
        {"verdict": "sanitize", "args_match": [{"path": "$.s", "op": "exists"}], "sanitize": {"custom": [{"label": "x", "regex": "x*"}]}},
        {"verdict": "pending_approval", "tool_name_glob": "*.b.*"},
    ]}))
}

#[test]
fn evaluate_never_panics_on_arbitrary_arguments() {
    let balanced = CompiledPolicy::compile(&level_contents(Level::Balanced).firewall_policy.expect("policy")).expect("compiles");
    let policies = [every_operator_policy(), balanced];
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig { cases: 256, ..ProptestConfig::default() });
    let strategy = (arbitrary_json(), ".{0,20}", 0usize..4);
    runner
        .run(&strategy, |(arguments, tool, surface)| {
            let surface = [Surface::Inbound, Surface::Response, Surface::Mcp, Surface::Egress][surface];
            let tool_call = ToolCall { surface, tool, skill: None, arguments: Some(arguments), destination: None };
            for policy in &policies {
                let result = policy.evaluate(&tool_call, &EvalContext::default());
                prop_assert!(result.reason.chars().count() <= 512);
                prop_assert_eq!(result.review, result.verdict == EventVerdict::Audit);
                prop_assert!(!result.trace.is_empty());
            }
            Ok(())
        })
        .expect("evaluate is total on arbitrary JSON");
}
