//! The engine handle: a cheap, cloneable handle over the accounts and their tokens, the
//! background refresh loop, and the event bus that the desktop shell and the CLI subscribe to.

use crate::account::{AccountConfig, Profile};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::lock::{self, DirLock};
use crate::schedule::{backoff, due_at, DEFAULT_MARGIN};
use crate::secret::Secret;
use crate::store::{HistoryEntry, RefreshRecord, Store, StoredState};
use crate::token::TokenSet;
use crate::vault::KeySource;
use crate::{grant, http};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use tokio::sync::{broadcast, Notify, Semaphore};
use tokio_util::sync::CancellationToken;

/// How often the refresh loop looks at the wall clock even with nothing due: the monotonic
/// clock tokio sleeps on stops while a laptop is suspended, the wall clock does not.
const WATCHDOG: std::time::Duration = std::time::Duration::from_secs(5);
/// Refreshes in flight at once, so that many accounts do not open many connections.
const MAX_IN_FLIGHT: usize = 16;

/// What happened, for the UI, notifications, the tray and scripts.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A new token was obtained.
    Refreshed {
        account: String,
        expires_at: Option<DateTime<Utc>>,
    },
    /// A refresh failed for a reason that may pass; it will be retried.
    RefreshFailed {
        account: String,
        code: String,
        message: String,
    },
    /// The server refused for good: the person must fix the account or log in again.
    NeedsReauth {
        account: String,
        code: String,
        message: String,
    },
}

/// An account's state at a glance.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    /// No token yet.
    Pending,
    /// A valid token is held.
    Ok,
    /// A refresh failed transiently; the held token is still valid and served.
    Retrying,
    /// A refresh failed transiently and no valid token is held.
    Failing,
    /// The server refused, or a login is needed; no retry until the account is fixed.
    NeedsReauth,
    /// A token that cannot renew itself has expired.
    Expired,
}

/// What the UI and `tokentray list` show of an account: no secret in it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountView {
    pub name: String,
    pub grant: String,
    pub status: AccountStatus,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_refresh: Option<DateTime<Utc>>,
    pub scope: Option<String>,
    pub error: Option<ErrorView>,
}

/// An error as the UI sees it: a stable code and words.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ErrorView {
    pub code: String,
    pub message: String,
}

impl From<&Error> for ErrorView {
    fn from(e: &Error) -> Self {
        ErrorView {
            code: e.code().to_string(),
            message: e.to_string(),
        }
    }
}

struct Account {
    /// The store's row id, when the engine has a store.
    id: Option<i64>,
    name: String,
    kind: String,
    /// The settings, or why they cannot be used (e.g. secrets sealed under a lost key).
    config: std::result::Result<AccountConfig, Error>,
    state: Mutex<State>,
    /// Held while a refresh runs: concurrent callers wait for it and share its result.
    flight: tokio::sync::Mutex<()>,
}

struct State {
    token: Option<TokenSet>,
    status: AccountStatus,
    error: Option<ErrorView>,
    last_refresh: Option<DateTime<Utc>>,
    /// When the loop should refresh next; `None` = never on its own.
    next_attempt: Option<DateTime<Utc>>,
    failures: u32,
}

impl State {
    fn valid_token(&self, now: DateTime<Utc>) -> Option<&TokenSet> {
        self.token
            .as_ref()
            .filter(|t| t.expires_at.is_none_or(|e| e > now))
    }
}

struct Inner {
    clock: Arc<dyn Clock>,
    store: Option<Store>,
    /// Problems found while opening (an unreadable profile, say), for the window to show.
    problems: Vec<ErrorView>,
    _lock: Option<DirLock>,
    http: reqwest::Client,
    accounts: BTreeMap<String, Arc<Account>>,
    events: broadcast::Sender<Event>,
    wake: Notify,
    cancel: CancellationToken,
    in_flight: Semaphore,
}

/// The engine. Clone it freely; all clones share one engine.
#[derive(Clone)]
pub struct EngineHandle {
    inner: Arc<Inner>,
}

