//! An account's hooks: `on_refresh`, run after each refresh with the new token's metadata in
//! its environment, and `on_event`, run for what would deserve a notification (a warning, a
//! failure, a refusal) so a server can forward it to chat or mail. Never a secret: not on
//! argv, not in the environment.

use crate::token::TokenSet;
use crate::view::Event;
use std::time::Duration;

/// How long a hook may run.
const HOOK_TIMEOUT: Duration = Duration::from_secs(30);

/// What `on_refresh` is told about a new token.
pub(crate) fn refreshed(account: &str, token: &TokenSet) -> Vec<(&'static str, String)> {
    vec![
        ("TOKENTRAY_EVENT", "refreshed".into()),
        ("TOKENTRAY_ACCOUNT", account.into()),
        ("TOKENTRAY_TOKEN_TYPE", token.token_type.clone()),
        ("TOKENTRAY_ISSUED_AT", token.issued_at.to_rfc3339()),
        (
            "TOKENTRAY_EXPIRES_AT",
            token.expires_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
        ),
        ("TOKENTRAY_SCOPE", token.scope.clone().unwrap_or_default()),
    ]
}

/// What `on_event` is told about an event worth telling a person; `None` for the others
/// (refreshes, changes).
pub(crate) fn told(event: &Event) -> Option<Vec<(&'static str, String)>> {
    let mut env = vec![("TOKENTRAY_ACCOUNT", event.account().to_string())];
    let kind = match event {
        Event::Refreshed { .. }
        | Event::AccountChanged { .. }
        | Event::ApprovalAnswered { .. }
        | Event::LockChanged { .. } => return None,
        Event::LendRefused {
            program,
            path,
            outcome,
            ..
        } => {
            env.push(("TOKENTRAY_PROGRAM", program.clone()));
            env.push(("TOKENTRAY_PROGRAM_PATH", path.clone()));
            env.push(("TOKENTRAY_OUTCOME", outcome.clone()));
            "lend_refused"
        }
        Event::ApprovalNeeded { approval } => {
            env.push(("TOKENTRAY_PROGRAM", approval.program.name.clone()));
            env.push((
                "TOKENTRAY_PROGRAM_PATH",
                approval.program.path.display().to_string(),
            ));
            env.push(("TOKENTRAY_APPROVAL", approval.id.to_string()));
            "approval_needed"
        }
        Event::ExpiryWarning {
            credential,
            expires_at,
            ..
        } => {
            env.push(("TOKENTRAY_CREDENTIAL", credential.clone()));
            env.push(("TOKENTRAY_EXPIRES_AT", expires_at.to_rfc3339()));
            "expiry_warning"
        }
        Event::Expired { expired_at, .. } => {
            env.push(("TOKENTRAY_EXPIRES_AT", expired_at.to_rfc3339()));
            "expired"
        }
        Event::RefreshFailed { code, message, .. }
        | Event::NeedsReauth { code, message, .. }
        | Event::RenewFailed { code, message, .. } => {
            env.push(("TOKENTRAY_CODE", code.to_string()));
            env.push(("TOKENTRAY_MESSAGE", message.clone()));
            match event {
                Event::RefreshFailed { .. } => "refresh_failed",
                Event::NeedsReauth { .. } => "needs_reauth",
                _ => "renew_failed",
            }
        }
    };
    env.push(("TOKENTRAY_EVENT", kind.into()));
    Some(env)
}

/// Runs a hook with `env` (and without the vault's passphrase). Fire and forget, with a
/// timeout.
pub(crate) fn run(account: &str, command: &[String], env: Vec<(&'static str, String)>) {
    let mut cmd = tokio::process::Command::new(&command[0]);
    for var in crate::home::VAULT_ENV {
        cmd.env_remove(var);
    }
    cmd.args(&command[1..])
        .envs(env)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    let account = account.to_string();
    let program = command[0].clone();
    tokio::spawn(async move {
        let outcome = match cmd.spawn() {
            Ok(mut child) => tokio::time::timeout(HOOK_TIMEOUT, child.wait()).await,
            Err(e) => {
                tracing::warn!(%account, "hook {program} could not start: {e}");
                return;
            }
        };
        match outcome {
            Ok(Ok(status)) if status.success() => {}
            Ok(Ok(status)) => {
                tracing::warn!(%account, "hook {program} exited with {status}")
            }
            Ok(Err(e)) => tracing::warn!(%account, "hook {program}: {e}"),
            Err(_) => tracing::warn!(%account, "hook {program} timed out"),
        }
    });
}
