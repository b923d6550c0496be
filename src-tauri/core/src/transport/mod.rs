//! How a front end reaches the engine: a [`Transport`] opens a connection, a byte stream the
//! [`crate::client::Client`] speaks the API's lines over. Today: the data directory's Unix
//! socket ([`unix::Socket`]), on Windows a named pipe ([`pipe::Pipe`]), and the engine opened
//! in this process for one command (`--standalone`, [`crate::server::InProcess`]), which serves
//! a connection through the very code the socket is served with. The per-OS parts (where the
//! engine is, who the peer is) live here and nowhere else.

#[cfg(windows)]
pub mod pipe;
#[cfg(unix)]
pub mod unix;

/// This system's way to the data directory's engine.
#[cfg(unix)]
pub type Local = unix::Socket;
#[cfg(windows)]
pub type Local = pipe::Pipe;

/// Where the data directory's engine listens, as logs say it: the socket, or on Windows the
/// file that names its pipe.
pub fn endpoint(home: &std::path::Path) -> std::path::PathBuf {
    #[cfg(unix)]
    return unix::socket_path(home);
    #[cfg(windows)]
    return pipe::pipe_file(home);
}

use crate::error::{Error, Result};
use std::io::{Read, Write};
use std::time::Duration;

/// A way to the engine.
pub trait Transport {
    type Stream: Read + Write + Send + 'static;

    /// A connection to the engine, opened within `deadline`; `None` when no engine is there.
    fn open(&self, deadline: Option<Duration>) -> Result<Option<Self::Stream>>;

    /// Bounds every read and write from now on (`None`: as long as it takes).
    fn set_deadline(stream: &Self::Stream, deadline: Option<Duration>) -> std::io::Result<()>;

    /// A second handle on the same connection: one reads while the other writes, or hangs
    /// up from another thread.
    fn try_clone(stream: &Self::Stream) -> std::io::Result<Self::Stream>;

    /// Ends the connection in both directions (a reader blocked on it wakes up).
    fn hang_up(stream: &Self::Stream);

    /// Where the engine would be, as "no engine is running for …" names it.
    fn place(&self) -> String;
}

/// This process's user (what the peer checks compare with).
pub fn my_uid() -> u32 {
    #[cfg(unix)]
    {
        rustix::process::getuid().as_raw()
    }
    #[cfg(not(unix))]
    {
        0
    }
}

/// A read or write that ran out of time (std reports a timeout as either kind).
pub fn stalled(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

/// What a call that ran out of time says.
pub fn not_responding(deadline: Option<Duration>) -> Error {
    Error::EngineNotResponding(deadline.unwrap_or_default().as_secs())
}
