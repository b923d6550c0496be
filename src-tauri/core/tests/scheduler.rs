//! The scheduler on a fake clock (tokio's paused time for sleeps, a FakeClock for the wall
//! clock), with a scripted stand-in for the token server; then single-flight and transient
//! failures against the project's real custom API server.
// The tests build their spans with chrono's constructors that panic on huge numbers (refused
// in the engine itself): a panic here is a failed test.
#![allow(clippy::disallowed_methods)]

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
                id_token: None,
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

// Restarts: a data directory's engine stopped and opened again on one fake clock, the scripted
// server counting, as a reboot or a new login does it. Whatever the account held at the stop,
// refreshing goes on by itself afterwards (the invariant: every account has a next look that
// covers its refresh and its warnings).

/// One data directory across restarts, with the scripted server behind its client.
struct Restarts {
    home: std::path::PathBuf,
    clock: FakeClock,
    scripted: Arc<Scripted>,
}

const CC: &str = "[[account]]\nname = \"a\"\ngrant = \"client_credentials\"\ntoken_url = \"https://idp.example/token\"\nclient_id = \"c\"\nclient_secret = \"s\"\n";

impl Restarts {
    fn new(tag: &str, profile: &str, ttl_secs: i64) -> Restarts {
        let home =
            std::env::temp_dir().join(format!("tokentray-restart-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(home.join("profile.toml"), profile).unwrap();
        let clock = FakeClock::new(start());
        let scripted = Arc::new(Scripted {
            clock: clock.clone(),
            ttl: chrono::Duration::seconds(ttl_secs),
            calls: AtomicUsize::new(0),
            failures: Mutex::new(VecDeque::new()),
            refresh_expires_at: None,
        });
        Restarts {
            home,
            clock,
            scripted,
        }
    }

    /// The engine started as the daemon starts it: opened, its loop running.
    async fn open(&self) -> EngineHandle {
        let key = KeySource::Passphrase(Secret::new("pw"));
        let engine = EngineHandle::open_with_renewer(
            &self.home,
            key,
            Arc::new(self.clock.clone()),
            self.scripted.clone(),
        )
        .await
        .unwrap();
        engine.spawn_refresh_loop();
        engine
    }

    /// The engine as the grants run it (static tokens and renew commands need no server).
    async fn open_real(&self) -> EngineHandle {
        let key = KeySource::Passphrase(Secret::new("pw"));
        let engine = EngineHandle::open(&self.home, key, Arc::new(self.clock.clone()))
            .await
            .unwrap();
        engine.spawn_refresh_loop();
        engine
    }

    fn calls(&self) -> usize {
        self.scripted.calls.load(Ordering::SeqCst)
    }

    /// Moves the wall clock by `d` in half-second steps, each a little real time later, so the
    /// loop sees time pass as it does (no jump) and runs what became due. Every step checks
    /// that the account never holds an expired token while it says nothing is wrong.
    async fn pass(&self, engine: &EngineHandle, d: chrono::Duration) {
        let step = chrono::Duration::milliseconds(500);
        let mut left = d;
        while left > chrono::Duration::zero() {
            self.clock.advance(step.min(left));
            left -= step;
            engine.nudge();
            tokio::time::sleep(Duration::from_millis(25)).await;
            let now = self.clock.now();
            for v in engine.list() {
                if v.status == AccountStatus::Failing || v.status == AccountStatus::Retrying {
                    assert!(
                        v.error.is_some(),
                        "{} is {:?} with no error",
                        v.name,
                        v.status
                    );
                }
                let renews = v.grant != tokentray_core::GrantKind::Static;
                if renews && v.status == AccountStatus::Ok {
                    let exp = v.expires_at.expect("a held token");
                    assert!(
                        exp > now,
                        "{}: an expired token held as ok at {now}",
                        v.name
                    );
                }
            }
        }
    }

    /// Stops the engine: a clean stop, or (`killed`) the loop cut off with nothing flushed.
    async fn stop(&self, engine: EngineHandle, killed: bool) {
        match killed {
            true => engine.shutdown(),
            false => engine.close().await,
        }
        drop(engine);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

impl Drop for Restarts {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

#[tokio::test]
async fn after_a_restart_a_still_valid_token_is_refreshed_before_it_expires() {
    for killed in [false, true] {
        let r = Restarts::new(&format!("valid-{killed}"), CC, 20);
        let engine = r.open().await;
        r.pass(&engine, chrono::Duration::seconds(1)).await;
        assert_eq!(r.calls(), 1, "the first token at start");
        r.pass(&engine, chrono::Duration::seconds(5)).await;
        r.stop(engine, killed).await;
        // 14 s left of 20: the next refresh is due in about 4 s, by the engine's own loop.
        let engine = r.open().await;
        r.pass(&engine, chrono::Duration::seconds(6)).await;
        assert_eq!(
            r.calls(),
            2,
            "refreshed after the restart (killed: {killed})"
        );
        r.pass(&engine, chrono::Duration::seconds(30)).await;
        assert!(
            r.calls() >= 5,
            "and on and on: {} token requests",
            r.calls()
        );
        assert_eq!(engine.list()[0].status, AccountStatus::Ok);
    }
}

#[tokio::test]
async fn after_a_restart_a_token_inside_its_margin_or_expired_is_refreshed_at_once() {
    for (tag, away) in [("margin", 6), ("expired", 60)] {
        let r = Restarts::new(tag, CC, 20);
        let engine = r.open().await;
        r.pass(&engine, chrono::Duration::seconds(6)).await;
        assert_eq!(r.calls(), 1);
        r.stop(engine, false).await;
        // Away long enough that the token is due (12 s old of 20), or gone (66 s old).
        r.clock.advance(chrono::Duration::seconds(away));
        let engine = r.open().await;
        r.pass(&engine, chrono::Duration::seconds(1)).await;
        assert_eq!(r.calls(), 2, "{tag}: refreshed at once");
        assert_eq!(engine.list()[0].status, AccountStatus::Ok, "{tag}");
        r.pass(&engine, chrono::Duration::seconds(25)).await;
        assert!(r.calls() >= 4, "{tag}: {} token requests", r.calls());
    }
}

#[tokio::test]
async fn after_a_restart_a_clock_jump_or_a_settings_save_keeps_the_refreshes_going() {
    for tag in ["jump", "settings"] {
        let r = Restarts::new(tag, CC, 20);
        let engine = r.open().await;
        r.pass(&engine, chrono::Duration::seconds(2)).await;
        r.stop(engine, false).await;
        let engine = r.open().await;
        r.pass(&engine, chrono::Duration::seconds(1)).await;
        match tag {
            // A suspend of 3 s: the loop re-plans every account at once.
            "jump" => {
                r.clock.advance(chrono::Duration::seconds(3));
                engine.nudge();
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            _ => engine.save_settings(engine.settings()).await.unwrap(),
        }
        r.pass(&engine, chrono::Duration::seconds(30)).await;
        assert!(r.calls() >= 4, "{tag}: {} token requests", r.calls());
        assert_eq!(engine.list()[0].status, AccountStatus::Ok, "{tag}");
    }
}

#[tokio::test]
async fn after_a_restart_a_pasted_tokens_warnings_and_its_end_come_on_time() {
    let expires = start() + chrono::Duration::seconds(100);
    let profile = format!("[[account]]\nname = \"pat\"\ngrant = \"static\"\ntoken = \"ghp_x\"\nexpires_at = \"{}\"\nwarn_before_secs = [60, 30]\n", expires.to_rfc3339());
    let r = Restarts::new("static", &profile, 20);
    let said = |events: &mut tokio::sync::broadcast::Receiver<Event>| {
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
    let engine = r.open_real().await;
    r.pass(&engine, chrono::Duration::seconds(10)).await;
    r.stop(engine, true).await;
    r.clock.advance(chrono::Duration::seconds(10));
    let engine = r.open_real().await;
    let mut events = engine.subscribe();
    r.pass(&engine, chrono::Duration::seconds(21)).await; // 100 - 20 - 21 = 59 s left
    assert_eq!(
        said(&mut events),
        [60],
        "the first warning, after the restart"
    );
    r.pass(&engine, chrono::Duration::seconds(30)).await;
    assert_eq!(said(&mut events), [30]);
    r.pass(&engine, chrono::Duration::seconds(30)).await;
    assert_eq!(said(&mut events), [0], "its end");
    assert_eq!(engine.list()[0].status, AccountStatus::Expired);
}

#[tokio::test]
async fn after_a_restart_a_renew_command_runs_when_its_window_comes() {
    let expires = start() + chrono::Duration::seconds(100);
    let profile = format!(
        "[[account]]\nname = \"pat\"\ngrant = \"static\"\ntoken = \"old-token\"\nexpires_at = \"{}\"\nwarn_before_secs = [10]\nrenew_before_secs = 50\nrenew_command = [\"sh\", \"-c\", \"echo renewed-token\"]\n",
        expires.to_rfc3339()
    );
    let r = Restarts::new("renew", &profile, 20);
    let engine = r.open_real().await;
    r.pass(&engine, chrono::Duration::seconds(10)).await;
    assert_eq!(engine.get_token("pat").await.unwrap().expose(), "old-token");
    r.stop(engine, false).await;
    r.clock.advance(chrono::Duration::seconds(10));
    let engine = r.open_real().await;
    r.pass(&engine, chrono::Duration::seconds(35)).await; // the window opened at 50 s
    let mut renewed = String::new();
    for _ in 0..100 {
        renewed = engine.get_token("pat").await.unwrap().expose().to_string();
        if renewed == "renewed-token" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        renewed, "renewed-token",
        "the renew command ran after the restart"
    );
}

/// Panics for the client `boom` (a bug in one account's work); a fresh token for the others.
struct Buggy(FakeClock, AtomicUsize);

impl Renew for Buggy {
    fn renew<'a>(
        &'a self,
        grant: &'a GrantConfig,
        _: Option<&'a TokenSet>,
        _: Option<Secret>,
    ) -> Pin<Box<dyn Future<Output = tokentray_core::Result<TokenSet>> + Send + 'a>> {
        Box::pin(async move {
            if matches!(grant, GrantConfig::ClientCredentials(c) if c.client_id == "boom") {
                panic!("a bug in one account's refresh");
            }
            self.1.fetch_add(1, Ordering::SeqCst);
            let now = self.0.now();
            Ok(TokenSet {
                access_token: Secret::new("fine"),
                token_type: "Bearer".into(),
                issued_at: now,
                expires_at: Some(now + chrono::Duration::seconds(20)),
                refresh_token: None,
                refresh_expires_at: None,
                scope: None,
                expiry_assumed: false,
                id_token: None,
            })
        })
    }
}

#[tokio::test(start_paused = true)]
async fn a_panic_in_one_accounts_refresh_stays_that_accounts() {
    let clock = FakeClock::new(start());
    let buggy = Arc::new(Buggy(clock.clone(), AtomicUsize::new(0)));
    let profile = Profile::parse(&format!(
        "{CC}{}",
        CC.replace("\"a\"", "\"b\"").replace("\"c\"", "\"boom\"")
    ))
    .unwrap();
    let engine = EngineHandle::with_renewer(profile, Arc::new(clock.clone()), buggy.clone());
    engine.spawn_refresh_loop();
    pass(&clock, Duration::from_secs(60)).await;
    // The other account was refreshed all along (20 s tokens: about every 10 s).
    let fine = buggy.1.load(Ordering::SeqCst);
    assert!(fine >= 5, "{fine} refreshes of the healthy account");
    let views = engine.list();
    let b = views.iter().find(|v| v.name == "b").unwrap();
    assert_eq!(b.status, AccountStatus::Failing);
    let error = b.error.as_ref().expect("the bug is shown on the account");
    assert_eq!(error.code, "internal");
    assert!(
        error.message.contains("a bug in one account's refresh"),
        "{}",
        error.message
    );
    // It is looked at again later (not dropped from the schedule), and a caller is told.
    assert!(b.next_refresh.is_some());
    assert_eq!(engine.get_token("b").await.unwrap_err().code(), "internal");
    assert_eq!(engine.get_token("a").await.unwrap().expose(), "fine");
}
