//! The JWT bearer grant (RFC 7523 §2.1): the client signs an assertion that *is* the grant, and
//! the token endpoint answers it with an access token, with no refresh token and no person.
//! Google's service accounts work this way, and so do Salesforce's, Box's and DocuSign's JWT
//! flows.
//!
//! - **Google:** `service_account` is the service account's JSON key. In a profile it is
//!   `service_account_file` (a file only its owner may read); pasted in the window it is
//!   sealed. The assertion's `iss` is the key's `client_email`, `aud` its `token_uri`, `kid` its
//!   `private_key_id`, and the scopes go in the `scope` claim.
//! - **The others:** `token_url`, `issuer` (the `iss`: Salesforce's consumer key, DocuSign's
//!   integration key), `subject` (the user acted for), `audience` (default: the token URL;
//!   Salesforce wants `https://login.salesforce.com`), a private key (`private_key`, or
//!   `private_key_file`, or a generated one whose public half `tokentray key` gives), `key_id`,
//!   `claims` for what else a provider wants (Box's `box_sub_type`), and `client_id` and
//!   `client_secret` sent beside the assertion where the provider wants them (Box).
//!
//! An assertion lives one hour at most (`lifetime_secs`; Google refuses more) and is signed
//! fresh for each request, with its own `jti`.

use super::Context;
use crate::error::{Error, Result};
use crate::jws::SigningKey;
use crate::secret::Secret;
use crate::token::TokenSet;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use url::Url;

/// The grant's `grant_type` (RFC 7523 §2.1).
pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// The longest an assertion may live (Google's limit, and plenty for one request).
pub const MAX_LIFETIME_SECS: u64 = 3_600;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Google's service-account JSON key (`client_email`, `private_key`, `private_key_id`,
    /// `token_uri`).
    pub service_account: Option<Secret>,
    /// The token endpoint (else the service account's `token_uri`).
    pub token_url: Option<Url>,
    /// The assertion's `iss` (else the service account's `client_email`).
    pub issuer: Option<String>,
    /// The assertion's `sub`: the user the token acts for, where the provider wants one.
    pub subject: Option<String>,
    /// The assertion's `aud` (else the token URL).
    pub audience: Option<String>,
    /// The signing key (PEM): RSA (RS256) or P-256 (ES256). Generated when none is given and
    /// no service account holds one.
    pub private_key: Option<Secret>,
    /// The key's id, the header's `kid` (else the service account's `private_key_id`).
    pub key_id: Option<String>,
    /// Space-separated scopes, as the `scope` claim (Google) and the request's `scope`.
    pub scope: Option<String>,
    /// More claims the provider wants, as a JSON object.
    pub claims: Option<Map<String, Value>>,
    /// How long the assertion lives, in seconds (at most an hour; default an hour).
    pub lifetime_secs: Option<u64>,
    /// Sent with the assertion, for a provider that wants its client named too (Box).
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
}

/// What a Google service-account key holds (the parts the grant reads).
#[derive(Deserialize)]
struct ServiceAccount {
    client_email: String,
    private_key: String,
    #[serde(default)]
    private_key_id: Option<String>,
    #[serde(default)]
    token_uri: Option<Url>,
}

/// Everything the assertion and its request need, from the settings and the service account.
pub struct Resolved {
    pub token_url: Url,
    pub issuer: String,
    pub audience: String,
    pub key: Secret,
    pub key_id: Option<String>,
}

impl Config {
    /// The service account's parts, when the account has one.
    fn service_account(&self) -> std::result::Result<Option<ServiceAccount>, String> {
        let Some(text) = &self.service_account else {
            return Ok(None);
        };
        let parsed: ServiceAccount = serde_json::from_str(text.expose()).map_err(|e| {
            format!("service_account is not a service account's JSON key ({e}): it needs client_email and private_key")
        })?;
        Ok(Some(parsed))
    }

