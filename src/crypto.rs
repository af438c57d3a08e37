//! Field encryption at rest and blind indexes.
//!
//! A value is sealed with AES-256-GCM into a text envelope `hl1.<key id>.<nonce>.<ciphertext>`
//! (base64url, no padding). The table, column and row id are the associated data, so a
//! ciphertext copied to another row or column does not decrypt. The key id names which key of
//! the keyring sealed it, so keys can be rotated: new values use the primary key, old ones still
//! open with their retired key until they are re-encrypted.
//!
//! Lookups on encrypted values (email, phone, national identifier, name tokens) use blind
//! indexes: a keyed HMAC-SHA-256 of the normalised value, never the clear value.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use uuid::Uuid;

const VERSION: &str = "hl1";
const BLOB_VERSION: &[u8] = b"hlb1";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("not an encrypted value")]
    Malformed,
    #[error("sealed with key {0}, which is not in the keyring")]
    UnknownKey(String),
    #[error("the value does not open: wrong row, column, key or altered ciphertext")]
    Rejected,
}

/// Compares two byte strings in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The encryption keys: one primary (seals) and any number of retired ones (open only).
#[derive(Clone)]
pub struct Keyring {
    primary_id: String,
    ciphers: HashMap<String, Aes256Gcm>,
    index_key: [u8; 32],
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("primary_id", &self.primary_id)
            .field("keys", &self.ciphers.len())
            .finish()
    }
}

/// A key's id: the first 8 hex characters of the SHA-256 of the key, so ids need no
/// configuration and never reveal the key.
pub fn key_id(key: &[u8; 32]) -> String {
    hex::encode(&Sha256::digest(key)[..4])
}

impl Keyring {
    pub fn new(primary: &[u8; 32], retired: &[[u8; 32]], blind_index_key: &[u8; 32]) -> Self {
        let mut ciphers = HashMap::new();
        for key in retired.iter().chain(std::iter::once(primary)) {
            ciphers.insert(key_id(key), Aes256Gcm::new(key.into()));
        }
        // The blind-index key has its own secret (rotating encryption keys never changes an
        // index); it is still passed through a labelled HMAC so it is never used raw.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(blind_index_key)
            .expect("HMAC takes any key length");
        mac.update(b"hospitallink blind index v1");
        let index_key: [u8; 32] = mac.finalize().into_bytes().into();
        Self {
            primary_id: key_id(primary),
            ciphers,
            index_key,
        }
    }

    pub fn primary_id(&self) -> &str {
        &self.primary_id
    }

    fn aad(table: &str, column: &str, row: Uuid) -> Vec<u8> {
        format!("{table}\0{column}\0{row}").into_bytes()
    }

