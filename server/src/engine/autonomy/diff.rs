//! Simulate diff (SPEC §6.4): what applying a level would change, as the `diff` object of
//! `GET /api/workspace/firewall/simulate`.
//!
//! Pure comparison of two postures (`before`, and `after` = `apply_level(before, level)`); the
//! "level's objects" are the defaults of `after`. Start at `diff`.

use serde::{Deserialize, Serialize};

use crate::engine::autonomy::posture::{ObjectRef, Posture};
use crate::engine::firewall::config::{DefaultVerdict, RuleConfig};
use crate::engine::guardrail::config::RuleConfig as GuardrailRule;

/// `before` → `after` of one setting.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change<T> {
    /// Value now.
    pub before: T,
    /// Value after applying.
    pub after: T,
}

/// What happens to the level's object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffAction {
    /// No object of that name exists yet.
    Create,
    /// The object exists and would change.
    Update,
    /// The object exists and already equals the definition.
    Unchanged,
    /// The level has no such object (permissive).
    None,
}

/// Diff of one object (policy or guardrail) and its rules.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ObjectDiff<R> {
    /// Object name (`None` when the level has none).
    pub name: Option<String>,
    /// What happens to it.
    pub action: DiffAction,
    /// Rules only in `after`.
    pub rules_added: Vec<R>,
    /// Rules only in `before`.
    pub rules_removed: Vec<R>,
    /// Rules present in both with the same identity but different contents.
    pub rules_changed: Vec<Change<R>>,
}

/// The simulate `diff` object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PostureDiff {
    /// The level's firewall policy.
    pub firewall_policy: ObjectDiff<RuleConfig>,
    /// The level's guardrail.
    pub guardrail: ObjectDiff<GuardrailRule>,
    /// Workspace default policy.
    pub default_firewall_policy: Change<Option<ObjectRef>>,
    /// Workspace default guardrail.
    pub default_guardrail: Change<Option<ObjectRef>>,
    /// `default_verdict` of the current default policy vs the level's.
    pub default_verdict: Change<Option<DefaultVerdict>>,
    /// Observe mode.
    pub observe_mode: Change<bool>,
}

/// Compares two postures the way Simulate reports it.
pub fn diff(before: &Posture, after: &Posture) -> PostureDiff {
    PostureDiff {
        firewall_policy: policy_diff(before, after),
        guardrail: guardrail_diff(before, after),
        default_firewall_policy: Change { before: before.default_firewall_policy.clone(), after: after.default_firewall_policy.clone() },
        default_guardrail: Change { before: before.default_guardrail.clone(), after: after.default_guardrail.clone() },
        default_verdict: Change {
            before: before.default_policy().map(|p| p.policy.default_verdict),
            after: after.default_policy().map(|p| p.policy.default_verdict),
        },
        observe_mode: Change { before: before.observe_mode, after: after.observe_mode },
    }
}

fn policy_diff(before: &Posture, after: &Posture) -> ObjectDiff<RuleConfig> {
    let Some(target) = after.default_policy() else {
        return empty(None, DiffAction::None);
    };
    let name = target.policy.name.clone();
    let Some(existing) = before.firewall_policies.iter().find(|p| p.policy.name == name) else {
        return ObjectDiff { rules_added: target.policy.rules.clone(), ..empty(Some(name), DiffAction::Create) };
    };
    let same = |a: &RuleConfig, b: &RuleConfig| RuleConfig { id: None, ..a.clone() } == RuleConfig { id: None, ..b.clone() };
    let key = |r: &RuleConfig| (r.priority, r.stage, r.tool_name_glob.clone(), r.skill_name_glob.clone());
    let rules = rule_diff(&existing.policy.rules, &target.policy.rules, same, key);
    let (have, want) = (&existing.policy, &target.policy);
    let settings_same = have.enabled == want.enabled
        && have.shadow_mode == want.shadow_mode
        && have.default_verdict == want.default_verdict;
    finish(name, rules, settings_same)
}

fn guardrail_diff(before: &Posture, after: &Posture) -> ObjectDiff<GuardrailRule> {
    let Some(target) = after.default_guardrail.as_ref().and_then(|r| after.guardrail(r)) else {
        return empty(None, DiffAction::None);
    };
    let target = &target.guardrail;
    let name = target.name.clone();
    let Some(existing) = before.guardrails.iter().find(|g| g.guardrail.name == name) else {
        return ObjectDiff { rules_added: target.rules.clone(), ..empty(Some(name), DiffAction::Create) };
    };
    let existing = &existing.guardrail;
    let same = |a: &GuardrailRule, b: &GuardrailRule| GuardrailRule { id: None, ..a.clone() } == GuardrailRule { id: None, ..b.clone() };
    let key = |r: &GuardrailRule| (r.label.clone(), r.kind.type_name(), r.stage);
    let rules = rule_diff(&existing.rules, &target.rules, same, key);
    let settings_same = existing.enabled == target.enabled && existing.log_raw_content == target.log_raw_content;
    finish(name, rules, settings_same)
}

fn empty<R>(name: Option<String>, action: DiffAction) -> ObjectDiff<R> {
    ObjectDiff { name, action, rules_added: Vec::new(), rules_removed: Vec::new(), rules_changed: Vec::new() }
}

