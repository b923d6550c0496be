//! The table itself: each grant's label, summary and fields, in the order the form shows them.

use super::{Field, FieldKind, GrantSchema, OptionalTable};
use crate::grant::GrantKind;
use crate::limits::{MAX_LIFETIME_SECS, MAX_MARGIN_SECS};
use serde_json::json;

use FieldKind::*;

fn url(key: &str, label: &str) -> Field {
    Field::new(key, label, Url).placeholder("https://")
}
fn client_id() -> Field {
    Field::new("client_id", "Client ID", Text).required()
}
fn client_secret() -> Field {
    Field::new("client_secret", "Client secret", Secret)
}
/// A client that authenticates: with its secret, unless it signs with a key or presents a
/// certificate.
fn required_secret() -> Field {
    client_secret().required().unless(
        "auth_method",
        &[
            "private_key_jwt",
            "tls_client_auth",
            "self_signed_tls_client_auth",
        ],
    )
}
fn scope() -> Field {
    Field::new("scope", "Scope", Text).placeholder("space-separated")
}
fn revocation() -> Field {
    url("revocation_url", "Revocation endpoint")
        .help("Tokens are revoked there when the account is removed.")
}
fn resource() -> Field {
    Field::new("resource", "Resource (RFC 8707)", Text).advanced()
}
fn audience() -> Field {
    Field::new("audience", "Audience", Text).advanced()
}
fn auth_method(public: bool) -> Field {
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
fn assertion() -> Vec<Field> {
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
fn pointer(key: &str, label: &str, default: Option<&str>) -> Field {
    let field = Field::new(key, label, Text).help("A JSON pointer into the answer.");
    match default {
        Some(d) => field.default(json!(d)).placeholder(d),
        None => field,
    }
}

/// Where the tokens are in an answer (`{table}.*`), as [`crate::token::ResponseMap`] reads
/// it; `inherits` names what applies when a pointer is left out, when not the map's default.
fn response(table: &str, advanced: bool, inherits: Option<&str>) -> Vec<Field> {
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
fn request(table: &str, label: &str, secret: &str) -> (Vec<Field>, Vec<Field>) {
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
fn api_key() -> Vec<Field> {
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
fn secret_places() -> [(&'static str, &'static str); 6] {
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
fn renew(what: &str) -> Vec<Field> {
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
fn policy(kind: GrantKind) -> Vec<Field> {
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
    ]
}

/// Every grant's form, in the order the window offers them.
/// Built once: profiles and forms look a grant's schema up per account.
pub fn grants() -> &'static [GrantSchema] {
    static ALL: std::sync::OnceLock<Vec<GrantSchema>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| GrantKind::ALL.iter().copied().map(build).collect())
}

pub fn grant(kind: GrantKind) -> &'static GrantSchema {
    grants()
        .iter()
        .find(|g| g.kind == kind)
        .expect("every kind has a schema")
}

fn build(kind: GrantKind) -> GrantSchema {
    let (request_main, request_extra) = request("request", "Request URL", "secret");
    let (mut refresh_main, refresh_extra) = request("refresh", "Refresh URL", "refresh token");
    refresh_main[0] = refresh_main[0].clone().help(
        "For a login URL: renewals go here with the held refresh token; the password is used again only when it is refused.",
    );
    let (label, summary, discovery, login, one_of, fields): (_, _, _, _, &[&[&str]], _) = match kind {
        GrantKind::ClientCredentials => (
            "Client credentials",
            "A service's own identity (OAuth 2 client ID and secret).",
            true,
            false,
            &[],
            vec![
                url("token_url", "Token endpoint").required(),
                client_id(),
                required_secret(),
                scope(),
                revocation(),
                audience(),
                resource(),
                auth_method(false),
            ],
        ),
        GrantKind::AuthorizationCode => (
            "Your login (browser)",
            "Authorization code + PKCE in your browser; renewed with the refresh token after.",
            true,
            true,
            &[],
            vec![
                url("authorization_url", "Authorization endpoint").required(),
                url("token_url", "Token endpoint").required(),
                url("par_url", "Pushed authorization requests (PAR)")
                    .help("RFC 9126: the login's parameters go here first; the browser carries only a reference. Filled by discovery; needed when the server requires it.")
                    .advanced(),
                client_id(),
                client_secret(),
                scope().placeholder("openid offline_access …"),
                revocation(),
                resource(),
                Field::new("extra_params", "Extra authorization parameters (JSON object)", Table)
                    .help("e.g. {\"prompt\": \"consent\"}")
                    .advanced(),
                auth_method(true),
            ],
        ),
        GrantKind::DeviceCode => (
            "Your login (device code)",
            "Approve on any device with a short code (RFC 8628).",
            true,
            true,
            &[],
            vec![
                url("device_authorization_url", "Device authorization endpoint").required(),
                url("token_url", "Token endpoint").required(),
                client_id(),
                client_secret(),
                scope(),
                revocation(),
                auth_method(true),
            ],
        ),
        GrantKind::RefreshToken => (
            "Refresh token",
            "A refresh token you already have (rotated ones are kept).",
            true,
            false,
            &[],
            vec![
                url("token_url", "Token endpoint").required(),
                client_id(),
                Field::new("refresh_token", "Refresh token", Secret).required(),
                client_secret(),
                scope(),
                revocation(),
                auth_method(true),
            ],
        ),
        GrantKind::Password => (
            "Password (legacy)",
            "Username and password at a token endpoint or an app's own login URL.",
            false,
            false,
            &[&["token_url", "login_url"]],
            [
                vec![
                    url("token_url", "Token endpoint").help("Standard OAuth password grant…"),
                    url("login_url", "Or: the app's login URL")
                        .help("…or an application's own login endpoint."),
                    Field::new("username", "Username", Text).required(),
                    Field::new("password", "Password", Secret).required(),
                    Field::new("client_id", "Client ID", Text),
                    client_secret(),
                    scope(),
                    revocation(),
                    auth_method(false),
                    Field::new("body", "Login body", Select)
                        .choices(&[("json", "JSON"), ("form", "Form fields")])
                        .default(json!("json"))
                        .help("For a login URL: how username and password are sent.")
                        .advanced(),
                    Field::new("username_field", "Username field", Text)
                        .default(json!("username"))
                        .placeholder("username")
                        .advanced(),
                    Field::new("password_field", "Password field", Text)
                        .default(json!("password"))
                        .placeholder("password")
                        .advanced(),
                ],
                response("response", true, None),
                refresh_main,
                response("refresh.response", true, Some("as the login's answer")),
                refresh_extra,
            ]
            .concat(),
        ),
        GrantKind::Custom => (
            "Custom endpoint",
            "A service token exchanged at a non-standard endpoint; the answer mapped by JSON pointers.",
            false,
            false,
            &[],
            [
                vec![Field::new("secret", "Service token / API key", Secret).required()],
                request_main,
                response("response", false, None),
                request_extra,
                api_key(),
                renew("secret"),
            ]
            .concat(),
        ),
        GrantKind::Static => (
            "Long-lived token",
            "A token that cannot renew itself (a PAT, an API key): watched for expiry, with warnings.",
            false,
            false,
            &[],
            vec![
                Field::new("token", "Token", Secret).required(),
                Field::new("expires_at", "Expires", Datetime).help("Not needed for a JWT with exp."),
            ]
            .into_iter()
            .chain(renew("token"))
            .collect(),
        ),
        GrantKind::TokenExchange => (
            "Token exchange",
            "Trade another account's token for one for this API (RFC 8693).",
            true,
            false,
            &[&["subject_account", "subject_token"]],
            vec![
                url("token_url", "Token endpoint").required(),
                client_id(),
                required_secret(),
                Field::new("subject_account", "Subject: the token of account", Text),
                Field::new("subject_token", "Or: a pasted subject token", Secret),
                audience(),
                resource(),
                scope(),
                Field::new("subject_token_type", "Subject token type", Text)
                    .default(json!("urn:ietf:params:oauth:token-type:access_token"))
                    .advanced(),
                Field::new("requested_token_type", "Requested token type", Text).advanced(),
                revocation(),
                auth_method(false),
            ],
        ),
        GrantKind::Command => (
            "Command",
            "A token printed by another tool (gcloud, az, kubectl, aws).",
            false,
            false,
            &[],
            vec![
                Field::new("command", "Command", Argv)
                    .required()
                    .help("One argument per line, e.g. gcloud / auth / print-access-token."),
                Field::new("timeout_secs", "Timeout (seconds)", Number)
                    .range(1, crate::limits::MAX_COMMAND_SECS)
                    .advanced(),
            ],
        ),
    };
    GrantSchema {
        kind,
        label: label.into(),
        summary: summary.into(),
        discovery,
        login,
        optional_tables: match kind {
            GrantKind::Password => vec![OptionalTable {
                table: "refresh".into(),
                with: Some("login_url".into()),
            }],
            _ => vec![],
        },
        one_of: one_of
            .iter()
            .map(|g| g.iter().map(|k| k.to_string()).collect())
            .collect(),
        fields: match fields.iter().any(|f| f.key == "auth_method") {
            true => [fields, assertion(), policy(kind)].concat(),
            false => [fields, policy(kind)].concat(),
        },
    }
}