impl EngineHandle {
    /// An engine over these accounts. Nothing happens in the background until
    /// [`EngineHandle::spawn_refresh_loop`]; `get_token` works either way.
    pub fn new(profile: Profile, clock: Arc<dyn Clock>) -> EngineHandle {
        let now = clock.now();
        let accounts = profile
            .account
            .into_iter()
            .map(|config| {
                Account::new(
                    None,
                    config.name.clone(),
                    config.grant.kind().into(),
                    Ok(config),
                    None,
                    now,
                )
            })
            .collect();
        EngineHandle::assemble(clock, accounts, None, vec![], None)
    }

    /// The engine for a data directory: takes its lock, opens its store (and the vault with
    /// `key`), brings in `profile.toml` when it changed, and loads every account with the
    /// token state it had, so a restart neither loses nor repeats a refresh.
    pub async fn open(home: &Path, key: KeySource, clock: Arc<dyn Clock>) -> Result<EngineHandle> {
        create_private_dir(home)?;
        let lock = lock::acquire(home)?;
        let store = Store::open(home, key).await?;
        let now = clock.now();
        let mut problems = Vec::new();
        if let Err(lost) = store.vault() {
            problems.push(ErrorView::from(&lost));
        }
        let profile = home.join(crate::home::PROFILE_FILE);
        if profile.exists() && store.vault().is_ok() {
            if let Err(e) = sync_profile(&store, &profile, now).await {
                tracing::error!(code = e.code(), "{e}");
                problems.push(ErrorView::from(&e));
            }
        }
        let mut accounts = Vec::new();
        for stored in store.accounts().await? {
            if let Err(e) = &stored.config {
                tracing::warn!(account = %stored.name, code = e.code(), "{e}");
            }
            accounts.push(Account::new(
                Some(stored.id),
                stored.name,
                stored.grant_kind,
                stored.config,
                stored.state,
                now,
            ));
        }
        Ok(EngineHandle::assemble(
            clock,
            accounts,
            Some(store),
            problems,
            Some(lock),
        ))
    }

    fn assemble(
        clock: Arc<dyn Clock>,
        accounts: Vec<Account>,
        store: Option<Store>,
        problems: Vec<ErrorView>,
        lock: Option<DirLock>,
    ) -> EngineHandle {
        let (events, _) = broadcast::channel(1024);
        EngineHandle {
            inner: Arc::new(Inner {
                clock,
                store,
                problems,
                _lock: lock,
                http: http::client(),
                accounts: accounts
                    .into_iter()
                    .map(|a| (a.name.clone(), Arc::new(a)))
                    .collect(),
                events,
                wake: Notify::new(),
                cancel: CancellationToken::new(),
                in_flight: Semaphore::new(MAX_IN_FLIGHT),
            }),
        }
    }

    /// An engine with no accounts that says why the real one could not open (a locked
    /// keyring, another engine running): the window shows it instead of failing to start.
    pub fn unavailable(problem: &Error, clock: Arc<dyn Clock>) -> EngineHandle {
        EngineHandle::assemble(clock, vec![], None, vec![problem.into()], None)
    }

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

    /// Stops the loop and flushes the store.
    pub async fn close(&self) {
        self.shutdown();
        if let Some(store) = &self.inner.store {
            store.close().await;
        }
    }

    /// Starts the background loop that refreshes every token before it expires. Call it
    /// inside a tokio runtime.
    pub fn spawn_refresh_loop(&self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(self.clone().run_refresh_loop())
    }

    /// The background loop itself, for a runtime the caller owns (the desktop shell's).
    pub async fn run_refresh_loop(self) {
        self.refresh_loop().await
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
        self.inner.accounts.values().map(|a| view(a)).collect()
    }

