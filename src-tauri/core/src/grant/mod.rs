//! How each grant obtains and renews a token. A grant only talks to the outside (HTTP, a
//! command); it never touches storage or the UI. [`renew`] is what the engine calls in the
//! background; the interactive logins ([`authorization_code::login`],
//! [`device_code::start`] + [`device_code::poll`]) are called when a person asks.

pub mod authorization_code;
pub mod client_auth;
pub mod client_credentials;
pub mod command;
pub mod custom;
pub mod device_code;
pub mod discovery;
pub mod jwt_bearer;
pub mod narrow;
pub mod password;
pub mod refresh_token;
pub mod renewal;
pub mod revocation;
pub mod static_token;
pub mod token_exchange;

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::token::TokenSet;
use crate::words::words;
use serde::Deserialize;

words! {
    /// The kinds of grant, as written in a profile (`grant = "client_credentials"`); declared
    /// in the order the window offers them.
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
    pub enum GrantKind {
        ClientCredentials = "client_credentials",
        AuthorizationCode = "authorization_code",
        DeviceCode = "device_code",
        RefreshToken = "refresh_token",
        Password = "password",
        Custom = "custom",
        Static = "static",
        TokenExchange = "token_exchange",
        /// RFC 7523 §2.1: a signed assertion is the grant (Google service accounts, Salesforce).
        JwtBearer = "jwt_bearer",
        Command = "command",
    }
}

impl GrantKind {
    /// Whether a person signing in again helps after a refusal (their own login, their
    /// refresh token, their password); for the others the account itself must be fixed.
    pub fn signs_in(self) -> bool {
        matches!(
            self,
            GrantKind::AuthorizationCode
                | GrantKind::DeviceCode
                | GrantKind::RefreshToken
                | GrantKind::Password
        )
    }

    /// Whether Tokentray can get a new token on its own; a `static` token cannot, so it is
    /// watched for expiry instead.
    pub fn renews_itself(self) -> bool {
        self != GrantKind::Static
    }
}

/// What a grant needs from the engine: the shared HTTP client and the clock.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub http: &'a reqwest::Client,
    pub clock: &'a dyn Clock,
}

/// An account's grant and its settings, as written in a profile (`grant = "..."`).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "grant", rename_all = "snake_case")]
pub enum GrantConfig {
    ClientCredentials(client_credentials::Config),
    RefreshToken(refresh_token::Config),
    AuthorizationCode(authorization_code::Config),
    DeviceCode(device_code::Config),
    Password(password::Config),
    Custom(custom::Config),
    Static(static_token::Config),
    TokenExchange(token_exchange::Config),
    JwtBearer(jwt_bearer::Config),
    Command(command::Config),
}

impl GrantConfig {
    pub fn kind(&self) -> GrantKind {
        match self {
            GrantConfig::ClientCredentials(_) => GrantKind::ClientCredentials,
            GrantConfig::RefreshToken(_) => GrantKind::RefreshToken,
            GrantConfig::AuthorizationCode(_) => GrantKind::AuthorizationCode,
            GrantConfig::DeviceCode(_) => GrantKind::DeviceCode,
            GrantConfig::Password(_) => GrantKind::Password,
            GrantConfig::Custom(_) => GrantKind::Custom,
            GrantConfig::Static(_) => GrantKind::Static,
            GrantConfig::TokenExchange(_) => GrantKind::TokenExchange,
            GrantConfig::JwtBearer(_) => GrantKind::JwtBearer,
            GrantConfig::Command(_) => GrantKind::Command,
        }
    }

    pub fn renews_itself(&self) -> bool {
        self.kind().renews_itself()
    }

    /// The long-lived secret the account's tokens come from, when the grant holds one in its
    /// settings (a custom account's service token, an imported refresh token, a pasted subject
    /// token): what runs out with no way to renew it, if it is a JWT with `exp`. In words.
    pub fn credential(&self) -> Option<(&'static str, &Secret)> {
        match self {
            GrantConfig::Custom(c) => Some(("secret", &c.secret)),
            GrantConfig::RefreshToken(c) => Some(("refresh token", &c.refresh_token)),
            GrantConfig::TokenExchange(c) => c.subject_token.as_ref().map(|s| ("subject token", s)),
            _ => None,
        }
    }

