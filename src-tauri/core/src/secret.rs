//! A secret value (token, client secret, password) that cannot reach a log by accident:
//! `Debug` and `Display` say `[redacted]`, the value is read only through [`Secret::expose`],
//! and the memory is wiped when it is dropped.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(Zeroizing::new(value.into()))
    }

    /// The secret itself. Call this only where the value leaves on purpose: an HTTP request,
    /// the clipboard, a script's stdout.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Serialising a secret writes the redaction marker, never the value: a secret that must be
/// written (to the vault, to an export with `--with-secrets`) is written through `expose`.
impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_display_and_serde_never_show_the_value() {
        let s = Secret::new("hunter2-very-secret");
        let shown = format!("{s:?} {s} {}", serde_json::to_string(&s).unwrap());
        assert!(!shown.contains("hunter2"), "{shown}");
        assert_eq!(s.expose(), "hunter2-very-secret");
    }
}
