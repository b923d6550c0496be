//! Where the CLI's answers come from: the running engine over its socket (the app or
//! `tokentray daemon`), or, with `--standalone`, the data directory's engine opened
//! in-process for the one call. Either way a request goes through the socket's own
//! dispatcher ([`ipc::answer`]), so the two cannot answer differently.

use std::sync::Arc;
use tokentray_core::ipc::{self, Request, Response};
use tokentray_core::login::LoginPrompt;
use tokentray_core::{home, CancellationToken, EngineHandle, Error, ErrorView, SystemClock};

pub enum Backend {
    Remote(ipc::Client),
    Local(EngineHandle),
}

pub type Result<T> = std::result::Result<T, ErrorView>;

pub fn view(e: Error) -> ErrorView {
    ErrorView::from(&e)
}

/// Asks the backend and unpacks the one answer expected: `ask!(backend, request, pattern =>
/// value)`; an engine's error is returned as it is.
macro_rules! ask {
    ($backend:expr, $request:expr, $answer:pat => $value:expr) => {
        match $backend.call($request).await? {
            $answer => $value,
            other => return Err(tokentray_cli::unexpected(other)),
        }
    };
}
pub(crate) use ask;

impl Backend {
    /// The running engine (each answer awaited at most `deadline`), or with `standalone` the
    /// data directory's engine in this process.
    pub async fn connect(
        standalone: bool,
        deadline: Option<std::time::Duration>,
    ) -> Result<Backend> {
        let home = home::data_dir();
        if !standalone {
            let socket = ipc::socket_path(&home);
            return match ipc::Client::connect(&socket, deadline).map_err(view)? {
                Some(client) => Ok(Backend::Remote(client)),
                None => Err(view(Error::EngineNotRunning(home.display().to_string()))),
            };
        }
        let key = home::key_source(&home).map_err(view)?;
        let engine = EngineHandle::open(&home, key, Arc::new(SystemClock))
            .await
            .map_err(view)?;
        Ok(Backend::Local(engine))
    }

    /// One request, its answer; the engine's error as the `Err`.
    pub async fn call(&mut self, request: Request) -> Result<Response> {
        let response = match self {
            Backend::Remote(client) => client.call(&request).map_err(view)?,
            Backend::Local(engine) => ipc::answer(engine, request).await,
        };
        match response {
            Response::Error(e) => Err(e),
            other => Ok(other),
        }
    }

    /// Logs in to an account a person must sign in to: `prompt` shows them what to do.
    pub async fn login(&mut self, name: &str, prompt: impl Fn(&LoginPrompt) + Send) -> Result<()> {
        match self {
            Backend::Local(engine) => {
                let show = |p: LoginPrompt| {
                    prompt(&p);
                    Ok(())
                };
                let timeout = tokentray_core::grant::authorization_code::LOGIN_TIMEOUT;
                engine
                    .login(name, show, CancellationToken::new(), timeout)
                    .await
                    .map_err(view)
            }
            Backend::Remote(client) => {
                client
                    .send(&Request::Login { name: name.into() })
                    .map_err(view)?;
                // The person takes their time (the engine ends the login after 10 minutes).
                client.streaming().map_err(view)?;
                loop {
                    match client.receive().map_err(view)? {
                        Response::LoginPrompt(p) => prompt(&p),
                        Response::Done => return Ok(()),
                        Response::Error(e) => return Err(e),
                        other => return Err(tokentray_cli::unexpected(other)),
                    }
                }
            }
        }
    }

    /// Calls `each` with every event of the running engine until the connection ends.
    pub fn events(&mut self, mut each: impl FnMut(tokentray_core::Event)) -> Result<()> {
        let Backend::Remote(client) = self else {
            return Err(view(Error::Unsupported(
                "events come from a running engine (the app or `tokentray daemon`), not --standalone".into(),
            )));
        };
        client.send(&Request::Events).map_err(view)?;
        client.streaming().map_err(view)?;
        loop {
            match client.receive().map_err(view)? {
                Response::Event(event) => each(event),
                Response::Error(e) => eprintln!("warning[{}]: {}", e.code, e.message),
                other => return Err(tokentray_cli::unexpected(other)),
            }
        }
    }

    /// Flushes an in-process engine's store.
    pub async fn close(self) {
        if let Backend::Local(engine) = self {
            engine.close().await;
        }
    }
}
