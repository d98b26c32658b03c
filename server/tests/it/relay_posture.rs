//! Guardrails and the firewall on the relay (SPEC §4, §5) over the mock provider, JSON and SSE, with the
//! rows they record and the feeds that read them back.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::relay_chat::{ask, bind_guardrail, bind_policy, chat, relay_key, rows, stream};
use crate::support::TestApp;

fn pii_rule(action: &str, stage: &str) -> Value {
    json!({"type": "pii", "label": "emails", "config": {"entities": ["email"]}, "stage": stage, "action": action})
}

#[tokio::test]
async fn an_input_block_stops_the_request_and_names_the_guardrail_not_the_text() {
    let app = TestApp::new().await;
    let (key_id, secret) = relay_key(&app, json!({})).await;
    let guardrail_id = bind_guardrail(&app, key_id, json!([pii_rule("block", "input")]), false).await;
    let (status, body, _) = chat(&app, &secret, ask("mail jane.doe@acme.io now")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("guardrail_blocked")), "{body}");
    assert_eq!(body["error"]["details"]["guardrail_id"], guardrail_id);
    assert_eq!(body["error"]["details"]["stage"], "input");
    assert!(!body.to_string().contains("jane.doe"), "never echo the matched text: {body}");
    let matches = rows(&app, "/api/guardrails/matches").await;
    assert_eq!(matches.len(), 1);
    assert_eq!((matches[0]["action"].as_str(), matches[0]["entity"].as_str(), matches[0]["stage"].as_str()), (Some("block"), Some("email"), Some("input")));
    assert!(matches[0]["matched"].is_null(), "log_raw_content is off");
    let requests = request_rows(&app).await;
    assert_eq!(requests.iter().filter(|r| r.error_code.as_deref() == Some("guardrail_blocked") && !r.metered).count(), 1);
}

/// Every request row, after the recorder is flushed.
async fn request_rows(app: &TestApp) -> Vec<server::store::entity::request::Model> {
    use sea_orm::EntityTrait;
    app.services.flush_records().await;
    server::store::entity::request::Entity::find().all(&app.services.db).await.expect("requests")
}

#[tokio::test]
async fn masks_apply_on_input_and_output_and_raw_text_is_logged_only_when_enabled() {
    let app = TestApp::new().await;
    let (key_id, secret) = relay_key(&app, json!({})).await;
    bind_guardrail(&app, key_id, json!([pii_rule("mask", "input")]), false).await;
    // The mock echoes what it received: the input mask is visible in the reply.
    let (status, body, _) = chat(&app, &secret, ask("mail jane.doe@acme.io")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["choices"][0]["message"]["content"], "echo: mail [EMAIL]");
    let inputs = rows(&app, "/api/guardrails/matches?stage=input").await;
    assert_eq!((inputs.len(), inputs[0]["matched"].is_null()), (1, true), "log_raw_content is off");
    // REPLY makes the model itself produce an email (an output-only rule lets it through the input).
    bind_guardrail(&app, key_id, json!([pii_rule("mask", "output")]), true).await;
    let (_, body, _) = chat(&app, &secret, ask("REPLY:write to bob.smith@acmemail.io please")).await;
    assert_eq!(body["choices"][0]["message"]["content"], "write to [EMAIL] please");
    let matches = rows(&app, "/api/guardrails/matches?stage=output").await;
    assert_eq!(matches.len(), 1);
    assert_eq!(matches[0]["matched"], "bob.smith@acmemail.io", "log_raw_content is on");
}

#[tokio::test]
async fn an_output_block_is_an_error_on_json_and_a_truncation_notice_on_streams() {
    let app = TestApp::new().await;
    let (key_id, secret) = relay_key(&app, json!({})).await;
    bind_guardrail(&app, key_id, json!([{"type": "keyword", "label": "secret word", "config": {"terms": ["swordfish"]}, "stage": "output", "action": "block"}]), false).await;
    let (status, body, _) = chat(&app, &secret, ask("REPLY:the password is swordfish")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("guardrail_blocked")));
    assert_eq!(body["error"]["details"]["stage"], "output");
    let (status, sse) = stream(&app, &secret, ask("REPLY:line one\nthe password is swordfish")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!sse.raw.contains("swordfish"), "the blocked span never leaves: {}", sse.raw);
    assert!(sse.content().ends_with("policy violation]"), "{}", sse.content());
    assert!(sse.content().contains("[response truncated by guardrail: "));
    assert_eq!(sse.finish_reason().as_deref(), Some("content_filter"));
    assert!(sse.done);
    let requests = request_rows(&app).await;
    assert!(requests.iter().all(|r| !r.metered), "output blocks are never metered");
}

