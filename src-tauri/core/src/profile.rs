//! Profiles: TOML files of `[[account]]` tables (`profile.toml`, `tokentray import`), read
//! and checked whole, with errors that name the line. Any secret may be given inline, or as
//! `<name>_env = "VAR"` / `<name>_file = "PATH"` so that the file itself holds none
//! (`client_secret_env`, `refresh_token_file`, `password_env`, ...).

use crate::account::AccountConfig;
use crate::error::{Error, Result};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// A set of accounts, as written in a profile file.
#[derive(Debug, Clone, Default)]
pub struct Profile {
    pub account: Vec<AccountConfig>,
}

impl Profile {
    /// Reads and checks a profile file. Errors name the file and the line.
    pub fn load(path: &Path) -> Result<Profile> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::InvalidConfig(format!("cannot read {}: {e}", path.display())))?;
        Profile::parse(&text).map_err(|e| match e {
            Error::InvalidConfig(m) => Error::InvalidConfig(format!("{}: {m}", path.display())),
            other => other,
        })
    }

    pub fn parse(text: &str) -> Result<Profile> {
        let mut doc: toml::Table = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start));
            let message = e.message().trim_end().to_string();
            Error::InvalidConfig(match line {
                Some(line) => format!("line {line}: {message}"),
                None => message,
            })
        })?;
        if let Some(key) = doc
            .keys()
            .find(|k| !["account", "on_event"].contains(&k.as_str()))
        {
            return Err(Error::InvalidConfig(format!(
                "unknown top-level key {key:?}; accounts go in [[account]] tables"
            )));
        }
        // `on_event` at the top: the default for the profile's accounts (a daemon's way to
        // forward every warning to chat or mail).
        let on_event = doc.remove("on_event");
        let tables = match doc.remove("account") {
            None => vec![],
            Some(toml::Value::Array(items)) => items,
            Some(_) => {
                return Err(Error::InvalidConfig(
                    "`account` must be [[account]] tables".into(),
                ))
            }
        };
        // Per-table errors carry the line of the table's `[[account]]` header.
        let headers: Vec<usize> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| l.trim_start().starts_with("[[account]]"))
            .map(|(i, _)| i + 1)
            .collect();
        let mut account = Vec::with_capacity(tables.len());
        for (i, table) in tables.into_iter().enumerate() {
            let at = |m: String| match headers.get(i) {
                Some(line) => {
                    Error::InvalidConfig(format!("line {line} (account #{}): {m}", i + 1))
                }
                None => Error::InvalidConfig(format!("account #{}: {m}", i + 1)),
            };
            let toml::Value::Table(mut table) = table else {
                return Err(at("not a table".into()));
            };
            resolve_indirect_secrets(&mut table).map_err(at)?;
            if let Some(command) = &on_event {
                table.entry("on_event").or_insert_with(|| command.clone());
            }
            let name = match table.remove("name") {
                Some(toml::Value::String(name)) => name,
                Some(_) => return Err(at("name must be a string".into())),
                None => return Err(at("missing name".into())),
            };
            crate::text::check_name(&name).map_err(at)?;
            let Value::Object(settings) = toml_to_json(toml::Value::Table(table)) else {
                unreachable!("a table converts to an object")
            };
            let config = AccountConfig::from_written(name, settings).map_err(at)?;
            account.push(config);
        }
        let profile = Profile { account };
        profile.check()?;
        Ok(profile)
    }

    fn check(&self) -> Result<()> {
        let mut seen = HashSet::new();
        for account in &self.account {
            crate::text::check_name(&account.name).map_err(Error::InvalidConfig)?;
            if !seen.insert(account.name.as_str()) {
                return Err(Error::InvalidConfig(format!(
                    "two accounts are named {:?}",
                    account.name
                )));
            }
        }
        // Token exchange names another account: it must exist, and the chain must end.
        let deps: HashMap<&str, &str> = self
            .account
            .iter()
            .filter_map(|a| a.grant.depends_on().map(|d| (a.name.as_str(), d)))
            .collect();
        for (&from, &to) in &deps {
            if !seen.contains(to) {
                return Err(Error::InvalidConfig(format!(
                    "{from}: subject_account {to:?} is not an account"
                )));
            }
            let mut at = to;
            for _ in 0..=deps.len() {
                if at == from {
                    return Err(Error::InvalidConfig(format!(
                        "{from}: subject_account leads back to itself"
                    )));
                }
                match deps.get(at) {
                    Some(next) => at = next,
                    None => break,
                }
            }
        }
        Ok(())
    }
}

