//! Every call, each with its answer. [`for_each_call!`](crate::for_each_call) lists them
//! once: the server's dispatcher, the window's allowance and the UI's typed bindings
//! (`ui/src/lib/bindings/calls.ts`) all come from that list. A new call is a type here (and
//! its place in the list) and its answer in the server (`server/answer.rs`); a window call is
//! one line of `ui/src/lib/api.ts` besides.

use super::{Call, SecretText, Streamed};
use crate::clipboard::Copyable;
use crate::edit::{AccountDetail, AccountList, TestResult};
use crate::engine::PublicKey;
use crate::grant::discovery::Metadata;
use crate::lending::{Approval, Decision, Via};
use crate::login::LoginPrompt;
use crate::narrow::Narrower;
use crate::settings::Settings;
use crate::store::HistoryEntry;
use crate::store::Lend as Lending;
use crate::tools::{Lent, Wanted};
use crate::view::{Event, Revocation};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Lists every call type, for a macro that takes them all: `for_each_call!(my_macro)` expands
/// to `my_macro!(plain: [Hello, Token, …], window: [List, …])`, the calls the window may make
/// too in the second group (declared with [`window_call!`], which gives them TypeScript types).
#[macro_export]
macro_rules! for_each_call {
    ($then:ident) => {
        $then! {
            plain: [
                $crate::api::calls::Hello,
                $crate::api::calls::Token,
                $crate::api::calls::SaveSettings,
                $crate::api::calls::Import,
                $crate::api::calls::Export,
                $crate::api::calls::Login,
                $crate::api::calls::Events,
                $crate::api::calls::Lend,
                $crate::api::calls::Rejected,
                $crate::api::calls::Registries,
                $crate::api::calls::GetPublicKey,
                $crate::api::calls::Dpop,
                $crate::api::calls::Audit,
                $crate::api::calls::AwsCredential,
            ],
            window: [
                $crate::api::calls::List,
                $crate::api::calls::Refresh,
                $crate::api::calls::History,
                $crate::api::calls::Detail,
                $crate::api::calls::Save,
                $crate::api::calls::Test,
                $crate::api::calls::Discover,
                $crate::api::calls::GetSettings,
                $crate::api::calls::Copy,
                $crate::api::calls::Remove,
                $crate::api::calls::Lock,
                $crate::api::calls::Unlock,
                $crate::api::calls::Approvals,
                $crate::api::calls::Answer,
            ]
        }
    };
}

