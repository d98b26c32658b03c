//! API-key secrets: generation, hints and hashing. A secret is `sk-pal-`/`gk-pal-` + 32 base62 characters;
//! only its SHA-256 is stored, so it can be shown once and never again.

use rand::Rng;
use sha2::{Digest, Sha256};

use crate::domain::KeyKind;

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const SECRET_LEN: usize = 32;

/// A freshly generated secret with what is stored about it.
pub struct GeneratedSecret {
    /// The plaintext, returned to the caller once.
    pub secret: String,
    /// `sk-pal-****k3Zq`: prefix, stars and the last four characters.
    pub hint: String,
    /// SHA-256 hex of `secret`.
    pub hash: String,
}

/// Generates a new secret of `kind` from the OS random source.
pub fn generate(kind: KeyKind) -> GeneratedSecret {
    let mut rng = rand::rng();
    let body: String = (0..SECRET_LEN).map(|_| BASE62[rng.random_range(0..BASE62.len())] as char).collect();
    let secret = format!("{}{body}", kind.secret_prefix());
    let hint = format!("{}****{}", kind.secret_prefix(), &body[SECRET_LEN - 4..]);
    let hash = hash_secret(&secret);
    GeneratedSecret { secret, hint, hash }
}

/// SHA-256 hex of a presented secret, for lookup. Fast by design: secrets carry 190 bits of entropy,
/// so a slow hash would add latency to every relay request without adding security.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The kind a presented token claims by its prefix, if any.
pub fn kind_of(token: &str) -> Option<KeyKind> {
    [KeyKind::Relay, KeyKind::Gateway].into_iter().find(|kind| token.starts_with(kind.secret_prefix()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secret_has_prefix_length_hint_and_hash() {
        let generated = generate(KeyKind::Relay);
        assert!(generated.secret.starts_with("sk-pal-"));
        assert_eq!(generated.secret.len(), "sk-pal-".len() + 32);
        assert!(generated.secret["sk-pal-".len()..].bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(generated.hint, format!("sk-pal-****{}", &generated.secret[generated.secret.len() - 4..]));
        assert_eq!(generated.hash, hash_secret(&generated.secret));
        assert_ne!(generate(KeyKind::Relay).secret, generated.secret);
        assert_eq!(kind_of(&generate(KeyKind::Gateway).secret), Some(KeyKind::Gateway));
        assert_eq!(kind_of("Bearer nope"), None);
    }
}
