//! Opening a store: the data directory's SQLite file, or the database its configuration
//! names (team mode's PostgreSQL), each connection prepared, migrations run, the vault opened
//! with its parameters from the database (written once, in one transaction, by whoever
//! creates the team).

use super::{db_error, Backend, Retention, Store, DB_FILE};
use crate::error::{Error, Result};
use crate::vault::{KdfParams, KeySource, Vault};
use serde::Serialize;
use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;
use sqlx::{Connection, Executor};
use std::path::{Path, PathBuf};

/// Where a data directory's store lives: `TOKENTRAY_DATABASE_URL`, else `database_url` in the
/// data directory's `config.toml`, else the SQLite file in it.
pub fn database_url(dir: &Path) -> Result<Option<String>> {
    if let Some(url) = std::env::var_os("TOKENTRAY_DATABASE_URL").filter(|u| !u.is_empty()) {
        return Ok(Some(url.to_string_lossy().into_owned()));
    }
    let file = dir.join(CONFIG_FILE);
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::InvalidConfig(format!("{}: {e}", file.display()))),
    };
    #[derive(serde::Deserialize)]
    struct Config {
        database_url: Option<String>,
    }
    let config: Config = toml::from_str(&text)
        .map_err(|e| Error::InvalidConfig(format!("{}: {e}", file.display())))?;
    Ok(config.database_url.filter(|u| !u.trim().is_empty()))
}

/// The data directory's settings file (only `database_url` so far).
pub const CONFIG_FILE: &str = "config.toml";

/// Points the data directory at a team's database (`tokentray team init|join`): its
/// `config.toml`, readable by the user alone (the URL may hold a password).
pub fn write_database_url(dir: &Path, url: &str) -> Result<()> {
    #[derive(Serialize)]
    struct Config<'a> {
        database_url: &'a str,
    }
    let text = toml::to_string(&Config { database_url: url }).expect("serialisable");
    let file = dir.join(CONFIG_FILE);
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&file, text))
        .map_err(|e| Error::Storage(format!("{}: {e}", file.display())))?;
    restrict_permissions(&file);
    Ok(())
}

/// A database URL fit for messages: without its password.
pub fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "(a database URL that does not parse)".into(),
    }
}

impl Store {
    /// Whether this store's vault is sealed with a passphrase (else its key is in the keyring).
    pub async fn has_passphrase(&self) -> Result<bool> {
        Ok(meta(&self.pool, "kdf").await.map_err(self.err())?.is_some())
    }

    /// Checks that `passphrase` opens this store's vault: what proves a person is there when
    /// a terminal unlocks Tokentray or answers an approval (`wrong_passphrase` if not;
    /// `unsupported` for a vault whose key is in the keyring).
    pub async fn check_passphrase(&self, passphrase: &crate::secret::Secret) -> Result<()> {
        let err = self.err();
        let check: Option<Vec<u8>> = meta(&self.pool, "check").await.map_err(&err)?;
        let kdf: Option<KdfParams> = meta(&self.pool, "kdf")
            .await
            .map_err(&err)?
            .map(|b| serde_json::from_slice(&b))
            .transpose()
            .map_err(|e| Error::Storage(format!("the vault's KDF record is damaged: {e}")))?;
        if kdf.is_none() || check.is_none() {
            return Err(Error::Unsupported(
                "this vault's key is in the OS keyring, not a passphrase: do it from the desktop (the tray or the window)".into(),
            ));
        }
        let source = KeySource::Passphrase(passphrase.clone());
        tokio::task::spawn_blocking(move || Vault::unlock(source, check.as_deref(), kdf).map(drop))
            .await
            .map_err(|e| Error::Internal(e.to_string()))?
    }
    /// Opens (creating if absent) the data directory's store (its SQLite file, or the
    /// database its configuration names), migrates it, and opens the vault with `key`.
    pub async fn open(dir: &Path, key: KeySource) -> Result<Store> {
        match database_url(dir)? {
            Some(url) => Store::open_url(&url, key).await,
            None => Store::open_sqlite(&dir.join(DB_FILE), key).await,
        }
    }

