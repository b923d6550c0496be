//! Client authentication and sender-constrained tokens against the certified test IdP, each
//! with the IdP's feature on. `private_key_jwt` (RFC 7523 §2.2) with a key Tokentray generates
//! (its public JWK registered by dynamic registration, as a person would paste it) and with an
//! RSA key from a file (PS256): client credentials, an authorization-code login, its refresh
//! and its revocation, a device login and a token exchange; `client_secret_jwt`. Then DPoP,
//! mutual TLS and PAR. The IdP holds each client to its registered method, so a token it
//! issues (introspection names the client) shows the method was accepted.

mod common;
#[path = "../../core/tests/support/mod.rs"]
mod support;

use common::{browser_login, device_login, run, stdout, Daemon};
use std::path::Path;
use support::Idp;

/// Registers a client at the IdP (RFC 7591) under the client_id it names.
async fn register(idp: &Idp, client: serde_json::Value) {
    let answer = reqwest::Client::new()
        .post(format!("{}/reg", idp.issuer))
        .json(&client)
        .send()
        .await
        .unwrap();
    let status = answer.status();
    assert!(
        status.is_success(),
        "{status}: {}",
        answer.text().await.unwrap()
    );
}

fn code(home: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = run(home, args);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_key_jwt_and_client_secret_jwt_at_the_certified_idp() {
    let idp = Idp::start_with(300, &[("IDP_DEVICE_INTERVAL", "1".into())]);
    let home = std::env::temp_dir().join(format!("tokentray-pkjwt-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    // An RSA key of the person's own, readable by them alone.
    let rsa = home.with_extension("rsa.pem");
    let out = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&rsa)
        .output()
        .expect("openssl");
    assert!(out.status.success());
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&rsa, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let issuer = &idp.issuer;
    std::fs::write(
        home.join("profile.toml"),
        format!(
            r#"[[account]]
name = "signed"
grant = "client_credentials"
token_url = "{issuer}/token"
client_id = "pkjwt-cc"
auth_method = "private_key_jwt"
scope = "api:read"

[[account]]
name = "impostor"
grant = "client_credentials"
token_url = "{issuer}/token"
client_id = "pkjwt-cc"
auth_method = "private_key_jwt"

[[account]]
name = "rsa"
grant = "client_credentials"
token_url = "{issuer}/token"
client_id = "pkjwt-rsa"
auth_method = "private_key_jwt"
private_key_file = "{rsa}"
signing_alg = "PS256"
key_id = "rsa-1"

[[account]]
name = "web"
grant = "authorization_code"
authorization_url = "{issuer}/auth"
token_url = "{issuer}/token"
revocation_url = "{issuer}/token/revocation"
client_id = "pkjwt-app"
auth_method = "private_key_jwt"
scope = "openid offline_access api:read"

[[account]]
name = "tv"
grant = "device_code"
device_authorization_url = "{issuer}/device/auth"
token_url = "{issuer}/token"
client_id = "pkjwt-tv"
auth_method = "private_key_jwt"
scope = "openid offline_access api:read"

[[account]]
name = "act"
grant = "token_exchange"
token_url = "{issuer}/token"
client_id = "pkjwt-x"
auth_method = "private_key_jwt"
subject_account = "tv"

[[account]]
name = "hs"
grant = "client_credentials"
token_url = "{issuer}/token"
client_id = "cc-secret-jwt"
client_secret = "cc-secret-jwt-secret-long-enough-for-hs256-keys"
auth_method = "client_secret_jwt"

[[account]]
name = "hs-wrong"
grant = "client_credentials"
token_url = "{issuer}/token"
client_id = "cc-secret-jwt"
client_secret = "not-the-secret-but-just-as-long-as-the-real-one"
auth_method = "client_secret_jwt"
"#,
            rsa = rsa.display()
        ),
    )
    .unwrap();
    let _daemon = Daemon::start(&home);

    // Not yet registered: the server refuses the client, and says so.
    let (status, said) = code(&home, &["refresh", "signed"]);
    assert_eq!(status, Some(4), "{said}");
    assert!(said.contains("error[invalid_client]"), "{said}");

    // The generated key's public half, registered as a person would paste it.
    let jwks: serde_json::Value =
        serde_json::from_str(&stdout(&run(&home, &["key", "signed", "--jwks"]))).unwrap();
    let jwk = &jwks["keys"][0];
    assert_eq!(
        (jwk["kty"].as_str(), jwk["alg"].as_str()),
        (Some("EC"), Some("ES256"))
    );
    assert!(jwk.get("d").is_none(), "never the private half");
    let whole = stdout(&run(&home, &["key", "signed"]));
    assert!(whole.contains("-----BEGIN CERTIFICATE-----") && !whole.contains("PRIVATE"));
    register(
        &idp,
        serde_json::json!({
            "client_id": "pkjwt-cc",
            "grant_types": ["client_credentials"],
            "response_types": [],
            "redirect_uris": [],
            "token_endpoint_auth_method": "private_key_jwt",
            "token_endpoint_auth_signing_alg": "ES256",
            "jwks": jwks,
            "scope": "api:read",
        }),
    )
    .await;
    stdout(&run(&home, &["refresh", "signed"]));
    let token = stdout(&run(&home, &["token", "signed"])).trim().to_string();
    let seen = idp.introspect(&token).await;
    assert_eq!(seen["active"], true);
    assert_eq!(seen["client_id"], "pkjwt-cc");
    // The same client_id with another key (its own, generated) is refused.
    let (status, said) = code(&home, &["refresh", "impostor"]);
    assert_eq!(status, Some(4));
    assert!(said.contains("error[invalid_client]"), "{said}");

    // An RSA key from a file, PS256, under a kid.
    let jwks: serde_json::Value =
        serde_json::from_str(&stdout(&run(&home, &["key", "rsa", "--jwks"]))).unwrap();
    assert_eq!(jwks["keys"][0]["kid"], "rsa-1");
    assert_eq!(jwks["keys"][0]["alg"], "PS256");
    register(
        &idp,
        serde_json::json!({
            "client_id": "pkjwt-rsa",
            "grant_types": ["client_credentials"],
            "response_types": [],
            "redirect_uris": [],
            "token_endpoint_auth_method": "private_key_jwt",
            "token_endpoint_auth_signing_alg": "PS256",
            "jwks": jwks,
        }),
    )
    .await;
    stdout(&run(&home, &["refresh", "rsa"]));
    let token = stdout(&run(&home, &["token", "rsa"])).trim().to_string();
    assert_eq!(idp.introspect(&token).await["client_id"], "pkjwt-rsa");

    // A person's login with a signing client: the code exchange, the refresh and the
    // revocation each authenticate with an assertion.
    let jwks: serde_json::Value =
        serde_json::from_str(&stdout(&run(&home, &["key", "web", "--jwks"]))).unwrap();
    register(
        &idp,
        serde_json::json!({
            "client_id": "pkjwt-app",
            "application_type": "native",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "redirect_uris": ["http://127.0.0.1/callback"],
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks": jwks,
            "scope": "openid offline_access api:read",
        }),
    )
    .await;
    let out = browser_login(&home, "web");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first = stdout(&run(&home, &["token", "web"])).trim().to_string();
    stdout(&run(&home, &["refresh", "web"]));
    let renewed = stdout(&run(&home, &["token", "web"])).trim().to_string();
    assert_ne!(renewed, first);
    let seen = idp.introspect(&renewed).await;
    assert_eq!(
        (seen["active"].as_bool(), seen["client_id"].as_str()),
        (Some(true), Some("pkjwt-app"))
    );
    assert!(stdout(&run(&home, &["remove", "web"])).contains("tokens revoked at the server"));
    assert_eq!(idp.introspect(&renewed).await["active"], false);

    // A device login and a token exchange acting for its user, both signing their requests.
    for (client, grants) in [
        (
            "tv",
            serde_json::json!([
                "urn:ietf:params:oauth:grant-type:device_code",
                "refresh_token"
            ]),
        ),
        (
            "act",
            serde_json::json!(["urn:ietf:params:oauth:grant-type:token-exchange"]),
        ),
    ] {
        let jwks: serde_json::Value =
            serde_json::from_str(&stdout(&run(&home, &["key", client, "--jwks"]))).unwrap();
        register(
            &idp,
            serde_json::json!({
                "client_id": if client == "tv" { "pkjwt-tv" } else { "pkjwt-x" },
                "grant_types": grants,
                "response_types": [],
                "redirect_uris": [],
                "token_endpoint_auth_method": "private_key_jwt",
                "jwks": jwks,
                "scope": "openid offline_access api:read",
            }),
        )
        .await;
    }
    device_login(&home, "tv").await;
    let user = stdout(&run(&home, &["token", "tv"])).trim().to_string();
    assert_eq!(idp.introspect(&user).await["client_id"], "pkjwt-tv");
    stdout(&run(&home, &["refresh", "act"]));
    let acting = stdout(&run(&home, &["token", "act"])).trim().to_string();
    let seen = idp.introspect(&acting).await;
    assert_eq!(
        (seen["active"].as_bool(), seen["client_id"].as_str()),
        (Some(true), Some("pkjwt-x"))
    );

    // client_secret_jwt: the secret keys an HS256 assertion; a wrong one is refused.
    let token = stdout(&run(&home, &["token", "hs"])).trim().to_string();
    assert_eq!(idp.introspect(&token).await["client_id"], "cc-secret-jwt");
    let (status, said) = code(&home, &["refresh", "hs-wrong"]);
    assert_eq!(status, Some(4));
    assert!(said.contains("error[invalid_client]"), "{said}");

    // The key stays in the engine: not in export (unless asked), not in the database.
    let export = stdout(&run(&home, &["export"]));
    assert!(!export.contains("PRIVATE KEY"), "{export}");
    let db = std::fs::read(home.join("tokentray.db")).unwrap_or_default();
    assert!(!String::from_utf8_lossy(&db).contains("PRIVATE KEY"));
}

/// Sends a request with the two headers `tokentray token --dpop` printed.
async fn call_with(url: &str, headers: &str) -> (u16, serde_json::Value) {
    let mut request = reqwest::Client::new().get(url);
    for line in headers.lines() {
        let (name, value) = line.split_once(": ").expect("a header line");
        request = request.header(name, value);
    }
    let answer = request.send().await.unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dpop_bound_tokens_work_only_with_a_fresh_proof_of_the_accounts_key() {
    // The IdP requires a nonce in every proof: each token below took the nonce round trip.
    let idp = Idp::start(300);
    let api = support::Server::start(
        "tests/servers/bound-api.mjs",
        &[("IDP_ISSUER", idp.issuer.clone())],
    );
    let home = std::env::temp_dir().join(format!("tokentray-dpop-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    let issuer = &idp.issuer;
    std::fs::write(
        home.join("profile.toml"),
        format!(
            r#"[[account]]
name = "bound"
grant = "client_credentials"
token_url = "{issuer}/token"
client_id = "cc-basic"
client_secret = "cc-basic-secret"
dpop = true

[[account]]
name = "web"
grant = "authorization_code"
authorization_url = "{issuer}/auth"
token_url = "{issuer}/token"
client_id = "app-native"
scope = "openid offline_access api:read"
dpop = true
"#
        ),
    )
    .unwrap();
    let _daemon = Daemon::start(&home);
    let things = format!("{}/things", api.url);

    let headers = stdout(&run(&home, &["token", "bound", "--dpop", "GET", &things]));
    let token = headers
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("Authorization: DPoP "))
        .expect("Authorization: DPoP <token>")
        .to_string();
    let (status, answer) = call_with(&things, &headers).await;
    assert_eq!(status, 200, "{answer}");
    let seen = idp.introspect(&token).await;
    assert_eq!(seen["active"], true);
    assert_eq!(seen["token_type"], "DPoP");
    assert_eq!(
        seen["cnf"]["jkt"], answer["jkt"],
        "bound to the key of the proof"
    );

    // The same proof again, a proof for another URL, the token as a bearer: all refused.
    assert_eq!(
        call_with(&things, &headers).await.0,
        401,
        "a replayed proof"
    );
    let other = stdout(&run(
        &home,
        &[
            "token",
            "bound",
            "--dpop",
            "GET",
            &format!("{}/other", api.url),
        ],
    ));
    assert_eq!(
        call_with(&things, &other).await.0,
        401,
        "a proof for another URL"
    );
    let bearer = format!(
        "Authorization: Bearer {token}\n{}",
        headers.lines().nth(1).unwrap()
    );
    assert_eq!(call_with(&things, &bearer).await.0, 401, "a bearer use");
    let stats: serde_json::Value = reqwest::get(format!("{}/_control/stats", api.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let refused = stats["refused"].to_string();
    assert!(
        refused.contains("jti replayed")
            && refused.contains("htu")
            && refused.contains("not a DPoP token"),
        "{refused}"
    );

    // A new token (a forced refresh) is bound to the same key, and each call is fresh.
    stdout(&run(&home, &["refresh", "bound"]));
    let headers = stdout(&run(&home, &["token", "bound", "--dpop", "GET", &things]));
    let (status, again) = call_with(&things, &headers).await;
    assert_eq!((status, &again["jkt"]), (200, &answer["jkt"]));
    let plain = stdout(&run(&home, &["token", "bound"])).trim().to_string();
    assert_ne!(plain, token);

    // A person's login (a public client: its refresh token is bound too), then its refresh.
    let out = browser_login(&home, "web");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout(&run(&home, &["refresh", "web"]));
    let headers = stdout(&run(&home, &["token", "web", "--dpop", "GET", &things]));
    let (status, answer) = call_with(&things, &headers).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["client_id"], "app-native");

    // An account that does not bind its tokens says so.
    let out = run(&home, &["token", "nope", "--dpop", "GET", &things]);
    assert_eq!(out.status.code(), Some(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_the_server_wants_pushed_goes_through_par() {
    let idp = Idp::start(300);
    let meta: serde_json::Value =
        reqwest::get(format!("{}/.well-known/openid-configuration", idp.issuer))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    let par = meta["pushed_authorization_request_endpoint"]
        .as_str()
        .expect("the IdP offers PAR")
        .to_string();
    let home = std::env::temp_dir().join(format!("tokentray-par-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    let issuer = &idp.issuer;
    let account = |name: &str, par: &str| {
        format!(
            "[[account]]\nname = \"{name}\"\ngrant = \"authorization_code\"\nauthorization_url = \"{issuer}/auth\"\ntoken_url = \"{issuer}/token\"\nclient_id = \"app-par\"\nclient_secret = \"app-par-secret\"\nscope = \"openid offline_access api:read\"\n{par}\n"
        )
    };
    std::fs::write(
        home.join("profile.toml"),
        account("pushed", &format!("par_url = \"{par}\"")) + &account("unpushed", ""),
    )
    .unwrap();
    let _daemon = Daemon::start(&home);
    // Without PAR the server refuses the login (it requires pushed requests for this client).
    let refused = browser_login(&home, "unpushed");
    assert!(!refused.status.success());
    // With PAR the browser carries only the client_id and a request_uri: no PKCE challenge,
    // state or redirect in the URL a person (or a shoulder) sees.
    let out = browser_login(&home, "pushed");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("request_uri=urn"), "{said}");
    assert!(
        !said.contains("code_challenge") && !said.contains("redirect_uri"),
        "{said}"
    );
    let token = stdout(&run(&home, &["token", "pushed"])).trim().to_string();
    assert_eq!(idp.introspect(&token).await["client_id"], "app-par");
}

/// Runs openssl in `dir` (tests/setup.sh installs it).
fn openssl(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A P-256 key (mode 0600) and a certificate for `subject`: signed by the test CA with
/// `extensions`, or self-signed; valid `days` (0: it ends the moment it begins).
fn certificate(dir: &Path, name: &str, subject: &str, extensions: &str, signed: bool, days: &str) {
    let key = format!("{name}.key");
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            &key,
        ],
    );
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.join(&key), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let ext = format!("{name}.ext");
    std::fs::write(dir.join(&ext), extensions).unwrap();
    let (csr, pem) = (format!("{name}.csr"), format!("{name}.pem"));
    openssl(
        dir,
        &["req", "-new", "-key", &key, "-out", &csr, "-subj", subject],
    );
    let mut args = vec![
        "x509", "-req", "-in", &csr, "-out", &pem, "-days", days, "-extfile", &ext,
    ];
    match signed {
        true => args.extend(["-CA", "ca.pem", "-CAkey", "ca.key"]),
        false => args.extend(["-key", &key]),
    }
    openssl(dir, &args);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_client_authentication_and_certificate_bound_tokens() {
    let dir = std::env::temp_dir().join(format!("tokentray-mtls-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    openssl(
        &dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=Tokentray test CA",
        ],
    );
    let server_ext = "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n";
    let client_ext = "extendedKeyUsage=clientAuth\n";
    certificate(&dir, "server", "/CN=127.0.0.1", server_ext, true, "2");
    certificate(&dir, "client", "/CN=mtls-client", client_ext, true, "1");
    certificate(&dir, "self", "/CN=mtls-self", client_ext, false, "30");
    certificate(&dir, "expired", "/CN=mtls-client", client_ext, true, "0");
    let file = |name: &str| dir.join(name).display().to_string();
    let idp = Idp::start_with(
        300,
        &[
            ("IDP_MTLS_CERT", file("server.pem")),
            ("IDP_MTLS_KEY", file("server.key")),
            ("IDP_MTLS_CA", file("ca.pem")),
        ],
    );
    // The token endpoint clients with certificates use: discovery's mtls_endpoint_aliases.
    let meta: serde_json::Value =
        reqwest::get(format!("{}/.well-known/openid-configuration", idp.issuer))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    let token_url = meta["mtls_endpoint_aliases"]["token_endpoint"]
        .as_str()
        .expect("mtls_endpoint_aliases in discovery")
        .to_string();
    assert!(token_url.starts_with(idp.mtls.as_deref().unwrap()));
    let thumbprint =
        |name: &str| tokentray_core::jws::certificate_thumbprint(&dir.join(name)).unwrap();
    let self_jwk = {
        let key =
            tokentray_core::Secret::new(std::fs::read_to_string(dir.join("self.key")).unwrap());
        let mut jwk = tokentray_core::jws::SigningKey::from_pem(&key, None)
            .unwrap()
            .public_jwk()
            .unwrap();
        jwk["x5t#S256"] = thumbprint("self.pem").into();
        jwk
    };
    for client in [
        serde_json::json!({ "client_id": "mtls-pki", "token_endpoint_auth_method": "tls_client_auth", "tls_client_auth_subject_dn": "CN=mtls-client" }),
        serde_json::json!({ "client_id": "mtls-self", "token_endpoint_auth_method": "self_signed_tls_client_auth", "jwks": { "keys": [self_jwk] } }),
    ] {
        let mut client = client;
        for (k, v) in [
            ("grant_types", serde_json::json!(["client_credentials"])),
            ("response_types", serde_json::json!([])),
            ("redirect_uris", serde_json::json!([])),
            (
                "tls_client_certificate_bound_access_tokens",
                serde_json::json!(true),
            ),
            ("scope", serde_json::json!("api:read")),
        ] {
            client[k] = v;
        }
        register(&idp, client).await;
    }

    let home = dir.join("home");
    std::fs::create_dir_all(&home).unwrap();
    let account = |name: &str, client: &str, method: &str, cert: &str| {
        format!(
            "[[account]]\nname = \"{name}\"\ngrant = \"client_credentials\"\ntoken_url = \"{token_url}\"\nclient_id = \"{client}\"\nauth_method = \"{method}\"\ntls_client_cert_file = \"{}\"\ntls_client_key_file = \"{}\"\ntls_ca_file = \"{}\"\nscope = \"api:read\"\n\n",
            file(&format!("{cert}.pem")),
            file(&format!("{cert}.key")),
            file("ca.pem"),
        )
    };
    std::fs::write(
        home.join("profile.toml"),
        account("pki", "mtls-pki", "tls_client_auth", "client")
            + &account("self", "mtls-self", "self_signed_tls_client_auth", "self")
            + &account("outsider", "mtls-pki", "tls_client_auth", "self")
            + &account("lapsed", "mtls-pki", "tls_client_auth", "expired"),
    )
    .unwrap();
    let _daemon = Daemon::start(&home);

    // Each token is bound to the certificate that got it.
    let pki = stdout(&run(&home, &["token", "pki"])).trim().to_string();
    let seen = idp.introspect(&pki).await;
    assert_eq!(
        (seen["active"].as_bool(), seen["client_id"].as_str()),
        (Some(true), Some("mtls-pki"))
    );
    assert_eq!(seen["cnf"]["x5t#S256"], thumbprint("client.pem"));
    stdout(&run(&home, &["refresh", "pki"]));
    let renewed = stdout(&run(&home, &["token", "pki"])).trim().to_string();
    assert_ne!(renewed, pki);
    assert_eq!(
        idp.introspect(&renewed).await["cnf"]["x5t#S256"],
        thumbprint("client.pem")
    );
    let own = stdout(&run(&home, &["token", "self"])).trim().to_string();
    assert_eq!(
        idp.introspect(&own).await["cnf"]["x5t#S256"],
        thumbprint("self.pem")
    );

    // A certificate no CA vouches for is refused by the server; one that has expired is not
    // even sent: the account says so.
    let (status, said) = code(&home, &["refresh", "outsider"]);
    assert_eq!(status, Some(4), "{said}");
    assert!(said.contains("error[invalid_client]"), "{said}");
    let (status, said) = code(&home, &["refresh", "lapsed"]);
    assert_eq!(status, Some(4), "{said}");
    assert!(said.contains("error[certificate_expired]"), "{said}");
    // The client certificate runs out in a day: the account says so (warned at 1 day).
    let status: serde_json::Value =
        serde_json::from_str(&stdout(&run(&home, &["status", "pki", "--json"]))).unwrap();
    assert_eq!(status["credential"]["name"], "client certificate");
    assert_eq!(status["status"], "expiring");

    // The bound token works at a resource server only over a connection with that certificate.
    let api = support::Server::start(
        "tests/servers/bound-api.mjs",
        &[
            ("IDP_ISSUER", idp.issuer.clone()),
            ("API_TLS_CERT", file("server.pem")),
            ("API_TLS_KEY", file("server.key")),
            ("API_TLS_CA", file("ca.pem")),
        ],
    );
    let call = |cert: Option<&str>| {
        let ca =
            reqwest::Certificate::from_pem(&std::fs::read(dir.join("ca.pem")).unwrap()).unwrap();
        let mut builder = reqwest::Client::builder().add_root_certificate(ca);
        if let Some(cert) = cert {
            let pem = [
                std::fs::read(dir.join(format!("{cert}.pem"))).unwrap(),
                std::fs::read(dir.join(format!("{cert}.key"))).unwrap(),
            ]
            .concat();
            builder = builder.identity(reqwest::Identity::from_pem(&pem).unwrap());
        }
        let client = builder.build().unwrap();
        let (url, token) = (format!("{}/things", api.url), renewed.clone());
        async move {
            client
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(call(Some("client")).await, 200);
    assert_eq!(call(Some("self")).await, 401, "another certificate");
    assert_eq!(call(None).await, 401, "no certificate");
    let _ = std::fs::remove_dir_all(&dir);
}
