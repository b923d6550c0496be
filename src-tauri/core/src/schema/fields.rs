//! The settings several grants share (a client, its authentication, a described request and
//! answer, renewal by command, the scheduling policy), each described once.

use super::{Field, FieldKind};
use crate::grant::GrantKind;
use crate::limits::{MAX_LIFETIME_SECS, MAX_MARGIN_SECS};
use serde_json::json;

use FieldKind::*;

pub(super) fn url(key: &str, label: &str) -> Field {
    Field::new(key, label, Url).placeholder("https://")
}
/// The account's OpenID Provider or OAuth server: its endpoints are discovered from it (RFC 8414,
/// OpenID Connect Discovery), so the endpoint settings may be left out.
pub(super) fn issuer() -> Field {
    url("issuer", "Issuer").help("Endpoints left empty are found here (discovery), and found again when the server moves them.")
}
/// An endpoint discovery finds: required unless the account names its issuer.
pub(super) fn endpoint(key: &str, label: &str) -> Field {
    url(key, label)
        .required()
        .unless("issuer", &[])
        .help("Empty: from the issuer.")
}
pub(super) fn client_id() -> Field {
    Field::new("client_id", "Client ID", Text).required()
}
pub(super) fn client_secret() -> Field {
    Field::new("client_secret", "Client secret", Secret)
}
/// A client that authenticates: with its secret, unless it signs with a key or presents a
/// certificate.
pub(super) fn required_secret() -> Field {
    client_secret().required().unless(
        "auth_method",
        &[
            "private_key_jwt",
            "tls_client_auth",
            "self_signed_tls_client_auth",
        ],
    )
}
pub(super) fn scope() -> Field {
    Field::new("scope", "Scope", Text).placeholder("space-separated")
}
pub(super) fn revocation() -> Field {
    url("revocation_url", "Revocation endpoint")
        .help("Tokens are revoked there when the account is removed.")
}
pub(super) fn resource() -> Field {
    Field::new("resource", "Resource (RFC 8707)", Text).advanced()
}
pub(super) fn audience() -> Field {
    Field::new("audience", "Audience", Text).advanced()
}
pub(super) fn auth_method(public: bool) -> Field {
    let mut choices = vec![
        ("client_secret_basic", "client_secret_basic (HTTP Basic)"),
        ("client_secret_post", "client_secret_post (in the form)"),
    ];
    if public {
        choices.push(("none", "none (public client, PKCE)"));
    }
    choices.extend([
        (
            "client_secret_jwt",
            "client_secret_jwt (an assertion signed with the secret)",
        ),
        (
            "private_key_jwt",
            "private_key_jwt (an assertion signed with a key)",
        ),
    ]);
    Field::new("auth_method", "Client authentication", Select)
        .choices(&choices)
        .help("Default: HTTP Basic when there is a secret, else none.")
        .advanced()
}

/// What signs a `private_key_jwt` assertion ([`crate::grant::client_auth::AssertionKey`]) and
/// what binds tokens with DPoP, for every grant that authenticates a client.
pub(super) fn assertion() -> Vec<Field> {
    vec![
        Field::new("private_key", "Private key (PEM)", Secret)
            .help("For private_key_jwt: a PKCS#8 P-256 or RSA key. Leave it empty and Tokentray generates one; its public key (JWK) and a certificate are on the account's page and from `tokentray key NAME`.")
            .advanced(),
        Field::new("key_id", "Key ID (kid)", Text)
            .help("Sent when the server registered the key under one.")
            .advanced(),
        Field::new("signing_alg", "Signing algorithm", Select)
            .choices(&[("ES256", "ES256 (P-256 key)"), ("RS256", "RS256 (RSA key)"), ("PS256", "PS256 (RSA key)")])
            .help("Default: from the key.")
            .advanced(),
        Field::new("certificate_file", "Certificate of the key (file)", Text)
            .placeholder("/path/to/cert.pem")
            .help("Its SHA-256 thumbprint (x5t#S256) goes with each assertion: what Entra ID looks keys up by.")
            .advanced(),
        Field::new("assertion_audience", "Assertion audience", Text)
            .help("Default: the token endpoint. Some servers want their issuer.")
            .advanced(),
        Field::new("dpop", "Bind tokens to a key (DPoP)", Bool)
            .help("RFC 9449: each token request carries a proof of a key only Tokentray holds; scripts then call APIs with `tokentray token NAME --dpop METHOD URL`. Turn on when the server asks for it (dpop_signing_alg_values_supported).")
            .advanced(),
        Field::new("dpop_key", "DPoP key (PEM)", Secret)
            .help("Leave it empty: Tokentray generates one.")
            .advanced(),
        Field::new("tls_client_cert_file", "Client certificate (file)", Text)
            .placeholder("/path/to/client.pem")
            .help("Mutual TLS (RFC 8705): presented to the server; tokens may be bound to it. Tokentray warns before it expires.")
            .advanced(),
        Field::new("tls_client_key", "Client certificate's key (PEM)", Secret)
            .help("Sealed like any secret; in a profile, tls_client_key_file (readable by you alone).")
            .advanced(),
        Field::new("tls_ca_file", "Trust this CA for the server (file)", Text)
            .placeholder("/path/to/ca.pem")
            .help("For a server whose certificate comes from a private CA.")
            .advanced(),
    ]
}
pub(super) fn pointer(key: &str, label: &str, default: Option<&str>) -> Field {
    let field = Field::new(key, label, Text).help("A JSON pointer into the answer.");
    match default {
        Some(d) => field.default(json!(d)).placeholder(d),
        None => field,
    }
}

