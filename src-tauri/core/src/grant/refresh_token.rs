//! The refresh token grant (RFC 6749 §6), for an imported refresh token and for every grant
//! that got one at login. Rotation: a new refresh token in the answer replaces the old one;
//! an answer without one keeps the old one ([`super::keep_refresh_token`]).

use super::client_auth::{push_opt, token_request, AuthMethod, ClientAuth};
use super::Context;
use crate::error::Result;
use crate::secret::Secret;
use crate::token::TokenSet;
use serde::Deserialize;
use url::Url;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub token_url: Url,
    /// RFC 7009 revocation endpoint: tokens are revoked there when the account is removed.
    pub revocation_url: Option<Url>,
    pub client_id: String,
    /// Confidential clients only.
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
    /// The refresh token as imported; once it rotates, the engine holds the newest one.
    pub refresh_token: Secret,
    /// Narrower scopes to ask for (optional, §6).
    pub scope: Option<String>,
}

impl Config {
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

/// Renews with the newest refresh token held, or the imported one at first.
pub async fn renew(ctx: Context<'_>, c: &Config, held: Option<&Secret>) -> Result<TokenSet> {
    let rt = held.unwrap_or(&c.refresh_token);
    let fresh = refresh(ctx, &c.token_url, &c.client(), rt, c.scope.clone()).await?;
    Ok(super::keep_refresh_token(fresh, Some(rt)))
}

/// One refresh request.
pub async fn refresh(
    ctx: Context<'_>,
    token_url: &Url,
    client: &ClientAuth<'_>,
    refresh_token: &Secret,
    scope: Option<String>,
) -> Result<TokenSet> {
    let mut form = vec![
        ("grant_type", "refresh_token".to_string()),
        ("refresh_token", refresh_token.expose().to_string()),
    ];
    push_opt(&mut form, "scope", &scope);
    let fresh = token_request(ctx, token_url, client, form).await?;
    Ok(super::keep_refresh_token(fresh, Some(refresh_token)))
}
