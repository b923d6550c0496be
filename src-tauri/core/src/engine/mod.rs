//! The engine handle: a cheap, cloneable handle over the accounts and their tokens, the
//! background refresh loop ([`crate::scheduler`]), and the event bus that the desktop shell and
//! the CLI subscribe to. Its state is private; other modules reach it through methods.
//!
//! Locks, in the one order they may nest (std locks are never held across an `.await`):
//! `accounts` → an account's `state` → `settings`. `plans` and `warned` are taken alone.
//! An account's async `flight` lock is taken before any of them and held for a whole refresh;
//! the `in_flight` permit is taken inside the flight.

mod aws;
mod discovered;
mod editor;
mod entry;
mod guard;
mod heard;
mod id_token;
mod keys;
mod lending;
mod login;
mod narrow;
mod open;
mod plans;
mod refresh;
mod renew;
pub mod scheduler;
mod team;
mod tools;

pub(crate) use entry::{lifetime, Account};
pub(crate) use guard::{caught, isolated};
pub use keys::PublicKey;
pub use open::GrantRenewer;

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::grant;
use crate::held::HeldRw;
use crate::lock::DirLock;
use crate::secret::Secret;
use crate::settings::Settings;
use crate::store::{HistoryEntry, Store};
use crate::token::TokenSet;
use crate::view::{AccountView, ErrorView, Event, Revocation};
use crate::AccountConfig;
use chrono::{DateTime, Utc};
use plans::{Plans, Warned};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use tokio::sync::{broadcast, OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

/// Refreshes in flight at once, so that many accounts do not open many connections.
const MAX_IN_FLIGHT: usize = 16;

/// How the engine gets a new token for an account. Production uses the grants
/// ([`GrantRenewer`]); the scheduler's tests use a scripted stand-in on a fake clock.
pub trait Renew: Send + Sync {
    fn renew<'a>(
        &'a self,
        grant: &'a grant::GrantConfig,
        current: Option<&'a TokenSet>,
        subject: Option<Secret>,
    ) -> Pin<Box<dyn Future<Output = Result<TokenSet>> + Send + 'a>>;
}

/// The engine. Clone it freely; all clones share one engine.
#[derive(Clone)]
pub struct EngineHandle {
    inner: Arc<Inner>,
}

struct Inner {
    clock: Arc<dyn Clock>,
    store: Option<Store>,
    /// Team mode (the store is a database other engines share): this engine's identity.
    team: Option<team::Team>,
    /// Problems found while opening (an unreadable profile, say), for the window to show.
    problems: Vec<ErrorView>,
    _lock: Option<DirLock>,
    /// How tokens are obtained: the grants, or a test's stand-in.
    renewer: Arc<dyn Renew>,
    /// The shared HTTP client, for what a person starts (logins, revocation, tests).
    http: reqwest::Client,
    /// Defaults for every account, and the desktop's preferences.
    settings: RwLock<Settings>,
    accounts: RwLock<BTreeMap<String, Arc<Account>>>,
    events: broadcast::Sender<Event>,
    /// When to look at which account next (refresh or warning).
    plans: Plans,
    /// Expiry warnings already sent.
    warned: Warned,
    cancel: CancellationToken,
    in_flight: Semaphore,
    /// Refresh tasks the loop may have started and not yet finished: a bound on live tasks
    /// (and their memory) when thousands of accounts are due at once.
    loop_slots: Arc<Semaphore>,
    /// Who may take a token: the lock, the approvals waiting and given.
    lending: lending::Lending,
    /// The issuers' metadata, for accounts given by their issuer.
    discovered: discovered::Discovered,
}

impl EngineHandle {
    /// Problems found while opening, for the window.
    pub fn problems(&self) -> &[ErrorView] {
        &self.inner.problems
    }

