//! The scheduler on a fake clock (tokio's paused time for sleeps, a FakeClock for the wall
//! clock), with a scripted stand-in for the token server; then single-flight and transient
//! failures against the project's real custom API server.

mod support;

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokentray_core::clock::FakeClock;
use tokentray_core::engine::Renew;
use tokentray_core::grant::GrantConfig;
use tokentray_core::token::TokenSet;
use tokentray_core::vault::KeySource;
use tokentray_core::{AccountStatus, Clock, EngineHandle, Error, Event, Profile, Secret};

/// Answers every renewal with a fresh token of `ttl`, unless a scripted failure is queued.
struct Scripted {
    clock: FakeClock,
    ttl: chrono::Duration,
    calls: AtomicUsize,
    failures: Mutex<VecDeque<Error>>,
    /// When set, the refresh token of every answer expires this long after the first one.
    refresh_expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl Renew for Scripted {
    fn renew<'a>(
        &'a self,
        _: &'a GrantConfig,
        _: Option<&'a TokenSet>,
        _: Option<Secret>,
    ) -> Pin<Box<dyn Future<Output = tokentray_core::Result<TokenSet>> + Send + 'a>> {
        Box::pin(async move {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            if let Some(e) = self.failures.lock().unwrap().pop_front() {
                return Err(e);
            }
            let now = self.clock.now();
            Ok(TokenSet {
                access_token: Secret::new(format!("tok-{n}")),
                token_type: "Bearer".into(),
                issued_at: now,
                expires_at: Some(now + self.ttl),
                refresh_token: None,
                refresh_expires_at: self.refresh_expires_at,
                scope: None,
                expiry_assumed: false,
            })
        })
    }
}

fn start() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-06-01T08:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc)
}

fn setup(ttl_secs: i64) -> (EngineHandle, Arc<Scripted>, FakeClock) {
    setup_with(ttl_secs, None)
}

fn setup_with(
    ttl_secs: i64,
    refresh_expires_at: Option<chrono::DateTime<chrono::Utc>>,
) -> (EngineHandle, Arc<Scripted>, FakeClock) {
    let clock = FakeClock::new(start());
    let scripted = Arc::new(Scripted {
        clock: clock.clone(),
        ttl: chrono::Duration::seconds(ttl_secs),
        calls: AtomicUsize::new(0),
        failures: Mutex::new(VecDeque::new()),
        refresh_expires_at,
    });
    let profile = Profile::parse("[[account]]\nname = \"a\"\ngrant = \"client_credentials\"\ntoken_url = \"https://idp.example/token\"\nclient_id = \"c\"\nclient_secret = \"s\"\n").unwrap();
    let engine = EngineHandle::with_renewer(profile, Arc::new(clock.clone()), scripted.clone());
    engine.spawn_refresh_loop();
    (engine, scripted, clock)
}

/// Moves both clocks by `d`, a second at a time, letting the loop run in between.
async fn pass(clock: &FakeClock, d: Duration) {
    let mut left = d;
    while !left.is_zero() {
        let step = left.min(Duration::from_millis(500));
        clock.advance(chrono::Duration::from_std(step).unwrap());
        tokio::time::advance(step).await;
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
        left -= step;
    }
}

fn view(engine: &EngineHandle) -> tokentray_core::AccountView {
    engine.list().remove(0)
}

#[tokio::test(start_paused = true)]
async fn a_short_lived_token_is_refreshed_at_half_its_life_and_never_served_expired() {
    let (engine, scripted, clock) = setup(30);
    pass(&clock, Duration::from_millis(500)).await;
    assert_eq!(
        scripted.calls.load(Ordering::SeqCst),
        1,
        "the first token at start"
    );
    let first = view(&engine);
    // Due at 15 s less up to 10% of the 15 s lead: between 13.5 s and 15 s.
    let due = first.next_refresh.unwrap() - first.last_refresh.unwrap();
    assert!(
        due <= chrono::Duration::seconds(15) && due >= chrono::Duration::milliseconds(13_500),
        "{due}"
    );
    pass(&clock, Duration::from_secs(13)).await;
    assert_eq!(
        scripted.calls.load(Ordering::SeqCst),
        1,
        "not before it is due"
    );
    // Ten lifetimes: about two refreshes per lifetime, and the token is always valid.
    for _ in 0..600 {
        pass(&clock, Duration::from_millis(500)).await;
        let v = view(&engine);
        assert!(
            v.expires_at.unwrap() > clock.now(),
            "an expired token was held at {}",
            clock.now()
        );
        assert_eq!(v.status, AccountStatus::Ok);
    }
    let calls = scripted.calls.load(Ordering::SeqCst);
    assert!(
        (20..=24).contains(&calls),
        "{calls} refreshes in 300 s of 30 s tokens"
    );
}

