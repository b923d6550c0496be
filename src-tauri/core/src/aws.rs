//! AWS credentials from an OIDC login: the account's ID token (or its access token, where the
//! role trusts that) traded at STS for a role's temporary credentials
//! (`AssumeRoleWithWebIdentity`, which takes no AWS signature), printed as the AWS CLI's
//! `credential_process` JSON. The engine keeps them sealed and hands the same ones out until
//! five minutes before they end.

use crate::error::{Error, Result};
use crate::secret::Secret;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

/// STS's global endpoint.
pub const DEFAULT_STS: &str = "https://sts.amazonaws.com/";
/// Credentials are handed out until this long before they end.
pub const RENEW_BEFORE_SECS: u64 = 300;
/// What STS allows: 15 minutes to 12 hours (a role's own maximum may be lower).
pub const MIN_DURATION_SECS: u64 = 900;
pub const MAX_DURATION_SECS: u64 = 43_200;

/// Which role, where, for how long.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleRequest {
    pub role_arn: String,
    #[serde(default)]
    pub sts_url: Option<String>,
    #[serde(default)]
    pub duration_secs: Option<u64>,
    #[serde(default)]
    pub session_name: Option<String>,
}

impl RoleRequest {
    /// Refuses what STS would (or what would send the token somewhere it should not go).
    pub fn check(&self) -> std::result::Result<Url, String> {
        let arn = &self.role_arn;
        if !(arn.starts_with("arn:aws") && arn.contains(":role/"))
            || arn.chars().any(char::is_control)
        {
            return Err(format!(
                "{} is not a role's ARN (arn:aws:iam::ACCOUNT:role/NAME)",
                crate::text::quoted(arn, 80)
            ));
        }
        if let Some(secs) = self.duration_secs {
            crate::limits::seconds("duration", secs, MIN_DURATION_SECS, MAX_DURATION_SECS)?;
        }
        if let Some(name) = &self.session_name {
            let ok = (2..=64).contains(&name.len())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "=,.@-_".contains(c));
            if !ok {
                return Err(format!(
                    "session name {}: 2 to 64 of letters, digits and =,.@-_",
                    crate::text::quoted(name, 80)
                ));
            }
        }
        let url = Url::parse(self.sts_url.as_deref().unwrap_or(DEFAULT_STS))
            .map_err(|e| format!("sts_url: {e}"))?;
        crate::http::check_endpoint(&url)?;
        Ok(url)
    }

    /// Where the credentials of this role are kept, among the account's sealed values.
    pub fn field(&self) -> String {
        let key = format!(
            "{}|{}",
            self.role_arn,
            self.sts_url.as_deref().unwrap_or(DEFAULT_STS)
        );
        format!(
            "aws_credentials:{}",
            &crate::jws::sha256_b64(key.as_bytes())[..16]
        )
    }
}

/// The AWS CLI's `credential_process` answer (Version 1).
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Credentials {
    pub version: u8,
    pub access_key_id: String,
    pub secret_access_key: crate::api::SecretText,
    pub session_token: crate::api::SecretText,
    pub expiration: DateTime<Utc>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("expiration", &self.expiration)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// Still good to hand out: more than [`RENEW_BEFORE_SECS`] before their end.
    pub fn fresh(&self, now: DateTime<Utc>) -> bool {
        crate::time::after(now, crate::time::secs(RENEW_BEFORE_SECS)) < self.expiration
    }

    /// As a secret, to seal (and back).
    pub fn sealed(&self) -> Secret {
        Secret::new(serde_json::to_string(self).unwrap_or_default())
    }

    pub fn unsealed(secret: &Secret) -> Option<Credentials> {
        serde_json::from_str(secret.expose()).ok()
    }
}

