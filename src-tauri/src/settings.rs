//! Saving the settings: the engine keeps them; start at login is the desktop's to apply.

use tauri::{AppHandle, Manager};
use tauri_plugin_autostart::ManagerExt;
use tokentray_core::remote::Remote;
use tokentray_core::settings::Settings;
use tokentray_core::Error;

pub async fn save(app: &AppHandle, settings: Settings) -> Result<(), Error> {
    let autostart = settings.autostart;
    app.state::<Remote>().save_settings(settings).await?;
    let launcher = app.autolaunch();
    let applied = if autostart {
        launcher.enable()
    } else if launcher.is_enabled().unwrap_or(false) {
        launcher.disable()
    } else {
        Ok(())
    };
    applied.map_err(|e| Error::System(format!("cannot change start at login: {e}")))
}