fn finish<R>(name: String, (added, removed, changed): RuleDiff<R>, settings_same: bool) -> ObjectDiff<R> {
    let unchanged = settings_same && added.is_empty() && removed.is_empty() && changed.is_empty();
    let action = if unchanged { DiffAction::Unchanged } else { DiffAction::Update };
    ObjectDiff { name: Some(name), action, rules_added: added, rules_removed: removed, rules_changed: changed }
}

type RuleDiff<R> = (Vec<R>, Vec<R>, Vec<Change<R>>);

/// Pairs identical rules first (unchanged), then rules with the same identity key (changed); the
/// rest are added or removed. Order follows the `after` list, then the `before` list.
fn rule_diff<R: Clone, K: PartialEq>(
    before: &[R],
    after: &[R],
    same: impl Fn(&R, &R) -> bool,
    key: impl Fn(&R) -> K,
) -> RuleDiff<R> {
    let mut used = vec![false; before.len()];
    let mut unpaired_after = Vec::new();
    for rule in after {
        let slot = before.iter().zip(used.iter_mut()).find(|(candidate, used)| !**used && same(candidate, rule));
        match slot {
            Some((_, used)) => *used = true,
            None => unpaired_after.push(rule),
        }
    }
    let mut added = Vec::new();
    let mut changed = Vec::new();
    for rule in unpaired_after {
        let slot = before.iter().zip(used.iter_mut()).find(|(candidate, used)| !**used && key(candidate) == key(rule));
        match slot {
            Some((candidate, used)) => {
                *used = true;
                changed.push(Change { before: candidate.clone(), after: rule.clone() });
            }
            None => added.push(rule.clone()),
        }
    }
    let removed = before.iter().zip(&used).filter(|(_, used)| !**used).map(|(rule, _)| rule.clone()).collect();
    (added, removed, changed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::autonomy::levels::apply_level;
    use crate::engine::autonomy::Level;

    fn ops_posture() -> Posture {
        serde_json::from_str(
            r#"{"firewall_policies":[{"id":3,"name":"ops","default_verdict":"deny","rules":[{"id":1,"verdict":"allow","tool_name_glob":"kb.*"}]}],
                "default_firewall_policy":{"id":3,"name":"ops"},"observe_mode":true}"#,
        )
        .expect("posture json")
    }

    #[test]
    fn balanced_on_a_custom_workspace_creates_and_switches_defaults() {
        let before = ops_posture();
        let result = diff(&before, &apply_level(&before, Level::Balanced));
        assert_eq!(result.firewall_policy.action, DiffAction::Create);
        assert_eq!(result.firewall_policy.name.as_deref(), Some("autonomy-balanced"));
        assert_eq!(result.firewall_policy.rules_added.len(), 16);
        assert_eq!(result.guardrail.action, DiffAction::Create);
        assert_eq!(result.default_firewall_policy.before, Some(ObjectRef { id: Some(3), name: "ops".into() }));
        assert_eq!(result.default_firewall_policy.after, Some(ObjectRef { id: None, name: "autonomy-balanced".into() }));
        assert_eq!(result.default_verdict, Change { before: Some(DefaultVerdict::Deny), after: Some(DefaultVerdict::Audit) });
        assert_eq!(result.observe_mode, Change { before: true, after: false });
        let json = serde_json::to_value(&result).expect("serializes");
        assert_eq!(json["default_firewall_policy"]["after"], serde_json::json!({"id": null, "name": "autonomy-balanced"}));
        assert_eq!(json["firewall_policy"]["action"], "create");
    }

    #[test]
    fn reapplying_a_level_is_unchanged_and_edits_show_as_changes() {
        let applied = apply_level(&ops_posture(), Level::Tight);
        let again = diff(&applied, &apply_level(&applied, Level::Tight));
        assert_eq!((again.firewall_policy.action, again.guardrail.action), (DiffAction::Unchanged, DiffAction::Unchanged));

        let mut edited = applied.clone();
        let policy = edited.firewall_policies.iter_mut().find(|p| p.policy.name == "autonomy-tight").expect("tight policy");
        policy.policy.rules[0].label = Some("edited".into());
        policy.policy.rules.pop();
        policy.policy.rules.push(RuleConfig::new(crate::engine::firewall::config::RuleVerdict::Allow));
        let result = diff(&edited, &apply_level(&edited, Level::Tight));
        assert_eq!(result.firewall_policy.action, DiffAction::Update);
        assert_eq!(result.firewall_policy.rules_changed.len(), 1);
        assert_eq!(result.firewall_policy.rules_added.len(), 1);
        assert_eq!(result.firewall_policy.rules_removed.len(), 1);
    }

    #[test]
    fn permissive_has_no_objects_to_diff() {
        let before = ops_posture();
        let result = diff(&before, &apply_level(&before, Level::Permissive));
        assert_eq!((result.firewall_policy.action, result.guardrail.action), (DiffAction::None, DiffAction::None));
        assert_eq!(result.default_firewall_policy.after, None);
        assert_eq!(result.default_verdict.after, None);
    }
}
