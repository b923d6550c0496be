//! The fault matrix: a token server of the test's own (TLS with a certificate only this test
//! trusts, refresh-token rotation with strict reuse detection) misbehaves in one way per case,
//! and the real engine, store and HTTP client meet it. Each case checks what the person would
//! see: the error code on the account and in its history, the old access token still served
//! while valid, a retry planned (or, for a real refusal, none), no panic, and no lost refresh
//! token: after the fault the server sees the refresh token it issued last, never a retired
//! one. The table of outcomes is printed and kept in artifacts/fault-matrix.txt.

#![allow(clippy::disallowed_methods)] // the server dates Retry-After and the table from the real clock

mod support;

use chrono::Utc;
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokentray_core::vault::KeySource;
use tokentray_core::{http, AccountStatus, EngineHandle, Profile, Secret, SystemClock};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::rustls;
use tokio_rustls::TlsAcceptor;

/// The server's name; the test's resolver maps it to 127.0.0.1 (or fails, for the DNS case).
const HOST: &str = "faulty.test";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    None,
    Status500,
    Status502,
    Status503RetryAfter,
    Status429Seconds,
    Status429Date,
    ConnectionRefused,
    ConnectTimeout,
    StalledBody,
    PlainHttp,
    Html200,
    EmptyBody,
    InvalidJson,
    NoAccessToken,
    ExpiresInString,
    ExpiresInNegative,
    ExpiresInAbsurd,
    TenMegabytes,
    InvalidGrant,
    InvalidClient,
    Redirect,
    DnsFailure,
    RefreshTokenReplayed,
    StalledAfterRotation,
    /// RFC 9449 §8: a proof without the server's nonce gets `use_dpop_nonce` and one.
    DpopNonce,
    /// As above, but every proof: a new nonce each time.
    DpopNonceEveryTime,
    /// The server is fine; the client certificate the account presents has expired since its
    /// last refresh.
    ExpiredClientCertificate,
    /// `invalid_client` whose `error_description` echoes the client secret and the refresh
    /// token it received, with an escape sequence, a line break, markup and 5,000 characters.
    EchoesSecret,
    /// A rotation whose access token holds a line break and a header (`at\r\nX-Injected: 1`).
    TokenWithLineBreak,
}

/// The client secret of the account the [`Fault::EchoesSecret`] server echoes.
const ECHOED_SECRET: &str = "the-client-secret-9f3a";

/// What the token server knows: the refresh-token family, as a strict server keeps it.
#[derive(Default)]
struct Family {
    current: String,
    retired: HashSet<String>,
    revoked: bool,
    reuse_detected: u32,
    issued: u32,
    requests_elsewhere: u32,
}

struct Server {
    port: u16,
    fault: Arc<Mutex<Fault>>,
    family: Arc<Mutex<Family>>,
    acceptor: TlsAcceptor,
    accepting: Option<JoinHandle<()>>,
    /// For the connect timeout: a listener with a full backlog and the connections filling it.
    _blocked: Option<(tokio::net::TcpListener, Vec<std::net::TcpStream>)>,
}

