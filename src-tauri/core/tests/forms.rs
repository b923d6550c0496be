//! Saving from the window never drops a setting. Every grant's full settings are generated
//! from the exported schema, saved (`save_account`), then edited the way the window does —
//! the whole form sent back unchanged, or only part of it — and what is stored must equal
//! what was saved, secrets included. The window's half of the round trip (stored settings →
//! form values → fields sent) is ui/src/lib/grants.test.ts, on the same schema.

use serde_json::{json, Map, Value};
use std::sync::Arc;
use tokentray_core::schema::{grants, Field, FieldKind, GrantSchema};
use tokentray_core::vault::{KeySource, MemoryKeyStore};
use tokentray_core::{EngineHandle, SystemClock};

const CASES_PER_GRANT: u64 = 24;

fn put(into: &mut Map<String, Value>, key: &str, value: Value) {
    match key.split_once('.') {
        Some((table, rest)) => {
            let inner = into
                .entry(table)
                .or_insert_with(|| Value::Object(Map::new()));
            put(inner.as_object_mut().expect("a table"), rest, value)
        }
        None => {
            into.insert(key.into(), value);
        }
    }
}

/// A value the grant accepts for `f`.
fn sample(f: &Field, rng: &mut fastrand::Rng) -> Value {
    let word = |rng: &mut fastrand::Rng| {
        let len = rng.usize(1..10);
        (0..len).map(|_| rng.alphanumeric()).collect::<String>()
    };
    match f.kind {
        // A key that signs (the check parses it) and the algorithm that fits it.
        FieldKind::Secret
            if f.key == "private_key" || f.key == "dpop_key" || f.key == "tls_client_key" =>
        {
            json!(tokentray_core::jws::SigningKey::generate()
                .unwrap()
                .expose())
        }
        FieldKind::Select if f.key == "signing_alg" => json!("ES256"),
        FieldKind::Url => json!(format!("https://h{}.example.com/{}", rng.u8(..), word(rng))),
        FieldKind::Secret => json!(format!("s-{}", word(rng))),
        FieldKind::Select => json!(f.choices[rng.usize(..f.choices.len())].value),
        // Within the range the schema states (what the engine checks).
        FieldKind::Number => json!(rng.u64(f.min.unwrap_or(0)..=f.max.unwrap_or(100_000))),
        FieldKind::Numbers => json!((0..rng.usize(1..4))
            .map(|_| rng.u64(f.min.unwrap_or(0)..=f.max.unwrap_or(u32::MAX.into())))
            .collect::<Vec<_>>()),
        FieldKind::Bool => json!(rng.bool()),
        FieldKind::Lines => json!((0..rng.usize(1..4))
            .map(|_| format!("{}.example.com", word(rng)))
            .collect::<Vec<_>>()),
        // A shell variable's name starts with a letter.
        FieldKind::Text if f.key == "env_name" => json!(format!("E_{}", word(rng))),
        FieldKind::Argv => json!((0..rng.usize(1..4)).map(|_| word(rng)).collect::<Vec<_>>()),
        FieldKind::Table => json!({ word(rng): word(rng) }),
        FieldKind::Json => json!({ "a": [word(rng), 1, true] }),
        FieldKind::Datetime => json!(format!(
            "20{}-0{}-1{}T0{}:1{}:2{}Z",
            rng.u8(30..60),
            rng.u8(1..10),
            rng.u8(0..10),
            rng.u8(0..10),
            rng.u8(0..10),
            rng.u8(0..10)
        )),
        FieldKind::SecretIn if rng.bool() => json!("bearer"),
        FieldKind::SecretIn => json!({ "header": format!("X-{}", word(rng)) }),
        FieldKind::Text => json!(word(rng)),
    }
}

