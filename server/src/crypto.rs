//! Secrets at rest (provider keys, MCP credentials, webhook and detector secrets): AES-256-GCM under the
//! master key from `PALISADE_MASTER_KEY` (32 bytes, base64) or, when unset, a `master.key` generated beside
//! the database with mode 0600. Ciphertexts are `base64(nonce || ciphertext)`.

use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;

const NONCE_LEN: usize = 12;

/// Encrypts and decrypts stored secrets.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(<redacted>)")
    }
}

/// Why a key could not be loaded or a ciphertext not opened.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("master key must be 32 bytes of base64")]
    BadKey,
    #[error("cannot read or write the master key file `{0}`: {1}")]
    KeyFile(String, std::io::Error),
    #[error("stored secret cannot be decrypted (wrong master key or corrupted value)")]
    Decrypt,
}

impl SecretBox {
    /// Builds from a base64 key.
    pub fn from_base64(key: &str) -> Result<Self, CryptoError> {
        let bytes = STANDARD.decode(key.trim()).map_err(|_| CryptoError::BadKey)?;
        if bytes.len() != 32 {
            return Err(CryptoError::BadKey);
        }
        let cipher = Aes256Gcm::new_from_slice(&bytes).map_err(|_| CryptoError::BadKey)?;
        Ok(Self { cipher })
    }

    /// Uses `env_key` when given, else reads `file` or creates it with a fresh random key (mode 0600).
    pub fn load_or_create(env_key: Option<&str>, file: &Path) -> Result<Self, CryptoError> {
        if let Some(key) = env_key {
            return Self::from_base64(key);
        }
        let io = |err| CryptoError::KeyFile(file.display().to_string(), err);
        if file.exists() {
            return Self::from_base64(&std::fs::read_to_string(file).map_err(io)?);
        }
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        let encoded = STANDARD.encode(key);
        write_private(file, &encoded).map_err(io)?;
        Self::from_base64(&encoded)
    }

    /// Encrypts `plaintext` with a fresh nonce.
    pub fn encrypt(&self, plaintext: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        // INVARIANT: AES-GCM encryption only fails for inputs over 64 GiB.
        let ciphertext = self.cipher.encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes()).unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend(ciphertext);
        STANDARD.encode(out)
    }

    /// Decrypts a value produced by [`SecretBox::encrypt`].
    pub fn decrypt(&self, stored: &str) -> Result<String, CryptoError> {
        let bytes = STANDARD.decode(stored).map_err(|_| CryptoError::Decrypt)?;
        if bytes.len() <= NONCE_LEN {
            return Err(CryptoError::Decrypt);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let plain = self.cipher.decrypt(Nonce::from_slice(nonce), ciphertext).map_err(|_| CryptoError::Decrypt)?;
        String::from_utf8(plain).map_err(|_| CryptoError::Decrypt)
    }
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper_detection() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("master.key");
        let secrets = SecretBox::load_or_create(None, &file).expect("create");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let sealed = secrets.encrypt("sk-upstream-secret");
        assert!(!sealed.contains("sk-upstream"));
        assert_ne!(sealed, secrets.encrypt("sk-upstream-secret"), "nonces must differ");
        assert_eq!(secrets.decrypt(&sealed).expect("open"), "sk-upstream-secret");
        let reloaded = SecretBox::load_or_create(None, &file).expect("reload");
        assert_eq!(reloaded.decrypt(&sealed).expect("open with reloaded key"), "sk-upstream-secret");
        let other = SecretBox::from_base64(&STANDARD.encode([7u8; 32])).expect("other");
        assert!(other.decrypt(&sealed).is_err());
        assert!(SecretBox::from_base64("c2hvcnQ=").is_err());
    }
}
