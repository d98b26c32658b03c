//! Text helpers shared by every detector: zero-width stripping with offset mapping, trigger windows,
//! neighbour-character checks, placeholder words (DETECTION §1.4) and byte ↔ code-point conversion.
//!
//! Must not know any entity. All offsets are byte offsets on char boundaries; nothing here can panic on
//! user text (every slice goes through `get`).
use std::ops::Range;

use regex::{Captures, Regex};

/// Lazy-DFA cache limit of the built-in patterns. Under the regex crate's default (2 MiB) the Unicode
/// classes of `email`, `url` & co. do not fit, and the engine silently falls back to its NFA simulation,
/// some 50 times slower; the cache only grows as far as a search needs.
pub const DFA_SIZE_LIMIT: usize = 1 << 23;

/// Compiles a constant built-in pattern with `DFA_SIZE_LIMIT`.
pub fn builtin_regex(pattern: &str) -> Result<Regex, regex::Error> {
    regex::RegexBuilder::new(pattern).size_limit(1 << 24).dfa_size_limit(DFA_SIZE_LIMIT).build()
}

/// Zero-width characters that DETECTION §1.5 says must not hide an entity.
pub const ZERO_WIDTH: [char; 5] = ['\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}'];

/// Whether `text` contains a zero-width character (a byte search: every one of them starts with 0xE2
/// or 0xEF in UTF-8, which prose rarely contains).
pub fn has_zero_width(text: &str) -> bool {
    if text.is_ascii() {
        // A vectorized check, several times faster than any search.
        return false;
    }
    // The regex engine's memchr prefilter on the two lead bytes makes this a fast scan.
    static RE: std::sync::OnceLock<Option<Regex>> = std::sync::OnceLock::new();
    match RE.get_or_init(|| Regex::new("[\u{200B}-\u{200D}\u{2060}\u{FEFF}]").ok()) {
        Some(re) => re.is_match(text),
        None => text.contains(ZERO_WIDTH),
    }
}

/// A copy of a text with zero-width characters removed, plus the way back to the original offsets.
pub struct Stripped {
    /// The text without zero-width characters.
    pub text: String,
    /// For each byte of `text` (and one past the end), the byte offset in the original.
    map: Vec<usize>,
}

impl Stripped {
    /// Strips zero-width characters, or returns `None` when there are none (the common case).
    pub fn new(original: &str) -> Option<Stripped> {
        if !has_zero_width(original) {
            return None;
        }
        let mut text = String::with_capacity(original.len());
        let mut map = Vec::with_capacity(original.len() + 1);
        for (i, c) in original.char_indices() {
            if ZERO_WIDTH.contains(&c) {
                continue;
            }
            for k in 0..c.len_utf8() {
                map.push(i + k);
            }
            text.push(c);
        }
        map.push(original.len());
        Some(Stripped { text, map })
    }

    /// Maps a span of the stripped text back to the original: from the original position of the first
    /// character to the position after the last one, so inserted zero-width characters are inside it.
    pub fn map_span(&self, start: usize, end: usize) -> (usize, usize) {
        let s = self.map.get(start).copied().unwrap_or(0);
        let last = end.saturating_sub(1).max(start);
        let e = match self.text.get(last..).and_then(|t| t.chars().next()) {
            Some(c) if end > start => self.map.get(last).copied().unwrap_or(s) + c.len_utf8(),
            _ => s,
        };
        (s, e)
    }
}

/// Computes merged windows around trigger positions: each position `p` contributes
/// `[p - back, p + fwd]`, widened to the surrounding whitespace (at most 64 more bytes) and snapped to
/// char boundaries, so a window never starts or ends inside a token that the trigger belongs to.
pub fn windows(text: &str, positions: impl Iterator<Item = usize>, back: usize, fwd: usize) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::new();
    for p in positions {
        if out.last().is_some_and(|last| p.saturating_add(fwd) <= last.end) {
            continue;
        }
        let start = widen_back(text, p.saturating_sub(back));
        let end = widen_fwd(text, p.saturating_add(fwd).min(text.len()));
        match out.last_mut() {
            Some(last) if start <= last.end => last.end = last.end.max(end),
            _ => out.push(start..end),
        }
    }
    out
}

