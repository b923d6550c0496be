//! Team mode, whole: three `tokentray daemon`s (three data directories, one real PostgreSQL)
//! share 300 accounts whose refresh tokens rotate, with reuse detection, at a server of the
//! test's own (tests/servers/rotating.mjs, 5 s access tokens). Clients ask random daemons for
//! random tokens and check each at the server. One test, in phases, since one phase stops the
//! database: steady state; daemons SIGKILLed and restarted; the database stopped for 10 s; a
//! daemon paused past its lease and resumed. The server counts rotations and reuses; the
//! database counts the refreshes recorded: exactly once means they agree.
#![allow(clippy::disallowed_methods)] // whole-system tests read the real clock

mod common;
#[path = "../../core/tests/support/mod.rs"]
mod support;

use common::{run, stdout, tokentray};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::Server;

const ACCOUNTS: usize = 300;
/// Short, so that a killed holder's lease runs out within the test (at least 17 s).
const LEASE_SECS: u64 = 20;

struct Pg {
    url: String,
    dir: String,
}

impl Pg {
    /// The one `tests/postgres.sh` started, with a database of this test's own.
    fn get() -> Option<Pg> {
        let server = std::env::var("TOKENTRAY_TEST_POSTGRES_URL").ok();
        let dir = std::env::var("TOKENTRAY_TEST_POSTGRES_DIR").ok();
        let (Some(server), Some(dir)) = (server, dir) else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must run team mode: tests/postgres.sh"
            );
            eprintln!("team mode skipped: TOKENTRAY_TEST_POSTGRES_URL/_DIR are unset");
            return None;
        };
        let name = format!("tt_team_{}", std::process::id());
        psql(&server, &format!("DROP DATABASE IF EXISTS {name}"));
        psql(&server, &format!("CREATE DATABASE {name}"));
        let url = format!("{}/{name}", server.rsplit_once('/').unwrap().0);
        Some(Pg { url, dir })
    }

    fn query(&self, sql: &str) -> String {
        psql(&self.url, sql)
    }

    /// Stops or starts the whole server (pg_ctl, as the postgres user when root).
    fn pg_ctl(&self, action: &str) {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .unwrap()
            .map(|e| e.unwrap().path().join("bin/pg_ctl"))
            .max()
            .unwrap();
        let data = format!("{}/data", self.dir);
        let mut cmd = if running_as_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&bin);
            c
        } else {
            Command::new(&bin)
        };
        cmd.args(["-D", &data, "-w", "-m", "fast", action]);
        if action == "start" {
            cmd.args(["-l", &format!("{}/log", self.dir)]);
        }
        let status = cmd.stdout(Stdio::null()).status().unwrap();
        assert!(status.success(), "pg_ctl {action}");
    }
}

/// The database stopped: started again when dropped.
struct Down<'a>(&'a Pg);

impl Drop for Down<'_> {
    fn drop(&mut self) {
        self.0.pg_ctl("start");
    }
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

