//! Verdicts and reasons (SPEC §5.5) plus the post-match adjustments of SPEC §5.1 steps 4–7:
//! surface adjustments, shadow downgrade (§5.8) and presented approvals.
//!
//! Owns every reason string format; must not look at rules' conditions. Reasons are cut to 512
//! characters on a char boundary.

use crate::engine::firewall::config::{DefaultVerdict, RuleVerdict};
use crate::engine::firewall::evaluate::{Approval, CostCheck, EventVerdict, Evaluation, RuleTraceStep, Surface, ToolCall};

/// Event `reason` length cap in characters (SPEC §9.4).
pub const MAX_REASON_CHARS: usize = 512;

/// What the deciding rule decided, before adjustments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// A non-`cap_cost` rule matched.
    Rule(RuleVerdict),
    /// A `cap_cost` rule matched over budget.
    CapCost(CostCheck),
}

fn blank(verdict: EventVerdict, reason: String) -> Evaluation {
    Evaluation {
        verdict,
        rule_id: None,
        rule_label: None,
        reason,
        shadow: false,
        gap: false,
        review: false,
        sanitized_arguments: None,
        cost_check: None,
        consumes_approval: false,
        trace: Vec::new(),
    }
}

/// The evaluation a matching rule decides (before surface, shadow and approval adjustments).
pub fn decided(rule_id: Option<i64>, rule_index: usize, label: Option<String>, decision: Decision, call: &ToolCall) -> Evaluation {
    let (verdict, reason) = match decision {
        Decision::CapCost(check) => (EventVerdict::Deny, cost_reason(&check)),
        Decision::Rule(rule_verdict) => {
            let verdict = event_verdict_of(rule_verdict);
            let by_rule = || match rule_id {
                Some(id) => format!("{} by rule {id}", rule_verdict.as_str()),
                // Draft rules (sandbox) have no id yet: name their position instead.
                None => format!("{} by rule rules[{rule_index}]", rule_verdict.as_str()),
            };
            let mut reason = label.clone().unwrap_or_else(by_rule);
            // SPEC §5.2: on egress a deny names the destination instead of the default reason.
            if verdict == EventVerdict::Deny && call.surface == Surface::Egress {
                if let Some(name) = call.destination.as_ref().and_then(|d| d.display_name()) {
                    reason = format!("egress to {name} denied");
                }
            }
            (verdict, reason)
        }
    };
    let mut evaluation = blank(verdict, reason);
    evaluation.rule_id = rule_id;
    evaluation.rule_label = label;
    evaluation
}

fn event_verdict_of(verdict: RuleVerdict) -> EventVerdict {
    match verdict {
        RuleVerdict::Allow => EventVerdict::Allow,
        RuleVerdict::Audit => EventVerdict::Audit,
        RuleVerdict::Sanitize => EventVerdict::Sanitize,
        RuleVerdict::PendingApproval => EventVerdict::PendingApproval,
        // `cap_cost` only decides through `Decision::CapCost`; deny is the fail-closed reading.
        RuleVerdict::Deny | RuleVerdict::CapCost => EventVerdict::Deny,
    }
}

/// No rule matched: the default verdict with `gap: true`, or on `egress` an allow without gap.
pub fn undecided(default_verdict: DefaultVerdict, surface: Surface) -> Evaluation {
    if surface == Surface::Egress {
        return blank(EventVerdict::Allow, "no egress rule matched".to_string());
    }
    let verdict = match default_verdict {
        DefaultVerdict::Allow => EventVerdict::Allow,
        DefaultVerdict::Audit => EventVerdict::Audit,
        DefaultVerdict::Deny => EventVerdict::Deny,
    };
    let mut evaluation = blank(verdict, format!("no rule matched; default verdict {}", default_verdict.as_str()));
    evaluation.gap = true;
    evaluation.review = verdict == EventVerdict::Audit;
    evaluation
}

/// No policy, observe mode on.
pub fn observe() -> Evaluation {
    let mut evaluation = blank(EventVerdict::Observe, "no firewall policy (observe mode)".to_string());
    evaluation.gap = true;
    evaluation
}

/// Fail-closed result of an internal inconsistency.
pub fn engine_error(message: &str, trace: Vec<RuleTraceStep>) -> Evaluation {
    let mut evaluation = blank(EventVerdict::Deny, truncate(format!("engine error: {message}")));
    evaluation.trace = trace;
    evaluation
}

/// `run spend $X + estimate $Y exceeds cap $Z`.
pub fn cost_reason(check: &CostCheck) -> String {
    format!(
        "run spend {} + estimate {} exceeds cap {}",
        dollars(check.run_spend_cents),
        dollars(check.estimate_cents),
        dollars(check.cap_cents)
    )
}

/// Cents as `$1.05` (`-$0.30` for negatives).
pub fn dollars(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}${}.{:02}", abs / 100, abs % 100)
}

