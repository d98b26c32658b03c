//! Credentials: argon2id passwords, API-key secrets, console sessions and the role ladder.
//!
//! Nothing here is reachable without going through it: every route is authenticated unless it is listed in
//! [`PUBLIC_ROUTES`]. Start with `roles` (who may do what), then `session` (how a browser is recognised).

pub mod keys;
pub mod password;
pub mod roles;
pub mod session;
pub mod session_store;
pub mod signature;

/// Routes served without any credential, and why each is public.
pub const PUBLIC_ROUTES: &[(&str, &str)] = &[
    ("/healthz", "liveness probe for load balancers"),
    ("/readyz", "readiness probe (checks the database)"),
    ("/api/auth/login", "how a session starts; protected by the origin check and the login throttle"),
    ("/api/auth/setup", "first-run Owner creation with the one-time setup token"),
    (
        "/api/v1/firewall/approvals/{id}/decision",
        "approval decision callback; authenticated by the workspace webhook secret's HMAC signature instead",
    ),
    ("/login", "the sign-in page"),
    ("/setup", "the first-run page opened from the one-time setup link"),
    ("/pkg/*", "compiled console assets (wasm, js, css)"),
];
