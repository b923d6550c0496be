//! The engine handle: a cheap, cloneable handle over the accounts and their tokens, the
//! background refresh loop, and the event bus that the desktop shell and the CLI subscribe to.

use crate::account::{AccountConfig, Profile};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::lock::{self, DirLock};
use crate::schedule::{backoff, due_at};
use crate::secret::Secret;
use crate::settings::Settings;
use crate::store::{HistoryEntry, RefreshRecord, Store, StoredState};
use crate::token::TokenSet;
use crate::vault::KeySource;
use crate::{grant, http};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::{broadcast, Notify, Semaphore};
use tokio_util::sync::CancellationToken;

/// Refreshes in flight at once, so that many accounts do not open many connections.
const MAX_IN_FLIGHT: usize = 16;

/// What happened, for the UI, notifications, the tray and scripts.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
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
    /// A token that cannot renew itself expires within `threshold_secs` (sent once per
    /// token and threshold, across restarts).
    ExpiryWarning {
        account: String,
        expires_at: DateTime<Utc>,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        threshold_secs: u64,
    },
    /// A token that cannot renew itself has expired; it is no longer served.
    Expired {
        account: String,
        expired_at: DateTime<Utc>,
    },
    /// An account was added, changed or removed.
    AccountChanged { account: String },
}

/// An account's state at a glance.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
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
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountView {
    pub name: String,
    pub grant: String,
    pub status: AccountStatus,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_refresh: Option<DateTime<Utc>>,
    /// When the engine will refresh next on its own, if it will.
    pub next_refresh: Option<DateTime<Utc>>,
    pub scope: Option<String>,
    pub error: Option<ErrorView>,
}

impl AccountView {
    /// The status as written in JSON and shown by the CLI (`needs_reauth`, ...).
    pub fn status_str(&self) -> &'static str {
        self.status.as_str()
    }
}

/// What removing an account did at the server.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "revocation", rename_all = "snake_case")]
pub enum Revocation {
    /// Its tokens were revoked.
    Revoked,
    /// The account names no revocation endpoint.
    NotOffered,
    /// No token was held, so there was nothing to revoke.
    NothingHeld,
    /// The server did not revoke; the account was removed all the same.
    Failed(ErrorView),
}

/// An error as the UI sees it: a stable code and words.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
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

pub(crate) struct Account {
    /// The store's row id, when the engine has a store.
    pub(crate) id: Option<i64>,
    pub(crate) name: String,
    pub(crate) kind: String,
    /// The settings, or why they cannot be used (e.g. secrets sealed under a lost key).
    pub(crate) config: std::result::Result<AccountConfig, Error>,
    pub(crate) state: Mutex<State>,
    /// Held while a refresh runs: concurrent callers wait for it and share its result.
    pub(crate) flight: tokio::sync::Mutex<()>,
}

pub(crate) struct State {
    pub(crate) token: Option<TokenSet>,
    pub(crate) status: AccountStatus,
    pub(crate) error: Option<ErrorView>,
    pub(crate) last_refresh: Option<DateTime<Utc>>,
    /// When the loop should refresh next; `None` = never on its own.
    pub(crate) next_attempt: Option<DateTime<Utc>>,
    pub(crate) failures: u32,
}

impl State {
    fn valid_token(&self, now: DateTime<Utc>) -> Option<&TokenSet> {
        self.token
            .as_ref()
            .filter(|t| t.expires_at.is_none_or(|e| e > now))
    }
}

pub(crate) struct Inner {
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) store: Option<Store>,
    /// Problems found while opening (an unreadable profile, say), for the window to show.
    problems: Vec<ErrorView>,
    _lock: Option<DirLock>,
    /// How tokens are obtained: the grants, or a test's stand-in.
    renewer: Arc<dyn Renew>,
    /// The shared HTTP client, for what a person starts (logins, revocation).
    pub(crate) http: reqwest::Client,
    /// Defaults for every account, and the desktop's preferences.
    pub(crate) settings: RwLock<Settings>,
    pub(crate) accounts: RwLock<BTreeMap<String, Arc<Account>>>,
    pub(crate) events: broadcast::Sender<Event>,
    /// When to look at which account next (refresh or warning): earliest first.
    pub(crate) queue: Mutex<Plans>,
    pub(crate) wake: Notify,
    pub(crate) cancel: CancellationToken,
    in_flight: Semaphore,
    /// Refresh tasks the loop may have started and not yet finished: a bound on live tasks
    /// (and their memory) when thousands of accounts are due at once.
    pub(crate) loop_slots: Arc<Semaphore>,
    /// Expiry warnings already sent: (account, token expiry, threshold seconds).
    pub(crate) fired: Mutex<HashSet<(String, DateTime<Utc>, u64)>>,
}