fn psql(url: &str, sql: &str) -> String {
    let out = Command::new("psql")
        .args([url, "-qtAc", sql])
        .output()
        .expect("psql (postgresql-client) must be installed");
    assert!(
        out.status.success(),
        "{sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A daemon of the team, restartable.
struct Member {
    home: PathBuf,
    child: Option<Child>,
    starts: u32,
}

impl Member {
    fn start(&mut self) {
        let log = self
            .home
            .with_extension(format!("daemon-{}.log", self.starts));
        self.starts += 1;
        let _ = std::fs::remove_file(self.home.join("engine.sock"));
        let child = tokentray(&self.home)
            .arg("daemon")
            .env("TOKENTRAY_TEAM_LEASE_SECS", LEASE_SECS.to_string())
            .env(
                "TOKENTRAY_LOG",
                std::env::var("TEAM_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stderr(std::fs::File::create(&log).unwrap())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.home.join("engine.sock").exists() {
            assert!(
                Instant::now() < deadline,
                "the daemon of {} did not start",
                self.home.display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().unwrap().id().to_string();
        assert!(Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap()
            .success());
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            self.signal_pid(child.id(), "-TERM");
            let _ = child.wait();
        }
    }

    fn signal_pid(&self, pid: u32, signal: &str) {
        let _ = Command::new("kill")
            .args([signal, &pid.to_string()])
            .status();
    }

    /// The warnings and errors of this member's current log (what a failed check shows).
    fn warnings(&self) -> String {
        let log = self
            .home
            .with_extension(format!("daemon-{}.log", self.starts.saturating_sub(1)));
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("WARN") || l.contains("ERROR"))
            .collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// Every `fenced` this member's logs mention.
    fn fenced(&self) -> usize {
        (0..self.starts)
            .map(|i| {
                std::fs::read_to_string(self.home.with_extension(format!("daemon-{i}.log")))
                    .unwrap_or_default()
                    .matches("fenced: a newer lease holder")
                    .count()
            })
            .sum()
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        if let Some(child) = &self.child {
            self.signal_pid(child.id(), "-CONT");
        }
        self.kill();
    }
}

/// What clients saw: tokens served and checked at the server.
#[derive(Default, Debug)]
struct Seen {
    served: usize,
    /// Served, but the server says it had run out when it was asked for: the one thing that
    /// must never happen.
    expired: usize,
    /// Live when asked for, run out by the time the CLI had exited (a token is served while
    /// it is valid, `--min-valid 0`; the moment within the call is not known out here).
    ran_out_in_flight: usize,
    /// No token (the account's holder was killed and its lease has not run out yet, say).
    refused: BTreeMap<String, usize>,
}

async fn ask(
    members: &[Member],
    server: &str,
    http: &reqwest::Client,
    seen: &mut Seen,
    until: Instant,
) {
    while Instant::now() < until {
        let member = &members[fastrand::usize(..members.len())];
        let name = format!("acc-{}", fastrand::usize(..ACCOUNTS));
        let now_ms = || {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis()
        };
        // When it was asked for: the engine serves it at some moment after this one, and must
        // not serve one that had run out by then (the server's clock is ours).
        let asked_at = now_ms();
        let out = tokentray(&member.home)
            .args(["token", &name])
            .output()
            .unwrap();
        let answered_at = now_ms();
        if !out.status.success() {
            let code = String::from_utf8_lossy(&out.stderr)
                .split(']')
                .next()
                .unwrap_or("")
                .trim_start_matches("error[")
                .to_string();
            *seen.refused.entry(code).or_default() += 1;
            continue;
        }
        let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
        let check: serde_json::Value = http
            .get(format!("{server}/check"))
            .query(&[("token", &token), ("at", &asked_at.to_string())])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        seen.served += 1;
        if check["active"] != true {
            seen.expired += 1;
            eprintln!("served expired: {name} {check}");
        } else if check["expires_at_ms"]
            .as_u64()
            .is_some_and(|until| u128::from(until) <= answered_at)
        {
            seen.ran_out_in_flight += 1;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn stats(http: &reqwest::Client, server: &str) -> serde_json::Value {
    http.get(format!("{server}/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Rotations the server made, per family, against refreshes the database recorded.
async fn exactly_once(pg: &Pg, http: &reqwest::Client, server: &str) -> (usize, Vec<String>) {
    let stats = stats(http, server).await;
    let recorded: BTreeMap<String, u64> = pg
        .query(
            "SELECT a.name, COUNT(h.id) FROM accounts a LEFT JOIN refresh_history h
             ON h.account_id = a.id AND h.outcome = 'ok' GROUP BY a.name",
        )
        .lines()
        .map(|l| {
            let (name, n) = l.split_once('|').unwrap();
            (name.to_string(), n.parse().unwrap())
        })
        .collect();
    let mut differ = vec![];
    let mut total = 0;
    for i in 0..ACCOUNTS {
        let name = format!("acc-{i}");
        let rotations = stats["rotations"][format!("fam-{i}")].as_u64().unwrap_or(0);
        total += rotations as usize;
        if recorded.get(&name).copied().unwrap_or(0) != rotations {
            differ.push(format!(
                "{name}: server {rotations}, recorded {:?}",
                recorded.get(&name)
            ));
        }
    }
    (total, differ)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_of_three_refreshes_each_rotating_token_exactly_once() {
    let Some(pg) = Pg::get() else { return };
    // A reuse grace of several leases: a holder killed between the server's rotation and its
    // commit loses nothing (the next holder gets the same new pair). The grace runs from the
    // rotation, not from the last answer in it, so each holder killed in a row before one
    // commits costs a lease of it: with a kill every 0.2-1.2 s, two in a row happen (seen: a
    // family lost with a 40 s grace, one grace answer, then a reuse 41 s on).
    let server = Server::start(
        "tests/servers/rotating.mjs",
        &[
            ("ROTATING_TTL", "5".into()),
            ("ROTATING_GRACE", (LEASE_SECS * 5).to_string()),
        ],
    );
    let http = reqwest::Client::new();
    let root = std::env::temp_dir().join(format!("tokentray-team-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let mut members: Vec<Member> = ["a", "b", "c"]
        .iter()
        .map(|m| Member {
            home: root.join(m),
            child: None,
            starts: 0,
        })
        .collect();

    // a creates the team; b and c join it (a wrong passphrase first: refused, nothing written).
    stdout(&run(&members[0].home, &["team", "init", &pg.url]));
    let wrong = tokentray(&members[1].home)
        .env("TOKENTRAY_PASSPHRASE", "not-the-team's")
        .args(["team", "join", &pg.url])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("wrong_passphrase"));
    assert!(!members[1].home.join("config.toml").exists());
    for m in &members[1..] {
        stdout(&run(&m.home, &["team", "join", &pg.url]));
    }
    // The accounts come in through a's profile; the others read them from the database.
    let profile: String = (0..ACCOUNTS)
        .map(|i| format!("[[account]]\nname = \"acc-{i}\"\ngrant = \"refresh_token\"\ntoken_url = \"{}/token\"\nclient_id = \"team\"\nrefresh_token = \"fam-{i}-0\"\n\n", server.url))
        .collect();
    std::fs::write(members[0].home.join("profile.toml"), profile).unwrap();
    for m in &mut members {
        m.start();
    }

    // 1. Steady state, 60 s.
    let mut seen = Seen::default();
    ask(
        &members,
        &server.url,
        &http,
        &mut seen,
        Instant::now() + Duration::from_secs(60),
    )
    .await;
    let status = stdout(&run(&members[0].home, &["team", "status"]));
    assert_eq!(
        status
            .lines()
            .filter(|l| l.contains("ago") || l.contains("in "))
            .count(),
        3,
        "{status}"
    );
    let s = stats(&http, &server.url).await;
    let rotations: u64 = s["rotations"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    eprintln!("steady: {seen:?}; {rotations} rotations");
    assert_eq!(seen.expired, 0, "tokens served expired");
    // No engine ever presented a refresh token another had already used.
    assert_eq!(s["reuses"], serde_json::json!({}), "reuse detected");
    assert_eq!(
        s["graces"],
        serde_json::json!({}),
        "an old refresh token presented"
    );
    // 5 s tokens refreshed ahead of their end: more than one rotation per 5 s each.
    assert!(
        rotations as usize >= ACCOUNTS * 60 / 5,
        "every account refreshed all along ({rotations})"
    );
    let by_engine = pg.query("SELECT COUNT(DISTINCT engine) FROM refresh_history");
    assert_eq!(
        by_engine.trim(),
        "3",
        "every engine refreshed, and the history says which"
    );

    // Accounts added on one member show on the others at once, edits too; removed, they go
    // everywhere. (Within 30 s: with 300 accounts rotating every few seconds the machine is
    // busy. Followed one by one, the announcements fell behind and this took over 30 s on
    // one core; followed in batches, 1.4 s there.)
    let extra = root.join("extra.toml");
    std::fs::write(&extra, format!("[[account]]\nname = \"late\"\ngrant = \"refresh_token\"\ntoken_url = \"{}/token\"\nclient_id = \"team\"\nrefresh_token = \"fam-late-0\"\n", server.url)).unwrap();
    stdout(&run(&members[0].home, &["import", extra.to_str().unwrap()]));
    let listed = |m: &Member| stdout(&run(&m.home, &["list", "--json"])).contains("\"late\"");
    let imported = Instant::now();
    while !(listed(&members[1]) && listed(&members[2])) {
        assert!(
            imported.elapsed() < Duration::from_secs(30),
            "the new account did not reach the others; their warnings:\n{}",
            members
                .iter()
                .map(Member::warnings)
                .collect::<Vec<_>>()
                .join("\n--\n")
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    eprintln!(
        "the new account reached the others in {:?}",
        imported.elapsed()
    );
    assert!(!stdout(&run(&members[2].home, &["token", "late"])).is_empty());
    // Edited on another member (a new refresh token): the first one serves the edited account.
    std::fs::write(&extra, format!("[[account]]\nname = \"late\"\ngrant = \"refresh_token\"\ntoken_url = \"{}/token\"\nclient_id = \"team\"\nrefresh_token = \"fam-edited-0\"\n", server.url)).unwrap();
    stdout(&run(&members[2].home, &["import", extra.to_str().unwrap()]));
    let deadline = Instant::now() + Duration::from_secs(30);
    while !stdout(&run(&members[0].home, &["token", "late"])).starts_with("at-fam-edited-") {
        assert!(
            Instant::now() < deadline,
            "the edit did not reach the others"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    stdout(&run(&members[1].home, &["remove", "late"]));
    let deadline = Instant::now() + Duration::from_secs(30);
    while listed(&members[0]) || listed(&members[2]) {
        assert!(
            Instant::now() < deadline,
            "the removed account stayed on the others"
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // 2. SIGKILL at random moments; each killed daemon restarts at once.
    let kills = std::env::var("TEAM_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(50);
    let mut seen = Seen::default();
    for _ in 0..kills {
        let until = Instant::now() + Duration::from_millis(200 + fastrand::u64(..1000));
        ask(&members, &server.url, &http, &mut seen, until).await;
        let m = &mut members[fastrand::usize(..3)];
        m.kill();
        m.start();
    }
    // Leases a killed holder left run out; everyone catches up.
    ask(
        &members,
        &server.url,
        &http,
        &mut seen,
        Instant::now() + Duration::from_secs(LEASE_SECS + 5),
    )
    .await;
    let s = stats(&http, &server.url).await;
    eprintln!("{kills} kills: {seen:?}; caught between the server's rotation and the commit (answered again within the grace): {}", s["graces"]);
    assert_eq!(seen.expired, 0, "tokens served expired");
    assert_eq!(s["reuses"], serde_json::json!({}), "reuse detected");
    assert_eq!(
        s["revoked"],
        serde_json::json!([]),
        "a family lost (the grace should cover every kill)"
    );

    // 3. The database away for 10 s: valid tokens still served, nothing refreshed.
    pg.pg_ctl("stop");
    // Started again whatever happens (a failed assertion too), for the tests after this one.
    let down = Down(&pg);
    // Refreshes already past their lease when it stopped end now (their writes fail: the
    // engine keeps the new tokens in memory); from here nothing may rotate.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = stats(&http, &server.url).await["rotations"].clone();
    let mut seen = Seen::default();
    ask(
        &members,
        &server.url,
        &http,
        &mut seen,
        Instant::now() + Duration::from_secs(10),
    )
    .await;
    let during = stats(&http, &server.url).await["rotations"].clone();
    drop(down);
    eprintln!("database down: {seen:?}");
    assert_eq!(seen.expired, 0);
    assert!(seen.served > 0, "valid tokens still served at first");
    assert_eq!(before, during, "no refresh without a lease");
    assert!(
        seen.refused.contains_key("team_unreachable") || seen.refused.contains_key("team_busy"),
        "{seen:?}"
    );
    // Everyone converges within one lease period.
    tokio::time::sleep(Duration::from_secs(LEASE_SECS)).await;
    let mut seen = Seen::default();
    ask(
        &members,
        &server.url,
        &http,
        &mut seen,
        Instant::now() + Duration::from_secs(10),
    )
    .await;
    eprintln!("after the database came back: {seen:?}");
    assert_eq!(seen.expired, 0);
    assert!(seen.refused.is_empty(), "not converged: {seen:?}");

    // 4. A holder paused past its lease, then resumed: its late results are fenced off.
    members[1].signal("-STOP");
    let mut seen = Seen::default();
    ask(
        &members[..1],
        &server.url,
        &http,
        &mut seen,
        Instant::now() + Duration::from_secs(LEASE_SECS + 3),
    )
    .await;
    members[1].signal("-CONT");
    ask(
        &members,
        &server.url,
        &http,
        &mut seen,
        Instant::now() + Duration::from_secs(8),
    )
    .await;
    let s = stats(&http, &server.url).await;
    eprintln!(
        "paused holder: {seen:?}; fenced writes refused: {}",
        members[1].fenced()
    );
    assert_eq!(seen.expired, 0);
    assert_eq!(s["revoked"], serde_json::json!([]));

    // Quiet (every daemon stopped): what the server rotated, per family, is what the database
    // recorded. A kill between a rotation and its commit left the rotation unrecorded, and the
    // next holder's answer within the grace (no new rotation) recorded: they still agree.
    for m in &mut members {
        m.stop();
    }
    let (rotations, differ) = exactly_once(&pg, &http, &server.url).await;
    eprintln!(
        "at the end: {rotations} rotations, {} families differ",
        differ.len()
    );
    assert!(differ.is_empty(), "not exactly once: {differ:?}");
    let _ = std::fs::remove_dir_all(&root);
}
