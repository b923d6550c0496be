//! Token sets and the token-endpoint response parser: strict about what matters
//! (`access_token`), tolerant about what servers get wrong (`expires_in` as a string, no
//! `token_type`). Every failure becomes an [`Error`] with a stable code.

use crate::error::{Error, Result};
use crate::http::Response;
use crate::secret::Secret;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;

/// A token as received, with its expiry computed at the moment of receipt.
#[derive(Debug, Clone)]
pub struct TokenSet {
    pub access_token: Secret,
    pub token_type: String,
    pub issued_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub refresh_token: Option<Secret>,
    /// When the refresh token itself expires, when the server says.
    pub refresh_expires_at: Option<DateTime<Utc>>,
    pub scope: Option<String>,
    /// The server stated no lifetime and the token is no JWT with `exp`: `expires_at` is the
    /// account's assumed lifetime ([`TokenSet::with_stated_or_assumed_expiry`]).
    pub expiry_assumed: bool,
    /// The OpenID Connect ID token that came with it (a JWT, what Kubernetes OIDC wants), or
    /// the one a refresh without one left in force.
    pub id_token: Option<Secret>,
}

impl TokenSet {
    /// When the ID token runs out (its `exp`), when there is one.
    pub fn id_token_expires_at(&self) -> Option<DateTime<Utc>> {
        let id = self.id_token.as_ref()?;
        crate::jwt::decode(id.expose())?.expires_at()
    }

    /// A token is never served forever: without a stated lifetime it expires at its JWT
    /// `exp`, else `default_lifetime` after it was issued (marked as assumed). A refresh token
    /// that is a JWT states its own end the same way (what the expiry warnings watch).
    pub fn with_stated_or_assumed_expiry(mut self, default_lifetime: chrono::Duration) -> TokenSet {
        if self.refresh_expires_at.is_none() {
            let rt = self.refresh_token.as_ref();
            self.refresh_expires_at = rt.and_then(|t| crate::jwt::decode(t.expose())?.expires_at());
        }
        if self.expires_at.is_none() {
            let exp = crate::jwt::decode(self.access_token.expose()).and_then(|j| j.expires_at());
            self.expiry_assumed = exp.is_none();
            // A JWT's `exp` is believed as far as a stated lifetime is.
            let longest = crate::time::after(self.issued_at, longest_lifetime());
            let assumed = crate::time::after(self.issued_at, default_lifetime);
            self.expires_at = Some(exp.map_or(assumed, |e| e.min(longest)));
        }
        self
    }

    pub fn lifetime(&self) -> Option<chrono::Duration> {
        self.expires_at
            .map(|e| crate::time::between(self.issued_at, e))
    }
}

/// Longer than this is not a lifetime a server means; treat the token as not expiring soon
/// but re-check it after a year and a day rather than trusting a decade.
fn longest_lifetime() -> chrono::Duration {
    crate::time::secs(crate::limits::MAX_LIFETIME_SECS)
}

/// What a value of the answer is, for a message that must not quote it (it may be a token).
pub fn shape(v: &Value) -> String {
    match v {
        Value::String(s) => format!("a string of {} characters", s.chars().count()),
        Value::Number(n) => format!("the number {n}"),
        Value::Bool(b) => format!("{b}"),
        Value::Null => "null".into(),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
    }
}

#[derive(Deserialize)]
struct OAuthError {
    error: String,
    error_description: Option<String>,
}

/// Where the token's parts are in a JSON answer, as JSON pointers (RFC 6901). The default is
/// RFC 6749 §5.1; a `custom` account names its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ResponseMap {
    pub access_token: String,
    /// Seconds from receipt (a number or a numeric string).
    pub expires_in: Option<String>,
    /// An absolute time: RFC 3339, or Unix seconds (or milliseconds).
    pub expires_at: Option<String>,
    pub refresh_token: Option<String>,
    /// Seconds until the refresh token expires (Keycloak's `refresh_expires_in`; GitHub's and
    /// Azure's `refresh_token_expires_in` is read too when this is the default).
    pub refresh_expires_in: Option<String>,
    pub scope: Option<String>,
    pub token_type: Option<String>,
}