fn widen_back(text: &str, mut i: usize) -> usize {
    let bytes = text.as_bytes();
    let limit = i.saturating_sub(64);
    // The window starts ON the whitespace byte so that patterns with a consuming left-boundary class
    // (`(?:^|[^0-9])`) can still see it.
    while i > limit && i > 0 && !bytes.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
        i -= 1;
    }
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn widen_fwd(text: &str, mut i: usize) -> usize {
    let bytes = text.as_bytes();
    let limit = (i + 64).min(text.len());
    while i < limit && !bytes.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
        i += 1;
    }
    while i < text.len() && !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Runs `re` over `text[window]` (with the text before the window visible for `\b`), calling `f` with
/// every capture set; offsets in the captures are offsets into `text`.
pub fn captures_in<'t>(re: &Regex, text: &'t str, window: Range<usize>, mut f: impl FnMut(&Captures<'t>)) {
    let Some(hay) = text.get(..window.end) else { return };
    let mut pos = window.start;
    while pos <= hay.len() {
        let Some(caps) = re.captures_at(hay, pos) else { break };
        let Some(m) = caps.get(0) else { break };
        f(&caps);
        pos = if m.end() > m.start() { m.end() } else { next_boundary(hay, m.end()) };
    }
}

/// Like `captures_in` for patterns whose groups are not needed: only the DFA search runs, never the
/// (much slower) capture engine.
pub fn find_in<'t>(re: &Regex, text: &'t str, window: Range<usize>, mut f: impl FnMut(regex::Match<'t>)) {
    let Some(hay) = text.get(..window.end) else { return };
    let mut pos = window.start;
    while pos <= hay.len() {
        let Some(m) = re.find_at(hay, pos) else { break };
        f(m);
        pos = if m.end() > m.start() { m.end() } else { next_boundary(hay, m.end()) };
    }
}

/// The first char boundary after `i` (or `len + 1` at the end, which stops loops).
pub fn next_boundary(text: &str, i: usize) -> usize {
    let mut j = i + 1;
    while j < text.len() && !text.is_char_boundary(j) {
        j += 1;
    }
    j
}

/// The character just before byte offset `i`.
pub fn char_before(text: &str, i: usize) -> Option<char> {
    text.get(..i)?.chars().next_back()
}

/// The character at byte offset `i`.
pub fn char_at(text: &str, i: usize) -> Option<char> {
    text.get(i..)?.chars().next()
}

/// Whether the character before `i` is an ASCII digit.
pub fn digit_before(text: &str, i: usize) -> bool {
    char_before(text, i).is_some_and(|c| c.is_ascii_digit())
}

/// Whether the character at `i` is an ASCII digit.
pub fn digit_at(text: &str, i: usize) -> bool {
    char_at(text, i).is_some_and(|c| c.is_ascii_digit())
}

/// The line (without its terminator) that contains byte offset `i`, as a range.
pub fn line_of(text: &str, i: usize) -> Range<usize> {
    let bytes = text.as_bytes();
    let i = i.min(text.len());
    let (Some(head), Some(tail)) = (text.get(..i), text.get(i..)) else {
        // Not a char boundary: the byte loops (the newline bytes never occur inside a character).
        let start = bytes.get(..i).and_then(|b| b.iter().rposition(|&c| c == b'\n')).map_or(0, |p| p + 1);
        let end = bytes.get(i..).and_then(|b| b.iter().position(|&c| c == b'\n' || c == b'\r')).map_or(text.len(), |p| i + p);
        return start..end;
    };
    // `str::find`/`rfind` with one char are memchr searches (long lines are common: minified JSON, prose).
    let start = head.rfind('\n').map_or(0, |p| p + 1);
    let nl = tail.find('\n').unwrap_or(tail.len());
    let end = i + tail.get(..nl).and_then(|t| t.find('\r')).unwrap_or(nl);
    start..end
}

