//! Accounts as stored: settings in plain JSON, secrets sealed by the vault, token state.

use super::*;

impl Store {
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
                    t.error_code, t.error_message, t.last_refresh, t.refresh_expires_at,
                    t.expiry_assumed
             FROM accounts a LEFT JOIN token_state t ON t.account_id = a.id
             WHERE CAST($1 AS TEXT) IS NULL OR a.name = $1 ORDER BY a.name",
        )
        .bind(name)
        .fetch_all(&self.pool)
        .await
        .map_err(self.err())?;
        let sealed = sqlx::query(
            "SELECT s.account_id, s.field, s.sealed FROM sealed_secrets s
             JOIN accounts a ON a.id = s.account_id WHERE CAST($1 AS TEXT) IS NULL OR a.name = $1",
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
            let id_token = secrets.remove(ID_TOKEN);
            // What the engine keeps beside the settings (an AWS role's credentials) is no
            // setting of the account.
            secrets.retain(|field, _| !field.starts_with(KEPT_PREFIX));
            let settings: serde_json::Value = serde_json::from_str(row.get("settings"))
                .map_err(|e| Error::Storage(format!("account {name}: damaged settings: {e}")))?;
            let kind: String = row.get("grant_kind");
            // A grant this version does not know (a newer Tokentray's) is listed, not usable.
            let grant_kind = GrantKind::parse(&kind).unwrap_or(GrantKind::Custom);
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
                    expiry_assumed: row.get::<Option<i64>, _>("expiry_assumed").unwrap_or(0) != 0,
                    scope: row.get("scope"),
                    id_token: id_token.clone(),
                });
                let error = row.get::<Option<String>, _>("error_code").map(|c| ErrorView {
                    // A code this version does not know was written by a newer one.
                    code: ErrorCode::parse(&c).unwrap_or(ErrorCode::Refused),
                    // Written by a version that stored a server's words raw: shown safely.
                    message: crate::text::shown(
                        &row.get::<Option<String>, _>("error_message").unwrap_or_default(),
                        crate::text::MAX_MESSAGE_CHARS,
                    ),
                });
                StoredState {
                    status: AccountStatus::parse(&status).unwrap_or_else(|| {
                        // Written by a newer Tokentray: refresh it as if new.
                        tracing::warn!(account = %name, %status, "unknown status; refreshing the account");
                        AccountStatus::Pending
                    }),
                    token,
                    error,
                    last_refresh: at(row.get("last_refresh")),
                }
            });
            out.push(StoredAccount {
                id,
                name,
                grant_kind,
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
             VALUES ($1, $2, $3, $4, $5, $6, $6)
             ON CONFLICT(name) DO UPDATE SET grant_kind = $2, settings = $3, source = $4,
                 source_digest = $5, updated_at = $6
             RETURNING id",
        )
        .bind(&config.name)
        .bind(config.grant.kind().as_str())
        .bind(&settings)
        .bind(source)
        .bind(digest)
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(self.err())?;
        for table in ["sealed_secrets", "token_state", "fired_warnings"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE account_id = $1"))
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(self.err())?;
        }
        if self.is_team() {
            // A refresh another engine has under way started from the old settings: its
            // result must not land on the edited account (it once put the old refresh
            // token's family back over the new one). Raising the epoch fences its write.
            sqlx::query(
                "UPDATE leases SET epoch = epoch + 1, expires_at = now() WHERE account_id = $1",
            )
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(self.err())?;
        }
        for (field, secret) in &config.secrets {
            sqlx::query("INSERT INTO sealed_secrets (account_id, field, sealed, updated_at) VALUES ($1, $2, $3, $4)")
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

    /// Names stored before names had a rule ([`crate::text::check_name`]: a newline, an
    /// escape, a NUL, a thousand characters) renamed to ones that keep it, and token
    /// exchanges that name them as their subject pointed at the new name; says what was
    /// renamed to what. One transaction: all of it or nothing.
    pub async fn fix_names(&self) -> Result<Vec<(String, String)>> {
        let mut tx = self.pool.begin().await.map_err(self.err())?;
        let rows = sqlx::query("SELECT id, name, settings FROM accounts ORDER BY id")
            .fetch_all(&mut *tx)
            .await
            .map_err(self.err())?;
        let mut taken: std::collections::HashSet<String> =
            rows.iter().map(|r| r.get::<String, _>("name")).collect();
        let mut renamed = Vec::new();
        for row in &rows {
            let (id, name): (i64, String) = (row.get("id"), row.get("name"));
            if crate::text::check_name(&name).is_ok() {
                continue;
            }
            let base = crate::text::fixed_name(&name);
            let mut fixed = base.clone();
            for n in 2u32.. {
                if !taken.contains(&fixed) {
                    break;
                }
                let suffix = format!("-{n}");
                let keep = crate::text::MAX_NAME_CHARS.saturating_sub(suffix.chars().count());
                fixed = format!("{}{suffix}", base.chars().take(keep).collect::<String>());
            }
            sqlx::query("UPDATE accounts SET name = $1 WHERE id = $2")
                .bind(&fixed)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(self.err())?;
            taken.insert(fixed.clone());
            renamed.push((name, fixed));
        }
        for row in &rows {
            let id: i64 = row.get("id");
            let text: String = row.get("settings");
            let Ok(mut settings) = serde_json::from_str::<serde_json::Value>(&text) else {
                continue;
            };
            let subject = settings.get("subject_account").and_then(|s| s.as_str());
            let Some((_, new)) = renamed
                .iter()
                .find(|(old, _)| Some(old.as_str()) == subject)
            else {
                continue;
            };
            settings["subject_account"] = serde_json::Value::String(new.clone());
            sqlx::query("UPDATE accounts SET settings = $1 WHERE id = $2")
                .bind(settings.to_string())
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(self.err())?;
        }
        tx.commit().await.map_err(self.err())?;
        Ok(renamed)
    }

    pub async fn remove_account(&self, name: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM accounts WHERE name = $1")
            .bind(name)
            .execute(&self.pool)
            .await
            .map_err(self.err())?;
        Ok(done.rows_affected() > 0)
    }

    /// A value the engine keeps for an account beside its settings (`field` starts with
    /// [`KEPT_PREFIX`]), sealed; gone when the account is edited or removed.
    pub async fn keep(
        &self,
        account: &str,
        field: &str,
        value: &crate::secret::Secret,
    ) -> Result<()> {
        let vault = self.vault()?;
        let id: Option<i64> = sqlx::query_scalar("SELECT id FROM accounts WHERE name = $1")
            .bind(account)
            .fetch_optional(&self.pool)
            .await
            .map_err(self.err())?;
        let Some(id) = id else { return Ok(()) };
        let field = format!("{KEPT_PREFIX}{field}");
        sqlx::query(
            "INSERT INTO sealed_secrets (account_id, field, sealed, updated_at) VALUES ($1, $2, $3, 0)
             ON CONFLICT(account_id, field) DO UPDATE SET sealed = $3",
        )
        .bind(id)
        .bind(&field)
        .bind(vault.seal(id, &field, value))
        .execute(&self.pool)
        .await
        .map_err(self.err())?;
        Ok(())
    }

    /// Drops what [`Store::keep`] kept under `field`.
    pub async fn forget_kept(&self, account: &str, field: &str) -> Result<()> {
        let field = format!("{KEPT_PREFIX}{field}");
        sqlx::query(
            "DELETE FROM sealed_secrets WHERE field = $2
             AND account_id = (SELECT id FROM accounts WHERE name = $1)",
        )
        .bind(account)
        .bind(&field)
        .execute(&self.pool)
        .await
        .map_err(self.err())?;
        Ok(())
    }

    /// What [`Store::keep`] kept, if it is there and opens.
    pub async fn kept(&self, account: &str, field: &str) -> Result<Option<crate::secret::Secret>> {
        let field = format!("{KEPT_PREFIX}{field}");
        let row: Option<(i64, Vec<u8>)> = sqlx::query_as(
            "SELECT s.account_id, s.sealed FROM sealed_secrets s JOIN accounts a ON a.id = s.account_id
             WHERE a.name = $1 AND s.field = $2",
        )
        .bind(account)
        .bind(&field)
        .fetch_optional(&self.pool)
        .await
        .map_err(self.err())?;
        let Some((id, sealed)) = row else {
            return Ok(None);
        };
        Ok(self.vault()?.open(id, &field, &sealed).ok())
    }
}