/// A grant's settings with every required field, exactly one of each `one_of` group, each
/// optional table whole or not at all, and each optional field given or not.
fn generate(schema: &GrantSchema, rng: &mut fastrand::Rng, all: bool) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("grant".into(), json!(schema.kind.as_str()));
    let chosen: Vec<&String> = schema
        .one_of
        .iter()
        .map(|g| &g[rng.usize(..g.len())])
        .collect();
    // An optional table is given whole (its required fields with it) or not at all, and only
    // beside the setting it needs.
    let tables: Vec<(&str, bool)> = schema
        .optional_tables
        .iter()
        .map(|t| {
            let possible = t.with.as_ref().is_none_or(|w| chosen.contains(&w));
            (t.table.as_str(), possible && (all || rng.bool()))
        })
        .collect();
    for f in &schema.fields {
        let grouped = schema.one_of.iter().any(|g| g.contains(&f.key));
        let table = tables
            .iter()
            .find(|(t, _)| f.key.starts_with(&format!("{t}.")));
        let wanted = match table {
            Some((_, false)) => false,
            _ if grouped => chosen.contains(&&f.key),
            _ => f.required || all || rng.bool(),
        };
        if wanted {
            put(&mut out, &f.key, sample(f, rng));
        }
    }
    // A client certificate comes with its key; a method that presents one needs both.
    let tls_methods = ["tls_client_auth", "self_signed_tls_client_auth"];
    let presents = out
        .get("auth_method")
        .is_some_and(|m| tls_methods.iter().any(|t| m == t));
    if presents || out.contains_key("tls_client_cert_file") || out.contains_key("tls_client_key") {
        out.entry("tls_client_cert_file")
            .or_insert(json!("/etc/client.pem"));
        out.entry("tls_client_key")
            .or_insert(json!(tokentray_core::jws::SigningKey::generate()
                .unwrap()
                .expose()));
    }
    // A resource (RFC 8707) is an absolute URI.
    if out.contains_key("helper_resource") {
        let resource = format!("urn:example:api:{}", rng.u32(..));
        out.insert("helper_resource".into(), json!(resource));
    }
    // A role is named by its ARN.
    if out.contains_key("aws_role_arn") {
        let role = format!("arn:aws:iam::123456789012:role/r{}", rng.u32(..));
        out.insert("aws_role_arn".into(), json!(role));
    }
    // A signed assertion without a service account names where it goes.
    if out.get("grant") == Some(&json!("jwt_bearer")) && out.contains_key("issuer") {
        out.entry("token_url")
            .or_insert(json!("https://login.example.com/token"));
    }
    // A service account is Google's JSON key (with a key of its own).
    if out.contains_key("service_account") {
        let pem = tokentray_core::jws::SigningKey::generate().unwrap();
        out.insert(
            "service_account".into(),
            json!(json!({
                "client_email": "bot@project.iam.gserviceaccount.com",
                "private_key": pem.expose(),
                "token_uri": "https://oauth2.googleapis.com/token",
            })
            .to_string()),
        );
    }
    // A custom request's API key comes with its place, and a place with a key.
    if out.contains_key("api_key") || out.contains_key("api_key_in") {
        out.entry("api_key").or_insert(json!("k-needed"));
        out.entry("api_key_in")
            .or_insert(json!({ "header": "X-Api-Key" }));
    }
    // A method that sends the secret needs one (the engine refuses it otherwise).
    let by_secret = [
        "client_secret_basic",
        "client_secret_post",
        "client_secret_jwt",
    ];
    if out
        .get("auth_method")
        .is_some_and(|m| by_secret.iter().any(|s| m == s))
    {
        out.entry("client_secret").or_insert(json!("s-needed"));
    }
    out
}

/// What the window sends for an unchanged form: every field the schema names, set or
/// `null`, and the secrets blank (it never holds them).
fn unchanged_form(schema: &GrantSchema, settings: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("grant".into(), settings["grant"].clone());
    for f in &schema.fields {
        let held = f
            .key
            .split('.')
            .try_fold(&Value::Object(settings.clone()), |at, k| at.get(k))
            .cloned();
        let value = match f.kind {
            FieldKind::Secret => json!(""),
            _ => held.unwrap_or(Value::Null),
        };
        put(&mut out, &f.key, value);
    }
    out
}

