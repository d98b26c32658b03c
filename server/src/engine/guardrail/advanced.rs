//! Advanced checks (SPEC §4.4 steps 4–5, §4.6): what the relay must ask (`advanced_requests`) and how
//! their answers fold into the stage outcome (`fold_advanced`).
//!
//! The engine never calls models or webhooks. An error answer follows the rule's fail-open setting:
//! fail-open records an error row with action `flag`; fail-closed fires the rule with its action.
use std::collections::BTreeMap;

use crate::engine::guardrail::compile::{CompiledGuardrail, Matcher};
use crate::engine::guardrail::config::{Action, RuleKind, ScanStage};
use crate::engine::guardrail::fold::{Decision, Finding, Occurrence, Role, SegmentKind, StageOutcome, StageRequest, SPOTLIGHT_CLOSE, SPOTLIGHT_OPEN};
use crate::engine::guardrail::suppress::fingerprint;
use crate::engine::guardrail::text::cp_to_byte;

/// What to run for one advanced rule.
#[derive(Clone, Debug, PartialEq)]
pub enum AdvancedKind {
    /// Judge model call; `model: None` = workspace `judge_model`; `timeout_ms` already defaulted.
    LlmJudge { model: Option<String>, rubric: String, timeout_ms: u64 },
    /// Grounding judge; skipped by the relay when there are no sources.
    Grounding { model: Option<String>, min_score: f64, timeout_ms: u64 },
    /// Webhook call.
    External { url: String, secret: Option<String>, timeout_ms: u64, mask_tag: String },
}

/// One advanced check the relay must run on the edited text.
#[derive(Clone, Debug, PartialEq)]
pub struct AdvancedCheck {
    /// Rule index.
    pub rule: usize,
    /// Rule id.
    pub rule_id: Option<i64>,
    /// Rule label.
    pub label: String,
    /// What to call.
    pub kind: AdvancedKind,
    /// Continue on error.
    pub fail_open: bool,
    /// Rule action.
    pub action: Action,
}

/// A span returned by an external detector (code points in the segment's edited text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdvancedSpan {
    /// Segment index.
    pub segment: usize,
    /// Code-point start.
    pub start: usize,
    /// Code-point end.
    pub end: usize,
}

/// The relay's answer for one check.
#[derive(Clone, Debug, PartialEq)]
pub enum AdvancedAnswer {
    /// `violation: true` (external may return spans).
    Violation { spans: Vec<AdvancedSpan> },
    /// `violation: false`.
    Clean,
    /// Grounding score 0..1.
    Score(f64),
    /// Error, timeout or unparsable reply (the cause, e.g. `timeout`).
    Error(String),
    /// Not run (grounding without sources).
    Skipped,
}

impl CompiledGuardrail {
    /// The advanced checks of `stage`, in rule order.
    pub fn advanced_requests(&self, stage: ScanStage) -> Vec<AdvancedCheck> {
        let mut out = Vec::new();
        for r in self.rules_for(stage) {
            let Matcher::Advanced(kind) = &r.matcher else { continue };
            let (kind, fail_open) = match kind {
                RuleKind::LlmJudge(j) => (
                    AdvancedKind::LlmJudge { model: j.model.clone(), rubric: j.rubric.clone(), timeout_ms: if j.judge_timeout_ms == 0 { 5000 } else { j.judge_timeout_ms } },
                    j.judge_fail_open,
                ),
                RuleKind::Grounding(g) => (AdvancedKind::Grounding { model: g.model.clone(), min_score: g.min_score, timeout_ms: g.grounding_timeout_ms }, g.fail_open),
                RuleKind::External(x) => (
                    AdvancedKind::External { url: x.url.clone(), secret: x.secret.clone(), timeout_ms: x.timeout_ms, mask_tag: x.mask_tag.clone().unwrap_or_else(|| "REDACTED".into()) },
                    x.fail_open,
                ),
                _ => continue,
            };
            out.push(AdvancedCheck { rule: r.index, rule_id: r.id, label: r.label.clone(), kind, fail_open, action: r.action });
        }
        out
    }

