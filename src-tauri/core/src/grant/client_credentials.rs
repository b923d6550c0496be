//! OAuth 2.0 client credentials (RFC 6749 §4.4), with `client_secret_basic` or
//! `client_secret_post`, optional scopes and an RFC 8707 `resource` or an `audience`.

use super::client_auth::{push_opt, token_request, ClientAuth};
use super::Context;
use crate::error::Result;
use crate::secret::Secret;
use crate::token::TokenSet;
use serde::Deserialize;
use url::Url;

// With the client settings every grant that authenticates a client shares (`auth_method`,
// keys, DPoP, mutual TLS): `client_config!`.
super::client_auth::client_config! {
    #[derive(Debug, Clone, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Config {
        /// The authorization server: endpoints not given are discovered from it (OIDC
        /// discovery or RFC 8414), and the answer's `issuer` must be this exactly.
        pub issuer: Option<String>,
        pub token_url: Option<Url>,
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
    }
}

impl Config {
    pub fn client(&self) -> ClientAuth<'_> {
        super::client_auth::client_of!(self, &self.client_id, self.client_secret.as_ref())
    }
}

pub async fn obtain(ctx: Context<'_>, c: &Config) -> Result<TokenSet> {
    let mut form = vec![("grant_type", "client_credentials".to_string())];
    push_opt(&mut form, "scope", &c.scope);
    push_opt(&mut form, "resource", &c.resource);
    push_opt(&mut form, "audience", &c.audience);
    token_request(
        ctx,
        super::endpoint(&c.token_url, "token_url")?,
        &c.client(),
        form,
    )
    .await
}
