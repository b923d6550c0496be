//! What the CLI's tests share: the `tokentray` command on a data directory, and a daemon
//! that is killed when dropped.
#![allow(dead_code)] // each test binary uses its own share of these

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

pub fn tokentray(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tokentray"));
    cmd.env("TOKENTRAY_HOME", home)
        .env("TOKENTRAY_PASSPHRASE", "daemon-test");
    cmd
}

pub fn run(home: &Path, args: &[&str]) -> Output {
    tokentray(home).args(args).output().unwrap()
}

pub fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

pub struct Daemon {
    pub child: Child,
    pub log: PathBuf,
}

impl Daemon {
    pub fn start(home: &Path) -> Daemon {
        // Beside the data directory, so the engine is the one to create it.
        let log = home.with_extension("daemon.log");
        let child = tokentray(home)
            .arg("daemon")
            .env("TOKENTRAY_LOG", "trace")
            .stderr(std::fs::File::create(&log).unwrap())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        // From here the Drop below kills and waits for it, whatever happens.
        let daemon = Daemon { child, log };
        for _ in 0..100 {
            if home.join("engine.sock").exists() {
                return daemon;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let log = daemon.log.clone();
        drop(daemon);
        panic!(
            "the daemon did not open its socket: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads lines until one holds `marker`; everything read.
pub fn read_until(stderr: &mut impl std::io::BufRead, marker: &str) -> String {
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "no {marker:?} in: {seen}"
        );
        seen.push_str(&line);
        if line.contains(marker) {
            return seen;
        }
    }
}

/// `tokentray login NAME` with curl as the person's browser: it follows the IdP's pages, which
/// consent on their own, with a cookie jar of its own.
pub fn browser_login(home: &Path, name: &str) -> Output {
    let jar = home.with_extension(format!("{name}.cookies"));
    tokentray(home)
        .args(["login", name])
        .env(
            "BROWSER",
            format!("curl -sL -c {} -o /dev/null", jar.display()),
        )
        .output()
        .unwrap()
}

/// `tokentray login NAME` for a device-code account, approved on "another device" (the IdP's
/// own pages, driven by the test) from the link the CLI shows; returns what it said first.
pub async fn device_login(home: &Path, name: &str) -> String {
    let mut login = tokentray(home)
        .args(["login", name])
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut said = std::io::BufReader::new(login.stderr.take().unwrap());
    let shown = read_until(&mut said, "or scan this");
    let complete = shown
        .split("(it opens ")
        .nth(1)
        .and_then(|rest| rest.split("):").next())
        .expect("the complete verification URI")
        .to_string();
    super::support::approve_device(&complete).await;
    let status = tokio::task::spawn_blocking(move || login.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success(), "{shown}");
    shown
}
