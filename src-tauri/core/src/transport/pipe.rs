//! The engine's named pipe on Windows. Its name is random per start and written to
//! `engine.pipe` in the data directory (the user's own `%APPDATA%`): another user cannot read it
//! there, and cannot squat a name it does not know before the engine starts. The pipe is made
//! with a DACL that lets only its owner open it, as the first instance of its name (a squatter
//! who guessed it makes the engine refuse to start instead of serving beside it), and rejecting
//! remote clients. Who is at the other end comes from the pipe (the client's process id) and
//! that process's image path, as on Linux from the socket.
//!
//! The client side is blocking, as [`Transport`] asks, over tokio's overlapped pipe client on a
//! runtime of its own: synchronous pipe handles serialise a read and a write on one handle, so
//! one thread waiting for an answer would block another sending the next line.

use super::{not_responding, Transport};
use crate::api::Caller;
use crate::error::{Error, Result};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::net::windows::named_pipe::{ClientOptions, NamedPipeClient, NamedPipeServer};
use tokio_util::sync::CancellationToken;

/// The file in the data directory that says the running engine's pipe.
pub const PIPE_FILE: &str = "engine.pipe";
/// `ERROR_PIPE_BUSY`: every instance is connected; another is made as soon as one is taken.
const PIPE_BUSY: i32 = 231;
/// `ERROR_BROKEN_PIPE`: the other end closed.
const BROKEN_PIPE: i32 = 109;

pub fn pipe_file(home: &Path) -> PathBuf {
    home.join(PIPE_FILE)
}

/// A new pipe name no one can guess.
pub fn new_name() -> String {
    format!(r"\\.\pipe\tokentray-{:016x}", fastrand::u64(..))
}

/// An instance of the pipe `name` that only this user can open (`first`: the name must be
/// new, or this fails).
pub fn server(name: &str, first: bool) -> std::io::Result<NamedPipeServer> {
    crate::windows_os::private_pipe(name, first)
}

/// Who is at the other end of a connected instance.
pub fn caller(pipe: &NamedPipeServer) -> std::io::Result<Caller> {
    let pid = crate::windows_os::client_pid(pipe)?;
    Ok(Caller {
        // Only this user can open the pipe (its DACL), so the client is this user.
        uid: super::my_uid(),
        pid: i32::try_from(pid).ok(),
        exe: crate::windows_os::process_image(pid),
    })
}

/// The data directory's engine, found through its pipe file.
#[derive(Clone)]
pub struct Pipe {
    home: PathBuf,
}

impl Pipe {
    pub fn new(home: &Path) -> Pipe {
        Pipe {
            home: home.to_path_buf(),
        }
    }
}

impl Transport for Pipe {
    type Stream = PipeStream;

    fn open(&self, deadline: Option<Duration>) -> Result<Option<PipeStream>> {
        let name = match std::fs::read_to_string(pipe_file(&self.home)) {
            Ok(name) => name.trim().to_string(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(Error::socket(
                    format!("cannot read {}", pipe_file(&self.home).display()),
                    e,
                ))
            }
        };
        if !name.starts_with(r"\\.\pipe\tokentray-") {
            return Err(Error::InvalidConfig(format!(
                "{} does not name a Tokentray pipe",
                pipe_file(&self.home).display()
            )));
        }
        connect_within(&name, deadline)
    }

    fn set_deadline(stream: &PipeStream, deadline: Option<Duration>) -> std::io::Result<()> {
        *stream.deadline.lock().map_err(|_| poisoned())? = deadline;
        Ok(())
    }

    fn try_clone(stream: &PipeStream) -> std::io::Result<PipeStream> {
        Ok(stream.clone())
    }

    fn hang_up(stream: &PipeStream) {
        stream.hung_up.cancel();
    }

    fn place(&self) -> String {
        self.home.display().to_string()
    }
}

