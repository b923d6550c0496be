//! The store and the vault on real SQLite files: restarts keep tokens and rotations, nothing
//! secret reaches the file, bad inputs give clear errors and overwrite nothing.
#![allow(clippy::disallowed_methods)] // whole-system tests read the real clock

mod support;

use std::path::{Path, PathBuf};
use support::{clock, custom_api, Idp};
use tokentray_core::vault::{KeySource, MemoryKeyStore};
use tokentray_core::{EngineHandle, Profile, Secret};

fn temp_home(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tokentray-store-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn pass(p: &str) -> KeySource {
    KeySource::Passphrase(Secret::new(p))
}

fn file_contains(path: &Path, needle: &str) -> bool {
    std::fs::read(path)
        .unwrap_or_default()
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn tokens_survive_a_restart_and_no_secret_reaches_the_files() {
    let idp = Idp::start(300);
    let home = temp_home("restart");
    std::fs::write(
        home.join("profile.toml"),
        format!("[[account]]\nname = \"a\"\ngrant = \"client_credentials\"\ntoken_url = \"{}\"\nclient_id = \"cc-basic\"\nclient_secret = \"cc-basic-secret\"\n", idp.token_url()),
    )
    .unwrap();
    let engine = EngineHandle::open(&home, pass("pw"), clock())
        .await
        .unwrap();
    let token = engine.get_token("a").await.unwrap();
    // Before closing, while the WAL still holds the writes: no secret in either file.
    for file in ["tokentray.db", "tokentray.db-wal"] {
        for secret in [token.expose(), "cc-basic-secret"] {
            assert!(
                !file_contains(&home.join(file), secret),
                "{secret} in {file}"
            );
        }
    }
    engine.close().await;
    drop(engine);

    let engine = EngineHandle::open(&home, pass("pw"), clock())
        .await
        .unwrap();
    assert_eq!(
        engine.get_token("a").await.unwrap().expose(),
        token.expose(),
        "served from the store, not fetched again"
    );
    let history = engine.history("a", None, 10).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].outcome, "ok");
    assert!(history[0].expires_at.is_some());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&home), 0o700);
        assert_eq!(mode(&home.join("tokentray.db")), 0o600);
    }
}

/// An API key a gateway wants beside the service token: sealed like the service token (never
/// in the file, not among the settings shown), carried where `api_key_in` says, kept across a
/// restart.
#[tokio::test]
async fn a_custom_requests_api_key_is_sealed_and_sent_where_it_goes() {
    let api = custom_api(900);
    let home = temp_home("api-key");
    let account = |key: &str| {
        format!("[[account]]\nname = \"gw\"\ngrant = \"custom\"\nsecret = \"svc-test-token\"\n{key}[account.request]\nurl = \"{}/gateway/token\"\nsecret_in = \"bearer\"\n", api.url)
    };
    // Without the key the gateway refuses; with it in its header, it answers.
    std::fs::write(home.join("profile.toml"), account("")).unwrap();
    let engine = EngineHandle::open(&home, pass("pw"), clock())
        .await
        .unwrap();
    assert!(engine.get_token("gw").await.is_err());
    engine.close().await;
    drop(engine);
    let with_key = "api_key = \"gw-api-key-2f7c\"\napi_key_in = { header = \"X-Api-Key\" }\n";
    std::fs::write(home.join("profile.toml"), account(with_key)).unwrap();
    let engine = EngineHandle::open(&home, pass("pw"), clock())
        .await
        .unwrap();
    engine.get_token("gw").await.unwrap();
    let detail = engine.detail("gw").await.unwrap();
    assert!(
        detail.secrets.contains(&"api_key".to_string()),
        "{:?}",
        detail.secrets
    );
    assert!(
        !detail.settings.contains_key("api_key"),
        "{:?}",
        detail.settings
    );
    for file in ["tokentray.db", "tokentray.db-wal"] {
        assert!(
            !file_contains(&home.join(file), "gw-api-key-2f7c"),
            "the API key in {file}"
        );
    }
    engine.close().await;
    drop(engine);
    // After a restart, from the store: the key still goes with the request.
    let engine = EngineHandle::open(&home, pass("pw"), clock())
        .await
        .unwrap();
    engine.refresh("gw").await.unwrap();
    // Half a setting is refused, saying what is missing.
    let half = "api_key = \"gw-api-key-2f7c\"\n";
    let err = Profile::parse(&account(half)).unwrap_err();
    assert!(err.to_string().contains("api_key_in"), "{err}");
}

