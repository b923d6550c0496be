//! `tokentray proxy NAME --listen 127.0.0.1:PORT --upstream URL`: a local reverse proxy that
//! sends each request on to the upstream with the account's `Authorization` (or, for a
//! DPoP-bound account, a fresh proof), so a script or a tool that cannot handle tokens talks
//! to `http://127.0.0.1:PORT` and never sees one. On a 401 the proxy tells the engine the
//! token was refused (it is renewed only if it is still the account's current one) and sends
//! the request once more with the new token; for that a request's body is kept, up to
//! [`MAX_REPLAY_BYTES`]. Responses are streamed back as they come. It listens on loopback only,
//! takes every token through the engine (so `lend_to`, `confirm`, the lock and the audit apply,
//! as `via proxy`), and stops cleanly on SIGTERM or Ctrl+C.

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::{Request, Response, StatusCode};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokentray_cli::{view, Result};
use tokentray_core::api::calls::{Detail, Dpop, Rejected, Token};
use tokentray_core::api::SecretText;
use tokentray_core::client::Client;
use tokentray_core::lending::Via;
use tokentray_core::tools::Wanted;
use tokentray_core::transport::Local as Socket;
use tokentray_core::Error;

/// A request body kept for a repeat after a 401, at most; a larger one is refused (413).
pub const MAX_REPLAY_BYTES: usize = 8 << 20;

/// Headers that belong to one hop, not passed on (RFC 9110 §7.6.1), and those the proxy sets.
const HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "authorization",
    "dpop",
    "content-length",
];

struct Proxy {
    name: String,
    upstream: url::Url,
    socket: Socket,
    deadline: Option<std::time::Duration>,
    dpop: bool,
    http: reqwest::Client,
    renewed: AtomicU64,
}

/// Runs the proxy until SIGTERM or Ctrl+C.
pub fn run(
    name: String,
    listen: SocketAddr,
    upstream: &str,
    deadline: Option<std::time::Duration>,
) -> Result<()> {
    if !listen.ip().is_loopback() {
        return Err(view(Error::BadRequest(format!(
            "--listen {listen}: the proxy listens on this machine only (127.0.0.1 or [::1])"
        ))));
    }
    let upstream = url::Url::parse(upstream)
        .map_err(|e| view(Error::BadRequest(format!("--upstream {upstream:?}: {e}"))))?;
    tokentray_core::http::check_endpoint(&upstream)
        .map_err(|m| view(Error::BadRequest(format!("--upstream: {m}"))))?;
    let socket = Socket::new(&tokentray_core::home::data_dir());
    // The account is there, and whether it binds its tokens with DPoP.
    let detail = Client::connect_or_fail(&socket, deadline)
        .and_then(|mut c| c.call(&Detail { name: name.clone() }))
        .map_err(view)?;
    let dpop = detail.settings.get("dpop").and_then(|v| v.as_bool()) == Some(true);
    let http = tokentray_core::http::builder()
        .build()
        .map_err(|e| view(Error::System(format!("an HTTP client: {e}"))))?;
    let proxy = Arc::new(Proxy {
        name,
        upstream,
        socket,
        deadline,
        dpop,
        http,
        renewed: AtomicU64::new(0),
    });
    crate::runtime()?.block_on(serve(proxy, listen))
}