/// Declares a call: its type (serialised as its fields) with its op and its answer.
macro_rules! call {
    ($(#[$meta:meta])* $name:ident { $($field:tt)* }, $op:literal => $answer:ty) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Serialize, Deserialize)]
        pub struct $name { $($field)* }

        impl Call for $name {
            const OP: &'static str = $op;
            type Answer = $answer;
        }
    };
}

/// Declares a call the window may make too, with its TypeScript type.
macro_rules! window_call {
    ($(#[$meta:meta])* $name:ident { $($field:tt)* }, $op:literal => $answer:ty) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Serialize, Deserialize)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
        pub struct $name { $($field)* }

        impl Call for $name {
            const OP: &'static str = $op;
            type Answer = $answer;
        }
    };
}

call! {
    /// The first call of every connection: the protocol version spoken.
    Hello { pub version: u32 }, "hello" => Hello
}

call! {
    /// A valid access token, refreshed first if due: the one place a token leaves to a
    /// script.
    Token {
        pub name: String,
        /// The token must stay valid this long (seconds); 0 = just valid.
        #[serde(default)]
        pub min_valid_secs: u64,
        /// `tokentray exec`: the program the token is for (Tokentray's CLI runs it), which
        /// `lend_to` and the audit see instead of the CLI.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub for_program: Option<std::path::PathBuf>,
        /// The account's OpenID Connect ID token instead of its access token.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        pub id_token: bool,
        /// Who asks, for the audit (`token`; `proxy` from `tokentray proxy`).
        #[serde(default, skip_serializing_if = "Via::is_default")]
        pub via: Via,
        /// A token narrower than the account's own (`--scope`, `--audience`, `--resource`).
        #[serde(default, skip_serializing_if = "Narrower::is_empty")]
        pub narrow: Narrower,
    }, "token" => SecretText
}

window_call! {
    /// The accounts, and the problems met at start (a broken profile entry).
    List {}, "list" => AccountList
}

window_call! {
    /// Refreshes an account now.
    Refresh { pub name: String }, "refresh" => ()
}

window_call! {
    /// An account's refresh history, newest first: at most `limit`, older than `before_id`
    /// when given (a page at a time).
    History {
        pub name: String,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub limit: i64,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        pub before_id: Option<i64>,
    }, "history" => Vec<HistoryEntry>
}

window_call! {
    /// One account as its page shows it: settings and the names of its secrets, never their
    /// values.
    Detail { pub name: String }, "detail" => AccountDetail
}

window_call! {
    /// Adds an account from a form's fields, or edits the one named (`editing`).
    Save {
        pub name: String,
        #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown>"))]
        pub fields: Map<String, Value>,
        pub editing: bool,
    }, "save" => ()
}

window_call! {
    /// One token request with a form's settings, before saving them.
    Test {
        #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown>"))]
        pub fields: Map<String, Value>,
    }, "test" => TestResult
}

window_call! {
    /// An issuer's endpoints, to fill a form.
    Discover { pub issuer: String }, "discover" => Metadata
}

window_call! {
    /// The app's settings.
    GetSettings {}, "settings" => Settings
}

call! {
    /// Saves the app's settings (the window saves them through the desktop, which applies
    /// start at login too).
    SaveSettings { pub settings: Settings }, "save_settings" => ()
}

window_call! {
    /// Puts something of an account on the desktop app's clipboard (which outlives the window
    /// that asks): the seconds until it is cleared (0: never). Only the desktop app has a
    /// clipboard.
    Copy { pub name: String, pub what: Copyable }, "copy" => u32
}

call! {
    /// Accounts as TOML, all or nothing: the names imported.
    Import { pub toml: String }, "import" => Vec<String>
}

call! {
    /// The accounts as TOML (with their secrets when asked).
    Export { pub with_secrets: bool }, "export" => SecretText
}

window_call! {
    /// Removes an account, revoking its tokens first where the server offers it.
    Remove { pub name: String }, "remove" => Revocation
}

call! {
    /// A login a person takes part in: its prompts as items, then the end. Anything the
    /// client sends meanwhile, or closing the connection, cancels it.
    Login { pub name: String }, "login" => ()
}

impl Streamed for Login {
    type Item = LoginPrompt;
}

call! {
    /// Every event from now on, one item each, until the client hangs up.
    Events {}, "events" => ()
}

/// What the events stream says: an event, or how many a slow reader missed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Heard {
    Event(Event),
    Missed(u64),
}

impl Streamed for Events {
    type Item = Heard;
}

call! {
    /// A token for a tool's credential helper (kubectl, git, Docker, a shell): the account it
    /// names or the one that answers for its host.
    Lend {
        pub want: Wanted,
        #[serde(default)]
        pub min_valid_secs: u64,
        /// Which tool's helper asks (the audit's `via`).
        #[serde(default)]
        pub via: Via,
        /// A token narrower than the account's own (`tokentray env --scope`); none: what
        /// the account's `helper_scope`, `helper_audience`, `helper_resource` say.
        #[serde(default, skip_serializing_if = "Narrower::is_empty")]
        pub narrow: Narrower,
    }, "lend" => Lent
}

call! {
    /// The tool's server refused this token (git's `erase`): the account is refreshed if it
    /// is still its token.
    Rejected { pub want: Wanted, pub token: SecretText }, "rejected" => ()
}

call! {
    /// The registries accounts answer for, each with the username Docker would send.
    Registries {}, "registries" => BTreeMap<String, String>
}

call! {
    /// The public half of an account's signing key, to register (`tokentray key`).
    GetPublicKey { pub name: String }, "public_key" => PublicKey
}

call! {
    /// The headers for one request with a DPoP-bound token (`tokentray token --dpop`).
    Dpop {
        pub name: String,
        pub method: String,
        pub url: String,
    }, "dpop" => crate::dpop::Headers
}

window_call! {
    /// Locks: nothing is lent until a person unlocks (refreshing goes on). Anyone may lock.
    Lock {}, "lock" => ()
}

window_call! {
    /// Unlocks: from the desktop, a click; from a terminal, the vault's passphrase (or, for a
    /// vault whose key is in the keyring, the desktop asked to confirm).
    Unlock {
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(type = "string | null"))]
        pub passphrase: Option<SecretText>,
    }, "unlock" => ()
}