    /// The SQLite store in one file.
    pub async fn open_sqlite(path: &Path, key: KeySource) -> Result<Store> {
        let url = url::Url::from_file_path(path)
            .map_err(|()| Error::Storage(format!("{}: not an absolute path", path.display())))?;
        // `rwc`: created if missing.
        let url = format!("sqlite://{}?mode=rwc", url.path());
        let store = Store::connect(&url, path.to_path_buf(), Backend::Sqlite, key, true).await?;
        restrict_permissions(path);
        Ok(store)
    }

    /// The store at a database URL: `postgres://…` (team mode: the team must have been made
    /// with [`Store::create_team`]) or `sqlite://…`.
    pub async fn open_url(url: &str, key: KeySource) -> Result<Store> {
        Store::open_url_to(url, key, false).await
    }

    /// Makes a team in an empty PostgreSQL database (`tokentray team init`): its schema and
    /// its vault, sealed with the passphrase the team shares. Engines only ever open a team
    /// that exists: three started at once on an empty database once made three vaults.
    pub async fn create_team(url: &str, key: KeySource) -> Result<Store> {
        Store::open_url_to(url, key, true).await
    }

    async fn open_url_to(url: &str, key: KeySource, create: bool) -> Result<Store> {
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            // Every engine of the team must open the same vault: a key in one machine's
            // keyring would lock the others out.
            if matches!(key, KeySource::Store(_)) {
                return Err(Error::InvalidConfig("team mode takes its vault key from the passphrase the team shares: set TOKENTRAY_PASSPHRASE or TOKENTRAY_PASSPHRASE_FILE".into()));
            }
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(Error::InvalidConfig(format!(
                "database_url {}: Tokentray speaks postgres:// (team mode) or sqlite://",
                redacted(url)
            )));
        };
        let create = create || backend == Backend::Sqlite;
        Store::connect(url, PathBuf::from(redacted(url)), backend, key, create).await
    }

    /// `create`: the vault may be made here (a new SQLite file, `team init`); else one must
    /// exist already.
    async fn connect(
        url: &str,
        path: PathBuf,
        backend: Backend,
        key: KeySource,
        create: bool,
    ) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let err = db_error(&path);
        // One connection first, so that a database that cannot be used (a damaged file, a
        // refused login) says so at once instead of the pool retrying until it times out.
        let mut first = sqlx::AnyConnection::connect(url).await.map_err(&err)?;
        prepare(&mut first, backend).await.map_err(&err)?;
        if !create {
            // Before any migration the table is missing: no team.
            let check: std::result::Result<Option<Vec<u8>>, _> =
                sqlx::query_scalar("SELECT value FROM vault_meta WHERE key = 'check'")
                    .fetch_optional(&mut first)
                    .await;
            if !matches!(check, Ok(Some(_))) {
                let _ = first.close().await;
                return Err(Error::InvalidConfig(format!(
                    "{} holds no team yet: run `tokentray team init` once, then `tokentray team join` on the other machines",
                    path.display()
                )));
            }
        }
        let _ = first.close().await;
        // A team's database that is away must say so soon: a caller waiting for a token is
        // told `team_unreachable` (and served a still-valid one) rather than kept waiting.
        let acquire = match backend {
            Backend::Sqlite => std::time::Duration::from_secs(30),
            Backend::Postgres => std::time::Duration::from_secs(2),
        };
        let pool = AnyPoolOptions::new()
            // Few: a team's database serves every engine (the goal is at most 5 each).
            .max_connections(4)
            .acquire_timeout(acquire)
            .after_connect(move |conn, _| Box::pin(prepare(conn, backend)))
            .connect(url)
            .await
            .map_err(&err)?;
        let migrator = match backend {
            Backend::Sqlite => sqlx::migrate!("./migrations"),
            Backend::Postgres => sqlx::migrate!("./migrations-pg"),
        };
        migrator.run(&pool).await.map_err(|e| match e {
            sqlx::migrate::MigrateError::VersionMissing(v) => Error::Storage(format!(
                "{} was written by a newer Tokentray (schema version {v}); upgrade Tokentray — nothing was changed",
                path.display()
            )),
            sqlx::migrate::MigrateError::Execute(e) => err(e),
            other => Error::Storage(format!("{}: {other}", path.display())),
        })?;

        let check: Option<Vec<u8>> = meta(&pool, "check").await.map_err(&err)?;
        let kdf: Option<KdfParams> = meta(&pool, "kdf")
            .await
            .map_err(&err)?
            .map(|b| serde_json::from_slice(&b))
            .transpose()
            .map_err(|e| Error::Storage(format!("the vault's KDF record is damaged: {e}")))?;
        let unlocked = tokio::task::spawn_blocking(move || {
            // The keyring may block (D-Bus); keep it off the async workers.
            Vault::unlock(key, check.as_deref(), kdf)
        })
        .await
        .map_err(|e| Error::Storage(e.to_string()))?;
        let vault = match unlocked {
            Ok(opened) => {
                let kdf = opened
                    .new_kdf
                    .as_ref()
                    .map(|k| serde_json::to_vec(k).expect("serialisable"));
                let made = [
                    ("kdf", kdf.as_deref()),
                    ("check", opened.new_check.as_deref()),
                ];
                if !first_meta(&pool, &made).await.map_err(&err)? {
                    return Err(Error::InvalidConfig(format!(
                        "another Tokentray made the vault of {} at the same moment: its passphrase opens it (`tokentray team join`)",
                        path.display()
                    )));
                }
                tracing::info!(vault = %opened.vault.source, db = %path.display(), "store opened");
                Ok(opened.vault)
            }
            // The accounts stay listed; their secrets must be entered again.
            Err(lost @ Error::VaultKeyLost(_)) => {
                tracing::error!(code = %lost.code(), "{lost}");
                Err(lost)
            }
            Err(other) => return Err(other),
        };
        Ok(Store {
            pool,
            backend,
            url: (backend == Backend::Postgres).then(|| url.to_string()),
            vault,
            path: path.clone(),
            retention: Retention::default(),
        })
    }
}