    /// A valid access token for the account: from memory when it is not yet due, else after
    /// a refresh (shared with any refresh already in flight). A token still valid is served
    /// when the refresh fails; an expired one never is.
    pub async fn get_token(&self, name: &str) -> Result<Secret> {
        let account = self.account(name)?;
        if let Some(token) = self.fresh(&account) {
            return Ok(token);
        }
        let _flight = account.flight.lock().await;
        // Whoever held the flight before us may have refreshed already.
        if let Some(token) = self.fresh(&account) {
            return Ok(token);
        }
        match self.refresh_locked(&account).await {
            Ok(token) => Ok(token),
            Err(e) => {
                let state = account.state.lock().expect("state poisoned");
                match state.valid_token(self.inner.clock.now()) {
                    Some(t) => Ok(t.access_token.clone()),
                    None => Err(e),
                }
            }
        }
    }

    /// Refreshes now, whether due or not.
    pub async fn refresh(&self, name: &str) -> Result<()> {
        let account = self.account(name)?;
        let _flight = account.flight.lock().await;
        self.refresh_locked(&account).await.map(drop)
    }

    fn account(&self, name: &str) -> Result<Arc<Account>> {
        self.inner
            .accounts
            .get(name)
            .cloned()
            .ok_or_else(|| Error::NotFound(name.to_string()))
    }

    /// The held token if it is valid and not yet due for refresh.
    fn fresh(&self, account: &Account) -> Option<Secret> {
        let now = self.inner.clock.now();
        let state = account.state.lock().expect("state poisoned");
        let due = state.next_attempt.is_some_and(|at| at <= now);
        state
            .valid_token(now)
            .filter(|_| !due)
            .map(|t| t.access_token.clone())
    }

    /// One token request; the caller holds `account.flight`.
    async fn refresh_locked(&self, account: &Account) -> Result<Secret> {
        let _permit = self
            .inner
            .in_flight
            .acquire()
            .await
            .map_err(|_| Error::ShuttingDown)?;
        let started = self.inner.clock.now();
        let grant = match &account.config {
            Ok(config) => &config.grant,
            Err(e) => return self.record(account, started, Err(e.clone())).await,
        };
        // Token exchange needs the subject account's token first (cycles are refused at load).
        let subject = match grant.depends_on() {
            Some(other) => match Box::pin(self.get_token(other)).await {
                Ok(token) => Some(token),
                Err(e) => return self.record(account, started, Err(e)).await,
            },
            None => None,
        };
        let current = account.state.lock().expect("state poisoned").token.clone();
        let ctx = grant::Context {
            http: &self.inner.http,
            clock: &*self.inner.clock,
        };
        let result = grant::renew(ctx, grant, current.as_ref(), subject).await;
        self.record(account, started, result).await
    }

