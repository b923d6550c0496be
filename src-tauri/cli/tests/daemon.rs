//! `tokentray daemon` and the commands that talk to it, end to end against the real test IdP.

mod common;
#[path = "../../core/tests/support/mod.rs"]
mod support;

use common::{device_login, read_until, run, stdout, tokentray, Daemon};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;
use support::Idp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripts_get_fresh_tokens_from_the_daemon() {
    let idp = Idp::start(300);
    let home = std::env::temp_dir().join(format!("tokentray-daemon-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(
        home.join("profile.toml"),
        format!(
            "[[account]]\nname = \"api\"\ngrant = \"client_credentials\"\ntoken_url = \"{0}\"\nclient_id = \"cc-basic\"\nclient_secret = \"cc-basic-secret\"\nscope = \"api:read\"\non_refresh = [\"sh\", \"{1}\"]\n\n[[account]]\nname = \"jwt\"\ngrant = \"client_credentials\"\ntoken_url = \"{0}\"\nclient_id = \"cc-jwt\"\nclient_secret = \"cc-jwt-secret\"\n",
            idp.token_url(),
            home.join("hook.sh").display()
        ),
    )
    .unwrap();
    // The hook writes down everything it was given: its argv and its whole environment.
    let hook_out = home.join("hook.out");
    std::fs::write(
        home.join("hook.sh"),
        format!(
            "{{ tr '\\0' ' ' < /proc/$$/cmdline; echo; env; }} >> {}\n",
            hook_out.display()
        ),
    )
    .unwrap();
    let mut daemon = Daemon::start(&home);

    let token = stdout(&run(&home, &["token", "api"])).trim().to_string();
    let first_token = token.clone();
    assert_eq!(idp.introspect(&token).await["active"], true);
    // The daemon serves the same token from memory: it is the one engine.
    assert_eq!(stdout(&run(&home, &["token", "api"])).trim(), token);
    // Unless the caller needs it valid longer than it will be (300 s tokens): then a new one.
    let longer = stdout(&run(&home, &["token", "api", "--min-valid", "10m"]))
        .trim()
        .to_string();
    assert_ne!(longer, token);
    assert_eq!(idp.introspect(&longer).await["active"], true);
    let token = longer;
    assert_eq!(
        stdout(&run(&home, &["token", "api", "--min-valid", "60s"])).trim(),
        token
    );
    assert_eq!(
        run(&home, &["token", "api", "--min-valid", "soon"])
            .status
            .code(),
        Some(2)
    );

    // exec: the token arrives in the environment, under the name asked for.
    let seen = stdout(&run(
        &home,
        &["exec", "api", "--", "sh", "-c", "printf %s \"$TOKEN\""],
    ));
    assert_eq!(seen, token);
    let seen = stdout(&run(
        &home,
        &[
            "exec",
            "api",
            "--env",
            "API_TOKEN",
            "--",
            "sh",
            "-c",
            "printf %s \"$API_TOKEN\"",
        ],
    ));
    assert_eq!(seen, token);
    let code = run(&home, &["exec", "api", "--", "sh", "-c", "exit 7"])
        .status
        .code();
    assert_eq!(code, Some(7), "exec passes the command's exit status on");

    stdout(&run(&home, &["refresh", "api"]));
    let history: serde_json::Value =
        serde_json::from_str(&stdout(&run(&home, &["history", "api", "--json"]))).unwrap();
    assert!(history.as_array().unwrap().len() >= 2, "{history}");
    assert_eq!(history[0]["outcome"], "ok");

    let list: serde_json::Value =
        serde_json::from_str(&stdout(&run(&home, &["list", "--json"]))).unwrap();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["api", "jwt"]);
    assert!(stdout(&run(&home, &["status", "api"])).contains("status:        ok"));

    let decoded: serde_json::Value =
        serde_json::from_str(&stdout(&run(&home, &["decode", "jwt", "--json"]))).unwrap();
    assert_eq!(decoded["claims"]["aud"], "urn:tokentray:test-api");
    assert!(stdout(&run(&home, &["decode", "api"])).contains("opaque"));

    let out = run(&home, &["token", "nobody"]);
    assert_eq!(out.status.code(), Some(3));

    // remove revokes at the server, then forgets the account.
    let added = home.join("revocable.toml");
    std::fs::write(&added, format!("[[account]]\nname = \"gone\"\ngrant = \"client_credentials\"\ntoken_url = \"{0}\"\nrevocation_url = \"{0}/revocation\"\nclient_id = \"cc-basic\"\nclient_secret = \"cc-basic-secret\"\n", idp.token_url())).unwrap();
    stdout(&run(&home, &["import", added.to_str().unwrap()]));
    let doomed = stdout(&run(&home, &["token", "gone"])).trim().to_string();
    assert_eq!(idp.introspect(&doomed).await["active"], true);
    assert!(stdout(&run(&home, &["remove", "gone"])).contains("revoked"));
    assert_eq!(
        idp.introspect(&doomed).await["active"],
        false,
        "revoked at the IdP"
    );
    assert_eq!(run(&home, &["token", "gone"]).status.code(), Some(3));
    assert!(stdout(&run(&home, &["remove", "jwt"])).contains("no revocation_url"));

    // Another user is refused by the socket even when the files would let them in (the
    // directory and socket opened up on purpose here): the uid check is what stops them.
    if Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout == b"0\n")
        .unwrap_or(false)
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(
            home.join("engine.sock"),
            std::fs::Permissions::from_mode(0o777),
        )
        .unwrap();
        let out = Command::new("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                env!("CARGO_BIN_EXE_tokentray"),
                "token",
                "api",
            ])
            .env("TOKENTRAY_HOME", &home)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && out.stdout.is_empty(),
            "another uid got an answer: {stderr}"
        );
        // The CLI refuses another user's data directory before it connects...
        assert!(stderr.contains("belongs to another user"), "{stderr}");
        // ...and the engine refuses another user's connection at once, whatever it sends
        // (curl as a raw socket client, printing any answer: 52, 55 and 56 are "nothing came";
        // 7, "could not connect", was seen once on a loaded machine: nothing came either).
        let raw = Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .args(["curl", "-s", "--http0.9", "--unix-socket"])
            .arg(home.join("engine.sock"))
            .arg("http://engine/")
            .output()
            .unwrap();
        assert!(
            matches!(raw.status.code(), Some(7 | 52 | 55 | 56)) && raw.stdout.is_empty(),
            "the engine answered another uid: {:?} {} {}",
            raw.status,
            String::from_utf8_lossy(&raw.stdout),
            String::from_utf8_lossy(&raw.stderr)
        );
        std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::fs::set_permissions(
            home.join("engine.sock"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
        let log = std::fs::read_to_string(&daemon.log).unwrap();
        assert!(
            log.contains("refused a connection from another user"),
            "{log}"
        );
    } else {
        eprintln!("skipped the other-uid check: it needs root to switch users");
    }

    // A second engine on the same directory is refused, naming the daemon.
    let out = run(&home, &["daemon"]);
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains(&daemon.child.id().to_string()));

    // SIGTERM: a clean stop, the socket gone.
    Command::new("kill")
        .arg("-TERM")
        .arg(daemon.child.id().to_string())
        .status()
        .unwrap();
    let status = daemon.child.wait().unwrap();
    assert!(status.success(), "{status}");
    assert!(!home.join("engine.sock").exists());

    // Logs at trace level name no secret.
    let log = std::fs::read_to_string(&daemon.log).unwrap();
    assert!(log.contains("tokentray daemon started"), "{log}");
    // Nor do the argv and environment of the hook's process (it ran: its file has the
    // account's name), though the daemon's own environment holds the passphrase.
    let hook = std::fs::read_to_string(&hook_out).unwrap();
    assert!(hook.contains("TOKENTRAY_ACCOUNT=api"), "{hook}");
    for secret in [
        token.as_str(),
        first_token.as_str(),
        "cc-basic-secret",
        "cc-jwt-secret",
        "daemon-test",
    ] {
        assert!(!log.contains(secret), "{secret} in the daemon's log");
        assert!(!hook.contains(secret), "{secret} reached the hook: {hook}");
    }
}

