//! Simulate replay (SPEC §6.4): re-evaluate recorded firewall events against a level's policy
//! with the pure engine, and count what would happen.
//!
//! Reads only what events store: argument clauses run on the stored `args_summary` (parsed; a cut
//! summary that no longer parses is one string value) and cut summaries are counted as
//! `approximate`. The service loads the window and fills `from`/`to`. Start at `replay`.

use serde::{Deserialize, Serialize};

use crate::engine::autonomy::levels::level_contents;
use crate::engine::autonomy::Level;
use crate::engine::firewall::egress::Destination;
use crate::engine::firewall::evaluate::{
    evaluate_no_policy, parse_arguments, CompiledPolicy, ConfigError, EvalContext, EventVerdict, Evaluation, Surface, ToolCall,
};

/// One recorded firewall event, as far as replay needs it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordedCall {
    /// Event surface.
    pub surface: Surface,
    /// Event tool name.
    pub tool_name: String,
    /// Event skill name.
    #[serde(default)]
    pub skill_name: Option<String>,
    /// Stored `args_summary` (≤ 512 characters).
    #[serde(default)]
    pub args_summary: Option<String>,
    /// Whether the summary was cut at 512 characters.
    #[serde(default)]
    pub args_summary_cut: bool,
    /// Stored destination (egress).
    #[serde(default)]
    pub destination: Option<Destination>,
    /// The event's key is explicitly bound to an enabled policy: a level would not affect it.
    #[serde(default)]
    pub key_bound_to_enabled_policy: bool,
}

/// Verdict counts (`would_*`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerdictCounts {
    /// Would be denied.
    pub would_deny: u64,
    /// Would be audited.
    pub would_audit: u64,
    /// Would be allowed (`observe` counts here).
    pub would_allow: u64,
    /// Would be sanitized.
    pub would_sanitize: u64,
    /// Would be held.
    pub would_pending_approval: u64,
}

impl VerdictCounts {
    fn add(&mut self, verdict: EventVerdict) {
        match verdict {
            EventVerdict::Deny => self.would_deny += 1,
            EventVerdict::Audit => self.would_audit += 1,
            EventVerdict::Allow | EventVerdict::Observe => self.would_allow += 1,
            EventVerdict::Sanitize => self.would_sanitize += 1,
            EventVerdict::PendingApproval => self.would_pending_approval += 1,
        }
    }

    fn total(&self) -> u64 {
        self.would_deny + self.would_audit + self.would_allow + self.would_sanitize + self.would_pending_approval
    }
}

/// Counts for one (tool, surface).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolReplay {
    /// Tool name.
    pub tool_name: String,
    /// Surface.
    pub surface: Surface,
    /// Label of the rule that decided the most severe verdict in this group (null: default verdict).
    pub rule_label: Option<String>,
    /// Counts.
    #[serde(flatten)]
    pub counts: VerdictCounts,
}

/// The firewall part of the replay.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirewallReplay {
    /// Totals.
    #[serde(flatten)]
    pub counts: VerdictCounts,
    /// Per tool and surface, most denials first.
    pub by_tool: Vec<ToolReplay>,
}

/// The firewall replay summary of Simulate (without `from`/`to` and the guardrail estimate).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplaySummary {
    /// Events in the window.
    pub events_considered: u64,
    /// Events of keys bound to an enabled policy (counted in no `would_*`).
    pub unaffected: u64,
    /// Events evaluated on a cut `args_summary`.
    pub approximate: u64,
    /// Verdict counts.
    pub firewall: FirewallReplay,
}

/// Re-evaluates `events` against `level`'s policy (or observe for permissive). The `would_*`
/// counts sum to `events_considered − unaffected`.
pub fn replay(events: &[RecordedCall], level: Level) -> Result<ReplaySummary, ConfigError> {
    let contents = level_contents(level);
    let policy = contents.firewall_policy.as_ref().map(CompiledPolicy::compile).transpose()?;
    let mut summary = ReplaySummary { events_considered: events.len() as u64, ..ReplaySummary::default() };
    let ctx = EvalContext::default();
    for event in events {
        if event.key_bound_to_enabled_policy {
            summary.unaffected += 1;
            continue;
        }
        if event.args_summary_cut {
            summary.approximate += 1;
        }
        let evaluation = match &policy {
            Some(policy) => policy.evaluate(&to_call(event), &ctx),
            // Permissive: no policy; observe mode is on, and an observe result counts as allowed.
            None => evaluate_no_policy(contents.observe_mode).unwrap_or_else(crate::engine::firewall::reason::observe),
        };
        summary.firewall.counts.add(evaluation.verdict);
        record_tool(&mut summary.firewall.by_tool, event, &evaluation);
    }
    summary.firewall.by_tool.sort_by(|a, b| {
        (b.counts.would_deny, b.counts.total(), &a.tool_name).cmp(&(a.counts.would_deny, a.counts.total(), &b.tool_name))
    });
    Ok(summary)
}