    /// The issuer its endpoints are discovered from, when the account names one.
    pub fn issuer(&self) -> Option<&str> {
        match self {
            GrantConfig::ClientCredentials(c) => c.issuer.as_deref(),
            GrantConfig::RefreshToken(c) => c.issuer.as_deref(),
            GrantConfig::AuthorizationCode(c) => c.issuer.as_deref(),
            GrantConfig::DeviceCode(c) => c.issuer.as_deref(),
            GrantConfig::TokenExchange(c) => c.issuer.as_deref(),
            _ => None,
        }
    }

    /// The account with every endpoint it does not give taken from its issuer's metadata:
    /// the mutual-TLS aliases (RFC 8705 §5) for a client that presents a certificate. What
    /// the account gives itself stays.
    pub fn with_discovered(&self, meta: &discovery::Metadata) -> GrantConfig {
        let tls = self.client().is_some_and(|c| c.presents_certificate());
        let alias = meta.mtls_endpoint_aliases.as_ref().filter(|_| tls);
        let token = alias
            .and_then(|a| a.token_endpoint.clone())
            .unwrap_or_else(|| meta.token_endpoint.clone());
        let revocation = alias
            .and_then(|a| a.revocation_endpoint.clone())
            .or_else(|| meta.revocation_endpoint.clone());
        let device = alias
            .and_then(|a| a.device_authorization_endpoint.clone())
            .or_else(|| meta.device_authorization_endpoint.clone());
        let par = alias
            .and_then(|a| a.pushed_authorization_request_endpoint.clone())
            .or_else(|| meta.pushed_authorization_request_endpoint.clone());
        let mut filled = self.clone();
        let fill = |slot: &mut Option<url::Url>, found: Option<url::Url>| {
            if slot.is_none() {
                *slot = found;
            }
        };
        match &mut filled {
            GrantConfig::ClientCredentials(c) => {
                fill(&mut c.token_url, Some(token));
                fill(&mut c.revocation_url, revocation);
            }
            GrantConfig::RefreshToken(c) => {
                fill(&mut c.token_url, Some(token));
                fill(&mut c.revocation_url, revocation);
            }
            GrantConfig::AuthorizationCode(c) => {
                fill(&mut c.token_url, Some(token));
                fill(
                    &mut c.authorization_url,
                    meta.authorization_endpoint.clone(),
                );
                fill(&mut c.revocation_url, revocation);
                fill(&mut c.par_url, par);
            }
            GrantConfig::DeviceCode(c) => {
                fill(&mut c.token_url, Some(token));
                fill(&mut c.device_authorization_url, device);
                fill(&mut c.revocation_url, revocation);
            }
            GrantConfig::TokenExchange(c) => {
                fill(&mut c.token_url, Some(token));
                fill(&mut c.revocation_url, revocation);
            }
            _ => {}
        }
        filled
    }

    /// Another account whose token this one needs (token exchange's subject).
    pub fn depends_on(&self) -> Option<&str> {
        match self {
            GrantConfig::TokenExchange(c) => c.subject_account.as_deref(),
            _ => None,
        }
    }

