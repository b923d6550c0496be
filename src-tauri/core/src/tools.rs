//! Tools that ask for tokens through their own credential-helper protocols — kubectl's exec
//! plugins, git's credential helpers, Docker's credential helpers, a shell's `eval` — as far
//! as the engine is concerned: which account answers a tool's request ([`Wanted`]), under
//! which username and variable name, and the setups a person pastes ("Use with…",
//! [`snippets`]). The protocols' own wire formats are the CLI's (`cli/src/helpers.rs`).
//!
//! An account says what it answers for: `git_hosts = ["github.com",
//! "gitlab.example.com/group/*"]`, `registry_hosts = ["ghcr.io"]`. A pattern is
//! `[scheme://]host[:port][/path]`, where `*` stands for any run of characters (a host may
//! start with `*.`). Without a scheme it matches `https`, and `http` only on this machine
//! (127.0.0.0/8, ::1, localhost): a token is never lent to a remote plain-http server unless
//! the pattern names `http://` itself. When several accounts match, the longest pattern
//! wins, then the first name.

use crate::account::Policy;
use serde::{Deserialize, Serialize};

/// What a tool asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Wanted {
    /// An account by name (`kubectl-credential NAME`, `env NAME`).
    Account { name: String },
    /// A git remote as git describes it (gitcredentials(7)); `path` only when git sends it
    /// (`credential.useHttpPath`).
    Git {
        protocol: String,
        host: String,
        #[serde(default)]
        path: Option<String>,
    },
    /// A container registry as Docker names it: `ghcr.io`, `https://index.docker.io/v1/`.
    Registry { server: String },
}

/// A token lent to a tool, with what the tool needs beside it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Lent {
    pub account: String,
    /// The access token: crosses the socket to its owner only.
    pub token: crate::api::SecretText,
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// What git or Docker sends as the username (none for a named account).
    pub username: Option<String>,
    /// The variable `tokentray env` sets.
    pub env_name: String,
}

/// One "Use with…" setup for the window: what it is for and the text to copy.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snippet {
    pub tool: String,
    pub label: String,
    pub text: String,
}

/// The username Docker sends when the account names none (Google's registries require it;
/// others take any name with a token).
pub const REGISTRY_USERNAME: &str = "oauth2accesstoken";

impl Wanted {
    /// How good a match the account is for this request: `None` if it does not answer it,
    /// else the matching pattern's length (the longest wins).
    pub fn fit(&self, name: &str, policy: &Policy) -> Option<usize> {
        match self {
            Wanted::Account { name: wanted } => (wanted == name).then_some(usize::MAX),
            Wanted::Git {
                protocol,
                host,
                path,
            } => best(policy.git_hosts.as_deref(), protocol, host, path.as_deref()),
            Wanted::Registry { server } => {
                let (protocol, host) = registry(server);
                best(policy.registry_hosts.as_deref(), protocol, host, None)
            }
        }
    }

    /// The username the tool sends beside the token: the account's `helper_username`, else the
    /// convention of the host (GitHub `x-access-token`, other forges `oauth2`, registries
    /// [`REGISTRY_USERNAME`]).
    pub fn username(&self, policy: &Policy) -> Option<String> {
        let default = match self {
            Wanted::Account { .. } => return None,
            Wanted::Git { host, .. } if host.to_ascii_lowercase().contains("github") => {
                "x-access-token"
            }
            Wanted::Git { .. } => "oauth2",
            Wanted::Registry { .. } => REGISTRY_USERNAME,
        };
        Some(
            policy
                .helper_username
                .clone()
                .unwrap_or_else(|| default.into()),
        )
    }

    /// In words, for "no account answers …".
    pub fn describe(&self) -> String {
        match self {
            Wanted::Account { name } => format!("account {name:?}"),
            Wanted::Git {
                protocol,
                host,
                path,
            } => format!(
                "git {protocol}://{host}/{}",
                path.as_deref().unwrap_or_default()
            ),
            Wanted::Registry { server } => format!("registry {server}"),
        }
    }

