//! One refresh, start to end: the token request (with the subject account's token first for
//! token exchange), then its outcome taken in — stored, applied to the account's state by
//! [`crate::transition::apply`], announced, and the account's hook run.

use super::{Account, EngineHandle};
use crate::error::{Error, Result};
use crate::grant;
use crate::held::Held;
use crate::secret::Secret;
use crate::store::{Lease, RefreshRecord};
use crate::token::TokenSet;
use crate::transition::{self, Before};
use crate::view::{Event, Revocation};
use chrono::{DateTime, Utc};

impl EngineHandle {
    /// One token request; the caller holds `account.flight`.
    pub(crate) async fn refresh_locked(&self, account: &Account) -> Result<Secret> {
        let _permit = self
            .inner
            .in_flight
            .acquire()
            .await
            .map_err(|_| Error::ShuttingDown)?;
        let started = self.now();
        if let (Some(team), Some(store), Some(id), Ok(_)) =
            (self.team(), self.store(), account.id, &account.config)
        {
            return self
                .refresh_in_team(account, team, store, id, started)
                .await;
        }
        let result = self.obtain(account).await;
        self.record(account, started, result, None).await
    }

    /// The token request (the subject account's token first, for token exchange).
    pub(super) async fn obtain(&self, account: &Account) -> Result<TokenSet> {
        let grant = match &account.config {
            Ok(config) => &config.grant,
            Err(e) => return Err(e.clone()),
        };
        // Token exchange needs the subject account's token first (cycles are refused at load).
        let subject = match grant.depends_on() {
            Some(other) => Some(Box::pin(self.get_token(other)).await?),
            None => None,
        };
        let current = account.state.held().token.clone();
        let mut again = false;
        loop {
            let resolved = self.resolved(grant, again).await?;
            // The request runs as a task of its own: a bug in a grant (most likely met
            // reading a server's answer) is this account's `internal` error, retried later
            // like a passing failure, and never the engine's end.
            let renewer = self.inner.renewer.clone();
            let (current, subject) = (current.clone(), subject.clone());
            let request = async move { renewer.renew(&resolved, current.as_ref(), subject).await };
            let result = super::isolated(request).await?;
            // An endpoint discovered from the issuer that answers 404 has moved: the
            // metadata is fetched again, once.
            match &result {
                Err(e) if grant.issuer().is_some() && e.http_status() == Some(404) && !again => {
                    tracing::info!(account = %account.name, "a discovered endpoint answered 404: discovering again");
                    again = true;
                }
                _ => return result,
            }
        }
    }

    /// Takes in the tokens a login obtained, as a refresh's.
    pub(crate) async fn store_login(
        &self,
        account: &Account,
        started: DateTime<Utc>,
        tokens: TokenSet,
    ) -> Result<()> {
        let _flight = account.flight.lock().await;
        self.record(account, started, Ok(tokens), None)
            .await
            .map(drop)
    }

