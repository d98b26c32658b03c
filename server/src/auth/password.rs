//! Password hashing with argon2id (m = 19 456 KiB, t = 2, p = 1, SPEC §8.4), PHC strings.
//!
//! Synchronous on purpose: callers run these on a blocking thread. Verification of an unknown account runs
//! against [`dummy_hash`] so both paths cost one argon2 run and timing does not reveal which emails exist.

use std::sync::LazyLock;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

/// Shortest accepted password, in characters.
pub const MIN_LEN: usize = 12;
/// Longest accepted password, in characters (bounds the hashing cost of a request).
pub const MAX_LEN: usize = 256;

fn hasher() -> Argon2<'static> {
    // INVARIANT: these parameters are the documented defaults and always valid.
    let params = Params::new(19_456, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes `password` into a PHC string with a fresh random salt.
pub fn hash(password: &str) -> Result<String, String> {
    hasher()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|err| format!("password hashing failed: {err}"))
}

/// True when `password` matches the PHC string `phc`; false for a mismatch or a malformed hash.
pub fn verify(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else { return false };
    hasher().verify_password(password.as_bytes(), &parsed).is_ok()
}

/// A valid hash of a random throwaway password, computed once per process.
pub fn dummy_hash() -> &'static str {
    static DUMMY: LazyLock<String> =
        LazyLock::new(|| hash("palisade-dummy-password-for-timing").unwrap_or_default());
    &DUMMY
}

/// Checks the length rule of SPEC §8.4; the message is shown to the user.
pub fn check_policy(password: &str) -> Result<(), String> {
    let len = password.chars().count();
    if len < MIN_LEN {
        return Err(format!("password must be at least {MIN_LEN} characters"));
    }
    if len > MAX_LEN {
        return Err(format!("password must be at most {MAX_LEN} characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_verifies_only_the_right_password() {
        let phc = hash("correct horse battery").expect("hash");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse battery", &phc));
        assert!(!verify("correct horse batterY", &phc));
        assert!(!verify("correct horse battery", "not a phc string"));
    }

    #[test]
    fn policy_bounds_length_in_characters() {
        assert!(check_policy("short").is_err());
        assert!(check_policy("twelve chars").is_ok());
        assert!(check_policy(&"é".repeat(12)).is_ok());
        assert!(check_policy(&"x".repeat(257)).is_err());
    }
}