    /// What the person can do when no account answers.
    pub fn hint(&self) -> &'static str {
        match self {
            Wanted::Account { .. } => "",
            Wanted::Git { path: None, .. } => "; add the host to an account's git_hosts (a pattern with a path needs `git config credential.useHttpPath true`)",
            Wanted::Git { .. } => "; add the host (or host/path/*) to an account's git_hosts",
            Wanted::Registry { .. } => "; add the registry to an account's registry_hosts",
        }
    }
}

/// The variable an account's token goes in: `env_name`, else `TOKENTRAY_<NAME>` with the
/// name upper-cased and anything but letters and digits made `_`.
pub fn env_name(name: &str, policy: &Policy) -> String {
    policy.env_name.clone().unwrap_or_else(|| {
        let upper: String = name
            .chars()
            .map(|c| match c.is_ascii_alphanumeric() {
                true => c.to_ascii_uppercase(),
                false => '_',
            })
            .collect();
        format!("TOKENTRAY_{upper}")
    })
}

/// Docker's server name → (scheme, host[:port]): `https://index.docker.io/v1/` →
/// (`https`, `index.docker.io`); with no scheme, `https`.
fn registry(server: &str) -> (&str, &str) {
    let (scheme, rest) = server.split_once("://").unwrap_or(("https", server));
    (scheme, rest.split('/').next().unwrap_or_default())
}

fn best(
    patterns: Option<&[String]>,
    protocol: &str,
    host: &str,
    path: Option<&str>,
) -> Option<usize> {
    patterns?
        .iter()
        .filter(|p| matches(p, protocol, host, path))
        .map(String::len)
        .max()
}

/// Whether `pattern` covers a request for `protocol://host/path`.
pub fn matches(pattern: &str, protocol: &str, host: &str, path: Option<&str>) -> bool {
    let (scheme, rest) = match pattern.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, pattern),
    };
    let (host_pattern, path_pattern) = match rest.split_once('/') {
        Some((h, p)) => (h, Some(p)),
        None => (rest, None),
    };
    let protocol = protocol.to_ascii_lowercase();
    let scheme_ok = match scheme {
        Some(s) => s.eq_ignore_ascii_case(&protocol),
        None => protocol == "https" || (protocol == "http" && is_loopback(host)),
    };
    let host_ok = glob(
        &host_pattern.to_ascii_lowercase(),
        &host.to_ascii_lowercase(),
    );
    let path_ok = match (path_pattern, path) {
        (None, _) | (Some(""), _) => true,
        (Some(p), Some(path)) => glob(p, path.trim_start_matches('/')),
        (Some(_), None) => false,
    };
    scheme_ok && host_ok && path_ok
}

/// `host[:port]` on this machine.
fn is_loopback(host: &str) -> bool {
    let bare = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `*` matches any run of characters (`/` included); everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    let Some((first, rest)) = pattern.split_once('*') else {
        return pattern == text;
    };
    let Some(mut text) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = rest.split('*').collect();
    let (last, middle) = parts.split_last().expect("split yields one part at least");
    for part in middle {
        match text.find(part) {
            Some(at) => text = &text[at + part.len()..],
            None => return false,
        }
    }
    text.len() >= last.len() && text.ends_with(last)
}

/// The kubeconfig `users:` entry that runs `command kubectl-credential NAME`, and when a
/// server is given the cluster and context around it, so that the text works on its own
/// (`KUBECONFIG=file kubectl …`) or merged (`KUBECONFIG=a:b kubectl config view --flatten`).
/// `ca` is the PEM of the certificate authority that signed the server's certificate.
pub fn kubeconfig(name: &str, command: &str, cluster: Option<(&str, Option<&[u8]>)>) -> String {
    let q = |s: &str| serde_json::to_string(s).expect("a string");
    let user = format!("tokentray-{name}");
    // What kubectl is handed (the plugin's answer decides; this says so to whoever reads it).
    let users = format!(
        "# kubectl is handed the account's ID token when it holds one (what an API server with\n# --oidc-issuer-url checks), else its access token; kubectl_token = \"access_token\" switches.\nusers:\n- name: {user}\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {command}\n      args: [kubectl-credential, {name}]\n      interactiveMode: Never\n      provideClusterInfo: false\n",
        user = q(&user),
        command = q(command),
        name = q(name),
    );
    let Some((server, ca_data)) = cluster else {
        return users;
    };
    let ca = match ca_data {
        Some(pem) => {
            use base64::Engine;
            let data = base64::engine::general_purpose::STANDARD.encode(pem);
            format!("    certificate-authority-data: {data}\n")
        }
        None => String::new(),
    };
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: {user}\n  cluster:\n    server: {server}\n{ca}contexts:\n- name: {user}\n  context:\n    cluster: {user}\n    user: {user}\ncurrent-context: {user}\n{users}",
        user = q(&user),
        server = q(server),
    )
}

