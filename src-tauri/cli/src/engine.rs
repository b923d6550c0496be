//! The running engine, as the fast calls reach it: one connection over the data directory's
//! socket, opened by the first call and kept for the next few (a helper's `lend`, then
//! `rejected`). Helpers have no `--standalone`: they answer from a running engine only.

use tokentray_core::api::Call;
use tokentray_core::client::Client;
use tokentray_core::transport::Local as Socket;
use tokentray_core::{Error, ErrorCode, ErrorView};

#[derive(Default)]
pub struct Engine(Option<Client<Socket>>);

impl Engine {
    /// One call, its answer; an engine's error (or none running) as the `Err`.
    pub fn call<C: Call>(&mut self, call: &C) -> Result<C::Answer, ErrorView> {
        let answer = match &mut self.0 {
            Some(client) => client.call(call),
            None => {
                let socket = Socket::new(&tokentray_core::home::data_dir());
                let deadline = crate::deadline(None).map_err(|message| ErrorView {
                    code: ErrorCode::BadRequest,
                    message,
                })?;
                match Client::ask(&socket, call, deadline) {
                    Ok(Some((client, answer))) => {
                        self.0 = Some(client);
                        Ok(answer)
                    }
                    Ok(None) => {
                        return Err(ErrorView {
                            code: ErrorCode::EngineNotRunning,
                            message: format!("no Tokentray engine is running for {}: start the app or `tokentray daemon`", tokentray_core::home::data_dir().display()),
                        })
                    }
                    Err(e) => Err(e),
                }
            }
        };
        answer.map_err(|e: Error| ErrorView::from(&e))
    }
}
