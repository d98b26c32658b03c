//! `X-Palisade-Signature: t=<unix>,v1=<hex>` (SPEC §5.10 step 3): HMAC-SHA256 with the workspace secret over
//! `"<t>.<raw body>"`. Signs outbound webhooks and external-check calls; verifies the approval decision callback.
//!
//! Verification is constant-time (`Mac::verify_slice`) and refuses timestamps more than
//! [`TOLERANCE_SECS`] away from now, so a captured request cannot be replayed later.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header name.
pub const HEADER: &str = "x-palisade-signature";

/// How far a signature's timestamp may be from now, either way.
pub const TOLERANCE_SECS: i64 = 300;

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length, so `new_from_slice` cannot fail.
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The header value for `body` signed at `timestamp` (unix seconds).
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", hex::encode(mac(secret, timestamp, body).finalize().into_bytes()))
}

/// Why a signature was refused (all map to 401 `invalid_signature`; the reason is for logs and messages).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature header is missing or malformed")]
    Malformed,
    #[error("the signature timestamp is more than 300 s from now")]
    Expired,
    #[error("the signature does not match")]
    Mismatch,
}

/// Checks `header` against `body` at `now` (unix seconds). Any `v1=` entry may match (key rotation).
pub fn verify(secret: &[u8], header: &str, body: &[u8], now: i64) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for part in header.split(',').map(str::trim) {
        match part.split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => candidates.push(hex::decode(value).map_err(|_| SignatureError::Malformed)?),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if candidates.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now - timestamp).abs() > TOLERANCE_SECS {
        return Err(SignatureError::Expired);
    }
    let expected = mac(secret, timestamp, body);
    if candidates.iter().any(|candidate| expected.clone().verify_slice(candidate).is_ok()) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_t_dot_body_with_rfc_4231_hmac_sha256() {
        // The framing: the MAC covers exactly "<t>.<body>".
        let header = sign(b"Jefe", 1_700_000_000, b"{}");
        let mut reference = HmacSha256::new_from_slice(b"Jefe").expect("any key length");
        reference.update(b"1700000000.{}");
        assert_eq!(header, format!("t=1700000000,v1={}", hex::encode(reference.finalize().into_bytes())));
        // And the primitive itself against RFC 4231 case 2.
        let mut rfc = HmacSha256::new_from_slice(b"Jefe").expect("any key length");
        rfc.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(rfc.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn verifies_its_own_signature_and_refuses_tampering_skew_and_garbage() {
        let body = br#"{"decision":"approve"}"#;
        let header = sign(b"s3cret", 1000, body);
        assert_eq!(verify(b"s3cret", &header, body, 1000 + TOLERANCE_SECS), Ok(()));
        assert_eq!(verify(b"s3cret", &header, body, 1000 - TOLERANCE_SECS), Ok(()));
        assert_eq!(verify(b"s3cret", &header, body, 1000 + TOLERANCE_SECS + 1), Err(SignatureError::Expired));
        assert_eq!(verify(b"other", &header, body, 1000), Err(SignatureError::Mismatch));
        assert_eq!(verify(b"s3cret", &header, br#"{"decision":"reject"}"#, 1000), Err(SignatureError::Mismatch));
        assert_eq!(verify(b"s3cret", "t=1000", body, 1000), Err(SignatureError::Malformed));
        assert_eq!(verify(b"s3cret", "v1=zz,t=1000", body, 1000), Err(SignatureError::Malformed));
        assert_eq!(verify(b"s3cret", "", body, 1000), Err(SignatureError::Malformed));
        // A rotated-in second v1 entry is accepted.
        let rotated = format!("{header},v1={}", "00".repeat(32));
        assert_eq!(verify(b"s3cret", &rotated, body, 1000), Ok(()));
    }
}
