//! The engine's API: every call a front end makes (the CLI, the credential helpers, the
//! window, a script over the socket) is one type here with its own answer type, so a caller
//! gets exactly what its call answers and nothing else can arrive. Streams (a login's prompts,
//! the engine's events) are typed the same way. This module knows nothing of the engine: the
//! CLI's lean front uses these types and the [`crate::client`] without reaching the engine's
//! code, and the server ([`crate::server`]) answers each call.
//!
//! On the wire (newline-delimited JSON, over any [`crate::transport`]): a call is its fields
//! with `"op"` naming it, `{"op":"token","name":"api","min_valid_secs":0}`; each answer line is
//! a [`Line`]: `{"result":"ok","answer":…}`, `{"result":"item","item":…}` for a stream's items
//! before its end, or `{"result":"error","code":…,"message":…}`. The first call of every
//! connection is [`calls::Hello`], with the protocol version.

pub mod calls;

use crate::code::ErrorView;
use crate::secret::Secret;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The protocol spoken over a transport; a CLI and an engine of other versions refuse each
/// other by name ([`crate::Error::ProtocolMismatch`]).
pub const PROTOCOL_VERSION: u32 = 2;

/// One call to the engine and the one type it answers with.
pub trait Call: Serialize + DeserializeOwned + Send + 'static {
    /// Its name on the wire.
    const OP: &'static str;
    /// What the engine answers.
    type Answer: Serialize + DeserializeOwned + Send + 'static;
}

/// A call answered by items as they come, then by its answer (or an error).
pub trait Streamed: Call {
    type Item: Serialize + DeserializeOwned + Send + 'static;
}

/// One line the engine writes back.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Line<A, I = ()> {
    Ok { answer: A },
    Item { item: I },
    Error(ErrorView),
}

/// A call as it is written: its fields, and `op` naming it.
#[derive(Serialize)]
pub struct Framed<'a, C: Call> {
    pub op: &'static str,
    #[serde(flatten)]
    pub call: &'a C,
}

impl<'a, C: Call> Framed<'a, C> {
    pub fn new(call: &'a C) -> Self {
        Framed { op: C::OP, call }
    }

    /// The line: JSON and its newline.
    pub fn line(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec(self).unwrap_or_default();
        out.push(b'\n');
        out
    }
}

/// Who made a call, as the transport tells it: the caller's user, process and, where the OS
/// says, its program. (A process can lie about its name, not about its uid or pid.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    pub uid: u32,
    pub pid: Option<i32>,
    /// The program the process runs (`/proc/PID/exe` on Linux), when the OS says.
    pub exe: Option<PathBuf>,
}

impl Caller {
    /// This process: the in-process transport's caller.
    pub fn this_process() -> Caller {
        Caller {
            uid: crate::transport::my_uid(),
            pid: i32::try_from(std::process::id()).ok(),
            exe: std::env::current_exe().ok(),
        }
    }
}

/// Text that may hold a secret on its way to its owner (a token, an exported profile with
/// its secrets): written in full on the wire, where it must go, but `Debug` says
/// `[redacted]`, so an answer printed by mistake shows no secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretText(String);

impl SecretText {
    pub fn new(text: impl Into<String>) -> SecretText {
        SecretText(text.into())
    }

    /// The text itself, for where it leaves on purpose (stdout, an environment variable).
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn into_secret(self) -> Secret {
        Secret::new(self.0)
    }
}

impl From<&Secret> for SecretText {
    fn from(secret: &Secret) -> SecretText {
        SecretText(secret.expose().to_string())
    }
}

impl std::fmt::Debug for SecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The name of the op a line of JSON calls (the server reads it before the call's fields).
#[derive(Deserialize)]
pub struct Op {
    pub op: String,
}

/// Whether the accounts window may make the call `op` (through the shell's one `call`
/// command; nothing else of the engine is reachable from the web view): the second group of
/// [`crate::for_each_call`].
pub fn window_may(op: &str) -> bool {
    macro_rules! any_window_call {
        (plain: [$($plain:ty),* $(,)?], window: [$($call:ty),* $(,)?]) => {
            false $(|| op == <$call as Call>::OP)*
        };
    }
    crate::for_each_call!(any_window_call)
}

#[cfg(test)]
mod tests {
    use super::calls::*;
    use super::*;

    #[test]
    fn a_call_is_its_fields_with_op_naming_it() {
        let call = Token {
            name: "api".into(),
            min_valid_secs: 5,
            for_program: None,
            id_token: false,
            via: crate::lending::Via::Token,
            narrow: Default::default(),
        };
        let line = String::from_utf8(Framed::new(&call).line()).unwrap();
        assert_eq!(
            line,
            "{\"op\":\"token\",\"name\":\"api\",\"min_valid_secs\":5}\n"
        );
        // A narrower token is asked as a table of what is asked.
        let narrowed = Token {
            narrow: crate::narrow::Narrower {
                scope: Some("api:read".into()),
                ..Default::default()
            },
            ..call
        };
        let line = String::from_utf8(Framed::new(&narrowed).line()).unwrap();
        assert_eq!(
            line,
            "{\"op\":\"token\",\"name\":\"api\",\"min_valid_secs\":5,\"narrow\":{\"scope\":\"api:read\"}}\n"
        );
        let line = String::from_utf8(Framed::new(&List {}).line()).unwrap();
        assert_eq!(line, "{\"op\":\"list\"}\n");
    }

    #[test]
    fn an_answer_holding_a_secret_never_shows_it() {
        let answer: Line<SecretText> = Line::Ok {
            answer: SecretText::new("at-very-secret"),
        };
        assert!(!format!("{answer:?}").contains("very-secret"));
        let written = serde_json::to_string(&answer).unwrap();
        assert_eq!(written, "{\"result\":\"ok\",\"answer\":\"at-very-secret\"}");
    }

    #[test]
    fn every_op_is_named_once_and_the_window_reaches_only_its_own() {
        let mut ops = vec![];
        macro_rules! names {
            (plain: [$($plain:ty),* $(,)?], window: [$($call:ty),* $(,)?]) => {
                $(ops.push(<$plain as Call>::OP);)*
                $(ops.push(<$call as Call>::OP);)*
            };
        }
        crate::for_each_call!(names);
        let mut unique = ops.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), ops.len(), "{ops:?}");
        assert!(window_may("list") && window_may("save"));
        for op in [
            "token",
            "lend",
            "export",
            "import",
            "dpop",
            "hello",
            "save_settings",
            "nope",
        ] {
            assert!(!window_may(op), "{op}");
        }
    }
}
