//! Every grant against real servers: the test IdP (oidc-provider) for the standard grants and
//! the project's custom API server for the non-standard ones.

// Whole-system tests measure real time against real servers.
#![allow(clippy::disallowed_methods)]

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{approve_device, browser, context, custom_api, Idp};
use tokentray_core::grant::{authorization_code, device_code, discovery, revocation, GrantConfig};
use tokentray_core::token::TokenSet;
use tokentray_core::{http, AccountStatus, EngineHandle, Event, Profile, Secret};
use tokio_util::sync::CancellationToken;

fn grant_of(toml: &str) -> GrantConfig {
    Profile::parse(toml).unwrap().account.remove(0).grant
}

fn auth_code_config(idp: &Idp, client: &str, secret: Option<&str>) -> authorization_code::Config {
    let secret = secret
        .map(|s| format!("client_secret = \"{s}\"\n"))
        .unwrap_or_default();
    match grant_of(&format!(
        "[[account]]\nname = \"me\"\ngrant = \"authorization_code\"\nauthorization_url = \"{0}/auth\"\ntoken_url = \"{0}/token\"\nclient_id = \"{client}\"\n{secret}scope = \"openid offline_access api:read\"\n",
        idp.issuer
    )) {
        GrantConfig::AuthorizationCode(c) => c,
        _ => unreachable!(),
    }
}

/// Logs in through the loopback redirect, with a test browser standing in for the person.
async fn login(idp: &Idp, client: &str, secret: Option<&str>) -> TokenSet {
    let http = http::client();
    let config = auth_code_config(idp, client, secret);
    let person = browser();
    authorization_code::login(
        context(&http),
        &config,
        |url| {
            let url = url.clone();
            tokio::spawn(
                async move { person.get(url).send().await.unwrap().text().await.unwrap() },
            );
            Ok(())
        },
        CancellationToken::new(),
        Duration::from_secs(20),
    )
    .await
    .unwrap()
}

