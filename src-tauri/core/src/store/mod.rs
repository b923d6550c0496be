//! The store: one SQLite file per data directory (WAL, embedded migrations, runtime-checked
//! queries) holding accounts, their sealed secrets, token state, refresh history, settings
//! and fired expiry warnings. Secrets go through the [`Vault`] on the way in and out, so the
//! file never holds one in plaintext. A refresh result is written in one transaction.

use crate::account::AccountConfig;
use crate::error::{Error, Result};
use crate::grant::GrantKind;
use crate::token::TokenSet;
use crate::vault::{KdfParams, KeySource, Vault};
use crate::view::{AccountStatus, ErrorCode, ErrorView};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod accounts;
mod history;

pub use history::{HistoryEntry, RefreshRecord};

pub const DB_FILE: &str = "tokentray.db";
/// Fields of the token state that hold secrets.
const ACCESS_TOKEN: &str = "current_access_token";
const REFRESH_TOKEN: &str = "current_refresh_token";

/// History is kept bounded: rows older than this, or beyond this many per account, go.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub max_age: chrono::Duration,
    pub max_rows: i64,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            max_age: chrono::Duration::days(90),
            max_rows: 1000,
        }
    }
}

pub struct Store {
    pool: SqlitePool,
    /// The opened vault, or why it cannot be opened (`vault_key_lost`): then the accounts are
    /// still listed, their secrets unreadable, and nothing sealed is written or overwritten.
    vault: std::result::Result<Vault, Error>,
    pub path: PathBuf,
    pub retention: Retention,
}

/// An account as stored: its settings opened, or why they could not be.
pub struct StoredAccount {
    pub id: i64,
    pub name: String,
    pub grant_kind: GrantKind,
    pub source: String,
    pub source_digest: Option<String>,
    pub config: std::result::Result<AccountConfig, Error>,
    pub state: Option<StoredState>,
}

/// The token state as stored.
pub struct StoredState {
    pub status: AccountStatus,
    pub token: Option<TokenSet>,
    pub error: Option<ErrorView>,
    pub last_refresh: Option<DateTime<Utc>>,
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn at(ms: Option<i64>) -> Option<DateTime<Utc>> {
    ms.and_then(DateTime::from_timestamp_millis)
}

fn db_error(path: &Path) -> impl Fn(sqlx::Error) -> Error + '_ {
    move |e| {
        let text = e.to_string();
        let hint = if text.contains("file is not a database") || text.contains("malformed") {
            " — the file is damaged or not a Tokentray database; nothing was changed (restore it from a backup, or move it away to start empty)"
        } else if text.contains("readonly") || text.contains("unable to open") {
            " — check that the data directory exists and is writable"
        } else if text.contains("full") {
            " — the disk is full; free space and try again"
        } else {
            ""
        };
        Error::Storage(format!("{}: {text}{hint}", path.display()))
    }
}

impl Store {
    /// Opens (creating if absent) the store in a data directory, migrates it, and opens the
    /// vault with `key`.
    pub async fn open(dir: &Path, key: KeySource) -> Result<Store> {
        let path = dir.join(DB_FILE);
        let err = db_error(&path);
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // A committed rotation survives a power cut, not just a crash.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(&err)?;
        restrict_permissions(&path);
        sqlx::migrate!("./migrations").run(&pool).await.map_err(|e| match e {
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
                if let Some(kdf) = &opened.new_kdf {
                    let kdf = serde_json::to_vec(kdf).expect("serialisable");
                    put_meta(&pool, "kdf", &kdf).await.map_err(&err)?;
                }
                if let Some(check) = &opened.new_check {
                    put_meta(&pool, "check", check).await.map_err(&err)?;
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
            vault,
            path: path.clone(),
            retention: Retention::default(),
        })
    }

    fn err(&self) -> impl Fn(sqlx::Error) -> Error + '_ {
        db_error(&self.path)
    }

    /// The vault, or `vault_key_lost` when its key is gone.
    pub fn vault(&self) -> Result<&Vault> {
        self.vault.as_ref().map_err(Clone::clone)
    }

    /// The app's settings (defaults when never saved).
    pub async fn settings(&self) -> Result<crate::settings::Settings> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = 'app'")
            .fetch_optional(&self.pool)
            .await
            .map_err(self.err())?;
        match row {
            None => Ok(Default::default()),
            Some(row) => serde_json::from_str(row.get("value"))
                .map_err(|e| Error::Storage(format!("damaged settings: {e}"))),
        }
    }

    pub async fn save_settings(&self, settings: &crate::settings::Settings) -> Result<()> {
        sqlx::query("INSERT INTO settings (key, value) VALUES ('app', ?1) ON CONFLICT(key) DO UPDATE SET value = ?1")
            .bind(serde_json::to_string(settings).expect("serialisable"))
            .execute(&self.pool)
            .await
            .map_err(self.err())?;
        Ok(())
    }

    /// Expiry warnings already sent: (account id, token expiry, threshold seconds).
    pub async fn fired_warnings(&self) -> Result<Vec<(i64, DateTime<Utc>, i64)>> {
        let rows =
            sqlx::query("SELECT account_id, token_expires_at, threshold_secs FROM fired_warnings")
                .fetch_all(&self.pool)
                .await
                .map_err(self.err())?;
        Ok(rows
            .into_iter()
            .map(|r| (r.get(0), at(r.get(1)).unwrap_or_default(), r.get(2)))
            .collect())
    }

    pub async fn record_warning(
        &self,
        account_id: i64,
        expires_at: DateTime<Utc>,
        threshold_secs: i64,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query("INSERT OR IGNORE INTO fired_warnings (account_id, token_expires_at, threshold_secs, fired_at) VALUES (?, ?, ?, ?)")
            .bind(account_id)
            .bind(ms(expires_at))
            .bind(threshold_secs)
            .bind(ms(now))
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(self.err())
    }

    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(self.err())
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)")
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(self.err())
    }

    /// Flushes the WAL into the main file and closes the pool.
    pub async fn close(&self) {
        let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await;
        self.pool.close().await;
    }
}

async fn meta(pool: &SqlitePool, key: &str) -> std::result::Result<Option<Vec<u8>>, sqlx::Error> {
    sqlx::query_scalar("SELECT value FROM vault_meta WHERE key = ?")
        .bind(key)
        .fetch_optional(pool)
        .await
}

async fn put_meta(
    pool: &SqlitePool,
    key: &str,
    value: &[u8],
) -> std::result::Result<(), sqlx::Error> {
    sqlx::query("INSERT OR REPLACE INTO vault_meta (key, value) VALUES (?, ?)")
        .bind(key)
        .bind(value)
        .execute(pool)
        .await
        .map(drop)
}

/// The database and its WAL are the user's alone (0600).
fn restrict_permissions(path: &Path) {
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
