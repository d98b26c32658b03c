//! The `/api` envelope for bad input: malformed JSON, unknown fields, validation, unknown routes,
//! duplicate names; and the one-time display of secrets.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::json;
use server::domain::Role;

use crate::support::{Caller, TestApp};

#[tokio::test]
async fn malformed_bodies_get_clear_errors_in_the_api_envelope() {
    let app = TestApp::new().await;
    let caller = app.as_role(Role::Developer).await;
    let Caller::Session { cookie, csrf } = &caller else { unreachable!("session caller") };
    let request = Request::post("/api/keys")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::COOKIE, format!("palisade_session={cookie}"))
        .header("x-palisade-csrf", csrf)
        .body(Body::from("{\"name\": "))
        .expect("request");
    let (status, body, _) = app.raw(request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "invalid_request_error");
    assert_eq!(body["error"]["message"], "request body is not valid JSON");

    let (status, body, _) = app.send(Method::POST, "/api/keys", &caller, Some(json!({"name": "x", "colour": "red"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"]["message"].as_str().expect("message").contains("colour"), "{body}");

    let (status, body, _) =
        app.send(Method::POST, "/api/keys", &caller, Some(json!({"name": "ok", "ip_allowlist": ["10.0.0.0/8", "nope"]}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "validation_error");
    assert_eq!(body["error"]["fields"][0]["field"], "ip_allowlist[1]");

    let (status, body, _) = app.send(Method::GET, "/api/no-such-route", &caller, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");

    let (status, _, _) = app.send(Method::GET, "/api/keys/999999", &caller, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_key_secret_is_shown_once_and_stored_only_as_a_hash() {
    let app = TestApp::new().await;
    let caller = app.as_role(Role::Developer).await;
    let (status, created, _) = app.send(Method::POST, "/api/keys", &caller, Some(json!({"name": "ci"}))).await;
    assert_eq!(status, StatusCode::CREATED);
    let secret = created["secret"].as_str().expect("secret on create").to_owned();
    assert!(secret.starts_with("sk-pal-") && secret.len() == 39);
    assert_eq!(created["key_hint"], format!("sk-pal-****{}", &secret[35..]));
    let (_, listed, _) = app.send(Method::GET, "/api/keys", &caller, None).await;
    assert!(listed["data"][0].get("secret").is_none(), "list must not carry secrets");
    let (_, fetched, _) = app.send(Method::GET, &format!("/api/keys/{}", created["id"]), &caller, None).await;
    assert!(fetched.get("secret").is_none());

    let (status, body, _) = app.send(Method::POST, "/api/keys", &caller, Some(json!({"name": "ci"}))).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "name_taken");

    // Rotation: new secret once, old one dead at once.
    let (status, rotated, _) = app.send(Method::POST, &format!("/api/keys/{}/rotate", created["id"]), &caller, None).await;
    assert_eq!(status, StatusCode::OK);
    let new_secret = rotated["secret"].as_str().expect("secret on rotate");
    assert_ne!(new_secret, secret);
    assert_eq!(app.send(Method::GET, "/v1/models", &Caller::Bearer(secret), None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.send(Method::GET, "/v1/models", &Caller::Bearer(new_secret.into()), None).await.0, StatusCode::OK);

    // The audit trail names the key but never its secret.
    let audit = server::store::audit::recent(&app.services.db, app.workspace_id(), 10).await.expect("audit");
    let verbs: Vec<&str> = audit.iter().map(|entry| entry.verb.as_str()).collect();
    assert!(verbs.contains(&"api_key_create") && verbs.contains(&"api_key_rotate"), "{verbs:?}");
    assert!(audit.iter().all(|entry| !entry.metadata.to_string().contains("sk-pal-")));
}

#[tokio::test]
async fn adding_a_new_email_creates_an_account_with_a_one_time_password() {
    let app = TestApp::new().await;
    let owner = app.as_role(Role::Owner).await;
    let (status, added, _) =
        app.send(Method::POST, "/api/members", &owner, Some(json!({"email": "New.Person@Example.com", "role": "developer"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(added["email"], "new.person@example.com");
    let password = added["one_time_password"].as_str().expect("one-time password").to_owned();
    let (status, session, _) = app
        .send(Method::POST, "/api/auth/login", &Caller::Anonymous, Some(json!({"email": "new.person@example.com", "password": password})))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(session["user"]["must_change_password"], true);
    assert_eq!(session["role"], "developer");
}
