//! The desktop's clipboard, held by the resident process so that a copy outlives the window
//! that asked for it. A token is cleared after the delay in the settings, but only if the
//! clipboard still holds it (the person may have copied something else meanwhile).

use std::time::Duration;
use tauri::AppHandle;
use tauri_plugin_clipboard_manager::ClipboardExt;
use tokentray_core::clipboard::Clipboard;
use tokentray_core::Error;

pub struct Desk(pub AppHandle);

impl Clipboard for Desk {
    fn put(&self, text: String, secret: bool, clear_after: Option<Duration>) -> Result<(), Error> {
        let clipboard = self.0.clipboard();
        // A secret is offered with the password managers' hint (x-kde-passwordManagerHint on
        // Linux, ConcealedType on macOS, "exclude from monitoring" on Windows): clipboard
        // histories skip it, and on X11 it is not handed to a clipboard manager at quit.
        let written = match secret {
            true => clipboard.write_secret(&text),
            false => clipboard.write_text(&text),
        };
        written.map_err(|e| Error::System(format!("cannot write the clipboard: {e}")))?;
        if let Some(delay) = clear_after {
            let app = self.0.clone();
            tauri::async_runtime::spawn(async move {
                tokio::time::sleep(delay).await;
                let still_ours = app.clipboard().read_text().is_ok_and(|held| held == text);
                if still_ours {
                    let _ = app.clipboard().clear();
                }
            });
        }
        Ok(())
    }
}
