//! An account as the engine holds it while running: the grant and policy it needs (not the
//! written settings or secrets, which stay in the store), the token state, and the flight
//! lock that makes concurrent callers share one refresh.

use crate::account::AccountConfig;
use crate::error::Error;
use crate::grant::GrantKind;
use crate::held::Held;
use crate::redact::Redactor;
use crate::secret::Secret;
use crate::settings::Settings;
use crate::store::StoredState;
use crate::token::TokenSet;
use crate::transition::Rules;
use crate::view::{AccountStatus, AccountView, Credential, ErrorView};
use chrono::{DateTime, Utc};
use std::sync::Mutex;

pub(crate) struct Account {
    /// The store's row id, when the engine has a store.
    pub(crate) id: Option<i64>,
    pub(crate) name: String,
    pub(crate) kind: GrantKind,
    /// The settings, or why they cannot be used (e.g. secrets sealed under a lost key).
    pub(crate) config: std::result::Result<AccountConfig, Error>,
    /// The secret in the settings that runs out, when it is a JWT with `exp`.
    credential: Option<Credential>,
    /// The client certificate's end, when the account presents one (mutual TLS).
    client_certificate: Option<Credential>,
    pub(crate) state: Mutex<State>,
    /// Held while a refresh runs: concurrent callers wait for it and share its result.
    pub(crate) flight: tokio::sync::Mutex<()>,
    /// Narrower tokens obtained for single calls, by what was asked ([`crate::narrow`]);
    /// gone with the account's settings.
    pub(crate) narrowed: Mutex<std::collections::HashMap<crate::narrow::Narrower, TokenSet>>,
}

pub(crate) struct State {
    pub(crate) token: Option<TokenSet>,
    pub(crate) status: AccountStatus,
    pub(crate) error: Option<ErrorView>,
    pub(crate) last_refresh: Option<DateTime<Utc>>,
    /// When the loop should refresh next; `None` = never on its own.
    pub(crate) next_attempt: Option<DateTime<Utc>>,
    pub(crate) failures: u32,
    /// A `renew_command` is running.
    pub(crate) renewing: bool,
    /// Failed renewals in a row, and when to try again.
    pub(crate) renew_failures: u32,
    pub(crate) next_renew: Option<DateTime<Utc>>,
}

impl State {
    pub(crate) fn valid_token(&self, now: DateTime<Utc>) -> Option<&TokenSet> {
        self.token
            .as_ref()
            .filter(|t| t.expires_at.is_none_or(|e| e > now))
    }
}

impl Account {
    /// The account with the token state it had (`stored`), planned as if the held token was
    /// just received; a permanent failure waits for the person.
    pub(crate) fn new(
        id: Option<i64>,
        config: AccountConfig,
        stored: Option<StoredState>,
        now: DateTime<Utc>,
        settings: &Settings,
    ) -> Account {
        Account::from_stored(
            id,
            config.name.clone(),
            config.grant.kind(),
            Ok(config),
            stored,
            now,
            settings,
        )
    }

    pub(crate) fn from_stored(
        id: Option<i64>,
        name: String,
        kind: GrantKind,
        config: std::result::Result<AccountConfig, Error>,
        stored: Option<StoredState>,
        now: DateTime<Utc>,
        settings: &Settings,
    ) -> Account {
        let mut state = State {
            token: None,
            status: AccountStatus::Pending,
            error: None,
            last_refresh: None,
            next_attempt: Some(now),
            failures: 0,
            renewing: false,
            renew_failures: 0,
            next_renew: None,
        };
        if let Some(stored) = stored {
            state.status = stored.status;
            state.error = stored.error;
            state.last_refresh = stored.last_refresh;
            let rules = Rules {
                renews_itself: kind.renews_itself(),
                margin: margin(config.as_ref().ok(), settings),
            };
            state.next_attempt = match (&stored.token, state.status) {
                (_, AccountStatus::NeedsReauth | AccountStatus::Expired) => None,
                (Some(t), _) => rules.next_look(t, fastrand::f64()),
                (None, _) => Some(now),
            };
            state.token = stored.token;
        }
        if let Err(e) = &config {
            state.status = AccountStatus::NeedsReauth;
            state.error = Some(e.into());
            state.next_attempt = None;
        }
        let credential = config.as_ref().ok().and_then(|c| {
            let (name, secret) = c.grant.credential()?;
            let expires_at = crate::jwt::decode(secret.expose())?.expires_at()?;
            Some(Credential {
                name: name.into(),
                expires_at,
                renewed_by_command: c.grant.renewal().is_some(),
                warn_before_secs: vec![],
            })
        });
        // Read once per load (an edited account is loaded again).
        let client_certificate = config.as_ref().ok().and_then(|c| {
            let file = c.grant.client()?.tls.cert_file?;
            match crate::jws::certificate_not_after(file) {
                Ok(expires_at) => Some(Credential {
                    name: "client certificate".into(),
                    expires_at,
                    renewed_by_command: false,
                    warn_before_secs: vec![],
                }),
                Err(e) => {
                    tracing::warn!(account = %name, "client certificate: {e}");
                    None
                }
            }
        });
        // The engine needs the grant and the policy, and the secrets' values to keep them out
        // of what servers say ([`Account::redactor`]); the written settings are the store's
        // business and are not kept twice in memory (10,000 accounts add up).
        let config = config.map(|mut c| {
            c.settings = Default::default();
            c
        });
        Account {
            id,
            name,
            kind,
            config,
            credential,
            client_certificate,
            state: Mutex::new(state),
            flight: Default::default(),
            narrowed: Default::default(),
        }
    }

