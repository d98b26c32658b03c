//! Autonomy levels (SPEC §6): the shared rule sets, the exact contents of `tight`, `balanced` and
//! `permissive`, posture snapshots, and the pure halves of Simulate (diff and replay).
//!
//! Pure data and functions: no storage, no clock. Apply, undo and audit rows are the service's.
//! Reading order: `rule_sets`, `levels`, `posture`, `diff`, `replay`, `guardrail_replay`.

pub mod diff;
pub mod guardrail_replay;
pub mod levels;
pub mod posture;
pub mod replay;
pub mod rule_sets;

use serde::{Deserialize, Serialize};

pub use crate::engine::autonomy::diff::{diff, Change, DiffAction, ObjectDiff, PostureDiff};
pub use crate::engine::autonomy::guardrail_replay::{replay_guardrails, GuardrailEstimate, RecordedMatch, RuleEstimate};
pub use crate::engine::autonomy::levels::{apply_level, current_level, level_contents, LevelContents};
pub use crate::engine::autonomy::posture::{ObjectRef, Posture, PostureGuardrail, PosturePolicy};
pub use crate::engine::autonomy::replay::{replay, FirewallReplay, RecordedCall, ReplaySummary, ToolReplay, VerdictCounts};

/// A workspace autonomy level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Deny shell and fetch tools and everything unlisted; mask PII, block secrets.
    Tight,
    /// Deny destructive shell commands, audit the rest; flag PII.
    Balanced,
    /// No policy, no guardrail, observe mode on.
    Permissive,
}

impl Level {
    /// Every level, tightest first.
    pub const ALL: [Level; 3] = [Level::Tight, Level::Balanced, Level::Permissive];

    /// Parses `tight`, `balanced` or `permissive` (exact, lower case); anything else is `None`
    /// (the API answers 422 `validation_error`).
    pub fn parse(text: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|level| level.as_str() == text)
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Tight => "tight",
            Level::Balanced => "balanced",
            Level::Permissive => "permissive",
        }
    }

    /// Name of the policy and guardrail the level writes (`autonomy-<level>`).
    pub fn object_name(self) -> String {
        format!("autonomy-{}", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_exactly() {
        assert_eq!(Level::parse("tight"), Some(Level::Tight));
        assert_eq!(Level::parse("balanced"), Some(Level::Balanced));
        assert_eq!(Level::parse("permissive"), Some(Level::Permissive));
        assert_eq!(Level::parse("Tight"), None);
        assert_eq!(Level::parse("custom"), None);
        assert_eq!(Level::Balanced.object_name(), "autonomy-balanced");
    }
}
