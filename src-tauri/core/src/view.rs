//! What the engine shows of itself, shared by the window, the tray, notifications, the
//! socket and the CLI: events, an account's status (with its words) and view, and what
//! removing an account did. No secret in any of them.

pub use crate::code::{ErrorCode, ErrorView};
use crate::grant::GrantKind;
use crate::words::words;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What happened, for the UI, notifications, the tray and scripts.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
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
        code: ErrorCode,
        message: String,
    },
    /// The server refused for good: the person must fix the account or log in again.
    NeedsReauth {
        account: String,
        code: ErrorCode,
        message: String,
    },
    /// Something that cannot be renewed here (a pasted token, a service token, a refresh
    /// token) expires within `threshold_secs` (sent once per credential and threshold, across
    /// restarts).
    ExpiryWarning {
        account: String,
        /// What runs out, in words (`token`, `secret`, `refresh token`, ...).
        credential: String,
        expires_at: DateTime<Utc>,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        threshold_secs: u64,
    },
    /// Running the account's `renew_command` failed; it is retried with backoff, and the
    /// current token or secret stays in use while it is valid.
    RenewFailed {
        account: String,
        code: ErrorCode,
        message: String,
    },
    /// A token that cannot renew itself has expired; it is no longer served.
    Expired {
        account: String,
        expired_at: DateTime<Utc>,
    },
    /// An account was added, changed or removed.
    AccountChanged { account: String },
    /// A program was refused the account's token: `outcome` says why (`refused`: not in
    /// `lend_to`; `denied`: by the person, or no answer; `locked`).
    LendRefused {
        account: String,
        program: String,
        path: String,
        outcome: String,
    },
    /// A program's first use of the account waits for the person (`confirm`).
    ApprovalNeeded { approval: crate::lending::Approval },
    /// That wait ended (answered, or given up).
    ApprovalAnswered {
        account: String,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        id: u64,
    },
    /// Tokentray was locked or unlocked (about no account: `account()` is empty).
    LockChanged { locked: bool },
}

impl Event {
    /// The account it is about.
    pub fn account(&self) -> &str {
        match self {
            Event::Refreshed { account, .. }
            | Event::RefreshFailed { account, .. }
            | Event::RenewFailed { account, .. }
            | Event::NeedsReauth { account, .. }
            | Event::ExpiryWarning { account, .. }
            | Event::Expired { account, .. }
            | Event::AccountChanged { account }
            | Event::LendRefused { account, .. }
            | Event::ApprovalAnswered { account, .. } => account,
            Event::ApprovalNeeded { approval } => &approval.account,
            Event::LockChanged { .. } => "",
        }
    }
}

words! {
    /// An account's state at a glance; declared most urgent first, the order the window lists
    /// accounts needing attention in.
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
    pub enum AccountStatus {
        /// The server refused, or a login is needed; no retry until the account is fixed.
        NeedsReauth = "needs_reauth",
        /// A token that cannot renew itself has expired.
        Expired = "expired",
        /// A refresh failed transiently and no valid token is held.
        Failing = "failing",
        /// A refresh failed transiently; the held token is still valid and served.
        Retrying = "retrying",
        /// Tokens flow, but what they come from runs out within the warning thresholds and
        /// cannot be renewed here (see the account's credential).
        Expiring = "expiring",
        /// No token yet.
        Pending = "pending",
        /// A valid token is held.
        Ok = "ok",
    }
}

impl AccountStatus {
    /// In words, as the window, the tray and the CLI say it. A refusal reads "needs login"
    /// only for grants a login helps (`grant` = `None`: any grant).
    pub fn label(self, grant: Option<GrantKind>) -> &'static str {
        match self {
            AccountStatus::NeedsReauth if grant.is_some_and(GrantKind::signs_in) => "needs login",
            AccountStatus::NeedsReauth if grant.is_some() => "refused",
            AccountStatus::NeedsReauth => "needs you",
            AccountStatus::Pending => "fetching",
            AccountStatus::Ok => "ok",
            AccountStatus::Retrying => "retrying",
            AccountStatus::Expiring => "expiring",
            AccountStatus::Failing => "failing",
            AccountStatus::Expired => "expired",
        }
    }

    /// [`AccountStatus::label`] in `lang`'s words.
    pub fn label_in(self, lang: crate::i18n::Lang, grant: Option<GrantKind>) -> String {
        let id = match self.label(grant) {
            "needs login" => "status-needs-login",
            "refused" => "status-refused",
            "needs you" => "status-needs-you",
            _ => match self {
                AccountStatus::Pending => "status-pending",
                AccountStatus::Ok => "status-ok",
                AccountStatus::Retrying => "status-retrying",
                AccountStatus::Expiring => "status-expiring",
                AccountStatus::Failing => "status-failing",
                AccountStatus::Expired => "status-expired",
                AccountStatus::NeedsReauth => "status-needs-you",
            },
        };
        crate::i18n::word(lang, id)
    }

    /// Whether a person must act before tokens flow again.
    pub fn needs_person(self) -> bool {
        matches!(
            self,
            AccountStatus::NeedsReauth | AccountStatus::Expired | AccountStatus::Failing
        )
    }
}

/// Something an account holds that runs out with no way to renew it: a pasted token, or the
/// secret its tokens come from (a service token, a refresh token) when its end is known.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Credential {
    /// In words: `token`, `secret`, `refresh token`, `subject token`.
    pub name: String,
    pub expires_at: DateTime<Utc>,
    /// The account's `renew_command` renews it before then.
    #[serde(default)]
    pub renewed_by_command: bool,
    /// How long before its end each warning comes (seconds): the account's thresholds, else the
    /// settings'. Filled where the account is viewed.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number[]"))]
    pub warn_before_secs: Vec<u64>,
}

/// What the UI and `tokentray list` show of an account: no secret in it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountView {
    pub name: String,
    pub grant: GrantKind,
    pub status: AccountStatus,
    pub expires_at: Option<DateTime<Utc>>,
    /// The server stated no lifetime: `expires_at` is the account's assumed one
    /// (`default_expires_in`).
    #[serde(default)]
    pub expiry_assumed: bool,
    /// What runs out with no way to renew it, when its end is known: the window, `status` and
    /// the tray speak of it beside the access token's expiry.
    #[serde(default)]
    pub credential: Option<Credential>,
    pub last_refresh: Option<DateTime<Utc>>,
    /// When the engine will refresh next on its own, if it will.
    pub next_refresh: Option<DateTime<Utc>>,
    pub scope: Option<String>,
    pub error: Option<ErrorView>,
    /// When the held ID token runs out (its `exp`); none when the account holds none.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub id_token_expires_at: Option<DateTime<Utc>>,
}

impl AccountView {
    /// The status in words (see [`AccountStatus::label`]).
    pub fn label(&self) -> &'static str {
        self.status.label(Some(self.grant))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_words_round_trip_and_refusals_read_by_grant() {
        for &s in AccountStatus::ALL {
            assert_eq!(AccountStatus::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::Value::String(s.as_str().into())
            );
        }
        assert_eq!(AccountStatus::parse("sleeping"), None);
        let refused = AccountStatus::NeedsReauth;
        assert_eq!(refused.label(Some(GrantKind::DeviceCode)), "needs login");
        assert_eq!(refused.label(Some(GrantKind::ClientCredentials)), "refused");
        assert_eq!(refused.label(None), "needs you");
    }
}
