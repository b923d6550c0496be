//! How a client authenticates at a token endpoint (RFC 6749 §2.3.1, RFC 7523 §2.2): HTTP Basic,
//! form fields, a signed assertion (`client_secret_jwt` with the secret, `private_key_jwt`
//! with a private key), or not at all (a public client sends only its `client_id`). Every
//! grant that authenticates a client — token requests, device authorization, revocation —
//! goes through [`ClientAuth::apply`].

use crate::jws::{Alg, SigningKey};
use crate::secret::Secret;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    /// An HS256 assertion keyed with the client secret.
    ClientSecretJwt,
    /// An assertion signed with the client's private key (`private_key`; Tokentray generates
    /// one when none is given).
    PrivateKeyJwt,
    /// RFC 8705 §2.1: the client certificate (from a CA the server trusts) is the credential.
    TlsClientAuth,
    /// RFC 8705 §2.2: a self-signed client certificate registered with the client.
    SelfSignedTlsClientAuth,
    /// A public client (a native app with PKCE): `client_id` only.
    None,
}

/// What signs a `private_key_jwt` assertion, as an account's settings give it.
#[derive(Debug, Clone, Copy, Default)]
pub struct AssertionKey<'a> {
    /// PEM: PKCS#8 (P-256 or RSA) or PKCS#1 (RSA).
    pub private_key: Option<&'a Secret>,
    /// The `kid` the server registered the key under (sent only when given).
    pub key_id: Option<&'a str>,
    /// RS256 or PS256 for an RSA key (default RS256); ES256 for a P-256 key.
    pub signing_alg: Option<Alg>,
    /// A PEM certificate of the key: its `x5t#S256` goes in the header (Entra ID).
    pub certificate_file: Option<&'a std::path::Path>,
    /// The assertion's `aud` when the server wants other than the token endpoint (its issuer).
    pub audience: Option<&'a str>,
}

/// Declares a grant's `Config` with the client settings every grant that authenticates a
/// client shares: `auth_method` and what it signs or presents with, DPoP, mutual TLS.
/// (serde's `flatten` would share them as one struct, but it cannot go with
/// `deny_unknown_fields`, which keeps a misspelt key an error.)
macro_rules! client_config {
    ($(#[$meta:meta])* pub struct Config { $($field:tt)* }) => {
        $(#[$meta])*
        pub struct Config {
            $($field)*
            pub auth_method: Option<$crate::grant::client_auth::AuthMethod>,
            /// `private_key_jwt`: the client's key (PEM), the `kid` it is registered under,
            /// RS256 or PS256 for an RSA key, a certificate whose `x5t#S256` names it, the
            /// assertion's `aud`.
            pub private_key: Option<$crate::secret::Secret>,
            pub key_id: Option<String>,
            pub signing_alg: Option<$crate::jws::Alg>,
            pub certificate_file: Option<std::path::PathBuf>,
            pub assertion_audience: Option<String>,
            /// DPoP (RFC 9449): bind the tokens to a key the account holds (generated and
            /// sealed).
            pub dpop: Option<bool>,
            pub dpop_key: Option<$crate::secret::Secret>,
            /// Mutual TLS (RFC 8705): the client certificate (a PEM file) and its key (sealed;
            /// `tls_client_key_file` in a profile), and a CA to trust for the server's own
            /// certificate.
            pub tls_client_cert_file: Option<std::path::PathBuf>,
            pub tls_client_key: Option<$crate::secret::Secret>,
            pub tls_ca_file: Option<std::path::PathBuf>,
        }
    };
}
pub(crate) use client_config;

/// The client a `Config` declared with [`client_config!`] describes.
macro_rules! client_of {
    ($config:expr, $client_id:expr, $client_secret:expr) => {
        $crate::grant::client_auth::ClientAuth {
            client_id: $client_id,
            client_secret: $client_secret,
            method: $config.auth_method,
            key: $crate::grant::client_auth::AssertionKey {
                private_key: $config.private_key.as_ref(),
                key_id: $config.key_id.as_deref(),
                signing_alg: $config.signing_alg,
                certificate_file: $config.certificate_file.as_deref(),
                audience: $config.assertion_audience.as_deref(),
            },
            dpop: $config.dpop.unwrap_or(false),
            dpop_key: $config.dpop_key.as_ref(),
            tls: $crate::grant::client_auth::Tls {
                cert_file: $config.tls_client_cert_file.as_deref(),
                key: $config.tls_client_key.as_ref(),
                ca_file: $config.tls_ca_file.as_deref(),
            },
        }
    };
}
pub(crate) use client_of;

/// Mutual TLS: the certificate the client presents, its key, and a CA to trust for the
/// server's own certificate (a private CA).
#[derive(Debug, Clone, Copy, Default)]
pub struct Tls<'a> {
    pub cert_file: Option<&'a std::path::Path>,
    pub key: Option<&'a Secret>,
    pub ca_file: Option<&'a std::path::Path>,
}

/// A client's identity as a grant sends it.
#[derive(Debug, Clone, Copy)]
pub struct ClientAuth<'a> {
    pub client_id: &'a str,
    pub client_secret: Option<&'a Secret>,
    /// `None` = the default: Basic when there is a secret, public otherwise.
    pub method: Option<AuthMethod>,
    pub key: AssertionKey<'a>,
    /// Token requests carry DPoP proofs signed with `dpop_key` (RFC 9449).
    pub dpop: bool,
    pub dpop_key: Option<&'a Secret>,
    pub tls: Tls<'a>,
}