/// Where the tokens are in an answer (`{table}.*`), as [`crate::token::ResponseMap`] reads
/// it; `inherits` names what applies when a pointer is left out, when not the map's default.
pub(super) fn response(table: &str, advanced: bool, inherits: Option<&str>) -> Vec<Field> {
    let map = crate::token::ResponseMap::default();
    let fields = [
        (
            "access_token",
            "Access token at",
            Some(map.access_token.as_str()),
        ),
        (
            "expires_in",
            "Lifetime (seconds) at",
            map.expires_in.as_deref(),
        ),
        ("expires_at", "Or expiry time at", map.expires_at.as_deref()),
        (
            "refresh_token",
            "New secret (rotation) at",
            map.refresh_token.as_deref(),
        ),
        (
            "refresh_expires_in",
            "Refresh token lifetime at",
            map.refresh_expires_in.as_deref(),
        ),
        ("scope", "Scope at", map.scope.as_deref()),
        ("token_type", "Token type at", map.token_type.as_deref()),
    ];
    fields
        .into_iter()
        .enumerate()
        .map(|(i, (key, label, default))| {
            let key = format!("{table}.{key}");
            let field = match inherits {
                Some(what) => pointer(&key, label, None).help(&format!("Default: {what}.")),
                None => pointer(&key, label, default),
            };
            if advanced || i > 3 {
                field.advanced()
            } else {
                field
            }
        })
        .collect()
}

/// A described request (`{table}.*`, [`crate::grant::custom::RequestSpec`]): where it goes and
/// where the secret goes, then (under More settings) what else it carries.
pub(super) fn request(table: &str, label: &str, secret: &str) -> (Vec<Field>, Vec<Field>) {
    let key = |k: &str| format!("{table}.{k}");
    let main = vec![
        url(&key("url"), label).required(),
        Field::new(&key("method"), "Method", Select)
            .choices(&[("POST", "POST"), ("GET", "GET"), ("PUT", "PUT")])
            .default(json!("POST")),
        Field::new(
            &key("secret_in"),
            &format!("The {secret} goes in"),
            SecretIn,
        )
        .required()
        .choices(&secret_places()),
    ];
    let extra = vec![
        Field::new(&key("headers"), "Headers (JSON object)", Table).advanced(),
        Field::new(&key("query"), "Query parameters (JSON object)", Table).advanced(),
        Field::new(&key("form"), "Form fields (JSON object)", Table).advanced(),
        Field::new(&key("json"), "JSON body", Json).advanced(),
    ];
    (main, extra)
}

/// A custom request's second secret, sealed (under More settings).
pub(super) fn api_key() -> Vec<Field> {
    vec![
        Field::new("api_key", "API key (sealed)", Secret)
            .advanced()
            .help("A second secret the request carries, sealed like the first: put an API key here, not in Headers or Query parameters, which are plain settings."),
        Field::new("api_key_in", "The API key goes in", SecretIn)
            .advanced()
            .choices(&secret_places()),
    ]
}

/// Where a described request can put a secret.
pub(super) fn secret_places() -> [(&'static str, &'static str); 6] {
    [
        ("bearer", "Authorization: Bearer"),
        ("header", "a header named…"),
        ("basic", "HTTP Basic, with the username…"),
        ("query", "a query parameter named…"),
        ("form", "a form field named…"),
        ("json", "the JSON body at pointer…"),
    ]
}

