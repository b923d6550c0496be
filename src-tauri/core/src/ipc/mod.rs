//! The local API: newline-delimited JSON over a Unix socket in the data directory (mode 0600,
//! the peer's uid checked), served by whichever engine holds the directory — the desktop app
//! or `tokentray daemon` — so the CLI and scripts share its tokens instead of starting an
//! engine of their own. Requests and responses are the serde enums below, shared by server and
//! client; the first line each way carries the protocol version. The server is in [`server`]
//! (with what one engine serves at once), the blocking client the CLI uses in [`client`].

mod client;
mod server;

pub use client::{Client, DEFAULT_DEADLINE};
pub use server::{serve, MAX_LINE_BYTES};

use crate::engine::EngineHandle;
use crate::error::{Error, Result};
use crate::view::{AccountView, ErrorView, Revocation};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

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

impl Response {
    /// Which answer this is (`token`, `accounts`, ...), for a message that must not show the
    /// answer itself: several carry a token.
    pub fn kind(&self) -> String {
        let tag = serde_json::to_value(self)
            .ok()
            .and_then(|v| match v.get("result") {
                Some(serde_json::Value::String(tag)) => Some(tag.clone()),
                _ => None,
            });
        tag.map_or_else(|| "an answer".into(), |tag| format!("a {tag:?} answer"))
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
