//! Personal-data matchers of DETECTION §2: email, phone, ssn, credit_card, iban, ip, mac_address.
//!
//! Each matcher runs its pattern only inside trigger windows, then applies the entity's validation and
//! its "does not flag" list. Must not resolve overlaps (that is `pii::resolve_overlaps`).
use std::net::Ipv6Addr;

use regex::Captures;

use crate::engine::guardrail::pii::patterns::Patterns;
use crate::engine::guardrail::pii::scan::Scan;
use crate::engine::guardrail::pii::{Entity, PiiFinding};
use crate::engine::guardrail::text::{captures_in, char_at, char_before, digit_at, find_in, previous_word};

fn push(out: &mut Vec<PiiFinding>, entity: Entity, start: usize, end: usize) {
    out.push(PiiFinding { entity, start, end });
}

fn group<'t>(c: &Captures<'t>, i: usize) -> Option<(usize, usize, &'t str)> {
    c.get(i).map(|m| (m.start(), m.end(), m.as_str()))
}

const EMAIL_RESERVED_TLDS: &[&str] = &["example", "test", "invalid", "localhost"];
const ASSET_EXTS: &[&str] = &["png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp", "avif", "tif", "tiff", "heic"];

/// `email`: `local@domain` with a dotted domain and a letter TLD, minus reserved domains, URI userinfo,
/// scp/ssh destinations and asset names.
pub fn email(p: &Patterns, s: &Scan, out: &mut Vec<PiiFinding>) {
    let t = s.text;
    for w in s.at_windows() {
        // Only the whole match is used: `find_in` skips the capture engine.
        find_in(&p.email, t, w.clone(), |m| {
            let (start, end, value) = (m.start(), m.end(), m.as_str());
            if char_at(t, end).is_some_and(|ch| ch.is_alphanumeric() || ch == '-' || ch == '_') {
                return;
            }
            let Some((local, domain)) = value.rsplit_once('@') else { return };
            let local_start = start + local.len() - local.trim_start_matches(['.', '-', '+']).len();
            if local.trim_start_matches(['.', '-', '+']).is_empty() || email_excluded(t, start, end, domain) {
                return;
            }
            push(out, Entity::Email, local_start, end);
        });
    }
}

fn email_excluded(t: &str, start: usize, end: usize, domain: &str) -> bool {
    let d = if domain.is_ascii() { domain.to_ascii_lowercase() } else { domain.to_lowercase() };
    let tld = d.rsplit('.').next().unwrap_or("");
    // `r` itself or a subdomain of it.
    let under = |r: &str| d.strip_suffix(r).is_some_and(|rest| rest.is_empty() || rest.ends_with('.'));
    if EMAIL_RESERVED_TLDS.contains(&tld) || ["example.com", "example.org", "example.net"].into_iter().any(under) {
        return true;
    }
    // Asset names such as `avatar@2x.jpg`.
    let first = d.split('.').next();
    if ASSET_EXTS.contains(&tld) || first.is_some_and(|l| l.ends_with('x') && l[..l.len() - 1].chars().all(|c| c.is_ascii_digit() || c == '.')) {
        return true;
    }
    // scp-style remotes `git@host:team/app.git`.
    if t.get(end..).is_some_and(|r| r.starts_with(':') && r[1..].chars().next().is_some_and(|c| !c.is_whitespace())) {
        return true;
    }
    // URI userinfo: a `scheme://` earlier in the same token with no `/?#` between it and the `@`.
    let head = t.get(email_head_start(t, start)..start).unwrap_or("");
    let token_start = head.char_indices().rev().find(|(_, c)| c.is_whitespace()).map_or(0, |(i, c)| i + c.len_utf8());
    let token = &head[token_start..];
    if let Some(i) = token.rfind("://") {
        let auth = &token[i + 3..];
        if !auth.contains(['/', '?', '#']) {
            return true;
        }
    }
    // `user@host` as an ssh/scp/sftp/rsync destination.
    let words: Vec<&str> = head.split_whitespace().rev().take(6).collect();
    words.iter().any(|w| matches!(w.trim_start_matches(['`', '$', '(']), "ssh" | "scp" | "sftp" | "rsync" | "mosh"))
}

