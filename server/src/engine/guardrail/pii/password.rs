//! Assignment-shaped secrets of DETECTION §3: `generic_password` and `db_connection_string`.
//!
//! A password is a literal assigned to a *password key* in any syntax; a connection string is a
//! database/cache/broker URI or ADO.NET/ODBC string that carries a literal password. Must not decide
//! overlaps with specific secrets (that is `pii::resolve_overlaps`).
use regex::Captures;

use crate::engine::guardrail::pii::patterns::Patterns;
use crate::engine::guardrail::pii::scan::Scan;
use crate::engine::guardrail::pii::{Entity, PiiFinding};
use crate::engine::guardrail::text::{captures_in, is_placeholder, line_of};

const TRANSLATIONS: &[&str] = &["passwort", "kennwort", "contraseña", "contrasena", "mot de passe", "senha", "пароль", "密码", "パスワード"];

/// Splits a key into lower-cased words at `_ - .`, spaces and lower-to-upper case changes.
fn key_words(key: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for ch in key.chars() {
        if matches!(ch, '_' | '-' | '.' | ' ' | ':') {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if ch.is_uppercase() && prev_lower && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        prev_lower = ch.is_lowercase() || ch.is_ascii_digit();
        cur.extend(ch.to_lowercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// Whether `key` is a password key (DETECTION §3 `generic_password`).
pub fn is_password_key(key: &str) -> bool {
    let lower = key.to_lowercase();
    let lower = lower.trim_matches(|c: char| c == '-' || c == '"' || c == '\'');
    if TRANSLATIONS.contains(&lower) {
        return true;
    }
    let words = key_words(key);
    let Some(last) = words.last() else { return false };
    if ["password", "passwd", "pwd", "pass", "passphrase", "secret"].contains(&last.as_str()) {
        return true;
    }
    if words.len() >= 2 && words[words.len() - 2] == "secret" && last == "key" {
        return true;
    }
    ["password", "passwd", "passphrase"].iter().any(|s| lower.ends_with(s))
}

const TYPE_NAMES: &[&str] = &["string", "str", "bool", "boolean", "number", "bytes", "secretstr", "optional", "required"];

/// Whether an assigned value is a literal worth reporting: ≥ 6 characters, not a placeholder, not a
/// reference (variable, attribute access, call, type annotation).
fn literal_ok(v: &str, quoted: bool) -> bool {
    if v.chars().count() < 6 || is_placeholder(v) {
        return false;
    }
    let lower = v.to_lowercase();
    if lower.starts_with("env[") || lower.starts_with("env.") || lower.starts_with("secrets.") {
        return false;
    }
    if !quoted {
        if TYPE_NAMES.contains(&lower.as_str()) || v.contains('(') || v.starts_with(['$', '%', '{', '[', '*', '•']) {
            return false;
        }
        // `config.password`, `settings.db.pass`: attribute access, not a literal.
        let ident = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !s.starts_with(|c: char| c.is_ascii_digit());
        if v.contains('.') && v.split('.').all(ident) && v.split('.').count() >= 2 {
            return false;
        }
    }
    true
}

fn value_group<'t>(c: &Captures<'t>, groups: &[usize]) -> Option<(regex::Match<'t>, bool)> {
    groups.iter().enumerate().find_map(|(k, &g)| c.get(g).map(|m| (m, k + 1 < groups.len())))
}

/// `generic_password`: a literal assigned to a password key in any syntax.
pub fn generic_password(p: &Patterns, s: &Scan, out: &mut Vec<PiiFinding>) {
    let t = s.text;
    let mut push = |m: regex::Match, quoted: bool| {
        let v = m.as_str();
        let trimmed = if quoted { v } else { v.trim_end_matches(['.', ',', ';', ':', '!', '?', ')']) };
        if literal_ok(trimmed, quoted) {
            out.push(PiiFinding { entity: Entity::GenericPassword, start: m.start(), end: m.start() + trimmed.len() });
        }
    };
    for w in s.password_windows() {
        // Patterns with a literal run only in windows that hold it (a match lies inside its window).
        let has = |lit: &str| s.is_reference() || t.get(w.clone()).is_none_or(|x| x.contains(lit));
        captures_in(&p.pw_assign, t, w.clone(), |c| {
            let Some(key) = c.get(1) else { return };
            if is_password_key(key.as_str()) && !html_attribute(t, key.start()) {
                if let Some((m, q)) = value_group(c, &[2, 3, 4, 5]) {
                    if !m.as_str().starts_with([')', ']', '}', ',']) {
                        push(m, q);
                    }
                }
            }
        });
        if has("</") {
            captures_in(&p.pw_xml, t, w.clone(), |c| {
                let (Some(open), Some(v), Some(close)) = (c.get(1), c.get(2), c.get(3)) else { return };
                if open.as_str() == close.as_str() && is_password_key(open.as_str()) {
                    push(v, true);
                }
            });
        }
        if has("--") {
            captures_in(&p.pw_flag, t, w.clone(), |c| {
                if let Some((m, q)) = value_group(c, &[2, 3, 4]) {
                    push(m, q);
                }
            });
        }
        if has("-p'") || has("-p\"") {
            captures_in(&p.pw_short, t, w.clone(), |c| {
                if let Some((m, _)) = value_group(c, &[1, 2]) {
                    push(m, true);
                }
            });
        }
        captures_in(&p.pw_prose, t, w.clone(), |c| {
            if let Some((m, q)) = value_group(c, &[2, 3, 4]) {
                // Prose values must look like a secret (a digit or symbol), not an ordinary word.
                if q || m.as_str().chars().any(|ch| !ch.is_alphabetic()) {
                    push(m, q);
                }
            }
        });
        if has("密码") || has("パスワード") {
            captures_in(&p.pw_cjk, t, w.clone(), |c| {
                if let Some(m) = c.get(2) {
                    push(m, false);
                }
            });
        }
    }
}

/// `type="password"` / `name="password"` in an HTML tag is a form attribute, not an assignment.
fn html_attribute(t: &str, key_start: usize) -> bool {
    let line = line_of(t, key_start);
    let head = t.get(line.start..key_start).unwrap_or("");
    head.rfind('<').is_some_and(|lt| !head[lt..].contains('>')) && head.to_ascii_lowercase().contains("<input")
}

/// `db_connection_string`: database URIs with a literal password and ADO.NET/ODBC strings with one.
pub fn db_connection_string(p: &Patterns, s: &Scan, out: &mut Vec<PiiFinding>) {
    let t = s.text;
    if s.contains_literal("://") {
        captures_in(&p.db_uri, t, s.whole(), |c| {
            let Some(m) = c.get(0) else { return };
            let uri = trim_uri(m.as_str());
            if uri_has_password(uri) {
                out.push(PiiFinding { entity: Entity::DbConnectionString, start: m.start(), end: m.start() + uri.len() });
            }
        });
    }
    for w in s.password_windows() {
        captures_in(&p.ado, t, w.clone(), |c| {
            let Some(m) = c.get(0) else { return };
            let has = m.as_str().split(';').any(|pair| {
                pair.split_once('=').is_some_and(|(k, v)| {
                    let k = k.trim().to_ascii_lowercase();
                    (k == "password" || k == "pwd") && !is_placeholder(v.trim().trim_matches(['{', '}']))
                })
            });
            if has {
                out.push(PiiFinding { entity: Entity::DbConnectionString, start: m.start(), end: m.end() });
            }
        });
    }
}

fn trim_uri(u: &str) -> &str {
    let mut u = u.trim_end_matches(['.', ',', ';', ':', '!', '?']);
    while u.ends_with(')') && u.matches('(').count() < u.matches(')').count() {
        u = &u[..u.len() - 1];
    }
    u.trim_end_matches(['.', ',', ';', ':', '!', '?'])
}

fn uri_has_password(uri: &str) -> bool {
    let Some((_, rest)) = uri.split_once("://") else { return false };
    let auth_end = rest.find(['/', '?', '#', ';']).unwrap_or(rest.len());
    let auth = &rest[..auth_end];
    if let Some((userinfo, _)) = auth.rsplit_once('@') {
        if let Some((_, pass)) = userinfo.split_once(':') {
            if !is_placeholder(pass) {
                return true;
            }
        }
    }
    let lower = rest.to_ascii_lowercase();
    lower.match_indices("password=").any(|(i, _)| {
        let v = &rest[i + 9..];
        let v = &v[..v.find(['&', ';', '#']).unwrap_or(v.len())];
        !is_placeholder(v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_keys_follow_the_last_word_rule() {
        for k in ["DB_PASSWORD", "client_secret", "SECRET_KEY", "JWT_SECRET", "smtp.password", "redis_pass", "adminPwd", "PGPASSWORD", "dbpassword", "Passwort", "пароль", "--password"] {
            assert!(is_password_key(k), "{k}");
        }
        for k in ["password_hash", "password_max_age", "password_reset_url", "PasswordPolicy", "bypass", "compass", "token", "api_key"] {
            assert!(!is_password_key(k), "{k}");
        }
    }
}
