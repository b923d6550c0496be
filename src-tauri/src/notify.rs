//! Desktop notifications: one way to show a notice, made safe for the desktop.

use tauri::AppHandle;
use tauri_plugin_notification::NotificationExt;
use tokentray_core::notices::Notice;

/// Shows a notice on the desktop, made safe for it ([`Notice::for_desktop`]): the servers of
/// Linux desktops may render a body's markup, so a server's words are escaped there.
pub fn show(app: &AppHandle, notice: &Notice) {
    let shown = notice.for_desktop(cfg!(all(unix, not(target_os = "macos"))));
    let sent = app
        .notification()
        .builder()
        .title(&shown.title)
        .body(&shown.body)
        .show();
    if let Err(e) = sent {
        tracing::warn!("cannot show a notification: {e}");
    }
}