/// Where the text that `email_excluded` inspects before an address starts: the start of its line, or
/// the whitespace before the sixth word back if that is nearer (only the last token and the last six
/// words of the line matter, and scanning the whole line per address would be quadratic).
fn email_head_start(t: &str, start: usize) -> usize {
    let Some(before) = t.get(..start) else { return start };
    let mut words = 0;
    let mut in_word = false;
    for (i, c) in before.char_indices().rev() {
        if c == '\n' {
            return i + 1;
        }
        if !c.is_whitespace() {
            in_word = true;
        } else if in_word {
            in_word = false;
            words += 1;
            if words == 6 {
                return i;
            }
        }
    }
    0
}

/// `phone`: international `+` numbers, separated NANP numbers and keyword-introduced digit runs.
pub fn phone(p: &Patterns, s: &Scan, out: &mut Vec<PiiFinding>) {
    let t = s.text;
    for w in s.digit_windows_for(8) {
        captures_in(&p.phone_intl, t, w.clone(), |c| {
            let Some((a, b, v)) = group(c, 1) else { return };
            let digits: String = v.chars().filter(char::is_ascii_digit).collect();
            if digit_at(t, b) || !(8..=15).contains(&digits.len()) || !parens_balanced(v) {
                return;
            }
            if let Some(nanp) = digits.strip_prefix('1').filter(|d| d.len() == 10) {
                if !nanp_ok(nanp) {
                    return;
                }
            }
            push(out, Entity::Phone, a, b);
        });
        captures_in(&p.phone_nanp, t, w.clone(), |c| {
            let Some((a, b, v)) = group(c, 1) else { return };
            let digits: String = v.chars().filter(char::is_ascii_digit).collect();
            let ten = if digits.len() == 11 { &digits[1..] } else { digits.as_str() };
            let glued = t.get(b..).is_some_and(|r| {
                let mut it = r.chars();
                match it.next() {
                    Some(c) if c.is_ascii_alphanumeric() => true,
                    Some('-' | '.') => it.next().is_some_and(|c| c.is_ascii_digit()),
                    _ => false,
                }
            });
            if !glued && ten.len() == 10 && nanp_ok(ten) && parens_balanced(v) {
                push(out, Entity::Phone, a, b);
            }
        });
        captures_in(&p.phone_kw, t, w.clone(), |c| {
            let Some((a, b, v)) = group(c, 1) else { return };
            let reserved = |ten: &str| ten.len() == 10 && &ten[3..6] == "555" && &ten[6..8] == "01";
            if !(reserved(v) || (v.len() == 11 && v.starts_with('1') && reserved(&v[1..]))) {
                push(out, Entity::Phone, a, b);
            }
        });
    }
}

fn parens_balanced(v: &str) -> bool {
    v.matches('(').count() == v.matches(')').count()
}

/// A 10-digit NANP number: area code and exchange start 2–9, not the 555-0100…0199 fictional range.
fn nanp_ok(ten: &str) -> bool {
    let b = ten.as_bytes();
    if b.len() != 10 || b[0] < b'2' || b[3] < b'2' {
        return false;
    }
    !(&ten[3..6] == "555" && &ten[6..8] == "01")
}

