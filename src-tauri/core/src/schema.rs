//! Every grant's settings, described once: name, kind, whether it is secret, required,
//! default, choices, help. The window renders its add/edit form from this (exported to
//! `ui/src/lib/bindings/contracts.json`), and [`merge`] saves a form into what is stored so
//! that no setting is ever dropped by a form. A test holds it to the grants' own settings:
//! every key a grant accepts is described here, and nothing else.

use crate::grant::GrantKind;
use serde::Serialize;
use serde_json::{json, Map, Value};

/// How a setting is written and edited.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    /// `https://`, or `http://` to this machine only (127.0.0.0/8, ::1, localhost).
    Url,
    /// Never shown again once saved; sealed by the vault.
    Secret,
    /// One of `choices`.
    Select,
    /// A whole number of seconds.
    Number,
    /// Whole numbers of seconds.
    Numbers,
    /// A program and its arguments, one per line.
    Argv,
    /// A table of names to text, written as a JSON object of strings (headers, parameters).
    Table,
    /// Any JSON value (a request body).
    Json,
    /// An RFC 3339 time.
    Datetime,
    /// Where a custom request puts its secret: `bearer`, or one of `choices` with a name
    /// (`{ header = "X-Api-Key" }`).
    SecretIn,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// One setting of a grant.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Field {
    /// The setting's name; `a.b` is a nested table (`[account.request]` in TOML).
    pub key: String,
    pub label: String,
    pub kind: FieldKind,
    pub required: bool,
    /// What applies when the setting is left out.
    pub default: Option<Value>,
    pub choices: Vec<Choice>,
    pub help: Option<String>,
    pub placeholder: Option<String>,
    /// Shown under "More settings".
    pub advanced: bool,
}

/// One grant's form.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GrantSchema {
    pub kind: GrantKind,
    pub label: String,
    pub summary: String,
    /// Endpoints can be filled from an issuer (discovery).
    pub discovery: bool,
    /// A person signs in once (Log in), after which it renews itself.
    pub login: bool,
    /// Groups of settings of which exactly one must be given.
    pub one_of: Vec<Vec<String>>,
    pub fields: Vec<Field>,
}

impl Field {
    fn new(key: &str, label: &str, kind: FieldKind) -> Field {
        Field {
            key: key.into(),
            label: label.into(),
            kind,
            required: false,
            default: None,
            choices: vec![],
            help: None,
            placeholder: None,
            advanced: false,
        }
    }
    fn required(mut self) -> Field {
        self.required = true;
        self
    }
    fn advanced(mut self) -> Field {
        self.advanced = true;
        self
    }
    fn help(mut self, text: &str) -> Field {
        self.help = Some(text.into());
        self
    }
    fn placeholder(mut self, text: &str) -> Field {
        self.placeholder = Some(text.into());
        self
    }
    fn default(mut self, value: Value) -> Field {
        self.default = Some(value);
        self
    }
    fn choices(mut self, choices: &[(&str, &str)]) -> Field {
        self.choices = choices
            .iter()
            .map(|(value, label)| Choice {
                value: (*value).into(),
                label: (*label).into(),
            })
            .collect();
        self
    }
}

use FieldKind::*;

fn url(key: &str, label: &str) -> Field {
    Field::new(key, label, Url).placeholder("https://")
}
fn client_id() -> Field {
    Field::new("client_id", "Client ID", Text).required()
}
fn client_secret() -> Field {
    Field::new("client_secret", "Client secret", Secret)
}
fn scope() -> Field {
    Field::new("scope", "Scope", Text).placeholder("space-separated")
}
fn revocation() -> Field {
    url("revocation_url", "Revocation endpoint")
        .help("Tokens are revoked there when the account is removed.")
}
fn resource() -> Field {
    Field::new("resource", "Resource (RFC 8707)", Text).advanced()
}
fn audience() -> Field {
    Field::new("audience", "Audience", Text).advanced()
}
fn auth_method(public: bool) -> Field {
    let mut choices = vec![
        ("client_secret_basic", "client_secret_basic (HTTP Basic)"),
        ("client_secret_post", "client_secret_post (in the form)"),
    ];
    if public {
        choices.push(("none", "none (public client, PKCE)"));
    }
    Field::new("auth_method", "Client authentication", Select)
        .choices(&choices)
        .help("Default: HTTP Basic when there is a secret, else none.")
        .advanced()
}
fn pointer(key: &str, label: &str, default: Option<&str>) -> Field {
    let field = Field::new(key, label, Text).help("A JSON pointer into the answer.");
    match default {
        Some(d) => field.default(json!(d)).placeholder(d),
        None => field,
    }
}

