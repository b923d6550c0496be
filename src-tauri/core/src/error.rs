//! The engine's one error type. Every variant has a stable `code` that the UI, the CLI's exit
//! status and the refresh history branch on; the message says what happened in words and
//! never contains a secret.

use std::time::Duration;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    #[error("no account named {0:?}")]
    NotFound(String),
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
    /// The account needs a person: an interactive login (auth code, device flow) with no
    /// refresh token to renew it.
    #[error("{0}")]
    LoginRequired(String),
    /// A token that cannot refresh itself has expired.
    #[error("the token expired at {0}; paste a new one or renew it")]
    Expired(chrono::DateTime<chrono::Utc>),
    /// An external token command failed.
    #[error("the token command failed: {0}")]
    CommandFailed(String),
    #[error("cancelled")]
    Cancelled,
    #[error("the engine is shutting down")]
    ShuttingDown,
}

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
    /// The stable code for this error, e.g. `invalid_grant` or `network`.
    pub fn code(&self) -> &str {
        match self {
            Error::NotFound(_) => "not_found",
            Error::InvalidConfig(_) => "invalid_config",
            Error::Network(_) => "network",
            Error::Timeout(_) => "timeout",
            Error::ServerError { .. } => "server_error",
            Error::RateLimited { .. } => "rate_limited",
            Error::Refused { error, .. } => match error.as_str() {
                "invalid_grant"
                | "invalid_client"
                | "unauthorized_client"
                | "invalid_scope"
                | "invalid_request"
                | "unsupported_grant_type"
                | "invalid_target"
                | "access_denied"
                | "expired_token" => error,
                _ => "refused",
            },
            Error::InvalidResponse(_) => "invalid_response",
            Error::LoginRequired(_) => "login_required",
            Error::Expired(_) => "expired",
            Error::CommandFailed(_) => "command_failed",
            Error::Cancelled => "cancelled",
            Error::ShuttingDown => "shutting_down",
        }
    }

    /// Transient failures are retried with backoff; the others need the person to act.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Error::Network(_)
                | Error::Timeout(_)
                | Error::ServerError { .. }
                | Error::RateLimited { .. }
                | Error::CommandFailed(_)
        )
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
