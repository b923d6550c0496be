//! The error codes of the whole product, each with its class: what the engine does about it
//! (retry or wait for the person) and the exit status a script sees. This is the one table;
//! the CLI, the socket, the tray and the window (through the exported contracts) read it.

use crate::words::words;
use serde::{Deserialize, Serialize};

words! {
    /// A stable error code, as written in JSON (`invalid_grant`, `network`, ...).
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
    pub enum ErrorCode {
        NotFound = "not_found",
        InvalidConfig = "invalid_config",
        Network = "network",
        Timeout = "timeout",
        ServerError = "server_error",
        RateLimited = "rate_limited",
        // The OAuth refusals of RFC 6749 §5.2, RFC 8628 §3.5 and RFC 8693 §2.2.2.
        InvalidGrant = "invalid_grant",
        InvalidClient = "invalid_client",
        UnauthorizedClient = "unauthorized_client",
        InvalidScope = "invalid_scope",
        InvalidRequest = "invalid_request",
        UnsupportedGrantType = "unsupported_grant_type",
        InvalidTarget = "invalid_target",
        AccessDenied = "access_denied",
        ExpiredToken = "expired_token",
        // RFC 9449 §8: the server wants a fresh nonce in the DPoP proof (asked again after one
        // retry with its nonce: a server rotating nonces too fast, retried later).
        UseDpopNonce = "use_dpop_nonce",
        // RFC 9449 §5: the proof was refused.
        InvalidDpopProof = "invalid_dpop_proof",
        /// A refusal with an error the server made up.
        Refused = "refused",
        InvalidResponse = "invalid_response",
        LoginRequired = "login_required",
        /// The account is not lent to the program that asked (`lend_to`).
        NotAllowed = "not_allowed",
        /// A person said no (or nothing, in time) to a program's first use of an account.
        Denied = "denied",
        /// Tokentray is locked: nothing is lent until a person unlocks it.
        Locked = "locked",
        Expired = "expired",
        // The client certificate (mutual TLS) is past its end: a new one is needed.
        CertificateExpired = "certificate_expired",
        CommandFailed = "command_failed",
        Cancelled = "cancelled",
        KeyringUnavailable = "keyring_unavailable",
        KeyringLocked = "keyring_locked",
        VaultKeyLost = "vault_key_lost",
        WrongPassphrase = "wrong_passphrase",
        Storage = "storage",
        EngineRunning = "engine_running",
        EngineNotRunning = "engine_not_running",
        /// The way to the engine failed (its socket could not be used, it hung up mid-answer).
        EngineUnreachable = "engine_unreachable",
        /// The engine did not answer in time (stopped or stuck).
        EngineNotResponding = "engine_not_responding",
        /// The engine refused a connection past its limits.
        EngineBusy = "engine_busy",
        ShuttingDown = "shutting_down",
        /// A socket request the engine could not read.
        BadRequest = "bad_request",
        /// The CLI and the engine speak different protocol versions.
        ProtocolMismatch = "protocol_mismatch",
        /// Something of this machine's failed: the clipboard, start at login, a browser, a program.
        System = "system",
        /// The account does not do what was asked (a login for a client-credentials account).
        Unsupported = "unsupported",
        /// Team mode: another engine of the team is refreshing the account.
        TeamBusy = "team_busy",
        /// Team mode: the team's database cannot be reached; nothing needing a lease is refreshed.
        TeamUnreachable = "team_unreachable",
        /// Team mode: a newer lease holder's result stands; this engine's was dropped.
        Fenced = "fenced",
        /// A bug in Tokentray (a part of the engine panicked); the rest goes on.
        Internal = "internal",
    }
}

/// What an error means for whoever meets it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// It may pass: the engine retries with backoff and serves a still-valid token meanwhile.
    Transient,
    /// A person must act: the server refused, a login is needed, a pasted token ran out.
    NeedsPerson,
    /// No such account.
    NotFound,
    /// No engine serves the data directory, or another one holds it.
    Engine,
    /// The engine is there but does not answer (stopped, stuck).
    EngineStuck,
    /// The OS keyring cannot be reached or is locked.
    Keyring,
    /// Anything else (a bad setting, storage, a local failure): not retried on its own.
    Other,
}

