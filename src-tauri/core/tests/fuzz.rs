//! Fuzzing what strangers' bytes reach: the token-response parser and error classifier, the
//! JWT decoder, the profile/import reader, the socket's requests (answered by a real engine,
//! which must answer the next caller and never panic) and every number a profile may set
//! (the engine then run with it at the ends of time). Inputs are the seed corpus in
//! `tests/fuzz/corpus/<target>/` (real-world shapes) mutated by proptest (bit flips, cuts,
//! splices, JSON and TOML tokens dropped in), plus plain random bytes. Each target runs for
//! TOKENTRAY_FUZZ_SECS seconds (30 by default, as CI runs it; `tests/bench/fuzz.sh` runs 600)
//! and checks more than "no panic": the properties below. A failure prints the shrunk input;
//! add it to the corpus when fixed.

#![allow(clippy::disallowed_methods)] // time budgets and a fixed "now" for the parser

mod support;

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use std::time::{Duration, Instant};
use tokentray_core::http::Response;
use tokentray_core::token::{self, ResponseMap};
use tokentray_core::{jwt, Profile};

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = support::repo_root().join("tests/fuzz/corpus").join(target);
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    seeds.sort();
    assert!(!seeds.is_empty(), "no seeds in {}", dir.display());
    seeds
}

/// Tokens that make parsers take other paths than a random byte does.
const DICTIONARY: &[&str] = &[
    "\"",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "null",
    "true",
    "-1",
    "0",
    "1e999",
    "-0.0",
    "\"\\u0000\"",
    "\\",
    "\"access_token\":",
    "\"expires_in\":",
    "\"refresh_token\":",
    "\"error\":",
    "=",
    "\n",
    "[[account]]\n",
    "grant = ",
    "name = ",
    "_env = ",
    "\"\"\"",
    "'''",
    ".",
    "eyJ",
    "==",
    "\u{feff}",
    "\u{10ffff}",
    "9999999999999999999999",
];

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Word(usize, usize),
    Cut(usize, usize),
    Splice(usize, usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Mutation::Flip(at, bit)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(at, b)| Mutation::Insert(at, b)),
        (any::<usize>(), any::<usize>()).prop_map(|(at, w)| Mutation::Word(at, w)),
        (any::<usize>(), 1usize..64).prop_map(|(at, n)| Mutation::Cut(at, n)),
        (any::<usize>(), any::<usize>(), 1usize..64)
            .prop_map(|(at, from, n)| Mutation::Splice(at, from, n)),
    ]
}

fn apply(data: &mut Vec<u8>, other: &[u8], m: &Mutation) {
    let at = |i: usize, len: usize| if len == 0 { 0 } else { i % (len + 1) };
    match m {
        Mutation::Flip(i, bit) if !data.is_empty() => {
            let i = i % data.len();
            data[i] ^= 1 << bit;
        }
        Mutation::Flip(..) => {}
        Mutation::Insert(i, bytes) => {
            let i = at(*i, data.len());
            data.splice(i..i, bytes.iter().copied());
        }
        Mutation::Word(i, w) => {
            let i = at(*i, data.len());
            let word = DICTIONARY[w % DICTIONARY.len()].as_bytes();
            data.splice(i..i, word.iter().copied());
        }
        Mutation::Cut(i, n) => {
            let i = at(*i, data.len());
            let end = (i + n).min(data.len());
            data.drain(i..end);
        }
        Mutation::Splice(i, from, n) if !other.is_empty() => {
            let i = at(*i, data.len());
            let from = from % other.len();
            let end = (from + n).min(other.len());
            data.splice(i..i, other[from..end].iter().copied());
        }
        Mutation::Splice(..) => {}
    }
}

/// A seed with a few mutations, or (one time in five) plain random bytes.
fn input(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let n = seeds.len();
    prop_oneof![
        4 => (0..n, 0..n, prop::collection::vec(mutation(), 0..6)).prop_map(move |(a, b, ms)| {
            let mut data = seeds[a].clone();
            for m in &ms {
                apply(&mut data, &seeds[b], m);
            }
            data
        }),
        1 => prop::collection::vec(any::<u8>(), 0..512),
    ]
}

