//! Argument clauses (SPEC §5.4): compile one `ArgsClause` and decide whether it holds.
//!
//! Must not allocate regexes per call or panic on any document. A missing path makes every
//! operator false except `ne` (true). Start at `CompiledClause::compile` and `holds`.

use regex::Regex;
use serde_json::Value;

use crate::engine::firewall::cidr::{ip_of_target, Cidr};
use crate::engine::firewall::config::{ArgsClause, ArgsOp, Normalize};
use crate::engine::firewall::path::ArgsPath;
use crate::engine::firewall::shell::{normalize_shell, shell_text};

/// Maximum regex pattern length in characters (SPEC §9.4).
pub const MAX_REGEX_CHARS: usize = 4096;
/// Maximum compiled regex size in bytes (SPEC §9.4).
pub const MAX_REGEX_BYTES: usize = 1 << 20;

/// Compiles a user regex under the limits of SPEC §9.4, with a lowercase message on failure.
pub fn build_regex(pattern: &str) -> Result<Regex, String> {
    if pattern.chars().count() > MAX_REGEX_CHARS {
        return Err(format!("regex is longer than {MAX_REGEX_CHARS} characters"));
    }
    regex::RegexBuilder::new(pattern)
        .size_limit(MAX_REGEX_BYTES)
        .build()
        .map_err(|error| match error {
            regex::Error::CompiledTooBig(_) => "regex exceeds the compiled size limit of 1 MiB".to_string(),
            other => format!("regex parse error: {other}"),
        })
}

/// Compiled regexes by pattern, so identical patterns in one policy compile once and share
/// their (internally reference-counted) automata.
#[derive(Clone, Debug, Default)]
pub struct RegexCache {
    compiled: std::collections::HashMap<String, Regex>,
}

impl RegexCache {
    /// The compiled regex for `pattern`, compiling it on first use.
    pub fn get(&mut self, pattern: &str) -> Result<Regex, String> {
        if let Some(regex) = self.compiled.get(pattern) {
            return Ok(regex.clone());
        }
        let regex = build_regex(pattern)?;
        self.compiled.insert(pattern.to_string(), regex.clone());
        Ok(regex)
    }
}

/// Why a clause does not compile: the sub-field (`path`, `value`, `normalize`) and a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClauseError {
    /// Field inside the clause, e.g. `value`.
    pub field: &'static str,
    /// Lowercase message.
    pub message: String,
}

fn clause_error(field: &'static str, message: impl Into<String>) -> ClauseError {
    ClauseError { field, message: message.into() }
}

#[derive(Clone, Debug)]
enum Test {
    Eq(Value),
    Ne(Value),
    Contains(String),
    Regex(Regex),
    Gt(f64),
    Lt(f64),
    InCidr(Vec<Cidr>),
    Exists,
}

/// A compiled clause: parsed path, operator with its prepared operand, and shell flag.
#[derive(Clone, Debug)]
pub struct CompiledClause {
    path: ArgsPath,
    test: Test,
    shell: bool,
}

impl CompiledClause {
    /// Compiles a clause, checking every save-time rule of SPEC §2.6 / §5.4 for it.
    pub fn compile(clause: &ArgsClause) -> Result<CompiledClause, ClauseError> {
        CompiledClause::compile_with(clause, &mut RegexCache::default())
    }

    /// Like `compile`, sharing regexes through `cache` (a level repeats DESTRUCTIVE 16 times).
    pub fn compile_with(clause: &ArgsClause, cache: &mut RegexCache) -> Result<CompiledClause, ClauseError> {
        let path = ArgsPath::parse(&clause.path).map_err(|message| clause_error("path", message))?;
        let shell = clause.normalize == Some(Normalize::Shell);
        if shell && !matches!(clause.op, ArgsOp::Contains | ArgsOp::Regex) {
            return Err(clause_error("normalize", "normalize is only allowed on contains and regex clauses"));
        }
        let value = clause.value.as_ref();
        let test = match clause.op {
            ArgsOp::Eq => Test::Eq(value.cloned().ok_or_else(|| clause_error("value", "value is required"))?),
            ArgsOp::Ne => Test::Ne(value.cloned().ok_or_else(|| clause_error("value", "value is required"))?),
            ArgsOp::Contains => {
                let needle = required_string(value)?;
                // Why: with shell normalization the needle is normalized the same way (step 3).
                Test::Contains(if shell { normalize_shell(needle) } else { needle.to_string() })
            }
            ArgsOp::Regex => Test::Regex(cache.get(required_string(value)?).map_err(|m| clause_error("value", m))?),
            ArgsOp::Gt => Test::Gt(required_number(value)?),
            ArgsOp::Lt => Test::Lt(required_number(value)?),
            ArgsOp::InCidr => Test::InCidr(cidr_list(value)?),
            ArgsOp::Exists => match value {
                None | Some(Value::Null) | Some(Value::Bool(true)) => Test::Exists,
                Some(_) => return Err(clause_error("value", "exists takes no value (or true)")),
            },
        };
        Ok(CompiledClause { path, test, shell })
    }

