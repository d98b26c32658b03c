//! Simulate guardrail estimate (SPEC §6.4, decided): raw text is never stored, so recorded match
//! rows of the window are mapped onto the level's guardrail rules (same entity, same stage) and
//! counted with the level's action. A lower bound, reported with `basis: "recorded_matches"`.
//!
//! Pure counting over rows the service loaded; the level rules are `pii` rules only, so rows are
//! matched by entity name. Start at `replay_guardrails`.

use serde::{Deserialize, Serialize};

use crate::engine::autonomy::levels::level_contents;
use crate::engine::autonomy::Level;
use crate::engine::guardrail::config::{Action, RuleConfig as GuardrailRule, RuleKind, Stage};

/// One recorded guardrail match row, as far as the estimate needs it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedMatch {
    /// `input` or `output`.
    pub stage: String,
    /// Entity or built-in detector name (`email`, `url`, …); `None` for keyword/regex/… rows.
    #[serde(default)]
    pub entity: Option<String>,
    /// The row's key is explicitly bound to a guardrail: a level would not affect it.
    #[serde(default)]
    pub key_bound_to_guardrail: bool,
}

/// Counts for one level rule, entity and stage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleEstimate {
    /// The level rule's label.
    pub rule_label: String,
    /// Entity.
    pub entity: String,
    /// Stage of the recorded rows.
    pub stage: String,
    /// Rows that would be blocked.
    pub would_block: u64,
    /// Rows that would be masked.
    pub would_mask: u64,
    /// Rows that would be flagged.
    pub would_flag: u64,
}

/// The `guardrails` part of the Simulate replay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuardrailEstimate {
    /// Always `recorded_matches`: the estimate is a lower bound.
    pub basis: String,
    /// Rows that would be blocked.
    pub would_block: u64,
    /// Rows that would be masked.
    pub would_mask: u64,
    /// Rows that would be flagged.
    pub would_flag: u64,
    /// Per level rule, entity and stage; most rows first.
    pub by_rule: Vec<RuleEstimate>,
}

/// Maps `matches` onto `level`'s guardrail rules (first rule whose stage covers the row's stage
/// and whose entities include its entity) and counts the level's actions.
pub fn replay_guardrails(matches: &[RecordedMatch], level: Level) -> GuardrailEstimate {
    let rules = level_contents(level).guardrail.map(|g| g.rules).unwrap_or_default();
    let mut estimate = GuardrailEstimate {
        basis: "recorded_matches".to_string(),
        would_block: 0,
        would_mask: 0,
        would_flag: 0,
        by_rule: Vec::new(),
    };
    for row in matches.iter().filter(|row| !row.key_bound_to_guardrail) {
        let Some(entity) = row.entity.as_deref() else { continue };
        let Some(rule) = rules.iter().find(|rule| covers(rule, &row.stage, entity)) else { continue };
        let label = rule.effective_label();
        let action = rule.action;
        let position = estimate.by_rule.iter().position(|e| e.rule_label == label && e.entity == entity && e.stage == row.stage);
        let idx = position.unwrap_or_else(|| {
            estimate.by_rule.push(RuleEstimate {
                rule_label: label.clone(),
                entity: entity.to_string(),
                stage: row.stage.clone(),
                would_block: 0,
                would_mask: 0,
                would_flag: 0,
            });
            estimate.by_rule.len() - 1
        });
        let Some(entry) = estimate.by_rule.get_mut(idx) else { continue };
        // Level rules only block, mask or flag; any other action records like a flag.
        match action {
            Action::Block => (entry.would_block += 1, estimate.would_block += 1),
            Action::Mask => (entry.would_mask += 1, estimate.would_mask += 1),
            Action::Flag | Action::Annotate | Action::Spotlight => (entry.would_flag += 1, estimate.would_flag += 1),
        };
    }
    estimate.by_rule.sort_by_key(|e| std::cmp::Reverse(e.would_block + e.would_mask + e.would_flag));
    estimate
}

fn covers(rule: &GuardrailRule, stage: &str, entity: &str) -> bool {
    let stage_ok = match rule.stage {
        Stage::Both => true,
        Stage::Input => stage == "input",
        Stage::Output => stage == "output",
    };
    let RuleKind::Pii(config) = &rule.kind else {
        return false;
    };
    stage_ok && config.entities.iter().any(|e| e == entity)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(stage: &str, entity: Option<&str>) -> RecordedMatch {
        RecordedMatch { stage: stage.into(), entity: entity.map(str::to_string), key_bound_to_guardrail: false }
    }

    #[test]
    fn tight_masks_pii_blocks_input_secrets_and_flags_output_secrets() {
        let mut bound = row("input", Some("email"));
        bound.key_bound_to_guardrail = true;
        let rows = [
            row("input", Some("email")),
            row("output", Some("email")),
            row("input", Some("github_token")),
            row("output", Some("github_token")),
            row("input", Some("url")),
            row("input", None),
            bound,
        ];
        let tight = replay_guardrails(&rows, Level::Tight);
        assert_eq!((tight.would_block, tight.would_mask, tight.would_flag), (1, 2, 1));
        assert_eq!(tight.basis, "recorded_matches");
        let labels: Vec<&str> = tight.by_rule.iter().map(|e| e.rule_label.as_str()).collect();
        assert!(labels.contains(&"PII Shield") && labels.contains(&"secrets_input") && labels.contains(&"secrets_output"));

        let balanced = replay_guardrails(&rows, Level::Balanced);
        assert_eq!((balanced.would_block, balanced.would_mask, balanced.would_flag), (0, 0, 2));
        let permissive = replay_guardrails(&rows, Level::Permissive);
        assert!(permissive.by_rule.is_empty());
    }
}
