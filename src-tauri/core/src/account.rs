//! An account's settings: the grant with its settings (named as in OAuth: `token_url`,
//! `client_id`, `client_secret`, `scope`, ...), the written settings and the secrets kept
//! apart (the store keeps the first in plain JSON, the vault seals the second), and the
//! scheduling policy. Profiles (TOML files of accounts) are read in [`crate::profile`].

use crate::grant::GrantConfig;
use crate::secret::Secret;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
pub struct AccountConfig {
    /// Unique; what `tokentray token NAME` takes.
    pub name: String,
    pub grant: GrantConfig,
    /// The settings as written, without the secrets (JSON, `grant` included): what the store
    /// keeps in plain text.
    pub settings: Map<String, Value>,
    /// The secret settings by name: what the vault seals.
    pub secrets: BTreeMap<String, Secret>,
    /// How the scheduler treats the account (settings beside the grant's own).
    pub policy: Policy,
}

/// Per-account scheduling settings, written beside the grant's: `refresh_margin_secs` and
/// `warn_before_secs` (thresholds for tokens that cannot renew themselves) override the app's
/// settings ([`crate::settings::Settings`]) when given; `on_refresh = ["cmd", "arg"]` is a
/// command run after each refresh with the new token's metadata (never the token) in its
/// environment.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    #[serde(default, rename = "refresh_margin_secs")]
    pub margin_secs: Option<u64>,
    #[serde(default)]
    pub warn_before_secs: Option<Vec<u64>>,
    #[serde(default)]
    pub on_refresh: Option<Vec<String>>,
    /// A command run for what deserves a person's attention (warnings, failures, refusals),
    /// with the event's metadata in its environment: a server's notifications.
    #[serde(default)]
    pub on_event: Option<Vec<String>>,
    /// Seconds a token lives when the server states no lifetime and it is no JWT with `exp`
    /// (default [`crate::timing::DEFAULT_LIFETIME`]).
    #[serde(default)]
    pub default_expires_in: Option<u64>,
    /// Git remotes the account answers for as a git credential helper ([`crate::tools`]).
    #[serde(default)]
    pub git_hosts: Option<Vec<String>>,
    /// Container registries it answers for as a Docker credential helper.
    #[serde(default)]
    pub registry_hosts: Option<Vec<String>>,
    /// The username git and Docker send with the token (else the host's convention).
    #[serde(default)]
    pub helper_username: Option<String>,
    /// The variable `tokentray env` sets (else `TOKENTRAY_<NAME>`).
    #[serde(default)]
    pub env_name: Option<String>,
    /// The programs the token is lent to (a name matches the program's file name, a path
    /// matches exactly); none: any program of this user.
    #[serde(default)]
    pub lend_to: Option<Vec<String>>,
    /// A program's first use asks the person (else the app's setting).
    #[serde(default)]
    pub confirm: Option<bool>,
    /// What kubectl is handed: `id_token` (the default when the account holds one: what an
    /// API server with `--oidc-issuer-url` checks) or `access_token`.
    #[serde(default)]
    pub kubectl_token: Option<String>,
    /// The AWS role `tokentray aws-credential` assumes with the account's login.
    #[serde(default)]
    pub aws_role_arn: Option<String>,
    /// Where (else STS's global endpoint).
    #[serde(default)]
    pub aws_sts_url: Option<String>,
    /// What git, Docker, kubectl and `tokentray env` are handed: a token narrowed to these
    /// ([`crate::narrow`]; else the account's own), as `tokentray token --scope` asks.
    #[serde(default)]
    pub helper_scope: Option<String>,
    #[serde(default)]
    pub helper_audience: Option<String>,
    #[serde(default)]
    pub helper_resource: Option<String>,
    /// `token_exchange`: a narrower token is the account's own traded (RFC 8693), rather than
    /// asked with its refresh token or a new request of its grant.
    #[serde(default)]
    pub narrow_by: Option<String>,
}

pub const POLICY_KEYS: &[&str] = &[
    "refresh_margin_secs",
    "warn_before_secs",
    "on_refresh",
    "on_event",
    "default_expires_in",
    "git_hosts",
    "registry_hosts",
    "helper_username",
    "env_name",
    "lend_to",
    "confirm",
    "kubectl_token",
    "aws_role_arn",
    "aws_sts_url",
    "helper_scope",
    "helper_audience",
    "helper_resource",
    "narrow_by",
];

impl Policy {
    /// What the tools' helpers are handed ([`Policy::helper_scope`]).
    pub fn for_helpers(&self) -> crate::narrow::Narrower {
        crate::narrow::Narrower {
            scope: self.helper_scope.clone(),
            audience: self.helper_audience.clone(),
            resource: self.helper_resource.clone(),
        }
    }