impl ErrorCode {
    /// The code of an OAuth `error` a server sent; one it made up is `refused`.
    pub fn from_oauth(error: &str) -> ErrorCode {
        ErrorCode::parse(error)
            .filter(|c| c.is_oauth())
            .unwrap_or(ErrorCode::Refused)
    }

    fn is_oauth(self) -> bool {
        use ErrorCode::*;
        matches!(
            self,
            InvalidGrant
                | InvalidClient
                | UnauthorizedClient
                | InvalidScope
                | InvalidRequest
                | UnsupportedGrantType
                | InvalidTarget
                | AccessDenied
                | ExpiredToken
                | UseDpopNonce
                | InvalidDpopProof
        )
    }

    pub fn class(self) -> ErrorClass {
        use ErrorCode::*;
        match self {
            // A garbled answer (an HTML page, a cut body) is the server's or a proxy's bad
            // moment, not a refusal: retried, never a reason to ask for a login.
            Network | Timeout | ServerError | RateLimited | InvalidResponse | CommandFailed
            | UseDpopNonce | TeamBusy | TeamUnreachable | Fenced | Internal | EngineBusy => {
                ErrorClass::Transient
            }
            InvalidGrant | InvalidClient | UnauthorizedClient | InvalidScope | InvalidRequest
            | UnsupportedGrantType | InvalidTarget | AccessDenied | ExpiredToken
            | InvalidDpopProof | Refused | LoginRequired | Expired | CertificateExpired
            | VaultKeyLost | NotAllowed | Denied | Locked => ErrorClass::NeedsPerson,
            NotFound => ErrorClass::NotFound,
            EngineRunning | EngineNotRunning | EngineUnreachable => ErrorClass::Engine,
            EngineNotResponding => ErrorClass::EngineStuck,
            KeyringUnavailable | KeyringLocked => ErrorClass::Keyring,
            InvalidConfig | Cancelled | WrongPassphrase | Storage | ShuttingDown | BadRequest
            | ProtocolMismatch | System | Unsupported => ErrorClass::Other,
        }
    }

    /// The CLI's exit status: 3 no such account; 4 a person must act; 5 no engine running (or
    /// another holds the data directory); 6 the keyring is unavailable or locked; 7 the engine
    /// did not answer in time; 1 anything else. (Clap uses 2 for usage errors.)
    pub fn exit_status(self) -> u8 {
        match self.class() {
            ErrorClass::NotFound => 3,
            ErrorClass::NeedsPerson => 4,
            ErrorClass::Engine => 5,
            ErrorClass::Keyring => 6,
            ErrorClass::EngineStuck => 7,
            ErrorClass::Transient | ErrorClass::Other => 1,
        }
    }
}

/// An error as the UI, the socket and the CLI see it: a stable code and words. An engine's
/// error crosses the socket as this, unchanged.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ErrorView {
    pub code: ErrorCode,
    pub message: String,
}

/// Codes compare with their words (`code == "invalid_grant"`), as tests and scripts write them.
impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_agree_with_json_and_every_code_is_listed_once() {
        let mut seen = std::collections::HashSet::new();
        for &code in ErrorCode::ALL {
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::Value::String(code.as_str().into())
            );
            assert!(seen.insert(code.as_str()), "{code} twice");
        }
    }

    #[test]
    fn oauth_refusals_are_for_a_person_and_exit_4() {
        for error in [
            "invalid_request",
            "unsupported_grant_type",
            "invalid_target",
        ] {
            let code = ErrorCode::from_oauth(error);
            assert_eq!(code.as_str(), error);
            assert_eq!(code.exit_status(), 4, "{error}");
        }
        assert_eq!(
            ErrorCode::from_oauth("slow_down_please"),
            ErrorCode::Refused
        );
        // Not an OAuth error, even if a server says it.
        assert_eq!(ErrorCode::from_oauth("login_required"), ErrorCode::Refused);
        assert_eq!(ErrorCode::NotFound.exit_status(), 3);
        assert_eq!(ErrorCode::EngineNotRunning.exit_status(), 5);
        assert_eq!(ErrorCode::KeyringLocked.exit_status(), 6);
        assert_eq!(ErrorCode::Network.exit_status(), 1);
    }
}
