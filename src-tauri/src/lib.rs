//! The desktop shell: starts the engine, hands its handle to the commands, turns its events
//! into UI updates, and keeps the app alive in the tray when the window closes.

mod bridge;
mod commands;
mod tray;

use std::sync::Arc;
use tauri::{Manager, WindowEvent};
use tokentray_core::{home, EngineHandle, Profile, SystemClock};

pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TOKENTRAY_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();

    tauri::Builder::default()
        .setup(|app| {
            let (profile, problem) = load_profile();
            let engine = EngineHandle::new(profile, Arc::new(SystemClock));
            tauri::async_runtime::spawn(engine.clone().run_refresh_loop());
            bridge::spawn(app.handle().clone(), engine.subscribe());
            app.manage(engine);
            app.manage(commands::StartupProblem(problem));
            tray::create(app.handle())?;
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![commands::list_accounts])
        .on_window_event(|window, event| {
            // Closing the window hides it: the app lives on in the tray until "Quit".
            if let WindowEvent::CloseRequested { api, .. } = event {
                api.prevent_close();
                let _ = window.hide();
            }
        })
        .build(tauri::generate_context!())
        .expect("the Tauri application could not be built")
        .run(|_app, _event| {});
}

/// The accounts to manage: the profile in the data directory, or none yet. A broken profile
/// leaves the engine empty and the window says why.
fn load_profile() -> (Profile, Option<String>) {
    let path = home::profile_path();
    if !path.exists() {
        return (Profile::default(), None);
    }
    match Profile::load(&path) {
        Ok(profile) => (profile, None),
        Err(e) => {
            tracing::error!(code = e.code(), "{e}");
            (Profile::default(), Some(e.to_string()))
        }
    }
}