/// What every connection is set to.
async fn prepare(conn: &mut sqlx::AnyConnection, backend: Backend) -> sqlx::Result<()> {
    if backend == Backend::Postgres {
        // A member that stalls inside a transaction (paused, cut off) must not hold a lease
        // row's lock for ever: the database ends such a session after 10 s (well inside a
        // lease), and no one waits more than 2 s for a row lock.
        conn.execute("SET idle_in_transaction_session_timeout = '10s'; SET lock_timeout = '2s'")
            .await?;
    }
    if backend == Backend::Sqlite {
        // WAL; a committed rotation survives a power cut, not just a crash.
        conn.execute(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
        )
        .await?;
    }
    Ok(())
}

async fn meta(pool: &AnyPool, key: &str) -> std::result::Result<Option<Vec<u8>>, sqlx::Error> {
    sqlx::query_scalar("SELECT value FROM vault_meta WHERE key = $1")
        .bind(key)
        .fetch_optional(pool)
        .await
}

/// Writes a new vault's records in one transaction, unless they are there already (another
/// engine made the vault a moment before): `false` then, and nothing of ours is written.
async fn first_meta(
    pool: &AnyPool,
    records: &[(&str, Option<&[u8]>)],
) -> std::result::Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let mut ours = true;
    for (key, value) in records {
        let Some(value) = value else { continue };
        sqlx::query(
            "INSERT INTO vault_meta (key, value) VALUES ($1, $2) ON CONFLICT(key) DO NOTHING",
        )
        .bind(*key)
        .bind(*value)
        .execute(&mut *tx)
        .await?;
        let held: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT value FROM vault_meta WHERE key = $1")
                .bind(*key)
                .fetch_optional(&mut *tx)
                .await?;
        ours &= held.as_deref() == Some(*value);
    }
    match ours {
        true => tx.commit().await?,
        false => tx.rollback().await?,
    }
    Ok(ours)
}

/// The database and its WAL are the user's alone (0600; on Windows the data directory's
/// ACL, which %APPDATA% gives the user alone).
fn restrict_permissions(path: &Path) {
    #[cfg(not(unix))]
    let _ = path;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for p in [
            path.to_path_buf(),
            path.with_extension("db-wal"),
            path.with_extension("db-shm"),
        ] {
            let _ = std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o600));
        }
    }
}