    /// Takes a refresh's outcome into the account's state and tells the subscribers.
    /// The store is written first: a rotated refresh token is on disk before anyone uses
    /// the new access token. If it cannot be written (a full disk), the new tokens are still
    /// held and served, and the failure is logged and reported.
    async fn record(
        &self,
        account: &Account,
        started: DateTime<Utc>,
        result: Result<TokenSet>,
    ) -> Result<Secret> {
        let now = self.inner.clock.now();
        let status = status_after(account, &result, now);
        if let (Some(store), Some(id)) = (&self.inner.store, account.id) {
            let record = RefreshRecord {
                account_id: id,
                started_at: started,
                finished_at: now,
                result: result.as_ref(),
                status: status.as_str(),
            };
            if let Err(e) = store.record_refresh(record).await {
                tracing::error!(account = %account.name, code = e.code(), "could not save the refresh: {e}");
                let _ = self.inner.events.send(Event::RefreshFailed {
                    account: account.name.clone(),
                    code: e.code().into(),
                    message: e.to_string(),
                });
            }
        }
        let name = account.name.clone();
        let mut state = account.state.lock().expect("state poisoned");
        let event = match &result {
            Ok(token) => {
                state.next_attempt = match token.expires_at {
                    Some(exp) if account.renews_itself() => Some(due_at(
                        token.issued_at,
                        exp,
                        DEFAULT_MARGIN,
                        fastrand::f64(),
                    )),
                    // A token that cannot renew itself is looked at again when it expires.
                    Some(exp) => Some(exp),
                    None => None,
                };
                state.token = Some(token.clone());
                state.status = status;
                state.error = None;
                state.failures = 0;
                state.last_refresh = Some(now);
                Event::Refreshed {
                    account: name,
                    expires_at: token.expires_at,
                }
            }
            Err(e) if e.is_transient() => {
                state.failures += 1;
                let wait = backoff(state.failures, fastrand::f64(), e.retry_after());
                state.next_attempt =
                    Some(now + chrono::Duration::from_std(wait).unwrap_or_default());
                state.status = status;
                state.error = Some(e.into());
                Event::RefreshFailed {
                    account: name,
                    code: e.code().into(),
                    message: e.to_string(),
                }
            }
            Err(e) => {
                state.next_attempt = None;
                state.status = status;
                state.error = Some(e.into());
                Event::NeedsReauth {
                    account: name,
                    code: e.code().into(),
                    message: e.to_string(),
                }
            }
        };
        drop(state);
        match &event {
            Event::Refreshed { account, .. } => tracing::info!(%account, "token refreshed"),
            other => tracing::warn!(?other, "token refresh failed"),
        }
        // Nobody listening is fine.
        let _ = self.inner.events.send(event);
        self.inner.wake.notify_one();
        result.map(|t| t.access_token)
    }

    async fn refresh_loop(&self) {
        loop {
            let now = self.inner.clock.now();
            let mut next: Option<DateTime<Utc>> = None;
            for account in self.inner.accounts.values() {
                let at = account.state.lock().expect("state poisoned").next_attempt;
                match at {
                    Some(at) if at <= now => self.spawn_refresh(account.clone()),
                    Some(at) => next = Some(next.map_or(at, |n| n.min(at))),
                    None => {}
                }
            }
            let sleep = next
                .and_then(|n| (n - now).to_std().ok())
                .map_or(WATCHDOG, |d| d.min(WATCHDOG));
            tokio::select! {
                _ = self.inner.cancel.cancelled() => return,
                _ = self.inner.wake.notified() => {}
                _ = tokio::time::sleep(sleep) => {}
            }
        }
    }

    fn spawn_refresh(&self, account: Arc<Account>) {
        // Planned again when this refresh finishes; until then the loop leaves it alone.
        account.state.lock().expect("state poisoned").next_attempt = None;
        let engine = self.clone();
        tokio::spawn(async move {
            let _flight = account.flight.lock().await;
            // A caller that refreshed while we waited has planned the next attempt already.
            let still_ours = account
                .state
                .lock()
                .expect("state poisoned")
                .next_attempt
                .is_none();
            if still_ours {
                let _ = engine.refresh_locked(&account).await;
            }
        });
    }
}

fn view(account: &Account) -> AccountView {
    let state = account.state.lock().expect("state poisoned");
    AccountView {
        name: account.name.clone(),
        grant: account.kind.clone(),
        status: state.status,
        expires_at: state.token.as_ref().and_then(|t| t.expires_at),
        last_refresh: state.last_refresh,
        scope: state.token.as_ref().and_then(|t| t.scope.clone()),
        error: state.error.clone(),
    }
}