async fn serve(proxy: Arc<Proxy>, listen: SocketAddr) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| view(Error::io(format!("cannot listen on {listen}"), e)))?;
    let bound = listener
        .local_addr()
        .map_err(|e| view(Error::io("the listening address", e)))?;
    eprintln!(
        "tokentray proxy: http://{bound} → {} with {}'s token (Ctrl+C stops it)",
        proxy.upstream, proxy.name
    );
    let mut stop = crate::stop::Stop::listen()?;
    loop {
        let (stream, _) = tokio::select! {
            _ = stop.recv() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    eprintln!("tokentray proxy: accept: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let proxy = proxy.clone();
        tokio::spawn(async move {
            let io = hyper_util::rt::TokioIo::new(stream);
            let service = hyper::service::service_fn(move |request| {
                let proxy = proxy.clone();
                async move { Ok::<_, Infallible>(proxy.answer(request).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, service)
                .await;
        });
    }
    eprintln!(
        "tokentray proxy: stopped ({} renewals after a 401)",
        proxy.renewed.load(Ordering::SeqCst)
    );
    Ok(())
}

type Body = BoxBody<Bytes, std::io::Error>;

fn plain(status: StatusCode, text: String) -> Response<Body> {
    let body = Full::new(Bytes::from(text))
        .map_err(|never| match never {})
        .boxed();
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
}

impl Proxy {
    async fn answer(&self, request: Request<Incoming>) -> Response<Body> {
        match self.forward(request).await {
            Ok(response) => response,
            Err((status, e)) => plain(
                status,
                format!("tokentray proxy: error[{}]: {}\n", e.code, e.message),
            ),
        }
    }

    async fn forward(
        &self,
        request: Request<Incoming>,
    ) -> std::result::Result<Response<Body>, (StatusCode, tokentray_core::ErrorView)> {
        let (parts, body) = request.into_parts();
        let bad_gateway = |e: Error| (StatusCode::BAD_GATEWAY, view(e));
        let body = http_body_util::Limited::new(body, MAX_REPLAY_BYTES)
            .collect()
            .await
            .map_err(|e| {
                (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    view(Error::BadRequest(format!(
                        "a request body the proxy could not keep ({e}; at most {} MiB)",
                        MAX_REPLAY_BYTES >> 20
                    ))),
                )
            })?
            .to_bytes();
        let mut url = self.upstream.clone();
        let base = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{base}{}", parts.uri.path()));
        url.set_query(parts.uri.query());
        let method = reqwest::Method::from_bytes(parts.method.as_str().as_bytes())
            .map_err(|e| bad_gateway(Error::BadRequest(e.to_string())))?;
        let mut refused = None;
        for attempt in 0..2 {
            let (authorization, proof) = self.credentials(&method, &url).await.map_err(|e| {
                let status = match e.code.exit_status() {
                    4 => StatusCode::FORBIDDEN,
                    _ => StatusCode::BAD_GATEWAY,
                };
                (status, e)
            })?;
            let mut upstream = self.http.request(method.clone(), url.clone());
            for (name, value) in parts.headers.iter() {
                if !HOP.contains(&name.as_str()) {
                    upstream = upstream.header(name.as_str(), value.as_bytes());
                }
            }
            upstream = upstream.header("authorization", authorization.expose());
            if let Some(proof) = &proof {
                upstream = upstream.header("dpop", proof.expose());
            }
            let response = upstream
                .body(body.clone())
                .send()
                .await
                .map_err(|e| bad_gateway(Error::Network(format!("{}: {e}", self.upstream))))?;
            if response.status() == reqwest::StatusCode::UNAUTHORIZED && attempt == 0 {
                // Renewed only if the refused token is still the account's current one.
                self.rejected(&authorization).await;
                refused = Some(response);
                continue;
            }
            return Ok(streamed(response));
        }
        Ok(streamed(refused.expect("a second attempt after a 401")))
    }

    /// `Authorization`'s value (and the DPoP proof) for one request, from the engine.
    async fn credentials(
        &self,
        method: &reqwest::Method,
        url: &url::Url,
    ) -> std::result::Result<(SecretText, Option<SecretText>), tokentray_core::ErrorView> {
        let socket = self.socket.clone();
        let (name, dpop, deadline) = (self.name.clone(), self.dpop, self.deadline);
        let (method, url) = (method.to_string(), url.to_string());
        tokio::task::spawn_blocking(move || {
            let mut client = Client::connect_or_fail(&socket, deadline)?;
            if dpop {
                let headers = client.call(&Dpop { name, method, url })?;
                return Ok((headers.authorization, Some(headers.dpop)));
            }
            let call = Token {
                name,
                min_valid_secs: 0,
                for_program: None,
                id_token: false,
                via: Via::Proxy,
                narrow: Default::default(),
            };
            let token = client.call(&call)?;
            Ok((SecretText::new(format!("Bearer {}", token.expose())), None))
        })
        .await
        .map_err(|e| view(Error::Internal(e.to_string())))?
        .map_err(|e: Error| view(e))
    }

    /// Tells the engine the upstream refused this token.
    async fn rejected(&self, authorization: &SecretText) {
        let token = authorization
            .expose()
            .split_once(' ')
            .map(|(_, t)| t.to_string())
            .unwrap_or_default();
        let socket = self.socket.clone();
        let (name, deadline) = (self.name.clone(), self.deadline);
        let done = tokio::task::spawn_blocking(move || {
            let mut client = Client::connect_or_fail(&socket, deadline)?;
            client.call(&Rejected {
                want: Wanted::Account { name },
                token: SecretText::new(token),
            })
        })
        .await;
        if matches!(done, Ok(Ok(()))) {
            self.renewed.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// The upstream's answer as it comes: status, headers (but the hop's own), body streamed.
fn streamed(response: reqwest::Response) -> Response<Body> {
    use futures_util::TryStreamExt;
    let mut out = Response::builder().status(response.status().as_u16());
    for (name, value) in response.headers() {
        if !HOP.contains(&name.as_str()) || name.as_str() == "content-length" {
            out = out.header(name.as_str(), value.as_bytes());
        }
    }
    let frames = response
        .bytes_stream()
        .map_ok(Frame::data)
        .map_err(std::io::Error::other);
    out.body(BodyExt::boxed(StreamBody::new(frames)))
        .unwrap_or_else(|e| plain(StatusCode::BAD_GATEWAY, format!("tokentray proxy: {e}\n")))
}
