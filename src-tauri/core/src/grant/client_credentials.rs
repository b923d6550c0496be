//! OAuth 2.0 client credentials (RFC 6749 §4.4), with `client_secret_basic` or
//! `client_secret_post`, optional scopes and an RFC 8707 `resource` / `audience`.

use crate::account::{AuthMethod, ClientCredentials};
use crate::error::Result;
use crate::token::{parse_response, TokenSet};
use crate::{http, Clock};

pub async fn obtain(
    client: &reqwest::Client,
    cc: &ClientCredentials,
    clock: &dyn Clock,
) -> Result<TokenSet> {
    let mut form: Vec<(&str, &str)> = vec![("grant_type", "client_credentials")];
    for (key, value) in [
        ("scope", &cc.scope),
        ("resource", &cc.resource),
        ("audience", &cc.audience),
    ] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            form.push((key, v));
        }
    }
    let secret = cc.client_secret.0.expose();
    let mut request = client
        .post(cc.token_url.clone())
        .header("accept", "application/json");
    match cc.auth_method {
        // RFC 6749 §2.3.1: id and secret are form-urlencoded before they go into Basic.
        AuthMethod::ClientSecretBasic => {
            request = request.basic_auth(form_encode(&cc.client_id), Some(form_encode(secret)));
        }
        AuthMethod::ClientSecretPost => {
            form.push(("client_id", &cc.client_id));
            form.push(("client_secret", secret));
        }
    }
    let response = http::send(request.form(&form)).await?;
    parse_response(&response, clock.now())
}

fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