    /// Whether the clause holds on `document` (`None` = no arguments: every path is missing).
    pub fn holds(&self, document: Option<&Value>) -> bool {
        let Some(document) = document else {
            return matches!(self.test, Test::Ne(_));
        };
        let Some(target) = self.path.resolve(document) else {
            return matches!(self.test, Test::Ne(_));
        };
        match &self.test {
            Test::Eq(expected) => json_eq(target, expected),
            Test::Ne(expected) => !json_eq(target, expected),
            Test::Contains(needle) => self.any_target(target, |text| text.contains(needle.as_str())),
            Test::Regex(regex) => self.any_target(target, |text| regex.is_match(text)),
            Test::Gt(bound) => number_of(target).is_some_and(|n| n > *bound),
            Test::Lt(bound) => number_of(target).is_some_and(|n| n < *bound),
            Test::InCidr(blocks) => in_cidr(target, blocks),
            Test::Exists => true,
        }
    }

    /// Whether `test` holds on any text a `contains` / `regex` clause searches (SPEC §5.4).
    fn any_target(&self, target: &Value, test: impl Fn(&str) -> bool) -> bool {
        if self.shell {
            return test(&shell_text(target));
        }
        match target {
            // Why: arguments that were not valid JSON arrive as one string; searching its raw
            // text (not its quoted JSON form) keeps `$` useful for them.
            Value::String(text) => test(text),
            Value::Array(items) if !self.path.is_root() => items.iter().filter_map(Value::as_str).any(test),
            other => test(&other.to_string()),
        }
    }
}

fn required_string(value: Option<&Value>) -> Result<&str, ClauseError> {
    value.and_then(Value::as_str).ok_or_else(|| clause_error("value", "value must be a string"))
}

fn required_number(value: Option<&Value>) -> Result<f64, ClauseError> {
    value.and_then(Value::as_f64).ok_or_else(|| clause_error("value", "value must be a number"))
}

fn cidr_list(value: Option<&Value>) -> Result<Vec<Cidr>, ClauseError> {
    let entries: Vec<&Value> = match value {
        Some(Value::String(_)) => value.into_iter().collect(),
        Some(Value::Array(items)) if !items.is_empty() => items.iter().collect(),
        _ => return Err(clause_error("value", "value must be a CIDR or IP string, or a non-empty array of them")),
    };
    entries
        .into_iter()
        .map(|entry| {
            let text = entry.as_str().unwrap_or_default();
            Cidr::parse(text).ok_or_else(|| clause_error("value", format!("not an IP address or CIDR: {text:?}")))
        })
        .collect()
}

/// JSON equality: numbers numerically, objects key-order-insensitively, strings exactly.
pub fn json_eq(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Number(a), Value::Number(b)) => match (a.as_i64(), b.as_i64(), a.as_u64(), b.as_u64()) {
            (Some(x), Some(y), _, _) => x == y,
            (_, _, Some(x), Some(y)) => x == y,
            _ => a.as_f64().zip(b.as_f64()).is_some_and(|(x, y)| x == y),
        },
        (Value::Array(a), Value::Array(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| json_eq(x, y)),
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(key, x)| b.get(key).is_some_and(|y| json_eq(x, y)))
        }
        _ => left == right,
    }
}

/// A number, or a numeric string (trimmed, finite).
fn number_of(target: &Value) -> Option<f64> {
    match target {
        Value::Number(n) => n.as_f64(),
        Value::String(text) => text.trim().parse::<f64>().ok().filter(|n| n.is_finite()),
        _ => None,
    }
}