    /// Every setting within its range, and the credential-helper settings
    /// ([`crate::tools`]) as a tool will read them.
    fn check(&self) -> std::result::Result<(), String> {
        use crate::limits::{seconds, thresholds, MAX_LIFETIME_SECS, MAX_MARGIN_SECS};
        if let Some(secs) = self.margin_secs {
            seconds("refresh_margin_secs", secs, 0, MAX_MARGIN_SECS)?;
        }
        if let Some(secs) = self.default_expires_in {
            seconds("default_expires_in", secs, 1, MAX_LIFETIME_SECS)?;
        }
        if let Some(values) = &self.warn_before_secs {
            thresholds("warn_before_secs", values)?;
        }
        for (key, patterns) in [
            ("git_hosts", &self.git_hosts),
            ("registry_hosts", &self.registry_hosts),
        ] {
            for pattern in patterns.iter().flatten() {
                check_pattern(key, pattern)?;
            }
        }
        if let Some(name) = &self.env_name {
            check_env_name(name)?;
        }
        if let Some(kind) = self.kubectl_token.as_deref() {
            if !["id_token", "access_token"].contains(&kind) {
                return Err(format!(
                    "kubectl_token is {}: id_token or access_token",
                    crate::text::quoted(kind, 40)
                ));
            }
        }
        if let Some(arn) = &self.aws_role_arn {
            let role = crate::aws::RoleRequest {
                role_arn: arn.clone(),
                sts_url: self.aws_sts_url.clone(),
                duration_secs: None,
                session_name: None,
            };
            role.check()?;
        }
        self.for_helpers()
            .check()
            .map_err(|e| format!("helper_{e}"))?;
        if let Some(way) = self.narrow_by.as_deref() {
            if way != "token_exchange" {
                return Err(format!(
                    "narrow_by is {}: token_exchange, or leave it out",
                    crate::text::quoted(way, 40)
                ));
            }
        }
        for program in self.lend_to.iter().flatten() {
            if program.trim().is_empty()
                || program.chars().any(char::is_control)
                || program.chars().count() > 4096
            {
                return Err(format!(
                    "lend_to: {} is not a program's name or path",
                    crate::text::quoted(program, 60)
                ));
            }
        }
        // Git's protocol is lines of key=value: a line break would forge another key.
        if self
            .helper_username
            .as_ref()
            .is_some_and(|u| u.is_empty() || u.chars().any(char::is_control))
        {
            return Err("helper_username must be a non-empty name on one line".into());
        }
        Ok(())
    }
}

/// A host pattern of `git_hosts` or `registry_hosts` ([`crate::tools`] matches them): refused
/// when it could never match or would match too much.
pub fn check_pattern(key: &str, pattern: &str) -> Result<(), String> {
    let (_, rest) = pattern.split_once("://").unwrap_or(("", pattern));
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty()
        || host == "*"
        || pattern.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(format!(
            "{key}: {pattern:?} is not a host pattern like \"github.com\" or \"gitlab.example.com/group/*\""
        ));
    }
    Ok(())
}

/// A name a shell accepts as a variable.
pub fn check_env_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    match first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        true => Ok(()),
        false => Err(format!(
            "env_name: {name:?} is not a variable name (letters, digits and _, not first a digit)"
        )),
    }
}

impl AccountConfig {
    /// An account from its stored parts: non-secret settings and opened secrets.
    pub fn from_parts(
        name: String,
        settings: Map<String, Value>,
        secrets: BTreeMap<String, Secret>,
    ) -> std::result::Result<AccountConfig, String> {
        let mut all = settings.clone();
        for (key, secret) in &secrets {
            all.insert(key.clone(), Value::String(secret.expose().to_string()));
        }
        let policy: Map<String, Value> = POLICY_KEYS
            .iter()
            .filter_map(|k| all.remove(*k).map(|v| (k.to_string(), v)))
            .collect();
        let policy: Policy =
            serde_json::from_value(Value::Object(policy)).map_err(|e| e.to_string())?;
        for (key, command) in [
            ("on_refresh", &policy.on_refresh),
            ("on_event", &policy.on_event),
        ] {
            if command
                .as_ref()
                .is_some_and(|c| c.first().is_none_or(String::is_empty))
            {
                return Err(format!(
                    "{key} must name a program: {key} = [\"notify-send\", \"Tokentray\"]"
                ));
            }
        }
        policy.check()?;
        let grant: GrantConfig =
            serde_json::from_value(Value::Object(all)).map_err(|e| e.to_string())?;
        grant.check().map_err(|m| format!("{name}: {m}"))?;
        Ok(AccountConfig {
            name,
            grant,
            settings,
            secrets,
            policy,
        })
    }

    /// Splits written settings (a JSON object with `name` removed) into the two parts.
    pub fn from_written(
        name: String,
        mut all: Map<String, Value>,
    ) -> std::result::Result<AccountConfig, String> {
        let mut secrets = BTreeMap::new();
        for key in crate::schema::secret_keys() {
            match all.remove(key) {
                Some(Value::String(s)) => {
                    secrets.insert(key.to_string(), Secret::new(s));
                }
                Some(_) => return Err(format!("{key} must be a string")),
                None => {}
            }
        }
        AccountConfig::from_parts(name, all, secrets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names_are_what_a_shell_takes() {
        assert!(check_env_name("GITHUB_TOKEN").is_ok());
        assert!(check_env_name("9LIVES").is_err());
        assert!(check_env_name("A B").is_err());
        assert!(check_env_name("").is_err());
    }

    #[test]
    fn patterns_that_match_everything_or_nothing_are_refused() {
        assert!(check_pattern("git_hosts", "github.com").is_ok());
        assert!(check_pattern("git_hosts", "*").is_err());
        assert!(check_pattern("git_hosts", "").is_err());
        assert!(check_pattern("git_hosts", "a b").is_err());
        assert!(check_pattern("git_hosts", "https:///x").is_err());
    }
}
