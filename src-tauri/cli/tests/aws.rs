//! AWS credentials from an OIDC login, with the real `aws` CLI: its `credential_process` runs
//! `tokentray aws-credential`, which trades the account's live ID token at STS (moto's, behind
//! a front of the tests' own that checks the token is a live ID token of the test IdP) for a
//! role's credentials; `aws sts get-caller-identity` then says it is that role. The credentials
//! are reused until they near their end (STS sees one AssumeRole for two commands); a token the
//! front refuses reaches the aws CLI as `error[...]` and a failed command.

#![allow(clippy::disallowed_methods)] // whole-system tests read the real clock

mod common;
#[path = "../../core/tests/support/mod.rs"]
mod support;

use common::{browser_login, run, stdout, Daemon};
use std::process::{Child, Command, Stdio};
use support::{Idp, Server};

struct Moto(Child);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// moto's server on a free port, once it answers.
fn moto() -> Option<(Moto, String)> {
    let port = free_port();
    // tests/setup.sh puts it in a virtualenv of the tests' own; else one on PATH.
    let venv = support::repo_root().join("tests/.venv/bin/moto_server");
    let program = match venv.exists() {
        true => venv.display().to_string(),
        false => "moto_server".to_string(),
    };
    let child = Command::new(program)
        .args(["-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let moto = Moto(child);
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some((moto, url));
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    None
}

#[tokio::test(flavor = "multi_thread")]
async fn the_aws_cli_gets_a_roles_credentials_from_the_oidc_login() {
    let Some((_moto, moto_url)) = moto() else {
        panic!("moto_server is missing: tests/setup.sh installs it (pip install 'moto[server]')");
    };
    let home = std::env::temp_dir().join(format!("tokentray-aws-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    let idp = Idp::start(300);
    let front = Server::start(
        "tests/servers/sts-front.mjs",
        &[
            ("IDP_ISSUER", idp.issuer.clone()),
            ("STS_AUDIENCE", "app-native".into()),
            ("MOTO_URL", moto_url.clone()),
        ],
    );
    std::fs::write(
        home.join("profile.toml"),
        format!(
            "[[account]]\nname = \"cloud\"\ngrant = \"authorization_code\"\nauthorization_url = \"{0}/auth\"\ntoken_url = \"{0}/token\"\nclient_id = \"app-native\"\nscope = \"openid offline_access\"\naws_role_arn = \"arn:aws:iam::123456789012:role/deploy\"\naws_sts_url = \"{1}/\"\n\n[[account]]\nname = \"service\"\ngrant = \"client_credentials\"\ntoken_url = \"{0}/token\"\nclient_id = \"cc-basic\"\nclient_secret = \"cc-basic-secret\"\n",
            idp.issuer, front.url
        ),
    )
    .unwrap();
    let _daemon = Daemon::start(&home);
    let login = browser_login(&home, "cloud");
    assert!(
        login.status.success(),
        "{}",
        String::from_utf8_lossy(&login.stderr)
    );

    // What credential_process prints.
    let printed: serde_json::Value =
        serde_json::from_str(&stdout(&run(&home, &["aws-credential", "cloud"]))).unwrap();
    assert_eq!(printed["Version"], 1);
    for key in [
        "AccessKeyId",
        "SecretAccessKey",
        "SessionToken",
        "Expiration",
    ] {
        assert!(printed[key].is_string(), "{key}: {printed}");
    }

    // The real aws CLI, with only this profile.
    let exe = env!("CARGO_BIN_EXE_tokentray");
    let config = home.join("aws-config");
    std::fs::write(
        &config,
        format!(
            "[profile cloud]\ncredential_process = {exe} aws-credential cloud\nregion = us-east-1\n\n[profile service]\ncredential_process = {exe} aws-credential service --role-arn arn:aws:iam::123456789012:role/deploy --sts-url {}/\nregion = us-east-1\n",
            front.url
        ),
    )
    .unwrap();
    let aws = |profile: &str| {
        Command::new("aws")
            .args([
                "sts",
                "get-caller-identity",
                "--profile",
                profile,
                "--endpoint-url",
                &moto_url,
            ])
            .env("AWS_CONFIG_FILE", &config)
            .env("AWS_SHARED_CREDENTIALS_FILE", home.join("no-credentials"))
            .env("TOKENTRAY_HOME", &home)
            .env("TOKENTRAY_PASSPHRASE", "daemon-test")
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_PROFILE")
            .output()
            .unwrap()
    };
    for _ in 0..2 {
        let out = aws("cloud");
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && said.contains("assumed-role/deploy"),
            "aws: {said} {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let stats: serde_json::Value = reqwest::get(format!("{}/_control/stats", front.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    eprintln!("STS front counted: {stats}");
    assert_eq!(
        stats["assumed"], 1,
        "reused until they near their end: {stats}"
    );
    assert_eq!(stats["refused"], 0);

    // An account whose token the front does not trust (an opaque access token): the aws CLI
    // shows Tokentray's error and fails.
    let out = aws("service");
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("error[") && said.contains("InvalidIdentityToken"),
        "{said}"
    );
    // The credentials never reach the database in plaintext.
    let secret = printed["SecretAccessKey"].as_str().unwrap();
    let db = std::fs::read(home.join("tokentray.db")).unwrap();
    let wal = std::fs::read(home.join("tokentray.db-wal")).unwrap_or_default();
    for bytes in [&db, &wal] {
        assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()));
    }
}
