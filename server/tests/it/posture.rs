//! The posture layer over `/api`: guardrail and policy CRUD with engine validation, version checks,
//! binding cleanup, audit rows and the audit feed. Autonomy apply/undo lives in `posture_autonomy`.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};
use server::domain::Role;

use crate::support::{Caller, TestApp};

/// The workspace's current `posture_version`.
pub async fn posture_version(app: &TestApp) -> i64 {
    server::store::workspaces::posture_version(&app.services.db, app.workspace_id()).await.expect("posture version")
}

/// Posture verbs of the feed, newest first.
pub async fn verbs(app: &TestApp, owner: &Caller) -> Vec<String> {
    let (status, body, _) = app.send(Method::GET, "/api/audit?limit=200", owner, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| row["verb"].as_str().expect("verb").to_owned())
        .filter(|verb| verb.starts_with("firewall_") || verb.starts_with("guardrail_"))
        .collect()
}

fn fields(body: &Value) -> Vec<String> {
    body["error"]["fields"].as_array().map_or_else(Vec::new, |fields| {
        fields.iter().map(|f| f["field"].as_str().unwrap_or_default().to_owned()).collect()
    })
}

fn email_rule() -> Value {
    json!({"type": "pii", "stage": "both", "action": "mask", "config": {"entities": ["email"]}})
}