impl Default for ResponseMap {
    fn default() -> Self {
        ResponseMap {
            access_token: "/access_token".into(),
            expires_in: Some("/expires_in".into()),
            expires_at: None,
            refresh_token: Some("/refresh_token".into()),
            refresh_expires_in: Some("/refresh_expires_in".into()),
            scope: Some("/scope".into()),
            token_type: Some("/token_type".into()),
        }
    }
}

/// Turns a token endpoint's answer into a token set or a classified error (RFC 6749 §5).
pub fn parse_response(response: &Response, received_at: DateTime<Utc>) -> Result<TokenSet> {
    token_from_json(
        &success_body(response, received_at)?,
        &ResponseMap::default(),
        received_at,
    )
}

/// The JSON body of a successful answer, or the classified failure: 429 and 5xx are
/// transient (with `Retry-After`), an OAuth `error` (even with 200) is the server's refusal,
/// any other non-2xx is a refusal too, and a 2xx that is not JSON is `invalid_response`.
pub fn success_body(response: &Response, received_at: DateTime<Utc>) -> Result<Value> {
    let status = response.status;
    let json: Option<Value> = serde_json::from_slice(&response.body).ok();
    if status == 429 || status >= 500 {
        let retry_after = response
            .retry_after
            .as_deref()
            .and_then(|v| parse_retry_after(v, received_at));
        return Err(if status == 429 {
            Error::RateLimited {
                status,
                retry_after,
            }
        } else {
            Error::ServerError {
                status,
                retry_after,
            }
        });
    }
    let oauth_error = json
        .as_ref()
        .and_then(|v| OAuthError::deserialize(v).ok())
        .filter(|e| !e.error.is_empty());
    if let Some(e) = oauth_error {
        // The server's own words, as a person may see them: escaped, and not too many.
        return Err(Error::Refused {
            error: crate::text::shown(&e.error, 64),
            description: e
                .error_description
                .map(|d| crate::text::shown(&d, crate::text::MAX_DESCRIPTION_CHARS)),
            status,
        });
    }
    if !(200..300).contains(&status) {
        return Err(Error::Refused {
            error: format!("http_{status}"),
            description: Some(format!("HTTP {status} without an OAuth error")),
            status,
        });
    }
    match json {
        Some(body @ Value::Object(_)) => Ok(body),
        _ => Err(Error::InvalidResponse(describe_non_json(&response.body))),
    }
}

/// Reads a token set out of a JSON answer through a [`ResponseMap`].
pub fn token_from_json(
    body: &Value,
    map: &ResponseMap,
    received_at: DateTime<Utc>,
) -> Result<TokenSet> {
    read_token_set(body, map, received_at).map_err(|e| {
        let rotated = map
            .refresh_token
            .as_deref()
            .and_then(|p| body.pointer(p))
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty());
        match (e, rotated) {
            (Error::InvalidResponse(message), Some(rt)) => Error::UnusableWithRefreshToken {
                message,
                refresh_token: Secret::new(rt),
            },
            (e, _) => e,
        }
    })
}

