//! The desktop shell: starts the engine, hands its handle to the commands, turns its events
//! into UI updates, notifications and the tray's state, and keeps the app alive in the tray
//! when the window closes.

mod bridge;
mod clipboard;
mod commands;
mod login;
mod settings;
mod tray;
mod window;

use std::sync::Arc;
use tauri::Manager;
use tokentray_core::{home, ipc, EngineHandle, SystemClock};

pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TOKENTRAY_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();

    tauri::Builder::default()
        // First, so a second launch only focuses this one's window.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            window::show(app)
        }))
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec!["--hidden"]),
        ))
        .manage(login::Logins::default())
        .setup(|app| {
            let home = home::data_dir();
            let clock: Arc<dyn tokentray_core::Clock> = Arc::new(SystemClock);
            let opened = tauri::async_runtime::block_on(async {
                EngineHandle::open(&home, home::key_source(&home)?, clock.clone()).await
            });
            let engine = match opened {
                Ok(engine) => {
                    tauri::async_runtime::spawn(ipc::serve(
                        engine.clone(),
                        ipc::socket_path(&home),
                    ));
                    engine
                }
                Err(e) => {
                    tracing::error!(code = %e.code(), "{e}");
                    EngineHandle::unavailable(&e, clock)
                }
            };
            tauri::async_runtime::spawn(engine.clone().run_refresh_loop());
            bridge::spawn(app.handle().clone(), engine.subscribe());
            app.manage(engine);
            tray::create(app.handle())?;
            // `--hidden` (how autostart launches it): only the tray, no webview until opened.
            let hidden = std::env::args().any(|a| a == "--hidden");
            if !hidden {
                window::show(app.handle());
            }
            tracing::info!(hidden, "tokentray started");
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::list_accounts,
            commands::account_detail,
            commands::account_history,
            commands::refresh_now,
            commands::remove_account,
            commands::save_account,
            commands::test_account,
            commands::discover,
            commands::copy_token,
            commands::reveal_token,
            commands::copy_snippet,
            commands::copy_public_key,
            commands::start_login,
            commands::cancel_login,
            commands::get_settings,
            commands::save_settings,
            commands::ui_ready,
        ])
        .on_window_event(window::on_event)
        .build(tauri::generate_context!())
        .expect("the Tauri application could not be built")
        .run(|app, event| match event {
            // The window's webview is destroyed when hidden a while: that is not a reason to
            // quit. Only "Quit" (an explicit exit code) ends the app.
            tauri::RunEvent::ExitRequested {
                api, code: None, ..
            } => api.prevent_exit(),
            tauri::RunEvent::Exit => {
                // Flush the store's journal before the process ends.
                let engine = app.state::<EngineHandle>().inner().clone();
                tauri::async_runtime::block_on(engine.close());
            }
            _ => {}
        });
}
