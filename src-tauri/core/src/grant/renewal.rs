//! Renewing what cannot renew itself: a `static` token or a `custom` account's secret (a
//! service token living 30–365 days) is replaced by what `renew_command` prints, when it
//! enters its first warning threshold (or `renew_before_secs`). The command runs like a
//! `command` grant's (argv, never a shell; a bare token or JSON with `access_token` and
//! `expires_in`/`expires_at`), with the hook's environment: metadata, never a secret.

use super::{command, Context, GrantConfig};
use crate::error::Result;
use crate::token::TokenSet;

/// An account's way to renew its credential.
#[derive(Debug, Clone, Copy)]
pub struct Renewal<'a> {
    pub command: &'a [String],
    /// How long before the credential ends to renew it; `None`: its first warning threshold.
    pub before_secs: Option<u64>,
    /// The setting the new value replaces (`token`, `secret`).
    pub field: &'static str,
}

impl GrantConfig {
    pub fn renewal(&self) -> Option<Renewal<'_>> {
        let (command, before_secs, field) = match self {
            GrantConfig::Static(c) => (c.renew_command.as_deref()?, c.renew_before_secs, "token"),
            GrantConfig::Custom(c) => (c.renew_command.as_deref()?, c.renew_before_secs, "secret"),
            _ => return None,
        };
        Some(Renewal {
            command,
            before_secs,
            field,
        })
    }
}

impl GrantConfig {
    /// The account with `new` in place of its renewable credential; a `static` token's
    /// entered expiry becomes the one the command stated.
    pub fn with_credential(&self, new: &TokenSet) -> GrantConfig {
        let mut grant = self.clone();
        match &mut grant {
            GrantConfig::Static(c) => {
                c.token = new.access_token.clone();
                c.expires_at = new.expires_at;
            }
            GrantConfig::Custom(c) => c.secret = new.access_token.clone(),
            _ => {}
        }
        grant
    }
}

/// Runs the command; the new credential is the answer's access token.
pub async fn run(
    ctx: Context<'_>,
    renewal: Renewal<'_>,
    env: &[(&str, String)],
) -> Result<TokenSet> {
    let config = command::Config {
        command: renewal.command.to_vec(),
        timeout_secs: None,
    };
    command::run(ctx, &config, env).await
}
