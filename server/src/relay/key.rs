//! The relay key extractor: pipeline stages 1–4 (known active relay key, not expired, client IP allowed,
//! rate limit).
//! A session cookie is ignored here; a gateway key is 403 `forbidden` (SPEC §8.2). A rejection of a known
//! key (403, 429) writes its request row like any other failed request; an unknown token has no workspace
//! to record into and is only answered.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use crate::domain::{ApiKey, KeyKind};
use crate::http_util::{bearer, client_ip};
use crate::relay::error::{OpenAiError, RelayFailure};
use crate::relay::RequestId;
use crate::service::relay::RequestContext;
use crate::service::{ServiceError, Services};

/// An authenticated relay caller.
#[derive(Clone, Debug)]
pub struct RelayCaller {
    pub key: ApiKey,
}

impl<S> FromRequestParts<S> for RelayCaller
where
    Services: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let services = Services::from_ref(state);
        let Some(token) = bearer(&parts.headers) else { return Err(OpenAiError(ServiceError::InvalidApiKey).into_response()) };
        let key = services.find_presented_key(token).await.map_err(|err| OpenAiError(err).into_response())?;
        let ip = client_ip(parts);
        // Stage 4 runs only for an admitted key: every such request takes a token, whatever happens later (§3.6).
        let admitted = services.admit_key(&key, KeyKind::Relay, ip, Utc::now()).and_then(|()| services.check_rate_limit(&key));
        match admitted {
            Ok(()) => Ok(RelayCaller { key }),
            Err(err) => {
                let ctx = RequestContext::new(request_id(parts), key, ip.map_or_else(String::new, |ip| ip.to_string()));
                let err = services.reject(&ctx, route_of(parts.uri.path()), err.into()).await;
                Err(RelayFailure(err).into_response())
            }
        }
    }
}

fn request_id(parts: &Parts) -> String {
    parts.extensions.get::<RequestId>().map_or_else(crate::http_util::new_request_id, |id| id.0.clone())
}

/// The request row's `route` for a `/v1` path (§2.7).
fn route_of(path: &str) -> &'static str {
    if path.ends_with("/embeddings") {
        "embeddings"
    } else if path.contains("/models") {
        "models"
    } else {
        "chat.completions"
    }
}