/// The setups a person pastes to use the account with each tool, for the window.
pub fn snippets(name: &str, policy: &Policy) -> Vec<Snippet> {
    let snippet = |tool: &str, label: &str, text: String| Snippet {
        tool: tool.into(),
        label: label.into(),
        text,
    };
    let shell_word = |s: &str| match s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        true => s.to_string(),
        false => format!("'{}'", s.replace('\'', r"'\''")),
    };
    let mut all = vec![
        snippet(
            "shell",
            "Your shell (bash, zsh; fish with --shell fish)",
            format!("eval \"$(tokentray env {})\"", shell_word(name)),
        ),
        snippet(
            "kubectl",
            "kubectl (the users: entry of a kubeconfig)",
            kubeconfig(name, "tokentray", None),
        ),
    ];
    let git: Vec<String> = policy
        .git_hosts
        .iter()
        .flatten()
        .flat_map(|pattern| {
            let (scheme, rest) = pattern.split_once("://").unwrap_or(("https", pattern));
            let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
            let url = format!("{scheme}://{host}");
            let mut lines = vec![format!(
                "git config --global credential.{url}.helper '!tokentray git-credential'"
            )];
            if !path.is_empty() {
                lines.push(format!(
                    "git config --global credential.{url}.useHttpPath true"
                ));
            }
            lines
        })
        .collect();
    if !git.is_empty() {
        all.push(snippet("git", "git (once, in a terminal)", git.join("\n")));
    }
    let registries: Vec<String> = policy
        .registry_hosts
        .iter()
        .flatten()
        .map(|host| {
            format!(
                "    {}: \"tokentray\"",
                serde_json::to_string(host).expect("a string")
            )
        })
        .collect();
    if !registries.is_empty() {
        all.push(snippet(
            "docker",
            "Docker (in ~/.docker/config.json; needs docker-credential-tokentray on PATH)",
            format!(
                "{{\n  \"credHelpers\": {{\n{}\n  }}\n}}",
                registries.join(",\n")
            ),
        ));
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(git: &[&str], registries: &[&str]) -> Policy {
        Policy {
            git_hosts: Some(git.iter().map(|s| s.to_string()).collect()),
            registry_hosts: Some(registries.iter().map(|s| s.to_string()).collect()),
            ..Policy::default()
        }
    }

    fn git(protocol: &str, host: &str, path: Option<&str>) -> Wanted {
        Wanted::Git {
            protocol: protocol.into(),
            host: host.into(),
            path: path.map(String::from),
        }
    }

    #[test]
    fn git_hosts_match_by_scheme_host_and_path() {
        let p = policy(
            &["github.com", "gitlab.example.com/group/*", "*.corp.test"],
            &[],
        );
        assert!(git("https", "github.com", None).fit("a", &p).is_some());
        assert!(git("https", "GitHub.com", Some("me/repo.git"))
            .fit("a", &p)
            .is_some());
        // No token for a remote server over plain http, nor for a look-alike host.
        assert!(git("http", "github.com", None).fit("a", &p).is_none());
        assert!(git("https", "github.com.evil.test", None)
            .fit("a", &p)
            .is_none());
        assert!(
            git("https", "gitlab.example.com", Some("group/sub/repo.git"))
                .fit("a", &p)
                .is_some()
        );
        assert!(git("https", "gitlab.example.com", Some("other/repo.git"))
            .fit("a", &p)
            .is_none());
        // A path pattern needs the path (git sends it only with credential.useHttpPath).
        assert!(git("https", "gitlab.example.com", None)
            .fit("a", &p)
            .is_none());
        assert!(git("https", "git.corp.test", None).fit("a", &p).is_some());
        assert!(git("https", "corp.test", None).fit("a", &p).is_none());
    }

    #[test]
    fn plain_http_only_on_this_machine_unless_the_pattern_says_http() {
        let p = policy(&["127.0.0.1:8080", "localhost"], &[]);
        assert!(git("http", "127.0.0.1:8080", None).fit("a", &p).is_some());
        assert!(git("http", "localhost", None).fit("a", &p).is_some());
        assert!(git("http", "127.0.0.1:9090", None).fit("a", &p).is_none());
        let p = policy(&["http://git.lan"], &[]);
        assert!(git("http", "git.lan", None).fit("a", &p).is_some());
        assert!(git("https", "git.lan", None).fit("a", &p).is_none());
    }

    #[test]
    fn the_longest_pattern_is_the_best_fit() {
        let broad = policy(&["gitlab.example.com"], &[]);
        let narrow = policy(&["gitlab.example.com/group/*"], &[]);
        let want = git("https", "gitlab.example.com", Some("group/repo.git"));
        assert!(want.fit("b", &narrow) > want.fit("a", &broad));
    }

    #[test]
    fn registries_match_as_docker_names_them() {
        let p = policy(&[], &["ghcr.io", "index.docker.io", "127.0.0.1:5000"]);
        let reg = |s: &str| Wanted::Registry { server: s.into() };
        assert!(reg("ghcr.io").fit("a", &p).is_some());
        assert!(reg("https://ghcr.io").fit("a", &p).is_some());
        assert!(reg("https://index.docker.io/v1/").fit("a", &p).is_some());
        assert!(reg("127.0.0.1:5000").fit("a", &p).is_some());
        assert!(reg("quay.io").fit("a", &p).is_none());
    }

    #[test]
    fn usernames_follow_the_hosts_convention_unless_the_account_names_one() {
        let p = Policy::default();
        assert_eq!(
            git("https", "github.com", None).username(&p).unwrap(),
            "x-access-token"
        );
        assert_eq!(
            git("https", "gitlab.com", None).username(&p).unwrap(),
            "oauth2"
        );
        let reg = Wanted::Registry {
            server: "ghcr.io".into(),
        };
        assert_eq!(reg.username(&p).unwrap(), REGISTRY_USERNAME);
        let named = Policy {
            helper_username: Some("bot".into()),
            ..p
        };
        assert_eq!(
            git("https", "github.com", None).username(&named).unwrap(),
            "bot"
        );
        assert_eq!(Wanted::Account { name: "a".into() }.username(&named), None);
    }

    #[test]
    fn env_names_default_from_the_account_name() {
        assert_eq!(
            env_name("my-api.prod", &Policy::default()),
            "TOKENTRAY_MY_API_PROD"
        );
        let p = Policy {
            env_name: Some("GITHUB_TOKEN".into()),
            ..Policy::default()
        };
        assert_eq!(env_name("gh", &p), "GITHUB_TOKEN");
    }

    #[test]
    fn globs() {
        assert!(glob("a*c", "abbbc"));
        assert!(glob("*", ""));
        assert!(glob("g/*", "g/x/y.git"));
        assert!(!glob("g/*", "h/x"));
        assert!(!glob("a*b*c", "acb"));
        assert!(glob("*.x.test", "a.b.x.test"));
        assert!(!glob("ab*ba", "aba"));
    }

    #[test]
    fn snippets_name_the_account_and_its_hosts() {
        let p = policy(&["github.com", "gitlab.example.com/group/*"], &["ghcr.io"]);
        let all = snippets("it's", &p);
        let text = |tool: &str| all.iter().find(|s| s.tool == tool).unwrap().text.clone();
        assert_eq!(text("shell"), r#"eval "$(tokentray env 'it'\''s')""#);
        assert!(text("kubectl").contains(r#"args: [kubectl-credential, "it's"]"#));
        assert!(text("git")
            .contains("credential.https://github.com.helper '!tokentray git-credential'"));
        assert!(text("git").contains("credential.https://gitlab.example.com.useHttpPath true"));
        assert!(text("docker").contains(r#""ghcr.io": "tokentray""#));
        assert!(snippets("a", &Policy::default())
            .iter()
            .all(|s| s.tool != "git" && s.tool != "docker"));
    }
}
