//! Lending's words: who a lend is for ([`Asker`]), how it was asked for ([`Via`]), a first use
//! waiting for the person ([`Approval`]) and their answer ([`Decision`]). The engine decides
//! (`engine/lending.rs`); the API, the events and the desktop speak these.

use crate::program::Program;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How long a program's first use waits for the person.
pub const APPROVAL_WAIT: Duration = Duration::from_secs(60);
/// "Allow for 8 hours".
pub const ALLOW_FOR_HOURS: u64 = 8;

/// Who a lend is for: the program, and for `tokentray exec` the program that ran it.
#[derive(Debug, Clone)]
pub struct Asker {
    pub program: Program,
    pub on_behalf_of: Option<Program>,
    /// The person at the desktop (the window's and the tray's copy buttons): lent whatever
    /// `lend_to` and `confirm` say, but not while locked.
    pub person: bool,
}

impl Asker {
    pub fn person() -> Asker {
        Asker {
            program: Program::person(),
            on_behalf_of: None,
            person: true,
        }
    }
}

/// How a token was asked for, as the audit names it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    #[default]
    Token,
    Exec,
    Git,
    Kubectl,
    Docker,
    Env,
    Dpop,
    WindowCopy,
    TrayCopy,
    Export,
    Proxy,
    Aws,
}

impl Via {
    /// `token`, what a call that says nothing means.
    pub fn is_default(&self) -> bool {
        *self == Via::Token
    }

    pub fn word(self) -> &'static str {
        match self {
            Via::Token => "token",
            Via::Exec => "exec",
            Via::Git => "git",
            Via::Kubectl => "kubectl",
            Via::Docker => "docker",
            Via::Env => "env",
            Via::Dpop => "dpop",
            Via::WindowCopy => "window copy",
            Via::TrayCopy => "tray copy",
            Via::Export => "export",
            Via::Proxy => "proxy",
            Via::Aws => "aws",
        }
    }
}

/// What the person answered to a program's first use.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    AllowOnce,
    /// For [`ALLOW_FOR_HOURS`] hours, for this account and this program.
    AllowForHours,
    Deny,
}

/// A first use waiting for the person.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: u64,
    pub account: String,
    pub program: Program,
    pub on_behalf_of: Option<Program>,
    pub via: String,
}

/// What shows that a person, not a program alone, unlocks Tokentray or allows a first use:
/// the desktop's own window or tray (a click), or the vault's passphrase typed in a terminal.
pub enum Proof {
    Desktop,
    Passphrase(crate::secret::Secret),
    Nothing,
}
