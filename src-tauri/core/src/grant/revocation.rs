//! Token revocation (RFC 7009), used when an account is removed.

use super::client_auth::ClientAuth;
use super::Context;
use crate::error::Result;
use crate::secret::Secret;
use url::Url;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    AccessToken,
    RefreshToken,
}

/// Revokes a token. The server answers 200 even for tokens it does not know (§2.2).
pub async fn revoke(
    ctx: Context<'_>,
    endpoint: &Url,
    client: &ClientAuth<'_>,
    token: &Secret,
    hint: Hint,
) -> Result<()> {
    let hint = match hint {
        Hint::AccessToken => "access_token",
        Hint::RefreshToken => "refresh_token",
    };
    let mut form = vec![
        ("token", token.expose().to_string()),
        ("token_type_hint", hint.to_string()),
    ];
    let request = client.post(ctx, endpoint, &mut form)?;
    let response = crate::http::send(request.form(&form)).await?;
    if (200..300).contains(&response.status) {
        return Ok(());
    }
    // Not a success: let the token parser classify the failure.
    crate::token::success_body(&response, ctx.clock.now()).map(drop)
}
