//! Legacy username/password logins: the OAuth resource owner password grant (RFC 6749 §4.3,
//! deprecated by OAuth 2.1) or a form/JSON post to an application's own login URL such as
//! `POST /api/auth/login`. Marked legacy in the UI. With a refresh token in hand it refreshes;
//! when that is refused, it logs in again with the password.

use super::client_auth::{push_opt, token_request, AuthMethod, ClientAuth};
use super::custom::RequestSpec;
use super::Context;
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::token::{success_body, token_from_json, ResponseMap, TokenSet};
use serde::Deserialize;
use url::Url;

// With the client settings every grant that authenticates a client shares (`auth_method`,
// keys, DPoP, mutual TLS): `client_config!`.
super::client_auth::client_config! {
    #[derive(Debug, Clone, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Config {
        /// Standard ROPC at this token endpoint...
        pub token_url: Option<Url>,
        /// ...or the application's own login endpoint.
        pub login_url: Option<Url>,
        pub client_id: Option<String>,
        pub client_secret: Option<Secret>,
        /// RFC 7009 revocation endpoint: tokens are revoked there when the account is removed.
        pub revocation_url: Option<Url>,
        pub username: String,
        pub password: Secret,
        pub scope: Option<String>,
        /// For `login_url`: how the body is sent (default JSON) and its field names.
        #[serde(default)]
        pub body: Body,
        #[serde(default = "username_field")]
        pub username_field: String,
        #[serde(default = "password_field")]
        pub password_field: String,
        /// For `login_url`: where the tokens are in the answer.
        #[serde(default)]
        pub response: ResponseMap,
        /// For `login_url`: the application's own refresh request, which carries the held refresh
        /// token (`[account.refresh]`, shaped like a custom account's request). Without it every
        /// renewal logs in again. Boxed: rare, and large beside the other grants' settings.
        pub refresh: Option<Box<Refresh>>,
    }
}

/// `[account.refresh]`: a custom request (`url`, `method`, `secret_in`, ...) and, in
/// `[account.refresh.response]`, where the tokens are in its answer (the login's map when not
/// given).
#[derive(Debug, Clone)]
pub struct Refresh {
    pub request: RequestSpec,
    pub response: Option<ResponseMap>,
}

impl<'de> Deserialize<'de> for Refresh {
    // Not `#[serde(flatten)]`: flattening would silently ignore a misspelt key, and a typo
    // must not pass silently. The request's own keys are checked by `RequestSpec`.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        let mut table = serde_json::Map::deserialize(d)?;
        let response = table
            .remove("response")
            .map(serde_json::from_value)
            .transpose()
            .map_err(|e| D::Error::custom(format!("refresh.response: {e}")))?;
        let request = serde_json::from_value(serde_json::Value::Object(table))
            .map_err(|e| D::Error::custom(format!("refresh: {e}")))?;
        Ok(Refresh { request, response })
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Body {
    #[default]
    Json,
    Form,
}

fn username_field() -> String {
    "username".into()
}

fn password_field() -> String {
    "password".into()
}

impl Config {
    pub fn check(&self) -> std::result::Result<(), String> {
        match (&self.token_url, &self.login_url, &self.refresh) {
            (Some(_), None, None) | (None, Some(_), _) => Ok(()),
            (Some(_), None, Some(_)) => Err(
                "[account.refresh] is for a login_url; a token_url refreshes by the OAuth standard"
                    .into(),
            ),
            _ => Err("give exactly one of token_url (OAuth password grant) or login_url".into()),
        }
    }

    /// The client, or none at all (a password grant a server takes without a client ID).
    pub fn client_or_anonymous(&self) -> ClientAuth<'_> {
        self.client().unwrap_or(ClientAuth {
            client_id: "",
            client_secret: None,
            method: Some(AuthMethod::None),
            key: Default::default(),
            dpop: false,
            dpop_key: None,
            tls: Default::default(),
        })
    }

    pub fn client(&self) -> Option<ClientAuth<'_>> {
        let client_id = self.client_id.as_deref()?;
        Some(super::client_auth::client_of!(
            self,
            client_id,
            self.client_secret.as_ref()
        ))
    }
}

/// Renews with the held refresh token where the account has a way to (the OAuth token
/// endpoint, or its own `[account.refresh]` request); a refused refresh token is spent, so
/// it logs in once more, and a refused login is the account's refusal.
pub async fn renew(ctx: Context<'_>, c: &Config, held: Option<&Secret>) -> Result<TokenSet> {
    if let Some(rt) = held {
        let refreshed = if let Some(token_url) = &c.token_url {
            let client = c.client_or_anonymous();
            Some(super::refresh_token::refresh(ctx, token_url, &client, rt, None).await)
        } else if let Some(refresh) = &c.refresh {
            let response = refresh.response.as_ref().unwrap_or(&c.response);
            Some(super::custom::call(ctx, &refresh.request, rt, response).await)
        } else {
            None
        };
        match refreshed {
            Some(Err(Error::Refused { .. })) | None => {}
            Some(other) => return other,
        }
    }
    login(ctx, c).await
}

async fn login(ctx: Context<'_>, c: &Config) -> Result<TokenSet> {
    if let Some(token_url) = &c.token_url {
        let mut form = vec![
            ("grant_type", "password".to_string()),
            ("username", c.username.clone()),
            ("password", c.password.expose().to_string()),
        ];
        push_opt(&mut form, "scope", &c.scope);
        return match c.client() {
            Some(client) => token_request(ctx, token_url, &client, form).await,
            None => {
                let request = ctx
                    .http
                    .post(token_url.clone())
                    .header("accept", "application/json");
                let response = crate::http::send(request.form(&form)).await?;
                crate::token::parse_response(&response, ctx.clock.now())
            }
        };
    }
    let login_url = c
        .login_url
        .as_ref()
        .expect("checked: token_url or login_url");
    let request = ctx
        .http
        .post(login_url.clone())
        .header("accept", "application/json");
    let fields = [
        (c.username_field.as_str(), c.username.as_str()),
        (c.password_field.as_str(), c.password.expose()),
    ];
    let request = match c.body {
        Body::Json => request.json(
            &fields
                .iter()
                .copied()
                .collect::<std::collections::BTreeMap<_, _>>(),
        ),
        Body::Form => request.form(&fields),
    };
    let response = crate::http::send(request).await?;
    let now = ctx.clock.now();
    token_from_json(&success_body(&response, now)?, &c.response, now)
}