/// Runs `check` on inputs from `strategy` for the time budget. `check` says whether the
/// input was accepted (parsed), so the figures show both paths were taken.
fn fuzz<S: Strategy>(
    target: &str,
    strategy: S,
    check: impl Fn(S::Value) -> Result<bool, TestCaseError>,
) {
    let accepted = std::sync::atomic::AtomicU64::new(0);
    let check = |value| {
        if check(value)? {
            accepted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(())
    };
    let budget = Duration::from_secs(
        std::env::var("TOKENTRAY_FUZZ_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(30),
    );
    const BATCH: u32 = 256;
    let started = Instant::now();
    let mut runs = 0u64;
    while started.elapsed() < budget {
        // A runner counts its cases once: a new one (and a new seed) per batch.
        let seed: [u8; 32] = std::array::from_fn(|_| fastrand::u8(..));
        let mut runner = TestRunner::new_with_rng(
            Config {
                cases: BATCH,
                failure_persistence: None,
                ..Config::default()
            },
            TestRng::from_seed(RngAlgorithm::ChaCha, &seed),
        );
        if let Err(e) = runner.run(&strategy, check) {
            panic!("fuzz {target}: {e}");
        }
        runs += u64::from(BATCH);
    }
    let accepted = accepted.into_inner();
    let line = format!(
        "fuzz {target}: {runs} inputs in {:.0} s ({accepted} accepted, {} refused), 0 failures",
        started.elapsed().as_secs_f64(),
        runs - accepted
    );
    println!("{line}");
    let artifacts = support::repo_root().join("artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    std::fs::write(artifacts.join(format!("fuzz-{target}.txt")), line + "\n").unwrap();
    assert!(
        accepted > 0,
        "no input of {target} was ever accepted: the seeds are broken"
    );
}

const CODES: &[&str] = &[
    "invalid_response",
    "server_error",
    "rate_limited",
    "refused",
    "invalid_grant",
    "invalid_client",
];

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-23T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

#[test]
fn token_responses_and_their_errors() {
    let statuses = prop_oneof![
        Just(200u16),
        Just(201),
        Just(302),
        Just(400),
        Just(401),
        Just(429),
        Just(500),
        Just(503),
        100u16..600
    ];
    let retry_after = prop::option::of(prop_oneof![
        Just("3".to_string()),
        Just("Wed, 21 Oct 2026 07:28:00 GMT".to_string()),
        ".{0,40}".prop_map(|s: String| s),
    ]);
    let pointers = prop::option::of(prop_oneof![
        Just("/data/accessToken".to_string()),
        Just("/0".to_string()),
        Just("".to_string()),
        Just("/~1/~0".to_string()),
        "/[a-z_]{1,12}".prop_map(|s: String| s),
    ]);
    let strategy = (
        statuses,
        retry_after,
        input(corpus("token")),
        pointers.clone(),
        pointers,
    );
    fuzz(
        "token",
        strategy,
        |(status, retry_after, body, access, expires)| {
            let now = now();
            let response = Response {
                status,
                retry_after: retry_after.clone(),
                dpop_nonce: None,
                body: body.clone(),
            };
            let parsed = token::parse_response(&response, now);
            match &parsed {
                Ok(t) => {
                    prop_assert!((200..300).contains(&status), "accepted HTTP {status}");
                    prop_assert!(!t.access_token.expose().is_empty());
                    if let Some(exp) = t.expires_at {
                        prop_assert!(exp > now, "an already expired token was accepted");
                        prop_assert!(exp <= now + chrono::Duration::days(366));
                    }
                }
                Err(e) => {
                    prop_assert!(!e.to_string().is_empty());
                    match status {
                        429 => prop_assert_eq!(e.code(), "rate_limited"),
                        500.. => prop_assert_eq!(e.code(), "server_error"),
                        _ => prop_assert!(
                            CODES.contains(&e.code().as_str())
                                || e.http_status().is_some()
                                || e.code() == "invalid_scope"
                                || e.code() == "unauthorized_client"
                                || e.code() == "access_denied",
                            "code {} for HTTP {status}",
                            e.code()
                        ),
                    }
                    if let Some(wait) = e.retry_after() {
                        prop_assert!(retry_after.is_some(), "a wait nobody asked for: {wait:?}");
                    }
                }
            }
            if let Some(value) = &retry_after {
                let _ = token::parse_retry_after(value, now);
            }
            // A custom grant's response map over the same bytes.
            if let Ok(json) = serde_json::from_slice::<serde_json::Value>(&body) {
                let map = ResponseMap {
                    access_token: access.unwrap_or_else(|| "/access_token".into()),
                    expires_in: expires,
                    ..ResponseMap::default()
                };
                if let Ok(t) = token::token_from_json(&json, &map, now) {
                    prop_assert!(!t.access_token.expose().is_empty());
                    prop_assert!(t.expires_at.is_none_or(|e| e > now));
                }
            }
            Ok(parsed.is_ok())
        },
    );
}

#[test]
fn jwt_decoding() {
    fuzz("jwt", input(corpus("jwt")), |bytes| {
        let text = String::from_utf8_lossy(&bytes);
        let decoded = jwt::decode(&text);
        if let Some(jwt) = &decoded {
            prop_assert_eq!(text.trim().split('.').count(), 3, "decoded a non-JWS");
            let _ = jwt.expires_at();
        }
        Ok(decoded.is_some())
    });
}

#[test]
fn profiles_and_imports() {
    fuzz("profile", input(corpus("profile")), |bytes| {
        let text = String::from_utf8_lossy(&bytes);
        match Profile::parse(&text) {
            Ok(profile) => {
                let mut names: Vec<_> = profile.account.iter().map(|a| a.name.as_str()).collect();
                prop_assert!(names.iter().all(|n| !n.is_empty()));
                let count = names.len();
                names.sort();
                names.dedup();
                prop_assert_eq!(names.len(), count, "two accounts with one name");
                // What is accepted round-trips through export and import unchanged.
                let again = tokentray_core::profile::to_toml(&profile.account, true)
                    .map_err(|e| TestCaseError::fail(format!("export failed: {e}")))?;
                let back = Profile::parse(&again)
                    .map_err(|e| TestCaseError::fail(format!("re-import failed: {e}\n{again}")))?;
                prop_assert_eq!(back.account.len(), profile.account.len());
                for (a, b) in profile.account.iter().zip(&back.account) {
                    prop_assert_eq!(&a.name, &b.name);
                    prop_assert_eq!(a.grant.kind(), b.grant.kind());
                }
                Ok(true)
            }
            Err(e) => {
                prop_assert_eq!(e.code(), "invalid_config");
                prop_assert!(!e.to_string().is_empty());
                Ok(false)
            }
        }
    });
}

/// An engine in memory whose tokens come from no server (the fuzzed requests may name any
/// URL): two pasted accounts and a client whose every renewal is a fresh 30 s token.
fn quiet_engine(clock: tokentray_core::clock::FakeClock) -> tokentray_core::EngineHandle {
    use std::future::Future;
    use std::pin::Pin;
    use tokentray_core::engine::Renew;
    struct Quiet(tokentray_core::clock::FakeClock);
    impl Renew for Quiet {
        fn renew<'a>(
            &'a self,
            _: &'a tokentray_core::GrantConfig,
            _: Option<&'a token::TokenSet>,
            _: Option<tokentray_core::Secret>,
        ) -> Pin<Box<dyn Future<Output = tokentray_core::Result<token::TokenSet>> + Send + 'a>>
        {
            use tokentray_core::Clock;
            let now = self.0.now();
            Box::pin(async move {
                Ok(token::TokenSet {
                    access_token: tokentray_core::Secret::new("quiet"),
                    token_type: "Bearer".into(),
                    issued_at: now,
                    expires_at: Some(tokentray_core::time::after(
                        now,
                        chrono::Duration::seconds(30),
                    )),
                    refresh_token: None,
                    refresh_expires_at: None,
                    scope: None,
                    expiry_assumed: false,
                    id_token: None,
                })
            })
        }
    }
    let profile = Profile::parse("[[account]]\nname = \"a\"\ngrant = \"static\"\ntoken = \"token-a\"\n\n[[account]]\nname = \"b\"\ngrant = \"client_credentials\"\ntoken_url = \"https://idp.example/token\"\nclient_id = \"c\"\nclient_secret = \"s\"\ngit_hosts = [\"github.com\"]\n").unwrap();
    tokentray_core::EngineHandle::with_renewer(
        profile,
        std::sync::Arc::new(clock.clone()),
        std::sync::Arc::new(Quiet(clock)),
    )
}

#[test]
fn socket_requests() {
    use serde_json::Value;
    use tokentray_core::server::answer_json;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let clock = tokentray_core::clock::FakeClock::new(now());
    let engine = std::cell::RefCell::new(quiet_engine(clock.clone()));
    let asked = std::cell::Cell::new(0u64);
    fuzz("request", input(corpus("request")), |bytes| {
        // A fresh engine now and then: imports and saves pile up otherwise.
        asked.set(asked.get() + 1);
        if asked.get().is_multiple_of(2_000) {
            *engine.borrow_mut() = quiet_engine(clock.clone());
        }
        let Ok(line) = std::str::from_utf8(&bytes) else {
            return Ok(false);
        };
        let Ok(Value::Object(request)) = serde_json::from_str::<Value>(line) else {
            return Ok(false);
        };
        // What reaches the network, a person or a stream is not for a fuzzer.
        let op = request
            .get("op")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if ["discover", "test", "login", "events", "copy"].contains(&op) {
            return Ok(false);
        }
        let engine = engine.borrow().clone();
        let (answered, listed) = runtime.block_on(async {
            // A first use that waits for a person (an imported `confirm = true`) is no hang:
            // it is given up here.
            let waited = std::time::Duration::from_secs(2);
            let answered = match tokio::time::timeout(waited, answer_json(&engine, line)).await {
                Ok(answered) => answered,
                Err(_) => r#"{"result":"error","code":"denied","message":"waited"}"#.into(),
            };
            // Whatever was asked, the engine answers the next caller.
            let listed = answer_json(&engine, r#"{"op":"list"}"#).await;
            (answered, listed)
        });
        let answered: Value = serde_json::from_str(&answered).unwrap();
        if answered["result"] == "error" {
            prop_assert!(
                answered["code"] != "internal",
                "a request panicked the engine: {}",
                answered["message"]
            );
            let message = answered["message"].as_str().unwrap_or_default();
            prop_assert!(!message.chars().any(char::is_control), "{:?}", message);
        }
        let listed: Value = serde_json::from_str(&listed).unwrap();
        prop_assert!(
            listed["result"] == "ok" && listed["answer"]["accounts"].is_array(),
            "list after: {}",
            listed["result"]
        );
        Ok(answered["result"] == "ok")
    });
}

/// Numbers where they enter from a profile (or import): every setting the schema calls a
/// number, at the ends of its range, past them, and anywhere in i64; then the engine runs
/// with what was accepted, at the ends of time.
#[test]
fn profile_numbers() {
    use tokentray_core::schema::FieldKind;
    let bases: &[(&str, &str)] = &[
        ("static", "grant = \"static\"\ntoken = \"t\"\nrenew_command = [\"true\"]\n"),
        ("client_credentials", "grant = \"client_credentials\"\ntoken_url = \"https://idp.example/token\"\nclient_id = \"c\"\nclient_secret = \"s\"\n"),
        ("custom", "grant = \"custom\"\nsecret = \"s\"\n[account.request]\nurl = \"https://api.example/refresh\"\nsecret_in = \"bearer\"\n"),
        ("command", "grant = \"command\"\ncommand = [\"true\"]\n"),
    ];
    let number = prop_oneof![
        Just(0i64),
        Just(1),
        Just(-1),
        Just(86_400),
        Just(86_401),
        Just(31_622_400),
        Just(31_622_401),
        Just(99_999_999_999_999),
        Just(i64::MAX),
        Just(i64::MIN),
        any::<i64>(),
    ];
    let strategy = (
        0..bases.len(),
        prop::collection::vec(
            (any::<prop::sample::Index>(), number.clone(), 0usize..3),
            1..4,
        ),
        prop_oneof![
            Just(now()),
            Just(DateTime::<Utc>::MAX_UTC - chrono::Duration::days(1)),
            Just(DateTime::<Utc>::MIN_UTC + chrono::Duration::days(1))
        ],
        number,
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    fuzz("numbers", strategy, |(base, settings, at, min_valid)| {
        let (kind, base) = bases[base];
        let schema = tokentray_core::schema::grant(tokentray_core::GrantKind::parse(kind).unwrap());
        let numbers: Vec<_> = schema
            .fields
            .iter()
            .filter(|f| {
                matches!(f.kind, FieldKind::Number | FieldKind::Numbers) && !f.key.contains('.')
            })
            .collect();
        let mut text = String::new();
        let mut given = std::collections::BTreeMap::new();
        for (index, value, count) in &settings {
            let field = numbers[index.index(numbers.len())];
            let written = match field.kind {
                FieldKind::Numbers => format!("[{}]", vec![value.to_string(); *count].join(", ")),
                _ => value.to_string(),
            };
            let listed = field.kind == FieldKind::Numbers && *count == 0;
            given.insert(field.key.clone(), (field, *value, written, listed));
        }
        for (key, (_, _, written, _)) in &given {
            text += &format!("{key} = {written}\n");
        }
        let profile = format!("[[account]]\nname = \"n\"\n{text}{base}");
        let Ok(parsed) = Profile::parse(&profile) else {
            return Ok(false);
        };
        // Accepted: within the range the schema states (what the window's form enforces).
        for (field, value, _, empty_list) in given.values() {
            let (min, max) = (
                field.min.unwrap_or(0) as i64,
                field.max.unwrap_or(u64::MAX) as i64,
            );
            let in_range = *value >= min && *value <= max;
            prop_assert!(in_range || *empty_list, "{} = {value} accepted", field.key);
        }
        let clock = tokentray_core::clock::FakeClock::new(at);
        let engine = quiet_engine(clock.clone());
        runtime.block_on(async {
            engine
                .put_account(parsed.account.into_iter().next().unwrap())
                .await
                .unwrap();
            let min = chrono::Duration::try_seconds(min_valid.clamp(0, 31_622_400)).unwrap();
            let _ = engine.get_token_valid_for("n", min).await;
            let _ = engine.list();
            clock.advance(chrono::Duration::days(400));
            let _ = engine.get_token("n").await;
            let _ = engine.list();
        });
        Ok(true)
    });
}
