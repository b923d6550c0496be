//! Accounts and their grant settings, as read from a profile: a TOML file of `[[account]]`
//! tables named as in OAuth (`token_url`, `client_id`, `client_secret`, `scope`, ...). A
//! secret may be given inline, or as `client_secret_env = "VAR"` / `client_secret_file = "PATH"`
//! so that the file itself holds none.

use crate::error::{Error, Result};
use crate::http::check_endpoint;
use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use url::Url;

/// A set of accounts, as written in a profile file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    #[serde(default)]
    pub account: Vec<AccountConfig>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AccountConfig {
    /// Unique; what `tokentray token NAME` takes.
    pub name: String,
    #[serde(flatten)]
    pub grant: GrantConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "grant", rename_all = "snake_case")]
pub enum GrantConfig {
    ClientCredentials(ClientCredentials),
}

impl GrantConfig {
    /// The grant's name as written in a profile and shown in the UI.
    pub fn kind(&self) -> &'static str {
        match self {
            GrantConfig::ClientCredentials(_) => "client_credentials",
        }
    }
}

/// OAuth 2.0 client credentials (RFC 6749 §4.4).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientCredentials {
    pub token_url: Url,
    pub client_id: String,
    #[serde(flatten)]
    pub client_secret: ClientSecret,
    /// Space-separated scopes to request.
    pub scope: Option<String>,
    /// RFC 8707 resource indicator.
    pub resource: Option<String>,
    /// Some servers name the API by `audience` instead (Auth0 and others).
    pub audience: Option<String>,
    #[serde(default)]
    pub auth_method: AuthMethod,
}

/// How the client authenticates at the token endpoint (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    #[default]
    ClientSecretBasic,
    ClientSecretPost,
}

/// A client secret given inline, by environment variable or by file, resolved when read.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "SecretSource")]
pub struct ClientSecret(pub Secret);

#[derive(Deserialize)]
struct SecretSource {
    client_secret: Option<Secret>,
    client_secret_env: Option<String>,
    client_secret_file: Option<PathBuf>,
}

impl TryFrom<SecretSource> for ClientSecret {
    type Error = String;

    fn try_from(src: SecretSource) -> Result<Self, String> {
        match (
            src.client_secret,
            src.client_secret_env,
            src.client_secret_file,
        ) {
            (Some(s), None, None) => Ok(ClientSecret(s)),
            (None, Some(var), None) => std::env::var(&var)
                .map(|v| ClientSecret(Secret::new(v)))
                .map_err(|_| format!("client_secret_env names {var}, which is not set")),
            (None, None, Some(path)) => std::fs::read_to_string(&path)
                .map(|v| ClientSecret(Secret::new(v.trim_end_matches(['\r', '\n']))))
                .map_err(|e| format!("client_secret_file {}: {e}", path.display())),
            (None, None, None) => {
                Err("missing client_secret (or client_secret_env / client_secret_file)".to_string())
            }
            _ => Err(
                "give only one of client_secret, client_secret_env, client_secret_file".to_string(),
            ),
        }
    }
}

impl Profile {
    /// Reads and checks a profile file. Errors name the line.
    pub fn load(path: &Path) -> Result<Profile> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::InvalidConfig(format!("cannot read {}: {e}", path.display())))?;
        Profile::parse(&text).map_err(|e| match e {
            Error::InvalidConfig(m) => Error::InvalidConfig(format!("{}: {m}", path.display())),
            other => other,
        })
    }

    pub fn parse(text: &str) -> Result<Profile> {
        let profile: Profile = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| text[..s.start].lines().count().max(1));
            let message = e.message().trim_end().to_string();
            Error::InvalidConfig(match line {
                Some(line) => format!("line {line}: {message}"),
                None => message,
            })
        })?;
        profile.check()?;
        Ok(profile)
    }

    fn check(&self) -> Result<()> {
        let mut seen = HashSet::new();
        for account in &self.account {
            if account.name.trim().is_empty() {
                return Err(Error::InvalidConfig("an account has an empty name".into()));
            }
            if !seen.insert(account.name.as_str()) {
                return Err(Error::InvalidConfig(format!(
                    "two accounts are named {:?}",
                    account.name
                )));
            }
            match &account.grant {
                GrantConfig::ClientCredentials(cc) => check_endpoint(&cc.token_url)
                    .map_err(|e| Error::InvalidConfig(format!("{}: {e}", account.name)))?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn reads_a_client_credentials_account() {
        let p = Profile::parse(ONE).unwrap();
        let GrantConfig::ClientCredentials(cc) = &p.account[0].grant;
        assert_eq!(p.account[0].name, "ci");
        assert_eq!(cc.client_id, "abc");
        assert_eq!(cc.client_secret.0.expose(), "s3cret-value");
        assert_eq!(cc.auth_method, AuthMethod::ClientSecretPost);
        assert!(!format!("{p:?}").contains("s3cret"));
    }

    #[test]
    fn secret_from_environment() {
        std::env::set_var("TOKENTRAY_TEST_SECRET_FROM_ENV", "from-env");
        let text = ONE.replace(
            "client_secret = \"s3cret-value\"",
            "client_secret_env = \"TOKENTRAY_TEST_SECRET_FROM_ENV\"",
        );
        let p = Profile::parse(&text).unwrap();
        let GrantConfig::ClientCredentials(cc) = &p.account[0].grant;
        assert_eq!(cc.client_secret.0.expose(), "from-env");
    }

    #[test]
    fn errors_name_the_problem_and_line() {
        let err = Profile::parse(&ONE.replace("https://idp", "http://idp")).unwrap_err();
        assert_eq!(err.code(), "invalid_config");
        assert!(err.to_string().contains("https"), "{err}");

        let err = Profile::parse(&ONE.replace("client_id = \"abc\"\n", "")).unwrap_err();
        assert!(err.to_string().contains("client_id"), "{err}");

        let twice = format!("{ONE}{ONE}");
        assert!(Profile::parse(&twice)
            .unwrap_err()
            .to_string()
            .contains("two accounts"));

        let err = Profile::parse("[[account]]\nname = 3\n").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }
}