/// Where the tokens are in an answer (`response.*`), as [`crate::token::ResponseMap`] reads it.
fn response(advanced: bool) -> Vec<Field> {
    let map = crate::token::ResponseMap::default();
    let fields = [
        (
            "access_token",
            "Access token at",
            Some(map.access_token.as_str()),
        ),
        (
            "expires_in",
            "Lifetime (seconds) at",
            map.expires_in.as_deref(),
        ),
        ("expires_at", "Or expiry time at", map.expires_at.as_deref()),
        (
            "refresh_token",
            "New secret (rotation) at",
            map.refresh_token.as_deref(),
        ),
        (
            "refresh_expires_in",
            "Refresh token lifetime at",
            map.refresh_expires_in.as_deref(),
        ),
        ("scope", "Scope at", map.scope.as_deref()),
        ("token_type", "Token type at", map.token_type.as_deref()),
    ];
    fields
        .into_iter()
        .enumerate()
        .map(|(i, (key, label, default))| {
            let field = pointer(&format!("response.{key}"), label, default);
            if advanced || i > 3 {
                field.advanced()
            } else {
                field
            }
        })
        .collect()
}

/// The scheduling settings every account may override (else the app's settings apply).
fn policy(kind: GrantKind) -> Vec<Field> {
    let warnings = Field::new("warn_before_secs", "Warn before expiry (seconds)", Numbers)
        .help("e.g. 604800 86400 3600 (7 days, 1 day, 1 hour). Empty: the app setting.");
    vec![
        Field::new("refresh_margin_secs", "Refresh margin (seconds)", Number)
            .help("Refresh at least this long before expiry. Empty: the app setting.")
            .advanced(),
        if kind.renews_itself() {
            warnings.advanced()
        } else {
            warnings
        },
        Field::new("on_refresh", "Run after each refresh", Argv)
            .help("One argument per line; the new token's metadata (never the token) is in its environment.")
            .advanced(),
    ]
}

/// Every grant's form, in the order the window offers them.
pub fn grants() -> Vec<GrantSchema> {
    GrantKind::ALL.into_iter().map(grant).collect()
}

pub fn grant(kind: GrantKind) -> GrantSchema {
    let (label, summary, discovery, login, one_of, fields): (_, _, _, _, &[&[&str]], _) = match kind {
        GrantKind::ClientCredentials => (
            "Client credentials",
            "A service's own identity (OAuth 2 client ID and secret).",
            true,
            false,
            &[],
            vec![
                url("token_url", "Token endpoint").required(),
                client_id(),
                client_secret().required(),
                scope(),
                revocation(),
                audience(),
                resource(),
                auth_method(false),
            ],
        ),
        GrantKind::AuthorizationCode => (
            "Your login (browser)",
            "Authorization code + PKCE in your browser; renewed with the refresh token after.",
            true,
            true,
            &[],
            vec![
                url("authorization_url", "Authorization endpoint").required(),
                url("token_url", "Token endpoint").required(),
                client_id(),
                client_secret(),
                scope().placeholder("openid offline_access …"),
                revocation(),
                resource(),
                Field::new("extra_params", "Extra authorization parameters (JSON object)", Table)
                    .help("e.g. {\"prompt\": \"consent\"}")
                    .advanced(),
                auth_method(true),
            ],
        ),
        GrantKind::DeviceCode => (
            "Your login (device code)",
            "Approve on any device with a short code (RFC 8628).",
            true,
            true,
            &[],
            vec![
                url("device_authorization_url", "Device authorization endpoint").required(),
                url("token_url", "Token endpoint").required(),
                client_id(),
                client_secret(),
                scope(),
                revocation(),
                auth_method(true),
            ],
        ),
        GrantKind::RefreshToken => (
            "Refresh token",
            "A refresh token you already have (rotated ones are kept).",
            true,
            false,
            &[],
            vec![
                url("token_url", "Token endpoint").required(),
                client_id(),
                Field::new("refresh_token", "Refresh token", Secret).required(),
                client_secret(),
                scope(),
                revocation(),
                auth_method(true),
            ],
        ),
        GrantKind::Password => (
            "Password (legacy)",
            "Username and password at a token endpoint or an app's own login URL.",
            false,
            false,
            &[&["token_url", "login_url"]],
            [
                vec![
                    url("token_url", "Token endpoint").help("Standard OAuth password grant…"),
                    url("login_url", "Or: the app's login URL")
                        .help("…or an application's own login endpoint."),
                    Field::new("username", "Username", Text).required(),
                    Field::new("password", "Password", Secret).required(),
                    Field::new("client_id", "Client ID", Text),
                    client_secret(),
                    scope(),
                    auth_method(false),
                    Field::new("body", "Login body", Select)
                        .choices(&[("json", "JSON"), ("form", "Form fields")])
                        .default(json!("json"))
                        .help("For a login URL: how username and password are sent.")
                        .advanced(),
                    Field::new("username_field", "Username field", Text)
                        .default(json!("username"))
                        .placeholder("username")
                        .advanced(),
                    Field::new("password_field", "Password field", Text)
                        .default(json!("password"))
                        .placeholder("password")
                        .advanced(),
                ],
                response(true),
            ]
            .concat(),
        ),
        GrantKind::Custom => (
            "Custom endpoint",
            "A service token exchanged at a non-standard endpoint; the answer mapped by JSON pointers.",
            false,
            false,
            &[],
            [
                vec![
                    Field::new("secret", "Service token / API key", Secret).required(),
                    url("request.url", "Request URL").required(),
                    Field::new("request.method", "Method", Select)
                        .choices(&[("POST", "POST"), ("GET", "GET"), ("PUT", "PUT")])
                        .default(json!("POST")),
                    Field::new("request.secret_in", "The secret goes in", SecretIn)
                        .required()
                        .choices(&[
                            ("bearer", "Authorization: Bearer"),
                            ("header", "a header named…"),
                            ("basic", "HTTP Basic, with the username…"),
                            ("query", "a query parameter named…"),
                            ("form", "a form field named…"),
                            ("json", "the JSON body at pointer…"),
                        ]),
                ],
                response(false),
                vec![
                    Field::new("request.headers", "Headers (JSON object)", Table).advanced(),
                    Field::new("request.query", "Query parameters (JSON object)", Table).advanced(),
                    Field::new("request.form", "Form fields (JSON object)", Table).advanced(),
                    Field::new("request.json", "JSON body", Json).advanced(),
                ],
            ]
            .concat(),
        ),
        GrantKind::Static => (
            "Long-lived token",
            "A token that cannot renew itself (a PAT, an API key): watched for expiry, with warnings.",
            false,
            false,
            &[],
            vec![
                Field::new("token", "Token", Secret).required(),
                Field::new("expires_at", "Expires", Datetime).help("Not needed for a JWT with exp."),
            ],
        ),
        GrantKind::TokenExchange => (
            "Token exchange",
            "Trade another account's token for one for this API (RFC 8693).",
            true,
            false,
            &[&["subject_account", "subject_token"]],
            vec![
                url("token_url", "Token endpoint").required(),
                client_id(),
                client_secret().required(),
                Field::new("subject_account", "Subject: the token of account", Text),
                Field::new("subject_token", "Or: a pasted subject token", Secret),
                audience(),
                resource(),
                scope(),
                Field::new("subject_token_type", "Subject token type", Text)
                    .default(json!("urn:ietf:params:oauth:token-type:access_token"))
                    .advanced(),
                Field::new("requested_token_type", "Requested token type", Text).advanced(),
                revocation(),
                auth_method(false),
            ],
        ),
        GrantKind::Command => (
            "Command",
            "A token printed by another tool (gcloud, az, kubectl, aws).",
            false,
            false,
            &[],
            vec![
                Field::new("command", "Command", Argv)
                    .required()
                    .help("One argument per line, e.g. gcloud / auth / print-access-token."),
                Field::new("timeout_secs", "Timeout (seconds)", Number).advanced(),
            ],
        ),
    };
    GrantSchema {
        kind,
        label: label.into(),
        summary: summary.into(),
        discovery,
        login,
        one_of: one_of
            .iter()
            .map(|g| g.iter().map(|k| k.to_string()).collect())
            .collect(),
        fields: [fields, policy(kind)].concat(),
    }
}

