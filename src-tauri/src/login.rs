//! Logins started from the window: the engine (in the resident process) runs them and says,
//! over the socket, what the person must do; here the browser is opened (system browser, never a webview) or the device code is handed
//! to the window with a QR code, and the outcome is announced. One login per account at a
//! time; closing the dialog cancels it.

use std::collections::HashMap;
use std::sync::Mutex;
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_opener::OpenerExt;
use tokentray_core::login::{LoginFinished, LoginPrompt, LoginPrompted};
use tokentray_core::remote::Remote;
use tokentray_core::{CancellationToken, Error, ErrorView};

pub const LOGIN_PROMPT: &str = "login-prompt";
pub const LOGIN_FINISHED: &str = "login-finished";

/// Logins under way, by account: how to cancel each, and the link its person may open again.
#[derive(Default)]
pub struct Logins(Mutex<HashMap<String, Login>>);

struct Login {
    cancel: CancellationToken,
    link: Option<String>,
}

pub fn start(app: &AppHandle, name: String) {
    let cancel = CancellationToken::new();
    if let Some(previous) = app.state::<Logins>().0.lock().expect("poisoned").insert(
        name.clone(),
        Login {
            cancel: cancel.clone(),
            link: None,
        },
    ) {
        previous.cancel.cancel();
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let prompt_app = app.clone();
        let account = name.clone();
        let prompt = move |prompt: LoginPrompt| {
            let link = match &prompt {
                LoginPrompt::OpenBrowser { url } => Some(url.clone()),
                LoginPrompt::DeviceCode {
                    verification_uri,
                    verification_uri_complete,
                    ..
                } => Some(
                    verification_uri_complete
                        .clone()
                        .unwrap_or(verification_uri.clone()),
                ),
            };
            if let Some(login) = prompt_app
                .state::<Logins>()
                .0
                .lock()
                .expect("poisoned")
                .get_mut(&account)
            {
                login.link = link;
            }
            if let LoginPrompt::OpenBrowser { url } = &prompt {
                prompt_app
                    .opener()
                    .open_url(url, None::<&str>)
                    .map_err(|e| e.to_string())?;
            }
            let qr_svg = match &prompt {
                LoginPrompt::DeviceCode {
                    verification_uri_complete: Some(uri),
                    ..
                } => qr(uri),
                _ => None,
            };
            let _ = prompt_app.emit(
                LOGIN_PROMPT,
                LoginPrompted {
                    account: account.clone(),
                    prompt,
                    qr_svg,
                },
            );
            Ok(())
        };
        let result = app
            .state::<Remote>()
            .login(name.clone(), prompt, cancel)
            .await;
        app.state::<Logins>()
            .0
            .lock()
            .expect("poisoned")
            .remove(&name);
        let _ = app.emit(
            LOGIN_FINISHED,
            LoginFinished {
                account: name,
                error: result.err().map(|e| (&e).into()),
            },
        );
    });
}

pub fn cancel(app: &AppHandle, name: &str) {
    if let Some(login) = app
        .state::<Logins>()
        .0
        .lock()
        .expect("poisoned")
        .remove(name)
    {
        login.cancel.cancel();
    }
}

/// Opens the link of the login under way for `name` in the system browser: the one the
/// engine gave (never a URL the window names), and only an https one (http on loopback).
pub fn open_link(app: &AppHandle, name: &str) -> Result<(), ErrorView> {
    let link = app
        .state::<Logins>()
        .0
        .lock()
        .expect("poisoned")
        .get(name)
        .and_then(|l| l.link.clone());
    let link = link
        .ok_or_else(|| ErrorView::from(&Error::NotFound(format!("{name}: no login under way"))))?;
    let url = tauri::Url::parse(&link)
        .map_err(|e| ErrorView::from(&Error::System(format!("the login's link: {e}"))))?;
    tokentray_core::http::check_endpoint(&url).map_err(|m| ErrorView::from(&Error::System(m)))?;
    app.opener()
        .open_url(url.as_str(), None::<&str>)
        .map_err(|e| ErrorView::from(&Error::System(format!("cannot open the browser: {e}"))))
}

fn qr(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color>()
            .min_dimensions(180, 180)
            .quiet_zone(true)
            .build(),
    )
}
