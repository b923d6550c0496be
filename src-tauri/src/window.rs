//! The accounts window: closing it hides it; once it has been hidden a while its webview is
//! destroyed to give its memory back (WebKit holds well over 100 MB), and opening it again
//! builds a new one from the configuration.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tauri::{AppHandle, Manager, WebviewWindowBuilder, Window, WindowEvent};

pub const MAIN: &str = "main";

/// How long a hidden window keeps its webview (`TOKENTRAY_WEBVIEW_IDLE_SECS`, default 60).
fn idle() -> Duration {
    let secs = std::env::var("TOKENTRAY_WEBVIEW_IDLE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    Duration::from_secs(secs)
}

/// Counts hides, so that a destroy planned by an earlier hide is skipped if the window was
/// shown (and maybe hidden again) since.
static HIDES: AtomicU64 = AtomicU64::new(0);

pub fn show(app: &AppHandle) {
    HIDES.fetch_add(1, Ordering::SeqCst);
    let window = match app.get_webview_window(MAIN) {
        Some(w) => w,
        None => {
            let Some(config) = app.config().app.windows.iter().find(|w| w.label == MAIN) else {
                return;
            };
            match WebviewWindowBuilder::from_config(app, config).and_then(|b| b.build()) {
                Ok(w) => w,
                Err(e) => {
                    tracing::error!("cannot open the window: {e}");
                    return;
                }
            }
        }
    };
    let _ = window.show();
    let _ = window.unminimize();
    let _ = window.set_focus();
}

pub fn on_event(window: &Window, event: &WindowEvent) {
    if let WindowEvent::CloseRequested { api, .. } = event {
        // The app lives on in the tray until "Quit".
        api.prevent_close();
        let _ = window.hide();
        let hide = HIDES.fetch_add(1, Ordering::SeqCst) + 1;
        let app = window.app_handle().clone();
        tauri::async_runtime::spawn(async move {
            tokio::time::sleep(idle()).await;
            if HIDES.load(Ordering::SeqCst) == hide {
                if let Some(w) = app.get_webview_window(MAIN) {
                    let _ = w.destroy();
                }
            }
        });
    }
}
