//! The commands the UI may invoke: one-liners over the engine handle.

use tauri::State;
use tokentray_core::{AccountView, EngineHandle};

/// Why the profile could not be read at start, if it could not.
pub struct StartupProblem(pub Option<String>);

#[derive(serde::Serialize)]
pub struct AccountList {
    accounts: Vec<AccountView>,
    problem: Option<String>,
}

#[tauri::command]
pub fn list_accounts(
    engine: State<'_, EngineHandle>,
    problem: State<'_, StartupProblem>,
) -> AccountList {
    AccountList {
        accounts: engine.list(),
        problem: problem.0.clone(),
    }
}
