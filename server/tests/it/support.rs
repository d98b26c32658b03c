//! Test fixtures: an in-process Palisade, named callers (anonymous, each role, each key kind) and a small
//! request helper that returns status, JSON body and headers.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use chrono::Utc;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use server::config::Config;
use server::domain::{Actor, Role};
use server::service::Services;
use server::state::AppState;
use tower::ServiceExt;

pub const PASSWORD: &str = "correct-horse-battery";
pub const PUBLIC_URL: &str = "http://127.0.0.1:3000";

/// Who sends a request.
#[derive(Clone, Debug)]
pub enum Caller {
    Anonymous,
    Session { cookie: String, csrf: String },
    Bearer(String),
}

/// A running in-process app with its own database.
pub struct TestApp {
    pub router: Router,
    pub services: Services,
    _dir: tempfile::TempDir,
}

/// Creates a fresh PostgreSQL database for one test and returns its URL (None without PALISADE_TEST_PG_URL).
pub async fn fresh_pg_url() -> Option<String> {
    use sea_orm::{ConnectionTrait, Database};
    let base = std::env::var("PALISADE_TEST_PG_URL").ok().filter(|url| !url.is_empty())?;
    let admin = Database::connect(base.as_str()).await.expect("connect to PALISADE_TEST_PG_URL");
    let name = format!("palisade_test_{}", rand_suffix());
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
    let (prefix, _) = base.rsplit_once('/').expect("database URL has a path");
    Some(format!("{prefix}/{name}"))
}

fn rand_suffix() -> String {
    server::http_util::new_request_id().trim_start_matches("req_").to_owned()
}

impl TestApp {
    /// An app on a temporary SQLite file.
    pub async fn new() -> TestApp {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("palisade.db").display());
        Self::on(url, dir).await
    }

    /// An app on a temporary SQLite file with `tweak` applied to its configuration (e.g. a tiny
    /// `autonomy.snapshot_cap_bytes`).
    pub async fn with_config(tweak: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("palisade.db").display());
        Self::build(url, dir, tweak).await
    }

    /// An app on `url` (SQLite or PostgreSQL).
    pub async fn on(url: String, dir: tempfile::TempDir) -> TestApp {
        Self::build(url, dir, |_| {}).await
    }

    async fn build(url: String, dir: tempfile::TempDir, tweak: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = Config::default();
        config.database.url = url;
        config.server.public_url = PUBLIC_URL.into();
        config.server.secure_cookies = false;
        tweak(&mut config);
        let key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        let services = server::startup::build_services(config.clone(), Some(key)).await.expect("services");
        services.bootstrap(Some(("owner@example.com", PASSWORD)), Utc::now()).await.expect("bootstrap");
        let state = AppState::new(services.clone(), server::startup::leptos_options(&config));
        let router = server::startup::build_router(state)
            .layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40_000))));
        TestApp { router, services, _dir: dir }
    }

    /// The id of the bootstrap workspace.
    pub fn workspace_id(&self) -> i64 {
        1
    }

    /// Creates a user with `role` in the default workspace and a known password.
    pub async fn user(&self, role: Role) -> String {
        let email = format!("{}-{}@example.com", role.as_str(), rand_suffix());
        let system = Actor { user_id: None, label: "system".into() };
        let added =
            self.services.add_member_as(&system, self.workspace_id(), &email, role, Utc::now()).await.expect("add member");
        let hash = server::auth::password::hash(PASSWORD).expect("hash");
        server::store::users::set_password(&self.services.db, added.member.user.id, &hash, false).await.expect("set password");
        email
    }

    /// Signs in and returns the session caller.
    pub async fn login(&self, email: &str) -> Caller {
        let (status, body, headers) =
            self.send(Method::POST, "/api/auth/login", &Caller::Anonymous, Some(json!({"email": email, "password": PASSWORD}))).await;
        assert_eq!(status, StatusCode::OK, "login failed: {body}");
        let cookie = session_cookie(&headers).expect("login sets the session cookie");
        Caller::Session { cookie, csrf: body["csrf_token"].as_str().expect("csrf token").to_owned() }
    }

    /// A signed-in caller with `role`.
    pub async fn as_role(&self, role: Role) -> Caller {
        if role == Role::Owner {
            return self.login("owner@example.com").await;
        }
        let email = self.user(role).await;
        self.login(&email).await
    }

    /// Creates a key of `kind` as the owner and returns its secret.
    pub async fn key(&self, kind: &str) -> (i64, String) {
        let owner = self.login("owner@example.com").await;
        let name = format!("{kind}-{}", rand_suffix());
        let (status, body, _) = self.send(Method::POST, "/api/keys", &owner, Some(json!({"name": name, "kind": kind}))).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        (body["id"].as_i64().expect("id"), body["secret"].as_str().expect("secret").to_owned())
    }

    /// Sends one request; returns status, JSON body (Null when empty or not JSON) and headers.
    pub async fn send(&self, method: Method, path: &str, caller: &Caller, body: Option<Value>) -> (StatusCode, Value, HeaderMap) {
        let mut builder = Request::builder().method(method.clone()).uri(path);
        match caller {
            Caller::Anonymous => {}
            Caller::Session { cookie, csrf } => {
                builder = builder.header(header::COOKIE, format!("palisade_session={cookie}"));
                if method != Method::GET {
                    builder = builder.header("x-palisade-csrf", csrf);
                }
            }
            Caller::Bearer(token) => builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}")),
        }
        let request = match body {
            Some(body) => builder.header(header::CONTENT_TYPE, "application/json").body(Body::from(body.to_string())),
            None => builder.body(Body::empty()),
        }
        .expect("request");
        self.raw(request).await
    }

    /// Sends a prepared request.
    pub async fn raw(&self, request: Request<Body>) -> (StatusCode, Value, HeaderMap) {
        let response = self.router.clone().oneshot(request).await.expect("infallible router");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, body, headers)
    }
}

/// The `palisade_session` value set by a response, if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers.get_all(header::SET_COOKIE).iter().find_map(|value| {
        let text = value.to_str().ok()?;
        let pair = text.split(';').next()?;
        pair.strip_prefix("palisade_session=").map(str::to_owned)
    })
}