/// The word (ASCII letters) immediately before byte offset `i`, skipping spaces, lower-cased.
pub fn previous_word(text: &str, i: usize) -> String {
    let head = text.get(..i).unwrap_or("");
    let trimmed = head.trim_end_matches([' ', '\t', '\u{00A0}']);
    let word: String = trimmed.chars().rev().take_while(|c| c.is_ascii_alphabetic()).collect();
    word.chars().rev().collect::<String>().to_ascii_lowercase()
}

/// Placeholder words of DETECTION §1.4, compared case-insensitively.
const PLACEHOLDER_WORDS: &[&str] = &[
    "your_api_key", "your_password", "your-key-here", "your-token", "your-bot-token", "user", "password", "host",
    "dbname", "redacted", "placeholder", "example", "changeme", "none", "null", "true", "false", "",
];

/// Whether a secret's variable part is a placeholder or mask (DETECTION §1.4): template or variable syntax,
/// a secret-store lookup, one repeated character, an elided body, or a placeholder word.
pub fn is_placeholder(value: &str) -> bool {
    let v = value.trim();
    let lower = v.to_lowercase();
    if PLACEHOLDER_WORDS.contains(&lower.as_str()) {
        return true;
    }
    let templated = (v.starts_with('<') && v.ends_with('>'))
        || v.contains("{{")
        || v.contains("${")
        || v.contains("%(")
        || (v.starts_with('$') && v.len() > 1 && v[1..].chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        || lower.contains("os.environ")
        || lower.contains("os.getenv")
        || lower.contains("process.env")
        || lower.contains("getenv(");
    if templated {
        return true;
    }
    if v.contains("...") || v.contains('…') {
        return true;
    }
    let mut chars = v.chars();
    match chars.next() {
        Some(first) => chars.all(|c| c == first),
        None => true,
    }
}

/// Converts a byte offset into a Unicode code-point offset of the same text (offsets past the end or
/// inside a character are clamped to the character that contains them).
pub fn byte_to_cp(text: &str, byte: usize) -> usize {
    let head = text.get(..byte.min(text.len()));
    match head {
        Some(h) => h.chars().count(),
        None => text.char_indices().take_while(|(i, _)| *i < byte).count(),
    }
}

/// Converts a code-point offset into a byte offset (clamped to the end of the text).
pub fn cp_to_byte(text: &str, cp: usize) -> usize {
    text.char_indices().nth(cp).map_or(text.len(), |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_width_spans_map_back_including_inserted_characters() {
        let s = Stripped::new("a\u{200B}b\u{200D}c").expect("has zero-width");
        assert_eq!(s.text, "abc");
        assert_eq!(s.map_span(0, 3), (0, 9));
        assert_eq!(s.map_span(1, 2), (4, 5));
        assert!(Stripped::new("plain").is_none());
    }

    #[test]
    fn placeholders_are_recognised() {
        for p in ["xxxx", "****", "<password>", "${DB_PASS}", "$DB_PASS", "changeme", "os.environ['X']", "MIIE...", "", "{{ pw }}"] {
            assert!(is_placeholder(p), "{p}");
        }
        for p in ["hunter22", "S3cr3t!x", "a$b"] {
            assert!(!is_placeholder(p), "{p}");
        }
    }

    #[test]
    fn windows_merge_and_snap_to_whitespace() {
        let t = "aaaa bbbb cccc dddd";
        let w = windows(t, [5usize, 10].into_iter(), 1, 1);
        assert_eq!(w, vec![4..14]);
        assert_eq!(byte_to_cp("é1", 2), 1);
        assert_eq!(cp_to_byte("é1", 1), 2);
    }

    #[test]
    fn line_and_previous_word() {
        let t = "one\nrelease 2.1.0.7\nx";
        assert_eq!(&t[line_of(t, 8)], "release 2.1.0.7");
        assert_eq!(previous_word(t, 12), "release");
    }
}
