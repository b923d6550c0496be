//! Team mode in the engine (a PostgreSQL store several engines share): an account is refreshed
//! only under its lease, from the team's newest state, and its result is written only while
//! the lease is still this engine's (the store fences it). The others take a new token from
//! the database as soon as it is announced (LISTEN/NOTIFY), and whenever they reconnect; they
//! keep serving valid tokens from memory meanwhile. With the database away nothing that needs
//! a lease is refreshed (no split brain): the account says `team_unreachable` and is retried.

use super::heard::Heard;
use super::{Account, EngineHandle};
use crate::error::{Error, Result};
use crate::held::{Held, HeldRw};
use crate::secret::Secret;
use crate::store::{Store, StoredState};
use crate::view::{AccountStatus, Event};
use chrono::{DateTime, Utc};
use std::time::Duration;

/// A holder gives up on its token request this long before its lease runs out, so that its
/// result is written (or dropped) before anyone else can take the lease.
const LEASE_MARGIN: Duration = Duration::from_secs(15);
/// The default lease: the HTTP request timeout (30 s) and the margin, with room to spare.
const DEFAULT_LEASE: Duration = Duration::from_secs(60);
/// How often an engine says it is alive.
const HEARTBEAT: Duration = Duration::from_secs(10);
/// How soon an engine looks again at an account another engine is refreshing.
const BUSY_RETRY_SECS: u64 = 2;
/// After the database failed to answer, refreshes do not ask it again for this long: every
/// caller is told at once (and served a still-valid token) instead of each waiting for it.
const DOWN_SECS: u64 = 2;

/// This engine as the team knows it.
pub(crate) struct Team {
    /// Random per start: two engines on one host are two.
    pub(crate) id: String,
    pub(crate) host: String,
    /// `TOKENTRAY_TEAM_LEASE_SECS` (tests shorten it), else 60 s.
    lease: Duration,
    /// The database did not answer: not asked again for refreshes before then.
    down_until: std::sync::Mutex<Option<DateTime<Utc>>>,
}

impl Team {
    pub(crate) fn new() -> Team {
        let lease = std::env::var("TOKENTRAY_TEAM_LEASE_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .map(Duration::from_secs)
            .filter(|d| d.as_secs() > LEASE_MARGIN.as_secs().saturating_add(1))
            .unwrap_or(DEFAULT_LEASE);
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            // Windows and macOS have neither: the OS says.
            .or_else(|| whoami::fallible::hostname().ok())
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "unknown".into());
        Team {
            id: format!("{:012x}", fastrand::u64(..) >> 16),
            host,
            lease,
            down_until: std::sync::Mutex::new(None),
        }
    }

    fn down(&self, now: DateTime<Utc>) -> bool {
        self.down_until.held().is_some_and(|t| t > now)
    }

    fn set_down(&self, until: Option<DateTime<Utc>>) {
        *self.down_until.held() = until;
    }

    /// `host/id`, as the history says who refreshed.
    pub(crate) fn label(&self) -> String {
        format!("{}/{}", self.host, self.id)
    }
}

impl EngineHandle {
    pub(crate) fn team(&self) -> Option<&Team> {
        self.inner.team.as_ref()
    }

