//! Authorization code + PKCE for native apps (RFC 6749 §4.1, RFC 7636, RFC 8252): the system
//! browser (never a webview, RFC 8252 §8.12) is sent to the authorization endpoint with a
//! loopback redirect `http://127.0.0.1:{ephemeral}/callback`. The listener is open only during
//! the login and closes on success, error, cancel or timeout; `state` is checked, and only
//! the first matching callback is taken.

use super::client_auth::{push_opt, token_request, ClientAuth};
use super::Context;
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::token::TokenSet;
use oauth2::{CsrfToken, PkceCodeChallenge};
use serde::Deserialize;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use url::Url;

/// How long a login may wait for the person.
pub const LOGIN_TIMEOUT: Duration = Duration::from_secs(300);

// With the client settings every grant that authenticates a client shares (`auth_method`,
// keys, DPoP, mutual TLS): `client_config!`.
super::client_auth::client_config! {
    #[derive(Debug, Clone, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Config {
        /// The authorization server: endpoints not given are discovered from it (OIDC
        /// discovery or RFC 8414), and the answer's `issuer` must be this exactly.
        pub issuer: Option<String>,
        pub authorization_url: Option<Url>,
        pub token_url: Option<Url>,
        /// RFC 9126 pushed authorization requests: the login's parameters are POSTed here (with
        /// the client's authentication) and the browser gets only a `request_uri`.
        pub par_url: Option<Url>,
        /// RFC 7009 revocation endpoint: tokens are revoked there when the account is removed.
        pub revocation_url: Option<Url>,
        pub client_id: String,
        /// Confidential clients only; native apps are usually public.
        pub client_secret: Option<Secret>,
        pub scope: Option<String>,
        /// RFC 8707 resource indicator.
        pub resource: Option<String>,
        /// Extra authorization parameters, e.g. `prompt = "consent"` or `audience`.
        #[serde(default)]
        pub extra_params: std::collections::BTreeMap<String, String>,
    }
}

impl Config {
    pub fn client(&self) -> ClientAuth<'_> {
        super::client_auth::client_of!(self, &self.client_id, self.client_secret.as_ref())
    }
}