/// `ssn`: `AAA-GG-SSSS` (one separator twice) with valid parts, or 9 digits after an SSN keyword.
pub fn ssn(p: &Patterns, s: &Scan, out: &mut Vec<PiiFinding>) {
    let t = s.text;
    for w in s.digit_windows_for(9) {
        captures_in(&p.ssn, t, w.clone(), |c| {
            let Some((a, b, v)) = group(c, 1) else { return };
            let seps: Vec<char> = v.chars().filter(|c| !c.is_ascii_digit()).collect();
            let glued = digit_at(t, b) || t.get(b..).is_some_and(|r| r.starts_with('-') && digit_at(t, b + 1));
            if glued || seps.len() != 2 || seps[0] != seps[1] {
                return;
            }
            let digits: String = v.chars().filter(char::is_ascii_digit).collect();
            if ssn_valid(&digits) {
                push(out, Entity::Ssn, a, b);
            }
        });
        captures_in(&p.ssn_kw, t, w.clone(), |c| {
            if let Some((a, b, v)) = group(c, 1) {
                if ssn_valid(v) {
                    push(out, Entity::Ssn, a, b);
                }
            }
        });
    }
}

fn ssn_valid(d: &str) -> bool {
    if d.len() != 9 || d == "123456789" || d == "078051120" {
        return false;
    }
    let area = &d[0..3];
    area != "000" && area != "666" && !area.starts_with('9') && &d[3..5] != "00" && &d[5..9] != "0000"
}

const TEST_CARDS: &[&str] = &[
    "4242424242424242", "4111111111111111", "5555555555554444", "5105105105105100", "4000056655665556",
    "378282246310005", "371449635398431", "6011111111111117", "6011000990139424",
];

/// `credit_card`: a Luhn-valid number of a known network, compact or consistently grouped.
pub fn credit_card(p: &Patterns, s: &Scan, out: &mut Vec<PiiFinding>) {
    let t = s.text;
    for w in s.digit_windows_for(13) {
        captures_in(&p.card, t, w.clone(), |c| {
            let Some((a, b, v)) = group(c, 1) else { return };
            if digit_at(t, b) {
                return;
            }
            let mut seps = v.chars().filter(|c| !c.is_ascii_digit());
            if let Some(first) = seps.next() {
                if seps.any(|c| c != first) {
                    return;
                }
            }
            let digits: String = v.chars().filter(char::is_ascii_digit).collect();
            if card_network_ok(&digits) && luhn(&digits) && !TEST_CARDS.contains(&digits.as_str()) {
                push(out, Entity::CreditCard, a, b);
            }
        });
    }
}

/// Luhn check over a string of ASCII digits (other characters are ignored).
pub fn luhn(digits: &str) -> bool {
    let mut sum = 0u32;
    let mut n = 0;
    for (i, d) in digits.bytes().rev().filter(u8::is_ascii_digit).map(|b| u32::from(b - b'0')).enumerate() {
        sum += if i % 2 == 1 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d };
        n += 1;
    }
    n > 0 && sum % 10 == 0
}

fn card_network_ok(d: &str) -> bool {
    let len = d.len();
    let pre = |n: usize| d.get(..n).and_then(|s| s.parse::<u32>().ok()).unwrap_or(0);
    let visa = d.starts_with('4') && matches!(len, 13 | 16 | 19);
    let mc = len == 16 && ((51..=55).contains(&pre(2)) || (2221..=2720).contains(&pre(4)));
    let amex = len == 15 && matches!(pre(2), 34 | 37);
    let discover = len == 16 && (pre(4) == 6011 || (644..=649).contains(&pre(3)) || pre(2) == 65);
    let jcb = (16..=19).contains(&len) && (3528..=3589).contains(&pre(4));
    let diners = (14..=19).contains(&len) && ((300..=305).contains(&pre(3)) || matches!(pre(2), 36 | 38 | 39));
    let unionpay = (16..=19).contains(&len) && pre(2) == 62;
    visa || mc || amex || discover || jcb || diners || unionpay
}

