//! DPoP (RFC 9449): tokens bound to a key the account holds. Every token request carries a
//! proof signed with that key; a server that wants a nonce says `use_dpop_nonce` once and the
//! request goes again with it; and a script gets, per call, the two headers a resource server
//! wants (`Authorization: DPoP …` and a fresh proof with the token's hash), made by the engine
//! so that the key never leaves it.

use crate::jws::SigningKey;
use crate::secret::Secret;
use serde::{Deserialize, Serialize};

/// What a script sends to a resource server with a DPoP-bound token: secrets on their way to
/// their owner (`Debug` redacted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Headers {
    /// `DPoP <token>`: the value of `Authorization`.
    pub authorization: crate::api::SecretText,
    /// The proof: the value of `DPoP`.
    pub dpop: crate::api::SecretText,
}

/// A proof for one request (§4.2): `htm` the method, `htu` the URL without its query and
/// fragment, a fresh `jti`, `iat` now; with `ath` (the token's hash) when it goes with an
/// access token, and the server's `nonce` when it asked for one.
pub fn proof(
    key_pem: &Secret,
    method: &str,
    url: &url::Url,
    access_token: Option<&str>,
    nonce: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String, String> {
    let key = SigningKey::from_pem(key_pem, None)?;
    let jwk = key
        .public_jwk()
        .ok_or("a DPoP key must be a public key pair")?;
    let mut htu = url.clone();
    htu.set_query(None);
    htu.set_fragment(None);
    let mut claims = serde_json::json!({
        "jti": crate::jws::random_id(),
        "htm": method.to_ascii_uppercase(),
        "htu": htu.as_str(),
        "iat": now.timestamp(),
    });
    if let Some(token) = access_token {
        claims["ath"] = crate::jws::sha256_b64(token.as_bytes()).into();
    }
    if let Some(nonce) = nonce {
        claims["nonce"] = nonce.into();
    }
    key.sign(
        serde_json::json!({ "typ": "dpop+jwt", "jwk": jwk }),
        &claims,
    )
}

/// The server wants a nonce in the proof (§8): it answered `use_dpop_nonce` and named one.
pub fn wants_nonce(response: &crate::http::Response) -> Option<&str> {
    let error: Option<serde_json::Value> = serde_json::from_slice(&response.body).ok();
    let asked = error.is_some_and(|e| e["error"] == "use_dpop_nonce");
    response.dpop_nonce.as_deref().filter(|_| asked)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    #[test]
    fn a_proof_names_the_request_the_token_and_the_nonce() {
        let key = SigningKey::generate().unwrap();
        let url = url::Url::parse("https://api.example.com/v1/things?page=2#top").unwrap();
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let jws = proof(&key, "get", &url, Some("tok"), Some("n-1"), now).unwrap();
        let part = |i: usize| -> serde_json::Value {
            serde_json::from_slice(
                &URL_SAFE_NO_PAD
                    .decode(jws.split('.').nth(i).unwrap())
                    .unwrap(),
            )
            .unwrap()
        };
        let (header, claims) = (part(0), part(1));
        assert_eq!(header["typ"], "dpop+jwt");
        assert_eq!(header["alg"], "ES256");
        assert_eq!(header["jwk"]["kty"], "EC");
        assert!(header["jwk"].get("d").is_none());
        assert_eq!(claims["htm"], "GET");
        assert_eq!(claims["htu"], "https://api.example.com/v1/things");
        assert_eq!(claims["iat"], 1_800_000_000);
        assert_eq!(claims["ath"], crate::jws::sha256_b64(b"tok"));
        assert_eq!(claims["nonce"], "n-1");
        let again = proof(&key, "GET", &url, None, None, now).unwrap();
        assert_ne!(part(1)["jti"], {
            let c: serde_json::Value = serde_json::from_slice(
                &URL_SAFE_NO_PAD
                    .decode(again.split('.').nth(1).unwrap())
                    .unwrap(),
            )
            .unwrap();
            c["jti"].clone()
        });
    }

    #[test]
    fn a_nonce_is_taken_only_when_the_server_asks_for_it() {
        let answer = |body: &str, nonce: Option<&str>| crate::http::Response {
            status: 400,
            retry_after: None,
            dpop_nonce: nonce.map(String::from),
            body: body.as_bytes().to_vec(),
        };
        assert_eq!(
            wants_nonce(&answer(r#"{"error":"use_dpop_nonce"}"#, Some("n"))),
            Some("n")
        );
        assert_eq!(
            wants_nonce(&answer(r#"{"error":"invalid_dpop_proof"}"#, Some("n"))),
            None
        );
        assert_eq!(
            wants_nonce(&answer(r#"{"error":"use_dpop_nonce"}"#, None)),
            None
        );
    }
}
