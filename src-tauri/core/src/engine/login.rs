//! A login a person takes part in, run by the engine: it says what the person must do
//! through a [`LoginPrompt`] and waits for the grant to complete.

use super::EngineHandle;
use crate::error::{Error, Result};
use crate::grant::{authorization_code, device_code, GrantConfig};
use crate::login::LoginPrompt;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

impl EngineHandle {
    /// Logs in to an `authorization_code` or `device_code` account: `prompt` is told what the
    /// person must do; the tokens obtained are stored as a refresh would store them, and the
    /// account is renewed in the background from then on. `cancel` ends the wait (the window
    /// closed, the CLI's connection dropped); `timeout` bounds an auth-code login.
    pub async fn login(
        &self,
        name: &str,
        prompt: impl FnOnce(LoginPrompt) -> std::result::Result<(), String>,
        cancel: CancellationToken,
        timeout: Duration,
    ) -> Result<()> {
        let account = self.account(name)?;
        let mut config = account.config.clone()?;
        config.grant = self.resolved(&config.grant, false).await?;
        let ctx = self.grant_context();
        let started = self.now();
        // The person's part can take minutes: the account's flight is taken only to store.
        let tokens = match &config.grant {
            GrantConfig::AuthorizationCode(c) => {
                let open = |url: &url::Url| {
                    prompt(LoginPrompt::OpenBrowser {
                        url: url.to_string(),
                    })
                };
                authorization_code::login(ctx, c, open, cancel, timeout).await
            }
            GrantConfig::DeviceCode(c) => {
                let started = device_code::start(ctx, c).await;
                let auth = started.map_err(|e| account.redactor().error(e))?;
                prompt(LoginPrompt::DeviceCode {
                    user_code: auth.user_code.clone(),
                    verification_uri: auth.verification_uri.clone(),
                    verification_uri_complete: auth.verification_uri_complete.clone(),
                    expires_in_secs: auth.expires_in.as_secs(),
                })
                .map_err(|e| Error::System(format!("cannot show the device code: {e}")))?;
                device_code::poll(ctx, c, &auth, cancel).await
            }
            other => {
                return Err(Error::Unsupported(format!(
                    "{name} is a {} account: it gets its tokens without a login (try `tokentray refresh {name}`)",
                    other.kind().as_str()
                )))
            }
        };
        // A login that did not finish changes nothing: the account keeps what it held. What
        // the server said never carries the account's secrets.
        let tokens = tokens.map_err(|e| account.redactor().error(e))?;
        self.store_login(&account, started, tokens).await
    }
}
