//! `tokentray token` as a script runs it, against the real test IdP.

#[path = "../../core/tests/support/mod.rs"]
mod support;

use std::process::Command;
use support::Idp;

fn tokentray(home: &std::path::Path, args: &[&str]) -> std::process::Output {
    // No engine runs in these tests: each call opens one in-process.
    Command::new(env!("CARGO_BIN_EXE_tokentray"))
        .arg("--standalone")
        .args(args)
        .env("TOKENTRAY_HOME", home)
        // Headless mode: these tests are about tokens, not the keyring (see keyring.rs).
        .env("TOKENTRAY_PASSPHRASE", "cli-test-passphrase")
        .output()
        .unwrap()
}

fn home_with(idp: &Idp, secret: &str) -> std::path::PathBuf {
    let home = std::env::temp_dir().join(format!("tokentray-cli-{}-{secret}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(
        home.join("profile.toml"),
        format!(
            "[[account]]\nname = \"demo\"\ngrant = \"client_credentials\"\ntoken_url = \"{}\"\nclient_id = \"cc-basic\"\nclient_secret = \"{secret}\"\nscope = \"api:read\"\n",
            idp.token_url()
        ),
    )
    .unwrap();
    home
}

#[tokio::test]
async fn prints_an_active_token_and_nothing_else() {
    let idp = Idp::start(300);
    let home = home_with(&idp, "cc-basic-secret");
    let out = tokentray(&home, &["token", "demo"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let token = stdout.strip_suffix('\n').expect("one line");
    assert!(!token.contains(char::is_whitespace));
    assert_eq!(idp.introspect(token).await["active"], true);

    let out = tokentray(&home, &["token", "demo", "--header"]);
    let line = String::from_utf8(out.stdout).unwrap();
    let bearer = line
        .trim_end()
        .strip_prefix("Authorization: Bearer ")
        .expect("a header");
    assert_eq!(idp.introspect(bearer).await["active"], true);
}

#[tokio::test]
async fn errors_name_the_code_and_set_the_exit_status() {
    let idp = Idp::start(300);
    let home = home_with(&idp, "wrong-secret");
    let out = tokentray(&home, &["token", "demo"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.starts_with("error[invalid_client]: "), "{stderr}");

    let out = tokentray(&home, &["token", "nobody"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .starts_with("error[not_found]"));

    let out = tokentray(&home, &["token"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn without_an_engine_it_says_how_to_start_one() {
    let home = std::env::temp_dir().join(format!("tokentray-cli-none-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    for args in [&["token", "demo"][..], &["list"][..]] {
        let out = Command::new(env!("CARGO_BIN_EXE_tokentray"))
            .args(args)
            .env("TOKENTRAY_HOME", &home)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(5));
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(
            stderr.starts_with("error[engine_not_running]")
                && stderr.contains("tokentray daemon")
                && stderr.contains("--standalone"),
            "{stderr}"
        );
    }
}