#[test]
fn completions_are_printed_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let out = Command::new(env!("CARGO_BIN_EXE_tokentray"))
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains("tokentray") && text.contains("exec"),
            "{shell}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_is_all_or_nothing_and_export_round_trips() {
    let idp = Idp::start(300);
    let home = std::env::temp_dir().join(format!("tokentray-import-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    let _daemon = Daemon::start(&home);
    let account = |name: &str| {
        format!("[[account]]\nname = \"{name}\"\ngrant = \"client_credentials\"\ntoken_url = \"{}\"\nclient_id = \"cc-basic\"\nclient_secret_env = \"TT_IMPORT_SECRET\"\nscope = \"api:read\"\n\n", idp.token_url())
    };
    let file = home.join("import.toml");
    let import = |text: &str| {
        std::fs::write(&file, text).unwrap();
        // The file reads this machine's environment: the person's own file, allowed.
        tokentray(&home)
            .args(["import", "--allow-local"])
            .arg(&file)
            .env("TT_IMPORT_SECRET", "cc-basic-secret")
            .output()
            .unwrap()
    };
    let listed = || -> Vec<String> {
        let list: serde_json::Value =
            serde_json::from_str(&stdout(&run(&home, &["list", "--json"]))).unwrap();
        list.as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap().to_string())
            .collect()
    };

    // Bad files: a clear error with a line, and nothing imported.
    for (bad, says) in [
        (
            format!("{}{}", account("one"), account("one")),
            "two accounts are named",
        ),
        (
            format!(
                "{}{}",
                account("one"),
                account("two").replace("scope =", "scopes =")
            ),
            "line 9",
        ),
        (format!("{}[[account]\n", account("one")), "line"),
        (
            account("one").replace("TT_IMPORT_SECRET", "TT_NOT_SET_ANYWHERE"),
            "TT_NOT_SET_ANYWHERE",
        ),
    ] {
        let out = import(&bad);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("error[invalid_config]")
                && stderr.contains(says)
                && stderr.contains("nothing was imported"),
            "{stderr}"
        );
        assert!(listed().is_empty(), "a failed import added accounts");
    }

    let out = import(&format!("{}{}", account("one"), account("two")));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(listed(), ["one", "two"]);
    let token = stdout(&run(&home, &["token", "two"])).trim().to_string();
    assert_eq!(idp.introspect(&token).await["active"], true);

    // Export: no secret unless asked; with secrets it imports elsewhere and works.
    let plain = stdout(&run(&home, &["export"]));
    assert!(
        !plain.contains("cc-basic-secret") && !plain.contains(&token),
        "{plain}"
    );
    assert!(plain.contains("name = \"one\""), "{plain}");
    let full = stdout(&run(&home, &["export", "--with-secrets"]));
    assert!(full.contains("cc-basic-secret"));
    let other = home.join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("in.toml"), &full).unwrap();
    let out = tokentray(&other)
        .args(["--standalone", "import"])
        .arg(other.join("in.toml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again = stdout(
        &tokentray(&other)
            .args(["--standalone", "token", "one"])
            .output()
            .unwrap(),
    )
    .trim()
    .to_string();
    assert_eq!(idp.introspect(&again).await["active"], true);
}

