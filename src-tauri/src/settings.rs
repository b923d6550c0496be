//! Saving the settings: the engine keeps them; start at login is the desktop's to apply. And
//! the language they choose, which the tray, notifications and questions speak.

use crate::engine::Engine;
use tauri::{AppHandle, Manager};
use tauri_plugin_autostart::ManagerExt;
use tokentray_core::api::calls::SaveSettings;
use tokentray_core::settings::Settings;
use tokentray_core::Error;

pub async fn save(app: &AppHandle, settings: Settings) -> Result<(), Error> {
    let autostart = settings.autostart;
    let engine = app.state::<Engine>().inner().clone();
    engine.call(SaveSettings { settings }).await?;
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

/// The settings' language, else the system's.
pub(crate) fn language(app: &AppHandle) -> tokentray_core::i18n::Lang {
    let chosen = app
        .state::<tokentray_core::EngineHandle>()
        .settings()
        .language;
    tokentray_core::i18n::Lang::chosen(chosen)
}
