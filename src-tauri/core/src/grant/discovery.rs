//! Authorization server metadata from an issuer: OpenID Connect Discovery
//! (`/.well-known/openid-configuration`) or RFC 8414 (`/.well-known/oauth-authorization-server`).
//! The `issuer` in the answer must equal the one asked for exactly (RFC 8414 §3.3), and every
//! endpoint must pass the https check.

use super::Context;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use url::Url;

#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    pub issuer: String,
    pub token_endpoint: Url,
    pub authorization_endpoint: Option<Url>,
    pub device_authorization_endpoint: Option<Url>,
    pub revocation_endpoint: Option<Url>,
    pub introspection_endpoint: Option<Url>,
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Vec<String>,
    #[serde(default)]
    pub code_challenge_methods_supported: Vec<String>,
    #[serde(default)]
    pub grant_types_supported: Vec<String>,
    #[serde(default)]
    pub scopes_supported: Vec<String>,
    /// RFC 9126: where logins push their parameters, and whether the server insists.
    pub pushed_authorization_request_endpoint: Option<Url>,
    #[serde(default)]
    pub require_pushed_authorization_requests: bool,
    /// RFC 9449: the server binds tokens with DPoP when the client asks.
    #[serde(default)]
    pub dpop_signing_alg_values_supported: Vec<String>,
    /// RFC 8705 §5: where a client with a certificate goes instead.
    pub mtls_endpoint_aliases: Option<MtlsAliases>,
}

/// The endpoints a mutual-TLS client uses (RFC 8705 §5), where they differ.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MtlsAliases {
    pub token_endpoint: Option<Url>,
    pub revocation_endpoint: Option<Url>,
    pub device_authorization_endpoint: Option<Url>,
    pub pushed_authorization_request_endpoint: Option<Url>,
}

pub async fn discover(ctx: Context<'_>, issuer: &str) -> Result<Metadata> {
    let base = Url::parse(issuer)
        .map_err(|e| Error::InvalidConfig(format!("issuer {issuer:?} is not a URL: {e}")))?;
    crate::http::check_endpoint(&base).map_err(Error::InvalidConfig)?;
    let path = base.path().trim_end_matches('/');
    // OIDC appends to the issuer's path; RFC 8414 inserts the well-known part before it.
    let candidates = [
        format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        ),
        format!(
            "{}/.well-known/oauth-authorization-server{path}",
            base.origin().ascii_serialization()
        ),
    ];
    let mut last = None;
    for url in candidates {
        let response =
            crate::http::send(ctx.http.get(&url).header("accept", "application/json")).await?;
        if response.status == 404 {
            last = Some(Error::InvalidConfig(format!("no metadata at {url}")));
            continue;
        }
        let body = crate::token::success_body(&response, ctx.clock.now())?;
        let meta: Metadata = serde_json::from_value(body).map_err(|e| {
            Error::InvalidResponse(format!("the metadata at {url} is not usable: {e}"))
        })?;
        if meta.issuer != issuer {
            return Err(Error::InvalidResponse(format!(
                "the metadata names issuer {:?}, not {issuer:?}: refusing it (RFC 8414 §3.3)",
                meta.issuer
            )));
        }
        for endpoint in [
            Some(&meta.token_endpoint),
            meta.authorization_endpoint.as_ref(),
            meta.device_authorization_endpoint.as_ref(),
            meta.revocation_endpoint.as_ref(),
        ]
        .into_iter()
        .flatten()
        {
            crate::http::check_endpoint(endpoint).map_err(Error::InvalidResponse)?;
        }
        return Ok(meta);
    }
    Err(last.expect("two candidates were tried"))
}
