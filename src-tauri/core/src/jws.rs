//! Keys that sign, and the compact JWS they sign: client assertions (RFC 7523 §2.2:
//! `private_key_jwt` and `client_secret_jwt`) and DPoP proofs (RFC 9449). ring signs (rustls
//! already brings it); a compact JWS is three base64url parts. Keys come as PEM (PKCS#8 for
//! P-256 or RSA, or PKCS#1 for RSA) or are generated here (P-256), and a key's public half is
//! given as a JWK with its RFC 7638 thumbprint — never the private half.

use crate::secret::Secret;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The algorithms Tokentray signs with.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Alg {
    ES256,
    RS256,
    PS256,
    HS256,
}

impl Alg {
    pub fn name(self) -> &'static str {
        match self {
            Alg::ES256 => "ES256",
            Alg::RS256 => "RS256",
            Alg::PS256 => "PS256",
            Alg::HS256 => "HS256",
        }
    }
}

enum Kind {
    Ec(EcdsaKeyPair),
    Rsa(RsaKeyPair),
    Hmac(ring::hmac::Key),
}

/// A key ready to sign.
pub struct SigningKey {
    kind: Kind,
    alg: Alg,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({})", self.alg.name())
    }
}

const CONVERT: &str = "convert it with `openssl pkcs8 -topk8 -nocrypt -in KEY.pem`";

impl SigningKey {
    /// A private key in PEM; `alg` when given must fit it (PS256 for an RSA key), else ES256
    /// for a P-256 key and RS256 for an RSA key.
    pub fn from_pem(pem: &Secret, alg: Option<Alg>) -> Result<SigningKey, String> {
        use rustls_pki_types::pem::PemObject;
        use rustls_pki_types::PrivateKeyDer;
        let der = PrivateKeyDer::from_pem_slice(pem.expose().as_bytes()).map_err(|e| {
            format!("the private key is not a PEM private key ({e}); give a PKCS#8 key (-----BEGIN PRIVATE KEY-----)")
        })?;
        let rng = SystemRandom::new();
        let kind = match &der {
            PrivateKeyDer::Pkcs8(p) => {
                let bytes = p.secret_pkcs8_der();
                match EcdsaKeyPair::from_pkcs8(
                    &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    bytes,
                    &rng,
                ) {
                    Ok(ec) => Kind::Ec(ec),
                    Err(_) => Kind::Rsa(RsaKeyPair::from_pkcs8(bytes).map_err(|e| {
                        format!("the private key is neither a P-256 nor an RSA key ({e})")
                    })?),
                }
            }
            PrivateKeyDer::Pkcs1(p) => Kind::Rsa(
                RsaKeyPair::from_der(p.secret_pkcs1_der())
                    .map_err(|e| format!("the RSA private key is not usable ({e})"))?,
            ),
            PrivateKeyDer::Sec1(_) => {
                return Err(format!(
                    "the private key is in SEC1 form (BEGIN EC PRIVATE KEY); {CONVERT}"
                ))
            }
            _ => {
                return Err(format!(
                    "the private key's form is not supported; {CONVERT}"
                ))
            }
        };
        let alg = match (&kind, alg) {
            (Kind::Ec(_), None | Some(Alg::ES256)) => Alg::ES256,
            (Kind::Rsa(_), None) => Alg::RS256,
            (Kind::Rsa(_), Some(a @ (Alg::RS256 | Alg::PS256))) => a,
            (_, Some(a)) => return Err(format!("signing_alg {} does not fit this key", a.name())),
            (Kind::Hmac(_), None) => unreachable!("a PEM key is never a shared secret"),
        };
        Ok(SigningKey { kind, alg })
    }

    /// HS256 with a shared secret (`client_secret_jwt`).
    pub fn hmac(secret: &Secret) -> SigningKey {
        SigningKey {
            kind: Kind::Hmac(ring::hmac::Key::new(
                ring::hmac::HMAC_SHA256,
                secret.expose().as_bytes(),
            )),
            alg: Alg::HS256,
        }
    }

    /// A new P-256 key, as PKCS#8 PEM (what the vault seals).
    pub fn generate() -> Result<Secret, String> {
        let key = rcgen::KeyPair::generate().map_err(|e| format!("cannot generate a key: {e}"))?;
        Ok(Secret::new(key.serialize_pem()))
    }

    pub fn alg(&self) -> Alg {
        self.alg
    }

