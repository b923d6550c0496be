//! The local API: newline-delimited JSON over a Unix socket in the data directory (mode 0600,
//! the peer's uid checked), served by whichever engine holds the directory — the desktop app
//! or `tokentray daemon` — so the CLI and scripts share its tokens instead of starting an
//! engine of their own. Requests and responses are the serde enums below, shared by server and
//! client; the first line each way carries the protocol version.

use crate::engine::{AccountView, EngineHandle, ErrorView};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

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
    /// Newest first, at most `limit`.
    History {
        name: String,
        limit: i64,
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
    Removed(crate::engine::Revocation),
    Done,
    Error(ErrorView),
}

/// Serves the engine on `path` until the engine shuts down.
pub async fn serve(engine: EngineHandle, path: PathBuf) -> Result<()> {
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
        tokio::spawn(async move {
            if let Err(e) = handle(engine, stream).await {
                tracing::debug!("socket client: {e}");
            }
        });
    }
    let _ = std::fs::remove_file(&path);
    Ok(())
}

async fn handle(engine: EngineHandle, stream: UnixStream) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    while let Some(line) = lines.next_line().await? {
        let response = match serde_json::from_str::<Request>(&line) {
            Err(e) => Response::Error(ErrorView {
                code: "bad_request".into(),
                message: e.to_string(),
            }),
            Ok(request) => answer(&engine, request).await,
        };
        let mut out = serde_json::to_vec(&response).expect("serialisable");
        out.push(b'\n');
        write.write_all(&out).await?;
    }
    Ok(())
}

async fn answer(engine: &EngineHandle, request: Request) -> Response {
    let result = match request {
        Request::Hello { version } if version == PROTOCOL_VERSION => Ok(Response::Hello { version }),
        Request::Hello { version } => Err(Error::InvalidConfig(format!(
            "protocol version {version} is not spoken here (this engine speaks {PROTOCOL_VERSION}): use matching versions of the app and the CLI"
        ))),
        Request::Token { name, min_valid_secs } => engine
            .get_token_valid_for(&name, chrono::Duration::seconds(min_valid_secs as i64))
            .await
            .map(|t| Response::Token { token: t.expose().to_string() }),
        Request::List => Ok(Response::Accounts { accounts: engine.list() }),
        Request::Refresh { name } => engine.refresh(&name).await.map(|()| Response::Done),
        Request::Remove { name } => engine.remove_account(&name).await.map(Response::Removed),
        Request::Import { toml } => engine.import(&toml).await.map(|names| Response::Imported { names }),
        Request::Export { with_secrets } => {
            engine.export(with_secrets).await.map(|toml| Response::Exported { toml })
        }
        Request::History { name, limit } => {
            engine.history(&name, None, limit).await.map(|entries| Response::History { entries })
        }
    };
    result.unwrap_or_else(|e| Response::Error((&e).into()))
}

/// A connection to a running engine.
pub struct Client {
    lines: tokio::io::Lines<BufReader<tokio::net::unix::OwnedReadHalf>>,
    write: tokio::net::unix::OwnedWriteHalf,
}

impl Client {
    /// Connects and agrees on the protocol; `None` when no engine listens there.
    pub async fn connect(path: &Path) -> Result<Option<Client>> {
        let stream = match UnixStream::connect(path).await {
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
        let (read, write) = stream.into_split();
        let mut client = Client {
            lines: BufReader::new(read).lines(),
            write,
        };
        match client
            .call(&Request::Hello {
                version: PROTOCOL_VERSION,
            })
            .await?
        {
            Response::Hello { .. } => Ok(Some(client)),
            Response::Error(e) => Err(Error::InvalidConfig(e.message)),
            other => Err(Error::InvalidResponse(format!(
                "unexpected greeting {other:?}"
            ))),
        }
    }

    pub async fn call(&mut self, request: &Request) -> Result<Response> {
        let mut out = serde_json::to_vec(request).expect("serialisable");
        out.push(b'\n');
        let io = |e: std::io::Error| Error::Network(format!("the engine's socket: {e}"));
        self.write.write_all(&out).await.map_err(io)?;
        let line = self
            .lines
            .next_line()
            .await
            .map_err(io)?
            .ok_or_else(|| Error::Network("the engine closed the connection".into()))?;
        serde_json::from_str(&line)
            .map_err(|e| Error::InvalidResponse(format!("the engine answered garbage: {e}")))
    }
}

fn current_uid() -> u32 {
    // The socket file is the process owner's; its owner is who we are.
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(u32::MAX)
}
