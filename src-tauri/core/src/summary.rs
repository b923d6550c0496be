//! All accounts at a glance, for the tray: the worst state (its icon) and a one-line summary
//! (its tooltip), e.g. "5 tokens ok, 1 expires in 2 d".

use crate::duration::human;
use crate::view::{AccountStatus, AccountView};
use chrono::{DateTime, Utc};
use serde::Serialize;

#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Ok,
    /// Something will need the person soon: a token that cannot renew itself expires within
    /// the warning window, or refreshes are being retried.
    Warn,
    /// Something needs the person now: no valid token, a refusal, an expired token.
    Error,
}

pub struct Summary {
    pub level: Level,
    pub text: String,
}

/// An *expiring* account (something it cannot renew runs out within its warning thresholds)
/// is said with the first such end.
pub fn summarize(accounts: &[AccountView], now: DateTime<Utc>) -> Summary {
    if accounts.is_empty() {
        return Summary {
            level: Level::Ok,
            text: "Tokentray: no accounts yet".into(),
        };
    }
    let (mut ok, mut retrying, mut broken, mut pending) = (0, 0, 0, 0);
    let mut soonest: Option<DateTime<Utc>> = None;
    let mut expiring = 0;
    for a in accounts {
        match a.status {
            s if s.needs_person() => broken += 1,
            AccountStatus::Ok | AccountStatus::Expiring => ok += 1,
            AccountStatus::Retrying => retrying += 1,
            _ => pending += 1,
        }
        if let (AccountStatus::Expiring, Some(c)) = (a.status, &a.credential) {
            expiring += 1;
            soonest = Some(soonest.map_or(c.expires_at, |s| s.min(c.expires_at)));
        }
    }
    let mut parts = vec![format!("{ok} token{} ok", if ok == 1 { "" } else { "s" })];
    if let Some(at) = soonest {
        let soon = human((at - now).num_seconds().max(0) as u64);
        parts.push(match expiring {
            1 => format!("1 expires in {soon}"),
            n => format!("{n} expire soon (first in {soon})"),
        });
    }
    if retrying > 0 {
        parts.push(format!("{retrying} retrying"));
    }
    if pending > 0 {
        parts.push(format!("{pending} fetching"));
    }
    if broken > 0 {
        parts.push(format!(
            "{broken} need{} you",
            if broken == 1 { "s" } else { "" }
        ));
    }
    let level = if broken > 0 {
        Level::Error
    } else if expiring > 0 || retrying > 0 {
        Level::Warn
    } else {
        Level::Ok
    };
    Summary {
        level,
        text: parts.join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An account as the engine shows it; an *expiring* one's credential ends `expires_in` on.
    fn account(grant: &str, status: AccountStatus, expires_in: Option<i64>) -> AccountView {
        let expires_at = expires_in.map(|s| t0() + chrono::Duration::seconds(s));
        AccountView {
            name: "x".into(),
            grant: crate::grant::GrantKind::parse(grant).unwrap(),
            status,
            expires_at,
            expiry_assumed: false,
            credential: (status == AccountStatus::Expiring).then(|| crate::view::Credential {
                name: "secret".into(),
                expires_at: expires_at.unwrap(),
                renewed_by_command: false,
                warn_before_secs: vec![],
            }),
            last_refresh: None,
            next_refresh: None,
            scope: None,
            error: None,
        }
    }

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-23T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn the_worst_state_wins_and_the_text_says_why() {
        let mut all: Vec<_> = (0..5)
            .map(|_| account("client_credentials", AccountStatus::Ok, Some(300)))
            .collect();
        let s = summarize(&all, t0());
        assert_eq!((s.level, s.text.as_str()), (Level::Ok, "5 tokens ok"));

        all.push(account(
            "custom",
            AccountStatus::Expiring,
            Some(2 * 86_400 + 60),
        ));
        let s = summarize(&all, t0());
        assert_eq!(
            (s.level, s.text.as_str()),
            (Level::Warn, "6 tokens ok, 1 expires in 2d 0h")
        );

        all.push(account("refresh_token", AccountStatus::NeedsReauth, None));
        let s = summarize(&all, t0());
        assert_eq!(s.level, Level::Error);
        assert!(s.text.ends_with("1 needs you"), "{}", s.text);
        // A static token far from expiry is no warning (the engine says ok, not expiring).
        let s = summarize(
            &[account("static", AccountStatus::Ok, Some(30 * 86_400))],
            t0(),
        );
        assert_eq!(s.level, Level::Ok);
    }
}
