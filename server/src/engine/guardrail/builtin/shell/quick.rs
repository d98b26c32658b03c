//! The cheap trigger check of `shell_injection`: the shell normalization without offset maps, and one
//! search for the trigger words every rule needs. Most texts stop here.
//!
//! Must agree byte for byte with the straightforward normalization loop (`quick_normalize_reference`,
//! property-tested); it only decides whether the full detector runs. Panic-free on any input.
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, MatchKind};

use crate::engine::guardrail::text::ZERO_WIDTH;

/// Words one of which every rule of the closed list needs, after normalization.
pub const TRIGGERS: &[&str] = &["rm ", "curl", "wget", "sudo", "chmod", "chown", "mkfs", "dd ", "base64", "nopasswd", "sudoers", "()", "( )"];

/// The normalized text without the offset maps (for the trigger check), as bytes (always UTF-8: only
/// whole ASCII or zero-width characters are removed). Byte for byte the output of
/// `quick_normalize_reference`; runs of 16 plain bytes (ASCII, no quote, backslash, `$`, special
/// whitespace or double space), the bulk of prose, are copied and lower-cased in one go.
fn quick_normalize(src: &str) -> Vec<u8> {
    const CHUNK: usize = 16;
    let b = src.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        // A run of plain chunks is copied at once; inside it the previous output byte is the input's.
        let mut j = i;
        while let Some(chunk) = b.get(j..j + CHUNK) {
            let after_space = if j == i { out.last() == Some(&b' ') } else { b.get(j - 1) == Some(&b' ') };
            if !plain_chunk(chunk, after_space) {
                break;
            }
            j += CHUNK;
        }
        if let Some(run) = b.get(i..j).filter(|r| !r.is_empty()) {
            let from = out.len();
            out.extend_from_slice(run);
            if let Some(new) = out.get_mut(from..) {
                new.make_ascii_lowercase();
            }
            i = j;
        }
        // The chunk that is not plain (or the tail) goes byte by byte.
        let stop = (i + CHUNK).min(b.len());
        while i < stop {
            i = quick_step(src, i, &mut out);
        }
    }
    out
}

/// Whether the quick normalization of `chunk` is just its lower-cased copy.
fn plain_chunk(chunk: &[u8], after_space: bool) -> bool {
    let Ok(c) = <&[u8; 16]>::try_from(chunk) else { return false };
    // Branch-free folds over a fixed-size array, which the compiler vectorizes.
    let mut special = 0u8;
    for &x in c {
        special |= u8::from(x >= 0x80)
            | u8::from(x == b'\'')
            | u8::from(x == b'"')
            | u8::from(x == b'\\')
            | u8::from(x == b'$')
            | u8::from(x == b'\t')
            | u8::from(x == b'\r')
            | u8::from(x == 0x0B)
            | u8::from(x == 0x0C);
    }
    let mut double_space = 0u8;
    for k in 0..15 {
        double_space |= u8::from(c[k] == b' ') & u8::from(c[k + 1] == b' ');
    }
    special == 0 && double_space == 0 && !(after_space && c[0] == b' ')
}

/// One step of the quick normalization at byte `i`; returns the next byte offset.
fn quick_step(src: &str, i: usize, out: &mut Vec<u8>) -> usize {
    let b = src.as_bytes();
    let Some(&c) = b.get(i) else { return i + 1 };
    match c {
        b'\'' | b'"' | b'\\' => i + 1,
        b'$' if b[i..].starts_with(b"${IFS}") || b[i..].starts_with(b"$IFS") => {
            if out.last() != Some(&b' ') {
                out.push(b' ');
            }
            i + if b.get(i + 1) == Some(&b'{') { 6 } else { 4 }
        }
        b' ' | b'\t' | b'\r' | 0x0B | 0x0C => {
            if out.last() != Some(&b' ') {
                out.push(b' ');
            }
            i + 1
        }
        0xE2 | 0xEF if src.get(i..).and_then(|r| r.chars().next()).is_some_and(|ch| ZERO_WIDTH.contains(&ch)) => i + 3,
        _ => {
            out.push(c.to_ascii_lowercase());
            i + 1
        }
    }
}

/// Whether the quick normalization contains a trigger word (two literal searches).
pub fn quick_has_trigger(text: &str) -> bool {
    static AC: OnceLock<Option<(AhoCorasick, AhoCorasick)>> = OnceLock::new();
    let quick = quick_normalize(text);
    // Leftmost-first (not the default standard semantics) enables the vectorized prefilter, and a match
    // of any kind exists exactly when some trigger occurs. `()` is searched on its own so that the
    // other triggers get three-byte fingerprints (far fewer false candidates in prose).
    let build = || {
        let (short, long): (Vec<&str>, Vec<&str>) = TRIGGERS.iter().partition(|t| t.len() < 3);
        let ac = |pats: Vec<&str>| AhoCorasick::builder().match_kind(MatchKind::LeftmostFirst).build(pats).ok();
        Some((ac(long)?, ac(short)?))
    };
    match AC.get_or_init(build) {
        Some((long, short)) => long.is_match(&quick) || short.is_match(&quick),
        None => TRIGGERS.iter().any(|k| quick.windows(k.len()).any(|w| w == k.as_bytes())),
    }
}

/// The straightforward quick normalization (the reference of `quick_normalize`).
#[cfg(test)]
fn quick_normalize_reference(src: &str) -> String {
    let b = src.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\'' | b'"' | b'\\' => i += 1,
            b'$' if b[i..].starts_with(b"${IFS}") || b[i..].starts_with(b"$IFS") => {
                if out.last() != Some(&b' ') {
                    out.push(b' ');
                }
                i += if b[i + 1] == b'{' { 6 } else { 4 };
            }
            b' ' | b'\t' | b'\r' | 0x0B | 0x0C => {
                if out.last() != Some(&b' ') {
                    out.push(b' ');
                }
                i += 1;
            }
            0xE2 | 0xEF if src.get(i..).and_then(|r| r.chars().next()).is_some_and(|ch| ZERO_WIDTH.contains(&ch)) => i += 3,
            _ => {
                out.push(c.to_ascii_lowercase());
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_normalization_chunks_agree_with_the_byte_loop() {
        let long = "A  b\t\tc'D\"e\\f ${IFS}g$IFS h\u{200B}i\r\n  Rm -RF / x";
        for t in [long.repeat(3), "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ  KLMNOP".to_string(), "é".repeat(20), String::new()] {
            assert_eq!(String::from_utf8(quick_normalize(&t)).ok(), Some(quick_normalize_reference(&t)), "{t:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn quick_normalization_is_the_reference(parts in proptest::collection::vec(proptest::sample::select(vec![
            " ", "  ", "\t", "\r\n", "\n", "'", "\"", "\\", "\\\n", "$IFS", "${IFS}", "$", "\u{200B}", "\u{FEFF}", "é", "’",
            "Rm", "rm ", "CURL", "wget", "sudo", "dd", "()", "( )", "the committee met", "0123456789abcdef", "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        ]), 0..40)) {
            let t: String = parts.concat();
            let reference = quick_normalize_reference(&t);
            proptest::prop_assert_eq!(String::from_utf8(quick_normalize(&t)).ok(), Some(reference.clone()));
            proptest::prop_assert_eq!(quick_has_trigger(&t), TRIGGERS.iter().any(|k| reference.contains(k)));
        }
    }
}
