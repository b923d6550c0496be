//! Every grant's settings, described once: name, kind, whether it is secret, required,
//! default, choices, help. The window renders its add/edit form from this (exported to
//! `ui/src/lib/bindings/contracts.json`), and [`merge`] saves a form into what is stored so
//! that no setting is ever dropped by a form. A test holds it to the grants' own settings:
//! every key a grant accepts is described here, and nothing else.

use crate::grant::GrantKind;
use serde::Serialize;
use serde_json::{Map, Value};

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
    /// Several values, one per line (host patterns).
    Lines,
    /// On or off.
    Bool,
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
    /// A required setting that is not required when this other setting has one of these
    /// values (`client_secret`, unless `auth_method` is `private_key_jwt` or mutual TLS), or,
    /// with no values, when it is given at all (`token_url`, unless `issuer`).
    pub unless: Option<Unless>,
    /// The range of a number (each of numbers), as the engine checks it ([`crate::limits`]).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub min: Option<u64>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub max: Option<u64>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unless {
    pub key: String,
    pub values: Vec<String>,
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
    /// Tables given whole or not at all (`refresh`): their required fields are required only
    /// when the table is given.
    pub optional_tables: Vec<OptionalTable>,
    pub fields: Vec<Field>,
}

/// A table of settings that may be left out whole.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OptionalTable {
    pub table: String,
    /// A setting the table is only given together with (`refresh` needs `login_url`).
    pub with: Option<String>,
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
            unless: None,
            min: None,
            max: None,
        }
    }
    fn range(mut self, min: u64, max: u64) -> Field {
        (self.min, self.max) = (Some(min), Some(max));
        self
    }
    fn unless(mut self, key: &str, values: &[&str]) -> Field {
        self.unless = Some(Unless {
            key: key.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
        });
        self
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

mod fields;
mod grants;
pub use grants::{grant, grants};

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
            .iter()
            .flat_map(|g| &g.fields)
            .filter(|f| f.kind == FieldKind::Secret)
            .map(|f| f.key.clone())
            .collect();
        keys.sort();
        keys.dedup();
        keys
    })
}

#[cfg(test)]
mod tests;
