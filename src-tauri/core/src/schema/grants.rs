//! The table itself: each grant's label, summary and fields, in the order the form shows them.

use super::fields::*;
use super::{Field, FieldKind, GrantSchema, OptionalTable};
use crate::grant::GrantKind;
use serde_json::json;

use FieldKind::*;

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
                issuer(),
                endpoint("token_url", "Token endpoint"),
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
                issuer(),
                endpoint("authorization_url", "Authorization endpoint"),
                endpoint("token_url", "Token endpoint"),
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
                issuer(),
                endpoint("device_authorization_url", "Device authorization endpoint"),
                endpoint("token_url", "Token endpoint"),
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
                issuer(),
                endpoint("token_url", "Token endpoint"),
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
                issuer(),
                endpoint("token_url", "Token endpoint"),
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
        GrantKind::JwtBearer => (
            "Signed assertion (JWT bearer)",
            "A service account's key signs the grant itself (RFC 7523): Google service accounts, Salesforce, Box, DocuSign.",
            false,
            false,
            &[&["service_account", "issuer"]],
            vec![
                Field::new("service_account", "Service account key (JSON)", Secret)
                    .help("Google's JSON key: its client_email, token_uri and private_key are used. Sealed; in a profile, service_account_file (readable by you alone)."),
                url("token_url", "Token endpoint")
                    .help("Else the service account's token_uri."),
                Field::new("issuer", "Issuer (iss)", Text)
                    .help("Salesforce: the connected app's consumer key; DocuSign: the integration key. Else the service account's client_email."),
                Field::new("subject", "Subject (sub)", Text)
                    .help("The user the token acts for, where the provider wants one (Salesforce: the username)."),
                Field::new("audience", "Audience (aud)", Text)
                    .placeholder("https://login.salesforce.com")
                    .help("Default: the token endpoint."),
                scope().help("Google: in the assertion's scope claim; for the others, sent with the request."),
                Field::new("private_key", "Private key (PEM)", Secret)
                    .help("RSA (RS256) or P-256 (ES256). None and no service account: one is generated; tokentray key gives its public half and certificate.")
                    .advanced(),
                Field::new("key_id", "Key id (kid)", Text).advanced(),
                Field::new("claims", "More claims (JSON object)", Json)
                    .help("What else the provider wants in the assertion (Box: box_sub_type).")
                    .advanced(),
                Field::new("lifetime_secs", "Assertion lifetime (seconds)", Number)
                    .range(1, crate::grant::jwt_bearer::MAX_LIFETIME_SECS)
                    .default(json!(crate::grant::jwt_bearer::MAX_LIFETIME_SECS))
                    .advanced(),
                Field::new("client_id", "Client ID", Text)
                    .help("Sent beside the assertion where the provider wants it (Box).")
                    .advanced(),
                client_secret()
                    .help("Sent beside the assertion where the provider wants it (Box).")
                    .advanced(),
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