#[tokio::test]
async fn streams_mask_hold_back_and_report_usage_only_when_asked() {
    let app = TestApp::new().await;
    let (key_id, secret) = relay_key(&app, json!({})).await;
    let (status, plain) = stream(&app, &secret, ask("hi")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(plain.content(), "echo: hi");
    assert!(plain.done && plain.chunks.iter().all(|c| c.get("usage").is_none()));
    let mut with_usage = ask("hi");
    with_usage["stream_options"] = json!({"include_usage": true});
    let (_, sse) = stream(&app, &secret, with_usage).await;
    assert_eq!(sse.chunks.last().and_then(|c| c["usage"]["prompt_tokens"].as_i64()), Some(1));
    bind_guardrail(&app, key_id, json!([pii_rule("mask", "output")]), false).await;
    let (_, sse) = stream(&app, &secret, ask("REPLY:reach me at jane.doe@acme.io or not")).await;
    assert_eq!(sse.content(), "reach me at [EMAIL] or not");
    assert!(!sse.raw.contains("jane.doe"));
    assert_eq!(sse.finish_reason().as_deref(), Some("stop"));
}

#[tokio::test]
async fn the_firewall_judges_advertised_tools_and_emitted_calls() {
    let app = TestApp::new().await;
    let (key_id, secret) = relay_key(&app, json!({})).await;
    let rules = json!([
        {"priority": 10, "label": "no shell", "tool_name_glob": "shell.*", "verdict": "deny"},
        {"priority": 20, "label": "scrub secrets", "stage": "response", "tool_name_glob": "http.post", "verdict": "sanitize"},
        {"priority": 30, "label": "reads ok", "tool_name_glob": "fs.read", "verdict": "allow"}
    ]);
    bind_policy(&app, key_id, "audit", rules).await;
    let mut advertised = ask("hi");
    advertised["tools"] = json!([{"type": "function", "function": {"name": "fs.read"}}, {"type": "function", "function": {"name": "shell.exec"}}]);
    let (status, body, _) = chat(&app, &secret, advertised).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("firewall_blocked")), "{body}");
    assert_eq!(body["error"]["details"]["tools"], json!(["shell.exec"]));
    assert!(body["error"]["message"].as_str().expect("message").contains("no shell"));

    let (status, body, _) = chat(&app, &secret, ask("TOOLCALL:shell.run:{\"cmd\":\"ls\"}")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("firewall_blocked")));
    let key = "AKIAIOSFODNN7EXAMPLE";
    let (status, body, _) = chat(&app, &secret, ask(&format!("TOOLCALL:http.post:{{\"auth\":\"Bearer abc.def\",\"k\":\"{key}\"}}"))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let arguments = body["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"].as_str().expect("arguments");
    assert!(arguments.contains("[redacted:bearer]") && !arguments.contains("abc.def"), "{arguments}");
    assert_eq!(body["choices"][0]["finish_reason"], "tool_calls");

    // Streams: an allowed call arrives as one delta with whole arguments; a denied one is an error event.
    let (_, sse) = stream(&app, &secret, ask("TOOLCALL:fs.read:{\"path\":\"/etc/hostname\"}")).await;
    let calls: Vec<&Value> = sse.chunks.iter().filter_map(|c| c.pointer("/choices/0/delta/tool_calls/0")).collect();
    assert_eq!(calls.len(), 1, "{}", sse.raw);
    assert_eq!(calls[0]["function"]["arguments"], "{\"path\":\"/etc/hostname\"}");
    assert!(sse.done);
    let (_, sse) = stream(&app, &secret, ask("TOOLCALL:shell.exec:{\"cmd\":\"rm -rf /\"}")).await;
    assert_eq!(sse.errors.len(), 1, "{}", sse.raw);
    assert_eq!(sse.errors[0]["error"]["code"], "firewall_blocked");
    assert!(!sse.done, "a mid-stream error closes without [DONE]");
    assert!(!sse.raw.contains("rm -rf"), "a denied call is never released");

    let events = rows(&app, "/api/workspace/firewall/events?verdict=deny").await;
    assert_eq!(events.len(), 3, "{events:?}");
    assert!(events.iter().all(|e| e["rule_label"] == "no shell"));
    let sanitized = rows(&app, "/api/workspace/firewall/events?verdict=sanitize").await;
    assert!(sanitized[0]["args_hash"].as_str().is_some_and(|h| h.len() == 64));
    assert!(!sanitized[0]["args_summary"].as_str().expect("summary").contains("abc.def"));
    let tools = rows(&app, "/api/workspace/firewall/discovered").await;
    let names: Vec<&str> = tools.iter().filter_map(|t| t["tool_name"].as_str()).collect();
    for expected in ["fs.read", "shell.exec", "shell.run", "http.post"] {
        assert!(names.contains(&expected), "{names:?}");
    }
}

