//! Tests of `palisade firewall check`: output lines, error lines and exit codes (SPEC §1.7).

use serde_json::{json, Value};

use crate::cli::firewall_check::{parse_policy_file, run, CheckOptions, EXIT_DENY, EXIT_ERROR, EXIT_OK};
use crate::engine::autonomy::Level;

fn check(opts: CheckOptions, input: &str) -> (i32, Vec<Value>, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = run(opts, input.as_bytes(), &mut out, &mut err);
    let lines = String::from_utf8(out)
        .expect("utf-8 output")
        .lines()
        .map(|line| serde_json::from_str(line).expect("each output line is JSON"))
        .collect();
    (code, lines, String::from_utf8(err).expect("utf-8 diagnostics"))
}

fn level(level: Level, fail_on_deny: bool) -> CheckOptions {
    CheckOptions { level: Some(level), policy: None, fail_on_deny }
}

const CALLS: &str = r#"{"id": 1, "surface": "response", "tool": "shell.exec", "arguments": {"command": "rm -rf /"}}

{"id": "b", "surface": "response", "tool": "shell.exec", "arguments": {"command": "ls"}}
{"id": 3, "surface": "egress", "tool": "web_search", "destination": {"host": "api.example.net", "ips": []}}
"#;

#[test]
fn balanced_level_denies_destructive_and_audits_the_rest() {
    let (code, lines, _) = check(level(Level::Balanced, false), CALLS);
    assert_eq!(code, EXIT_OK);
    assert_eq!(lines, [
        json!({"id": 1, "verdict": "deny", "rule_label": "destructive shell command", "reason": "destructive shell command"}),
        json!({"id": "b", "verdict": "audit", "rule_label": null, "reason": "no rule matched; default verdict audit"}),
        json!({"id": 3, "verdict": "allow", "rule_label": null, "reason": "no egress rule matched"}),
    ]);
}

#[test]
fn tight_level_with_fail_on_deny_exits_one() {
    let (code, lines, _) = check(level(Level::Tight, true), CALLS);
    assert_eq!(code, EXIT_DENY);
    assert_eq!(lines[2], json!({"id": 3, "verdict": "deny", "rule_label": "deny fetch-shaped tools", "reason": "egress to api.example.net denied"}));
}

#[test]
fn permissive_level_observes_everything() {
    let (code, lines, _) = check(level(Level::Permissive, true), CALLS);
    assert_eq!(code, EXIT_OK);
    assert!(lines.iter().all(|l| l["verdict"] == "observe" && l["rule_label"].is_null() && l["reason"] == "no firewall policy (observe mode)"));
}

#[test]
fn bad_lines_become_error_lines_and_exit_two() {
    let input = "not json\n[1]\n{\"id\": 7, \"surface\": \"moon\", \"tool\": \"x\"}\n{\"id\": 8}\n{\"surface\": \"mcp\", \"tool\": \"x\"}\n{\"id\": 9, \"surface\": \"mcp\", \"tool\": \"x\"}\n";
    let (code, lines, err) = check(level(Level::Balanced, false), input);
    assert_eq!(code, EXIT_ERROR);
    let ids: Vec<&Value> = lines.iter().map(|l| &l["id"]).collect();
    assert_eq!(ids, [&Value::Null, &Value::Null, &json!(7), &json!(8), &Value::Null, &json!(9)]);
    assert!(lines[..5].iter().all(|l| l["error"].is_string()));
    assert_eq!(lines[5]["verdict"], "audit");
    assert!(err.contains("line 1"));
}

#[test]
fn policy_files_are_validated_and_shadow_applies() {
    let text = r#"{"name": "ci", "shadow_mode": true, "rules": [{"id": 4, "tool_name_glob": "db.*", "verdict": "deny", "label": "no db"},
        {"priority": 1, "verdict": "cap_cost", "cap_cost_cents": 1}]}"#;
    let policy = parse_policy_file(text).expect("valid policy file");
    let opts = CheckOptions { level: None, policy: Some(policy), fail_on_deny: true };
    let (code, lines, _) = check(opts, r#"{"id": 1, "surface": "mcp", "tool": "db.write", "arguments": {}}"#);
    assert_eq!(code, EXIT_OK, "shadow turns the deny into audit");
    assert_eq!(lines[0], json!({"id": 1, "verdict": "audit", "rule_label": "no db", "reason": "[shadow] would deny: no db"}));

    let error = parse_policy_file(r#"{"name": "x", "rules": [{"verdict": "cap_cost"}]}"#).expect_err("invalid");
    assert!(error.contains("rules[0].cap_cost_cents"), "{error}");
    assert!(parse_policy_file("{").is_err());
}

#[test]
fn usage_errors_exit_two() {
    let both = CheckOptions { level: Some(Level::Tight), policy: parse_policy_file(r#"{"name": "p"}"#).ok(), fail_on_deny: false };
    assert_eq!(check(both, "").0, EXIT_ERROR);
    assert_eq!(check(CheckOptions::default(), "").0, EXIT_ERROR);
}

#[test]
fn over_long_lines_are_error_lines_and_crlf_is_accepted() {
    let long = format!("{{\"id\": 1, \"tool\": \"{}\"}}\n", "x".repeat(8 * 1024 * 1024));
    let input = format!("{long}{{\"id\": 2, \"surface\": \"inbound\", \"tool\": \"bash\"}}\r\n");
    let (code, lines, _) = check(level(Level::Tight, false), &input);
    assert_eq!(code, EXIT_ERROR);
    assert_eq!(lines[0]["id"], Value::Null);
    assert_eq!(lines[1], json!({"id": 2, "verdict": "deny", "rule_label": "deny shell and exec tools", "reason": "deny shell and exec tools"}));
}
