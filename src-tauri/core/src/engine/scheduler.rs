//! The background loop: one task that sleeps until the earliest planned look at an account
//! (a due refresh, an expiry warning), a wake-up (a plan earlier than the head, shutdown), or
//! the wall-clock watchdog. Plans live in a min-heap keyed by wall time; a popped plan that no
//! longer matches the account's state is skipped, so re-planning is just pushing again.
//!
//! Suspend: Linux's monotonic clock (what tokio sleeps on) stops while a laptop sleeps, the
//! wall clock does not. The loop never sleeps longer than the watchdog period and compares
//! the wall clock with the monotonic one each time round; after a jump it re-plans, and
//! whatever became due runs at once.

use super::{Account, EngineHandle};
use crate::held::Held;
use crate::view::{Credential, Event};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OwnedSemaphorePermit;

/// The longest the loop sleeps without looking at the wall clock.
pub const WATCHDOG: Duration = Duration::from_secs(5);
/// A wall-clock move this much larger than the monotonic one is a jump (suspend, NTP).
const JUMP: chrono::Duration = chrono::Duration::milliseconds(2_000);

impl EngineHandle {
    /// Starts the background loop that refreshes every token before it expires. Call it
    /// inside a tokio runtime.
    pub fn spawn_refresh_loop(&self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(self.clone().run_refresh_loop())
    }

    /// The background loop itself, for a runtime the caller owns (the desktop shell's).
    pub async fn run_refresh_loop(self) {
        run(self).await
    }
}

async fn run(engine: EngineHandle) {
    if engine.team().is_some() {
        tokio::spawn(engine.clone().run_team());
    }
    // The screen's lock is said on the session bus and by logind: Linux desktops. (Elsewhere
    // zbus would try to find a bus, and under Wine that blocked a runtime thread for good,
    // the refresh loop with it.)
    #[cfg(all(unix, not(target_os = "macos")))]
    tokio::spawn(crate::screen::watch(engine.clone()));
    let mut last_wall = engine.now();
    let mut last_mono = tokio::time::Instant::now();
    loop {
        let now = engine.now();
        let mono = tokio::time::Instant::now();
        let wall_moved = crate::time::between(last_wall, now);
        let mono_moved = crate::time::from_std(mono.saturating_duration_since(last_mono));
        let jumped = crate::time::difference(wall_moved, mono_moved);
        if jumped.abs() > JUMP {
            tracing::info!(by = %jumped, "the wall clock jumped (suspend or clock change): re-planning");
            engine.replan_all(now);
        }
        (last_wall, last_mono) = (now, mono);
        engine.lock_if_idle(now);

        // Take due plans one at a time, each refresh waiting for a free slot, so that only a
        // bounded number of refresh tasks exist however many accounts are due at once.
        while let Some(name) = engine.plans().pop_due(now) {
            let Ok(account) = engine.account(&name) else {
                continue;
            };
            let due = account
                .state
                .held()
                .next_attempt
                .is_some_and(|at| at <= now);
            let slot = if due {
                tokio::select! {
                    _ = engine.cancelled() => return,
                    slot = engine.loop_slot() => slot,
                }
            } else {
                None
            };
            // A bug in one account's look stays that account's: the loop goes on.
            if let Err(bug) = crate::engine::caught(|| visit(&engine, account.clone(), now, slot)) {
                engine.after_panic(&account, bug);
            }
        }

        let sleep = engine
            .plans()
            .next()
            .and_then(|at| crate::time::between(now, at).to_std().ok())
            .map_or(WATCHDOG, |d| d.min(WATCHDOG));
        tokio::select! {
            _ = engine.cancelled() => return,
            _ = engine.plans().woken() => {}
            _ = tokio::time::sleep(sleep) => {}
        }
    }
}
/// Looks at an account whose planned time has come: refresh it if it is due, send the
/// expiry warnings that are due, and plan the next look.
fn visit(
    engine: &EngineHandle,
    account: Arc<Account>,
    now: DateTime<Utc>,
    slot: Option<OwnedSemaphorePermit>,
) {
    let (next_attempt, watched) = {
        let state = account.state.held();
        (state.next_attempt, account.watched(&state))
    };
    match next_attempt {
        Some(at) if at <= now => {
            if let Some(slot) = slot {
                spawn_refresh(engine, account.clone(), slot);
            }
        }
        // A look that finds the account not yet due plans its refresh: whoever planned this
        // look (the start, a clock jump, new settings, a warning) may have been the only plan
        // the account had, and an account with no plan is never refreshed again.
        Some(at) => engine.plan(&account.name, at),
        None => {}
    }
    // Warn at each threshold, once per token.
    let Some(Credential {
        name: credential,
        expires_at,
        ..
    }) = watched
    else {
        return;
    };
    let mut next_warning: Option<DateTime<Utc>> = None;
    let settings = engine.settings();
    let thresholds = account.warn_before(&settings);
    for &threshold in thresholds {
        let at = crate::time::before(expires_at, crate::time::secs(threshold));
        if at > now {
            next_warning = Some(next_warning.map_or(at, |n| n.min(at)));
            continue;
        }
        if now >= expires_at || !engine.warn_once(&account.name, expires_at, threshold) {
            continue;
        }
        // Only the nearest threshold is worth saying when several passed at once (after a
        // restart or a suspend); the others are recorded as said.
        let nearest = thresholds
            .iter()
            .filter(|&&t| now >= crate::time::before(expires_at, crate::time::secs(t)))
            .min()
            == Some(&threshold);
        let engine2 = engine.clone();
        let id = account.id;
        let name = account.name.clone();
        tokio::spawn(async move {
            if let (Some(store), Some(id)) = (engine2.store(), id) {
                if let Err(e) = store
                    .record_warning(id, expires_at, threshold as i64, now)
                    .await
                {
                    tracing::warn!(account = %name, "could not record a warning: {e}");
                }
            }
        });
        if nearest {
            tracing::info!(account = %account.name, %expires_at, threshold, "expiry warning");
            engine.emit(
                Some(&account),
                Event::ExpiryWarning {
                    account: account.name.clone(),
                    credential: credential.clone(),
                    expires_at,
                    threshold_secs: threshold,
                },
            );
        }
    }
    // What can be renewed by a command of the person's is renewed in its window.
    if let Some(at) = engine.consider_renewal(&account, expires_at, now) {
        next_warning = Some(next_warning.map_or(at, |n| n.min(at)));
    }
    if let Some(at) = next_warning {
        engine.plan(&account.name, at);
    }
}

fn spawn_refresh(engine: &EngineHandle, account: Arc<Account>, slot: OwnedSemaphorePermit) {
    // Planned again when this refresh finishes; until then the loop leaves it alone.
    account.state.held().next_attempt = None;
    let engine = engine.clone();
    tokio::spawn(async move {
        let _slot = slot;
        let _flight = account.flight.lock().await;
        // A caller that refreshed while we waited has planned the next attempt already.
        let still_ours = account.state.held().next_attempt.is_none();
        if still_ours {
            let _ = engine.refresh_locked(&account).await;
        }
    });
}
