//! Logins started from the window: the engine (in the resident process) runs them and says,
//! over the socket, what the person must do; here the browser is opened (system browser, never a webview) or the device code is handed
//! to the window with a QR code, and the outcome is announced. One login per account at a
//! time; closing the dialog cancels it.

use crate::engine::Engine;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_opener::OpenerExt;
use tokentray_core::api::calls::Login as LoginCall;
use tokentray_core::client::HangUp;
use tokentray_core::login::{LoginFinished, LoginPrompt, LoginPrompted};
use tokentray_core::transport::Local as Socket;
use tokentray_core::{Error, ErrorView};

pub const LOGIN_PROMPT: &str = "login-prompt";
pub const LOGIN_FINISHED: &str = "login-finished";

/// Logins under way, by account: how to end each, and the link its person may open again.
#[derive(Default)]
pub struct Logins(Mutex<HashMap<String, Login>>);

struct Login {
    /// Which login this is (a new one for the account replaces it).
    id: u64,
    /// Hangs up on the engine, which takes it as the person giving up; there once connected.
    hang_up: Option<HangUp<Socket>>,
    link: Option<String>,
}

static LOGINS: AtomicU64 = AtomicU64::new(0);

impl Logins {
    fn held(&self) -> MutexGuard<'_, HashMap<String, Login>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Ends the login of `name` (if `id`, only that one); says whether there was one.
    fn end(&self, name: &str, id: Option<u64>) -> bool {
        let mut held = self.held();
        if id.is_some_and(|id| held.get(name).is_none_or(|l| l.id != id)) {
            return false;
        }
        match held.remove(name) {
            Some(login) => {
                if let Some(hang_up) = login.hang_up {
                    hang_up.hang_up();
                }
                true
            }
            None => false,
        }
    }
}

pub fn start(app: &AppHandle, name: String) {
    let id = LOGINS.fetch_add(1, Ordering::SeqCst);
    let logins = app.state::<Logins>();
    logins.end(&name, None);
    let login = Login {
        id,
        hang_up: None,
        link: None,
    };
    logins.held().insert(name.clone(), login);
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let connected_app = app.clone();
        let account = name.clone();
        let connected = move |hang_up: HangUp<Socket>| {
            let logins = connected_app.state::<Logins>();
            let mut held = logins.held();
            match held.get_mut(&account).filter(|l| l.id == id) {
                Some(login) => login.hang_up = Some(hang_up),
                // Cancelled while it connected.
                None => hang_up.hang_up(),
            }
        };
        let prompt_app = app.clone();
        let account = name.clone();
        let prompt = move |prompt: LoginPrompt| prompted(&prompt_app, &account, id, prompt);
        let engine = app.state::<Engine>().inner().clone();
        let result = engine
            .stream(LoginCall { name: name.clone() }, connected, prompt)
            .await;
        // Still listed: it ended on its own; else it was cancelled (or replaced).
        let result = match app.state::<Logins>().end(&name, Some(id)) {
            true => result,
            false => Err(Error::Cancelled),
        };
        let _ = app.emit(
            LOGIN_FINISHED,
            LoginFinished {
                account: name,
                error: result.err().map(|e| (&e).into()),
            },
        );
    });
}

/// What the person must do: the browser is opened (or the device code shown with a QR code),
/// and the window is told.
fn prompted(app: &AppHandle, account: &str, id: u64, prompt: LoginPrompt) {
    let link = match &prompt {
        LoginPrompt::OpenBrowser { url } => url.clone(),
        LoginPrompt::DeviceCode {
            verification_uri,
            verification_uri_complete,
            ..
        } => verification_uri_complete
            .clone()
            .unwrap_or(verification_uri.clone()),
    };
    if let Some(login) = app
        .state::<Logins>()
        .held()
        .get_mut(account)
        .filter(|l| l.id == id)
    {
        login.link = Some(link);
    }
    if let LoginPrompt::OpenBrowser { url } = &prompt {
        // Not opened: the dialog's link opens it again.
        if let Err(e) = app.opener().open_url(url, None::<&str>) {
            tracing::warn!("cannot open the browser: {e}");
        }
    }
    let qr_svg = match &prompt {
        LoginPrompt::DeviceCode {
            verification_uri_complete: Some(uri),
            ..
        } => qr(uri),
        _ => None,
    };
    let _ = app.emit(
        LOGIN_PROMPT,
        LoginPrompted {
            account: account.to_string(),
            prompt,
            qr_svg,
        },
    );
}

pub fn cancel(app: &AppHandle, name: &str) {
    app.state::<Logins>().end(name, None);
}

/// Opens the link of the login under way for `name` in the system browser: the one the
/// engine gave (never a URL the window names), and only an https one (http on loopback).
pub fn open_link(app: &AppHandle, name: &str) -> Result<(), ErrorView> {
    let link = app
        .state::<Logins>()
        .held()
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
