//! RFC 8785 (JCS) canonical JSON and `args_hash` (SPEC §2.8): the key approvals match on.
//!
//! Object keys sorted by UTF-16 code units, numbers in ECMAScript shortest form (so `1.0` and
//! `1` hash alike and integers beyond 2^53 are rounded as IEEE doubles, as JCS requires),
//! strings with the minimal JSON escapes. Start at `args_hash`.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// SHA-256 hex (lowercase) of the RFC 8785 canonical JSON of `arguments`.
pub fn args_hash(arguments: &Value) -> String {
    hex::encode(Sha256::digest(canonical_json(arguments).as_bytes()))
}

/// The RFC 8785 canonical serialization of `value`.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_value(value, &mut out);
    out
}

fn write_value(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Value::Number(number) => out.push_str(&es_number(number.as_f64().unwrap_or(0.0))),
        Value::String(text) => write_string(text, out),
        Value::Array(items) => {
            out.push('[');
            for (idx, item) in items.iter().enumerate() {
                if idx > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            // INVARIANT: JCS orders keys by their UTF-16 code units, not by UTF-8 bytes.
            entries.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (idx, (key, item)) in entries.into_iter().enumerate() {
                if idx > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write_value(item, out);
            }
            out.push('}');
        }
    }
}

fn write_string(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{0C}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// ECMAScript `Number.prototype.toString` for a finite double (RFC 8785 §3.2.2.3).
fn es_number(number: f64) -> String {
    if number == 0.0 || !number.is_finite() {
        // -0 serializes as 0; non-finite values cannot occur in a serde_json Value.
        return "0".to_string();
    }
    let sign = if number < 0.0 { "-" } else { "" };
    // Rust's `{:e}` prints the shortest round-trip digits: `d[.ddd]e<exp>`.
    let formatted = format!("{:e}", number.abs());
    let (mantissa, exponent) = formatted.split_once('e').unwrap_or((formatted.as_str(), "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return "0".to_string();
    }
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let k = digits.len() as i32;
    let n = exponent + 1;
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        let (int_part, frac_part) = digits.split_at(n as usize);
        format!("{int_part}.{frac_part}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let exp_sign = if n - 1 < 0 { "-" } else { "+" };
        let (first, rest) = digits.split_at(1);
        let fraction = if rest.is_empty() { String::new() } else { format!(".{rest}") };
        format!("{first}{fraction}e{exp_sign}{}", (n - 1).abs())
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_follow_ecmascript_formatting() {
        let cases = [
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (-1.5, "-1.5"),
            (100.0, "100"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (123456789.125, "123456789.125"),
            (0.000001, "0.000001"),
            (0.0000001, "1e-7"),
            (4.5e-7, "4.5e-7"),
            (9007199254740993.0, "9007199254740992"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (0.1, "0.1"),
        ];
        for (input, expected) in cases {
            assert_eq!(es_number(input), expected, "{input:e}");
        }
    }

    #[test]
    fn canonical_form_sorts_keys_by_utf16_and_escapes_minimally() {
        let value = json!({"b": [1.0, "x\u{1}\n\"/"], "a": null, "\u{20ac}": 1, "\u{1F600}": 2, "A": true});
        assert_eq!(
            canonical_json(&value),
            "{\"A\":true,\"a\":null,\"b\":[1,\"x\\u0001\\n\\\"/\"],\"\u{20ac}\":1,\"\u{1F600}\":2}"
        );
    }

    #[test]
    fn equal_documents_hash_alike_regardless_of_key_order_and_number_spelling() {
        let first: Value = serde_json::from_str(r#"{"a":1,"b":{"c":2.50}}"#).expect("json");
        let second: Value = serde_json::from_str(r#"{"b":{"c":2.5},"a":1.0}"#).expect("json");
        assert_eq!(args_hash(&first), args_hash(&second));
        assert_eq!(args_hash(&first).len(), 64);
        assert_ne!(args_hash(&first), args_hash(&json!({"a": 2})));
    }
}
