//! A server's words with the account's secrets taken out. A token server that answered
//! `invalid_client` with the client secret it received in its `error_description` once put
//! that secret, in plaintext, into the history (twice in the WAL), the log, stderr and a
//! hook's `TOKENTRAY_MESSAGE`. Every secret the account holds is redacted from an error
//! before it is stored, logged, shown or handed to a hook: as it is, form-encoded, and as an
//! HTTP Basic credential with the client ID.

use crate::error::Error;
use crate::secret::Secret;
use base64::Engine as _;
use zeroize::Zeroizing;

/// What stands in for a secret.
pub const REDACTED: &str = "[redacted]";

/// Shorter than this is no secret worth the name (a test's `s`): taken out, it would eat every
/// such letter of a message.
const SHORTEST: usize = 4;

#[derive(Default)]
pub struct Redactor {
    needles: Vec<Zeroizing<String>>,
}

impl Redactor {
    /// Takes out `secret` wherever it appears, in the forms it is sent in.
    pub fn secret(mut self, secret: &Secret) -> Redactor {
        let value = secret.expose();
        if value.chars().count() < SHORTEST {
            return self;
        }
        self.needles.push(Zeroizing::new(value.to_string()));
        let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
        if encoded != value {
            self.needles.push(Zeroizing::new(encoded));
        }
        self
    }

    pub fn secrets<'a>(self, secrets: impl IntoIterator<Item = &'a Secret>) -> Redactor {
        secrets.into_iter().fold(self, Redactor::secret)
    }

    /// The client's HTTP Basic credential (RFC 6749 §2.3.1: both parts form-encoded first;
    /// also without, as many servers take it).
    pub fn basic(mut self, client_id: &str, secret: &Secret) -> Redactor {
        let form = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let engine = base64::engine::general_purpose::STANDARD;
        for pair in [
            format!("{}:{}", form(client_id), form(secret.expose())),
            format!("{client_id}:{}", secret.expose()),
        ] {
            self.needles.push(Zeroizing::new(engine.encode(pair)));
        }
        self
    }

    /// `text` with every secret replaced by [`REDACTED`].
    pub fn text(&self, text: &str) -> String {
        let mut out = text.to_string();
        // Longest first: a secret that contains another is taken out whole.
        let mut needles: Vec<&str> = self.needles.iter().map(|n| n.as_str()).collect();
        needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
        for needle in needles {
            out = out.replace(needle, REDACTED);
        }
        out
    }

    /// The error with every secret taken out of its words.
    pub fn error(&self, error: Error) -> Error {
        match self.needles.is_empty() {
            true => error,
            false => error.map_text(|t| self.text(t)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_taken_out_in_every_form_they_are_sent_in() {
        let secret = Secret::new("s3cr3t+/value");
        let r = Redactor::default()
            .secret(&secret)
            .basic("client", &secret)
            .secret(&Secret::new("s"));
        let basic = base64::engine::general_purpose::STANDARD.encode("client:s3cr3t%2B%2Fvalue");
        let said = format!(
            "bad secret s3cr3t+/value (form s3cr3t%2B%2Fvalue, header Basic {basic}); s stays"
        );
        let shown = r.text(&said);
        assert!(
            !shown.contains("s3cr3t") && !shown.contains(&basic),
            "{shown}"
        );
        assert_eq!(shown.matches(REDACTED).count(), 3, "{shown}");
        assert!(
            shown.ends_with("; s stays"),
            "too short to be a secret: {shown}"
        );
        let e = r.error(Error::Refused {
            error: "invalid_client".into(),
            description: Some("got s3cr3t+/value".into()),
            status: 401,
        });
        assert!(!e.to_string().contains("s3cr3t"), "{e}");
        assert_eq!(e.code(), "invalid_client");
    }
}
