//! A narrower token for one call (`tokentray token NAME --scope api:read`): fewer scopes, one
//! audience or one resource than the account's own token carries, as oidc-agent's
//! `oidc-token --scope/--aud` and oauth2l give. What is asked is checked here, before it goes
//! into a token request; how it is obtained is [`crate::grant::narrow`], the cache and the
//! history [`crate::engine`].

use crate::secret::Secret;
use crate::token::TokenSet;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The longest value of each (a scope list, an audience, a resource URI).
const MAX_CHARS: usize = 1024;

/// What one call asks narrower; none of them: the account's own token.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Narrower {
    /// Space-separated scopes, fewer than the account's (RFC 6749 §3.3, §6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The API the token is for, as servers that name it so want (Auth0, RFC 8693).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// The resource the token is for (RFC 8707): an absolute URI without a fragment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
}

/// How a narrower token was obtained, for the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// With the account's refresh token (RFC 6749 §6 allows fewer scopes).
    Refresh,
    /// A new request of the account's own grant (client credentials, a signed assertion).
    Anew,
    /// A token exchange (RFC 8693).
    Exchange,
}

impl Way {
    pub fn as_str(self) -> &'static str {
        match self {
            Way::Refresh => "refresh",
            Way::Anew => "request",
            Way::Exchange => "exchange",
        }
    }
}

impl Narrower {
    /// Nothing asked: the account's own token.
    pub fn is_empty(&self) -> bool {
        self.scope.is_none() && self.audience.is_none() && self.resource.is_none()
    }

    /// What is asked, as a token request may carry it: scopes as RFC 6749 §3.3 spells them,
    /// an audience on one line, a resource an absolute URI without a fragment (RFC 8707 §2).
    pub fn check(&self) -> std::result::Result<(), String> {
        for (key, value) in self.given() {
            if value.is_empty() || value.chars().count() > MAX_CHARS {
                return Err(format!("{key} must be 1 to {MAX_CHARS} characters"));
            }
            if value.chars().any(char::is_control) {
                return Err(format!("{key} must be on one line"));
            }
        }
        if let Some(scope) = &self.scope {
            // scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), separated by single spaces.
            let token = |t: &str| {
                !t.is_empty()
                    && t.chars()
                        .all(|c| c == '!' || (('#'..='~').contains(&c) && c != '\\'))
            };
            if !scope.split(' ').all(token) {
                return Err(format!(
                    "scope {}: scopes are printable ASCII without quotes or backslashes, separated by single spaces",
                    crate::text::quoted(scope, 60)
                ));
            }
        }
        if let Some(resource) = &self.resource {
            match url::Url::parse(resource) {
                Ok(url) if url.fragment().is_none() => {}
                _ => {
                    return Err(format!(
                        "resource {}: an absolute URI without a fragment (RFC 8707)",
                        crate::text::quoted(resource, 60)
                    ))
                }
            }
        }
        Ok(())
    }

