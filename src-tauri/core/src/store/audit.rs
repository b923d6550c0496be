//! The audit of lends: every token lent and every refusal, one row each (account, time, the
//! way it was asked for, the program, the outcome; never the token), trimmed like the history;
//! read back newest first, and summed per program for an account's page ("Used by").

use super::*;

/// One lend or refusal, as the audit shows it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Lend {
    pub account: String,
    pub at: DateTime<Utc>,
    /// How it was asked for: `token`, `exec`, `git`, `kubectl`, `docker`, `env`, `dpop`,
    /// `window copy`, `tray copy`, `export`.
    pub via: String,
    pub program: String,
    pub program_path: String,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub pid: Option<i64>,
    /// `tokentray exec`: the program that ran it (the token went to `program`).
    pub on_behalf_of: Option<String>,
    /// `lent`, `refused` (not in `lend_to`), `denied` (by the person, or no answer), `locked`.
    pub outcome: String,
    /// Team mode: which engine lent it.
    pub engine: Option<String>,
}

/// A program that used an account: how often and when last.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Usage {
    pub program: String,
    pub program_path: String,
    pub last: DateTime<Utc>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub lent: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub refused: i64,
}

impl Store {
    /// Records one lend or refusal of account `name` (none recorded for an unknown account),
    /// and trims the account's audit.
    pub async fn record_lend(&self, lend: &Lend) -> Result<()> {
        // Writes first, reads inside them: a transaction that read before it wrote cannot
        // wait for another writer in SQLite (it fails at once with "database is locked").
        let mut tx = self.pool.begin().await.map_err(self.err())?;
        let written = sqlx::query(
            "INSERT INTO lends (account_id, at, via, program, program_path, pid, on_behalf_of, outcome, engine)
             SELECT id, $2, $3, $4, $5, $6, $7, $8, $9 FROM accounts WHERE name = $1",
        )
        .bind(&lend.account)
        .bind(ms(lend.at))
        .bind(&lend.via)
        .bind(&lend.program)
        .bind(&lend.program_path)
        .bind(lend.pid)
        .bind(&lend.on_behalf_of)
        .bind(&lend.outcome)
        .bind(&lend.engine)
        .execute(&mut *tx)
        .await
        .map_err(self.err())?;
        if written.rows_affected() == 0 {
            return Ok(());
        }
        sqlx::query(
            "DELETE FROM lends WHERE account_id = (SELECT id FROM accounts WHERE name = $1)
                 AND (at < $2 OR id NOT IN (SELECT l.id FROM lends l JOIN accounts a ON a.id = l.account_id
                     WHERE a.name = $1 ORDER BY l.at DESC, l.id DESC LIMIT $3))",
        )
        .bind(&lend.account)
        .bind(ms(crate::time::before(lend.at, self.retention.max_age)))
        .bind(self.retention.max_rows)
        .execute(&mut *tx)
        .await
        .map_err(self.err())?;
        tx.commit().await.map_err(self.err())
    }

    /// The newest `limit` lends and refusals, of one account or of all.
    pub async fn audit(&self, name: Option<&str>, limit: i64) -> Result<Vec<Lend>> {
        let rows = sqlx::query(
            "SELECT a.name, l.at, l.via, l.program, l.program_path, l.pid, l.on_behalf_of,
                    l.outcome, l.engine
             FROM lends l JOIN accounts a ON a.id = l.account_id
             WHERE $1 = '' OR a.name = $1 ORDER BY l.at DESC, l.id DESC LIMIT $2",
        )
        .bind(name.unwrap_or_default())
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(self.err())?;
        Ok(rows
            .into_iter()
            .map(|row| Lend {
                account: row.get(0),
                at: at(row.get(1)).unwrap_or_default(),
                via: row.get(2),
                program: row.get(3),
                program_path: row.get(4),
                pid: row.get(5),
                on_behalf_of: row.get(6),
                outcome: row.get(7),
                engine: row.get(8),
            })
            .collect())
    }

    /// The programs that used account `name`, most recent first.
    pub async fn used_by(&self, name: &str) -> Result<Vec<Usage>> {
        let rows = sqlx::query(
            "SELECT l.program, l.program_path, MAX(l.at),
                    SUM(CASE WHEN l.outcome = 'lent' THEN 1 ELSE 0 END),
                    SUM(CASE WHEN l.outcome = 'lent' THEN 0 ELSE 1 END)
             FROM lends l JOIN accounts a ON a.id = l.account_id
             WHERE a.name = $1 GROUP BY l.program, l.program_path ORDER BY MAX(l.at) DESC LIMIT 50",
        )
        .bind(name)
        .fetch_all(&self.pool)
        .await
        .map_err(self.err())?;
        Ok(rows
            .into_iter()
            .map(|row| Usage {
                program: row.get(0),
                program_path: row.get(1),
                last: at(row.get(2)).unwrap_or_default(),
                lent: row.get(3),
                refused: row.get(4),
            })
            .collect())
    }
}
