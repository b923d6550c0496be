//! The engine as the window's process reaches it: the engine's API over the data directory's
//! socket, one connection per call (a Unix socket connects in microseconds, and an engine that
//! restarted is simply found again). The client is blocking, so each call runs on a blocking
//! task; streams (a login, the events) hold a thread for as long as they last.

use tokentray_core::api::{Call, Streamed};
use tokentray_core::client::{Client, HangUp, DEFAULT_DEADLINE};
use tokentray_core::transport::Local as Socket;
use tokentray_core::{Error, Result};

#[derive(Clone)]
pub struct Engine {
    socket: std::sync::Arc<Socket>,
}

impl Engine {
    pub fn new(home: &std::path::Path) -> Engine {
        Engine {
            socket: std::sync::Arc::new(Socket::new(home)),
        }
    }

    /// One call and its answer.
    pub async fn call<C: Call>(&self, call: C) -> Result<C::Answer> {
        let socket = self.socket.clone();
        blocking(move || Client::connect_or_fail(&*socket, Some(DEFAULT_DEADLINE))?.call(&call))
            .await
    }

    /// A streamed call on a thread of its own: `connected` is handed the way to end it from
    /// elsewhere once it is connected, `each` every item; then its answer.
    pub async fn stream<C: Streamed>(
        &self,
        call: C,
        connected: impl FnOnce(HangUp<Socket>) + Send + 'static,
        each: impl FnMut(C::Item) + Send + 'static,
    ) -> Result<C::Answer> {
        let socket = self.socket.clone();
        blocking(move || {
            let mut client = Client::connect_or_fail(&*socket, Some(DEFAULT_DEADLINE))?;
            connected(client.hang_up_handle()?);
            client.stream(&call, each)
        })
        .await
    }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|e| Error::Internal(format!("a call to the engine ended: {e}")))?
}
