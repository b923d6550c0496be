//! The engine's one error type. Every variant has a stable [`ErrorCode`] that the UI, the
//! CLI's exit status and the refresh history branch on (its class and exit status live in
//! [`crate::code`]); the message says what happened in words and never contains a secret.

use crate::code::{ErrorClass, ErrorCode, ErrorView};
use std::time::Duration;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    #[error("no account named {0:?}")]
    NotFound(String),
    /// No account answers a tool's request (a git host, a registry): what and how to fix it.
    #[error("no account answers for {0}")]
    NoAccountFor(String),
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    #[error("could not reach the token server: {0}")]
    Network(String),
    #[error("the token server did not answer in time: {0}")]
    Timeout(String),
    #[error("the token server failed (HTTP {status}){}", retry_hint(*.retry_after))]
    ServerError {
        status: u16,
        retry_after: Option<Duration>,
    },
    #[error("the token server is rate limiting (HTTP {status}){}", retry_hint(*.retry_after))]
    RateLimited {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// The server refused the request with an OAuth error (RFC 6749 §5.2).
    #[error("the token server refused: {error}{}", describe(.description))]
    Refused {
        error: String,
        description: Option<String>,
        status: u16,
    },
    #[error("the token server's answer is not a usable token response: {0}")]
    InvalidResponse(String),
    /// As `InvalidResponse`, but the answer carried a new refresh token: the server may have
    /// rotated already, so the engine keeps it (losing it would lose the login).
    #[error("the token server's answer is not a usable token response: {message}")]
    UnusableWithRefreshToken {
        message: String,
        refresh_token: crate::secret::Secret,
    },
    /// The account is not lent to this program (`lend_to` does not name it).
    #[error("{0}")]
    NotAllowed(String),
    /// The person said no, or did not answer in time, to a program's first use of an account.
    #[error("{0}")]
    Denied(String),
    /// Tokentray is locked: nothing is lent until a person unlocks it.
    #[error("Tokentray is locked: nothing is lent until you unlock it (the tray, the window, or `tokentray unlock`)")]
    Locked,
    /// The account needs a person: an interactive login (auth code, device flow) with no
    /// refresh token to renew it.
    #[error("{0}")]
    LoginRequired(String),
    /// A token that cannot refresh itself has expired.
    #[error("the token expired at {0}; paste a new one or renew it")]
    Expired(chrono::DateTime<chrono::Utc>),
    /// The client certificate presented for mutual TLS has expired (checked before sending).
    #[error(
        "the client certificate expired at {0}; give the account a new one (tls_client_cert_file)"
    )]
    CertificateExpired(chrono::DateTime<chrono::Utc>),
    /// An external token command failed.
    #[error("the token command failed: {0}")]
    CommandFailed(String),
    #[error("cancelled")]
    Cancelled,
    /// No OS keyring could be reached (no Secret Service on the session bus, no Keychain).
    #[error("the OS keyring is unavailable: {0}")]
    KeyringUnavailable(String),
    /// The keyring is there but locked, or access was refused.
    #[error("the OS keyring is locked: {0}")]
    KeyringLocked(String),
    /// Sealed secrets exist but the key that opens them is gone (a reset keyring).
    #[error("the vault key is lost: {0}")]
    VaultKeyLost(String),
    #[error("wrong passphrase: it does not open this data directory's secrets")]
    WrongPassphrase,
    /// The database could not be read or written; nothing was overwritten.
    #[error("storage: {0}")]
    Storage(String),
    /// Another engine (the app or `tokentray daemon`) holds this data directory.
    #[error("{0}")]
    EngineRunning(String),
    /// Nothing serves this data directory's socket (neither the app nor `tokentray daemon`).
    #[error("no Tokentray engine is running for {0}: start the app or `tokentray daemon`, or add --standalone to run one for this command")]
    EngineNotRunning(String),
    /// The way to the engine failed (its socket): what was being done, and the OS's cause.
    #[error("{what}: {cause}")]
    EngineUnreachable {
        what: String,
        #[source]
        cause: Cause,
    },
    /// The engine answered something this client cannot read: another version, or a bug.
    #[error(
        "the engine's answer could not be read ({cause}); are the app and the CLI of one version?"
    )]
    EngineGarbled {
        #[source]
        cause: Cause,
    },
    /// This machine failed us (a socket could not be made, a file not read): what, and why.
    #[error("{what}: {cause}")]
    Io {
        what: String,
        #[source]
        cause: Cause,
    },
    /// The running engine did not answer in time: stopped (SIGSTOP), stuck, or very busy.
    #[error("the Tokentray engine did not answer within {0} s (it may be stopped or stuck); TOKENTRAY_TIMEOUT or --timeout sets how long to wait")]
    EngineNotResponding(u64),
    /// The engine serves as many connections as it takes; this one was refused.
    #[error("the engine is busy: {0}; try again")]
    EngineBusy(String),
    #[error("the engine is shutting down")]
    ShuttingDown,
    /// A socket request the engine could not read.
    #[error("a request the engine cannot read: {0}")]
    BadRequest(String),
    #[error("{0}")]
    ProtocolMismatch(String),
    /// Something of this machine's failed: the clipboard, start at login, a browser, a program.
    #[error("{0}")]
    System(String),
    /// The account does not do what was asked.
    #[error("{0}")]
    Unsupported(String),
    /// Team mode: another engine of the team holds the account's lease (it is refreshing it).
    #[error(
        "another engine of the team is refreshing it; its token is taken as soon as it is written"
    )]
    TeamBusy,
    /// Team mode: the shared database cannot be reached. Valid tokens are still served;
    /// nothing that needs a lease is refreshed until it is back.
    #[error("the team's database cannot be reached ({0}); valid tokens are still served, and nothing is refreshed until it is back")]
    TeamUnreachable(String),
    /// Team mode: the lease this result was obtained under was taken over before it was
    /// written (the holder was too slow); the result was dropped for the newer one.
    #[error("this engine's lease (epoch {0}) was taken over before its result was written; the newer result stands")]
    Fenced(i64),
    /// A bug: a part of the engine panicked. Only the one request or account it was for is
    /// affected (an account's refresh is retried later, like a passing failure); the engine
    /// goes on.
    #[error(
        "a bug in Tokentray: {0} (only this request or account was affected; please report it)"
    )]
    Internal(String),
    /// An error the running engine reported over the socket, code and words unchanged.
    #[error("{}", .0.message)]
    Engine(ErrorView),
}

