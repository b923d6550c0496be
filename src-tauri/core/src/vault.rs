//! The vault: every secret is sealed with XChaCha20-Poly1305 under one random 256-bit key per
//! data directory, with the account id and field name as associated data (a sealed value
//! moved to another account or field does not open). The key lives in the OS keyring (read
//! once at start), or — chosen knowingly, for headless machines — is derived from a passphrase
//! with Argon2id. Never a silent plaintext fallback.

use crate::error::{Error, Result};
use crate::held::Held;
use crate::secret::Secret;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::sync::{Arc, Mutex};
use zeroize::Zeroizing;

const NONCE_LEN: usize = 24;
/// Sealed under the key at creation; a key that opens it is the right key.
const CHECK_PLAINTEXT: &[u8] = b"tokentray vault check v1";
const CHECK_AD: &[u8] = b"vault:check";

/// Where the 256-bit key is kept.
pub trait KeyStore: Send + Sync {
    fn load(&self) -> Result<Option<Zeroizing<Vec<u8>>>>;
    fn save(&self, key: &[u8]) -> Result<()>;
    /// What the log and errors call it.
    fn describe(&self) -> String;
}

/// How the vault gets its key.
pub enum KeySource {
    Store(Box<dyn KeyStore>),
    /// Argon2id of this passphrase (TOKENTRAY_PASSPHRASE / TOKENTRAY_PASSPHRASE_FILE).
    Passphrase(Secret),
}

/// The OS keyring through the `keyring` crate (4.x): Secret Service (zbus) on Linux and the
/// BSDs, Keychain on macOS, Credential Manager on Windows. One entry per data directory.
pub struct OsKeyring {
    user: String,
}

impl OsKeyring {
    pub const SERVICE: &'static str = "tokentray";

    pub fn for_data_dir(dir: &std::path::Path) -> OsKeyring {
        let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        let dir = dir.display().to_string();
        // Windows canonicalizes to a verbatim path (`\\?\C:\…`), but a directory not made yet
        // cannot be canonicalized: the first start and the next would name two entries, and
        // the second would find no key (seen under Wine). The plain drive path for both.
        let dir = match dir.strip_prefix(r"\\?\") {
            Some(plain) if cfg!(windows) && plain.as_bytes().get(1) == Some(&b':') => plain,
            _ => dir.as_str(),
        };
        OsKeyring {
            user: format!("vault-key:{dir}"),
        }
    }

    fn entry(&self) -> Result<keyring::Entry> {
        keyring::Entry::new(Self::SERVICE, &self.user).map_err(keyring_error)
    }
}

impl KeyStore for OsKeyring {
    fn load(&self) -> Result<Option<Zeroizing<Vec<u8>>>> {
        match self.entry()?.get_secret() {
            Ok(key) => Ok(Some(Zeroizing::new(key))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keyring_error(e)),
        }
    }

    fn save(&self, key: &[u8]) -> Result<()> {
        self.entry()?.set_secret(key).map_err(keyring_error)
    }

    fn describe(&self) -> String {
        let store = if cfg!(target_os = "macos") {
            "the macOS Keychain"
        } else if cfg!(windows) {
            "the Windows Credential Manager"
        } else {
            "the Secret Service (org.freedesktop.secrets)"
        };
        format!("{store}, entry {}/{}", Self::SERVICE, self.user)
    }
}

fn keyring_error(e: keyring::Error) -> Error {
    match e {
        keyring::Error::NoStorageAccess(inner) => Error::KeyringLocked(format!(
            "{inner}; unlock your keyring (or log in to the desktop session) and try again"
        )),
        keyring::Error::NoDefaultStore | keyring::Error::PlatformFailure(_) => {
            Error::KeyringUnavailable(format!(
                "{e}. No Secret Service answered on the session bus: start gnome-keyring or \
                 KeePassXC, or use a passphrase (TOKENTRAY_PASSPHRASE) on headless machines"
            ))
        }
        other => Error::KeyringUnavailable(other.to_string()),
    }
}

