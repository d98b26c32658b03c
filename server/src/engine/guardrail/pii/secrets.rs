//! Token-shaped secrets of DETECTION §3: AWS keys, GitHub, Slack, Stripe, OpenAI, Anthropic, Google,
//! private-key blocks and JWTs.
//!
//! The fixed-prefix patterns scan the whole text, and only when one shared literal search
//! (`Scan::contains_literal`) saw their prefix; `aws_secret_key` needs context and scans keyword
//! windows. Must not resolve overlaps.
use crate::engine::guardrail::pii::patterns::Patterns;
use crate::engine::guardrail::pii::scan::Scan;
use crate::engine::guardrail::pii::{Entity, PiiFinding};
use crate::engine::guardrail::text::{captures_in, char_at, is_placeholder, line_of};

/// Fixed-prefix tokens: aws_access_key, github_token, slack_token, stripe_key, api_key_openai,
/// anthropic_key, google_api_key.
pub fn token(p: &Patterns, s: &Scan, entity: Entity, out: &mut Vec<PiiFinding>) {
    let t = s.text;
    let (re, prefix_of_body): (&regex::Regex, fn(&str) -> &str) = match entity {
        Entity::AwsAccessKey => (&p.aws_access, |v| &v[4..]),
        Entity::GithubToken => (&p.github, |v| v.split_once('_').map_or(v, |x| x.1)),
        Entity::SlackToken => (&p.slack, |v| v.rsplit('-').next().unwrap_or(v)),
        Entity::StripeKey => (&p.stripe, |v| v.get(8..).unwrap_or(v)),
        Entity::ApiKeyOpenai => (&p.openai, |v| v),
        Entity::AnthropicKey => (&p.anthropic, |v| v),
        Entity::GoogleApiKey => (&p.google, |v| &v[4..]),
        _ => return,
    };
    // Cheap literal test first: most texts contain none of the prefixes.
    let literal = match entity {
        Entity::AwsAccessKey => s.contains_literal("AKIA") || s.contains_literal("ASIA"),
        Entity::GithubToken => ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"].iter().any(|l| s.contains_literal(l)),
        Entity::SlackToken => s.contains_literal("xox"),
        Entity::StripeKey => s.contains_literal("k_live_"),
        Entity::ApiKeyOpenai | Entity::AnthropicKey => s.contains_literal("sk-"),
        _ => s.contains_literal("AIza"),
    };
    if !literal {
        return;
    }
    captures_in(re, t, s.whole(), |c| {
        let Some(m) = c.get(1) else { return };
        let v = m.as_str();
        let body = c.get(2).map_or_else(|| prefix_of_body(v), |b| b.as_str());
        let bad = match entity {
            Entity::AwsAccessKey => v == "AKIAIOSFODNN7EXAMPLE",
            Entity::ApiKeyOpenai => v.starts_with("sk-ant-"),
            Entity::GoogleApiKey => char_at(t, m.end()).is_some_and(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-'),
            _ => false,
        };
        if !bad && !is_placeholder(body) && !placeholder_words_inside(body) {
            out.push(PiiFinding { entity, start: m.start(), end: m.end() });
        }
    });
}

/// Bodies such as `your-api-key-here-…` or `xxxx…xxxx` with separators.
fn placeholder_words_inside(body: &str) -> bool {
    let lower = body.to_ascii_lowercase();
    ["your_api_key", "your-api-key", "your-key-here", "your_key_here", "placeholder", "redacted", "example_key"]
        .iter()
        .any(|w| lower.contains(w))
        || body.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<std::collections::BTreeSet<_>>().len() <= 2
}

const AWS_SECRET_NAMES: &[&str] =
    &["secret_access_key", "secretaccesskey", "secret access key", "secret-access-key", "aws_secret", "aws secret", "awssecret"];

/// `aws_secret_key`: 40 characters of `[A-Za-z0-9/+]` labelled by an AWS secret name or in the record of
/// an access key id.
pub fn aws_secret_key(p: &Patterns, s: &Scan, out: &mut Vec<PiiFinding>) {
    let t = s.text;
    for w in s.aws_windows() {
        captures_in(&p.aws_secret, t, w.clone(), |c| {
            let Some(m) = c.get(1) else { return };
            let v = m.as_str();
            if char_at(t, m.end()).is_some_and(|ch| ch.is_ascii_alphanumeric() || ch == '/' || ch == '+' || ch == '=') {
                return;
            }
            if v == "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" || v.chars().all(|c| c.is_ascii_hexdigit()) || is_placeholder(v) {
                return;
            }
            if aws_context(p, t, m.start(), m.end()) {
                out.push(PiiFinding { entity: Entity::AwsSecretKey, start: m.start(), end: m.end() });
            }
        });
    }
}

fn aws_context(p: &Patterns, t: &str, start: usize, end: usize) -> bool {
    let line = line_of(t, start);
    let head = t.get(line.start..start).unwrap_or("").to_lowercase();
    if AWS_SECRET_NAMES.iter().any(|n| head.contains(n)) {
        return true;
    }
    // `secret_key` inside a `provider "aws"` block.
    if (head.contains("secret_key") || head.contains("secretkey")) && t.get(..start).is_some_and(|h| h.contains("provider \"aws\"")) {
        return true;
    }
    // The same credential record as an access key id: nearby AKIA/ASIA id.
    let lo = floor(t, start.saturating_sub(300));
    let hi = ceil(t, (end + 300).min(t.len()));
    t.get(lo..hi).is_some_and(|near| p.aws_access.is_match(near))
}

fn floor(t: &str, mut i: usize) -> usize {
    while i > 0 && !t.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil(t: &str, mut i: usize) -> usize {
    while i < t.len() && !t.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// `private_key`: a private-key BEGIN line, ≥ 40 characters of key material, and the matching END line.
pub fn private_key(p: &Patterns, s: &Scan, out: &mut Vec<PiiFinding>) {
    let t = s.text;
    if !s.contains_literal("-----BEGIN ") {
        return;
    }
    captures_in(&p.pem_begin, t, s.whole(), |c| {
        let (Some(all), Some(kind)) = (c.get(0), c.get(1)) else { return };
        let end_marker = format!("-----END {}-----", kind.as_str());
        let Some(rest) = t.get(all.end()..) else { return };
        // The key block is bounded; 64 KiB of body is far beyond any real key.
        let Some(rel) = rest.find(&end_marker).filter(|r| *r <= 64 * 1024) else { return };
        let body = &rest[..rel];
        if body.contains("...") || body.contains('…') || body.contains("-----BEGIN ") {
            return;
        }
        let material = body.replace("\\n", " ").replace("\\r", " ");
        let b64 = material.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')).count();
        if b64 >= 40 && !is_placeholder(body.trim()) {
            out.push(PiiFinding { entity: Entity::PrivateKey, start: all.start(), end: all.end() + rel + end_marker.len() });
        }
    });
}

/// `jwt`: three base64url segments, the first two starting `eyJ`, the header a JSON object with `alg`.
pub fn jwt(p: &Patterns, s: &Scan, out: &mut Vec<PiiFinding>) {
    let t = s.text;
    if !s.contains_literal("eyJ") {
        return;
    }
    captures_in(&p.jwt, t, s.whole(), |c| {
        let Some(m) = c.get(1) else { return };
        let header = m.as_str().split('.').next().unwrap_or("");
        let Some(bytes) = base64url_decode(header) else { return };
        let Ok(serde_json::Value::Object(obj)) = serde_json::from_slice::<serde_json::Value>(&bytes) else { return };
        if obj.contains_key("alg") {
            out.push(PiiFinding { entity: Entity::Jwt, start: m.start(), end: m.end() });
        }
    });
}

/// Decodes unpadded base64url (standard alphabet accepted too); `None` on any invalid character.
pub fn base64url_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for ch in s.bytes() {
        let v = match ch {
            b'A'..=b'Z' => ch - b'A',
            b'a'..=b'z' => ch - b'a' + 26,
            b'0'..=b'9' => ch - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}
