//! The per-text `Scan`: trigger positions and windows of the built-in entities, computed once per text.
//!
//! Every detector's pattern runs only where its trigger occurs, and the triggers are found with the
//! fastest exact search available (memchr, vectorized multi-literal search, probing); `reference` mode
//! uses the straightforward searches instead, and the property tests check that both agree. A fast search
//! that cannot be built falls back to the straightforward one. Must not know entity validation rules.
use std::cell::OnceCell;
use std::ops::Range;

use crate::engine::guardrail::pii::patterns::{get, CivilDate, AWS_KEYWORDS, KEYWORDS, LITERALS};
use crate::engine::guardrail::text::windows;

/// One text being scanned, with its trigger windows computed on first use.
pub struct Scan<'t> {
    /// The text (zero-width characters already removed).
    pub text: &'t str,
    /// Today's date for date-bounded entities.
    pub today: CivilDate,
    /// Use the straightforward trigger searches (the reference of the fast ones, for tests).
    reference: bool,
    digits: OnceCell<(Vec<Range<usize>>, Vec<usize>)>,
    seps: OnceCell<Vec<usize>>,
    colons: OnceCell<Vec<Range<usize>>>,
    ats: OnceCell<Vec<Range<usize>>>,
    keyword_hits: OnceCell<KeywordHits>,
    literal_mask: OnceCell<u32>,
    password: OnceCell<Vec<Range<usize>>>,
    aws: OnceCell<Vec<Range<usize>>>,
}

/// Start offsets of keyword matches, split by the detector they trigger.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct KeywordHits {
    /// Password keywords (`KEYWORDS` outside `AWS_KEYWORDS`).
    pub password: Vec<usize>,
    /// AWS keywords.
    pub aws: Vec<usize>,
}