    /// What is asked, by setting name.
    pub fn given(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("scope", &self.scope),
            ("audience", &self.audience),
            ("resource", &self.resource),
        ]
        .into_iter()
        .filter_map(|(k, v)| Some((k, v.as_deref()?)))
    }

    /// The name its token is kept under in the store: the same ask, the same name, with
    /// nothing of it readable there.
    pub fn kept_field(&self) -> String {
        let mut digest = Sha256::new();
        for (key, value) in self.given() {
            digest.update(key.as_bytes());
            digest.update([0]);
            digest.update(value.as_bytes());
            digest.update([0]);
        }
        let hex: String = digest.finalize()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("narrow:{hex}")
    }

    /// What was asked, for the history (`scope=api:read resource=https://…`).
    pub fn describe(&self) -> String {
        self.given()
            .map(|(k, v)| format!("{k}={}", crate::text::shown(v, 200)))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A narrower token as the store keeps it (sealed): the token and what it is, nothing else.
pub fn sealed(token: &TokenSet) -> Secret {
    let kept = serde_json::json!({
        "access_token": token.access_token.expose(),
        "token_type": token.token_type,
        "issued_at": token.issued_at,
        "expires_at": token.expires_at,
        "scope": token.scope,
        "expiry_assumed": token.expiry_assumed,
    });
    Secret::new(kept.to_string())
}

/// What [`sealed`] kept; `None` when it is not that.
pub fn unsealed(kept: &Secret) -> Option<TokenSet> {
    #[derive(Deserialize)]
    struct Kept {
        access_token: String,
        token_type: String,
        issued_at: DateTime<Utc>,
        expires_at: Option<DateTime<Utc>>,
        scope: Option<String>,
        expiry_assumed: bool,
    }
    let k: Kept = serde_json::from_str(kept.expose()).ok()?;
    Some(TokenSet {
        access_token: Secret::new(k.access_token),
        token_type: k.token_type,
        issued_at: k.issued_at,
        expires_at: k.expires_at,
        refresh_token: None,
        refresh_expires_at: None,
        scope: k.scope,
        expiry_assumed: k.expiry_assumed,
        id_token: None,
    })
}

/// Whether a narrower token still serves a call that needs it `min` longer: until the time
/// the account's own token would be refreshed ([`crate::timing::due_at`], without jitter).
pub fn usable(token: &TokenSet, now: DateTime<Utc>, min: Duration, margin: Duration) -> bool {
    token.expires_at.is_some_and(|exp| {
        now < crate::timing::due_at(token.issued_at, exp, margin, 0.0)
            && exp > crate::time::after(now, min)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(s: &str) -> Narrower {
        Narrower {
            scope: Some(s.into()),
            ..Default::default()
        }
    }

    #[test]
    fn scopes_audiences_and_resources_are_checked_as_the_rfcs_spell_them() {
        assert!(scope("api:read openid").check().is_ok());
        assert!(scope("api:read  openid").check().is_err(), "two spaces");
        assert!(scope("api\"read").check().is_err());
        assert!(scope("api\\read").check().is_err());
        assert!(scope("api:read\nx").check().is_err());
        assert!(scope("").check().is_err());
        assert!(scope(&"a".repeat(MAX_CHARS + 1)).check().is_err());
        let resource = |r: &str| Narrower {
            resource: Some(r.into()),
            ..Default::default()
        };
        assert!(resource("https://api.example.com/v1").check().is_ok());
        assert!(resource("urn:example:api").check().is_ok());
        assert!(resource("https://api.example.com/#x").check().is_err());
        assert!(resource("api.example.com").check().is_err());
        let audience = Narrower {
            audience: Some("https://api\r\n".into()),
            ..Default::default()
        };
        assert!(audience.check().is_err());
    }

    #[test]
    fn each_ask_is_kept_under_a_name_of_its_own_that_shows_nothing_of_it() {
        let a = scope("api:read");
        let b = scope("api:write");
        let c = Narrower {
            audience: Some("api:read".into()),
            ..Default::default()
        };
        assert_eq!(a.kept_field(), scope("api:read").kept_field());
        assert_ne!(a.kept_field(), b.kept_field());
        assert_ne!(
            a.kept_field(),
            c.kept_field(),
            "the same text asked as another setting"
        );
        assert!(!a.kept_field().contains("api"));
        assert_eq!(a.describe(), "scope=api:read");
        assert!(Narrower::default().is_empty() && !a.is_empty());
    }

    #[test]
    fn a_kept_token_comes_back_as_it_went_and_serves_until_it_is_due() {
        let issued: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let token = TokenSet {
            access_token: Secret::new("narrow-at"),
            token_type: "Bearer".into(),
            issued_at: issued,
            expires_at: Some(crate::time::after(issued, Duration::hours(1))),
            refresh_token: Some(Secret::new("never-kept")),
            refresh_expires_at: None,
            scope: Some("api:read".into()),
            expiry_assumed: false,
            id_token: None,
        };
        let kept = sealed(&token);
        assert!(!kept.expose().contains("never-kept"));
        let back = unsealed(&kept).unwrap();
        assert_eq!(
            (
                back.access_token.expose(),
                back.expires_at,
                back.scope.as_deref()
            ),
            ("narrow-at", token.expires_at, Some("api:read"))
        );
        assert!(unsealed(&Secret::new("{}")).is_none());
        // An hour's token with a 5-minute margin is due 15 minutes before its end.
        let margin = Duration::minutes(5);
        let at = |mins| crate::time::after(issued, Duration::minutes(mins));
        assert!(usable(&token, at(44), Duration::zero(), margin));
        assert!(!usable(&token, at(46), Duration::zero(), margin));
        assert!(!usable(&token, at(10), Duration::minutes(55), margin));
    }
}