    /// An account's refresh history, newest first, a page at a time.
    pub async fn history(
        &self,
        name: &str,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<HistoryEntry>> {
        self.account(name)?;
        match &self.inner.store {
            Some(store) => store.history(name, before_id, limit).await,
            None => Ok(vec![]),
        }
    }

    /// Stops the loop, lets the refreshes under way finish and be written (a refresh token
    /// the server has just rotated is not dropped at a clean stop; at most 10 s), then
    /// flushes the store.
    pub async fn close(&self) {
        self.shutdown();
        let all = self.inner.in_flight.acquire_many(MAX_IN_FLIGHT as u32);
        let held = tokio::time::timeout(std::time::Duration::from_secs(10), all).await;
        if held.is_err() {
            tracing::warn!("refreshes still under way after 10 s: stopping without them");
        }
        // No refresh starts after this: each is told the engine is shutting down.
        self.inner.in_flight.close();
        drop(held);
        self.flush_audit().await;
        if let Some(store) = &self.inner.store {
            store.close().await;
        }
    }

    /// Asks the loop to look at the clock again now, e.g. when the system says it resumed
    /// from sleep (the watchdog would notice within 5 s anyway).
    pub fn nudge(&self) {
        self.inner.plans.wake();
    }

    /// Fires when the engine shuts down (for servers that run beside it).
    pub fn stopped(&self) -> CancellationToken {
        self.inner.cancel.clone()
    }

    /// Stops the background loop.
    pub fn shutdown(&self) {
        self.inner.cancel.cancel();
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.events.subscribe()
    }

    pub fn list(&self) -> Vec<AccountView> {
        let (now, settings) = (self.now(), self.settings());
        self.inner
            .accounts
            .read_held()
            .values()
            .map(|a| a.view(now, &settings))
            .collect()
    }

    /// One account as the UI shows it.
    pub fn view(&self, name: &str) -> Result<AccountView> {
        Ok(self.account(name)?.view(self.now(), &self.settings()))
    }

    /// The settings that apply to every account unless it says otherwise.
    pub fn settings(&self) -> Settings {
        self.inner.settings.read_held().clone()
    }

    /// A valid access token for the account: from memory when it is not yet due, else after
    /// a refresh (shared with any refresh already in flight). A token still valid is served
    /// when the refresh fails; an expired one never is.
    pub async fn get_token(&self, name: &str) -> Result<Secret> {
        self.get_token_valid_for(name, chrono::Duration::zero())
            .await
    }

    /// As [`EngineHandle::get_token`], but the token must stay valid for at least `min`: one
    /// that expires sooner is refreshed first (`tokentray token --min-valid 60s`).
    pub async fn get_token_valid_for(&self, name: &str, min: chrono::Duration) -> Result<Secret> {
        let account = self.account(name)?;
        if let Some(token) = account.fresh(self.now(), min) {
            return Ok(token);
        }
        let _flight = account.flight.lock().await;
        // Whoever held the flight before us may have refreshed already.
        if let Some(token) = account.fresh(self.now(), min) {
            return Ok(token);
        }
        match self.refresh_locked(&account).await {
            Ok(token) => Ok(token),
            Err(e) => account
                .valid_token(crate::time::after(self.now(), min))
                .ok_or(e),
        }
    }

    /// Refreshes now, whether due or not.
    pub async fn refresh(&self, name: &str) -> Result<()> {
        let account = self.account(name)?;
        let _flight = account.flight.lock().await;
        self.refresh_locked(&account).await.map(drop)
    }

    /// Adds an account, or replaces the one of the same name (a changed account starts
    /// afresh: new settings, no token, no warnings fired).
    pub async fn put_account(&self, config: AccountConfig) -> Result<()> {
        self.put_account_from(config, "user", None).await
    }

    /// As [`EngineHandle::put_account`], saying where the account came from (`user`, or
    /// `profile` with the digest of its entry, which a renewal keeps).
    pub(crate) async fn put_account_from(
        &self,
        config: AccountConfig,
        source: &str,
        digest: Option<&str>,
    ) -> Result<()> {
        crate::text::check_name(&config.name).map_err(Error::InvalidConfig)?;
        let config = self.with_key(config).await?;
        let now = self.now();
        let id = match &self.inner.store {
            Some(store) => Some(store.put_account(&config, source, digest, now).await?),
            None => None,
        };
        let name = config.name.clone();
        let account = Account::new(id, config, None, now, &self.settings());
        self.inner
            .accounts
            .write_held()
            .insert(name.clone(), Arc::new(account));
        self.inner.warned.forget(&name);
        self.plan(&name, now);
        self.emit(None, Event::AccountChanged { account: name });
        self.announce("accounts").await;
        Ok(())
    }

    /// Brings in the accounts of a TOML text (`[[account]]` tables, as in a profile). It is
    /// read and checked whole first: one bad entry (with its line) and nothing is imported.
    pub async fn import(&self, text: &str) -> Result<Vec<String>> {
        let profile = crate::Profile::parse(text)?;
        let mut names = Vec::new();
        for account in profile.account {
            names.push(account.name.clone());
            self.put_account(account).await?;
        }
        Ok(names)
    }

    /// Removes an account and everything stored about it, first revoking its tokens at the
    /// server when the account names a revocation endpoint (RFC 7009). The account goes even
    /// if the revocation fails; the outcome says what happened.
    pub async fn remove_account(&self, name: &str) -> Result<Revocation> {
        let account = self.account(name)?;
        let _flight = account.flight.lock().await;
        let revocation = self.revoke(&account).await;
        if let Some(store) = &self.inner.store {
            store.remove_account(name).await?;
        }
        self.inner.accounts.write_held().remove(name);
        self.emit(
            None,
            Event::AccountChanged {
                account: name.to_string(),
            },
        );
        self.announce("accounts").await;
        Ok(revocation)
    }

    // What the rest of the crate reaches the engine through.

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    /// What a grant needs to talk to a server.
    pub(crate) fn grant_context(&self) -> grant::Context<'_> {
        grant::Context {
            http: &self.inner.http,
            clock: &*self.inner.clock,
        }
    }