/// The assertion's lifetime (RFC 7523 asks for a short one; servers refuse long ones).
const ASSERTION_LIFETIME_SECS: i64 = 60;

impl ClientAuth<'_> {
    /// Whether the client presents a certificate (RFC 8705): then the server's mutual-TLS
    /// endpoint aliases are its endpoints.
    pub fn presents_certificate(&self) -> bool {
        self.tls.cert_file.is_some()
            || matches!(
                self.method,
                Some(AuthMethod::TlsClientAuth | AuthMethod::SelfSignedTlsClientAuth)
            )
    }

    pub fn method(&self) -> AuthMethod {
        self.method.unwrap_or(match self.client_secret {
            Some(_) => AuthMethod::ClientSecretBasic,
            None => AuthMethod::None,
        })
    }

    /// A method that needs a secret has one; a key and an algorithm fit together.
    pub fn check(&self) -> std::result::Result<(), String> {
        match self.method() {
            AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost | AuthMethod::ClientSecretJwt
                if self.client_secret.is_none() =>
            {
                Err("the client_secret is missing (or choose auth_method = \"private_key_jwt\" to sign with a key)".into())
            }
            AuthMethod::PrivateKeyJwt => match self.key.private_key {
                Some(pem) => SigningKey::from_pem(pem, self.key.signing_alg).map(drop),
                // The engine generates one when the account is added.
                None => Ok(()),
            },
            AuthMethod::TlsClientAuth | AuthMethod::SelfSignedTlsClientAuth
                if self.tls.cert_file.is_none() || self.tls.key.is_none() =>
            {
                Err("tls_client_auth needs tls_client_cert_file and its key (tls_client_key_file)".into())
            }
            _ if self.tls.cert_file.is_some() != self.tls.key.is_some() => {
                Err("give the client certificate (tls_client_cert_file) and its key (tls_client_key_file) together".into())
            }
            _ => Ok(()),
        }
    }

    /// A request to `endpoint` from the client: over mutual TLS when it has a certificate
    /// (one HTTP client per certificate, reused), with its credentials added to `form`.
    pub fn post(
        &self,
        ctx: super::Context<'_>,
        endpoint: &url::Url,
        form: &mut Vec<(&'static str, String)>,
    ) -> crate::Result<reqwest::RequestBuilder> {
        let http = match (self.tls.cert_file, self.tls.key, self.tls.ca_file) {
            (None, _, None) => ctx.http.clone(),
            (cert, key, ca) => {
                let read = |path: &std::path::Path| {
                    std::fs::read(path).map_err(|e| {
                        crate::Error::InvalidConfig(format!("{}: {e}", path.display()))
                    })
                };
                let identity = match (cert, key) {
                    (Some(cert), Some(key)) => {
                        // An expired certificate is refused here, whatever the server would
                        // do with it (refuse the handshake, or the client): a clear code.
                        let end = crate::jws::certificate_not_after(cert)
                            .map_err(crate::Error::InvalidConfig)?;
                        if end <= ctx.clock.now() {
                            return Err(crate::Error::CertificateExpired(end));
                        }
                        Some((read(cert)?, key))
                    }
                    _ => None,
                };
                let ca = ca.map(read).transpose()?;
                crate::http::for_tls(
                    identity.as_ref().map(|(c, k)| (c.as_slice(), *k)),
                    ca.as_deref(),
                )?
            }
        };
        self.apply(http.post(endpoint.clone()), form, endpoint, ctx.clock.now())
    }

    /// Adds the client's credentials to a request to `endpoint` with these form fields, at
    /// `now` (an assertion's `iat` and `exp`).
    fn apply(
        &self,
        request: reqwest::RequestBuilder,
        form: &mut Vec<(&'static str, String)>,
        endpoint: &url::Url,
        now: chrono::DateTime<chrono::Utc>,
    ) -> crate::Result<reqwest::RequestBuilder> {
        let secret = self.client_secret.map(Secret::expose).unwrap_or_default();
        let assertion = |key: SigningKey, header: serde_json::Value| {
            let claims = serde_json::json!({
                "iss": self.client_id,
                "sub": self.client_id,
                "aud": self.key.audience.unwrap_or(endpoint.as_str()),
                "jti": crate::jws::random_id(),
                "iat": now.timestamp(),
                "exp": now.timestamp() + ASSERTION_LIFETIME_SECS,
            });
            key.sign(header, &claims)
                .map_err(crate::Error::InvalidConfig)
        };
        let mut push_assertion = |jwt: String| {
            form.push(("client_id", self.client_id.to_string()));
            form.push((
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
            ));
            form.push(("client_assertion", jwt));
        };
        Ok(match self.method() {
            // Id and secret are form-urlencoded before they go into Basic (§2.3.1).
            AuthMethod::ClientSecretBasic => {
                request.basic_auth(form_encode(self.client_id), Some(form_encode(secret)))
            }
            AuthMethod::ClientSecretPost => {
                form.push(("client_id", self.client_id.to_string()));
                form.push(("client_secret", secret.to_string()));
                request
            }
            AuthMethod::ClientSecretJwt => {
                let secret = self.client_secret.ok_or_else(|| {
                    crate::Error::InvalidConfig("client_secret_jwt needs the client_secret".into())
                })?;
                push_assertion(assertion(
                    SigningKey::hmac(secret),
                    serde_json::json!({"typ": "JWT"}),
                )?);
                request
            }
            AuthMethod::PrivateKeyJwt => {
                let pem = self.key.private_key.ok_or_else(|| {
                    crate::Error::InvalidConfig("private_key_jwt needs a private_key (leave it out when adding the account and Tokentray generates one)".into())
                })?;
                let key = SigningKey::from_pem(pem, self.key.signing_alg)
                    .map_err(crate::Error::InvalidConfig)?;
                let mut header = serde_json::json!({"typ": "JWT"});
                if let Some(kid) = self.key.key_id {
                    header["kid"] = kid.into();
                }
                if let Some(file) = self.key.certificate_file {
                    header["x5t#S256"] = crate::jws::certificate_thumbprint(file)
                        .map_err(crate::Error::InvalidConfig)?
                        .into();
                }
                push_assertion(assertion(key, header)?);
                request
            }
            // The certificate, presented in the TLS handshake, is the credential.
            AuthMethod::None | AuthMethod::TlsClientAuth | AuthMethod::SelfSignedTlsClientAuth => {
                form.push(("client_id", self.client_id.to_string()));
                request
            }
        })
    }
}

fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// POSTs a form to a token endpoint with the client's credentials (and a DPoP proof when the
/// account binds its tokens) and parses the answer. A DPoP server that asks for a nonce
/// (`use_dpop_nonce`) gets the request once more, with it and a fresh assertion.
pub async fn token_request(
    ctx: super::Context<'_>,
    url: &url::Url,
    client: &ClientAuth<'_>,
    form: Vec<(&'static str, String)>,
) -> crate::Result<crate::token::TokenSet> {
    let mut nonce: Option<String> = None;
    loop {
        let now = ctx.clock.now();
        let mut form = form.clone();
        let mut request = client
            .post(ctx, url, &mut form)?
            .header("accept", "application/json");
        if client.dpop {
            let key = client.dpop_key.ok_or_else(|| {
                crate::Error::InvalidConfig("dpop = true but no DPoP key is held yet (it is generated when the account is saved)".into())
            })?;
            let proof = crate::dpop::proof(key, "POST", url, None, nonce.as_deref(), now)
                .map_err(crate::Error::InvalidConfig)?;
            request = request.header("DPoP", proof);
        }
        let response = crate::http::send(request.form(&form)).await?;
        match crate::dpop::wants_nonce(&response) {
            Some(asked) if client.dpop && nonce.is_none() => nonce = Some(asked.to_string()),
            _ => return crate::token::parse_response(&response, now),
        }
    }
}

/// Adds `key=value` to a form when the value is set and not empty.
pub fn push_opt(form: &mut Vec<(&'static str, String)>, key: &'static str, value: &Option<String>) {
    if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
        form.push((key, v.to_string()));
    }
}
