//! Accounts that name only their issuer, against the real test IdP: every OAuth grant finds
//! its endpoints by discovery, the metadata is kept in the store, and it is fetched again
//! when it is a day old or when an endpoint of it answers 404 (the server moved it).
#![allow(clippy::disallowed_methods)] // whole-system tests read the real clock

mod support;

use chrono::{Duration as Days, Utc};
use sqlx::Connection;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{approve_device, browser, clock, context, Idp};
use tokentray_core::grant::discovery::Metadata;
use tokentray_core::grant::{authorization_code, GrantConfig};
use tokentray_core::login::LoginPrompt;
use tokentray_core::store::Store;
use tokentray_core::vault::KeySource;
use tokentray_core::{EngineHandle, Profile, Secret};
use tokio_util::sync::CancellationToken;

fn temp_home(tag: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("tokentray-discovery-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn pass() -> KeySource {
    KeySource::Passphrase(Secret::new("pw"))
}

/// A client-credentials account given by its issuer alone.
fn client_account(idp: &Idp, name: &str) -> String {
    format!(
        "[[account]]\nname = \"{name}\"\ngrant = \"client_credentials\"\nissuer = \"{}\"\nclient_id = \"cc-basic\"\nclient_secret = \"cc-basic-secret\"\nscope = \"api:read\"\n",
        idp.issuer
    )
}

/// The issuers the store keeps metadata of, with their token endpoints.
async fn kept(home: &Path) -> Vec<(String, String)> {
    let url = format!("sqlite://{}?mode=ro", home.join("tokentray.db").display());
    let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT issuer, document FROM discovery")
        .fetch_all(&mut db)
        .await
        .unwrap();
    rows.into_iter()
        .map(|(issuer, doc)| {
            let meta: Metadata = serde_json::from_str(&doc).unwrap();
            (issuer, meta.token_endpoint.to_string())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_oauth_grant_works_from_its_issuer_alone() {
    let idp = Idp::start_with(300, &[("IDP_DEVICE_INTERVAL", "1".into())]);
    let home = temp_home("grants");
    let rt = refresh_token_of_a_login(&idp).await;
    let login = |name: &str, grant: &str| {
        format!(
            "[[account]]\nname = \"{name}\"\ngrant = \"{grant}\"\nissuer = \"{}\"\nclient_id = \"app-native\"\nscope = \"openid offline_access api:read\"\n",
            idp.issuer
        )
    };
    let profile = [
        client_account(&idp, "cc"),
        login("web", "authorization_code"),
        login("tv", "device_code"),
        format!(
            "[[account]]\nname = \"kept\"\ngrant = \"refresh_token\"\nissuer = \"{}\"\nclient_id = \"app-native\"\nrefresh_token = \"{rt}\"\n",
            idp.issuer
        ),
        format!(
            "[[account]]\nname = \"onbehalf\"\ngrant = \"token_exchange\"\nissuer = \"{}\"\nclient_id = \"cc-exchange\"\nclient_secret = \"cc-exchange-secret\"\nsubject_account = \"kept\"\n",
            idp.issuer
        ),
    ]
    .join("\n");
    std::fs::write(home.join("profile.toml"), &profile).unwrap();
    let engine = EngineHandle::open(&home, pass(), clock()).await.unwrap();

    let token = engine.get_token("cc").await.unwrap();
    assert_eq!(idp.introspect(token.expose()).await["active"], true);

    // A browser login: the authorization endpoint came from discovery.
    let person = browser();
    let opened = Arc::new(Mutex::new(None));
    let seen = opened.clone();
    engine
        .login(
            "web",
            move |prompt| {
                let LoginPrompt::OpenBrowser { url } = prompt else {
                    return Err("not a browser login".into());
                };
                *seen.lock().unwrap() = Some(url.clone());
                tokio::spawn(async move { person.get(url).send().await.unwrap().text().await });
                Ok(())
            },
            CancellationToken::new(),
            Duration::from_secs(20),
        )
        .await
        .unwrap();
    let url = opened.lock().unwrap().clone().unwrap();
    assert!(url.starts_with(&format!("{}/auth?", idp.issuer)), "{url}");
    let web = engine.get_token("web").await.unwrap();
    assert_eq!(idp.introspect(web.expose()).await["active"], true);
    // Its refresh goes to the discovered token endpoint.
    engine.refresh("web").await.unwrap();
    let renewed = engine.get_token("web").await.unwrap();
    assert_ne!(renewed.expose(), web.expose());
    assert_eq!(idp.introspect(renewed.expose()).await["active"], true);

    // A device login: the device authorization endpoint came from discovery.
    engine
        .login(
            "tv",
            |prompt| {
                let LoginPrompt::DeviceCode {
                    verification_uri_complete: Some(complete),
                    ..
                } = prompt
                else {
                    return Err("not a device login".into());
                };
                tokio::spawn(async move { approve_device(&complete).await });
                Ok(())
            },
            CancellationToken::new(),
            Duration::from_secs(20),
        )
        .await
        .unwrap();
    let tv = engine.get_token("tv").await.unwrap();
    assert_eq!(idp.introspect(tv.expose()).await["active"], true);

    // A refresh token given by hand, renewed at the discovered token endpoint.
    let kept_token = engine.get_token("kept").await.unwrap();
    assert_eq!(idp.introspect(kept_token.expose()).await["active"], true);

    // A token exchange for the user of another account, at the discovered token endpoint.
    let exchanged = engine.get_token("onbehalf").await.unwrap();
    let info = idp.introspect(exchanged.expose()).await;
    assert_eq!(
        (info["active"].as_bool(), info["client_id"].as_str()),
        (Some(true), Some("cc-exchange")),
        "{info}"
    );

    // One issuer, fetched once and kept, as the accounts name it.
    assert_eq!(
        kept(&home).await,
        vec![(idp.issuer.clone(), idp.token_url())]
    );
    engine.close().await;
    drop(engine);
}

/// A refresh token of the IdP's, from a login with the endpoints named.
async fn refresh_token_of_a_login(idp: &Idp) -> String {
    let toml = format!(
        "[[account]]\nname = \"me\"\ngrant = \"authorization_code\"\nauthorization_url = \"{0}/auth\"\ntoken_url = \"{0}/token\"\nclient_id = \"app-native\"\nscope = \"openid offline_access api:read\"\n",
        idp.issuer
    );
    let GrantConfig::AuthorizationCode(config) =
        Profile::parse(&toml).unwrap().account.remove(0).grant
    else {
        unreachable!()
    };
    let http = tokentray_core::http::client();
    let person = browser();
    let open = |url: &url::Url| {
        let url = url.clone();
        tokio::spawn(async move { person.get(url).send().await.unwrap().text().await });
        Ok(())
    };
    let tokens = authorization_code::login(
        context(&http),
        &config,
        open,
        CancellationToken::new(),
        Duration::from_secs(20),
    )
    .await
    .unwrap();
    tokens.refresh_token.unwrap().expose().to_string()
}

/// Metadata of the IdP's, with its token endpoint somewhere else.
async fn planted(home: &Path, idp: &Idp, token_endpoint: &str, age: Days) {
    let mut meta: Metadata =
        reqwest::get(format!("{}/.well-known/openid-configuration", idp.issuer))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    meta.token_endpoint = token_endpoint.parse().unwrap();
    let store = Store::open(home, pass()).await.unwrap();
    store
        .discover_kept(&idp.issuer, &meta, Utc::now() - age)
        .await
        .unwrap();
    store.close().await;
}

#[tokio::test]
async fn kept_metadata_is_used_until_a_day_old_or_until_an_endpoint_of_it_is_gone() {
    let idp = Idp::start(300);
    let home = temp_home("moves");
    std::fs::write(home.join("profile.toml"), client_account(&idp, "cc")).unwrap();
    // Nothing listens on port 9: an endpoint there fails unless the metadata is fetched again.
    let nowhere = "http://127.0.0.1:9/token";

    // Kept and fresh: used as it is, with no request for it.
    planted(&home, &idp, nowhere, Days::hours(1)).await;
    let engine = EngineHandle::open(&home, pass(), clock()).await.unwrap();
    let err = engine.get_token("cc").await.unwrap_err();
    assert_eq!(err.code(), "network", "{err}");
    engine.close().await;
    drop(engine);

    // A day old: fetched again before it is used.
    planted(&home, &idp, nowhere, Days::hours(25)).await;
    let engine = EngineHandle::open(&home, pass(), clock()).await.unwrap();
    let token = engine.get_token("cc").await.unwrap();
    assert_eq!(idp.introspect(token.expose()).await["active"], true);
    engine.close().await;
    drop(engine);
    assert_eq!(
        kept(&home).await,
        vec![(idp.issuer.clone(), idp.token_url())]
    );

    // Fresh, but the server moved its token endpoint (the old one answers 404): fetched
    // again, and the request made once more at the new one.
    let moved = format!("{}/old/token", idp.issuer);
    planted(&home, &idp, &moved, Days::hours(1)).await;
    let engine = EngineHandle::open(&home, pass(), clock()).await.unwrap();
    // The token of before is still valid: a refresh asks for a new one.
    engine.refresh("cc").await.unwrap();
    let renewed = engine.get_token("cc").await.unwrap();
    assert_ne!(renewed.expose(), token.expose());
    assert_eq!(idp.introspect(renewed.expose()).await["active"], true);
    engine.close().await;
    drop(engine);
    assert_eq!(
        kept(&home).await,
        vec![(idp.issuer.clone(), idp.token_url())]
    );
}

#[tokio::test]
async fn an_issuer_that_is_not_one_is_a_clear_error() {
    let idp = Idp::start(300);
    let home = temp_home("wrong");
    // The IdP's token endpoint is no issuer: no metadata there.
    std::fs::write(
        home.join("profile.toml"),
        client_account(&idp, "cc").replace(
            &format!("issuer = \"{}\"", idp.issuer),
            &format!("issuer = \"{}/token\"", idp.issuer),
        ),
    )
    .unwrap();
    let engine = EngineHandle::open(&home, pass(), clock()).await.unwrap();
    let err = engine.get_token("cc").await.unwrap_err();
    assert!(err.to_string().contains("metadata"), "{err}");
    engine.close().await;
    drop(engine);
}