impl Server {
    async fn start(acceptor: TlsAcceptor, first_refresh_token: &str) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut server = Server {
            port,
            fault: Arc::new(Mutex::new(Fault::None)),
            family: Arc::new(Mutex::new(Family {
                current: first_refresh_token.into(),
                ..Family::default()
            })),
            acceptor,
            accepting: None,
            _blocked: None,
        };
        server.accept_on(listener);
        server
    }

    fn url(&self) -> String {
        format!("https://{HOST}:{}/token", self.port)
    }

    /// The same by address, for a client that does not use the test's resolver (a client
    /// certificate's own HTTP client).
    fn url_by_address(&self) -> String {
        format!("https://127.0.0.1:{}/token", self.port)
    }

    fn accept_on(&mut self, listener: TcpListener) {
        let (fault, family, acceptor) = (
            self.fault.clone(),
            self.family.clone(),
            self.acceptor.clone(),
        );
        self.accepting = Some(tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (fault, family, acceptor) = (fault.clone(), family.clone(), acceptor.clone());
                tokio::spawn(serve(stream, fault, family, acceptor));
            }
        }));
    }

    async fn set(&mut self, fault: Fault) {
        if let Some(task) = self.accepting.take() {
            task.abort();
            let _ = task.await;
        }
        self._blocked = None;
        *self.fault.lock().unwrap() = fault;
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        match fault {
            Fault::ConnectionRefused => {}
            Fault::ConnectTimeout => {
                // Nobody accepts and the backlog is full: the kernel drops further SYNs.
                let socket = TcpSocket::new_v4().unwrap();
                socket.set_reuseaddr(true).unwrap();
                socket.bind(addr).unwrap();
                let listener = socket.listen(0).unwrap();
                let fillers = (0..3)
                    .filter_map(|_| {
                        std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).ok()
                    })
                    .collect();
                self._blocked = Some((listener, fillers));
            }
            _ => {
                let socket = TcpSocket::new_v4().unwrap();
                socket.set_reuseaddr(true).unwrap();
                socket.bind(addr).unwrap();
                self.accept_on(socket.listen(64).unwrap());
            }
        }
    }
}

async fn serve(
    mut stream: TcpStream,
    fault: Arc<Mutex<Fault>>,
    family: Arc<Mutex<Family>>,
    acceptor: TlsAcceptor,
) {
    let fault = *fault.lock().unwrap();
    if fault == Fault::PlainHttp {
        // Plain HTTP where TLS was expected: whatever arrives gets a plain answer.
        let mut hello = [0u8; 512];
        let _ = stream.read(&mut hello).await;
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}")
            .await;
        return;
    }
    let Ok(mut tls) = acceptor.accept(stream).await else {
        return;
    };
    let Some((path, form, nonce)) = read_request(&mut tls).await else {
        return;
    };
    if path != "/token" {
        family.lock().unwrap().requests_elsewhere += 1;
    }
    let (status, headers, body) = answer(fault, &family, &form, nonce.as_deref());
    let mut head = format!("HTTP/1.1 {status} X\r\nconnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if matches!(fault, Fault::StalledBody | Fault::StalledAfterRotation) {
        head.push_str("content-type: application/json\r\ncontent-length: 200\r\n\r\n{\"access_tok");
        let _ = tls.write_all(head.as_bytes()).await;
        let _ = tls.flush().await;
        tokio::time::sleep(Duration::from_secs(60)).await;
        return;
    }
    head.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    let _ = tls.write_all(head.as_bytes()).await;
    let _ = tls.write_all(&body).await;
    let _ = tls.shutdown().await;
}

/// A request: its path, its form, and the `nonce` of its DPoP proof (if any).
async fn read_request(
    stream: &mut (impl AsyncRead + Unpin),
) -> Option<(String, Vec<(String, String)>, Option<String>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap_or(0))
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let path = head.split_whitespace().nth(1)?.to_string();
    let form = url::form_urlencoded::parse(&buf[head_end..])
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let nonce = head.lines().find_map(|l| {
        use base64::Engine;
        let proof = l
            .strip_prefix("dpop: ")
            .or_else(|| l.strip_prefix("DPoP: "))?;
        let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(proof.trim().split('.').nth(1)?)
            .ok()?;
        let claims: serde_json::Value = serde_json::from_slice(&claims).ok()?;
        claims["nonce"].as_str().map(String::from)
    });
    Some((path, form, nonce))
}

