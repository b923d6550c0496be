//! A connection to a running engine. Blocking (std only): `tokentray token` starts no async
//! runtime, so a cached token costs little more than starting a process. Every request has a
//! deadline: an engine stopped with SIGSTOP (or stuck) still has its connections accepted by
//! the kernel, and a client without one waited for ever, and with it every script and tool.
//! The socket and its data directory must be this user's, and so must the engine that
//! answers: another user's would be handed our secrets (an import) and hand us its tokens.

use super::{greeting_and, Request, Response, PROTOCOL_VERSION};
use crate::error::{Error, Result};
use std::io::{BufRead, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// How long a request waits for the engine by default (`TOKENTRAY_TIMEOUT`, `--timeout`).
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(30);

pub struct Client {
    read: std::io::BufReader<UnixStream>,
    write: UnixStream,
    /// How long any one answer may take; `None`: as long as it takes.
    deadline: Option<Duration>,
}

impl Client {
    /// Connects and agrees on the protocol; `None` when no engine listens there.
    pub fn connect(path: &Path, deadline: Option<Duration>) -> Result<Option<Client>> {
        let Some(mut client) = Client::open(path, deadline)? else {
            return Ok(None);
        };
        client.send(&Request::Hello {
            version: PROTOCOL_VERSION,
        })?;
        client.greeted()?;
        Ok(Some(client))
    }

    fn open(path: &Path, deadline: Option<Duration>) -> Result<Option<Client>> {
        if let Some(dir) = path.parent() {
            crate::home::check_owner(dir)?;
        }
        crate::home::check_owner(path)?;
        let stream = match connect_within(path, deadline) {
            Ok(s) => s,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
                ) =>
            {
                return Ok(None)
            }
            Err(e) if stalled(&e) => return Err(not_responding(deadline)),
            Err(e) => return Err(Error::Network(format!("{}: {e}", path.display()))),
        };
        check_peer(&stream, path)?;
        let timeouts = stream
            .set_read_timeout(deadline)
            .and_then(|()| stream.set_write_timeout(deadline));
        let write = timeouts
            .and_then(|()| stream.try_clone())
            .map_err(|e| Error::Network(format!("the engine's socket: {e}")))?;
        Ok(Some(Client {
            read: std::io::BufReader::new(stream),
            write,
            deadline,
        }))
    }

    /// Reads the answer to the greeting.
    fn greeted(&mut self) -> Result<()> {
        match self.receive()? {
            Response::Hello { .. } => Ok(()),
            Response::Error(e) => Err(Error::Engine(e)),
            other => Err(Error::InvalidResponse(format!(
                "the engine answered the greeting with {}",
                other.kind()
            ))),
        }
    }

    /// Connects and asks one question in a single write (the greeting and the request
    /// together, one round trip): `None` when no engine listens there. The fast paths' call.
    pub fn ask(
        path: &Path,
        request: &Request,
        deadline: Option<Duration>,
    ) -> Result<Option<(Client, Response)>> {
        let Some(mut client) = Client::open(path, deadline)? else {
            return Ok(None);
        };
        let out = greeting_and(request);
        let written = client.write.write_all(&out);
        written.map_err(|e| client.socket_error(e))?;
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
        let mut out = serde_json::to_vec(request).expect("serialisable");
        out.push(b'\n');
        let written = self.write.write_all(&out);
        written.map_err(|e| self.socket_error(e))
    }

    /// From now on answers may take as long as they take: a login waits for the person, the
    /// events come when they happen.
    pub fn streaming(&mut self) -> Result<()> {
        self.deadline = None;
        self.read
            .get_ref()
            .set_read_timeout(None)
            .map_err(|e| Error::Network(format!("the engine's socket: {e}")))
    }

    /// The next answer: after `login`, prompts come before the final one.
    pub fn receive(&mut self) -> Result<Response> {
        let mut line = String::new();
        let read = self.read.read_line(&mut line);
        if read.map_err(|e| self.socket_error(e))? == 0 {
            return Err(Error::Network("the engine closed the connection".into()));
        }
        serde_json::from_str(&line)
            .map_err(|e| Error::InvalidResponse(format!("the engine answered garbage: {e}")))
    }

    fn socket_error(&self, e: std::io::Error) -> Error {
        match stalled(&e) {
            true => not_responding(self.deadline),
            false => Error::Network(format!("the engine's socket: {e}")),
        }
    }
}

/// A read or write that ran out of time (std reports a timeout as either kind).
fn stalled(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

fn not_responding(deadline: Option<Duration>) -> Error {
    Error::EngineNotResponding(deadline.unwrap_or_default().as_secs())
}

/// Connects without waiting past `deadline`: a stopped engine's full backlog makes a plain
/// connect wait for ever, so the socket is opened non-blocking and tried again every 10 ms.
fn connect_within(path: &Path, deadline: Option<Duration>) -> std::io::Result<UnixStream> {
    use rustix::io::Errno;
    use rustix::net::{
        connect, socket_with, AddressFamily, SocketAddrUnix, SocketFlags, SocketType,
    };
    const STEP: Duration = Duration::from_millis(10);
    let address = SocketAddrUnix::new(path)?;
    let tries = deadline.map_or(u128::MAX, |d| d.as_millis() / STEP.as_millis());
    let mut tried = 0u128;
    loop {
        let flags = SocketFlags::CLOEXEC | SocketFlags::NONBLOCK;
        let fd = socket_with(AddressFamily::UNIX, SocketType::STREAM, flags, None)?;
        match connect(&fd, &address) {
            Ok(()) => {
                let stream = UnixStream::from(fd);
                stream.set_nonblocking(false)?;
                return Ok(stream);
            }
            // The backlog is full: the engine is not accepting (stopped, or very busy).
            Err(Errno::AGAIN) if tried < tries => {
                tried = tried.saturating_add(1);
                std::thread::sleep(STEP);
            }
            Err(Errno::AGAIN) => return Err(std::io::ErrorKind::TimedOut.into()),
            Err(e) => return Err(e.into()),
        }
    }
}

/// The engine that answers must be this user's (Linux says who holds the other end).
fn check_peer(stream: &UnixStream, path: &Path) -> Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let me = rustix::process::getuid();
        match rustix::net::sockopt::socket_peercred(stream) {
            Ok(cred) if cred.uid == me => {}
            Ok(cred) => {
                return Err(Error::InvalidConfig(format!(
                "the engine at {} runs as another user (uid {}): Tokentray talks only to your own",
                path.display(),
                cred.uid.as_raw()
            )))
            }
            Err(e) => return Err(Error::Network(format!("{}: {e}", path.display()))),
        }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = (stream, path);
    Ok(())
}