/// The cause of an error, kept for its `source()` and its words; errors stay cheap to clone
/// and compare (by their words), as the engine's errors are stored and sent.
#[derive(Debug, Clone)]
pub struct Cause(std::sync::Arc<dyn std::error::Error + Send + Sync>);

impl Cause {
    pub fn new(cause: impl std::error::Error + Send + Sync + 'static) -> Cause {
        Cause(std::sync::Arc::new(cause))
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

impl PartialEq for Cause {
    fn eq(&self, other: &Cause) -> bool {
        self.to_string() == other.to_string()
    }
}

impl Eq for Cause {}

fn retry_hint(after: Option<Duration>) -> String {
    after
        .map(|d| format!("; retry after {} s", d.as_secs()))
        .unwrap_or_default()
}

fn describe(description: &Option<String>) -> String {
    description
        .as_deref()
        .map(|d| format!(" ({d})"))
        .unwrap_or_default()
}

impl Error {
    /// The way to the engine failed while doing `what`.
    pub fn socket(what: impl Into<String>, cause: std::io::Error) -> Error {
        Error::EngineUnreachable {
            what: what.into(),
            cause: Cause::new(cause),
        }
    }

    /// This machine failed while doing `what`.
    pub fn io(what: impl Into<String>, cause: std::io::Error) -> Error {
        Error::Io {
            what: what.into(),
            cause: Cause::new(cause),
        }
    }

    /// The stable code for this error, e.g. `invalid_grant` or `network`.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::NotFound(_) | Error::NoAccountFor(_) => ErrorCode::NotFound,
            Error::InvalidConfig(_) => ErrorCode::InvalidConfig,
            Error::Network(_) => ErrorCode::Network,
            Error::Timeout(_) => ErrorCode::Timeout,
            Error::ServerError { .. } => ErrorCode::ServerError,
            Error::RateLimited { .. } => ErrorCode::RateLimited,
            Error::Refused { error, .. } => ErrorCode::from_oauth(error),
            Error::InvalidResponse(_) | Error::UnusableWithRefreshToken { .. } => {
                ErrorCode::InvalidResponse
            }
            Error::LoginRequired(_) => ErrorCode::LoginRequired,
            Error::Expired(_) => ErrorCode::Expired,
            Error::CertificateExpired(_) => ErrorCode::CertificateExpired,
            Error::CommandFailed(_) => ErrorCode::CommandFailed,
            Error::Cancelled => ErrorCode::Cancelled,
            Error::KeyringUnavailable(_) => ErrorCode::KeyringUnavailable,
            Error::KeyringLocked(_) => ErrorCode::KeyringLocked,
            Error::VaultKeyLost(_) => ErrorCode::VaultKeyLost,
            Error::WrongPassphrase => ErrorCode::WrongPassphrase,
            Error::Storage(_) => ErrorCode::Storage,
            Error::EngineRunning(_) => ErrorCode::EngineRunning,
            Error::EngineNotRunning(_) => ErrorCode::EngineNotRunning,
            Error::EngineNotResponding(_) => ErrorCode::EngineNotResponding,
            Error::NotAllowed(_) => ErrorCode::NotAllowed,
            Error::Denied(_) => ErrorCode::Denied,
            Error::Locked => ErrorCode::Locked,
            Error::EngineUnreachable { .. } => ErrorCode::EngineUnreachable,
            Error::EngineGarbled { .. } => ErrorCode::ProtocolMismatch,
            Error::Io { .. } => ErrorCode::System,
            Error::EngineBusy(_) => ErrorCode::EngineBusy,
            Error::ShuttingDown => ErrorCode::ShuttingDown,
            Error::BadRequest(_) => ErrorCode::BadRequest,
            Error::ProtocolMismatch(_) => ErrorCode::ProtocolMismatch,
            Error::System(_) => ErrorCode::System,
            Error::Unsupported(_) => ErrorCode::Unsupported,
            Error::TeamBusy => ErrorCode::TeamBusy,
            Error::TeamUnreachable(_) => ErrorCode::TeamUnreachable,
            Error::Fenced(_) => ErrorCode::Fenced,
            Error::Internal(_) => ErrorCode::Internal,
            Error::Engine(view) => view.code,
        }
    }

