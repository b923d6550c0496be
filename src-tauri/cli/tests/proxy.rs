//! `tokentray proxy` in front of a resource server of the tests' own that takes only tokens
//! the test IdP says are live: requests go through with the account's token (bodies, queries,
//! headers and a streamed answer intact); a token revoked mid-run is renewed on the 401 and
//! the request sent again, so it still succeeds (the server counts one 401 and a second
//! token); a program the account is not lent to is refused; SIGTERM stops it cleanly.

#![allow(clippy::disallowed_methods)] // whole-system tests read the real clock

mod common;
#[path = "../../core/tests/support/mod.rs"]
mod support;

use common::{run, stdout, tokentray, Daemon};
use std::io::BufRead;
use std::process::{Child, Stdio};
use support::{Idp, Server};

/// `tokentray proxy NAME` on a free loopback port; its address once it listens.
fn proxy(home: &std::path::Path, name: &str, upstream: &str) -> (Child, String) {
    let mut child = tokentray(home)
        .args(["proxy", name, "--upstream", upstream])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut said = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    said.read_line(&mut line).unwrap();
    let address = line
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    // Keep its stderr drained (the last line is read at the end).
    std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut said, &mut rest);
        std::fs::write(
            std::env::temp_dir().join(format!("tokentray-proxy-{}.err", child_id())),
            rest,
        )
        .ok();
    });
    (child, address)
}

fn child_id() -> u32 {
    std::process::id()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_proxy_adds_the_token_and_renews_it_on_a_401() {
    let home = std::env::temp_dir().join(format!("tokentray-proxy-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    let idp = Idp::start(300);
    let api = Server::start(
        "tests/servers/resource-api.mjs",
        &[("IDP_ISSUER", idp.issuer.clone())],
    );
    std::fs::write(
        home.join("profile.toml"),
        format!(
            "[[account]]\nname = \"api\"\ngrant = \"client_credentials\"\ntoken_url = \"{0}\"\nclient_id = \"cc-basic\"\nclient_secret = \"cc-basic-secret\"\n\n[[account]]\nname = \"curlonly\"\ngrant = \"client_credentials\"\ntoken_url = \"{0}\"\nclient_id = \"cc-basic\"\nclient_secret = \"cc-basic-secret\"\nlend_to = [\"curl\"]\n",
            idp.token_url()
        ),
    )
    .unwrap();
    let _daemon = Daemon::start(&home);
    let (mut child, address) = proxy(&home, "api", &api.url);
    let http = reqwest::Client::new();
    let stats = || async {
        http.get(format!("{}/_control/stats", api.url))
            .send()
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap()
    };

    // Through the proxy: the token is added; method, path, query, body and headers go on.
    let echo: serde_json::Value = http
        .post(format!("{address}/echo?x=1"))
        .header("x-test", "kept")
        .header("authorization", "Bearer not-this-one")
        .body("hello")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(echo["sub"], "ok", "{echo}");
    assert_eq!(echo["method"], "POST");
    assert_eq!(echo["path"], "/echo");
    assert_eq!(echo["query"], "?x=1");
    assert_eq!(echo["body"], "hello");
    assert_eq!(echo["header"], "kept");

    // Revoked at the IdP mid-run: the next request still succeeds, after one 401 and a renewal.
    let revoked: serde_json::Value = http
        .post(format!("{}/_control/revoke", api.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(revoked["revoked"], true);
    let after = http
        .put(format!("{address}/echo"))
        .body("after the revocation")
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 200);
    let after: serde_json::Value = after.json().await.unwrap();
    assert_eq!(
        after["body"], "after the revocation",
        "the body was sent again"
    );
    let seen = stats().await;
    assert_eq!(seen["refused"], 1, "{seen}");
    assert_eq!(seen["tokens"], 2, "{seen}");
    eprintln!("resource server counted: {seen}");

    // A streamed answer arrives as it comes.
    let streamed = http.get(format!("{address}/stream")).send().await.unwrap();
    assert_eq!(streamed.text().await.unwrap().lines().count(), 5);

    // Every lend went through the policy and the audit, as `proxy`.
    let audit = stdout(&run(&home, &["audit", "api", "--json"]));
    assert!(audit.contains("\"via\": \"proxy\""), "{audit}");
    // A program the account is not lent to gets nothing through it.
    let (mut fenced, fenced_address) = proxy(&home, "curlonly", &api.url);
    let refused = http
        .get(format!("{fenced_address}/echo"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.unwrap().contains("not_allowed"));

    // Loopback only.
    let out = run(
        &home,
        &[
            "proxy",
            "api",
            "--listen",
            "0.0.0.0:0",
            "--upstream",
            &api.url,
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("this machine only"));

    // SIGTERM stops it cleanly.
    for c in [&mut child, &mut fenced] {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status();
        let status = c.wait().unwrap();
        assert!(status.success(), "{status:?}");
    }
}