/// Saves a form into an account's stored settings: each setting the form sends replaces the
/// stored one (`null` or blank text removes it); a setting it does not send is kept. Tables
/// of the schema (`request`, `response`) are merged key by key; any other value is replaced
/// whole. A secret sent blank keeps the one held.
pub fn merge(stored: &mut Map<String, Value>, sent: Map<String, Value>, schema: &GrantSchema) {
    merge_at(stored, sent, schema, "");
}

fn merge_at(
    stored: &mut Map<String, Value>,
    sent: Map<String, Value>,
    schema: &GrantSchema,
    at: &str,
) {
    for (key, value) in sent {
        let path = format!("{at}{key}");
        let table = format!("{path}.");
        let is_table = schema.fields.iter().any(|f| f.key.starts_with(&table));
        let secret = schema
            .fields
            .iter()
            .any(|f| f.key == path && f.kind == FieldKind::Secret);
        match value {
            Value::Object(inner) if is_table => {
                let entry = stored
                    .entry(key.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                if !entry.is_object() {
                    *entry = Value::Object(Map::new());
                }
                let Value::Object(nested) = entry else {
                    unreachable!()
                };
                merge_at(nested, inner, schema, &table);
                if nested.is_empty() {
                    stored.remove(&key);
                }
            }
            Value::String(s) if s.trim().is_empty() => {
                if !secret {
                    stored.remove(&key);
                }
            }
            Value::Null if secret => {}
            Value::Null => {
                stored.remove(&key);
            }
            // Secrets are taken as typed (a trailing space may be part of one); other text
            // is trimmed.
            Value::String(s) if !secret => {
                stored.insert(key, Value::String(s.trim().to_string()));
            }
            value => {
                stored.insert(key, value);
            }
        }
    }
}

/// The names of every secret setting of any grant: what the vault seals, and what may come
/// from the environment or a file in a profile (`client_secret_env`).
pub fn secret_keys() -> &'static [String] {
    static KEYS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| {
        let mut keys: Vec<String> = grants()
            .into_iter()
            .flat_map(|g| g.fields)
            .filter(|f| f.kind == FieldKind::Secret)
            .map(|f| f.key)
            .collect();
        keys.sort();
        keys.dedup();
        keys
    })
}

#[cfg(test)]
mod tests;