    /// What must never appear in what a server or a command says about this account: its
    /// secrets, the tokens it holds, and its client's Basic credential.
    pub(crate) fn redactor(&self) -> Redactor {
        let mut redactor = Redactor::default();
        if let Ok(c) = &self.config {
            redactor = redactor.secrets(c.secrets.values());
            if let Some((id, secret)) = c
                .grant
                .client()
                .and_then(|a| Some((a.client_id, a.client_secret?)))
            {
                redactor = redactor.basic(id, secret);
            }
        }
        let state = self.state.held();
        if let Some(token) = &state.token {
            redactor = redactor.secret(&token.access_token);
            redactor = redactor.secrets(token.refresh_token.iter());
        }
        redactor
    }

    pub(crate) fn renews_itself(&self) -> bool {
        self.kind.renews_itself()
    }

    /// How the account is planned under the app's `settings`.
    pub(crate) fn rules(&self, settings: &Settings) -> Rules {
        Rules {
            renews_itself: self.renews_itself(),
            margin: margin(self.config.as_ref().ok(), settings),
        }
    }

    /// How long a token lives when its server states no lifetime.
    pub(crate) fn default_lifetime(&self) -> chrono::Duration {
        lifetime(self.config.as_ref().ok())
    }

    /// The account's warning thresholds, else the app's.
    pub(crate) fn warn_before<'a>(&'a self, settings: &'a Settings) -> &'a [u64] {
        match &self.config {
            Ok(c) => c
                .policy
                .warn_before_secs
                .as_deref()
                .unwrap_or(&settings.warn_before_secs),
            Err(_) => &[],
        }
    }

    /// The longest warning threshold: what runs out sooner is *expiring*.
    pub(crate) fn warn_within(&self, settings: &Settings) -> u64 {
        self.warn_before(settings)
            .iter()
            .copied()
            .max()
            .unwrap_or(0)
    }

    pub(crate) fn on_refresh(&self) -> Option<&[String]> {
        self.config
            .as_ref()
            .ok()
            .and_then(|c| c.policy.on_refresh.as_deref())
    }

    /// The held access token if it stays valid past `now + min` and is not yet due.
    pub(crate) fn fresh(&self, now: DateTime<Utc>, min: chrono::Duration) -> Option<Secret> {
        let state = self.state.held();
        let due = state.next_attempt.is_some_and(|at| at <= now);
        state
            .valid_token(crate::time::after(now, min))
            .filter(|_| !due)
            .map(|t| t.access_token.clone())
    }

    /// The held ID token, when it stays valid until `at`.
    pub(crate) fn fresh_id_token(&self, at: DateTime<Utc>) -> Option<Secret> {
        let state = self.state.held();
        let token = state.token.as_ref()?;
        let id = token.id_token.as_ref()?;
        token
            .id_token_expires_at()
            .is_some_and(|exp| exp > at)
            .then(|| id.clone())
    }

    /// The held ID token, valid or not (to decode it for the window).
    pub(crate) fn held_id_token(&self) -> Option<Secret> {
        let state = self.state.held();
        state.token.as_ref().and_then(|t| t.id_token.clone())
    }

    /// The held access token, valid or not (to decode it for the window).
    pub(crate) fn held_token(&self) -> Option<Secret> {
        let state = self.state.held();
        state.token.as_ref().map(|t| t.access_token.clone())
    }

