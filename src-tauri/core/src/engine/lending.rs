//! Who may take a token. Every lend (a token to a script, a tool's helper, `exec`, a copy, an
//! export with secrets) is decided here and recorded in the audit: refused while Tokentray is
//! locked; refused to a program the account's `lend_to` does not name; and, when the account
//! (or the app) says `confirm`, held until the person allows the program's first use (once, or
//! for 8 hours) or denies it, 60 s at most. Background refreshing goes on whatever is decided.

use super::{Account, EngineHandle};
use crate::error::{Error, Result};
use crate::held::Held;
use crate::lending::{Approval, Asker, Decision, Proof, Via, ALLOW_FOR_HOURS, APPROVAL_WAIT};
use crate::store::Lend;
use crate::view::Event;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use tokio::sync::oneshot;

/// The engine's part that decides lends: the lock, the approvals waiting and given.
#[derive(Default)]
pub(crate) struct Lending {
    locked: AtomicBool,
    /// When a token was last lent (for locking after an idle time).
    last_lend: Mutex<Option<DateTime<Utc>>>,
    next_id: AtomicU64,
    pending: Mutex<HashMap<u64, (Approval, oneshot::Sender<Decision>)>>,
    /// (account, program path) → allowed until.
    allowed: Mutex<HashMap<(String, PathBuf), DateTime<Utc>>>,
    /// The audit's writer: a lend is answered at once and written behind it, a batch at a
    /// time, so `tokentray token` waits for no disk.
    audit: std::sync::OnceLock<tokio::sync::mpsc::Sender<Lend>>,
}

/// Lends waiting to be written at most; past it they are dropped, with a warning.
const AUDIT_QUEUE: usize = 4_096;

static AUDIT_DROPPED: crate::repeats::Repeats =
    crate::repeats::Repeats::every(std::time::Duration::from_secs(10));

impl EngineHandle {
    /// Decides whether `asker` may take the token of account `name`, waiting for the person
    /// if a first use needs them, and records the outcome in the audit.
    pub async fn may_lend(&self, name: &str, asker: &Asker, via: Via) -> Result<()> {
        let account = self.account(name)?;
        self.lend_to(&account, asker, via).await
    }

    pub(crate) async fn lend_to(&self, account: &Account, asker: &Asker, via: Via) -> Result<()> {
        let decided = self.decide(account, asker, via).await;
        let outcome = match &decided {
            Ok(()) => "lent",
            Err(Error::Locked) => "locked",
            Err(Error::NotAllowed(_)) => "refused",
            Err(Error::Denied(_)) => "denied",
            Err(_) => return decided,
        };
        self.audit(account, asker, via, outcome);
        if decided.is_ok() {
            *self.inner.lending.last_lend.held() = Some(self.now());
        } else {
            self.emit(
                Some(account),
                Event::LendRefused {
                    account: account.name.clone(),
                    program: asker.program.name.clone(),
                    path: asker.program.path.display().to_string(),
                    outcome: outcome.into(),
                },
            );
        }
        decided
    }

    async fn decide(&self, account: &Account, asker: &Asker, via: Via) -> Result<()> {
        if self.is_locked() {
            return Err(Error::Locked);
        }
        if asker.person {
            return Ok(());
        }
        let policy = account.config.as_ref().ok().map(|c| &c.policy);
        if let Some(lend_to) = policy.and_then(|p| p.lend_to.as_ref()) {
            if !asker.program.named_by(lend_to) {
                return Err(Error::NotAllowed(format!(
                    "{} is not lent to {} ({}): its lend_to names {}",
                    account.name,
                    crate::text::quoted(&asker.program.name, 60),
                    crate::text::shown(&asker.program.path.display().to_string(), 200),
                    lend_to.join(", ")
                )));
            }
        }
        let confirm = policy
            .and_then(|p| p.confirm)
            .unwrap_or_else(|| self.settings().confirm);
        if !confirm {
            return Ok(());
        }
        let key = (account.name.clone(), asker.program.path.clone());
        let now = self.now();
        if self
            .inner
            .lending
            .allowed
            .held()
            .get(&key)
            .is_some_and(|until| *until > now)
        {
            return Ok(());
        }
        match self
            .ask_the_person(&account.name, Some(account), asker, via.word())
            .await
        {
            Decision::AllowOnce => Ok(()),
            Decision::AllowForHours => {
                let until = crate::time::after(now, crate::time::secs(ALLOW_FOR_HOURS * 3_600));
                self.inner.lending.allowed.held().insert(key, until);
                Ok(())
            }
            Decision::Deny => Err(Error::Denied(format!(
                "{} was not allowed to take {}'s token (denied, or no answer within {} s)",
                crate::text::quoted(&asker.program.name, 60),
                account.name,
                APPROVAL_WAIT.as_secs()
            ))),
        }
    }