/// An engine over a fresh data directory of its own (a key in memory).
async fn open(tag: &str) -> (EngineHandle, std::path::PathBuf) {
    let home = std::env::temp_dir().join(format!("tokentray-forms-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    let key = KeySource::Store(Box::new(MemoryKeyStore::default()));
    let engine = EngineHandle::open(&home, key, Arc::new(SystemClock))
        .await
        .unwrap();
    (engine, home)
}

#[tokio::test]
async fn every_grants_settings_survive_save_and_edit_unchanged() {
    let (engine, home) = open("all").await;
    let secret_keys = tokentray_core::schema::secret_keys();
    for schema in grants() {
        for case in 0..CASES_PER_GRANT {
            let mut rng = fastrand::Rng::with_seed(case * 31 + schema.fields.len() as u64);
            let written = generate(schema, &mut rng, case == 0);
            let name = format!("{}-{case}", schema.kind);
            let why = format!("{name}: {}", Value::Object(written.clone()));
            engine
                .save_account(&name, written.clone(), false)
                .await
                .unwrap_or_else(|e| panic!("{why}: {e}"));
            let (settings, secrets): (Map<String, Value>, Map<String, Value>) = written
                .clone()
                .into_iter()
                .partition(|(k, _)| !secret_keys.contains(k));
            let stored = engine.detail(&name).await.unwrap();
            assert_eq!(stored.settings, settings, "{why}");
            let mut held: Vec<String> = secrets.keys().cloned().collect();
            // A client that signs with a key, or binds its tokens, and was given no key gets
            // one, generated.
            let needs = [
                (
                    "private_key",
                    written.get("auth_method") == Some(&json!("private_key_jwt")),
                ),
                ("dpop_key", written.get("dpop") == Some(&json!(true))),
            ];
            // (A password login names a client only with a client_id.)
            let client = written.contains_key("client_id");
            for (key, needed) in needs {
                if needed && client && !secrets.contains_key(key) {
                    held.push(key.into());
                }
            }
            // A signed assertion with no key of its own (nor a service account's) gets one.
            let assertion = written.get("grant") == Some(&json!("jwt_bearer"));
            if assertion
                && !secrets.contains_key("private_key")
                && !secrets.contains_key("service_account")
            {
                held.push("private_key".into());
            }
            held.sort();
            assert_eq!(stored.secrets, held, "{why}");

            // Edited with the whole form, nothing changed: the same settings and secrets.
            let form = unchanged_form(schema, &stored.settings);
            engine.save_account(&name, form, true).await.unwrap();
            // Edited with only part of the form (a form that lacks settings): none dropped.
            let mut part = Map::new();
            part.insert("grant".into(), json!(schema.kind.as_str()));
            for (k, v) in &settings {
                if rng.bool() {
                    part.insert(k.clone(), v.clone());
                }
            }
            engine.save_account(&name, part, true).await.unwrap();
            let after = engine.detail(&name).await.unwrap();
            assert_eq!(after.settings, settings, "{why}");
            assert_eq!(after.secrets, stored.secrets, "{why}");
            let exported = engine
                .export(true, &tokentray_core::lending::Asker::person())
                .await
                .unwrap();
            for secret in secrets.values() {
                let secret = secret.as_str().unwrap();
                assert!(exported.contains(secret), "{why}: a held secret was lost");
            }
            engine.remove_account(&name).await.unwrap();
        }
    }
    engine.close().await;
    let _ = std::fs::remove_dir_all(&home);
}

#[tokio::test]
async fn an_edit_changes_what_it_sends_and_clears_what_it_blanks() {
    let (engine, home) = open("edit").await;
    let saved = json!({
        "grant": "custom", "secret": "service-token",
        "request": { "url": "https://api.example.com/refresh", "method": "GET", "secret_in": "bearer" },
        "response": { "access_token": "/data/token", "refresh_expires_in": "/data/rt" },
        "warn_before_secs": [3600],
    });
    let Value::Object(saved) = saved else {
        unreachable!()
    };
    engine.save_account("svc", saved, false).await.unwrap();
    let edit = json!({ "grant": "custom", "request": { "method": null }, "response": { "access_token": "/token" } });
    let Value::Object(edit) = edit else {
        unreachable!()
    };
    engine.save_account("svc", edit, true).await.unwrap();
    let after = engine.detail("svc").await.unwrap();
    assert_eq!(
        Value::Object(after.settings),
        json!({
            "grant": "custom",
            "request": { "url": "https://api.example.com/refresh", "secret_in": "bearer" },
            "response": { "access_token": "/token", "refresh_expires_in": "/data/rt" },
            "warn_before_secs": [3600],
        })
    );
    assert_eq!(after.secrets, ["secret"]);
    let null_body = json!({ "grant": "custom", "request": { "json": { "a": null } } });
    let Value::Object(null_body) = null_body else {
        unreachable!()
    };
    let err = engine
        .save_account("svc", null_body, true)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("null"), "{err}");
    let kind_change = json!({ "grant": "static", "token": "t" });
    let Value::Object(kind_change) = kind_change else {
        unreachable!()
    };
    let err = engine
        .save_account("svc", kind_change, true)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_config");
    assert!(err.to_string().contains("cannot change"), "{err}");
    engine.close().await;
    let _ = std::fs::remove_dir_all(&home);
}
