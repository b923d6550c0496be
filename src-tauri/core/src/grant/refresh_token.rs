//! The refresh token grant (RFC 6749 §6), for an imported refresh token and for every grant
//! that got one at login. Rotation: a new refresh token in the answer replaces the old one;
//! an answer without one keeps the old one ([`super::keep_refresh_token`]).

use super::client_auth::{push_opt, token_request, ClientAuth};
use super::Context;
use crate::error::Result;
use crate::narrow::Narrower;
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
        /// Confidential clients only.
        pub client_secret: Option<Secret>,
        /// The refresh token as imported; once it rotates, the engine holds the newest one.
        pub refresh_token: Secret,
        /// Narrower scopes to ask for (optional, §6).
        pub scope: Option<String>,
    }
}

impl Config {
    pub fn client(&self) -> ClientAuth<'_> {
        super::client_auth::client_of!(self, &self.client_id, self.client_secret.as_ref())
    }
}

/// Renews with the newest refresh token held, or the imported one at first.
pub async fn renew(ctx: Context<'_>, c: &Config, held: Option<&Secret>) -> Result<TokenSet> {
    let rt = held.unwrap_or(&c.refresh_token);
    let token_url = super::endpoint(&c.token_url, "token_url")?;
    let fresh = refresh(ctx, token_url, &c.client(), rt, c.scope.clone()).await?;
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
    let ask = Narrower {
        scope,
        ..Default::default()
    };
    refresh_for(ctx, token_url, client, refresh_token, &ask).await
}

/// One refresh request for a token narrower than the account's own: fewer scopes (§6), a
/// resource (RFC 8707 §2.2) or an audience.
pub async fn refresh_for(
    ctx: Context<'_>,
    token_url: &Url,
    client: &ClientAuth<'_>,
    refresh_token: &Secret,
    ask: &Narrower,
) -> Result<TokenSet> {
    let mut form = vec![
        ("grant_type", "refresh_token".to_string()),
        ("refresh_token", refresh_token.expose().to_string()),
    ];
    push_opt(&mut form, "scope", &ask.scope);
    push_opt(&mut form, "resource", &ask.resource);
    push_opt(&mut form, "audience", &ask.audience);
    let fresh = token_request(ctx, token_url, client, form).await?;
    Ok(super::keep_refresh_token(fresh, Some(refresh_token)))
}
