//! Output stream scanner (SPEC §4.7): masks and blocks on a streamed reply without ever releasing text
//! that could still become part of a match.
//!
//! Every detector is treated as unbounded: text is released only up to the last complete line (no
//! built-in entity crosses a line break), and not past the start of an open private-key block. At most
//! 64 KiB is held; past that the scanner blocks (the relay sends the truncation notice). Each scan sees
//! up to 64 KiB of already-released context, so context-dependent detectors behave as on the whole
//! text except for context that lies after the released line (documented limitation). Pure and
//! panic-free; the relay owns the SSE plumbing.
use std::collections::HashSet;

use crate::engine::guardrail::compile::{CompiledGuardrail, Hit};
use crate::engine::guardrail::config::{Action, ScanStage};
use crate::engine::guardrail::pii::CivilDate;
use crate::engine::guardrail::suppress::fingerprint;

/// Maximum held text (SPEC §9.4).
pub const HOLD_LIMIT: usize = 64 * 1024;

/// Why the stream must end with the truncation notice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamBlock {
    /// Deciding rule index (`None` when the hold-back limit was exceeded).
    pub rule: Option<usize>,
    /// Rule id.
    pub rule_id: Option<i64>,
    /// Rule label, or `hold-back limit`.
    pub rule_label: String,
}

/// What to send after a chunk.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamStep {
    /// Text safe to release now (masks applied).
    pub emit: String,
    /// Set once: end the stream with the truncation notice.
    pub blocked: Option<StreamBlock>,
    /// `max_chars` mask reached: finish with `finish_reason: "length"`.
    pub truncated: bool,
}

/// Incremental output scanner for one choice.
pub struct StreamScanner<'g> {
    g: &'g CompiledGuardrail,
    guardrail_id: i64,
    suppressed: HashSet<String>,
    today: CivilDate,
    text: String,
    released: usize,
    emitted_chars: usize,
    done: bool,
    hits: Vec<Hit>,
}

impl<'g> StreamScanner<'g> {
    /// Starts scanning one output stream of `g`.
    pub fn new(g: &'g CompiledGuardrail, guardrail_id: i64, suppressed: HashSet<String>, today: CivilDate) -> StreamScanner<'g> {
        StreamScanner { g, guardrail_id, suppressed, today, text: String::new(), released: 0, emitted_chars: 0, done: false, hits: Vec::new() }
    }

    /// Every deterministic hit so far (byte offsets into the whole received text, before masking).
    pub fn hits(&self) -> &[Hit] {
        &self.hits
    }

    /// The whole text received so far.
    pub fn received(&self) -> &str {
        &self.text
    }

    /// Feeds one delta.
    pub fn push(&mut self, chunk: &str) -> StreamStep {
        if self.done {
            return StreamStep::default();
        }
        self.text.push_str(chunk);
        let boundary = self.safe_boundary();
        if self.text.len() - boundary > HOLD_LIMIT {
            self.done = true;
            return StreamStep { emit: String::new(), blocked: Some(StreamBlock { rule: None, rule_id: None, rule_label: "hold-back limit".into() }), truncated: false };
        }
        self.release(boundary)
    }

    /// Ends the stream: scans and releases everything still held.
    pub fn finish(&mut self) -> StreamStep {
        if self.done {
            return StreamStep::default();
        }
        let end = self.text.len();
        let step = self.release(end);
        self.done = true;
        step
    }

    fn safe_boundary(&self) -> usize {
        let tail = &self.text[self.released..];
        let mut b = tail.rfind('\n').map_or(self.released, |i| self.released + i + 1);
        // An open private-key block is held until its END line arrives.
        if let Some(i) = self.text[self.released..b].rfind("-----BEGIN ") {
            let at = self.released + i;
            if !self.text[at..b].contains("-----END ") {
                b = at;
            }
        }
        b
    }

    fn release(&mut self, to: usize) -> StreamStep {
        let mut step = StreamStep::default();
        if to <= self.released {
            return step;
        }
        let ctx = floor_line(&self.text, self.released.saturating_sub(HOLD_LIMIT));
        let window = &self.text[ctx..to];
        let mut new_hits: Vec<Hit> = self
            .g
            .scan_text(ScanStage::Output, 0, window, self.today)
            .into_iter()
            .filter(|h| ctx + h.start >= self.released)
            .map(|mut h| {
                h.start += ctx;
                h.end += ctx;
                h
            })
            .collect();
        new_hits.retain(|h| {
            let r = &self.g.rules[h.rule];
            let fp = fingerprint(self.guardrail_id, r.id.unwrap_or(r.index as i64), h.entity.as_deref().unwrap_or(r.rule_type), &self.text[h.start..h.end]);
            !self.suppressed.contains(&fp)
        });
        self.hits.extend(new_hits.iter().cloned());
        if let Some(h) = new_hits.iter().find(|h| h.action == Action::Block) {
            let r = &self.g.rules[h.rule];
            self.done = true;
            step.blocked = Some(StreamBlock { rule: Some(r.index), rule_id: r.id, rule_label: r.label.clone() });
            return step;
        }
        let mut emit = mask(&self.text[self.released..to], self.released, &new_hits);
        self.released = to;
        // `max_chars` at output counts released characters.
        for r in self.g.rules_for(ScanStage::Output) {
            let Some(limit) = r.max_chars() else { continue };
            let total = self.emitted_chars + emit.chars().count();
            if total > limit {
                match r.action {
                    Action::Block => {
                        self.done = true;
                        return StreamStep { emit: String::new(), blocked: Some(StreamBlock { rule: Some(r.index), rule_id: r.id, rule_label: r.label.clone() }), truncated: false };
                    }
                    Action::Mask => {
                        emit = emit.chars().take(limit.saturating_sub(self.emitted_chars)).collect();
                        step.truncated = true;
                        self.done = true;
                    }
                    _ => {}
                }
            }
        }
        self.emitted_chars += emit.chars().count();
        step.emit = emit;
        step
    }
}

fn floor_line(t: &str, i: usize) -> usize {
    let mut i = i.min(t.len());
    while i > 0 && !t.is_char_boundary(i) {
        i -= 1;
    }
    if i == 0 {
        0
    } else {
        t[..i].rfind('\n').map_or(0, |p| p + 1)
    }
}

/// Masks `segment` (starting at byte `base` of the whole text) with the mask hits inside it, earlier rule
/// first, then earlier start, then longer span.
fn mask(segment: &str, base: usize, hits: &[Hit]) -> String {
    let mut edits: Vec<&Hit> = hits.iter().filter(|h| h.action == Action::Mask && h.start >= base && h.end <= base + segment.len()).collect();
    edits.sort_by_key(|h| (h.rule, h.start, std::cmp::Reverse(h.end - h.start)));
    let mut kept: Vec<&Hit> = Vec::new();
    for h in edits {
        if !kept.iter().any(|k| k.start < h.end && h.start < k.end) {
            kept.push(h);
        }
    }
    kept.sort_by_key(|h| h.start);
    let mut out = String::with_capacity(segment.len());
    let mut pos = 0;
    for h in kept {
        let (a, b) = (h.start - base, h.end - base);
        if let (Some(before), true) = (segment.get(pos..a), segment.is_char_boundary(b)) {
            out.push_str(before);
            out.push_str(&format!("[{}]", h.tag));
            pos = b;
        }
    }
    out.push_str(segment.get(pos..).unwrap_or(""));
    out
}