#[tokio::test]
async fn observe_mode_logs_gaps_without_a_policy_and_posture_changes_apply_at_once() {
    let app = TestApp::new().await;
    let (key_id, secret) = relay_key(&app, json!({})).await;
    let (status, _, _) = chat(&app, &secret, ask("TOOLCALL:db.write:{}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(rows(&app, "/api/workspace/firewall/events").await.is_empty(), "no policy, observe off: nothing logged");
    let owner = app.login("owner@example.com").await;
    let (status, body, _) = app.send(Method::PATCH, "/api/workspace/settings", &owner, Some(json!({"observe_mode": true}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    chat(&app, &secret, ask("TOOLCALL:db.write:{}")).await;
    let events = rows(&app, "/api/workspace/firewall/events").await;
    assert_eq!((events.len(), events[0]["verdict"].as_str(), events[0]["gap"].as_bool()), (1, Some("observe"), Some(true)));

    let guardrail_id = bind_guardrail(&app, key_id, json!([pii_rule("block", "input")]), false).await;
    assert_eq!(chat(&app, &secret, ask("a@acme.io")).await.0, StatusCode::BAD_REQUEST);
    let body = json!({"name": "renamed", "enabled": false, "rules": [pii_rule("block", "input")]});
    let (status, updated, _) = app.send(Method::PUT, &format!("/api/guardrails/{guardrail_id}"), &owner, Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(chat(&app, &secret, ask("a@acme.io")).await.0, StatusCode::OK, "a disabled binding is an off switch, at once");
}

#[tokio::test]
async fn runs_and_traces_follow_lineage_headers() {
    let app = TestApp::new().await;
    let (_, secret) = relay_key(&app, json!({})).await;
    let steps = [("s1", None), ("s2", Some("s1"))];
    for (step, parent) in steps {
        let mut headers = vec![("x-palisade-run-id", "run-42"), ("x-palisade-step-id", step)];
        if let Some(parent) = parent {
            headers.push(("x-palisade-parent-step-id", parent));
        }
        let (status, response_headers, _) = crate::relay_chat::post_raw(&app, "/v1/chat/completions", &secret, ask("hi").to_string(), &headers).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(response_headers["x-palisade-run-id"], "run-42");
    }
    let runs = rows(&app, "/api/workspace/firewall/runs").await;
    assert_eq!((runs.len(), runs[0]["run_id"].as_str(), runs[0]["requests"].as_i64()), (1, Some("run-42"), Some(2)));
    assert!(runs[0]["cost_usd"].as_f64().is_some_and(|cost| cost > 0.0));
    let owner = app.login("owner@example.com").await;
    let (status, trace, _) = app.send(Method::GET, "/api/workspace/firewall/runs/run-42", &owner, None).await;
    assert_eq!(status, StatusCode::OK, "{trace}");
    assert_eq!(trace["steps"][0]["step_id"], "s1");
    assert_eq!(trace["steps"][0]["children"][0]["step_id"], "s2");
    let (status, _, _) = app.send(Method::GET, "/api/workspace/firewall/runs/nope", &owner, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn embeddings_are_screened_metered_at_zero_and_eight_dimensional() {
    let app = TestApp::new().await;
    let (key_id, secret) = relay_key(&app, json!({})).await;
    let body = json!({"model": "mock/embed", "input": ["a", "b"]});
    let (status, _, text) = crate::relay_chat::post_raw(&app, "/v1/embeddings", &secret, body.to_string(), &[]).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let reply: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(reply["data"].as_array().map(Vec::len), Some(2));
    assert_eq!(reply["data"][0]["embedding"].as_array().map(Vec::len), Some(8));
    bind_guardrail(&app, key_id, json!([pii_rule("block", "input")]), false).await;
    let body = json!({"model": "mock/embed", "input": "x@acme.io"});
    let (status, _, text) = crate::relay_chat::post_raw(&app, "/v1/embeddings", &secret, body.to_string(), &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(text.contains("guardrail_blocked"));
    let tokens = json!({"model": "mock/embed", "input": [[1, 2, 3]]});
    let (status, _, text) = crate::relay_chat::post_raw(&app, "/v1/embeddings", &secret, tokens.to_string(), &[]).await;
    assert_eq!((status, text.contains("\"param\":\"input\"")), (StatusCode::BAD_REQUEST, true), "{text}");
}

#[tokio::test]
async fn an_llm_judge_blocks_through_the_mock_and_fails_open_on_errors() {
    let app = TestApp::new().await;
    let (key_id, secret) = relay_key(&app, json!({})).await;
    let rules = json!([
        {"type": "llm_judge", "label": "judge", "config": {"model": "mock/echo", "rubric": "no violations"}, "stage": "input", "action": "block"},
        {"type": "llm_judge", "label": "broken judge", "config": {"model": "mock/missing", "rubric": "r"}, "stage": "input", "action": "block"}
    ]);
    bind_guardrail(&app, key_id, rules, false).await;
    let (status, body, _) = chat(&app, &secret, ask("please MOCK_VIOLATION")).await;
    assert_eq!((status, body["error"]["details"]["rule_label"].as_str()), (StatusCode::BAD_REQUEST, Some("judge")), "{body}");
    let (status, body, _) = chat(&app, &secret, ask("all fine")).await;
    assert_eq!(status, StatusCode::OK, "the broken judge fails open: {body}");
    let errors = rows(&app, "/api/guardrails/matches?rule_type=llm_judge&action=flag").await;
    assert!(errors.iter().any(|m| m["error"] == true && m["detail"] == "llm_judge error: unknown judge model (fail-open)"), "{errors:?}");
}
