//! The exact contents of each autonomy level (SPEC §6.2, DETECTION §5.3) as data, the pure
//! "apply" transformation of a posture, and the current-level test.
//!
//! Data and pure functions only; the service owns transactions, snapshots and audit rows.
//! Start at `level_contents`.

use serde::{Deserialize, Serialize};

use crate::engine::autonomy::posture::Posture;
use crate::engine::autonomy::rule_sets::{destructive_clause, rule, rules_over_globs, FETCH_GLOBS, SHELL_GLOBS};
use crate::engine::autonomy::Level;
use crate::engine::firewall::config::{DefaultVerdict, PolicyConfig, RuleConfig, RuleStage, RuleVerdict};
use crate::engine::guardrail::config::{
    Action, GuardrailConfig, PiiConfig, RuleConfig as GuardrailRule, RuleKind, Stage as GuardrailStage,
};

/// PII Shield entities (SPEC §4.8).
pub const PII_SHIELD_ENTITIES: [&str; 5] = ["email", "phone", "ssn", "credit_card", "ip"];

/// The 12 secret entities of SPEC §4.5 (the Secrets Blocker rules).
pub const SECRET_ENTITIES: [&str; 12] = [
    "aws_access_key",
    "aws_secret_key",
    "github_token",
    "slack_token",
    "stripe_key",
    "api_key_openai",
    "anthropic_key",
    "google_api_key",
    "private_key",
    "jwt",
    "generic_password",
    "db_connection_string",
];

/// Everything a level writes (SPEC §6.2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LevelContents {
    /// The level.
    pub level: Level,
    /// The firewall policy the level upserts and makes default (`None` for permissive).
    pub firewall_policy: Option<PolicyConfig>,
    /// The guardrail the level upserts and makes default (`None` for permissive).
    pub guardrail: Option<GuardrailConfig>,
    /// `settings.observe_mode` after applying.
    pub observe_mode: bool,
}

/// The exact contents of `level`.
pub fn level_contents(level: Level) -> LevelContents {
    match level {
        Level::Tight => LevelContents {
            level,
            firewall_policy: Some(tight_policy()),
            guardrail: Some(guardrail(level, vec![
                pii_shield(Action::Mask),
                secrets_rule("secrets_input", GuardrailStage::Input, Action::Block),
                secrets_rule("secrets_output", GuardrailStage::Output, Action::Flag),
            ])),
            observe_mode: false,
        },
        Level::Balanced => LevelContents {
            level,
            firewall_policy: Some(balanced_policy()),
            guardrail: Some(guardrail(level, vec![pii_shield(Action::Flag)])),
            observe_mode: false,
        },
        Level::Permissive => LevelContents { level, firewall_policy: None, guardrail: None, observe_mode: true },
    }
}

fn policy(level: Level, default_verdict: DefaultVerdict, rules: Vec<RuleConfig>) -> PolicyConfig {
    PolicyConfig {
        name: level.object_name(),
        description: String::new(),
        enabled: true,
        default_verdict,
        shadow_mode: false,
        rules,
    }
}

fn tight_policy() -> PolicyConfig {
    let shell = rule(100, RuleStage::Any, "", RuleVerdict::Deny, "deny shell and exec tools");
    let fetch = rule(200, RuleStage::Any, "", RuleVerdict::Deny, "deny fetch-shaped tools");
    let mut rules = rules_over_globs(&SHELL_GLOBS, &shell);
    rules.extend(rules_over_globs(&FETCH_GLOBS, &fetch));
    policy(Level::Tight, DefaultVerdict::Deny, rules)
}

fn balanced_policy() -> PolicyConfig {
    let destructive = RuleConfig {
        args_match: vec![destructive_clause()],
        ..rule(100, RuleStage::Any, "", RuleVerdict::Deny, "destructive shell command")
    };
    policy(Level::Balanced, DefaultVerdict::Audit, rules_over_globs(&SHELL_GLOBS, &destructive))
}

fn guardrail(level: Level, rules: Vec<GuardrailRule>) -> GuardrailConfig {
    GuardrailConfig { name: level.object_name(), description: String::new(), enabled: true, log_raw_content: false, rules }
}

