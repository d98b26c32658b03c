//! The relay key extractor: pipeline stages 1–4 (known active relay key, not expired, client IP allowed,
//! rate limit).
//! A session cookie is ignored here; a gateway key is 403 `forbidden` (SPEC §8.2).

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use chrono::Utc;

use crate::domain::{ApiKey, KeyKind};
use crate::http_util::{bearer, client_ip};
use crate::relay::error::OpenAiError;
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
    type Rejection = OpenAiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let services = Services::from_ref(state);
        let token = bearer(&parts.headers).ok_or(ServiceError::InvalidApiKey)?;
        let key = services.authenticate_key(token, KeyKind::Relay, client_ip(parts), Utc::now()).await?;
        // Stage 4: every authenticated request takes a token, whatever happens to it later (§3.6).
        services.check_rate_limit(&key)?;
        Ok(RelayCaller { key })
    }
}
