//! Legacy username/password logins: the OAuth resource owner password grant (RFC 6749 §4.3,
//! deprecated by OAuth 2.1) or a form/JSON post to an application's own login URL such as
//! `POST /api/auth/login`. Marked legacy in the UI. With a refresh token in hand it refreshes;
//! when that is refused, it logs in again with the password.

use super::client_auth::{push_opt, token_request, AuthMethod, ClientAuth};
use super::Context;
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::token::{success_body, token_from_json, ResponseMap, TokenSet};
use serde::Deserialize;
use url::Url;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Standard ROPC at this token endpoint...
    pub token_url: Option<Url>,
    /// ...or the application's own login endpoint.
    pub login_url: Option<Url>,
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    pub auth_method: Option<AuthMethod>,
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
        match (&self.token_url, &self.login_url) {
            (Some(_), None) | (None, Some(_)) => Ok(()),
            _ => Err("give exactly one of token_url (OAuth password grant) or login_url".into()),
        }
    }

    fn client(&self) -> Option<ClientAuth<'_>> {
        self.client_id.as_deref().map(|client_id| ClientAuth {
            client_id,
            client_secret: self.client_secret.as_ref(),
            method: self.auth_method,
        })
    }
}

pub async fn renew(ctx: Context<'_>, c: &Config, held: Option<&Secret>) -> Result<TokenSet> {
    if let (Some(rt), Some(token_url)) = (held, &c.token_url) {
        let client = c.client().unwrap_or(ClientAuth {
            client_id: "",
            client_secret: None,
            method: Some(AuthMethod::None),
        });
        match super::refresh_token::refresh(ctx, token_url, &client, rt, None).await {
            Err(Error::Refused { .. }) => {} // the refresh token is spent: log in again
            other => return other,
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
