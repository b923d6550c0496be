//! The accounts window, a process of its own (`--window`), started by the resident process.
//! Its commands ask the engine over the socket ([`Engine`]), the engine's events come over the
//! socket too, and its stdin is the resident process: a `show` line brings the window up, end
//! of file means the resident process is gone. Closing the window hides it; once it has been
//! hidden a while the process exits, and WebKit's memory with it.

use crate::engine::Engine;
use crate::{commands, login};
use std::io::BufRead;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tauri::{AppHandle, Emitter, Manager, WebviewWindowBuilder, Window, WindowEvent};
use tokentray_core::api::calls::{Events, Heard};

const MAIN: &str = "main";

/// The UI listens to this and re-reads the account list.
pub const ACCOUNTS_CHANGED: &str = "accounts-changed";

/// How long a hidden window keeps its process (`TOKENTRAY_WINDOW_IDLE_SECS`, default 60).
fn idle() -> Duration {
    let secs = std::env::var("TOKENTRAY_WINDOW_IDLE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    Duration::from_secs(secs)
}

/// Counts shows and hides, so that an exit planned by a hide is skipped if the window was
/// shown (and maybe hidden again) since.
static SEEN: AtomicU64 = AtomicU64::new(0);

pub fn run() {
    // Tauri panics in its setup when WebView2 is missing; said plainly instead, and the
    // resident process tells the person what to install.
    #[cfg(windows)]
    if let Err(e) = tauri::webview_version() {
        eprintln!("error: the accounts window needs Microsoft Edge WebView2: {e}");
        std::process::exit(crate::NO_WEBVIEW);
    }
    tauri::Builder::default()
        // Opened from Rust only: the plugin's script that opens a page's links is not put in
        // the window (the capability grants the window no opener; a link goes through
        // `open_login_link`, which opens only the login's own).
        .plugin(
            tauri_plugin_opener::Builder::new()
                .open_js_links_on_click(false)
                .build(),
        )
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec!["--hidden"]),
        ))
        .manage(Engine::new(&tokentray_core::home::data_dir()))
        .manage(login::Logins::default())
        .setup(|app| {
            let config = app
                .config()
                .app
                .windows
                .iter()
                .find(|w| w.label == MAIN)
                .ok_or("no window named main in the configuration")?;
            WebviewWindowBuilder::from_config(app.handle(), config)?.build()?;
            listen_to_resident(app.handle().clone());
            tauri::async_runtime::spawn(forward_events(app.handle().clone()));
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::call,
            commands::startup_problems,
            commands::start_login,
            commands::cancel_login,
            commands::open_login_link,
            commands::save_settings,
            commands::system_language,
            commands::ui_ready,
        ])
        .on_window_event(on_event)
        .run(tauri::generate_context!())
        .expect("the window could not be built");
}

fn show(app: &AppHandle) {
    SEEN.fetch_add(1, Ordering::SeqCst);
    if let Some(window) = app.get_webview_window(MAIN) {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
}

fn on_event(window: &Window, event: &WindowEvent) {
    if let WindowEvent::CloseRequested { api, .. } = event {
        api.prevent_close();
        let _ = window.hide();
        let hidden = SEEN.fetch_add(1, Ordering::SeqCst) + 1;
        let app = window.app_handle().clone();
        tauri::async_runtime::spawn(async move {
            tokio::time::sleep(idle()).await;
            if SEEN.load(Ordering::SeqCst) == hidden {
                tracing::debug!("the window was closed a while: its process ends");
                app.exit(0);
            }
        });
    }
}

/// Reads the resident process's lines on stdin until it is gone.
fn listen_to_resident(app: AppHandle) {
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            match line.as_deref() {
                Ok("show") => show(&app),
                Ok(other) => tracing::debug!(line = other, "an unknown line from the tray"),
                Err(_) => break,
            }
        }
        tracing::debug!("the resident process is gone: the window goes too");
        app.exit(0);
    });
}

/// The engine's events → the UI. When the engine is away (restarting) it is looked for again
/// every second, and the UI re-reads everything once it is back.
async fn forward_events(app: AppHandle) {
    let engine = app.state::<Engine>().inner().clone();
    loop {
        let connected = app.clone();
        let heard = app.clone();
        let _ = engine
            .stream(
                Events {},
                move |_| {
                    let _ = connected.emit(ACCOUNTS_CHANGED, ());
                },
                move |item| {
                    let _ = match item {
                        Heard::Event(event) => heard.emit(ACCOUNTS_CHANGED, &event),
                        // Missed events only mean the list is re-read later than it could have been.
                        Heard::Missed(_) => heard.emit(ACCOUNTS_CHANGED, ()),
                    };
                },
            )
            .await;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