    /// When `token` expires, if it is still the one held (a refresh may have replaced it).
    pub(crate) fn expiry_of(&self, token: &Secret) -> Option<DateTime<Utc>> {
        let state = self.state.held();
        let held = state.token.as_ref().filter(|t| t.access_token == *token)?;
        held.expires_at
    }

    /// The held access token if it is valid at `at`, due or not.
    pub(crate) fn valid_token(&self, at: DateTime<Utc>) -> Option<Secret> {
        let state = self.state.held();
        state.valid_token(at).map(|t| t.access_token.clone())
    }

    fn renewed_by_command(&self) -> bool {
        let config = self.config.as_ref().ok();
        config.is_some_and(|c| c.grant.renewal().is_some())
    }

    /// What runs out first with no way to renew it: the client certificate the account
    /// presents, or what [`Account::token_credential`] says.
    pub(crate) fn watched(&self, state: &State) -> Option<Credential> {
        let token = self.token_credential(state);
        match (token, &self.client_certificate) {
            (Some(t), Some(c)) if t.expires_at <= c.expires_at => Some(t),
            (_, Some(c)) => Some(c.clone()),
            (t, None) => t,
        }
    }

    /// What runs out with no way to renew it, when its end is known: a pasted token itself;
    /// else the refresh token held (its stated end, or its JWT `exp`), or, before one is held,
    /// the secret in the settings (a service token that is a JWT).
    fn token_credential(&self, state: &State) -> Option<Credential> {
        let token = state.token.as_ref();
        if !self.renews_itself() {
            let expires_at = token?.expires_at?;
            let name = "token".into();
            let renewed_by_command = self.renewed_by_command();
            return Some(Credential {
                name,
                expires_at,
                renewed_by_command,
                warn_before_secs: vec![],
            });
        }
        // The refresh token's stated end (by the server, or its JWT `exp`, read when it came);
        // with none held (yet), the secret in the settings.
        let held = token.is_some_and(|t| t.refresh_token.is_some());
        let expires_at = match token.and_then(|t| t.refresh_expires_at) {
            Some(at) => at,
            None if held => return None,
            None => return self.credential.clone(),
        };
        // A custom account's rotated secret is still its secret.
        let name = match self.kind {
            GrantKind::Custom => "secret",
            _ => "refresh token",
        };
        let name = name.into();
        let renewed_by_command = self.renewed_by_command();
        Some(Credential {
            name,
            expires_at,
            renewed_by_command,
            warn_before_secs: vec![],
        })
    }

    /// The account as everyone sees it at `now`; `warn_within` is its longest warning
    /// threshold: a credential running out sooner makes a healthy account *expiring*.
    pub(crate) fn view(&self, now: DateTime<Utc>, settings: &Settings) -> AccountView {
        let warn_within = self.warn_within(settings);
        let state = self.state.held();
        let credential = self.watched(&state).map(|c| Credential {
            warn_before_secs: self.warn_before(settings).to_vec(),
            ..c
        });
        let running_out = credential.as_ref().is_some_and(|c| {
            c.expires_at > now
                && crate::time::between(now, c.expires_at) <= crate::time::secs(warn_within)
        });
        // A held token that has run out while retries go on is no longer "retrying" but failing.
        let status = match state.status {
            AccountStatus::Ok | AccountStatus::Retrying
                if state.token.is_some() && state.valid_token(now).is_none() =>
            {
                AccountStatus::Failing
            }
            AccountStatus::Ok if running_out => AccountStatus::Expiring,
            other => other,
        };
        AccountView {
            name: self.name.clone(),
            grant: self.kind,
            status,
            expires_at: state.token.as_ref().and_then(|t| t.expires_at),
            expiry_assumed: state.token.as_ref().is_some_and(|t| t.expiry_assumed),
            credential,
            last_refresh: state.last_refresh,
            next_refresh: state.next_attempt,
            scope: state.token.as_ref().and_then(|t| t.scope.clone()),
            error: state.error.clone(),
            id_token_expires_at: state.token.as_ref().and_then(|t| t.id_token_expires_at()),
        }
    }
}

/// The account's `default_expires_in`, else the common 15 minutes.
pub(crate) fn lifetime(config: Option<&AccountConfig>) -> chrono::Duration {
    config
        .and_then(|c| c.policy.default_expires_in)
        .map_or(crate::timing::DEFAULT_LIFETIME, crate::time::secs)
}

/// The account's refresh margin, else the app's.
fn margin(config: Option<&AccountConfig>, settings: &Settings) -> chrono::Duration {
    let secs = config
        .and_then(|c| c.policy.margin_secs)
        .unwrap_or(settings.refresh_margin_secs);
    crate::time::secs(secs)
}