async fn post_form(url: &str, form: &[(&str, &str)]) -> serde_json::Value {
    reqwest::Client::new()
        .post(url)
        .form(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_code_with_pkce_logs_in_through_the_loopback_redirect() {
    let idp = Idp::start(300);
    let tokens = login(&idp, "app-native", None).await;
    let info = idp.introspect(tokens.access_token.expose()).await;
    assert_eq!(info["active"], true, "{info}");
    assert_eq!(info["sub"], "test-user");
    assert!(tokens.refresh_token.is_some());
    // A confidential client logs in the same way, authenticating at the token endpoint.
    let tokens = login(&idp, "app-confidential", Some("app-confidential-secret")).await;
    assert_eq!(
        idp.introspect(tokens.access_token.expose()).await["client_id"],
        "app-confidential"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loopback_listener_ignores_a_wrong_state_and_closes_after_the_login() {
    let idp = Idp::start(300);
    let http = http::client();
    let config = auth_code_config(&idp, "app-native", None);
    let port = Arc::new(std::sync::Mutex::new(0u16));
    let seen = port.clone();
    let person = browser();
    let tokens = authorization_code::login(
        context(&http),
        &config,
        move |url| {
            let redirect = url
                .query_pairs()
                .find(|(k, _)| k == "redirect_uri")
                .unwrap()
                .1
                .to_string();
            let redirect = url::Url::parse(&redirect).unwrap();
            *seen.lock().unwrap() = redirect.port().unwrap();
            let url = url.clone();
            tokio::spawn(async move {
                // Someone else's answer first: refused, and the login goes on.
                let forged = format!("{redirect}?code=forged&state=not-ours");
                let page = reqwest::get(forged).await.unwrap();
                assert_eq!(page.status(), 400);
                person.get(url).send().await.unwrap();
            });
            Ok(())
        },
        CancellationToken::new(),
        Duration::from_secs(20),
    )
    .await
    .unwrap();
    assert_eq!(
        idp.introspect(tokens.access_token.expose()).await["active"],
        true
    );
    let port = *port.lock().unwrap();
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "listener still open"
    );
}

#[tokio::test]
async fn a_login_can_be_cancelled_or_time_out_and_the_listener_closes() {
    let idp = Idp::start(300);
    let http = http::client();
    let config = auth_code_config(&idp, "app-native", None);
    let cancel = CancellationToken::new();
    let stop = cancel.clone();
    let err = authorization_code::login(
        context(&http),
        &config,
        move |_| {
            stop.cancel();
            Ok(())
        },
        cancel,
        Duration::from_secs(20),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), "cancelled");
    let err = authorization_code::login(
        context(&http),
        &config,
        |_| Ok(()),
        CancellationToken::new(),
        Duration::from_millis(200),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), "timeout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_token_rotation_replaces_the_old_token_and_ours_keeps_working() {
    let idp = Idp::start(300);
    let first = login(&idp, "app-native", None).await;
    let imported = first.refresh_token.clone().unwrap();
    let profile = Profile::parse(&format!(
        "[[account]]\nname = \"imported\"\ngrant = \"refresh_token\"\ntoken_url = \"{}\"\nclient_id = \"app-native\"\nrefresh_token = \"{}\"\n",
        idp.token_url(),
        imported.expose()
    ))
    .unwrap();
    let engine = EngineHandle::new(profile, support::clock());
    let a = engine.get_token("imported").await.unwrap();
    assert_eq!(idp.introspect(a.expose()).await["active"], true);
    // The imported refresh token was rotated away: the server now refuses it...
    let replay = post_form(
        &idp.token_url(),
        &[
            ("grant_type", "refresh_token"),
            ("client_id", "app-native"),
            ("refresh_token", imported.expose()),
        ],
    )
    .await;
    assert_eq!(replay["error"], "invalid_grant");
    // ...and that replay revoked the whole family, as a lost rotated token would. A fresh
    // login shows the engine itself keeps rotating without ever replaying.
    let second = login(&idp, "app-native", None).await;
    let profile = Profile::parse(&format!(
        "[[account]]\nname = \"imported\"\ngrant = \"refresh_token\"\ntoken_url = \"{}\"\nclient_id = \"app-native\"\nrefresh_token = \"{}\"\n",
        idp.token_url(),
        second.refresh_token.unwrap().expose()
    ))
    .unwrap();
    let engine = EngineHandle::new(profile, support::clock());
    let mut seen = std::collections::HashSet::new();
    for _ in 0..4 {
        engine.refresh("imported").await.unwrap();
        let token = engine.get_token("imported").await.unwrap();
        assert_eq!(idp.introspect(token.expose()).await["active"], true);
        seen.insert(token.expose().to_string());
    }
    assert_eq!(seen.len(), 4, "each refresh used the newest refresh token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_flow_polls_until_approved_and_honours_slow_down() {
    let idp = Idp::start_with(300, &[("IDP_DEVICE_INTERVAL", "1".into())]);
    let http = http::client();
    let config = match grant_of(&format!(
        "[[account]]\nname = \"tv\"\ngrant = \"device_code\"\ndevice_authorization_url = \"{0}/device/auth\"\ntoken_url = \"{0}/token\"\nclient_id = \"app-native\"\nscope = \"openid offline_access api:read\"\n",
        idp.issuer
    )) {
        GrantConfig::DeviceCode(c) => c,
        _ => unreachable!(),
    };
    let mut auth = device_code::start(context(&http), &config).await.unwrap();
    assert_eq!(auth.interval, Duration::from_secs(1));
    assert!(!auth.user_code.is_empty() && auth.verification_uri.starts_with(&idp.issuer));
    let complete = auth.verification_uri_complete.clone().unwrap();
    assert!(complete.contains("user_code="));
    // Poll faster than the server allows: it answers slow_down and we must wait 5 s more.
    auth.interval = Duration::from_millis(200);
    let approver = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        approve_device(&complete).await;
    });
    let started = Instant::now();
    let tokens = device_code::poll(context(&http), &config, &auth, CancellationToken::new())
        .await
        .unwrap();
    approver.await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(5),
        "slow_down was not honoured: {:?}",
        started.elapsed()
    );
    assert_eq!(
        idp.introspect(tokens.access_token.expose()).await["active"],
        true
    );
    assert!(tokens.refresh_token.is_some());

    // Cancelled while waiting for the person.
    let auth = device_code::start(context(&http), &config).await.unwrap();
    let cancel = CancellationToken::new();
    let stop = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        stop.cancel();
    });
    let err = device_code::poll(context(&http), &config, &auth, cancel)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "cancelled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_exchange_acts_for_the_subject_accounts_user() {
    let idp = Idp::start(300);
    let user = login(&idp, "app-native", None).await;
    let profile = Profile::parse(&format!(
        r#"[[account]]
name = "frontend-user"
grant = "refresh_token"
token_url = "{0}"
client_id = "app-native"
refresh_token = "{1}"

[[account]]
name = "backend-on-behalf"
grant = "token_exchange"
token_url = "{0}"
client_id = "cc-exchange"
client_secret = "cc-exchange-secret"
subject_account = "frontend-user"
"#,
        idp.token_url(),
        user.refresh_token.unwrap().expose()
    ))
    .unwrap();
    let engine = EngineHandle::new(profile, support::clock());
    let token = engine.get_token("backend-on-behalf").await.unwrap();
    let info = idp.introspect(token.expose()).await;
    assert_eq!(
        (
            info["active"].as_bool(),
            info["sub"].as_str(),
            info["client_id"].as_str()
        ),
        (Some(true), Some("test-user"), Some("cc-exchange")),
        "{info}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_makes_a_refresh_token_inactive() {
    let idp = Idp::start(300);
    let tokens = login(&idp, "app-confidential", Some("app-confidential-secret")).await;
    let rt = tokens.refresh_token.unwrap();
    assert_eq!(idp.introspect(rt.expose()).await["active"], true);
    let http = http::client();
    let config = auth_code_config(&idp, "app-confidential", Some("app-confidential-secret"));
    let endpoint = url::Url::parse(&format!("{}/token/revocation", idp.issuer)).unwrap();
    revocation::revoke(
        context(&http),
        &endpoint,
        &config.client(),
        &rt,
        revocation::Hint::RefreshToken,
    )
    .await
    .unwrap();
    assert_eq!(idp.introspect(rt.expose()).await["active"], false);
}

#[tokio::test]
async fn discovery_fills_endpoints_and_refuses_a_mismatched_issuer() {
    let idp = Idp::start(300);
    let http = http::client();
    let meta = discovery::discover(context(&http), &idp.issuer)
        .await
        .unwrap();
    assert_eq!(meta.token_endpoint.as_str(), idp.token_url());
    assert!(meta.device_authorization_endpoint.is_some() && meta.revocation_endpoint.is_some());
    assert_eq!(meta.code_challenge_methods_supported, ["S256"]);
    assert!(meta
        .token_endpoint_auth_methods_supported
        .contains(&"client_secret_basic".to_string()));
    // The same server asked under another name answers with its real issuer: refused.
    let other_name = idp.issuer.replace("127.0.0.1", "localhost");
    let err = discovery::discover(context(&http), &other_name)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_response");
    assert!(err.to_string().contains("issuer"), "{err}");
}

fn custom_profile(api: &str, body: &str) -> Profile {
    try_profile(api, body).unwrap()
}

