//! The loop's agenda: when to look at which account next (a refresh or a warning), earliest
//! first, and the expiry warnings already said. Each behind its own lock, taken alone.

use crate::held::Held;
use chrono::{DateTime, Utc};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::sync::Mutex;
use tokio::sync::Notify;

/// One planned look: when, and at which account (`Reverse` makes the heap earliest-first).
type Plan = Reverse<(DateTime<Utc>, String)>;

/// Planned looks at accounts, in a min-heap keyed by wall time. A popped plan that no longer
/// matches the account's state is skipped by the loop, so re-planning is just pushing again.
#[derive(Default)]
pub(crate) struct Plans {
    heap: Mutex<BinaryHeap<Plan>>,
    wake: Notify,
}

impl Plans {
    /// Looks at `name` at `at`; wakes the loop when that is earlier than what it sleeps for.
    pub(crate) fn plan(&self, name: &str, at: DateTime<Utc>) {
        let mut heap = self.heap.held();
        let earlier = heap.peek().is_none_or(|Reverse((head, _))| at < *head);
        heap.push(Reverse((at, name.to_string())));
        drop(heap);
        if earlier {
            self.wake.notify_one();
        }
    }

    pub(crate) fn plan_all(&self, names: impl IntoIterator<Item = String>, at: DateTime<Utc>) {
        let mut heap = self.heap.held();
        heap.extend(names.into_iter().map(|name| Reverse((at, name))));
        drop(heap);
        self.wake.notify_one();
    }

    /// The next account whose time has come by `now`.
    pub(crate) fn pop_due(&self, now: DateTime<Utc>) -> Option<String> {
        let mut heap = self.heap.held();
        match heap.peek() {
            Some(Reverse((at, _))) if *at <= now => heap.pop().map(|Reverse((_, name))| name),
            _ => None,
        }
    }

    /// When the earliest plan is.
    pub(crate) fn next(&self) -> Option<DateTime<Utc>> {
        let heap = self.heap.held();
        heap.peek().map(|Reverse((at, _))| *at)
    }

    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    /// Resolves when a plan earlier than the head arrives (or [`Plans::wake`]).
    pub(crate) async fn woken(&self) {
        self.wake.notified().await
    }
}

/// Expiry warnings already said: (account, token expiry, threshold seconds). Kept across
/// restarts by the store; forgotten when the account changes.
#[derive(Default)]
pub(crate) struct Warned(Mutex<HashSet<(String, DateTime<Utc>, u64)>>);

impl Warned {
    /// `false` when this warning had been said already.
    pub(crate) fn insert(&self, name: &str, expires_at: DateTime<Utc>, threshold: u64) -> bool {
        let mut said = self.0.held();
        said.insert((name.to_string(), expires_at, threshold))
    }

    pub(crate) fn forget(&self, name: &str) {
        self.0.held().retain(|(a, _, _)| a != name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earliest_first_and_only_when_due() {
        let t = DateTime::UNIX_EPOCH;
        let plans = Plans::default();
        plans.plan("later", t + chrono::Duration::seconds(10));
        plans.plan("sooner", t + chrono::Duration::seconds(5));
        assert_eq!(plans.next(), Some(t + chrono::Duration::seconds(5)));
        assert_eq!(plans.pop_due(t), None);
        assert_eq!(
            plans.pop_due(t + chrono::Duration::seconds(7)).as_deref(),
            Some("sooner")
        );
        assert_eq!(plans.pop_due(t + chrono::Duration::seconds(7)), None);
        let warned = Warned::default();
        assert!(warned.insert("a", t, 60));
        assert!(!warned.insert("a", t, 60));
        warned.forget("a");
        assert!(warned.insert("a", t, 60));
    }
}
