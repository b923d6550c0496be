//! Tokens where tools already ask for them, each in the tool's own credential-helper
//! protocol: kubectl's `ExecCredential`, git's credential helpers (gitcredentials(7)), Docker's
//! credential helpers (docker-credential-helpers), and `export` lines for a shell. Every one
//! asks the running engine ([`crate::engine::Engine`], no async runtime), writes its whole
//! answer at once or nothing, and when it cannot answer says so the protocol's way ("no
//! credential") with one line on stderr — never a hang, never half an answer. Which account
//! answers is the engine's choice ([`tokentray_core::tools`]).

use crate::engine::Engine;
use crate::fail;
use std::collections::BTreeMap;
use std::io::{BufRead, Read, Write};
use std::process::ExitCode;
use tokentray_core::api::calls::{Lend, Registries, Rejected};
use tokentray_core::api::SecretText;
use tokentray_core::lending::Via;
use tokentray_core::narrow::Narrower;
use tokentray_core::tools::{Lent, Wanted};
use tokentray_core::{ErrorCode, ErrorView};

mod env;
pub use env::env;

fn lend(engine: &mut Engine, want: Wanted, via: Via) -> Result<Lent, ErrorView> {
    lend_narrowed(engine, want, via, Narrower::default())
}

/// As [`lend`], narrowed (`tokentray env --scope …`).
fn lend_narrowed(
    engine: &mut Engine,
    want: Wanted,
    via: Via,
    narrow: Narrower,
) -> Result<Lent, ErrorView> {
    engine.call(&Lend {
        want,
        min_valid_secs: 0,
        via,
        narrow,
    })
}

fn bad_input(message: String) -> ErrorView {
    ErrorView {
        code: ErrorCode::BadRequest,
        message,
    }
}

/// Writes the whole answer in one go.
fn answer(text: &str) -> ExitCode {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    }
}

/// `tokentray kubectl-credential NAME`: an `ExecCredential` in the apiVersion kubectl asks
/// for (`KUBERNETES_EXEC_INFO`), `v1` when it says nothing.
pub fn kubectl(args: &[String]) -> Option<ExitCode> {
    let [name] = args else { return None };
    if name.starts_with('-') {
        return None;
    }
    let api = match exec_api_version(std::env::var("KUBERNETES_EXEC_INFO").ok().as_deref()) {
        Ok(api) => api,
        Err(e) => return Some(fail(e)),
    };
    let want = Wanted::Account { name: name.clone() };
    Some(match lend(&mut Engine::default(), want, Via::Kubectl) {
        Ok(lent) => {
            let mut status = serde_json::json!({ "token": lent.token.expose() });
            if let Some(at) = lent.expires_at {
                status["expirationTimestamp"] =
                    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true).into();
            }
            let credential = serde_json::json!({
                "apiVersion": api,
                "kind": "ExecCredential",
                "status": status,
            });
            answer(&format!("{credential}\n"))
        }
        // kubectl shows the plugin's stderr as it is: one line saying what is wrong.
        Err(e) => fail(e),
    })
}

const EXEC_APIS: &[&str] = &[
    "client.authentication.k8s.io/v1",
    "client.authentication.k8s.io/v1beta1",
];

fn exec_api_version(info: Option<&str>) -> Result<&'static str, ErrorView> {
    let Some(info) = info.filter(|i| !i.trim().is_empty()) else {
        return Ok(EXEC_APIS[0]);
    };
    let asked: serde_json::Value = serde_json::from_str(info)
        .map_err(|e| bad_input(format!("KUBERNETES_EXEC_INFO is not JSON: {e}")))?;
    let asked = asked["apiVersion"].as_str().unwrap_or(EXEC_APIS[0]);
    EXEC_APIS
        .iter()
        .copied()
        .find(|a| *a == asked)
        .ok_or_else(|| {
            bad_input(format!(
                "kubectl asks for {asked}; tokentray speaks {}",
                EXEC_APIS.join(" and ")
            ))
        })
}