type Answer = (u16, Vec<(&'static str, String)>, Vec<u8>);

fn json(status: u16, body: serde_json::Value) -> Answer {
    (
        status,
        vec![("content-type", "application/json".into())],
        body.to_string().into_bytes(),
    )
}

fn answer(
    fault: Fault,
    family: &Mutex<Family>,
    form: &[(String, String)],
    nonce: Option<&str>,
) -> Answer {
    let text = |status, kind: &str, body: &str| {
        (
            status,
            vec![("content-type", kind.to_string())],
            body.as_bytes().to_vec(),
        )
    };
    match fault {
        Fault::Status500 => return text(500, "text/plain", "Internal Server Error"),
        Fault::Status502 => return text(502, "text/html", "<html><h1>502 Bad Gateway</h1></html>"),
        Fault::Status503RetryAfter => {
            let (s, mut h, b) = text(503, "text/plain", "Service Unavailable");
            h.push(("retry-after", "3".into()));
            return (s, h, b);
        }
        Fault::Status429Seconds => {
            let (s, mut h, b) = json(429, serde_json::json!({"error": "slow down"}));
            h.push(("retry-after", "7".into()));
            return (s, h, b);
        }
        Fault::Status429Date => {
            let when = std::time::SystemTime::now() + Duration::from_secs(9);
            let (s, mut h, b) = json(429, serde_json::json!({}));
            h.push(("retry-after", httpdate::fmt_http_date(when)));
            return (s, h, b);
        }
        Fault::Html200 => {
            return text(
                200,
                "text/html",
                "<!doctype html><html><body>Down for maintenance</body></html>",
            )
        }
        Fault::EmptyBody => return text(200, "application/json", ""),
        // A proxy that stalls: the token server never saw the request.
        Fault::StalledBody => return text(200, "application/json", ""),
        Fault::InvalidJson => return text(200, "application/json", "{\"access_token\": \"at\","),
        Fault::TenMegabytes => {
            let mut body = b"{\"access_token\":\"".to_vec();
            body.resize(10 << 20, b'a');
            body.extend_from_slice(b"\"}");
            return (200, vec![("content-type", "application/json".into())], body);
        }
        Fault::InvalidGrant => {
            return json(
                400,
                serde_json::json!({"error": "invalid_grant", "error_description": "the refresh token is not valid"}),
            )
        }
        Fault::InvalidClient => {
            return json(
                401,
                serde_json::json!({"error": "invalid_client", "error_description": "client authentication failed"}),
            )
        }
        Fault::DpopNonce | Fault::DpopNonceEveryTime
            if fault == Fault::DpopNonceEveryTime || nonce != Some("n-1") =>
        {
            let (s, mut h, b) = json(
                400,
                serde_json::json!({"error": "use_dpop_nonce", "error_description": "a nonce is required"}),
            );
            let fresh = match fault {
                Fault::DpopNonce => "n-1".to_string(),
                _ => format!("n-{}", fastrand::u64(..)),
            };
            h.push(("dpop-nonce", fresh));
            return (s, h, b);
        }
        Fault::EchoesSecret => {
            let given = |key: &str| {
                let v = form.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
                v.unwrap_or_default().to_string()
            };
            let description = format!(
                "client_secret {} is wrong for refresh_token {}\u{1b}[2J\n<b>Urgent</b> <a href=\"smb://evil/share\">log in again</a> {}",
                given("client_secret"),
                given("refresh_token"),
                "x".repeat(5000)
            );
            return json(
                401,
                serde_json::json!({"error": "invalid_client", "error_description": description}),
            );
        }
        Fault::Redirect => {
            let (s, mut h, b) = text(302, "text/plain", "");
            h.push(("location", "/elsewhere".into()));
            return (s, h, b);
        }
        _ => {}
    }
    // A refresh, with rotation and strict reuse detection.
    let mut f = family.lock().unwrap();
    let presented = form
        .iter()
        .find(|(k, _)| k == "refresh_token")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    if f.revoked {
        return json(
            400,
            serde_json::json!({"error": "invalid_grant", "error_description": "the grant was revoked"}),
        );
    }
    if presented != f.current {
        if f.retired.contains(&presented) {
            // A retired refresh token again: someone holds a copy. The whole family goes.
            f.revoked = true;
            f.reuse_detected += 1;
        }
        return json(
            400,
            serde_json::json!({"error": "invalid_grant", "error_description": "unknown refresh token"}),
        );
    }
    f.issued += 1;
    let next = format!("rt-{}-{}", f.issued, fastrand::u64(..));
    let retired = std::mem::replace(&mut f.current, next.clone());
    f.retired.insert(retired.clone());
    let mut access = format!("at-{}-{}", f.issued, fastrand::u64(..));
    if fault == Fault::TokenWithLineBreak {
        access.push_str("\r\nX-Injected: 1");
    }
    let returned = if fault == Fault::RefreshTokenReplayed {
        retired
    } else {
        next
    };
    let expires_in = match fault {
        Fault::NoAccessToken => {
            return json(
                200,
                serde_json::json!({"token_type": "Bearer", "expires_in": 3600, "refresh_token": returned}),
            )
        }
        Fault::ExpiresInString => serde_json::json!("3600"),
        Fault::ExpiresInNegative => serde_json::json!(-5),
        Fault::ExpiresInAbsurd => serde_json::json!(10 * 365 * 24 * 3600),
        _ => serde_json::json!(3600),
    };
    json(
        200,
        serde_json::json!({"access_token": access, "token_type": "Bearer", "expires_in": expires_in, "refresh_token": returned}),
    )
}

/// The client certificate's key the engine holds (PEM), as `export --with-secrets` gives it.
async fn held_tls_key(engine: &EngineHandle) -> String {
    let export = engine
        .export(true, &tokentray_core::lending::Asker::person())
        .await
        .unwrap();
    let key = export.split("tls_client_key = \"\"\"").nth(1).unwrap();
    let key = key.split("\"\"\"").next().unwrap();
    key.trim_start_matches('\n').to_string()
}

/// A client certificate and its key (PEM), valid until `days` from today.
fn client_certificate(days: i64) -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap().serialize_pem();
    (certificate_for(&key, days), key)
}

/// A self-signed certificate of `key` (PEM) ending `days` from today (negative: in the past).
fn certificate_for(key: &str, days: i64) -> String {
    use chrono::Datelike;
    let key = rcgen::KeyPair::from_pem(key).unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["client".to_string()]).unwrap();
    let day = |d: i64| {
        let t = Utc::now() + chrono::Duration::days(d);
        rcgen::date_time_ymd(t.year(), t.month() as u8, t.day() as u8)
    };
    params.not_before = day(days.min(0) - 30);
    params.not_after = day(days);
    params.self_signed(&key).unwrap().pem()
}

