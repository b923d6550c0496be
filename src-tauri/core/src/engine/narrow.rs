//! Narrower tokens for single calls ([`crate::narrow`]), beside the account's own: kept in
//! memory and sealed in the store by what was asked, served until they are due as the
//! account's own would be, obtained under the account's flight (a refresh token is never
//! presented twice at once), a rotated refresh token taken in as the account's, and each
//! request written to the history saying what was asked and how.

use super::{isolated, Account, EngineHandle};
use crate::error::{Error, Result};
use crate::grant::narrow::{self, Held as Own};
use crate::held::Held;
use crate::narrow::{Narrower, Way};
use crate::secret::Secret;
use crate::store::NarrowRecord;
use crate::token::TokenSet;

impl EngineHandle {
    /// A token of account `name` narrowed to `ask`, valid for at least `min`; the account's
    /// own token when nothing is asked. The account's own token is never replaced by it.
    pub async fn get_narrowed_valid_for(
        &self,
        name: &str,
        ask: &Narrower,
        min: chrono::Duration,
    ) -> Result<Secret> {
        if ask.is_empty() {
            return self.get_token_valid_for(name, min).await;
        }
        self.narrowed(name, ask, min).await.map(|t| t.access_token)
    }

    /// The narrower token itself (with its end), for something is asked.
    pub(crate) async fn narrowed(
        &self,
        name: &str,
        ask: &Narrower,
        min: chrono::Duration,
    ) -> Result<TokenSet> {
        ask.check().map_err(Error::BadRequest)?;
        let account = self.account(name)?;
        let config = account.config.clone()?;
        let by_exchange = config.policy.narrow_by.as_deref() == Some("token_exchange");
        let way = narrow::way(&config.grant, ask, by_exchange)?;
        if let Some(token) = self.narrowed_held(&account, ask, min) {
            return Ok(token);
        }
        if way == Way::Refresh && self.team().is_some() {
            return Err(Error::Unsupported(format!(
                "{name} is a team account: a narrower token would be asked with the team's refresh token outside its lease; ask for the account's own token, or give the narrower scope an account of its own"
            )));
        }
        // What the request needs first: the account's own token (its refresh token, what an
        // exchange trades), or its subject's.
        let subject = match (way, config.grant.depends_on()) {
            (Way::Exchange, Some(other)) if !by_exchange => {
                Some(Box::pin(self.get_token(other)).await?)
            }
            _ => None,
        };
        if way == Way::Refresh || by_exchange {
            self.get_token(name).await?;
        }
        let _flight = account.flight.lock().await;
        if let Some(token) = self.narrowed_held(&account, ask, min) {
            return Ok(token);
        }
        if let Some(store) = self.store() {
            let kept = store.kept(name, &ask.kept_field()).await?;
            if let Some(token) = kept.as_ref().and_then(crate::narrow::unsealed) {
                account.narrowed.held().insert(ask.clone(), token);
                if let Some(token) = self.narrowed_held(&account, ask, min) {
                    return Ok(token);
                }
            }
        }
        let own = account.state.held().token.clone();
        let grant = self.resolved(&config.grant, false).await?;
        let started = self.now();
        // The request runs as a task of its own, as a refresh does: a bug in reading the
        // answer is this call's `internal` error, never the engine's end.
        let (engine, asked) = (self.clone(), ask.clone());
        let (access, refresh) = match &own {
            Some(t) => (Some(t.access_token.clone()), t.refresh_token.clone()),
            None => (None, None),
        };
        let presented = refresh.clone();
        let request = async move {
            let own = Own {
                access_token: access.as_ref(),
                refresh_token: refresh.as_ref(),
                subject,
            };
            narrow::obtain(engine.grant_context(), &grant, &asked, own, way).await
        };
        let result = isolated(request)
            .await?
            .map_err(|e| account.redactor().error(e));
        let rotated = rotated(&result, presented.as_ref());
        let result = result.map(|t| only_the_token(t, &account));
        self.record_narrowed(&account, ask, way, started, &result, rotated.as_ref())
            .await;
        if let (Some(rt), Some(own)) = (&rotated, account.state.held().token.as_mut()) {
            own.refresh_token = Some(rt.clone());
        }
        let token = result?;
        tracing::info!(account = %name, asked = %ask.describe(), by = way.as_str(), "narrower token");
        account.narrowed.held().insert(ask.clone(), token.clone());
        Ok(token)
    }

    /// A narrower token a tool's server refused (git's `erase`) is forgotten, so that the
    /// next call asks anew; says whether `token` was one.
    pub(crate) async fn forget_narrowed(&self, account: &Account, token: &str) -> Result<bool> {
        let refused: Vec<Narrower> = account
            .narrowed
            .held()
            .iter()
            .filter(|(_, t)| t.access_token.expose() == token)
            .map(|(ask, _)| ask.clone())
            .collect();
        for ask in &refused {
            account.narrowed.held().remove(ask);
            if let Some(store) = self.store() {
                store.forget_kept(&account.name, &ask.kept_field()).await?;
            }
        }
        Ok(!refused.is_empty())
    }

    /// The narrower token held for `ask`, while it serves a call that needs it `min` longer.
    fn narrowed_held(
        &self,
        account: &Account,
        ask: &Narrower,
        min: chrono::Duration,
    ) -> Option<TokenSet> {
        let margin = account.rules(&self.settings()).margin;
        let now = self.now();
        let held = account.narrowed.held();
        let token = held.get(ask)?;
        crate::narrow::usable(token, now, min, margin).then(|| token.clone())
    }

    /// Writes what one narrowing did (the rotated refresh token first of all); a store that
    /// cannot be written is logged and the token still served, as a refresh's would be.
    async fn record_narrowed(
        &self,
        account: &Account,
        ask: &Narrower,
        way: Way,
        started: chrono::DateTime<chrono::Utc>,
        result: &Result<TokenSet>,
        rotated: Option<&Secret>,
    ) {
        let (Some(store), Some(id)) = (self.store(), account.id) else {
            return;
        };
        let sealed = result.as_ref().ok().map(crate::narrow::sealed);
        let field = ask.kept_field();
        let asked = format!("{} by {}", ask.describe(), way.as_str());
        let record = NarrowRecord {
            account_id: id,
            started_at: started,
            finished_at: self.now(),
            result: result.as_ref().map(|t| t.expires_at),
            asked: &asked,
            kept: sealed.as_ref().map(|s| (field.as_str(), s)),
            rotated_refresh_token: rotated,
        };
        if let Err(e) = store.record_narrowed(record).await {
            tracing::error!(account = %account.name, code = %e.code(), "could not save a narrower token: {e}");
        }
    }
}

/// The refresh token the answer rotated, when it differs from the one presented (an answer
/// without one keeps the presented one: RFC 6749 §6).
fn rotated(result: &Result<TokenSet>, presented: Option<&Secret>) -> Option<Secret> {
    let new = match result {
        Ok(t) => t.refresh_token.as_ref()?,
        Err(Error::UnusableWithRefreshToken { refresh_token, .. }) => refresh_token,
        Err(_) => return None,
    };
    let presented = presented?;
    (new.expose() != presented.expose()).then(|| new.clone())
}

/// The narrower token alone (its refresh and ID tokens are the account's business), never
/// served forever.
fn only_the_token(token: TokenSet, account: &Account) -> TokenSet {
    TokenSet {
        refresh_token: None,
        refresh_expires_at: None,
        id_token: None,
        ..token
    }
    .with_stated_or_assumed_expiry(account.default_lifetime())
}