#[tokio::test]
async fn a_rotated_refresh_token_is_kept_across_restarts() {
    let api = custom_api(900);
    let rt = reqwest::Client::new()
        .post(format!("{}/_control/refresh-token", api.url))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap()["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    let home = temp_home("rotation");
    std::fs::write(
        home.join("profile.toml"),
        format!("[[account]]\nname = \"r\"\ngrant = \"custom\"\nsecret = \"{rt}\"\n[account.request]\nurl = \"{}/auth/refresh\"\nsecret_in = {{ query = \"refresh_token\" }}\n[account.response]\naccess_token = \"/data/accessToken\"\nrefresh_token = \"/data/refreshToken\"\nexpires_at = \"/data/expiresAt\"\n", api.url),
    )
    .unwrap();
    for _ in 0..3 {
        // Each run rotates; the profile's refresh token is long spent after the first.
        let engine = EngineHandle::open(&home, pass("pw"), clock())
            .await
            .unwrap();
        engine.refresh("r").await.unwrap();
        engine.close().await;
    }
    let engine = EngineHandle::open(&home, pass("pw"), clock())
        .await
        .unwrap();
    engine.refresh("r").await.unwrap();
    assert_eq!(engine.history("r", None, 10).await.unwrap().len(), 4);
}

#[tokio::test]
async fn a_second_engine_on_the_same_directory_is_refused() {
    let home = temp_home("lock");
    let _first = EngineHandle::open(&home, pass("pw"), clock())
        .await
        .unwrap();
    let err = EngineHandle::open(&home, pass("pw"), clock())
        .await
        .err()
        .unwrap();
    assert_eq!(err.code(), "engine_running");
    assert!(
        err.to_string().contains(&std::process::id().to_string()),
        "{err}"
    );
}

#[tokio::test]
async fn a_wrong_passphrase_is_refused_and_the_keyring_cannot_open_passphrase_data() {
    let home = temp_home("passphrase");
    EngineHandle::open(&home, pass("right"), clock())
        .await
        .unwrap()
        .close()
        .await;
    let err = EngineHandle::open(&home, pass("wrong"), clock())
        .await
        .err()
        .unwrap();
    assert_eq!(err.code(), "wrong_passphrase");
    let err = EngineHandle::open(
        &home,
        KeySource::Store(Box::new(MemoryKeyStore::default())),
        clock(),
    )
    .await
    .err()
    .unwrap();
    assert!(err.to_string().contains("passphrase"), "{err}");
}

#[tokio::test]
async fn a_lost_key_keeps_accounts_listed_with_their_secrets_unrecoverable() {
    let home = temp_home("lost");
    std::fs::write(
        home.join("profile.toml"),
        "[[account]]\nname = \"s\"\ngrant = \"static\"\ntoken = \"pat-123\"\n",
    )
    .unwrap();
    let keys = MemoryKeyStore::default();
    EngineHandle::open(&home, KeySource::Store(Box::new(keys.clone())), clock())
        .await
        .unwrap()
        .close()
        .await;
    // The keyring was reset: a store with no key for these secrets. The engine opens, says
    // why, and lists the account with its secrets marked unrecoverable.
    let engine = EngineHandle::open(
        &home,
        KeySource::Store(Box::new(MemoryKeyStore::default())),
        clock(),
    )
    .await
    .unwrap();
    assert_eq!(engine.problems()[0].code, "vault_key_lost");
    assert!(
        engine.problems()[0].message.contains("entered again"),
        "{:?}",
        engine.problems()
    );
    let listed = engine.list();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].status, tokentray_core::AccountStatus::NeedsReauth);
    assert_eq!(listed[0].error.as_ref().unwrap().code, "vault_key_lost");
    assert_eq!(
        engine.get_token("s").await.unwrap_err().code(),
        "vault_key_lost"
    );
    engine.close().await;
    drop(engine);
    // The right key still opens everything: nothing was overwritten.
    let engine = EngineHandle::open(&home, KeySource::Store(Box::new(keys)), clock())
        .await
        .unwrap();
    assert_eq!(engine.get_token("s").await.unwrap().expose(), "pat-123");
}