    /// Who the client is, for the grants that authenticate one at the server.
    pub fn client(&self) -> Option<client_auth::ClientAuth<'_>> {
        match self {
            GrantConfig::ClientCredentials(c) => Some(c.client()),
            GrantConfig::RefreshToken(c) => Some(c.client()),
            GrantConfig::AuthorizationCode(c) => Some(c.client()),
            GrantConfig::DeviceCode(c) => Some(c.client()),
            GrantConfig::TokenExchange(c) => Some(c.client()),
            GrantConfig::Password(c) => c.client(),
            _ => None,
        }
    }

    /// Where and as whom the account's tokens are revoked (RFC 7009), when it says.
    pub fn revocation(&self) -> Option<(&url::Url, client_auth::ClientAuth<'_>)> {
        match self {
            GrantConfig::ClientCredentials(c) => c.revocation_url.as_ref().map(|u| (u, c.client())),
            GrantConfig::RefreshToken(c) => c.revocation_url.as_ref().map(|u| (u, c.client())),
            GrantConfig::AuthorizationCode(c) => c.revocation_url.as_ref().map(|u| (u, c.client())),
            GrantConfig::DeviceCode(c) => c.revocation_url.as_ref().map(|u| (u, c.client())),
            GrantConfig::TokenExchange(c) => c.revocation_url.as_ref().map(|u| (u, c.client())),
            GrantConfig::Password(c) => c
                .revocation_url
                .as_ref()
                .map(|u| (u, c.client_or_anonymous())),
            _ => None,
        }
    }

    /// Every URL the account sends credentials to, for the https check.
    pub fn endpoints(&self) -> Vec<&url::Url> {
        let mut all = self.grant_endpoints();
        all.extend(self.revocation().map(|(u, _)| u));
        all
    }

    fn grant_endpoints(&self) -> Vec<&url::Url> {
        match self {
            GrantConfig::ClientCredentials(c) => c.token_url.iter().collect(),
            GrantConfig::RefreshToken(c) => c.token_url.iter().collect(),
            GrantConfig::AuthorizationCode(c) => c
                .authorization_url
                .iter()
                .chain(&c.token_url)
                .chain(&c.par_url)
                .collect(),
            GrantConfig::DeviceCode(c) => c
                .device_authorization_url
                .iter()
                .chain(&c.token_url)
                .collect(),
            GrantConfig::Password(c) => c
                .token_url
                .iter()
                .chain(&c.login_url)
                .chain(c.refresh.as_ref().map(|r| &r.request.url))
                .collect(),
            GrantConfig::Custom(c) => vec![&c.request.url],
            GrantConfig::TokenExchange(c) => c.token_url.iter().collect(),
            GrantConfig::JwtBearer(c) => c.token_url.iter().collect(),
            GrantConfig::Static(_) | GrantConfig::Command(_) => vec![],
        }
    }

    /// Checks what deserialisation cannot: cross-field rules.
    pub fn check(&self) -> std::result::Result<(), String> {
        // The endpoints a grant needs: given, or its issuer's to discover.
        if let Some(issuer) = self.issuer() {
            let url = url::Url::parse(issuer)
                .map_err(|e| format!("issuer {}: {e}", crate::text::quoted(issuer, 80)))?;
            crate::http::check_endpoint(&url).map_err(|m| format!("issuer: {m}"))?;
        } else {
            let needed: &[(&Option<url::Url>, &str)] = match self {
                GrantConfig::ClientCredentials(c) => &[(&c.token_url, "token_url")],
                GrantConfig::RefreshToken(c) => &[(&c.token_url, "token_url")],
                GrantConfig::TokenExchange(c) => &[(&c.token_url, "token_url")],
                GrantConfig::AuthorizationCode(c) => &[
                    (&c.authorization_url, "authorization_url"),
                    (&c.token_url, "token_url"),
                ],
                GrantConfig::DeviceCode(c) => &[
                    (&c.device_authorization_url, "device_authorization_url"),
                    (&c.token_url, "token_url"),
                ],
                _ => &[],
            };
            if let Some((_, name)) = needed.iter().find(|(url, _)| url.is_none()) {
                return Err(format!(
                    "{name} is missing: give it, or the issuer to discover it from (issuer = \"https://…\")"
                ));
            }
        }
        let renew_before = match self {
            GrantConfig::Static(c) => c.renew_before_secs,
            GrantConfig::Custom(c) => c.renew_before_secs,
            _ => None,
        };
        if let Some(secs) = renew_before {
            let longest = crate::limits::MAX_LIFETIME_SECS;
            crate::limits::seconds("renew_before_secs", secs, 0, longest)?;
        }
        for url in self.endpoints() {
            crate::http::check_endpoint(url)?;
        }
        if let Some(client) = self.client() {
            client.check()?;
        }
        match self {
            GrantConfig::Password(c) => c.check(),
            GrantConfig::TokenExchange(c) => c.check(),
            GrantConfig::Command(c) => c.check(),
            GrantConfig::Custom(c) => c.check(),
            GrantConfig::JwtBearer(c) => c.check(),
            _ if self.renewal().is_some_and(|r| r.command.first().is_none_or(String::is_empty)) => {
                Err("renew_command must name a program: renew_command = [\"mint-token\", \"--days\", \"90\"]".into())
            }
            _ => Ok(()),
        }
    }
}

