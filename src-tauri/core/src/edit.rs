//! Accounts as the window shows and edits them: one account's detail, saving an account from
//! a form, trying a form's settings before saving, filling endpoints by discovery, and the
//! app's settings. The window never receives a secret from here: only which secrets are held.

use crate::account::{AccountConfig, SECRET_KEYS};
use crate::engine::{AccountView, EngineHandle};
use crate::error::{Error, Result};
use crate::grant::{self, discovery::Metadata};
use crate::settings::Settings;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

/// The accounts window's list.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Serialize)]
pub struct AccountList {
    pub accounts: Vec<AccountView>,
    /// Problems found at start (a broken profile, a locked keyring), with their codes.
    pub problems: Vec<crate::engine::ErrorView>,
}

/// What the detail view shows.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Serialize)]
pub struct AccountDetail {
    pub view: AccountView,
    /// The settings as written, without secrets (`grant` included): what the edit form starts
    /// from.
    pub settings: Map<String, Value>,
    /// The names of the secrets held (`client_secret`, `refresh_token`, ...), never their values.
    pub secrets: Vec<String>,
    /// The access token's JWT header and claims (decoded, not verified), when it is a JWT.
    pub jwt: Option<crate::jwt::Jwt>,
}

/// What a test request brought back, without the token.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Serialize)]
pub struct TestResult {
    pub token_type: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub scope: Option<String>,
    pub refresh_token: bool,
}

impl EngineHandle {
    pub async fn detail(&self, name: &str) -> Result<AccountDetail> {
        let view = self.view(name)?;
        let jwt = {
            let account = self.account(name)?;
            let state = account.state.lock().expect("state poisoned");
            state
                .token
                .as_ref()
                .and_then(|t| crate::jwt::decode(t.access_token.expose()))
        };
        let stored = self.stored_config(name).await?;
        Ok(AccountDetail {
            view,
            settings: stored
                .as_ref()
                .map(|c| c.settings.clone())
                .unwrap_or_default(),
            secrets: stored
                .map(|c| c.secrets.keys().cloned().collect())
                .unwrap_or_default(),
            jwt,
        })
    }

    /// Adds an account from a form's fields (`name` apart; secrets inline), or replaces
    /// `editing` (same name). When editing, a secret left out or blank keeps the one held.
    pub async fn save_account(
        &self,
        name: &str,
        mut fields: Map<String, Value>,
        editing: bool,
    ) -> Result<()> {
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::InvalidConfig("the account needs a name".into()));
        }
        let exists = self.account(name).is_ok();
        if editing && !exists {
            return Err(Error::NotFound(name.into()));
        }
        if !editing && exists {
            return Err(Error::InvalidConfig(format!(
                "an account named {name:?} exists already"
            )));
        }
        drop_blank_fields(&mut fields);
        if editing {
            if let Some(held) = self.stored_config(name).await? {
                for (key, secret) in held.secrets {
                    fields
                        .entry(key)
                        .or_insert_with(|| Value::String(secret.expose().into()));
                }
            }
        }
        let config =
            AccountConfig::from_written(name.into(), fields).map_err(Error::InvalidConfig)?;
        self.put_account(config).await
    }

    /// One token request with a form's settings, before saving them.
    pub async fn test_account(&self, mut fields: Map<String, Value>) -> Result<TestResult> {
        drop_blank_fields(&mut fields);
        let config =
            AccountConfig::from_written("test".into(), fields).map_err(Error::InvalidConfig)?;
        let subject = match config.grant.depends_on() {
            Some(other) => Some(self.get_token(other).await?),
            None => None,
        };
        let inner = self.inner();
        let ctx = grant::Context {
            http: &inner.http,
            clock: &*inner.clock,
        };
        let token = grant::renew(ctx, &config.grant, None, subject).await?;
        Ok(TestResult {
            token_type: token.token_type,
            expires_at: token.expires_at,
            scope: token.scope,
            refresh_token: token.refresh_token.is_some(),
        })
    }

    /// The issuer's endpoints (OIDC discovery, then RFC 8414), to fill a form.
    pub async fn discover(&self, issuer: &str) -> Result<Metadata> {
        let inner = self.inner();
        let ctx = grant::Context {
            http: &inner.http,
            clock: &*inner.clock,
        };
        grant::discovery::discover(ctx, issuer.trim()).await
    }

    pub fn settings(&self) -> Settings {
        self.inner().settings.read().expect("poisoned").clone()
    }

    /// Saves the app's settings; every account is looked at again under them.
    pub async fn save_settings(&self, settings: Settings) -> Result<()> {
        settings.check().map_err(Error::InvalidConfig)?;
        if let Some(store) = &self.inner().store {
            store.save_settings(&settings).await?;
        }
        *self.inner().settings.write().expect("poisoned") = settings;
        let now = self.inner().clock.now();
        for account in self.list() {
            self.plan(&account.name, now);
        }
        Ok(())
    }

    /// The account's written settings and secrets, from the store (the engine keeps only
    /// what it needs in memory).
    async fn stored_config(&self, name: &str) -> Result<Option<AccountConfig>> {
        let Some(store) = &self.inner().store else {
            return Ok(None);
        };
        Ok(store.account(name).await?.and_then(|a| a.config.ok()))
    }
}

/// A form sends empty strings for fields left empty: they mean "not given".
fn drop_blank_fields(fields: &mut Map<String, Value>) {
    fields.retain(|key, value| {
        !(matches!(value, Value::Null)
            || matches!(value, Value::String(s) if s.trim().is_empty())
            || (key == "name"))
    });
    // Secrets are taken as typed (a trailing space may be part of one); other text is trimmed.
    for (key, value) in fields.iter_mut() {
        if let Value::String(s) = value {
            if !SECRET_KEYS.contains(&key.as_str()) {
                *s = s.trim().to_string();
            }
        }
    }
}