/// One account named `x` with these settings (`{api}` standing for the API's address).
fn try_profile(api: &str, body: &str) -> tokentray_core::Result<Profile> {
    Profile::parse(&format!(
        "[[account]]\nname = \"x\"\n{}",
        body.replace("{api}", api)
    ))
}

async fn works_at_api(api: &str, token: &Secret) -> bool {
    reqwest::Client::new()
        .get(format!("{api}/api/me"))
        .bearer_auth(token.expose())
        .send()
        .await
        .unwrap()
        .status()
        == 200
}

#[tokio::test]
async fn custom_service_token_to_access_token() {
    let api = custom_api(900);
    let profile = custom_profile(
        &api.url,
        r#"grant = "custom"
secret = "svc-test-token"
[account.request]
url = "{api}/auth/service-token/refresh"
secret_in = "bearer"
"#,
    );
    let engine = EngineHandle::new(profile, support::clock());
    let token = engine.get_token("x").await.unwrap();
    assert!(works_at_api(&api.url, &token).await);
    let view = &engine.list()[0];
    let lifetime = view.expires_at.unwrap() - view.last_refresh.unwrap();
    assert!((899..=900).contains(&lifetime.num_seconds()), "{lifetime}");
    // The service token still works the next time: nothing rotated.
    engine.refresh("x").await.unwrap();
    assert!(works_at_api(&api.url, &engine.get_token("x").await.unwrap()).await);

    let wrong = custom_profile(
        &api.url,
        r#"grant = "custom"
secret = "not-the-service-token"
[account.request]
url = "{api}/auth/service-token/refresh"
secret_in = "bearer"
"#,
    );
    let err = EngineHandle::new(wrong, support::clock())
        .get_token("x")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "refused");
    assert!(err.to_string().contains("invalid_token"), "{err}");
}

#[tokio::test]
async fn custom_refresh_in_the_query_string_rotates() {
    let api = custom_api(900);
    let rt = post_form(&format!("{}/_control/refresh-token", api.url), &[]).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    let profile = custom_profile(
        &api.url,
        &format!(
            r#"grant = "custom"
secret = "{rt}"
[account.request]
url = "{{api}}/auth/refresh"
secret_in = {{ query = "refresh_token" }}
[account.response]
access_token = "/data/accessToken"
refresh_token = "/data/refreshToken"
expires_at = "/data/expiresAt"
"#
        ),
    );
    let engine = EngineHandle::new(profile, support::clock());
    for _ in 0..3 {
        engine.refresh("x").await.unwrap();
        assert!(works_at_api(&api.url, &engine.get_token("x").await.unwrap()).await);
    }
    // The first refresh token was spent three rotations ago.
    let replay = reqwest::Client::new()
        .post(format!("{}/auth/refresh?refresh_token={rt}", api.url))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 401);
}

/// An unsigned JWT (`alg: none`) that expires at `exp` (Unix seconds): what a service token
/// or a pasted PAT looks like to Tokentray, which decodes but never verifies it.
pub fn jwt_expiring_at(exp: i64) -> String {
    use base64::Engine as _;
    let b64 = |v: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    format!(
        "{}.{}.sig",
        b64(serde_json::json!({"alg": "none"})),
        b64(serde_json::json!({"exp": exp}))
    )
}

