//! `palisade firewall check` (SPEC §1.7): evaluate JSON Lines of tool calls offline against an
//! autonomy level's policy or a policy file, one JSON line out per line in.
//!
//! Owns only line I/O, error lines and exit codes; every decision is `engine::firewall`'s. Never
//! resolves hostnames, stores nothing, reads no configuration. Start at `run`.

use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::engine::autonomy::{level_contents, Level};
use crate::engine::firewall::{
    evaluate_no_policy, validate, CompiledPolicy, Destination, EvalContext, EventVerdict, Evaluation, PolicyConfig, Surface,
    ToolCall,
};

/// Longest accepted input line (8 MiB), newline excluded.
pub const MAX_LINE_BYTES: usize = 8 * 1024 * 1024;

/// Exit status: every line processed.
pub const EXIT_OK: i32 = 0;
/// Exit status: `--fail-on-deny` set and some verdict is `deny`.
pub const EXIT_DENY: i32 = 1;
/// Exit status: usage error, unreadable input, invalid policy, or any `error` line.
pub const EXIT_ERROR: i32 = 2;

/// Parsed command-line options; exactly one of `level` and `policy` must be set.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CheckOptions {
    /// `--level tight|balanced|permissive`.
    pub level: Option<Level>,
    /// `--policy <file.json>`, already parsed with `parse_policy_file`.
    pub policy: Option<PolicyConfig>,
    /// `--fail-on-deny`.
    pub fail_on_deny: bool,
}

/// Parses and validates a `--policy` file: a policy body with its rules as
/// `POST /api/workspace/firewall/policies` accepts it. The error lists `field: message` pairs.
pub fn parse_policy_file(text: &str) -> Result<PolicyConfig, String> {
    let policy: PolicyConfig = serde_json::from_str(text).map_err(|error| format!("invalid policy JSON: {error}"))?;
    validate(&policy).map_err(|errors| {
        let fields: Vec<String> = errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
        format!("invalid policy: {}", fields.join("; "))
    })?;
    Ok(policy)
}

/// One input line.
#[derive(Deserialize)]
struct CheckLine {
    surface: Surface,
    tool: String,
    #[serde(default)]
    arguments: Option<Value>,
    #[serde(default)]
    skill: Option<String>,
    #[serde(default)]
    destination: Option<Destination>,
}

/// One result line (`{"id","verdict","rule_label","reason"}`).
#[derive(Serialize)]
struct ResultLine<'a> {
    id: &'a Value,
    verdict: &'static str,
    rule_label: Option<&'a str>,
    reason: &'a str,
}

/// An error line in place of a result (`{"id","error"}`).
#[derive(Serialize)]
struct ErrorLine<'a> {
    id: &'a Value,
    error: &'a str,
}

/// Runs the check over `input`, writing result lines to `out` and diagnostics to `err`; returns
/// the exit status of SPEC §1.7.
pub fn run(opts: CheckOptions, mut input: impl BufRead, mut out: impl Write, mut err: impl Write) -> i32 {
    let policy = match (&opts.level, &opts.policy) {
        (Some(level), None) => level_contents(*level).firewall_policy,
        (None, Some(policy)) => Some(policy.clone()),
        _ => {
            let _ = writeln!(err, "usage: palisade firewall check (--level tight|balanced|permissive | --policy <file.json>) [--fail-on-deny] [<input.jsonl>]");
            return EXIT_ERROR;
        }
    };
    let compiled = match policy.as_ref().map(CompiledPolicy::compile).transpose() {
        Ok(compiled) => compiled,
        Err(error) => {
            let _ = writeln!(err, "{error}");
            return EXIT_ERROR;
        }
    };
    // Permissive is "no policy, with observe mode on"; a policy file always applies.
    let observe_mode = opts.level.is_some_and(|level| level_contents(level).observe_mode);
    let mut saw_error = false;
    let mut saw_deny = false;
    let mut buffer = Vec::new();
    let mut line_no = 0usize;
    loop {
        buffer.clear();
        line_no += 1;
        match read_line(&mut input, &mut buffer) {
            Ok(ReadOutcome::Eof) => break,
            Ok(ReadOutcome::TooLong) => {
                saw_error = true;
                let message = format!("line is longer than {MAX_LINE_BYTES} bytes");
                let _ = writeln!(err, "line {line_no}: {message}");
                if write_json(&mut out, &ErrorLine { id: &Value::Null, error: &message }).is_err() {
                    return EXIT_ERROR;
                }
                continue;
            }
            Ok(ReadOutcome::Line) => {}
            Err(error) => {
                let _ = writeln!(err, "cannot read input: {error}");
                return EXIT_ERROR;
            }
        }
        let Ok(text) = std::str::from_utf8(&buffer) else {
            saw_error = true;
            let _ = writeln!(err, "line {line_no}: not valid UTF-8");
            if write_json(&mut out, &ErrorLine { id: &Value::Null, error: "line is not valid UTF-8" }).is_err() {
                return EXIT_ERROR;
            }
            continue;
        };
        if text.trim().is_empty() {
            continue;
        }
        let written = match check_line(text, compiled.as_ref(), observe_mode) {
            Ok((id, evaluation)) => {
                saw_deny |= evaluation.verdict == EventVerdict::Deny;
                write_json(&mut out, &ResultLine {
                    id: &id,
                    verdict: evaluation.verdict.as_str(),
                    rule_label: evaluation.rule_label.as_deref(),
                    reason: &evaluation.reason,
                })
            }
            Err((id, message)) => {
                saw_error = true;
                let _ = writeln!(err, "line {line_no}: {message}");
                write_json(&mut out, &ErrorLine { id: &id, error: &message })
            }
        };
        if let Err(error) = written {
            let _ = writeln!(err, "cannot write output: {error}");
            return EXIT_ERROR;
        }
    }
    if let Err(error) = out.flush() {
        let _ = writeln!(err, "cannot write output: {error}");
        return EXIT_ERROR;
    }
    if saw_error {
        EXIT_ERROR
    } else if opts.fail_on_deny && saw_deny {
        EXIT_DENY
    } else {
        EXIT_OK
    }
}

