//! Accounts as the window shows them: the list, one account's page, and what a test request
//! brought back. The engine's editor (`engine/editor.rs`) answers with these. The window never
//! receives a secret from here: only which secrets are held.

use crate::view::{AccountView, ErrorView};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The accounts window's list.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountList {
    pub accounts: Vec<AccountView>,
    /// Problems found at start (a broken profile, a locked keyring), with their codes.
    pub problems: Vec<ErrorView>,
    /// Tokentray is locked: nothing is lent until a person unlocks it.
    #[serde(default)]
    pub locked: bool,
}

/// What the detail view shows.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountDetail {
    pub view: AccountView,
    /// The settings as written, without secrets (`grant` included): what the edit form starts
    /// from.
    pub settings: Map<String, Value>,
    /// The names of the secrets held (`client_secret`, `refresh_token`, ...), never their values.
    pub secrets: Vec<String>,
    /// The access token's JWT header and claims (decoded, not verified), when it is a JWT.
    pub jwt: Option<crate::jwt::Jwt>,
    /// The ID token's, when the account holds one.
    #[serde(default)]
    pub id_jwt: Option<crate::jwt::Jwt>,
    /// How to use it with kubectl, git, Docker and a shell ("Use with…").
    pub snippets: Vec<crate::tools::Snippet>,
    /// The public half of its key, when it signs its client assertions (to register).
    pub public_key: Option<crate::engine::PublicKey>,
    /// The programs that took (or were refused) its token, most recent first.
    #[serde(default)]
    pub used_by: Vec<crate::store::Usage>,
}

/// What a test request brought back, without the token.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TestResult {
    pub token_type: String,
    pub expires_at: Option<DateTime<Utc>>,
    /// The server stated no lifetime: `expires_at` is the assumed one.
    pub expiry_assumed: bool,
    pub scope: Option<String>,
    pub refresh_token: bool,
}