/// Tells the custom API server to change something (`/_control/{what}`).
async fn control(api: &str, what: &str, body: serde_json::Value) {
    let sent = reqwest::Client::new()
        .post(format!("{api}/_control/{what}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(sent.status().is_success(), "{what}: {}", sent.status());
}

/// What the custom API server did, by kind (`guide-login`, `oauth-refresh_token`, ...).
async fn server_counts(api: &str) -> serde_json::Value {
    let stats: serde_json::Value = reqwest::get(format!("{api}/_control/stats"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    stats["counts"].clone()
}

#[tokio::test]
async fn password_logins_standard_and_custom() {
    let api = custom_api(900);
    let ropc = custom_profile(
        &api.url,
        r#"grant = "password"
token_url = "{api}/oauth/token"
username = "alice"
password = "alice-password"
"#,
    );
    let engine = EngineHandle::new(ropc, support::clock());
    assert!(works_at_api(&api.url, &engine.get_token("x").await.unwrap()).await);
    // With a refresh token in hand the next renewals refresh (rotating) instead of logging in:
    // counted at the server, where a login and a refresh are different requests.
    engine.refresh("x").await.unwrap();
    engine.refresh("x").await.unwrap();
    assert!(works_at_api(&api.url, &engine.get_token("x").await.unwrap()).await);
    let counts = server_counts(&api.url).await;
    assert_eq!(counts["oauth-password"], 1, "{counts}");
    assert_eq!(counts["oauth-refresh_token"], 2, "{counts}");

    // An app's own login URL with no refresh request logs in at every renewal.
    let login = custom_profile(
        &api.url,
        r#"grant = "password"
login_url = "{api}/api/auth/login"
username = "alice"
password = "alice-password"
[account.response]
access_token = "/token/access"
refresh_token = "/token/refresh"
expires_in = "/token/expires_in"
"#,
    );
    let engine = EngineHandle::new(login, support::clock());
    assert!(works_at_api(&api.url, &engine.get_token("x").await.unwrap()).await);
    engine.refresh("x").await.unwrap();
    assert_eq!(server_counts(&api.url).await["login"], 2);

    let wrong = custom_profile(
        &api.url,
        r#"grant = "password"
login_url = "{api}/api/auth/login"
username = "alice"
password = "guess"
"#,
    );
    let err = EngineHandle::new(wrong, support::clock())
        .get_token("x")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "refused");
    assert!(
        err.to_string().contains("wrong username or password"),
        "{err}"
    );
}

/// The guide's user login: log in once with a form, renew with the refresh token in the query
/// string (rotated each time), log in again only when the refresh token is refused.
const GUIDE_LOGIN: &str = r#"grant = "password"
login_url = "{api}/guide/auth/login"
body = "form"
username = "alice"
password = "alice-password"
[account.refresh]
url = "{api}/guide/auth/refresh"
secret_in = { query = "refresh_token" }
"#;

#[tokio::test]
async fn password_login_renews_through_its_own_refresh_endpoint() {
    let api = custom_api(900);
    let engine = EngineHandle::new(custom_profile(&api.url, GUIDE_LOGIN), support::clock());
    assert!(works_at_api(&api.url, &engine.get_token("x").await.unwrap()).await);
    for _ in 0..3 {
        engine.refresh("x").await.unwrap();
        assert!(works_at_api(&api.url, &engine.get_token("x").await.unwrap()).await);
    }
    let counts = server_counts(&api.url).await;
    assert_eq!(counts["guide-login"], 1, "{counts}");
    // Each refresh presented the newest rotated token: a replayed one would have revoked the
    // family and forced a login.
    assert_eq!(counts["guide-refresh"], 3, "{counts}");

    // The refresh token is refused (it expired, say): one login, then refreshing again.
    control(&api.url, "revoke-refresh-tokens", serde_json::json!({})).await;
    engine.refresh("x").await.unwrap();
    assert!(works_at_api(&api.url, &engine.get_token("x").await.unwrap()).await);
    engine.refresh("x").await.unwrap();
    let counts = server_counts(&api.url).await;
    assert_eq!(counts["guide-login"], 2, "{counts}");
    assert_eq!(counts["guide-refresh"], 5, "{counts}");
}

#[tokio::test]
async fn a_refused_refresh_then_a_refused_login_is_the_accounts_refusal() {
    let api = custom_api(900);
    let engine = EngineHandle::new(custom_profile(&api.url, GUIDE_LOGIN), support::clock());
    engine.get_token("x").await.unwrap();
    // The refresh token expires and the password is changed elsewhere.
    control(&api.url, "revoke-refresh-tokens", serde_json::json!({})).await;
    control(
        &api.url,
        "password",
        serde_json::json!({ "password": "changed" }),
    )
    .await;
    let err = engine.refresh("x").await.unwrap_err();
    assert_eq!(err.code(), "refused");
    assert!(err.to_string().contains("HTTP 401"), "{err}");
    assert_eq!(engine.view("x").unwrap().status, AccountStatus::NeedsReauth);
    let counts = server_counts(&api.url).await;
    assert_eq!(
        (
            counts["guide-refresh"].clone(),
            counts["guide-login"].clone()
        ),
        (1.into(), 2.into())
    );
    // A refresh table goes with a login URL only, and its URL is held to https like any.
    let misplaced = GUIDE_LOGIN.replace("login_url", "token_url");
    let err = try_profile(&api.url, &misplaced).unwrap_err();
    assert!(err.to_string().contains("[account.refresh]"), "{err}");
    let plain = GUIDE_LOGIN.replace("{api}/guide/auth/refresh", "http://example.com/refresh");
    let err = try_profile(&api.url, &plain).unwrap_err();
    assert!(err.to_string().contains("https"), "{err}");
}

#[tokio::test]
#[allow(clippy::disallowed_methods)] // the lifetimes here are real seconds at a real server
async fn a_token_without_a_stated_lifetime_is_never_served_forever() {
    let api = custom_api(600);
    let account = |path: &str, extra: &str| {
        custom_profile(
            &api.url,
            &format!("grant = \"custom\"\nsecret = \"svc-test-token\"\n{extra}[account.request]\nurl = \"{{api}}{path}\"\nsecret_in = \"bearer\"\n"),
        )
    };
    // A JWT with `exp` and no expires_in: its exp is the stated lifetime.
    let engine = EngineHandle::new(account("/noexp/jwt", ""), support::clock());
    engine.get_token("x").await.unwrap();
    let view = engine.view("x").unwrap();
    let left = (view.expires_at.unwrap() - chrono::Utc::now()).num_seconds();
    assert!((590..=600).contains(&left), "{left}");
    assert!(!view.expiry_assumed);
    assert!(view.next_refresh.unwrap() < view.expires_at.unwrap());

    // An opaque token and nothing else: the account's assumed lifetime, then a refresh.
    let engine = EngineHandle::new(
        account("/noexp/opaque", "default_expires_in = 2\n"),
        support::clock(),
    );
    let first = engine.get_token("x").await.unwrap();
    let view = engine.view("x").unwrap();
    assert!(view.expiry_assumed);
    let lifetime = view.expires_at.unwrap() - view.last_refresh.unwrap();
    // From issue to expiry; the refresh was recorded a moment after the token was issued.
    assert!(
        (1_900..=2_000).contains(&lifetime.num_milliseconds()),
        "{lifetime}"
    );
    tokio::time::sleep(Duration::from_millis(2_200)).await;
    let second = engine.get_token("x").await.unwrap();
    assert_ne!(
        first.expose(),
        second.expose(),
        "an expired token was served"
    );
    let counts = server_counts(&api.url).await;
    assert_eq!(
        (counts["noexp-jwt"].clone(), counts["noexp-opaque"].clone()),
        (1.into(), 2.into())
    );
}

#[tokio::test]
async fn custom_endpoint_failures_are_classified() {
    let api = custom_api(900);
    let profile = custom_profile(
        &api.url,
        r#"grant = "custom"
secret = "svc-test-token"
[account.request]
url = "{api}/auth/service-token/refresh"
secret_in = "bearer"
"#,
    );
    let cases: [(serde_json::Value, &str); 7] = [
        (serde_json::json!({"status": 500}), "server_error"),
        (
            serde_json::json!({"status": 503, "headers": {"retry-after": "3"}}),
            "server_error",
        ),
        (
            serde_json::json!({"status": 429, "headers": {"retry-after": "7"}}),
            "rate_limited",
        ),
        (
            serde_json::json!({"status": 200, "body": "<!DOCTYPE html><title>Login</title>"}),
            "invalid_response",
        ),
        (
            serde_json::json!({"status": 200, "body": {"token": "where-is-access_token"}}),
            "invalid_response",
        ),
        (
            serde_json::json!({"status": 400, "body": {"error": "invalid_grant"}}),
            "invalid_grant",
        ),
        (
            serde_json::json!({"status": 302, "headers": {"location": "https://example.com/"}}),
            "refused",
        ),
    ];
    let engine = EngineHandle::new(profile, support::clock());
    for (fault, code) in cases {
        reqwest::Client::new()
            .post(format!("{}/_control/fail", api.url))
            .json(&fault)
            .send()
            .await
            .unwrap();
        let err = engine.refresh("x").await.unwrap_err();
        assert_eq!(err.code(), code, "{fault}: {err}");
        if fault["headers"]["retry-after"] == "7" {
            assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
        }
    }
    // And the server recovered: the next request gets a token.
    engine.refresh("x").await.unwrap();
}

#[tokio::test]
async fn static_tokens_take_expiry_from_their_jwt_and_are_never_served_expired() {
    let jwt = jwt_expiring_at;
    let now = chrono::Utc::now().timestamp();
    let profile = Profile::parse(&format!(
        "[[account]]\nname = \"pat\"\ngrant = \"static\"\ntoken = \"{}\"\n\n[[account]]\nname = \"old\"\ngrant = \"static\"\ntoken = \"{}\"\n\n[[account]]\nname = \"opaque\"\ngrant = \"static\"\ntoken = \"ghp_opaque\"\nexpires_at = \"2099-01-01T00:00:00Z\"\n",
        jwt(now + 3600),
        jwt(now - 10)
    ))
    .unwrap();
    let engine = EngineHandle::new(profile, support::clock());
    assert_eq!(
        engine.get_token("pat").await.unwrap().expose(),
        jwt(now + 3600)
    );
    assert_eq!(
        engine.get_token("opaque").await.unwrap().expose(),
        "ghp_opaque"
    );
    let err = engine.get_token("old").await.unwrap_err();
    assert_eq!(err.code(), "expired");
    let views = engine.list();
    let by_name = |n: &str| views.iter().find(|v| v.name == n).unwrap().clone();
    assert_eq!(by_name("pat").expires_at.unwrap().timestamp(), now + 3600);
    assert_eq!(
        by_name("opaque").expires_at.unwrap().to_rfc3339(),
        "2099-01-01T00:00:00+00:00"
    );
    assert_eq!(
        by_name("old").status,
        tokentray_core::AccountStatus::Expired
    );
}

#[tokio::test]
async fn command_tokens_plain_json_failure_and_timeout() {
    let profile = Profile::parse(
        r#"[[account]]
name = "plain"
grant = "command"
command = ["echo", "tok-from-echo"]

[[account]]
name = "json"
grant = "command"
command = ["sh", "-c", "printf '{\"access_token\": \"tok-json\", \"expires_in\": 600}'"]

[[account]]
name = "kubectl"
grant = "command"
command = ["sh", "-c", "printf '{\"kind\":\"ExecCredential\",\"status\":{\"token\":\"tok-k8s\",\"expirationTimestamp\":\"2099-01-01T00:00:00Z\"}}'"]

[[account]]
name = "failing"
grant = "command"
command = ["sh", "-c", "echo 'not logged in: run gcloud auth login' >&2; exit 3"]

[[account]]
name = "slow"
grant = "command"
command = ["sleep", "10"]
timeout_secs = 1
"#,
    )
    .unwrap();
    let engine = EngineHandle::new(profile, support::clock());
    assert_eq!(
        engine.get_token("plain").await.unwrap().expose(),
        "tok-from-echo"
    );
    assert_eq!(engine.get_token("json").await.unwrap().expose(), "tok-json");
    assert_eq!(
        engine.get_token("kubectl").await.unwrap().expose(),
        "tok-k8s"
    );
    let views = engine.list();
    let json = views.iter().find(|v| v.name == "json").unwrap();
    let lifetime = (json.expires_at.unwrap() - json.last_refresh.unwrap()).num_seconds();
    assert!((599..=600).contains(&lifetime), "{lifetime}");

    let err = engine.get_token("failing").await.unwrap_err();
    assert_eq!(err.code(), "command_failed");
    assert!(err.to_string().contains("run gcloud auth login"), "{err}");
    let started = Instant::now();
    let err = engine.get_token("slow").await.unwrap_err();
    assert_eq!(err.code(), "timeout");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
#[allow(clippy::disallowed_methods)] // the service token's exp is real time
async fn a_service_token_that_runs_out_is_watched_and_warned_of() {
    // The guide's two-level setup: a service token (a JWT living 3 more days) exchanged for
    // short access tokens. The access tokens renew themselves; the service token cannot.
    let runs_out = chrono::Utc::now().timestamp() + 3 * 86_400;
    let service_token = jwt_expiring_at(runs_out);
    let api = support::Server::start(
        "tests/servers/custom-api.mjs",
        &[
            ("CUSTOM_TTL", "900".into()),
            ("CUSTOM_SERVICE_TOKEN", service_token.clone()),
        ],
    );
    let profile = custom_profile(
        &api.url,
        &format!(
            "grant = \"custom\"\nsecret = \"{service_token}\"\n[account.request]\nurl = \"{{api}}/auth/service-token/refresh\"\nsecret_in = \"bearer\"\n"
        ),
    );
    let engine = EngineHandle::new(profile, support::clock());
    let mut events = engine.subscribe();
    let _loop = engine.spawn_refresh_loop();
    let warning = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Ok(Event::ExpiryWarning {
                credential,
                expires_at,
                threshold_secs,
                ..
            }) = events.recv().await
            {
                return (credential, expires_at, threshold_secs);
            }
        }
    })
    .await
    .expect("an expiry warning for the service token");
    assert_eq!(warning.0, "secret");
    assert_eq!(warning.1.timestamp(), runs_out);
    // The nearest threshold passed: 7 days (1 day and 1 hour are still ahead).
    assert_eq!(warning.2, 7 * 86_400);
    // Access tokens still flow, and the account says what runs out.
    assert!(works_at_api(&api.url, &engine.get_token("x").await.unwrap()).await);
    let view = engine.view("x").unwrap();
    assert_eq!(view.status, AccountStatus::Expiring);
    let credential = view.credential.unwrap();
    assert_eq!(
        (credential.name.as_str(), credential.expires_at.timestamp()),
        ("secret", runs_out)
    );
    assert!(view.expires_at.unwrap() < credential.expires_at);
    // Said once per threshold: no second warning for the same threshold.
    engine.refresh("x").await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    while let Ok(event) = events.try_recv() {
        assert!(
            !matches!(event, Event::ExpiryWarning { .. }),
            "warned twice: {event:?}"
        );
    }
    engine.shutdown();
}

/// A renew command: a script that logs its run (and what it was told) and prints `answer`.
fn renew_script(dir: &std::path::Path, answer: &str, exit: i32) -> (String, std::path::PathBuf) {
    std::fs::create_dir_all(dir).unwrap();
    let (script, log) = (dir.join("mint.sh"), dir.join("runs.log"));
    std::fs::write(
        &script,
        format!(
            "echo \"$TOKENTRAY_ACCOUNT $TOKENTRAY_CREDENTIAL ${{TOKENTRAY_PASSPHRASE:-no-passphrase}}\" >> '{}'\nprintf '%s' '{answer}'\nexit {exit}\n",
            log.display()
        ),
    )
    .unwrap();
    (format!("[\"sh\", \"{}\"]", script.display()), log)
}

#[tokio::test]
#[allow(clippy::disallowed_methods)] // real expiry dates, real processes
async fn a_long_lived_token_is_renewed_by_its_command_in_its_window() {
    let now = chrono::Utc::now().timestamp();
    let (old, new) = (
        jwt_expiring_at(now + 3 * 86_400),
        jwt_expiring_at(now + 90 * 86_400),
    );
    let dir = std::env::temp_dir().join(format!("tokentray-renew-{}", std::process::id()));
    let (command, log) = renew_script(&dir, &format!("{{\"access_token\": \"{new}\"}}"), 0);
    let profile = Profile::parse(&format!(
        "[[account]]\nname = \"pat\"\ngrant = \"static\"\ntoken = \"{old}\"\nrenew_command = {command}\n"
    ))
    .unwrap();
    let engine = EngineHandle::new(profile, support::clock());
    let _loop = engine.spawn_refresh_loop();
    // 3 days left: inside the first threshold (7 days), so it is renewed at once.
    let mut served = String::new();
    for _ in 0..100 {
        served = engine.get_token("pat").await.unwrap().expose().to_string();
        if served == new {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(served, new, "the renewed token is served");
    let view = engine.view("pat").unwrap();
    assert_eq!(view.status, AccountStatus::Ok, "90 days left: not expiring");
    assert_eq!(
        view.credential.unwrap().expires_at.timestamp(),
        now + 90 * 86_400
    );
    let runs = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        runs, "pat token no-passphrase\n",
        "once, told what, never the passphrase"
    );
    engine.shutdown();

    // A failing command: announced, retried later, and the current token stays in use.
    let (command, log) = renew_script(&dir.join("failing"), "", 3);
    let profile = Profile::parse(&format!(
        "[[account]]\nname = \"pat\"\ngrant = \"static\"\ntoken = \"{old}\"\nrenew_command = {command}\n"
    ))
    .unwrap();
    let engine = EngineHandle::new(profile, support::clock());
    let mut events = engine.subscribe();
    let _loop = engine.spawn_refresh_loop();
    let failed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Ok(Event::RenewFailed { code, .. }) = events.recv().await {
                return code;
            }
        }
    })
    .await
    .expect("the failed renewal is announced");
    assert_eq!(failed, "command_failed");
    assert_eq!(engine.get_token("pat").await.unwrap().expose(), old);
    assert_eq!(engine.view("pat").unwrap().status, AccountStatus::Expiring);
    assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), 1);
    engine.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
