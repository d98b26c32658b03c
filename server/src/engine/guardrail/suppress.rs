//! False-positive suppression fingerprints (SPEC §4.11).
//!
//! Must not know where suppressions are stored; the relay passes the set into `StageRequest`.
use sha2::{Digest, Sha256};

/// SHA-256 hex of `guardrail_id \n rule_id \n entity_type \n normalized`, where `normalized` is the
/// matched text trimmed and lower-cased, and `entity_type` is the pii/custom entity name, the built-in
/// detector name, or else the rule type. Advanced findings without spans pass the whole screened text.
pub fn fingerprint(guardrail_id: i64, rule_id: i64, entity_type: &str, matched: &str) -> String {
    let normalized = matched.trim().to_lowercase();
    let digest = Sha256::digest(format!("{guardrail_id}\n{rule_id}\n{entity_type}\n{normalized}").as_bytes());
    hex::encode(digest)
}

/// The first 12 hex characters, as the API shows them.
pub fn short(fingerprint: &str) -> &str {
    fingerprint.get(..12).unwrap_or(fingerprint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_normalizes_case_and_whitespace() {
        let a = fingerprint(1, 2, "email", "  Jane@Acme.io ");
        assert_eq!(a, fingerprint(1, 2, "email", "jane@acme.io"));
        assert_ne!(a, fingerprint(1, 3, "email", "jane@acme.io"));
        assert_eq!(a.len(), 64);
        assert_eq!(short(&a).len(), 12);
    }
}
