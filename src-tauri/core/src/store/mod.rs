//! The store: one SQLite file per data directory (WAL, embedded migrations, runtime-checked
//! queries), or in team mode a PostgreSQL database several engines share, holding accounts,
//! their sealed secrets, token state, refresh history, settings and fired expiry warnings.
//! Secrets go through the [`Vault`] on the way in and out, so the database never holds one in
//! plaintext. A refresh result is written in one transaction. One set of queries serves both
//! databases (sqlx's `any` driver; `$N` parameters and `ON CONFLICT`, which both speak); each
//! has its own migrations (`migrations/`, `migrations-pg/`).

use crate::account::AccountConfig;
use crate::error::{Error, Result};
use crate::grant::GrantKind;
use crate::token::TokenSet;
use crate::vault::Vault;
use crate::view::{AccountStatus, ErrorCode, ErrorView};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::AnyPool;
use sqlx::Row;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod accounts;
mod audit;
mod open;

pub use open::{database_url, redacted, write_database_url, CONFIG_FILE};
mod history;
mod narrowed;
mod team;

pub use audit::{Lend, Usage};
pub use history::{HistoryEntry, RefreshRecord};
pub use narrowed::NarrowRecord;
pub use team::{team_exists, Lease, TeamEngine, CHANNEL};

pub const DB_FILE: &str = "tokentray.db";
/// Fields of the token state that hold secrets.
const ACCESS_TOKEN: &str = "current_access_token";
const REFRESH_TOKEN: &str = "current_refresh_token";
const ID_TOKEN: &str = "current_id_token";
/// Values the engine keeps for an account beside its settings ([`Store::keep`]).
pub const KEPT_PREFIX: &str = "kept:";

/// History is kept bounded: rows older than this, or beyond this many per account, go.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub max_age: chrono::Duration,
    pub max_rows: i64,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            max_age: crate::time::secs(90 * 86_400),
            max_rows: 1000,
        }
    }
}

/// Which database the store is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// One file in the data directory: one machine.
    Sqlite,
    /// A database a team's engines share (team mode).
    Postgres,
}

pub struct Store {
    pool: AnyPool,
    pub backend: Backend,
    /// A team's database URL (its listener connects outside the pool).
    url: Option<String>,
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
        let settings: crate::settings::Settings = match row {
            None => return Ok(Default::default()),
            Some(row) => serde_json::from_str(row.get("value"))
                .map_err(|e| Error::Storage(format!("damaged settings: {e}")))?,
        };
        // Written by hand, or by a version with other limits: what is out of range is used
        // at its default, and said.
        Ok(settings.bounded(|problem| {
            tracing::warn!("the saved settings: {problem}; its default is used");
        }))
    }

    pub async fn save_settings(&self, settings: &crate::settings::Settings) -> Result<()> {
        sqlx::query("INSERT INTO settings (key, value) VALUES ('app', $1) ON CONFLICT(key) DO UPDATE SET value = $1")
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
        sqlx::query("INSERT INTO fired_warnings (account_id, token_expires_at, threshold_secs, fired_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
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
        sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(self.err())
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT(key) DO UPDATE SET value = $2")
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(self.err())
    }

    /// Flushes SQLite's WAL into the main file, and closes the pool.
    pub async fn close(&self) {
        if self.backend == Backend::Sqlite {
            let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.pool)
                .await;
        }
        self.pool.close().await;
    }
}

impl Store {
    /// An issuer's metadata as last fetched, with when.
    pub async fn discovered(
        &self,
        issuer: &str,
    ) -> Result<Option<(crate::grant::discovery::Metadata, DateTime<Utc>)>> {
        let row: Option<(String, i64)> =
            sqlx::query_as("SELECT document, fetched_at FROM discovery WHERE issuer = $1")
                .bind(issuer)
                .fetch_optional(&self.pool)
                .await
                .map_err(self.err())?;
        Ok(row.and_then(|(document, at_ms)| {
            let meta = serde_json::from_str(&document).ok()?;
            Some((meta, at(Some(at_ms))?))
        }))
    }

    /// Keeps an issuer's metadata (by the issuer as the account names it), fetched at `now`.
    pub async fn discover_kept(
        &self,
        issuer: &str,
        meta: &crate::grant::discovery::Metadata,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let document = serde_json::to_string(meta).unwrap_or_default();
        sqlx::query(
            "INSERT INTO discovery (issuer, document, fetched_at) VALUES ($1, $2, $3)
             ON CONFLICT(issuer) DO UPDATE SET document = $2, fetched_at = $3",
        )
        .bind(issuer)
        .bind(document)
        .bind(ms(now))
        .execute(&self.pool)
        .await
        .map_err(self.err())?;
        Ok(())
    }
}
