//! The account's OpenID Connect ID token ([`crate::token::TokenSet::id_token`]): what
//! Kubernetes OIDC checks, handed out by `tokentray token --id-token` and to kubectl.

use super::EngineHandle;
use crate::error::{Error, Result};
use crate::secret::Secret;

impl EngineHandle {
    /// The account's OpenID Connect ID token, valid for at least `min`: refreshed first (once)
    /// when it would run out sooner. An account whose logins and refreshes bring none says
    /// so (`unsupported`); one whose refreshes stopped bringing a new one, that it ran out.
    pub async fn get_id_token_valid_for(
        &self,
        name: &str,
        min: chrono::Duration,
    ) -> Result<Secret> {
        self.get_token_valid_for(name, min).await?;
        let account = self.account(name)?;
        let until = crate::time::after(self.now(), min);
        if let Some(id) = account.fresh_id_token(until) {
            return Ok(id);
        }
        let held = account.held_id_token();
        if held.is_some() {
            // Run out: a refresh may bring a new one.
            let _flight = account.flight.lock().await;
            if let Some(id) = account.fresh_id_token(until) {
                return Ok(id);
            }
            self.refresh_locked(&account).await?;
            if let Some(id) = account.fresh_id_token(crate::time::after(self.now(), min)) {
                return Ok(id);
            }
        }
        match held.and_then(|id| crate::jwt::decode(id.expose())?.expires_at()) {
            Some(exp) => Err(Error::Expired(exp)),
            None => Err(Error::Unsupported(format!(
                "{name} holds no ID token: its logins bring none (an OpenID Connect login with the openid scope does)"
            ))),
        }
    }
}