impl<'t> Scan<'t> {
    /// Prepares a scan; `reference` selects the straightforward trigger searches.
    pub fn with_mode(text: &'t str, today: CivilDate, reference: bool) -> Scan<'t> {
        Scan {
            text,
            today,
            reference,
            keyword_hits: OnceCell::new(),
            literal_mask: OnceCell::new(),
            seps: OnceCell::new(),
            digits: OnceCell::new(),
            colons: OnceCell::new(),
            ats: OnceCell::new(),
            password: OnceCell::new(),
            aws: OnceCell::new(),
        }
    }

    /// Whether the straightforward searches are in use (detectors skip no window then).
    pub fn is_reference(&self) -> bool {
        self.reference
    }

    /// Windows around digit clusters (numeric entities all carry at least four digits).
    pub fn digit_windows(&self) -> &[Range<usize>] {
        &self.digit_scan().0
    }

    /// The digit windows that can hold an entity of `min_digits` digits. An entity's digits are
    /// separated by at most three non-newline characters, so they lie in one digit cluster, which
    /// overlaps the window the entity is found in; a window whose clusters are all shorter cannot
    /// hold it. The windows themselves are unchanged (reference mode: all of them).
    pub fn digit_windows_for(&self, min_digits: usize) -> impl Iterator<Item = &Range<usize>> {
        let (windows, most) = self.digit_scan();
        let all = self.reference;
        windows.iter().zip(most).filter(move |(_, n)| all || **n >= min_digits).map(|(w, _)| w)
    }

    /// The digit windows and, for each, the most digits of a cluster overlapping it.
    fn digit_scan(&self) -> &(Vec<Range<usize>>, Vec<usize>) {
        self.digits.get_or_init(|| {
            let clusters: Vec<Range<usize>> = get().numeric.find_iter(self.text).map(|m| m.range()).collect();
            let mut points = Vec::new();
            for m in &clusters {
                // Points every 64 bytes keep long clusters inside one merged window.
                points.extend((m.start..m.end).step_by(64));
                points.push(m.end);
            }
            let wins = windows(self.text, points.into_iter(), 40, 40);
            let mut most = vec![0; wins.len()];
            let bytes = self.text.as_bytes();
            let mut k = 0;
            for c in &clusters {
                let n = bytes.get(c.clone()).map_or(0, |d| d.iter().filter(|b| b.is_ascii_digit()).count());
                while wins.get(k).is_some_and(|w| w.end <= c.start) {
                    k += 1;
                }
                let mut j = k;
                while wins.get(j).is_some_and(|w| w.start < c.end) {
                    if let Some(slot) = most.get_mut(j) {
                        *slot = (*slot).max(n);
                    }
                    j += 1;
                }
            }
            (wins, most)
        })
    }

    /// Windows for IPv6 and MAC addresses (which may carry no digit): digit clusters, plus separators
    /// with hex digits on both sides.
    pub fn hex_windows(&self) -> &[Range<usize>] {
        self.colons.get_or_init(|| {
            let b = self.text.as_bytes();
            let hex = |i: usize| b.get(i).is_some_and(|c| c.is_ascii_hexdigit() || *c == b':');
            let mut points: Vec<usize> = self.seps().iter().copied().filter(|&i| i > 0 && hex(i - 1) && hex(i + 1)).collect();
            points.extend(self.digit_windows().iter().flat_map(|r| [r.start, r.end.saturating_sub(1)]));
            points.sort_unstable();
            windows(self.text, points.into_iter(), 48, 64)
        })
    }

    /// Offsets of every `:` and `-`.
    fn seps(&self) -> &[usize] {
        self.seps.get_or_init(|| {
            if self.reference {
                self.text.match_indices([':', '-']).map(|(i, _)| i).collect()
            } else {
                get().hex_seps.find_iter(self.text).map(|m| m.start()).collect()
            }
        })
    }

    fn hex_at(&self, range: Range<usize>) -> bool {
        self.text.as_bytes().get(range).is_some_and(|r| r.iter().all(u8::is_ascii_hexdigit))
    }

    /// Whether the text can hold an IPv6 address at all: two colons with at most four hex digits
    /// between them (the `(?::[0-9A-Fa-f]{0,4}){2,7}` of the pattern). Always true in reference mode.
    pub fn ipv6_possible(&self) -> bool {
        if self.reference {
            return true;
        }
        let b = self.text.as_bytes();
        let mut last_colon: Option<usize> = None;
        for &i in self.seps() {
            if b.get(i) != Some(&b':') {
                continue;
            }
            if last_colon.is_some_and(|j| i - j <= 5 && self.hex_at(j + 1..i)) {
                return true;
            }
            last_colon = Some(i);
        }
        false
    }

    /// Whether the text can hold a MAC address at all: `hh:hh:` / `hh-hh-` or `hhhh.hhhh.` somewhere.
    /// Always true in reference mode.
    pub fn mac_possible(&self) -> bool {
        if self.reference {
            return true;
        }
        let b = self.text.as_bytes();
        let pair = |i: usize| {
            i >= 2 && self.hex_at(i - 2..i) && self.hex_at(i + 1..i + 3) && b.get(i + 3) == b.get(i)
        };
        let quad = |i: usize| i >= 4 && self.hex_at(i - 4..i) && self.hex_at(i + 1..i + 5) && b.get(i + 5) == Some(&b'.');
        self.seps().iter().any(|&i| pair(i)) || self.text.match_indices('.').any(|(i, _)| quad(i))
    }

    /// Windows around long alphanumeric tokens and `bc1` (bitcoin addresses).
    pub fn token_windows(&self) -> Vec<Range<usize>> {
        let mut points: Vec<usize> = if self.reference {
            get().long_token.find_iter(self.text).map(|m| m.start()).collect()
        } else {
            long_token_starts(self.text)
        };
        if self.reference {
            points.extend(self.text.match_indices("bc1").chain(self.text.match_indices("BC1")).map(|(i, _)| i));
        } else {
            // The two literals cannot overlap, so one search finds every occurrence of both.
            points.extend(get().bech32_prefix.find_iter(self.text).map(|m| m.start()));
        }
        points.sort_unstable();
        windows(self.text, points.into_iter(), 2, 100)
    }

    /// Windows around `@` (e-mail).
    pub fn at_windows(&self) -> &[Range<usize>] {
        self.ats.get_or_init(|| {
            if self.reference {
                windows(self.text, self.text.match_indices('@').map(|(i, _)| i), 192, 320)
            } else {
                windows(self.text, get().at_sign.find_iter(self.text).map(|m| m.start()), 192, 320)
            }
        })
    }

    /// Whether the text contains `lit` (one of `LITERALS` answers from one shared search).
    pub fn contains_literal(&self, lit: &str) -> bool {
        match LITERALS.iter().position(|l| *l == lit) {
            Some(i) if !self.reference => self.literal_mask() & (1 << i) != 0,
            _ => self.text.contains(lit),
        }
    }

    /// Bit `i` set when `LITERALS[i]` occurs: one multi-literal search instead of one scan per literal.
    fn literal_mask(&self) -> u32 {
        *self.literal_mask.get_or_init(|| {
            let Some(ac) = &get().literals else {
                return LITERALS.iter().enumerate().filter(|(_, l)| self.text.contains(*l)).fold(0, |m, (i, _)| m | 1 << i);
            };
            let all = (1u32 << LITERALS.len()) - 1;
            let hay = self.text.as_bytes();
            let mut mask = 0u32;
            let mut pos = 0;
            // Restarting one byte after each match start finds every occurrence: a match can only hide
            // another one that starts inside it, and none starts at the same offset.
            while pos < hay.len() && mask != all {
                let Some(m) = ac.find(aho_corasick::Input::new(hay).span(pos..hay.len())) else { break };
                mask |= 1 << m.pattern().as_usize();
                pos = m.start() + 1;
            }
            mask
        })
    }

    /// Keyword matches (leftmost-first, non-overlapping, as `keywords.find_iter`), computed once.
    pub fn keyword_hits(&self) -> &KeywordHits {
        self.keyword_hits.get_or_init(|| {
            let p = get();
            let t = self.text;
            let unicode_fold = !t.is_ascii() && p.unicode_folds.as_ref().is_none_or(|f| f.is_match(t));
            let mut hits = KeywordHits::default();
            match &p.keywords_folded {
                // Outside the `unicode_folds` characters, `(?i)` on these keywords is ASCII case folding,
                // so one case-sensitive search of the lower-cased copy finds the same matches.
                Some(ac) if !self.reference && !unicode_fold => {
                    let lower = t.to_ascii_lowercase();
                    for m in ac.find_iter(&lower) {
                        let is_aws = AWS_KEYWORDS.contains(&m.pattern().as_usize());
                        if is_aws { &mut hits.aws } else { &mut hits.password }.push(m.start());
                    }
                }
                _ => {
                    for m in p.keywords.find_iter(t) {
                        let k = m.as_str().to_lowercase();
                        let is_aws = KEYWORDS[AWS_KEYWORDS].iter().any(|a| *a == k);
                        if is_aws { &mut hits.aws } else { &mut hits.password }.push(m.start());
                    }
                }
            }
            hits
        })
    }

    fn keyword_windows(&self, aws: bool, back: usize, fwd: usize) -> Vec<Range<usize>> {
        let hits = self.keyword_hits();
        let hits = if aws { &hits.aws } else { &hits.password };
        windows(self.text, hits.iter().copied(), back, fwd)
    }

    /// Windows around password keywords.
    pub fn password_windows(&self) -> &[Range<usize>] {
        self.password.get_or_init(|| self.keyword_windows(false, 160, 400))
    }

    /// Windows around AWS keywords and `secret` (for `aws_secret_key`).
    pub fn aws_windows(&self) -> &[Range<usize>] {
        self.aws.get_or_init(|| {
            let mut w = self.keyword_windows(true, 256, 400);
            w.extend(self.password_windows().iter().cloned());
            w.sort_by_key(|r| r.start);
            w
        })
    }

    /// The whole text as one window.
    pub fn whole(&self) -> Range<usize> {
        0..self.text.len()
    }
}

/// Starts of the maximal runs of at least 25 ASCII alphanumerics (what `long_token.find_iter` reports).
///
/// Every such run covers one of the offsets 24, 49, 74, …, so only those bytes are probed; a probe that
/// lands on a letter measures its run (at most 24 bytes back, since the previous probe missed it).
pub fn long_token_starts(text: &str) -> Vec<usize> {
    const RUN: usize = 25;
    let b = text.as_bytes();
    let alnum = |i: usize| b.get(i).is_some_and(u8::is_ascii_alphanumeric);
    let mut out = Vec::new();
    let mut i = RUN - 1;
    while i < b.len() {
        if alnum(i) {
            let mut start = i;
            while start > 0 && alnum(start - 1) {
                start -= 1;
            }
            let mut end = i + 1;
            while alnum(end) {
                end += 1;
            }
            if end - start >= RUN {
                out.push(start);
            }
            // The next run starts after `end`; skip the probes inside this one.
            while i < end {
                i += RUN;
            }
        } else {
            i += RUN;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn long_token_starts_are_the_regex_matches(parts in proptest::collection::vec(proptest::sample::select(vec![
            "a", "Z", "0", "abcdefghij", "ABCDEFGHIJKLMNOPQRSTUVWXY", " ", "-", "é", "_",
        ]), 0..60)) {
            let t: String = parts.concat();
            let reference: Vec<usize> = get().long_token.find_iter(&t).map(|m| m.start()).collect();
            proptest::prop_assert_eq!(long_token_starts(&t), reference);
        }

        #[test]
        fn keyword_hits_match_the_case_insensitive_regex(parts in proptest::collection::vec(proptest::sample::select(vec![
            "pass", "PASS", "pAsSwOrT", "pwd", "Secret", "contrasE", "senha", "пароль", "Пароль", "пАРоль", "密码", "パスワード",
            "-p'", "-P\"", "aws", "AKIA", "asia", "ſ", "\u{212A}", "ia", " ", "x", "é", "’",
        ]), 0..30)) {
            let t: String = parts.concat();
            let fast = Scan::with_mode(&t, CivilDate::LATEST, false);
            let reference = Scan::with_mode(&t, CivilDate::LATEST, true);
            proptest::prop_assert_eq!(fast.keyword_hits(), reference.keyword_hits());
        }
    }

    #[test]
    fn literal_mask_sees_overlapping_literals() {
        for t in ["sk-----BEGIN x", "xoxghp_", "AKIASIA", "eyJ://", "", "plain prose"] {
            let fast = Scan::with_mode(t, CivilDate::LATEST, false);
            for lit in LITERALS {
                assert_eq!(fast.contains_literal(lit), t.contains(lit), "{t:?} {lit}");
            }
        }
    }
}
