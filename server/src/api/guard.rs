//! Authentication and CSRF for `/api/*`, applied to every route of the router.
//!
//! - Public routes (login, setup) pass, but a cross-origin `Origin` is still refused.
//! - `/api/v1/*` is the gateway plane: it takes gateway keys only, and a session cookie is ignored. Two
//!   exceptions (SPEC §8.2): the approval decision callback is public (its HMAC signature is checked by the
//!   service), and `GET /api/v1/firewall/approvals/{id}` also takes a relay key (for its own approvals).
//! - Everything else needs a live session; a Bearer key there is 401 `unauthenticated` (SPEC §8.2).
//! - Cookie-authenticated writes need `X-Palisade-CSRF` equal to the session's token, and an `Origin`
//!   (or `Referer`) equal to `server.public_url` when the browser sends one (SPEC §8.3).

use axum::extract::{FromRequestParts, Request, State};
use axum::http::{request::Parts, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use tower_sessions::Session;

use crate::api::error::{api_error, ApiError};
use crate::auth::session::{self, csrf_matches};
use crate::auth::PUBLIC_ROUTES;
use crate::domain::KeyKind;
use crate::http_util::{bearer, client_ip};
use crate::service::identity::Principal;
use crate::service::ServiceError;
use crate::state::AppState;

/// Header carrying the CSRF token on cookie-authenticated writes.
pub const CSRF_HEADER: &str = "x-palisade-csrf";

/// The signed-in caller of an `/api` route, placed in the request by [`authenticate`].
#[derive(Clone, Debug)]
pub struct Caller(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or(ApiError(ServiceError::Unauthenticated("sign in to continue")))
    }
}

fn is_public(path: &str) -> bool {
    PUBLIC_ROUTES.iter().any(|(route, _)| route_matches(route, path))
}

/// True when `path` fits `route`, where a `{param}` segment of `route` stands for any one non-empty segment.
fn route_matches(route: &str, path: &str) -> bool {
    let (route, path): (Vec<&str>, Vec<&str>) = (route.split('/').collect(), path.split('/').collect());
    route.len() == path.len()
        && route.iter().zip(&path).all(|(want, got)| *want == *got || (want.starts_with('{') && want.ends_with('}') && !got.is_empty()))
}

/// `GET /api/v1/firewall/approvals/{id}`, the one gateway-plane route a relay key may call (for the approvals
/// its own calls created; the service checks that) (SPEC §8.2).
fn relay_key_welcome(method: &Method, path: &str) -> bool {
    *method == Method::GET && route_matches("/api/v1/firewall/approvals/{id}", path)
}

fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// True when the request's `Origin` (or, failing that, `Referer`) is absent or equal to `public_url`.
pub fn origin_allowed(headers: &HeaderMap, public_url: &str) -> bool {
    if let Some(origin) = headers.get("origin") {
        return origin.to_str().is_ok_and(|origin| origin == public_url);
    }
    if let Some(referer) = headers.get("referer") {
        return referer.to_str().is_ok_and(|referer| {
            referer.strip_prefix(public_url).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        });
    }
    true
}

fn csrf_failed() -> Response {
    ApiError(ServiceError::CsrfFailed).into_response()
}

/// The `/api` authentication middleware.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    // Nested routers see a stripped path; the guard reasons about the full one.
    let path = req
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map_or_else(|| req.uri().path().to_owned(), |original| original.path().to_owned());
    let public_url = state.services.config.server.public_url.clone();
    if is_public(&path) {
        if is_write(req.method()) && !origin_allowed(req.headers(), &public_url) {
            return csrf_failed();
        }
        return next.run(req).await;
    }
    if path.starts_with("/api/v1/") {
        let kind = match relay_key_welcome(req.method(), &path) && bearer(req.headers()).and_then(crate::auth::keys::kind_of) == Some(KeyKind::Relay) {
            true => KeyKind::Relay,
            false => KeyKind::Gateway,
        };
        return authenticate_gateway(state, req, next, kind).await;
    }
    if bearer(req.headers()).is_some() {
        return ApiError(ServiceError::Unauthenticated("API keys are not accepted on /api; sign in instead"))
            .into_response();
    }
    let Some(session) = req.extensions().get::<Session>().cloned() else {
        return ApiError(ServiceError::Unauthenticated("sign in to continue")).into_response();
    };
    let identity = match session::identity(&session, Utc::now()).await {
        Ok(Some(identity)) => identity,
        Ok(None) => return ApiError(ServiceError::Unauthenticated("sign in to continue")).into_response(),
        Err(err) => return ApiError(err.into()).into_response(),
    };
    if is_write(req.method()) {
        let presented = req.headers().get(CSRF_HEADER).and_then(|value| value.to_str().ok()).unwrap_or("");
        if !csrf_matches(presented, &identity.csrf_token) || !origin_allowed(req.headers(), &public_url) {
            return csrf_failed();
        }
    }
    match state.services.resolve_session(&identity).await {
        Ok(principal) => {
            req.extensions_mut().insert(Caller(principal));
            req.extensions_mut().insert(identity);
            next.run(req).await
        }
        Err(err) => ApiError(err).into_response(),
    }
}

/// `/api/v1/*`: gateway keys only (stages 1–3); the routes in `api::gateway` add the rate limit and
/// check their scope.
async fn authenticate_gateway(state: AppState, req: Request, next: Next, kind: KeyKind) -> Response {
    let (mut parts, body) = req.into_parts();
    let Some(token) = bearer(&parts.headers).map(str::to_owned) else {
        return api_error(StatusCode::UNAUTHORIZED, "invalid_api_key", "a gateway key (Bearer gk-pal-…) is required");
    };
    let ip = client_ip(&parts);
    match state.services.authenticate_key(&token, kind, ip, Utc::now()).await {
        Ok(key) => {
            parts.extensions.insert(key);
            next.run(Request::from_parts(parts, body)).await
        }
        Err(err) => ApiError(err).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templated_public_routes_match_one_segment_per_parameter() {
        assert!(is_public("/api/v1/firewall/approvals/0123456789abcdef01234567/decision"));
        assert!(!is_public("/api/v1/firewall/approvals//decision"));
        assert!(!is_public("/api/v1/firewall/approvals/a/b/decision"));
        assert!(!is_public("/api/v1/firewall/approvals/0123456789abcdef01234567"));
        assert!(relay_key_welcome(&Method::GET, "/api/v1/firewall/approvals/0123456789abcdef01234567"));
        assert!(!relay_key_welcome(&Method::POST, "/api/v1/firewall/approvals/0123456789abcdef01234567"));
        assert!(!relay_key_welcome(&Method::GET, "/api/v1/firewall/evaluate"));
    }

    #[test]
    fn origin_check_accepts_same_origin_and_absent_headers_only() {
        let public = "http://127.0.0.1:3000";
        let mut headers = HeaderMap::new();
        assert!(origin_allowed(&headers, public));
        headers.insert("origin", "http://127.0.0.1:3000".parse().expect("header"));
        assert!(origin_allowed(&headers, public));
        headers.insert("origin", "http://evil.example".parse().expect("header"));
        assert!(!origin_allowed(&headers, public));
        let mut headers = HeaderMap::new();
        headers.insert("referer", "http://127.0.0.1:3000/keys".parse().expect("header"));
        assert!(origin_allowed(&headers, public));
        headers.insert("referer", "http://127.0.0.1:30000/keys".parse().expect("header"));
        assert!(!origin_allowed(&headers, public));
    }
}