/// Resolves [`HOST`] to 127.0.0.1, except in the DNS case: then it asks the system resolver
/// for a name that cannot exist (RFC 6761 `.invalid`) and passes its failure on.
struct Resolver {
    fail: Arc<AtomicBool>,
}

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let fail = self.fail.load(Ordering::SeqCst) || name.as_str() != HOST;
        Box::pin(async move {
            if fail {
                let err = match tokio::net::lookup_host("tokentray-fault-matrix.invalid:443").await
                {
                    Err(e) => e,
                    Ok(_) => std::io::Error::other("the .invalid name resolved"),
                };
                return Err(Box::new(err) as Box<dyn std::error::Error + Send + Sync>);
            }
            let addrs: reqwest::dns::Addrs =
                Box::new(std::iter::once(SocketAddr::from(([127, 0, 0, 1], 0))));
            Ok(addrs)
        })
    }
}

/// A fresh `refresh_token` account against a server of its own, holding its first token;
/// `extra` settings beside (DPoP, a client certificate).
async fn account_with_server(
    engine: &EngineHandle,
    acceptor: &TlsAcceptor,
    name: &str,
    extra: &str,
) -> Server {
    let server = Server::start(acceptor.clone(), "rt-0").await;
    // A client certificate's account has an HTTP client of its own (no test resolver).
    let url = match extra.contains("tls_client_cert_file") {
        true => server.url_by_address(),
        false => server.url(),
    };
    let profile = Profile::parse(&format!(
        "[[account]]\nname = \"{name}\"\ngrant = \"refresh_token\"\ntoken_url = \"{url}\"\nclient_id = \"app\"\nrefresh_token = \"rt-0\"\n{extra}"
    ))
    .unwrap();
    engine
        .put_account(profile.account.into_iter().next().unwrap())
        .await
        .unwrap();
    engine.refresh(name).await.unwrap();
    server
}

