//! A pasted token that cannot refresh itself: a service token, a personal access token. Its
//! expiry comes from its JWT `exp` claim, else from an entered date, else it has none.
//! Tokentray warns before it expires and never serves it afterwards.

use super::Context;
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::token::TokenSet;
use chrono::{DateTime, Utc};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub token: Secret,
    /// When the token expires, if it is not a JWT with `exp`.
    pub expires_at: Option<DateTime<Utc>>,
    /// A command that prints a new token (see [`super::renewal`]).
    pub renew_command: Option<Vec<String>>,
    pub renew_before_secs: Option<u64>,
}

impl Config {
    /// The JWT `exp` wins over an entered date: it is what the server will check.
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        crate::jwt::decode(self.token.expose())
            .and_then(|jwt| jwt.expires_at())
            .or(self.expires_at)
    }
}

pub fn renew(ctx: Context<'_>, c: &Config) -> Result<TokenSet> {
    let now = ctx.clock.now();
    let expires_at = c.expires_at();
    if let Some(at) = expires_at.filter(|at| *at <= now) {
        return Err(Error::Expired(at));
    }
    Ok(TokenSet {
        access_token: c.token.clone(),
        token_type: "Bearer".into(),
        issued_at: now,
        expires_at,
        refresh_token: None,
        refresh_expires_at: None,
        scope: None,
        expiry_assumed: false,
        id_token: None,
    })
}
