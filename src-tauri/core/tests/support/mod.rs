//! Helpers for tests against real servers: start the test IdP (`tests/idp/server.mjs`) or the
//! project's custom API server (`tests/servers/custom-api.mjs`) on an ephemeral port, stop
//! them when dropped, and play the person's browser for logins.
#![allow(dead_code)] // each test binary uses its own share of these

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use tokentray_core::grant::Context;
use tokentray_core::{Clock, SystemClock};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// A Node server of the tests that prints one JSON line with its address when ready.
pub struct Server {
    pub url: String,
    /// The whole ready line (the IdP's `mtls` address, say).
    pub ready: serde_json::Value,
    child: Child,
}

impl Server {
    pub fn start(script: &str, env: &[(&str, String)]) -> Server {
        let root = repo_root();
        assert!(
            root.join("tests/node_modules/oidc-provider").exists(),
            "the test servers' packages are missing: run `npm install --prefix tests`"
        );
        let mut child = Command::new("node")
            .arg(root.join(script))
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::piped())
            .stderr(if std::env::var_os("TEST_SERVER_LOGS").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()
            .expect("node must be installed to run the test servers");
        let mut line = String::new();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        stdout.read_line(&mut line).unwrap();
        // Keep reading, so that whatever the server prints later never meets a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let ready: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|_| panic!("{script} did not say it was ready: {line:?}"));
        let url = ready["issuer"]
            .as_str()
            .or(ready["url"].as_str())
            .unwrap()
            .to_string();
        Server { url, ready, child }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The test IdP (oidc-provider).
pub struct Idp {
    pub issuer: String,
    /// Its mutual-TLS address, when started with IDP_MTLS_* (RFC 8705).
    pub mtls: Option<String>,
    _server: Server,
}

impl Idp {
    /// Starts the IdP with this access-token lifetime (seconds).
    pub fn start(access_token_ttl: u64) -> Idp {
        Idp::start_with(access_token_ttl, &[])
    }

    pub fn start_with(access_token_ttl: u64, env: &[(&str, String)]) -> Idp {
        let mut env = env.to_vec();
        env.push(("IDP_ACCESS_TOKEN_TTL", access_token_ttl.to_string()));
        let server = Server::start("tests/idp/server.mjs", &env);
        Idp {
            issuer: server.url.clone(),
            mtls: server.ready["mtls"].as_str().map(String::from),
            _server: server,
        }
    }

    pub fn token_url(&self) -> String {
        format!("{}/token", self.issuer)
    }

    /// RFC 7662 introspection, as the resource server would ask it.
    pub async fn introspect(&self, token: &str) -> serde_json::Value {
        reqwest::Client::new()
            .post(format!("{}/token/introspection", self.issuer))
            .basic_auth("cc-basic", Some("cc-basic-secret"))
            .form(&[("token", token)])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// RFC 7009 revocation, as an administrator or a leak response would.
    pub async fn revoke(&self, token: &str) {
        let answer = reqwest::Client::new()
            .post(format!("{}/token/revocation", self.issuer))
            .basic_auth("cc-basic", Some("cc-basic-secret"))
            .form(&[("token", token)])
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success());
    }
}

/// The custom API server (non-standard endpoints, fault injection).
pub fn custom_api(ttl: u64) -> Server {
    Server::start(
        "tests/servers/custom-api.mjs",
        &[("CUSTOM_TTL", ttl.to_string())],
    )
}

/// A grant context on the real clock with the engine's HTTP client.
pub fn context(http: &reqwest::Client) -> Context<'_> {
    static CLOCK: SystemClock = SystemClock;
    Context {
        http,
        clock: &CLOCK as &dyn Clock,
    }
}

pub fn clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

/// A person's browser: follows redirects with cookies. Returns the final response's text.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap()
}

/// Submits the first form of an HTML page with its own fields, as a person pressing its button.
pub async fn submit_form(
    browser: &reqwest::Client,
    page_url: &str,
    html: &str,
) -> (String, String) {
    let form_start = html.find("<form").expect("a form on the page");
    let form = &html[form_start
        ..html[form_start..]
            .find("</form>")
            .map(|e| form_start + e)
            .unwrap()];
    let attr = |tag: &str, name: &str| {
        let key = format!("{name}=\"");
        tag.find(&key).map(|i| {
            let rest = &tag[i + key.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
    };
    let action = attr(form, "action").unwrap();
    let mut fields = Vec::new();
    for input in form.split("<input").skip(1) {
        let tag = &input[..input.find('>').unwrap()];
        if let Some(name) = attr(tag, "name") {
            fields.push((name, attr(tag, "value").unwrap_or_default()));
        }
    }
    let url = reqwest::Url::parse(page_url)
        .unwrap()
        .join(&action)
        .unwrap();
    let response = browser.post(url).form(&fields).send().await.unwrap();
    let final_url = response.url().to_string();
    (final_url, response.text().await.unwrap())
}

/// Approves a device code through the IdP's real pages.
pub async fn approve_device(verification_uri_complete: &str) {
    let b = browser();
    let page = b.get(verification_uri_complete).send().await.unwrap();
    let url = page.url().to_string();
    let (url, confirm) = submit_form(&b, &url, &page.text().await.unwrap()).await;
    let (_, done) = submit_form(&b, &url, &confirm).await;
    assert!(
        done.contains("Sign-in Success"),
        "device approval failed: {done}"
    );
}
