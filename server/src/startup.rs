//! Start-up: open and migrate the database, load the master key, bootstrap the first Owner, build the
//! router (console, `/api`, `/v1`, health) and serve until a shutdown signal.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use app::backend::Backend;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use serde_json::json;
use tower_http::services::ServeDir;
use tower_sessions::cookie::SameSite;
use tower_sessions::SessionManagerLayer;

use crate::api::{self, error::api_error};
use crate::auth::session::COOKIE_NAME;
use crate::auth::session_store::SeaOrmSessionStore;
use crate::config::Config;
use crate::console::{ConsoleBackend, SERVER_FN_PREFIX};
use crate::crypto::SecretBox;
use crate::relay;
use crate::service::identity::Bootstrap;
use crate::service::Services;
use crate::state::AppState;

/// Environment read at start-up besides the `PALISADE_<SECTION>_<KEY>` overrides.
pub struct StartupEnv {
    pub master_key: Option<String>,
    pub bootstrap_email: Option<String>,
    pub bootstrap_password: Option<String>,
}

/// The directory of a SQLite database file, or `./data` for other backends (where `master.key` lives).
pub fn data_dir(database_url: &str) -> PathBuf {
    let path = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or(rest))
        .filter(|path| !path.is_empty() && !path.starts_with(":memory:"));
    match path.and_then(|path| Path::new(path).parent().map(Path::to_path_buf)) {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => PathBuf::from("data"),
    }
}

/// Opens the database (creating the SQLite directory), migrates, and builds the service layer.
pub async fn build_services(config: Config, master_key: Option<&str>) -> anyhow::Result<Services> {
    let dir = data_dir(&config.database.url);
    if config.database.url.starts_with("sqlite:") {
        std::fs::create_dir_all(&dir)?;
    }
    let db = crate::store::connect_and_migrate(&config.database.url).await?;
    let secrets = SecretBox::load_or_create(master_key, &dir.join("master.key"))?;
    Ok(Services::new(db, Arc::new(config), secrets))
}

/// Leptos options for a plain-cargo build (no cargo-leptos environment needed).
pub fn leptos_options(config: &Config) -> LeptosOptions {
    LeptosOptions::builder().output_name("console").site_root(config.server.site_root.as_str()).site_pkg_dir("pkg").build()
}

/// Builds the whole application router.
pub fn build_router(state: AppState) -> Router {
    let backend: Arc<dyn Backend> = Arc::new(ConsoleBackend::new(state.services.clone()));
    let routes = generate_route_list(app::App);
    let leptos = state.leptos.clone();
    let pkg_dir = PathBuf::from(leptos.site_root.as_ref()).join(leptos.site_pkg_dir.as_ref());
    let session_layer = SessionManagerLayer::new(SeaOrmSessionStore::new(state.services.db.clone()))
        .with_name(COOKIE_NAME)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.services.config.server.secure_cookies)
        .with_path("/");
    let shell_options = leptos.clone();
    // Cookie-session planes: the console and `/api` (the `/api/v1` gateway routes ignore the session).
    let session_planes = Router::new()
        .nest("/api", api::build_api_router(&state))
        .leptos_routes_with_context(
            &state,
            routes,
            move || leptos::prelude::provide_context(backend.clone()),
            move || app::shell(shell_options.clone()),
        )
        .nest_service("/pkg", ServeDir::new(pkg_dir))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(app::shell))
        .layer(middleware::from_fn_with_state(state.clone(), guard_server_functions))
        .layer(session_layer);
    // The relay and the probes sit outside the session layers: keys authenticate `/v1` (cookies are
    // ignored there, §8.2), and skipping the session machinery is part of the relay's per-request budget.
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .nest("/v1", relay::build_relay_router())
        .merge(session_planes)
        .with_state(state)
}

/// Console server functions are cookie-authenticated writes: their `Origin` must be ours (the CSRF
/// token itself is checked per call by the backend).
async fn guard_server_functions(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.uri().path().starts_with(SERVER_FN_PREFIX)
        && !crate::api::guard::origin_allowed(req.headers(), &state.services.config.server.public_url)
    {
        return api_error(StatusCode::FORBIDDEN, "csrf_failed", "cross-origin request refused");
    }
    next.run(req).await
}

async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.services.db.ping().await {
        Ok(()) => Json(json!({ "status": "ok" })).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "unavailable" }))).into_response()
        }
    }
}

/// Runs `palisade serve`: migrate, bootstrap, listen, and stop gracefully on Ctrl-C / SIGTERM.
pub async fn serve(config: Config, env: StartupEnv) -> anyhow::Result<()> {
    let listen = config.server.listen.clone();
    let public_url = config.server.public_url.clone();
    let leptos = leptos_options(&config);
    let services = build_services(config, env.master_key.as_deref()).await?;
    // Background work: approvals past `expires_at` become `expired` every 60 s (SPEC §5.10 step 7).
    let _sweeper = services.spawn_approval_sweeper();
    // Re-probe every enabled MCP server every 5 minutes (§5.12).
    crate::service::mcp_registry::spawn_prober(services.clone());
    let credentials = env.bootstrap_email.as_deref().zip(env.bootstrap_password.as_deref());
    match services.bootstrap(credentials, chrono::Utc::now()).await? {
        Bootstrap::AlreadySetUp => {}
        Bootstrap::OwnerCreated { email } => {
            println!("Created workspace `default` with Owner {email}. Sign in at {public_url}/login");
        }
        Bootstrap::SetupToken { token } => {
            println!("No users yet. Create the first Owner within 24 h at: {public_url}/setup?token={token}");
        }
    }
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    println!("Palisade listening on http://{listen} (console {public_url}/login, OpenAI base URL {public_url}/v1)");
    serve_until(listener, services, leptos, shutdown_signal()).await
}

/// Serves on `listener` until `shutdown` resolves, lets in-flight requests finish, then drains the feed
/// recorder: every request row, event and match of an answered request is written before this returns.
pub async fn serve_until(
    listener: tokio::net::TcpListener,
    services: Services,
    leptos: LeptosOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let router = build_router(AppState::new(services.clone(), leptos));
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await?;
    services.flush_records().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}
