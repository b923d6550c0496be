//! How a client authenticates at a token endpoint (RFC 6749 §2.3.1): HTTP Basic, form fields,
//! or not at all (a public client sends only its `client_id`).

use crate::secret::Secret;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    /// A public client (a native app with PKCE): `client_id` only.
    None,
}

/// A client's identity as a grant sends it.
#[derive(Debug, Clone, Copy)]
pub struct ClientAuth<'a> {
    pub client_id: &'a str,
    pub client_secret: Option<&'a Secret>,
    /// `None` = the default: Basic when there is a secret, public otherwise.
    pub method: Option<AuthMethod>,
}

impl ClientAuth<'_> {
    pub fn method(&self) -> AuthMethod {
        self.method.unwrap_or(match self.client_secret {
            Some(_) => AuthMethod::ClientSecretBasic,
            None => AuthMethod::None,
        })
    }

    /// Adds the client's credentials to a token request with these form fields.
    pub fn apply(
        &self,
        request: reqwest::RequestBuilder,
        form: &mut Vec<(&'static str, String)>,
    ) -> reqwest::RequestBuilder {
        let secret = self.client_secret.map(Secret::expose).unwrap_or_default();
        match self.method() {
            // Id and secret are form-urlencoded before they go into Basic (§2.3.1).
            AuthMethod::ClientSecretBasic => {
                request.basic_auth(form_encode(self.client_id), Some(form_encode(secret)))
            }
            AuthMethod::ClientSecretPost => {
                form.push(("client_id", self.client_id.to_string()));
                form.push(("client_secret", secret.to_string()));
                request
            }
            AuthMethod::None => {
                form.push(("client_id", self.client_id.to_string()));
                request
            }
        }
    }
}

fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// POSTs a form to a token endpoint with the client's credentials and parses the answer.
pub async fn token_request(
    ctx: super::Context<'_>,
    url: &url::Url,
    client: &ClientAuth<'_>,
    mut form: Vec<(&'static str, String)>,
) -> crate::Result<crate::token::TokenSet> {
    let request = ctx
        .http
        .post(url.clone())
        .header("accept", "application/json");
    let request = client.apply(request, &mut form);
    let response = crate::http::send(request.form(&form)).await?;
    crate::token::parse_response(&response, ctx.clock.now())
}

/// Adds `key=value` to a form when the value is set and not empty.
pub fn push_opt(form: &mut Vec<(&'static str, String)>, key: &'static str, value: &Option<String>) {
    if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
        form.push((key, v.to_string()));
    }
}
