//! Tokens for tools that ask through their own credential-helper protocols: the engine picks
//! the account that answers ([`crate::tools::Wanted`]) and lends its token with what the tool
//! needs beside it; a tool that says the token was refused gets that account refreshed.

use super::{Account, EngineHandle};
use crate::error::{Error, Result};
use crate::held::HeldRw;
use crate::narrow::Narrower;
use crate::tools::{Lent, Snippet, Wanted};
use std::collections::BTreeMap;
use std::sync::Arc;

impl EngineHandle {
    /// A token valid for at least `min` for whatever the tool asks, refreshed first if due, if
    /// `asker` may take it ([`EngineHandle::may_lend`]): narrowed to `narrow`, else to what
    /// the account's `helper_scope`, `helper_audience`, `helper_resource` say.
    pub async fn lend(
        &self,
        want: &Wanted,
        narrow: &Narrower,
        min: chrono::Duration,
        asker: &crate::lending::Asker,
        via: crate::lending::Via,
    ) -> Result<Lent> {
        let account = self.answering(want)?;
        self.lend_to(&account, asker, via).await?;
        let policy = account
            .config
            .as_ref()
            .map(|c| c.policy.clone())
            .unwrap_or_default();
        // kubectl gets the ID token when the account holds one (what an API server checking
        // OIDC tokens wants), unless the account says the access token.
        let id_token = via == crate::lending::Via::Kubectl
            && policy.kubectl_token.as_deref() != Some("access_token")
            && account.held_id_token().is_some();
        let (token, expires_at) = match id_token {
            true => {
                let id = self.get_id_token_valid_for(&account.name, min).await?;
                let exp = crate::jwt::decode(id.expose()).and_then(|j| j.expires_at());
                (id, exp)
            }
            false => {
                let ask = match narrow.is_empty() {
                    true => policy.for_helpers(),
                    false => narrow.clone(),
                };
                match ask.is_empty() {
                    true => {
                        let token = self.get_token_valid_for(&account.name, min).await?;
                        let exp = account.expiry_of(&token);
                        (token, exp)
                    }
                    false => {
                        let token = self.narrowed(&account.name, &ask, min).await?;
                        (token.access_token, token.expires_at)
                    }
                }
            }
        };
        Ok(Lent {
            account: account.name.clone(),
            expires_at,
            token: crate::api::SecretText::from(&token),
            username: want.username(&policy),
            env_name: crate::tools::env_name(&account.name, &policy),
        })
    }

    /// The tool's server refused `token` (git's `erase` after a 401): when it is still the
    /// account's token, the account is refreshed now, so that the tool's next request gets a
    /// new one; a token already replaced is left alone. Says whether it refreshed.
    pub async fn rejected(&self, want: &Wanted, token: &str) -> Result<bool> {
        let account = self.answering(want)?;
        if self.forget_narrowed(&account, token).await? {
            return Ok(true);
        }
        if account
            .held_token()
            .is_none_or(|held| held.expose() != token)
        {
            return Ok(false);
        }
        let _flight = account.flight.lock().await;
        if account
            .held_token()
            .is_none_or(|held| held.expose() != token)
        {
            return Ok(false);
        }
        self.refresh_locked(&account).await.map(|_| true)
    }

    /// Every registry some account answers for, with the username Docker would send.
    pub fn registries(&self) -> BTreeMap<String, String> {
        let accounts = self.inner.accounts.read_held();
        let mut all = BTreeMap::new();
        for account in accounts.values() {
            let Ok(config) = &account.config else {
                continue;
            };
            for host in config.policy.registry_hosts.iter().flatten() {
                let want = Wanted::Registry {
                    server: host.clone(),
                };
                let username = want.username(&config.policy).unwrap_or_default();
                all.entry(host.clone()).or_insert(username);
            }
        }
        all
    }

    /// How to use the account with each tool, for the window's "Use with…".
    pub fn snippets(&self, name: &str) -> Result<Vec<Snippet>> {
        let account = self.account(name)?;
        let policy = account
            .config
            .as_ref()
            .map(|c| c.policy.clone())
            .unwrap_or_default();
        Ok(crate::tools::snippets(name, &policy))
    }

    /// The account that answers: the best fit, then the first name.
    fn answering(&self, want: &Wanted) -> Result<Arc<Account>> {
        if let Wanted::Account { name } = want {
            return self.account(name);
        }
        let accounts = self.inner.accounts.read_held();
        let fits = accounts.values().filter_map(|account| {
            let policy = &account.config.as_ref().ok()?.policy;
            Some((want.fit(&account.name, policy)?, account))
        });
        // `max_by_key` keeps the last of equals; names come sorted, so reverse for the first.
        let best = fits
            .rev()
            .max_by_key(|(fit, _)| *fit)
            .map(|(_, a)| a.clone());
        best.ok_or_else(|| Error::NoAccountFor(format!("{}{}", want.describe(), want.hint())))
    }
}