    /// The public half as a JWK (no `kid`, `alg` or `use`: the caller adds what the server
    /// wants); `None` for a shared secret.
    pub fn public_jwk(&self) -> Option<Value> {
        let b64 = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
        match &self.kind {
            Kind::Ec(ec) => {
                // Uncompressed point: 0x04 || x || y.
                let point = ec.public_key().as_ref();
                Some(
                    json!({ "kty": "EC", "crv": "P-256", "x": b64(&point[1..33]), "y": b64(&point[33..65]) }),
                )
            }
            Kind::Rsa(rsa) => {
                let parts: signature::RsaPublicKeyComponents<Vec<u8>> = rsa.public().into();
                Some(json!({ "kty": "RSA", "n": b64(&parts.n), "e": b64(&parts.e) }))
            }
            Kind::Hmac(_) => None,
        }
    }

    /// The RFC 7638 SHA-256 thumbprint of the public JWK: its `kid` when none is given, and
    /// what a DPoP-bound token's `cnf.jkt` holds.
    pub fn thumbprint(&self) -> Option<String> {
        let jwk = self.public_jwk()?;
        // The required members only, in lexicographic order, no spaces.
        let canonical = match jwk["kty"].as_str()? {
            "EC" => format!(
                r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
                jwk["x"].as_str()?,
                jwk["y"].as_str()?
            ),
            _ => format!(
                r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
                jwk["e"].as_str()?,
                jwk["n"].as_str()?
            ),
        };
        Some(sha256_b64(canonical.as_bytes()))
    }

    /// `header` (with `alg` added) and `claims` signed as a compact JWS.
    pub fn sign(&self, mut header: Value, claims: &Value) -> Result<String, String> {
        header["alg"] = self.alg.name().into();
        let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).expect("JSON"));
        let input = format!("{}.{}", b64(&header), b64(claims));
        let rng = SystemRandom::new();
        let signature = match &self.kind {
            Kind::Ec(ec) => ec
                .sign(&rng, input.as_bytes())
                .map_err(|_| "signing failed".to_string())?
                .as_ref()
                .to_vec(),
            Kind::Rsa(rsa) => {
                let padding: &dyn signature::RsaEncoding = match self.alg {
                    Alg::PS256 => &signature::RSA_PSS_SHA256,
                    _ => &signature::RSA_PKCS1_SHA256,
                };
                let mut out = vec![0; rsa.public().modulus_len()];
                rsa.sign(padding, &rng, input.as_bytes(), &mut out)
                    .map_err(|_| "signing failed".to_string())?;
                out
            }
            Kind::Hmac(key) => ring::hmac::sign(key, input.as_bytes()).as_ref().to_vec(),
        };
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }
}

/// base64url(SHA-256(bytes)): JWK thumbprints, `x5t#S256`, DPoP's `ath`.
pub fn sha256_b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, bytes))
}

