//! OAuth 2.0 token exchange (RFC 8693): a confidential client trades a user's token (the
//! subject: another account's token, or a pasted one) for a token that acts for that user —
//! the "client credentials + user token" pattern of SDKs working on behalf of a front end.

use super::client_auth::{push_opt, token_request, ClientAuth};
use super::Context;
use crate::error::{Error, Result};
use crate::narrow::Narrower;
use crate::secret::Secret;
use crate::token::TokenSet;
use serde::Deserialize;
use url::Url;

pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

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
}

impl Config {
    pub fn check(&self) -> std::result::Result<(), String> {
        match (&self.subject_account, &self.subject_token) {
            (Some(_), None) | (None, Some(_)) => Ok(()),
            _ => Err("give exactly one of subject_account or subject_token".into()),
        }
    }

    pub fn client(&self) -> ClientAuth<'_> {
        super::client_auth::client_of!(self, &self.client_id, self.client_secret.as_ref())
    }
}

/// `subject` is the current token of `subject_account`, fetched by the engine.
pub async fn obtain(ctx: Context<'_>, c: &Config, subject: Option<Secret>) -> Result<TokenSet> {
    let subject = subject
        .or_else(|| c.subject_token.clone())
        .ok_or_else(|| Error::InvalidConfig("no subject token to exchange".into()))?;
    let subject_type = c.subject_token_type.as_deref().unwrap_or(ACCESS_TOKEN_TYPE);
    let mut form = form(&subject, subject_type);
    push_opt(&mut form, "requested_token_type", &c.requested_token_type);
    push_opt(&mut form, "audience", &c.audience);
    push_opt(&mut form, "resource", &c.resource);
    push_opt(&mut form, "scope", &c.scope);
    let token_url = super::endpoint(&c.token_url, "token_url")?;
    token_request(ctx, token_url, &c.client(), form).await
}

/// An account's own access token traded for a narrower one, at its own token endpoint, as
/// its own client (an account that says `narrow_by = "token_exchange"`).
pub async fn exchange_own(
    ctx: Context<'_>,
    token_url: &Url,
    client: &ClientAuth<'_>,
    own: &Secret,
    ask: &Narrower,
) -> Result<TokenSet> {
    let mut form = form(own, ACCESS_TOKEN_TYPE);
    push_opt(&mut form, "audience", &ask.audience);
    push_opt(&mut form, "resource", &ask.resource);
    push_opt(&mut form, "scope", &ask.scope);
    token_request(ctx, token_url, client, form).await
}

fn form(subject: &Secret, subject_type: &str) -> Vec<(&'static str, String)> {
    vec![
        ("grant_type", GRANT_TYPE.to_string()),
        ("subject_token", subject.expose().to_string()),
        ("subject_token_type", subject_type.to_string()),
    ]
}
