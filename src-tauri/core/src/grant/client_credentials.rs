//! OAuth 2.0 client credentials (RFC 6749 §4.4), with `client_secret_basic` or
//! `client_secret_post`, optional scopes and an RFC 8707 `resource` or an `audience`.

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
    /// Not for `private_key_jwt`.
    pub client_secret: Option<Secret>,
    /// Space-separated scopes to request.
    pub scope: Option<String>,
    /// RFC 8707 resource indicator.
    pub resource: Option<String>,
    /// Some servers name the API by `audience` instead (Auth0 and others).
    pub audience: Option<String>,
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

pub async fn obtain(ctx: Context<'_>, c: &Config) -> Result<TokenSet> {
    let mut form = vec![("grant_type", "client_credentials".to_string())];
    push_opt(&mut form, "scope", &c.scope);
    push_opt(&mut form, "resource", &c.resource);
    push_opt(&mut form, "audience", &c.audience);
    token_request(ctx, &c.token_url, &c.client(), form).await
}