/// Steps 5–7 of SPEC §5.1 and the final flags: surface adjustments, shadow, approvals, `review`,
/// reason length.
pub fn adjust(evaluation: &mut Evaluation, surface: Surface, shadow: bool, approval: &Approval) {
    if evaluation.verdict == EventVerdict::Sanitize && surface == Surface::Inbound {
        evaluation.verdict = EventVerdict::Deny;
        evaluation.reason = "sanitize not possible on inbound".to_string();
    }
    if evaluation.verdict == EventVerdict::PendingApproval && matches!(surface, Surface::Inbound | Surface::Egress) {
        // The hold applies when the call itself is emitted or dispatched (SPEC §5.1 step 5).
        evaluation.verdict = EventVerdict::Audit;
    }
    let enforcing = matches!(evaluation.verdict, EventVerdict::Deny | EventVerdict::Sanitize | EventVerdict::PendingApproval);
    if shadow && enforcing {
        evaluation.reason = format!("[shadow] would {}: {}", evaluation.verdict.as_str(), evaluation.reason);
        evaluation.verdict = EventVerdict::Audit;
        evaluation.shadow = true;
    }
    if evaluation.verdict == EventVerdict::PendingApproval {
        match approval {
            Approval::Approved { approval_id, actor } => {
                evaluation.verdict = EventVerdict::Allow;
                evaluation.reason = format!("approved by {actor} (approval {approval_id})");
                evaluation.consumes_approval = true;
            }
            Approval::Rejected { approval_id } => {
                evaluation.verdict = EventVerdict::Deny;
                evaluation.reason = format!("rejected (approval {approval_id}): {}", evaluation.reason);
            }
            Approval::Pending { .. } | Approval::None => {}
        }
    }
    evaluation.review = evaluation.verdict == EventVerdict::Audit;
    evaluation.reason = truncate(std::mem::take(&mut evaluation.reason));
}

/// Cuts `text` to `MAX_REASON_CHARS` characters.
pub fn truncate(text: String) -> String {
    match text.char_indices().nth(MAX_REASON_CHARS) {
        Some((cut_at, _)) => text[..cut_at].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_format_cents() {
        assert_eq!(dollars(0), "$0.00");
        assert_eq!(dollars(5), "$0.05");
        assert_eq!(dollars(12345), "$123.45");
        assert_eq!(dollars(-30), "-$0.30");
        assert_eq!(dollars(i64::MIN), "-$92233720368547758.08");
    }

    #[test]
    fn cost_reason_matches_the_spec_format() {
        let check = CostCheck { cap_cents: 500, run_spend_cents: 420, estimate_cents: 85, over: true };
        assert_eq!(cost_reason(&check), "run spend $4.20 + estimate $0.85 exceeds cap $5.00");
    }

    #[test]
    fn truncate_keeps_512_characters_on_char_boundaries() {
        assert_eq!(truncate("é".repeat(600)).chars().count(), 512);
        assert_eq!(truncate("short".into()), "short");
    }

    #[test]
    fn shadow_downgrades_enforcing_verdicts_only() {
        for (verdict, downgraded) in [
            (EventVerdict::Deny, true),
            (EventVerdict::Sanitize, true),
            (EventVerdict::PendingApproval, true),
            (EventVerdict::Allow, false),
            (EventVerdict::Audit, false),
        ] {
            let mut evaluation = blank(verdict, "label".into());
            adjust(&mut evaluation, Surface::Response, true, &Approval::None);
            assert_eq!(evaluation.shadow, downgraded, "{verdict:?}");
            if downgraded {
                assert_eq!(evaluation.verdict, EventVerdict::Audit);
                assert_eq!(evaluation.reason, format!("[shadow] would {}: label", verdict.as_str()));
                assert!(evaluation.review);
            } else {
                assert_eq!(evaluation.verdict, verdict);
            }
        }
    }

    #[test]
    fn approvals_resolve_holds_but_not_in_shadow() {
        let approved = Approval::Approved { approval_id: "ab12".into(), actor: "ops@example.com".into() };
        let mut held = blank(EventVerdict::PendingApproval, "hold prod db writes".into());
        adjust(&mut held, Surface::Response, false, &approved);
        assert_eq!((held.verdict, held.reason.as_str()), (EventVerdict::Allow, "approved by ops@example.com (approval ab12)"));
        assert!(held.consumes_approval);

        let mut shadowed = blank(EventVerdict::PendingApproval, "hold".into());
        adjust(&mut shadowed, Surface::Response, true, &approved);
        assert_eq!(shadowed.verdict, EventVerdict::Audit);
        assert!(!shadowed.consumes_approval);

        let mut rejected = blank(EventVerdict::PendingApproval, "hold".into());
        adjust(&mut rejected, Surface::Mcp, false, &Approval::Rejected { approval_id: "cd34".into() });
        assert_eq!((rejected.verdict, rejected.reason.as_str()), (EventVerdict::Deny, "rejected (approval cd34): hold"));

        let mut pending = blank(EventVerdict::PendingApproval, "hold".into());
        adjust(&mut pending, Surface::Mcp, false, &Approval::Pending { approval_id: "ef56".into() });
        assert_eq!(pending.verdict, EventVerdict::PendingApproval);
    }
}