fn row(case: &str, outcome: &str, status: &str, old: &str, retry: &str, refresh: &str) -> String {
    format!("{case:<58} {outcome:<18} {status:<13} {old:<11} {retry:<10} {refresh}")
}

/// What a case expects.
struct Case {
    fault: Fault,
    /// The server's misbehaviour, for the table.
    what: &'static str,
    /// `None`: the answer is tolerated and the refresh succeeds.
    code: Option<&'static str>,
    /// A person must act (no retry planned).
    refusal: bool,
    /// The earliest retry the server asked for, in seconds.
    retry_at_least: u64,
}

const fn case(
    fault: Fault,
    what: &'static str,
    code: Option<&'static str>,
    refusal: bool,
    retry_at_least: u64,
) -> Case {
    Case {
        fault,
        what,
        code,
        refusal,
        retry_at_least,
    }
}

const CASES: &[Case] = &[
    case(Fault::Status500, "HTTP 500", Some("server_error"), false, 0),
    case(
        Fault::Status502,
        "HTTP 502 (HTML)",
        Some("server_error"),
        false,
        0,
    ),
    case(
        Fault::Status503RetryAfter,
        "HTTP 503, Retry-After: 3",
        Some("server_error"),
        false,
        3,
    ),
    case(
        Fault::Status429Seconds,
        "HTTP 429, Retry-After: 7 (seconds)",
        Some("rate_limited"),
        false,
        7,
    ),
    case(
        Fault::Status429Date,
        "HTTP 429, Retry-After: HTTP date +9 s",
        Some("rate_limited"),
        false,
        7,
    ),
    case(
        Fault::ConnectionRefused,
        "connection refused",
        Some("network"),
        false,
        0,
    ),
    case(
        Fault::ConnectTimeout,
        "connect timeout (full backlog, never accepts)",
        Some("timeout"),
        false,
        0,
    ),
    case(
        Fault::StalledBody,
        "headers, then a stalled body",
        Some("timeout"),
        false,
        0,
    ),
    case(
        Fault::PlainHttp,
        "TLS handshake failure (plain HTTP on the https port)",
        Some("network"),
        false,
        0,
    ),
    case(
        Fault::Html200,
        "HTML page with 200",
        Some("invalid_response"),
        false,
        0,
    ),
    case(
        Fault::EmptyBody,
        "empty body with 200",
        Some("invalid_response"),
        false,
        0,
    ),
    case(
        Fault::InvalidJson,
        "invalid JSON",
        Some("invalid_response"),
        false,
        0,
    ),
    case(
        Fault::NoAccessToken,
        "JSON without access_token (but a rotated refresh token)",
        Some("invalid_response"),
        false,
        0,
    ),
    case(
        Fault::ExpiresInString,
        "expires_in as a string \"3600\"",
        None,
        false,
        0,
    ),
    case(
        Fault::ExpiresInNegative,
        "expires_in -5 (and a rotated refresh token)",
        Some("invalid_response"),
        false,
        0,
    ),
    case(
        Fault::ExpiresInAbsurd,
        "expires_in of 10 years",
        None,
        false,
        0,
    ),
    case(
        Fault::TenMegabytes,
        "a 10 MB body",
        Some("invalid_response"),
        false,
        0,
    ),
    case(
        Fault::InvalidGrant,
        "400 {\"error\":\"invalid_grant\"}",
        Some("invalid_grant"),
        true,
        0,
    ),
    case(
        Fault::InvalidClient,
        "401 {\"error\":\"invalid_client\"}",
        Some("invalid_client"),
        true,
        0,
    ),
    case(
        Fault::Redirect,
        "302 redirect on the token endpoint",
        Some("refused"),
        true,
        0,
    ),
    case(
        Fault::DnsFailure,
        "DNS failure (unresolvable host)",
        Some("network"),
        false,
        0,
    ),
    case(
        Fault::ExpiredClientCertificate,
        "mTLS: the client certificate has expired",
        Some("certificate_expired"),
        true,
        0,
    ),
    case(
        Fault::DpopNonce,
        "DPoP: use_dpop_nonce with a DPoP-Nonce (once)",
        None,
        false,
        0,
    ),
    case(
        Fault::DpopNonceEveryTime,
        "DPoP: use_dpop_nonce with a new nonce every time",
        Some("use_dpop_nonce"),
        false,
        0,
    ),
    case(
        Fault::EchoesSecret,
        "401 echoing the client secret and refresh token (+ESC, markup, 5,000 chars)",
        Some("invalid_client"),
        true,
        0,
    ),
    case(
        Fault::TokenWithLineBreak,
        "an access token with CR/LF and a header in it (and a rotated refresh token)",
        Some("invalid_response"),
        false,
        0,
    ),
];