/// TOML to JSON, with TOML's own date-times as RFC 3339 strings.
fn toml_to_json(v: toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => Value::from(f),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect())
        }
    }
}

/// Writes accounts back as TOML `[[account]]` tables (what `Profile::parse` reads), with
/// their secrets only when asked.
pub fn to_toml<'a>(
    accounts: impl IntoIterator<Item = &'a AccountConfig>,
    with_secrets: bool,
) -> Result<String> {
    let tables: Vec<Value> = accounts
        .into_iter()
        .map(|config| {
            let mut table = Map::new();
            table.insert("name".into(), Value::String(config.name.clone()));
            table.extend(config.settings.clone());
            if with_secrets {
                for (key, secret) in &config.secrets {
                    table.insert(key.clone(), Value::String(secret.expose().into()));
                }
            }
            Value::Object(table)
        })
        .collect();
    toml::to_string(&serde_json::json!({ "account": tables }))
        .map_err(|e| Error::InvalidConfig(format!("cannot write TOML: {e}")))
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// `client_secret_env = "VAR"` → `client_secret = <$VAR>`; `client_secret_file = "P"` →
/// the file's content without its final newline. Any text setting of the grant may come from
/// the environment (`client_id_env`, `token_url_env`: what a deployment keeps there); secrets
/// may also come from a file.
fn resolve_indirect_secrets(table: &mut toml::Table) -> std::result::Result<(), String> {
    use crate::schema::FieldKind;
    let grant = table.get("grant").and_then(|g| g.as_str());
    let fields: &[crate::schema::Field] = grant
        .and_then(crate::grant::GrantKind::parse)
        .map_or(&[], |k| &crate::schema::grant(k).fields);
    let mut keys: Vec<(String, bool)> = fields
        .iter()
        .filter(|f| !f.key.contains('.'))
        .filter(|f| matches!(f.kind, FieldKind::Text | FieldKind::Url | FieldKind::Secret))
        .map(|f| (f.key.clone(), f.kind == FieldKind::Secret))
        .collect();
    // Secrets of any grant, so that an unknown grant still fails on the grant, not here.
    for key in crate::schema::secret_keys() {
        if !keys.iter().any(|(k, _)| k == key) {
            keys.push((key.clone(), true));
        }
    }
    for (key, secret) in keys {
        let env_key = format!("{key}_env");
        let file_key = format!("{key}_file");
        let given = [&key, &env_key, &file_key]
            .iter()
            .filter(|k| table.contains_key(k.as_str()))
            .count();
        if given > 1 {
            return Err(format!("give only one of {key}, {env_key}, {file_key}"));
        }
        let as_text = |v: toml::Value, k: &str| match v {
            toml::Value::String(s) => Ok(s),
            _ => Err(format!("{k} must be a string")),
        };
        if let Some(var) = table.remove(&env_key) {
            let var = as_text(var, &env_key)?;
            let value = std::env::var(&var)
                .map_err(|_| format!("{env_key} names {var}, which is not set"))?;
            table.insert(key, toml::Value::String(value));
        } else if let (true, Some(path)) = (secret, table.remove(&file_key)) {
            let path = as_text(path, &file_key)?;
            if ["private_key", "tls_client_key", "service_account"].contains(&key.as_str()) {
                private_to_owner(&file_key, &path)?;
            }
            let value =
                std::fs::read_to_string(&path).map_err(|e| format!("{file_key} {path}: {e}"))?;
            table.insert(
                key,
                toml::Value::String(value.trim_end_matches(['\r', '\n']).to_string()),
            );
        }
    }
    Ok(())
}

/// A private key must be its owner's alone, as ssh insists: refused when the group or others
/// may read or write it (Windows: when its DACL lets Everyone, Users, Authenticated Users or
/// another such group read or write it; SYSTEM and Administrators may, as in every profile).
fn private_to_owner(key: &str, path: &str) -> std::result::Result<(), String> {
    #[cfg(not(any(unix, windows)))]
    let _ = (key, path);
    #[cfg(windows)]
    {
        let others = crate::windows_os::others_let_in(std::path::Path::new(path))
            .map_err(|e| format!("{key} {path}: {e}"))?;
        if !others.is_empty() {
            return Err(format!(
                "{key} {path} can be read by others ({}); a private key must be yours alone: icacls \"{path}\" /inheritance:r /grant:r \"%USERNAME%:F\"",
                others.join(", ")
            ));
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| format!("{key} {path}: {e}"))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(format!(
                "{key} {path} can be read by others (mode {:o}); a private key must be yours alone: chmod 600 {path}",
                mode & 0o777
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grant::client_auth::AuthMethod;
    use crate::grant::GrantConfig;

    const ONE: &str = r#"
[[account]]
name = "ci"
grant = "client_credentials"
token_url = "https://idp.example.com/token"
client_id = "abc"
client_secret = "s3cret-value"
scope = "api:read"
auth_method = "client_secret_post"
"#;

    fn cc(p: &Profile) -> &crate::grant::client_credentials::Config {
        match &p.account[0].grant {
            GrantConfig::ClientCredentials(c) => c,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reads_a_client_credentials_account() {
        let p = Profile::parse(ONE).unwrap();
        assert_eq!(p.account[0].name, "ci");
        assert_eq!(cc(&p).client_id, "abc");
        assert_eq!(
            cc(&p).client_secret.as_ref().unwrap().expose(),
            "s3cret-value"
        );
        assert_eq!(cc(&p).auth_method, Some(AuthMethod::ClientSecretPost));
        assert!(!format!("{p:?}").contains("s3cret"));
    }

    #[test]
    #[cfg(unix)]
    fn a_private_key_file_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let file = std::env::temp_dir().join(format!("tokentray-key-{}.pem", std::process::id()));
        std::fs::write(&file, crate::jws::SigningKey::generate().unwrap().expose()).unwrap();
        let text = ONE
            .replace("client_secret_post", "private_key_jwt")
            .replace(
                "client_secret = \"s3cret-value\"",
                &format!("private_key_file = {:?}", file.display().to_string()),
            );
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let refused = Profile::parse(&text).unwrap_err().to_string();
        assert!(
            refused.contains("can be read by others (mode 644)") && refused.contains("chmod 600"),
            "{refused}"
        );
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let key = cc(&Profile::parse(&text).unwrap())
            .private_key
            .clone()
            .unwrap();
        assert!(key.expose().starts_with("-----BEGIN PRIVATE KEY-----"));
        std::fs::remove_file(file).unwrap();
    }

    #[test]
    fn secrets_from_environment_and_file() {
        std::env::set_var("TOKENTRAY_TEST_SECRET_FROM_ENV", "from-env");
        let text = ONE.replace(
            "client_secret = \"s3cret-value\"",
            "client_secret_env = \"TOKENTRAY_TEST_SECRET_FROM_ENV\"",
        );
        assert_eq!(
            cc(&Profile::parse(&text).unwrap())
                .client_secret
                .as_ref()
                .unwrap()
                .expose(),
            "from-env"
        );

        let file = std::env::temp_dir().join(format!("tokentray-secret-{}", std::process::id()));
        std::fs::write(&file, "from-file\n").unwrap();
        let text = ONE.replace(
            "client_secret = \"s3cret-value\"",
            &format!("client_secret_file = {:?}", file.display().to_string()),
        );
        assert_eq!(
            cc(&Profile::parse(&text).unwrap())
                .client_secret
                .as_ref()
                .unwrap()
                .expose(),
            "from-file"
        );

        // Non-secret settings a deployment keeps in its environment.
        std::env::set_var("TOKENTRAY_TEST_CLIENT_ID", "from-env-id");
        let text = ONE.replace(
            "client_id = \"abc\"",
            "client_id_env = \"TOKENTRAY_TEST_CLIENT_ID\"",
        );
        assert_eq!(cc(&Profile::parse(&text).unwrap()).client_id, "from-env-id");
        let unset = ONE.replace("client_id = \"abc\"", "client_id_env = \"TT_NOT_SET_X\"");
        assert!(Profile::parse(&unset)
            .unwrap_err()
            .to_string()
            .contains("client_id_env names TT_NOT_SET_X"));

        let both = ONE.replace(
            "client_secret = \"s3cret-value\"",
            "client_secret = \"a\"\nclient_secret_env = \"B\"",
        );
        assert!(Profile::parse(&both)
            .unwrap_err()
            .to_string()
            .contains("only one of"));
    }

    #[test]
    fn errors_name_the_problem_and_line() {
        let err = Profile::parse(&ONE.replace("https://idp", "http://idp")).unwrap_err();
        assert_eq!(err.code(), "invalid_config");
        assert!(err.to_string().contains("https"), "{err}");

        let err = Profile::parse(&ONE.replace("client_id = \"abc\"\n", "")).unwrap_err();
        assert!(
            err.to_string().contains("client_id") && err.to_string().contains("line 2"),
            "{err}"
        );

        let err = Profile::parse(&ONE.replace("scope =", "scopes =")).unwrap_err();
        assert!(
            err.to_string().contains("scopes"),
            "a typo must not pass silently: {err}"
        );

        let err = Profile::parse(&ONE.replace("client_credentials", "magic")).unwrap_err();
        assert!(err.to_string().contains("magic"), "{err}");

        let twice = format!("{ONE}{ONE}");
        assert!(Profile::parse(&twice)
            .unwrap_err()
            .to_string()
            .contains("two accounts"));

        let err = Profile::parse("[[account]]\nname = \"x\"\ngrant = \"static\"\ntoken = \n")
            .unwrap_err();
        assert!(err.to_string().contains("line 4"), "{err}");
    }

    #[test]
    fn out_of_range_numbers_are_refused_naming_the_setting_and_its_range() {
        let pasted = "[[account]]\nname = \"pat\"\ngrant = \"static\"\ntoken = \"t\"\n";
        let max = i64::MAX;
        for (text, setting) in [
            (
                format!("{pasted}renew_before_secs = 99999999999999999\n"),
                "renew_before_secs",
            ),
            (
                format!("{ONE}refresh_margin_secs = {max}\n"),
                "refresh_margin_secs",
            ),
            (
                format!("{ONE}default_expires_in = {max}\n"),
                "default_expires_in",
            ),
            (
                format!("{ONE}default_expires_in = 0\n"),
                "default_expires_in",
            ),
            (
                format!("{ONE}warn_before_secs = [{max}]\n"),
                "warn_before_secs",
            ),
            (format!("{ONE}warn_before_secs = [0]\n"), "warn_before_secs"),
        ] {
            let e = Profile::parse(&text).unwrap_err().to_string();
            assert!(e.contains(setting) && e.contains(" to "), "{setting}: {e}");
        }
        let ok = format!("{ONE}refresh_margin_secs = 86400\ndefault_expires_in = 31622400\n");
        assert!(Profile::parse(&ok).is_ok());
    }

    #[test]
    fn a_top_level_on_event_is_every_accounts_default() {
        let text = format!(
            "on_event = [\"forward\", \"--to\", \"chat\"]\n{ONE}{}",
            ONE.replace("\"ci\"", "\"own\"")
                .replace("scope =", "on_event = [\"mine\"]\nscope =")
        );
        let p = Profile::parse(&text).unwrap();
        let hooks: Vec<_> = p
            .account
            .iter()
            .map(|a| a.policy.on_event.clone())
            .collect();
        assert_eq!(
            hooks,
            [
                Some(vec!["forward".into(), "--to".into(), "chat".into()]),
                Some(vec!["mine".into()])
            ]
        );
        let err = Profile::parse("colour = \"blue\"\n").unwrap_err();
        assert!(err.to_string().contains("colour"), "{err}");
    }

    #[test]
    fn token_exchange_subjects_must_exist_and_not_loop() {
        let exchange = |name: &str, subject: &str| {
            format!("[[account]]\nname = \"{name}\"\ngrant = \"token_exchange\"\ntoken_url = \"https://x/token\"\nclient_id = \"c\"\nclient_secret = \"s\"\nsubject_account = \"{subject}\"\n")
        };
        let err = Profile::parse(&exchange("a", "nobody")).unwrap_err();
        assert!(err.to_string().contains("not an account"), "{err}");
        let err =
            Profile::parse(&format!("{}{}", exchange("a", "b"), exchange("b", "a"))).unwrap_err();
        assert!(err.to_string().contains("back to itself"), "{err}");
        let ok = format!("{ONE}{}", exchange("a", "ci"));
        assert_eq!(Profile::parse(&ok).unwrap().account.len(), 2);
    }
}
