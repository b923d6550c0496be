//! Who may take a token, against a real daemon and real programs: `lend_to` by a program's
//! name and by its path (git's credential helper lends to git, a script piped to bash to bash,
//! `exec` to the program it runs; a copy of bash under another name and the test itself are
//! refused), approval on first use answered from a terminal with the vault's passphrase, the
//! lock (by command and by the screen's real D-Bus signal) with refreshing going on behind it,
//! the audit read back, and a colleague's file whose settings run programs or read local files
//! refused until allowed (the marker files they would write never appear).

#![allow(clippy::disallowed_methods)] // whole-system tests read the real clock

mod common;
#[path = "../../core/tests/support/mod.rs"]
mod support;

use common::{run, stdout, tokentray, Daemon};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use support::Idp;

fn home(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tokentray-lending-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn tokentray_exe() -> &'static str {
    env!("CARGO_BIN_EXE_tokentray")
}

fn err(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `script` piped to `shell` (no `-c`): the shell is the program that asks.
fn piped(home: &Path, shell: &Path, script: &str) -> Output {
    let mut child = Command::new(shell)
        .env("TOKENTRAY_HOME", home)
        .env("TOKENTRAY_PASSPHRASE", "daemon-test")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn audit(home: &Path) -> Vec<serde_json::Value> {
    serde_json::from_str(&stdout(&run(home, &["audit", "--json", "--limit", "200"]))).unwrap()
}

fn until<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn lend_to_approval_lock_and_audit_with_real_programs() {
    let home = home("policy");
    let bash = std::fs::canonicalize("/bin/bash").unwrap();
    let idp = Idp::start(4);
    std::fs::write(
        home.join("profile.toml"),
        format!(
            r#"[[account]]
name = "open"
grant = "static"
token = "token-open"

[[account]]
name = "gitonly"
grant = "static"
token = "token-git"
lend_to = ["git"]
git_hosts = ["git.example.test"]

[[account]]
name = "curlonly"
grant = "static"
token = "token-curl"
lend_to = ["curl"]
git_hosts = ["other.example.test"]

[[account]]
name = "shells"
grant = "static"
token = "token-shells"
lend_to = ["bash"]

[[account]]
name = "pathonly"
grant = "static"
token = "token-path"
lend_to = ["{bash}"]

[[account]]
name = "ask"
grant = "static"
token = "token-ask"
confirm = true

[[account]]
name = "cc"
grant = "client_credentials"
token_url = "{token_url}"
client_id = "cc-basic"
client_secret = "cc-basic-secret"
"#,
            bash = bash.display(),
            token_url = idp.token_url()
        ),
    )
    .unwrap();
    let daemon = Daemon::start(&home);

    // No lend_to: any program of the user; the audit names this test as the program.
    assert_eq!(stdout(&run(&home, &["token", "open"])).trim(), "token-open");
    // lend_to = ["git"]: this test is no git.
    let out = run(&home, &["token", "gitonly"]);
    assert_eq!(out.status.code(), Some(4), "{}", err(&out));
    assert!(out.stdout.is_empty(), "a token on stdout");
    assert!(err(&out).contains("error[not_allowed]"), "{}", err(&out));

    // git's credential helper: git → sh -c '!tokentray git-credential get' → tokentray is git.
    let helper = format!("!{} git-credential", tokentray_exe());
    let git = |host: &str| {
        let mut child = Command::new("git")
            .args([
                "-c",
                &format!("credential.helper={helper}"),
                "credential",
                "fill",
            ])
            .env("TOKENTRAY_HOME", &home)
            .env("GIT_TERMINAL_PROMPT", "0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let input = format!("protocol=https\nhost={host}\n\n");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let filled = git("git.example.test");
    assert!(
        String::from_utf8_lossy(&filled.stdout).contains("password=token-git"),
        "git: {}",
        err(&filled)
    );
    // An account lent only to curl answers git nothing (git's own "no credential").
    let refused = git("other.example.test");
    assert!(!String::from_utf8_lossy(&refused.stdout).contains("token-curl"));
    assert!(err(&refused).contains("not_allowed"), "{}", err(&refused));

    // A script piped to bash is bash's; `bash -c` run by this test only ran a command for it.
    let token = |name: &str| format!("{} token {name}\n", tokentray_exe());
    let out = piped(&home, &bash, &token("shells"));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "token-shells",
        "{}",
        err(&out)
    );
    let out = Command::new(&bash)
        .args(["-c", &token("shells")])
        .env("TOKENTRAY_HOME", &home)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "bash -c is not the program");
    // A copy of bash under another name is not bash, by name or by path.
    let copy = home.join("notbash");
    std::fs::copy(&bash, &copy).unwrap();
    let out = piped(&home, &copy, &token("shells"));
    assert_eq!(out.status.code(), Some(4), "{}", err(&out));
    assert!(out.stdout.is_empty());
    let out = piped(&home, &bash, &token("pathonly"));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "token-path",
        "{}",
        err(&out)
    );
    let out = piped(&home, &copy, &token("pathonly"));
    assert_eq!(out.status.code(), Some(4), "{}", err(&out));

    // exec lends to the program it runs, on behalf of whoever ran it.
    let out = run(
        &home,
        &["exec", "shells", "--", "bash", "-c", "printf %s \"$TOKEN\""],
    );
    assert_eq!(stdout(&out), "token-shells");
    let out = run(&home, &["exec", "gitonly", "--", "printenv", "TOKEN"]);
    assert_eq!(out.status.code(), Some(4), "{}", err(&out));
    assert!(out.stdout.is_empty());

    // confirm = true: the first use waits for a person, who answers from a terminal with the
    // vault's passphrase.
    let ask = || {
        tokentray(&home)
            .args(["token", "ask"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let waiting = |home: &Path| {
        let listed: Vec<serde_json::Value> =
            serde_json::from_str(&stdout(&run(home, &["approvals", "--json"]))).unwrap();
        listed.first().cloned()
    };
    let asking = ask();
    let approval = until("the approval", || waiting(&home));
    assert_eq!(approval["account"], "ask");
    assert_eq!(approval["via"], "token");
    let id = approval["id"].to_string();
    // A wrong passphrase allows nothing; the request still waits.
    let out = tokentray(&home)
        .args(["approve", &id])
        .env("TOKENTRAY_PASSPHRASE", "not-it")
        .output()
        .unwrap();
    assert!(err(&out).contains("wrong_passphrase"), "{}", err(&out));
    assert!(waiting(&home).is_some());
    stdout(&run(&home, &["approve", &id]));
    let out = asking.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "token-ask");
    // Allowed once: asked again, and denied.
    let asking = ask();
    let id = until("the second approval", || waiting(&home))["id"].to_string();
    stdout(&run(&home, &["deny", &id]));
    let out = asking.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(err(&out).contains("error[denied]"), "{}", err(&out));
    assert!(out.stdout.is_empty());
    // Allowed for 8 hours: not asked again.
    let asking = ask();
    let id = until("the third approval", || waiting(&home))["id"].to_string();
    stdout(&run(&home, &["approve", &id, "--for-8-hours"]));
    assert_eq!(
        String::from_utf8_lossy(&asking.wait_with_output().unwrap().stdout).trim(),
        "token-ask"
    );
    assert_eq!(stdout(&run(&home, &["token", "ask"])).trim(), "token-ask");

    // The lock: nothing is lent, refreshing goes on; only a person unlocks.
    let before = history_len(&home, "cc");
    stdout(&run(&home, &["lock"]));
    let out = run(&home, &["token", "open"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(err(&out).contains("error[locked]"), "{}", err(&out));
    let locked_git = git("git.example.test");
    assert!(!String::from_utf8_lossy(&locked_git.stdout).contains("token-git"));
    until("refreshes while locked", || {
        (history_len(&home, "cc") >= before + 2).then_some(())
    });
    let out = tokentray(&home)
        .arg("unlock")
        .env_remove("TOKENTRAY_PASSPHRASE")
        .output()
        .unwrap();
    assert!(!out.status.success(), "unlocked without the passphrase");
    assert!(err(&out).contains("passphrase"), "{}", err(&out));
    let out = tokentray(&home)
        .arg("unlock")
        .env("TOKENTRAY_PASSPHRASE", "not-it")
        .output()
        .unwrap();
    assert!(err(&out).contains("wrong_passphrase"), "{}", err(&out));
    assert_eq!(run(&home, &["token", "open"]).status.code(), Some(4));
    stdout(&run(&home, &["unlock"]));
    assert_eq!(stdout(&run(&home, &["token", "open"])).trim(), "token-open");

    // The screen's lock, as the session bus says it.
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() {
        let sent = Command::new("dbus-send")
            .args([
                "--session",
                "--type=signal",
                "/org/freedesktop/ScreenSaver",
                "org.freedesktop.ScreenSaver.ActiveChanged",
                "boolean:true",
            ])
            .status()
            .unwrap();
        assert!(sent.success());
        until("the screen's lock", || {
            (run(&home, &["token", "open"]).status.code() == Some(4)).then_some(())
        });
        stdout(&run(&home, &["unlock"]));
    } else {
        eprintln!("skipped the screen lock: no session bus (tests/with-keyring.sh gives one)");
    }

    // The audit: every lend and refusal, never a token.
    let lends = audit(&home);
    let find = |account: &str, outcome: &str| {
        lends
            .iter()
            .filter(|l| l["account"] == account && l["outcome"] == outcome)
            .cloned()
            .collect::<Vec<_>>()
    };
    let me = std::env::current_exe().unwrap();
    let me = me.file_name().unwrap().to_string_lossy();
    assert!(find("open", "lent")
        .iter()
        .any(|l| l["program"] == me.as_ref() && l["via"] == "token"));
    assert!(
        find("gitonly", "lent")
            .iter()
            .any(|l| l["program"] == "git" && l["via"] == "git"),
        "{lends:#?}"
    );
    assert!(find("gitonly", "refused")
        .iter()
        .any(|l| l["via"] == "exec" && l["program"] == "printenv"));
    assert!(find("curlonly", "refused")
        .iter()
        .any(|l| l["program"] == "git"));
    assert!(find("shells", "lent")
        .iter()
        .any(|l| l["program"] == "bash"));
    assert!(find("shells", "lent")
        .iter()
        .any(|l| l["via"] == "exec" && l["program"] == "bash" && l["on_behalf_of"].is_string()));
    assert!(find("shells", "refused")
        .iter()
        .any(|l| l["program"] == "notbash"));
    assert!(find("pathonly", "refused")
        .iter()
        .any(|l| l["program_path"] == copy.display().to_string()));
    assert_eq!(find("ask", "denied").len(), 1);
    assert!(!find("open", "locked").is_empty());
    let text = stdout(&run(&home, &["audit"]));
    for token in [
        "token-open",
        "token-git",
        "token-shells",
        "token-ask",
        "token-path",
    ] {
        assert!(!text.contains(token), "{token} in the audit");
    }
    // The account's page says who used it.
    let detail = stdout(&run(&home, &["audit", "gitonly", "--json"]));
    assert!(!detail.contains("\"open\""), "another account's lends");
    drop(daemon);
}

fn history_len(home: &Path, name: &str) -> usize {
    let entries: Vec<serde_json::Value> = serde_json::from_str(&stdout(&run(
        home,
        &["history", name, "--json", "--limit", "100"],
    )))
    .unwrap();
    entries.len()
}

#[test]
fn a_colleagues_file_that_runs_programs_or_reads_local_files_is_refused_until_allowed() {
    let home = home("import");
    let work = home.join("work");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(work.join("local-secret"), "from-this-machine\n").unwrap();
    std::fs::write(home.join("profile.toml"), "").unwrap();
    let _daemon = Daemon::start(&home);
    let w = work.display();
    let file = work.join("colleague.toml");
    std::fs::write(
        &file,
        format!(
            r#"on_event = ["sh", "-c", "touch {w}/marker-on-event-top"]

[[account]]
name = "c1"
grant = "command"
command = ["sh", "-c", "touch {w}/marker-command; echo tok"]
on_refresh = ["sh", "-c", "touch {w}/marker-on-refresh"]

[[account]]
name = "c2"
grant = "static"
token = "t"
renew_command = ["sh", "-c", "touch {w}/marker-renew"]

[[account]]
name = "c3"
grant = "client_credentials"
token_url = "https://idp.example.com/token"
client_id = "x"
client_secret_file = "{w}/local-secret"
"#
        ),
    )
    .unwrap();
    let import = |flags: &[&str]| {
        let mut args = vec!["import", file.to_str().unwrap()];
        args.extend_from_slice(flags);
        run(&home, &args)
    };
    let listed = || stdout(&run(&home, &["list", "--json"]));

    let out = import(&[]);
    assert_eq!(out.status.code(), Some(4), "{}", err(&out));
    let said = err(&out);
    for named in [
        "(the file): on_event",
        "c1: command",
        "c1: on_refresh",
        "c2: renew_command",
        "c3: client_secret_file",
        "--allow-commands",
        "--allow-local",
        "nothing was imported",
    ] {
        assert!(said.contains(named), "{named} not named: {said}");
    }
    let out = import(&["--allow-commands"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(err(&out).contains("--allow-local") && !err(&out).contains("--allow-commands"));
    let out = import(&["--allow-local"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(!listed().contains("\"c1\""), "imported anyway");
    std::thread::sleep(Duration::from_millis(1500));
    let markers: Vec<_> = std::fs::read_dir(&work)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("marker"))
        .map(|e| e.file_name())
        .collect();
    assert!(markers.is_empty(), "ran unasked: {markers:?}");

    // Allowed, it goes in whole.
    let out = import(&["--allow-commands", "--allow-local"]);
    assert!(stdout(&out).contains("imported 3 account(s)"));
    assert!(listed().contains("\"c3\""));
}