/// Renewing what cannot renew itself with a command ([`crate::grant::renewal`]).
pub(super) fn renew(what: &str) -> Vec<Field> {
    vec![
        Field::new("renew_command", &format!("Renew the {what} with a command"), Argv)
            .help(&format!("One argument per line; it prints a new {what} (or JSON with access_token and expires_in), e.g. a script that mints a 90-day service token.")),
        Field::new("renew_before_secs", "Renew this long before it ends (seconds)", Number)
            .range(0, MAX_LIFETIME_SECS)
            .help("Empty: at the first warning threshold.")
            .advanced(),
    ]
}

/// The scheduling settings every account may override (else the app's settings apply).
pub(super) fn policy(kind: GrantKind) -> Vec<Field> {
    let warnings = Field::new("warn_before_secs", "Warn before expiry (seconds)", Numbers)
        .range(1, MAX_LIFETIME_SECS)
        .help("e.g. 604800 86400 3600 (7 days, 1 day, 1 hour). Empty: the app setting.");
    vec![
        Field::new("refresh_margin_secs", "Refresh margin (seconds)", Number)
            .range(0, MAX_MARGIN_SECS)
            .help("Refresh at least this long before expiry. Empty: the app setting.")
            .advanced(),
        if kind.renews_itself() {
            warnings.advanced()
        } else {
            warnings
        },
        Field::new("default_expires_in", "Assumed lifetime (seconds)", Number)
            .range(1, MAX_LIFETIME_SECS)
            .default(json!(crate::timing::DEFAULT_LIFETIME.num_seconds()))
            .help("When the server states no lifetime and the token is no JWT with exp.")
            .advanced(),
        Field::new("on_event", "Run on warnings and failures", Argv)
            .help("One argument per line; the event's metadata (never a secret) is in its environment: forward warnings to chat or mail.")
            .advanced(),
        Field::new("on_refresh", "Run after each refresh", Argv)
            .help("One argument per line; the new token's metadata (never the token) is in its environment.")
            .advanced(),
        Field::new("git_hosts", "Git hosts it answers for", Lines)
            .placeholder("github.com")
            .help("One per line: host, host:port or host/path/* — as a git credential helper (see Use with…).")
            .advanced(),
        Field::new("registry_hosts", "Container registries it answers for", Lines)
            .placeholder("ghcr.io")
            .help("One per line — as a Docker credential helper.")
            .advanced(),
        Field::new("helper_username", "Username for git and Docker", Text)
            .help("Default: x-access-token for GitHub, oauth2 for other git hosts, oauth2accesstoken for registries.")
            .advanced(),
        Field::new("env_name", "Variable for tokentray env", Text)
            .placeholder("GITHUB_TOKEN")
            .help("Default: TOKENTRAY_ and the account's name in capitals.")
            .advanced(),
        Field::new("lend_to", "Lent only to these programs", Lines)
            .placeholder("git")
            .help("One per line: a program's name (git, kubectl) or, stronger, its path (/usr/bin/curl). Any other program is refused. Empty: any program of yours."),
        Field::new("kubectl_token", "What kubectl is handed", Select)
            .choices(&[
                ("id_token", "the ID token (OIDC clusters)"),
                ("access_token", "the access token"),
            ])
            .help("Default: the ID token when the account holds one (an API server with --oidc-issuer-url checks it), else the access token.")
            .advanced(),
        Field::new("aws_role_arn", "AWS role (tokentray aws-credential)", Text)
            .placeholder("arn:aws:iam::123456789012:role/deploy")
            .help("Assumed with the account's ID token (AssumeRoleWithWebIdentity); the AWS CLI's credential_process runs tokentray aws-credential NAME.")
            .advanced(),
        Field::new("aws_sts_url", "AWS STS endpoint", Url)
            .placeholder("https://sts.amazonaws.com/")
            .advanced(),
        Field::new("helper_scope", "Scope handed to git, Docker, kubectl and env", Text)
            .placeholder("space-separated")
            .help("A narrower token than the account's own for the tools (as tokentray token --scope gives a script). Empty: the account's own token.")
            .advanced(),
        Field::new("helper_audience", "Audience handed to the tools", Text).advanced(),
        Field::new("helper_resource", "Resource handed to the tools (RFC 8707)", Text).advanced(),
        Field::new("narrow_by", "Narrower tokens by", Select)
            .choices(&[("token_exchange", "trading the account's own token (RFC 8693)")])
            .help("Default: the refresh token (or a new request of the account's grant).")
            .advanced(),
        Field::new("confirm", "Ask before a program's first use", Bool)
            .help("The first time a program asks for the token, you allow it once, for 8 hours, or deny it. Empty: the app setting."),
    ]
}