/// A key held in memory, for tests. Clones share the key.
#[derive(Clone, Default)]
pub struct MemoryKeyStore(Arc<Mutex<Option<Vec<u8>>>>);

impl KeyStore for MemoryKeyStore {
    fn load(&self) -> Result<Option<Zeroizing<Vec<u8>>>> {
        Ok(self.0.held().clone().map(Zeroizing::new))
    }

    fn save(&self, key: &[u8]) -> Result<()> {
        *self.0.held() = Some(key.to_vec());
        Ok(())
    }

    fn describe(&self) -> String {
        "an in-memory key store (tests)".into()
    }
}

/// Argon2id parameters, stored beside the data they protect.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KdfParams {
    pub salt: Vec<u8>,
    pub m_cost_kib: u32,
    pub t_cost: u32,
    pub p_cost: u32,
}

impl KdfParams {
    /// OWASP's Argon2id recommendation: 19 MiB, 2 passes, 1 lane.
    fn fresh() -> KdfParams {
        let mut salt = vec![0u8; 16];
        getrandom(&mut salt);
        KdfParams {
            salt,
            m_cost_kib: 19 * 1024,
            t_cost: 2,
            p_cost: 1,
        }
    }

    fn derive(&self, passphrase: &Secret) -> Result<Zeroizing<Vec<u8>>> {
        let params = argon2::Params::new(self.m_cost_kib, self.t_cost, self.p_cost, Some(32))
            .map_err(|e| Error::Storage(format!("bad Argon2 parameters: {e}")))?;
        let argon =
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut key = Zeroizing::new(vec![0u8; 32]);
        argon
            .hash_password_into(passphrase.expose().as_bytes(), &self.salt, &mut key)
            .map_err(|e| Error::Storage(format!("key derivation failed: {e}")))?;
        Ok(key)
    }
}

fn getrandom(buf: &mut [u8]) {
    use chacha20poly1305::aead::rand_core::RngCore;
    OsRng.fill_bytes(buf);
}

/// An opened vault.
pub struct Vault {
    cipher: XChaCha20Poly1305,
    digest_key: Zeroizing<Vec<u8>>,
    pub source: String,
}

/// The key never shows: only where it came from.
impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// What opening the vault decided, for the store to write.
#[derive(Debug)]
pub struct Opened {
    pub vault: Vault,
    /// A new check value (and KDF parameters) to write, when the vault was just created.
    pub new_check: Option<Vec<u8>>,
    pub new_kdf: Option<KdfParams>,
}

impl Vault {
    fn with_key(key: &[u8], source: String) -> Result<Vault> {
        let cipher = XChaCha20Poly1305::new_from_slice(key)
            .map_err(|_| Error::VaultKeyLost(format!("the key from {source} is not 256 bits")))?;
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("any key length");
        mac.update(b"tokentray digest key");
        let digest_key = Zeroizing::new(mac.finalize().into_bytes().to_vec());
        Ok(Vault {
            cipher,
            digest_key,
            source,
        })
    }

