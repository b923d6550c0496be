//! The resident process: opens the engine, serves its socket (with the desktop's clipboard),
//! turns its events into the tray's state and notifications, and starts the accounts window
//! (a process of its own) when asked. It lives in the tray until "Quit".

use crate::{bridge, clipboard, launcher, tray};
use std::sync::Arc;
use tauri::Manager;
use tokentray_core::{home, server, EngineHandle, SystemClock};

pub fn run() {
    tauri::Builder::default()
        // First, so a second launch only brings this one's window up.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            launcher::show(app)
        }))
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_notification::init())
        .manage(crate::ask::Asks::default())
        .setup(|app| {
            // macOS: a menu-bar resident, no Dock icon and no app menu (LSUIElement's effect);
            // the accounts window is a process of its own, a regular app while it is open.
            #[cfg(target_os = "macos")]
            app.set_activation_policy(tauri::ActivationPolicy::Accessory);
            let home = home::data_dir();
            let clock: Arc<dyn tokentray_core::Clock> = Arc::new(SystemClock);
            let opened = tauri::async_runtime::block_on(async {
                EngineHandle::open(&home, home::key_source(&home)?, clock.clone()).await
            });
            let engine = match opened {
                Ok(engine) => {
                    let desk = Arc::new(clipboard::Desk(app.handle().clone()));
                    tauri::async_runtime::spawn(server::serve(
                        engine.clone(),
                        home.clone(),
                        Some(desk),
                    ));
                    engine
                }
                Err(e) => {
                    tracing::error!(code = %e.code(), "{e}");
                    EngineHandle::unavailable(&e, clock)
                }
            };
            tauri::async_runtime::spawn(engine.clone().run_refresh_loop());
            let events = engine.subscribe();
            app.manage(engine);
            // The tray before the bridge that redraws it: a first redraw with no tray yet was
            // lost, and the menu kept its placeholder until the next event or 30 s later.
            tray::create(app.handle())?;
            bridge::spawn(app.handle().clone(), events);
            // `--hidden` (how autostart launches it): only the tray until the window is asked for.
            let hidden = std::env::args().any(|a| a == "--hidden");
            if !hidden {
                launcher::show(app.handle());
            }
            tracing::info!(hidden, "tokentray started");
            Ok(())
        })
        .build(tauri::generate_context!())
        .expect("the Tauri application could not be built")
        .run(|app, event| match event {
            // No window lives in this process: only "Quit" (an explicit exit code) ends it.
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
