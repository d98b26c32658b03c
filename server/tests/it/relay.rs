//! The relay plane as far as the foundation goes: `/v1/models` with key auth, expiry, IP allow-list,
//! model allow-list, the OpenAI envelope and the request id header.

use axum::http::{Method, StatusCode};
use serde_json::json;
use server::domain::Role;

use crate::support::{Caller, TestApp};

#[tokio::test]
async fn a_relay_key_lists_the_mock_models_in_openai_shape() {
    let app = TestApp::new().await;
    let (_, secret) = app.key("relay").await;
    let (status, body, headers) = app.send(Method::GET, "/v1/models", &Caller::Bearer(secret.clone()), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["object"], "list");
    let ids: Vec<&str> = body["data"].as_array().expect("data").iter().map(|m| m["id"].as_str().expect("id")).collect();
    assert_eq!(ids, ["mock/echo", "mock/embed"]);
    assert_eq!(body["data"][0]["object"], "model");
    assert_eq!(body["data"][0]["owned_by"], "mock");
    let request_id = headers["x-palisade-request-id"].to_str().expect("ascii");
    assert!(request_id.starts_with("req_") && request_id.len() == 28, "{request_id}");

    let (status, body, _) = app.send(Method::GET, "/v1/models/mock/nope", &Caller::Bearer(secret), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "model_not_found");
    assert_eq!(body["error"]["type"], "invalid_request_error");
}

#[tokio::test]
async fn relay_auth_failures_use_openai_codes() {
    let app = TestApp::new().await;
    let owner = app.as_role(Role::Owner).await;
    let cases = [
        (json!({"name": "expired", "expires_at": "2020-01-01T00:00:00Z"}), StatusCode::UNAUTHORIZED, "key_expired", "authentication_error"),
        (json!({"name": "wrong-ip", "ip_allowlist": ["10.9.9.9"]}), StatusCode::FORBIDDEN, "access_denied", "permission_error"),
        (json!({"name": "disabled", "status": "disabled"}), StatusCode::UNAUTHORIZED, "invalid_api_key", "authentication_error"),
        (json!({"name": "no-models-scope", "scopes": ["chat"]}), StatusCode::FORBIDDEN, "forbidden", "permission_error"),
    ];
    for (body, expected_status, code, kind) in cases {
        let (status, created, _) = app.send(Method::POST, "/api/keys", &owner, Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let secret = created["secret"].as_str().expect("secret").to_owned();
        let (status, error, _) = app.send(Method::GET, "/v1/models", &Caller::Bearer(secret), None).await;
        assert_eq!((status, error["error"]["code"].as_str()), (expected_status, Some(code)), "{error}");
        assert_eq!(error["error"]["type"], kind);
        assert!(error["error"].get("param").is_some(), "OpenAI envelope always has param");
    }
    let (status, error, _) = app.send(Method::GET, "/v1/models", &Caller::Bearer("sk-pal-unknown".into()), None).await;
    assert_eq!((status, error["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_api_key")));
    let (status, error, _) = app.send(Method::POST, "/v1/no-such-thing", &Caller::Anonymous, None).await;
    assert_eq!((status, error["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
}

#[tokio::test]
async fn the_model_allow_list_filters_the_catalogue() {
    let app = TestApp::new().await;
    let owner = app.as_role(Role::Owner).await;
    let body = json!({"name": "embed-only", "model_allowlist_enabled": true, "model_allowlist": ["mock/embed"]});
    let (_, created, _) = app.send(Method::POST, "/api/keys", &owner, Some(body)).await;
    let secret = created["secret"].as_str().expect("secret").to_owned();
    let (_, list, _) = app.send(Method::GET, "/v1/models", &Caller::Bearer(secret.clone()), None).await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(list["data"][0]["id"], "mock/embed");
    let (status, _, _) = app.send(Method::GET, "/v1/models/mock/echo", &Caller::Bearer(secret), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_key_made_by_the_admin_cli_is_audited_as_system_and_works() {
    let app = TestApp::new().await;
    server::cli::admin::create_key(&app.services, "default", "from-cli", "relay").await.expect("create key");
    let duplicate = server::cli::admin::create_key(&app.services, "default", "from-cli", "relay").await.expect_err("same name");
    assert!(duplicate.to_string().contains("already exists"), "{duplicate}");
    let unknown = server::cli::admin::create_key(&app.services, "nope", "x", "relay").await.expect_err("no workspace");
    assert!(unknown.to_string().contains("not found"), "{unknown}");
    let audit = server::store::audit::recent(&app.services.db, app.workspace_id(), 5).await.expect("audit");
    let row = audit.iter().find(|entry| entry.verb == "api_key_create").expect("audit row");
    assert_eq!((row.actor_type.as_str(), row.actor_label.as_str()), ("system", "system"));
    assert_eq!(row.metadata["name"], "from-cli");
}