/// Pushes the login's parameters (RFC 9126 §2), authenticated as the client; the answer's
/// `request_uri` is what the browser carries instead.
async fn push(
    ctx: Context<'_>,
    c: &Config,
    par_url: &Url,
    params: &[(&str, String)],
) -> Result<String> {
    let mut form: Vec<(&'static str, String)> = Vec::new();
    let request = c.client().post(ctx, par_url, &mut form)?;
    // The client's credentials first, then the login's own parameters (client_id once).
    let mut body: Vec<(&str, String)> = form.iter().map(|(k, v)| (*k, v.clone())).collect();
    body.extend(
        params
            .iter()
            .filter(|(k, _)| !form.iter().any(|(f, _)| f == k))
            .cloned(),
    );
    let response = crate::http::send(request.form(&body)).await?;
    let answer = crate::token::success_body(&response, ctx.clock.now())?;
    answer["request_uri"]
        .as_str()
        .map(String::from)
        .ok_or_else(|| {
            Error::InvalidResponse(
                "the pushed authorization request was answered without a request_uri".into(),
            )
        })
}

/// Runs one login: `open` is given the authorization URL to show in the system browser.
pub async fn login(
    ctx: Context<'_>,
    c: &Config,
    open: impl FnOnce(&Url) -> std::result::Result<(), String>,
    cancel: CancellationToken,
    timeout: Duration,
) -> Result<TokenSet> {
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(|e| Error::Network(format!("cannot open the loopback redirect listener: {e}")))?;
    let port = listener
        .local_addr()
        .map_err(|e| Error::Network(e.to_string()))?
        .port();
    let redirect_uri = format!("http://127.0.0.1:{port}/callback");
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let state = CsrfToken::new_random();

    let mut params: Vec<(&str, String)> = vec![
        ("response_type", "code".into()),
        ("client_id", c.client_id.clone()),
        ("redirect_uri", redirect_uri.clone()),
        ("state", state.secret().clone()),
        ("code_challenge", challenge.as_str().into()),
        ("code_challenge_method", "S256".into()),
    ];
    if let Some(scope) = c.scope.as_deref().filter(|s| !s.is_empty()) {
        params.push(("scope", scope.into()));
    }
    if let Some(resource) = c.resource.as_deref() {
        params.push(("resource", resource.into()));
    }
    for (k, v) in &c.extra_params {
        params.push((k, v.clone()));
    }
    if let Some(par_url) = &c.par_url {
        let request_uri = push(ctx, c, par_url, &params).await?;
        params = vec![
            ("client_id", c.client_id.clone()),
            ("request_uri", request_uri),
        ];
    }
    let mut url = super::endpoint(&c.authorization_url, "authorization_url")?.clone();
    url.query_pairs_mut().extend_pairs(&params);
    open(&url).map_err(|e| Error::System(format!("cannot open the browser: {e}")))?;

    let code = tokio::select! {
        _ = cancel.cancelled() => return Err(Error::Cancelled),
        _ = tokio::time::sleep(timeout) => {
            return Err(Error::Timeout("nobody completed the login in the browser".into()))
        }
        result = wait_for_callback(&listener, state.secret()) => result?,
    };
    drop(listener);

    let mut form = vec![
        ("grant_type", "authorization_code".to_string()),
        ("code", code.expose().to_string()),
        ("redirect_uri", redirect_uri),
        ("code_verifier", verifier.secret().to_string()),
    ];
    push_opt(&mut form, "resource", &c.resource);
    token_request(
        ctx,
        super::endpoint(&c.token_url, "token_url")?,
        &c.client(),
        form,
    )
    .await
}

/// Serves the loopback redirect until the callback with our `state` arrives; anything else
/// (a favicon, a wrong or missing state) is answered and ignored.
async fn wait_for_callback(listener: &TcpListener, state: &str) -> Result<Secret> {
    loop {
        let (mut stream, _) = listener
            .accept()
            .await
            .map_err(|e| Error::Network(e.to_string()))?;
        let Some(target) = read_request_target(&mut stream).await else {
            continue;
        };
        let Ok(url) = Url::parse(&format!("http://127.0.0.1{target}")) else {
            continue;
        };
        if url.path() != "/callback" {
            respond(
                &mut stream,
                404,
                "Not found",
                "This is Tokentray's login listener.",
            )
            .await;
            continue;
        }
        let param = |k: &str| {
            url.query_pairs()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.into_owned())
        };
        if param("state").as_deref() != Some(state) {
            respond(&mut stream, 400, "Login not recognised", "This login answer does not belong to the login Tokentray started. Start the login again from Tokentray.").await;
            continue;
        }
        if let Some(error) = param("error") {
            let description = param("error_description");
            respond(
                &mut stream,
                200,
                "Login failed",
                "The server refused the login. Return to Tokentray to see why.",
            )
            .await;
            return Err(Error::Refused {
                error,
                description,
                status: 400,
            });
        }
        let Some(code) = param("code") else {
            respond(
                &mut stream,
                400,
                "Login failed",
                "The answer carried no authorization code.",
            )
            .await;
            return Err(Error::InvalidResponse(
                "the redirect carried no code".into(),
            ));
        };
        respond(
            &mut stream,
            200,
            "You are logged in",
            "Tokentray has your login. You can close this tab and return to the app.",
        )
        .await;
        return Ok(Secret::new(code));
    }
}

/// The request target of an HTTP/1 request (`GET /callback?... HTTP/1.1`), read with a bound.
async fn read_request_target(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(2048);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let line = String::from_utf8_lossy(&buf).lines().next()?.to_string();
    let mut parts = line.split(' ');
    match (parts.next(), parts.next()) {
        (Some("GET"), Some(target)) if target.starts_with('/') => Some(target.to_string()),
        _ => None,
    }
}

async fn respond(stream: &mut TcpStream, status: u16, title: &str, message: &str) {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title} – Tokentray</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:34em;margin:12vh auto;padding:0 1em;color:#1d2330}}\
         h1{{color:#2f4fd0;font-size:1.4em}}</style></head>\
         <body><h1>{title}</h1><p>{message}</p></body></html>"
    );
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        _ => "Not Found",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body.as_bytes()).await;
    let _ = stream.shutdown().await;
}
