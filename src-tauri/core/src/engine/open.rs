//! Making an engine: in memory for tests and tools, or for a data directory (its lock, its
//! store and vault, `profile.toml` brought in, every account loaded with the token state it
//! had, so a restart neither loses nor repeats a refresh).

use super::plans::{Plans, Warned};
use super::{Account, EngineHandle, Inner, Renew, MAX_IN_FLIGHT};
use crate::account::AccountConfig;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::lock::{self, DirLock};
use crate::secret::Secret;
use crate::settings::Settings;
use crate::store::Store;
use crate::token::TokenSet;
use crate::vault::KeySource;
use crate::view::ErrorView;
use crate::{grant, http, Profile};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use tokio::sync::{broadcast, Semaphore};
use tokio_util::sync::CancellationToken;

/// The real thing: the grants over the shared HTTP client.
pub struct GrantRenewer {
    pub http: reqwest::Client,
    pub clock: Arc<dyn Clock>,
}

impl Renew for GrantRenewer {
    fn renew<'a>(
        &'a self,
        grant: &'a grant::GrantConfig,
        current: Option<&'a TokenSet>,
        subject: Option<Secret>,
    ) -> Pin<Box<dyn Future<Output = Result<TokenSet>> + Send + 'a>> {
        Box::pin(async move {
            let ctx = grant::Context {
                http: &self.http,
                clock: &*self.clock,
            };
            grant::renew(ctx, grant, current, subject).await
        })
    }
}

/// What an engine is assembled from besides its clock and accounts.
struct Parts {
    store: Option<Store>,
    problems: Vec<ErrorView>,
    lock: Option<DirLock>,
    renewer: Option<Arc<dyn Renew>>,
    http: reqwest::Client,
    settings: Settings,
}

impl Parts {
    /// An engine with no store: in memory, default settings, the grants as renewer.
    fn bare() -> Parts {
        Parts {
            store: None,
            problems: vec![],
            lock: None,
            renewer: None,
            http: http::client(),
            settings: Settings::default(),
        }
    }
}

impl EngineHandle {
    /// An engine over these accounts. Nothing happens in the background until
    /// [`EngineHandle::spawn_refresh_loop`]; `get_token` works either way.
    pub fn new(profile: Profile, clock: Arc<dyn Clock>) -> EngineHandle {
        EngineHandle::in_memory(profile, clock, None)
    }

    /// An engine over these accounts whose tokens come from `renewer` instead of the grants:
    /// for tests of the scheduler on a fake clock.
    pub fn with_renewer(
        profile: Profile,
        clock: Arc<dyn Clock>,
        renewer: Arc<dyn Renew>,
    ) -> EngineHandle {
        EngineHandle::in_memory(profile, clock, Some(renewer))
    }

    fn in_memory(
        profile: Profile,
        clock: Arc<dyn Clock>,
        renewer: Option<Arc<dyn Renew>>,
    ) -> EngineHandle {
        let now = clock.now();
        let defaults = Settings::default();
        let accounts = profile
            .account
            .into_iter()
            .map(|c: AccountConfig| Account::new(None, c, None, now, &defaults))
            .collect();
        let parts = Parts {
            renewer,
            ..Parts::bare()
        };
        EngineHandle::assemble(clock, accounts, parts)
    }

    /// The engine for a data directory: takes its lock, opens its store (and the vault with
    /// `key`), brings in `profile.toml` when it changed, and loads every account with the
    /// token state it had.
    pub async fn open(home: &Path, key: KeySource, clock: Arc<dyn Clock>) -> Result<EngineHandle> {
        EngineHandle::open_with_http(home, key, clock, http::client()).await
    }

    /// As [`EngineHandle::open`], with the HTTP client given (tests: a test CA, short timeouts).
    pub async fn open_with_http(
        home: &Path,
        key: KeySource,
        clock: Arc<dyn Clock>,
        http: reqwest::Client,
    ) -> Result<EngineHandle> {
        EngineHandle::open_parts(home, key, clock, http, None).await
    }

    /// As [`EngineHandle::open`], with tokens from `renewer` instead of the grants: for tests
    /// of the scheduler across restarts (a real store, a scripted server, a fake clock).
    pub async fn open_with_renewer(
        home: &Path,
        key: KeySource,
        clock: Arc<dyn Clock>,
        renewer: Arc<dyn Renew>,
    ) -> Result<EngineHandle> {
        EngineHandle::open_parts(home, key, clock, http::client(), Some(renewer)).await
    }

