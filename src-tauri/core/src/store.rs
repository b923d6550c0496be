//! The store: one SQLite file per data directory (WAL, embedded migrations, runtime-checked
//! queries) holding accounts, their sealed secrets, token state, refresh history, settings
//! and fired expiry warnings. Secrets go through the [`Vault`] on the way in and out, so the
//! file never holds one in plaintext. A refresh result is written in one transaction.

use crate::account::AccountConfig;
use crate::error::{Error, Result};
use crate::token::TokenSet;
use crate::vault::{KdfParams, KeySource, Vault};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

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
    pub grant_kind: String,
    pub source: String,
    pub source_digest: Option<String>,
    pub config: std::result::Result<AccountConfig, Error>,
    pub state: Option<StoredState>,
}

/// The token state as stored.
pub struct StoredState {
    pub status: String,
    pub token: Option<TokenSet>,
    pub error: Option<(String, String)>,
    pub last_refresh: Option<DateTime<Utc>>,
}

/// One refresh, as the history shows it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct HistoryEntry {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// `ok`, `transient` or `permanent`.
    pub outcome: String,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub http_status: Option<i64>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub latency_ms: i64,
    pub expires_at: Option<DateTime<Utc>>,
}

/// What one refresh did, to be written at once.
pub struct RefreshRecord<'a> {
    pub account_id: i64,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub result: std::result::Result<&'a TokenSet, &'a Error>,
    pub status: &'a str,
    /// A failed refresh whose answer still carried a new refresh token: sealed in place of
    /// the old one, in the same transaction.
    pub rotated_refresh_token: Option<&'a crate::secret::Secret>,
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
                tracing::error!(code = lost.code(), "{lost}");
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

    /// Every account with its settings and token state.
    pub async fn accounts(&self) -> Result<Vec<StoredAccount>> {
        self.accounts_named(None).await
    }

    /// One account, read alone (the window's edit form; not every account's secrets).
    pub async fn account(&self, name: &str) -> Result<Option<StoredAccount>> {
        Ok(self.accounts_named(Some(name)).await?.pop())
    }

    /// Every account, or only the one named.
    async fn accounts_named(&self, name: Option<&str>) -> Result<Vec<StoredAccount>> {
        let rows = sqlx::query(
            "SELECT a.id, a.name, a.grant_kind, a.settings, a.source, a.source_digest,
                    t.status, t.token_type, t.issued_at, t.expires_at, t.scope,
                    t.error_code, t.error_message, t.last_refresh, t.refresh_expires_at
             FROM accounts a LEFT JOIN token_state t ON t.account_id = a.id
             WHERE ?1 IS NULL OR a.name = ?1 ORDER BY a.name",
        )
        .bind(name)
        .fetch_all(&self.pool)
        .await
        .map_err(self.err())?;
        let sealed = sqlx::query(
            "SELECT s.account_id, s.field, s.sealed FROM sealed_secrets s
             JOIN accounts a ON a.id = s.account_id WHERE ?1 IS NULL OR a.name = ?1",
        )
        .bind(name)
        .fetch_all(&self.pool)
        .await
        .map_err(self.err())?;
        let mut by_account: BTreeMap<i64, Vec<(String, Vec<u8>)>> = BTreeMap::new();
        for row in sealed {
            by_account
                .entry(row.get(0))
                .or_default()
                .push((row.get(1), row.get(2)));
        }
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let id: i64 = row.get("id");
            let name: String = row.get("name");
            let mut secrets = BTreeMap::new();
            let mut opened: Result<()> = Ok(());
            for (field, blob) in by_account.remove(&id).unwrap_or_default() {
                match self.vault().and_then(|v| v.open(id, &field, &blob)) {
                    Ok(secret) => {
                        secrets.insert(field, secret);
                    }
                    Err(e) => opened = Err(e),
                }
            }
            let access = secrets.remove(ACCESS_TOKEN);
            let refresh = secrets.remove(REFRESH_TOKEN);
            let settings: serde_json::Value = serde_json::from_str(row.get("settings"))
                .map_err(|e| Error::Storage(format!("account {name}: damaged settings: {e}")))?;
            let config = opened.and_then(|()| match settings {
                serde_json::Value::Object(map) => {
                    AccountConfig::from_parts(name.clone(), map, secrets)
                        .map_err(|m| Error::InvalidConfig(format!("account {name}: {m}")))
                }
                _ => Err(Error::Storage(format!("account {name}: damaged settings"))),
            });
            let state = row.get::<Option<String>, _>("status").map(|status| {
                let token = access.map(|access_token| TokenSet {
                    access_token,
                    token_type: row
                        .get::<Option<String>, _>("token_type")
                        .unwrap_or_else(|| "Bearer".into()),
                    issued_at: at(row.get("issued_at")).unwrap_or_default(),
                    expires_at: at(row.get("expires_at")),
                    refresh_token: refresh.clone(),
                    refresh_expires_at: at(row.get("refresh_expires_at")),
                    scope: row.get("scope"),
                });
                let error = row.get::<Option<String>, _>("error_code").map(|c| {
                    (
                        c,
                        row.get::<Option<String>, _>("error_message")
                            .unwrap_or_default(),
                    )
                });
                StoredState {
                    status,
                    token,
                    error,
                    last_refresh: at(row.get("last_refresh")),
                }
            });
            out.push(StoredAccount {
                id,
                name,
                grant_kind: row.get("grant_kind"),
                source: row.get("source"),
                source_digest: row.get("source_digest"),
                config,
                state,
            });
        }
        Ok(out)
    }

    /// Adds an account, or replaces one of the same name (its settings, secrets and token
    /// state: a changed account starts afresh). Returns its id.
    pub async fn put_account(
        &self,
        config: &AccountConfig,
        source: &str,
        digest: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let vault = self.vault()?;
        let mut tx = self.pool.begin().await.map_err(self.err())?;
        let settings = serde_json::to_string(&config.settings).expect("serialisable");
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO accounts (name, grant_kind, settings, source, source_digest, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
             ON CONFLICT(name) DO UPDATE SET grant_kind = ?2, settings = ?3, source = ?4,
                 source_digest = ?5, updated_at = ?6
             RETURNING id",
        )
        .bind(&config.name)
        .bind(config.grant.kind())
        .bind(&settings)
        .bind(source)
        .bind(digest)
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(self.err())?;
        for table in ["sealed_secrets", "token_state", "fired_warnings"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE account_id = ?"))
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(self.err())?;
        }
        for (field, secret) in &config.secrets {
            sqlx::query("INSERT INTO sealed_secrets (account_id, field, sealed, updated_at) VALUES (?, ?, ?, ?)")
                .bind(id)
                .bind(field)
                .bind(vault.seal(id, field, secret))
                .bind(ms(now))
                .execute(&mut *tx)
                .await
                .map_err(self.err())?;
        }
        tx.commit().await.map_err(self.err())?;
        Ok(id)
    }

    pub async fn remove_account(&self, name: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM accounts WHERE name = ?")
            .bind(name)
            .execute(&self.pool)
            .await
            .map_err(self.err())?;
        Ok(done.rows_affected() > 0)
    }

    /// Writes one refresh in one transaction: the new sealed access token, the new sealed
    /// refresh token when it rotated, the token state, the history row; then trims history.
    pub async fn record_refresh(&self, r: RefreshRecord<'_>) -> Result<()> {
        let vault = self.vault()?;
        let mut tx = self.pool.begin().await.map_err(self.err())?;
        let latency = (r.finished_at - r.started_at).num_milliseconds().max(0);
        let now = ms(r.finished_at);
        // The secrets to seal: a new token set, or a failure's rotated refresh token.
        let sealed = match r.result {
            Ok(token) => std::iter::once((ACCESS_TOKEN, &token.access_token))
                .chain(token.refresh_token.iter().map(|rt| (REFRESH_TOKEN, rt)))
                .collect(),
            Err(_) => r
                .rotated_refresh_token
                .map(|rt| (REFRESH_TOKEN, rt))
                .into_iter()
                .collect::<Vec<_>>(),
        };
        for (field, secret) in sealed {
            sqlx::query(
                "INSERT INTO sealed_secrets (account_id, field, sealed, updated_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(account_id, field) DO UPDATE SET sealed = ?3, updated_at = ?4",
            )
            .bind(r.account_id)
            .bind(field)
            .bind(vault.seal(r.account_id, field, secret))
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(self.err())?;
        }
        match r.result {
            Ok(token) => {
                let claims = crate::jwt::decode(token.access_token.expose())
                    .map(|jwt| serde_json::to_string(&jwt.claims).expect("serialisable"));
                sqlx::query(
                    "INSERT OR REPLACE INTO token_state (account_id, status, token_type, issued_at, expires_at,
                         scope, claims, error_code, error_message, last_refresh, refresh_expires_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?)",
                )
                .bind(r.account_id)
                .bind(r.status)
                .bind(&token.token_type)
                .bind(ms(token.issued_at))
                .bind(token.expires_at.map(ms))
                .bind(&token.scope)
                .bind(claims)
                .bind(now)
                .bind(token.refresh_expires_at.map(ms))
                .execute(&mut *tx)
                .await
                .map_err(self.err())?;
            }
            Err(e) => {
                sqlx::query(
                    "INSERT INTO token_state (account_id, status, error_code, error_message) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT(account_id) DO UPDATE SET status = ?2, error_code = ?3, error_message = ?4",
                )
                .bind(r.account_id)
                .bind(r.status)
                .bind(e.code())
                .bind(e.to_string())
                .execute(&mut *tx)
                .await
                .map_err(self.err())?;
            }
        }
        let (outcome, code, message, http_status, expires_at) = match r.result {
            Ok(t) => ("ok", None, None, None, t.expires_at.map(ms)),
            Err(e) => (
                if e.is_transient() {
                    "transient"
                } else {
                    "permanent"
                },
                Some(e.code().to_string()),
                Some(e.to_string()),
                e.http_status().map(i64::from),
                None,
            ),
        };
        sqlx::query(
            "INSERT INTO refresh_history (account_id, started_at, finished_at, outcome, error_code,
                 error_message, http_status, latency_ms, expires_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(r.account_id)
        .bind(ms(r.started_at))
        .bind(now)
        .bind(outcome)
        .bind(code)
        .bind(message)
        .bind(http_status)
        .bind(latency)
        .bind(expires_at)
        .execute(&mut *tx)
        .await
        .map_err(self.err())?;
        sqlx::query(
            "DELETE FROM refresh_history WHERE account_id = ?1 AND (started_at < ?2 OR id NOT IN
                 (SELECT id FROM refresh_history WHERE account_id = ?1 ORDER BY started_at DESC, id DESC LIMIT ?3))",
        )
        .bind(r.account_id)
        .bind(ms(r.finished_at - self.retention.max_age))
        .bind(self.retention.max_rows)
        .execute(&mut *tx)
        .await
        .map_err(self.err())?;
        tx.commit().await.map_err(self.err())
    }

    /// An account's history, newest first: `limit` entries older than `before_id` (a page).
    pub async fn history(
        &self,
        name: &str,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<HistoryEntry>> {
        let rows = sqlx::query(
            "SELECT h.id, h.started_at, h.finished_at, h.outcome, h.error_code, h.error_message,
                    h.http_status, h.latency_ms, h.expires_at
             FROM refresh_history h JOIN accounts a ON a.id = h.account_id
             WHERE a.name = ? AND h.id < ? ORDER BY h.started_at DESC, h.id DESC LIMIT ?",
        )
        .bind(name)
        .bind(before_id.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(self.err())?;
        Ok(rows
            .into_iter()
            .map(|row| HistoryEntry {
                id: row.get(0),
                started_at: at(row.get(1)).unwrap_or_default(),
                finished_at: at(row.get(2)).unwrap_or_default(),
                outcome: row.get(3),
                error_code: row.get(4),
                error_message: row.get(5),
                http_status: row.get(6),
                latency_ms: row.get(7),
                expires_at: at(row.get(8)),
            })
            .collect())
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
