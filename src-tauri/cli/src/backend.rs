//! Where the CLI's answers come from: the running engine over its socket (the app or
//! `tokentray daemon`), or, with `--standalone`, the data directory's engine opened
//! in-process for the one call.

use std::sync::Arc;
use tokentray_core::engine::{ErrorView, Revocation};
use tokentray_core::ipc::{self, Request, Response};
use tokentray_core::login::LoginPrompt;
use tokentray_core::store::HistoryEntry;
use tokentray_core::{home, AccountView, CancellationToken, EngineHandle, Error, SystemClock};

pub enum Backend {
    Remote(ipc::Client),
    Local(EngineHandle),
}

pub type Result<T> = std::result::Result<T, ErrorView>;

pub fn view(e: Error) -> ErrorView {
    ErrorView::from(&e)
}

impl Backend {
    pub async fn connect(standalone: bool) -> Result<Backend> {
        let home = home::data_dir();
        if !standalone {
            return match ipc::Client::connect(&ipc::socket_path(&home)).map_err(view)? {
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

    async fn call(&mut self, request: Request) -> Result<Response> {
        let Backend::Remote(client) = self else {
            unreachable!("only for the remote backend")
        };
        match client.call(&request).map_err(view)? {
            Response::Error(e) => Err(e),
            other => Ok(other),
        }
    }

    /// A token valid for at least `min_valid_secs` more seconds.
    pub async fn token(&mut self, name: &str, min_valid_secs: u64) -> Result<String> {
        match self {
            Backend::Local(engine) => engine
                .get_token_valid_for(name, chrono::Duration::seconds(min_valid_secs as i64))
                .await
                .map(|t| t.expose().to_string())
                .map_err(view),
            Backend::Remote(_) => match self
                .call(Request::Token {
                    name: name.into(),
                    min_valid_secs,
                })
                .await?
            {
                Response::Token { token } => Ok(token),
                other => Err(unexpected(other)),
            },
        }
    }

    pub async fn list(&mut self) -> Result<Vec<AccountView>> {
        match self {
            Backend::Local(engine) => Ok(engine.list()),
            Backend::Remote(_) => match self.call(Request::List).await? {
                Response::Accounts { accounts } => Ok(accounts),
                other => Err(unexpected(other)),
            },
        }
    }

    pub async fn status(&mut self, name: &str) -> Result<AccountView> {
        self.list()
            .await?
            .into_iter()
            .find(|a| a.name == name)
            .ok_or_else(|| view(Error::NotFound(name.into())))
    }

    pub async fn refresh(&mut self, name: &str) -> Result<()> {
        match self {
            Backend::Local(engine) => engine.refresh(name).await.map_err(view),
            Backend::Remote(_) => self
                .call(Request::Refresh { name: name.into() })
                .await
                .map(drop),
        }
    }

    pub async fn history(&mut self, name: &str, limit: i64) -> Result<Vec<HistoryEntry>> {
        match self {
            Backend::Local(engine) => engine.history(name, None, limit).await.map_err(view),
            Backend::Remote(_) => match self
                .call(Request::History {
                    name: name.into(),
                    limit,
                })
                .await?
            {
                Response::History { entries } => Ok(entries),
                other => Err(unexpected(other)),
            },
        }
    }

    pub async fn import(&mut self, toml: String) -> Result<Vec<String>> {
        match self {
            Backend::Local(engine) => engine.import(&toml).await.map_err(view),
            Backend::Remote(_) => match self.call(Request::Import { toml }).await? {
                Response::Imported { names } => Ok(names),
                other => Err(unexpected(other)),
            },
        }
    }

    pub async fn export(&mut self, with_secrets: bool) -> Result<String> {
        match self {
            Backend::Local(engine) => engine.export(with_secrets).await.map_err(view),
            Backend::Remote(_) => match self.call(Request::Export { with_secrets }).await? {
                Response::Exported { toml } => Ok(toml),
                other => Err(unexpected(other)),
            },
        }
    }

    pub async fn remove(&mut self, name: &str) -> Result<Revocation> {
        match self {
            Backend::Local(engine) => engine.remove_account(name).await.map_err(view),
            Backend::Remote(_) => match self.call(Request::Remove { name: name.into() }).await? {
                Response::Removed(revocation) => Ok(revocation),
                other => Err(unexpected(other)),
            },
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
                loop {
                    match client.receive().map_err(view)? {
                        Response::LoginPrompt(p) => prompt(&p),
                        Response::Done => return Ok(()),
                        Response::Error(e) => return Err(e),
                        other => return Err(unexpected(other)),
                    }
                }
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

fn unexpected(response: Response) -> ErrorView {
    view(Error::InvalidResponse(format!(
        "unexpected answer from the engine: {response:?}"
    )))
}
