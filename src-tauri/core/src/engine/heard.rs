//! Following the team: what the other engines announced since this engine last looked, read
//! as one batch and each thing followed once. With hundreds of accounts rotating every few
//! seconds the announcements come faster than they can be followed one by one (300 accounts
//! with 5 s tokens: about 130 a second), and an account added on another member must not wait
//! behind thousands of token changes (it did: more than 30 s on a machine of one core).

use super::EngineHandle;
use crate::held::HeldRw;
use crate::store::Store;
use sqlx::postgres::{PgListener, PgNotification};
use std::collections::BTreeSet;
use std::time::Duration;

/// At most this many announcements make one batch (the rest make the next).
pub(super) const MOST: usize = 10_000;
/// Above this many accounts' changes in one batch, every account is read in one query instead
/// of one query each.
pub(super) const READ_ALL_ABOVE: usize = 16;

/// A batch of announcements.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Heard {
    /// Another engine added, edited or removed accounts.
    pub accounts: bool,
    /// Another engine saved the settings.
    pub settings: bool,
    /// The accounts whose token state another engine wrote.
    pub states: BTreeSet<i64>,
    /// How many announcements were read (this engine's own and unknown ones too).
    pub read: usize,
}

impl Heard {
    /// Notes one announcement: `ACCOUNT_ID engine`, `accounts engine` or `settings engine`,
    /// where `engine` is `host/id`; this engine's own (`me` is its id) are passed over.
    pub fn add(&mut self, payload: &str, me: &str) {
        self.read += 1;
        let mut parts = payload.split(' ');
        let (Some(what), Some(engine)) = (parts.next(), parts.next()) else {
            return;
        };
        if engine.rsplit('/').next() == Some(me) {
            return;
        }
        match what {
            "accounts" => self.accounts = true,
            "settings" => self.settings = true,
            id => {
                if let Ok(id) = id.parse() {
                    self.states.insert(id);
                }
            }
        }
    }

    /// `first` and whatever else has already arrived on `listener`, up to `MOST`: a wait of
    /// zero reads only what the connection holds (`try_recv` is cancel-safe). Says too
    /// whether the connection went meanwhile.
    pub async fn read(first: PgNotification, listener: &mut PgListener, me: &str) -> (Heard, bool) {
        let mut heard = Heard::default();
        heard.add(first.payload(), me);
        while heard.read < MOST {
            match tokio::time::timeout(Duration::ZERO, listener.try_recv()).await {
                Ok(Ok(Some(n))) => heard.add(n.payload(), me),
                Ok(Ok(None) | Err(_)) => return (heard, true),
                Err(_) => break,
            }
        }
        (heard, false)
    }
}

impl EngineHandle {
    /// Follows a batch of the others' announcements: the settings first, then the accounts
    /// and the token states (a new account's state comes with it).
    pub(super) async fn follow(&self, store: &Store, heard: Heard) {
        if heard.settings {
            match store.settings().await {
                Ok(settings) => {
                    self.replace_settings(settings);
                    self.replan_all(self.now());
                }
                Err(e) => tracing::warn!(code = %e.code(), "team: {e}"),
            }
        }
        if heard.accounts || heard.states.len() > READ_ALL_ABOVE {
            if let Err(e) = self.reread_all(store).await {
                tracing::warn!(code = %e.code(), "team: {e}");
            }
            return;
        }
        let accounts: Vec<_> = {
            let held = self.inner.accounts.read_held();
            held.values()
                .filter(|a| a.id.is_some_and(|id| heard.states.contains(&id)))
                .cloned()
                .collect()
        };
        for account in accounts {
            if let Err(e) = self.adopt(&account, store).await {
                tracing::warn!(account = %account.name, code = %e.code(), "team: {e}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_names_each_thing_once_and_passes_over_its_own() {
        let mut heard = Heard::default();
        for payload in [
            "7 laptop/b",
            "7 laptop/b",
            "9 build/c",
            "accounts laptop/b",
            "accounts laptop/b",
            "8 mine/a",
            "settings mine/a",
            "nonsense",
            "x y/b",
        ] {
            heard.add(payload, "a");
        }
        assert!(heard.accounts);
        assert!(!heard.settings, "its own settings are not news");
        assert_eq!(heard.states, BTreeSet::from([7, 9]));
        assert_eq!(heard.read, 9);
    }

    #[test]
    fn an_engine_whose_id_ends_like_another_is_not_taken_for_it() {
        let mut heard = Heard::default();
        heard.add("3 host/ba", "a");
        assert_eq!(heard.states, BTreeSet::from([3]));
    }
}