    /// Folds advanced answers (keyed by rule index) into a deterministic outcome (§4.4 step 5).
    pub fn fold_advanced(&self, req: &StageRequest<'_>, mut outcome: StageOutcome, answers: &BTreeMap<usize, AdvancedAnswer>) -> StageOutcome {
        if outcome.decision != Decision::Pass {
            return outcome;
        }
        let whole_text = outcome.segments.join("\n");
        let mut masks: Vec<(AdvancedSpan, Action, String)> = Vec::new();
        let mut spot_whole = false;
        for check in self.advanced_requests(req.stage) {
            let Some(answer) = answers.get(&check.rule) else { continue };
            let Some(rule) = self.rules.get(check.rule) else { continue };
            let ty = rule.rule_type;
            let (fires, error, detail, spans) = match (answer, &check.kind) {
                (AdvancedAnswer::Violation { spans }, _) => (true, false, format!("{ty}: violation"), spans.clone()),
                (AdvancedAnswer::Score(s), AdvancedKind::Grounding { min_score, .. }) if s < min_score => (true, false, format!("grounding: score {s:.2} < {min_score}"), vec![]),
                (AdvancedAnswer::Error(cause), _) if check.fail_open => (true, true, format!("{ty} error: {cause} (fail-open)"), vec![]),
                (AdvancedAnswer::Error(cause), _) => (true, true, format!("{ty} error: {cause} (fail-closed)"), vec![]),
                _ => (false, false, String::new(), vec![]),
            };
            if !fires {
                continue;
            }
            let fp = fingerprint(req.guardrail_id, rule.id.unwrap_or(rule.index as i64), ty, &whole_text);
            if req.suppressed.contains(&fp) {
                continue;
            }
            let mut action = if error && check.fail_open { Action::Flag } else { check.action };
            // Without spans, an external mask or spotlight acts as flag.
            if matches!(check.kind, AdvancedKind::External { .. }) && spans.is_empty() && matches!(action, Action::Mask | Action::Spotlight) {
                action = Action::Flag;
            }
            if action == Action::Spotlight && rule.spotlight_whole {
                spot_whole = true;
            }
            if let AdvancedKind::External { mask_tag, .. } = &check.kind {
                if matches!(action, Action::Mask | Action::Spotlight) {
                    masks.extend(spans.iter().map(|s| (s.clone(), action, mask_tag.clone())));
                }
            }
            let occurrences = spans.iter().map(|s| Occurrence { segment: s.segment, start: 0, end: 0, cp_start: s.start, cp_end: s.end }).collect();
            outcome.findings.push(Finding {
                rule: rule.index,
                rule_id: rule.id,
                rule_label: rule.label.clone(),
                rule_type: ty,
                action,
                entity: None,
                count: 1,
                detail,
                matched: Some(whole_text.chars().take(256).collect()),
                fingerprint: Some(fp),
                error,
                occurrences,
            });
        }
        if let Some(f) = outcome.findings.iter().find(|f| f.action == Action::Block) {
            outcome.decision = Decision::Blocked { rule: f.rule, rule_id: f.rule_id, rule_label: f.rule_label.clone() };
            return outcome;
        }
        self.apply_advanced_edits(req, &mut outcome, masks, spot_whole);
        outcome.annotations = self.notes(&outcome.findings);
        outcome
    }

    fn apply_advanced_edits(&self, req: &StageRequest<'_>, outcome: &mut StageOutcome, mut masks: Vec<(AdvancedSpan, Action, String)>, spot_whole: bool) {
        masks.sort_by_key(|(s, _, _)| (s.segment, std::cmp::Reverse(s.start)));
        let mut last: Option<(usize, usize)> = None;
        for (span, action, tag) in masks {
            let Some(seg) = req.segments.get(span.segment) else { continue };
            let Some(text) = outcome.segments.get_mut(span.segment) else { continue };
            // Applied from the end backwards so earlier offsets stay valid; overlapping spans are skipped.
            if last.is_some_and(|(s, st)| s == span.segment && span.end > st) || span.start >= span.end {
                continue;
            }
            let (a, b) = (cp_to_byte(text, span.start), cp_to_byte(text, span.end));
            let replacement = match action {
                Action::Mask => format!("[{tag}]"),
                _ if req.stage == ScanStage::Input && seg.kind == SegmentKind::Content && !matches!(seg.role, Role::System | Role::Developer) => {
                    outcome.spotlighted = true;
                    format!("{SPOTLIGHT_OPEN}{}{SPOTLIGHT_CLOSE}", &text[a..b])
                }
                _ => continue,
            };
            text.replace_range(a..b, &replacement);
            outcome.mutated = true;
            last = Some((span.segment, span.start));
        }
        if spot_whole && req.stage == ScanStage::Input {
            for (seg, text) in req.segments.iter().zip(outcome.segments.iter_mut()) {
                if seg.kind == SegmentKind::Content && matches!(seg.role, Role::User | Role::Tool) && !text.starts_with(SPOTLIGHT_OPEN) {
                    *text = format!("{SPOTLIGHT_OPEN}{}{SPOTLIGHT_CLOSE}", text.replace(SPOTLIGHT_OPEN, "").replace(SPOTLIGHT_CLOSE, ""));
                    outcome.spotlighted = true;
                    outcome.mutated = true;
                }
            }
        }
    }
}
