//! The local API: newline-delimited JSON over a Unix socket in the data directory (mode 0600,
//! the peer's uid checked), served by whichever engine holds the directory — the desktop app
//! or `tokentray daemon` — so the CLI and scripts share its tokens instead of starting an
//! engine of their own. Requests and responses are the serde enums below, shared by server and
//! client; the first line each way carries the protocol version.

use crate::clipboard::Clipboard;
use crate::engine::EngineHandle;
use crate::error::{Error, Result};
use crate::grant::authorization_code::LOGIN_TIMEOUT;
use crate::view::{AccountView, ErrorView, Revocation};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{UnixListener, UnixStream};
use tokio_util::sync::CancellationToken;

pub const PROTOCOL_VERSION: u32 = 1;
pub const SOCKET_FILE: &str = "engine.sock";

pub fn socket_path(home: &Path) -> PathBuf {
    home.join(SOCKET_FILE)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    Hello {
        version: u32,
    },
    /// A valid access token, refreshed first if due.
    Token {
        name: String,
        /// The token must stay valid this long (seconds); 0 = just valid.
        #[serde(default)]
        min_valid_secs: u64,
    },
    List,
    Refresh {
        name: String,
    },
    /// Newest first, at most `limit`, older than `before_id` when given (a page at a time).
    History {
        name: String,
        limit: i64,
        #[serde(default)]
        before_id: Option<i64>,
    },
    /// One account as its page shows it: settings and the names of its secrets, never their
    /// values.
    Detail {
        name: String,
    },
    /// Adds an account from a form's fields, or edits the one named (`editing`).
    Save {
        name: String,
        fields: serde_json::Map<String, serde_json::Value>,
        editing: bool,
    },
    /// One token request with a form's settings, before saving them.
    Test {
        fields: serde_json::Map<String, serde_json::Value>,
    },
    /// The issuer's endpoints, to fill a form.
    Discover {
        issuer: String,
    },
    Settings,
    SaveSettings {
        settings: crate::settings::Settings,
    },
    /// Puts something of an account on the desktop app's clipboard (which outlives the window
    /// that asks); answered by `copied`. Only the desktop app has a clipboard.
    Copy {
        name: String,
        what: crate::clipboard::Copyable,
    },
    /// Accounts as TOML; all or nothing.
    Import {
        toml: String,
    },
    Export {
        with_secrets: bool,
    },
    Remove {
        name: String,
    },
    /// A login a person takes part in: answered by `login_prompt` lines, then `done` or an
    /// error. Anything the client sends meanwhile, or closing the connection, cancels it.
    Login {
        name: String,
    },
    /// Every event from now on, one `event` line each, until the client hangs up.
    Events,
    /// A token for a tool's credential helper (kubectl, git, Docker, a shell): the account
    /// it names or the one that answers for its host. Answered by `lent`.
    Lend {
        want: crate::tools::Wanted,
        #[serde(default)]
        min_valid_secs: u64,
    },
    /// The tool's server refused this token (git's `erase`): refresh the account if it is
    /// still its token. Answered by `done`.
    Rejected {
        want: crate::tools::Wanted,
        token: String,
    },
    /// The registries accounts answer for (Docker's `list`).
    Registries,
    /// The public half of an account's signing key, to register (`tokentray key`).
    PublicKey {
        name: String,
    },
    /// The headers for one request with a DPoP-bound token (`tokentray token --dpop`).
    Dpop {
        name: String,
        method: String,
        url: String,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Response {
    Hello {
        version: u32,
    },
    /// The token itself: the one place a secret crosses the socket, to its owner.
    Token {
        token: String,
    },
    Accounts {
        accounts: Vec<AccountView>,
        /// Problems found at start (a broken profile entry), with their codes.
        #[serde(default)]
        problems: Vec<ErrorView>,
    },
    Detail(Box<crate::edit::AccountDetail>),
    Tested(crate::edit::TestResult),
    Discovered(Box<crate::grant::discovery::Metadata>),
    Settings(crate::settings::Settings),
    /// Seconds until the clipboard is cleared (0: never).
    Copied {
        clear_after_secs: u64,
    },
    History {
        entries: Vec<crate::store::HistoryEntry>,
    },
    Imported {
        names: Vec<String>,
    },
    Exported {
        toml: String,
    },
    Removed(Revocation),
    /// What the person must do for a login under way; more lines follow.
    LoginPrompt(crate::login::LoginPrompt),
    /// One of the engine's events, after `events`; more lines follow.
    Event(crate::view::Event),
    /// A token lent to a tool: like `token`, a secret to its owner only.
    Lent(crate::tools::Lent),
    PublicKey(crate::engine::PublicKey),
    /// `Authorization` and `DPoP` for one request: a secret to its owner only.
    Dpop(crate::dpop::Headers),
    /// Registry → the username Docker would send.
    Registries {
        registries: std::collections::BTreeMap<String, String>,
    },
    Done,
    Error(ErrorView),
}

/// Serves the engine on `path` until the engine shuts down; `clipboard` is the desktop app's
/// (the daemon has none).
pub async fn serve(
    engine: EngineHandle,
    path: PathBuf,
    clipboard: Option<Arc<dyn Clipboard>>,
) -> Result<()> {
    // A socket file left by a crashed engine: we hold the directory's lock, so it is stale.
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path)
        .map_err(|e| Error::Storage(format!("cannot listen on {}: {e}", path.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| Error::Storage(format!("cannot restrict {}: {e}", path.display())))?;
    }
    let me = current_uid();
    let stop = engine.stopped();
    loop {
        let (stream, _) = tokio::select! {
            _ = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => { tracing::warn!("socket accept: {e}"); continue; }
            },
        };
        match stream.peer_cred() {
            Ok(cred) if cred.uid() == me => {}
            other => {
                tracing::warn!(?other, "refused a connection from another user");
                continue;
            }
        }
        let engine = engine.clone();
        let clipboard = clipboard.clone();
        tokio::spawn(async move {
            if let Err(e) = handle(engine, clipboard, stream).await {
                tracing::debug!("socket client: {e}");
            }
        });
    }
    let _ = std::fs::remove_file(&path);
    Ok(())
}

async fn handle(
    engine: EngineHandle,
    clipboard: Option<Arc<dyn Clipboard>>,
    stream: UnixStream,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    while let Some(line) = lines.next_line().await? {
        let response = match serde_json::from_str::<Request>(&line) {
            Err(e) => Response::Error((&Error::BadRequest(e.to_string())).into()),
            Ok(Request::Login { name }) => login(&engine, &name, &mut lines, &mut write).await?,
            Ok(Request::Events) => return events(&engine, &mut lines, &mut write).await,
            Ok(Request::Copy { name, what }) => {
                let copied = match &clipboard {
                    Some(clipboard) => {
                        crate::clipboard::copy(&engine, clipboard.as_ref(), &name, &what).await
                    }
                    None => Err(no_clipboard()),
                };
                match copied {
                    Ok(clear_after_secs) => Response::Copied { clear_after_secs },
                    Err(e) => Response::Error((&e).into()),
                }
            }
            Ok(request) => answer(&engine, request).await,
        };
        send(&mut write, &response).await?;
    }
    Ok(())
}

async fn send(write: &mut OwnedWriteHalf, response: &Response) -> std::io::Result<()> {
    let mut out = serde_json::to_vec(response).expect("serialisable");
    out.push(b'\n');
    write.write_all(&out).await
}

/// Passes every event on as it comes, until the client writes or hangs up (or the engine
/// stops). Events a slow reader missed are said as a `lagged` error line, then it goes on.
async fn events(
    engine: &EngineHandle,
    lines: &mut Lines<BufReader<OwnedReadHalf>>,
    write: &mut OwnedWriteHalf,
) -> std::io::Result<()> {
    use tokio::sync::broadcast::error::RecvError;
    let mut events = engine.subscribe();
    let stop = engine.stopped();
    loop {
        let response = tokio::select! {
            _ = stop.cancelled() => return Ok(()),
            _ = lines.next_line() => return Ok(()),
            event = events.recv() => match event {
                Ok(event) => Response::Event(event),
                Err(RecvError::Lagged(n)) => Response::Error((&Error::System(format!("{n} events were missed (the reader was slow)"))).into()),
                Err(RecvError::Closed) => return Ok(()),
            },
        };
        send(write, &response).await?;
    }
}

/// Runs a login, passing its prompts on as they come; returns the final answer.
async fn login(
    engine: &EngineHandle,
    name: &str,
    lines: &mut Lines<BufReader<OwnedReadHalf>>,
    write: &mut OwnedWriteHalf,
) -> std::io::Result<Response> {
    let cancel = CancellationToken::new();
    let (prompts, mut prompted) = tokio::sync::mpsc::unbounded_channel();
    let prompt = move |p| {
        prompts
            .send(p)
            .map_err(|_| "the client has gone".to_string())
    };
    let run = engine.login(name, prompt, cancel.clone(), LOGIN_TIMEOUT);
    tokio::pin!(run);
    let result = loop {
        tokio::select! {
            biased;
            Some(p) = prompted.recv() => send(write, &Response::LoginPrompt(p)).await?,
            result = &mut run => break result,
            // The client wrote or hung up: the person gave up.
            _ = lines.next_line(), if !cancel.is_cancelled() => cancel.cancel(),
        }
    };
    while let Ok(p) = prompted.try_recv() {
        send(write, &Response::LoginPrompt(p)).await?;
    }
    Ok(match result {
        Ok(()) => Response::Done,
        Err(e) => Response::Error((&e).into()),
    })
}

/// The answer to one request (not `login`, which streams): what the socket sends, and what the
/// CLI's `--standalone` engine answers in-process, so both go through this one dispatcher.
pub async fn answer(engine: &EngineHandle, request: Request) -> Response {
    // A bug in one answer is that request's error; the engine and its other callers go on.
    let engine = engine.clone();
    let answered = crate::engine::isolated(async move { dispatch(&engine, request).await }).await;
    answered.unwrap_or_else(|bug| Response::Error((&bug).into()))
}

async fn dispatch(engine: &EngineHandle, request: Request) -> Response {
    let result = match request {
        Request::Login { .. } | Request::Events => {
            Err(Error::BadRequest("login and events are answered as a stream".into()))
        }
        Request::Copy { .. } => Err(no_clipboard()),
        Request::Hello { version } if version == PROTOCOL_VERSION => Ok(Response::Hello { version }),
        Request::Hello { version } => Err(Error::ProtocolMismatch(format!(
            "protocol version {version} is not spoken here (this engine speaks {PROTOCOL_VERSION}): use matching versions of the app and the CLI"
        ))),
        Request::Token { name, min_valid_secs } => match min_valid(min_valid_secs) {
            Ok(min) => engine
                .get_token_valid_for(&name, min)
                .await
                .map(|t| Response::Token { token: t.expose().to_string() }),
            Err(e) => Err(e),
        },
        Request::List => Ok(Response::Accounts { accounts: engine.list(), problems: engine.problems().to_vec() }),
        Request::Refresh { name } => engine.refresh(&name).await.map(|()| Response::Done),
        Request::Remove { name } => engine.remove_account(&name).await.map(Response::Removed),
        Request::Import { toml } => engine.import(&toml).await.map(|names| Response::Imported { names }),
        Request::Export { with_secrets } => {
            engine.export(with_secrets).await.map(|toml| Response::Exported { toml })
        }
        Request::Lend { want, min_valid_secs } => match min_valid(min_valid_secs) {
            Ok(min) => engine.lend(&want, min).await.map(Response::Lent),
            Err(e) => Err(e),
        },
        Request::Rejected { want, token } => engine.rejected(&want, &token).await.map(|_| Response::Done),
        Request::Registries => Ok(Response::Registries { registries: engine.registries() }),
        Request::PublicKey { name } => engine.public_key(&name).map(Response::PublicKey),
        Request::Dpop { name, method, url } => {
            engine.dpop_headers(&name, &method, &url).await.map(Response::Dpop)
        }
        Request::History { name, limit, before_id } => match limit {
            1..=crate::limits::MAX_HISTORY_PAGE => engine
                .history(&name, before_id, limit)
                .await
                .map(|entries| Response::History { entries }),
            _ => Err(Error::BadRequest(format!(
                "limit is {limit}; a page of history holds 1 to {} entries",
                crate::limits::MAX_HISTORY_PAGE
            ))),
        },
        Request::Detail { name } => engine.detail(&name).await.map(|d| Response::Detail(Box::new(d))),
        Request::Save { name, fields, editing } => {
            engine.save_account(&name, fields, editing).await.map(|()| Response::Done)
        }
        Request::Test { fields } => engine.test_account(fields).await.map(Response::Tested),
        Request::Discover { issuer } => {
            engine.discover(&issuer).await.map(|m| Response::Discovered(Box::new(m)))
        }
        Request::Settings => Ok(Response::Settings(engine.settings())),
        Request::SaveSettings { settings } => engine.save_settings(settings).await.map(|()| Response::Done),
    };
    result.unwrap_or_else(|e| Response::Error((&e).into()))
}

/// How long a token must stay valid, as a request asks (`--min-valid`): up to the longest
/// lifetime a token is taken to have.
fn min_valid(secs: u64) -> Result<chrono::Duration> {
    crate::limits::seconds(
        "min_valid_secs (--min-valid)",
        secs,
        0,
        crate::limits::MAX_LIFETIME_SECS,
    )
    .map(crate::time::secs)
    .map_err(Error::BadRequest)
}

/// A connection to a running engine. Blocking (std only): `tokentray token` starts no async
/// runtime, so a cached token costs little more than starting a process.
pub struct Client {
    read: std::io::BufReader<std::os::unix::net::UnixStream>,
    write: std::os::unix::net::UnixStream,
}

impl Client {
    /// Connects and agrees on the protocol; `None` when no engine listens there.
    pub fn connect(path: &Path) -> Result<Option<Client>> {
        let Some(mut client) = Client::open(path)? else {
            return Ok(None);
        };
        client.send(&Request::Hello {
            version: PROTOCOL_VERSION,
        })?;
        client.greeted()?;
        Ok(Some(client))
    }

    fn open(path: &Path) -> Result<Option<Client>> {
        let stream = match std::os::unix::net::UnixStream::connect(path) {
            Ok(s) => s,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
                ) =>
            {
                return Ok(None)
            }
            Err(e) => return Err(Error::Network(format!("{}: {e}", path.display()))),
        };
        let write = stream
            .try_clone()
            .map_err(|e| Error::Network(format!("the engine's socket: {e}")))?;
        Ok(Some(Client {
            read: std::io::BufReader::new(stream),
            write,
        }))
    }

    /// Reads the answer to the greeting.
    fn greeted(&mut self) -> Result<()> {
        match self.receive()? {
            Response::Hello { .. } => Ok(()),
            Response::Error(e) => Err(Error::Engine(e)),
            other => Err(Error::InvalidResponse(format!(
                "unexpected greeting {other:?}"
            ))),
        }
    }

    /// Connects and asks one question in a single write (the greeting and the request
    /// together, one round trip): `None` when no engine listens there. The fast paths' call.
    pub fn ask(path: &Path, request: &Request) -> Result<Option<(Client, Response)>> {
        let Some(mut client) = Client::open(path)? else {
            return Ok(None);
        };
        use std::io::Write;
        let out = greeting_and(request);
        client.write.write_all(&out).map_err(socket_error)?;
        client.greeted()?;
        let answer = client.receive()?;
        Ok(Some((client, answer)))
    }

    /// One request, its (first) answer.
    pub fn call(&mut self, request: &Request) -> Result<Response> {
        self.send(request)?;
        self.receive()
    }

    pub fn send(&mut self, request: &Request) -> Result<()> {
        use std::io::Write;
        let mut out = serde_json::to_vec(request).expect("serialisable");
        out.push(b'\n');
        self.write.write_all(&out).map_err(socket_error)
    }

    /// The next answer: after `login`, prompts come before the final one.
    pub fn receive(&mut self) -> Result<Response> {
        use std::io::BufRead;
        let mut line = String::new();
        if self.read.read_line(&mut line).map_err(socket_error)? == 0 {
            return Err(Error::Network("the engine closed the connection".into()));
        }
        serde_json::from_str(&line)
            .map_err(|e| Error::InvalidResponse(format!("the engine answered garbage: {e}")))
    }
}

/// The greeting and a request as one write: one round trip for a question.
pub(crate) fn greeting_and(request: &Request) -> Vec<u8> {
    let mut out = serde_json::to_vec(&Request::Hello {
        version: PROTOCOL_VERSION,
    })
    .expect("serialisable");
    out.push(b'\n');
    serde_json::to_writer(&mut out, request).expect("serialisable");
    out.push(b'\n');
    out
}

/// `copy` asked of an engine with no clipboard (the daemon, `--standalone`).
fn no_clipboard() -> Error {
    Error::Unsupported("only the desktop app has a clipboard to copy to".into())
}

fn socket_error(e: std::io::Error) -> Error {
    Error::Network(format!("the engine's socket: {e}"))
}

fn current_uid() -> u32 {
    rustix::process::getuid().as_raw()
}