fn to_call(event: &RecordedCall) -> ToolCall {
    ToolCall {
        surface: event.surface,
        tool: event.tool_name.clone(),
        skill: event.skill_name.clone(),
        arguments: event.args_summary.as_deref().map(parse_arguments),
        destination: event.destination.clone(),
    }
}

fn severity(verdict: EventVerdict) -> u8 {
    match verdict {
        EventVerdict::Deny => 4,
        EventVerdict::PendingApproval => 3,
        EventVerdict::Sanitize => 2,
        EventVerdict::Audit => 1,
        EventVerdict::Allow | EventVerdict::Observe => 0,
    }
}

fn record_tool(by_tool: &mut Vec<ToolReplay>, event: &RecordedCall, evaluation: &Evaluation) {
    let position = by_tool.iter().position(|t| t.tool_name == event.tool_name && t.surface == event.surface);
    let idx = position.unwrap_or_else(|| {
        by_tool.push(ToolReplay {
            tool_name: event.tool_name.clone(),
            surface: event.surface,
            rule_label: None,
            counts: VerdictCounts::default(),
        });
        by_tool.len() - 1
    });
    let Some(entry) = by_tool.get_mut(idx) else {
        return;
    };
    let worst_so_far = [
        (entry.counts.would_deny, EventVerdict::Deny),
        (entry.counts.would_pending_approval, EventVerdict::PendingApproval),
        (entry.counts.would_sanitize, EventVerdict::Sanitize),
        (entry.counts.would_audit, EventVerdict::Audit),
    ]
    .into_iter()
    .find(|(count, _)| *count > 0)
    .map_or(0, |(_, verdict)| severity(verdict));
    if evaluation.rule_label.is_some() && (entry.rule_label.is_none() || severity(evaluation.verdict) > worst_so_far) {
        entry.rule_label = evaluation.rule_label.clone();
    }
    entry.counts.add(evaluation.verdict);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(surface: Surface, tool: &str, summary: Option<&str>) -> RecordedCall {
        RecordedCall {
            surface,
            tool_name: tool.to_string(),
            skill_name: None,
            args_summary: summary.map(str::to_string),
            args_summary_cut: false,
            destination: None,
            key_bound_to_enabled_policy: false,
        }
    }

    fn sample() -> Vec<RecordedCall> {
        let mut bound = event(Surface::Response, "shell.exec", Some(r#"{"command":"rm -rf /"}"#));
        bound.key_bound_to_enabled_policy = true;
        let mut cut = event(Surface::Response, "shell.exec", Some(r#"{"command":"rm -rf / && echo aaaa"#));
        cut.args_summary_cut = true;
        vec![
            event(Surface::Response, "shell.exec", Some(r#"{"command":"rm -rf /"}"#)),
            event(Surface::Response, "shell.exec", Some(r#"{"command":"ls -la"}"#)),
            event(Surface::Inbound, "shell.exec", None),
            event(Surface::Mcp, "github.create_issue", Some(r#"{"title":"x"}"#)),
            event(Surface::Egress, "web_search", None),
            bound,
            cut,
        ]
    }

    #[test]
    fn balanced_denies_destructive_calls_and_audits_the_rest() {
        let summary = replay(&sample(), Level::Balanced).expect("level compiles");
        assert_eq!((summary.events_considered, summary.unaffected, summary.approximate), (7, 1, 1));
        let counts = summary.firewall.counts;
        assert_eq!((counts.would_deny, counts.would_audit, counts.would_allow), (2, 3, 1));
        assert_eq!(counts.total(), summary.events_considered - summary.unaffected);
        let first = &summary.firewall.by_tool[0];
        assert_eq!((first.tool_name.as_str(), first.surface), ("shell.exec", Surface::Response));
        assert_eq!(first.rule_label.as_deref(), Some("destructive shell command"));
        assert_eq!((first.counts.would_deny, first.counts.would_audit), (2, 1));
    }

    #[test]
    fn tight_denies_by_name_and_default_and_permissive_allows_everything() {
        let tight = replay(&sample(), Level::Tight).expect("level compiles");
        // Egress of a fetch-shaped tool is denied by name; every other call by rule or default.
        assert_eq!(tight.firewall.counts.would_deny, 6);
        let permissive = replay(&sample(), Level::Permissive).expect("no policy");
        assert_eq!(permissive.firewall.counts.would_allow, 6);
    }
}