/// IBAN registry lengths by country code.
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24), ("AE", 23), ("AL", 28), ("AT", 20), ("AZ", 28), ("BA", 20), ("BE", 16), ("BG", 22), ("BH", 22),
    ("BI", 27), ("BR", 29), ("BY", 28), ("CH", 21), ("CR", 22), ("CY", 28), ("CZ", 24), ("DE", 22), ("DJ", 27),
    ("DK", 18), ("DO", 28), ("EE", 20), ("EG", 29), ("ES", 24), ("FI", 18), ("FK", 18), ("FO", 18), ("FR", 27),
    ("GB", 22), ("GE", 22), ("GI", 23), ("GL", 18), ("GR", 27), ("GT", 28), ("HR", 21), ("HU", 28), ("IE", 22),
    ("IL", 23), ("IQ", 23), ("IS", 26), ("IT", 27), ("JO", 30), ("KW", 30), ("KZ", 20), ("LB", 28), ("LC", 32),
    ("LI", 21), ("LT", 20), ("LU", 20), ("LV", 21), ("LY", 25), ("MC", 27), ("MD", 24), ("ME", 22), ("MK", 19),
    ("MN", 20), ("MR", 27), ("MT", 31), ("MU", 30), ("NI", 28), ("NL", 18), ("NO", 15), ("OM", 23), ("PK", 24),
    ("PL", 28), ("PS", 29), ("PT", 25), ("QA", 29), ("RO", 24), ("RS", 22), ("RU", 33), ("SA", 24), ("SC", 31),
    ("SD", 18), ("SE", 24), ("SI", 19), ("SK", 24), ("SM", 27), ("SO", 23), ("ST", 25), ("SV", 28), ("TL", 23),
    ("TN", 24), ("TR", 26), ("UA", 29), ("VA", 22), ("VG", 24), ("XK", 20), ("YE", 30),
];

/// `iban`: registry length for the country and mod-97 = 1; compact or in groups of four.
pub fn iban(p: &Patterns, s: &Scan, out: &mut Vec<PiiFinding>) {
    let t = s.text;
    for w in s.digit_windows() {
        captures_in(&p.iban, t, w.clone(), |c| {
            let Some((a, _, v)) = group(c, 1) else { return };
            let Some(&(_, len)) = IBAN_LENGTHS.iter().find(|(cc, _)| v.starts_with(cc)) else { return };
            // Cut the candidate at exactly the registry length (the pattern may have run into a next word).
            let mut count = 0;
            let mut cut = None;
            for (i, ch) in v.char_indices() {
                if ch != ' ' {
                    count += 1;
                    if count == len {
                        cut = Some(i + 1);
                        break;
                    }
                }
            }
            let Some(cut) = cut else { return };
            let end = a + cut;
            if char_at(t, end).is_some_and(|c| c.is_ascii_alphanumeric()) {
                return;
            }
            let compact: String = v[..cut].chars().filter(|c| *c != ' ').collect();
            if compact != "DE89370400440532013000" && compact != "GB82WEST12345698765432" && mod97(&compact) == 1 {
                push(out, Entity::Iban, a, end);
            }
        });
    }
}

fn mod97(iban: &str) -> u32 {
    let rearranged = iban.chars().skip(4).chain(iban.chars().take(4));
    let mut r = 0u32;
    for ch in rearranged {
        let v = match ch.to_digit(36) {
            Some(v) => v,
            None => return 0,
        };
        r = if v >= 10 { (r * 100 + v) % 97 } else { (r * 10 + v) % 97 };
    }
    r
}