#[allow(clippy::disallowed_methods)] // real expiry dates, real processes
async fn a_service_tokens_renewal_is_sealed_and_survives_a_restart() {
    let now = chrono::Utc::now().timestamp();
    let (old, new) = (
        jwt_expiring_at(now + 3 * 86_400),
        jwt_expiring_at(now + 90 * 86_400),
    );
    let api = support::Server::start(
        "tests/servers/custom-api.mjs",
        &[
            ("CUSTOM_TTL", "900".into()),
            ("CUSTOM_SERVICE_TOKEN", old.clone()),
        ],
    );
    // The new service token, as the API's own endpoint would mint it.
    control(
        &api.url,
        "service-token",
        serde_json::json!({ "token": new }),
    )
    .await;
    let dir = std::env::temp_dir().join(format!("tokentray-renew-svc-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (command, log) = renew_script(&dir.join("bin"), &new, 0);
    let home = dir.join("home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(
        home.join("profile.toml"),
        format!(
            "[[account]]\nname = \"bot\"\ngrant = \"custom\"\nsecret = \"{old}\"\nrenew_command = {command}\n[account.request]\nurl = \"{}/auth/service-token/refresh\"\nsecret_in = \"bearer\"\n",
            api.url
        ),
    )
    .unwrap();
    let key = || tokentray_core::vault::KeySource::Passphrase(Secret::new("renew-test"));
    let engine = EngineHandle::open(&home, key(), support::clock())
        .await
        .unwrap();
    let _loop = engine.spawn_refresh_loop();
    let mut renewed = false;
    for _ in 0..100 {
        let credential = engine.view("bot").unwrap().credential;
        if credential.is_some_and(|c| c.expires_at.timestamp() == now + 90 * 86_400) {
            renewed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(renewed, "the service token was renewed");
    assert!(works_at_api(&api.url, &engine.get_token("bot").await.unwrap()).await);
    engine.close().await;
    drop(engine);

    // Sealed in the store, and the profile (still holding the old one) does not undo it.
    let engine = EngineHandle::open(&home, key(), support::clock())
        .await
        .unwrap();
    let credential = engine.view("bot").unwrap().credential.unwrap();
    assert_eq!(credential.expires_at.timestamp(), now + 90 * 86_400);
    assert!(works_at_api(&api.url, &engine.get_token("bot").await.unwrap()).await);
    assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), 1);
    engine.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
#[allow(clippy::disallowed_methods)] // an expiry date three days from the real now
async fn the_apps_on_event_serves_accounts_without_their_own() {
    let dir = std::env::temp_dir().join(format!("tokentray-on-event-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let ends = (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339();
    let told = |who: &str| dir.join(format!("{who}.txt"));
    let hook = |who: &str| {
        format!(
            "[\"sh\", \"-c\", \"echo $TOKENTRAY_EVENT $TOKENTRAY_ACCOUNT >> '{}'\"]",
            told(who).display()
        )
    };
    let profile = Profile::parse(&format!(
        "[[account]]\nname = \"plain\"\ngrant = \"static\"\ntoken = \"t1\"\nexpires_at = \"{ends}\"\n\n[[account]]\nname = \"own\"\ngrant = \"static\"\ntoken = \"t2\"\nexpires_at = \"{ends}\"\non_event = {}\n",
        hook("own")
    ))
    .unwrap();
    let engine = EngineHandle::new(profile, support::clock());
    let mut settings = engine.settings();
    let app_hook: Vec<String> = serde_json::from_str(&hook("app")).unwrap();
    settings.on_event = app_hook;
    engine.save_settings(settings).await.unwrap();
    let _loop = engine.spawn_refresh_loop();
    let mut said = (String::new(), String::new());
    for _ in 0..100 {
        said = (
            std::fs::read_to_string(told("app")).unwrap_or_default(),
            std::fs::read_to_string(told("own")).unwrap_or_default(),
        );
        if !said.0.is_empty() && !said.1.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        said.0, "expiry_warning plain\n",
        "the app's hook for the account without one"
    );
    assert_eq!(
        said.1, "expiry_warning own\n",
        "the account's own hook, not the app's"
    );
    engine.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
}

/// A Google service account's JSON key: an RSA key made here, its public half for the server.
fn service_account(dir: &std::path::Path, token_uri: &str) -> (std::path::PathBuf, String) {
    let openssl = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let private = openssl(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
    ]);
    let key_file = dir.join("sa.pem");
    std::fs::write(&key_file, &private).unwrap();
    let public = openssl(&["pkey", "-in", key_file.to_str().unwrap(), "-pubout"]);
    std::fs::remove_file(&key_file).unwrap();
    let json = serde_json::json!({
        "type": "service_account",
        "project_id": "tokentray-test",
        "private_key_id": "k1",
        "private_key": private,
        "client_email": "bot@tokentray-test.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "token_uri": token_uri,
    });
    let file = dir.join("service-account.json");
    std::fs::write(&file, json.to_string()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    (file, public)
}

/// Google's JWT bearer flow with a service account's JSON key, against a token endpoint of the
/// tests' own that checks the assertion as Google does (RS256 with the key's public half, `aud`
/// its token URL, a `scope` claim, an hour at most); and the general form (Salesforce's: an
/// issuer, a subject, an audience) with a key Tokentray generated, whose public half is what
/// gets registered.
#[tokio::test]
async fn jwt_bearer_grants_a_service_accounts_assertion_and_a_generated_keys() {
    let dir = std::env::temp_dir().join(format!("tokentray-jwt-bearer-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // The key first (the server needs its public half), then its file names the server.
    let (file, public) = service_account(&dir, "http://placeholder.invalid/token");
    let server = support::Server::start(
        "tests/servers/jwt-bearer.mjs",
        &[
            ("JWT_PUBLIC_KEY", public),
            (
                "JWT_ISSUER",
                "bot@tokentray-test.iam.gserviceaccount.com".into(),
            ),
            ("JWT_CLIENT", "box-client:box-secret".into()),
        ],
    );
    // The key file, rewritten with the live token URI.
    let mut key: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    key["token_uri"] = format!("{}/token", server.url).into();
    std::fs::write(&file, key.to_string()).unwrap();
    let stats = || async {
        reqwest::get(format!("{}/_control/stats", server.url))
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap()
    };
    let google = |extra: &str| {
        Profile::parse(&format!(
            "[[account]]\nname = \"g\"\ngrant = \"jwt_bearer\"\nservice_account_file = \"{}\"\n{extra}",
            file.display()
        ))
    };

    let engine = EngineHandle::new(
        google("scope = \"https://www.googleapis.com/auth/cloud-platform\"\n").unwrap(),
        support::clock(),
    );
    let token = engine.get_token("g").await.unwrap();
    let me = reqwest::Client::new()
        .get(format!("{}/api/me", server.url))
        .bearer_auth(token.expose())
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let seen = stats().await;
    assert_eq!(seen["issued"], 1);
    let claims = &seen["assertions"][0];
    assert_eq!(claims["iss"], "bot@tokentray-test.iam.gserviceaccount.com");
    assert_eq!(claims["aud"], format!("{}/token", server.url));
    assert_eq!(
        claims["scope"],
        "https://www.googleapis.com/auth/cloud-platform"
    );
    assert!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap() <= 3600);
    // Every request signs a new assertion (a new jti).
    engine.refresh("g").await.unwrap();
    let seen = stats().await;
    assert_ne!(seen["assertions"][0]["jti"], seen["assertions"][1]["jti"]);

    // What the server refuses: no scope claim, a wrong audience, an assertion of two hours.
    let no_scope = EngineHandle::new(google("").unwrap(), support::clock());
    let e = no_scope.get_token("g").await.unwrap_err();
    assert_eq!(e.code(), "invalid_grant", "{e}");
    let wrong_aud = EngineHandle::new(
        google("scope = \"s\"\naudience = \"https://elsewhere.example.com\"\n").unwrap(),
        support::clock(),
    );
    assert_eq!(
        wrong_aud.get_token("g").await.unwrap_err().code(),
        "invalid_grant"
    );
    // Tokentray never signs one for longer than an hour...
    let long = google("scope = \"s\"\nlifetime_secs = 7200\n").unwrap_err();
    assert!(long.to_string().contains("lifetime_secs"), "{long}");
    // ...and the server would refuse one (signed here with the same key, by hand).
    let pem = tokentray_core::Secret::new(key["private_key"].as_str().unwrap());
    let signer = tokentray_core::jws::SigningKey::from_pem(&pem, None).unwrap();
    let now = chrono::Utc::now().timestamp();
    let two_hours = signer
        .sign(
            serde_json::json!({"typ": "JWT", "kid": "k1"}),
            &serde_json::json!({
                "iss": "bot@tokentray-test.iam.gserviceaccount.com",
                "aud": format!("{}/token", server.url),
                "scope": "s", "iat": now, "exp": now + 7200,
            }),
        )
        .unwrap();
    let refused: serde_json::Value = post_form(
        &format!("{}/token", server.url),
        &[
            ("grant_type", tokentray_core::grant::jwt_bearer::GRANT_TYPE),
            ("assertion", &two_hours),
        ],
    )
    .await;
    assert_eq!(refused["error"], "invalid_grant");
    let refusals = stats().await["refused"].clone();
    for reason in ["scope", "audience", "lifetime"] {
        assert_eq!(refusals[reason], 1, "{reason}: {refusals}");
    }
    // A key file others can read is refused, as for private_key_jwt.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = google("scope = \"s\"\n").unwrap_err();
        assert!(e.to_string().contains("service_account_file"), "{e}");
    }

    // The general form: an issuer, a subject, an audience, and a key Tokentray generates,
    // registered at the server by its public half.
    let home = dir.join("home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(
        home.join("profile.toml"),
        format!(
            "[[account]]\nname = \"sf\"\ngrant = \"jwt_bearer\"\ntoken_url = \"{0}/token\"\nissuer = \"3MVG9-consumer-key\"\nsubject = \"alice@example.com\"\naudience = \"{0}/token\"\nkey_id = \"gen-1\"\nscope = \"api\"\n",
            server.url
        ),
    )
    .unwrap();
    let key = tokentray_core::vault::KeySource::Passphrase(tokentray_core::Secret::new("pw"));
    let engine = EngineHandle::open(&home, key, support::clock())
        .await
        .unwrap();
    let public = engine.public_key("sf").unwrap();
    assert_eq!(public.jwk["kid"], "gen-1");
    assert!(
        engine.get_token("sf").await.is_err(),
        "an unregistered key signed"
    );
    reqwest::Client::new()
        .post(format!("{}/_control/keys", server.url))
        .json(&serde_json::json!({ "jwk": public.jwk, "iss": "3MVG9-consumer-key" }))
        .send()
        .await
        .unwrap();
    let token = engine.get_token("sf").await.unwrap();
    assert!(token.expose().starts_with("ya29."));
    let last = stats().await["assertions"]
        .as_array()
        .unwrap()
        .last()
        .cloned()
        .unwrap();
    assert_eq!(last["iss"], "3MVG9-consumer-key");
    assert_eq!(last["sub"], "alice@example.com");

    // Box: the client's id and secret go beside the assertion; without them, refused.
    for (name, with_client) in [("box-bare", false), ("box", true)] {
        let client = match with_client {
            true => "client_id = \"box-client\"\nclient_secret = \"box-secret\"\n",
            false => "",
        };
        let account = format!(
            "[[account]]\nname = \"{name}\"\ngrant = \"jwt_bearer\"\ntoken_url = \"{0}/token\"\nissuer = \"box-client\"\nsubject = \"12345\"\nclaims = {{ box_sub_type = \"enterprise\" }}\nscope = \"root_readwrite\"\n{client}",
            server.url
        );
        engine.import(&account).await.unwrap();
        let public = engine.public_key(name).unwrap();
        reqwest::Client::new()
            .post(format!("{}/_control/keys", server.url))
            .json(&serde_json::json!({ "jwk": public.jwk, "iss": "box-client" }))
            .send()
            .await
            .unwrap();
        let got = engine.get_token(name).await;
        assert_eq!(got.is_ok(), with_client, "{name}: {got:?}");
    }
    let seen = stats().await;
    assert_eq!(seen["refused"]["client"], 1, "{seen}");
    assert_eq!(
        seen["assertions"].as_array().unwrap().last().unwrap()["box_sub_type"],
        "enterprise"
    );
    engine.close().await;
    drop(engine);
    let _ = std::fs::remove_dir_all(&dir);
}
