//! Team mode's coordination, on PostgreSQL: a lease per account with a fencing epoch, so that
//! exactly one engine of the team refreshes an account and a stale one cannot write over a
//! newer token; engines' heartbeats; and a notification when an account's token changes, so
//! the others take it at once. Lease times are the database's clock (`now()`). No advisory
//! locks: they do not survive poolers such as PgBouncer.

use super::*;

/// Whether the database at `url` already holds a team's vault: `tokentray team join` needs
/// one, `tokentray team init` refuses to make a second.
pub async fn team_exists(url: &str) -> Result<bool> {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let err = db_error(Path::new("the team's database"));
    let mut conn = sqlx::AnyConnection::connect(url).await.map_err(&err)?;
    // Before any migration the table is missing: no team.
    let check: std::result::Result<Option<Vec<u8>>, _> =
        sqlx::query_scalar("SELECT value FROM vault_meta WHERE key = 'check'")
            .fetch_optional(&mut conn)
            .await;
    let _ = conn.close().await;
    Ok(matches!(check, Ok(Some(_))))
}

/// The channel changes are announced on (payload: `ACCOUNT_ID engine` for a token,
/// `accounts engine` or `settings engine`).
pub const CHANNEL: &str = "tokentray_tokens";

/// PostgreSQL's SQLSTATE for a lock not granted within `lock_timeout`.
const LOCK_NOT_AVAILABLE: &str = "55P03";

/// An account's lease as taken: its epoch fences the result's write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub account_id: i64,
    pub holder: String,
    pub epoch: i64,
    /// The account's last refresh as the database has it: when it is the one the engine
    /// holds, the engine's state is the team's newest and need not be read again.
    pub last_refresh: Option<DateTime<Utc>>,
}

/// An engine of the team, as `tokentray team status` lists it.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct TeamEngine {
    pub id: String,
    pub host: String,
    pub started_at: DateTime<Utc>,
    pub heartbeat: DateTime<Utc>,
    /// Leases it holds now.
    pub leases: i64,
}

impl Store {
    /// Whether several engines share this store (PostgreSQL).
    pub fn is_team(&self) -> bool {
        self.backend == Backend::Postgres
    }

    /// Takes the account's lease for `secs`, unless another holder's has not run out: then
    /// `None`. Each take raises the epoch.
    pub async fn take_lease(
        &self,
        account_id: i64,
        holder: &str,
        secs: f64,
    ) -> Result<Option<Lease>> {
        let epoch: std::result::Result<Option<i64>, _> = sqlx::query_scalar(
            "INSERT INTO leases (account_id, holder, epoch, expires_at)
             VALUES ($1, $2, 1, now() + make_interval(secs => $3))
             ON CONFLICT (account_id) DO UPDATE
                 SET holder = $2, epoch = leases.epoch + 1, expires_at = now() + make_interval(secs => $3)
                 WHERE leases.expires_at <= now()
             RETURNING epoch",
        )
        .bind(account_id)
        .bind(holder)
        .bind(secs)
        .fetch_optional(&self.pool)
        .await;
        let epoch = match epoch {
            // The lease row is locked by a holder writing its result (or stalled doing so):
            // held, as far as this engine is concerned.
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some(LOCK_NOT_AVAILABLE) => {
                return Ok(None)
            }
            other => other.map_err(self.err())?,
        };
        let Some(epoch) = epoch else {
            return Ok(None);
        };
        // A statement of its own: the one above may have waited for the previous holder's
        // commit, but it reads with the snapshot it started with (READ COMMITTED), which
        // misses that commit. This one sees it.
        let last_refresh: Option<i64> =
            sqlx::query_scalar("SELECT last_refresh FROM token_state WHERE account_id = $1")
                .bind(account_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(self.err())?
                .flatten();
        Ok(Some(Lease {
            account_id,
            holder: holder.into(),
            epoch,
            last_refresh: at(last_refresh),
        }))
    }

    /// Ends a lease early (nothing was refreshed): it runs out now, its epoch stays.
    pub async fn release_lease(&self, lease: &Lease) -> Result<()> {
        sqlx::query("UPDATE leases SET expires_at = now() WHERE account_id = $1 AND holder = $2 AND epoch = $3")
            .bind(lease.account_id)
            .bind(&lease.holder)
            .bind(lease.epoch)
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(self.err())
    }

    /// Tells the team's other engines that the accounts or the settings changed (`what`:
    /// `accounts` or `settings`). Nothing on one machine.
    pub async fn announce(&self, what: &str, engine: &str) -> Result<()> {
        if !self.is_team() {
            return Ok(());
        }
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(format!("{what} {engine}"))
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(self.err())
    }

    /// Says this engine is alive (every few seconds).
    pub async fn heartbeat(&self, engine: &str, host: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO engines (id, host) VALUES ($1, $2)
             ON CONFLICT (id) DO UPDATE SET heartbeat = now()",
        )
        .bind(engine)
        .bind(host)
        .execute(&self.pool)
        .await
        .map(drop)
        .map_err(self.err())
    }

    /// The team's engines, the last heard from first, with the leases each holds now.
    pub async fn team_engines(&self) -> Result<Vec<TeamEngine>> {
        let rows = sqlx::query(
            "SELECT e.id, e.host,
                    CAST(EXTRACT(EPOCH FROM e.started_at) * 1000 AS BIGINT),
                    CAST(EXTRACT(EPOCH FROM e.heartbeat) * 1000 AS BIGINT),
                    (SELECT COUNT(*) FROM leases l WHERE l.holder = e.id AND l.expires_at > now())
             FROM engines e ORDER BY e.heartbeat DESC",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(self.err())?;
        Ok(rows
            .into_iter()
            .map(|r| TeamEngine {
                id: r.get(0),
                host: r.get(1),
                started_at: at(r.get(2)).unwrap_or_default(),
                heartbeat: at(r.get(3)).unwrap_or_default(),
                leases: r.get(4),
            })
            .collect())
    }

    /// A connection that hears token changes (its own, outside the pool).
    pub async fn listen(&self) -> Result<sqlx::postgres::PgListener> {
        let url = self
            .url
            .as_deref()
            .ok_or_else(|| Error::Storage("only a team's database announces changes".into()))?;
        let mut listener = sqlx::postgres::PgListener::connect(url)
            .await
            .map_err(self.err())?;
        listener.listen(CHANNEL).await.map_err(self.err())?;
        Ok(listener)
    }
}
