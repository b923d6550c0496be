//! How each grant obtains a token. A grant only talks HTTP: it never touches storage or the UI.

pub mod client_credentials;

use crate::account::GrantConfig;
use crate::error::Result;
use crate::token::TokenSet;

/// Obtains a fresh token for an account. Expiry is computed from the moment the answer
/// arrives, read from `clock` then.
pub async fn obtain(
    http: &reqwest::Client,
    grant: &GrantConfig,
    clock: &dyn crate::Clock,
) -> Result<TokenSet> {
    match grant {
        GrantConfig::ClientCredentials(cc) => client_credentials::obtain(http, cc, clock).await,
    }
}
