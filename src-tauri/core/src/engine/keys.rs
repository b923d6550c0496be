//! Keys the engine holds for accounts that sign their client assertions (`private_key_jwt`,
//! `private_key`) or bind their tokens with DPoP (`dpop_key`). An account given no key gets a
//! P-256 key, generated once and sealed like any secret, and kept when the account is replaced (an edited profile entry, a changed form), so that a key
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

impl PublicKey {
    /// One part as text to register: `jwk` (pretty), `jwks` (one line) or `certificate`.
    pub fn part(&self, part: &str) -> Result<String> {
        match part {
            "jwk" => Ok(serde_json::to_string_pretty(&self.jwk).expect("JSON")),
            "jwks" => Ok(serde_json::to_string(&self.jwks).expect("JSON")),
            "certificate" => self.certificate.clone().ok_or_else(|| {
                Error::Unsupported("no certificate can be made for this key".into())
            }),
            other => Err(Error::BadRequest(format!(
                "no part {other:?} of a public key"
            ))),
        }
    }
}

/// Days a generated certificate is valid.
const CERTIFICATE_DAYS: i64 = 730;

/// The keys the account needs and has not been given: `private_key` when it signs its client
/// assertions, `dpop_key` when it binds its tokens.
fn missing_keys(config: &AccountConfig) -> Vec<&'static str> {
    if let crate::GrantConfig::JwtBearer(c) = &config.grant {
        return match c.has_key() {
            true => vec![],
            false => vec!["private_key"],
        };
    }
    let Some(client) = config.grant.client() else {
        return vec![];
    };
    let wanted = [
        ("private_key", client.method() == AuthMethod::PrivateKeyJwt),
        ("dpop_key", client.dpop),
    ];
    wanted
        .into_iter()
        .filter(|(key, needed)| *needed && !config.secrets.contains_key(*key))
        .map(|(key, _)| key)
        .collect()
}

/// The account with the keys it needs: its own, else those `held` (the account it replaces)
/// had, else new ones. An account that needs none is returned as it is.
pub(crate) fn keyed(config: AccountConfig, held: Option<&AccountConfig>) -> Result<AccountConfig> {
    let missing = missing_keys(&config);
    if missing.is_empty() {
        return Ok(config);
    }
    let mut secrets = config.secrets;
    for name in missing {
        let key = match held.and_then(|c| c.secrets.get(name)) {
            Some(key) => key.clone(),
            None => SigningKey::generate().map_err(Error::System)?,
        };
        secrets.insert(name.into(), key);
    }
    AccountConfig::from_parts(config.name, config.settings, secrets).map_err(Error::InvalidConfig)
}

impl EngineHandle {
    /// The account as it is stored: with the keys it held before, or new ones ([`keyed`]).
    pub(crate) async fn with_key(&self, config: AccountConfig) -> Result<AccountConfig> {
        // Most accounts need no key: no look at the store for them.
        if missing_keys(&config).is_empty() {
            return Ok(config);
        }
        let held = self.stored_config(&config.name).await?;
        keyed(config, held.as_ref())
    }

    /// The headers for one request with a DPoP-bound token: the token (refreshed first if
    /// due) and a fresh proof for `method` and `url` with the token's hash.
    pub async fn dpop_headers(
        &self,
        name: &str,
        method: &str,
        url: &str,
    ) -> Result<crate::dpop::Headers> {
        let url = url::Url::parse(url)
            .map_err(|e| Error::BadRequest(format!("{url:?} is not a URL: {e}")))?;
        let token = self.get_token(name).await?;
        let account = self.account(name)?;
        let config = account.config.as_ref().map_err(Clone::clone)?;
        let key = config
            .grant
            .client()
            .filter(|c| c.dpop)
            .and_then(|c| c.dpop_key);
        let key = key.ok_or_else(|| {
            Error::Unsupported(format!(
                "{name} does not bind its tokens with DPoP (dpop = true)"
            ))
        })?;
        let dpop = crate::dpop::proof(key, method, &url, Some(token.expose()), None, self.now())
            .map_err(Error::InvalidConfig)?;
        Ok(crate::dpop::Headers {
            authorization: crate::api::SecretText::new(format!("DPoP {}", token.expose())),
            dpop: crate::api::SecretText::new(dpop),
        })
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
        // The key, its algorithm, its id, and the name its certificate carries.
        let (pem, alg, kid, subject) = match &config.grant {
            crate::GrantConfig::JwtBearer(c) => {
                let resolved = c.resolved().map_err(Error::InvalidConfig)?;
                (resolved.key, None, resolved.key_id, resolved.issuer)
            }
            grant => {
                let client = grant.client().ok_or_else(unsupported)?;
                if client.method() != AuthMethod::PrivateKeyJwt {
                    return Err(unsupported());
                }
                let pem = client.key.private_key.ok_or_else(unsupported)?.clone();
                let kid = client.key.key_id.map(str::to_string);
                (
                    pem,
                    client.key.signing_alg,
                    kid,
                    client.client_id.to_string(),
                )
            }
        };
        let key = SigningKey::from_pem(&pem, alg).map_err(Error::InvalidConfig)?;
        let mut jwk = key.public_jwk().ok_or_else(unsupported)?;
        jwk["alg"] = key.alg().name().into();
        jwk["use"] = "sig".into();
        if let Some(kid) = kid {
            jwk["kid"] = kid.into();
        }
        let certificate =
            crate::jws::self_signed_certificate(&pem, &subject, self.now(), CERTIFICATE_DAYS).ok();
        Ok(PublicKey {
            jwks: serde_json::json!({ "keys": [jwk.clone()] }),
            jwk,
            thumbprint: key.thumbprint().unwrap_or_default(),
            certificate,
        })
    }
}
