//! The desktop shell: starts the engine, hands its handle to the commands, turns its events
//! into UI updates, and keeps the app alive in the tray when the window closes.

mod bridge;
mod commands;
mod tray;

use std::sync::Arc;
use tauri::{Manager, WindowEvent};
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
                    tracing::error!(code = e.code(), "{e}");
                    EngineHandle::unavailable(&e, clock)
                }
            };
            tauri::async_runtime::spawn(engine.clone().run_refresh_loop());
            bridge::spawn(app.handle().clone(), engine.subscribe());
            app.manage(engine);
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
        .run(|app, event| {
            if let tauri::RunEvent::Exit = event {
                // Flush the store's journal before the process ends.
                let engine = app.state::<EngineHandle>().inner().clone();
                tauri::async_runtime::block_on(engine.close());
            }
        });
}