/// `ip`: IPv4 dotted quads and IPv6 addresses, minus reserved ranges, netmasks, versions and OIDs.
pub fn ip(p: &Patterns, s: &Scan, out: &mut Vec<PiiFinding>) {
    let t = s.text;
    for w in s.digit_windows() {
        captures_in(&p.ipv4, t, w.clone(), |c| {
            let Some((a, b, v)) = group(c, 1) else { return };
            let more = t.get(b..).is_some_and(|r| r.starts_with('.') && r[1..].starts_with(|c: char| c.is_ascii_alphanumeric()));
            if more || char_at(t, b).is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                return;
            }
            let o: Vec<u8> = v.split('.').filter_map(|x| x.parse().ok()).collect();
            if o.len() != 4 || ipv4_reserved(&o) {
                return;
            }
            let word = previous_word(t, a);
            if ["version", "v", "release", "build", "section", "chapter", "clause"].contains(&word.as_str()) {
                return;
            }
            push(out, Entity::Ip, a, b);
        });
    }
    // The pattern needs two colons with at most four hex digits between them; most texts have none.
    let v6_windows = if s.ipv6_possible() { s.hex_windows() } else { &[] };
    for w in v6_windows {
        captures_in(&p.ipv6, t, w.clone(), |c| {
            let Some((a, _, v)) = group(c, 1) else { return };
            let trimmed = if v.ends_with("::") { v } else { v.trim_end_matches([':', '.']) };
            let b = a + trimmed.len();
            if char_at(t, b).is_some_and(|c| c.is_alphanumeric() || c == '_') || char_before(t, a).is_some_and(|c| c.is_alphanumeric()) {
                return;
            }
            if let Some(addr) = ipv6_ok(trimmed) {
                if !ipv6_reserved(&addr) {
                    push(out, Entity::Ip, a, b);
                }
            }
        });
    }
}

fn ipv4_reserved(o: &[u8]) -> bool {
    o[0] == 127
        || o[0] == 255
        || o == [0, 0, 0, 0]
        || (o[0] == 192 && o[1] == 0 && o[2] == 2)
        || (o[0] == 198 && o[1] == 51 && o[2] == 100)
        || (o[0] == 203 && o[1] == 0 && o[2] == 113)
}

fn ipv6_ok(v: &str) -> Option<Ipv6Addr> {
    let addr: Ipv6Addr = v.parse().ok()?;
    let has_v4 = v.contains('.');
    let hextets = v.split(':').filter(|h| !h.is_empty() && !h.contains('.')).count();
    (hextets >= 2 || (hextets >= 1 && has_v4)).then_some(addr)
}

fn ipv6_reserved(a: &Ipv6Addr) -> bool {
    let s = a.segments();
    a.is_loopback() || a.is_unspecified() || (s[0] == 0x2001 && s[1] == 0x0db8)
}

/// `mac_address`: EUI-48 in colon, hyphen or dotted form.
pub fn mac(p: &Patterns, s: &Scan, out: &mut Vec<PiiFinding>) {
    let t = s.text;
    let windows = if s.mac_possible() { s.hex_windows() } else { &[] };
    for w in windows {
        captures_in(&p.mac, t, w.clone(), |c| {
            let Some((a, b, _)) = group(c, 1) else { return };
            let glued = t.get(b..).is_some_and(|r| {
                let mut it = r.chars();
                match it.next() {
                    Some(c) if c.is_ascii_alphanumeric() || c == '_' => true,
                    Some(':' | '-' | '.') => it.next().is_some_and(|c| c.is_ascii_hexdigit()),
                    _ => false,
                }
            });
            if !glued {
                push(out, Entity::MacAddress, a, b);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::guardrail::text::line_of;

    proptest::proptest! {
        #[test]
        fn email_head_keeps_the_last_token_and_six_words_of_the_line(parts in proptest::collection::vec(proptest::sample::select(vec![
            "ssh", " ", "  ", "\n", "\r", "\t", "\u{3000}", "x", "é", "scp://", "a/b", "word",
        ]), 0..40)) {
            let t: String = parts.concat();
            let full = &t[line_of(&t, t.len()).start..];
            let head = &t[email_head_start(&t, t.len())..];
            let words = |h: &str| h.split_whitespace().rev().take(6).map(str::to_string).collect::<Vec<_>>();
            let token = |h: &str| h.rsplit(char::is_whitespace).next().map(str::to_string);
            proptest::prop_assert_eq!(words(head), words(full));
            proptest::prop_assert_eq!(token(head), token(full));
        }
    }
}
