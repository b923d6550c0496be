//! The store's suite, run against both backends: a SQLite file and a real PostgreSQL (team
//! mode). The PostgreSQL is the one `tests/postgres.sh` starts (`TOKENTRAY_TEST_POSTGRES_URL`);
//! each test gets a database of its own. Without that variable the PostgreSQL half is skipped
//! with a message, except in CI, where it fails.
#![allow(clippy::disallowed_methods)] // whole-system tests read the real clock

mod support;

use chrono::SubsecRound;
use chrono::Utc;
use std::path::PathBuf;
use support::{clock, Idp};
use tokentray_core::store::{Backend, RefreshRecord, Retention, Store};
use tokentray_core::token::TokenSet;
use tokentray_core::vault::KeySource;
use tokentray_core::{AccountStatus, EngineHandle, Error, Profile, Secret};

fn pass(p: &str) -> KeySource {
    KeySource::Passphrase(Secret::new(p))
}

/// Where a test's store lives.
enum Target {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Target {
    async fn open(&self, key: KeySource) -> tokentray_core::Result<Store> {
        match self {
            Target::Sqlite(dir) => Store::open(dir, key).await,
            // A team made once (`team init`), then opened (`join`, every engine's start).
            Target::Postgres(url) => match tokentray_core::store::team_exists(url).await? {
                true => Store::open_url(url, key).await,
                false => Store::create_team(url, key).await,
            },
        }
    }