#[tokio::test]
async fn a_corrupt_or_newer_database_is_refused_and_left_untouched() {
    let home = temp_home("corrupt");
    let db = home.join("tokentray.db");
    std::fs::write(
        &db,
        b"this is not an SQLite database, it is a shopping list",
    )
    .unwrap();
    let before = std::fs::read(&db).unwrap();
    let err = EngineHandle::open(&home, pass("pw"), clock())
        .await
        .err()
        .unwrap();
    assert_eq!(err.code(), "storage");
    assert!(err.to_string().contains("nothing was changed"), "{err}");
    assert_eq!(std::fs::read(&db).unwrap(), before);

    let home = temp_home("newer");
    EngineHandle::open(&home, pass("pw"), clock())
        .await
        .unwrap()
        .close()
        .await;
    {
        // A later Tokentray applied a migration this one does not know.
        let url = format!("sqlite://{}", home.join("tokentray.db").display());
        let pool = sqlx_pool(&url).await;
        sqlx_exec(&pool, "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) VALUES (99, 'from the future', CURRENT_TIMESTAMP, 1, x'00', 0)").await;
    }
    let err = EngineHandle::open(&home, pass("pw"), clock())
        .await
        .err()
        .unwrap();
    assert_eq!(err.code(), "storage");
    assert!(err.to_string().contains("newer Tokentray"), "{err}");
}

async fn sqlx_pool(url: &str) -> sqlx::SqlitePool {
    sqlx::SqlitePool::connect(url).await.unwrap()
}

async fn sqlx_exec(pool: &sqlx::SqlitePool, sql: &str) {
    sqlx::query(sql).execute(pool).await.unwrap();
    pool.close().await;
}

// History paging and trimming: tests/backends.rs, on SQLite and PostgreSQL alike.

/// A tiny tmpfs of our own (root only: CI and these machines run tests as root).
struct TinyDisk(PathBuf);

impl TinyDisk {
    fn mount(tag: &str, size: &str) -> Option<TinyDisk> {
        let dir = temp_home(tag);
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(TinyDisk(dir))
    }
}