fn read_token_set(body: &Value, map: &ResponseMap, received_at: DateTime<Utc>) -> Result<TokenSet> {
    let at = |pointer: &Option<String>| {
        pointer
            .as_deref()
            .and_then(|p| body.pointer(p))
            .filter(|v| !v.is_null())
    };
    let access_token = match body.pointer(&map.access_token) {
        // RFC 6750's characters only: a token that holds a line break would forge a header
        // in every script that prints it after `Bearer `.
        Some(Value::String(t)) if crate::text::is_b64token(t) => Secret::new(t.clone()),
        Some(Value::String(t)) if !t.is_empty() => {
            return Err(Error::InvalidResponse(format!(
                "the access token at {} holds characters a token cannot have (RFC 6750 b64token)",
                map.access_token
            )))
        }
        _ => {
            return Err(Error::InvalidResponse(format!(
                "no access token at {} in the answer",
                map.access_token
            )))
        }
    };
    let longest = crate::time::after(received_at, longest_lifetime());
    let expires_at = if let Some(v) = at(&map.expires_in) {
        let secs = parse_seconds(v).ok_or_else(|| {
            Error::InvalidResponse(format!(
                "expires_in is not a number of seconds: {}",
                shape(v)
            ))
        })?;
        if secs <= 0 {
            return Err(Error::InvalidResponse(format!(
                "expires_in is {secs}: the token is already expired"
            )));
        }
        Some(crate::time::after(received_at, crate::time::signed_secs(secs)).min(longest))
    } else if let Some(v) = at(&map.expires_at) {
        let when = parse_instant(v).ok_or_else(|| {
            Error::InvalidResponse(format!("expires_at is not a time: {}", shape(v)))
        })?;
        Some(when.min(longest))
    } else {
        None
    };
    let text = |pointer: &Option<String>| {
        at(pointer)
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    };
    Ok(TokenSet {
        access_token,
        // A word (what RFC 6749 §7.1 means by a type); anything else is taken as Bearer.
        token_type: text(&map.token_type)
            .filter(|t| {
                t.len() <= 32
                    && t.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            })
            .unwrap_or_else(|| "Bearer".to_string()),
        issued_at: received_at,
        expires_at,
        refresh_token: text(&map.refresh_token).map(Secret::new),
        refresh_expires_at: at(&map.refresh_expires_in)
            .or_else(|| {
                (map.refresh_expires_in.as_deref() == Some("/refresh_expires_in"))
                    .then(|| body.pointer("/refresh_token_expires_in"))
                    .flatten()
            })
            .and_then(parse_seconds)
            .filter(|s| *s > 0)
            .map(|s| crate::time::after(received_at, crate::time::signed_secs(s)).min(longest)),
        scope: text(&map.scope).map(|s| crate::text::shown(&s, crate::text::MAX_MESSAGE_CHARS)),
        expiry_assumed: false,
        // A JWT's characters only (base64url and dots), as a header would carry it.
        id_token: body
            .get("id_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty() && crate::text::is_b64token(t))
            .map(Secret::new),
    })
}

/// An absolute time as servers write it: RFC 3339, or Unix seconds, or Unix milliseconds.
pub fn parse_instant(v: &Value) -> Option<DateTime<Utc>> {
    match v {
        Value::String(s) => DateTime::parse_from_rfc3339(s.trim())
            .map(|t| t.with_timezone(&Utc))
            .ok()
            .or_else(|| s.trim().parse::<i64>().ok().and_then(from_unix)),
        Value::Number(n) => n.as_i64().and_then(from_unix),
        _ => None,
    }
}

fn from_unix(n: i64) -> Option<DateTime<Utc>> {
    // Past 10^11 seconds (the year 5138) the number can only be milliseconds.
    if n > 100_000_000_000 {
        DateTime::from_timestamp_millis(n)
    } else {
        DateTime::from_timestamp(n, 0)
    }
}

fn parse_seconds(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse::<f64>().ok().map(|f| f as i64),
        _ => None,
    }
}

/// `Retry-After` is either seconds or an HTTP date (RFC 9110 §10.2.3); obeyed for a day at
/// most, then the server is asked again.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    let longest = Duration::from_secs(crate::limits::MAX_RETRY_AFTER_SECS);
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs).min(longest));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    let wait = crate::time::between(now, at)
        .to_std()
        .unwrap_or(Duration::ZERO);
    Some(wait.min(longest))
}

