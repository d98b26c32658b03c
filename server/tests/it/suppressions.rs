//! False-positive suppression end to end (SPEC §4.11, §2.10): mark-fp from a match row, what the relay then
//! stops enforcing, delete, `hide_fp`, the CSV export of the Matches feed and the single-match read.

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use chrono::Utc;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use server::domain::Role;
use server::store::guardrail_matches::MatchRecord;
use tower::ServiceExt;

use crate::posture::{posture_version, verbs};
use crate::relay_chat::{ask, bind_guardrail, chat, relay_key, rows, stream};
use crate::support::{Caller, TestApp};

fn email_mask(stage: &str) -> Value {
    json!({"type": "pii", "label": "emails", "config": {"entities": ["email"]}, "stage": stage, "action": "mask"})
}

/// Marks match `id` as a false positive as `caller`; returns status and body.
async fn mark(app: &TestApp, caller: &Caller, id: i64, body: Option<Value>) -> (StatusCode, Value) {
    let (status, body, _) = app.send(Method::POST, &format!("/api/guardrails/matches/{id}/mark-fp"), caller, body).await;
    (status, body)
}

/// GETs `path` as `caller` and returns status, headers and the raw body text.
async fn get_text(app: &TestApp, path: &str, caller: &Caller) -> (StatusCode, HeaderMap, String) {
    let Caller::Session { cookie, .. } = caller else { panic!("session caller expected") };
    let request = Request::builder()
        .method(Method::GET)
        .uri(path)
        .header(header::COOKIE, format!("palisade_session={cookie}"))
        .body(Body::empty())
        .expect("request");
    let response = app.router.clone().oneshot(request).await.expect("router");
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    (status, headers, String::from_utf8(bytes.to_vec()).expect("utf-8"))
}

fn ids(rows: &[Value]) -> Vec<i64> {
    rows.iter().filter_map(|row| row["id"].as_i64()).collect()
}

