//! The engine's editor: what the window's forms and pages ask of it (an account's page, a
//! save, a test request, discovery, the settings), answered in the types of [`crate::edit`].

use super::EngineHandle;
use crate::account::AccountConfig;
use crate::edit::{AccountDetail, TestResult};
use crate::error::{Error, Result};
use crate::grant::client_auth::ClientAuth;
use crate::grant::{self, discovery::Metadata, GrantKind};
use crate::schema;
use crate::settings::Settings;
use serde_json::{Map, Value};

impl EngineHandle {
    pub async fn detail(&self, name: &str) -> Result<AccountDetail> {
        let view = self.view(name)?;
        let jwt = self
            .account(name)?
            .held_token()
            .and_then(|t| crate::jwt::decode(t.expose()));
        let id_jwt = self
            .account(name)?
            .held_id_token()
            .and_then(|t| crate::jwt::decode(t.expose()));
        let stored = self.stored_config(name).await?;
        let used_by = match self.store() {
            Some(store) => store.used_by(name).await?,
            None => vec![],
        };
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
            id_jwt,
            snippets: self.snippets(name)?,
            public_key: self.public_key(name).ok(),
            used_by,
        })
    }

    /// Adds an account from a form's fields (`name` apart; secrets inline), or edits
    /// `editing` (same name, same grant): each setting sent replaces the stored one, `null` or
    /// blank removes it, one not sent is kept, and a blank secret keeps the one held.
    pub async fn save_account(
        &self,
        name: &str,
        fields: Map<String, Value>,
        editing: bool,
    ) -> Result<()> {
        let name = name.trim();
        crate::text::check_name(name).map_err(Error::InvalidConfig)?;
        let exists = self.account(name).is_ok();
        if editing && !exists {
            return Err(Error::NotFound(name.into()));
        }
        if !editing && exists {
            return Err(Error::InvalidConfig(format!(
                "an account named {name:?} exists already"
            )));
        }
        let mut written = Map::new();
        if editing {
            if let Some(held) = self.stored_config(name).await? {
                written = held.settings;
                for (key, secret) in held.secrets {
                    written.insert(key, Value::String(secret.expose().into()));
                }
            }
        }
        let settings = merged(written, fields)?;
        let config =
            AccountConfig::from_written(name.into(), settings).map_err(Error::InvalidConfig)?;
        // Every account can be exported as a profile, which TOML (no null) must be able to hold.
        crate::profile::to_toml([&config], false)
            .map_err(|e| Error::InvalidConfig(format!("{e}: a JSON value may not hold null")))?;
        self.put_account(config).await
    }

    /// One token request with a form's settings, before saving them.
    pub async fn test_account(&self, fields: Map<String, Value>) -> Result<TestResult> {
        let settings = merged(Map::new(), fields)?;
        let config =
            AccountConfig::from_written("test".into(), settings).map_err(Error::InvalidConfig)?;
        let subject = match config.grant.depends_on() {
            Some(other) => Some(self.get_token(other).await?),
            None => None,
        };
        let redactor = crate::redact::Redactor::default().secrets(config.secrets.values());
        let redactor = match config.grant.client() {
            Some(ClientAuth {
                client_id,
                client_secret: Some(secret),
                ..
            }) => redactor.basic(client_id, secret),
            _ => redactor,
        };
        let grant = self.resolved(&config.grant, false).await?;
        let renewed = grant::renew(self.grant_context(), &grant, None, subject).await;
        let mut token = renewed.map_err(|e| redactor.error(e))?;
        if config.grant.renews_itself() {
            let lifetime = crate::engine::lifetime(Some(&config));
            token = token.with_stated_or_assumed_expiry(lifetime);
        }
        Ok(TestResult {
            token_type: token.token_type,
            expires_at: token.expires_at,
            expiry_assumed: token.expiry_assumed,
            scope: token.scope,
            refresh_token: token.refresh_token.is_some(),
        })
    }

    /// The issuer's endpoints (OIDC discovery, then RFC 8414), to fill a form.
    pub async fn discover(&self, issuer: &str) -> Result<Metadata> {
        grant::discovery::discover(self.grant_context(), issuer.trim()).await
    }

    /// Saves the app's settings; every account is looked at again under them.
    pub async fn save_settings(&self, settings: Settings) -> Result<()> {
        settings.check().map_err(Error::InvalidConfig)?;
        if let Some(store) = self.store() {
            store.save_settings(&settings).await?;
        }
        self.replace_settings(settings);
        self.replan_all(self.now());
        self.announce("settings").await;
        Ok(())
    }

    /// The account's written settings and secrets, from the store (the engine keeps only
    /// what it needs in memory).
    pub(crate) async fn stored_config(&self, name: &str) -> Result<Option<AccountConfig>> {
        let Some(store) = self.store() else {
            return Ok(None);
        };
        Ok(store.account(name).await?.and_then(|a| a.config.ok()))
    }
}

/// A form's fields merged into `written` by the grant's schema (the grant named in the form,
/// else the one written).
fn merged(
    mut written: Map<String, Value>,
    mut sent: Map<String, Value>,
) -> Result<Map<String, Value>> {
    sent.remove("name");
    let word = |m: &Map<String, Value>| m.get("grant").and_then(Value::as_str).map(String::from);
    let (was, now) = (word(&written), word(&sent));
    if let (Some(was), Some(now)) = (&was, &now) {
        if was != now {
            return Err(Error::InvalidConfig(format!(
                "an account's grant cannot change ({was} → {now}): add a new account instead"
            )));
        }
    }
    let kind = now.or(was).unwrap_or_default();
    let kind = GrantKind::parse(&kind).ok_or_else(|| {
        Error::InvalidConfig(format!("unknown grant {kind:?}: one of {}", grant_words()))
    })?;
    schema::merge(&mut written, sent, schema::grant(kind));
    Ok(written)
}

fn grant_words() -> String {
    let words: Vec<&str> = GrantKind::ALL.iter().map(|k| k.as_str()).collect();
    words.join(", ")
}

impl EngineHandle {
    /// The accounts as TOML; with their secrets only if `asker` may take every account's
    /// ([`EngineHandle::may_lend`], each recorded in the audit): all or nothing.
    pub async fn export(
        &self,
        with_secrets: bool,
        asker: &crate::lending::Asker,
    ) -> Result<String> {
        if with_secrets {
            for name in self.names() {
                self.may_lend(&name, asker, crate::lending::Via::Export)
                    .await?;
            }
        }
        let store = self
            .inner
            .store
            .as_ref()
            .ok_or_else(|| Error::Storage("this engine has no store to export from".into()))?;
        let accounts = store
            .accounts()
            .await?
            .into_iter()
            .map(|stored| stored.config)
            .collect::<Result<Vec<_>>>()?;
        crate::profile::to_toml(&accounts, with_secrets)
    }
}