/// A case whose refresh-token family the server revoked: `invalid_grant`, a login needed, the
/// old access token still served while valid. Returns the table's row, and what was wrong.
async fn check_family_lost(
    engine: &EngineHandle,
    server: &Server,
    name: &str,
    before: &Secret,
    result: tokentray_core::Result<()>,
    what: &str,
    first: &str,
) -> (String, Option<String>) {
    let view = engine.view(name).unwrap();
    let detected = server.family.lock().unwrap().reuse_detected;
    let served = engine.get_token(name).await;
    let served = served.as_ref().is_ok_and(|t| t == before);
    let code = result
        .as_ref()
        .err()
        .map(|e| e.code().as_str())
        .unwrap_or("ok");
    let outcome = if first == "-" {
        code.to_string()
    } else {
        format!("{first}, {code}")
    };
    let line = row(
        what,
        &outcome,
        view.status.as_str(),
        if served { "served" } else { "NOT served" },
        "none",
        "family revoked by the server",
    );
    let as_expected = code == "invalid_grant"
        && view.status == AccountStatus::NeedsReauth
        && detected == 1
        && served;
    let failure = (!as_expected).then(|| {
        format!(
            "{what}: {result:?}, status {:?}, reuse detected {detected}, old token served {served}",
            view.status
        )
    });
    (line, failure)
}

/// What a server's echo left where it must not be: the secret or the refresh token in the
/// account's error, its history, or the database's bytes (file and WAL); control characters,
/// or more than a message's length, in what a person is shown.
fn echo_problems(
    home: &std::path::Path,
    view: &tokentray_core::AccountView,
    history: &tokentray_core::store::HistoryEntry,
    server: &Server,
) -> Vec<String> {
    let current = server.family.lock().unwrap().current.clone();
    let shown = view
        .error
        .as_ref()
        .map(|e| e.message.clone())
        .unwrap_or_default();
    let stored = history.error_message.clone().unwrap_or_default();
    let mut problems = vec![];
    for (where_, text) in [("the account's error", &shown), ("the history", &stored)] {
        if text.contains(ECHOED_SECRET) || text.contains(&current) {
            problems.push(format!("{where_} holds a secret: {text}"));
        }
        if !text.contains("[redacted]") {
            problems.push(format!("{where_} says nothing was redacted: {text}"));
        }
        if text.chars().any(char::is_control) || text.chars().count() > 1_100 {
            problems.push(format!("{where_} is not safe to show: {text:?}"));
        }
    }
    for file in ["tokentray.db", "tokentray.db-wal"] {
        let bytes = std::fs::read(home.join(file)).unwrap_or_default();
        if bytes
            .windows(ECHOED_SECRET.len())
            .any(|w| w == ECHOED_SECRET.as_bytes())
        {
            problems.push(format!("{file} holds the client secret in plaintext"));
        }
    }
    problems
}

