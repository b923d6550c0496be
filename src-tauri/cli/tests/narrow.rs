//! Narrower tokens for one call (`tokentray token NAME --scope/--audience/--resource`, `exec`,
//! `env`, and the helpers' `helper_scope`), against the test IdP, each checked there by
//! introspection: by a new client-credentials request, by the login's refresh token (whose
//! rotation the account keeps: its own refresh goes on working, before and after a SIGKILL),
//! and by trading the account's own token (`narrow_by = "token_exchange"`). The account's own
//! token never changes; a narrower one is reused until due, kept sealed across a restart, and
//! written to the history.

#![allow(clippy::disallowed_methods)] // whole-system tests read the real clock

mod common;
#[path = "../../core/tests/support/mod.rs"]
mod support;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::{browser_login, run, stdout, tokentray, Daemon};
use support::Idp;

fn token(home: &std::path::Path, args: &[&str]) -> String {
    let mut all = vec!["token"];
    all.extend(args);
    stdout(&run(home, &all)).trim().to_string()
}

fn fails_with(out: &std::process::Output, code: &str) {
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "succeeded: {said}");
    assert!(said.contains(&format!("error[{code}]")), "{said}");
}

#[tokio::test(flavor = "multi_thread")]
async fn narrower_tokens_by_request_refresh_and_exchange_leave_the_accounts_own_alone() {
    let home = std::env::temp_dir().join(format!("tokentray-narrow-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    let idp = Idp::start(300);
    let login = |name: &str, client: &str, extra: &str| {
        format!(
            "[[account]]\nname = \"{name}\"\ngrant = \"authorization_code\"\nissuer = \"{}\"\nclient_id = \"{client}\"\nscope = \"openid offline_access profile email\"\n{extra}\n",
            idp.issuer
        )
    };
    let service = |name: &str, extra: &str| {
        format!(
            "[[account]]\nname = \"{name}\"\ngrant = \"client_credentials\"\ntoken_url = \"{}\"\nclient_id = \"cc-basic\"\nclient_secret = \"cc-basic-secret\"\nscope = \"api:read api:write\"\n{extra}\n",
            idp.token_url()
        )
    };
    std::fs::write(
        home.join("profile.toml"),
        [
            service("cc", ""),
            service("tools", "helper_scope = \"api:read\""),
            login("web", "app-native", ""),
            login(
                "conf",
                "app-confidential",
                "client_secret = \"app-confidential-secret\"\nnarrow_by = \"token_exchange\"",
            ),
            "[[account]]\nname = \"pat\"\ngrant = \"static\"\ntoken = \"ghp_x\"\nexpires_at = \"2099-01-01T00:00:00Z\"\n".into(),
        ]
        .concat(),
    )
    .unwrap();
    let daemon = Daemon::start(&home);
    for name in ["web", "conf"] {
        let out = browser_login(&home, name);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // Client credentials: a new request with fewer scopes.
    let own = token(&home, &["cc"]);
    let narrow = token(&home, &["cc", "--scope", "api:read"]);
    let info = idp.introspect(&narrow).await;
    assert_eq!(
        (info["active"].as_bool(), info["scope"].as_str()),
        (Some(true), Some("api:read")),
        "{info}"
    );
    assert_eq!(idp.introspect(&own).await["scope"], "api:read api:write");
    assert_eq!(
        token(&home, &["cc"]),
        own,
        "the account's own token changed"
    );
    assert_eq!(
        token(&home, &["cc", "--scope", "api:read"]),
        narrow,
        "not reused"
    );
    // A resource (RFC 8707): the IdP's JWT access token for that API.
    let resource = "urn:tokentray:test-api";
    let for_api = token(&home, &["cc", "--resource", resource]);
    let claims: serde_json::Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(for_api.split('.').nth(1).expect("a JWT for the resource"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["aud"], resource, "{claims}");

    // A login: the refresh token with fewer scopes; the rotated refresh token is the
    // account's from then on (the IdP rotates them and refuses one presented twice).
    let own_web = token(&home, &["web"]);
    let narrow_web = token(&home, &["web", "--scope", "openid"]);
    let info = idp.introspect(&narrow_web).await;
    assert_eq!(
        (
            info["active"].as_bool(),
            info["scope"].as_str(),
            info["sub"].as_str()
        ),
        (Some(true), Some("openid"), Some("test-user")),
        "{info}"
    );
    assert_eq!(
        idp.introspect(&own_web).await["scope"],
        "openid profile email"
    );
    assert_eq!(token(&home, &["web"]), own_web);
    stdout(&run(&home, &["refresh", "web"]));
    let renewed = token(&home, &["web"]);
    assert_ne!(renewed, own_web);
    assert_eq!(idp.introspect(&renewed).await["active"], true);

    // An account that trades its own token (RFC 8693) at its own token endpoint.
    let own_conf = token(&home, &["conf"]);
    let traded = token(&home, &["conf", "--scope", "openid"]);
    let info = idp.introspect(&traded).await;
    assert_eq!(
        (
            info["scope"].as_str(),
            info["client_id"].as_str(),
            info["sub"].as_str()
        ),
        (Some("openid"), Some("app-confidential"), Some("test-user")),
        "{info}"
    );
    assert_eq!(token(&home, &["conf"]), own_conf);

    // The helpers get what the account's helper_scope says; exec and env take the flags.
    let kube = stdout(&run(&home, &["kubectl-credential", "tools"]));
    let handed: serde_json::Value = serde_json::from_str(&kube).unwrap();
    let handed = handed["status"]["token"].as_str().unwrap().to_string();
    assert_eq!(idp.introspect(&handed).await["scope"], "api:read");
    assert_eq!(
        idp.introspect(&token(&home, &["tools"])).await["scope"],
        "api:read api:write"
    );
    let env = stdout(&run(
        &home,
        &["env", "cc", "--scope", "api:read", "--shell", "sh"],
    ));
    assert!(env.contains(&narrow), "{env}");
    let exec = tokentray(&home)
        .args([
            "exec",
            "cc",
            "--scope",
            "api:read",
            "--",
            "sh",
            "-c",
            "printf %s \"$TOKEN\"",
        ])
        .output()
        .unwrap();
    assert_eq!(stdout(&exec), narrow);

    // What cannot be narrowed says so.
    fails_with(
        &run(&home, &["token", "pat", "--scope", "x"]),
        "unsupported",
    );
    fails_with(
        &run(&home, &["token", "cc", "--scope", "api:read  api:write"]),
        "bad_request",
    );
    fails_with(
        &run(&home, &["token", "cc", "--resource", "not a uri"]),
        "bad_request",
    );
    // A scope the login was not granted: the IdP refuses it (invalid_scope); the account's
    // own token and refresh token are as they were.
    let refused = run(&home, &["token", "web", "--scope", "api:write"]);
    fails_with(&refused, "invalid_scope");
    assert_eq!(token(&home, &["web"]), renewed);
    stdout(&run(&home, &["refresh", "web"]));

    // The history says which tokens were narrower, and how.
    let history = stdout(&run(&home, &["history", "cc"]));
    assert!(
        history.contains("narrower token: scope=api:read by request"),
        "{history}"
    );
    let history = stdout(&run(&home, &["history", "web"]));
    assert!(
        history.contains("narrower token: scope=openid by refresh"),
        "{history}"
    );
    assert!(
        history.contains("narrower token: scope=api:write by refresh; [invalid_scope]"),
        "{history}"
    );
    let history = stdout(&run(&home, &["history", "conf"]));
    assert!(
        history.contains("narrower token: scope=openid by exchange"),
        "{history}"
    );

    // Killed and started again: the narrower token is kept (sealed, never in plaintext), and
    // the rotated refresh token is the one the account presents.
    drop(daemon);
    for file in ["tokentray.db", "tokentray.db-wal"] {
        let bytes = std::fs::read(home.join(file)).unwrap_or_default();
        for secret in [&narrow, &narrow_web, &traded] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "in {file}"
            );
        }
    }
    // The killed daemon's socket is left behind: gone, so that the wait is for the new one.
    std::fs::remove_file(home.join("engine.sock")).unwrap();
    let _daemon = Daemon::start(&home);
    assert_eq!(token(&home, &["cc", "--scope", "api:read"]), narrow);
    stdout(&run(&home, &["refresh", "web"]));
    let again = token(&home, &["web", "--scope", "openid"]);
    assert_eq!(again, narrow_web, "kept across the restart");
    stdout(&run(&home, &["refresh", "web"]));
    assert_eq!(
        idp.introspect(&token(&home, &["web"])).await["active"],
        true
    );
}