#[tokio::test]
async fn guardrail_writes_are_validated_with_field_paths_and_versioned() {
    let app = TestApp::new().await;
    let owner = app.as_role(Role::Owner).await;
    let bad = json!({"name": "g", "rules": [email_rule(), {"type": "regex", "stage": "input", "action": "block", "config": {"pattern": "(unclosed"}}]});
    let (status, body, _) = app.send(Method::POST, "/api/guardrails", &owner, Some(bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "validation_error");
    assert_eq!(fields(&body), ["rules[1].config.pattern"]);

    let before = posture_version(&app).await;
    let (status, created, _) = app.send(Method::POST, "/api/guardrails", &owner, Some(json!({"name": " g ", "rules": [email_rule()]}))).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!((created["name"].as_str(), created["version"].as_i64()), (Some("g"), Some(1)));
    let rule_id = created["rules"][0]["id"].as_i64().expect("rule ids are assigned");
    assert_eq!(posture_version(&app).await, before + 1);
    let id = created["id"].as_i64().expect("id");

    let update = json!({"name": "g", "version": 1, "rules": [{"id": rule_id, "type": "pii", "stage": "both", "action": "flag", "config": {"entities": ["email"]}}, email_rule()]});
    let (status, updated, _) = app.send(Method::PUT, &format!("/api/guardrails/{id}"), &owner, Some(update.clone())).await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["rules"][0]["id"].as_i64(), Some(rule_id), "a rule sent back keeps its id");
    assert!(updated["rules"][1]["id"].as_i64().is_some_and(|new| new > rule_id));

    let (status, stale, _) = app.send(Method::PUT, &format!("/api/guardrails/{id}"), &owner, Some(update)).await;
    assert_eq!((status, stale["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("version_mismatch")));

    let (status, dup, _) = app.send(Method::POST, "/api/guardrails", &owner, Some(json!({"name": "g"}))).await;
    assert_eq!((status, dup["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("name_taken")));

    let (_, history, _) = app.send(Method::GET, &format!("/api/guardrails/{id}/history"), &owner, None).await;
    let ops: Vec<(i64, &str)> = history["data"].as_array().expect("rows").iter().map(|r| (r["version"].as_i64().unwrap_or(0), r["op"].as_str().unwrap_or(""))).collect();
    assert_eq!(ops, [(2, "update"), (1, "create")]);

    let (status, reverted, _) = app.send(Method::POST, &format!("/api/guardrails/{id}/revert"), &owner, Some(json!({"version": 1}))).await;
    assert_eq!(status, StatusCode::OK, "{reverted}");
    assert_eq!((reverted["version"].as_i64(), reverted["rules"][0]["action"].as_str()), (Some(3), Some("mask")));
    assert_eq!(verbs(&app, &owner).await[..3], ["guardrail_revert", "guardrail_update", "guardrail_create"]);
}

#[tokio::test]
async fn deleting_a_guardrail_or_policy_clears_bindings_and_defaults() {
    let app = TestApp::new().await;
    let owner = app.as_role(Role::Owner).await;
    let (_, guardrail, _) = app.send(Method::POST, "/api/guardrails", &owner, Some(json!({"name": "g", "rules": [email_rule()]}))).await;
    let (_, policy, _) = app.send(Method::POST, "/api/workspace/firewall/policies", &owner, Some(json!({"name": "p"}))).await;
    let (gid, pid) = (guardrail["id"].as_i64().expect("id"), policy["id"].as_i64().expect("id"));
    let (key_id, _) = app.key("relay").await;
    let (status, body, _) = app.send(Method::PATCH, &format!("/api/keys/{key_id}"), &owner, Some(json!({"guardrail_id": gid, "firewall_policy_id": pid}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let settings = json!({"default_guardrail_id": gid, "default_firewall_policy_id": pid, "observe_mode": true});
    let (status, ws, _) = app.send(Method::PATCH, "/api/workspace/settings", &owner, Some(settings)).await;
    assert_eq!(status, StatusCode::OK, "{ws}");
    let (_, listed, _) = app.send(Method::GET, "/api/guardrails", &owner, None).await;
    assert_eq!((listed["data"][0]["is_default"].as_bool(), listed["data"][0]["attached_keys"].as_i64()), (Some(true), Some(1)));

    for path in [format!("/api/guardrails/{gid}"), format!("/api/workspace/firewall/policies/{pid}")] {
        let (status, _, _) = app.send(Method::DELETE, &path, &owner, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _, _) = app.send(Method::GET, &path, &owner, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (_, key, _) = app.send(Method::GET, &format!("/api/keys/{key_id}"), &owner, None).await;
    assert_eq!((key["guardrail_id"].clone(), key["firewall_policy_id"].clone()), (Value::Null, Value::Null), "{key}");
    let (_, ws, _) = app.send(Method::GET, "/api/workspace", &owner, None).await;
    assert_eq!(ws["settings"]["default_guardrail_id"], Value::Null);
    assert_eq!(ws["settings"]["default_firewall_policy_id"], Value::Null);
    assert_eq!(ws["settings"]["observe_mode"], true);
}

#[tokio::test]
async fn policy_rules_are_validated_reordered_and_audited() {
    let app = TestApp::new().await;
    let owner = app.as_role(Role::Owner).await;
    let bad = json!({"name": "p", "rules": [{"verdict": "deny", "tool_name_glob": "shell exec"}]});
    let (status, body, _) = app.send(Method::POST, "/api/workspace/firewall/policies", &owner, Some(bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), ["rules[0].tool_name_glob"]);

    let body = json!({"name": "p", "default_verdict": "deny", "rules": [{"priority": 200, "tool_name_glob": "kb.*", "verdict": "allow"}]});
    let (status, policy, _) = app.send(Method::POST, "/api/workspace/firewall/policies", &owner, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{policy}");
    let id = policy["id"].as_i64().expect("id");
    let rules = format!("/api/workspace/firewall/policies/{id}/rules");
    let (status, added, _) = app.send(Method::POST, &rules, &owner, Some(json!({"priority": 10, "tool_name_glob": "shell.*", "verdict": "deny", "label": "no shell"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(added["policy"]["version"], 2);
    assert_eq!(added["policy"]["rules"][0]["label"], "no shell", "rules come back sorted by priority");
    let (status, bad_rule, _) = app.send(Method::POST, &rules, &owner, Some(json!({"verdict": "cap_cost"}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad_rule}");
    assert!(fields(&bad_rule).iter().all(|f| !f.starts_with("rule")), "paths are relative to the rule: {bad_rule}");

    let shell_id = added["rule"]["id"].as_i64().expect("rule id");
    let (status, patched, _) = app.send(Method::PATCH, &format!("{rules}/{shell_id}"), &owner, Some(json!({"priority": 300}))).await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["policy"]["rules"][1]["id"].as_i64(), Some(shell_id));

    let (status, shadow, _) = app.send(Method::PATCH, &format!("/api/workspace/firewall/policies/{id}"), &owner, Some(json!({"shadow_mode": true}))).await;
    assert_eq!((status, shadow["shadow_mode"].as_bool(), shadow["version"].as_i64()), (StatusCode::OK, Some(true), Some(4)));

    let test = json!({"policy_id": id, "surface": "response", "tool_name": "shell.exec", "arguments": {"command": "ls"}, "shadow": false});
    let (status, verdict, _) = app.send(Method::POST, "/api/workspace/firewall/test", &owner, Some(test)).await;
    assert_eq!(status, StatusCode::OK, "{verdict}");
    assert_eq!((verdict["verdict"].as_str(), verdict["rule_id"].as_i64()), (Some("deny"), Some(shell_id)));
    assert_eq!(verdict["trace"][0]["why"], "tool_name_glob");

    let (status, replaced, _) = app.send(Method::PUT, &rules, &owner, Some(json!({"rules": [{"id": shell_id, "priority": 1, "tool_name_glob": "shell.*", "verdict": "audit"}]}))).await;
    assert_eq!(status, StatusCode::OK, "{replaced}");
    assert_eq!(replaced["rules"].as_array().map(Vec::len), Some(1));
    assert_eq!(replaced["rules"][0]["id"].as_i64(), Some(shell_id));
    assert_eq!(
        verbs(&app, &owner).await[..5],
        ["firewall_policy_update", "firewall_policy_update", "firewall_rule_update", "firewall_rule_create", "firewall_policy_create"]
    );
}

#[tokio::test]
async fn templates_presets_and_guardrail_test_use_the_engine() {
    let app = TestApp::new().await;
    let owner = app.as_role(Role::Owner).await;
    let (status, policy, _) = app.send(Method::POST, "/api/workspace/firewall/templates/apply", &owner, Some(json!({"template": "coding"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{policy}");
    assert_eq!((policy["name"].as_str(), policy["is_default"].as_bool()), (Some("coding"), Some(false)));
    let (status, body, _) = app.send(Method::POST, "/api/workspace/firewall/templates/apply", &owner, Some(json!({"template": "nope"}))).await;
    assert_eq!((status, fields(&body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["template".to_owned()]));

    for expected in ["PII Shield", "PII Shield (2)"] {
        let (status, g, _) = app.send(Method::POST, "/api/guardrails/presets/pii_shield/apply", &owner, None).await;
        assert_eq!((status, g["name"].as_str()), (StatusCode::CREATED, Some(expected)), "{g}");
    }
    let test = json!({"draft": {"name": "d", "rules": [email_rule()]}, "stage": "input", "text": "mail bob@acme-corp.io now"});
    let member = app.as_role(Role::Member).await;
    let (status, out, _) = app.send(Method::POST, "/api/guardrails/test", &member, Some(test)).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!((out["blocked"].as_bool(), out["mutated"].as_bool()), (Some(false), Some(true)), "{out}");
    assert!(!out["text"].as_str().unwrap_or("").contains("bob@acme-corp.io"));
    assert_eq!(out["violations"][0]["span"], json!([5, 21]));
    assert_eq!(verbs(&app, &owner).await[..3], ["guardrail_preset_applied", "guardrail_preset_applied", "firewall_template_applied"]);
    let (_, audit, _) = app.send(Method::GET, "/api/audit?verb=guardrail_preset_applied", &owner, None).await;
    let presets: Vec<&Value> = audit["data"].as_array().into_iter().flatten().map(|row| &row["metadata"]["preset"]).collect();
    assert_eq!(presets, [&json!("pii_shield"), &json!("pii_shield")], "the audit row names the preset: {audit}");
}

#[tokio::test]
async fn the_audit_feed_filters_and_pages_without_snapshots() {
    let app = TestApp::new().await;
    let owner = app.as_role(Role::Owner).await;
    for name in ["a", "b", "c"] {
        let (status, _, _) = app.send(Method::POST, "/api/workspace/firewall/policies", &owner, Some(json!({"name": name}))).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, applied, _) = app.send(Method::POST, "/api/workspace/firewall/autonomy", &owner, Some(json!({"level": "tight"}))).await;
    assert_eq!(status, StatusCode::OK, "{applied}");
    let path = "/api/audit?verb=firewall_policy_create&verb=firewall_autonomy_applied&limit=2";
    let (status, first, _) = app.send(Method::GET, path, &owner, None).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["data"].as_array().map(Vec::len), Some(2));
    assert_eq!(first["data"][0]["verb"], "firewall_autonomy_applied");
    assert_eq!(first["data"][0]["undo_available"], true);
    assert!(first["data"][0].get("snapshot").is_none());
    let cursor = first["next_cursor"].as_str().expect("more rows");
    let (_, second, _) = app.send(Method::GET, &format!("{path}&cursor={cursor}"), &owner, None).await;
    let names: Vec<&str> = second["data"].as_array().expect("rows").iter().map(|r| r["metadata"]["name"].as_str().unwrap_or("")).collect();
    assert_eq!(names, ["b", "a"]);
    assert_eq!(second["next_cursor"], Value::Null);

    let audit_id = applied["audit_id"].as_i64().expect("audit id");
    let (status, row, _) = app.send(Method::GET, &format!("/api/audit/{audit_id}"), &owner, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(row.get("snapshot").is_none() && row["snapshot_bytes"].as_i64().is_some_and(|b| b > 0), "{row}");
    let (status, _, _) = app.send(Method::GET, "/api/audit?limit=500", &owner, None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _, _) = app.send(Method::GET, "/api/audit?cursor=garbage", &owner, None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}