fn pii_rule(label: &str, entities: &[&str], stage: GuardrailStage, action: Action) -> GuardrailRule {
    GuardrailRule {
        id: None,
        label: Some(label.to_string()),
        kind: RuleKind::Pii(PiiConfig { entities: entities.iter().map(|e| e.to_string()).collect(), ..PiiConfig::default() }),
        stage,
        action,
        note: None,
        spotlight_whole: false,
    }
}

/// The PII Shield preset rule (pii · both · `action` · PII_SHIELD_ENTITIES).
fn pii_shield(action: Action) -> GuardrailRule {
    pii_rule("PII Shield", &PII_SHIELD_ENTITIES, GuardrailStage::Both, action)
}

/// One Secrets Blocker rule over the 12 secret entities.
fn secrets_rule(label: &str, stage: GuardrailStage, action: Action) -> GuardrailRule {
    pii_rule(label, &SECRET_ENTITIES, stage, action)
}

/// The posture after applying `level` to `before` (SPEC §6.2): upserts the level's objects by
/// name (taking over same-named ones, keeping their ids), with `enabled: true`, `shadow_mode:
/// false`, `log_raw_content: false` and the level's rules; sets both defaults and observe mode.
/// Permissive creates nothing and leaves existing `autonomy-*` objects in place.
pub fn apply_level(before: &Posture, level: Level) -> Posture {
    let contents = level_contents(level);
    let mut after = before.clone();
    after.default_firewall_policy = contents.firewall_policy.map(|policy| after.upsert_policy(policy));
    after.default_guardrail = contents.guardrail.map(|guardrail| after.upsert_guardrail(guardrail));
    after.observe_mode = contents.observe_mode;
    after
}

/// The current level of a posture (SPEC §6.2), or `None` for `custom`: the defaults point at the
/// level's objects, their rules equal the definition (ids and stored defaults aside) and
/// `observe_mode` matches; permissive when both defaults are null and observe mode is on.
pub fn current_level(posture: &Posture) -> Option<Level> {
    if posture.default_firewall_policy.is_none() && posture.default_guardrail.is_none() {
        return posture.observe_mode.then_some(Level::Permissive);
    }
    [Level::Tight, Level::Balanced].into_iter().find(|level| is_level(posture, *level))
}

fn is_level(posture: &Posture, level: Level) -> bool {
    let contents = level_contents(level);
    let (Some(policy_ref), Some(guardrail_ref)) = (&posture.default_firewall_policy, &posture.default_guardrail) else {
        return false;
    };
    let (Some(policy), Some(guardrail)) = (posture.policy(policy_ref), posture.guardrail(guardrail_ref)) else {
        return false;
    };
    let (Some(want_policy), Some(want_guardrail)) = (contents.firewall_policy, contents.guardrail) else {
        return false;
    };
    policy.policy.name == want_policy.name
        && guardrail.guardrail.name == want_guardrail.name
        && posture.observe_mode == contents.observe_mode
        && same_policy_rules(&policy.policy.rules, &want_policy.rules)
        && same_guardrail_rules(&guardrail.guardrail.rules, &want_guardrail.rules)
}

/// Rule lists equal after ignoring ids.
pub fn same_policy_rules(have: &[RuleConfig], want: &[RuleConfig]) -> bool {
    have.len() == want.len() && have.iter().zip(want).all(|(a, b)| RuleConfig { id: None, ..a.clone() } == RuleConfig { id: None, ..b.clone() })
}