fn tls() -> (TlsAcceptor, reqwest::Certificate, String) {
    let names = vec![HOST.to_string(), "127.0.0.1".to_string()];
    let cert = rcgen::generate_simple_self_signed(names).unwrap();
    let pem = cert.cert.pem();
    let key = rustls::pki_types::PrivateKeyDer::try_from(cert.key_pair.serialize_der()).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert.cert.der().clone()], key)
    .unwrap();
    (
        TlsAcceptor::from(Arc::new(config)),
        reqwest::Certificate::from_pem(pem.as_bytes()).unwrap(),
        pem,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_fault_gives_a_clear_code_keeps_the_old_token_and_loses_no_refresh_token() {
    let (acceptor, root, root_pem) = tls();
    let dns_fails = Arc::new(AtomicBool::new(false));
    let client = http::builder()
        .add_root_certificate(root)
        .dns_resolver(Arc::new(Resolver {
            fail: dns_fails.clone(),
        }))
        .connect_timeout(Duration::from_secs(1))
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let home = std::env::temp_dir().join(format!("tokentray-faults-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    let engine = EngineHandle::open_with_http(
        &home,
        KeySource::Passphrase(Secret::new("faults")),
        Arc::new(SystemClock),
        client,
    )
    .await
    .unwrap();

    let mut table = vec![row(
        "case",
        "outcome",
        "status",
        "old token",
        "retry in",
        "refresh token",
    )];
    let mut failures = Vec::new();
    for c in CASES {
        let name = format!("{:?}", c.fault).to_lowercase();
        let certificate = home.with_extension(format!("{name}.pem"));
        let extra = match c.fault {
            Fault::DpopNonce | Fault::DpopNonceEveryTime => "dpop = true\n".to_string(),
            Fault::EchoesSecret => format!(
                "client_secret = \"{ECHOED_SECRET}\"\nauth_method = \"client_secret_post\"\n"
            ),
            Fault::ExpiredClientCertificate => {
                let (cert, key) = client_certificate(1);
                std::fs::write(&certificate, cert).unwrap();
                let ca = home.with_extension("ca.pem");
                std::fs::write(&ca, &root_pem).unwrap();
                format!(
                    "tls_client_cert_file = {:?}\ntls_ca_file = {:?}\ntls_client_key = \"\"\"\n{key}\"\"\"\n",
                    certificate.display().to_string(),
                    ca.display().to_string()
                )
            }
            _ => String::new(),
        };
        let mut server = account_with_server(&engine, &acceptor, &name, &extra).await;
        let before = engine.get_token(&name).await.unwrap();

        server.set(c.fault).await;
        if c.fault == Fault::ExpiredClientCertificate {
            // The same key, now with a certificate that ended yesterday.
            let key = held_tls_key(&engine).await;
            std::fs::write(&certificate, certificate_for(&key, -1)).unwrap();
        }
        dns_fails.store(c.fault == Fault::DnsFailure, Ordering::SeqCst);
        let now = Utc::now();
        let result = engine.refresh(&name).await;
        let view = engine.view(&name).unwrap();
        let history = engine.history(&name, None, 1).await.unwrap();
        let served = engine.get_token(&name).await;

        let mut problems = Vec::new();
        let outcome = match &result {
            Ok(()) => "ok".to_string(),
            Err(e) => e.code().to_string(),
        };
        if outcome != c.code.unwrap_or("ok") {
            problems.push(format!("outcome {outcome}: {result:?}"));
        }
        if let Some(code) = c.code {
            if view.error.as_ref().map(|e| e.code.as_str()) != Some(code) {
                problems.push(format!("the account shows {:?}", view.error));
            }
            if history[0].error_code.as_deref() != Some(code) {
                problems.push(format!("history says {:?}", history[0].error_code));
            }
            match &served {
                Ok(t) if *t == before => {}
                other => problems.push(format!("the old token was not served: {other:?}")),
            }
            let expected = if c.refusal {
                AccountStatus::NeedsReauth
            } else {
                AccountStatus::Retrying
            };
            if view.status != expected {
                problems.push(format!("status {:?}, expected {expected:?}", view.status));
            }
        }
        let retry = view.next_refresh.map(|at| (at - now).num_milliseconds());
        match (c.code, c.refusal, retry) {
            (Some(_), true, Some(ms)) => problems.push(format!("a refusal is retried in {ms} ms")),
            (Some(_), false, None) => problems.push("no retry planned".into()),
            (Some(_), false, Some(ms)) if ms + 1_000 < c.retry_at_least as i64 * 1000 => problems
                .push(format!(
                    "retry in {ms} ms, sooner than the server asked ({} s)",
                    c.retry_at_least
                )),
            _ => {}
        }

        if c.fault == Fault::EchoesSecret {
            problems.extend(echo_problems(&home, &view, &history[0], &server));
        }

        // The server behaves again: the next refresh presents the refresh token it issued last.
        server.set(Fault::None).await;
        if c.fault == Fault::ExpiredClientCertificate {
            // Its owner gives it a new certificate.
            let key = held_tls_key(&engine).await;
            std::fs::write(&certificate, certificate_for(&key, 30)).unwrap();
        }
        dns_fails.store(false, Ordering::SeqCst);
        let recovered = engine.refresh(&name).await;
        let family = server.family.lock().unwrap();
        let kept = recovered.is_ok() && family.reuse_detected == 0 && !family.revoked;
        if !kept {
            problems.push(format!(
                "after the fault: {recovered:?}, reuse detected {}",
                family.reuse_detected
            ));
        }
        if family.requests_elsewhere > 0 {
            problems.push("a redirect was followed".into());
        }
        table.push(row(
            c.what,
            &outcome,
            view.status.as_str(),
            match (&c.code, &served) {
                (None, _) => "(new one)",
                (_, Ok(t)) if *t == before => "served",
                _ => "NOT served",
            },
            match retry {
                Some(ms) if c.code.is_some() && !c.refusal => {
                    format!("{:.1} s", ms as f64 / 1000.0)
                }
                _ if c.refusal => "none".to_string(),
                _ => "-".to_string(),
            }
            .as_str(),
            if kept { "kept" } else { "LOST" },
        ));
        if !problems.is_empty() {
            failures.push(format!("{}: {}", c.what, problems.join("; ")));
        }
    }

    // Two faults no client can survive against a strict server, shown as they are. First,
    // the server hands back a refresh token it has already retired (a replayed or cached
    // answer): using it trips reuse detection, which revokes the family.
    let name = "replayed";
    let mut server = account_with_server(&engine, &acceptor, name, "").await;
    server.set(Fault::RefreshTokenReplayed).await;
    engine.refresh(name).await.unwrap();
    let before = engine.get_token(name).await.unwrap();
    server.set(Fault::None).await;
    let result = engine.refresh(name).await;
    let replayed = check_family_lost(
        &engine,
        &server,
        name,
        &before,
        result,
        "a retired refresh token handed back (reuse detection)",
        "-",
    )
    .await;

    // Second, the token server rotates and its answer is cut off: the new refresh token never
    // arrives (the same window as a crash between the server's commit and ours). Servers
    // offer a reuse grace for exactly this (Okta, Auth0, Keycloak); a strict one revokes.
    let name = "stalled-after-rotation";
    let mut server = account_with_server(&engine, &acceptor, name, "").await;
    let before = engine.get_token(name).await.unwrap();
    server.set(Fault::StalledAfterRotation).await;
    let timed_out = engine.refresh(name).await;
    server.set(Fault::None).await;
    let result = engine.refresh(name).await;
    let first = timed_out
        .err()
        .map(|e| e.code().to_string())
        .unwrap_or("ok".into());
    let stalled = check_family_lost(
        &engine,
        &server,
        name,
        &before,
        result,
        "rotated, then the answer stalls (strict server)",
        &first,
    )
    .await;
    for (line, failure) in [replayed, stalled] {
        table.push(line);
        failures.extend(failure);
    }

    let text = table.join("\n");
    println!("{text}");
    let artifacts = support::repo_root().join("artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    std::fs::write(artifacts.join("fault-matrix.txt"), format!("{text}\n")).unwrap();
    engine.close().await;
    assert!(failures.is_empty(), "\n{}\n\n{text}", failures.join("\n"));
}
