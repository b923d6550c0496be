//! An account's on-refresh hook: a command run after each refresh with the new token's
//! metadata in its environment, never the token itself.

use crate::token::TokenSet;
use std::time::Duration;

/// How long an on-refresh hook may run.
const HOOK_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs an account's on-refresh hook with the new token's metadata in its environment, never
/// the token itself (not on argv, not in the environment). Fire and forget, with a timeout.
pub(crate) fn run(account: &str, command: &[String], token: &TokenSet) {
    let mut cmd = tokio::process::Command::new(&command[0]);
    for var in crate::home::VAULT_ENV {
        cmd.env_remove(var);
    }
    cmd.args(&command[1..])
        .env("TOKENTRAY_EVENT", "refreshed")
        .env("TOKENTRAY_ACCOUNT", account)
        .env("TOKENTRAY_TOKEN_TYPE", &token.token_type)
        .env("TOKENTRAY_ISSUED_AT", token.issued_at.to_rfc3339())
        .env(
            "TOKENTRAY_EXPIRES_AT",
            token.expires_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
        )
        .env("TOKENTRAY_SCOPE", token.scope.clone().unwrap_or_default())
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    let account = account.to_string();
    let program = command[0].clone();
    tokio::spawn(async move {
        let outcome = match cmd.spawn() {
            Ok(mut child) => tokio::time::timeout(HOOK_TIMEOUT, child.wait()).await,
            Err(e) => {
                tracing::warn!(%account, "on_refresh hook {program} could not start: {e}");
                return;
            }
        };
        match outcome {
            Ok(Ok(status)) if status.success() => {}
            Ok(Ok(status)) => {
                tracing::warn!(%account, "on_refresh hook {program} exited with {status}")
            }
            Ok(Err(e)) => tracing::warn!(%account, "on_refresh hook {program}: {e}"),
            Err(_) => tracing::warn!(%account, "on_refresh hook {program} timed out"),
        }
    });
}
