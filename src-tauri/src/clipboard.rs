//! Copy a token: refreshed first when due, cleared from the clipboard after the delay in the
//! settings, but only if the clipboard still holds that token (the person may have copied
//! something else meanwhile).

use tauri::{AppHandle, Manager};
use tauri_plugin_clipboard_manager::ClipboardExt;
use tokentray_core::{EngineHandle, Error};

pub async fn copy(app: &AppHandle, name: &str) -> Result<u64, Error> {
    let engine = app.state::<EngineHandle>().inner().clone();
    let token = engine.get_token(name).await?;
    app.clipboard()
        .write_text(token.expose())
        .map_err(|e| Error::System(format!("cannot write the clipboard: {e}")))?;
    let delay = engine.settings().clipboard_clear_secs;
    if delay > 0 {
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_secs(delay)).await;
            let still_ours = app
                .clipboard()
                .read_text()
                .is_ok_and(|held| held == token.expose());
            if still_ours {
                let _ = app.clipboard().clear();
            }
        });
    }
    Ok(delay)
}

/// Copies the account's setup for `tool` ("Use with…"): a command or config text, no secret.
pub fn copy_snippet(app: &AppHandle, name: &str, tool: &str) -> Result<(), Error> {
    let snippets = app.state::<EngineHandle>().snippets(name)?;
    let snippet = snippets
        .iter()
        .find(|s| s.tool == tool)
        .ok_or_else(|| Error::NotFound(format!("{name}: no setup for {tool}")))?;
    app.clipboard()
        .write_text(&snippet.text)
        .map_err(|e| Error::System(format!("cannot write the clipboard: {e}")))
}

/// Copies the public half of the account's key, to register at the server: `jwk`, `jwks` or
/// `certificate`. No secret: the private half never leaves the engine.
pub fn copy_public_key(app: &AppHandle, name: &str, part: &str) -> Result<(), Error> {
    let text = app.state::<EngineHandle>().public_key(name)?.part(part)?;
    app.clipboard()
        .write_text(text)
        .map_err(|e| Error::System(format!("cannot write the clipboard: {e}")))
}
