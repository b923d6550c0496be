//! Keys the engine holds for accounts that sign their client assertions (`private_key_jwt`).
//! An account given no key gets a P-256 key, generated once and sealed like any secret, and
//! kept when the account is replaced (an edited profile entry, a changed form), so that a key
//! registered at the server stays registered. Its public half — a JWK, a JWKS and a
//! certificate — is what `tokentray key` and the window give the person to register; the
//! private half never leaves the engine.

use super::EngineHandle;
use crate::error::{Error, Result};
use crate::grant::client_auth::AuthMethod;
use crate::jws::SigningKey;
use crate::AccountConfig;
use serde::{Deserialize, Serialize};

/// What to register at the server for an account's key.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicKey {
    /// The public JWK, with `alg`, `use` and (when the account names one) `kid`.
    #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown>"))]
    pub jwk: serde_json::Value,
    /// The same as a JWK Set, for a `jwks` field or a `jwks_uri` document.
    #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown>"))]
    pub jwks: serde_json::Value,
    /// RFC 7638 SHA-256 thumbprint of the JWK.
    pub thumbprint: String,
    /// A self-signed certificate of the key (`CN=<client_id>`, two years), for servers that
    /// want a certificate (Entra ID); `None` for a key the certificate maker cannot use.
    pub certificate: Option<String>,
}

/// Days a generated certificate is valid.
const CERTIFICATE_DAYS: i64 = 730;

fn signs_with_key(config: &AccountConfig) -> bool {
    let client = config.grant.client();
    client.is_some_and(|c| c.method() == AuthMethod::PrivateKeyJwt)
}

/// The account with the key it signs with: its own, else the one `held` (the account it
/// replaces) had, else a new one. Accounts that do not sign with a key are returned as they are.
pub(crate) fn keyed(config: AccountConfig, held: Option<&AccountConfig>) -> Result<AccountConfig> {
    if !signs_with_key(&config) || config.secrets.contains_key("private_key") {
        return Ok(config);
    }
    let key = match held.and_then(|c| c.secrets.get("private_key")) {
        Some(key) => key.clone(),
        None => SigningKey::generate().map_err(Error::System)?,
    };
    let mut secrets = config.secrets;
    secrets.insert("private_key".into(), key);
    AccountConfig::from_parts(config.name, config.settings, secrets).map_err(Error::InvalidConfig)
}

impl EngineHandle {
    /// The account as it is stored: with the key it held before, or a new one ([`keyed`]).
    pub(crate) async fn with_key(&self, config: AccountConfig) -> Result<AccountConfig> {
        if !signs_with_key(&config) || config.secrets.contains_key("private_key") {
            return Ok(config);
        }
        let held = self.stored_config(&config.name).await?;
        keyed(config, held.as_ref())
    }

    /// The public half of the account's key, to register at the server.
    pub fn public_key(&self, name: &str) -> Result<PublicKey> {
        let account = self.account(name)?;
        let config = account.config.as_ref().map_err(Clone::clone)?;
        let unsupported = || {
            Error::Unsupported(format!(
                "{name} does not sign with a key (auth_method = \"private_key_jwt\")"
            ))
        };
        let client = config.grant.client().ok_or_else(unsupported)?;
        if client.method() != AuthMethod::PrivateKeyJwt {
            return Err(unsupported());
        }
        let pem = client.key.private_key.ok_or_else(unsupported)?;
        let key =
            SigningKey::from_pem(pem, client.key.signing_alg).map_err(Error::InvalidConfig)?;
        let mut jwk = key.public_jwk().ok_or_else(unsupported)?;
        jwk["alg"] = key.alg().name().into();
        jwk["use"] = "sig".into();
        if let Some(kid) = client.key.key_id {
            jwk["kid"] = kid.into();
        }
        let certificate = crate::jws::self_signed_certificate(
            pem,
            client.client_id,
            self.now(),
            CERTIFICATE_DAYS,
        )
        .ok();
        Ok(PublicKey {
            jwks: serde_json::json!({ "keys": [jwk.clone()] }),
            jwk,
            thumbprint: key.thumbprint().unwrap_or_default(),
            certificate,
        })
    }
}