/// A fresh unguessable identifier (`jti`): 128 random bits.
pub fn random_id() -> String {
    let mut bytes = [0u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .expect("the system's random source");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `x5t#S256` of the first certificate in a PEM file: how Entra ID and others find the key.
pub fn certificate_thumbprint(path: &std::path::Path) -> Result<String, String> {
    use rustls_pki_types::pem::PemObject;
    let cert = rustls_pki_types::CertificateDer::from_pem_file(path)
        .map_err(|e| format!("certificate_file {}: {e}", path.display()))?;
    Ok(sha256_b64(&cert))
}

/// When the first certificate in a PEM file stops being valid (`notAfter`): a client
/// certificate is watched like any credential that runs out.
pub fn certificate_not_after(
    path: &std::path::Path,
) -> Result<chrono::DateTime<chrono::Utc>, String> {
    use rustls_pki_types::pem::PemObject;
    use x509_cert::der::Decode;
    let der = rustls_pki_types::CertificateDer::from_pem_file(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let cert = x509_cert::Certificate::from_der(&der)
        .map_err(|e| format!("{}: not an X.509 certificate ({e})", path.display()))?;
    let end = cert.tbs_certificate.validity.not_after.to_unix_duration();
    chrono::DateTime::from_timestamp(end.as_secs() as i64, 0)
        .ok_or_else(|| format!("{}: its end is out of range", path.display()))
}

/// A self-signed certificate for a key, to register where a server wants a certificate
/// rather than a JWK (Entra ID): `CN=<subject>`, valid from `from` for `days`.
pub fn self_signed_certificate(
    pem: &Secret,
    subject: &str,
    from: chrono::DateTime<chrono::Utc>,
    days: i64,
) -> Result<String, String> {
    let key = rcgen::KeyPair::from_pem(pem.expose()).map_err(|e| format!("the key: {e}"))?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new())
        .map_err(|e| format!("certificate: {e}"))?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, subject);
    let day = |t: chrono::DateTime<chrono::Utc>| {
        use chrono::Datelike;
        rcgen::date_time_ymd(t.year(), t.month() as u8, t.day() as u8)
    };
    params.not_before = day(from);
    params.not_after = day(crate::time::after(
        from,
        crate::time::secs(days.unsigned_abs().saturating_mul(86_400)),
    ));
    let cert = params
        .self_signed(&key)
        .map_err(|e| format!("certificate: {e}"))?;
    Ok(cert.pem())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(jws: &str) -> (Value, Value, Vec<u8>) {
        let mut it = jws.split('.');
        let mut next = || URL_SAFE_NO_PAD.decode(it.next().unwrap()).unwrap();
        let header = serde_json::from_slice(&next()).unwrap();
        let claims = serde_json::from_slice(&next()).unwrap();
        (header, claims, next())
    }

    #[test]
    fn a_generated_key_signs_what_its_public_jwk_verifies() {
        let pem = SigningKey::generate().unwrap();
        let key = SigningKey::from_pem(&pem, None).unwrap();
        assert_eq!(key.alg(), Alg::ES256);
        let jws = key
            .sign(json!({"typ": "JWT"}), &json!({"sub": "me"}))
            .unwrap();
        let (header, claims, sig) = parts(&jws);
        assert_eq!(header["alg"], "ES256");
        assert_eq!(claims["sub"], "me");
        let jwk = key.public_jwk().unwrap();
        let point = [
            vec![4u8],
            URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap(),
            URL_SAFE_NO_PAD.decode(jwk["y"].as_str().unwrap()).unwrap(),
        ]
        .concat();
        let input = jws.rsplit_once('.').unwrap().0;
        signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
            .verify(input.as_bytes(), &sig)
            .expect("the signature verifies with the public JWK");
        assert_eq!(key.thumbprint().unwrap().len(), 43);
    }

    #[test]
    fn an_rsa_key_signs_rs256_or_ps256_and_never_es256() {
        // ring cannot generate RSA keys; openssl makes the test's (tests/setup.sh installs it).
        let out = std::process::Command::new("openssl")
            .args([
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
            ])
            .output()
            .expect("openssl");
        let pem = Secret::new(String::from_utf8(out.stdout).unwrap());
        assert_eq!(SigningKey::from_pem(&pem, None).unwrap().alg(), Alg::RS256);
        let ps = SigningKey::from_pem(&pem, Some(Alg::PS256)).unwrap();
        let jws = ps.sign(json!({}), &json!({})).unwrap();
        let (_, _, sig) = parts(&jws);
        let jwk = ps.public_jwk().unwrap();
        let n = URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap();
        let e = URL_SAFE_NO_PAD.decode(jwk["e"].as_str().unwrap()).unwrap();
        signature::RsaPublicKeyComponents { n, e }
            .verify(
                &signature::RSA_PSS_2048_8192_SHA256,
                jws.rsplit_once('.').unwrap().0.as_bytes(),
                &sig,
            )
            .expect("PS256 verifies");
        assert!(SigningKey::from_pem(&pem, Some(Alg::ES256)).is_err());
    }

    #[test]
    fn what_is_not_a_usable_key_says_so() {
        let err = SigningKey::from_pem(&Secret::new("not a key"), None).unwrap_err();
        assert!(err.contains("not a PEM private key"), "{err}");
        let sec1 = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5CB04fSeQ6tF1aY/PuoAoGCCqGSM49\nAwEHoUQDQgAEPR3tU2Fta9ktY+6P9G0cWO+0kETA6SFs38GecTyfWxr1QXXaB16H\n1CkqN2PnF0HMg0+SuM7Kd/wBAIBsfhv/+w==\n-----END EC PRIVATE KEY-----\n";
        let err = SigningKey::from_pem(&Secret::new(sec1), None).unwrap_err();
        assert!(err.contains("openssl pkcs8 -topk8"), "{err}");
    }

    #[test]
    fn hmac_signs_hs256() {
        let key = SigningKey::hmac(&Secret::new("s3cret"));
        let jws = key.sign(json!({}), &json!({"a": 1})).unwrap();
        let input = jws.rsplit_once('.').unwrap().0;
        let expected = ring::hmac::sign(
            &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"s3cret"),
            input.as_bytes(),
        );
        assert_eq!(parts(&jws).2, expected.as_ref());
        assert!(key.public_jwk().is_none());
    }

    #[test]
    fn a_certificate_for_a_generated_key_is_read_back_with_its_thumbprint() {
        let pem = SigningKey::generate().unwrap();
        let from = chrono::DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z")
            .unwrap()
            .into();
        let cert = self_signed_certificate(&pem, "my-client", from, 730).unwrap();
        assert!(cert.starts_with("-----BEGIN CERTIFICATE-----"));
        let file = std::env::temp_dir().join(format!("tt-cert-{}.pem", std::process::id()));
        std::fs::write(&file, &cert).unwrap();
        assert_eq!(certificate_thumbprint(&file).unwrap().len(), 43);
        let end = certificate_not_after(&file).unwrap();
        assert_eq!(end.date_naive().to_string(), "2028-11-30");
        std::fs::remove_file(file).unwrap();
    }
}
