//! Checksummed identifiers of DETECTION §2: bitcoin_address, jp_mynumber, kr_rrn, cn_resident_id.
//!
//! Each matcher validates the checksum or embedded date the entity defines. Must not resolve overlaps.
use sha2::{Digest, Sha256};

use crate::engine::guardrail::pii::patterns::{CivilDate, Patterns};
use crate::engine::guardrail::pii::scan::Scan;
use crate::engine::guardrail::pii::{Entity, PiiFinding};
use crate::engine::guardrail::text::{captures_in, char_at, digit_at};

/// Runs `p` in the digit windows that can hold `min_digits` digits.
fn each(p: &regex::Regex, s: &Scan, min_digits: usize, f: impl FnMut(usize, usize, &str)) {
    each_in(p, s, s.digit_windows_for(min_digits), f);
}

fn each_in<'w>(p: &regex::Regex, s: &Scan, windows: impl IntoIterator<Item = &'w std::ops::Range<usize>>, mut f: impl FnMut(usize, usize, &str)) {
    for w in windows {
        captures_in(p, s.text, w.clone(), |c| {
            if let Some(m) = c.get(1) {
                f(m.start(), m.end(), m.as_str());
            }
        });
    }
}

fn alnum_at(t: &str, i: usize) -> bool {
    char_at(t, i).is_some_and(|c| c.is_ascii_alphanumeric())
}

/// `bitcoin_address`: Base58Check (version 0x00/0x05) or bech32/bech32m with hrp `bc`.
pub fn bitcoin(p: &Patterns, s: &Scan, out: &mut Vec<PiiFinding>) {
    let t = s.text;
    let windows = s.token_windows();
    each_in(&p.btc58, s, &windows, |a, b, v| {
        if !alnum_at(t, b) && base58check_ok(v) {
            out.push(PiiFinding { entity: Entity::BitcoinAddress, start: a, end: b });
        }
    });
    each_in(&p.bech32, s, &windows, |a, b, v| {
        if !alnum_at(t, b) && bech32_ok(&v.to_ascii_lowercase()) {
            out.push(PiiFinding { entity: Entity::BitcoinAddress, start: a, end: b });
        }
    });
}

const B58: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

fn base58check_ok(v: &str) -> bool {
    let mut bytes: Vec<u8> = Vec::with_capacity(25);
    for ch in v.bytes() {
        let Some(mut carry) = B58.iter().position(|&c| c == ch).map(|d| d as u32) else { return false };
        for b in bytes.iter_mut().rev() {
            carry += u32::from(*b) * 58;
            *b = (carry & 0xff) as u8;
            carry >>= 8;
        }
        while carry > 0 {
            bytes.insert(0, (carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    let zeros = v.bytes().take_while(|&c| c == b'1').count();
    let mut full = vec![0u8; zeros];
    full.extend(bytes);
    if full.len() != 25 || !(full[0] == 0x00 || full[0] == 0x05) {
        return false;
    }
    let hash = Sha256::digest(Sha256::digest(&full[..21]));
    hash[..4] == full[21..]
}

const BECH32_CHARSET: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

fn bech32_ok(v: &str) -> bool {
    let Some(data) = v.strip_prefix("bc1") else { return false };
    let mut values: Vec<u8> = vec![3, 3, 0, 2, 3]; // hrp_expand("bc")
    for ch in data.bytes() {
        let Some(d) = BECH32_CHARSET.iter().position(|&c| c == ch) else { return false };
        values.push(d as u8);
    }
    let mut chk: u32 = 1;
    for v in values {
        let top = chk >> 25;
        chk = ((chk & 0x1ff_ffff) << 5) ^ u32::from(v);
        for (i, g) in [0x3b6a_57b2u32, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3].iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk == 1 || chk == 0x2bc8_30a3
}

/// `jp_mynumber`: 12 digits (compact or 4-4-4) with a valid check digit.
pub fn jp_mynumber(p: &Patterns, s: &Scan, out: &mut Vec<PiiFinding>) {
    let t = s.text;
    each(&p.jp, s, 12, |a, b, v| {
        let seps: Vec<char> = v.chars().filter(|c| !c.is_ascii_digit()).collect();
        if digit_at(t, b) || (seps.len() == 2 && seps[0] != seps[1]) {
            return;
        }
        let d: Vec<u32> = v.chars().filter_map(|c| c.to_digit(10)).collect();
        if d.len() == 12 && mynumber_check(&d) {
            out.push(PiiFinding { entity: Entity::JpMynumber, start: a, end: b });
        }
    });
}

fn mynumber_check(d: &[u32]) -> bool {
    let mut r = 0;
    for n in 1..=11u32 {
        let digit = d[11 - n as usize];
        let weight = if n <= 6 { n + 1 } else { n - 5 };
        r += digit * weight;
    }
    let r = r % 11;
    let check = if r <= 1 { 0 } else { 11 - r };
    check == d[11]
}

/// `kr_rrn`: `YYMMDD` date, optional `-`, seven digits whose first is 1–8.
pub fn kr_rrn(p: &Patterns, s: &Scan, out: &mut Vec<PiiFinding>) {
    let t = s.text;
    each(&p.kr, s, 13, |a, b, v| {
        if digit_at(t, b) {
            return;
        }
        let d: Vec<u32> = v.chars().filter_map(|c| c.to_digit(10)).collect();
        let century = match d[6] {
            1 | 2 | 5 | 6 => 1900,
            3 | 4 | 7 | 8 => 2000,
            _ => return,
        };
        let year = century + d[0] * 10 + d[1];
        if CivilDate::new(year as u16, (d[2] * 10 + d[3]) as u8, (d[4] * 10 + d[5]) as u8).is_some() {
            out.push(PiiFinding { entity: Entity::KrRrn, start: a, end: b });
        }
    });
}

/// `cn_resident_id`: 17 digits and a check character, a birth date 1900-01-01..today, ISO 7064 MOD 11-2.
pub fn cn_resident_id(p: &Patterns, s: &Scan, out: &mut Vec<PiiFinding>) {
    let t = s.text;
    each(&p.cn, s, 17, |a, b, v| {
        if alnum_at(t, b) {
            return;
        }
        let d: Vec<u32> = v.chars().take(17).filter_map(|c| c.to_digit(10)).collect();
        if d.len() != 17 {
            return;
        }
        let num = |r: std::ops::Range<usize>| d[r].iter().fold(0u32, |acc, x| acc * 10 + x);
        let Some(date) = CivilDate::new(num(6..10) as u16, num(10..12) as u8, num(12..14) as u8) else { return };
        if date.year < 1900 || date > s.today {
            return;
        }
        const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        let sum: u32 = d.iter().zip(W).map(|(x, w)| x * w).sum();
        let expected = b"10X98765432"[(sum % 11) as usize] as char;
        if v.chars().last().map(|c| c.to_ascii_uppercase()) == Some(expected) {
            out.push(PiiFinding { entity: Entity::CnResidentId, start: a, end: b });
        }
    });
}
