//! Small request helpers shared by the adapters: bearer tokens, client IPs, request ids.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::{header, request::Parts, HeaderMap};
use rand::RngCore;

/// Header carrying the request id on every relay response.
pub const REQUEST_ID_HEADER: &str = "x-palisade-request-id";

/// The token of an `Authorization: Bearer …` header, if present.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|token| !token.is_empty())
}

/// The peer address of the connection (absent in in-process tests without `MockConnectInfo`).
pub fn client_ip(parts: &Parts) -> Option<IpAddr> {
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip())
}

/// A new request id: `req_` + 24 lowercase hex characters.
pub fn new_request_id() -> String {
    let mut bytes = [0u8; 12];
    rand::rng().fill_bytes(&mut bytes);
    format!("req_{}", hex::encode(bytes))
}
