//! The engine in this process, for one command (`--standalone`): opened on a runtime of its
//! own, and reached as a [`Transport`] whose every connection is a socket pair (on Windows, a
//! pipe of its own) served by the very code that serves the socket ([`super::connection`]). So
//! a standalone command and one asking the running engine cannot answer differently.

use crate::api::Caller;
use crate::engine::EngineHandle;
use crate::error::{Error, Result};
use crate::transport::Transport;
use std::path::Path;
use std::time::Duration;

pub struct InProcess {
    engine: EngineHandle,
    runtime: tokio::runtime::Runtime,
    home: String,
}

impl InProcess {
    /// Opens the data directory's engine in this process (refused while another engine
    /// holds the directory).
    pub fn open(home: &Path, clock: std::sync::Arc<dyn crate::Clock>) -> Result<InProcess> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| Error::io("cannot start the engine's runtime", e))?;
        let engine = runtime.block_on(async {
            let key = crate::home::key_source(home)?;
            EngineHandle::open(home, key, clock).await
        })?;
        Ok(InProcess {
            engine,
            runtime,
            home: home.display().to_string(),
        })
    }

    /// Lets refreshes under way finish and flushes the store.
    pub fn close(self) {
        let engine = self.engine.clone();
        self.runtime.block_on(engine.close());
    }
}

#[cfg(unix)]
impl Transport for InProcess {
    type Stream = std::os::unix::net::UnixStream;

    fn open(&self, _deadline: Option<Duration>) -> Result<Option<Self::Stream>> {
        let (ours, theirs) = std::os::unix::net::UnixStream::pair()
            .map_err(|e| Error::io("cannot make a socket pair", e))?;
        theirs
            .set_nonblocking(true)
            .map_err(|e| Error::io("cannot make a socket pair", e))?;
        let engine = self.engine.clone();
        self.runtime.spawn(async move {
            let stream = match tokio::net::UnixStream::from_std(theirs) {
                Ok(stream) => stream,
                Err(e) => return tracing::warn!("in-process connection: {e}"),
            };
            let caller = Caller::this_process();
            if let Err(e) = super::connection(engine, None, stream, caller).await {
                tracing::debug!("in-process connection: {e}");
            }
        });
        Ok(Some(ours))
    }

    fn set_deadline(stream: &Self::Stream, deadline: Option<Duration>) -> std::io::Result<()> {
        crate::transport::unix::Socket::set_deadline(stream, deadline)
    }

    fn try_clone(stream: &Self::Stream) -> std::io::Result<Self::Stream> {
        stream.try_clone()
    }

    fn hang_up(stream: &Self::Stream) {
        crate::transport::unix::Socket::hang_up(stream)
    }

    fn place(&self) -> String {
        self.home.clone()
    }
}

/// On Windows a pipe of this connection's own: its one instance made here, its client opened
/// through the same code a client of the engine's pipe uses.
#[cfg(windows)]
impl Transport for InProcess {
    type Stream = crate::transport::pipe::PipeStream;

    fn open(&self, deadline: Option<Duration>) -> Result<Option<Self::Stream>> {
        use crate::transport::pipe;
        let name = pipe::new_name();
        let server = {
            let _entered = self.runtime.enter();
            pipe::server(&name, true).map_err(|e| Error::io("cannot make a pipe", e))?
        };
        let ours = pipe::connect_within(&name, deadline)?
            .ok_or_else(|| Error::Internal(format!("the pipe {name} went away")))?;
        let engine = self.engine.clone();
        self.runtime.spawn(async move {
            if let Err(e) = server.connect().await {
                return tracing::warn!("in-process connection: {e}");
            }
            let caller = Caller::this_process();
            if let Err(e) = super::connection(engine, None, server, caller).await {
                tracing::debug!("in-process connection: {e}");
            }
        });
        Ok(Some(ours))
    }

    fn set_deadline(stream: &Self::Stream, deadline: Option<Duration>) -> std::io::Result<()> {
        crate::transport::pipe::Pipe::set_deadline(stream, deadline)
    }

    fn try_clone(stream: &Self::Stream) -> std::io::Result<Self::Stream> {
        crate::transport::pipe::Pipe::try_clone(stream)
    }

    fn hang_up(stream: &Self::Stream) {
        crate::transport::pipe::Pipe::hang_up(stream)
    }

    fn place(&self) -> String {
        self.home.clone()
    }
}