/// `tokentray git-credential get|store|erase`, with git's `key=value` lines on stdin: `get`
/// answers `username`, `password` and `password_expiry_utc` from the account whose
/// `git_hosts` match; `erase` (git got a 401) refreshes that account when the refused token
/// is still its token; `store` and anything else are ignored (Tokentray is the source).
pub fn git(args: &[String]) -> Option<ExitCode> {
    let [action] = args else { return None };
    if action.starts_with('-') {
        return None;
    }
    if !matches!(action.as_str(), "get" | "erase") {
        // Read what git sends, so it never meets a closed pipe.
        let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
        return Some(ExitCode::SUCCESS);
    }
    let no_credential = |e: ErrorView| {
        eprintln!("tokentray: error[{}]: {}", e.code, e.message);
        ExitCode::SUCCESS
    };
    let input = match read_git(std::io::stdin().lock()) {
        Ok(input) => input,
        Err(e) => return Some(no_credential(e)),
    };
    let want = match git_wanted(&input) {
        Ok(want) => want,
        Err(e) => return Some(no_credential(e)),
    };
    let mut engine = Engine::default();
    if action == "erase" {
        let Some(token) = input.get("password") else {
            return Some(ExitCode::SUCCESS);
        };
        let call = Rejected {
            want,
            token: SecretText::new(token.clone()),
        };
        return Some(match engine.call(&call) {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => no_credential(e),
        });
    }
    Some(match lend(&mut engine, want, Via::Git) {
        Ok(lent) => match git_answer(&lent) {
            Ok(text) => answer(&text),
            Err(e) => no_credential(e),
        },
        // No account answers, or no engine (or one that does not answer in time): say
        // nothing, so git asks its other helpers or the person.
        Err(e)
            if matches!(
                e.code,
                ErrorCode::NotFound | ErrorCode::EngineNotRunning | ErrorCode::EngineNotResponding
            ) =>
        {
            no_credential(e)
        }
        // An account answers but has no token to give (it needs a login, say): stop git
        // from asking for a password in the terminal instead.
        Err(e) => {
            no_credential(e);
            answer("quit=1\n")
        }
    })
}

/// git's attributes up to a blank line or the end of input; a repeated key keeps the last.
fn read_git(input: impl BufRead) -> Result<BTreeMap<String, String>, ErrorView> {
    let mut attributes = BTreeMap::new();
    for line in input.lines() {
        let line = line.map_err(|e| bad_input(format!("reading git's request: {e}")))?;
        if line.is_empty() {
            break;
        }
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| bad_input(format!("git sent {line:?}, not a key=value line")))?;
        attributes.insert(key.trim_end_matches("[]").to_string(), value.to_string());
    }
    Ok(attributes)
}

/// What git asks for: `protocol` and `host` (and `path`), or a `url` holding them.
fn git_wanted(input: &BTreeMap<String, String>) -> Result<Wanted, ErrorView> {
    let (mut protocol, mut host, mut path) = (
        input.get("protocol").cloned(),
        input.get("host").cloned(),
        input.get("path").cloned(),
    );
    if let (None, Some(url)) = (&protocol, input.get("url")) {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad_input(format!("git sent url={url:?}, which names no protocol")))?;
        let (authority, rest_path) = rest.split_once('/').unwrap_or((rest, ""));
        protocol = Some(scheme.into());
        host = Some(authority.rsplit('@').next().unwrap_or_default().into());
        path = Some(rest_path.into()).filter(|p: &String| !p.is_empty());
    }
    match (protocol, host) {
        (Some(protocol), Some(host)) if !host.is_empty() => Ok(Wanted::Git {
            protocol,
            host,
            path,
        }),
        _ => Err(bad_input(
            "git sent no protocol and host (is this run by git as a credential helper?)".into(),
        )),
    }
}

fn git_answer(lent: &Lent) -> Result<String, ErrorView> {
    let username = lent.username.as_deref().unwrap_or("oauth2");
    // A line break in a value would forge another attribute.
    if [username, lent.token.expose()]
        .iter()
        .any(|v| v.contains(['\n', '\0']))
    {
        return Err(bad_input(format!(
            "the token of {} holds a line break, which git's protocol cannot carry",
            lent.account
        )));
    }
    let mut text = format!("username={username}\npassword={}\n", lent.token.expose());
    if let Some(at) = lent.expires_at {
        text += &format!("password_expiry_utc={}\n", at.timestamp());
    }
    Ok(text)
}

/// Docker's "no credential", which makes it go on without one.
const DOCKER_NOT_FOUND: &str = "credentials not found in native keychain";