    /// Announces a first use (or an unlock asked from a terminal: `account` none, `via`
    /// "unlock") and waits for the person's answer: a denial after the wait.
    async fn ask_the_person(
        &self,
        name: &str,
        account: Option<&Account>,
        asker: &Asker,
        via: &str,
    ) -> Decision {
        let lending = &self.inner.lending;
        let id = lending
            .next_id
            .fetch_add(1, Ordering::SeqCst)
            .saturating_add(1);
        let approval = Approval {
            id,
            account: name.into(),
            program: asker.program.clone(),
            on_behalf_of: asker.on_behalf_of.clone(),
            via: via.into(),
        };
        let (answer, answered) = oneshot::channel();
        lending
            .pending
            .held()
            .insert(id, (approval.clone(), answer));
        self.emit(account, Event::ApprovalNeeded { approval });
        let decision = tokio::time::timeout(APPROVAL_WAIT, answered).await;
        lending.pending.held().remove(&id);
        self.emit(
            account,
            Event::ApprovalAnswered {
                account: name.into(),
                id,
            },
        );
        match decision {
            Ok(Ok(decision)) => decision,
            _ => Decision::Deny,
        }
    }

    /// Unlocks, when a person shows they are there: the desktop's click, the vault's
    /// passphrase, or (a vault whose key is in the keyring, from a terminal) the desktop
    /// asked to confirm. A program alone cannot unlock.
    pub async fn unlock(&self, asker: &Asker, proof: Proof) -> Result<()> {
        match proof {
            Proof::Desktop => {}
            Proof::Passphrase(passphrase) => self.check_passphrase(&passphrase).await?,
            Proof::Nothing if self.has_passphrase().await? => {
                return Err(Error::BadRequest(
                    "unlocking from a terminal takes the vault's passphrase (typed, or TOKENTRAY_PASSPHRASE / TOKENTRAY_PASSPHRASE_FILE)".into(),
                ))
            }
            Proof::Nothing => {
                if self.ask_the_person("", None, asker, "unlock").await == Decision::Deny {
                    return Err(Error::Denied(format!(
                        "the desktop did not confirm the unlock (denied, or no answer within {} s)",
                        APPROVAL_WAIT.as_secs()
                    )));
                }
            }
        }
        self.set_locked(false);
        Ok(())
    }

    /// A person's answer to approval `id`: denying takes nothing, allowing takes the proof
    /// that a person answers ([`Proof`]).
    pub async fn answer(&self, id: u64, decision: Decision, proof: Proof) -> Result<()> {
        if decision != Decision::Deny {
            match proof {
                Proof::Desktop => {}
                Proof::Passphrase(passphrase) => self.check_passphrase(&passphrase).await?,
                Proof::Nothing => {
                    return Err(Error::BadRequest(
                        "allowing from a terminal takes the vault's passphrase (typed, or TOKENTRAY_PASSPHRASE / TOKENTRAY_PASSPHRASE_FILE)".into(),
                    ))
                }
            }
        }
        self.answer_approval(id, decision)
    }

    async fn has_passphrase(&self) -> Result<bool> {
        match self.store() {
            Some(store) => store.has_passphrase().await,
            None => Ok(false),
        }
    }

    async fn check_passphrase(&self, passphrase: &crate::secret::Secret) -> Result<()> {
        match self.store() {
            Some(store) => store.check_passphrase(passphrase).await,
            None => Err(Error::Unsupported("this engine has no vault".into())),
        }
    }

