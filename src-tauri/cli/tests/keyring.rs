//! The vault key in the real OS keyring (gnome-keyring's Secret Service under
//! `tests/with-keyring.sh`, as CI runs it): written by one process, read back by a fresh one.

#[path = "../../core/tests/support/mod.rs"]
mod support;

use std::process::Command;
use support::Idp;

fn tokentray(home: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tokentray"))
        .arg("--standalone")
        .args(args)
        .env("TOKENTRAY_HOME", home)
        .env_remove("TOKENTRAY_PASSPHRASE")
        .env_remove("TOKENTRAY_PASSPHRASE_FILE")
        .output()
        .unwrap()
}

#[tokio::test]
async fn a_fresh_process_opens_the_secrets_with_the_key_from_the_keyring() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "this test needs a Secret Service: run it through tests/with-keyring.sh"
    );
    let idp = Idp::start(300);
    let home = std::env::temp_dir().join(format!("tokentray-keyring-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(
        home.join("profile.toml"),
        format!(
            "[[account]]\nname = \"k\"\ngrant = \"client_credentials\"\ntoken_url = \"{}\"\nclient_id = \"cc-basic\"\nclient_secret = \"cc-basic-secret\"\n",
            idp.token_url()
        ),
    )
    .unwrap();

    // First process: creates the key in the keyring, seals the secrets, stores the token.
    let first = tokentray(&home, &["token", "k"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let token = String::from_utf8(first.stdout).unwrap().trim().to_string();

    // A fresh process reads the key back and opens the stored token: the same one, not a new
    // one, so it really came out of the vault.
    let second = tokentray(&home, &["token", "k"]);
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert_eq!(String::from_utf8(second.stdout).unwrap().trim(), token);
    assert_eq!(idp.introspect(&token).await["active"], true);

    // Neither the token nor the client secret is in the database or its journal.
    for file in ["tokentray.db", "tokentray.db-wal"] {
        let bytes = std::fs::read(home.join(file)).unwrap_or_default();
        for secret in [token.as_str(), "cc-basic-secret"] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} found in {file}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&home);
}
