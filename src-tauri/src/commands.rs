//! The commands the UI may invoke: one-liners over the engine handle (and, for the clipboard,
//! logins and settings, over the modules that reach the desktop). Errors reach the UI as
//! `{code, message}`.

use serde_json::{Map, Value};
use tauri::{AppHandle, State};
use tokentray_core::edit::{AccountDetail, AccountList, TestResult};
use tokentray_core::grant::discovery::Metadata;
use tokentray_core::settings::Settings;
use tokentray_core::store::HistoryEntry;
use tokentray_core::{EngineHandle, Error};
use tokentray_core::{ErrorView, Revocation};

type Answer<T> = Result<T, ErrorView>;

fn view(e: Error) -> ErrorView {
    (&e).into()
}

#[tauri::command]
pub fn list_accounts(engine: State<'_, EngineHandle>) -> AccountList {
    AccountList {
        accounts: engine.list(),
        problems: engine.problems().to_vec(),
    }
}

#[tauri::command]
pub async fn account_detail(
    engine: State<'_, EngineHandle>,
    name: String,
) -> Answer<AccountDetail> {
    engine.detail(&name).await.map_err(view)
}

#[tauri::command]
pub async fn account_history(
    engine: State<'_, EngineHandle>,
    name: String,
    before_id: Option<i64>,
    limit: i64,
) -> Answer<Vec<HistoryEntry>> {
    engine.history(&name, before_id, limit).await.map_err(view)
}

#[tauri::command]
pub async fn refresh_now(engine: State<'_, EngineHandle>, name: String) -> Answer<()> {
    engine.refresh(&name).await.map_err(view)
}

#[tauri::command]
pub async fn remove_account(engine: State<'_, EngineHandle>, name: String) -> Answer<Revocation> {
    engine.remove_account(&name).await.map_err(view)
}

#[tauri::command]
pub async fn save_account(
    engine: State<'_, EngineHandle>,
    name: String,
    fields: Map<String, Value>,
    editing: bool,
) -> Answer<()> {
    engine
        .save_account(&name, fields, editing)
        .await
        .map_err(view)
}

#[tauri::command]
pub async fn test_account(
    engine: State<'_, EngineHandle>,
    fields: Map<String, Value>,
) -> Answer<TestResult> {
    engine.test_account(fields).await.map_err(view)
}

#[tauri::command]
pub async fn discover(engine: State<'_, EngineHandle>, issuer: String) -> Answer<Metadata> {
    engine.discover(&issuer).await.map_err(view)
}

/// Copies a fresh token; answers how many seconds until the clipboard is cleared (0: never).
#[tauri::command]
pub async fn copy_token(app: AppHandle, name: String) -> Answer<u64> {
    crate::clipboard::copy(&app, &name).await.map_err(view)
}

/// Copies one of the account's "Use with…" setups (no secret in it).
#[tauri::command]
pub fn copy_snippet(app: AppHandle, name: String, tool: String) -> Answer<()> {
    crate::clipboard::copy_snippet(&app, &name, &tool).map_err(view)
}

/// Copies the public half of the account's key (`jwk`, `jwks` or `certificate`).
#[tauri::command]
pub fn copy_public_key(app: AppHandle, name: String, part: String) -> Answer<()> {
    crate::clipboard::copy_public_key(&app, &name, &part).map_err(view)
}

/// The token itself, shown when the person asks to reveal it.
#[tauri::command]
pub async fn reveal_token(engine: State<'_, EngineHandle>, name: String) -> Answer<String> {
    engine
        .get_token(&name)
        .await
        .map(|t| t.expose().to_string())
        .map_err(view)
}

#[tauri::command]
pub fn start_login(app: AppHandle, name: String) {
    crate::login::start(&app, name)
}

#[tauri::command]
pub fn cancel_login(app: AppHandle, name: String) {
    crate::login::cancel(&app, &name)
}

#[tauri::command]
pub fn get_settings(engine: State<'_, EngineHandle>) -> Settings {
    engine.settings()
}

#[tauri::command]
pub async fn save_settings(app: AppHandle, settings: Settings) -> Answer<()> {
    crate::settings::save(&app, settings).await.map_err(view)
}

/// The window's first render, for the log and the startup benchmark (tests/bench/desktop.sh).
#[tauri::command]
pub fn ui_ready(accounts: usize, list_ms: f64, ipc_ms: f64, since_navigation_ms: f64) {
    tracing::info!(
        accounts,
        list_ms,
        ipc_ms,
        since_navigation_ms,
        "window ready: first render of the list"
    );
}
