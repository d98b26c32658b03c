//! Firewall policy templates (SPEC §5.15) as data, built from the shared rule sets of §6.1.
//!
//! Data only: applying a template (one transaction, audit row) is the service's job; the result
//! is an ordinary policy body that passes `validate`. Start at `template_policy`.

use serde_json::json;

use crate::engine::autonomy::rule_sets::{destructive_clause, rule, rules_over_globs, FETCH_GLOBS, PRIVATE, SHELL_GLOBS};
use crate::engine::firewall::config::{
    ArgsClause, ArgsOp, DefaultVerdict, EgressConfig, PolicyConfig, RuleConfig, RuleStage, RuleVerdict, SanitizeConfig,
};

/// Template slugs, in catalogue order.
pub const TEMPLATE_NAMES: [&str; 7] = ["baseline", "coding", "support", "rag", "data", "devops", "browser"];

/// The policy a template creates, named `name` (default: the slug); `None` for an unknown slug.
pub fn template_policy(template: &str, name: Option<&str>) -> Option<PolicyConfig> {
    let (default_verdict, rules) = match template {
        "baseline" => (DefaultVerdict::Audit, baseline(500)),
        "coding" => (DefaultVerdict::Audit, [baseline(500), vec![hold(150, "git.push")]].concat()),
        "support" => (DefaultVerdict::Deny, support()),
        "rag" => (DefaultVerdict::Deny, vec![cap(200), deny_private(), allow(100, "*.search"), allow(110, "*.retrieve")]),
        "data" => (DefaultVerdict::Audit, data()),
        "devops" => (DefaultVerdict::Audit, [baseline(1000), vec![hold(150, "*.delete"), hold(160, "*.apply")]].concat()),
        "browser" => (DefaultVerdict::Audit, browser()),
        _ => return None,
    };
    Some(PolicyConfig {
        name: name.unwrap_or(template).to_string(),
        description: String::new(),
        enabled: true,
        default_verdict,
        shadow_mode: false,
        rules,
    })
}

fn cap(cents: i64) -> RuleConfig {
    RuleConfig { cap_cost_cents: Some(cents), ..rule(10, RuleStage::Any, "*", RuleVerdict::CapCost, "cap run spend") }
}

fn deny_private() -> RuleConfig {
    let egress = EgressConfig { deny: PRIVATE.iter().map(|e| e.to_string()).collect(), allow: Vec::new() };
    RuleConfig { egress: Some(egress), ..rule(50, RuleStage::Egress, "*", RuleVerdict::Deny, "deny private destinations") }
}

fn hold(priority: i64, glob: &str) -> RuleConfig {
    rule(priority, RuleStage::Any, glob, RuleVerdict::PendingApproval, &format!("hold {glob}"))
}

fn allow(priority: i64, glob: &str) -> RuleConfig {
    rule(priority, RuleStage::Any, glob, RuleVerdict::Allow, &format!("allow {glob}"))
}

fn baseline(cap_cents: i64) -> Vec<RuleConfig> {
    let destructive = RuleConfig {
        args_match: vec![destructive_clause()],
        ..rule(100, RuleStage::Any, "", RuleVerdict::Deny, "destructive shell command")
    };
    [vec![cap(cap_cents), deny_private()], rules_over_globs(&SHELL_GLOBS, &destructive)].concat()
}

fn support() -> Vec<RuleConfig> {
    let refund_hold = RuleConfig {
        args_match: vec![ArgsClause { path: "$.amount".into(), op: ArgsOp::Gt, value: Some(json!(100)), normalize: None }],
        ..hold(100, "*.refund")
    };
    vec![cap(200), refund_hold, allow(110, "*.refund"), allow(120, "kb.*"), allow(130, "tickets.*")]
}

fn data() -> Vec<RuleConfig> {
    let prod_hold = RuleConfig {
        args_match: vec![ArgsClause { path: "$.database".into(), op: ArgsOp::Eq, value: Some(json!("prod")), normalize: None }],
        ..hold(100, "db.*")
    };
    let sanitize = |priority, stage| RuleConfig {
        sanitize: Some(SanitizeConfig::default()),
        ..rule(priority, stage, "*", RuleVerdict::Sanitize, "redact secrets in arguments")
    };
    vec![cap(1000), prod_hold, hold(110, "*.export"), sanitize(200, RuleStage::Response), sanitize(210, RuleStage::Mcp)]
}

fn browser() -> Vec<RuleConfig> {
    // `in_cidr` takes no hostnames: only the IP and CIDR entries of PRIVATE (SPEC §5.15).
    let private_ips: Vec<&str> = PRIVATE.iter().copied().filter(|e| e.parse::<std::net::IpAddr>().is_ok() || e.contains('/')).collect();
    let fetch_private = RuleConfig {
        args_match: vec![ArgsClause { path: "$.url".into(), op: ArgsOp::InCidr, value: Some(json!(private_ips)), normalize: None }],
        ..rule(100, RuleStage::Any, "", RuleVerdict::Deny, "fetch to private address")
    };
    [vec![cap(500), deny_private()], rules_over_globs(&FETCH_GLOBS, &fetch_private), vec![hold(150, "*.download")]].concat()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::firewall::validate::validate;

    #[test]
    fn every_template_validates() {
        for name in TEMPLATE_NAMES {
            let policy = template_policy(name, None).expect("known template");
            assert_eq!(validate(&policy), Ok(()), "{name}");
            assert_eq!(policy.name, name);
        }
        assert!(template_policy("nope", None).is_none());
        assert_eq!(template_policy("rag", Some("my rag")).map(|p| p.name), Some("my rag".to_string()));
    }

    #[test]
    fn template_shapes_follow_the_spec_table() {
        let count = |name: &str| template_policy(name, None).map(|p| p.rules.len()).unwrap_or(0);
        assert_eq!((count("baseline"), count("coding"), count("devops")), (18, 19, 20));
        assert_eq!((count("support"), count("rag"), count("data"), count("browser")), (5, 4, 5, 11));
        let devops = template_policy("devops", None).expect("devops");
        assert_eq!(devops.rules[0].cap_cost_cents, Some(1000));
        let browser = template_policy("browser", None).expect("browser");
        let entries = browser.rules[2].args_match[0].value.as_ref().and_then(|v| v.as_array()).map(Vec::len);
        assert_eq!(entries, Some(10), "metadata.google.internal is left out of in_cidr");
        let support = template_policy("support", None).expect("support");
        assert_eq!(support.default_verdict, DefaultVerdict::Deny);
        assert_eq!(support.rules[1].label.as_deref(), Some("hold *.refund"));
    }
}
