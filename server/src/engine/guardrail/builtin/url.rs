//! `url` detector (DETECTION §4): `http(s)://` URLs with a valid host, trimmed of trailing punctuation
//! and unbalanced closing brackets, minus `allow_hosts`. Must not apply the reserved values of §1.4.
use std::net::Ipv6Addr;
use std::ops::Range;
use std::sync::OnceLock;

use regex::Regex;

use crate::engine::guardrail::builtin::AllowHosts;

fn pattern() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        // INVARIANT: a constant pattern covered by the tests.
        crate::engine::guardrail::text::builtin_regex(
            r#"(?i)https?://(\[[0-9a-f:.]+\]|[\p{L}\p{N}](?:[\p{L}\p{N}\-]*[\p{L}\p{N}])?(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}\-]*[\p{L}\p{N}])?)*\.?)(?::[0-9]{1,5})?(?:[/?#][^\s<>"`]*)?"#,
        )
        .expect("url pattern compiles")
    })
}

/// Finds URLs in `text` (byte spans).
pub fn detect(text: &str, allow: &AllowHosts) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    if !text.contains("://") {
        return out;
    }
    for m in pattern().find_iter(text) {
        let (host_start, host) = match host_of(m) {
            Some(h) => h,
            // Unreachable by construction; the capture engine is the safe fallback.
            None => match pattern().captures_at(text, m.start()).and_then(|c| c.get(1)) {
                Some(h) => (h.start(), h.as_str()),
                None => continue,
            },
        };
        if !host_ok(host) || allow.allows(host.trim_start_matches('[').trim_end_matches(']')) {
            continue;
        }
        // Trimming never eats into the host (a trailing dot of the host itself is punctuation).
        let host_end = host_start + host.trim_end_matches('.').len();
        let end = (m.start() + trim_url(m.as_str()).len()).max(host_end);
        out.push(m.start()..end);
    }
    out
}

/// The host pattern alone, anchored: the group 1 of `pattern`.
const HOST: &str = r#"(?i)^(?:\[[0-9a-f:.]+\]|[\p{L}\p{N}](?:[\p{L}\p{N}\-]*[\p{L}\p{N}])?(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}\-]*[\p{L}\p{N}])?)*\.?)"#;

/// The host (group 1) of a URL match, without running the capture engine over the whole URL: the host
/// follows the first `://`, and since everything after it in `pattern` is optional, the group is the
/// anchored leftmost-first match of the host pattern there.
fn host_of<'t>(m: regex::Match<'t>) -> Option<(usize, &'t str)> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let re = RE.get_or_init(|| crate::engine::guardrail::text::builtin_regex(HOST).ok()).as_ref()?;
    // The host starts right after the scheme's `://`, and `HOST` is anchored with `^` on that slice.
    let url = m.as_str();
    let at = url.find("://")? + 3;
    let h = re.find(url.get(at..)?)?;
    Some((m.start() + at + h.start(), h.as_str()))
}

fn host_ok(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[') {
        return inner.trim_end_matches(']').parse::<Ipv6Addr>().is_ok();
    }
    let h = host.trim_end_matches('.');
    let labels: Vec<&str> = h.split('.').collect();
    if labels.iter().all(|l| l.chars().all(|c| c.is_ascii_digit())) {
        return labels.len() == 4 && labels.iter().all(|l| l.parse::<u8>().is_ok());
    }
    labels.iter().all(|l| l.chars().count() <= 63)
}

/// Removes trailing sentence punctuation, closing quotes and unbalanced closing brackets.
fn trim_url(u: &str) -> &str {
    let mut u = u;
    loop {
        let Some(last) = u.chars().next_back() else { return u };
        let cut = match last {
            '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '’' | '”' | '»' | '*' => true,
            ')' => u.matches('(').count() < u.matches(')').count(),
            ']' => u.matches('[').count() < u.matches(']').count(),
            '}' => u.matches('{').count() < u.matches('}').count(),
            _ => false,
        };
        if !cut {
            return u;
        }
        u = &u[..u.len() - last.len_utf8()];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(t: &str) -> Vec<&str> {
        detect(t, &AllowHosts::default()).into_iter().map(|r| &t[r]).collect()
    }

    #[test]
    fn flags_urls_with_valid_hosts_and_trims_trailing_punctuation() {
        assert_eq!(urls("see https://example.com/docs."), vec!["https://example.com/docs"]);
        assert_eq!(urls("HTTP://LOCALHOST:8080/health?x=1#f"), vec!["HTTP://LOCALHOST:8080/health?x=1#f"]);
        assert_eq!(urls("(https://example.org/wiki/Foo_(bar))"), vec!["https://example.org/wiki/Foo_(bar)"]);
        assert_eq!(urls("[docs](https://docs.corp.io/a/b)"), vec!["https://docs.corp.io/a/b"]);
        assert_eq!(urls("'http://10.0.0.1/x', next"), vec!["http://10.0.0.1/x"]);
        assert_eq!(urls("http://[::1]:9000/a"), vec!["http://[::1]:9000/a"]);
        assert_eq!(urls("https://bücher.de/straße/ü"), vec!["https://bücher.de/straße/ü"]);
        assert_eq!(urls("{\"u\":\"https://api.x.io/v1\"}"), vec!["https://api.x.io/v1"]);
        assert_eq!(urls("curl -s https://a.io/i.sh | sh"), vec!["https://a.io/i.sh"]);
    }

    #[test]
    fn skips_schemeless_other_schemes_and_placeholders() {
        for t in ["www.example.net", "docs.example.org/intro", "localhost:3000/health", "ftp://a.io/x", "file:///etc/passwd", "ssh://git@h/x", "https://<tenant>.example.net/api", "http:// later", "http://999.1.1.1/"] {
            assert!(urls(t).is_empty(), "{t}");
        }
    }

    proptest::proptest! {
        #[test]
        fn host_of_is_the_capture_group(parts in proptest::collection::vec(proptest::sample::select(vec![
            "http://", "HTTPS://", "https://", "a", "B", "é", "ü", "-", ".", "..", "[", "]", "::1", "f", "10.0.0.1", ":8080",
            "/", "?q=1", "#f", " ", "(", ")", "<", "\"", "x-y", "ſ", "0",
        ]), 0..24)) {
            let t: String = parts.concat();
            for c in pattern().captures_iter(&t) {
                let (Some(m), Some(h)) = (c.get(0), c.get(1)) else { continue };
                proptest::prop_assert_eq!(host_of(m), Some((h.start(), h.as_str())), "{}", t);
            }
        }
    }

    #[test]
    fn allow_hosts_match_exact_and_subdomains_but_not_apex() {
        let allow = AllowHosts::new(&["docs.example.com".into(), "*.example.org".into()]);
        let t = "https://DOCS.example.com/a https://x.example.org/b https://example.org/c https://evil.io/d";
        let got: Vec<&str> = detect(t, &allow).into_iter().map(|r| &t[r]).collect();
        assert_eq!(got, vec!["https://example.org/c", "https://evil.io/d"]);
    }
}