    /// One refresh under the account's lease; the caller holds `account.flight`.
    pub(super) async fn refresh_in_team(
        &self,
        account: &Account,
        team: &Team,
        store: &Store,
        account_id: i64,
        started: DateTime<Utc>,
    ) -> Result<Secret> {
        if team.down(started) {
            let unreachable = Err(Error::TeamUnreachable(
                "it did not answer a moment ago".into(),
            ));
            return self.record(account, started, unreachable, None).await;
        }
        let lease = match store
            .take_lease(account_id, &team.id, team.lease.as_secs_f64())
            .await
        {
            Ok(Some(lease)) => lease,
            Ok(None) => return self.busy(account).await,
            Err(e) => {
                team.set_down(Some(crate::time::after(
                    self.now(),
                    crate::time::secs(DOWN_SECS),
                )));
                let unreachable = Err(Error::TeamUnreachable(e.to_string()));
                return self.record(account, started, unreachable, None).await;
            }
        };
        // The team's newest state first: another engine may have refreshed it since this one
        // last looked, and its refresh token is the only one the server still takes. (The
        // announcements keep this engine current; the lease says when they did not.)
        let held = account.state.held().last_refresh;
        let current =
            held.map(|t| t.timestamp_millis()) == lease.last_refresh.map(|t| t.timestamp_millis());
        let adopted = match current {
            true => Ok(false),
            false => self.adopt(account, store).await,
        };
        tracing::debug!(account = %account.name, epoch = lease.epoch, current, ?adopted, "lease taken");
        match adopted {
            // Another engine refreshed it meanwhile: its token, if not already due again (the
            // newer state was planned when taken; the loop's own plan was cleared for this).
            Ok(true) => {
                if let Some(token) = account.fresh(self.now(), chrono::Duration::zero()) {
                    let _ = store.release_lease(&lease).await;
                    return Ok(token);
                }
            }
            // This engine's state is the team's newest: refresh, as asked.
            Ok(false) => {}
            Err(e) => {
                let _ = store.release_lease(&lease).await;
                let unreachable = Err(Error::TeamUnreachable(e.to_string()));
                return self.record(account, started, unreachable, None).await;
            }
        }
        let deadline = team.lease.saturating_sub(LEASE_MARGIN);
        let result = match tokio::time::timeout(deadline, self.obtain(account)).await {
            Ok(result) => result,
            Err(_) => Err(Error::Timeout(format!(
                "no answer within {} s: given up before this engine's lease runs out",
                deadline.as_secs()
            ))),
        };
        self.record(account, started, result, Some(&lease)).await
    }

    /// Another engine holds the lease: its token, if it is already in, else a look again soon.
    async fn busy(&self, account: &Account) -> Result<Secret> {
        let adopted = match self.store() {
            Some(store) => self.adopt(account, store).await.unwrap_or(false),
            None => false,
        };
        // Taken, the newer state was planned; else this engine must look again itself.
        if adopted {
            if let Some(token) = account.fresh(self.now(), chrono::Duration::zero()) {
                return Ok(token);
            }
        }
        let again = crate::time::after(self.now(), crate::time::secs(BUSY_RETRY_SECS));
        account.state.held().next_attempt = Some(again);
        self.plan(&account.name, again);
        Err(Error::TeamBusy)
    }

    /// Takes the account's state from the team's database when it holds another token than
    /// this engine does: the database is the truth, every write to it being fenced. Says
    /// whether something was taken.
    pub(crate) async fn adopt(&self, account: &Account, store: &Store) -> Result<bool> {
        let stored = store.account(&account.name).await?;
        Ok(match stored.and_then(|s| s.state) {
            Some(state) => self.take(account, state),
            None => false,
        })
    }

    /// The team's accounts and their states, in one read of them all: the ones another engine
    /// added or edited are loaded (an edited one starts afresh, as where it was edited), the
    /// ones it removed go, and every other account takes its newer token if there is one.
    pub(super) async fn reread_all(&self, store: &Store) -> Result<()> {
        let stored = store.accounts().await?;
        let now = self.now();
        let settings = self.settings();
        let names: std::collections::HashSet<String> =
            stored.iter().map(|s| s.name.clone()).collect();
        let mut changed = vec![];
        let mut same = vec![];
        {
            let mut accounts = self.inner.accounts.write_held();
            accounts.retain(|name, _| {
                let kept = names.contains(name);
                if !kept {
                    changed.push(name.clone());
                }
                kept
            });
            for s in stored {
                if let Some(held) = accounts
                    .get(&s.name)
                    .filter(|held| same_settings(&held.config, &s.config))
                {
                    same.extend(s.state.map(|state| (held.clone(), state)));
                    continue;
                }
                changed.push(s.name.clone());
                let account = super::Account::from_stored(
                    Some(s.id),
                    s.name.clone(),
                    s.grant_kind,
                    s.config,
                    s.state,
                    now,
                    &settings,
                );
                accounts.insert(s.name, std::sync::Arc::new(account));
            }
        }
        // Outside the accounts' lock: taking a state locks the account's own.
        for (account, state) in same {
            self.take(&account, state);
        }
        for name in changed {
            self.plan(&name, now);
            self.emit(None, Event::AccountChanged { account: name });
        }
        Ok(())
    }

