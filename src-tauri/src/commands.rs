//! The commands the UI may invoke: one-liners over the engine, which runs in the resident
//! process and is reached over its socket (`Remote`); logins and settings go through the
//! modules that also reach the desktop. Errors reach the UI as `{code, message}`.

use serde_json::{Map, Value};
use tauri::{AppHandle, State};
use tokentray_core::clipboard::Copyable;
use tokentray_core::edit::{AccountDetail, AccountList, TestResult};
use tokentray_core::grant::discovery::Metadata;
use tokentray_core::i18n::Lang;
use tokentray_core::remote::Remote;
use tokentray_core::settings::Settings;
use tokentray_core::store::HistoryEntry;
use tokentray_core::{Error, ErrorView, Revocation};

type Answer<T> = Result<T, ErrorView>;

fn view(e: Error) -> ErrorView {
    (&e).into()
}

/// The accounts; with no engine to ask, why not (the problems it met at start, when the
/// resident process could not open it).
#[tauri::command]
pub async fn list_accounts(remote: State<'_, Remote>) -> Answer<AccountList> {
    Ok(remote.list().await.unwrap_or_else(|e| AccountList {
        accounts: vec![],
        problems: startup_problems().unwrap_or_else(|| vec![view(e)]),
    }))
}

fn startup_problems() -> Option<Vec<ErrorView>> {
    let problems: Vec<ErrorView> =
        serde_json::from_str(&std::env::var(crate::launcher::PROBLEMS_ENV).ok()?).ok()?;
    (!problems.is_empty()).then_some(problems)
}

#[tauri::command]
pub async fn account_detail(remote: State<'_, Remote>, name: String) -> Answer<AccountDetail> {
    remote.detail(name).await.map_err(view)
}

#[tauri::command]
pub async fn account_history(
    remote: State<'_, Remote>,
    name: String,
    before_id: Option<i64>,
    limit: i64,
) -> Answer<Vec<HistoryEntry>> {
    remote.history(name, before_id, limit).await.map_err(view)
}

#[tauri::command]
pub async fn refresh_now(remote: State<'_, Remote>, name: String) -> Answer<()> {
    remote.refresh(name).await.map_err(view)
}

#[tauri::command]
pub async fn remove_account(remote: State<'_, Remote>, name: String) -> Answer<Revocation> {
    remote.remove(name).await.map_err(view)
}

#[tauri::command]
pub async fn save_account(
    remote: State<'_, Remote>,
    name: String,
    fields: Map<String, Value>,
    editing: bool,
) -> Answer<()> {
    remote.save(name, fields, editing).await.map_err(view)
}

#[tauri::command]
pub async fn test_account(
    remote: State<'_, Remote>,
    fields: Map<String, Value>,
) -> Answer<TestResult> {
    remote.test(fields).await.map_err(view)
}

#[tauri::command]
pub async fn discover(remote: State<'_, Remote>, issuer: String) -> Answer<Metadata> {
    remote.discover(issuer).await.map_err(view)
}

/// Copies a fresh token; answers how many seconds until the clipboard is cleared (0: never).
#[tauri::command]
pub async fn copy_token(remote: State<'_, Remote>, name: String) -> Answer<u64> {
    remote.copy(name, Copyable::Token).await.map_err(view)
}

/// Copies one of the account's "Use with…" setups (no secret in it).
#[tauri::command]
pub async fn copy_snippet(remote: State<'_, Remote>, name: String, tool: String) -> Answer<()> {
    let what = Copyable::Snippet { tool };
    remote.copy(name, what).await.map(drop).map_err(view)
}

/// Copies the public half of the account's key (`jwk`, `jwks` or `certificate`).
#[tauri::command]
pub async fn copy_public_key(remote: State<'_, Remote>, name: String, part: String) -> Answer<()> {
    let what = Copyable::PublicKey { part };
    remote.copy(name, what).await.map(drop).map_err(view)
}

#[tauri::command]
pub fn start_login(app: AppHandle, name: String) {
    crate::login::start(&app, name)
}

#[tauri::command]
pub fn cancel_login(app: AppHandle, name: String) {
    crate::login::cancel(&app, &name)
}

/// Opens the link of the login under way in the system browser (when it did not open).
#[tauri::command]
pub fn open_login_link(app: AppHandle, name: String) -> Answer<()> {
    crate::login::open_link(&app, &name)
}

#[tauri::command]
pub async fn get_settings(remote: State<'_, Remote>) -> Answer<Settings> {
    remote.settings().await.map_err(view)
}

#[tauri::command]
pub async fn save_settings(app: AppHandle, settings: Settings) -> Answer<()> {
    crate::settings::save(&app, settings).await.map_err(view)
}

/// The system locale's language (the setting, when there is one, is the UI's to apply).
#[tauri::command]
pub fn system_language() -> Lang {
    Lang::chosen(None)
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