/// Reads the child's stderr until a line contains `marker`; returns what was read.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_from_the_terminal_with_the_browser_or_a_device_code() {
    let idp = Idp::start_with(300, &[("IDP_DEVICE_INTERVAL", "1".into())]);
    let home = std::env::temp_dir().join(format!("tokentray-login-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(
        home.join("profile.toml"),
        format!(
            "[[account]]\nname = \"web\"\ngrant = \"authorization_code\"\nauthorization_url = \"{0}/auth\"\ntoken_url = \"{0}/token\"\nclient_id = \"app-native\"\nscope = \"openid offline_access api:read\"\n\n\
             [[account]]\nname = \"tv\"\ngrant = \"device_code\"\ndevice_authorization_url = \"{0}/device/auth\"\ntoken_url = \"{0}/token\"\nclient_id = \"app-native\"\nscope = \"openid offline_access api:read\"\n\n\
             [[account]]\nname = \"api\"\ngrant = \"client_credentials\"\ntoken_url = \"{0}/token\"\nclient_id = \"cc-basic\"\nclient_secret = \"cc-basic-secret\"\n",
            idp.issuer
        ),
    )
    .unwrap();
    let _daemon = Daemon::start(&home);

    // Before a login there is nothing to serve, and the error says what to do.
    let out = run(&home, &["token", "web"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[login_required]"));

    // Auth code: the CLI starts $BROWSER on the URL (here curl, a browser that signs in
    // through the IdP's automatic consent); the daemon receives the callback.
    let jar = home.join("cookies");
    let out = tokentray(&home)
        .args(["login", "web"])
        .env(
            "BROWSER",
            format!("curl -sL -c {} -o /dev/null", jar.display()),
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("code_challenge_method=S256"), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("web: signed in"));
    let token = stdout(&run(&home, &["token", "web"])).trim().to_string();
    assert_eq!(idp.introspect(&token).await["active"], true);
    // It renews itself from now on: a forced refresh uses the refresh token it got.
    stdout(&run(&home, &["refresh", "web"]));
    let renewed = stdout(&run(&home, &["token", "web"])).trim().to_string();
    assert_ne!(renewed, token);
    assert_eq!(idp.introspect(&renewed).await["active"], true);

    // Device flow: the code and a QR code on stderr; approved on "another device".
    let shown = device_login(&home, "tv").await;
    assert!(shown.contains("enter the code"), "{shown}");
    let token = stdout(&run(&home, &["token", "tv"])).trim().to_string();
    assert_eq!(idp.introspect(&token).await["active"], true);
    let history: serde_json::Value =
        serde_json::from_str(&stdout(&run(&home, &["history", "tv", "--json"]))).unwrap();
    assert_eq!(history[0]["outcome"], "ok", "{history}");

    // Giving up (Ctrl+C kills the CLI): the daemon cancels the login and closes its listener.
    let mut login = tokentray(&home)
        .args(["login", "web"])
        .env("BROWSER", "true")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(login.stderr.take().unwrap());
    let shown = read_until(&mut stderr, "redirect_uri=");
    let port: u16 = shown
        .split("redirect_uri=http%3A%2F%2F127.0.0.1%3A")
        .nth(1)
        .and_then(|rest| rest.split('%').next())
        .and_then(|p| p.parse().ok())
        .expect("the loopback port in the URL");
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
    login.kill().unwrap();
    login.wait().unwrap();
    let closed = (0..50).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
    });
    assert!(closed, "the loopback listener outlived the CLI");

    // Accounts that need no person say so.
    let out = run(&home, &["login", "api"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("without a login"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_cli_calls_while_the_scheduler_refreshes() {
    // 1 s tokens: the daemon's loop refreshes both accounts about twice a second meanwhile.
    let idp = Idp::start(1);
    let home = std::env::temp_dir().join(format!("tokentray-contend-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(
        home.join("profile.toml"),
        format!(
            "[[account]]\nname = \"a\"\ngrant = \"client_credentials\"\ntoken_url = \"{0}\"\nclient_id = \"cc-basic\"\nclient_secret = \"cc-basic-secret\"\n\n[[account]]\nname = \"b\"\ngrant = \"client_credentials\"\ntoken_url = \"{0}\"\nclient_id = \"cc-jwt\"\nclient_secret = \"cc-jwt-secret\"\n",
            idp.token_url()
        ),
    )
    .unwrap();
    let _daemon = Daemon::start(&home);

    // The files the engine made are the user's alone.
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&home.join("engine.sock")), 0o600);
    assert_eq!(mode(&home.join("tokentray.db")), 0o600);
    let fresh = home.join("fresh");
    let _other = Daemon::start(&fresh);
    assert_eq!(mode(&fresh), 0o700, "a data directory the engine creates");

    // A hundred scripts at once, of every kind, while refreshes land in the store.
    let calls: Vec<_> = (0..100)
        .map(|i| {
            let args: &[&str] = match i % 5 {
                0 | 1 => &["token", "a"],
                2 => &["token", "b", "--min-valid", "1s"],
                3 => &["history", "a", "--json"],
                _ => &["refresh", "b"],
            };
            tokentray(&home)
                .args(args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut served = 0;
    for call in calls {
        let out = call.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(!stderr.contains("locked"), "{stderr}");
        served += 1;
    }
    assert_eq!(served, 100);
    // And the store took every refresh meanwhile (the loop's and the 20 forced ones): all ok.
    std::thread::sleep(Duration::from_millis(1500));
    for (account, at_least) in [("a", 2), ("b", 21)] {
        let history: serde_json::Value = serde_json::from_str(&stdout(&run(
            &home,
            &["history", account, "--json", "--limit", "1000"],
        )))
        .unwrap();
        let entries = history.as_array().unwrap();
        assert!(entries.len() >= at_least, "{account}: {history}");
        assert!(entries.iter().all(|h| h["outcome"] == "ok"), "{history}");
    }
}

#[test]
#[allow(clippy::disallowed_methods)] // an expiry date three days from the real now
fn events_stream_to_scripts_and_on_event_hooks_forward_warnings() {
    let home = std::env::temp_dir().join(format!("tokentray-events-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    let _daemon = Daemon::start(&home);
    let mut events = tokentray(&home)
        .args(["events", "--json"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines, received) = std::sync::mpsc::channel();
    let out = events.stdout.take().unwrap();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    std::thread::sleep(Duration::from_millis(500)); // the stream is open before the import

    // A pasted token three days from its end, whose warnings a server forwards by a hook.
    let told = home.with_extension("told.txt");
    let ends = (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339();
    let file = home.with_extension("events.toml");
    std::fs::write(
        &file,
        format!(
            "[[account]]\nname = \"pat\"\ngrant = \"static\"\ntoken = \"pat-secret-events\"\nexpires_at = \"{ends}\"\non_event = [\"sh\", \"-c\", \"env | grep ^TOKENTRAY_ | sort > '{}'\"]\n",
            told.display()
        ),
    )
    .unwrap();
    // Its hook runs a program: the person's own file, allowed.
    stdout(&run(
        &home,
        &["import", "--allow-commands", file.to_str().unwrap()],
    ));

    let warning = loop {
        let line = received
            .recv_timeout(Duration::from_secs(10))
            .expect("an expiry warning on the event stream");
        let event: serde_json::Value = serde_json::from_str(&line).unwrap();
        if event["type"] == "expiry_warning" {
            break event;
        }
    };
    assert_eq!(warning["account"], "pat");
    assert_eq!(warning["credential"], "token");
    assert_eq!(warning["threshold_secs"], 7 * 86_400);
    let _ = events.kill();
    let _ = events.wait();

    let mut hook = String::new();
    for _ in 0..100 {
        hook = std::fs::read_to_string(&told).unwrap_or_default();
        if hook.contains("TOKENTRAY_EVENT") {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(hook.contains("TOKENTRAY_EVENT=expiry_warning"), "{hook}");
    assert!(hook.contains("TOKENTRAY_ACCOUNT=pat"), "{hook}");
    assert!(hook.contains("TOKENTRAY_CREDENTIAL=token"), "{hook}");
    assert!(
        !hook.contains("pat-secret-events"),
        "the token reached the hook"
    );
    assert!(
        !hook.contains("daemon-test"),
        "the passphrase reached the hook"
    );
    let status = stdout(&run(&home, &["status", "pat"]));
    assert!(status.contains("expiring"), "{status}");
    assert!(
        status.contains("runs out:      token in 2d 23h"),
        "{status}"
    );
    let _ = std::fs::remove_dir_all(&home);
}

/// The guide's setup, whole, through the daemon: the admin logs in once and renews by its
/// refresh token; the bot's service token (3 days left) is exchanged for access tokens, warned
/// of, and renewed by a command that mints a new one at the API with the admin's token, asked
/// of the running engine (`tokentray token admin`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guides_admin_and_bot_with_a_service_token_renewed_by_the_admins_token() {
    let api = support::Server::start("tests/servers/custom-api.mjs", &[]);
    let http = reqwest::Client::new();
    // Today's service token, minted by hand as the guide's reader would, 3 days from its end.
    let login: serde_json::Value = http
        .post(format!("{}/guide/auth/login", api.url))
        .form(&[("username", "alice"), ("password", "alice-password")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let minted: serde_json::Value = http
        .post(format!("{}/api/service-tokens?days=3", api.url))
        .bearer_auth(login["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let service_token = minted["token"].as_str().unwrap();

    let home = std::env::temp_dir().join(format!("tokentray-guide-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    let mint = home.with_extension("mint.sh");
    std::fs::write(
        &mint,
        format!(
            "curl -sf -X POST -H \"Authorization: Bearer $('{}' token admin)\" '{}/api/service-tokens?days=90'\n",
            env!("CARGO_BIN_EXE_tokentray"),
            api.url
        ),
    )
    .unwrap();
    std::fs::write(
        home.join("profile.toml"),
        format!(
            r#"[[account]]
name = "admin"
grant = "password"
login_url = "{api}/guide/auth/login"
body = "form"
username = "alice"
password = "alice-password"
[account.refresh]
url = "{api}/guide/auth/refresh"
secret_in = {{ query = "refresh_token" }}

[[account]]
name = "bot"
grant = "custom"
secret = "{service_token}"
renew_command = ["sh", "{mint}"]
[account.request]
url = "{api}/auth/service-token/refresh"
secret_in = "bearer"
"#,
            api = api.url,
            mint = mint.display()
        ),
    )
    .unwrap();
    let _daemon = Daemon::start(&home);

    let days_left = || {
        let status: serde_json::Value =
            serde_json::from_str(&stdout(&run(&home, &["status", "bot", "--json"]))).unwrap();
        let ends = status["credential"]["expires_at"]
            .as_str()
            .map(String::from);
        ends.map(|e| {
            let ends = chrono::DateTime::parse_from_rfc3339(&e).unwrap();
            #[allow(clippy::disallowed_methods)] // days left, from the real now
            let left = ends.signed_duration_since(chrono::Utc::now());
            left.num_days()
        })
    };
    let mut left = None;
    for _ in 0..150 {
        left = days_left();
        if left == Some(89) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        left,
        Some(89),
        "the bot's service token was renewed for 90 days"
    );
    let bot = stdout(&run(&home, &["token", "bot"]));
    let me = http
        .get(format!("{}/api/me", api.url))
        .bearer_auth(bot.trim())
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200, "the bot's access token works");
    let stats: serde_json::Value = http
        .get(format!("{}/_control/stats", api.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Minted by hand, then once by the renewal; the admin logged in once for it (the other
    // login is this test's own).
    assert_eq!(stats["counts"]["service-token-created"], 2, "{stats}");
    assert_eq!(stats["counts"]["guide-login"], 2, "{stats}");
    let _ = std::fs::remove_dir_all(&home);
}