/// Opens the pipe `name`, waiting for a free instance until `deadline` (`None` when no engine
/// serves that name: it stopped, and the file is stale).
pub fn connect_within(name: &str, deadline: Option<Duration>) -> Result<Option<PipeStream>> {
    const STEP: Duration = Duration::from_millis(10);
    let tries = deadline.map_or(u128::MAX, |d| d.as_millis() / STEP.as_millis());
    let mut tried = 0u128;
    let _entered = runtime().enter();
    loop {
        match ClientOptions::new().open(name) {
            Ok(client) => return Ok(Some(PipeStream::new(client))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) if e.raw_os_error() == Some(PIPE_BUSY) && tried < tries => {
                tried = tried.saturating_add(1);
                std::thread::sleep(STEP);
            }
            Err(e) if e.raw_os_error() == Some(PIPE_BUSY) => return Err(not_responding(deadline)),
            Err(e) => return Err(Error::socket(format!("cannot open {name}"), e)),
        }
    }
}

/// A blocking stream over a pipe client: each read and write runs on the pipe runtime and is
/// waited for here, within the stream's deadline; a hang-up ends every wait at once.
#[derive(Clone)]
pub struct PipeStream {
    pipe: Arc<NamedPipeClient>,
    deadline: Arc<Mutex<Option<Duration>>>,
    hung_up: CancellationToken,
}

impl PipeStream {
    fn new(pipe: NamedPipeClient) -> PipeStream {
        PipeStream {
            pipe: Arc::new(pipe),
            deadline: Arc::new(Mutex::new(None)),
            hung_up: CancellationToken::new(),
        }
    }

    /// Runs `io` on the pipe runtime; its result, or a timeout past the deadline.
    fn wait<T: Send + 'static>(
        &self,
        io: impl std::future::Future<Output = std::io::Result<T>> + Send + 'static,
        on_hang_up: T,
    ) -> std::io::Result<T> {
        let deadline = *self.deadline.lock().map_err(|_| poisoned())?;
        let hung_up = self.hung_up.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        let task = runtime().spawn(async move {
            let result = tokio::select! {
                _ = hung_up.cancelled() => Ok(on_hang_up),
                r = io => r,
            };
            let _ = tx.send(result);
        });
        let result = match deadline {
            Some(d) => rx
                .recv_timeout(d)
                .map_err(|_| std::io::ErrorKind::TimedOut.into()),
            None => rx
                .recv()
                .map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe)),
        };
        if result.is_err() {
            task.abort();
        }
        result?
    }
}

impl Read for PipeStream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.hung_up.is_cancelled() {
            return Ok(0);
        }
        let pipe = self.pipe.clone();
        let len = buf.len();
        let got = self.wait(
            async move {
                let mut bytes = vec![0u8; len];
                loop {
                    pipe.readable().await?;
                    match pipe.try_read(&mut bytes) {
                        Ok(n) => {
                            bytes.truncate(n);
                            return Ok(bytes);
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                        // The other end closed: the end of the stream, as a socket says it.
                        Err(e) if e.raw_os_error() == Some(BROKEN_PIPE) => return Ok(Vec::new()),
                        Err(e) => return Err(e),
                    }
                }
            },
            Vec::new(),
        )?;
        let n = got.len().min(buf.len());
        buf[..n].copy_from_slice(&got[..n]);
        Ok(n)
    }
}

impl Write for PipeStream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.hung_up.is_cancelled() {
            return Err(std::io::ErrorKind::BrokenPipe.into());
        }
        let pipe = self.pipe.clone();
        let bytes = buf.to_vec();
        self.wait(
            async move {
                loop {
                    pipe.writable().await?;
                    match pipe.try_write(&bytes) {
                        Ok(n) => return Ok(n),
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                        Err(e) => return Err(e),
                    }
                }
            },
            0,
        )
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The runtime the pipe clients of this process run on (one thread: a client's reads and
/// writes are small and few).
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("tokentray-pipe")
            .enable_all()
            .build()
            .expect("a runtime for the engine's pipe")
    })
}

fn poisoned() -> std::io::Error {
    std::io::Error::other("a pipe stream's lock was poisoned")
}
