//! Compiled patterns of the built-in entities, the trigger literals and keywords, and `CivilDate`.
//!
//! The patterns are constants compiled once into a process-wide `OnceLock` cache: compiling them has no
//! observable side effect, and `detect` must stay a free function. Must not hold user configuration.
//! The per-text trigger searches that use them live in `scan`.
use std::ops::Range;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, MatchKind};
use regex::Regex;


/// A calendar date (proleptic Gregorian), used as "today" by date-checked entities.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CivilDate {
    /// Year, e.g. 2026.
    pub year: u16,
    /// Month 1–12.
    pub month: u8,
    /// Day 1–31.
    pub day: u8,
}

impl CivilDate {
    /// The latest date accepted when the caller does not know today's date.
    pub const LATEST: CivilDate = CivilDate { year: 2099, month: 12, day: 31 };

    /// Builds a date when it exists in the calendar.
    pub fn new(year: u16, month: u8, day: u8) -> Option<CivilDate> {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (day >= 1 && day <= days).then_some(CivilDate { year, month, day })
    }

    /// The date `days` days after 1970-01-01 (for adapters that hold a Unix timestamp).
    pub fn from_days_since_epoch(days: i64) -> CivilDate {
        // Howard Hinnant's civil-from-days algorithm.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)).clamp(0, 9999) as u16;
        CivilDate { year, month, day }
    }
}

/// Unicode space separators accepted inside numbers (DETECTION §1.5).
pub const SP: &str = r"[ \x{00A0}\x{202F}\x{2009}]";

/// All compiled patterns of the built-in entities.
pub struct Patterns {
    pub email: Regex,
    pub phone_intl: Regex,
    pub phone_nanp: Regex,
    pub phone_kw: Regex,
    pub ssn: Regex,
    pub ssn_kw: Regex,
    pub card: Regex,
    pub iban: Regex,
    pub ipv4: Regex,
    pub ipv6: Regex,
    pub mac: Regex,
    pub btc58: Regex,
    pub bech32: Regex,
    pub jp: Regex,
    pub kr: Regex,
    pub cn: Regex,
    pub aws_access: Regex,
    pub aws_secret: Regex,
    pub github: Regex,
    pub slack: Regex,
    pub stripe: Regex,
    pub openai: Regex,
    pub anthropic: Regex,
    pub google: Regex,
    pub jwt: Regex,
    pub pem_begin: Regex,
    pub pw_assign: Regex,
    pub pw_xml: Regex,
    pub pw_flag: Regex,
    pub pw_short: Regex,
    pub pw_prose: Regex,
    pub pw_cjk: Regex,
    pub db_uri: Regex,
    pub ado: Regex,
    /// Keyword triggers of the context-dependent secrets (passwords, AWS secrets).
    pub keywords: Regex,
    /// Digit clusters (≥ 4 digits with gaps of at most 3 characters): the trigger of numeric entities.
    pub numeric: Regex,
    /// Long alphanumeric runs (Base58 bitcoin addresses); the reference for `long_token_starts`.
    pub long_token: Regex,
    /// `KEYWORDS` ASCII-lower-cased, leftmost-first, for a search over the ASCII-lower-cased text.
    pub keywords_folded: Option<AhoCorasick>,
    /// Characters through which `(?i)` matches a keyword beyond ASCII case folding (`ſ`, `K`, the `п`
    /// that starts every Cyrillic spelling): where one occurs, `keywords` itself runs instead.
    pub unicode_folds: Option<AhoCorasick>,
    /// `:` or `-` (IPv6 and MAC separators), a memchr2 search.
    pub hex_seps: Regex,
    /// `bc1` or `BC1`.
    pub bech32_prefix: Regex,
    /// `@` (an AVX2 memchr, faster than `str::match_indices`).
    pub at_sign: Regex,
    /// `LITERALS`, leftmost-first (no two of them can start at the same offset).
    pub literals: Option<AhoCorasick>,
}

/// Keyword triggers; the index is checked by `Scan::keyword_windows`.
pub const KEYWORDS: &[&str] = &[
    "pass", "pwd", "secret", "passwort", "contrase", "senha", "пароль", "Пароль", "ПАРОЛЬ", "密码", "パスワード",
    "-p'", "-p\"", "aws", "akia", "asia",
];
/// Literals whose absence rules a token-shaped secret out (`Scan::contains_literal`); at most 32, and no
/// two of them can match at the same offset (their first two bytes differ), which the search relies on.
pub const LITERALS: &[&str] = &[
    "AKIA", "ASIA", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "xox", "k_live_", "sk-", "AIza", "-----BEGIN ",
    "eyJ", "://",
];
const _: () = assert!(LITERALS.len() < 32, "the literal mask is a u32");

/// Keyword ids (into `KEYWORDS`) that trigger the AWS secret-key detector.
pub const AWS_KEYWORDS: Range<usize> = 13..16;