/// One AssumeRoleWithWebIdentity call.
pub async fn assume_role(
    http: &reqwest::Client,
    request: &RoleRequest,
    web_identity_token: &Secret,
    default_session: &str,
) -> Result<Credentials> {
    let url = request.check().map_err(Error::BadRequest)?;
    let duration = request.duration_secs.unwrap_or(3_600).to_string();
    let session = request
        .session_name
        .clone()
        .unwrap_or_else(|| default_session.to_string());
    let form = [
        ("Action", "AssumeRoleWithWebIdentity"),
        ("Version", "2011-06-15"),
        ("RoleArn", request.role_arn.as_str()),
        ("RoleSessionName", session.as_str()),
        ("WebIdentityToken", web_identity_token.expose()),
        ("DurationSeconds", duration.as_str()),
    ];
    let sent = http
        .post(url)
        .header("accept", "application/xml")
        .form(&form);
    let answer = crate::http::send(sent).await?;
    let body = String::from_utf8_lossy(&answer.body);
    if !(200..300).contains(&answer.status) {
        let code = tag(&body, "Code").unwrap_or("an error");
        let message = tag(&body, "Message").unwrap_or_default();
        let said = crate::text::shown(
            &format!("{code}: {message}"),
            crate::text::MAX_DESCRIPTION_CHARS,
        );
        return Err(match answer.status {
            400 | 403 => Error::Refused {
                error: code.to_string(),
                description: Some(said),
                status: answer.status,
            },
            status => Error::ServerError {
                status,
                retry_after: None,
            },
        });
    }
    let part = |name: &str| {
        tag(&body, name)
            .map(str::to_string)
            .ok_or_else(|| Error::InvalidResponse(format!("STS answered without {name}")))
    };
    let expiration = part("Expiration")?;
    let expiration = DateTime::parse_from_rfc3339(expiration.trim())
        .map_err(|e| Error::InvalidResponse(format!("STS's Expiration: {e}")))?
        .with_timezone(&Utc);
    Ok(Credentials {
        version: 1,
        access_key_id: part("AccessKeyId")?,
        secret_access_key: crate::api::SecretText::new(part("SecretAccessKey")?),
        session_token: crate::api::SecretText::new(part("SessionToken")?),
        expiration,
    })
}

/// The text of the first `<name>…</name>` in an XML answer (STS's are flat and plain).
fn tag<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = xml.find(&open)?.checked_add(open.len())?;
    let end = xml.get(start..)?.find(&close)?.checked_add(start)?;
    xml.get(start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_roles_arn_duration_and_session_are_what_sts_takes() {
        let good = RoleRequest {
            role_arn: "arn:aws:iam::123456789012:role/deploy".into(),
            sts_url: None,
            duration_secs: Some(3_600),
            session_name: Some("alice@example.com".into()),
        };
        assert!(good.check().is_ok());
        let bad = |f: fn(&mut RoleRequest)| {
            let mut r = good.clone();
            f(&mut r);
            r.check().unwrap_err()
        };
        assert!(bad(|r| r.role_arn = "deploy".into()).contains("ARN"));
        assert!(bad(|r| r.duration_secs = Some(60)).contains("duration"));
        assert!(bad(|r| r.session_name = Some("a b".into())).contains("session"));
        assert!(bad(|r| r.sts_url = Some("http://sts.example.com/".into())).contains("https"));
        assert_ne!(
            good.field(),
            RoleRequest {
                role_arn: "arn:aws:iam::1:role/x".into(),
                ..good.clone()
            }
            .field()
        );
    }

    #[test]
    fn stss_answer_is_read_and_its_errors_named() {
        let xml = "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>ASIA1</AccessKeyId><SecretAccessKey>s3cr3t</SecretAccessKey><SessionToken>tok</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>";
        assert_eq!(tag(xml, "AccessKeyId"), Some("ASIA1"));
        assert_eq!(tag(xml, "Expiration"), Some("2030-01-01T00:00:00Z"));
        assert_eq!(tag(xml, "Nope"), None);
        let c = Credentials {
            version: 1,
            access_key_id: "ASIA1".into(),
            secret_access_key: crate::api::SecretText::new("s3cr3t"),
            session_token: crate::api::SecretText::new("tok"),
            expiration: "2030-01-01T00:00:00Z".parse().unwrap(),
        };
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["Version"], 1);
        assert_eq!(json["SecretAccessKey"], "s3cr3t");
        assert!(!format!("{c:?}").contains("s3cr3t"));
        assert_eq!(Credentials::unsealed(&c.sealed()), Some(c));
    }
}