    /// Opens (or, on first use, creates) the vault for a data directory whose database holds
    /// `check` (sealed check value) and `kdf` (passphrase parameters), if any.
    pub fn unlock(
        source: KeySource,
        check: Option<&[u8]>,
        kdf: Option<KdfParams>,
    ) -> Result<Opened> {
        match source {
            KeySource::Store(store) => {
                if kdf.is_some() {
                    return Err(Error::InvalidConfig(
                        "this data directory is sealed with a passphrase: set TOKENTRAY_PASSPHRASE or TOKENTRAY_PASSPHRASE_FILE".into(),
                    ));
                }
                let name = store.describe();
                match (store.load()?, check) {
                    (Some(key), Some(check)) => {
                        let vault = Vault::with_key(&key, name.clone())?;
                        vault.verify(check).map_err(|_| {
                            Error::VaultKeyLost(format!("the key in {name} does not open this data directory's secrets (was the keyring reset, or the data copied from another machine?)"))
                        })?;
                        Ok(Opened { vault, new_check: None, new_kdf: None })
                    }
                    (Some(key), None) => {
                        let vault = Vault::with_key(&key, name)?;
                        let new_check = Some(vault.seal_raw(CHECK_AD, CHECK_PLAINTEXT));
                        Ok(Opened { vault, new_check, new_kdf: None })
                    }
                    (None, None) => {
                        let mut key = Zeroizing::new(vec![0u8; 32]);
                        getrandom(&mut key);
                        store.save(&key)?;
                        let vault = Vault::with_key(&key, name)?;
                        let new_check = Some(vault.seal_raw(CHECK_AD, CHECK_PLAINTEXT));
                        Ok(Opened { vault, new_check, new_kdf: None })
                    }
                    (None, Some(_)) => Err(Error::VaultKeyLost(format!(
                        "secrets are stored here but {name} has no key for them (was the keyring reset?); \
                         the accounts stay listed and their secrets must be entered again"
                    ))),
                }
            }
            KeySource::Passphrase(passphrase) => {
                if passphrase.expose().is_empty() {
                    return Err(Error::InvalidConfig("the passphrase is empty".into()));
                }
                match (kdf, check) {
                    (Some(kdf), Some(check)) => {
                        let vault = Vault::with_key(&kdf.derive(&passphrase)?, "a passphrase (Argon2id)".into())?;
                        vault.verify(check).map_err(|_| Error::WrongPassphrase)?;
                        Ok(Opened { vault, new_check: None, new_kdf: None })
                    }
                    (None, Some(_)) => Err(Error::InvalidConfig(
                        "this data directory is sealed with a key in the OS keyring, not a passphrase: unset TOKENTRAY_PASSPHRASE".into(),
                    )),
                    (_, None) => {
                        let kdf = KdfParams::fresh();
                        let vault = Vault::with_key(&kdf.derive(&passphrase)?, "a passphrase (Argon2id)".into())?;
                        let new_check = Some(vault.seal_raw(CHECK_AD, CHECK_PLAINTEXT));
                        Ok(Opened { vault, new_check, new_kdf: Some(kdf) })
                    }
                }
            }
        }
    }

    fn verify(&self, check: &[u8]) -> Result<()> {
        match self.open_raw(CHECK_AD, check) {
            Some(p) if p.as_slice() == CHECK_PLAINTEXT => Ok(()),
            _ => Err(Error::WrongPassphrase),
        }
    }

    fn seal_raw(&self, ad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ct = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: ad,
                },
            )
            .expect("sealing cannot fail");
        let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    fn open_raw(&self, ad: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        self.cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad: ad })
            .ok()
            .map(Zeroizing::new)
    }

    /// Seals a secret for one account's field; a fresh nonce every time.
    pub fn seal(&self, account_id: i64, field: &str, secret: &Secret) -> Vec<u8> {
        self.seal_raw(
            associated_data(account_id, field).as_bytes(),
            secret.expose().as_bytes(),
        )
    }

    /// Opens a sealed secret; fails if it was sealed for another account or field, or tampered.
    pub fn open(&self, account_id: i64, field: &str, sealed: &[u8]) -> Result<Secret> {
        let plain = self
            .open_raw(associated_data(account_id, field).as_bytes(), sealed)
            .ok_or_else(|| {
                Error::VaultKeyLost(format!(
                    "the sealed {field} of account {account_id} does not open"
                ))
            })?;
        String::from_utf8(plain.to_vec())
            .map(Secret::new)
            .map_err(|_| Error::Storage(format!("the sealed {field} is not text")))
    }

    /// A keyed digest (hex), for telling whether imported settings changed without storing them.
    pub fn digest(&self, data: &[u8]) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.digest_key).expect("any key length");
        mac.update(data);
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

fn associated_data(account_id: i64, field: &str) -> String {
    format!("account:{account_id}:field:{field}")
}

#[cfg(test)]
mod tests;