/// `tokentray docker-credential get|list|store|erase` (installed as
/// `docker-credential-tokentray`): `get` reads a registry on stdin and answers `{ServerURL,
/// Username, Secret}` from the account whose `registry_hosts` match; `list` names the
/// registries; `store` and `erase` (docker login/logout) change nothing here.
pub fn docker(args: &[String]) -> Option<ExitCode> {
    let [action] = args else { return None };
    let mut input = String::new();
    if action != "list" && action != "version" {
        if let Err(e) = std::io::stdin().read_to_string(&mut input) {
            eprintln!("tokentray: reading Docker's request: {e}");
            return Some(ExitCode::FAILURE);
        }
    }
    let mut engine = Engine::default();
    Some(match action.as_str() {
        "get" => {
            let server = input.trim().to_string();
            if server.is_empty() {
                eprintln!("tokentray: Docker sent no registry");
                println!("{DOCKER_NOT_FOUND}");
                return Some(ExitCode::FAILURE);
            }
            let want = Wanted::Registry {
                server: server.clone(),
            };
            match lend(&mut engine, want, Via::Docker) {
                Ok(lent) => {
                    let credential = serde_json::json!({
                        "ServerURL": server,
                        "Username": lent.username,
                        "Secret": lent.token.expose(),
                    });
                    answer(&format!("{credential}\n"))
                }
                Err(e) => {
                    eprintln!("tokentray: error[{}]: {}", e.code, e.message);
                    println!("{DOCKER_NOT_FOUND}");
                    ExitCode::FAILURE
                }
            }
        }
        "list" => match engine.call(&Registries {}) {
            Ok(registries) => answer(&format!("{}\n", serde_json::json!(registries))),
            Err(e) => {
                println!("{}", e.message);
                ExitCode::FAILURE
            }
        },
        "store" | "erase" => {
            eprintln!("tokentray: Tokentray is the source of these credentials; `docker {}` changes nothing here", if action == "store" { "login" } else { "logout" });
            ExitCode::SUCCESS
        }
        "version" => answer(&format!("tokentray {}\n", env!("CARGO_PKG_VERSION"))),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_requests_are_read_up_to_the_blank_line() {
        let input =
            "protocol=https\nhost=example.com\npath=a/b.git\ncapability[]=authtype\n\nignored=1\n";
        let attributes = read_git(input.as_bytes()).unwrap();
        assert_eq!(attributes["host"], "example.com");
        assert_eq!(attributes["capability"], "authtype");
        assert!(!attributes.contains_key("ignored"));
        assert_eq!(
            git_wanted(&attributes).unwrap(),
            Wanted::Git {
                protocol: "https".into(),
                host: "example.com".into(),
                path: Some("a/b.git".into())
            }
        );
        assert!(read_git("protocol https\n".as_bytes()).is_err());
        assert!(git_wanted(&read_git("host=x\n".as_bytes()).unwrap()).is_err());
    }

    #[test]
    fn a_git_url_is_taken_apart() {
        let attributes =
            read_git("url=https://me@git.example.com:8443/g/r.git\n".as_bytes()).unwrap();
        assert_eq!(
            git_wanted(&attributes).unwrap(),
            Wanted::Git {
                protocol: "https".into(),
                host: "git.example.com:8443".into(),
                path: Some("g/r.git".into())
            }
        );
    }

    #[test]
    fn git_answers_carry_no_forged_lines() {
        let lent = |token: &str| Lent {
            account: "a".into(),
            token: SecretText::new(token),
            expires_at: None,
            username: Some("x-access-token".into()),
            env_name: "A".into(),
        };
        assert_eq!(
            git_answer(&lent("t")).unwrap(),
            "username=x-access-token\npassword=t\n"
        );
        assert!(git_answer(&lent("t\nusername=evil")).is_err());
    }

    #[test]
    fn kubectl_is_answered_in_the_version_it_asks_for() {
        assert_eq!(exec_api_version(None).unwrap(), EXEC_APIS[0]);
        let beta = r#"{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","spec":{"interactive":false}}"#;
        assert_eq!(exec_api_version(Some(beta)).unwrap(), EXEC_APIS[1]);
        let alpha = r#"{"apiVersion":"client.authentication.k8s.io/v1alpha1"}"#;
        assert!(exec_api_version(Some(alpha)).is_err());
        assert!(exec_api_version(Some("{")).is_err());
    }
}
