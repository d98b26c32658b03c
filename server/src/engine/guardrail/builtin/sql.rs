//! `sql_injection` detector (DETECTION §4): tautologies, `UNION SELECT`, quote breakouts and
//! `DROP TABLE`/`DROP DATABASE`, case-insensitive. Must not flag ordinary words, parameterised queries,
//! `WHERE 1=1 AND …`, doubled-quote escapes, or a literal's ordinary closing quote.
use std::ops::Range;
use std::sync::OnceLock;

use regex::Regex;

use crate::engine::guardrail::builtin::merge;
use crate::engine::guardrail::text::line_of;

struct Rules {
    tautology: Regex,
    union: Regex,
    breakout: Regex,
    drop: Regex,
    /// `union` or `drop`, case-insensitive: needed by `union` and `drop`, rare in prose.
    words: Regex,
    /// `=` (an AVX2 memchr), needed by `tautology`.
    eq: Regex,
}

fn rules() -> &'static Rules {
    static R: OnceLock<Rules> = OnceLock::new();
    R.get_or_init(|| {
        let re = |p: &str| crate::engine::guardrail::text::builtin_regex(p).expect("sql pattern compiles");
        Rules {
            tautology: re(r#"(?i)(?-u:\b)or\s+(?:([0-9]+)\s*=\s*([0-9]+)|'([^'\n]*)'\s*=\s*'([^'\n]*)'?|"([^"\n]*)"\s*=\s*"([^"\n]*)"?)"#),
            union: re(r"(?i)(?-u:\b)union(?:\s+|/\*\*/)+(?:all(?:\s+|/\*\*/)+)?select(?-u:\b)"),
            breakout: re(r#"(?i)['"]\)?\s*(?:(?:or|and|union)(?-u:\b)|--|#|;\s*(?:drop|delete|insert|update|select|exec|create|alter|truncate)(?-u:\b))"#),
            drop: re(r"(?i)(?-u:\b)drop\s+(?:table|database)(?-u:\b)"),
            words: re(r"(?i)union|drop"),
            eq: re("="),
        }
    })
}

/// Finds SQL-injection payloads in `text` (byte spans from where the fragment starts to the end of its line).
pub fn detect(text: &str) -> Vec<Range<usize>> {
    let r = rules();
    let mut starts: Vec<usize> = Vec::new();
    let taut_hay = if r.eq.is_match(text) { text } else { "" };
    for c in r.tautology.captures_iter(taut_hay) {
        let sides: Vec<&str> = (1..=6).filter_map(|i| c.get(i).map(|m| m.as_str())).collect();
        if let (Some(m), [a, b]) = (c.get(0), sides.as_slice()) {
            if a == b {
                starts.push(quote_before(text, m.start()));
            }
        }
    }
    // Every `union`/`drop` match contains a `words` match; one search rules both out in most texts.
    if r.words.is_match(text) {
        starts.extend(r.union.find_iter(text).map(|m| m.start()));
        starts.extend(r.drop.find_iter(text).map(|m| m.start()));
    }
    for m in r.breakout.find_iter(text) {
        if opens_breakout(text, m.start()) {
            starts.push(m.start());
        }
    }
    let spans = starts.into_iter().map(|s| {
        let line = line_of(text, s);
        let end = s + text[s..line.end].trim_end().len();
        s..end.max(s + 1)
    });
    merge(spans.collect())
}

/// A tautology directly after a quote (`' OR 1=1`) starts at that quote.
fn quote_before(text: &str, at: usize) -> usize {
    let head = text[..at].trim_end();
    match head.chars().next_back() {
        Some('\'' | '"') if opens_breakout(text, head.len() - 1) => head.len() - 1,
        _ => at,
    }
}

/// A quote breaks out when it is not the closing quote of a literal opened earlier on the line: the number
/// of the same quote characters before it on the line (doubled `''` escapes aside) is even.
fn opens_breakout(text: &str, at: usize) -> bool {
    let Some(q) = text[at..].chars().next() else { return false };
    if text[at + 1..].starts_with(q) || text[..at].ends_with(q) {
        return false;
    }
    let line = line_of(text, at);
    let before = text[line.start..at].replace(if q == '\'' { "''" } else { "\"\"" }, "");
    before.matches(q).count() % 2 == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(t: &str) -> Vec<&str> {
        detect(t).into_iter().map(|r| &t[r]).collect()
    }

    #[test]
    fn flags_payload_shapes() {
        for (t, v) in [
            ("username: admin' OR '1'='1", "' OR '1'='1"),
            ("id=1 or 1=1", "or 1=1"),
            ("x\" OR \"\"=\"\"", "\" OR \"\"=\"\""),
            ("1 UNION ALL SELECT username, password FROM users--", "UNION ALL SELECT username, password FROM users--"),
            ("1/**/union/**/select/**/1", "union/**/select/**/1"),
            ("admin'--", "'--"),
            ("x'); DROP TABLE students;--", "'); DROP TABLE students;--"),
            ("op.execute(\"DROP TABLE users\")", "DROP TABLE users\")"),
        ] {
            assert_eq!(found(t), vec![v], "{t}");
        }
    }

    #[test]
    fn skips_ordinary_sql_and_prose() {
        for t in [
            "the union selected a chair", "UNION members", "SELECT * FROM t WHERE id = $1", "WHERE 1=1 AND a = ?",
            "SELECT * FROM t WHERE name = 'O''Neil'", "SELECT * FROM t WHERE a = 'x' AND b = 'y'", "-- a comment in a script",
            "query = \"SELECT * FROM users WHERE name = '\" + name + \"'\"", "or 1=2", "drop the table",
        ] {
            assert!(found(t).is_empty(), "{t}: {:?}", found(t));
        }
    }
}