    /// Encrypts with the primary key: the fresh nonce and the ciphertext.
    fn encrypt(&self, table: &str, column: &str, row: Uuid, clear: &[u8]) -> ([u8; 12], Vec<u8>) {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let cipher = &self.ciphers[&self.primary_id];
        let aad = Self::aad(table, column, row);
        let sealed = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: clear,
                    aad: &aad,
                },
            )
            .expect("AES-GCM sealing does not fail for in-memory buffers");
        (nonce, sealed)
    }

    fn decrypt(
        &self,
        table: &str,
        column: &str,
        row: Uuid,
        kid: &str,
        nonce: &[u8],
        sealed: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let cipher = self
            .ciphers
            .get(kid)
            .ok_or_else(|| CryptoError::UnknownKey(kid.to_string()))?;
        if nonce.len() != 12 {
            return Err(CryptoError::Malformed);
        }
        let aad = Self::aad(table, column, row);
        cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: &aad,
                },
            )
            .map_err(|_| CryptoError::Rejected)
    }

    /// Seals `plaintext` for `table.column` of row `row` with the primary key.
    pub fn seal(&self, table: &str, column: &str, row: Uuid, plaintext: &str) -> String {
        let (nonce, sealed) = self.encrypt(table, column, row, plaintext.as_bytes());
        format!(
            "{VERSION}.{}.{}.{}",
            self.primary_id,
            URL_SAFE_NO_PAD.encode(nonce),
            URL_SAFE_NO_PAD.encode(sealed)
        )
    }

    /// Seals a file for `table.column` of row `row`: `hlb1`, the key id's length and the key
    /// id, the nonce, then the ciphertext (binary, for attachments).
    pub fn seal_bytes(&self, table: &str, column: &str, row: Uuid, clear: &[u8]) -> Vec<u8> {
        let (nonce, sealed) = self.encrypt(table, column, row, clear);
        let kid = self.primary_id.as_bytes();
        let mut out = Vec::with_capacity(BLOB_VERSION.len() + 1 + kid.len() + 12 + sealed.len());
        out.extend_from_slice(BLOB_VERSION);
        out.push(kid.len() as u8);
        out.extend_from_slice(kid);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// The key id a sealed file names, if it is one.
    pub fn blob_key_id(blob: &[u8]) -> Option<&str> {
        let rest = blob.strip_prefix(BLOB_VERSION)?;
        let (&len, rest) = rest.split_first()?;
        std::str::from_utf8(rest.get(..len as usize)?).ok()
    }

    /// Opens a file sealed by `seal_bytes` for exactly this table, column and row.
    pub fn open_bytes(
        &self,
        table: &str,
        column: &str,
        row: Uuid,
        blob: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let kid = Self::blob_key_id(blob).ok_or(CryptoError::Malformed)?;
        let start = BLOB_VERSION.len() + 1 + kid.len();
        let nonce = blob.get(start..start + 12).ok_or(CryptoError::Malformed)?;
        self.decrypt(table, column, row, kid, nonce, &blob[start + 12..])
    }

    /// Opens an envelope sealed for exactly this table, column and row.
    pub fn open(
        &self,
        table: &str,
        column: &str,
        row: Uuid,
        envelope: &str,
    ) -> Result<String, CryptoError> {
        let mut parts = envelope.split('.');
        let (Some(VERSION), Some(kid), Some(nonce), Some(sealed), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(CryptoError::Malformed);
        };
        let nonce = URL_SAFE_NO_PAD
            .decode(nonce)
            .map_err(|_| CryptoError::Malformed)?;
        let sealed = URL_SAFE_NO_PAD
            .decode(sealed)
            .map_err(|_| CryptoError::Malformed)?;
        let clear = self.decrypt(table, column, row, kid, &nonce, &sealed)?;
        String::from_utf8(clear).map_err(|_| CryptoError::Rejected)
    }

    /// Whether an envelope was sealed with a key other than the primary (rotation re-seals it).
    pub fn is_stale(&self, envelope: &str) -> bool {
        envelope.split('.').nth(1) != Some(self.primary_id.as_str())
    }

    /// A keyed index of an already normalised value, separated by purpose (`email`, `phone`,
    /// `national_id`, `name`), as 64 hex characters.
    pub fn blind_index(&self, purpose: &str, normalised: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.index_key)
            .expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        mac.update(b"\0");
        mac.update(normalised.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> [u8; 32] {
        let mut k = [0u8; 32];
        for (i, b) in k.iter_mut().enumerate() {
            *b = byte.wrapping_add(i as u8);
        }
        k
    }

    #[test]
    fn seals_and_opens_for_the_same_place_only() {
        let ring = Keyring::new(&key(1), &[], &key(9));
        let row = Uuid::now_v7();
        let env = ring.seal("patients", "phone", row, "+254 700 000 001");
        assert!(env.starts_with(&format!("hl1.{}.", ring.primary_id())));
        assert!(!env.contains("254"));
        assert_eq!(
            ring.open("patients", "phone", row, &env).unwrap(),
            "+254 700 000 001"
        );
        // Moved to another row, column or table: it does not open.
        assert_eq!(
            ring.open("patients", "phone", Uuid::now_v7(), &env),
            Err(CryptoError::Rejected)
        );
        assert_eq!(
            ring.open("patients", "email", row, &env),
            Err(CryptoError::Rejected)
        );
        assert_eq!(
            ring.open("staff", "phone", row, &env),
            Err(CryptoError::Rejected)
        );
    }

    #[test]
    fn nonces_differ_and_tampering_is_rejected() {
        let ring = Keyring::new(&key(1), &[], &key(9));
        let row = Uuid::now_v7();
        let a = ring.seal("t", "c", row, "same");
        let b = ring.seal("t", "c", row, "same");
        assert_ne!(a, b, "a fresh nonce every time");
        let mut parts: Vec<String> = a.split('.').map(str::to_string).collect();
        let mut bytes = URL_SAFE_NO_PAD.decode(&parts[3]).unwrap();
        bytes[0] ^= 1;
        parts[3] = URL_SAFE_NO_PAD.encode(bytes);
        assert_eq!(
            ring.open("t", "c", row, &parts.join(".")),
            Err(CryptoError::Rejected)
        );
        assert_eq!(
            ring.open("t", "c", row, "plain text"),
            Err(CryptoError::Malformed)
        );
    }

    #[test]
    fn rotation_keeps_old_values_readable_until_resealed() {
        let old = Keyring::new(&key(1), &[], &key(9));
        let row = Uuid::now_v7();
        let env = old.seal("patients", "email", row, "a@b.org");
        let rotated = Keyring::new(&key(2), &[key(1)], &key(9));
        assert!(rotated.is_stale(&env));
        assert_eq!(
            rotated.open("patients", "email", row, &env).unwrap(),
            "a@b.org"
        );
        let resealed = rotated.seal("patients", "email", row, "a@b.org");
        assert!(!rotated.is_stale(&resealed));
        // Once the old key is dropped, what was not resealed cannot be read.
        let only_new = Keyring::new(&key(2), &[], &key(9));
        assert_eq!(
            only_new.open("patients", "email", row, &env),
            Err(CryptoError::UnknownKey(key_id(&key(1))))
        );
    }

    #[test]
    fn files_seal_for_one_row_and_rotate() {
        let old = Keyring::new(&key(1), &[], &key(9));
        let row = Uuid::now_v7();
        let scan = b"%PDF-1.4 consent of patient".to_vec();
        let blob = old.seal_bytes("patient_attachments", "content", row, &scan);
        assert!(!blob.windows(7).any(|w| w == b"consent"));
        assert_eq!(Keyring::blob_key_id(&blob), Some(old.primary_id()));
        assert_eq!(
            old.open_bytes("patient_attachments", "content", row, &blob)
                .unwrap(),
            scan
        );
        assert_eq!(
            old.open_bytes("patient_attachments", "content", Uuid::now_v7(), &blob),
            Err(CryptoError::Rejected)
        );
        let mut tampered = blob.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert_eq!(
            old.open_bytes("patient_attachments", "content", row, &tampered),
            Err(CryptoError::Rejected)
        );
        assert_eq!(
            old.open_bytes("patient_attachments", "content", row, &scan),
            Err(CryptoError::Malformed)
        );
        assert_eq!(
            old.open_bytes("patient_attachments", "content", row, b"hlb1"),
            Err(CryptoError::Malformed)
        );
        let rotated = Keyring::new(&key(2), &[key(1)], &key(9));
        assert_eq!(
            rotated
                .open_bytes("patient_attachments", "content", row, &blob)
                .unwrap(),
            scan
        );
        let only_new = Keyring::new(&key(2), &[], &key(9));
        assert_eq!(
            only_new.open_bytes("patient_attachments", "content", row, &blob),
            Err(CryptoError::UnknownKey(key_id(&key(1))))
        );
    }

    #[test]
    fn blind_indexes_are_keyed_and_separated_by_purpose() {
        let ring = Keyring::new(&key(1), &[], &key(9));
        let a = ring.blind_index("email", "a@b.org");
        assert_eq!(a, ring.blind_index("email", "a@b.org"), "deterministic");
        assert_ne!(a, ring.blind_index("phone", "a@b.org"));
        assert_ne!(
            a,
            Keyring::new(&key(1), &[], &key(3)).blind_index("email", "a@b.org")
        );
        assert_eq!(a.len(), 64);
        assert!(!format!("{ring:?}").contains(&hex::encode(key(1))));
        // Rotating the encryption key leaves every index as it was.
        let rotated = Keyring::new(&key(2), &[key(1)], &key(9));
        assert_eq!(rotated.blind_index("email", "a@b.org"), a);
    }
}