    fn take(&self, account: &Account, stored: StoredState) -> bool {
        let now = self.now();
        let rules = account.rules(&self.settings());
        let expires_at = {
            let mut state = account.state.held();
            let same = match (&state.token, &stored.token) {
                (Some(ours), Some(theirs)) => {
                    ours.access_token.expose() == theirs.access_token.expose()
                }
                (None, None) => state.status == stored.status,
                _ => false,
            };
            if same {
                return false;
            }
            state.next_attempt = match (&stored.token, stored.status) {
                (_, AccountStatus::NeedsReauth | AccountStatus::Expired) => None,
                (Some(t), _) => rules.next_look(t, fastrand::f64()),
                (None, _) => Some(now),
            };
            state.status = stored.status;
            state.error = stored.error;
            state.last_refresh = stored.last_refresh;
            state.failures = 0;
            let expires_at = stored.token.as_ref().and_then(|t| t.expires_at);
            state.token = stored.token;
            if let Some(at) = state.next_attempt {
                self.plan(&account.name, at);
            }
            expires_at
        };
        tracing::debug!(account = %account.name, "took the team's newer token");
        self.emit(
            Some(account),
            Event::Refreshed {
                account: account.name.clone(),
                expires_at,
            },
        );
        true
    }

    /// The team's side of the engine until it stops: the heartbeat, and the announcements of
    /// new tokens (listened to again after a lost connection, everything re-read then).
    pub(crate) async fn run_team(self) {
        let (Some(team), Some(store)) = (self.team(), self.store()) else {
            return;
        };
        let stop = self.stopped();
        let mut beat = tokio::time::interval(HEARTBEAT);
        loop {
            let mut listener = match store.listen().await {
                Ok(listener) => listener,
                Err(e) => {
                    tracing::warn!(code = %e.code(), "team: {e}");
                    tokio::select! {
                        _ = stop.cancelled() => return,
                        _ = tokio::time::sleep(Duration::from_secs(2)) => continue,
                    }
                }
            };
            // Listening again: the database is back. What was announced meanwhile is missed:
            // the accounts and their states are read again.
            team.set_down(None);
            if let Err(e) = self.reread_all(store).await {
                tracing::warn!(code = %e.code(), "team: {e}");
            }
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = beat.tick() => {
                        if let Err(e) = store.heartbeat(&team.id, &team.host).await {
                            tracing::warn!(code = %e.code(), "team heartbeat: {e}");
                        }
                    }
                    heard = listener.try_recv() => {
                        let Ok(Some(first)) = heard else { break };
                        let (heard, lost) = Heard::read(first, &mut listener, &team.id).await;
                        self.follow(store, heard).await;
                        // The connection went: listen again, and re-read what was missed.
                        if lost {
                            break;
                        }
                    }
                }
            }
        }
    }

    /// Tells the others that this engine changed the accounts or the settings.
    pub(crate) async fn announce(&self, what: &str) {
        if let (Some(team), Some(store)) = (self.team(), self.store()) {
            if let Err(e) = store.announce(what, &team.label()).await {
                tracing::warn!(code = %e.code(), "team: {e}");
            }
        }
    }
}

/// Whether two readings of an account's settings are the same: its written settings and its
/// secrets (an edit changes one or the other).
fn same_settings(
    held: &std::result::Result<crate::AccountConfig, Error>,
    stored: &std::result::Result<crate::AccountConfig, Error>,
) -> bool {
    match (held, stored) {
        (Ok(a), Ok(b)) => {
            a.settings == b.settings
                && a.secrets.len() == b.secrets.len()
                && a.secrets
                    .iter()
                    .all(|(k, v)| b.secrets.get(k).is_some_and(|w| w.expose() == v.expose()))
        }
        (Err(a), Err(b)) => a == b,
        _ => false,
    }
}
