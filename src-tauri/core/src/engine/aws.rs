//! AWS credentials for an account ([`crate::aws`]): lent like a token (so `lend_to`, `confirm`,
//! the lock and the audit apply, as `via aws`), traded at STS with the account's ID token (or
//! its access token, where the role trusts that), sealed in the store and handed out again
//! until five minutes before they end.

use super::EngineHandle;
use crate::aws::{Credentials, RoleRequest};
use crate::error::Result;
use crate::lending::{Asker, Via};

/// The web identity must stay valid at least this long for STS to check it.
const TOKEN_MARGIN_SECS: u64 = 60;

impl EngineHandle {
    /// The role's credentials for account `name`, if `asker` may take them.
    pub async fn aws_credentials(
        &self,
        name: &str,
        role: &RoleRequest,
        asker: &Asker,
    ) -> Result<Credentials> {
        role.check().map_err(crate::Error::BadRequest)?;
        let account = self.account(name)?;
        self.lend_to(&account, asker, Via::Aws).await?;
        let field = role.field();
        let store = self.store();
        if let Some(store) = store {
            let kept = store.kept(name, &field).await?;
            if let Some(held) = kept.as_ref().and_then(Credentials::unsealed) {
                if held.fresh(self.now()) {
                    return Ok(held);
                }
            }
        }
        let min = crate::time::secs(TOKEN_MARGIN_SECS);
        let identity = match account.held_id_token() {
            Some(_) => self.get_id_token_valid_for(name, min).await?,
            None => self.get_token_valid_for(name, min).await?,
        };
        let session = format!("tokentray-{}", session_safe(name));
        let fresh = crate::aws::assume_role(&self.inner.http, role, &identity, &session)
            .await
            .map_err(|e| account.redactor().error(e))?;
        tracing::info!(account = %name, role = %role.role_arn, expires = %fresh.expiration, "AWS credentials");
        if let Some(store) = store {
            store.keep(name, &field, &fresh.sealed()).await?;
        }
        Ok(fresh)
    }
}

/// An account's name as STS takes a session name: letters, digits and `=,.@-_`, 2 to 64.
fn session_safe(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(
            |c| match c.is_ascii_alphanumeric() || "=,.@-_".contains(c) {
                true => c,
                false => '_',
            },
        )
        .take(54)
        .collect();
    safe
}