#[tokio::test]
async fn a_marked_value_passes_unmasked_and_unrecorded_until_the_suppression_is_deleted() {
    let app = TestApp::new().await;
    let admin = app.as_role(Role::Admin).await;
    let (key_id, secret) = relay_key(&app, json!({})).await;
    let guardrail_id = bind_guardrail(&app, key_id, json!([email_mask("both")]), false).await;
    let (status, body, _) = chat(&app, &secret, ask("mail jane.doe@acme.io")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["choices"][0]["message"]["content"], "echo: mail [EMAIL]");
    let matches = rows(&app, "/api/guardrails/matches").await;
    assert_eq!(matches.len(), 1);
    assert_eq!(matches[0]["false_positive"], false);

    let (status, marked) = mark(&app, &admin, ids(&matches)[0], Some(json!({"note": "our support address"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{marked}");
    assert_eq!((marked["entity_type"].as_str(), marked["note"].as_str()), (Some("email"), Some("our support address")));
    assert_eq!(marked["fingerprint"], matches[0]["fingerprint"], "both show the same 12-hex prefix");
    assert_eq!(rows(&app, "/api/guardrails/matches").await[0]["false_positive"], true);

    // The Test tab runs the saved guardrail under the list too, and says what it hid.
    let test = json!({"guardrail_id": guardrail_id, "stage": "input", "text": "mail jane.doe@acme.io or bob.smith@acmemail.io"});
    let (status, tested, _) = app.send(Method::POST, "/api/guardrails/test", &admin, Some(test)).await;
    assert_eq!(status, StatusCode::OK, "{tested}");
    assert_eq!(tested["text"], "mail jane.doe@acme.io or [EMAIL]", "only the unmarked address is masked");
    let flags: Vec<(Value, Value)> = tested["violations"].as_array().into_iter().flatten().map(|v| (v["span"].clone(), v["suppressed"].clone())).collect();
    assert_eq!(flags, [(json!([25, 46]), json!(false)), (json!([5, 21]), json!(true))], "{tested}");

    // The same value now passes untouched on input, on output and on streams, and writes no match row.
    let (_, body, _) = chat(&app, &secret, ask("mail Jane.Doe@acme.io")).await;
    assert_eq!(body["choices"][0]["message"]["content"], "echo: mail Jane.Doe@acme.io", "the fingerprint ignores case");
    let (_, sse) = stream(&app, &secret, ask("REPLY:write to jane.doe@acme.io")).await;
    assert_eq!(sse.content(), "write to jane.doe@acme.io");
    assert_eq!(rows(&app, "/api/guardrails/matches").await.len(), 1, "suppressed findings are not recorded");
    // Another value of the same rule is still enforced.
    let (_, body, _) = chat(&app, &secret, ask("mail bob.smith@acmemail.io")).await;
    assert_eq!(body["choices"][0]["message"]["content"], "echo: mail [EMAIL]");
    assert_eq!(rows(&app, "/api/guardrails/matches").await.len(), 2, "the input row (the echo carries the mask)");

    let (status, list, _) = app.send(Method::GET, "/api/guardrails/suppressions", &admin, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1));
    let suppression_id = list["data"][0]["id"].as_i64().expect("id");
    let (status, _, _) = app.send(Method::DELETE, &format!("/api/guardrails/suppressions/{suppression_id}"), &admin, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let matches = rows(&app, "/api/guardrails/matches").await;
    assert!(matches.iter().all(|row| row["false_positive"] == false), "delete clears the flags: {matches:?}");
    let (_, body, _) = chat(&app, &secret, ask("mail jane.doe@acme.io")).await;
    assert_eq!(body["choices"][0]["message"]["content"], "echo: mail [EMAIL]", "enforced again");
    assert_eq!(rows(&app, "/api/guardrails/matches").await.len(), 3);
    let (status, _, _) = app.send(Method::DELETE, &format!("/api/guardrails/suppressions/{suppression_id}"), &admin, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "already gone");
    let owner = app.as_role(Role::Owner).await;
    let verbs = verbs(&app, &owner).await;
    assert_eq!(verbs[..2], ["guardrail_suppression_deleted".to_owned(), "guardrail_match_marked_fp".to_owned()]);
}

#[tokio::test]
async fn mark_fp_is_idempotent_flags_every_row_of_the_fingerprint_and_hide_fp_filters_them() {
    let app = TestApp::new().await;
    let admin = app.as_role(Role::Admin).await;
    let (key_id, secret) = relay_key(&app, json!({})).await;
    bind_guardrail(&app, key_id, json!([email_mask("input")]), false).await;
    for text in ["mail jane.doe@acme.io", "again jane.doe@acme.io", "mail bob.smith@acmemail.io"] {
        let (status, body, _) = chat(&app, &secret, ask(text)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let all = rows(&app, "/api/guardrails/matches").await;
    assert_eq!(all.len(), 3);
    let (bob, jane) = (all[0]["id"].as_i64().expect("id"), [all[1]["id"].as_i64().expect("id"), all[2]["id"].as_i64().expect("id")]);
    assert_eq!(all[1]["fingerprint"], all[2]["fingerprint"]);

    let version = posture_version(&app).await;
    let (status, first) = mark(&app, &admin, jane[0], None).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["flagged_matches"], 2, "both rows with the fingerprint");
    assert_eq!(posture_version(&app).await, version + 1, "a suppression is a posture change");
    let (status, again) = mark(&app, &admin, jane[1], Some(json!({"note": "ignored"}))).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!((again["id"].clone(), again["note"].clone()), (first["id"].clone(), json!("")), "the existing suppression");
    assert_eq!(posture_version(&app).await, version + 1, "a repeat changes nothing");

    let flags: Vec<(i64, bool)> = rows(&app, "/api/guardrails/matches").await.iter().map(|r| (r["id"].as_i64().unwrap_or(0), r["false_positive"] == true)).collect();
    assert_eq!(flags, vec![(bob, false), (jane[0], true), (jane[1], true)]);
    assert_eq!(ids(&rows(&app, "/api/guardrails/matches?hide_fp=true").await), vec![bob]);
    assert_eq!(rows(&app, "/api/guardrails/matches?hide_fp=false").await.len(), 3);
    let (_, list, _) = app.send(Method::GET, "/api/guardrails/suppressions", &app.as_role(Role::Member).await, None).await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1), "Members read the list: {list}");
    let owner = app.as_role(Role::Owner).await;
    assert_eq!(verbs(&app, &owner).await.iter().filter(|v| *v == "guardrail_match_marked_fp").count(), 1);
}

#[tokio::test]
async fn max_chars_bad_notes_unknown_and_foreign_matches_are_refused() {
    let app = TestApp::new().await;
    let admin = app.as_role(Role::Admin).await;
    let (key_id, secret) = relay_key(&app, json!({})).await;
    bind_guardrail(&app, key_id, json!([{"type": "max_chars", "stage": "input", "action": "flag", "config": {"limit": 5}}, email_mask("input")]), false).await;
    let (status, body, _) = chat(&app, &secret, ask("mail jane.doe@acme.io")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let all = rows(&app, "/api/guardrails/matches").await;
    let of_type = |t: &str| all.iter().find(|r| r["rule_type"] == t).and_then(|r| r["id"].as_i64()).expect("row of type");
    let (status, body) = mark(&app, &admin, of_type("max_chars"), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("validation_error")), "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "id");
    assert!(body["error"]["message"].as_str().unwrap_or_default().contains("max_chars"), "{body}");
    let (status, body) = mark(&app, &admin, of_type("pii"), Some(json!({"note": "x".repeat(257)}))).await;
    assert_eq!((status, body["error"]["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("note")), "{body}");
    let (status, body) = mark(&app, &admin, of_type("pii"), Some(json!({"notes": "typo"}))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_request_error")), "{body}");
    let (status, _) = mark(&app, &admin, 999_999, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = mark(&app, &app.as_role(Role::Developer).await, of_type("pii"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "Admin+ only");
    let (status, list, _) = app.send(Method::GET, "/api/guardrails/suppressions", &admin, None).await;
    assert_eq!((status, list["data"].as_array().map(Vec::len)), (StatusCode::OK, Some(0)), "nothing was added");

    // A match and a suppression of another workspace are invisible (404), and stay as they were.
    let db = &app.services.db;
    let other = server::store::workspaces::insert(db, "other", Utc::now()).await.expect("workspace");
    let foreign = MatchRecord {
        workspace_id: other.id,
        created_at: Utc::now(),
        request_id: "req_other".into(),
        guardrail_id: 1,
        rule_id: 1,
        rule_type: "pii".into(),
        stage: "input".into(),
        action: "mask".into(),
        entity: Some("email".into()),
        count: 1,
        detail: "pii: email".into(),
        fingerprint: "f".repeat(64),
        ..Default::default()
    };
    server::store::guardrail_matches::insert(db, &foreign).await.expect("insert match");
    let (rows_other, _) = server::store::guardrail_matches::list(db, other.id, &Default::default(), &server::store::keyset::PageQuery { limit: 5, ..Default::default() })
        .await
        .expect("list");
    let (status, _) = mark(&app, &admin, rows_other[0].id, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = app.send(Method::GET, &format!("/api/guardrails/matches/{}", rows_other[0].id), &admin, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let new = server::store::suppressions::NewSuppression {
        workspace_id: other.id,
        fingerprint: "f".repeat(64),
        guardrail_id: 1,
        rule_id: 1,
        entity_type: "email".into(),
        source_match_id: None,
        note: String::new(),
        created_by: None,
        created_at: Utc::now(),
    };
    let theirs = server::store::suppressions::insert(db, new).await.expect("insert suppression");
    let (status, _, _) = app.send(Method::DELETE, &format!("/api/guardrails/suppressions/{}", theirs.id), &admin, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(server::store::suppressions::find(db, other.id, theirs.id).await.expect("find").is_some());
}

#[tokio::test]
async fn one_match_reads_with_matched_only_for_developers() {
    let app = TestApp::new().await;
    let (key_id, secret) = relay_key(&app, json!({})).await;
    bind_guardrail(&app, key_id, json!([email_mask("input")]), true).await;
    chat(&app, &secret, ask("mail jane.doe@acme.io")).await;
    let id = ids(&rows(&app, "/api/guardrails/matches").await)[0];
    let path = format!("/api/guardrails/matches/{id}");
    let (status, row, _) = app.send(Method::GET, &path, &app.as_role(Role::Developer).await, None).await;
    assert_eq!((status, row["matched"].as_str(), row["id"].as_i64()), (StatusCode::OK, Some("jane.doe@acme.io"), Some(id)));
    let (status, row, _) = app.send(Method::GET, &path, &app.as_role(Role::Member).await, None).await;
    assert_eq!((status, row["matched"].is_null(), row["entity"].as_str()), (StatusCode::OK, true, Some("email")));
}

#[tokio::test]
async fn the_csv_export_quotes_neutralises_formulas_filters_and_hides_matched_from_members() {
    let app = TestApp::new().await;
    let (key_id, secret) = relay_key(&app, json!({"name": "=2+5 key"})).await;
    let keyword = json!({"type": "keyword", "label": "say \"hi\", ok", "stage": "input", "action": "flag", "config": {"terms": ["=hyperlink"]}});
    bind_guardrail(&app, key_id, json!([keyword, email_mask("input")]), true).await;
    let (status, body, _) = chat(&app, &secret, ask("=HYPERLINK(\"http://x\") and jane.doe@acme.io")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.services.flush_records().await;

    let developer = app.as_role(Role::Developer).await;
    let (status, headers, text) = get_text(&app, "/api/guardrails/matches.csv", &developer).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap_or_default().starts_with("text/csv"));
    assert!(headers[header::CONTENT_DISPOSITION].to_str().unwrap_or_default().starts_with("attachment"));
    assert_eq!(headers["x-palisade-truncated"], "false");
    assert!(text.contains("\"say \"\"hi\"\", ok\""), "RFC 4180 quoting: {text}");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header_row: Vec<String> = reader.headers().expect("header").iter().map(str::to_owned).collect();
    let column = |name: &str| header_row.iter().position(|h| h == name).unwrap_or_else(|| panic!("column {name} in {header_row:?}"));
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(records.len(), 2);
    let keyword_row = records.iter().find(|r| &r[column("rule_type")] == "keyword").expect("keyword row");
    assert_eq!(&keyword_row[column("key_name")], "'=2+5 key", "formula cells get an apostrophe");
    assert_eq!(&keyword_row[column("matched")], "'=HYPERLINK");
    assert_eq!(&keyword_row[column("rule_label")], "say \"hi\", ok");
    let email_row = records.iter().find(|r| &r[column("rule_type")] == "pii").expect("pii row");
    assert_eq!(&email_row[column("matched")], "jane.doe@acme.io", "plain cells are untouched");

    let member = app.as_role(Role::Member).await;
    let (status, _, text) = get_text(&app, "/api/guardrails/matches.csv", &member).await;
    assert_eq!(status, StatusCode::OK);
    let first_line = text.lines().next().unwrap_or_default();
    assert!(!first_line.split(',').any(|h| h == "matched"), "{first_line}");
    assert!(!text.contains("HYPERLINK") && !text.contains("jane.doe"), "no raw text for Members: {text}");
    assert!(text.contains("'=2+5 key"));

    let (_, _, text) = get_text(&app, "/api/guardrails/matches.csv?rule_type=pii&stage=input", &developer).await;
    assert_eq!(text.lines().count(), 2, "header and the pii row: {text}");
    let (_, _, text) = get_text(&app, "/api/guardrails/matches.csv?stage=output", &developer).await;
    assert_eq!(text.lines().count(), 1, "only the header: {text}");
    let (status, _, text) = get_text(&app, "/api/guardrails/matches.csv?limit=5", &developer).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "the export is bounded, not paged: {text}");

    // hide_fp applies to the export as to the feed.
    let pii_id = rows(&app, "/api/guardrails/matches?rule_type=pii").await[0]["id"].as_i64().expect("id");
    let (status, _) = mark(&app, &app.as_role(Role::Admin).await, pii_id, None).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, _, text) = get_text(&app, "/api/guardrails/matches.csv?hide_fp=true", &developer).await;
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(!text.contains("jane.doe"));
}