impl Account {
    fn new(
        id: Option<i64>,
        name: String,
        kind: String,
        config: std::result::Result<AccountConfig, Error>,
        stored: Option<StoredState>,
        now: DateTime<Utc>,
    ) -> Account {
        let mut state = State {
            token: None,
            status: AccountStatus::Pending,
            error: None,
            last_refresh: None,
            next_attempt: Some(now),
            failures: 0,
        };
        if let Some(stored) = stored {
            state.status = AccountStatus::from_str(&stored.status);
            state.error = stored
                .error
                .map(|(code, message)| ErrorView { code, message });
            state.last_refresh = stored.last_refresh;
            // A held token is planned as if just received; a permanent failure waits for the person.
            state.next_attempt = match (&stored.token, state.status) {
                (_, AccountStatus::NeedsReauth | AccountStatus::Expired) => None,
                (Some(t), _) => match t.expires_at {
                    Some(exp) if config.as_ref().is_ok_and(|c| c.grant.renews_itself()) => {
                        Some(due_at(t.issued_at, exp, DEFAULT_MARGIN, fastrand::f64()))
                    }
                    Some(exp) => Some(exp),
                    None => None,
                },
                (None, _) => Some(now),
            };
            state.token = stored.token;
        }
        if let Err(e) = &config {
            state.status = AccountStatus::NeedsReauth;
            state.error = Some(e.into());
            state.next_attempt = None;
        }
        Account {
            id,
            name,
            kind,
            config,
            state: Mutex::new(state),
            flight: Default::default(),
        }
    }

    fn renews_itself(&self) -> bool {
        self.config.as_ref().is_ok_and(|c| c.grant.renews_itself())
    }
}

/// The status an outcome leaves the account in.
fn status_after(account: &Account, result: &Result<TokenSet>, now: DateTime<Utc>) -> AccountStatus {
    match result {
        Ok(_) => AccountStatus::Ok,
        Err(Error::Expired(_)) => AccountStatus::Expired,
        Err(e) if e.is_transient() => {
            let state = account.state.lock().expect("state poisoned");
            if state.valid_token(now).is_some() {
                AccountStatus::Retrying
            } else {
                AccountStatus::Failing
            }
        }
        Err(_) => AccountStatus::NeedsReauth,
    }
}

impl AccountStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            AccountStatus::Pending => "pending",
            AccountStatus::Ok => "ok",
            AccountStatus::Retrying => "retrying",
            AccountStatus::Failing => "failing",
            AccountStatus::NeedsReauth => "needs_reauth",
            AccountStatus::Expired => "expired",
        }
    }

    fn from_str(s: &str) -> AccountStatus {
        match s {
            "ok" => AccountStatus::Ok,
            "retrying" => AccountStatus::Retrying,
            "failing" => AccountStatus::Failing,
            "needs_reauth" => AccountStatus::NeedsReauth,
            "expired" => AccountStatus::Expired,
            _ => AccountStatus::Pending,
        }
    }
}

/// The data directory is the user's alone (0700).
fn create_private_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::Storage(format!("cannot create {}: {e}", dir.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| Error::Storage(format!("cannot restrict {}: {e}", dir.display())))?;
    }
    Ok(())
}

/// Brings `profile.toml` into the store. An entry that has not changed since it was last
/// brought in is left alone (its token state and rotated refresh token stay); a changed one
/// replaces the stored account; an account that came from the profile and is no longer in it
/// is removed. Accounts added in the app or the CLI are never touched.
async fn sync_profile(store: &Store, path: &Path, now: DateTime<Utc>) -> Result<()> {
    let profile = Profile::load(path)?;
    let stored = store.accounts().await?;
    for account in &profile.account {
        let canonical = serde_json::json!({
            "name": account.name,
            "settings": account.settings,
            "secrets": account.secrets.iter().map(|(k, v)| (k.clone(), v.expose().to_string())).collect::<BTreeMap<_, _>>(),
        });
        let digest = store.vault()?.digest(canonical.to_string().as_bytes());
        let same = stored
            .iter()
            .any(|s| s.name == account.name && s.source_digest.as_deref() == Some(digest.as_str()));
        if !same {
            store
                .put_account(account, "profile", Some(&digest), now)
                .await?;
            tracing::info!(account = %account.name, "account brought in from the profile");
        }
    }
    for gone in stored
        .iter()
        .filter(|s| s.source == "profile" && !profile.account.iter().any(|a| a.name == s.name))
    {
        store.remove_account(&gone.name).await?;
        tracing::info!(account = %gone.name, "account removed: no longer in the profile");
    }
    Ok(())
}
