//! Engine events → the window. The engine knows nothing of windows; this is the one place its
//! events are translated for the UI.

use tauri::{AppHandle, Emitter};
use tokentray_core::Event;
use tokio::sync::broadcast::{error::RecvError, Receiver};

/// The UI listens to this and re-reads the account list.
pub const ACCOUNTS_CHANGED: &str = "accounts-changed";

pub fn spawn(app: AppHandle, mut events: Receiver<Event>) {
    tauri::async_runtime::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => {
                    let _ = app.emit(ACCOUNTS_CHANGED, &event);
                }
                // Missed events only mean the list is re-read later than it could have been.
                Err(RecvError::Lagged(_)) => {
                    let _ = app.emit(ACCOUNTS_CHANGED, ());
                }
                Err(RecvError::Closed) => return,
            }
        }
    });
}
