//! The credential helpers with the real tools: git (clone, push, and a revoked token that
//! git's `erase` gets refreshed) against `git http-backend`, kubectl against an HTTPS API
//! server, Docker's helper protocol, and `eval "$(tokentray env …)"` in bash and fish. The
//! servers accept only what the test IdP says is an active token (introspection), and record
//! what they accepted, so each claim is counted at the server.

mod common;
#[path = "../../core/tests/support/mod.rs"]
mod support;

use common::{run, stdout, Daemon};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use support::{Idp, Server};

/// A command with the test's environment: its own HOME, git config and PATH (where
/// `tokentray` and `docker-credential-tokentray` are), the data directory, no prompts.
fn tool(work: &Path, program: &str) -> Command {
    let mut cmd = Command::new(program);
    let path = format!(
        "{}:{}",
        work.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    cmd.env("PATH", path)
        .env("HOME", work.join("person"))
        .env("GIT_CONFIG_GLOBAL", work.join("person/.gitconfig"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("TOKENTRAY_HOME", work.join("home"))
        .env("TOKENTRAY_PASSPHRASE", "daemon-test")
        .env_remove("KUBECONFIG")
        .current_dir(work);
    cmd
}

fn with_input(mut cmd: Command, input: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn sh(work: &Path, script: &str) -> Output {
    tool(work, "bash").args(["-euc", script]).output().unwrap()
}

fn ok(out: Output) -> String {
    stdout(&out)
}

async fn seen(server: &Server) -> serde_json::Value {
    // The test's own look at its own server: kubectl checks the certificate; this need not
    // (rustls refuses the self-signed one as an end entity).
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    client
        .get(format!("{}/_control/seen", server.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// What the server accepted last.
async fn last_seen(server: &Server) -> serde_json::Value {
    seen(server).await["seen"]
        .as_array()
        .and_then(|all| all.last())
        .cloned()
        .unwrap_or_default()
}

fn current(home: &Path) -> String {
    ok(run(home, &["token", "api"])).trim().to_string()
}

struct Work(PathBuf);

impl Drop for Work {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn git_kubectl_docker_and_shells_get_the_live_token() {
    let work = std::env::temp_dir().join(format!("tokentray-tools-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let _cleanup = Work(work.clone());
    for dir in ["bin", "person", "home", "git"] {
        std::fs::create_dir_all(work.join(dir)).unwrap();
    }
    // Installed as the package installs them: `tokentray`, and Docker's name for the helper.
    let exe = Path::new(env!("CARGO_BIN_EXE_tokentray"));
    for name in ["tokentray", "docker-credential-tokentray"] {
        std::os::unix::fs::symlink(exe, work.join("bin").join(name)).unwrap();
    }
    let home = work.join("home");

    let idp = Idp::start(300);
    let git = Server::start(
        "tests/servers/git-http.mjs",
        &[
            ("IDP_ISSUER", idp.issuer.clone()),
            ("GIT_ROOT", work.join("git").display().to_string()),
        ],
    );
    ok(tool(&work, "openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args([
            "-nodes", "-keyout", "key.pem", "-out", "ca.pem", "-days", "1",
        ])
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .output()
        .unwrap());
    let kube = Server::start(
        "tests/servers/kube-api.mjs",
        &[
            ("IDP_ISSUER", idp.issuer.clone()),
            ("KUBE_CERT", work.join("ca.pem").display().to_string()),
            ("KUBE_KEY", work.join("key.pem").display().to_string()),
        ],
    );
    let git_host = git.url.trim_start_matches("http://").to_string();
    std::fs::write(
        home.join("profile.toml"),
        format!(
            r#"[[account]]
name = "api"
grant = "client_credentials"
token_url = "{}"
client_id = "cc-basic"
client_secret = "cc-basic-secret"
git_hosts = ["{git_host}"]
registry_hosts = ["registry.example.test"]
env_name = "API_TOKEN"

[[account]]
name = "refused"
grant = "client_credentials"
token_url = "{0}"
client_id = "cc-basic"
client_secret = "not-the-secret"
git_hosts = ["127.0.0.1:9"]
"#,
            idp.token_url()
        ),
    )
    .unwrap();
    let mut daemon = Daemon::start(&home);

    // git: the one-line setup, then clone and push with no password typed.
    ok(tool(&work, "git")
        .args(["init", "-q", "--bare", "git/repo.git"])
        .output()
        .unwrap());
    ok(sh(
        &work,
        &format!(
            "git config --global credential.{}.helper '!tokentray git-credential'",
            git.url
        ),
    ));
    ok(tool(&work, "git")
        .args(["clone", "-q", &format!("{}/repo.git", git.url), "clone"])
        .output()
        .unwrap());
    let token = current(&home);
    let last = last_seen(&git).await;
    assert_eq!(
        last["token"],
        token.as_str(),
        "git sent the account's token"
    );
    assert_eq!(
        last["username"], "oauth2",
        "the default username for a non-GitHub host"
    );
    ok(sh(
        &work,
        "cd clone && echo hello > file && git add file && git -c user.name=T -c user.email=t@example.test commit -qm first && git push -q origin HEAD:main",
    ));
    let pushed = ok(tool(&work, "git")
        .args(["--git-dir", "git/repo.git", "log", "--format=%s", "main"])
        .output()
        .unwrap());
    assert_eq!(pushed.trim(), "first");

    // The token is revoked at the IdP: git gets 401 and says `erase`, which refreshes the
    // account; git's next request gets the new token and succeeds.
    idp.revoke(&token).await;
    let refused = tool(&work, "git")
        .args(["-C", "clone", "fetch", "-q"])
        .output()
        .unwrap();
    assert!(!refused.status.success(), "a revoked token is refused");
    assert!(seen(&git).await["refused"].as_u64().unwrap() >= 1);
    let fresh = current(&home);
    assert_ne!(fresh, token, "git's erase refreshed the account");
    assert_eq!(idp.introspect(&fresh).await["active"], true);
    ok(tool(&work, "git")
        .args(["-C", "clone", "fetch", "-q"])
        .output()
        .unwrap());
    let last = last_seen(&git).await;
    assert_eq!(last["token"], fresh.as_str());
    // An `erase` of a token already replaced changes nothing.
    let mut erase = tool(&work, "tokentray");
    erase.args(["git-credential", "erase"]);
    let out = with_input(
        erase,
        &format!("protocol=http\nhost={git_host}\nusername=oauth2\npassword={token}\n\n"),
    );
    assert!(out.status.success());
    assert_eq!(current(&home), fresh, "a stale erase refreshes nothing");
    // A host no account answers for: no credential, a reason on stderr, git goes on.
    let mut get = tool(&work, "tokentray");
    get.args(["git-credential", "get"]);
    let out = with_input(get, "protocol=https\nhost=example.org\n\n");
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("no account answers for git https://example.org"));
    // A host whose account cannot get a token (the server refuses its secret): git is told
    // to stop (`quit=1`) rather than ask the person for a password, and stderr says why.
    let mut get = tool(&work, "tokentray");
    get.args(["git-credential", "get"]);
    let out = with_input(get, "protocol=http\nhost=127.0.0.1:9\n\n");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "quit=1\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[invalid_client]"));

    // kubectl: a kubeconfig from `tokentray kubeconfig`, then the real kubectl.
    let kubeconfig = ok(run(
        &home,
        &[
            "kubeconfig",
            "api",
            "--server",
            &kube.url,
            "--ca",
            work.join("ca.pem").to_str().unwrap(),
        ],
    ));
    std::fs::write(work.join("kubeconfig"), &kubeconfig).unwrap();
    let kubectl = |kubeconfig: &str| {
        tool(&work, "kubectl")
            .args(["--kubeconfig", kubeconfig, "get", "--raw", "/api"])
            .output()
            .unwrap()
    };
    let api = ok(kubectl("kubeconfig"));
    assert!(api.contains("APIVersions"), "{api}");
    let before = current(&home);
    assert_eq!(last_seen(&kube).await, before.as_str());
    ok(run(&home, &["refresh", "api"]));
    let rotated = current(&home);
    assert_ne!(rotated, before);
    idp.revoke(&before).await;
    assert!(ok(kubectl("kubeconfig")).contains("APIVersions"));
    assert_eq!(last_seen(&kube).await, rotated.as_str());
    // An account that cannot answer: kubectl shows Tokentray's one line.
    std::fs::write(
        work.join("nope.kubeconfig"),
        kubeconfig.replace(
            "kubectl-credential, \"api\"",
            "kubectl-credential, \"nope\"",
        ),
    )
    .unwrap();
    let out = kubectl("nope.kubeconfig");
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("error[not_found]: no account named \"nope\""),
        "{said}"
    );

    // Docker's helper protocol, through the name Docker runs.
    let helper = || {
        let mut cmd = tool(&work, "docker-credential-tokentray");
        cmd.arg("get");
        cmd
    };
    let out = with_input(helper(), "registry.example.test\n");
    let credential: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(credential["Secret"], rotated.as_str());
    assert_eq!(credential["Username"], "oauth2accesstoken");
    assert_eq!(credential["ServerURL"], "registry.example.test");
    let out = with_input(helper(), "quay.io\n");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "credentials not found in native keychain"
    );
    let list = ok(tool(&work, "docker-credential-tokentray")
        .arg("list")
        .output()
        .unwrap());
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&list).unwrap(),
        serde_json::json!({ "registry.example.test": "oauth2accesstoken" })
    );

    // Each tool took the token as itself: git through git-remote-https and `sh -c`, kubectl
    // running its plugin.
    let lends: Vec<serde_json::Value> = serde_json::from_str(&stdout(&run(
        &home,
        &["audit", "api", "--json", "--limit", "500"],
    )))
    .unwrap();
    let took = |via: &str, program: &str| {
        lends
            .iter()
            .any(|l| l["via"] == via && l["program"] == program && l["outcome"] == "lent")
    };
    assert!(took("git", "git"), "git's lends: {lends:?}");
    assert!(took("kubectl", "kubectl"), "kubectl's lends: {lends:?}");

    // Shells: the variable holds the live token.
    let bash = ok(sh(
        &work,
        r#"eval "$(tokentray env api)"; printf %s "$API_TOKEN""#,
    ));
    assert_eq!(bash, rotated);
    let fish = ok(tool(&work, "fish")
        .args([
            "-c",
            "tokentray env api --shell fish | source; printf %s $API_TOKEN",
        ])
        .output()
        .unwrap());
    assert_eq!(fish, rotated);
    let out = run(&home, &["env", "api", "nope"]);
    assert_eq!(out.status.code(), Some(3), "an unknown account");
    assert!(out.stdout.is_empty(), "all or nothing");

    // No engine: every helper says "no credential" its own way, with the reason.
    let _ = daemon.child.kill();
    let _ = daemon.child.wait();
    let mut get = tool(&work, "tokentray");
    get.args(["git-credential", "get"]);
    let out = with_input(get, &format!("protocol=http\nhost={git_host}\n\n"));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[engine_not_running]"));
    let out = with_input(helper(), "registry.example.test\n");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "credentials not found in native keychain"
    );
    let out = run(&home, &["kubectl-credential", "api"]);
    assert!(!out.status.success() && out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[engine_not_running]"));
    let out = run(&home, &["env", "api"]);
    assert!(!out.status.success() && out.stdout.is_empty());
}
