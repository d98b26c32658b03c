//! `PATCH /api/workspace/settings` beyond authorization: the approval webhook URL is SSRF-checked on save
//! by resolving its host through the dial guard (SPEC §2.1, §5.11), and the workspace name is an Admin
//! setting audited as `workspace_settings_update`.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};
use server::domain::Role;

use crate::support::TestApp;

fn webhook(url: &str) -> Option<Value> {
    Some(json!({"approval_webhook_url": url}))
}

fn refusal(body: &Value) -> (Option<&str>, Option<&str>) {
    (body["error"]["code"].as_str(), body["error"]["fields"][0]["field"].as_str())
}

#[tokio::test]
async fn webhook_urls_resolving_to_private_addresses_are_refused_on_save() {
    let app = TestApp::new().await;
    let developer = app.as_role(Role::Developer).await;
    // `localhost` is a name, not a literal: only resolving it reveals 127.0.0.1 / ::1.
    for url in ["https://localhost/hook", "https://10.1.2.3/hook", "https://[::1]/hook", "https://169.254.169.254/latest", "https://[::ffff:10.0.0.1]/x"] {
        let (status, body, _) = app.send(Method::PATCH, "/api/workspace/settings", &developer, webhook(url)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {body}");
        assert_eq!(refusal(&body), (Some("validation_error"), Some("approval_webhook_url")), "{url}: {body}");
    }
    let (_, body, _) = app.send(Method::PATCH, "/api/workspace/settings", &developer, webhook("https://localhost/hook")).await;
    assert!(body["error"]["fields"][0]["message"].as_str().is_some_and(|m| m.contains("private or metadata")), "{body}");
    let (status, body, _) = app.send(Method::PATCH, "/api/workspace/settings", &developer, webhook("http://localhost/hook")).await;
    assert_eq!(refusal(&body), (Some("validation_error"), Some("approval_webhook_url")), "http is refused first: {status} {body}");
    let settings = server::store::workspaces::settings(&app.services.db, 1).await.expect("query").expect("workspace");
    assert_eq!(settings.approval_webhook_url, None, "nothing refused was stored");
    let audit = server::store::audit::recent(&app.services.db, 1, 50).await.expect("audit");
    assert!(audit.iter().all(|row| row.verb != "firewall_settings_update"), "refused saves write no audit row");
}

#[tokio::test]
async fn allow_private_destinations_admits_a_listed_range() {
    let app = TestApp::with_config(|config| {
        config.security.allow_private_destinations = vec!["127.0.0.0/8".into(), "::1/128".into()];
    })
    .await;
    let developer = app.as_role(Role::Developer).await;
    let (status, body, _) = app.send(Method::PATCH, "/api/workspace/settings", &developer, webhook("https://localhost:8443/hook")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["settings"]["approval_webhook_url"], "https://localhost:8443/hook");
    let (status, body, _) = app.send(Method::PATCH, "/api/workspace/settings", &developer, webhook("https://10.0.0.1/hook")).await;
    assert_eq!((status, refusal(&body).1), (StatusCode::UNPROCESSABLE_ENTITY, Some("approval_webhook_url")), "10/8 is not listed");
    let (status, body, _) = app.send(Method::PATCH, "/api/workspace/settings", &developer, Some(json!({"approval_webhook_url": null}))).await;
    assert_eq!((status, &body["settings"]["approval_webhook_url"]), (StatusCode::OK, &Value::Null), "null clears without a lookup");
}

#[tokio::test]
async fn the_workspace_name_is_an_admin_setting() {
    let app = TestApp::new().await;
    let developer = app.as_role(Role::Developer).await;
    let (status, _, _) = app.send(Method::PATCH, "/api/workspace/settings", &developer, Some(json!({"name": "renamed"}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let admin = app.as_role(Role::Admin).await;
    let (status, body, _) = app.send(Method::PATCH, "/api/workspace/settings", &admin, Some(json!({"name": "  "}))).await;
    assert_eq!((status, refusal(&body).1), (StatusCode::UNPROCESSABLE_ENTITY, Some("name")), "{body}");
    let (status, body, _) = app.send(Method::PATCH, "/api/workspace/settings", &admin, Some(json!({"name": " Research "}))).await;
    assert_eq!((status, body["name"].as_str()), (StatusCode::OK, Some("Research")), "{body}");
    let audit = server::store::audit::recent(&app.services.db, 1, 1).await.expect("audit");
    assert_eq!((audit[0].verb.as_str(), &audit[0].metadata["name"]), ("workspace_settings_update", &json!("Research")));
}
