//! The commands the UI may invoke. The engine's calls all go through one, [`call`]: the
//! window names a call of the engine's API and gives its fields; only the calls the API lets
//! the window make (the window group of [`tokentray_core::for_each_call`]) are forwarded, each typed, to
//! the engine in the resident process. The others are the desktop's own: logins (the browser,
//! the dialog), settings (start at login), the system's language. Errors reach the UI as
//! `{code, message}`.

use crate::engine::Engine;
use serde_json::Value;
use tauri::{AppHandle, State};
use tokentray_core::api::Call;
use tokentray_core::i18n::Lang;
use tokentray_core::settings::Settings;
use tokentray_core::{Error, ErrorView};

type Answer<T> = Result<T, ErrorView>;

fn view(e: Error) -> ErrorView {
    (&e).into()
}

/// One call of the engine's API, by its op, with its fields; its answer.
#[tauri::command]
pub async fn call(engine: State<'_, Engine>, op: String, args: Value) -> Answer<Value> {
    forward(engine.inner(), &op, args).await.map_err(view)
}

async fn forward(engine: &Engine, op: &str, args: Value) -> Result<Value, Error> {
    macro_rules! route {
        (plain: [$($plain:ty),* $(,)?], window: [$($call:ty),* $(,)?]) => {
            match op {
                $(<$call as Call>::OP => typed::<$call>(engine, args).await,)*
                _ => Err(Error::BadRequest(format!(
                    "the window cannot call {}", tokentray_core::text::quoted(op, 40)
                ))),
            }
        };
    }
    tokentray_core::for_each_call!(route)
}

async fn typed<C: Call>(engine: &Engine, args: Value) -> Result<Value, Error> {
    let call: C = serde_json::from_value(args).map_err(|e| Error::BadRequest(e.to_string()))?;
    let answer = engine.call(call).await?;
    serde_json::to_value(answer).map_err(|e| Error::Internal(e.to_string()))
}

/// The problems the resident process met at start, when it could not open the engine (the
/// list shows them instead of accounts).
#[tauri::command]
pub fn startup_problems() -> Vec<ErrorView> {
    std::env::var(crate::launcher::PROBLEMS_ENV)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
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

/// Saves the settings in the engine and applies start at login.
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
