//! What a refresh's outcome does to an account: the status it leaves, when to try next, and
//! the event that tells everyone. A pure function of what is passed in (the held token, the
//! time, the rules, the random draw), so every path is tested without a server or a clock.

use crate::error::{Error, Result};
use crate::timing::{backoff, due_at};
use crate::token::TokenSet;
use crate::view::{AccountStatus, ErrorView, Event};
use chrono::{DateTime, Utc};

/// The account's rules for planning.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// Whether the grant can get a new token on its own (else the token is watched).
    pub renews_itself: bool,
    pub margin: chrono::Duration,
}

/// What the account holds before the outcome.
#[derive(Debug, Clone, Copy)]
pub struct Before {
    /// Whether a token valid at the outcome's time is held.
    pub valid_token: bool,
    pub failures: u32,
}

impl Rules {
    /// When to look at a token next: its due time for a grant that renews itself, else when
    /// it expires (to say so); never for a token without an expiry.
    pub fn next_look(&self, token: &TokenSet, jitter: f64) -> Option<DateTime<Utc>> {
        let exp = token.expires_at?;
        Some(if self.renews_itself {
            due_at(token.issued_at, exp, self.margin, jitter)
        } else {
            exp
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub status: AccountStatus,
    /// When the loop should try next; `None` = never on its own.
    pub next_attempt: Option<DateTime<Utc>>,
    pub failures: u32,
    pub error: Option<ErrorView>,
    pub event: Event,
}

/// `jitter` in [0, 1) spreads due times and backoffs.
pub fn apply(
    account: &str,
    before: Before,
    outcome: &Result<TokenSet>,
    now: DateTime<Utc>,
    rules: Rules,
    jitter: f64,
) -> Transition {
    let account = account.to_string();
    match outcome {
        Ok(token) => Transition {
            status: AccountStatus::Ok,
            next_attempt: rules.next_look(token, jitter),
            failures: 0,
            error: None,
            event: Event::Refreshed {
                account,
                expires_at: token.expires_at,
            },
        },
        Err(e) if e.is_transient() => {
            let failures = before.failures + 1;
            let wait = backoff(failures, jitter, e.retry_after());
            Transition {
                status: if before.valid_token {
                    AccountStatus::Retrying
                } else {
                    AccountStatus::Failing
                },
                next_attempt: Some(crate::time::after(now, crate::time::from_std(wait))),
                failures,
                error: Some(e.into()),
                event: Event::RefreshFailed {
                    account,
                    code: e.code(),
                    message: e.message(),
                },
            }
        }
        Err(e) => Transition {
            status: match e {
                Error::Expired(_) => AccountStatus::Expired,
                _ => AccountStatus::NeedsReauth,
            },
            next_attempt: None,
            failures: before.failures,
            error: Some(e.into()),
            event: match e {
                Error::Expired(at) => Event::Expired {
                    account,
                    expired_at: *at,
                },
                e => Event::NeedsReauth {
                    account,
                    code: e.code(),
                    message: e.message(),
                },
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-23T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn token(lifetime: i64) -> TokenSet {
        TokenSet {
            access_token: Secret::new("a"),
            token_type: "Bearer".into(),
            expires_at: Some(t0() + chrono::Duration::seconds(lifetime)),
            refresh_token: None,
            refresh_expires_at: None,
            scope: None,
            issued_at: t0(),
            expiry_assumed: false,
            id_token: None,
        }
    }

    const RENEWS: Rules = Rules {
        renews_itself: true,
        margin: chrono::Duration::minutes(5),
    };
    const FRESH: Before = Before {
        valid_token: true,
        failures: 0,
    };

    #[test]
    fn a_new_token_is_planned_by_the_lead_rule_or_watched() {
        let t = apply("a", FRESH, &Ok(token(3600)), t0(), RENEWS, 0.0);
        assert_eq!(t.status, AccountStatus::Ok);
        assert_eq!(t.next_attempt, Some(t0() + chrono::Duration::seconds(2700)));
        let pasted = Rules {
            renews_itself: false,
            ..RENEWS
        };
        let t = apply("a", FRESH, &Ok(token(3600)), t0(), pasted, 0.0);
        assert_eq!(t.next_attempt, Some(t0() + chrono::Duration::seconds(3600)));
    }

    #[test]
    fn transient_failures_back_off_and_say_whether_a_token_is_still_served() {
        let down = Err(Error::ServerError {
            status: 503,
            retry_after: Some(std::time::Duration::from_secs(7)),
        });
        let t = apply("a", FRESH, &down, t0(), RENEWS, 0.0);
        assert_eq!(t.status, AccountStatus::Retrying);
        assert_eq!(t.failures, 1);
        assert_eq!(t.next_attempt, Some(t0() + chrono::Duration::seconds(7)));
        assert!(matches!(t.event, Event::RefreshFailed { code, .. } if code == "server_error"));
        let none_held = Before {
            valid_token: false,
            failures: 3,
        };
        let t = apply("a", none_held, &down, t0(), RENEWS, 0.0);
        assert_eq!((t.status, t.failures), (AccountStatus::Failing, 4));
    }

    #[test]
    fn refusals_and_expiry_wait_for_the_person() {
        let refused = Err(Error::Refused {
            error: "invalid_grant".into(),
            description: None,
            status: 400,
        });
        let t = apply("a", FRESH, &refused, t0(), RENEWS, 0.5);
        assert_eq!(
            (t.status, t.next_attempt),
            (AccountStatus::NeedsReauth, None)
        );
        assert!(matches!(t.event, Event::NeedsReauth { code, .. } if code == "invalid_grant"));
        let t = apply("a", FRESH, &Err(Error::Expired(t0())), t0(), RENEWS, 0.5);
        assert_eq!(t.status, AccountStatus::Expired);
        assert_eq!(
            t.event,
            Event::Expired {
                account: "a".into(),
                expired_at: t0()
            }
        );
    }
}