    /// Takes a refresh's outcome into the account's state and tells the subscribers.
    /// The store is written first: a rotated refresh token is on disk before anyone uses
    /// the new access token. If it cannot be written (a full disk), the new tokens are still
    /// held and served, and the failure is logged and reported. In team mode the write is
    /// fenced by `lease`: when a newer holder took the account over, this result is dropped
    /// and the team's state taken instead.
    pub(super) async fn record(
        &self,
        account: &Account,
        started: DateTime<Utc>,
        result: Result<TokenSet>,
        lease: Option<&Lease>,
    ) -> Result<Secret> {
        let now = self.now();
        // A server's words never carry the account's secrets further than here.
        let result = result.map_err(|e| account.redactor().error(e));
        // Whatever a grant that renews itself obtained, it is never served forever.
        let result = result.map(|t| match account.renews_itself() {
            true => t.with_stated_or_assumed_expiry(account.default_lifetime()),
            false => t,
        });
        let rules = account.rules(&self.settings());
        let (step, held) = {
            let state = account.state.held();
            let before = Before {
                valid_token: state.valid_token(now).is_some(),
                failures: state.failures,
            };
            let step =
                transition::apply(&account.name, before, &result, now, rules, fastrand::f64());
            (step, state.token.is_some())
        };
        // An unusable answer that still rotated the refresh token: the new one replaces the
        // held one (next to the still-valid access token), or the next refresh would present
        // a refresh token the server has already retired.
        let rotated = match &result {
            Err(Error::UnusableWithRefreshToken { refresh_token, .. }) => {
                if !held {
                    tracing::warn!(account = %account.name, "an unusable answer carried a new refresh token, but no token set is held to keep it in");
                }
                held.then_some(refresh_token)
            }
            _ => None,
        };
        // The team's database away: there is nothing to write to (and no wait for it).
        let unreachable = matches!(result, Err(Error::TeamUnreachable(_)));
        if let (Some(store), Some(id), false) = (self.store(), account.id, unreachable) {
            let engine = self.team().map(|t| t.label());
            let record = RefreshRecord {
                account_id: id,
                started_at: started,
                finished_at: now,
                result: result.as_ref(),
                status: step.status,
                rotated_refresh_token: rotated,
                lease,
                engine: engine.as_deref(),
            };
            let written = store.record_refresh(record).await;
            if let Err(Error::Fenced(epoch)) = written {
                tracing::warn!(account = %account.name, epoch, "fenced: a newer lease holder's result stands");
                let _ = self.adopt(account, store).await;
                return Err(Error::Fenced(epoch));
            }
            if let Err(e) = written {
                tracing::error!(account = %account.name, code = %e.code(), "could not save the refresh: {e}");
                self.emit(
                    Some(account),
                    Event::RefreshFailed {
                        account: account.name.clone(),
                        code: e.code(),
                        message: e.message(),
                    },
                );
            }
        }
        let watched = {
            let mut state = account.state.held();
            if let Ok(token) = &result {
                state.token = Some(token.clone());
                state.last_refresh = Some(now);
            }
            if let (Some(rt), Some(token)) = (rotated, state.token.as_mut()) {
                token.refresh_token = Some(rt.clone());
            }
            state.status = step.status;
            state.error = step.error;
            state.failures = step.failures;
            state.next_attempt = step.next_attempt;
            account.watched(&state).is_some()
        };
        if let Some(at) = step.next_attempt {
            self.plan(&account.name, at);
        }
        if watched {
            // Something that cannot be renewed runs out: look at its warnings now.
            self.plan(&account.name, now);
        }
        match &step.event {
            Event::Refreshed { account, .. } => tracing::info!(%account, "token refreshed"),
            other => tracing::warn!(?other, "token refresh failed"),
        }
        if let (Ok(token), Some(command)) = (&result, account.on_refresh()) {
            crate::hooks::run(
                &account.name,
                command,
                crate::hooks::refreshed(&account.name, token),
            );
        }
        self.emit(Some(account), step.event);
        result.map(|t| t.access_token)
    }

    /// Revokes the account's tokens at its revocation endpoint (RFC 7009), if it names one.
    pub(super) async fn revoke(&self, account: &Account) -> Revocation {
        let grant = match &account.config {
            Ok(config) => match self.resolved(&config.grant, false).await {
                Ok(grant) => grant,
                Err(e) => return Revocation::Failed((&e).into()),
            },
            Err(_) => return Revocation::NotOffered,
        };
        let Some((endpoint, client)) = grant.revocation() else {
            return Revocation::NotOffered;
        };
        let token = account.state.held().token.clone();
        let Some(token) = token else {
            return Revocation::NothingHeld;
        };
        let mut held = Vec::new();
        if let Some(rt) = &token.refresh_token {
            held.push((rt, grant::revocation::Hint::RefreshToken));
        }
        held.push((&token.access_token, grant::revocation::Hint::AccessToken));
        for (secret, hint) in held {
            let revoked =
                grant::revocation::revoke(self.grant_context(), endpoint, &client, secret, hint);
            if let Err(e) = revoked.await {
                return Revocation::Failed((&account.redactor().error(e)).into());
            }
        }
        Revocation::Revoked
    }
}
