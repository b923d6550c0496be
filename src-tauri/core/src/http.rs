//! HTTP for token requests: one shared client with timeouts and no redirects, a check that
//! endpoints are `https://` (plain `http://` only on loopback), and a bounded body reader.

use crate::error::{Error, Result};
use crate::held::Held;
use std::net::IpAddr;
use std::time::Duration;
use url::{Host, Url};

/// A token response larger than this is not a token response.
pub const MAX_RESPONSE_BYTES: usize = 1 << 20;
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The one client the engine shares (connection reuse). Token requests never follow
/// redirects: a redirected token request would carry credentials somewhere unplanned.
pub fn client() -> reqwest::Client {
    builder()
        .build()
        .expect("the HTTP client's fixed settings are valid")
}

/// The engine's client settings, for [`client`] and for tests that must add to them (a test
/// root certificate, shorter timeouts) without dropping any.
pub fn builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .user_agent(concat!("tokentray/", env!("CARGO_PKG_VERSION")))
}

/// Credentials may travel over plain HTTP only to this machine.
pub fn check_endpoint(url: &Url) -> std::result::Result<(), String> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(format!(
            "{url} uses plain http://; only https:// is allowed except on this machine (127.0.0.1, ::1, localhost)"
        )),
        other => Err(format!("{url}: unsupported scheme {other}://")),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// A response read whole (up to [`MAX_RESPONSE_BYTES`]).
pub struct Response {
    pub status: u16,
    pub retry_after: Option<String>,
    /// A DPoP server's `DPoP-Nonce` (RFC 9449 §8), for the next proof.
    pub dpop_nonce: Option<String>,
    pub body: Vec<u8>,
}

/// A client that presents a client certificate (mutual TLS, RFC 8705) and/or trusts one more
/// CA for servers with a private one: one per certificate, key and CA, made once and reused
/// (a new file content makes a new one).
pub fn for_tls(
    identity: Option<(&[u8], &crate::secret::Secret)>,
    ca: Option<&[u8]>,
) -> Result<reqwest::Client> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static CLIENTS: OnceLock<Mutex<HashMap<String, reqwest::Client>>> = OnceLock::new();
    let mut id = Vec::new();
    if let Some((cert, key)) = identity {
        id.extend_from_slice(cert);
        id.extend_from_slice(key.expose().as_bytes());
    }
    id.push(0);
    id.extend_from_slice(ca.unwrap_or_default());
    let id = crate::jws::sha256_b64(&id);
    let clients = CLIENTS.get_or_init(Default::default);
    if let Some(client) = clients.held().get(&id) {
        return Ok(client.clone());
    }
    let bad = |what: &str, e: reqwest::Error| Error::InvalidConfig(format!("the {what}: {e}"));
    let mut builder = builder();
    if let Some((cert, key)) = identity {
        let mut pem = cert.to_vec();
        pem.push(b'\n');
        pem.extend_from_slice(key.expose().as_bytes());
        let identity = reqwest::Identity::from_pem(&pem)
            .map_err(|e| bad("client certificate and key (PEM)", e))?;
        builder = builder.identity(identity);
    }
    if let Some(ca) = ca {
        let certificate =
            reqwest::Certificate::from_pem(ca).map_err(|e| bad("CA certificate (PEM)", e))?;
        builder = builder.add_root_certificate(certificate);
    }
    let client = builder.build().map_err(|e| bad("TLS settings", e))?;
    clients.held().insert(id, client.clone());
    Ok(client)
}

/// Sends a request and reads the answer, turning transport failures into error codes.
pub async fn send(request: reqwest::RequestBuilder) -> Result<Response> {
    let mut response = request.send().await.map_err(transport_error)?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let dpop_nonce = response
        .headers()
        .get("dpop-nonce")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(Error::InvalidResponse(format!(
                "the body is larger than {} KiB",
                MAX_RESPONSE_BYTES / 1024
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Response {
        status,
        retry_after,
        dpop_nonce,
        body,
    })
}

fn transport_error(e: reqwest::Error) -> Error {
    // reqwest's Display carries the whole URL, whose query may hold a secret (a custom
    // account's `secret_in = { query = … }`): the URL is named without its query.
    let url = e.url().map(|u| {
        let mut u = u.clone();
        u.set_query(None);
        u.set_fragment(None);
        let _ = u.set_password(None);
        u.to_string()
    });
    let e = e.without_url();
    let detail = std::error::Error::source(&e)
        .map(|s| format!("{e}: {s}"))
        .unwrap_or_else(|| e.to_string());
    let detail = match url {
        Some(url) => format!("{detail} ({url})"),
        None => detail,
    };
    if e.is_timeout() {
        Error::Timeout(detail)
    } else {
        Error::Network(detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_on_loopback() {
        for ok in [
            "https://idp.example.com/token",
            "http://127.0.0.1:8080/token",
            "http://127.4.5.6/token",
            "http://[::1]:9/token",
            "http://localhost/token",
        ] {
            assert!(check_endpoint(&Url::parse(ok).unwrap()).is_ok(), "{ok}");
        }
        for bad in [
            "http://idp.example.com/token",
            "http://10.0.0.1/token",
            "ftp://x/y",
        ] {
            assert!(check_endpoint(&Url::parse(bad).unwrap()).is_err(), "{bad}");
        }
    }
}
