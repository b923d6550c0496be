//! What is worth a desktop notification, said once: an expiry warning, a refresh that keeps
//! failing after the token ran out (retries exhausted), a login needed, an expired token. The
//! desktop shows what this returns; the decisions (and the "once") live here, where they are
//! tested without a desktop.

use crate::engine::{AccountStatus, Event};
use std::collections::HashSet;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub title: String,
    pub body: String,
}

/// Remembers what was said, until the account recovers or changes.
#[derive(Default)]
pub struct Notices {
    said: HashSet<(String, &'static str)>,
}

impl Notices {
    /// The notice for `event`, if it deserves one that was not given yet. `status` is the
    /// account's status after the event.
    pub fn on(&mut self, event: &Event, status: Option<AccountStatus>) -> Option<Notice> {
        let (account, kind, title, body) = match event {
            Event::Refreshed { account, .. } | Event::AccountChanged { account } => {
                // Recovered or edited: whatever comes next is news again.
                self.said.retain(|(a, _)| a != account);
                return None;
            }
            Event::ExpiryWarning {
                account,
                threshold_secs,
                ..
            } => {
                // Each threshold is sent once by the engine already; keep them all.
                let body = format!(
                    "{account}'s token expires within {}. Tokentray cannot renew it: paste a new one (Edit) before then.",
                    span(*threshold_secs)
                );
                let title = format!("{account} expires soon");
                return Some(Notice { title, body });
            }
            Event::RefreshFailed {
                account,
                code,
                message,
            } if status == Some(AccountStatus::Failing) => (
                account,
                "failing",
                format!("{account}: no valid token"),
                format!(
                    "Refreshing keeps failing and the last token has run out ({code}: {message}). Tokentray keeps retrying."
                ),
            ),
            Event::RefreshFailed { .. } => return None,
            Event::NeedsReauth {
                account,
                code,
                message,
            } => (
                account,
                "reauth",
                format!("{account} needs you"),
                format!(
                    "The server refused ({code}: {message}). Log in again or fix the account in Tokentray."
                ),
            ),
            Event::Expired { account, .. } => (
                account,
                "expired",
                format!("{account} has expired"),
                "The token ran out and is no longer served: paste a new one in Tokentray.".into(),
            ),
        };
        self.said
            .insert((account.clone(), kind))
            .then_some(Notice { title, body })
    }
}

/// `86400` → `1 day`.
fn span(secs: u64) -> String {
    let plural = |n: u64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    match secs {
        s if s >= 86_400 && s % 86_400 == 0 => plural(s / 86_400, "day"),
        s if s >= 3_600 && s % 3_600 == 0 => plural(s / 3_600, "hour"),
        s if s >= 60 => plural(s / 60, "minute"),
        s => plural(s, "second"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(account: &str) -> Event {
        Event::RefreshFailed {
            account: account.into(),
            code: "network".into(),
            message: "refused".into(),
        }
    }

    #[test]
    fn a_failing_account_is_said_once_until_it_recovers() {
        let mut n = Notices::default();
        // Retrying while the old token is still valid: nothing to say yet.
        assert_eq!(n.on(&failed("a"), Some(AccountStatus::Retrying)), None);
        let first = n.on(&failed("a"), Some(AccountStatus::Failing)).unwrap();
        assert!(first.body.contains("network: refused"), "{first:?}");
        assert_eq!(n.on(&failed("a"), Some(AccountStatus::Failing)), None);
        // Another account is its own story.
        assert!(n.on(&failed("b"), Some(AccountStatus::Failing)).is_some());
        let refreshed = Event::Refreshed {
            account: "a".into(),
            expires_at: None,
        };
        assert_eq!(n.on(&refreshed, Some(AccountStatus::Ok)), None);
        assert!(n.on(&failed("a"), Some(AccountStatus::Failing)).is_some());
    }

    #[test]
    fn reauth_and_expiry_say_what_to_do() {
        let mut n = Notices::default();
        let refused = Event::NeedsReauth {
            account: "gh".into(),
            code: "invalid_grant".into(),
            message: "revoked".into(),
        };
        let notice = n.on(&refused, Some(AccountStatus::NeedsReauth)).unwrap();
        assert_eq!(notice.title, "gh needs you");
        assert!(notice.body.contains("Log in again"));
        assert_eq!(n.on(&refused, Some(AccountStatus::NeedsReauth)), None);

        let warning = |secs| Event::ExpiryWarning {
            account: "pat".into(),
            expires_at: chrono::DateTime::UNIX_EPOCH,
            threshold_secs: secs,
        };
        assert!(n
            .on(&warning(86_400), None)
            .unwrap()
            .body
            .contains("within 1 day"));
        assert!(n
            .on(&warning(3_600), None)
            .unwrap()
            .body
            .contains("within 1 hour"));
        assert!(n
            .on(&warning(7 * 86_400), None)
            .unwrap()
            .body
            .contains("7 days"));
    }
}
