//! Asking the person: a program's first use of an account (or an unlock asked from a terminal)
//! with three answers, Allow once, Allow for 8 hours and Deny, always in the tray menu and,
//! on Linux desktops, as the actions of a notification (`ask_bus`). On Windows and macOS a
//! notification's buttons would wake only an app registered for it, so the notification
//! there names the program and the account and says the answers are in the tray menu.

use std::collections::HashMap;
use std::sync::Mutex;
use tauri::{AppHandle, Manager};
use tokentray_core::lending::{Approval, Decision, Proof, APPROVAL_WAIT};
use tokentray_core::CancellationToken;
use tokentray_core::EngineHandle;

/// The asks on screen: approval id → the notification's id and how to stop waiting.
#[derive(Default)]
pub struct Asks(Mutex<HashMap<u64, (Option<u32>, CancellationToken)>>);

impl Asks {
    fn held(&self) -> std::sync::MutexGuard<'_, HashMap<u64, (Option<u32>, CancellationToken)>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Shows the ask and waits (no longer than the engine does) for the person's answer.
pub fn show(app: &AppHandle, approval: Approval) {
    let cancel = CancellationToken::new();
    app.state::<Asks>()
        .held()
        .insert(approval.id, (None, cancel.clone()));
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let wait = APPROVAL_WAIT.saturating_add(std::time::Duration::from_secs(5));
        let asked = tokio::select! {
            _ = cancel.cancelled() => return,
            asked = tokio::time::timeout(wait, notify(&app, &approval)) => asked,
        };
        if let Ok(Some(decision)) = asked {
            answer(&app, approval.id, decision);
        }
    });
}

/// The approval was answered (here, in the tray, or from a terminal) or given up: its
/// notification goes.
pub fn closed(app: &AppHandle, approval: u64) {
    let Some((notification, cancel)) = app.state::<Asks>().held().remove(&approval) else {
        return;
    };
    cancel.cancel();
    #[cfg(all(unix, not(target_os = "macos")))]
    if let Some(id) = notification {
        tauri::async_runtime::spawn(crate::ask_bus::close(id));
    }
    #[cfg(not(all(unix, not(target_os = "macos"))))]
    let _ = notification;
}

/// The person's answer, given to the engine as the desktop's.
pub fn answer(app: &AppHandle, approval: u64, decision: Decision) {
    let engine = app.state::<EngineHandle>().inner().clone();
    tauri::async_runtime::spawn(async move {
        if let Err(e) = engine.answer(approval, decision, Proof::Desktop).await {
            tracing::debug!("the answer came too late: {e}");
        }
    });
}

/// `ID:once|hours|deny` (the tray menu's ids and the notification's action keys).
pub fn parse_answer(text: &str) -> Option<(u64, Decision)> {
    let (id, key) = text.split_once(':')?;
    Some((id.parse().ok()?, decision(key)?))
}

fn decision(key: &str) -> Option<Decision> {
    match key {
        "once" => Some(Decision::AllowOnce),
        "hours" => Some(Decision::AllowForHours),
        "deny" => Some(Decision::Deny),
        _ => None,
    }
}

/// Linux desktops: the notification's actions, and the one the person chose.
#[cfg(all(unix, not(target_os = "macos")))]
async fn notify(app: &AppHandle, approval: &Approval) -> Option<Decision> {
    let lang = crate::settings::language(app);
    let (notice, answers) = tokentray_core::notices::approval(approval, lang);
    let actions = [
        ("once", answers[0].as_str()),
        ("hours", answers[1].as_str()),
        ("deny", answers[2].as_str()),
    ];
    let sent = |id| {
        if let Some(entry) = app.state::<Asks>().held().get_mut(&approval.id) {
            entry.0 = Some(id);
        }
    };
    match crate::ask_bus::ask(&notice.for_desktop(true), &actions, sent).await {
        Ok(key) => decision(&key?),
        Err(e) => {
            tracing::warn!("cannot ask on the desktop: {e}");
            None
        }
    }
}

/// Windows and macOS: a notification that says where to answer; the tray menu holds the
/// answers (the engine's `ApprovalNeeded` redraws it).
#[cfg(not(all(unix, not(target_os = "macos"))))]
async fn notify(app: &AppHandle, approval: &Approval) -> Option<Decision> {
    let lang = crate::settings::language(app);
    crate::notify::show(
        app,
        &tokentray_core::notices::approval_in_tray(approval, lang),
    );
    None
}
