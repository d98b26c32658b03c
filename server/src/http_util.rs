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

/// A new request id: `req_` + 24 lowercase hex characters, time-ordered: 11 hex digits of Unix
/// milliseconds, then 13 random ones (52 bits). Ordered ids land at the right edge of the unique
/// `requests.request_id` index, so a batch of request rows dirties a few index pages instead of one
/// random page per row (the same reason UUIDv7 exists).
pub fn new_request_id() -> String {
    let millis = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |since| since.as_millis() as u64);
    request_id_from(millis, rand::rng().next_u64())
}

fn request_id_from(millis: u64, random: u64) -> String {
    format!("req_{:011x}{:013x}", millis & ((1 << 44) - 1), random & ((1 << 52) - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_24_hex_and_sort_by_time() {
        let early = request_id_from(1_790_000_000_000, u64::MAX);
        let late = request_id_from(1_790_000_000_001, 0);
        assert_eq!(early.len(), 4 + 24);
        assert!(early.starts_with("req_") && early[4..].bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        assert!(early < late, "{early} sorts after {late}");
        assert_ne!(new_request_id(), new_request_id());
    }
}