    /// Every byte the database holds for its tables, to look for a secret in.
    async fn raw(&self) -> Vec<u8> {
        match self {
            Target::Sqlite(dir) => {
                let mut all = std::fs::read(dir.join("tokentray.db")).unwrap_or_default();
                all.extend(std::fs::read(dir.join("tokentray.db-wal")).unwrap_or_default());
                all
            }
            Target::Postgres(url) => {
                let pool = sqlx::PgPool::connect(url).await.unwrap();
                let mut all = vec![];
                for table in [
                    "accounts",
                    "sealed_secrets",
                    "token_state",
                    "refresh_history",
                    "settings",
                    "vault_meta",
                ] {
                    let rows: Vec<(String,)> =
                        sqlx::query_as(&format!("SELECT CAST(t AS TEXT) FROM {table} t"))
                            .fetch_all(&pool)
                            .await
                            .unwrap();
                    for (row,) in rows {
                        all.extend(row.into_bytes());
                    }
                }
                pool.close().await;
                all
            }
        }
    }
}

/// A fresh SQLite directory and, when a PostgreSQL is at hand, a fresh database on it.
async fn targets(tag: &str) -> Vec<(&'static str, Target)> {
    let dir = std::env::temp_dir().join(format!("tokentray-backends-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut out = vec![("sqlite", Target::Sqlite(dir))];
    match std::env::var("TOKENTRAY_TEST_POSTGRES_URL") {
        Ok(server) => out.push((
            "postgres",
            Target::Postgres(fresh_database(&server, tag).await),
        )),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("CI must run the PostgreSQL half: start one with tests/postgres.sh")
        }
        Err(_) => eprintln!("{tag}: PostgreSQL skipped (TOKENTRAY_TEST_POSTGRES_URL is unset)"),
    }
    out
}

/// A new, empty database on the server: its URL.
async fn fresh_database(server: &str, tag: &str) -> String {
    let name = format!("tt_{tag}_{}", std::process::id());
    let pool = sqlx::PgPool::connect(server).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let mut url = url::Url::parse(server).unwrap();
    url.set_path(&name);
    url.to_string()
}

fn token(access: &str, refresh: Option<&str>, ttl: i64) -> TokenSet {
    let now = Utc::now();
    TokenSet {
        access_token: Secret::new(access),
        token_type: "Bearer".into(),
        issued_at: now,
        expires_at: Some(now + chrono::Duration::seconds(ttl)),
        refresh_token: refresh.map(Secret::new),
        refresh_expires_at: None,
        scope: Some("api:read".into()),
        expiry_assumed: true,
        id_token: None,
    }
}

/// A successful refresh of account `id`, now, by `engine`.
fn ok<'a>(id: i64, set: &'a TokenSet, engine: Option<&'a str>) -> RefreshRecord<'a> {
    let now = Utc::now();
    RefreshRecord {
        account_id: id,
        started_at: now,
        finished_at: now,
        result: Ok(set),
        status: AccountStatus::Ok,
        rotated_refresh_token: None,
        lease: None,
        engine,
    }
}

#[tokio::test]
async fn accounts_secrets_and_tokens_round_trip_sealed() {
    for (backend, target) in targets("roundtrip").await {
        let store = target.open(pass("team")).await.unwrap();
        assert_eq!(
            store.backend,
            if backend == "sqlite" {
                Backend::Sqlite
            } else {
                Backend::Postgres
            }
        );
        let profile = Profile::parse(
            "[[account]]\nname = \"svc\"\ngrant = \"refresh_token\"\ntoken_url = \"https://idp.example/token\"\nclient_id = \"c\"\nclient_secret = \"client-secret-x1\"\nrefresh_token = \"refresh-secret-x2\"\n",
        )
        .unwrap();
        let now = Utc::now();
        let id = store
            .put_account(&profile.account[0], "user", Some("digest"), now)
            .await
            .unwrap();
        let set = token("access-secret-x3", Some("rotated-secret-x4"), 300);
        store.record_refresh(ok(id, &set, None)).await.unwrap();
        // Written again (an upsert of the token state), as every refresh after the first is.
        let set = token("access-secret-x5", Some("rotated-secret-x6"), 300);
        store.record_refresh(ok(id, &set, None)).await.unwrap();
        store.close().await;

        let store = target.open(pass("team")).await.unwrap();
        let [account]: [_; 1] = store.accounts().await.unwrap().try_into().ok().unwrap();
        assert_eq!(
            (account.name.as_str(), account.source_digest.as_deref()),
            ("svc", Some("digest"))
        );
        let config = account.config.unwrap();
        assert_eq!(
            config.secrets["client_secret"].expose(),
            "client-secret-x1",
            "{backend}"
        );
        let state = account.state.unwrap();
        let held = state.token.unwrap();
        assert_eq!(held.access_token.expose(), "access-secret-x5", "{backend}");
        assert_eq!(
            held.refresh_token.unwrap().expose(),
            "rotated-secret-x6",
            "{backend}"
        );
        assert!(held.expiry_assumed, "{backend}");
        assert_eq!(held.scope.as_deref(), Some("api:read"));
        assert_eq!(state.status, AccountStatus::Ok);
        assert!(store.account("nope").await.unwrap().is_none());
        store.close().await;

        let raw = target.raw().await;
        assert!(raw.len() > 100, "{backend}: the tables were read");
        for secret in [
            "client-secret-x1",
            "refresh-secret-x2",
            "access-secret-x5",
            "rotated-secret-x6",
        ] {
            assert!(
                !raw.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{backend}: {secret} in the database"
            );
        }
    }
}

/// The audit of lends on both databases: written, trimmed like the history, read back newest
/// first (one account or all), summed per program, and gone with its account.
#[tokio::test]
async fn lends_are_recorded_trimmed_and_summed_per_program() {
    for (backend, target) in targets("lends").await {
        let mut store = target.open(pass("team")).await.unwrap();
        store.retention = Retention {
            max_age: chrono::Duration::days(90),
            max_rows: 4,
        };
        let profile = Profile::parse(
            "[[account]]\nname = \"a\"\ngrant = \"static\"\ntoken = \"t\"\n\n[[account]]\nname = \"b\"\ngrant = \"static\"\ntoken = \"u\"\n",
        )
        .unwrap();
        let now = Utc::now();
        for account in &profile.account {
            store.put_account(account, "user", None, now).await.unwrap();
        }
        let lend =
            |account: &str, i: i64, program: &str, outcome: &str| tokentray_core::store::Lend {
                account: account.into(),
                at: now + chrono::Duration::seconds(i),
                via: "token".into(),
                program: program.into(),
                program_path: format!("/usr/bin/{program}"),
                pid: Some(100 + i),
                on_behalf_of: None,
                outcome: outcome.into(),
                engine: None,
            };
        for i in 0..6 {
            let (program, outcome) = if i % 3 == 0 {
                ("curl", "refused")
            } else {
                ("git", "lent")
            };
            store
                .record_lend(&lend("a", i, program, outcome))
                .await
                .unwrap();
        }
        store
            .record_lend(&lend("b", 10, "git", "lent"))
            .await
            .unwrap();
        // Unknown accounts record nothing.
        store
            .record_lend(&lend("gone", 11, "git", "lent"))
            .await
            .unwrap();
        let a = store.audit(Some("a"), 100).await.unwrap();
        assert_eq!(a.len(), 4, "{backend}: trimmed to 4: {a:?}");
        assert_eq!(
            a[0].at,
            (now + chrono::Duration::seconds(5)).trunc_subsecs(3),
            "{backend}: newest first"
        );
        assert_eq!(a[0].pid, Some(105));
        let all = store.audit(None, 100).await.unwrap();
        assert_eq!(all.len(), 5, "{backend}");
        assert_eq!(all[0].account, "b");
        let used = store.used_by("a").await.unwrap();
        let git = used.iter().find(|u| u.program == "git").unwrap();
        let curl = used.iter().find(|u| u.program == "curl").unwrap();
        assert_eq!((git.lent, git.refused), (3, 0), "{backend}: {used:?}");
        assert_eq!((curl.lent, curl.refused), (0, 1), "{backend}: {used:?}");
        assert_eq!(used[0].program, "git", "{backend}: most recent first");
        store.remove_account("a").await.unwrap();
        assert!(store.audit(Some("a"), 100).await.unwrap().is_empty());
        store.close().await;
    }
}

#[tokio::test]
async fn history_settings_warnings_and_removal() {
    for (backend, target) in targets("history").await {
        let mut store = target.open(pass("team")).await.unwrap();
        store.retention = Retention {
            max_age: chrono::Duration::days(90),
            max_rows: 5,
        };
        let profile =
            Profile::parse("[[account]]\nname = \"h\"\ngrant = \"static\"\ntoken = \"t\"\n")
                .unwrap();
        let now = Utc::now();
        let id = store
            .put_account(&profile.account[0], "user", None, now)
            .await
            .unwrap();
        let err = Error::ServerError {
            status: 503,
            retry_after: None,
        };
        for i in 0..12 {
            let at = now + chrono::Duration::seconds(i);
            store
                .record_refresh(RefreshRecord {
                    account_id: id,
                    started_at: at,
                    finished_at: at,
                    result: Err(&err),
                    status: AccountStatus::Failing,
                    rotated_refresh_token: None,
                    lease: None,
                    engine: None,
                })
                .await
                .unwrap();
        }
        let all = store.history("h", None, 100).await.unwrap();
        assert_eq!(all.len(), 5, "{backend}: trimmed to the newest 5");
        assert!(
            all.windows(2).all(|w| w[0].started_at > w[1].started_at),
            "{backend}"
        );
        assert_eq!(all[0].http_status, Some(503));
        assert_eq!(all[0].outcome, "transient");
        let page = store.history("h", Some(all[1].id), 2).await.unwrap();
        assert_eq!(page, all[2..4].to_vec(), "{backend}");

        let mut settings = store.settings().await.unwrap();
        settings.clipboard_clear_secs = 7;
        store.save_settings(&settings).await.unwrap();
        store.save_settings(&settings).await.unwrap();
        assert_eq!(
            store.settings().await.unwrap().clipboard_clear_secs,
            7,
            "{backend}"
        );
        store.set_setting("x", "1").await.unwrap();
        store.set_setting("x", "2").await.unwrap();
        assert_eq!(store.setting("x").await.unwrap().as_deref(), Some("2"));

        // A warning is recorded once, however many engines (or restarts) record it.
        for _ in 0..3 {
            store.record_warning(id, now, 3_600, now).await.unwrap();
        }
        assert_eq!(store.fired_warnings().await.unwrap().len(), 1, "{backend}");

        assert!(store.remove_account("h").await.unwrap());
        assert!(!store.remove_account("h").await.unwrap());
        assert!(store.history("h", None, 10).await.unwrap().is_empty());
        assert!(
            store.fired_warnings().await.unwrap().is_empty(),
            "{backend}: cascaded"
        );
        store.close().await;
    }
}

#[tokio::test]
async fn a_wrong_passphrase_is_refused_before_anything_is_written() {
    for (backend, target) in targets("wrongkey").await {
        let store = target.open(pass("right")).await.unwrap();
        store.close().await;
        let before = target.raw().await;
        match target.open(pass("wrong")).await {
            Err(Error::WrongPassphrase) => {}
            Err(other) => panic!("{backend}: {other}"),
            Ok(_) => panic!("{backend}: a wrong passphrase opened the store"),
        }
        assert_eq!(target.raw().await, before, "{backend}: nothing written");
    }
}

#[tokio::test]
async fn an_engine_on_postgres_keeps_its_tokens_across_restarts() {
    let idp = Idp::start(300);
    for (backend, target) in targets("engine").await {
        let Target::Postgres(url) = &target else {
            continue;
        };
        // The data directory names the database in its config.toml.
        let home =
            std::env::temp_dir().join(format!("tokentray-backends-home-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(
            home.join("config.toml"),
            format!("database_url = \"{url}\"\n"),
        )
        .unwrap();
        std::fs::write(
            home.join("profile.toml"),
            format!("[[account]]\nname = \"a\"\ngrant = \"client_credentials\"\ntoken_url = \"{}\"\nclient_id = \"cc-basic\"\nclient_secret = \"cc-basic-secret\"\n", idp.token_url()),
        )
        .unwrap();
        // No team in the database yet: the engine says how to make one, and makes no vault.
        let refused = EngineHandle::open(&home, pass("team"), clock())
            .await
            .err()
            .unwrap();
        assert!(
            refused.to_string().contains("tokentray team init"),
            "{refused}"
        );
        assert!(!tokentray_core::store::team_exists(url).await.unwrap());
        Store::create_team(url, pass("team"))
            .await
            .unwrap()
            .close()
            .await;
        let engine = EngineHandle::open(&home, pass("team"), clock())
            .await
            .unwrap();
        let token = engine.get_token("a").await.unwrap();
        engine.close().await;
        drop(engine);
        assert!(
            !home.join("tokentray.db").exists(),
            "{backend}: no SQLite file beside it"
        );
        let engine = EngineHandle::open(&home, pass("team"), clock())
            .await
            .unwrap();
        assert_eq!(
            engine.get_token("a").await.unwrap().expose(),
            token.expose()
        );
        engine.close().await;
    }
}

#[tokio::test]
async fn a_lease_has_one_holder_and_a_stale_holder_is_fenced_off() {
    for (_, target) in targets("lease").await {
        let Target::Postgres(url) = &target else {
            continue;
        };
        let a = Store::create_team(url, pass("team")).await.unwrap();
        let b = Store::open_url(url, pass("team")).await.unwrap();
        assert!(a.is_team() && b.is_team());
        let profile =
            Profile::parse("[[account]]\nname = \"svc\"\ngrant = \"static\"\ntoken = \"t\"\n")
                .unwrap();
        let now = Utc::now();
        let id = a
            .put_account(&profile.account[0], "user", None, now)
            .await
            .unwrap();

        let first = a
            .take_lease(id, "engine-a", 1.0)
            .await
            .unwrap()
            .expect("a free lease");
        assert_eq!(
            b.take_lease(id, "engine-b", 1.0).await.unwrap(),
            None,
            "held by a"
        );
        // a stalls past its lease (the database's clock decides); b takes over, a newer epoch.
        tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
        let second = b
            .take_lease(id, "engine-b", 30.0)
            .await
            .unwrap()
            .expect("a run-out lease");
        assert!(second.epoch > first.epoch);

        let record = |set, lease, engine| RefreshRecord {
            lease: Some(lease),
            engine: Some(engine),
            ..ok(id, set, None)
        };
        let (stale, newer) = (
            token("stale-token", None, 300),
            token("newer-token", None, 300),
        );
        match a
            .record_refresh(record(&stale, &first, "host/engine-a"))
            .await
        {
            Err(Error::Fenced(epoch)) => assert_eq!(epoch, first.epoch),
            other => panic!("a stale holder wrote: {other:?}"),
        }
        assert!(
            a.history("svc", None, 10).await.unwrap().is_empty(),
            "nothing of it written"
        );
        b.record_refresh(record(&newer, &second, "host/engine-b"))
            .await
            .unwrap();
        let held = a
            .account("svc")
            .await
            .unwrap()
            .unwrap()
            .state
            .unwrap()
            .token
            .unwrap();
        assert_eq!(held.access_token.expose(), "newer-token");
        let history = b.history("svc", None, 10).await.unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!(
            history[0].engine.as_deref(),
            Some("host/engine-b"),
            "who refreshed"
        );
        // Written, the lease is released: the next taker gets it at once, a newer epoch again.
        let third = a
            .take_lease(id, "engine-a", 1.0)
            .await
            .unwrap()
            .expect("released");
        assert!(third.epoch > second.epoch);
        a.release_lease(&third).await.unwrap();
        let fourth = b
            .take_lease(id, "engine-b", 30.0)
            .await
            .unwrap()
            .expect("released");
        // b refreshes from the old settings while a edits the account: b's result must not
        // land on the edited account (it would put the old refresh token's family back).
        a.put_account(&profile.account[0], "user", None, Utc::now())
            .await
            .unwrap();
        let from_old = token("from-the-old-settings", Some("rt-old-family"), 300);
        match b
            .record_refresh(record(&from_old, &fourth, "host/engine-b"))
            .await
        {
            Err(Error::Fenced(_)) => {}
            other => panic!("a refresh of the old settings wrote over the edit: {other:?}"),
        }
        let state = a.account("svc").await.unwrap().unwrap().state;
        assert!(
            state.and_then(|s| s.token).is_none(),
            "the edited account starts afresh"
        );
        a.close().await;
        b.close().await;
    }
}

#[tokio::test]
async fn a_token_written_by_one_engine_is_announced_to_the_others() {
    for (_, target) in targets("notify").await {
        let Target::Postgres(url) = &target else {
            continue;
        };
        let a = Store::create_team(url, pass("team")).await.unwrap();
        let b = Store::open_url(url, pass("team")).await.unwrap();
        let mut heard = b.listen().await.unwrap();
        let profile =
            Profile::parse("[[account]]\nname = \"svc\"\ngrant = \"static\"\ntoken = \"t\"\n")
                .unwrap();
        let now = Utc::now();
        let id = a
            .put_account(&profile.account[0], "user", None, now)
            .await
            .unwrap();
        let set = token("announced", None, 300);
        a.record_refresh(ok(id, &set, Some("host/engine-a")))
            .await
            .unwrap();
        let n = tokio::time::timeout(std::time::Duration::from_secs(5), heard.recv())
            .await
            .expect("announced within 5 s")
            .unwrap();
        assert_eq!(n.payload(), format!("{id} host/engine-a"));
        a.heartbeat("engine-a", "host").await.unwrap();
        let engines = b.team_engines().await.unwrap();
        assert_eq!(engines.len(), 1);
        assert_eq!((engines[0].id.as_str(), engines[0].leases), ("engine-a", 0));
    }
}

#[tokio::test]
async fn engines_started_together_on_an_empty_database_never_split_the_vault() {
    for (_, target) in targets("first").await {
        let Target::Postgres(url) = &target else {
            continue;
        };
        // Three engines at once, no team made: all three refuse, none makes a vault.
        let open = |create: bool| {
            let url = url.clone();
            async move {
                match create {
                    true => Store::create_team(&url, pass("team")).await,
                    false => Store::open_url(&url, pass("team")).await,
                }
            }
        };
        let starts = (0..3).map(|_| open(false));
        for started in futures_all(starts).await {
            let refused = started
                .err()
                .expect("an engine opened a database with no team");
            assert!(refused.to_string().contains("team init"), "{refused}");
        }
        assert!(!tokentray_core::store::team_exists(url).await.unwrap());
        // Three `team init` at once: one makes the vault, the others are told to join it.
        let inits = (0..3).map(|_| open(true));
        let made: Vec<_> = futures_all(inits).await;
        let ok = made.iter().filter(|m| m.is_ok()).count();
        assert_eq!(
            ok,
            1,
            "{:?}",
            made.iter()
                .map(|m| m.as_ref().err().map(|e| e.to_string()))
                .collect::<Vec<_>>()
        );
        for m in &made {
            if let Err(e) = m {
                assert!(e.to_string().contains("team join"), "{e}");
            }
        }
        // Then three engines at once: one vault, each opens what another sealed.
        let opened: Vec<Store> = futures_all((0..3).map(|_| open(false)))
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let profile = Profile::parse(
            "[[account]]\nname = \"svc\"\ngrant = \"static\"\ntoken = \"sealed-by-one\"\n",
        )
        .unwrap();
        opened[0]
            .put_account(&profile.account[0], "user", None, Utc::now())
            .await
            .unwrap();
        for store in &opened {
            let stored = store.account("svc").await.unwrap().unwrap();
            let config = stored
                .config
                .expect("the secret opens with the team's one key");
            assert_eq!(config.secrets["token"].expose(), "sealed-by-one");
            store.close().await;
        }
    }
}

/// Runs the futures at once; their results in order.
async fn futures_all<T: Send + 'static>(
    futures: impl Iterator<Item = impl std::future::Future<Output = T> + Send + 'static>,
) -> Vec<T> {
    let tasks: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = vec![];
    for task in tasks {
        out.push(task.await.unwrap());
    }
    out
}
