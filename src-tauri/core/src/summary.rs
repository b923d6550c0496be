//! All accounts at a glance, for the tray: the worst state (its icon) and a one-line summary
//! (its tooltip), e.g. "5 tokens ok, 1 expires in 2 d".

use crate::duration::human_in;
use crate::i18n::{n, s, text, word, Lang};
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
pub fn summarize(accounts: &[AccountView], now: DateTime<Utc>, lang: Lang) -> Summary {
    if accounts.is_empty() {
        return Summary {
            level: Level::Ok,
            text: word(lang, "summary-none"),
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
    let count = |id, count: u32| text(lang, id, &[("n", n(count))]);
    let mut parts = vec![count("summary-ok", ok)];
    if let Some(at) = soonest {
        let soon = human_in(
            lang,
            crate::time::between(now, at).num_seconds().max(0) as u64,
        );
        let id = match expiring {
            1 => "summary-expires-one",
            _ => "summary-expire-many",
        };
        parts.push(text(lang, id, &[("n", n(expiring)), ("soon", s(&soon))]));
    }
    if retrying > 0 {
        parts.push(count("summary-retrying", retrying));
    }
    if pending > 0 {
        parts.push(count("summary-fetching", pending));
    }
    if broken > 0 {
        parts.push(count("summary-need-you", broken));
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
            id_token_expires_at: None,
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
        let s = summarize(&all, t0(), Lang::En);
        assert_eq!((s.level, s.text.as_str()), (Level::Ok, "5 tokens ok"));

        all.push(account(
            "custom",
            AccountStatus::Expiring,
            Some(2 * 86_400 + 60),
        ));
        let s = summarize(&all, t0(), Lang::En);
        assert_eq!(
            (s.level, s.text.as_str()),
            (Level::Warn, "6 tokens ok, 1 expires in 2d 0h")
        );

        all.push(account("refresh_token", AccountStatus::NeedsReauth, None));
        let s = summarize(&all, t0(), Lang::En);
        assert_eq!(s.level, Level::Error);
        assert!(s.text.ends_with("1 needs you"), "{}", s.text);
        // A static token far from expiry is no warning (the engine says ok, not expiring).
        let s = summarize(
            &[account("static", AccountStatus::Ok, Some(30 * 86_400))],
            t0(),
            Lang::En,
        );
        assert_eq!(s.level, Level::Ok);
    }

    #[test]
    fn the_summary_in_norwegian_and_russian_with_their_plurals() {
        let mut all: Vec<_> = (0..2)
            .map(|_| account("client_credentials", AccountStatus::Ok, Some(300)))
            .collect();
        all.push(account(
            "static",
            AccountStatus::Expiring,
            Some(86_400 + 3_600),
        ));
        all.push(account("refresh_token", AccountStatus::NeedsReauth, None));
        assert_eq!(
            summarize(&all, t0(), Lang::Ru).text,
            "3 токена в порядке, 1 истекает через 1 д 1 ч, 1 требует внимания"
        );
        assert_eq!(
            summarize(&all, t0(), Lang::Nb).text,
            "3 tokener i orden, 1 utløper om 1 d 1 t, 1 trenger deg"
        );
        let many: Vec<_> = (0..5)
            .map(|_| account("client_credentials", AccountStatus::Ok, Some(300)))
            .collect();
        assert_eq!(summarize(&many, t0(), Lang::Ru).text, "5 токенов в порядке");
    }
}
