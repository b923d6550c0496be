//! The commands the UI may invoke: one-liners over the engine handle.

use tauri::State;
use tokentray_core::engine::ErrorView;
use tokentray_core::{AccountView, EngineHandle};

#[derive(serde::Serialize)]
pub struct AccountList {
    accounts: Vec<AccountView>,
    /// Problems found at start (a broken profile, a locked keyring), with their codes.
    problems: Vec<ErrorView>,
}

#[tauri::command]
pub fn list_accounts(engine: State<'_, EngineHandle>) -> AccountList {
    AccountList {
        accounts: engine.list(),
        problems: engine.problems().to_vec(),
    }
}
