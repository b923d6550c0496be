//! The engine's Unix socket, `engine.sock` in the data directory (mode 0600). Both ends check
//! who is at the other: the engine serves only its own user, and a client talks only to an
//! engine of its own user (another user's would be handed our secrets on an import and hand
//! us its tokens). A stopped engine (SIGSTOP) still has its connections accepted by the
//! kernel, so connecting and every read and write have a deadline.

use super::{not_responding, stalled, Transport};
use crate::api::Caller;
use crate::error::{Error, Result};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const SOCKET_FILE: &str = "engine.sock";

pub fn socket_path(home: &Path) -> PathBuf {
    home.join(SOCKET_FILE)
}

/// The data directory's socket.
#[derive(Clone)]
pub struct Socket {
    path: PathBuf,
    home: PathBuf,
}

impl Socket {
    pub fn new(home: &Path) -> Socket {
        Socket {
            path: socket_path(home),
            home: home.to_path_buf(),
        }
    }
}

impl Transport for Socket {
    type Stream = UnixStream;

    fn open(&self, deadline: Option<Duration>) -> Result<Option<UnixStream>> {
        if let Some(dir) = self.path.parent() {
            crate::home::check_owner(dir)?;
        }
        crate::home::check_owner(&self.path)?;
        check_length(&self.path)?;
        let stream = match connect_within(&self.path, deadline) {
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
            Err(e) => {
                return Err(Error::socket(
                    format!("cannot connect to {}", self.path.display()),
                    e,
                ))
            }
        };
        check_engine(&stream, &self.path)?;
        Ok(Some(stream))
    }

    fn set_deadline(stream: &UnixStream, deadline: Option<Duration>) -> std::io::Result<()> {
        stream.set_read_timeout(deadline)?;
        stream.set_write_timeout(deadline)
    }

    fn try_clone(stream: &UnixStream) -> std::io::Result<UnixStream> {
        stream.try_clone()
    }

    fn hang_up(stream: &UnixStream) {
        let _ = stream.shutdown(std::net::Shutdown::Both);
    }

    fn place(&self) -> String {
        self.home.display().to_string()
    }
}

/// Connects without waiting past `deadline`: a stopped engine's full backlog makes a plain
/// connect wait for ever, so the socket is opened non-blocking and tried again every 10 ms.
fn connect_within(path: &Path, deadline: Option<Duration>) -> std::io::Result<UnixStream> {
    use rustix::io::Errno;
    use rustix::net::{connect, SocketAddrUnix};
    const STEP: Duration = Duration::from_millis(10);
    let address = SocketAddrUnix::new(path)?;
    let tries = deadline.map_or(u128::MAX, |d| d.as_millis() / STEP.as_millis());
    let mut tried = 0u128;
    loop {
        let fd = nonblocking_socket()?;
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

/// A Unix stream socket, close-on-exec and non-blocking: in one call where the kernel takes
/// the flags with the socket (Linux), else set right after (macOS has no SOCK_CLOEXEC; no
/// other thread of ours execs meanwhile).
fn nonblocking_socket() -> std::io::Result<rustix::fd::OwnedFd> {
    use rustix::net::{socket_with, AddressFamily, SocketFlags, SocketType};
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let fd = socket_with(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC | SocketFlags::NONBLOCK,
        None,
    )?;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let fd = {
        let fd = socket_with(
            AddressFamily::UNIX,
            SocketType::STREAM,
            SocketFlags::empty(),
            None,
        )?;
        rustix::io::fcntl_setfd(&fd, rustix::io::FdFlags::CLOEXEC)?;
        rustix::io::ioctl_fionbio(&fd, true)?;
        fd
    };
    Ok(fd)
}

/// A socket's path fits in `sun_path` with its NUL: 108 bytes on Linux, 104 on macOS and the
/// BSDs. A longer one is said plainly instead of as the kernel's "invalid argument".
pub fn check_length(path: &Path) -> Result<()> {
    let most = if cfg!(any(target_os = "linux", target_os = "android")) {
        107
    } else {
        103
    };
    let len = path.as_os_str().len();
    if len > most {
        return Err(Error::InvalidConfig(format!(
            "the engine's socket {} is {len} bytes long, and a socket's path may be at most {most} here: set TOKENTRAY_HOME to a shorter directory",
            path.display()
        )));
    }
    Ok(())
}

/// The engine that answers must be this user's (Linux says who holds the other end; elsewhere
/// the socket file's owner, checked before connecting, says it: only its user can make a
/// socket in a directory that is that user's alone).
fn check_engine(stream: &UnixStream, path: &Path) -> Result<()> {
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
            Err(e) => {
                return Err(Error::socket(
                    format!("cannot tell who serves {}", path.display()),
                    e.into(),
                ))
            }
        }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = (stream, path);
    Ok(())
}

/// Who is at the other end of a connection the engine accepted: uid and pid from the kernel
/// (SO_PEERCRED), the program from `/proc/PID/exe` where there is one.
pub fn caller(stream: &tokio::net::UnixStream) -> std::io::Result<Caller> {
    let cred = stream.peer_cred()?;
    let pid = cred.pid();
    let exe = pid.and_then(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).ok());
    Ok(Caller {
        uid: cred.uid(),
        pid,
        exe,
    })
}