/// An endpoint the account names, or was given by discovery from its issuer.
pub fn endpoint<'a>(url: &'a Option<url::Url>, name: &str) -> Result<&'a url::Url> {
    url.as_ref().ok_or_else(|| {
        Error::InvalidConfig(format!(
            "no {name}: give it, or an issuer to discover it from"
        ))
    })
}

/// A new token without a person: `current` is the token set held now (its refresh token is
/// used where the grant has one), `subject` the token of the account this one depends on.
/// A refresh answer without a new refresh token keeps the old one (RFC 6749 §6).
pub async fn renew(
    ctx: Context<'_>,
    grant: &GrantConfig,
    current: Option<&TokenSet>,
    subject: Option<Secret>,
) -> Result<TokenSet> {
    let held_refresh = current.and_then(|t| t.refresh_token.as_ref());
    let fresh = match grant {
        GrantConfig::ClientCredentials(c) => client_credentials::obtain(ctx, c).await,
        GrantConfig::RefreshToken(c) => refresh_token::renew(ctx, c, held_refresh).await,
        GrantConfig::AuthorizationCode(c) => match held_refresh {
            Some(rt) => {
                let token_url = endpoint(&c.token_url, "token_url")?;
                refresh_token::refresh(ctx, token_url, &c.client(), rt, None).await
            }
            None => Err(Error::LoginRequired("log in to this account first".into())),
        },
        GrantConfig::DeviceCode(c) => match held_refresh {
            Some(rt) => {
                let token_url = endpoint(&c.token_url, "token_url")?;
                refresh_token::refresh(ctx, token_url, &c.client(), rt, None).await
            }
            None => Err(Error::LoginRequired("log in to this account first".into())),
        },
        GrantConfig::Password(c) => password::renew(ctx, c, held_refresh).await,
        GrantConfig::Custom(c) => custom::renew(ctx, c, held_refresh).await,
        GrantConfig::Static(c) => static_token::renew(ctx, c),
        GrantConfig::TokenExchange(c) => token_exchange::obtain(ctx, c, subject).await,
        GrantConfig::JwtBearer(c) => jwt_bearer::obtain(ctx, c).await,
        GrantConfig::Command(c) => command::obtain(ctx, c).await,
    }?;
    let rotated = fresh.refresh_token.is_some() && fresh.refresh_token.as_ref() != held_refresh;
    let mut fresh = keep_refresh_token(fresh, held_refresh);
    // A refresh that brings no ID token leaves the held one in force, until its own `exp`.
    if fresh.id_token.is_none() {
        fresh.id_token = current.and_then(|t| t.id_token.clone());
    }
    if !rotated {
        // The same refresh token keeps the expiry it had, unless the server restated it.
        fresh.refresh_expires_at = fresh
            .refresh_expires_at
            .or(current.and_then(|t| t.refresh_expires_at));
    }
    Ok(fresh)
}

/// RFC 6749 §6: an answer that carries no refresh token leaves the old one in force.
pub fn keep_refresh_token(mut fresh: TokenSet, held: Option<&Secret>) -> TokenSet {
    if fresh.refresh_token.is_none() {
        fresh.refresh_token = held.cloned();
    }
    fresh
}