    /// Transient failures are retried with backoff; the others need the person to act.
    pub fn is_transient(&self) -> bool {
        self.code().class() == ErrorClass::Transient
    }

    /// The HTTP status behind the error, when a server answered.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Error::ServerError { status, .. }
            | Error::RateLimited { status, .. }
            | Error::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The message as it is shown, stored, logged and handed to a hook: outside text in it
    /// escaped and cut ([`crate::text::shown`]).
    pub fn message(&self) -> String {
        crate::text::shown(&self.to_string(), crate::text::MAX_MESSAGE_CHARS)
    }

    /// The error with `f` applied to every text it carries (to redact secrets from a
    /// server's words); codes, statuses and times stay.
    pub fn map_text(self, f: impl Fn(&str) -> String) -> Error {
        match self {
            Error::NotFound(s) => Error::NotFound(f(&s)),
            Error::NoAccountFor(s) => Error::NoAccountFor(f(&s)),
            Error::InvalidConfig(s) => Error::InvalidConfig(f(&s)),
            Error::Network(s) => Error::Network(f(&s)),
            Error::Timeout(s) => Error::Timeout(f(&s)),
            Error::Refused {
                error,
                description,
                status,
            } => Error::Refused {
                error: f(&error),
                description: description.map(|d| f(&d)),
                status,
            },
            Error::InvalidResponse(s) => Error::InvalidResponse(f(&s)),
            Error::UnusableWithRefreshToken {
                message,
                refresh_token,
            } => Error::UnusableWithRefreshToken {
                message: f(&message),
                refresh_token,
            },
            Error::LoginRequired(s) => Error::LoginRequired(f(&s)),
            Error::NotAllowed(s) => Error::NotAllowed(f(&s)),
            Error::Denied(s) => Error::Denied(f(&s)),
            Error::CommandFailed(s) => Error::CommandFailed(f(&s)),
            Error::KeyringUnavailable(s) => Error::KeyringUnavailable(f(&s)),
            Error::KeyringLocked(s) => Error::KeyringLocked(f(&s)),
            Error::VaultKeyLost(s) => Error::VaultKeyLost(f(&s)),
            Error::Storage(s) => Error::Storage(f(&s)),
            Error::EngineRunning(s) => Error::EngineRunning(f(&s)),
            Error::EngineNotRunning(s) => Error::EngineNotRunning(f(&s)),
            Error::EngineBusy(s) => Error::EngineBusy(f(&s)),
            Error::EngineUnreachable { what, cause } => Error::EngineUnreachable {
                what: f(&what),
                cause,
            },
            Error::Io { what, cause } => Error::Io {
                what: f(&what),
                cause,
            },
            Error::BadRequest(s) => Error::BadRequest(f(&s)),
            Error::ProtocolMismatch(s) => Error::ProtocolMismatch(f(&s)),
            Error::System(s) => Error::System(f(&s)),
            Error::Unsupported(s) => Error::Unsupported(f(&s)),
            Error::TeamUnreachable(s) => Error::TeamUnreachable(f(&s)),
            Error::Internal(s) => Error::Internal(f(&s)),
            Error::Engine(view) => Error::Engine(ErrorView {
                message: f(&view.message),
                ..view
            }),
            other @ (Error::ServerError { .. }
            | Error::RateLimited { .. }
            | Error::Expired(_)
            | Error::CertificateExpired(_)
            | Error::Cancelled
            | Error::WrongPassphrase
            | Error::EngineNotResponding(_)
            | Error::EngineGarbled { .. }
            | Error::Locked
            | Error::ShuttingDown
            | Error::TeamBusy
            | Error::Fenced(_)) => other,
        }
    }

    /// How long the server asked us to wait (`Retry-After`), if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. } | Error::ServerError { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }
}

impl From<&Error> for ErrorView {
    fn from(e: &Error) -> Self {
        match e {
            Error::Engine(view) => view.clone(),
            e => ErrorView {
                code: e.code(),
                message: e.message(),
            },
        }
    }
}