    /// Answers approval `id` (the desktop's own answer, after its checks).
    fn answer_approval(&self, id: u64, decision: Decision) -> Result<()> {
        let pending = self.inner.lending.pending.held().remove(&id);
        let (_, answer) =
            pending.ok_or_else(|| Error::NotFound(format!("no approval {id} is waiting")))?;
        // The asker may have given up meanwhile: nothing to tell then.
        let _ = answer.send(decision);
        Ok(())
    }

    /// The first uses waiting for the person.
    pub fn approvals(&self) -> Vec<Approval> {
        let mut waiting: Vec<Approval> = self
            .inner
            .lending
            .pending
            .held()
            .values()
            .map(|(a, _)| a.clone())
            .collect();
        waiting.sort_by_key(|a| a.id);
        waiting
    }

    pub fn is_locked(&self) -> bool {
        self.inner.lending.locked.load(Ordering::SeqCst)
    }

    /// Locks (or unlocks): while locked nothing is lent; refreshing goes on.
    pub fn set_locked(&self, locked: bool) {
        let was = self.inner.lending.locked.swap(locked, Ordering::SeqCst);
        if was != locked {
            tracing::info!(locked, "lock");
            if !locked {
                // The idle time counts from the unlock.
                *self.inner.lending.last_lend.held() = Some(self.now());
            }
            self.emit(None, Event::LockChanged { locked });
        }
    }

    /// Locks when nothing was lent for the settings' idle time; called by the loop.
    pub(crate) fn lock_if_idle(&self, now: DateTime<Utc>) {
        let idle = self.settings().lock_after_idle_secs;
        if idle == 0 || self.is_locked() {
            return;
        }
        let since = *self.inner.lending.last_lend.held();
        let since = since.unwrap_or_else(|| {
            *self.inner.lending.last_lend.held() = Some(now);
            now
        });
        if crate::time::between(since, now) >= crate::time::secs(idle) {
            self.set_locked(true);
        }
    }

    fn audit(&self, account: &Account, asker: &Asker, via: Via, outcome: &str) {
        if self.store().is_none() {
            return;
        }
        let lend = Lend {
            account: account.name.clone(),
            at: self.now(),
            via: via.word().into(),
            program: asker.program.name.clone(),
            program_path: asker.program.path.display().to_string(),
            pid: asker.program.pid.map(i64::from),
            on_behalf_of: asker
                .on_behalf_of
                .as_ref()
                .map(|p| format!("{} ({})", p.name, p.path.display())),
            outcome: outcome.into(),
            engine: self.team().map(|t| t.label()),
        };
        let queue = self.inner.lending.audit.get_or_init(|| {
            let (queue, lends) = tokio::sync::mpsc::channel(AUDIT_QUEUE);
            // A weak hold: the writer ends with the engine.
            tokio::spawn(write_audit(std::sync::Arc::downgrade(&self.inner), lends));
            queue
        });
        if queue.try_send(lend).is_err() {
            if let Some(left_out) = AUDIT_DROPPED.due(tokio::time::Instant::now()) {
                tracing::warn!(left_out, "the audit cannot keep up: lends go unrecorded");
            }
        }
    }

    /// The newest lends and refusals, of one account or all.
    pub async fn audit_log(&self, name: Option<&str>, limit: i64) -> Result<Vec<Lend>> {
        if let Some(name) = name {
            self.account(name)?;
        }
        match self.store() {
            Some(store) => store.audit(name, limit).await,
            None => Ok(vec![]),
        }
    }
}

/// Writes the lends as they come, until the engine has gone.
async fn write_audit(
    engine: std::sync::Weak<super::Inner>,
    mut lends: tokio::sync::mpsc::Receiver<Lend>,
) {
    while let Some(lend) = lends.recv().await {
        let Some(inner) = engine.upgrade() else {
            return;
        };
        let Some(store) = &inner.store else { return };
        if let Err(e) = store.record_lend(&lend).await {
            tracing::warn!(account = %lend.account, code = %e.code(), "could not record a lend: {e}");
        }
    }
}

impl EngineHandle {
    /// Waits (2 s at most) for the lends not yet written, before the store closes.
    pub(crate) async fn flush_audit(&self) {
        let Some(queue) = self.inner.lending.audit.get() else {
            return;
        };
        for _ in 0..200 {
            if queue.capacity() == queue.max_capacity() {
                // The last one taken may still be being written: a moment for it.
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
}