fn re(p: &str) -> Regex {
    // INVARIANT: these patterns are constants covered by the tests; they cannot fail on user data.
    crate::engine::guardrail::text::builtin_regex(p).expect("built-in pattern compiles")
}

fn build() -> Patterns {
    let sp = SP;
    let sep = r"[ \-\x{00A0}\x{202F}\x{2009}]";
    let oct = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";
    let val = r#"(?:"([^"\r\n]*)"|'([^'\r\n]*)'|`([^`\r\n]*)`|([^\s"'`,;&<>)\]}]+))"#;
    Patterns {
        email: re(r"[\p{L}\p{N}._%+\-]+@(?:[\p{L}\p{N}](?:[\p{L}\p{N}\-]{0,61}[\p{L}\p{N}])?\.)+\p{L}{2,63}"),
        phone_intl: re(r"(?:^|[^0-9A-Za-z+])(\+[0-9](?:[\p{Zs}\-.()]{0,2}[0-9]){7,14})"),
        phone_nanp: re(&format!(
            r"(?:^|[^0-9A-Za-z+\-.])((?:\+1[\p{{Zs}}\-.]?|1[\-\p{{Zs}}])?(?:\([2-9][0-9]{{2}}\)[\p{{Zs}}\-.]?|[2-9][0-9]{{2}}[\p{{Zs}}\-.])[2-9][0-9]{{2}}[\p{{Zs}}\-.][0-9]{{4}})"
        )),
        phone_kw: re(r"(?i)(?:phone|(?-u:\b)tel|(?-u:\b)mobile|(?-u:\b)cell|(?-u:\b)fax|(?-u:\b)whatsapp)[\p{Zs}]*(?:number|no\.?)?[\p{Zs}]*[:=#]?[\p{Zs}]*([0-9]{10,15})(?-u:\b)"),
        ssn: re(&format!(r"(?:^|[^0-9\-])([0-9]{{3}}-[0-9]{{2}}-[0-9]{{4}}|[0-9]{{3}}{sp}[0-9]{{2}}{sp}[0-9]{{4}})")),
        ssn_kw: re(r"(?i)(?:(?-u:\b)ssn|social security (?:number|no\.?))[\p{Zs}]*(?:#|no\.?|number)?[\p{Zs}]*[:=#]?[\p{Zs}]*#?[\p{Zs}]*([0-9]{9})(?-u:\b)"),
        card: re(&format!(
            r"(?:^|[^0-9])([0-9]{{4}}{sep}[0-9]{{4}}{sep}[0-9]{{4}}{sep}[0-9]{{4}}{sep}[0-9]{{3}}|[0-9]{{4}}{sep}[0-9]{{4}}{sep}[0-9]{{4}}{sep}[0-9]{{1,4}}|[0-9]{{4}}{sep}[0-9]{{6}}{sep}[0-9]{{4,5}}|[0-9]{{13,19}})"
        )),
        iban: re(r"(?:^|[^A-Za-z0-9])([A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,8}(?: ?[A-Z0-9]{1,3})?)"),
        ipv4: re(&format!(r"(?:^|[^0-9A-Za-z_.])({oct}(?:\.{oct}){{3}})")),
        ipv6: re(r"(?:^|[^0-9A-Za-z_:.])([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.[0-9]{1,3}){0,3})"),
        mac: re(r"(?:^|[^0-9A-Za-z_:\-.])((?:[0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}|(?:[0-9A-Fa-f]{2}-){5}[0-9A-Fa-f]{2}|(?:[0-9A-Fa-f]{4}\.){2}[0-9A-Fa-f]{4})"),
        btc58: re(r"(?:^|[^0-9A-Za-z])([13][1-9A-HJ-NP-Za-km-z]{25,34})"),
        bech32: re(r"(?:^|[^0-9A-Za-z])(bc1[02-9ac-hj-np-z]{11,71}|BC1[02-9AC-HJ-NP-Z]{11,71})"),
        jp: re(&format!(r"(?:^|[^0-9\-])([0-9]{{4}}-[0-9]{{4}}-[0-9]{{4}}|[0-9]{{4}}{sp}[0-9]{{4}}{sp}[0-9]{{4}}|[0-9]{{12}})")),
        kr: re(r"(?:^|[^0-9\-])([0-9]{6}-?[1-8][0-9]{6})"),
        cn: re(r"(?:^|[^0-9A-Za-z])([0-9]{17}[0-9Xx])"),
        aws_access: re(r"(?-u:\b)((?:AKIA|ASIA)[A-Z2-7]{16})(?-u:\b)"),
        aws_secret: re(r"(?:^|[^A-Za-z0-9/+])([A-Za-z0-9/+]{40})"),
        github: re(r"(?-u:\b)(gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})(?-u:\b)"),
        slack: re(r"(?-u:\b)(xox[bpa]-(?:[0-9]+-)+[A-Za-z0-9]{24,})(?-u:\b)"),
        stripe: re(r"(?-u:\b)([sr]k_live_[A-Za-z0-9]{24,})(?-u:\b)"),
        openai: re(r"(?-u:\b)(sk-(?:proj-|svcacct-|admin-)?([A-Za-z0-9_\-]{32,}))"),
        anthropic: re(r"(?-u:\b)(sk-ant-(?:api|admin)[0-9]{2}-([A-Za-z0-9_\-]{80,}))"),
        google: re(r"(?-u:\b)(AIza[A-Za-z0-9_\-]{35})"),
        jwt: re(r"(?-u:\b)(eyJ[A-Za-z0-9_\-]+\.eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)"),
        pem_begin: re(r"-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY|PGP PRIVATE KEY BLOCK)-----"),
        pw_assign: re(&format!(r#"(?i)([\p{{L}}\p{{N}}_.\-]+|mot de passe)["']?[\p{{Zs}}]*(?::=|=>|[:=：])[\p{{Zs}}]*{val}"#)),
        pw_xml: re(r"<([\p{L}\p{N}_.\-:]+)>([^<\r\n]+)</([\p{L}\p{N}_.\-:]+)>"),
        pw_flag: re(r#"(?i)(?:^|\s)(--[a-z0-9_\-]*(?:password|passwd|passphrase|pwd|pass|secret))[\p{Zs}]+(?:"([^"\r\n]*)"|'([^'\r\n]*)'|([^\s"'\-][^\s"']*))"#),
        pw_short: re(r#"(?:^|\s)-p(?:'([^'\r\n]+)'|"([^"\r\n]+)")"#),
        pw_prose: re(r#"(?i)(?-u:\b)(password|passwd|passphrase|passwort|contraseña|contrasena|mot de passe|senha|пароль)[\p{Zs}]+(?:is|was|ist|es|est|é|:)[\p{Zs}]+(?:"([^"\r\n]*)"|'([^'\r\n]*)'|([^\s"']+))"#),
        pw_cjk: re(r#"(密码|パスワード)[\p{Zs}]*(?:是|は|为|為|：|:)[\p{Zs}]*([^\s"'，。、]+)"#),
        db_uri: re(r#"(?i)(?-u:\b)(?:jdbc:)?(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver)(?:\+[a-z0-9_]+)?://[^\s"'<>`]+"#),
        ado: re(r#"(?i)(?-u:\b)(?:server|data source|host|address|addr|network address|driver|provider|dsn|database|initial catalog|user id|uid|user|username|password|pwd|port)[\p{Zs}]*=[^;\r\n"']*(?:;[\p{Zs}]*[A-Za-z][A-Za-z0-9_]*(?: [A-Za-z][A-Za-z0-9_]*)?[\p{Zs}]*=[^;\r\n"']*)+;?"#),
        keywords: re(&format!("(?i){}", KEYWORDS.iter().map(|k| regex::escape(k)).collect::<Vec<_>>().join("|"))),
        numeric: re(r"[0-9](?:[^0-9\n]{0,3}[0-9]){3,}"),
        long_token: re(r"[A-Za-z0-9]{25,}"),
        keywords_folded: AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(KEYWORDS.iter().map(|k| k.to_ascii_lowercase()))
            .ok(),
        // `ſ` (folds to `s`), `K` (Kelvin sign, folds to `k`), and `п`/`П`, with which every Cyrillic
        // keyword in any case mix starts (`(?i)` also folds `о` with U+1C82, so spellings are open-ended).
        unicode_folds: AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(["\u{017F}", "\u{212A}", "\u{043F}", "\u{041F}"])
            .ok(),
        hex_seps: re(r"[:\-]"),
        bech32_prefix: re("bc1|BC1"),
        at_sign: re("@"),
        literals: AhoCorasick::builder().match_kind(MatchKind::LeftmostFirst).build(LITERALS).ok(),
    }
}

/// The process-wide compiled patterns.
pub fn get() -> &'static Patterns {
    static PATTERNS: OnceLock<Patterns> = OnceLock::new();
    PATTERNS.get_or_init(build)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_pattern_compiles() {
        let p = get();
        assert!(p.card.is_match(" 4111 1111 1111 1111"));
    }

    #[test]
    fn civil_dates_validate_and_convert() {
        assert!(CivilDate::new(2024, 2, 29).is_some());
        assert!(CivilDate::new(2023, 2, 29).is_none());
        assert_eq!(CivilDate::from_days_since_epoch(0), CivilDate { year: 1970, month: 1, day: 1 });
        assert_eq!(CivilDate::from_days_since_epoch(20_415), CivilDate { year: 2025, month: 11, day: 23 });
    }
}