impl Drop for TinyDisk {
    fn drop(&mut self) {
        // Lazily, so a file still being closed does not leave the mount behind.
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

#[tokio::test]
async fn a_full_disk_keeps_serving_the_new_token_and_a_read_only_one_is_a_clear_error() {
    let Some(disk) = TinyDisk::mount("full", "1m") else {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    };
    let home = disk.0.join("home");
    let api = custom_api(900);
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(
        home.join("profile.toml"),
        format!("[[account]]\nname = \"svc\"\ngrant = \"custom\"\nsecret = \"svc-test-token\"\n[account.request]\nurl = \"{}/auth/service-token/refresh\"\nsecret_in = \"bearer\"\n", api.url),
    )
    .unwrap();
    let engine = EngineHandle::open(&home, pass("pw"), clock())
        .await
        .unwrap();
    let mut events = engine.subscribe();
    engine.get_token("svc").await.unwrap();
    // Fill the disk.
    let filler = disk.0.join("filler");
    let mut f = std::fs::File::create(&filler).unwrap();
    let chunk = vec![0u8; 16 * 1024];
    while std::io::Write::write_all(&mut f, &chunk).is_ok() {}
    drop(f);
    // The server answers, the store cannot take it: the new token is still served, and the
    // failure is reported with the storage code.
    engine.refresh("svc").await.unwrap();
    let token = engine.get_token("svc").await.unwrap();
    let mut saw_storage_error = false;
    while let Ok(event) = events.try_recv() {
        if let tokentray_core::Event::RefreshFailed { code, .. } = event {
            saw_storage_error |= code == "storage";
        }
    }
    assert!(saw_storage_error, "a failed write must be reported");
    assert!(reqwest::Client::new()
        .get(format!("{}/api/me", api.url))
        .bearer_auth(token.expose())
        .send()
        .await
        .unwrap()
        .status()
        .is_success());
    engine.close().await;
    drop(engine);
    // Space again: the database opens, intact.
    std::fs::remove_file(&filler).unwrap();
    let engine = EngineHandle::open(&home, pass("pw"), clock())
        .await
        .unwrap();
    engine.get_token("svc").await.unwrap();
    engine.close().await;
    drop(engine);

    // Read-only: a clear error naming the directory, not a crash. (The closed pool's files
    // may take a moment to be released before the remount is allowed.)
    let mut remounted = false;
    for _ in 0..50 {
        let status = std::process::Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&disk.0)
            .status();
        remounted = status.unwrap().success();
        if remounted {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(remounted, "could not remount the tmpfs read-only");
    let err = EngineHandle::open(&home, pass("pw"), clock())
        .await
        .err()
        .unwrap();
    assert_eq!(err.code(), "storage", "{err}");
    assert!(
        err.to_string().contains(&home.display().to_string()),
        "{err}"
    );
}

#[tokio::test]
async fn names_stored_before_the_rule_are_renamed_and_reachable_again() {
    let home = temp_home("names");
    let pasted = |name: &str| {
        Profile::parse(&format!(
            "[[account]]\nname = \"{name}\"\ngrant = \"static\"\ntoken = \"token-{name}\"\n"
        ))
        .unwrap()
        .account
        .remove(0)
    };
    let engine = EngineHandle::open(&home, pass("pw"), clock())
        .await
        .unwrap();
    for name in ["one", "two"] {
        engine.put_account(pasted(name)).await.unwrap();
    }
    let exchange = Profile::parse("[[account]]\nname = \"subject\"\ngrant = \"static\"\ntoken = \"token-subject\"\n[[account]]\nname = \"exchange\"\ngrant = \"token_exchange\"\ntoken_url = \"https://idp.example/token\"\nclient_id = \"c\"\nclient_secret = \"s\"\nsubject_account = \"subject\"\n").unwrap();
    for account in exchange.account {
        engine.put_account(account).await.unwrap();
    }
    // A hand-written name refused today, as an older version stored them.
    let mut spaced = pasted("x");
    spaced.name = "a b".into();
    assert_eq!(
        engine.put_account(spaced).await.unwrap_err().code(),
        "invalid_config"
    );
    engine.close().await;
    drop(engine);
    let db = format!("sqlite://{}", home.join("tokentray.db").display());
    for (from, to) in [
        ("one", "evil\nX  static  ok"),
        ("two", "a\0b"),
        ("subject", "\u{202e}gnp.exe"),
    ] {
        let pool = sqlx_pool(&db).await;
        sqlx::query("UPDATE accounts SET name = $1 WHERE name = $2")
            .bind(to)
            .bind(from)
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }
    let pool = sqlx_pool(&db).await;
    sqlx::query("UPDATE accounts SET settings = json_set(settings, '$.subject_account', $1) WHERE name = 'exchange'")
        .bind("\u{202e}gnp.exe")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let engine = EngineHandle::open(&home, pass("pw"), clock())
        .await
        .unwrap();
    let names: Vec<String> = engine.list().into_iter().map(|a| a.name).collect();
    assert_eq!(
        names,
        ["a-b", "a-gnp.exe", "evil-X--static--ok", "exchange"]
    );
    for name in &names {
        tokentray_core::text::check_name(name).unwrap();
    }
    // Each rename is said, and the accounts are whole: tokens, and a subject that follows.
    let said: Vec<&str> = engine
        .problems()
        .iter()
        .map(|p| p.message.as_str())
        .collect();
    assert_eq!(said.len(), 3, "{said:?}");
    assert!(
        said.iter()
            .all(|m| m.contains("was renamed to") && !m.contains('\n') && !m.contains('\0')),
        "{said:?}"
    );
    assert_eq!(
        engine
            .get_token("evil-X--static--ok")
            .await
            .unwrap()
            .expose(),
        "token-one"
    );
    assert_eq!(engine.get_token("a-b").await.unwrap().expose(), "token-two");
    let detail = engine.detail("exchange").await.unwrap();
    assert_eq!(detail.settings["subject_account"], "a-gnp.exe");
    engine.remove_account("a-b").await.unwrap();
    assert_eq!(engine.list().len(), 3);
}
