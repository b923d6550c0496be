//! The engine in another process, as the accounts window reaches it (the window runs as a
//! process of its own, so that closing it gives all of WebKit's memory back): the socket's
//! requests, asynchronously, one connection per question. A Unix socket connects in
//! microseconds, and an engine that restarted is simply found again.

use crate::clipboard::Copyable;
use crate::edit::{AccountDetail, AccountList, TestResult};
use crate::error::{Error, Result};
use crate::grant::discovery::Metadata;
use crate::ipc::{Request, Response};
use crate::login::LoginPrompt;
use crate::settings::Settings;
use crate::store::HistoryEntry;
use crate::view::Event;
use serde_json::{Map, Value};
use std::path::PathBuf;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::UnixStream;
use tokio_util::sync::CancellationToken;

pub struct Remote {
    socket: PathBuf,
    /// What the data directory is called in "no engine is running for …".
    home: String,
}

/// A connection after its request: its answers, one line each.
pub struct Stream {
    lines: Lines<BufReader<OwnedReadHalf>>,
    write: OwnedWriteHalf,
}

impl Stream {
    /// The next answer; `None` when the engine hung up.
    pub async fn next(&mut self) -> Result<Option<Response>> {
        let Some(line) = self.lines.next_line().await.map_err(socket_error)? else {
            return Ok(None);
        };
        serde_json::from_str(&line)
            .map(Some)
            .map_err(|e| Error::InvalidResponse(format!("the engine answered garbage: {e}")))
    }

    /// The one answer a plain request gets, its error as an error.
    async fn answer(mut self) -> Result<Response> {
        match self.next().await? {
            Some(Response::Error(e)) => Err(Error::Engine(e)),
            Some(answer) => Ok(answer),
            None => Err(Error::Network("the engine closed the connection".into())),
        }
    }
}

/// Unwraps the answer a request must get.
macro_rules! expect {
    ($answer:expr, $pattern:pat => $value:expr) => {
        match $answer {
            $pattern => Ok($value),
            other => Err(unexpected(Some(other))),
        }
    };
}

impl Remote {
    pub fn new(home: &std::path::Path) -> Remote {
        Remote {
            socket: crate::ipc::socket_path(home),
            home: home.display().to_string(),
        }
    }

    /// Sends `request` after the greeting (one write) and reads the greeting's answer, within
    /// the deadline (a stopped engine's kernel still accepts the connection).
    pub async fn open(&self, request: &Request) -> Result<Stream> {
        let deadline = crate::ipc::DEFAULT_DEADLINE;
        tokio::time::timeout(deadline, self.greeted(request))
            .await
            .map_err(|_| Error::EngineNotResponding(deadline.as_secs()))?
    }