#[tokio::test(start_paused = true)]
async fn transient_failures_back_off_honour_retry_after_and_keep_serving_the_valid_token() {
    let (engine, scripted, clock) = setup(60);
    pass(&clock, Duration::from_secs(1)).await;
    let token = engine.get_token("a").await.unwrap();
    let mut events = engine.subscribe();
    // Every attempt from now on fails with 503 and Retry-After: 20.
    for _ in 0..100 {
        scripted
            .failures
            .lock()
            .unwrap()
            .push_back(Error::ServerError {
                status: 503,
                retry_after: Some(Duration::from_secs(20)),
            });
    }
    pass(&clock, Duration::from_secs(30)).await; // due at ~27-30 s
    assert_eq!(
        scripted.calls.load(Ordering::SeqCst),
        2,
        "one failed attempt, then waiting 20 s"
    );
    assert!(
        matches!(events.try_recv(), Ok(Event::RefreshFailed { code, .. }) if code == "server_error")
    );
    assert_eq!(view(&engine).status, AccountStatus::Retrying);
    // Still valid: served.
    assert_eq!(
        engine.get_token("a").await.unwrap().expose(),
        token.expose()
    );
    // The failed attempt was at 27-30 s; the next one is planned 20 s after it, not sooner.
    let retry_in = (view(&engine).next_refresh.unwrap() - clock.now())
        .to_std()
        .unwrap();
    assert!(
        retry_in >= Duration::from_secs(16),
        "Retry-After is honoured: retry in {retry_in:?}"
    );
    pass(&clock, retry_in - Duration::from_secs(1)).await;
    assert_eq!(
        scripted.calls.load(Ordering::SeqCst),
        2,
        "not before Retry-After"
    );
    pass(&clock, Duration::from_secs(2)).await;
    assert_eq!(scripted.calls.load(Ordering::SeqCst), 3);
    // Past expiry (60 s) the token is never served.
    let to_expiry = (view(&engine).expires_at.unwrap() - clock.now())
        .to_std()
        .unwrap();
    pass(&clock, to_expiry + Duration::from_secs(1)).await;
    assert_eq!(view(&engine).status, AccountStatus::Failing);
    assert_eq!(
        engine.get_token("a").await.unwrap_err().code(),
        "server_error"
    );
    // The server recovers: the next attempt succeeds.
    scripted.failures.lock().unwrap().clear();
    pass(&clock, Duration::from_secs(25)).await;
    assert_eq!(view(&engine).status, AccountStatus::Ok);
}

#[tokio::test(start_paused = true)]
async fn a_refusal_needs_a_login_once_and_is_not_retried() {
    let (engine, scripted, clock) = setup(60);
    scripted.failures.lock().unwrap().push_back(Error::Refused {
        error: "invalid_grant".into(),
        description: None,
        status: 400,
    });
    let mut events = engine.subscribe();
    pass(&clock, Duration::from_secs(600)).await;
    assert_eq!(scripted.calls.load(Ordering::SeqCst), 1, "no retry loop");
    assert_eq!(view(&engine).status, AccountStatus::NeedsReauth);
    assert!(
        matches!(events.try_recv(), Ok(Event::NeedsReauth { code, .. }) if code == "invalid_grant")
    );
    assert!(events.try_recv().is_err(), "one event");
}

