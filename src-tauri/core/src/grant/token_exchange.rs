//! OAuth 2.0 token exchange (RFC 8693): a confidential client trades a user's token (the
//! subject: another account's token, or a pasted one) for a token that acts for that user —
//! the "client credentials + user token" pattern of SDKs working on behalf of a front end.

use super::client_auth::{push_opt, token_request, AuthMethod, ClientAuth};
use super::Context;
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::token::TokenSet;
use serde::Deserialize;
use url::Url;

pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub token_url: Url,
    /// RFC 7009 revocation endpoint: tokens are revoked there when the account is removed.
    pub revocation_url: Option<Url>,
    pub client_id: String,
    /// Not for `private_key_jwt`.
    pub client_secret: Option<Secret>,
    pub auth_method: Option<AuthMethod>,
    /// `private_key_jwt`: the client's key (PEM), the `kid` it is registered under, RS256 or
    /// PS256 for an RSA key, a certificate whose `x5t#S256` names it, the assertion's `aud`.
    pub private_key: Option<Secret>,
    pub key_id: Option<String>,
    pub signing_alg: Option<crate::jws::Alg>,
    pub certificate_file: Option<std::path::PathBuf>,
    pub assertion_audience: Option<String>,
    /// DPoP (RFC 9449): bind the tokens to a key the account holds (generated and sealed).
    pub dpop: Option<bool>,
    pub dpop_key: Option<Secret>,
    /// Mutual TLS (RFC 8705): the client certificate (a PEM file) and its key (sealed;
    /// `tls_client_key_file` in a profile), and a CA to trust for the server's certificate.
    pub tls_client_cert_file: Option<std::path::PathBuf>,
    pub tls_client_key: Option<Secret>,
    pub tls_ca_file: Option<std::path::PathBuf>,
    /// The account whose current token is the subject...
    pub subject_account: Option<String>,
    /// ...or a pasted subject token.
    pub subject_token: Option<Secret>,
    /// Default `urn:ietf:params:oauth:token-type:access_token`.
    pub subject_token_type: Option<String>,
    pub requested_token_type: Option<String>,
    pub audience: Option<String>,
    pub resource: Option<String>,
    pub scope: Option<String>,
}

impl Config {
    pub fn check(&self) -> std::result::Result<(), String> {
        match (&self.subject_account, &self.subject_token) {
            (Some(_), None) | (None, Some(_)) => Ok(()),
            _ => Err("give exactly one of subject_account or subject_token".into()),
        }
    }

    pub fn client(&self) -> ClientAuth<'_> {
        ClientAuth {
            client_id: &self.client_id,
            client_secret: self.client_secret.as_ref(),
            method: self.auth_method,
            key: super::client_auth::assertion_key!(self),
            dpop: self.dpop.unwrap_or(false),
            dpop_key: self.dpop_key.as_ref(),
            tls: super::client_auth::Tls {
                cert_file: self.tls_client_cert_file.as_deref(),
                key: self.tls_client_key.as_ref(),
                ca_file: self.tls_ca_file.as_deref(),
            },
        }
    }
}

/// `subject` is the current token of `subject_account`, fetched by the engine.
pub async fn obtain(ctx: Context<'_>, c: &Config, subject: Option<Secret>) -> Result<TokenSet> {
    let subject = subject
        .or_else(|| c.subject_token.clone())
        .ok_or_else(|| Error::InvalidConfig("no subject token to exchange".into()))?;
    let mut form = vec![
        ("grant_type", GRANT_TYPE.to_string()),
        ("subject_token", subject.expose().to_string()),
        (
            "subject_token_type",
            c.subject_token_type
                .clone()
                .unwrap_or_else(|| ACCESS_TOKEN_TYPE.into()),
        ),
    ];
    push_opt(&mut form, "requested_token_type", &c.requested_token_type);
    push_opt(&mut form, "audience", &c.audience);
    push_opt(&mut form, "resource", &c.resource);
    push_opt(&mut form, "scope", &c.scope);
    token_request(ctx, &c.token_url, &c.client(), form).await
}
