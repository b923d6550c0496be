//! Non-standard token endpoints, described instead of coded: the method and URL, where the
//! secret goes, extra headers and fields, and where the token's parts are in the answer.
//!
//! It expresses, among others:
//! 1. a service token exchanged for short-lived access tokens:
//!    `POST {api}/auth/service-token/refresh` with `Authorization: Bearer <service token>`,
//!    answering `{"access_token": ..., "expires_in": 900}`;
//! 2. refresh with rotation in the query string: `POST {api}/auth/refresh?refresh_token=<rt>`,
//!    answering a new access + refresh pair. When the answer carries a refresh token it
//!    replaces the secret for the next request.

use super::Context;
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::token::{success_body, token_from_json, ResponseMap, TokenSet};
use serde::Deserialize;
use std::collections::BTreeMap;
use url::Url;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The service token, refresh token or API key the request carries.
    pub secret: Secret,
    pub request: RequestSpec,
    #[serde(default)]
    pub response: ResponseMap,
    /// A second secret the request carries (an API key beside a service token), sealed like
    /// the first: what people would otherwise write in plain `headers` or `query`.
    pub api_key: Option<Secret>,
    /// Where the API key goes.
    pub api_key_in: Option<SecretIn>,
    /// A command that prints a new secret (see [`super::renewal`]).
    pub renew_command: Option<Vec<String>>,
    pub renew_before_secs: Option<u64>,
}

impl Config {
    /// An API key and its place come together.
    pub fn check(&self) -> std::result::Result<(), String> {
        match (&self.api_key, &self.api_key_in) {
            (Some(_), None) => Err("api_key needs api_key_in: where the request carries it, e.g. api_key_in = { header = \"X-Api-Key\" }".into()),
            (None, Some(_)) => Err("api_key_in says where the API key goes, but there is no api_key".into()),
            _ => Ok(()),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestSpec {
    #[serde(default = "post")]
    pub method: Method,
    pub url: Url,
    pub secret_in: SecretIn,
    /// Extra static headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Extra query parameters.
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    /// A form body with these fields (and the secret, for `secret_in = { form = ... }`).
    pub form: Option<BTreeMap<String, String>>,
    /// A JSON body (and the secret, for `secret_in = { json = "/pointer" }`).
    pub json: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Get,
    Post,
    Put,
}

fn post() -> Method {
    Method::Post
}

/// Where the secret goes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretIn {
    /// `Authorization: Bearer <secret>`
    Bearer,
    /// `Authorization: Basic base64(<username>:<secret>)`
    Basic(String),
    /// A form field of this name.
    Form(String),
    /// A query parameter of this name.
    Query(String),
    /// The JSON body at this pointer (e.g. `/auth/token`).
    Json(String),
    /// A header of this name, with the bare secret as its value.
    Header(String),
}

/// One request, with the newest rotated secret when the server rotates it.
pub async fn renew(ctx: Context<'_>, c: &Config, held: Option<&Secret>) -> Result<TokenSet> {
    let secret = held.unwrap_or(&c.secret);
    let api_key = c.api_key.as_ref().zip(c.api_key_in.as_ref());
    let secrets: Vec<(&SecretIn, &Secret)> = [(&c.request.secret_in, secret)]
        .into_iter()
        .chain(api_key.map(|(key, place)| (place, key)))
        .collect();
    send(ctx, &c.request, &secrets, &c.response).await
}

/// Sends `secret` as `r` describes and reads the tokens from the answer by `response`: the
/// one way a described request is made (a custom account's, a password account's refresh).
pub async fn call(
    ctx: Context<'_>,
    r: &RequestSpec,
    secret: &Secret,
    response: &ResponseMap,
) -> Result<TokenSet> {
    send(ctx, r, &[(&r.secret_in, secret)], response).await
}

/// Sends the request with each secret in its place.
async fn send(
    ctx: Context<'_>,
    r: &RequestSpec,
    secrets: &[(&SecretIn, &Secret)],
    response: &ResponseMap,
) -> Result<TokenSet> {
    let method = match r.method {
        Method::Get => reqwest::Method::GET,
        Method::Post => reqwest::Method::POST,
        Method::Put => reqwest::Method::PUT,
    };
    let mut url = r.url.clone();
    let mut query: Vec<(String, String)> = r.query.clone().into_iter().collect();
    let mut form = r.form.clone();
    let mut json = r.json.clone();
    let mut request_headers = Vec::new();
    let mut basic = None;
    for &(place, secret) in secrets {
        match place {
            SecretIn::Bearer => request_headers.push((
                "authorization".to_string(),
                format!("Bearer {}", secret.expose()),
            )),
            SecretIn::Header(name) => {
                request_headers.push((name.clone(), secret.expose().to_string()))
            }
            SecretIn::Basic(username) => basic = Some((username, secret)),
            SecretIn::Form(field) => {
                form.get_or_insert_with(BTreeMap::new)
                    .insert(field.clone(), secret.expose().into());
            }
            SecretIn::Query(name) => query.push((name.clone(), secret.expose().to_string())),
            SecretIn::Json(pointer) => {
                let body = json.get_or_insert_with(|| serde_json::json!({}));
                set_pointer(
                    body,
                    pointer,
                    serde_json::Value::String(secret.expose().into()),
                )?;
            }
        }
    }
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(&query);
    }
    let mut request = ctx
        .http
        .request(method, url)
        .header("accept", "application/json");
    if let Some((username, secret)) = basic {
        request = request.basic_auth(username, Some(secret.expose()));
    }
    for (name, value) in r
        .headers
        .iter()
        .chain(request_headers.iter().map(|(n, v)| (n, v)))
    {
        request = request.header(name.as_str(), value.as_str());
    }
    if let Some(json) = &json {
        request = request.json(json);
    } else if let Some(form) = &form {
        request = request.form(form);
    }
    let answer = crate::http::send(request).await?;
    let now = ctx.clock.now();
    let body = success_body(&answer, now)?;
    token_from_json(&body, response, now)
}

/// Writes `value` at a JSON pointer, creating objects on the way.
fn set_pointer(
    root: &mut serde_json::Value,
    pointer: &str,
    value: serde_json::Value,
) -> Result<()> {
    let bad = || {
        Error::InvalidConfig(format!(
            "secret_in json pointer {pointer:?} must look like /a/b"
        ))
    };
    let path = pointer.strip_prefix('/').ok_or_else(bad)?;
    let mut at = root;
    let keys: Vec<String> = path
        .split('/')
        .map(|k| k.replace("~1", "/").replace("~0", "~"))
        .collect();
    for (i, key) in keys.iter().enumerate() {
        let object = at.as_object_mut().ok_or_else(bad)?;
        if i + 1 == keys.len() {
            object.insert(key.clone(), value);
            return Ok(());
        }
        at = object
            .entry(key.clone())
            .or_insert_with(|| serde_json::json!({}));
    }
    Err(bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_goes_where_the_pointer_says() {
        let mut body = serde_json::json!({"client": "x"});
        set_pointer(&mut body, "/auth/token", "s".into()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"client": "x", "auth": {"token": "s"}})
        );
        assert!(set_pointer(&mut body, "no-slash", "s".into()).is_err());
    }
}
