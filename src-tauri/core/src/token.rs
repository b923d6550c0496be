//! Token sets and the token-endpoint response parser: strict about what matters
//! (`access_token`), tolerant about what servers get wrong (`expires_in` as a string, no
//! `token_type`). Every failure becomes an [`Error`] with a stable code.

use crate::error::{Error, Result};
use crate::http::Response;
use crate::secret::Secret;
use chrono::{DateTime, Utc};
use serde::Deserialize;
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
    pub scope: Option<String>,
}

impl TokenSet {
    pub fn lifetime(&self) -> Option<chrono::Duration> {
        self.expires_at.map(|e| e - self.issued_at)
    }
}

/// Longer than this is not a lifetime a server means; treat the token as not expiring soon
/// but re-check it daily rather than trusting a decade.
const MAX_EXPIRES_IN: i64 = 366 * 24 * 3600;

#[derive(Deserialize)]
struct OAuthError {
    error: String,
    error_description: Option<String>,
}

/// Turns a token endpoint's answer into a token set or a classified error.
pub fn parse_response(response: &Response, received_at: DateTime<Utc>) -> Result<TokenSet> {
    let status = response.status;
    let json: Option<Value> = serde_json::from_slice(&response.body).ok();
    let oauth_error = json
        .as_ref()
        .and_then(|v| OAuthError::deserialize(v).ok())
        .filter(|e| !e.error.is_empty());

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
    if let Some(e) = oauth_error {
        return Err(Error::Refused {
            error: e.error,
            description: e.error_description,
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
    let Some(Value::Object(body)) = json else {
        return Err(Error::InvalidResponse(describe_non_json(&response.body)));
    };
    let access_token = match body.get("access_token") {
        Some(Value::String(t)) if !t.is_empty() => Secret::new(t.clone()),
        _ => {
            return Err(Error::InvalidResponse(
                "no access_token in the answer".into(),
            ))
        }
    };
    let expires_in = match body.get("expires_in") {
        None | Some(Value::Null) => None,
        Some(v) => Some(parse_seconds(v).ok_or_else(|| {
            Error::InvalidResponse(format!("expires_in is not a number of seconds: {v}"))
        })?),
    };
    let expires_at = match expires_in {
        Some(s) if s <= 0 => {
            return Err(Error::InvalidResponse(format!(
                "expires_in is {s}: the token is already expired"
            )))
        }
        Some(s) => Some(received_at + chrono::Duration::seconds(s.min(MAX_EXPIRES_IN))),
        None => None,
    };
    let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_owned);
    Ok(TokenSet {
        access_token,
        token_type: text("token_type").unwrap_or_else(|| "Bearer".to_string()),
        issued_at: received_at,
        expires_at,
        refresh_token: text("refresh_token")
            .filter(|t| !t.is_empty())
            .map(Secret::new),
        scope: text("scope"),
    })
}

fn parse_seconds(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse::<f64>().ok().map(|f| f as i64),
        _ => None,
    }
}

/// `Retry-After` is either seconds or an HTTP date (RFC 9110 §10.2.3).
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
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
