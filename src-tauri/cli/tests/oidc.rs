//! OpenID Connect ID tokens, against the certified test IdP and the real kubectl: an
//! authorization-code login with `openid` keeps the ID token (sealed), `tokentray token
//! --id-token` hands it out (its signature checked here against the IdP's JWKS, `aud` the
//! client), a refresh renews it, and kubectl is handed it by the exec plugin, as an API server
//! started with `--oidc-issuer-url` wants (a server of the tests' own that checks it the same
//! way, and refuses the access token); `kubectl_token = "access_token"` switches back, and
//! `lend_to` holds for the ID token as for the access token.

#![allow(clippy::disallowed_methods)] // whole-system tests read the real clock

mod common;
#[path = "../../core/tests/support/mod.rs"]
mod support;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::{browser_login, run, stdout, Daemon};
use std::path::Path;
use std::process::Command;
use support::{Idp, Server};

/// The JWT's claims, once its RS256 signature is checked against the issuer's JWKS.
async fn verified(issuer: &str, jwt: &str) -> serde_json::Value {
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "not a JWT: {jwt}");
    let decode = |p: &str| URL_SAFE_NO_PAD.decode(p).unwrap();
    let header: serde_json::Value = serde_json::from_slice(&decode(parts[0])).unwrap();
    assert_eq!(header["alg"], "RS256", "{header}");
    let jwks: serde_json::Value = reqwest::get(format!("{issuer}/jwks"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .expect("the ID token's key in the issuer's JWKS");
    let public = ring::signature::RsaPublicKeyComponents {
        n: decode(key["n"].as_str().unwrap()),
        e: decode(key["e"].as_str().unwrap()),
    };
    public
        .verify(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            format!("{}.{}", parts[0], parts[1]).as_bytes(),
            &decode(parts[2]),
        )
        .expect("the ID token's signature");
    serde_json::from_slice(&decode(parts[1])).unwrap()
}

fn certificate(work: &Path) {
    let made = Command::new("openssl")
        .current_dir(work)
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args([
            "-nodes", "-keyout", "key.pem", "-out", "ca.pem", "-days", "1",
        ])
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn id_tokens_are_kept_renewed_and_handed_to_kubectl() {
    let home = std::env::temp_dir().join(format!("tokentray-oidc-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    let work = home.with_extension("work");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let idp = Idp::start(300);
    let account = |name: &str, extra: &str| {
        format!(
            "[[account]]\nname = \"{name}\"\ngrant = \"authorization_code\"\nauthorization_url = \"{0}/auth\"\ntoken_url = \"{0}/token\"\nclient_id = \"app-native\"\nscope = \"openid offline_access\"\n{extra}\n",
            idp.issuer
        )
    };
    std::fs::write(
        home.join("profile.toml"),
        [
            account("kube", ""),
            account("plainkube", "kubectl_token = \"access_token\"\n"),
            account("fenced", "lend_to = [\"kubectl\"]\n"),
        ]
        .concat(),
    )
    .unwrap();
    let _daemon = Daemon::start(&home);
    for name in ["kube", "plainkube", "fenced"] {
        let out = browser_login(&home, name);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // The ID token: the IdP's signature, for this client, about the signed-in user.
    let first = stdout(&run(&home, &["token", "kube", "--id-token"]))
        .trim()
        .to_string();
    let claims = verified(&idp.issuer, &first).await;
    assert_eq!(claims["iss"], idp.issuer.as_str());
    assert_eq!(claims["aud"], "app-native");
    assert_eq!(claims["sub"], "test-user");
    assert!(claims["exp"].as_i64().unwrap() > chrono::Utc::now().timestamp());
    let access = stdout(&run(&home, &["token", "kube"])).trim().to_string();
    assert_ne!(access, first, "the ID token is not the access token");
    // The full path (a flag the fast one leaves to it) answers the same.
    let full = stdout(&run(&home, &["token", "kube", "--id-token", "--header"]));
    assert_eq!(full.trim(), format!("Authorization: Bearer {first}"));
    // Renewed with the refresh: a new one, as valid. An ID token is its claims signed with
    // RS256 (deterministic), and `iat` counts seconds: one issued within the same second is
    // the same text, so the refresh waits for the next second.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    stdout(&run(&home, &["refresh", "kube"]));
    let second = stdout(&run(&home, &["token", "kube", "--id-token"]))
        .trim()
        .to_string();
    assert_ne!(second, first, "the refresh brought a new ID token");
    verified(&idp.issuer, &second).await;
    // Never in the database in plaintext.
    let db = std::fs::read(home.join("tokentray.db")).unwrap();
    let wal = std::fs::read(home.join("tokentray.db-wal")).unwrap_or_default();
    for bytes in [&db, &wal] {
        assert!(!bytes.windows(second.len()).any(|w| w == second.as_bytes()));
    }
    // The account's status says when it runs out.
    let status: serde_json::Value =
        serde_json::from_str(&stdout(&run(&home, &["status", "kube", "--json"]))).unwrap();
    assert!(status["id_token_expires_at"].is_string(), "{status}");

    // kubectl, against an API server that takes OIDC ID tokens only.
    certificate(&work);
    let kube = Server::start(
        "tests/servers/kube-api.mjs",
        &[
            ("IDP_ISSUER", idp.issuer.clone()),
            ("KUBE_OIDC_CLIENT_ID", "app-native".into()),
            ("KUBE_CERT", work.join("ca.pem").display().to_string()),
            ("KUBE_KEY", work.join("key.pem").display().to_string()),
        ],
    );
    let kubectl = |name: &str| {
        let config = stdout(&run(
            &home,
            &[
                "kubeconfig",
                name,
                "--server",
                &kube.url,
                "--ca",
                work.join("ca.pem").to_str().unwrap(),
            ],
        ));
        assert!(config.contains("ID token"), "{config}");
        let file = work.join(format!("{name}.kubeconfig"));
        std::fs::write(&file, config).unwrap();
        Command::new("kubectl")
            .args([
                "--kubeconfig",
                file.to_str().unwrap(),
                "get",
                "--raw",
                "/api",
            ])
            .env("TOKENTRAY_HOME", &home)
            .env("TOKENTRAY_PASSPHRASE", "daemon-test")
            .output()
            .unwrap()
    };
    let out = kubectl("kube");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("APIVersions"),
        "kubectl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: serde_json::Value = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap()
        .get(format!("{}/_control/seen", kube.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        seen["seen"].as_array().unwrap().last().unwrap(),
        second.as_str()
    );
    // kubectl_token = "access_token": kubectl gets the access token, which this server refuses.
    let out = kubectl("plainkube");
    assert!(
        !out.status.success(),
        "an access token was taken as an ID token"
    );
    // lend_to holds for the ID token too: this test is no kubectl; kubectl is.
    let out = run(&home, &["token", "fenced", "--id-token"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&kubectl("fenced").stdout).contains("APIVersions"));
}