enum ReadOutcome {
    Line,
    TooLong,
    Eof,
}

/// Reads one line (without its `\n` / `\r\n`) into `buffer`, never holding more than
/// `MAX_LINE_BYTES` + 1 bytes of an over-long line.
fn read_line(input: &mut impl BufRead, buffer: &mut Vec<u8>) -> std::io::Result<ReadOutcome> {
    let mut too_long = false;
    let mut read_any = false;
    loop {
        let chunk = input.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        read_any = true;
        let (take, done) = match chunk.iter().position(|b| *b == b'\n') {
            Some(pos) => (pos + 1, true),
            None => (chunk.len(), false),
        };
        if !too_long {
            let room = (MAX_LINE_BYTES + 2).saturating_sub(buffer.len());
            buffer.extend_from_slice(chunk.get(..take.min(room)).unwrap_or_default());
            if buffer.len() > MAX_LINE_BYTES + 1 {
                too_long = true;
                buffer.clear();
            }
        }
        input.consume(take);
        if done {
            break;
        }
    }
    if !read_any {
        return Ok(ReadOutcome::Eof);
    }
    if too_long {
        return Ok(ReadOutcome::TooLong);
    }
    if buffer.last() == Some(&b'\n') {
        buffer.pop();
    }
    if buffer.last() == Some(&b'\r') {
        buffer.pop();
    }
    if buffer.len() > MAX_LINE_BYTES {
        return Ok(ReadOutcome::TooLong);
    }
    Ok(ReadOutcome::Line)
}

/// Parses and evaluates one non-blank line; `Err` carries the id (or null) and the message.
fn check_line(text: &str, policy: Option<&CompiledPolicy>, observe_mode: bool) -> Result<(Value, Evaluation), (Value, String)> {
    let value: Value = serde_json::from_str(text).map_err(|error| (Value::Null, format!("invalid JSON: {error}")))?;
    let Value::Object(map) = &value else {
        return Err((Value::Null, "line is not a JSON object".to_string()));
    };
    let id = map.get("id").cloned().unwrap_or(Value::Null);
    if !(id.is_string() || id.is_number()) {
        let shown = if id.is_null() { Value::Null } else { id.clone() };
        return Err((shown, "\"id\" must be a string or a number".to_string()));
    }
    let line: CheckLine = serde_json::from_value(value.clone()).map_err(|error| (id.clone(), error.to_string()))?;
    let call = ToolCall {
        surface: line.surface,
        tool: line.tool,
        skill: line.skill,
        arguments: line.arguments,
        destination: line.destination,
    };
    // Spend 0 and estimate 0 (so cap_cost rules are passed over), the policy's shadow mode, no approvals.
    let evaluation = match policy {
        Some(policy) => policy.evaluate(&call, &EvalContext::default()),
        None => match evaluate_no_policy(observe_mode) {
            Some(evaluation) => evaluation,
            None => return Err((id, "no policy applies and observe mode is off".to_string())),
        },
    };
    Ok((id, evaluation))
}

fn write_json(out: &mut impl Write, line: &impl Serialize) -> std::io::Result<()> {
    let text = serde_json::to_string(line).map_err(std::io::Error::other)?;
    writeln!(out, "{text}")
}

#[cfg(test)]
mod tests;