window_call! {
    /// The first uses waiting for the person.
    Approvals {}, "approvals" => Vec<Approval>
}

window_call! {
    /// A person's answer to a first use: allowing from a terminal takes the passphrase.
    Answer {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub id: u64,
        pub decision: Decision,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(type = "string | null"))]
        pub passphrase: Option<SecretText>,
    }, "answer" => ()
}

call! {
    /// The newest lends and refusals, of one account or all (`tokentray audit`).
    Audit {
        #[serde(default)]
        pub name: Option<String>,
        pub limit: i64,
    }, "audit" => Vec<Lending>
}

call! {
    /// AWS credentials for a role, from the account's OIDC login (the AWS CLI's
    /// `credential_process`): the account's `aws_role_arn` and `aws_sts_url` when the call
    /// names none.
    AwsCredential {
        pub name: String,
        #[serde(default)]
        pub role_arn: Option<String>,
        #[serde(default)]
        pub sts_url: Option<String>,
        #[serde(default)]
        pub duration_secs: Option<u64>,
        #[serde(default)]
        pub session_name: Option<String>,
    }, "aws_credential" => crate::aws::Credentials
}

#[cfg(all(test, feature = "ts"))]
mod typescript {
    use super::super::Call;
    use ts_rs::TS;

    /// One window call as TypeScript (its op, its fields' type and its answer's), and the
    /// types to import for them.
    fn entry<C: Call + TS>(imports: &mut std::collections::BTreeSet<String>) -> String
    where
        C::Answer: TS,
    {
        struct Named<'a>(&'a mut std::collections::BTreeSet<String>);
        impl ts_rs::TypeVisitor for Named<'_> {
            fn visit<T: TS + 'static + ?Sized>(&mut self) {
                if T::output_path().is_some() {
                    self.0.insert(T::ident());
                }
            }
        }
        let mut named = Named(imports);
        ts_rs::TypeVisitor::visit::<C>(&mut named);
        ts_rs::TypeVisitor::visit::<C::Answer>(&mut named);
        <C::Answer as TS>::visit_generics(&mut named);
        format!(
            "  {}: {{ args: {}; answer: {} }};\n",
            C::OP,
            C::name(),
            <C::Answer as TS>::name()
        )
    }

    /// Named like ts-rs's own export tests, so `cargo test --features ts export_bindings`
    /// (CI's drift check) writes it with the types: `calls.ts`, the window's calls by op.
    #[test]
    fn export_bindings_calls() {
        let mut imports = std::collections::BTreeSet::new();
        let mut entries = String::new();
        macro_rules! window_calls {
            (plain: [$($plain:ty),* $(,)?], window: [$($call:ty),* $(,)?]) => {
                $(entries += &entry::<$call>(&mut imports);)*
            };
        }
        crate::for_each_call!(window_calls);
        let mut text = String::from(
            "// Generated from src-tauri/core/src/api/calls.rs by `cargo test --features ts export_bindings`.\n// The engine's calls the window may make, by op: each one's fields and its answer.\n",
        );
        for name in &imports {
            text += &format!("import type {{ {name} }} from './{name}';\n");
        }
        text += "\nexport type Calls = {\n";
        text += &entries;
        text += "};\n";
        let dir = std::env::var("TS_RS_EXPORT_DIR").expect("set by .cargo/config.toml");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        std::fs::write(root.join(dir).join("calls.ts"), text).unwrap();
    }
}
