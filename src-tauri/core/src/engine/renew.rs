//! Renewing a credential that cannot renew itself (`renew_command` on a `static` or `custom`
//! account): when it enters its renewal window the command runs once; what it prints replaces
//! the sealed token or secret (and the account starts afresh with it, its history saying so);
//! a failure is retried with backoff and announced, and the current one stays in use.

use super::{Account, EngineHandle};
use crate::error::{Error, Result};
use crate::grant::renewal;
use crate::held::Held;
use crate::timing::backoff;
use crate::token::TokenSet;
use crate::view::Event;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::sync::Arc;

impl EngineHandle {
    /// Starts the renewal of what runs out at `expires_at` if its window has come (and no
    /// renewal runs or waits for a retry); returns when to look again, if later.
    pub(crate) fn consider_renewal(
        &self,
        account: &Arc<Account>,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let config = account.config.as_ref().ok()?;
        let renewal = config.grant.renewal()?;
        let first_threshold = account.warn_within(&self.settings());
        let before = renewal.before_secs.unwrap_or(first_threshold);
        let window = crate::time::before(expires_at, crate::time::secs(before));
        let mut state = account.state.held();
        if state.renewing {
            return None;
        }
        let at = window.max(state.next_renew.unwrap_or(window));
        if at > now {
            return Some(at);
        }
        state.renewing = true;
        drop(state);
        let (engine, account) = (self.clone(), account.clone());
        tokio::spawn(async move { engine.renew(account, expires_at).await });
        None
    }

    async fn renew(&self, account: Arc<Account>, expires_at: DateTime<Utc>) {
        let Some(renewal) = account.config.as_ref().ok().and_then(|c| c.grant.renewal()) else {
            return;
        };
        // What the command may know: which account and what runs out when, never a secret.
        let env = [
            ("TOKENTRAY_EVENT", "renew".to_string()),
            ("TOKENTRAY_ACCOUNT", account.name.clone()),
            ("TOKENTRAY_CREDENTIAL", renewal.field.to_string()),
            ("TOKENTRAY_EXPIRES_AT", expires_at.to_rfc3339()),
        ];
        let renewed = match renewal::run(self.grant_context(), renewal, &env).await {
            Ok(new) => self.replace_credential(&account, renewal.field, &new).await,
            Err(e) => Err(e),
        };
        match renewed {
            Ok(()) => tracing::info!(account = %account.name, "renewed its {}", renewal.field),
            Err(e) => {
                let e = account.redactor().error(e);
                let now = self.now();
                let next = {
                    let mut state = account.state.held();
                    state.renewing = false;
                    state.renew_failures += 1;
                    let wait = backoff(state.renew_failures, fastrand::f64(), None);
                    let next = crate::time::after(now, crate::time::from_std(wait));
                    state.next_renew = Some(next);
                    next
                };
                tracing::warn!(account = %account.name, code = %e.code(), "renewing failed: {e}");
                self.plan(&account.name, next);
                self.emit(
                    Some(&account),
                    Event::RenewFailed {
                        account: account.name.clone(),
                        code: e.code(),
                        message: e.message(),
                    },
                );
            }
        }
    }

    /// Seals `new` in place of the account's `field` (the store's settings and secrets, and the
    /// grant in memory) and starts the account afresh with it, from where it came.
    async fn replace_credential(
        &self,
        account: &Account,
        field: &str,
        new: &TokenSet,
    ) -> Result<()> {
        let (mut config, source, digest) = match self.store() {
            Some(store) => {
                let stored = store
                    .account(&account.name)
                    .await?
                    .ok_or_else(|| Error::NotFound(account.name.clone()))?;
                (stored.config?, stored.source, stored.source_digest)
            }
            None => (account.config.clone()?, "user".to_string(), None),
        };
        config.grant = config.grant.with_credential(new);
        config
            .secrets
            .insert(field.into(), new.access_token.clone());
        if field == "token" {
            match new.expires_at {
                Some(at) => config
                    .settings
                    .insert("expires_at".into(), Value::String(at.to_rfc3339())),
                None => config.settings.remove("expires_at"),
            };
        }
        self.put_account_from(config, &source, digest.as_deref())
            .await
    }
}