    pub(crate) fn store(&self) -> Option<&Store> {
        self.inner.store.as_ref()
    }

    pub(crate) fn replace_settings(&self, settings: Settings) {
        *self.inner.settings.write_held() = settings;
    }

    pub(crate) fn account(&self, name: &str) -> Result<Arc<Account>> {
        self.inner
            .accounts
            .read_held()
            .get(name)
            .cloned()
            .ok_or_else(|| Error::NotFound(name.to_string()))
    }

    /// The account's own settings beside its grant ([`crate::account::Policy`]).
    pub fn policy(&self, name: &str) -> Result<crate::account::Policy> {
        let account = self.account(name)?;
        let config = account.config.as_ref().map_err(Clone::clone)?;
        Ok(config.policy.clone())
    }

    pub(crate) fn names(&self) -> Vec<String> {
        let accounts = self.inner.accounts.read_held();
        accounts.keys().cloned().collect()
    }

    /// Publishes `event` of `account` (none for one added or removed), and runs the hook
    /// that should hear it: the account's own `on_event`, else the app's.
    pub(crate) fn emit(&self, account: Option<&Account>, event: Event) {
        let hook = crate::hooks::told(&event).and_then(|env| {
            let own = account
                .and_then(|a| a.config.as_ref().ok())
                .and_then(|c| c.policy.on_event.clone());
            let command =
                own.or_else(|| Some(self.settings().on_event).filter(|c| !c.is_empty()))?;
            Some((command, env))
        });
        if let Some((command, env)) = hook {
            crate::hooks::run(event.account(), &command, env);
        }
        // Nobody listening is fine.
        let _ = self.inner.events.send(event);
    }

    /// Asks the loop to look at an account at `at` (a refresh or a warning).
    pub(crate) fn plan(&self, name: &str, at: DateTime<Utc>) {
        self.inner.plans.plan(name, at);
    }

    /// Every account looked at now (after a clock jump, or new settings).
    pub(crate) fn replan_all(&self, now: DateTime<Utc>) {
        self.inner.plans.plan_all(self.names(), now);
    }

    pub(crate) fn plans(&self) -> &Plans {
        &self.inner.plans
    }

    /// Records that a warning was said; `false` when it had been already.
    pub(crate) fn warn_once(&self, name: &str, expires_at: DateTime<Utc>, threshold: u64) -> bool {
        self.inner.warned.insert(name, expires_at, threshold)
    }

    pub(crate) fn cancelled(&self) -> tokio_util::sync::WaitForCancellationFuture<'_> {
        self.inner.cancel.cancelled()
    }

    /// A slot for one more refresh task of the loop's, waiting while too many run.
    pub(crate) async fn loop_slot(&self) -> Option<OwnedSemaphorePermit> {
        self.inner.loop_slots.clone().acquire_owned().await.ok()
    }
}
