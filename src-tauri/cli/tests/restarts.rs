//! The restart soak: one `tokentray daemon` stopped and started again and again — a clean
//! stop (SIGTERM) and SIGKILL in turn, as reboots, logouts and crashes do it — while a script
//! asks for tokens all along (from half of the accounts; the other half only the engine's own
//! background refreshing keeps fresh). The accounts hold 6 s access tokens whose refresh tokens rotate
//! at a server of the test's own (tests/servers/rotating.mjs: strict, with a 10 s reuse grace
//! for a kill between its rotation and the engine's commit), which counts every renewal and
//! how late it came. Passes when no token was ever served expired, no renewal came after the
//! token it renewed had run out, no family was lost, and no account was ever shown failing
//! without an error. CI runs it for 60 s; `tests/bench/restart-soak.sh` for minutes.
//! (A restarted engine once stopped refreshing every account whose stored token was valid.)

#![allow(clippy::disallowed_methods)] // whole-system tests read the real clock

mod common;
#[path = "../../core/tests/support/mod.rs"]
mod support;

use common::tokentray;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};
use support::Server;

const TTL_SECS: u64 = 6;

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The daemon of one data directory, started again and again.
struct Daemon {
    home: PathBuf,
    child: Option<Child>,
    starts: u32,
}

impl Daemon {
    fn start(&mut self) {
        // A killed engine leaves its socket file; the next one replaces it.
        let _ = std::fs::remove_file(self.home.join("engine.sock"));
        let log = self
            .home
            .with_extension(format!("soak-{}.log", self.starts));
        self.starts += 1;
        let child = tokentray(&self.home)
            .arg("daemon")
            .env("TOKENTRAY_LOG", "info")
            .stderr(std::fs::File::create(log).unwrap())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        for _ in 0..200 {
            if self.home.join("engine.sock").exists() {
                return;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("the daemon did not open its socket");
    }

    /// A clean stop (SIGTERM, waited for) or SIGKILL.
    fn stop(&mut self, killed: bool) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let signal = if killed { "-KILL" } else { "-TERM" };
        std::process::Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        let _ = child.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// What the soak saw.
#[derive(Debug, Default)]
struct Seen {
    served: u64,
    expired: u64,
    /// Asked while the daemon was away (between a stop and the next start).
    away: u64,
    /// An account shown failing or retrying with no error to say why.
    failing_unexplained: u64,
    listings: u64,
}

fn served_at(home: &Path, account: &str) -> Option<(String, u128)> {
    let at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let out = tokentray(home)
        .args(["token", account, "--timeout", "10"])
        .output()
        .unwrap();
    out.status
        .success()
        .then(|| (String::from_utf8_lossy(&out.stdout).trim().to_string(), at))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_restarted_again_and_again_keeps_every_token_fresh() {
    let secs = setting("TOKENTRAY_SOAK_SECS", 60);
    let accounts = setting("TOKENTRAY_SOAK_ACCOUNTS", 20) as usize;
    let server = Server::start(
        "tests/servers/rotating.mjs",
        &[
            ("ROTATING_TTL", TTL_SECS.to_string()),
            ("ROTATING_GRACE", "10".into()),
        ],
    );
    let http = reqwest::Client::new();
    let home = std::env::temp_dir().join(format!("tokentray-soak-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    let profile: String = (0..accounts)
        .map(|i| format!("[[account]]\nname = \"acc-{i}\"\ngrant = \"refresh_token\"\ntoken_url = \"{}/token\"\nclient_id = \"soak\"\nrefresh_token = \"fam-{i}-0\"\n\n", server.url))
        .collect();
    std::fs::write(home.join("profile.toml"), profile).unwrap();
    let mut daemon = Daemon {
        home: home.clone(),
        child: None,
        starts: 0,
    };
    daemon.start();

    let mut seen = Seen::default();
    let (mut clean, mut killed) = (0u32, 0u32);
    let started = Instant::now();
    let end = started + Duration::from_secs(secs);
    let mut next_restart = started + Duration::from_millis(fastrand::u64(2_000..5_000));
    let mut next_listing = started;
    while Instant::now() < end {
        if Instant::now() >= next_restart {
            let kill = (clean + killed) % 2 == 1;
            daemon.stop(kill);
            match kill {
                true => killed += 1,
                false => clean += 1,
            }
            // Away a moment (a reboot is longer, but then every token is due anyway).
            std::thread::sleep(Duration::from_millis(fastrand::u64(0..800)));
            daemon.start();
            next_restart = Instant::now() + Duration::from_millis(fastrand::u64(2_000..6_000));
        }
        if Instant::now() >= next_listing {
            let out = tokentray(&home).args(["list", "--json"]).output().unwrap();
            if out.status.success() {
                let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
                for a in listed.as_array().unwrap() {
                    let troubled = matches!(a["status"].as_str(), Some("failing" | "retrying"));
                    if troubled && a["error"].is_null() {
                        eprintln!("unexplained: {a}");
                        seen.failing_unexplained += 1;
                    }
                }
                seen.listings += 1;
            }
            next_listing = Instant::now() + Duration::from_millis(1_000);
        }
        // The first half is asked for; the second half must stay fresh on its own.
        let account = format!("acc-{}", fastrand::usize(..accounts.div_ceil(2)));
        match served_at(&home, &account) {
            Some((token, at)) => {
                seen.served += 1;
                let check: serde_json::Value = http
                    .get(format!("{}/check?token={token}&at={at}", server.url))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                if check["active"] != true {
                    eprintln!("{account}: served expired: {check}");
                    seen.expired += 1;
                }
            }
            None => seen.away += 1,
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    // Left alone for two lifetimes: every account is fresh and fine.
    std::thread::sleep(Duration::from_secs(2 * TTL_SECS));
    let listed = tokentray(&home).args(["list", "--json"]).output().unwrap();
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let not_ok: Vec<String> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["status"] != "ok")
        .map(|a| format!("{}: {} {}", a["name"], a["status"], a["error"]))
        .collect();
    let stats: serde_json::Value = http
        .get(format!("{}/stats", server.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    daemon.stop(false);
    let renewals: u64 = stats["rotations"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    let late = &stats["lateness"];
    let line = format!(
        "restart soak: {accounts} accounts, {TTL_SECS} s tokens, {secs} s, {} restarts ({clean} clean, {killed} SIGKILL); {} tokens served, {} served expired; {renewals} renewals at the server, {} after the token they renewed had run out (the latest {}), {} answered in the reuse grace, {} families lost; {} listings, {} accounts shown failing without an error",
        clean + killed,
        seen.served,
        seen.expired,
        late["after_expiry"],
        match late["max"].as_i64().unwrap_or(0) {
            ms if ms > 0 => format!("{ms} ms after its end"),
            ms => format!("{} ms before its end", -ms),
        },
        stats["graces"].as_object().map_or(0, |g| g.len()),
        stats["revoked"].as_array().map_or(0, |r| r.len()),
        seen.listings,
        seen.failing_unexplained,
    );
    println!("{line}");
    let artifacts = support::repo_root().join("artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    std::fs::write(artifacts.join("restart-soak.txt"), format!("{line}\n")).unwrap();

    assert!(
        clean + killed >= (secs / 8) as u32,
        "restarted {} times",
        clean + killed
    );
    assert!(seen.served > secs, "{seen:?}");
    assert_eq!(seen.expired, 0, "tokens served expired: {seen:?}");
    assert_eq!(late["after_expiry"], 0, "renewals missed: {stats}");
    assert_eq!(
        stats["revoked"],
        serde_json::json!([]),
        "families lost: {stats}"
    );
    assert_eq!(seen.failing_unexplained, 0, "{seen:?}");
    assert!(not_ok.is_empty(), "after the soak: {not_ok:?}");
    // Every account, asked for or not, was renewed all along: about twice per lifetime.
    for i in 0..accounts {
        let renewed = stats["rotations"][format!("fam-{i}")].as_u64().unwrap_or(0);
        assert!(
            renewed >= secs / TTL_SECS,
            "acc-{i} renewed {renewed} times in {secs} s"
        );
    }
}
