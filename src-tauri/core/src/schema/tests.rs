use super::*;
use crate::account::POLICY_KEYS;
use crate::grant::{self, GrantConfig};
use serde::de::{self, Deserialize, Visitor};
use serde_json::json;
use std::collections::BTreeSet;

/// A deserializer that only records the field names a struct asks for: the grants' own list
/// of the settings they read, with no copy of it kept here.
struct FieldNames(Vec<&'static str>);

#[derive(Debug)]
struct Recorded;
impl std::fmt::Display for Recorded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("recorded")
    }
}
impl std::error::Error for Recorded {}
impl de::Error for Recorded {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Recorded
    }
}

impl<'de> de::Deserializer<'de> for &mut FieldNames {
    type Error = Recorded;
    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Recorded> {
        Err(Recorded)
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Recorded> {
        self.0.extend(fields);
        Err(Recorded)
    }
    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

fn fields_of<'de, T: Deserialize<'de>>(prefix: &str) -> BTreeSet<String> {
    let mut names = FieldNames(vec![]);
    let _ = T::deserialize(&mut names);
    names.0.iter().map(|f| format!("{prefix}{f}")).collect()
}

/// What a grant reads, nested tables spelled out as the schema writes them (`request.url`).
fn read_by(kind: GrantKind) -> BTreeSet<String> {
    use grant::*;
    let tables = |mut top: BTreeSet<String>, nested: &[(&str, BTreeSet<String>)]| {
        for (table, inner) in nested {
            top.remove(*table);
            top.extend(inner.iter().cloned());
        }
        top
    };
    let response = || fields_of::<crate::token::ResponseMap>("response.");
    match kind {
        GrantKind::ClientCredentials => fields_of::<client_credentials::Config>(""),
        GrantKind::RefreshToken => fields_of::<refresh_token::Config>(""),
        GrantKind::AuthorizationCode => fields_of::<authorization_code::Config>(""),
        GrantKind::DeviceCode => fields_of::<device_code::Config>(""),
        GrantKind::Password => tables(
            fields_of::<password::Config>(""),
            &[
                ("response", response()),
                (
                    "refresh",
                    fields_of::<custom::RequestSpec>("refresh.")
                        .into_iter()
                        .chain(fields_of::<crate::token::ResponseMap>("refresh.response."))
                        .collect(),
                ),
            ],
        ),
        GrantKind::Custom => tables(
            fields_of::<custom::Config>(""),
            &[
                ("request", fields_of::<custom::RequestSpec>("request.")),
                ("response", response()),
            ],
        ),
        GrantKind::Static => fields_of::<static_token::Config>(""),
        GrantKind::TokenExchange => fields_of::<token_exchange::Config>(""),
        GrantKind::JwtBearer => fields_of::<crate::grant::jwt_bearer::Config>(""),
        GrantKind::Command => fields_of::<command::Config>(""),
    }
}

#[test]
fn the_schema_describes_every_setting_each_grant_reads_and_nothing_else() {
    let policy: BTreeSet<String> = POLICY_KEYS.iter().map(|k| k.to_string()).collect();
    assert_eq!(policy, fields_of::<crate::account::Policy>(""));
    for schema in grants() {
        let described: BTreeSet<String> = schema.fields.iter().map(|f| f.key.clone()).collect();
        assert_eq!(
            described.len(),
            schema.fields.len(),
            "{:?}: a key twice",
            schema.kind
        );
        let mut read = read_by(schema.kind);
        assert!(
            read.len() > 1,
            "{:?}: the recorder saw no fields",
            schema.kind
        );
        read.extend(policy.iter().cloned());
        assert_eq!(described, read, "{:?}", schema.kind);
        for group in &schema.one_of {
            assert!(group.iter().all(|k| described.contains(k)), "{group:?}");
        }
        for t in &schema.optional_tables {
            let inside = format!("{}.", t.table);
            assert!(described.iter().any(|k| k.starts_with(&inside)), "{t:?}");
            assert!(t.with.iter().all(|k| described.contains(k)), "{t:?}");
        }
    }
    assert_eq!(
        grants().iter().map(|g| g.kind).collect::<Vec<_>>(),
        GrantKind::ALL
    );
}

#[test]
fn grant_names_agree_with_the_profile_tag() {
    for &kind in GrantKind::ALL {
        let tagged: Result<GrantConfig, _> =
            serde_json::from_value(json!({ "grant": kind.as_str() }));
        // The tag picks the grant: its own settings are missing, or (a grant whose settings
        // are alternatives, all optional to serde) it is that grant.
        match tagged {
            Ok(config) => assert_eq!(config.kind(), kind),
            Err(e) => assert!(e.to_string().contains("missing field"), "{kind:?}: {e}"),
        }
        assert_eq!(GrantKind::parse(kind.as_str()), Some(kind));
    }
}

#[test]
fn secret_keys_are_the_schemas_secret_fields() {
    assert_eq!(
        secret_keys(),
        [
            "api_key",
            "client_secret",
            "dpop_key",
            "password",
            "private_key",
            "refresh_token",
            "secret",
            "service_account",
            "subject_token",
            "tls_client_key",
            "token"
        ]
    );
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("{other}"),
    }
}

#[test]
fn merging_keeps_what_is_not_sent_and_removes_what_is_cleared() {
    let schema = grant(GrantKind::Custom);
    let mut stored = object(json!({
        "grant": "custom",
        "secret": "held",
        "request": { "url": "https://a/x", "method": "GET", "headers": { "X-A": "1", "X-B": "2" } },
        "response": { "access_token": "/data/token", "refresh_expires_in": "/data/rt_ttl" },
        "warn_before_secs": [3600],
    }));
    merge(
        &mut stored,
        object(json!({
            "grant": "custom",
            "secret": "",
            "request": { "url": " https://b/x ", "method": null, "headers": { "X-C": "3" } },
            "response": { "access_token": "" },
        })),
        schema,
    );
    assert_eq!(
        Value::Object(stored),
        json!({
            "grant": "custom",
            // A blank secret keeps the one held.
            "secret": "held",
            // Text is trimmed; a cleared setting goes; a table value is replaced whole.
            "request": { "url": "https://b/x", "headers": { "X-C": "3" } },
            // Not sent: kept.
            "response": { "refresh_expires_in": "/data/rt_ttl" },
            "warn_before_secs": [3600],
        })
    );
    let mut stored = object(json!({ "response": { "scope": "/s" } }));
    merge(
        &mut stored,
        object(json!({ "response": { "scope": null } })),
        schema,
    );
    assert_eq!(Value::Object(stored), json!({}), "an emptied table goes");
}

#[test]
fn only_a_confidential_clients_grants_require_its_secret() {
    let secret_required = |kind: GrantKind| {
        grant(kind)
            .fields
            .iter()
            .any(|f| f.key == "client_secret" && f.required)
    };
    // Public clients (native apps, devices) log in with PKCE or a device code and no secret.
    for kind in [
        GrantKind::AuthorizationCode,
        GrantKind::DeviceCode,
        GrantKind::RefreshToken,
        GrantKind::Password,
    ] {
        assert!(!secret_required(kind), "{kind:?}");
    }
    for kind in [GrantKind::ClientCredentials, GrantKind::TokenExchange] {
        assert!(secret_required(kind), "{kind:?}");
    }
}
