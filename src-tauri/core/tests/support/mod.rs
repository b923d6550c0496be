//! Helpers for tests against real servers: start the test IdP (`tests/idp/server.mjs`) on an
//! ephemeral port and stop it when dropped.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

pub struct Idp {
    pub issuer: String,
    child: Child,
}

impl Idp {
    /// Starts the IdP with this access-token lifetime (seconds).
    pub fn start(access_token_ttl: u64) -> Idp {
        let root = repo_root();
        assert!(
            root.join("tests/node_modules/oidc-provider").exists(),
            "the test IdP's packages are missing: run `npm ci --prefix tests`"
        );
        let mut child = Command::new("node")
            .arg(root.join("tests/idp/server.mjs"))
            .env("IDP_ACCESS_TOKEN_TTL", access_token_ttl.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node must be installed to run the test IdP");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let ready: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|_| panic!("the IdP did not say it was ready: {line:?}"));
        Idp {
            issuer: ready["issuer"].as_str().unwrap().to_string(),
            child,
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
}

impl Drop for Idp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