#[tokio::test(start_paused = true)]
async fn after_a_suspend_due_refreshes_run_within_the_watchdog_period() {
    let (_engine, scripted, clock) = setup(3600);
    pass(&clock, Duration::from_secs(1)).await;
    assert_eq!(scripted.calls.load(Ordering::SeqCst), 1);
    // The laptop sleeps for 2 h: the wall clock moves, the monotonic one does not.
    clock.advance(chrono::Duration::hours(2));
    tokio::time::advance(Duration::from_secs(5)).await;
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
    assert_eq!(
        scripted.calls.load(Ordering::SeqCst),
        2,
        "the overdue refresh ran within 5 s of waking"
    );
}

/// For the test with a real store (whose pool keeps real time): move the wall clock and let
/// the loop look at it.
async fn pass_real(engine: &EngineHandle, clock: &FakeClock, d: chrono::Duration) {
    clock.advance(d);
    engine.nudge();
    tokio::time::sleep(Duration::from_millis(150)).await;
}

#[tokio::test]
async fn expiry_warnings_fire_once_per_threshold_even_across_a_restart() {
    let home = std::env::temp_dir().join(format!("tokentray-warn-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    let clock = FakeClock::new(start());
    let expires = start() + chrono::Duration::days(2);
    std::fs::write(home.join("profile.toml"), format!("[[account]]\nname = \"pat\"\ngrant = \"static\"\ntoken = \"ghp_x\"\nexpires_at = \"{}\"\n", expires.to_rfc3339())).unwrap();
    let key = || KeySource::Passphrase(Secret::new("pw"));
    let warnings = |events: &mut tokio::sync::broadcast::Receiver<Event>| {
        let mut out = vec![];
        while let Ok(e) = events.try_recv() {
            match e {
                Event::ExpiryWarning { threshold_secs, .. } => out.push(threshold_secs),
                Event::Expired { .. } => out.push(0),
                _ => {}
            }
        }
        out
    };

    let engine = EngineHandle::open(&home, key(), Arc::new(clock.clone()))
        .await
        .unwrap();
    let mut events = engine.subscribe();
    engine.spawn_refresh_loop();
    pass_real(&engine, &clock, chrono::Duration::seconds(2)).await;
    assert_eq!(
        warnings(&mut events),
        [7 * 86_400],
        "2 days left: the 7-day warning"
    );
    pass_real(&engine, &clock, chrono::Duration::seconds(30)).await;
    assert!(warnings(&mut events).is_empty(), "not repeated");
    engine.close().await;
    drop(engine);
    tokio::time::sleep(Duration::from_millis(100)).await;

    // Restarted a day and a bit later: only the 1-day warning, not the 7-day one again.
    clock.advance(chrono::Duration::hours(25));
    let engine = EngineHandle::open(&home, key(), Arc::new(clock.clone()))
        .await
        .unwrap();
    let mut events = engine.subscribe();
    engine.spawn_refresh_loop();
    pass_real(&engine, &clock, chrono::Duration::seconds(2)).await;
    assert_eq!(warnings(&mut events), [86_400]);
    // 1 h before expiry, then expiry.
    let to_last_hour = expires - clock.now() - chrono::Duration::minutes(59);
    pass_real(&engine, &clock, to_last_hour).await;
    assert_eq!(warnings(&mut events), [3_600]);
    pass_real(&engine, &clock, chrono::Duration::minutes(60)).await;
    assert_eq!(warnings(&mut events), [0], "expired");
    assert_eq!(view(&engine).status, AccountStatus::Expired);
    assert_eq!(engine.get_token("pat").await.unwrap_err().code(), "expired");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_callers_make_one_token_request() {
    let api = support::custom_api(900);
    let profile = Profile::parse(&format!("[[account]]\nname = \"svc\"\ngrant = \"custom\"\nsecret = \"svc-test-token\"\n[account.request]\nurl = \"{}/auth/service-token/refresh\"\nsecret_in = \"bearer\"\n", api.url)).unwrap();
    let engine = EngineHandle::new(profile, support::clock());
    let calls: Vec<_> = (0..1000)
        .map(|_| {
            let engine = engine.clone();
            tokio::spawn(async move { engine.get_token("svc").await.unwrap().expose().to_string() })
        })
        .collect();
    let mut tokens = std::collections::HashSet::new();
    for call in calls {
        tokens.insert(call.await.unwrap());
    }
    assert_eq!(tokens.len(), 1);
    let stats: serde_json::Value = reqwest::get(format!("{}/_control/stats", api.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["token_requests"], 1, "counted at the server");
}

#[tokio::test]
async fn a_transient_failure_at_the_real_server_keeps_serving_the_old_token() {
    let api = support::custom_api(900);
    let profile = Profile::parse(&format!("[[account]]\nname = \"svc\"\ngrant = \"custom\"\nsecret = \"svc-test-token\"\n[account.request]\nurl = \"{}/auth/service-token/refresh\"\nsecret_in = \"bearer\"\n", api.url)).unwrap();
    let engine = EngineHandle::new(profile, support::clock());
    let token = engine.get_token("svc").await.unwrap();
    reqwest::Client::new()
        .post(format!("{}/_control/fail", api.url))
        .json(&serde_json::json!({"status": 502, "times": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        engine.refresh("svc").await.unwrap_err().code(),
        "server_error"
    );
    assert_eq!(engine.list()[0].status, AccountStatus::Retrying);
    let served = engine.get_token("svc").await.unwrap();
    assert_eq!(served.expose(), token.expose());
    let ok = reqwest::Client::new()
        .get(format!("{}/api/me", api.url))
        .bearer_auth(served.expose())
        .send()
        .await
        .unwrap();
    assert!(ok.status().is_success());
}

#[tokio::test]
async fn the_on_refresh_hook_gets_metadata_but_never_the_token() {
    let api = support::custom_api(900);
    let out = std::env::temp_dir().join(format!("tokentray-hook-{}", std::process::id()));
    let _ = std::fs::remove_file(&out);
    let profile = Profile::parse(&format!(
        "[[account]]\nname = \"svc\"\ngrant = \"custom\"\nsecret = \"svc-test-token\"\non_refresh = [\"sh\", \"-c\", \"env > {0}.tmp; echo \\\"argv: $0 $*\\\" >> {0}.tmp; mv {0}.tmp {0}\", \"hook\"]\n[account.request]\nurl = \"{1}/auth/service-token/refresh\"\nsecret_in = \"bearer\"\n",
        out.display(),
        api.url
    ))
    .unwrap();
    let engine = EngineHandle::new(profile, support::clock());
    let token = engine.get_token("svc").await.unwrap();
    let mut seen = String::new();
    for _ in 0..100 {
        if let Ok(text) = std::fs::read_to_string(&out) {
            seen = text;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(seen.contains("TOKENTRAY_ACCOUNT=svc"), "{seen}");
    assert!(seen.contains("TOKENTRAY_EVENT=refreshed"));
    assert!(seen.contains("TOKENTRAY_EXPIRES_AT=20"), "{seen}");
    assert!(seen.contains("argv: hook"));
    assert!(!seen.contains(token.expose()), "the token reached the hook");
    assert!(
        !seen.contains("svc-test-token"),
        "the service token reached the hook"
    );
}

#[tokio::test(start_paused = true)]
async fn a_refresh_token_with_a_known_expiry_is_warned_about() {
    // Hourly access tokens, but the refresh token behind them ends in 30 hours.
    let (engine, _scripted, clock) = setup_with(3600, Some(start() + chrono::Duration::hours(30)));
    let mut events = engine.subscribe();
    let mut warnings = Vec::new();
    let mut collect = |events: &mut tokio::sync::broadcast::Receiver<Event>| {
        while let Ok(e) = events.try_recv() {
            if let Event::ExpiryWarning { threshold_secs, .. } = e {
                warnings.push(threshold_secs);
            }
        }
    };
    pass(&clock, Duration::from_secs(2)).await;
    collect(&mut events);
    clock.advance(chrono::Duration::hours(7)); // 23 h left: past the 1-day threshold
    pass(&clock, Duration::from_secs(10)).await;
    collect(&mut events);
    assert_eq!(
        warnings,
        [7 * 86_400, 86_400],
        "each threshold once, in order"
    );
}
