//! Console sessions: fixation, CSRF, the login throttle, logout and password change (SPEC §8.3–8.4).

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::json;
use server::domain::Role;

use crate::support::{session_cookie, Caller, TestApp, PASSWORD, PUBLIC_URL};

fn cookie_and_csrf(caller: &Caller) -> (String, String) {
    match caller {
        Caller::Session { cookie, csrf } => (cookie.clone(), csrf.clone()),
        other => panic!("not a session caller: {other:?}"),
    }
}

#[tokio::test]
async fn login_sets_a_hardened_cookie_and_cycles_the_session_id() {
    let app = TestApp::new().await;
    let email = app.user(Role::Developer).await;
    let first = app.login(&email).await;
    let (old_cookie, _) = cookie_and_csrf(&first);
    // Sign in again while presenting the old cookie: a planted id must not survive sign-in.
    let request = Request::post("/api/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::COOKIE, format!("palisade_session={old_cookie}"))
        .body(Body::from(json!({"email": email, "password": PASSWORD}).to_string()))
        .expect("request");
    let (status, _, headers) = app.raw(request).await;
    assert_eq!(status, StatusCode::OK);
    let set_cookie = headers.get(header::SET_COOKIE).and_then(|v| v.to_str().ok()).expect("set-cookie").to_owned();
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    assert!(set_cookie.contains("Path=/"), "{set_cookie}");
    let new_cookie = session_cookie(&headers).expect("cookie");
    assert_ne!(new_cookie, old_cookie, "session id must change at login");
    let (status, _, _) = app.send(Method::GET, "/api/auth/me", &Caller::Session { cookie: old_cookie, csrf: String::new() }, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the pre-login session id must be dead");
}

#[tokio::test]
async fn writes_without_the_right_csrf_token_or_origin_are_refused() {
    let app = TestApp::new().await;
    let caller = app.as_role(Role::Developer).await;
    let (cookie, csrf) = cookie_and_csrf(&caller);
    let attempt = |token: Option<&str>, origin: Option<&str>| {
        let mut builder = Request::post("/api/keys")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::COOKIE, format!("palisade_session={cookie}"));
        if let Some(token) = token {
            builder = builder.header("x-palisade-csrf", token);
        }
        if let Some(origin) = origin {
            builder = builder.header("origin", origin);
        }
        builder.body(Body::from(json!({"name": server::http_util::new_request_id()}).to_string())).expect("request")
    };
    for (token, origin) in [(None, None), (Some("wrong"), None), (Some(csrf.as_str()), Some("http://evil.example"))] {
        let (status, body, _) = app.raw(attempt(token, origin)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{token:?} {origin:?}");
        assert_eq!(body["error"]["code"], "csrf_failed");
    }
    let (status, body, _) = app.raw(attempt(Some(&csrf), Some(PUBLIC_URL))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn login_is_throttled_after_five_failures_with_one_generic_message() {
    let app = TestApp::new().await;
    let email = app.user(Role::Member).await;
    let login = |password: &str| json!({"email": email, "password": password});
    let (status, unknown_user, _) =
        app.send(Method::POST, "/api/auth/login", &Caller::Anonymous, Some(json!({"email": "nobody@example.com", "password": "whatever-long"}))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    for _ in 0..5 {
        let (status, body, _) = app.send(Method::POST, "/api/auth/login", &Caller::Anonymous, Some(login("wrong-password!"))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["error"]["message"], unknown_user["error"]["message"], "one message for every failure");
    }
    let (status, body, headers) = app.send(Method::POST, "/api/auth/login", &Caller::Anonymous, Some(login(PASSWORD))).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "rate_limited");
    let retry_after: u64 = headers["retry-after"].to_str().expect("ascii").parse().expect("seconds");
    assert!(retry_after > 0 && retry_after <= 900);
}

#[tokio::test]
async fn logout_invalidates_the_session() {
    let app = TestApp::new().await;
    let caller = app.as_role(Role::Member).await;
    let (status, _, _) = app.send(Method::GET, "/api/auth/me", &caller, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = app.send(Method::POST, "/api/auth/logout", &caller, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body, _) = app.send(Method::GET, "/api/auth/me", &caller, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "unauthenticated");
}

#[tokio::test]
async fn password_change_ends_every_other_session() {
    let app = TestApp::new().await;
    let email = app.user(Role::Member).await;
    let here = app.login(&email).await;
    let elsewhere = app.login(&email).await;
    let body = json!({"current_password": PASSWORD, "new_password": "an-even-better-password"});
    let (status, body, _) = app.send(Method::POST, "/api/auth/password", &here, Some(body)).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(app.send(Method::GET, "/api/auth/me", &here, None).await.0, StatusCode::OK);
    assert_eq!(app.send(Method::GET, "/api/auth/me", &elsewhere, None).await.0, StatusCode::UNAUTHORIZED);
    let short = json!({"current_password": "an-even-better-password", "new_password": "short"});
    let (status, body, _) = app.send(Method::POST, "/api/auth/password", &here, Some(short)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["fields"][0]["field"], "new_password");
}

#[tokio::test]
async fn a_removed_member_loses_access_at_once() {
    let app = TestApp::new().await;
    let email = app.user(Role::Developer).await;
    let developer = app.login(&email).await;
    let owner = app.as_role(Role::Owner).await;
    let user = server::store::users::find_by_email(&app.services.db, &email).await.expect("q").expect("user");
    let (status, _, _) = app.send(Method::DELETE, &format!("/api/members/{}", user.id), &owner, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(app.send(Method::GET, "/api/keys", &developer, None).await.0, StatusCode::UNAUTHORIZED);
}
