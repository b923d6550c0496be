//! The device authorization grant (RFC 8628): the person approves on another device (or in
//! a browser) while Tokentray polls. Polling honours `interval` (default 5 s), adds 5 s on
//! `slow_down`, stops on `expired_token` or `access_denied`, and can be cancelled.

use super::client_auth::{push_opt, token_request, ClientAuth};
use super::Context;
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::token::TokenSet;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use url::Url;

pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:device_code";
const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);
/// A server's `interval` is taken within 1 s to 5 min; its `expires_in` up to a day.
const MAX_INTERVAL: Duration = Duration::from_secs(300);
const MAX_EXPIRES_IN_SECS: u64 = 86_400;

// With the client settings every grant that authenticates a client shares (`auth_method`,
// keys, DPoP, mutual TLS): `client_config!`.
super::client_auth::client_config! {
    #[derive(Debug, Clone, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Config {
        /// The authorization server: endpoints not given are discovered from it (OIDC
        /// discovery or RFC 8414), and the answer's `issuer` must be this exactly.
        pub issuer: Option<String>,
        pub device_authorization_url: Option<Url>,
        pub token_url: Option<Url>,
        /// RFC 7009 revocation endpoint: tokens are revoked there when the account is removed.
        pub revocation_url: Option<Url>,
        pub client_id: String,
        pub client_secret: Option<Secret>,
        pub scope: Option<String>,
    }
}

impl Config {
    pub fn client(&self) -> ClientAuth<'_> {
        super::client_auth::client_of!(self, &self.client_id, self.client_secret.as_ref())
    }
}

/// What to show the person, and what to poll with.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceAuthorization {
    pub user_code: String,
    pub verification_uri: String,
    /// The URI with the code in it: what a QR code shows.
    pub verification_uri_complete: Option<String>,
    pub expires_in: Duration,
    pub interval: Duration,
    #[serde(skip)]
    device_code: Secret,
}

#[derive(Deserialize)]
struct Answer {
    device_code: String,
    user_code: String,
    #[serde(alias = "verification_url")]
    verification_uri: String,
    verification_uri_complete: Option<String>,
    expires_in: u64,
    interval: Option<u64>,
}

/// Asks for a device code (RFC 8628 §3.1).
pub async fn start(ctx: Context<'_>, c: &Config) -> Result<DeviceAuthorization> {
    let mut form = Vec::new();
    push_opt(&mut form, "scope", &c.scope);
    let request = c
        .client()
        .post(
            ctx,
            super::endpoint(&c.device_authorization_url, "device_authorization_url")?,
            &mut form,
        )?
        .header("accept", "application/json");
    let response = crate::http::send(request.form(&form)).await?;
    let body = crate::token::success_body(&response, ctx.clock.now())?;
    let a: Answer = serde_json::from_value(body)
        .map_err(|e| Error::InvalidResponse(format!("not a device authorization answer: {e}")))?;
    // What is shown to the person (and drawn as a QR code) is the server's text: a link must
    // be https (http only on this machine) like every other URL, and the code a short line.
    let verification_uri = shown_link("verification_uri", &a.verification_uri)?;
    let complete = match &a.verification_uri_complete {
        Some(link) => Some(shown_link("verification_uri_complete", link)?),
        None => None,
    };
    // The QR code goes where the text says, or it is not drawn.
    let complete = complete.filter(|c| c.origin() == verification_uri.origin());
    let user_code = a.user_code.trim();
    if user_code.is_empty()
        || user_code.chars().count() > 64
        || user_code.chars().any(char::is_control)
    {
        return Err(Error::InvalidResponse(
            "the user_code is not a short code on one line".into(),
        ));
    }
    if a.expires_in == 0 {
        return Err(Error::InvalidResponse(
            "expires_in is 0: the code expired before it was shown".into(),
        ));
    }
    Ok(DeviceAuthorization {
        user_code: user_code.to_string(),
        verification_uri: verification_uri.to_string(),
        verification_uri_complete: complete.map(|c| c.to_string()),
        expires_in: Duration::from_secs(a.expires_in.min(MAX_EXPIRES_IN_SECS)),
        interval: a
            .interval
            .map(|s| Duration::from_secs(s.clamp(1, MAX_INTERVAL.as_secs())))
            .unwrap_or(DEFAULT_INTERVAL),
        device_code: Secret::new(a.device_code),
    })
}

/// A link of the server's to show a person: parsed, and https (plain http only on loopback).
fn shown_link(what: &str, link: &str) -> Result<Url> {
    let url = Url::parse(link.trim())
        .map_err(|e| Error::InvalidResponse(format!("{what} is not a URL: {e}")))?;
    crate::http::check_endpoint(&url)
        .map_err(|m| Error::InvalidResponse(format!("{what}: {m}")))?;
    Ok(url)
}

/// Polls until the person approves (tokens), refuses, the code expires, or `cancel` fires.
pub async fn poll(
    ctx: Context<'_>,
    c: &Config,
    auth: &DeviceAuthorization,
    cancel: CancellationToken,
) -> Result<TokenSet> {
    let mut interval = auth.interval;
    let started = tokio::time::Instant::now();
    let deadline = started.checked_add(auth.expires_in).unwrap_or(started);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return Err(Error::Cancelled),
            _ = tokio::time::sleep(interval) => {}
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(Error::Refused {
                error: "expired_token".into(),
                description: Some("the code expired before it was approved".into()),
                status: 400,
            });
        }
        let form = vec![
            ("grant_type", GRANT_TYPE.to_string()),
            ("device_code", auth.device_code.expose().to_string()),
        ];
        let token_url = super::endpoint(&c.token_url, "token_url")?;
        match token_request(ctx, token_url, &c.client(), form).await {
            Err(Error::Refused { error, .. }) if error == "authorization_pending" => {}
            Err(Error::Refused { error, .. }) if error == "slow_down" => {
                interval = interval.saturating_add(SLOW_DOWN_STEP).min(MAX_INTERVAL)
            }
            // A passing network failure does not end a login the person is busy approving.
            Err(e) if e.is_transient() => {}
            other => return other,
        }
    }
}
