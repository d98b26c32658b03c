//! The four built-in detectors of `regex` rules (SPEC §4.5, DETECTION §4): url, markdown_image,
//! shell_injection, sql_injection.
//!
//! Agent detectors ignore the reserved values of DETECTION §1.4 and are independent of the pii
//! families. Spans are BYTE offsets into the scanned text. Start at `detect`.
mod markdown;
mod shell;
mod sql;
mod url;

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::engine::guardrail::text::Stripped;

/// A built-in detector named by a `regex` rule's `builtin`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Builtin {
    /// `http(s)://` URLs (URL Filter).
    Url,
    /// Rendered Markdown images with remote destinations (Markdown Image Block).
    MarkdownImage,
    /// Dangerous shell commands (Tool Call Shell Block).
    ShellInjection,
    /// SQL-injection payload shapes (SQL Injection in Output).
    SqlInjection,
}

impl Builtin {
    /// Every built-in detector.
    pub const ALL: [Builtin; 4] = [Builtin::Url, Builtin::MarkdownImage, Builtin::ShellInjection, Builtin::SqlInjection];

    /// The SPEC name.
    pub fn name(&self) -> &'static str {
        match self {
            Builtin::Url => "url",
            Builtin::MarkdownImage => "markdown_image",
            Builtin::ShellInjection => "shell_injection",
            Builtin::SqlInjection => "sql_injection",
        }
    }

    /// Parses a SPEC name.
    pub fn parse(name: &str) -> Option<Builtin> {
        Builtin::ALL.into_iter().find(|b| b.name() == name)
    }

    /// The default mask tag without brackets (upper-cased name).
    pub fn tag(&self) -> String {
        self.name().to_ascii_uppercase()
    }
}

/// Compiled `allow_hosts` of a `url` rule: exact hostnames and `*.suffix` entries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AllowHosts {
    exact: Vec<String>,
    suffixes: Vec<String>,
}

impl AllowHosts {
    /// Builds the list (entries lower-cased, trailing dot trimmed).
    pub fn new(entries: &[String]) -> AllowHosts {
        let mut a = AllowHosts::default();
        for e in entries {
            let e = e.trim().trim_end_matches('.').to_lowercase();
            match e.strip_prefix("*.") {
                Some(s) => a.suffixes.push(format!(".{s}")),
                None => a.exact.push(e),
            }
        }
        a
    }

    /// Whether `host` is permitted: an exact entry, or a subdomain (not the apex) of a `*.` entry.
    pub fn allows(&self, host: &str) -> bool {
        let h = host.trim_end_matches('.').to_lowercase();
        self.exact.iter().any(|e| *e == h) || self.suffixes.iter().any(|s| h.ends_with(s.as_str()) && h.len() > s.len())
    }
}

/// Runs one built-in detector over `text` and returns its spans (byte offsets, sorted, disjoint).
pub fn detect(builtin: Builtin, text: &str, allow: &AllowHosts) -> Vec<Range<usize>> {
    if builtin == Builtin::ShellInjection {
        // Shell normalization removes zero-width characters itself and maps spans back.
        return shell::detect(text);
    }
    let run = |t: &str| match builtin {
        Builtin::Url => url::detect(t, allow),
        Builtin::MarkdownImage => markdown::detect(t),
        Builtin::SqlInjection => sql::detect(t),
        Builtin::ShellInjection => Vec::new(),
    };
    match Stripped::new(text) {
        Some(s) => run(&s.text).into_iter().map(|r| {
            let (a, b) = s.map_span(r.start, r.end);
            a..b
        }).collect(),
        None => run(text),
    }
}

/// Merges overlapping or touching spans of one detector into one.
pub(crate) fn merge(mut spans: Vec<Range<usize>>) -> Vec<Range<usize>> {
    spans.sort_by_key(|r| (r.start, r.end));
    let mut out: Vec<Range<usize>> = Vec::new();
    for r in spans {
        match out.last_mut() {
            Some(l) if r.start < l.end => l.end = l.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}