/// Planned looks at accounts, earliest first: (when, account name).
pub(crate) type Plans = BinaryHeap<Reverse<(DateTime<Utc>, String)>>;

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

/// The real thing: the grants over the shared HTTP client.
pub struct GrantRenewer {
    pub http: reqwest::Client,
    pub clock: Arc<dyn Clock>,
}

impl Renew for GrantRenewer {
    fn renew<'a>(
        &'a self,
        grant: &'a grant::GrantConfig,
        current: Option<&'a TokenSet>,
        subject: Option<Secret>,
    ) -> Pin<Box<dyn Future<Output = Result<TokenSet>> + Send + 'a>> {
        Box::pin(async move {
            let ctx = grant::Context {
                http: &self.http,
                clock: &*self.clock,
            };
            grant::renew(ctx, grant, current, subject).await
        })
    }
}

/// What an engine is assembled from besides its clock and accounts.
struct Parts {
    store: Option<Store>,
    problems: Vec<ErrorView>,
    lock: Option<DirLock>,
    renewer: Option<Arc<dyn Renew>>,
    http: reqwest::Client,
    settings: Settings,
}

impl Parts {
    /// An engine with no store: in memory, default settings, the grants as renewer.
    fn bare() -> Parts {
        Parts {
            store: None,
            problems: vec![],
            lock: None,
            renewer: None,
            http: http::client(),
            settings: Settings::default(),
        }
    }
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
        EngineHandle::in_memory(profile, clock, None)
    }

    /// An engine over these accounts whose tokens come from `renewer` instead of the grants:
    /// for tests of the scheduler on a fake clock.
    pub fn with_renewer(
        profile: Profile,
        clock: Arc<dyn Clock>,
        renewer: Arc<dyn Renew>,
    ) -> EngineHandle {
        EngineHandle::in_memory(profile, clock, Some(renewer))
    }

    fn in_memory(
        profile: Profile,
        clock: Arc<dyn Clock>,
        renewer: Option<Arc<dyn Renew>>,
    ) -> EngineHandle {
        let now = clock.now();
        let accounts = profile
            .account
            .into_iter()
            .map(|c| {
                Account::new(
                    None,
                    c.name.clone(),
                    c.grant.kind().into(),
                    Ok(c),
                    None,
                    now,
                    &Settings::default(),
                )
            })
            .collect();
        EngineHandle::assemble(
            clock,
            accounts,
            Parts {
                renewer,
                ..Parts::bare()
            },
        )
    }

    /// The engine for a data directory: takes its lock, opens its store (and the vault with
    /// `key`), brings in `profile.toml` when it changed, and loads every account with the
    /// token state it had, so a restart neither loses nor repeats a refresh.
    pub async fn open(home: &Path, key: KeySource, clock: Arc<dyn Clock>) -> Result<EngineHandle> {
        EngineHandle::open_with_http(home, key, clock, http::client()).await
    }

    /// As [`EngineHandle::open`], with the HTTP client given (tests: a test CA, short timeouts).
    pub async fn open_with_http(
        home: &Path,
        key: KeySource,
        clock: Arc<dyn Clock>,
        http: reqwest::Client,
    ) -> Result<EngineHandle> {
        create_private_dir(home)?;
        let lock = lock::acquire(home)?;
        let store = Store::open(home, key).await?;
        let settings = store.settings().await?;
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
                &settings,
            ));
        }
        let fired = store.fired_warnings().await?;
        let engine = EngineHandle::assemble(
            clock,
            accounts,
            Parts {
                store: Some(store),
                problems,
                lock: Some(lock),
                http,
                settings,
                ..Parts::bare()
            },
        );
        {
            let accounts = engine.inner.accounts.read().expect("poisoned");
            let names: HashMap<i64, &String> = accounts
                .values()
                .filter_map(|a| a.id.map(|id| (id, &a.name)))
                .collect();
            let mut set = engine.inner.fired.lock().expect("poisoned");
            for (id, exp, threshold) in fired {
                if let Some(name) = names.get(&id) {
                    set.insert(((*name).clone(), exp, threshold as u64));
                }
            }
        }
        Ok(engine)
    }

    fn assemble(clock: Arc<dyn Clock>, accounts: Vec<Account>, parts: Parts) -> EngineHandle {
        let Parts {
            store,
            problems,
            lock,
            renewer,
            http,
            settings,
        } = parts;
        let (events, _) = broadcast::channel(4096);
        let renewer = renewer.unwrap_or_else(|| {
            Arc::new(GrantRenewer {
                http: http.clone(),
                clock: clock.clone(),
            })
        });
        let mut queue = BinaryHeap::new();
        for a in &accounts {
            // Every account is looked at once at start: due refreshes and pending warnings.
            queue.push(Reverse((clock.now(), a.name.clone())));
        }
        EngineHandle {
            inner: Arc::new(Inner {
                clock,
                store,
                problems,
                _lock: lock,
                renewer,
                http,
                settings: RwLock::new(settings),
                accounts: RwLock::new(
                    accounts
                        .into_iter()
                        .map(|a| (a.name.clone(), Arc::new(a)))
                        .collect(),
                ),
                events,
                queue: Mutex::new(queue),
                wake: Notify::new(),
                cancel: CancellationToken::new(),
                in_flight: Semaphore::new(MAX_IN_FLIGHT),
                loop_slots: Arc::new(Semaphore::new(4 * MAX_IN_FLIGHT)),
                fired: Mutex::new(HashSet::new()),
            }),
        }
    }

    /// An engine with no accounts that says why the real one could not open (a locked
    /// keyring, another engine running): the window shows it instead of failing to start.
    pub fn unavailable(problem: &Error, clock: Arc<dyn Clock>) -> EngineHandle {
        EngineHandle::assemble(
            clock,
            vec![],
            Parts {
                problems: vec![problem.into()],
                ..Parts::bare()
            },
        )
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
        crate::scheduler::run(self).await
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }

    /// Asks the loop to look at the clock again now, e.g. when the system says it resumed
    /// from sleep (the watchdog would notice within 5 s anyway).
    pub fn nudge(&self) {
        self.inner.wake.notify_one();
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
        self.inner
            .accounts
            .read()
            .expect("poisoned")
            .values()
            .map(|a| view(a, self.inner.clock.now()))
            .collect()
    }

    /// One account as the UI shows it.
    pub fn view(&self, name: &str) -> Result<AccountView> {
        Ok(view(&*self.account(name)?, self.inner.clock.now()))
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
        if let Some(token) = self.fresh(&account, min) {
            return Ok(token);
        }
        let _flight = account.flight.lock().await;
        // Whoever held the flight before us may have refreshed already.
        if let Some(token) = self.fresh(&account, min) {
            return Ok(token);
        }
        match self.refresh_locked(&account).await {
            Ok(token) => Ok(token),
            Err(e) => {
                let state = account.state.lock().expect("state poisoned");
                match state.valid_token(self.inner.clock.now() + min) {
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

    /// Adds an account, or replaces the one of the same name (a changed account starts
    /// afresh: new settings, no token, no warnings fired).
    pub async fn put_account(&self, config: AccountConfig) -> Result<()> {
        let now = self.inner.clock.now();
        let id = match &self.inner.store {
            Some(store) => Some(store.put_account(&config, "user", None, now).await?),
            None => None,
        };
        let name = config.name.clone();
        let kind = config.grant.kind().to_string();
        let settings = self.inner.settings.read().expect("poisoned").clone();
        let account = Account::new(id, name.clone(), kind, Ok(config), None, now, &settings);
        self.inner
            .accounts
            .write()
            .expect("poisoned")
            .insert(name.clone(), Arc::new(account));
        self.inner
            .fired
            .lock()
            .expect("poisoned")
            .retain(|(a, _, _)| *a != name);
        self.plan(&name, now);
        let _ = self
            .inner
            .events
            .send(Event::AccountChanged { account: name });
        Ok(())
    }

    /// Brings in the accounts of a TOML text (`[[account]]` tables, as in a profile). It is
    /// read and checked whole first: one bad entry (with its line) and nothing is imported.
    pub async fn import(&self, text: &str) -> Result<Vec<String>> {
        let profile = Profile::parse(text)?;
        let mut names = Vec::new();
        for account in profile.account {
            names.push(account.name.clone());
            self.put_account(account).await?;
        }
        Ok(names)
    }

    /// The accounts as TOML, without their secrets unless asked.
    pub async fn export(&self, with_secrets: bool) -> Result<String> {
        let store = self.inner.store.as_ref().ok_or_else(|| {
            Error::InvalidConfig("this engine has no store to export from".into())
        })?;
        let accounts = store
            .accounts()
            .await?
            .into_iter()
            .map(|stored| stored.config)
            .collect::<Result<Vec<_>>>()?;
        crate::account::to_toml(&accounts, with_secrets)
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
        self.inner.accounts.write().expect("poisoned").remove(name);
        let _ = self.inner.events.send(Event::AccountChanged {
            account: name.to_string(),
        });
        Ok(revocation)
    }

    async fn revoke(&self, account: &Account) -> Revocation {
        let Some((endpoint, client)) = account
            .config
            .as_ref()
            .ok()
            .and_then(|c| c.grant.revocation())
        else {
            return Revocation::NotOffered;
        };
        let token = account.state.lock().expect("state poisoned").token.clone();
        let Some(token) = token else {
            return Revocation::NothingHeld;
        };
        let ctx = grant::Context {
            http: &self.inner.http,
            clock: &*self.inner.clock,
        };
        let mut held = Vec::new();
        if let Some(rt) = &token.refresh_token {
            held.push((rt, grant::revocation::Hint::RefreshToken));
        }
        held.push((&token.access_token, grant::revocation::Hint::AccessToken));
        for (secret, hint) in held {
            if let Err(e) = grant::revocation::revoke(ctx, endpoint, &client, secret, hint).await {
                return Revocation::Failed((&e).into());
            }
        }
        Revocation::Revoked
    }

    /// Asks the loop to look at an account at `at` (a refresh or a warning).
    pub(crate) fn plan(&self, name: &str, at: DateTime<Utc>) {
        let mut queue = self.inner.queue.lock().expect("poisoned");
        let earlier = queue.peek().is_none_or(|Reverse((head, _))| at < *head);
        queue.push(Reverse((at, name.to_string())));
        drop(queue);
        if earlier {
            self.inner.wake.notify_one();
        }
    }

    pub(crate) fn account(&self, name: &str) -> Result<Arc<Account>> {
        self.inner
            .accounts
            .read()
            .expect("poisoned")
            .get(name)
            .cloned()
            .ok_or_else(|| Error::NotFound(name.to_string()))
    }

    /// The held token if it is valid and not yet due for refresh.
    fn fresh(&self, account: &Account, min: chrono::Duration) -> Option<Secret> {
        let now = self.inner.clock.now();
        let state = account.state.lock().expect("state poisoned");
        let due = state.next_attempt.is_some_and(|at| at <= now);
        state
            .valid_token(now + min)
            .filter(|_| !due)
            .map(|t| t.access_token.clone())
    }

    /// One token request; the caller holds `account.flight`.
    pub(crate) async fn refresh_locked(&self, account: &Account) -> Result<Secret> {
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
        let result = self
            .inner
            .renewer
            .renew(grant, current.as_ref(), subject)
            .await;
        self.record(account, started, result).await
    }

    /// Takes a refresh's outcome into the account's state and tells the subscribers.
    /// The store is written first: a rotated refresh token is on disk before anyone uses
    /// the new access token. If it cannot be written (a full disk), the new tokens are still
    /// held and served, and the failure is logged and reported.
    pub(crate) async fn record(
        &self,
        account: &Account,
        started: DateTime<Utc>,
        result: Result<TokenSet>,
    ) -> Result<Secret> {
        let now = self.inner.clock.now();
        let status = status_after(account, &result, now);
        // An unusable answer that still rotated the refresh token: the new one replaces the
        // held one (next to the still-valid access token), or the next refresh would present
        // a refresh token the server has already retired.
        let rotated = match &result {
            Err(Error::UnusableWithRefreshToken { refresh_token, .. }) => {
                let held = account
                    .state
                    .lock()
                    .expect("state poisoned")
                    .token
                    .is_some();
                if !held {
                    tracing::warn!(account = %account.name, "an unusable answer carried a new refresh token, but no token set is held to keep it in");
                }
                held.then_some(refresh_token)
            }
            _ => None,
        };
        if let (Some(store), Some(id)) = (&self.inner.store, account.id) {
            let record = RefreshRecord {
                account_id: id,
                started_at: started,
                finished_at: now,
                result: result.as_ref(),
                status: status.as_str(),
                rotated_refresh_token: rotated,
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
                        account.margin(&self.inner.settings.read().expect("poisoned")),
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
                if let (Some(rt), Some(token)) = (rotated, state.token.as_mut()) {
                    token.refresh_token = Some(rt.clone());
                }
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
            Err(Error::Expired(at)) => {
                state.next_attempt = None;
                state.status = status;
                state.error = Some(ErrorView::from(&Error::Expired(*at)));
                Event::Expired {
                    account: name,
                    expired_at: *at,
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
        let next = state.next_attempt;
        drop(state);
        if let Some(at) = next {
            self.plan(&account.name, at);
        }
        let watched = result
            .as_ref()
            .is_ok_and(|t| !account.renews_itself() || t.refresh_expires_at.is_some());
        if watched {
            // Something that cannot be renewed will run out: look at its warnings now.
            self.plan(&account.name, now);
        }
        match &event {
            Event::Refreshed { account, .. } => tracing::info!(%account, "token refreshed"),
            other => tracing::warn!(?other, "token refresh failed"),
        }
        if let (Ok(token), Some(command)) = (&result, account.on_refresh()) {
            crate::scheduler::run_hook(&account.name, command, token);
        }
        // Nobody listening is fine.
        let _ = self.inner.events.send(event);
        result.map(|t| t.access_token)
    }
}

/// The account's refresh margin, else the app's.
fn margin(config: Option<&AccountConfig>, settings: &Settings) -> chrono::Duration {
    let secs = config
        .and_then(|c| c.policy.margin_secs)
        .unwrap_or(settings.refresh_margin_secs);
    chrono::Duration::seconds(secs as i64)
}

fn view(account: &Account, now: DateTime<Utc>) -> AccountView {
    let state = account.state.lock().expect("state poisoned");
    // A held token that has run out while retries go on is no longer "retrying" but failing.
    let status = match state.status {
        AccountStatus::Ok | AccountStatus::Retrying
            if state.token.is_some() && state.valid_token(now).is_none() =>
        {
            AccountStatus::Failing
        }
        other => other,
    };
    AccountView {
        name: account.name.clone(),
        grant: account.kind.clone(),
        status,
        expires_at: state.token.as_ref().and_then(|t| t.expires_at),
        last_refresh: state.last_refresh,
        next_refresh: state.next_attempt,
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
        settings: &Settings,
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
                        let margin = margin(config.as_ref().ok(), settings);
                        Some(due_at(t.issued_at, exp, margin, fastrand::f64()))
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
        // The engine needs the grant and the policy; the written settings and secrets are the
        // store's business and are not kept twice in memory (10,000 accounts add up).
        let config = config.map(|mut c| {
            c.settings = Default::default();
            c.secrets = Default::default();
            c
        });
        Account {
            id,
            name,
            kind,
            config,
            state: Mutex::new(state),
            flight: Default::default(),
        }
    }

    pub(crate) fn renews_itself(&self) -> bool {
        self.config.as_ref().is_ok_and(|c| c.grant.renews_itself())
    }

    fn margin(&self, settings: &Settings) -> chrono::Duration {
        margin(self.config.as_ref().ok(), settings)
    }

    /// The account's warning thresholds, else the app's.
    pub(crate) fn warn_before(&self, settings: &Settings) -> Vec<u64> {
        match &self.config {
            Ok(c) => c
                .policy
                .warn_before_secs
                .clone()
                .unwrap_or_else(|| settings.warn_before_secs.clone()),
            Err(_) => vec![],
        }
    }

    fn on_refresh(&self) -> Option<&[String]> {
        self.config
            .as_ref()
            .ok()
            .and_then(|c| c.policy.on_refresh.as_deref())
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
