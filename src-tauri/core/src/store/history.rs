//! The refresh history: one row per refresh, written in the same transaction as the token
//! state (and a rotated refresh token), read back a page at a time.

use super::*;

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
    /// Which engine of a team did it (host/id); none on one machine.
    #[serde(default)]
    pub engine: Option<String>,
    /// A narrower token for one call, not the account's own: what was asked and how
    /// (`scope=api:read by refresh`).
    #[serde(default)]
    pub narrowed: Option<String>,
}

/// What one refresh did, to be written at once.
pub struct RefreshRecord<'a> {
    pub account_id: i64,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub result: std::result::Result<&'a TokenSet, &'a Error>,
    pub status: AccountStatus,
    /// A failed refresh whose answer still carried a new refresh token: sealed in place of
    /// the old one, in the same transaction.
    pub rotated_refresh_token: Option<&'a crate::secret::Secret>,
    /// Team mode: the lease it was done under. The result is written only if that lease's
    /// epoch is still the account's; else `fenced`, and nothing is written.
    pub lease: Option<&'a Lease>,
    /// Team mode: which engine did it (host/id), for the history.
    pub engine: Option<&'a str>,
}

impl Store {
    /// Writes one refresh in one transaction: the new sealed access token, the new sealed
    /// refresh token when it rotated, the token state, the history row; then trims history.
    pub async fn record_refresh(&self, r: RefreshRecord<'_>) -> Result<()> {
        let vault = self.vault()?;
        let mut tx = self.pool.begin().await.map_err(self.err())?;
        if let Some(lease) = r.lease {
            // Locks the lease row until the commit: no one takes it over meanwhile.
            let held: Option<(i64, String)> =
                sqlx::query_as("SELECT epoch, holder FROM leases WHERE account_id = $1 FOR UPDATE")
                    .bind(r.account_id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(self.err())?;
            if held != Some((lease.epoch, lease.holder.clone())) {
                return Err(Error::Fenced(lease.epoch));
            }
        }
        let latency = crate::time::between(r.started_at, r.finished_at)
            .num_milliseconds()
            .max(0);
        let now = ms(r.finished_at);
        // The secrets to seal: a new token set, or a failure's rotated refresh token.
        let sealed = match r.result {
            Ok(token) => std::iter::once((ACCESS_TOKEN, &token.access_token))
                .chain(token.refresh_token.iter().map(|rt| (REFRESH_TOKEN, rt)))
                .chain(token.id_token.iter().map(|id| (ID_TOKEN, id)))
                .collect(),
            Err(_) => r
                .rotated_refresh_token
                .map(|rt| (REFRESH_TOKEN, rt))
                .into_iter()
                .collect::<Vec<_>>(),
        };
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
        match r.result {
            Ok(token) => {
                let claims = crate::jwt::decode(token.access_token.expose())
                    .map(|jwt| serde_json::to_string(&jwt.claims).expect("serialisable"));
                sqlx::query(
                    "INSERT INTO token_state (account_id, status, token_type, issued_at, expires_at,
                         scope, claims, error_code, error_message, last_refresh, refresh_expires_at,
                         expiry_assumed)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL, $8, $9, $10)
                     ON CONFLICT(account_id) DO UPDATE SET status = $2, token_type = $3,
                         issued_at = $4, expires_at = $5, scope = $6, claims = $7, error_code = NULL,
                         error_message = NULL, last_refresh = $8, refresh_expires_at = $9,
                         expiry_assumed = $10",
                )
                .bind(r.account_id)
                .bind(r.status.as_str())
                .bind(&token.token_type)
                .bind(ms(token.issued_at))
                .bind(token.expires_at.map(ms))
                .bind(&token.scope)
                .bind(claims)
                .bind(now)
                .bind(token.refresh_expires_at.map(ms))
                .bind(i64::from(token.expiry_assumed))
                .execute(&mut *tx)
                .await
                .map_err(self.err())?;
            }
            Err(e) => {
                sqlx::query(
                    "INSERT INTO token_state (account_id, status, error_code, error_message) VALUES ($1, $2, $3, $4)
                     ON CONFLICT(account_id) DO UPDATE SET status = $2, error_code = $3, error_message = $4",
                )
                .bind(r.account_id)
                .bind(r.status.as_str())
                .bind(e.code().as_str())
                .bind(e.message())
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
                Some(e.message()),
                e.http_status().map(i64::from),
                None,
            ),
        };
        sqlx::query(
            "INSERT INTO refresh_history (account_id, started_at, finished_at, outcome, error_code,
                 error_message, http_status, latency_ms, expires_at, engine)
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
        .bind(r.engine)
        .execute(&mut *tx)
        .await
        .map_err(self.err())?;
        sqlx::query(
            "DELETE FROM refresh_history WHERE account_id = $1 AND (started_at < $2 OR id NOT IN
                 (SELECT id FROM refresh_history WHERE account_id = $1 ORDER BY started_at DESC, id DESC LIMIT $3))",
        )
        .bind(r.account_id)
        .bind(ms(crate::time::before(r.finished_at, self.retention.max_age)))
        .bind(self.retention.max_rows)
        .execute(&mut *tx)
        .await
        .map_err(self.err())?;
        if let Some(lease) = r.lease {
            sqlx::query(
                "UPDATE leases SET expires_at = now() WHERE account_id = $1 AND epoch = $2",
            )
            .bind(r.account_id)
            .bind(lease.epoch)
            .execute(&mut *tx)
            .await
            .map_err(self.err())?;
        }
        if self.is_team() {
            // Delivered at the commit: the other engines read the new state at once.
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(format!("{} {}", r.account_id, r.engine.unwrap_or("")))
                .execute(&mut *tx)
                .await
                .map_err(self.err())?;
        }
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
                    h.http_status, h.latency_ms, h.expires_at, h.engine, h.narrowed
             FROM refresh_history h JOIN accounts a ON a.id = h.account_id
             WHERE a.name = $1 AND h.id < $2 ORDER BY h.started_at DESC, h.id DESC LIMIT $3",
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
                error_message: row
                    .get::<Option<String>, _>(5)
                    .map(|m| crate::text::shown(&m, crate::text::MAX_MESSAGE_CHARS)),
                http_status: row.get(6),
                latency_ms: row.get(7),
                expires_at: at(row.get(8)),
                engine: row.get(9),
                narrowed: row.get(10),
            })
            .collect())
    }
}