    /// The settings with the service account filled in; what is missing is named.
    pub fn resolved(&self) -> std::result::Result<Resolved, String> {
        let account = self.service_account()?;
        let token_url = self
            .token_url
            .clone()
            .or_else(|| account.as_ref().and_then(|a| a.token_uri.clone()))
            .ok_or("jwt_bearer needs token_url (or a service_account with token_uri)")?;
        let issuer = self
            .issuer
            .clone()
            .or_else(|| account.as_ref().map(|a| a.client_email.clone()))
            .ok_or("jwt_bearer needs issuer, the assertion's iss (or a service_account)")?;
        let key = self
            .private_key
            .clone()
            .or_else(|| account.as_ref().map(|a| Secret::new(a.private_key.clone())))
            .ok_or("jwt_bearer needs a private_key (or a service_account); saved without one, a key is generated")?;
        let key_id = self
            .key_id
            .clone()
            .or_else(|| account.as_ref().and_then(|a| a.private_key_id.clone()));
        let audience = self
            .audience
            .clone()
            .unwrap_or_else(|| token_url.to_string());
        Ok(Resolved {
            token_url,
            issuer,
            audience,
            key,
            key_id,
        })
    }

    /// What the engine checks when the account is read: the service account parses, the
    /// lifetime is an hour at most, the key signs.
    pub fn check(&self) -> std::result::Result<(), String> {
        if let Some(secs) = self.lifetime_secs {
            crate::limits::seconds("lifetime_secs", secs, 1, MAX_LIFETIME_SECS)?;
        }
        let account = self.service_account()?;
        match (&account, &self.issuer, &self.token_url) {
            (Some(_), Some(_), _) => {
                return Err("give a service_account or an issuer, not both (the service account's client_email is the issuer)".into())
            }
            (None, None, _) | (None, _, None) => {
                return Err("jwt_bearer needs a service_account, or token_url and issuer".into())
            }
            _ => {}
        }
        if let Some(url) = &self.token_url {
            crate::http::check_endpoint(url)?;
        }
        // A missing key is generated at save; a given one must be one the engine can use.
        if let Some(key) = &self.private_key {
            SigningKey::from_pem(key, None).map_err(|e| format!("private_key: {e}"))?;
        }
        Ok(())
    }

    /// Whether the account holds a key of its own (else one is generated for it).
    pub fn has_key(&self) -> bool {
        self.private_key.is_some() || self.service_account.is_some()
    }
}

/// A fresh assertion, signed: `iss`, `sub` (when given), `aud`, `iat`, `exp`, `jti`, the
/// `scope` claim (when given) and the extra claims.
pub fn assertion(c: &Config, r: &Resolved, now: chrono::DateTime<chrono::Utc>) -> Result<String> {
    let key = SigningKey::from_pem(&r.key, None)
        .map_err(|e| Error::InvalidConfig(format!("private_key: {e}")))?;
    let lifetime = c
        .lifetime_secs
        .unwrap_or(MAX_LIFETIME_SECS)
        .min(MAX_LIFETIME_SECS);
    let iat = now.timestamp();
    let exp = crate::time::after(now, crate::time::secs(lifetime)).timestamp();
    let mut claims = Map::new();
    for (name, value) in c.claims.iter().flatten() {
        claims.insert(name.clone(), value.clone());
    }
    claims.insert("iss".into(), json!(r.issuer));
    if let Some(sub) = &c.subject {
        claims.insert("sub".into(), json!(sub));
    }
    claims.insert("aud".into(), json!(r.audience));
    claims.insert("iat".into(), json!(iat));
    claims.insert("exp".into(), json!(exp));
    claims.insert("jti".into(), json!(crate::jws::random_id()));
    if let Some(scope) = c.scope.as_deref().filter(|s| !s.is_empty()) {
        claims.insert("scope".into(), json!(scope));
    }
    let mut header = json!({ "typ": "JWT" });
    if let Some(kid) = &r.key_id {
        header["kid"] = json!(kid);
    }
    key.sign(header, &Value::Object(claims))
        .map_err(Error::InvalidConfig)
}

/// One token request with a fresh assertion.
pub async fn obtain(ctx: Context<'_>, c: &Config) -> Result<TokenSet> {
    let resolved = c.resolved().map_err(Error::InvalidConfig)?;
    let now = ctx.clock.now();
    let mut form = vec![
        ("grant_type", GRANT_TYPE.to_string()),
        ("assertion", assertion(c, &resolved, now)?),
    ];
    super::client_auth::push_opt(&mut form, "scope", &c.scope);
    super::client_auth::push_opt(&mut form, "client_id", &c.client_id);
    if let Some(secret) = &c.client_secret {
        form.push(("client_secret", secret.expose().to_string()));
    }
    let request = ctx
        .http
        .post(resolved.token_url.clone())
        .header("accept", "application/json")
        .form(&form);
    let response = crate::http::send(request).await?;
    crate::token::parse_response(&response, ctx.clock.now())
}
