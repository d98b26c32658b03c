//! Deterministic edits of the fold (SPEC §4.4 step 3, §4.3): masks and spotlights applied in one pass
//! (earlier rule wins, then earlier start, then longer span), then `max_chars` truncation.
//!
//! Must not decide anything: it only rewrites text for findings the fold kept.
use crate::engine::guardrail::compile::{CompiledGuardrail, Hit};
use crate::engine::guardrail::config::{Action, ScanStage};
use crate::engine::guardrail::fold::{Finding, Role, SegmentKind, StageRequest, SPOTLIGHT_CLOSE, SPOTLIGHT_OPEN};

fn spotlight(text: &str) -> String {
    format!("{SPOTLIGHT_OPEN}{}{SPOTLIGHT_CLOSE}", text.replace(SPOTLIGHT_OPEN, "").replace(SPOTLIGHT_CLOSE, ""))
}

/// Applies masks and spotlights; returns the new texts and whether anything was spotlighted.
pub(crate) fn apply(g: &CompiledGuardrail, req: &StageRequest<'_>, hits: &[Hit], findings: &[Finding]) -> (Vec<String>, bool) {
    let mut spotlighted = false;
    let mut out = Vec::with_capacity(req.segments.len());
    for (i, seg) in req.segments.iter().enumerate() {
        let can_spot = req.stage == ScanStage::Input && seg.kind == SegmentKind::Content && !matches!(seg.role, Role::System | Role::Developer);
        let mut edits: Vec<&Hit> = hits
            .iter()
            .filter(|h| h.segment == i && (h.action == Action::Mask || (h.action == Action::Spotlight && can_spot && !g.rules[h.rule].spotlight_whole)))
            .filter(|h| seg.text.is_char_boundary(h.start) && seg.text.is_char_boundary(h.end) && h.start < h.end)
            .collect();
        edits.sort_by_key(|h| (h.rule, h.start, std::cmp::Reverse(h.end - h.start)));
        let mut kept: Vec<&Hit> = Vec::new();
        for h in edits {
            if !kept.iter().any(|k| k.start < h.end && h.start < k.end) {
                kept.push(h);
            }
        }
        kept.sort_by_key(|h| h.start);
        let mut text = String::with_capacity(seg.text.len());
        let mut pos = 0;
        for h in kept {
            text.push_str(&seg.text[pos..h.start]);
            if h.action == Action::Mask {
                text.push_str(&format!("[{}]", h.tag));
            } else {
                spotlighted = true;
                text.push_str(&spotlight(&seg.text[h.start..h.end]));
            }
            pos = h.end;
        }
        text.push_str(&seg.text[pos..]);
        out.push(text);
    }
    // `spotlight_whole`: a firing rule wraps the whole content of every user and tool message.
    let whole = findings.iter().any(|f| f.action == Action::Spotlight && g.rules.get(f.rule).is_some_and(|r| r.spotlight_whole));
    if whole && req.stage == ScanStage::Input {
        for (seg, text) in req.segments.iter().zip(out.iter_mut()) {
            if seg.kind == SegmentKind::Content && matches!(seg.role, Role::User | Role::Tool) {
                *text = spotlight(text);
                spotlighted = true;
            }
        }
    }
    (out, spotlighted)
}

/// `max_chars` mask: output keeps the first `limit` characters of each segment; input trims the oldest
/// non-system messages first. Returns whether anything was cut.
pub(crate) fn truncate(req: &StageRequest<'_>, segments: &mut [String], limit: usize) -> bool {
    match req.stage {
        ScanStage::Output => {
            let mut cut = false;
            for s in segments.iter_mut() {
                if s.chars().count() > limit {
                    *s = s.chars().take(limit).collect();
                    cut = true;
                }
            }
            cut
        }
        ScanStage::Input => {
            let total: usize = segments.iter().map(|s| s.chars().count()).sum();
            let mut excess = total.saturating_sub(limit);
            let cut = excess > 0;
            for (seg, text) in req.segments.iter().zip(segments.iter_mut()) {
                if excess == 0 {
                    break;
                }
                if matches!(seg.role, Role::System | Role::Developer) {
                    continue;
                }
                let len = text.chars().count();
                if len <= excess {
                    text.clear();
                    excess -= len;
                } else {
                    // Keep the end of the message: the most recent text of the oldest message survives.
                    *text = text.chars().skip(excess).collect();
                    excess = 0;
                }
            }
            cut
        }
    }
}
