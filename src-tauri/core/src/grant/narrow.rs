//! How an account obtains a token narrower than its own ([`crate::narrow`]): with its refresh
//! token (RFC 6749 §6 allows fewer scopes), else by a new request of its own grant (client
//! credentials, a signed assertion, a token exchange for its subject), else by trading its own
//! token (RFC 8693) when the account says `narrow_by = "token_exchange"`. The account's own
//! token is never touched here: the engine keeps what this returns apart.

use super::{client_auth::ClientAuth, endpoint, refresh_token, token_exchange, Context};
use super::{client_credentials, jwt_bearer, GrantConfig};
use crate::error::{Error, Result};
use crate::narrow::{Narrower, Way};
use crate::secret::Secret;
use crate::token::TokenSet;

/// What the request needs of the account's own state.
pub struct Held<'a> {
    /// The account's own access token (traded when it narrows by exchange).
    pub access_token: Option<&'a Secret>,
    /// The refresh token it holds.
    pub refresh_token: Option<&'a Secret>,
    /// For a token exchange: the current token of its subject account.
    pub subject: Option<Secret>,
}

/// How `grant` obtains a token narrowed to `ask`, before any request: what the engine must
/// have first (the account's own token for a refresh or an exchange).
pub fn way(grant: &GrantConfig, ask: &Narrower, by_exchange: bool) -> Result<Way> {
    if by_exchange {
        return match grant.client() {
            Some(_) => Ok(Way::Exchange),
            None => Err(Error::InvalidConfig(format!(
                "narrow_by = \"token_exchange\" needs an OAuth client; a {} account has none",
                grant.kind().as_str()
            ))),
        };
    }
    match grant {
        GrantConfig::ClientCredentials(_) => Ok(Way::Anew),
        GrantConfig::JwtBearer(_) if ask.audience.is_none() && ask.resource.is_none() => {
            Ok(Way::Anew)
        }
        GrantConfig::JwtBearer(_) => Err(Error::Unsupported(
            "a signed assertion asks only for scopes: its audience is the token endpoint's".into(),
        )),
        GrantConfig::TokenExchange(_) => Ok(Way::Exchange),
        GrantConfig::AuthorizationCode(_)
        | GrantConfig::DeviceCode(_)
        | GrantConfig::RefreshToken(_) => Ok(Way::Refresh),
        GrantConfig::Password(c) if c.token_url.is_some() => Ok(Way::Refresh),
        other => Err(Error::Unsupported(format!(
            "a {} account cannot ask for a narrower token: it has no OAuth token request to narrow (an account with a refresh token, client credentials, a signed assertion or a token exchange can)",
            other.kind().as_str()
        ))),
    }
}

/// One request for a token narrowed to `ask`, the way [`way`] said. `grant` has its
/// endpoints resolved (discovery). A refresh's answer keeps the refresh token it rotated.
pub async fn obtain(
    ctx: Context<'_>,
    grant: &GrantConfig,
    ask: &Narrower,
    held: Held<'_>,
    way: Way,
) -> Result<TokenSet> {
    let own = || {
        held.access_token.ok_or_else(|| {
            Error::LoginRequired("the account holds no token of its own to trade".into())
        })
    };
    match (way, grant) {
        (Way::Exchange, GrantConfig::TokenExchange(c)) => {
            let mut narrowed = c.clone();
            narrow(&mut narrowed.scope, &ask.scope);
            narrow(&mut narrowed.audience, &ask.audience);
            narrow(&mut narrowed.resource, &ask.resource);
            token_exchange::obtain(ctx, &narrowed, held.subject).await
        }
        (Way::Exchange, _) => {
            let (token_url, client) = token_endpoint(grant)?;
            token_exchange::exchange_own(ctx, token_url, &client, own()?, ask).await
        }
        (Way::Anew, GrantConfig::ClientCredentials(c)) => {
            let mut narrowed = c.clone();
            narrow(&mut narrowed.scope, &ask.scope);
            narrow(&mut narrowed.audience, &ask.audience);
            narrow(&mut narrowed.resource, &ask.resource);
            client_credentials::obtain(ctx, &narrowed).await
        }
        (Way::Anew, GrantConfig::JwtBearer(c)) => {
            let mut narrowed = c.clone();
            narrow(&mut narrowed.scope, &ask.scope);
            jwt_bearer::obtain(ctx, &narrowed).await
        }
        (Way::Refresh, _) => {
            let rt = held.refresh_token.ok_or_else(|| {
                Error::LoginRequired("the account holds no refresh token: log in first".into())
            })?;
            let (token_url, client) = token_endpoint(grant)?;
            refresh_token::refresh_for(ctx, token_url, &client, rt, ask).await
        }
        (way, other) => Err(Error::Unsupported(format!(
            "a {} account does not narrow by {}",
            other.kind().as_str(),
            way.as_str()
        ))),
    }
}

/// What is asked replaces the account's own setting; what is not asked stays.
fn narrow(setting: &mut Option<String>, asked: &Option<String>) {
    if asked.is_some() {
        setting.clone_from(asked);
    }
}

/// The account's token endpoint and client.
fn token_endpoint(grant: &GrantConfig) -> Result<(&url::Url, ClientAuth<'_>)> {
    let (url, client) = match grant {
        GrantConfig::ClientCredentials(c) => (&c.token_url, c.client()),
        GrantConfig::RefreshToken(c) => (&c.token_url, c.client()),
        GrantConfig::AuthorizationCode(c) => (&c.token_url, c.client()),
        GrantConfig::DeviceCode(c) => (&c.token_url, c.client()),
        GrantConfig::TokenExchange(c) => (&c.token_url, c.client()),
        GrantConfig::Password(c) => (&c.token_url, c.client_or_anonymous()),
        other => {
            return Err(Error::Unsupported(format!(
                "a {} account has no token endpoint to ask",
                other.kind().as_str()
            )))
        }
    };
    Ok((endpoint(url, "token_url")?, client))
}
