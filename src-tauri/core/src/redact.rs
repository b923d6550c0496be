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

/// A secret this short is taken out only where it stands alone (as a word), so that a toy
/// secret such as `s` does not eat every letter of a message.
const SHORTEST_ANYWHERE: usize = 4;

#[derive(Default)]
pub struct Redactor {
    needles: Vec<Zeroizing<String>>,
}

impl Redactor {
    /// Takes out `secret` wherever it appears, in the forms it is sent in.
    pub fn secret(mut self, secret: &Secret) -> Redactor {
        let value = secret.expose();
        if value.is_empty() {
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
            out = match needle.chars().count() >= SHORTEST_ANYWHERE {
                true => out.replace(needle, REDACTED),
                false => replace_words(&out, needle),
            };
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

/// Replaces `needle` where it stands as a word (between non-alphanumeric characters).
fn replace_words(text: &str, needle: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(needle) {
        let (before, after) = (&rest[..at], &rest[at.saturating_add(needle.len())..]);
        let alone = !before
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric)
            && !after.chars().next().is_some_and(char::is_alphanumeric);
        out.push_str(before);
        out.push_str(if alone { REDACTED } else { needle });
        rest = after;
    }
    out.push_str(rest);
    out
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
            .secret(&Secret::new("x"));
        let basic = base64::engine::general_purpose::STANDARD.encode("client:s3cr3t%2B%2Fvalue");
        let said = format!(
            "bad secret s3cr3t+/value (form s3cr3t%2B%2Fvalue, header Basic {basic}); x marks xray"
        );
        let shown = r.text(&said);
        assert!(
            !shown.contains("s3cr3t") && !shown.contains(&basic),
            "{shown}"
        );
        assert_eq!(shown.matches(REDACTED).count(), 4, "{shown}");
        assert!(shown.ends_with("[redacted] marks xray"), "{shown}");
        let e = r.error(Error::Refused {
            error: "invalid_client".into(),
            description: Some("got s3cr3t+/value".into()),
            status: 401,
        });
        assert!(!e.to_string().contains("s3cr3t"), "{e}");
        assert_eq!(e.code(), "invalid_client");
    }
}
