//! The engine against the real test IdP (oidc-provider on 127.0.0.1).

mod support;

use std::sync::Arc;
use std::time::Duration;
use support::Idp;
use tokentray_core::{AccountStatus, EngineHandle, Event, Profile, SystemClock};

fn profile(idp: &Idp, accounts: &[(&str, &str, &str, &str)]) -> Profile {
    let text: String = accounts
        .iter()
        .map(|(name, id, secret, method)| {
            format!(
                "[[account]]\nname = \"{name}\"\ngrant = \"client_credentials\"\ntoken_url = \"{}\"\nclient_id = \"{id}\"\nclient_secret = \"{secret}\"\nscope = \"api:read\"\nauth_method = \"{method}\"\n",
                idp.token_url()
            )
        })
        .collect();
    Profile::parse(&text).unwrap()
}

#[tokio::test]
async fn client_credentials_with_basic_and_post_get_active_tokens() {
    let idp = Idp::start(300);
    let engine = EngineHandle::new(
        profile(
            &idp,
            &[
                (
                    "basic",
                    "cc-basic",
                    "cc-basic-secret",
                    "client_secret_basic",
                ),
                ("post", "cc-post", "cc-post-secret", "client_secret_post"),
            ],
        ),
        Arc::new(SystemClock),
    );
    for name in ["basic", "post"] {
        let token = engine.get_token(name).await.unwrap();
        let info = idp.introspect(token.expose()).await;
        assert_eq!(info["active"], true, "{name}: {info}");
        assert_eq!(info["scope"], "api:read", "{name}: {info}");
    }
    let views = engine.list();
    assert!(views
        .iter()
        .all(|v| v.status == AccountStatus::Ok && v.expires_at.is_some()));
    // A token not yet due comes from memory: the same one again.
    let a = engine.get_token("basic").await.unwrap();
    let b = engine.get_token("basic").await.unwrap();
    assert_eq!(a.expose(), b.expose());
}

#[tokio::test]
async fn refused_credentials_need_reauth_with_the_servers_code() {
    let idp = Idp::start(300);
    let engine = EngineHandle::new(
        profile(
            &idp,
            &[
                (
                    "wrong-secret",
                    "cc-basic",
                    "not-the-secret",
                    "client_secret_basic",
                ),
                (
                    "wrong-method",
                    "cc-basic",
                    "cc-basic-secret",
                    "client_secret_post",
                ),
            ],
        ),
        Arc::new(SystemClock),
    );
    let mut events = engine.subscribe();
    for name in ["wrong-secret", "wrong-method"] {
        let err = engine.get_token(name).await.unwrap_err();
        assert_eq!(err.code(), "invalid_client", "{name}: {err}");
        let Ok(Event::NeedsReauth { account, code, .. }) = events.recv().await else {
            panic!("expected needs_reauth")
        };
        assert_eq!((account.as_str(), code.as_str()), (name, "invalid_client"));
    }
    assert!(engine
        .list()
        .iter()
        .all(|v| v.status == AccountStatus::NeedsReauth));
}

#[tokio::test]
async fn unreachable_server_is_a_transient_network_error() {
    // Bind then drop a listener: nothing listens on that port now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let text = format!(
        "[[account]]\nname = \"gone\"\ngrant = \"client_credentials\"\ntoken_url = \"http://127.0.0.1:{port}/token\"\nclient_id = \"x\"\nclient_secret = \"y\"\n"
    );
    let engine = EngineHandle::new(Profile::parse(&text).unwrap(), Arc::new(SystemClock));
    let err = engine.get_token("gone").await.unwrap_err();
    assert_eq!(err.code(), "network", "{err}");
    assert!(err.is_transient());
    assert_eq!(engine.list()[0].status, AccountStatus::Failing);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_refresh_loop_keeps_short_lived_tokens_of_several_grants_valid() {
    // 4 s tokens are due after ~2 s: over 10 s each account refreshes several times, and the
    // token the engine serves works every time it is asked: client credentials (both auth
    // methods) at the IdP, a service-token exchange and a password login with rotating
    // refresh tokens at the project's own server.
    let idp = Idp::start(4);
    let api = support::custom_api(4);
    let mut text = String::new();
    for (name, id, secret, method) in [
        ("a", "cc-basic", "cc-basic-secret", "client_secret_basic"),
        ("b", "cc-post", "cc-post-secret", "client_secret_post"),
    ] {
        text.push_str(&format!("[[account]]\nname = \"{name}\"\ngrant = \"client_credentials\"\ntoken_url = \"{}\"\nclient_id = \"{id}\"\nclient_secret = \"{secret}\"\nauth_method = \"{method}\"\n", idp.token_url()));
    }
    text.push_str(&format!("[[account]]\nname = \"svc\"\ngrant = \"custom\"\nsecret = \"svc-test-token\"\n[account.request]\nurl = \"{}/auth/service-token/refresh\"\nsecret_in = \"bearer\"\n", api.url));
    text.push_str(&format!("[[account]]\nname = \"pw\"\ngrant = \"password\"\ntoken_url = \"{}/oauth/token\"\nusername = \"alice\"\npassword = \"alice-password\"\n", api.url));
    let engine = EngineHandle::new(Profile::parse(&text).unwrap(), Arc::new(SystemClock));
    let mut events = engine.subscribe();
    let task = engine.spawn_refresh_loop();
    let mut seen = std::collections::HashSet::new();
    let http = reqwest::Client::new();
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        for name in ["a", "b"] {
            let token = engine.get_token(name).await.unwrap();
            assert_eq!(idp.introspect(token.expose()).await["active"], true);
            seen.insert(token.expose().to_string());
        }
        for name in ["svc", "pw"] {
            let token = engine.get_token(name).await.unwrap();
            let me = http
                .get(format!("{}/api/me", api.url))
                .bearer_auth(token.expose())
                .send()
                .await
                .unwrap();
            assert!(
                me.status().is_success(),
                "{name}: a token that does not work was served"
            );
            seen.insert(token.expose().to_string());
        }
    }
    engine.shutdown();
    task.await.unwrap();
    let mut refreshed = 0;
    while let Ok(e) = events.try_recv() {
        assert!(matches!(e, Event::Refreshed { .. }), "{e:?}");
        refreshed += 1;
    }
    // 10 s of 4 s tokens refreshed at ~2 s: at least 4 refreshes per account.
    assert!(refreshed >= 16, "only {refreshed} refreshes");
    assert!(
        seen.len() >= 16,
        "only {} distinct tokens served",
        seen.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_share_one_request() {
    let idp = Idp::start(300);
    let engine = EngineHandle::new(
        profile(
            &idp,
            &[("a", "cc-basic", "cc-basic-secret", "client_secret_basic")],
        ),
        Arc::new(SystemClock),
    );
    let mut events = engine.subscribe();
    let calls: Vec<_> = (0..50)
        .map(|_| {
            let engine = engine.clone();
            tokio::spawn(async move { engine.get_token("a").await.unwrap().expose().to_string() })
        })
        .collect();
    let mut tokens = std::collections::HashSet::new();
    for call in calls {
        tokens.insert(call.await.unwrap());
    }
    assert_eq!(tokens.len(), 1);
    assert!(matches!(events.try_recv(), Ok(Event::Refreshed { .. })));
    assert!(events.try_recv().is_err(), "more than one token request");
}