fn describe_non_json(body: &[u8]) -> String {
    // Never quote the body: a broken answer may still carry a token.
    let head = String::from_utf8_lossy(&body[..body.len().min(64)]).to_ascii_lowercase();
    if body.iter().all(u8::is_ascii_whitespace) {
        "the body is empty".into()
    } else if head.trim_start().starts_with("<!doctype") || head.trim_start().starts_with("<html") {
        format!("the body is an HTML page ({} bytes), not JSON", body.len())
    } else {
        format!("the body is not a JSON object ({} bytes)", body.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn answer(status: u16, body: &str) -> Response {
        Response {
            status,
            retry_after: None,
            dpop_nonce: None,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn real_world_shapes() {
        let t = parse_response(
            &answer(200, r#"{"access_token":"a","expires_in":"900"}"#),
            at(),
        )
        .unwrap();
        assert_eq!(t.expires_at, Some(at() + chrono::Duration::seconds(900)));
        assert_eq!(t.token_type, "Bearer");

        let t = parse_response(
            &answer(200, r#"{"access_token":"a","expires_in":60.0,"refresh_token":"r","token_type":"bearer","scope":"x y"}"#),
            at(),
        )
        .unwrap();
        assert_eq!(t.lifetime(), Some(chrono::Duration::seconds(60)));
        assert_eq!(t.refresh_token.unwrap().expose(), "r");
        assert_eq!(t.scope.as_deref(), Some("x y"));

        let t = parse_response(&answer(200, r#"{"access_token":"a"}"#), at()).unwrap();
        assert_eq!(t.expires_at, None);
    }

    #[test]
    fn refresh_token_expiry_under_either_name() {
        for body in [
            r#"{"access_token":"a","refresh_token":"r","refresh_expires_in":1800}"#,
            r#"{"access_token":"a","refresh_token":"r","refresh_token_expires_in":"1800"}"#,
        ] {
            let t = parse_response(&answer(200, body), at()).unwrap();
            assert_eq!(
                t.refresh_expires_at,
                Some(at() + chrono::Duration::seconds(1800)),
                "{body}"
            );
        }
        let t = parse_response(&answer(200, r#"{"access_token":"a"}"#), at()).unwrap();
        assert_eq!(t.refresh_expires_at, None);
    }

    #[test]
    fn failures_are_classified() {
        let cases = [
            (
                answer(200, "<!DOCTYPE html><p>Sign in</p>"),
                "invalid_response",
            ),
            (answer(200, ""), "invalid_response"),
            (answer(200, "{not json"), "invalid_response"),
            (answer(200, r#"{"token":"a"}"#), "invalid_response"),
            (
                answer(200, r#"{"access_token":"a","expires_in":"soon"}"#),
                "invalid_response",
            ),
            (
                answer(200, r#"{"access_token":"a","expires_in":-5}"#),
                "invalid_response",
            ),
            (answer(200, r#"{"error":"invalid_grant"}"#), "invalid_grant"),
            (
                answer(
                    400,
                    r#"{"error":"invalid_grant","error_description":"expired"}"#,
                ),
                "invalid_grant",
            ),
            (
                answer(401, r#"{"error":"invalid_client"}"#),
                "invalid_client",
            ),
            (answer(401, "Unauthorized"), "refused"),
            (answer(500, "oops"), "server_error"),
            (answer(502, r#"{"error":"bad_gateway"}"#), "server_error"),
            (answer(429, ""), "rate_limited"),
        ];
        for (response, code) in cases {
            let err = parse_response(&response, at()).unwrap_err();
            assert_eq!(
                err.code(),
                code,
                "{:?} -> {err}",
                String::from_utf8_lossy(&response.body)
            );
        }
        let transient = parse_response(&answer(503, ""), at()).unwrap_err();
        assert!(transient.is_transient());
        assert!(
            !parse_response(&answer(400, r#"{"error":"invalid_grant"}"#), at())
                .unwrap_err()
                .is_transient()
        );
    }

    #[test]
    fn messages_never_quote_a_body() {
        let err =
            parse_response(&answer(200, "access_token=sekrit-token-value"), at()).unwrap_err();
        assert!(!err.to_string().contains("sekrit"), "{err}");
    }

    #[test]
    fn retry_after_as_seconds_or_date() {
        assert_eq!(parse_retry_after("3", at()), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Thu, 01 Jan 2026 00:00:30 GMT", at()),
            Some(Duration::from_secs(30))
        );
        assert_eq!(parse_retry_after("later", at()), None);
        let mut r = answer(503, "");
        r.retry_after = Some("3".into());
        assert_eq!(
            parse_response(&r, at()).unwrap_err().retry_after(),
            Some(Duration::from_secs(3))
        );
    }
}