/// Guardrail rule lists equal after ignoring ids.
pub fn same_guardrail_rules(have: &[GuardrailRule], want: &[GuardrailRule]) -> bool {
    have.len() == want.len()
        && have.iter().zip(want).all(|(a, b)| GuardrailRule { id: None, ..a.clone() } == GuardrailRule { id: None, ..b.clone() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::autonomy::posture::ObjectRef;
    use crate::engine::firewall::validate::validate;

    #[test]
    fn tight_policy_is_exactly_the_spec_table() {
        let policy = level_contents(Level::Tight).firewall_policy.expect("tight has a policy");
        assert_eq!((policy.name.as_str(), policy.default_verdict), ("autonomy-tight", DefaultVerdict::Deny));
        assert_eq!(policy.rules.len(), 24);
        assert!(policy.rules.iter().all(|r| r.stage == RuleStage::Any && r.verdict == RuleVerdict::Deny && r.args_match.is_empty()));
        assert!(policy.rules[..16].iter().all(|r| r.priority == 100 && r.label.as_deref() == Some("deny shell and exec tools")));
        assert!(policy.rules[16..].iter().all(|r| r.priority == 200 && r.label.as_deref() == Some("deny fetch-shaped tools")));
        let globs: Vec<&str> = policy.rules.iter().map(|r| r.tool_name_glob.as_str()).collect();
        assert_eq!(&globs[..16], &SHELL_GLOBS[..]);
        assert_eq!(&globs[16..], &FETCH_GLOBS[..]);
        assert!(validate(&policy).is_ok());
    }

    #[test]
    fn balanced_policy_is_exactly_the_spec_table() {
        let policy = level_contents(Level::Balanced).firewall_policy.expect("balanced has a policy");
        assert_eq!((policy.name.as_str(), policy.default_verdict), ("autonomy-balanced", DefaultVerdict::Audit));
        assert_eq!(policy.rules.len(), 16);
        assert!(policy.rules.iter().all(|r| r.priority == 100
            && r.label.as_deref() == Some("destructive shell command")
            && r.args_match == vec![destructive_clause()]));
        assert!(validate(&policy).is_ok());
    }

    #[test]
    fn guardrails_and_observe_mode_follow_the_spec_table() {
        let tight = level_contents(Level::Tight);
        let guardrail = tight.guardrail.clone().expect("tight has a guardrail");
        let summary: Vec<(Option<&str>, GuardrailStage, Action)> =
            guardrail.rules.iter().map(|r| (r.label.as_deref(), r.stage, r.action)).collect();
        assert_eq!(summary, [
            (Some("PII Shield"), GuardrailStage::Both, Action::Mask),
            (Some("secrets_input"), GuardrailStage::Input, Action::Block),
            (Some("secrets_output"), GuardrailStage::Output, Action::Flag),
        ]);
        assert_eq!(crate::engine::guardrail::validate::validate(&guardrail), Ok(()));
        let balanced = level_contents(Level::Balanced).guardrail.expect("balanced has a guardrail");
        assert_eq!(balanced.rules, vec![pii_shield(Action::Flag)]);
        assert_eq!(crate::engine::guardrail::validate::validate(&balanced), Ok(()));
        let permissive = level_contents(Level::Permissive);
        assert!(permissive.firewall_policy.is_none() && permissive.guardrail.is_none() && permissive.observe_mode);
        assert!(!tight.observe_mode);
    }

    #[test]
    fn level_guardrail_rules_equal_the_guardrail_presets() {
        use crate::engine::guardrail::presets::get;
        let shield = get("pii_shield").expect("preset").rules;
        let secrets = get("secrets_blocker").expect("preset").rules;
        let tight = level_contents(Level::Tight).guardrail.expect("tight").rules;
        assert!(same_guardrail_rules(&tight, &[shield, secrets].concat()));
    }

    #[test]
    fn applying_a_level_makes_it_current_and_permissive_keeps_objects() {
        let mut start = Posture::default();
        start.upsert_policy(serde_json::from_str(r#"{"name":"autonomy-tight","shadow_mode":true}"#).expect("policy"));
        start.firewall_policies[0].id = Some(5);
        assert_eq!(current_level(&start), None);
        for level in [Level::Tight, Level::Balanced, Level::Permissive] {
            let after = apply_level(&start, level);
            assert_eq!(current_level(&after), Some(level), "{level:?}");
        }
        let tight = apply_level(&start, Level::Tight);
        assert_eq!(tight.default_firewall_policy, Some(ObjectRef { id: Some(5), name: "autonomy-tight".into() }));
        assert!(!tight.firewall_policies[0].policy.shadow_mode);
        let permissive = apply_level(&tight, Level::Permissive);
        assert_eq!(permissive.firewall_policies.len(), 1);
        assert_eq!(permissive.guardrails.len(), 1);
    }

    #[test]
    fn edited_guardrail_rules_make_the_level_custom() {
        let mut posture = apply_level(&Posture::default(), Level::Balanced);
        posture.guardrails[0].guardrail.rules[0].id = Some(31);
        assert_eq!(current_level(&posture), Some(Level::Balanced));
        posture.guardrails[0].guardrail.rules[0].action = Action::Mask;
        assert_eq!(current_level(&posture), None);
    }
}