    async fn open_parts(
        home: &Path,
        key: KeySource,
        clock: Arc<dyn Clock>,
        http: reqwest::Client,
        renewer: Option<Arc<dyn Renew>>,
    ) -> Result<EngineHandle> {
        crate::home::check_owner(home)?;
        create_private_dir(home)?;
        let lock = lock::acquire(home)?;
        let store = Store::open(home, key).await?;
        let settings = store.settings().await?;
        let now = clock.now();
        let mut problems = Vec::new();
        if let Err(lost) = store.vault() {
            problems.push(ErrorView::from(&lost));
        }
        let profile = home.join(crate::home::PROFILE_FILE);
        if profile.exists() && store.vault().is_ok() {
            if let Err(e) = sync_profile(&store, &profile, now).await {
                tracing::error!(code = %e.code(), "{e}");
                problems.push(ErrorView::from(&e));
            }
        }
        for (old, new) in store.fix_names().await? {
            let old = crate::text::quoted(&old, 40);
            let e = Error::InvalidConfig(format!("the account {old} was renamed to {new:?}: a name is letters, digits and - _ . @ +, at most 64"));
            tracing::warn!("{e}");
            problems.push(ErrorView::from(&e));
        }
        let mut accounts = Vec::new();
        for stored in store.accounts().await? {
            if let Err(e) = &stored.config {
                tracing::warn!(account = %stored.name, code = %e.code(), "{e}");
            }
            accounts.push(Account::from_stored(
                Some(stored.id),
                stored.name,
                stored.grant_kind,
                stored.config,
                stored.state,
                now,
                &settings,
            ));
        }
        let said = store.fired_warnings().await?;
        let names: HashMap<i64, String> = accounts
            .iter()
            .filter_map(|a| a.id.map(|id| (id, a.name.clone())))
            .collect();
        let parts = Parts {
            store: Some(store),
            problems,
            lock: Some(lock),
            renewer,
            http,
            settings,
        };
        let engine = EngineHandle::assemble(clock, accounts, parts);
        for (id, expires_at, threshold) in said {
            if let Some(name) = names.get(&id) {
                engine
                    .inner
                    .warned
                    .insert(name, expires_at, threshold as u64);
            }
        }
        Ok(engine)
    }

    /// An engine with no accounts that says why the real one could not open (a locked
    /// keyring, another engine running): the window shows it instead of failing to start.
    pub fn unavailable(problem: &Error, clock: Arc<dyn Clock>) -> EngineHandle {
        let parts = Parts {
            problems: vec![problem.into()],
            ..Parts::bare()
        };
        EngineHandle::assemble(clock, vec![], parts)
    }

    fn assemble(clock: Arc<dyn Clock>, accounts: Vec<Account>, parts: Parts) -> EngineHandle {
        let Parts {
            store,
            problems,
            lock,
            renewer,
            http,
            settings,
        } = parts;
        let (events, _) = broadcast::channel(4096);
        let renewer = renewer.unwrap_or_else(|| {
            Arc::new(GrantRenewer {
                http: http.clone(),
                clock: clock.clone(),
            })
        });
        let plans = Plans::default();
        // Every account is looked at once at start: due refreshes and pending warnings.
        plans.plan_all(accounts.iter().map(|a| a.name.clone()), clock.now());
        let accounts = accounts
            .into_iter()
            .map(|a| (a.name.clone(), Arc::new(a)))
            .collect();
        // Several engines share a PostgreSQL store: each refresh takes the account's lease.
        let team = store
            .as_ref()
            .filter(|s| s.is_team())
            .map(|_| super::team::Team::new());
        EngineHandle {
            inner: Arc::new(Inner {
                clock,
                team,
                store,
                problems,
                _lock: lock,
                renewer,
                http,
                settings: RwLock::new(settings),
                accounts: RwLock::new(accounts),
                events,
                plans,
                warned: Warned::default(),
                cancel: CancellationToken::new(),
                in_flight: Semaphore::new(MAX_IN_FLIGHT),
                loop_slots: Arc::new(Semaphore::new(4 * MAX_IN_FLIGHT)),
                lending: Default::default(),
                discovered: Default::default(),
            }),
        }
    }
}

/// The data directory is the user's alone (0700).
fn create_private_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::Storage(format!("cannot create {}: {e}", dir.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| Error::Storage(format!("cannot restrict {}: {e}", dir.display())))?;
    }
    Ok(())
}

/// Brings `profile.toml` into the store. An entry that has not changed since it was last
/// brought in is left alone (its token state and rotated refresh token stay); a changed one
/// replaces the stored account; an account that came from the profile and is no longer in it
/// is removed. Accounts added in the app or the CLI are never touched.
async fn sync_profile(store: &Store, path: &Path, now: DateTime<Utc>) -> Result<()> {
    let profile = Profile::load(path)?;
    let stored = store.accounts().await?;
    for account in &profile.account {
        let canonical = serde_json::json!({
            "name": account.name,
            "settings": account.settings,
            "secrets": account.secrets.iter().map(|(k, v)| (k.clone(), v.expose().to_string())).collect::<BTreeMap<_, _>>(),
        });
        let digest = store.vault()?.digest(canonical.to_string().as_bytes());
        let same = stored
            .iter()
            .any(|s| s.name == account.name && s.source_digest.as_deref() == Some(digest.as_str()));
        if !same {
            let held = stored.iter().find(|s| s.name == account.name);
            let held = held.and_then(|s| s.config.as_ref().ok());
            let account = super::keys::keyed(account.clone(), held)?;
            store
                .put_account(&account, "profile", Some(&digest), now)
                .await?;
            tracing::info!(account = %account.name, "account brought in from the profile");
        }
    }
    for gone in stored
        .iter()
        .filter(|s| s.source == "profile" && !profile.account.iter().any(|a| a.name == s.name))
    {
        store.remove_account(&gone.name).await?;
        tracing::info!(account = %gone.name, "account removed: no longer in the profile");
    }
    Ok(())
}
