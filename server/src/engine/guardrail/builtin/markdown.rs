//! `markdown_image` detector (DETECTION §4): CommonMark inline images with an absolute or
//! protocol-relative `http(s)` destination, outside code spans and fenced code blocks.
//! Must not flag links, relative paths, `data:` URIs, reference-style images or raw HTML.
use std::ops::Range;
use std::sync::OnceLock;

use regex::Regex;

fn pattern() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        // INVARIANT: a constant pattern covered by the tests.
        crate::engine::guardrail::text::builtin_regex(r#"!\[[^\]\n]*\]\([ \t]*(?:<([^>\n]*)>|([^\s()]+(?:\([^\s()]*\)[^\s()]*)*))(?:[ \t]+(?:"[^"\n]*"|'[^'\n]*'|\([^)\n]*\)))?[ \t]*\)"#)
            .expect("markdown image pattern compiles")
    })
}

/// Finds remote Markdown images in `text` (byte spans from `![` to the image's closing `)`).
pub fn detect(text: &str) -> Vec<Range<usize>> {
    if !text.contains("![") {
        return Vec::new();
    }
    let mut code: Option<Vec<Range<usize>>> = None;
    let mut out = Vec::new();
    for c in pattern().captures_iter(text) {
        let Some(m) = c.get(0) else { continue };
        let dest = c.get(1).or_else(|| c.get(2)).map_or("", |d| d.as_str()).trim();
        let lower = dest.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("//")) {
            continue;
        }
        let code = code.get_or_insert_with(|| code_ranges(text));
        if !code.iter().any(|r| r.start <= m.start() && m.start() < r.end) {
            out.push(m.start()..m.end());
        }
    }
    out
}

/// Byte ranges of fenced code blocks and inline code spans (per line), which a renderer does not display.
fn code_ranges(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut fence: Option<(String, usize)> = None;
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let start = pos;
        pos += line.len();
        let trimmed = line.trim_start_matches(' ');
        let marker: String = trimmed.chars().take_while(|c| *c == '`' || *c == '~').collect();
        let is_fence = line.len() - trimmed.len() <= 3 && marker.len() >= 3 && marker.chars().all(|c| c == marker.chars().next().unwrap_or('`'));
        match &fence {
            Some((open, from)) => {
                if is_fence && marker.starts_with(open.as_str()) && trimmed[marker.len()..].trim().is_empty() {
                    out.push(*from..pos);
                    fence = None;
                }
            }
            None if is_fence => fence = Some((marker, start)),
            None => inline_spans(line, start, &mut out),
        }
    }
    if let Some((_, from)) = fence {
        out.push(from..text.len());
    }
    out
}

fn inline_spans(line: &str, base: usize, out: &mut Vec<Range<usize>>) {
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'`' {
            i += 1;
            continue;
        }
        let run = b[i..].iter().take_while(|&&c| c == b'`').count();
        let mut j = i + run;
        let mut closed = None;
        while j < b.len() {
            if b[j] == b'`' {
                let r2 = b[j..].iter().take_while(|&&c| c == b'`').count();
                if r2 == run {
                    closed = Some(j + r2);
                    break;
                }
                j += r2;
            } else {
                j += 1;
            }
        }
        match closed {
            Some(end) => {
                out.push(base + i..base + end);
                i = end;
            }
            None => i += run,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn images(t: &str) -> Vec<&str> {
        detect(t).into_iter().map(|r| &t[r]).collect()
    }

    #[test]
    fn flags_remote_images_including_nested_badges_and_titles() {
        assert_eq!(images("x ![](https://e.io/p.png?d=SECRET) y"), vec!["![](https://e.io/p.png?d=SECRET)"]);
        assert_eq!(images("![a]( <HTTPS://e.io/a b.png> \"t\" )"), vec!["![a]( <HTTPS://e.io/a b.png> \"t\" )"]);
        assert_eq!(images("[![badge](//img.shields.io/x.svg)](https://ci.io)"), vec!["![badge](//img.shields.io/x.svg)"]);
    }

    #[test]
    fn skips_relative_data_links_spaced_and_code() {
        for t in [
            "![d](./img/d.png)", "![d](data:image/png;base64,AAAA)", "[l](https://e.io)", "! [x](https://e.io/a.png)",
            "![alt]", "`![x](https://e.io/a.png)`", "```md\n![x](https://e.io/a.png)\n```", "![r][ref]", "<img src=\"https://e.io/a.png\">",
        ] {
            assert!(images(t).is_empty(), "{t}");
        }
        assert_eq!(images("```\ncode\n```\n![x](https://e.io/a.png)").len(), 1);
    }
}
