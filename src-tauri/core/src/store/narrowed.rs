//! A narrower token obtained for one call ([`crate::narrow`]), written in one transaction: the
//! token kept sealed under its ask's name (never as the account's own), the refresh token the
//! request rotated (which the account's next refresh must present), and a history row saying
//! what was asked and how.

use super::{ms, Store, KEPT_PREFIX, REFRESH_TOKEN};
use crate::error::{Error, Result};
use crate::secret::Secret;
use chrono::{DateTime, Utc};

/// What one narrowing did.
pub struct NarrowRecord<'a> {
    pub account_id: i64,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// The token's end when obtained, or why not.
    pub result: std::result::Result<Option<DateTime<Utc>>, &'a Error>,
    /// What was asked and how (`scope=api:read by refresh`).
    pub asked: &'a str,
    /// The token to keep, under this name (without [`KEPT_PREFIX`]), sealed.
    pub kept: Option<(&'a str, &'a Secret)>,
    /// The account's new refresh token, when the answer rotated it.
    pub rotated_refresh_token: Option<&'a Secret>,
}

impl Store {
    pub async fn record_narrowed(&self, r: NarrowRecord<'_>) -> Result<()> {
        let vault = self.vault()?;
        let now = ms(r.finished_at);
        let kept = r
            .kept
            .map(|(field, value)| (format!("{KEPT_PREFIX}{field}"), value));
        let sealed = kept
            .iter()
            .map(|(field, value)| (field.as_str(), *value))
            .chain(r.rotated_refresh_token.map(|rt| (REFRESH_TOKEN, rt)));
        let mut tx = self.pool.begin().await.map_err(self.err())?;
        for (field, secret) in sealed {
            sqlx::query(
                "INSERT INTO sealed_secrets (account_id, field, sealed, updated_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT(account_id, field) DO UPDATE SET sealed = $3, updated_at = $4",
            )
            .bind(r.account_id)
            .bind(field)
            .bind(vault.seal(r.account_id, field, secret))
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(self.err())?;
        }
        let latency = crate::time::between(r.started_at, r.finished_at)
            .num_milliseconds()
            .max(0);
        let (outcome, code, message, http_status, expires_at) = match r.result {
            Ok(expires_at) => ("ok", None, None, None, expires_at.map(ms)),
            Err(e) => (
                if e.is_transient() {
                    "transient"
                } else {
                    "permanent"
                },
                Some(e.code().to_string()),
                Some(e.message()),
                e.http_status().map(i64::from),
                None,
            ),
        };
        sqlx::query(
            "INSERT INTO refresh_history (account_id, started_at, finished_at, outcome, error_code,
                 error_message, http_status, latency_ms, expires_at, narrowed)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
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
        .bind(r.asked)
        .execute(&mut *tx)
        .await
        .map_err(self.err())?;
        tx.commit().await.map_err(self.err())
    }
}