fn in_cidr(target: &Value, blocks: &[Cidr]) -> bool {
    let inside = |text: &str| ip_of_target(text).is_some_and(|ip| blocks.iter().any(|block| block.contains(ip)));
    match target {
        Value::String(text) => inside(text),
        Value::Array(items) => items.iter().filter_map(Value::as_str).any(inside),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn clause(value: Value) -> CompiledClause {
        let config: ArgsClause = serde_json::from_value(value).expect("clause json");
        CompiledClause::compile(&config).expect("valid clause")
    }

    #[test]
    fn each_operator_holds_per_the_spec_table() {
        let doc = json!({
            "cmd": "git push origin main", "n": 150, "s": " 42 ", "list": ["a", "prod-db", 3],
            "obj": {"k": 1, "j": [1, 2]}, "null": null, "ip": "10.1.2.3:5432",
            "urls": ["https://example.com", "http://192.168.1.9/admin"], "host": "metadata.google.internal",
        });
        let cases = [
            (json!({"path":"$.cmd","op":"eq","value":"git push origin main"}), true),
            (json!({"path":"$.cmd","op":"eq","value":"GIT PUSH origin main"}), false),
            (json!({"path":"$.n","op":"eq","value":150.0}), true),
            (json!({"path":"$.obj","op":"eq","value":{"j":[1,2.0],"k":1}}), true),
            (json!({"path":"$.null","op":"eq","value":null}), true),
            (json!({"path":"$.cmd","op":"ne","value":"x"}), true),
            (json!({"path":"$.missing","op":"ne","value":"x"}), true),
            (json!({"path":"$.n","op":"ne","value":150}), false),
            (json!({"path":"$.cmd","op":"contains","value":"push"}), true),
            (json!({"path":"$.list","op":"contains","value":"prod"}), true),
            (json!({"path":"$.list","op":"contains","value":"3"}), false),
            (json!({"path":"$.obj","op":"contains","value":"\"k\":1"}), true),
            (json!({"path":"$.n","op":"contains","value":"15"}), true),
            (json!({"path":"$","op":"contains","value":"prod-db"}), true),
            (json!({"path":"$.missing","op":"contains","value":""}), false),
            (json!({"path":"$.cmd","op":"regex","value":"^git\\s+push"}), true),
            (json!({"path":"$.cmd","op":"regex","value":"(?i)PUSH"}), true),
            (json!({"path":"$.cmd","op":"regex","value":"PUSH"}), false),
            (json!({"path":"$","op":"regex","value":"\"n\":150"}), true),
            (json!({"path":"$.n","op":"gt","value":100}), true),
            (json!({"path":"$.n","op":"gt","value":150}), false),
            (json!({"path":"$.s","op":"gt","value":41.5}), true),
            (json!({"path":"$.s","op":"lt","value":42}), false),
            (json!({"path":"$.cmd","op":"lt","value":1e9}), false),
            (json!({"path":"$.ip","op":"in_cidr","value":"10.0.0.0/8"}), true),
            (json!({"path":"$.urls","op":"in_cidr","value":["127.0.0.0/8","192.168.0.0/16"]}), true),
            (json!({"path":"$.host","op":"in_cidr","value":"0.0.0.0/0"}), false),
            (json!({"path":"$.obj","op":"in_cidr","value":"0.0.0.0/0"}), false),
            (json!({"path":"$.null","op":"exists"}), true),
            (json!({"path":"$.list[1]","op":"exists","value":true}), true),
            (json!({"path":"$.list[9]","op":"exists"}), false),
        ];
        for (config, expected) in cases {
            assert_eq!(clause(config.clone()).holds(Some(&doc)), expected, "{config}");
        }
    }

    #[test]
    fn missing_document_makes_only_ne_true() {
        assert!(clause(json!({"path":"$","op":"ne","value":1})).holds(None));
        assert!(!clause(json!({"path":"$","op":"exists"})).holds(None));
        assert!(!clause(json!({"path":"$","op":"regex","value":""})).holds(None));
    }

    #[test]
    fn shell_normalization_applies_to_target_and_contains_needle() {
        let doc = json!({"argv": ["R''M", "-Rf", "/"]});
        assert!(clause(json!({"path":"$","op":"contains","value":"RM  -rf","normalize":"shell"})).holds(Some(&doc)));
        assert!(clause(json!({"path":"$.argv","op":"regex","value":"^rm -rf /$","normalize":"shell"})).holds(Some(&doc)));
        assert!(!clause(json!({"path":"$","op":"contains","value":"RM -rf"})).holds(Some(&doc)));
    }

    #[test]
    fn invalid_clauses_name_the_failing_field() {
        let cases = [
            (json!({"path":"cmd","op":"eq","value":1}), "path"),
            (json!({"path":"$","op":"eq"}), "value"),
            (json!({"path":"$","op":"contains","value":3}), "value"),
            (json!({"path":"$","op":"regex","value":"("}), "value"),
            (json!({"path":"$","op":"gt","value":"10"}), "value"),
            (json!({"path":"$","op":"in_cidr","value":"example.com"}), "value"),
            (json!({"path":"$","op":"in_cidr","value":[]}), "value"),
            (json!({"path":"$","op":"exists","value":false}), "value"),
            (json!({"path":"$","op":"eq","value":1,"normalize":"shell"}), "normalize"),
        ];
        for (config, field) in cases {
            let parsed: ArgsClause = serde_json::from_value(config.clone()).expect("clause json");
            let error = CompiledClause::compile(&parsed).expect_err("must be invalid");
            assert_eq!(error.field, field, "{config}");
        }
    }

    #[test]
    fn oversized_regexes_are_rejected() {
        assert!(build_regex(&"a".repeat(MAX_REGEX_CHARS + 1)).is_err());
        assert!(build_regex("\\w{1000}\\w{1000}").is_err());
        assert!(build_regex("a+b").is_ok());
    }
}
