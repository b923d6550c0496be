//! JWT decoding for display: header and claims, unverified. Never used to decide anything
//! but what to show and when a pasted token expires; an opaque token is simply "not a JWT".

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Jwt {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
}

/// The header and claims of a JWS compact token, or `None` for anything else.
pub fn decode(token: &str) -> Option<Jwt> {
    let mut parts = token.trim().split('.');
    let (header, claims, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None; // five parts: an encrypted JWE, not readable
    }
    let object = |part: &str| match serde_json::from_slice(
        &URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?,
    )
    .ok()?
    {
        Value::Object(map) => Some(map),
        _ => None,
    };
    Some(Jwt {
        header: object(header)?,
        claims: object(claims)?,
    })
}

impl Jwt {
    fn time(&self, claim: &str) -> Option<DateTime<Utc>> {
        let v = self.claims.get(claim)?;
        let secs = v.as_i64().or_else(|| v.as_f64().map(|f| f as i64))?;
        DateTime::from_timestamp(secs, 0)
    }

    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.time("exp")
    }

    pub fn issued_at(&self) -> Option<DateTime<Utc>> {
        self.time("iat")
    }

    pub fn not_before(&self) -> Option<DateTime<Utc>> {
        self.time("nbf")
    }

    /// `scope` (space-separated) or `scp` (a list), as servers differ.
    pub fn scopes(&self) -> Vec<String> {
        match self.claims.get("scope").or_else(|| self.claims.get("scp")) {
            Some(Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => vec![],
        }
    }

    /// Roles and permissions as the common servers name them (Keycloak, Auth0, Azure AD).
    pub fn roles(&self) -> Vec<String> {
        let mut out = Vec::new();
        for pointer in ["/roles", "/permissions", "/realm_access/roles", "/groups"] {
            if let Some(Value::Array(a)) = Value::Object(self.claims.clone()).pointer(pointer) {
                out.extend(a.iter().filter_map(|v| v.as_str().map(str::to_owned)));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make(claims: Value) -> String {
        let enc = |v: Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(&v).unwrap());
        format!(
            "{}.{}.sig",
            enc(serde_json::json!({"alg": "RS256", "typ": "at+jwt"})),
            enc(claims)
        )
    }

    #[test]
    fn decodes_claims_of_a_jwt() {
        let t = make(
            serde_json::json!({"sub": "u1", "exp": 1_800_000_000, "iat": 1_799_999_000, "scope": "a b", "realm_access": {"roles": ["admin"]}}),
        );
        let jwt = decode(&t).unwrap();
        assert_eq!(jwt.header["typ"], "at+jwt");
        assert_eq!(jwt.claims["sub"], "u1");
        assert_eq!(jwt.expires_at(), DateTime::from_timestamp(1_800_000_000, 0));
        assert_eq!(jwt.scopes(), ["a", "b"]);
        assert_eq!(jwt.roles(), ["admin"]);
    }

    #[test]
    fn opaque_and_broken_tokens_are_not_jwts() {
        for t in [
            "FT558B2DxzHHt67MZtDR3jzRu6eF5oIxRcwgjRE01NH",
            "a.b.c",
            "",
            "x.y",
            "a.b.c.d.e",
        ] {
            assert_eq!(decode(t), None, "{t}");
        }
    }
}