    async fn greeted(&self, request: &Request) -> Result<Stream> {
        if let Some(dir) = self.socket.parent() {
            crate::home::check_owner(dir)?;
        }
        crate::home::check_owner(&self.socket)?;
        let stream = match UnixStream::connect(&self.socket).await {
            Ok(s) => s,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
                ) =>
            {
                return Err(Error::EngineNotRunning(self.home.clone()))
            }
            Err(e) => return Err(socket_error(e)),
        };
        let (read, mut write) = stream.into_split();
        let out = crate::ipc::greeting_and(request);
        write.write_all(&out).await.map_err(socket_error)?;
        let mut stream = Stream {
            lines: BufReader::new(read).lines(),
            write,
        };
        match stream.next().await? {
            Some(Response::Hello { .. }) => Ok(stream),
            Some(Response::Error(e)) => Err(Error::Engine(e)),
            other => Err(unexpected(other)),
        }
    }

    /// One request and its answer, within the deadline.
    async fn ask(&self, request: Request) -> Result<Response> {
        let deadline = crate::ipc::DEFAULT_DEADLINE;
        let asked = async { self.open(&request).await?.answer().await };
        tokio::time::timeout(deadline, asked)
            .await
            .map_err(|_| Error::EngineNotResponding(deadline.as_secs()))?
    }

    async fn done(&self, request: Request) -> Result<()> {
        expect!(self.ask(request).await?, Response::Done => ())
    }

    pub async fn list(&self) -> Result<AccountList> {
        expect!(self.ask(Request::List).await?,
            Response::Accounts { accounts, problems } => AccountList { accounts, problems })
    }

    pub async fn detail(&self, name: String) -> Result<AccountDetail> {
        expect!(self.ask(Request::Detail { name }).await?, Response::Detail(d) => *d)
    }

    pub async fn history(
        &self,
        name: String,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<HistoryEntry>> {
        let request = Request::History {
            name,
            limit,
            before_id,
        };
        expect!(self.ask(request).await?, Response::History { entries } => entries)
    }

    pub async fn refresh(&self, name: String) -> Result<()> {
        self.done(Request::Refresh { name }).await
    }

    pub async fn remove(&self, name: String) -> Result<crate::view::Revocation> {
        expect!(self.ask(Request::Remove { name }).await?, Response::Removed(r) => r)
    }

    pub async fn save(
        &self,
        name: String,
        fields: Map<String, Value>,
        editing: bool,
    ) -> Result<()> {
        self.done(Request::Save {
            name,
            fields,
            editing,
        })
        .await
    }

    pub async fn test(&self, fields: Map<String, Value>) -> Result<TestResult> {
        expect!(self.ask(Request::Test { fields }).await?, Response::Tested(t) => t)
    }

    pub async fn discover(&self, issuer: String) -> Result<Metadata> {
        expect!(self.ask(Request::Discover { issuer }).await?, Response::Discovered(m) => *m)
    }

    pub async fn copy(&self, name: String, what: Copyable) -> Result<u64> {
        expect!(self.ask(Request::Copy { name, what }).await?,
            Response::Copied { clear_after_secs } => clear_after_secs)
    }

    pub async fn settings(&self) -> Result<Settings> {
        expect!(self.ask(Request::Settings).await?, Response::Settings(s) => s)
    }

    pub async fn save_settings(&self, settings: Settings) -> Result<()> {
        self.done(Request::SaveSettings { settings }).await
    }

    /// Every event from now on, until the engine goes (`None`).
    pub async fn events(&self) -> Result<Events> {
        Ok(Events(self.open(&Request::Events).await?))
    }

    /// A login the engine runs and a person takes part in: `prompt` is told what they must
    /// do. Cancelling hangs up, which the engine takes as giving up.
    pub async fn login(
        &self,
        name: String,
        mut prompt: impl FnMut(LoginPrompt) -> std::result::Result<(), String>,
        cancel: CancellationToken,
    ) -> Result<()> {
        let mut stream = self.open(&Request::Login { name }).await?;
        loop {
            let answer = tokio::select! {
                _ = cancel.cancelled() => {
                    let _ = stream.write.shutdown().await;
                    return Err(Error::Cancelled);
                }
                answer = stream.next() => answer?,
            };
            match answer {
                Some(Response::LoginPrompt(p)) => {
                    if let Err(e) = prompt(p) {
                        return Err(Error::System(e));
                    }
                }
                Some(Response::Done) => return Ok(()),
                Some(Response::Error(e)) => return Err(Error::Engine(e)),
                None => return Err(Error::Network("the engine closed the connection".into())),
                Some(other) => return Err(unexpected(Some(other))),
            }
        }
    }
}

/// The engine's events, as `tokentray events` gets them.
pub struct Events(Stream);

impl Events {
    /// The next event; `Ok(None)` when the engine hung up. Missed events (a slow reader) come
    /// as an error, after which the stream goes on.
    pub async fn next(&mut self) -> Result<Option<Event>> {
        match self.0.next().await? {
            Some(Response::Event(e)) => Ok(Some(e)),
            Some(Response::Error(e)) => Err(Error::Engine(e)),
            None => Ok(None),
            other => Err(unexpected(other)),
        }
    }
}

/// Names the answer by its kind only: an answer may hold a token.
fn unexpected(answer: Option<Response>) -> Error {
    let kind = answer.map_or_else(|| "nothing".into(), |a| a.kind());
    Error::InvalidResponse(format!(
        "the engine answered {kind} to a request it does not fit"
    ))
}

fn socket_error(e: std::io::Error) -> Error {
    Error::Network(format!("the engine's socket: {e}"))
}
